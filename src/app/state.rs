//! What each pane holds. Plain data: `App::update` changes it, the UI reads it.

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;

use crate::command::Status;
use crate::event::{
    DeploymentStatus, HealthStatus, KillSwitchStatus, Level, PodStatus, SignalDef, SloStatus,
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

pub use super::alerts::AlertEntry;
pub use super::gpus::Gpus;

/// A workload exactly, within the cockpit's one context: its namespace and its name. Two
/// namespaces may hold workloads of the same name; nothing is ever looked up by name alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadKey {
    pub namespace: String,
    pub name: String,
}

impl WorkloadKey {
    /// The workload `name` in `namespace`.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> WorkloadKey {
        WorkloadKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A workload and its pods.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    pub deployment: Option<DeploymentStatus>,
    /// The Argo Rollout of this name, where the cluster serves them: its pods' ReplicaSets
    /// are named after it, as a deployment's are.
    pub rollout: Option<crate::cluster::rollouts::RolloutStatus>,
    pub pods: BTreeMap<String, PodStatus>,
}

impl Workload {
    /// The labels services and alerts are matched against: the deployment's, else the
    /// rollout's.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.deployment
            .as_ref()
            .map(|d| &d.labels)
            .or_else(|| self.rollout.as_ref().map(|r| &r.labels))
    }

    /// Pods restarted in total.
    pub fn restarts(&self) -> u32 {
        self.pods.values().map(|p| p.restarts).sum()
    }
}

/// One row of the pods pane: a workload heading, or one of its pods.
#[derive(Debug, Clone, Copy)]
pub enum PodRow<'a> {
    Workload(&'a WorkloadKey, &'a Workload),
    Pod(&'a WorkloadKey, &'a PodStatus),
}

/// Pods grouped by workload (namespace, then name), with the selected row.
#[derive(Debug, Clone, Default)]
pub struct PodsState {
    pub workloads: BTreeMap<WorkloadKey, Workload>,
    pub selected: usize,
    pub namespace: String,
    /// What the logs pane tails now (live mode); nothing until the operator asks for logs
    /// or an alert names a workload.
    pub tailing: Option<crate::app::LogTarget>,
    /// Which of the target's pods are followed, and why those.
    pub tail: crate::app::tail::TailState,
    /// Whether the selection was made (by the operator, or by an alert selecting its
    /// workload) rather than left at the first row: only a made one is a default target.
    pub chosen: bool,
}

impl PodsState {
    /// Rows in display order.
    pub fn rows(&self) -> impl Iterator<Item = PodRow<'_>> {
        self.workloads.iter().flat_map(|(key, w)| {
            std::iter::once(PodRow::Workload(key, w))
                .chain(w.pods.values().map(move |p| PodRow::Pod(key, p)))
        })
    }

    /// Whether workloads of more than one namespace are shown (headings then name theirs).
    pub fn many_namespaces(&self) -> bool {
        let mut keys = self.workloads.keys();
        let first = keys.next().map(|k| &k.namespace);
        keys.any(|k| Some(&k.namespace) != first)
    }

    /// What selecting the current row should tail: its workload, or the pod itself.
    pub fn selected_target(&self) -> Option<crate::app::LogTarget> {
        let (key, pod) = match self.rows().nth(self.selected)? {
            PodRow::Workload(key, _) => (key, None),
            PodRow::Pod(key, p) => (key, Some(p)),
        };
        Some(crate::app::LogTarget {
            namespace: key.namespace.clone(),
            workload: key.name.clone(),
            pod: pod.map(|p| p.name.clone()),
            pods: Vec::new(),
            service: None,
        })
    }

    /// The row of each workload heading, in display order.
    pub fn workload_rows(&self) -> Vec<usize> {
        let mut at = 0;
        self.workloads
            .values()
            .map(|w| {
                let row = at;
                at += 1 + w.pods.len();
                row
            })
            .collect()
    }

    /// Selects a workload's heading row.
    pub fn select_workload(&mut self, key: &WorkloadKey) -> bool {
        let Some(i) = self.workloads.keys().position(|k| k == key) else {
            return false;
        };
        self.selected = self.workload_rows()[i];
        self.chosen = true;
        true
    }

    /// Moves the selection: one row for the arrow keys; a page (the page keys send ±10) goes to
    /// the next or previous workload heading, so a 500-pod workload is one key press to cross;
    /// `top`/`bottom` go to the first and the last workload.
    pub fn move_selection(&mut self, delta: isize) {
        let rows = self.row_count();
        if rows == 0 {
            self.selected = 0;
            return;
        }
        self.chosen = true;
        let heads = self.workload_rows();
        let cur = self.selected.min(rows - 1);
        self.selected = match delta {
            d if d.abs() < 10 => (cur as isize + d).clamp(0, rows as isize - 1) as usize,
            d if d >= isize::MAX / 4 => heads.last().copied().unwrap_or(0),
            d if d <= isize::MIN / 4 => 0,
            d if d > 0 => heads.iter().copied().find(|h| *h > cur).unwrap_or(cur),
            _ => heads.iter().rev().copied().find(|h| *h < cur).unwrap_or(0),
        };
    }

    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.workloads.values().map(|w| 1 + w.pods.len()).sum()
    }

    /// The workload of the selected row.
    pub fn selected_workload(&self) -> Option<&WorkloadKey> {
        match self.rows().nth(self.selected)? {
            PodRow::Workload(key, _) | PodRow::Pod(key, _) => Some(key),
        }
    }

    /// Deployments as the command line takes them, for completion: the name alone where it
    /// is unique, `namespace/name` where two namespaces hold it.
    pub fn deployment_names(&self) -> Vec<String> {
        let keys: Vec<&WorkloadKey> = self
            .workloads
            .iter()
            .filter(|(_, w)| w.deployment.is_some())
            .map(|(k, _)| k)
            .collect();
        keys.iter()
            .map(|k| {
                let shared = keys.iter().filter(|o| o.name == k.name).count() > 1;
                if shared {
                    k.to_string()
                } else {
                    k.name.clone()
                }
            })
            .collect()
    }

    /// Every watched pod's name, for completion.
    pub fn pod_names(&self) -> Vec<String> {
        self.workloads
            .values()
            .flat_map(|w| w.pods.keys().cloned())
            .collect()
    }

    /// The Argo Rollouts watched, by name, for completion.
    pub fn rollout_names(&self) -> Vec<String> {
        self.workloads
            .values()
            .filter_map(|w| w.rollout.as_ref().map(|r| r.name.clone()))
            .collect()
    }

    /// A deployment, exactly.
    pub fn deployment(&self, key: &WorkloadKey) -> Option<&DeploymentStatus> {
        self.workloads.get(key)?.deployment.as_ref()
    }

    /// The deployment a command names: `namespace/name`, or a name only one namespace holds.
    /// A name two namespaces hold is refused with both, never settled by picking one.
    pub fn resolve_deployment(&self, text: &str) -> Result<WorkloadKey, String> {
        let known = || self.deployment_names().join(", ");
        if let Some((ns, name)) = text.split_once('/') {
            let key = WorkloadKey::new(ns, name);
            return match self.deployment(&key) {
                Some(_) => Ok(key),
                None => Err(format!(
                    "no deployment `{name}` in namespace {ns}; known: {}",
                    known()
                )),
            };
        }
        let matches: Vec<&WorkloadKey> = self
            .workloads
            .iter()
            .filter(|(k, w)| k.name == text && w.deployment.is_some())
            .map(|(k, _)| k)
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!("no deployment `{text}`; known: {}", known())),
            many => Err(format!(
                "deployment `{text}` is in {} namespaces ({}): say which, e.g. `{}`",
                many.len(),
                many.iter()
                    .map(|k| k.namespace.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                many[0]
            )),
        }
    }

    /// The workload a pod belongs to.
    pub fn owner_of(&self, namespace: &str, pod: &str) -> Option<WorkloadKey> {
        self.workloads
            .iter()
            .find(|(k, w)| k.namespace == namespace && w.pods.contains_key(pod))
            .map(|(k, _)| k.clone())
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

/// A source's error and since when it has been failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub source: String,
    pub error: String,
    pub since: Timestamp,
}

/// Failing sources, in the order they began failing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceErrors(Vec<SourceError>);

impl SourceErrors {
    /// Records `source`'s latest error; returns since when it has been failing.
    pub fn set(&mut self, source: &str, error: &str, now: Timestamp) -> Timestamp {
        match self.0.iter_mut().find(|e| e.source == source) {
            Some(e) => {
                e.error = error.to_string();
                e.since
            }
            None => {
                self.0.push(SourceError {
                    source: source.to_string(),
                    error: error.to_string(),
                    since: now,
                });
                now
            }
        }
    }

    /// `source` recovered.
    pub fn clear(&mut self, source: &str) {
        self.0.retain(|e| e.source != source);
    }

    /// The error of `source`, if it is failing.
    pub fn get(&self, source: &str) -> Option<&SourceError> {
        self.0.iter().find(|e| e.source == source)
    }

    /// Every failing source, oldest failure first.
    pub fn iter(&self) -> impl Iterator<Item = &SourceError> {
        self.0.iter()
    }

    /// The source that has been failing longest.
    pub fn first(&self) -> Option<&SourceError> {
        self.0.first()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Kill switches by name, in the order the world announced them.
pub type KillSwitches = Vec<KillSwitchStatus>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_error_keeps_when_it_began_until_it_recovers() {
        let mut e = SourceErrors::default();
        let t0 = Timestamp::UNIX_EPOCH;
        let t1 = t0 + jiff::SignedDuration::from_secs(30);
        assert_eq!(e.set("alerts", "timeout", t0), t0);
        assert_eq!(e.set("alerts", "refused", t1), t0, "still failing since t0");
        assert_eq!(e.get("alerts").map(|x| x.error.as_str()), Some("refused"));
        e.set("signals/5xx", "bad query", t1);
        assert_eq!(e.first().map(|x| x.source.as_str()), Some("alerts"));
        e.clear("alerts");
        assert!(e.get("alerts").is_none());
        assert_eq!(e.iter().count(), 1);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod pods_tests {
    use super::*;

    fn pods(workloads: &[(&str, usize)]) -> PodsState {
        let mut s = PodsState::default();
        for (name, n) in workloads {
            let w = s
                .workloads
                .entry(WorkloadKey::new("ns", *name))
                .or_default();
            for i in 0..*n {
                let p = PodStatus {
                    namespace: "ns".into(),
                    name: format!("{name}-{i:03}"),
                    workload: name.to_string(),
                    revision: 1,
                    phase: "Running".into(),
                    reason: None,
                    ready: true,
                    restarts: 0,
                    last_termination: None,
                    node: "n".into(),
                    created: Timestamp::UNIX_EPOCH,
                };
                w.pods.insert(p.name.clone(), p);
            }
        }
        s
    }

    #[test]
    fn page_keys_and_home_end_move_between_workloads() {
        // Rows: a(0) a-pods 1..=500, b(501) b-pods 502..=503, c(504) c-pod 505.
        let mut s = pods(&[("a", 500), ("b", 2), ("c", 1)]);
        assert_eq!(s.workload_rows(), [0, 501, 504]);
        s.move_selection(1);
        assert_eq!(s.selected, 1, "arrows move a row");
        s.move_selection(10);
        assert_eq!(s.selected, 501, "page down: the next workload");
        s.move_selection(10);
        assert_eq!(s.selected, 504);
        s.move_selection(10);
        assert_eq!(s.selected, 504, "the last workload stays");
        s.move_selection(1);
        s.move_selection(-10);
        assert_eq!(s.selected, 504, "page up from a pod: its workload");
        s.move_selection(-10);
        assert_eq!(s.selected, 501);
        s.move_selection(isize::MAX / 2);
        assert_eq!(s.selected, 504, "end: the last workload, not its last pod");
        s.move_selection(isize::MIN / 2);
        assert_eq!(s.selected, 0);
        assert_eq!(s.selected_workload(), Some(&WorkloadKey::new("ns", "a")));
        assert!(s.select_workload(&WorkloadKey::new("ns", "b")));
        assert_eq!(s.selected, 501);
    }

    fn deployment(ns: &str, name: &str) -> DeploymentStatus {
        DeploymentStatus {
            namespace: ns.into(),
            name: name.into(),
            revision: 1,
            replicas: 1,
            ready: 1,
            updated: 1,
            available: 1,
            image: "i".into(),
            history: Vec::new(),
            gpu: false,
            problems: Vec::new(),
            labels: Default::default(),
        }
    }

    #[test]
    fn a_deployment_name_two_namespaces_hold_is_never_settled_by_picking_one() {
        let mut s = PodsState::default();
        for (ns, name) in [("blue", "api"), ("green", "api"), ("green", "db")] {
            s.workloads
                .entry(WorkloadKey::new(ns, name))
                .or_default()
                .deployment = Some(deployment(ns, name));
        }
        assert_eq!(
            s.resolve_deployment("db"),
            Ok(WorkloadKey::new("green", "db"))
        );
        assert_eq!(
            s.resolve_deployment("green/api"),
            Ok(WorkloadKey::new("green", "api"))
        );
        let e = s.resolve_deployment("api").unwrap_err();
        assert!(e.contains("blue, green") && e.contains("blue/api"), "{e}");
        let e = s.resolve_deployment("red/api").unwrap_err();
        assert!(e.contains("namespace red"), "{e}");
        assert_eq!(s.deployment_names(), ["blue/api", "green/api", "db"]);
    }
}
