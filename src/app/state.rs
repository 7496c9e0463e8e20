//! What each pane holds. Plain data: `App::update` changes it, the UI reads it.

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;

use crate::command::Status;
use crate::event::{
    AlertStatus, DeploymentStatus, GpuStatus, HealthStatus, KillSwitchStatus, Level, PodStatus,
    SignalDef, SloStatus,
};

/// Samples kept per signal for its sparkline (an hour at Prometheus's 15 s step, plus slack).
pub const SIGNAL_HISTORY: usize = 256;

/// One signal and its recent history.
#[derive(Debug, Clone, Default)]
pub struct SignalState {
    pub def: SignalDef,
    pub value: Option<f64>,
    /// Timestamped samples, oldest first.
    pub history: VecDeque<(Timestamp, f64)>,
    /// The source's last error and when values stopped coming.
    pub stale: Option<(String, Timestamp)>,
    /// Error budget and burn rates, when the signal has an SLO.
    pub slo: Option<SloStatus>,
    /// The history comes from range queries, so single values are not appended to it.
    pub series_fed: bool,
    /// The query that last answered with no series: "no data", which is neither an
    /// error nor stale nor a value not read yet.
    pub no_data: Option<String>,
}

/// A health probe's latest result and when its verdict last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthEntry {
    pub status: HealthStatus,
    pub changed_at: Timestamp,
}

impl SignalState {
    /// The signal's health now.
    pub fn level(&self) -> Level {
        self.def.level(self.value)
    }
}

/// An alert with what the operator did about it.
#[derive(Debug, Clone)]
pub struct AlertEntry {
    pub status: AlertStatus,
    pub acked: bool,
    pub resolved_at: Option<Timestamp>,
    /// The runbook book and section that answer it, and a label saying which rule chose it.
    pub runbook: Option<(usize, usize, String)>,
}

/// A workload and its pods.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    pub deployment: Option<DeploymentStatus>,
    pub pods: BTreeMap<String, PodStatus>,
}

impl Workload {
    /// Pods restarted in total.
    pub fn restarts(&self) -> u32 {
        self.pods.values().map(|p| p.restarts).sum()
    }
}

/// One row of the pods pane: a workload heading, or one of its pods.
#[derive(Debug, Clone, Copy)]
pub enum PodRow<'a> {
    Workload(&'a str, &'a Workload),
    Pod(&'a str, &'a PodStatus),
}

/// Pods grouped by workload, with the selected row.
#[derive(Debug, Clone, Default)]
pub struct PodsState {
    pub workloads: BTreeMap<String, Workload>,
    pub selected: usize,
    pub namespace: String,
    /// What the logs pane tails now (live mode).
    pub tailing: Option<crate::app::LogTarget>,
}

impl PodsState {
    /// Rows in display order.
    pub fn rows(&self) -> impl Iterator<Item = PodRow<'_>> {
        self.workloads.iter().flat_map(|(name, w)| {
            std::iter::once(PodRow::Workload(name, w))
                .chain(w.pods.values().map(move |p| PodRow::Pod(name, p)))
        })
    }

    /// What selecting the current row should tail: its workload, or the pod itself.
    pub fn selected_target(&self) -> Option<crate::app::LogTarget> {
        let (workload, pod) = match self.rows().nth(self.selected)? {
            PodRow::Workload(name, _) => (name, None),
            PodRow::Pod(name, p) => (name, Some(p)),
        };
        let namespace = pod
            .map(|p| p.namespace.clone())
            .or_else(|| {
                Some(
                    self.workloads
                        .get(workload)?
                        .deployment
                        .as_ref()?
                        .namespace
                        .clone(),
                )
            })
            .unwrap_or_else(|| self.namespace.clone());
        Some(crate::app::LogTarget {
            namespace,
            workload: workload.to_string(),
            pod: pod.map(|p| p.name.clone()),
        })
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.workloads.values().map(|w| 1 + w.pods.len()).sum()
    }

    /// The workload of the selected row.
    pub fn selected_workload(&self) -> Option<&str> {
        match self.rows().nth(self.selected)? {
            PodRow::Workload(name, _) | PodRow::Pod(name, _) => Some(name),
        }
    }

    /// Deployment names, for completion.
    pub fn deployment_names(&self) -> Vec<String> {
        self.workloads
            .iter()
            .filter(|(_, w)| w.deployment.is_some())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// A deployment by name.
    pub fn deployment(&self, name: &str) -> Option<&DeploymentStatus> {
        self.workloads.get(name)?.deployment.as_ref()
    }
}

/// The open incident as the header shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentState {
    pub id: String,
    pub title: String,
    pub severity: u8,
    pub status: Status,
    pub opened_at: Timestamp,
    pub acked_at: Option<Timestamp>,
    pub mitigated_at: Option<Timestamp>,
    /// When the last status update was posted.
    pub last_update: Option<Timestamp>,
    /// Who holds each incident role.
    pub roles: BTreeMap<crate::journal::Role, String>,
}

/// GPUs keyed by host and index.
pub type Gpus = BTreeMap<(String, u32), GpuStatus>;

/// Kill switches by name, in the order the world announced them.
pub type KillSwitches = Vec<KillSwitchStatus>;
