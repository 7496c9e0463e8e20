//! Overlays: help, confirmations, the note editor, the kill-switch and rollback menus.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use crate::app::{App, Overlay};
use crate::command::COMMANDS;
use crate::command::overlay::{OverlayAction as A, Section};
use crate::config::Keymap;
use crate::ui::format;

/// Draws the overlay on top of everything, if one is open.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    match &app.overlay {
        Some(Overlay::Help { scroll }) => help(frame, area, app, *scroll),
        Some(Overlay::Output {
            title,
            text,
            scroll,
        }) => output(frame, area, app, title, text, scroll),
        Some(Overlay::Scorecard { scroll, quit_after }) => {
            crate::ui::scorecard::draw(frame, area, app, *scroll, *quit_after);
        }
        Some(Overlay::QuitConfirm) => quit(frame, area, app),
        Some(Overlay::Confirm {
            lines,
            typed_required,
            typed,
            ..
        }) => confirm(frame, area, app, lines, typed_required, typed),
        Some(Overlay::Note(editor, purpose)) => note(frame, area, app, editor.as_ref(), purpose),
        Some(Overlay::KillSwitchMenu { selected }) => kill_switch_menu(frame, area, app, selected),
        Some(Overlay::RollbackDialog {
            deployment,
            selected,
        }) => rollback_dialog(frame, area, app, deployment, selected),
        Some(Overlay::TargetPick {
            command,
            targets,
            selected,
            title,
        }) => crate::ui::pick::draw(frame, area, app, command, targets, *selected, title),
        Some(Overlay::CommandLine(_) | Overlay::Filter(_)) | None => {}
    }
}

/// A command's output, scrollable.
fn output(frame: &mut Frame, area: Rect, app: &App, title: &str, text: &str, scroll: &u16) {
    let rect = centered(area, 100.min(area.width), area.height.saturating_sub(4));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(app.theme.fg("border_focused"))
        .title(Span::styled(
            format!(
                " {} · {} ",
                crate::ui::truncate(&crate::app::logs::sanitize(title), 70),
                app.keymap.hint(Section::Output, &[(A::Close, "closes")])
            ),
            app.theme.fg("title").add_modifier(Modifier::BOLD),
        ));
    let body: Vec<Line> = text
        .lines()
        .map(|l| {
            Line::from(Span::styled(
                crate::app::logs::sanitize(l),
                app.theme.fg("text"),
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(body).block(block).scroll((*scroll, 0)), rect);
}

/// The quit question.
fn quit(frame: &mut Frame, area: Rect, app: &App) {
    let lines = vec![
        Line::from("Leave sitrep?"),
        Line::from(""),
        keys_line(
            app,
            &format!(
                "{}   any other key stays",
                app.keymap.hint(Section::Quit, &[(A::Yes, "quit")])
            ),
        ),
    ];
    popup(frame, area, app, " quit ", lines, 52, 5);
}

/// A world-changing action's confirmation, with the name to type when one is required.
fn confirm(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    lines: &[String],
    typed_required: &Option<String>,
    typed: &str,
) {
    let theme = &app.theme;
    let mut text: Vec<Line> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let style = if i == 0 {
                theme.fg("text").add_modifier(Modifier::BOLD)
            } else {
                theme.fg("text")
            };
            Line::from(Span::styled(l.clone(), style))
        })
        .collect();
    text.push(Line::from(""));
    match typed_required {
        Some(name) => {
            // Characters type the name, so only other keys confirm or cancel.
            let acts = |k: &crate::config::keymap::Key| !Keymap::is_char(k);
            let yes = app
                .keymap
                .overlay_keys(Section::Confirm, A::Yes)
                .into_iter()
                .find(acts)
                .map_or("enter".to_string(), |k| k.to_string());
            text.push(Line::from(Span::styled(
                format!("Type {name} and press {yes} to confirm:"),
                theme.fg("warn"),
            )));
            text.push(Line::from(Span::styled(
                format!("> {typed}█"),
                theme.fg("accent"),
            )));
            let hint = app.keymap.hint_where(
                Section::Confirm,
                &[(A::No, "cancels"), (A::Delete, "deletes")],
                acts,
            );
            text.push(keys_line(app, &hint));
        }
        None => text.push(keys_line(
            app,
            &app.keymap
                .hint(Section::Confirm, &[(A::Yes, "confirm"), (A::No, "cancel")]),
        )),
    }
    let width = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(40)
        .clamp(40, 100) as u16
        + 4;
    let height = text.len() as u16 + 2;
    popup(frame, area, app, " confirm ", text, width, height);
}

/// The note or status update editor.
fn note(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    editor: &ratatui_textarea::TextArea<'static>,
    purpose: &crate::app::NotePurpose,
) {
    let rect = centered(area, 72.min(area.width), 12.min(area.height));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(app.theme.fg("border_focused"))
        .title(match purpose {
            crate::app::NotePurpose::Note => format!(
                " note · {} ",
                app.keymap.hint(
                    Section::Editor,
                    &[(A::Submit, "adds"), (A::Cancel, "keeps a draft")]
                )
            ),
            crate::app::NotePurpose::StatusUpdate => format!(
                " status update · {} ",
                app.keymap.hint(
                    Section::Editor,
                    &[(A::Submit, "posts and copies"), (A::Cancel, "cancels")]
                )
            ),
        });
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(editor, inner);
}

/// The kill-switch menu.
fn kill_switch_menu(frame: &mut Frame, area: Rect, app: &App, selected: &usize) {
    let theme = &app.theme;
    let mut lines = Vec::new();
    for (i, k) in app.kill_switches.iter().enumerate() {
        let (state, role) = match k.on {
            Some(true) => ("ON ", "crit"),
            Some(false) => ("off", "ok"),
            None => ("?  ", "muted"),
        };
        let line = Line::from(vec![
            Span::styled(
                format!(" {state} "),
                theme.fg(role).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{:<20} ", k.name), theme.fg("text")),
            Span::styled(k.description.clone(), theme.fg("muted")),
        ]);
        // The selected alert's service names this switch: say so on its row.
        let mut line = line;
        if let Some(s) = app
            .selected_service_config()
            .filter(|s| s.has_kill_switch(&k.name))
        {
            line.push_span(Span::styled(
                format!("  · {}", s.name()),
                theme.fg("accent"),
            ));
        }
        lines.push(if i == *selected {
            line.patch_style(theme.selected())
        } else {
            line
        });
    }
    lines.push(Line::from(""));
    lines.push(keys_line(
        app,
        &app.keymap.hint(
            Section::Menu,
            &[(A::Pick, "flips (asks first)"), (A::Close, "closes")],
        ),
    ));
    let h = lines.len() as u16 + 2;
    popup(frame, area, app, " kill switches ", lines, 80, h);
}

/// The rollback dialog: the revisions kept, and what the chosen one changes.
fn rollback_dialog(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    deployment: &crate::app::state::WorkloadKey,
    selected: &usize,
) {
    let theme = &app.theme;
    let mut lines = Vec::new();
    if let Some(d) = app.pods.deployment(deployment) {
        lines.push(Line::from(Span::styled(
            format!(
                "{}: now revision {} ({})",
                crate::event::Place::new(&app.caps.context, &deployment.namespace)
                    .object("deployment", &deployment.name),
                d.revision,
                d.image
            ),
            theme.fg("text").add_modifier(Modifier::BOLD),
        )));
        lines.push(Line::from(""));
        let targets = app.rollback_targets(deployment);
        for (i, rev) in targets.iter().enumerate() {
            let Some(h) = d.history.iter().find(|h| h.revision == *rev) else {
                continue;
            };
            let line = Line::from(vec![
                Span::styled(
                    format!(" rev {:<3} ", h.revision),
                    theme.fg("accent").add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!("{:<8} ", format::age(app.now.duration_since(h.created))),
                    theme.fg("muted"),
                ),
                Span::styled(format!("{} ", h.image), theme.fg("text")),
                Span::styled(h.change_cause.clone(), theme.fg("muted")),
            ]);
            lines.push(if i == *selected {
                line.patch_style(theme.selected())
            } else {
                line
            });
        }
        if targets.is_empty() {
            lines.push(Line::from(Span::styled(
                "no earlier revision is kept",
                theme.fg("warn"),
            )));
        }
        // What the chosen revision's pod template changes against the running one.
        let current = d.history.iter().find(|h| h.revision == d.revision);
        let chosen = targets
            .get(*selected)
            .and_then(|r| d.history.iter().find(|h| h.revision == *r));
        if let (Some(c), Some(t)) = (current, chosen) {
            let diff = crate::event::template_diff(&c.template, &t.template);
            if !diff.is_empty() {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(
                    format!("pod template, revision {} → {}:", c.revision, t.revision),
                    theme.fg("muted"),
                )));
            }
            for l in diff {
                let role = if l.starts_with('+') { "ok" } else { "crit" };
                lines.push(Line::from(Span::styled(format!("  {l}"), theme.fg(role))));
            }
        }
    }
    lines.push(Line::from(""));
    lines.push(keys_line(
        app,
        &app.keymap.hint(
            Section::Menu,
            &[(A::Pick, "picks (asks first)"), (A::Close, "closes")],
        ),
    ));
    let h = lines.len() as u16 + 2;
    popup(frame, area, app, " rollback ", lines, 96, h);
}

fn keys_line(app: &App, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), app.theme.fg("accent")))
}

/// A rectangle of at most `w`×`h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

fn popup(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    lines: Vec<Line<'static>>,
    w: u16,
    h: u16,
) {
    let rect = centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(app.theme.fg("border_focused"))
        .title(Span::styled(
            title.to_string(),
            app.theme.fg("title").add_modifier(Modifier::BOLD),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

/// The help text: the active keymap's bindings, then every command.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut lines = Vec::new();
    // What this identity may not do comes first: greyed-out actions say why here.
    let denied = app.access.help_lines();
    if !denied.is_empty() {
        lines.push(Line::from(Span::styled(
            "not permitted to this identity (actions needing these are refused before they are sent)",
            theme.fg("warn").add_modifier(Modifier::BOLD),
        )));
        for d in denied {
            lines.push(Line::from(Span::styled(format!("  {d}"), theme.fg("warn"))));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        format!("keys ({} keymap)", app.keymap.name),
        theme.fg("title").add_modifier(Modifier::BOLD),
    )));
    for (key, cmd) in app.keymap.bindings() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<12}", key.to_string()),
                theme.fg("accent").add_modifier(Modifier::BOLD),
            ),
            Span::styled(cmd.to_string(), theme.fg("text")),
        ]));
    }
    // Overlay keys, section by section, as the keymap binds them now.
    for spec in crate::command::overlay::SECTIONS {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(
                format!("[{}] ", spec.name),
                theme.fg("title").add_modifier(Modifier::BOLD),
            ),
            Span::styled(spec.about.to_string(), theme.fg("muted")),
        ]));
        for (action, name, help) in spec.actions {
            let keys: Vec<String> = app
                .keymap
                .overlay_keys(spec.section, *action)
                .iter()
                .map(ToString::to_string)
                .collect();
            if keys.is_empty() {
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<22}", keys.join(" ")),
                    theme.fg("accent").add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("{name:<12} "), theme.fg("text")),
                Span::styled(help.to_string(), theme.fg("muted")),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "commands (type after :, tab completes)",
        theme.fg("title").add_modifier(Modifier::BOLD),
    )));
    for c in COMMANDS {
        if c.world_changing && app.read_only {
            continue;
        }
        // Aliases beside the name: `quit, q`.
        let names = c.names().collect::<Vec<_>>().join(", ");
        lines.push(Line::from(vec![
            Span::styled(format!("  {names:<17}"), theme.fg("accent")),
            Span::styled(format!("{:<24} ", c.args), theme.fg("muted")),
            Span::styled(c.help.to_string(), theme.fg("text")),
        ]));
    }
    lines
}

fn help(frame: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let rect = centered(area, 90, area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(app.theme.fg("border_focused"))
        .title(format!(
            " help · {} ",
            app.keymap.hint(
                Section::Help,
                &[(A::Close, "closes"), (A::Up, "up"), (A::Down, "down")]
            )
        ));
    frame.render_widget(
        Paragraph::new(help_lines(app))
            .block(block)
            .scroll((scroll, 0)),
        rect,
    );
}
