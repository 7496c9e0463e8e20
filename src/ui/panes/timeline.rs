//! The incident timeline as the journal wrote it; the selected entry shows in full.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::logs::sanitize;
use crate::journal::Kind;
use crate::ui::{format, truncate};

fn kind_role(kind: Kind) -> &'static str {
    match kind {
        Kind::AlertFired | Kind::DeadlinePassed | Kind::EscalationDue => "crit",
        Kind::AlertResolved | Kind::Verdict => "ok",
        Kind::Command | Kind::KillSwitch | Kind::Rollback => "accent",
        Kind::Drill => "warn",
        _ => "info",
    }
}

/// Draws the entries, newest at the bottom.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if app.timeline.is_empty() && app.replay.ghosts.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("nothing journaled yet", theme.fg("muted"))),
            area,
        );
        return;
    }
    let selected = app
        .timeline
        .selected
        .filter(|_| app.focus == crate::command::Pane::Timeline);
    let (list_area, detail_area) = match selected {
        Some(_) if area.height >= 8 => {
            let [a, b] = Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(area);
            (a, Some(b))
        }
        _ => (area, None),
    };
    let shown: Vec<&crate::journal::Entry> = app
        .timeline
        .iter()
        .filter(|e| app.timeline.filter.is_none_or(|k| e.kind == k))
        .collect();
    // In a replay the original responder's actions interleave as ghost rows; while a row
    // is selected only the trainee's own entries are listed, so the selection stays put.
    let ghosts: Vec<&crate::journal::Entry> = if selected.is_none() {
        app.replay
            .ghosts
            .iter()
            .filter(|e| app.timeline.filter.is_none_or(|k| e.kind == k))
            .collect()
    } else {
        Vec::new()
    };
    let mut rows: Vec<(&crate::journal::Entry, bool)> = shown.iter().map(|e| (*e, false)).collect();
    rows.extend(ghosts.iter().map(|e| (*e, true)));
    rows.sort_by_key(|(e, _)| e.at);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no entries of this kind", theme.fg("muted"))),
            area,
        );
        return;
    }
    let height = list_area.height as usize;
    let len = rows.len();
    let last = selected.unwrap_or(len - 1).min(len - 1);
    let start = (last + 1).saturating_sub(height);
    let width = list_area.width as usize;
    let lines: Vec<Line> = rows[start..(start + height).min(len)]
        .iter()
        .enumerate()
        .map(|(i, (e, ghost))| {
            let kind = e.kind.as_str();
            let actor = if *ghost {
                format!("◌{}", e.actor)
            } else {
                e.actor.clone()
            };
            let head = format!("{} {:<9} ", format::time_of_day(e.at), truncate(&actor, 9));
            let rest = width.saturating_sub(head.chars().count() + kind.len() + 1);
            let text = sanitize(&e.text.replace('\n', " ⏎ "));
            if *ghost {
                // The original responder: dim and italic, never mistaken for the trainee.
                let style = theme
                    .fg("muted")
                    .add_modifier(Modifier::ITALIC | Modifier::DIM);
                return Line::from(vec![
                    Span::styled(head, style),
                    Span::styled(format!("{kind} "), style.add_modifier(Modifier::BOLD)),
                    Span::styled(truncate(&text, rest), style),
                ]);
            }
            let line = Line::from(vec![
                Span::styled(head, theme.fg("muted")),
                Span::styled(
                    format!("{kind} "),
                    theme.fg(kind_role(e.kind)).add_modifier(Modifier::BOLD),
                ),
                Span::styled(truncate(&text, rest), theme.fg("text")),
            ]);
            if Some(start + i) == selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list_area);
    if let (Some(rect), Some(i)) = (detail_area, selected)
        && let Some(e) = shown.get(i)
    {
        let full = format!(
            "{} · {} · {}: {}",
            e.at,
            e.actor,
            e.kind.as_str(),
            sanitize(&e.text)
        );
        frame.render_widget(
            Paragraph::new(full)
                .style(theme.fg("text"))
                .wrap(Wrap { trim: false })
                .block(
                    ratatui::widgets::Block::new()
                        .borders(ratatui::widgets::Borders::TOP)
                        .border_style(theme.fg("border")),
                ),
            rect,
        );
    }
}
