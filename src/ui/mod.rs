//! Drawing only: reads the state, never changes it, never waits.

pub mod dialogs;
pub mod format;
pub mod layout;
pub mod panes;
pub mod pick;
pub mod scorecard;
pub mod transport;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::app::App;
use crate::command::Pane;
use crate::event::Level;

/// Draws the whole cockpit.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = &app.theme;
    frame.render_widget(
        Block::new().style(Style::default().bg(theme.color("background"))),
        area,
    );
    let areas = layout::areas(area, app);
    panes::header::draw(frame, areas.header, app);
    if let Some(tabs) = areas.tabs {
        draw_tabs(frame, tabs, app);
    }
    for (pane, rect) in &areas.panes {
        let block = pane_block(app, *pane);
        let inner = block.inner(*rect);
        frame.render_widget(block, *rect);
        match pane {
            Pane::Signals => panes::signals::draw(frame, inner, app),
            Pane::Alerts => panes::alerts::draw(frame, inner, app),
            Pane::Pods => panes::pods::draw(frame, inner, app),
            Pane::Gpus => panes::gpus::draw(frame, inner, app),
            Pane::Logs => panes::logs::draw(frame, inner, app),
            Pane::Runbook => panes::runbook::draw(frame, inner, app),
            Pane::Timeline => panes::timeline::draw(frame, inner, app),
        }
    }
    panes::status::draw(frame, areas.status, app);
    dialogs::draw(frame, area, app);
}

fn pane_block(app: &App, pane: Pane) -> Block<'static> {
    let theme = &app.theme;
    let focused = app.focus == pane;
    let border = if focused {
        theme.fg("border_focused")
    } else {
        theme.fg("border")
    };
    let mut title_style = theme.fg("title").add_modifier(Modifier::BOLD);
    if focused {
        title_style = title_style.add_modifier(Modifier::REVERSED);
    }
    let index = Pane::ALL.iter().position(|p| *p == pane).unwrap_or(0) + 1;
    let mut title = vec![Span::styled(
        format!(" {index} {} ", pane.name()),
        title_style,
    )];
    if let Some(extra) = panes::title_extra(app, pane) {
        title.push(Span::styled(format!(" {extra} "), theme.fg("muted")));
    }
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border)
        .title(Line::from(title))
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    for (label, pane) in layout::tab_labels().into_iter().zip(Pane::ALL) {
        let style = if pane == app.focus {
            theme.selected().fg(theme.color("title"))
        } else {
            theme.fg("muted")
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The cockpit drawn off-screen as plain text, one line per row: for tests and captures.
pub fn render_text(app: &App, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    // The test backend cannot fail: its error type is uninhabited.
    let Ok(mut terminal) = ratatui::Terminal::new(backend);
    let Ok(_) = terminal.draw(|f| draw(f, app));
    let buf = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The theme role of a health level.
pub fn level_role(level: Level) -> &'static str {
    match level {
        Level::Unknown => "muted",
        Level::Ok => "ok",
        Level::Warn => "warn",
        Level::Crit => "crit",
    }
}

/// Keeps the end of text that is wider than `width`: pod names differ in their tails.
pub fn truncate_left(text: &str, width: usize) -> String {
    let reversed: String = text.chars().rev().collect();
    let cut = truncate(&reversed, width);
    if cut.chars().count() == text.chars().count() {
        return text.to_string();
    }
    let mut tail: Vec<char> = cut.chars().collect();
    tail.pop();
    tail.reverse();
    std::iter::once('…').chain(tail).collect()
}

/// Cuts text to `width` columns, marking the cut with `…`.
pub fn truncate(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            if width > 0 {
                while used + 1 > width {
                    let Some(last) = out.pop() else { break };
                    used -= last.width().unwrap_or(0);
                }
                out.push('…');
            }
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
