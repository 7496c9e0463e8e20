//! The one language between the parts: what sources observe and what reaches `App::update`.
//! The facts observations carry live beside it: signals (`signal`), the cluster, alerts and
//! the other panes' statuses (`world`), log lines and what the tail follows (`logs`), and
//! actions with what identifies their target (`action`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

mod action;
mod logs;
mod signal;
mod world;

pub use action::*;
pub use logs::*;
pub use signal::*;
pub use world::*;

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
    /// A describe view's lines, or why they could not be read.
    Described(crate::cluster::DescribeTarget, Result<Vec<String>, String>),
}

/// An internally tagged variant's payload must be a map: a list or a plain value goes in
/// as `{"items": ...}`, so every observation can be written to a recording.
mod wrapped {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Out<'a, T> {
        items: &'a T,
    }

    #[derive(Deserialize)]
    struct In<T> {
        items: T,
    }

    pub fn serialize<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        Out { items: v }.serialize(s)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        In::deserialize(d).map(|w| w.items)
    }
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
    /// An Argo Rollout's current state (only where the cluster serves argoproj.io).
    Rollout(crate::cluster::rollouts::RolloutStatus),
    /// An Argo Rollout no longer exists.
    RolloutGone { namespace: String, name: String },
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
    Logs(#[serde(with = "wrapped")] Vec<LogLine>),
    /// Streams of the log tail that stopped for a while: where the tail misses evidence.
    LogGaps(#[serde(with = "wrapped")] Vec<LogGap>),
    /// Log lines a source had to drop under back-pressure since its last report.
    LogsDropped(#[serde(with = "wrapped")] u64),
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
    Silences(#[serde(with = "wrapped")] Vec<SilenceStatus>),
    /// The GPUs a source reports now (the whole list; GPUs not in it are gone).
    GpuList(#[serde(with = "wrapped")] Vec<GpuStatus>),
    /// The drill engine paused or resumed its clock.
    ClockPaused(#[serde(with = "wrapped")] bool),
    /// A watch, list or log stream answered 403: said once, until it is allowed again.
    Forbidden(crate::access::Forbidden),
    /// A resource forbidden before answers again in `namespace`.
    Allowed { resource: String, namespace: String },
    /// What the identity may do, from the API server's access reviews at start.
    Access(crate::access::AccessReport),
    /// Kubernetes events, new or counted up (a batch, keyed by uid).
    KubeEvents(#[serde(with = "wrapped")] Vec<crate::cluster::KubeEvent>),
    /// Kubernetes events that expired, by uid.
    KubeEventsGone(#[serde(with = "wrapped")] Vec<String>),
    /// The nodes as listed now (the whole list).
    Nodes(#[serde(with = "wrapped")] Vec<crate::cluster::NodeInfo>),
    /// The HorizontalPodAutoscalers as listed now (the whole list).
    Hpas(#[serde(with = "wrapped")] Vec<crate::cluster::HpaInfo>),
    /// Where a running drain stands.
    Drain(crate::cluster::DrainProgress),
    /// The Jobs and CronJobs as listed now (whole lists).
    Batch(crate::cluster::jobs::Batch),
    /// Pods' and nodes' CPU and memory from metrics.k8s.io, or that it is not there.
    Usage(crate::cluster::usage::Usage),
}
