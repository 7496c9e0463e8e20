//! What each operator command does to the state.

use crate::command::{Command, FocusTarget, Pane, Status};
use crate::event::{Action, Level};
use crate::journal::{Entry, Kind};

use super::logs::LogFilter;
use super::{App, Effect, LineInput, Overlay};

/// The confirmation's placeholder until the server's dry run answers.
const DRY_RUN_PENDING: &str = "Server dry run (dryRun=All): asking the API server…";

impl App {
    pub(super) fn run_command(&mut self, cmd: Command) {
        if cmd.is_world_changing() && self.read_only {
            self.flash(Level::Warn, "read-only: sitrep will not change anything");
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
            Command::Check => self.toggle_step(),
            Command::Severity(n) => self.set_severity(n),
            Command::Status(s) => self.set_status(s),
            Command::IncidentOpen(title) => self.open_or_retitle(title),
            Command::KillSwitch { name: None, .. } => {
                if self.kill_switches.is_empty() {
                    self.flash(Level::Warn, "no kill switches are configured");
                } else {
                    self.overlay = Some(Overlay::KillSwitchMenu { selected: 0 });
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
            Command::Rollback {
                deployment: None, ..
            } => match self.pods.selected_workload() {
                Some(d) if self.pods.deployment(d).is_some() => {
                    self.overlay = Some(Overlay::RollbackDialog {
                        deployment: d.to_string(),
                        selected: 0,
                    });
                }
                _ => self.flash(
                    Level::Warn,
                    "select a deployment in the pods pane first (or `:rollback <deployment>`)",
                ),
            },
            Command::Restart { deployment: None } => match self.pods.selected_workload() {
                Some(d) => {
                    let deployment = d.to_string();
                    self.confirm(Action::Restart { deployment });
                }
                None => self.flash(Level::Warn, "select a deployment in the pods pane first"),
            },
            cmd @ (Command::Rollback { .. } | Command::Restart { .. } | Command::Scale { .. }) => {
                if let Some(action) = cmd.action() {
                    self.confirm(action);
                }
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
            Command::Timeline(which) => {
                use crate::command::TimelineFilter;
                self.timeline_filter = match which {
                    TimelineFilter::All => None,
                    TimelineFilter::Only(k) => Some(k),
                    TimelineFilter::Next => {
                        // Cycle through the kinds the timeline holds, then back to all.
                        let mut kinds: Vec<Kind> = self.timeline.iter().map(|e| e.kind).collect();
                        kinds.sort();
                        kinds.dedup();
                        match self
                            .timeline_filter
                            .and_then(|k| kinds.iter().position(|x| *x == k))
                        {
                            Some(i) => kinds.get(i + 1).copied(),
                            None => kinds.first().copied(),
                        }
                    }
                };
                self.timeline_selected = None;
            }
            Command::Silence { minutes, comment } => self.silence_selected(minutes, comment),
            Command::ExpireSilence(id) => self.expire_silence(id),
        }
    }

    fn set_paused(&mut self, paused: bool) {
        if !self.mode.is_simulated() {
            self.flash(Level::Warn, "pause and resume work in drills and replays");
            return;
        }
        self.paused = paused;
        self.emit(Effect::SetPaused(paused));
    }

    pub(super) fn set_filter(&mut self, text: &str) {
        if text.is_empty() {
            self.logs.set_filter(None);
            self.flash(Level::Ok, "log filter cleared");
            return;
        }
        match LogFilter::parse(text) {
            Ok(f) => {
                self.logs.set_filter(Some(f));
                self.focus = Pane::Logs;
            }
            Err(e) => self.flash(Level::Crit, e),
        }
    }

    fn ack_selected(&mut self) {
        let Some(alert) = self.alerts.get_mut(self.alerts_selected) else {
            self.flash(Level::Warn, "no alert to acknowledge");
            return;
        };
        if alert.acked {
            let name = alert.status.name.clone();
            self.flash(Level::Ok, format!("{name} is already acknowledged"));
            return;
        }
        alert.acked = true;
        let name = alert.status.name.clone();
        let now = self.now;
        if let Some(inc) = &mut self.incident
            && inc.acked_at.is_none()
        {
            inc.acked_at = Some(now);
        }
        self.journal(Kind::Ack, name.clone(), None);
        self.flash(Level::Ok, format!("acknowledged {name}"));
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

    /// Opens the confirmation for an action, with exactly what it will change.
    pub(super) fn confirm(&mut self, action: Action) {
        let lines = match self.describe(&action) {
            Ok(lines) => lines,
            Err(e) => {
                self.flash(Level::Crit, e);
                return;
            }
        };
        let typed_at = self
            .config
            .kubernetes
            .as_ref()
            .map_or(2, |k| k.typed_confirm_severity);
        let typed_required = match (&action, &self.incident) {
            (
                Action::Rollback { deployment, .. }
                | Action::Restart { deployment }
                | Action::Scale { deployment, .. },
                Some(inc),
            ) if inc.severity <= typed_at && !self.mode.is_simulated() => Some(deployment.clone()),
            _ => None,
        };
        let mut lines = lines;
        if !self.mode.is_simulated() {
            lines.push(DRY_RUN_PENDING.to_string());
            self.emit(Effect::Preview(action.clone()));
        }
        self.overlay = Some(Overlay::Confirm {
            action,
            lines,
            typed_required,
            typed: String::new(),
        });
    }

    /// Puts a dry run's answer into the confirmation it was asked for, if still open.
    pub(super) fn on_previewed(&mut self, action: &Action, result: Result<Vec<String>, String>) {
        let Some(Overlay::Confirm {
            action: open,
            lines,
            ..
        }) = &mut self.overlay
        else {
            return;
        };
        if open != action {
            return;
        }
        lines.retain(|l| l != DRY_RUN_PENDING);
        match result {
            Ok(more) => lines.extend(more),
            Err(why) => lines.push(format!("⚠ {why}")),
        }
        self.dirty = true;
    }

    /// What an action will change, or why it cannot be done.
    fn describe(&self, action: &Action) -> Result<Vec<String>, String> {
        let ns = &self.pods.namespace;
        let deployment = |name: &str| {
            self.pods.deployment(name).ok_or_else(|| {
                format!(
                    "no deployment `{name}`; known: {}",
                    self.pods.deployment_names().join(", ")
                )
            })
        };
        let mut lines = match action {
            Action::Silence { .. } | Action::ExpireSilence { .. } => {
                let mut lines = self.describe_silence(action);
                if self.mode.is_simulated() {
                    lines.push("Only the simulated Alertmanager changes.".to_string());
                }
                return Ok(lines);
            }
            Action::Rollback {
                deployment: name,
                revision,
            } => {
                let d = deployment(name)?;
                let target = match revision {
                    Some(r) => d.history.iter().find(|h| h.revision == *r),
                    None => d.history.iter().find(|h| h.revision < d.revision),
                };
                let Some(target) = target else {
                    let kept: Vec<String> =
                        d.history.iter().map(|h| h.revision.to_string()).collect();
                    return Err(match revision {
                        Some(r) => format!("{name} has no revision {r}; kept: {}", kept.join(", ")),
                        None => format!("{name} has no earlier revision to roll back to"),
                    });
                };
                if target.revision == d.revision {
                    return Err(format!("{name} is already at revision {}", d.revision));
                }
                let mut lines = vec![
                    format!("Roll back deployment {ns}/{name}"),
                    format!("  from revision {} ({})", d.revision, d.image),
                    format!("    to revision {} ({})", target.revision, target.image),
                    format!(
                        "  {}",
                        if target.change_cause.is_empty() {
                            "-"
                        } else {
                            &target.change_cause
                        }
                    ),
                    format!("{} pods will be replaced, one at a time.", d.replicas),
                ];
                let current = d.history.iter().find(|h| h.revision == d.revision);
                let diff = crate::event::template_diff(
                    current.map_or(&[][..], |c| c.template.as_slice()),
                    &target.template,
                );
                if !diff.is_empty() {
                    lines.push("Pod template changes:".into());
                    lines.extend(diff.into_iter().map(|l| format!("  {l}")));
                }
                lines
            }
            Action::Restart { deployment: name } => {
                let d = deployment(name)?;
                vec![
                    format!("Restart deployment {ns}/{name} (revision {})", d.revision),
                    format!(
                        "All {} pods will be replaced, one at a time, with the same image.",
                        d.replicas
                    ),
                ]
            }
            Action::Scale {
                deployment: name,
                replicas,
            } => {
                let d = deployment(name)?;
                let change = i64::from(*replicas) - i64::from(d.replicas);
                vec![
                    format!(
                        "Scale deployment {ns}/{name} from {} to {replicas} replicas",
                        d.replicas
                    ),
                    match change {
                        0 => "Nothing changes.".to_string(),
                        c if c > 0 => format!("{c} pods will be added."),
                        c => format!("{} pods will be removed.", -c),
                    },
                ]
            }
            Action::Shell { command } => {
                let mut lines = vec![
                    "Run in a shell on this machine:".to_string(),
                    format!("  $ {command}"),
                ];
                if self.mode.is_simulated() {
                    lines.push(
                        "In a drill the command is echoed to the timeline, never run.".into(),
                    );
                }
                return Ok(lines);
            }
            Action::KillSwitch { name, on } => {
                let ks = self
                    .kill_switches
                    .iter()
                    .find(|k| &k.name == name)
                    .ok_or_else(|| format!("no kill switch `{name}`"))?;
                let now = match ks.on {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "unknown",
                };
                vec![
                    format!(
                        "Kill switch {name}: {now} → {}",
                        if *on { "on" } else { "off" }
                    ),
                    ks.description.clone(),
                ]
            }
        };
        let bad: Vec<String> = self
            .signals
            .iter()
            .filter(|s| s.level() >= Level::Warn)
            .map(|s| {
                format!(
                    "{} {}",
                    s.def.name,
                    crate::ui::format::value(s.value, &s.def.unit)
                )
            })
            .collect();
        if !bad.is_empty() {
            lines.push(format!("Signals now: {}", bad.join(", ")));
        }
        if self.mode.is_simulated() {
            lines.push("Only the simulated cluster changes.".to_string());
        }
        Ok(lines)
    }

    fn move_selection(&mut self, delta: isize) {
        let step = |sel: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (sel as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Pane::Alerts => {
                self.alerts_selected = step(self.alerts_selected, self.alerts.len());
                // The checklist follows the selected alert unless the operator pinned a section.
                if let (Some(c), Some(a)) =
                    (&mut self.checklist, self.alerts.get(self.alerts_selected))
                    && let Some((b, s, rule)) = &a.runbook
                    && !c.pinned
                {
                    c.book = *b;
                    c.section = *s;
                    c.cursor = 0;
                    c.rule = format!("{}: {rule}", a.status.name);
                }
            }
            Pane::Pods => {
                self.pods.move_selection(delta);
                self.retarget_logs();
            }
            Pane::Gpus => self.gpus_selected = step(self.gpus_selected, self.gpus.len()),
            Pane::Logs => self.logs.scroll_by(-delta.clamp(-1_000_000, 1_000_000)),
            Pane::Timeline => {
                let filter = self.timeline_filter;
                let len = self
                    .timeline
                    .iter()
                    .filter(|e| filter.is_none_or(|k| e.kind == k))
                    .count();
                let cur = self.timeline_selected.unwrap_or(len.saturating_sub(1));
                self.timeline_selected = Some(step(cur, len));
            }
            Pane::Runbook => self.move_runbook_cursor(delta),
            Pane::Signals => {}
        }
    }

    /// In live mode, points the log tail at the selected workload or pod.
    pub(super) fn retarget_logs(&mut self) {
        self.tail_selected();
    }
}
