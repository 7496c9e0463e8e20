//! Context follows the alert: which workloads an alert is about, from its labels
//! (`deployment`, `workload`, `service`, `app`, `job`, `container`, narrowed by `namespace`;
//! `pod` by its owner) or, failing those, the workload its summary names. Selecting an alert
//! selects its workload, so `R`, restart and scale default to it. This is the one seam that
//! resolves an alert to its workloads; `[[services]]` from the config belong behind it.

use crate::event::AlertStatus;

use super::App;
use super::state::{PodsState, WorkloadKey};

/// Labels that name a workload, in the order they are trusted.
const WORKLOAD_LABELS: &[&str] = &[
    "deployment",
    "workload",
    "service",
    "app",
    "job",
    "container",
];

/// The workloads `alert` is about, exactly (namespace and name); empty when none matches.
pub fn workloads_for_alert(pods: &PodsState, alert: &AlertStatus) -> Vec<WorkloadKey> {
    let ns = alert.labels.get("namespace");
    let in_ns = |k: &WorkloadKey| ns.is_none_or(|ns| *ns == k.namespace);
    if let Some(pod) = alert.labels.get("pod")
        && let Some(owner) = pods
            .workloads
            .iter()
            .find(|(k, w)| in_ns(k) && w.pods.contains_key(pod))
            .map(|(k, _)| k.clone())
    {
        return vec![owner];
    }
    for label in WORKLOAD_LABELS {
        let Some(v) = alert.labels.get(*label) else {
            continue;
        };
        let found: Vec<WorkloadKey> = pods
            .workloads
            .keys()
            .filter(|k| k.name == *v && in_ns(k))
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    let text = format!("{} {}", alert.summary, alert.description);
    let named = pods
        .workloads
        .keys()
        .filter(|k| in_ns(k) && text.contains(k.name.as_str()))
        .max_by_key(|k| k.name.len());
    named.cloned().into_iter().collect()
}

impl App {
    /// The selected alert's workloads, when the alerts pane has the focus.
    pub(crate) fn alert_workloads(&self) -> Option<Vec<WorkloadKey>> {
        if self.focus != crate::command::Pane::Alerts {
            return None;
        }
        let a = self.alerts.selected()?;
        Some(workloads_for_alert(&self.pods, &a.status))
    }

    /// Selecting an alert selects its workload in the pods pane (one of them: the first).
    pub(super) fn follow_selected_alert(&mut self) {
        let Some(a) = self.alerts.selected() else {
            return;
        };
        if let Some(first) = workloads_for_alert(&self.pods, &a.status).first() {
            self.pods.select_workload(first);
        }
    }
}
