//! The one language between the parts: what sources observe and what reaches `App::update`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Everything that can change the cockpit's state, in the order it arrived.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key, mouse or resize event from the terminal.
    Input(crossterm::event::Event),
    /// Something a source saw in the world, stamped with the world's time.
    Observed(Timestamp, Observation),
    /// The mode's clock moved on (wall clock live, simulated clock in drills).
    Tick(Timestamp),
    /// An executor finished an action the operator confirmed.
    ActionDone(ActionReport),
    /// The journal made an entry durable; only now does the timeline show it.
    Journaled(crate::journal::Entry),
    /// The journal could not write; the operator must see it.
    JournalFailed(String),
    /// An executor's dry run of an action awaiting confirmation: lines to show, or why
    /// the server would refuse it.
    Previewed(Action, Result<Vec<String>, String>),
    /// The drill engine judged the response (journaled as an automatic entry).
    DrillVerdict(Timestamp, crate::journal::Kind, String),
}

/// A fact about the world at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Observation {
    /// A source announces a signal it will report, with its thresholds.
    SignalDefined(SignalDef),
    /// The latest value of a signal; `None` when the source could not read it.
    Signal { name: String, value: Option<f64> },
    /// A deployment's current state.
    Deployment(DeploymentStatus),
    /// A pod's current state.
    Pod(PodStatus),
    /// A pod no longer exists.
    PodGone { namespace: String, name: String },
    /// One GPU's current state.
    Gpu(GpuStatus),
    /// An alert's current state.
    Alert(AlertStatus),
    /// A log line from one container.
    Log(LogLine),
    /// Log lines a source had to drop under back-pressure since its last report.
    LogsDropped(u64),
    /// A kill switch's current state as read from the world.
    KillSwitch(KillSwitchStatus),
    /// A source failed; its pane shows the error and when it went stale.
    SourceError { source: String, error: String },
    /// The drill engine paused or resumed its clock.
    ClockPaused(bool),
}

/// Whether a signal is bad when it is high or when it is low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Values above the thresholds are bad (latency, error rate).
    #[default]
    Above,
    /// Values below the thresholds are bad (availability, throughput).
    Below,
}

/// A signal's name, unit and thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalDef {
    /// Name shown in the signals pane.
    pub name: String,
    /// Unit of the values: `ms`, `percent`, `ratio`, `seconds`, `bytes`, `count`.
    pub unit: String,
    /// Value past which the signal is in warning.
    pub warn: Option<f64>,
    /// Value past which the signal is critical.
    pub crit: Option<f64>,
    /// Which side of the thresholds is bad.
    #[serde(default)]
    pub direction: Direction,
}

/// The health of a value against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No value, or no thresholds to judge it by.
    Unknown,
    /// Within thresholds.
    Ok,
    /// Past the warning threshold.
    Warn,
    /// Past the critical threshold.
    Crit,
}

impl SignalDef {
    /// Judges a value against this signal's thresholds.
    pub fn level(&self, value: Option<f64>) -> Level {
        let Some(v) = value else {
            return Level::Unknown;
        };
        let past = |t: Option<f64>| match (t, self.direction) {
            (Some(t), Direction::Above) => v > t,
            (Some(t), Direction::Below) => v < t,
            (None, _) => false,
        };
        if past(self.crit) {
            Level::Crit
        } else if past(self.warn) {
            Level::Warn
        } else {
            Level::Ok
        }
    }
}

/// A deployment as the pods pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    pub namespace: String,
    pub name: String,
    /// `deployment.kubernetes.io/revision` of the current template.
    pub revision: u64,
    /// Desired replicas.
    pub replicas: u32,
    pub ready: u32,
    pub updated: u32,
    pub available: u32,
    /// Image of the first container of the current template.
    pub image: String,
    /// Revisions kept, newest first, for the rollback dialog.
    pub history: Vec<RevisionInfo>,
    /// Whether the deployment's pods use GPUs.
    #[serde(default)]
    pub gpu: bool,
    /// Rollout trouble from its conditions: `ProgressDeadlineExceeded: ...`, `ReplicaFailure`.
    #[serde(default)]
    pub problems: Vec<String>,
}

/// One revision of a deployment (a ReplicaSet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionInfo {
    pub revision: u64,
    pub image: String,
    pub change_cause: String,
    pub created: Timestamp,
}

/// A pod as the pods pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodStatus {
    pub namespace: String,
    pub name: String,
    /// Owning workload (deployment) name.
    pub workload: String,
    /// Revision of the workload this pod belongs to.
    pub revision: u64,
    /// Pending, Running, Succeeded, Failed, Unknown.
    pub phase: String,
    /// Why the pod is not well: CrashLoopBackOff, OOMKilled, ContainerCreating...
    pub reason: Option<String>,
    pub ready: bool,
    pub restarts: u32,
    /// The last termination's reason and time, if a container has terminated.
    pub last_termination: Option<(String, Timestamp)>,
    pub node: String,
    pub created: Timestamp,
}

/// One GPU as the GPU pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuStatus {
    pub host: String,
    pub index: u32,
    pub model: String,
    /// Utilisation in percent.
    pub util: Option<f64>,
    /// Frame buffer used and total, in MiB as DCGM reports them.
    pub mem_used_mib: Option<f64>,
    pub mem_total_mib: Option<f64>,
    pub temp_c: Option<f64>,
    pub power_w: Option<f64>,
    /// The last XID error code, if any.
    pub xid: Option<u32>,
    /// The pod using this GPU, when known.
    pub pod: Option<String>,
}

/// Whether an alert is firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Firing,
    Resolved,
}

impl AlertState {
    /// The word the alerts pane and the journal use.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

/// An alert as the alerts pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertStatus {
    pub name: String,
    /// The `severity` label: critical, warning, info.
    pub severity: String,
    pub state: AlertState,
    /// When it started firing.
    pub since: Timestamp,
    pub summary: String,
    pub runbook_url: Option<String>,
    /// The value that made it fire and its threshold, as text (`5xx 4.1% > 3%`).
    pub detail: String,
}

/// One line of a container's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub at: Timestamp,
    pub pod: String,
    pub container: String,
    pub text: String,
}

/// A kill switch's state as read from the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillSwitchStatus {
    pub name: String,
    pub description: String,
    /// `None` when the state could not be read.
    pub on: Option<bool>,
}

/// A world-changing action, as confirmed by the operator and sent to an executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Roll a deployment back to a revision (the previous one when `None`).
    Rollback {
        deployment: String,
        revision: Option<u64>,
    },
    /// Replace every pod of a deployment, as `kubectl rollout restart` does.
    Restart { deployment: String },
    /// Set a deployment's replicas.
    Scale { deployment: String, replicas: u32 },
    /// Turn a kill switch on or off.
    KillSwitch { name: String, on: bool },
}

impl Action {
    /// The command line that asks for this action.
    pub fn command_line(&self) -> String {
        match self {
            Action::Rollback {
                deployment,
                revision: Some(r),
            } => format!("rollback {deployment} {r}"),
            Action::Rollback {
                deployment,
                revision: None,
            } => format!("rollback {deployment}"),
            Action::Restart { deployment } => format!("restart {deployment}"),
            Action::Scale {
                deployment,
                replicas,
            } => format!("scale {deployment} {replicas}"),
            Action::KillSwitch { name, on } => {
                format!("kill-switch {name} {}", if *on { "on" } else { "off" })
            }
        }
    }
}

/// What an executor says about an action it carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    pub action: Action,
    pub outcome: ActionOutcome,
    /// What happened, for the timeline: `snapbuilder-serving rolled back from revision 3 to 2`.
    pub detail: String,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    Ok,
    Refused,
    Failed,
    DryRun,
}
