//! The cluster beyond pods and deployments: Kubernetes events, nodes, autoscalers, what a
//! describe view shows, and the actions on nodes and autoscalers (cordon, uncordon, drain,
//! raising an HPA's minimum). Plain data shared by sources, the cockpit and executors.

pub mod describe;
pub mod jobs;
pub mod rollouts;
pub mod usage;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One Kubernetes event (events.k8s.io/v1), as the events view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeEvent {
    /// The event object's uid: a repeat of the same event is the same object, counted up.
    pub uid: String,
    pub namespace: String,
    /// What it is about (`regarding`): kind and name.
    pub kind: String,
    pub name: String,
    pub reason: String,
    pub note: String,
    /// `type: Warning` (the other type is Normal).
    pub warning: bool,
    /// How often it happened (`series.count`, else `deprecatedCount`, else 1).
    pub count: u32,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Who reported it: `kubelet`, `default-scheduler`...
    pub source: String,
}

/// A node as the nodes view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NodeInfo {
    pub name: String,
    /// The Ready condition; `None` when the node reports none (Unknown).
    pub ready: Option<bool>,
    /// Conditions other than Ready that are True (MemoryPressure, DiskPressure, PIDPressure...).
    pub pressure: Vec<String>,
    /// `key=value:Effect`.
    pub taints: Vec<String>,
    /// Cordoned (`spec.unschedulable`).
    pub unschedulable: bool,
    /// Pods bound to it that have not finished.
    pub pods: u32,
    /// Allocatable and requested CPU in millicores, memory in bytes, GPUs.
    pub cpu_alloc_m: u64,
    pub cpu_req_m: u64,
    pub mem_alloc: u64,
    pub mem_req: u64,
    pub gpu_alloc: u64,
    pub gpu_req: u64,
}

/// A HorizontalPodAutoscaler (autoscaling/v2), beside the deployment it scales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpaInfo {
    pub namespace: String,
    pub name: String,
    /// `scaleTargetRef`: kind and name.
    pub target_kind: String,
    pub target: String,
    pub min: u32,
    pub max: u32,
    pub current: u32,
    pub desired: u32,
    /// Why it cannot scale, from a False `ScalingActive` or `AbleToScale` condition.
    pub problem: Option<String>,
    pub last_scale: Option<Timestamp>,
}

/// Where a drain stands, sent while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrainProgress {
    pub node: String,
    /// Pods to evict (DaemonSet and mirror pods not counted), and evicted so far.
    pub total: u32,
    pub evicted: u32,
    /// Pods whose eviction a PodDisruptionBudget refuses right now, with its words.
    pub blocked: Vec<(String, String)>,
    pub done: bool,
}

/// What a describe view is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeTarget {
    pub namespace: String,
    /// `Pod` or `Deployment`.
    pub kind: String,
    pub name: String,
}

/// A change to nodes or autoscalers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum ClusterAction {
    /// Mark a node unschedulable, as `kubectl cordon` does.
    Cordon { node: String },
    /// Make a node schedulable again, as `kubectl uncordon` does.
    Uncordon { node: String },
    /// Cordon a node and evict its pods through the Eviction API, as `kubectl drain` does:
    /// DaemonSet and mirror pods are left, a PodDisruptionBudget is never overridden.
    Drain { node: String },
    /// Set an HPA's `minReplicas`; `previous` is journaled so it can be put back.
    HpaMin {
        namespace: String,
        name: String,
        min: u32,
        previous: u32,
    },
    /// Create a Job from a failed Job's template or a CronJob's `jobTemplate`, as
    /// `kubectl create job NAME --from=cronjob/FROM` does; `from_kind` is `Job` or `CronJob`.
    JobRerun {
        namespace: String,
        from_kind: String,
        from: String,
        name: String,
    },
    /// Set a CronJob's `spec.suspend`.
    CronJobSuspend {
        namespace: String,
        name: String,
        suspend: bool,
    },
    /// Abort or promote an Argo Rollout, or take its canary's weight to 0; `step_before`
    /// is its step when confirmed, so "did it work?" sees a promote move on.
    Rollout {
        namespace: String,
        name: String,
        change: rollouts::RolloutOp,
        step_before: Option<u32>,
    },
}

impl ClusterAction {
    /// The command line that asks for it.
    pub fn command_line(&self) -> String {
        match self {
            ClusterAction::Cordon { node } => format!("cordon {node}"),
            ClusterAction::Uncordon { node } => format!("uncordon {node}"),
            ClusterAction::Drain { node } => format!("drain {node}"),
            ClusterAction::HpaMin { name, min, .. } => format!("hpa-min {name} {min}"),
            ClusterAction::JobRerun { from, .. } => format!("job-rerun {from}"),
            ClusterAction::CronJobSuspend {
                name,
                suspend: true,
                ..
            } => format!("cronjob-suspend {name}"),
            ClusterAction::CronJobSuspend { name, .. } => format!("cronjob-resume {name}"),
            ClusterAction::Rollout { name, change, .. } => format!("{} {name}", change.command()),
        }
    }
}

/// Parses a Kubernetes CPU quantity (`250m`, `2`, `1.5`) into millicores.
pub fn cpu_millis(q: &str) -> u64 {
    let q = q.trim();
    if let Some(m) = q.strip_suffix('m') {
        return m.parse::<f64>().map_or(0, |v| v.max(0.0) as u64);
    }
    if let Some(n) = q.strip_suffix('n') {
        return n.parse::<f64>().map_or(0, |v| (v / 1e6).max(0.0) as u64);
    }
    if let Some(u) = q.strip_suffix('u') {
        return u.parse::<f64>().map_or(0, |v| (v / 1e3).max(0.0) as u64);
    }
    q.parse::<f64>().map_or(0, |v| (v * 1000.0).max(0.0) as u64)
}

/// Parses a Kubernetes quantity of bytes (`512Mi`, `2Gi`, `1G`, `1000`) into bytes.
pub fn bytes(q: &str) -> u64 {
    let q = q.trim();
    const UNITS: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("m", 1e-3),
    ];
    for (suffix, factor) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().map_or(0, |v| (v * factor).max(0.0) as u64);
        }
    }
    q.parse::<f64>().map_or(0, |v| v.max(0.0) as u64)
}

/// Bytes in the units `kubectl describe` uses: `512Mi`, `1.5Gi`.
pub fn fmt_bytes(b: u64) -> String {
    const GI: f64 = 1024.0 * 1024.0 * 1024.0;
    let b = b as f64;
    if b >= GI {
        format!("{:.1}Gi", b / GI)
    } else {
        format!("{:.0}Mi", b / (1024.0 * 1024.0))
    }
}

/// Whether an XID's recommended action is to drain the node (48, 79 and the others the
/// catalog says to drain for).
pub fn xid_calls_for_drain(code: u32) -> bool {
    crate::gpu::xid::lookup(code).is_some_and(|x| x.action.contains("drain"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_as_kubernetes_writes_them() {
        assert_eq!(cpu_millis("250m"), 250);
        assert_eq!(cpu_millis("2"), 2000);
        assert_eq!(cpu_millis("1.5"), 1500);
        assert_eq!(cpu_millis("500000n"), 0);
        assert_eq!(bytes("512Mi"), 512 * 1024 * 1024);
        assert_eq!(bytes("1G"), 1_000_000_000);
        assert_eq!(bytes("1000"), 1000);
        assert_eq!(fmt_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5Gi");
    }

    #[test]
    fn the_xids_that_call_for_a_drain() {
        assert!(xid_calls_for_drain(79));
        assert!(xid_calls_for_drain(48) && xid_calls_for_drain(64) && xid_calls_for_drain(154));
        assert!(!xid_calls_for_drain(13));
        assert!(!xid_calls_for_drain(1));
    }
}
