//! The selected alert's suggested fix and the changes before it, under its summary.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::logs::sanitize;
use crate::app::suggest::span;
use crate::ui::truncate;

/// Changes listed under the suggestion at most.
const SHOWN: usize = 3;

/// The lines for the alert at `index`: `enter fix: rollback web`, why (`revision 3 of web
/// rolled out 45 s before HighErrorRate (image web:1.8 → web:1.9)`), then, when `room`
/// rows are to spare, the other changes before it, best placed first.
pub fn lines(app: &App, index: usize, width: usize, room: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut out = Vec::new();
    let fix = app.suggestion(index);
    let cut = |text: &str| format!("    {}", truncate(text, width.saturating_sub(4)));
    if let Some(s) = &fix {
        let key = app
            .keymap
            .keys_for("fix")
            .first()
            .map_or_else(|| ":fix".to_string(), ToString::to_string);
        out.push(Line::from(Span::styled(
            cut(&format!("{key} fix: {}", s.line)),
            theme.fg("ok"),
        )));
        let mut why = sanitize(&s.why);
        if !s.detail.is_empty() {
            why.push_str(&format!(" ({})", sanitize(&s.detail)));
        }
        out.push(Line::from(Span::styled(
            cut(&format!("  {why}")),
            theme.fg("muted"),
        )));
    }
    let ranked = app.changes_before(index);
    let others = ranked
        .iter()
        .filter(|r| {
            fix.as_ref()
                .is_none_or(|s| !s.why.starts_with(&r.change.what))
        })
        .take(SHOWN.min(room));
    for r in others {
        let text = format!(
            "{} {} before: {}",
            r.change.kind.word(),
            span(r.before),
            sanitize(&r.change.what)
        );
        out.push(Line::from(Span::styled(cut(&text), theme.fg("muted"))));
    }
    out
}
