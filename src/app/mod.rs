//! The cockpit's state and the one place it changes: [`App::update`].

pub mod checklist;
pub mod clocks;
mod commands;
mod input;
pub mod logs;
mod observe;
pub use observe::severity_rank;
pub mod sample;
mod silence;
pub mod state;
mod status_update;
pub mod tail;
pub mod verify;

use jiff::Timestamp;
use ratatui_textarea::TextArea;

use crate::command::{Command, Pane};
use crate::config::{Config, Keymap, Theme};
use crate::event::{Action, Event, Level};
use crate::journal::{Entry, Header, Kind, Outcome};
use logs::LogBuffer;
use state::{AlertEntry, Gpus, IncidentState, KillSwitches, PodsState, SignalState};

/// Which world the cockpit is plugged into.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// A real cluster and monitoring stack.
    Live { context: String, namespace: String },
    /// A scripted incident on a simulated cluster.
    Drill { name: String, speed: f64 },
    /// A recorded incident played back.
    Replay { file: String, speed: f64 },
}

impl Mode {
    /// The banner text: `LIVE ctx/ns`, `DRILL name ×10`, `REPLAY file ×2`.
    pub fn banner(&self) -> String {
        match self {
            Mode::Live { context, namespace } => format!("LIVE {context}/{namespace}"),
            Mode::Drill { name, speed } => format!("DRILL {name} ×{}", fmt_speed(*speed)),
            Mode::Replay { file, speed } => format!("REPLAY {file} ×{}", fmt_speed(*speed)),
        }
    }

    /// Whether actions only touch a simulated world.
    pub fn is_simulated(&self) -> bool {
        !matches!(self, Mode::Live { .. })
    }
}

fn fmt_speed(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

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
        deployment: String,
        selected: usize,
    },
}

/// What the text in the editor becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotePurpose {
    Note,
    StatusUpdate,
}

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
    /// Ask the executor for a server-side dry run of an action awaiting confirmation.
    Preview(Action),
}

/// What the logs pane tails in live mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub namespace: String,
    pub workload: String,
    /// One pod of the workload, or all of them when `None`.
    pub pod: Option<String>,
    /// The pods to follow, most interesting first, at most the stream cap: the cockpit picks
    /// them from its own pod state, so the tailer never lists pods itself.
    pub pods: Vec<String>,
}

impl LogTarget {
    /// Whether both name the same workload or pod (whichever pods are picked).
    pub fn same_target(&self, other: &LogTarget) -> bool {
        (&self.namespace, &self.workload, &self.pod)
            == (&other.namespace, &other.workload, &other.pod)
    }
}

/// A message on the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
}

/// The whole cockpit state.
#[derive(Debug)]
pub struct App {
    pub mode: Mode,
    pub read_only: bool,
    pub paused: bool,
    pub actor: String,
    pub now: Timestamp,
    pub keymap: Keymap,
    pub theme: Theme,
    pub config: Config,
    pub incident: Option<IncidentState>,
    pub signals: Vec<SignalState>,
    pub alerts: Vec<AlertEntry>,
    pub alerts_selected: usize,
    pub pods: PodsState,
    pub gpus: Gpus,
    pub gpus_selected: usize,
    /// `nvidia.com/gpu` capacity and allocatable count by node, from the cluster.
    pub node_gpus: std::collections::BTreeMap<String, (u32, u32)>,
    pub logs: LogBuffer,
    pub kill_switches: KillSwitches,
    /// The runbook checklist, when runbooks are loaded.
    pub checklist: Option<checklist::Checklist>,
    pub timeline: Vec<Entry>,
    pub timeline_selected: Option<usize>,
    pub focus: Pane,
    pub zoom: bool,
    pub overlay: Option<Overlay>,
    pub flash: Option<Flash>,
    /// Terminal size, for mouse hit-testing with the same layout the UI draws.
    pub size: (u16, u16),
    /// The note the operator was writing when the editor closed by accident.
    pub note_draft: Option<Vec<String>>,
    /// Errors from sources, by source name, with when they began.
    pub source_errors: Vec<(String, String, Timestamp)>,
    /// Deadlines already journaled as passed.
    pub deadlines_passed: std::collections::BTreeSet<String>,
    /// The timeline shows only entries of this kind.
    pub timeline_filter: Option<Kind>,
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
    /// A change whose effect is being watched ("did it work?").
    pub verifying: Option<verify::Verification>,
    /// The last change's verdict, for the header.
    pub verdict: Option<String>,
    effects: Vec<Effect>,
}

/// Most timeline entries kept in memory; the journal file keeps them all.
const TIMELINE_CAP: usize = 10_000;

impl App {
    /// A cockpit for `mode` with nothing observed yet.
    pub fn new(
        mode: Mode,
        config: Config,
        keymap: Keymap,
        theme: Theme,
        actor: String,
        now: Timestamp,
    ) -> App {
        let buffer = config.logs.buffer_lines;
        App {
            mode,
            read_only: false,
            paused: false,
            actor,
            now,
            keymap,
            theme,
            config,
            incident: None,
            signals: Vec::new(),
            alerts: Vec::new(),
            alerts_selected: 0,
            pods: PodsState::default(),
            gpus: Gpus::new(),
            gpus_selected: 0,
            node_gpus: Default::default(),
            logs: LogBuffer::new(buffer),
            kill_switches: Vec::new(),
            checklist: None,
            timeline: Vec::new(),
            timeline_selected: None,
            focus: Pane::Alerts,
            zoom: false,
            overlay: None,
            flash: None,
            size: (80, 24),
            note_draft: None,
            source_errors: Vec::new(),
            known_incidents: Vec::new(),
            spark_width: 0,
            deadlines_passed: Default::default(),
            timeline_filter: None,
            health: Vec::new(),
            silences: Vec::new(),
            dirty: true,
            verifying: None,
            verdict: None,
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
                self.observe(obs);
                self.check_verification();
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
                self.dirty = true;
            }
            Event::ActionDone(report) => self.on_action_done(report),
            Event::Journaled(entry) => {
                if self.timeline.len() == TIMELINE_CAP {
                    self.timeline.remove(0);
                }
                self.timeline.push(entry);
                self.dirty = true;
            }
            Event::Previewed(action, result) => self.on_previewed(&action, result),
            Event::JournalFailed(msg) => self.flash(Level::Crit, format!("journal: {msg}")),
            Event::DrillVerdict(at, verdict, text) => {
                if at > self.now {
                    self.now = at;
                }
                self.flash(Level::Ok, text.clone());
                self.record(Entry::verdict(at, "sitrep", verdict, &text));
            }
        }
        std::mem::take(&mut self.effects)
    }

    /// Runs a command as if the operator had typed it.
    pub fn run(&mut self, cmd: Command) -> Vec<Effect> {
        self.run_command(cmd);
        self.tail_if_asked();
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
            mode: self.mode.banner(),
            drill: self.mode.is_simulated(),
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
        let skip = inc.entries.len().saturating_sub(TIMELINE_CAP);
        self.timeline = inc.entries[skip..].to_vec();
        if !self.known_incidents.iter().any(|k| k == inc.id()) {
            self.known_incidents.push(inc.id().to_string());
        }
        self.dirty = true;
    }
}
