//! The target pick list: which deployment a `rollback`, `restart` or `scale` without one is
//! for, when the alert's service has several or nothing is selected. Each row names the
//! deployment exactly (context, namespace, name) with what it runs now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::app::App;
use crate::app::state::WorkloadKey;
use crate::command::overlay::{OverlayAction as A, Section};
use crate::event::Place;

/// Draws the pick list: why it asks, one row per deployment, the keys.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    command: &crate::command::Command,
    targets: &[WorkloadKey],
    selected: usize,
    title: &str,
) {
    let theme = &app.theme;
    let mut lines = vec![
        Line::from(Span::styled(
            crate::app::logs::sanitize(title),
            theme.fg("text").add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
    ];
    for (i, k) in targets.iter().enumerate() {
        let object = Place::new(&app.caps.context, &k.namespace).object("deployment", &k.name);
        let now = app.pods.deployment(k).map_or(String::new(), |d| {
            format!(
                "rev {}  {}/{} ready  {}",
                d.revision, d.ready, d.replicas, d.image
            )
        });
        let line = Line::from(vec![
            Span::styled(format!(" {:<2}", i + 1), theme.fg("muted")),
            Span::styled(
                format!("{object:<48} "),
                theme.fg("accent").add_modifier(Modifier::BOLD),
            ),
            Span::styled(now, theme.fg("muted")),
        ]);
        lines.push(if i == selected {
            line.patch_style(theme.selected())
        } else {
            line
        });
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        app.keymap.hint(
            Section::Menu,
            &[
                (A::Pick, &format!("{} it (asks first)", command.name())),
                (A::Close, "closes"),
            ],
        ),
        theme.fg("accent"),
    )));
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = crate::ui::dialogs::centered(area, 100.min(area.width), h);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.fg("border_focused"))
        .title(Span::styled(
            format!(" {}: which deployment? ", command.name()),
            theme.fg("title").add_modifier(Modifier::BOLD),
        ));
    // Keep the selected row in view when the list is longer than the screen.
    let room = rect.height.saturating_sub(2) as usize;
    let scroll = (selected + 3).saturating_sub(room.saturating_sub(2)) as u16;
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}
