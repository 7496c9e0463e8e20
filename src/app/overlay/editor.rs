//! The multi-line editor for notes and status updates.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use crate::command::overlay::OverlayAction;
use crate::event::Level;
use crate::journal::Kind;

use super::{App, NotePurpose, Overlay};

impl App {
    pub(super) fn editor_key(
        &mut self,
        key: KeyEvent,
        bound: Option<OverlayAction>,
        mut editor: Box<TextArea<'static>>,
        purpose: NotePurpose,
    ) -> Option<Overlay> {
        match bound {
            Some(OverlayAction::Cancel) => {
                let lines = editor.lines().to_vec();
                if purpose == NotePurpose::StatusUpdate {
                    self.flash(Level::Unknown, "status update not posted");
                } else if lines.iter().any(|l| !l.trim().is_empty()) {
                    self.note_draft = Some(lines);
                    self.flash(Level::Unknown, "note kept as a draft: `n` reopens it");
                }
                None
            }
            Some(OverlayAction::Submit) => {
                let text = editor.lines().join("\n").trim().to_string();
                if text.is_empty() {
                    self.flash(Level::Warn, "empty text not added");
                } else if purpose == NotePurpose::StatusUpdate {
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
        }
    }
}
