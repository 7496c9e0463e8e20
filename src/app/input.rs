//! Keys and mouse: overlays take keys first, then the keymap turns keys into commands.

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::command::{Command, CompletionContext, complete};
use crate::config::keymap::Key;
use crate::event::{Action, Level};
use crate::journal::Kind;

use super::{App, Effect, LineInput, Overlay};

impl App {
    pub(super) fn on_input(&mut self, ev: TermEvent) {
        self.on_input_event(ev);
        self.sync_spark_width();
    }

    /// Keys, resizes and new signals change the layout; the sources fetch one sparkline
    /// point per column.
    pub(super) fn sync_spark_width(&mut self) {
        let area = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        let width = crate::ui::layout::areas(area, self)
            .panes
            .iter()
            .find(|(p, _)| *p == crate::command::Pane::Signals)
            .map_or(0, |(_, r)| r.width.saturating_sub(4));
        if width > 0 && width != self.spark_width {
            self.spark_width = width;
            self.emit(Effect::SparkWidth(width));
        }
    }

    fn on_input_event(&mut self, ev: TermEvent) {
        match ev {
            // Terminals that report releases and repeats would otherwise act twice.
            TermEvent::Key(k) if k.kind == KeyEventKind::Press => self.on_key(k),
            TermEvent::Mouse(m) => {
                let pane = crate::ui::layout::pane_at(self, m.column, m.row);
                match m.kind {
                    MouseEventKind::Down(MouseButton::Left) => {
                        if let Some(p) = pane {
                            self.focus = p;
                            self.dirty = true;
                        }
                    }
                    MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                        if let Some(p) = pane {
                            self.focus = p;
                            let cmd = if m.kind == MouseEventKind::ScrollUp {
                                Command::Up
                            } else {
                                Command::Down
                            };
                            for _ in 0..3 {
                                self.run_command(cmd.clone());
                            }
                            self.dirty = true;
                        }
                    }
                    _ => {}
                }
            }
            TermEvent::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
            }
            _ => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        if self.overlay.is_some() {
            self.on_overlay_key(key);
            return;
        }
        self.flash = None;
        let Some(k) = Key::from_event(&key) else {
            return;
        };
        if let Some(cmd) = self.keymap.lookup(&k).cloned() {
            self.run_command(cmd);
            return;
        }
        // A kill switch's own key (from the config) flips it, after the usual confirmation.
        let switch = self
            .config
            .kill_switches
            .iter()
            .find(|ks| ks.key.as_deref().and_then(|s| Key::parse(s).ok()) == Some(k))
            .map(|ks| ks.name.clone());
        if let Some(name) = switch {
            self.run_command(Command::KillSwitch {
                name: Some(name),
                on: None,
            });
        }
    }

    fn on_overlay_key(&mut self, key: KeyEvent) {
        let Some(overlay) = self.overlay.take() else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        self.overlay = match overlay {
            Overlay::Help { scroll } => match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q' | '?') => None,
                KeyCode::Down | KeyCode::Char('j') => Some(Overlay::Help {
                    scroll: scroll.saturating_add(1),
                }),
                KeyCode::Up | KeyCode::Char('k') => Some(Overlay::Help {
                    scroll: scroll.saturating_sub(1),
                }),
                KeyCode::PageDown => Some(Overlay::Help {
                    scroll: scroll.saturating_add(10),
                }),
                KeyCode::PageUp => Some(Overlay::Help {
                    scroll: scroll.saturating_sub(10),
                }),
                _ => Some(Overlay::Help { scroll }),
            },
            Overlay::Output {
                title,
                text,
                scroll,
            } => match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => None,
                KeyCode::Down | KeyCode::Char('j') => Some(Overlay::Output {
                    title,
                    text,
                    scroll: scroll.saturating_add(1),
                }),
                KeyCode::Up | KeyCode::Char('k') => Some(Overlay::Output {
                    title,
                    text,
                    scroll: scroll.saturating_sub(1),
                }),
                KeyCode::PageDown => Some(Overlay::Output {
                    title,
                    text,
                    scroll: scroll.saturating_add(10),
                }),
                KeyCode::PageUp => Some(Overlay::Output {
                    title,
                    text,
                    scroll: scroll.saturating_sub(10),
                }),
                _ => Some(Overlay::Output {
                    title,
                    text,
                    scroll,
                }),
            },
            Overlay::QuitConfirm => match key.code {
                KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter => {
                    self.quit();
                    None
                }
                KeyCode::Char('c') if ctrl => {
                    self.quit();
                    None
                }
                _ => None,
            },
            Overlay::Confirm {
                action,
                lines,
                typed_required,
                mut typed,
            } => match (key.code, &typed_required) {
                (KeyCode::Esc, _) => {
                    self.cancelled(&action);
                    None
                }
                (KeyCode::Char('n' | 'N'), None) => {
                    self.cancelled(&action);
                    None
                }
                (KeyCode::Char('y' | 'Y') | KeyCode::Enter, None) => {
                    self.flash(Level::Unknown, format!("{} …", action.command_line()));
                    self.emit(Effect::Execute(action));
                    None
                }
                (KeyCode::Enter, Some(name)) if *name == typed => {
                    self.emit(Effect::Execute(action));
                    None
                }
                (KeyCode::Char(c), Some(_)) => {
                    typed.push(c);
                    Some(Overlay::Confirm {
                        action,
                        lines,
                        typed_required,
                        typed,
                    })
                }
                (KeyCode::Backspace, Some(_)) => {
                    typed.pop();
                    Some(Overlay::Confirm {
                        action,
                        lines,
                        typed_required,
                        typed,
                    })
                }
                _ => Some(Overlay::Confirm {
                    action,
                    lines,
                    typed_required,
                    typed,
                }),
            },
            Overlay::CommandLine(mut input) => match key.code {
                KeyCode::Esc => None,
                KeyCode::Enter => {
                    let line = input.text.trim().to_string();
                    if !line.is_empty() {
                        match Command::parse(&line) {
                            Ok(cmd) => self.run_command(cmd),
                            Err(e) => self.flash(Level::Crit, e.to_string()),
                        }
                    }
                    // The command may have opened an overlay of its own (a confirmation).
                    return;
                }
                KeyCode::Tab => {
                    self.complete(&mut input);
                    Some(Overlay::CommandLine(input))
                }
                _ => {
                    edit_line(&mut input, key);
                    Some(Overlay::CommandLine(input))
                }
            },
            Overlay::Filter(mut input) => match key.code {
                KeyCode::Esc => None,
                KeyCode::Enter => {
                    let text = input.text.trim().to_string();
                    self.set_filter(&text);
                    None
                }
                _ => {
                    edit_line(&mut input, key);
                    Some(Overlay::Filter(input))
                }
            },
            Overlay::Note(mut editor, purpose) => match key.code {
                KeyCode::Esc => {
                    let lines = editor.lines().to_vec();
                    if purpose == super::NotePurpose::StatusUpdate {
                        self.flash(Level::Unknown, "status update not posted");
                    } else if lines.iter().any(|l| !l.trim().is_empty()) {
                        self.note_draft = Some(lines);
                        self.flash(Level::Unknown, "note kept as a draft: `n` reopens it");
                    }
                    None
                }
                KeyCode::Char('s' | 'd') if ctrl => {
                    let text = editor.lines().join("\n").trim().to_string();
                    if text.is_empty() {
                        self.flash(Level::Warn, "empty text not added");
                    } else if purpose == super::NotePurpose::StatusUpdate {
                        self.post_status_update(text);
                    } else {
                        self.journal(Kind::Note, text, None);
                        self.flash(Level::Ok, "note added");
                    }
                    None
                }
                _ => {
                    editor.input(key);
                    Some(Overlay::Note(editor, purpose))
                }
            },
            Overlay::KillSwitchMenu { selected } => {
                let len = self.kill_switches.len();
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') => None,
                    KeyCode::Down | KeyCode::Char('j') => Some(Overlay::KillSwitchMenu {
                        selected: (selected + 1).min(len.saturating_sub(1)),
                    }),
                    KeyCode::Up | KeyCode::Char('k') => Some(Overlay::KillSwitchMenu {
                        selected: selected.saturating_sub(1),
                    }),
                    KeyCode::Enter | KeyCode::Char(' ') => {
                        if let Some(ks) = self.kill_switches.get(selected) {
                            let action = Action::KillSwitch {
                                name: ks.name.clone(),
                                on: !ks.on.unwrap_or(false),
                            };
                            self.confirm(action);
                        }
                        return;
                    }
                    _ => Some(Overlay::KillSwitchMenu { selected }),
                }
            }
            Overlay::RollbackDialog {
                deployment,
                selected,
            } => {
                let targets = self.rollback_targets(&deployment);
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') => None,
                    KeyCode::Down | KeyCode::Char('j') => Some(Overlay::RollbackDialog {
                        deployment,
                        selected: (selected + 1).min(targets.len().saturating_sub(1)),
                    }),
                    KeyCode::Up | KeyCode::Char('k') => Some(Overlay::RollbackDialog {
                        deployment,
                        selected: selected.saturating_sub(1),
                    }),
                    KeyCode::Enter => {
                        if let Some(rev) = targets.get(selected) {
                            let action = Action::Rollback {
                                deployment,
                                revision: Some(*rev),
                            };
                            self.confirm(action);
                            return;
                        }
                        None
                    }
                    _ => Some(Overlay::RollbackDialog {
                        deployment,
                        selected,
                    }),
                }
            }
        };
    }

    /// Leaves; a drill's incident ends with the drill, so no practice incident stays open.
    pub(crate) fn quit(&mut self) {
        if self.mode.is_simulated()
            && let Some(inc) = &mut self.incident
            && inc.status != crate::command::Status::Resolved
        {
            let reason = format!("(was {}; the drill ended)", inc.status.as_str());
            inc.status = crate::command::Status::Resolved;
            let entry = crate::journal::Entry::status(
                self.now,
                "sitrep",
                crate::command::Status::Resolved,
                &reason,
            );
            self.record(entry);
        }
        self.emit(Effect::Quit);
    }

    /// Revisions a deployment can roll back to, newest first (the current one excluded).
    pub fn rollback_targets(&self, deployment: &str) -> Vec<u64> {
        self.pods
            .deployment(deployment)
            .map(|d| {
                d.history
                    .iter()
                    .filter(|h| h.revision != d.revision)
                    .map(|h| h.revision)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cancelled(&mut self, action: &Action) {
        self.flash(
            Level::Unknown,
            format!("cancelled: {}", action.command_line()),
        );
    }

    fn complete(&self, input: &mut LineInput) {
        match input.chosen {
            // Tab again cycles through the same completions.
            Some(i) if !input.completions.is_empty() => {
                let next = (i + 1) % input.completions.len();
                input.text = input.completions[next].clone();
                input.chosen = Some(next);
            }
            _ => {
                let ctx = CompletionContext {
                    deployments: self.pods.deployment_names(),
                    kill_switches: self.kill_switches.iter().map(|k| k.name.clone()).collect(),
                };
                input.completions = complete(&input.text, &ctx);
                match input.completions.as_slice() {
                    [] => {}
                    [only] => {
                        input.text = format!("{only} ");
                        input.completions.clear();
                    }
                    all => {
                        // Like a shell: first the common prefix, then cycle through the choices.
                        let common = common_prefix(all);
                        if common.len() > input.text.len() {
                            input.text = common;
                        } else {
                            input.text = all[0].clone();
                            input.chosen = Some(0);
                        }
                    }
                }
            }
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let first = &words[0];
    let mut end = first.len();
    for w in &words[1..] {
        end = end.min(
            first
                .bytes()
                .zip(w.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    first[..end].to_string()
}

fn edit_line(input: &mut LineInput, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => input.text.clear(),
        KeyCode::Char('w') if ctrl => {
            let trimmed = input.text.trim_end().len();
            let cut = input.text[..trimmed].rfind(' ').map_or(0, |i| i + 1);
            input.text.truncate(cut);
        }
        KeyCode::Char(c) if !ctrl => input.text.push(c),
        KeyCode::Backspace => {
            input.text.pop();
        }
        _ => return,
    }
    input.completions.clear();
    input.chosen = None;
}
