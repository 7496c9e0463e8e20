//! The lines a pane shows above its rows about what it may not see: a 403 said once, in
//! the pane it empties, instead of an empty pane that looks like a quiet cluster.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::logs::sanitize;
use crate::command::Pane;

/// Draws `pane`'s forbidden notes at the top of `area`; the rest of the area is returned.
pub fn notes(frame: &mut Frame, area: Rect, app: &App, pane: Pane) -> Rect {
    let notes = app.access.notes(pane);
    if notes.is_empty() || area.height == 0 {
        return area;
    }
    let texts: Vec<String> = notes.iter().map(|n| format!("× {}", sanitize(n))).collect();
    // Each note wraps to as many rows as it needs; the rows below start after them all.
    let width = usize::from(area.width.max(1));
    let rows: usize = texts
        .iter()
        .map(|t| t.chars().count().div_ceil(width).max(1))
        .sum();
    let lines: Vec<Line> = texts
        .into_iter()
        .map(|t| Line::from(Span::styled(t, app.theme.fg("warn"))))
        .collect();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).min(area.height);
    let top = Rect { height, ..area };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), top);
    Rect {
        y: area.y + height,
        height: area.height - height,
        ..area
    }
}
