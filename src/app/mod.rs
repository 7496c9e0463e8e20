//! The cockpit's state and the one place it changes: [`App::update`].

pub mod capabilities;
pub use capabilities::{Capabilities, Mode};
pub mod access;
pub mod alert_target;
pub mod alerts;
pub mod checklist;
pub mod clocks;
pub mod cluster;
mod commands;
mod drill_end;
pub mod first_error;
pub mod gpus;
pub mod history;
mod input;
pub mod jobs;
pub mod layout;
pub mod logs;
pub mod native_step;
mod observe;
pub mod overlay;

pub use overlay::{LineInput, NotePurpose, Overlay};
pub mod sample;
mod self_verify;
pub mod services;
mod silence;
pub mod state;
mod status_update;
pub mod suggest;
pub mod tail;
mod targets;
pub mod timeline;
pub mod verify;
pub use alerts::severity_rank;

use jiff::Timestamp;

use crate::command::{Command, Pane};
use crate::config::{Config, Keymap, Theme};
use crate::event::{Action, Event, Level, Observation};
use crate::journal::{Entry, Header, Kind, Outcome};
use logs::LogBuffer;
use state::{IncidentState, KillSwitches, PodsState, SignalState, SourceErrors};

/// Something `update` asks the outside world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// The signals pane now draws sparklines this many columns wide.
    SparkWidth(u16),
    /// Carry out a confirmed action with the mode's executor.
    Execute(Action),
    /// Write an incident heading and header.
    JournalBegin(Header),
    /// Append one entry to an incident.
    JournalAppend {
        incident: String,
        entry: Entry,
    },
    /// Stop or start the drill clock.
    SetPaused(bool),
    /// Put text on the clipboard (OSC 52).
    Clipboard(String),
    /// Tail the logs of a workload's pods (or of one pod), replacing the current tail.
    TailLogs(LogTarget),
    /// Ask the log store for older lines, a moment, or a server-side filter.
    QueryLogs(crate::event::LogQuery),
    /// Ask the executor for a server-side dry run of an action awaiting confirmation.
    Preview(Action),
    /// A transport command for the replay engine.
    Replay(crate::replay::Transport),
    /// Write a drill's scorecard to the files it names.
    WriteScorecard(Box<crate::drill::scorecard::Scorecard>),
    /// Ask the API server for a pod's or deployment's describe view.
    Describe(crate::cluster::DescribeTarget),
}

/// Kept here too, so code that named it `app::LogTarget` still builds.
pub use crate::event::LogTarget;

/// A message on the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
}

/// The whole cockpit state.
#[derive(Debug)]
pub struct App {
    /// What this mode may do: previews, the clock, the journal, the banner.
    pub caps: Capabilities,
    pub read_only: bool,
    pub paused: bool,
    pub actor: String,
    pub now: Timestamp,
    pub keymap: Keymap,
    pub theme: Theme,
    pub config: Config,
    pub incident: Option<IncidentState>,
    pub signals: Vec<SignalState>,
    pub alerts: alerts::AlertsPane,
    pub pods: PodsState,
    pub gpus: gpus::GpusPane,
    /// Events, nodes and autoscalers: the pods pane's other views.
    pub cluster: cluster::ClusterPane,
    pub logs: LogBuffer,
    /// Where the logs pane's lines come from and the history asked for.
    pub log_source: history::LogSourceState,
    pub kill_switches: KillSwitches,
    /// The runbook checklist, when runbooks are loaded.
    pub checklist: Option<checklist::Checklist>,
    pub timeline: timeline::TimelinePane,
    pub focus: Pane,
    pub zoom: bool,
    pub overlay: Option<Overlay>,
    pub flash: Option<Flash>,
    /// Terminal size, for mouse hit-testing with the same layout the UI draws.
    pub size: (u16, u16),
    /// The note the operator was writing when the editor closed by accident.
    pub note_draft: Option<Vec<String>>,
    /// Errors from sources, by source name, with when they began.
    pub source_errors: SourceErrors,
    /// Deadlines already journaled as passed.
    pub deadlines_passed: std::collections::BTreeSet<String>,
    /// The sparkline width last told to the sources.
    pub spark_width: u16,
    /// Incident ids already in the journal, so a new one never repeats them.
    pub known_incidents: Vec<String>,
    /// Health probes in the order first seen.
    pub health: Vec<state::HealthEntry>,
    /// Silences as the alert source last listed them.
    pub silences: Vec<crate::event::SilenceStatus>,
    /// Set whenever something on screen changed; the loop draws and clears it.
    pub dirty: bool,
    /// Why the journal cannot write right now (entries are kept and retried); the header
    /// says so until it writes again.
    pub journal_failing: Option<String>,
    /// A change whose effect is being watched ("did it work?").
    pub verifying: Option<verify::Verification>,
    /// The last change's verdict, for the header.
    pub verdict: Option<String>,
    /// What the flight recorder reported last (live mode).
    pub recorder: Option<crate::recording::recorder::RecorderStatus>,
    /// Where a replay stands and the original responder's actions.
    pub replay: crate::replay::ReplayState,
    /// A drill's reference response and what is scored against it (drills only).
    pub drill: Option<crate::drill::scorecard::DrillScoring>,
    /// Scaling and flag flips seen happen, for the changes before an alert.
    pub changes: suggest::ObservedChanges,
    /// What the identity may not see or do (live clusters).
    pub access: access::AccessState,
    effects: Vec<Effect>,
}

impl App {
    /// A cockpit with nothing observed yet, with what its mode may do (a [`Mode`] gives
    /// its usual [`Capabilities`]).
    pub fn new(
        caps: impl Into<Capabilities>,
        config: Config,
        mut keymap: Keymap,
        theme: Theme,
        actor: String,
        now: Timestamp,
    ) -> App {
        let buffer = config.logs.buffer_lines;
        keymap.bind_kill_switches(&config.kill_switches);
        App {
            caps: caps.into(),
            read_only: false,
            paused: false,
            actor,
            now,
            keymap,
            theme,
            config,
            incident: None,
            signals: Vec::new(),
            alerts: Default::default(),
            pods: PodsState::default(),
            gpus: Default::default(),
            cluster: Default::default(),
            logs: LogBuffer::new(buffer),
            log_source: Default::default(),
            kill_switches: Vec::new(),
            checklist: None,
            timeline: Default::default(),
            focus: Pane::Alerts,
            zoom: false,
            overlay: None,
            flash: None,
            size: (80, 24),
            note_draft: None,
            source_errors: SourceErrors::default(),
            known_incidents: Vec::new(),
            spark_width: 0,
            deadlines_passed: Default::default(),
            health: Vec::new(),
            silences: Vec::new(),
            dirty: true,
            journal_failing: None,
            verifying: None,
            verdict: None,
            recorder: None,
            replay: Default::default(),
            drill: None,
            changes: Default::default(),
            access: Default::default(),
            effects: Vec::new(),
        }
    }

    /// Folds one event into the state and returns what must happen outside. No I/O.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Input(ev) => {
                self.on_input(ev);
                self.tail_if_asked();
            }
            Event::Observed(at, obs) => {
                if at > self.now {
                    self.now = at;
                }
                // Log lines never move a step's criterion: no need to look at each.
                let measured = !matches!(obs, Observation::Log(_) | Observation::Logs(_));
                self.observe(obs);
                self.check_verification();
                if measured {
                    self.check_self_verifying_steps();
                }
                self.dirty = true;
            }
            Event::Tick(at) => {
                if at > self.now {
                    self.now = at;
                }
                // Deadlines move with the clock alone: checking them once a tick, not once
                // per log line, is enough.
                if self.incident.is_some() {
                    self.check_deadlines();
                }
                self.refresh_tail();
                self.check_verification();
                self.check_self_verifying_steps();
                self.dirty = true;
            }
            Event::ActionDone(report) => {
                self.note_drill_action(&report);
                self.on_action_done(report)
            }
            Event::DrillEnded(at, reason) => {
                if at > self.now {
                    self.now = at;
                }
                self.end_drill(reason);
            }
            Event::Journaled(entry) => {
                self.timeline.push(entry);
                self.dirty = true;
            }
            Event::Previewed(action, result) => self.on_previewed(&action, result),
            Event::JournalFailed(msg) => {
                self.journal_failing = Some(msg.clone());
                self.flash(Level::Crit, format!("journal failing: {msg}"));
            }
            Event::JournalRecovered => {
                self.journal_failing = None;
                self.flash(
                    Level::Ok,
                    "journal: written again, nothing lost".to_string(),
                );
            }
            // A signal is a confirmed quit: the drill's incident ends, the journal is flushed.
            Event::Terminated(_) => self.terminate(),
            Event::DrillVerdict(at, verdict, text) => {
                if at > self.now {
                    self.now = at;
                }
                self.flash(Level::Ok, text.clone());
                self.record(Entry::verdict(at, "sitrep", verdict, &text));
            }
            Event::Recorder(status) => {
                self.recorder = Some(status);
                self.dirty = true;
            }
            Event::Replay(ev) => crate::replay::apply(self, ev),
            Event::Described(target, result) => self.on_described(target, result),
        }
        self.refresh_event_rows();
        std::mem::take(&mut self.effects)
    }

    /// Runs a command as if the operator had typed it.
    pub fn run(&mut self, cmd: Command) -> Vec<Effect> {
        self.run_command(cmd);
        self.tail_if_asked();
        self.refresh_event_rows();
        self.dirty = true;
        std::mem::take(&mut self.effects)
    }

    /// Resumes an incident left open in the journal by an earlier run.
    pub fn resume_incident(&mut self, incident: IncidentState) {
        self.incident = Some(incident);
        self.dirty = true;
    }

    fn flash(&mut self, level: Level, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            level,
        });
        self.dirty = true;
    }

    fn emit(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Opens an incident (journaled) unless one is open.
    fn open_incident(&mut self, title: String, severity: u8, actor: String) {
        if self.incident.is_some() {
            return;
        }
        let known: Vec<&str> = self.known_incidents.iter().map(String::as_str).collect();
        let id = crate::journal::new_id(self.now, &known);
        self.known_incidents.push(id.clone());
        let header = Header {
            id: id.clone(),
            title: title.clone(),
            opened_at: self.now,
            mode: self.caps.banner.clone(),
            drill: self.caps.drill_journal,
            severity,
            opened_by: actor,
        };
        self.incident = Some(IncidentState {
            id,
            title,
            severity,
            status: crate::command::Status::Investigating,
            opened_at: self.now,
            acked_at: None,
            mitigated_at: None,
            last_update: None,
            roles: Default::default(),
        });
        // The journal marks a drill's heading and writes its first `drill` entry itself.
        self.emit(Effect::JournalBegin(header));
    }

    /// Journals an entry by the operator, opening an incident first if none is open.
    fn journal(&mut self, kind: Kind, text: impl Into<String>, outcome: Option<Outcome>) {
        let actor = self.actor.clone();
        self.journal_as(&actor, kind, text.into(), outcome);
    }

    fn journal_as(&mut self, actor: &str, kind: Kind, text: String, outcome: Option<Outcome>) {
        let entry = Entry {
            at: self.now,
            actor: actor.to_string(),
            kind,
            text,
            outcome,
        };
        self.record(entry);
    }

    /// Appends a ready-made entry to the open incident, opening one first if needed.
    pub(crate) fn record(&mut self, entry: Entry) {
        if self.incident.is_none() {
            let actor = self.actor.clone();
            self.open_incident(format!("Incident opened by {actor}"), 3, actor);
        }
        let Some(incident) = &self.incident else {
            return;
        };
        let incident = incident.id.clone();
        self.emit(Effect::JournalAppend { incident, entry });
    }
}

#[cfg(test)]
mod tests;

/// `sel` moved by `delta` within `len` rows (0 when there are none).
pub(crate) fn step(sel: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (sel as isize)
        .saturating_add(delta)
        .clamp(0, len as isize - 1) as usize
}

impl App {
    /// Picks up an incident an earlier run left open in the journal: its state, its roles,
    /// its timeline, so a restarted cockpit carries on instead of opening a new one.
    pub fn resume_from(&mut self, inc: &crate::journal::Incident) {
        let last_update = inc
            .entries
            .iter()
            .rev()
            .find(|e| e.kind == Kind::StatusUpdate)
            .map(|e| e.at);
        self.incident = Some(IncidentState {
            id: inc.id().to_string(),
            title: inc.title().to_string(),
            severity: inc.severity(),
            status: inc.status(),
            opened_at: inc.started_at(),
            acked_at: inc.acknowledged_at(),
            mitigated_at: inc.mitigated_at(),
            last_update,
            roles: inc.roles().into_iter().collect(),
        });
        self.timeline.replace(&inc.entries);
        if !self.known_incidents.iter().any(|k| k == inc.id()) {
            self.known_incidents.push(inc.id().to_string());
        }
        self.dirty = true;
    }
}
