//! The runbook checklist for the incident: groups with progress, steps, their commands,
//! placeholders marked so the operator knows what to fill in.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::logs::sanitize;
use crate::runbook::placeholders;
use crate::ui::truncate;

/// The runbook pane's title facts: which file, how far along.
pub fn title(app: &App) -> Option<String> {
    let c = app.checklist.as_ref()?;
    let (done, total) = c.progress();
    let file = c
        .books
        .get(c.book)
        .map(|b| b.title.clone())
        .unwrap_or_default();
    Some(format!("{} · {done}/{total} done", truncate(&file, 28)))
}

/// Splits text into spans with placeholders highlighted.
fn marked(text: &str, base: Style, mark: Style) -> Vec<Span<'static>> {
    let text = sanitize(&text.replace('\n', " "));
    let mut spans = Vec::new();
    let mut at = 0;
    for Range { start, end } in placeholders(&text) {
        if start < at || end > text.len() {
            continue;
        }
        spans.push(Span::styled(text[at..start].to_string(), base));
        spans.push(Span::styled(text[start..end].to_string(), mark));
        at = end;
    }
    spans.push(Span::styled(text[at..].to_string(), base));
    spans
}

/// Draws the section on screen as a checklist, keeping the selected step in view.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let Some(c) = &app.checklist else {
        frame.render_widget(
            Paragraph::new(Span::styled("no runbook loaded", theme.fg("muted"))),
            area,
        );
        return;
    };
    let Some(section) = c.current() else { return };
    let mark = theme
        .fg("placeholder")
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let width = area.width as usize;
    let mut lines: Vec<Line> = vec![
        Line::from(Span::styled(
            truncate(&format!("§ {}", sanitize(&section.title)), width),
            theme.fg("title").add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(
            truncate(&format!("  {}", c.rule), width),
            theme.fg("muted"),
        )),
    ];
    let mut cursor_line = 0;
    let mut n = 0;
    for (g, group) in section.groups.iter().enumerate() {
        if !group.title.is_empty() {
            let done = (0..group.steps.len())
                .filter(|i| c.is_checked(g, *i))
                .count();
            let role = if done == group.steps.len() {
                "ok"
            } else {
                "info"
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("▸ {} ", sanitize(&group.title)),
                    theme.fg("accent").add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("{done}/{}", group.steps.len()), theme.fg(role)),
            ]));
        }
        for (i, step) in group.steps.iter().enumerate() {
            let selected = n == c.cursor;
            if selected {
                cursor_line = lines.len();
            }
            n += 1;
            let checked = c.is_checked(g, i);
            let indent = "  ".repeat(usize::from(step.depth.min(4)));
            let mut spans = vec![Span::styled(
                format!("{indent}{} ", if checked { "[x]" } else { "[ ]" }),
                if checked {
                    theme.fg("ok")
                } else {
                    theme.fg("muted")
                },
            )];
            let text_style = if checked {
                theme.fg("muted")
            } else {
                theme.fg("text")
            };
            spans.extend(marked(&step.text, text_style, mark));
            let line = Line::from(spans);
            lines.push(if selected && app.focus == crate::command::Pane::Runbook {
                line.patch_style(theme.selected())
            } else {
                line
            });
            for cmd in &step.commands {
                let mut spans = vec![Span::styled(format!("{indent}    $ "), theme.fg("accent"))];
                spans.extend(marked(cmd, theme.fg("info"), mark));
                lines.push(Line::from(spans));
            }
        }
    }
    for table in &section.tables {
        lines.push(Line::from(""));
        let row = |cells: &[String]| {
            cells
                .iter()
                .map(|c| sanitize(c))
                .collect::<Vec<_>>()
                .join(" │ ")
        };
        lines.push(Line::from(Span::styled(
            row(&table.header),
            theme.fg("muted").add_modifier(Modifier::BOLD),
        )));
        for r in &table.rows {
            lines.push(Line::from(Span::styled(row(r), theme.fg("text"))));
        }
    }
    let height = area.height as usize;
    // Keep the selected step (and the command lines under it) in view.
    let offset = (cursor_line + 3).saturating_sub(height);
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), area);
}
