//! The bottom line: the command line, a message, or the main keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Overlay};
use crate::ui::level_role;

/// The commands whose keys the status line hints at.
const HINTS: &[(&str, &str)] = &[
    ("help", "help"),
    ("command-line", "command"),
    ("focus next", "focus"),
    ("zoom", "zoom"),
    ("note", "note"),
    ("ack", "ack"),
    ("rollback", "rollback"),
    ("kill-switch", "kill switch"),
    ("toggle-pause", "pause"),
    ("quit", "quit"),
];

/// Draws the status line.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let line = match &app.overlay {
        Some(Overlay::CommandLine(input)) => {
            let mut spans = vec![
                Span::styled(":", theme.fg("accent").add_modifier(Modifier::BOLD)),
                Span::styled(input.text.clone(), theme.fg("text")),
                Span::styled("█", theme.fg("accent")),
            ];
            if input.completions.len() > 1 {
                let words: Vec<&str> = input
                    .completions
                    .iter()
                    .map(|c| c.rsplit(' ').next().unwrap_or(c))
                    .take(8)
                    .collect();
                spans.push(Span::styled(
                    format!("   tab: {}", words.join(" ")),
                    theme.fg("muted"),
                ));
            }
            Line::from(spans)
        }
        Some(Overlay::Filter(input)) => Line::from(vec![
            Span::styled("/", theme.fg("accent").add_modifier(Modifier::BOLD)),
            Span::styled(input.text.clone(), theme.fg("text")),
            Span::styled("█", theme.fg("accent")),
            Span::styled("   regex, !regex excludes, empty clears", theme.fg("muted")),
        ]),
        _ => match &app.flash {
            Some(flash) => Line::from(Span::styled(
                format!(" {}", crate::app::logs::sanitize(&flash.text)),
                theme
                    .fg(level_role(flash.level))
                    .add_modifier(Modifier::BOLD),
            )),
            None => {
                let mut spans = Vec::new();
                for (cmd, label) in HINTS {
                    if let Some(k) = app.keymap.keys_for(cmd).first() {
                        spans.push(Span::styled(
                            format!(" {k}"),
                            theme.fg("accent").add_modifier(Modifier::BOLD),
                        ));
                        spans.push(Span::styled(format!(" {label} "), theme.fg("muted")));
                    }
                }
                Line::from(spans)
            }
        },
    };
    // A replay keeps its transport line at the right whatever the left says.
    let transport = crate::ui::transport::line(app);
    let Some(transport) = transport else {
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let want = transport.width() as u16;
    let right = want.min(area.width);
    let left = ratatui::layout::Rect {
        width: area.width - right,
        ..area
    };
    let tarea = ratatui::layout::Rect {
        x: area.x + area.width - right,
        width: right,
        ..area
    };
    frame.render_widget(Paragraph::new(line), left);
    frame.render_widget(Paragraph::new(transport), tarea);
}
