//! Keys and mouse: overlays take keys first, then the keymap turns keys into commands.

use crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};

use crate::command::Command;
use crate::config::keymap::Key;

use super::{App, Effect};

impl App {
    pub(super) fn on_input(&mut self, ev: TermEvent) {
        self.on_input_event(ev);
        self.sync_spark_width();
    }

    /// Keys, resizes and new signals change the layout; the sources fetch one sparkline
    /// point per column.
    pub(super) fn sync_spark_width(&mut self) {
        let area = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        let width = super::layout::areas(area, self)
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
                let pane = super::layout::pane_at(self, m.column, m.row);
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
        // Kill switches' own keys are in the keymap too, bound when the cockpit was built.
        if let Some(cmd) = self.keymap.lookup(&k).cloned() {
            self.run_command(cmd);
        }
    }

    /// Leaves; a drill's incident ends with the drill, so no practice incident stays open.
    pub(crate) fn quit(&mut self) {
        // A drill shows its scorecard before the cockpit goes.
        if self.drill.as_ref().is_some_and(|d| d.card.is_none()) {
            self.end_drill(crate::drill::scorecard::EndReason::Quit);
            if let Some(super::Overlay::Scorecard { quit_after, .. }) = &mut self.overlay {
                *quit_after = true;
            }
            return;
        }
        self.leave();
    }

    /// A signal ends the cockpit at once: a drill still gets its scorecard written and
    /// its incident closed, but nobody is there to read an overlay.
    pub(crate) fn terminate(&mut self) {
        self.end_drill(crate::drill::scorecard::EndReason::Quit);
        self.leave();
    }

    /// Closes a drill's incident ("the drill ended"; a live incident stays open) and quits.
    fn leave(&mut self) {
        if self.caps.drill_journal
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
}
