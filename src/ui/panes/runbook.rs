//! The runbook checklist for the selected alert.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::app::App;

/// The runbook pane's title facts.
pub fn title(_app: &App) -> Option<String> {
    None
}

/// Draws the checklist.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    frame.render_widget(
        Paragraph::new(Span::styled("no runbook loaded", app.theme.fg("muted"))),
        area,
    );
}
