//! What sits on top of the panes and takes the keys: one module per kind of overlay. Keys
//! reach an overlay through its keymap section (`[confirm]`, `[menu]`, ...), never as
//! hard-coded key codes, so what help lists is what the keys do.

mod confirm;
mod editor;
mod line;
mod menu;
mod pager;

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use crate::command::overlay::{OverlayAction, Section};
use crate::config::keymap::Key;
use crate::event::Action;

use super::App;

/// A one-line text input (the `:` line, the log filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
    /// Completions offered for `text`, and which one Tab last chose.
    pub completions: Vec<String>,
    pub chosen: Option<usize>,
}

/// What sits on top of the panes and takes the keys.
#[derive(Debug)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// A command's output.
    Output {
        title: String,
        text: String,
        scroll: u16,
    },
    QuitConfirm,
    /// A world-changing action waiting for the operator's yes.
    Confirm {
        action: Action,
        /// Exactly what will change, one line each.
        lines: Vec<String>,
        /// The name the operator must type first, for the most severe incidents.
        typed_required: Option<String>,
        typed: String,
    },
    CommandLine(LineInput),
    Filter(LineInput),
    /// The multi-line editor, for a note or a status update.
    Note(Box<TextArea<'static>>, NotePurpose),
    KillSwitchMenu {
        selected: usize,
    },
    RollbackDialog {
        deployment: crate::app::state::WorkloadKey,
        selected: usize,
    },
    /// Which deployment a `rollback`, `restart` or `scale` without one is for, when more
    /// than one could be meant; the pick goes on to the command's dialog or confirmation.
    TargetPick {
        command: crate::command::Command,
        targets: Vec<crate::app::state::WorkloadKey>,
        selected: usize,
        /// Why it asks: "HighErrorRate is about service serving: which deployment?".
        title: String,
    },
    /// The drill's scorecard (kept in `App::drill`); leaving it quits when `quit_after`.
    Scorecard {
        scroll: u16,
        quit_after: bool,
    },
}

/// What the text in the editor becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotePurpose {
    Note,
    StatusUpdate,
}

impl Overlay {
    /// The keymap section whose bindings this overlay takes.
    pub fn section(&self) -> Section {
        match self {
            Overlay::Help { .. } => Section::Help,
            Overlay::Output { .. } | Overlay::Scorecard { .. } => Section::Output,
            Overlay::QuitConfirm => Section::Quit,
            Overlay::Confirm { .. } => Section::Confirm,
            Overlay::CommandLine(_) | Overlay::Filter(_) => Section::Line,
            Overlay::Note(..) => Section::Editor,
            Overlay::KillSwitchMenu { .. }
            | Overlay::RollbackDialog { .. }
            | Overlay::TargetPick { .. } => Section::Menu,
        }
    }
}

impl App {
    /// Hands a key to the open overlay; what it does comes from the overlay's section.
    pub(super) fn on_overlay_key(&mut self, key: KeyEvent) {
        let Some(overlay) = self.overlay.take() else {
            return;
        };
        let bound =
            Key::from_event(&key).and_then(|k| self.keymap.overlay_action(overlay.section(), &k));
        self.overlay = match overlay {
            Overlay::Help { scroll } => {
                pager::scroll(scroll, bound).map(|scroll| Overlay::Help { scroll })
            }
            Overlay::Output {
                title,
                text,
                scroll,
            } if bound == Some(OverlayAction::Copy) => {
                self.emit(crate::app::Effect::Clipboard(
                    crate::text::Clean::of(&text).into_string(),
                ));
                self.flash(crate::event::Level::Ok, format!("copied: {title}"));
                Some(Overlay::Output {
                    title,
                    text,
                    scroll,
                })
            }
            Overlay::Output {
                title,
                text,
                scroll,
            } => pager::scroll(scroll, bound).map(|scroll| Overlay::Output {
                title,
                text,
                scroll,
            }),
            Overlay::QuitConfirm => {
                // Any key but `yes` stays. Leaving a drill may put its scorecard up first.
                if bound == Some(OverlayAction::Yes) {
                    self.quit();
                }
                self.overlay.take()
            }
            Overlay::Scorecard { scroll, quit_after } => match pager::scroll(scroll, bound) {
                Some(scroll) => Some(Overlay::Scorecard { scroll, quit_after }),
                None => {
                    if quit_after {
                        self.quit();
                    }
                    None
                }
            },
            Overlay::Confirm {
                action,
                lines,
                typed_required,
                typed,
            } => self.confirm_key(key, bound, action, lines, typed_required, typed),
            Overlay::CommandLine(input) => self.command_line_key(key, bound, input),
            Overlay::Filter(input) => self.filter_key(key, bound, input),
            Overlay::Note(editor, purpose) => self.editor_key(key, bound, editor, purpose),
            Overlay::KillSwitchMenu { selected } => self.kill_switch_menu_key(bound, selected),
            Overlay::RollbackDialog {
                deployment,
                selected,
            } => self.rollback_dialog_key(bound, deployment, selected),
            Overlay::TargetPick {
                command,
                targets,
                selected,
                title,
            } => self.target_pick_key(bound, command, targets, selected, title),
        };
    }
}

/// Whether a key types a character rather than acting (no ctrl or alt).
fn typed_char(key: &KeyEvent) -> Option<char> {
    use crossterm::event::{KeyCode, KeyModifiers};
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}
