//! What the world reports about itself: deployments and pods, GPUs, alerts, SLOs, health
//! probes, silences and kill switches.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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
    /// Its pod template's labels with its own over them: what `[[services]]` selectors and
    /// alert labels such as `app` are matched against.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
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

/// A kill switch's state as read from the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillSwitchStatus {
    pub name: String,
    pub description: String,
    /// `None` when the state could not be read.
    pub on: Option<bool>,
}
