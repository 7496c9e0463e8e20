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
    /// The journal writes again: everything kept in memory is on disk.
    JournalRecovered,
    /// An executor's dry run of an action awaiting confirmation: lines to show, or why
    /// the server would refuse it.
    Previewed(Action, Result<Vec<String>, String>),
    /// A signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) asked sitrep to stop: leave as a
    /// confirmed quit does.
    Terminated(i32),
    /// The drill engine judged the response (journaled as an automatic entry).
    DrillVerdict(Timestamp, crate::journal::Verdict, String),
    /// What the flight recorder is doing, for the header.
    Recorder(crate::recording::recorder::RecorderStatus),
    /// The replay engine's news: where it stands, an original action, a seek.
    Replay(crate::replay::ReplayEvent),
    /// The drill ended by itself (resolved, or its time is up): time for the scorecard.
    DrillEnded(Timestamp, crate::drill::scorecard::EndReason),
}

/// A fact about the world at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Observation {
    /// A source announces a signal it will report, with its thresholds.
    SignalDefined(SignalDef),
    /// The latest value of a signal; `None` when the source could not read it.
    Signal { name: String, value: Option<f64> },
    /// A signal's query answered with no series at all (not an error, not stale): the
    /// pane says "no data" and shows the query, so a wrong label is seen as such.
    SignalNoData { name: String, query: String },
    /// A deployment's current state.
    Deployment(DeploymentStatus),
    /// A pod's current state.
    Pod(PodStatus),
    /// A pod no longer exists.
    PodGone { namespace: String, name: String },
    /// A deployment no longer exists.
    DeploymentGone { namespace: String, name: String },
    /// One GPU's current state.
    Gpu(GpuStatus),
    /// A node's `nvidia.com/gpu` capacity and allocatable count (0 and 0: the node is gone).
    NodeGpus {
        node: String,
        capacity: u32,
        allocatable: u32,
    },
    /// An alert's current state.
    Alert(AlertStatus),
    /// A log line from one container.
    Log(LogLine),
    /// Log lines from many containers, merged in timestamp order (one event per batch).
    Logs(#[serde(with = "items")] Vec<LogLine>),
    /// Streams of the log tail that stopped for a while: where the tail misses evidence.
    LogGaps(#[serde(with = "items")] Vec<LogGap>),
    /// Log lines a source had to drop under back-pressure since its last report.
    LogsDropped(u64),
    /// What the log tailer follows now: pods and container streams (at most the cap).
    LogTail { pods: usize, streams: usize },
    /// A page of history from a log store, oldest first.
    LogHistory(LogHistory),
    /// Where the logs pane's lines come from now, and why (the pane's title says it).
    LogSource(LogSourceStatus),
    /// A kill switch's current state as read from the world.
    KillSwitch(KillSwitchStatus),
    /// A source failed; its pane shows the error and when it went stale.
    SourceError { source: String, error: String },
    /// A source that had failed answers again; its pane drops the stale mark.
    SourceRecovered { source: String },
    /// Timestamped points of a signal for its sparkline; `reset` replaces what was kept.
    SignalSeries {
        name: String,
        points: Vec<(Timestamp, f64)>,
        reset: bool,
    },
    /// A signal's error budget and burn rates.
    Slo(SloStatus),
    /// One health probe's result.
    Health(HealthStatus),
    /// The silences Alertmanager holds now (the whole list, replacing the last one).
    Silences(#[serde(with = "items")] Vec<SilenceStatus>),
    /// The GPUs a source reports now (the whole list; GPUs not in it are gone).
    GpuList(#[serde(with = "items")] Vec<GpuStatus>),
    /// The drill engine paused or resumed its clock.
    ClockPaused(bool),
    /// A watch, list or log stream answered 403: said once, until it is allowed again.
    Forbidden(crate::access::Forbidden),
    /// A resource forbidden before answers again in `namespace`.
    Allowed { resource: String, namespace: String },
    /// What the identity may do, from the API server's access reviews at start.
    Access(crate::access::AccessReport),
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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
    /// The pod template in short, one fact a line (`serving: image …`, `serving: env K=V`),
    /// so two revisions can be compared line by line.
    #[serde(default)]
    pub template: Vec<String>,
}

/// What changes between two pod templates: `-` lines go away, `+` lines come.
pub fn template_diff(from: &[String], to: &[String]) -> Vec<String> {
    let gone = from
        .iter()
        .filter(|l| !to.contains(l))
        .map(|l| format!("- {l}"));
    let come = to
        .iter()
        .filter(|l| !from.contains(l))
        .map(|l| format!("+ {l}"));
    gone.chain(come).collect()
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
    /// The `description` annotation.
    #[serde(default)]
    pub description: String,
    /// Every label, for silences' matchers.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// IDs of the silences that mute it.
    #[serde(default)]
    pub silenced_by: Vec<String>,
}

/// One pair of the multi-window burn-rate alerts of the SRE workbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnPair {
    /// The long and short windows, in PromQL spelling (`1h`, `5m`).
    pub long: String,
    pub short: String,
    /// The burn rate both windows must exceed.
    pub factor: f64,
    /// Burn rates (error ratio over the budget) in each window; `None` without data.
    pub long_rate: Option<f64>,
    pub short_rate: Option<f64>,
    /// Both windows burn above `factor`.
    pub firing: bool,
}

/// A signal's SLO: objective, budget left and burn rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloStatus {
    /// The signal's name.
    pub name: String,
    /// Objective in percent.
    pub objective: f64,
    /// The SLO window, in PromQL spelling (`30d`).
    pub window: String,
    /// Fraction of the error budget left over the window (negative when overspent).
    pub budget_left: Option<f64>,
    pub burn: Vec<BurnPair>,
}

/// One health probe's latest result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthStatus {
    pub name: String,
    pub url: String,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    pub latency_ms: Option<f64>,
    pub ok: bool,
    /// Why the probe failed, when it did.
    pub error: Option<String>,
}

/// A silence in Alertmanager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceStatus {
    pub id: String,
    /// `name=value` (or `name=~regex`) matchers as text.
    pub matchers: Vec<String>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub comment: String,
    /// active, pending or expired.
    pub state: String,
}

/// One line of a container's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub at: Timestamp,
    pub pod: String,
    pub container: String,
    pub text: String,
}

/// A stretch of time a container's log stream was not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGap {
    pub pod: String,
    pub container: String,
    /// The last line read before the stream stopped (or when it stopped, if none was).
    pub from: Timestamp,
    /// When reading resumed; `None` when the stream ended for good.
    pub to: Option<Timestamp>,
    /// What happened: `reconnected`, `container restarted`, `pod gone`...
    pub why: String,
}

impl LogGap {
    /// The marker the merged tail shows: `pod: no logs 12:03:41–12:03:55, reconnected`.
    pub fn describe(&self, pod: &str) -> String {
        let tod = |t: Timestamp| t.strftime("%H:%M:%S").to_string();
        match self.to {
            Some(to) => format!(
                "{pod}: no logs {}–{}, {}",
                tod(self.from),
                tod(to),
                self.why
            ),
            None => format!("{pod}: no logs after {}, {}", tod(self.from), self.why),
        }
    }
}

/// A page of log history (from Loki's `query_range`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LogHistory {
    /// Oldest first.
    pub lines: Vec<LogLine>,
    /// The page replaces what the pane holds (a new target or a new server-side filter).
    #[serde(default)]
    pub reset: bool,
    /// Nothing older is left to ask for, as far back as the store keeps.
    #[serde(default)]
    pub complete: bool,
    /// The page answers a jump: the view moves to the first line at or after this time.
    #[serde(default)]
    pub anchor: Option<Timestamp>,
}

/// Where the logs pane's lines come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LogSourceStatus {
    /// `loki`, `kube`, `loki+kube`.
    pub backend: String,
    /// The filter Loki applies, as LogQL (`|= "ERROR"`), when the `/` filter runs there.
    #[serde(default)]
    pub server_filter: Option<String>,
    /// What went wrong and what the pane does instead: `loki down: …; kube tail`.
    #[serde(default)]
    pub problem: Option<String>,
}

/// What the logs pane asks of a log store besides a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogQuery {
    /// The page before the oldest line shown (the operator scrolled past the top).
    Older,
    /// Lines around a moment (`:logs-at 14:02`).
    At(Timestamp),
    /// The `/` filter changed (`regex` or `!regex`; `None` cleared it).
    Filter(Option<String>),
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
        /// Exactly where the deployment is: the executor acts there or refuses.
        #[serde(default)]
        place: Place,
    },
    /// Replace every pod of a deployment, as `kubectl rollout restart` does.
    Restart {
        deployment: String,
        #[serde(default)]
        place: Place,
    },
    /// Set a deployment's replicas.
    Scale {
        deployment: String,
        replicas: u32,
        #[serde(default)]
        place: Place,
    },
    /// Turn a kill switch on or off.
    KillSwitch { name: String, on: bool },
    /// Run a runbook command in a shell on the operator's machine (echoed, never run, in drills).
    Shell { command: String },
    /// Silence an alert in Alertmanager: equality matchers on its labels, for `minutes`.
    Silence {
        alert: String,
        matchers: Vec<(String, String)>,
        minutes: u64,
        comment: String,
    },
    /// End a silence early.
    ExpireSilence { id: String },
}

impl Action {
    /// The command line that asks for this action.
    pub fn command_line(&self) -> String {
        match self {
            Action::Rollback {
                deployment,
                revision: Some(r),
                ..
            } => format!("rollback {deployment} {r}"),
            Action::Rollback {
                deployment,
                revision: None,
                ..
            } => format!("rollback {deployment}"),
            Action::Restart { deployment, .. } => format!("restart {deployment}"),
            Action::Scale {
                deployment,
                replicas,
                ..
            } => format!("scale {deployment} {replicas}"),
            Action::KillSwitch { name, on } => {
                format!("kill-switch {name} {}", if *on { "on" } else { "off" })
            }
            Action::Shell { command } => format!("run {command}"),
            Action::Silence {
                alert,
                minutes,
                comment,
                ..
            } => format!("silence {alert} {minutes}m {comment}")
                .trim_end()
                .to_string(),
            Action::ExpireSilence { id } => format!("expire-silence {id}"),
        }
    }

    /// The deployment a rollback, restart or scale acts on, and exactly where it is.
    pub fn deployment_target(&self) -> Option<(&str, &Place)> {
        match self {
            Action::Rollback {
                deployment, place, ..
            }
            | Action::Restart { deployment, place }
            | Action::Scale {
                deployment, place, ..
            } => Some((deployment, place)),
            _ => None,
        }
    }

    /// The object acted on with all that identifies it, for confirmations and the journal:
    /// `deployment snapbuilder/snapbuilder-serving in context prod`.
    pub fn target_text(&self) -> Option<String> {
        let (name, place) = self.deployment_target()?;
        Some(place.object("deployment", name))
    }
}

/// Where a namespaced object lives: the cluster (kubeconfig context) and the namespace.
/// With the name, this is all that identifies it: two namespaces may hold the same name.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    /// The kubeconfig context (`sandbox` for the simulated cluster); empty when unknown,
    /// as in recordings made before actions carried it.
    #[serde(default)]
    pub context: String,
    /// The namespace; empty when unknown.
    #[serde(default)]
    pub namespace: String,
}

impl Place {
    /// A place in `context`, namespace `namespace`.
    pub fn new(context: impl Into<String>, namespace: impl Into<String>) -> Place {
        Place {
            context: context.into(),
            namespace: namespace.into(),
        }
    }

    /// `kind namespace/name in context ctx`, with whatever of the place is known.
    pub fn object(&self, kind: &str, name: &str) -> String {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", self.namespace)
        };
        let ctx = if self.context.is_empty() {
            String::new()
        } else {
            format!(" in context {}", self.context)
        };
        format!("{kind} {ns}{name}{ctx}")
    }
}

/// What an executor says about an action it carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    pub action: Action,
    pub outcome: ActionOutcome,
    /// What happened, for the timeline: `snapbuilder-serving rolled back from revision 3 to 2`.
    pub detail: String,
    /// For a rollback: the revision rolled back from, and the one whose template came back.
    pub revisions: Option<(u64, u64)>,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionOutcome {
    Ok,
    Refused,
    Failed,
    DryRun,
}

/// What the logs pane tails in live mode: the cockpit asks for it, the log tailer follows it.
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

/// A list inside the internally tagged [`Observation`]: serde writes a newtype variant's
/// content into the map that holds the tag, and a bare sequence cannot go there, so a list
/// is written as `{"type": "logs", "items": [...]}` (recordings need every observation).
mod items {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Out<'a, T> {
        items: &'a [T],
    }

    #[derive(Deserialize)]
    struct In<T> {
        items: Vec<T>,
    }

    #[allow(clippy::ptr_arg)] // serde's `with` hands over the field as it is
    pub fn serialize<S: Serializer, T: Serialize>(v: &Vec<T>, s: S) -> Result<S::Ok, S::Error> {
        Out { items: v }.serialize(s)
    }

    pub fn deserialize<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(In::deserialize(d)?.items)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod serde_tests {
    use super::*;

    #[test]
    fn observations_of_lists_go_to_json_and_back() {
        let at = Timestamp::from_second(1_795_000_000).unwrap();
        let line = LogLine {
            at,
            pod: "chatty-p1".into(),
            container: "app".into(),
            text: "INFO served".into(),
        };
        for obs in [
            Observation::Logs(vec![line.clone(), line]),
            Observation::Logs(Vec::new()),
            Observation::Silences(Vec::new()),
            Observation::GpuList(Vec::new()),
        ] {
            let json = serde_json::to_string(&obs).unwrap();
            let back: Observation = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
        let json = serde_json::to_value(Observation::Logs(Vec::new())).unwrap();
        assert_eq!(json, serde_json::json!({"type": "logs", "items": []}));
    }
}
