//! The health probes' strip: one word per probe, its status code and latency.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::app::logs::sanitize;
use crate::ui::format;

/// `health ● api 200 12ms  ○ ready 503 since 10:31:02`.
pub fn strip(app: &App, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let mut spans = vec![Span::styled("health ", theme.fg("muted"))];
    let mut used = 7;
    for e in &app.health {
        let h = &e.status;
        let (icon, role) = if h.ok { ("●", "ok") } else { ("○", "crit") };
        let what = match (h.status, h.latency_ms) {
            (Some(code), Some(ms)) => format!("{code} {ms:.0}ms"),
            (Some(code), None) => code.to_string(),
            _ => h.error.clone().unwrap_or_else(|| "no answer".into()),
        };
        let text = format!(
            "{icon} {} {} since {}  ",
            sanitize(&h.name),
            sanitize(&what),
            format::time_of_day(e.changed_at)
        );
        used += text.chars().count();
        if used > width {
            spans.push(Span::styled("…", theme.fg("muted")));
            break;
        }
        spans.push(Span::styled(text, theme.fg(role)));
    }
    Line::from(spans)
}
