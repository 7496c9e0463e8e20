//! What each operator command does to the state.

use crate::command::{Command, FocusTarget, Pane, Status};
use crate::event::{Action, Level};
use crate::journal::{Entry, Kind};

use super::logs::LogFilter;
use super::{App, Effect, LineInput, Overlay};

impl App {
    // Long by design: one short arm per command, so what each command does is found by
    // its name; anything longer than a few lines lives in its pane's module.
    pub(super) fn run_command(&mut self, cmd: Command) {
        if cmd.is_world_changing() && self.read_only {
            self.flash(Level::Warn, "read-only: sitrep will not change anything");
            return;
        }
        if cmd.is_world_changing() && !self.caps.can_change_world {
            self.flash(Level::Warn, "nothing can be changed in this mode");
            return;
        }
        match cmd {
            Command::Quit => self.overlay = Some(Overlay::QuitConfirm),
            Command::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Command::Focus(FocusTarget::Next) => self.focus = self.focus.next(),
            Command::Focus(FocusTarget::Prev) => self.focus = self.focus.prev(),
            Command::Focus(FocusTarget::Pane(p)) => self.focus = p,
            Command::Zoom => self.zoom = !self.zoom,
            Command::Pause => self.set_paused(true),
            Command::Resume => self.set_paused(false),
            Command::TogglePause => self.set_paused(!self.paused),
            Command::Replay(t) => {
                if self.caps.replay_transport {
                    self.emit(Effect::Replay(t));
                } else {
                    self.flash(Level::Warn, "replay commands work in `sitrep replay`");
                }
            }
            Command::Note(Some(text)) => {
                self.journal(Kind::Note, text, None);
                self.flash(Level::Ok, "note added");
            }
            Command::Note(None) => {
                let mut editor = match self.note_draft.take() {
                    Some(lines) => ratatui_textarea::TextArea::new(lines),
                    None => ratatui_textarea::TextArea::default(),
                };
                editor.set_placeholder_text(
                    "What do you see? Ctrl-S adds it to the timeline, Esc keeps it as a draft.",
                );
                self.overlay = Some(Overlay::Note(Box::new(editor), super::NotePurpose::Note));
            }
            Command::Ack => self.ack_selected(),
            Command::Fix => self.fix_selected(),
            Command::Check => self.toggle_step(),
            Command::Severity(n) => self.set_severity(n),
            Command::Status(s) => self.set_status(s),
            Command::IncidentOpen(title) => self.open_or_retitle(title),
            Command::KillSwitch { name: None, .. } => {
                if self.kill_switches.is_empty() {
                    self.flash(Level::Warn, "no kill switches are configured");
                } else {
                    let selected = self.kill_switch_menu_start();
                    self.overlay = Some(Overlay::KillSwitchMenu { selected });
                }
            }
            Command::KillSwitch {
                name: Some(name),
                on,
            } => {
                let Some(ks) = self.kill_switches.iter().find(|k| k.name == name) else {
                    let names: Vec<&str> =
                        self.kill_switches.iter().map(|k| k.name.as_str()).collect();
                    self.flash(
                        Level::Crit,
                        format!("no kill switch `{name}`; known: {}", names.join(", ")),
                    );
                    return;
                };
                let on = on.unwrap_or(!ks.on.unwrap_or(false));
                self.confirm(Action::KillSwitch { name, on });
            }
            cmd @ (Command::Rollback { .. } | Command::Restart { .. } | Command::Scale { .. }) => {
                self.deployment_command(cmd)
            }
            Command::Filter(None) => {
                let text = self
                    .logs
                    .filter()
                    .map(|f| f.source.clone())
                    .unwrap_or_default();
                self.overlay = Some(Overlay::Filter(LineInput {
                    text,
                    ..LineInput::default()
                }));
            }
            Command::Filter(Some(text)) => self.set_filter(&text),
            Command::CommandLine => self.overlay = Some(Overlay::CommandLine(LineInput::default())),
            Command::Up => self.move_selection(-1),
            Command::Down => self.move_selection(1),
            Command::PageUp => self.move_selection(-10),
            Command::PageDown => self.move_selection(10),
            Command::Top => self.move_selection(isize::MIN / 2),
            Command::Bottom => self.move_selection(isize::MAX / 2),
            Command::Follow => {
                self.logs.follow = !self.logs.follow;
                if self.logs.follow {
                    self.logs.scroll = 0;
                }
            }
            Command::Wrap => self.logs.wrap = !self.logs.wrap,
            Command::Raw => self.logs.raw = !self.logs.raw,
            Command::NextError => {
                if !self.logs.jump_to_next_error() {
                    self.flash(Level::Ok, "no error lines in view");
                }
            }
            Command::Copy => self.copy_step_command(),
            Command::Run(None) => self.run_step_command(),
            Command::Run(Some(command)) => self.run_shell(command),
            Command::Section(which) => self.pick_section(&which),
            Command::LogsAt(when) => self.logs_at(when),
            Command::FirstError => self.first_error(),
            Command::Context(n) => {
                self.logs.context = n.unwrap_or(if self.logs.context == 0 { 3 } else { 0 });
                if self.logs.filter().is_none() {
                    self.flash(
                        Level::Unknown,
                        "context shows around filter matches: set one with /",
                    );
                }
            }
            Command::Role(role, name) => {
                let entry = crate::journal::Entry::role(self.now, self.actor.clone(), role, &name);
                self.record(entry);
                if let Some(inc) = &mut self.incident {
                    inc.roles.insert(role, name);
                }
            }
            Command::Update => {
                let draft = self.draft_status_update();
                let editor =
                    ratatui_textarea::TextArea::new(draft.lines().map(str::to_string).collect());
                self.overlay = Some(Overlay::Note(
                    Box::new(editor),
                    super::NotePurpose::StatusUpdate,
                ));
            }
            Command::Timeline(which) => self.timeline.set_filter(which),
            Command::Silence { minutes, comment } => self.silence_selected(minutes, comment),
            Command::ExpireSilence(id) => self.expire_silence(id),
            cmd @ (Command::Events
            | Command::Nodes
            | Command::Warnings
            | Command::Pin
            | Command::Describe(_)
            | Command::DeletePod(_)
            | Command::Cordon(_)
            | Command::Uncordon(_)
            | Command::Drain(_)
            | Command::HpaMin { .. }) => self.run_cluster_command(cmd),
            Command::Rollout(op, name) => self.rollout_command(op, name),
            cmd @ (Command::Jobs
            | Command::JobRerun(_)
            | Command::CronJobSuspend(_)
            | Command::CronJobResume(_)) => self.run_jobs_command(cmd),
        }
    }

    fn set_paused(&mut self, paused: bool) {
        if !self.caps.pausable_clock {
            self.flash(Level::Warn, "pause and resume work in drills and replays");
            return;
        }
        self.paused = paused;
        self.emit(Effect::SetPaused(paused));
    }

    pub(super) fn set_filter(&mut self, text: &str) {
        if text.is_empty() {
            self.logs.set_filter(None);
            self.offer_filter(None);
            self.flash(Level::Ok, "log filter cleared");
            return;
        }
        match LogFilter::parse(text) {
            Ok(f) => {
                self.logs.set_filter(Some(f));
                self.offer_filter(Some(text));
                self.focus = Pane::Logs;
            }
            Err(e) => self.flash(Level::Crit, e),
        }
    }

    fn set_severity(&mut self, n: u8) {
        let actor = self.actor.clone();
        if self.incident.is_none() {
            self.open_incident(format!("Incident opened by {actor}"), n, actor);
            return;
        }
        if let Some(inc) = &mut self.incident {
            if inc.severity == n {
                return;
            }
            let reason = format!("(was SEV{})", inc.severity);
            inc.severity = n;
            let entry = Entry::severity(self.now, self.actor.clone(), n, &reason);
            self.record(entry);
        }
    }

    fn set_status(&mut self, s: Status) {
        let now = self.now;
        let actor = self.actor.clone();
        if self.incident.is_none() {
            self.open_incident(format!("Incident opened by {actor}"), 3, actor);
        }
        if let Some(inc) = &mut self.incident {
            if inc.status == s {
                return;
            }
            let reason = format!("(was {})", inc.status.as_str());
            inc.status = s;
            if s >= Status::Monitoring && inc.mitigated_at.is_none() {
                inc.mitigated_at = Some(now);
            }
            let entry = Entry::status(now, self.actor.clone(), s, &reason);
            self.record(entry);
            if s == Status::Resolved {
                self.flash(
                    Level::Ok,
                    "incident resolved; `sitrep export` drafts the postmortem",
                );
            }
        }
    }

    fn open_or_retitle(&mut self, title: String) {
        let actor = self.actor.clone();
        match &mut self.incident {
            None => self.open_incident(title, 3, actor),
            Some(inc) => {
                let text = format!("{} → {title}", inc.title);
                inc.title = title;
                self.journal(Kind::Retitled, text, None);
            }
        }
    }

    fn move_selection(&mut self, delta: isize) {
        match self.focus {
            Pane::Alerts => self.select_alert(delta),
            Pane::Pods => {
                if self.move_cluster_selection(delta) {
                    return;
                }
                self.pods.move_selection(delta);
                self.retarget_logs();
            }
            Pane::Gpus => {
                self.gpus.select_by(delta);
                self.select_gpu_pod();
            }
            Pane::Logs => self.scroll_logs(-delta.clamp(-1_000_000, 1_000_000)),
            Pane::Timeline => self.timeline.select_by(delta),
            Pane::Runbook => self.move_runbook_cursor(delta),
            Pane::Signals => {}
        }
    }

    /// Points the log tail at the selected workload or pod, when a tailer takes orders.
    pub(super) fn retarget_logs(&mut self) {
        self.tail_selected();
    }
}
