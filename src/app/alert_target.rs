//! Which workloads an alert is about, and the facts about them that fill a runbook's
//! placeholders (`<serving-pod>`, `<stable-revision>`).
//!
//! Which workloads an alert is about is decided in one place, `services.rs`.

use jiff::Timestamp;

use crate::event::{AlertStatus, DeploymentStatus};

use super::state::{PodsState, WorkloadKey};

/// The workloads (deployments) an alert names, best first: the one resolution of an alert
/// to its workloads, [`super::services::workloads_for_alert`].
pub fn alert_workloads(
    services: &[crate::config::ServiceConfig],
    alert: &AlertStatus,
    pods: &PodsState,
) -> Vec<WorkloadKey> {
    super::services::workloads_for_alert(services, pods, alert)
}

/// The last revision of a deployment that was healthy before `before` (an alert's start):
/// of the revisions created by then, the newest is the suspect and the one before it the
/// stable one. Without a time, the revision before the current one.
pub fn stable_revision(d: &DeploymentStatus, before: Option<Timestamp>) -> Option<u64> {
    let mut revs: Vec<_> = d
        .history
        .iter()
        .filter(|h| before.is_none_or(|t| h.created <= t))
        .collect();
    revs.sort_by_key(|h| std::cmp::Reverse(h.revision));
    match before {
        Some(_) => revs.get(1).map(|h| h.revision),
        None => revs
            .iter()
            .find(|h| h.revision < d.revision)
            .map(|h| h.revision),
    }
}

/// A pod of the workload that serves: ready first, then running, by name.
pub fn serving_pod(pods: &PodsState, workload: &WorkloadKey) -> Option<String> {
    let w = pods.workloads.get(workload)?;
    w.pods
        .values()
        .max_by_key(|p| {
            (
                p.ready,
                p.phase == "Running",
                std::cmp::Reverse(p.name.clone()),
            )
        })
        .map(|p| p.name.clone())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::RevisionInfo;

    fn rev(n: u64, at: i64) -> RevisionInfo {
        RevisionInfo {
            revision: n,
            image: format!("img:{n}"),
            change_cause: String::new(),
            created: Timestamp::from_second(at).unwrap(),
            template: Vec::new(),
        }
    }

    #[test]
    fn stable_revision_is_the_one_before_the_suspect() {
        let d = DeploymentStatus {
            namespace: "ns".into(),
            name: "web".into(),
            revision: 4,
            replicas: 2,
            ready: 2,
            updated: 2,
            available: 2,
            image: "img:4".into(),
            history: vec![rev(4, 500), rev(3, 100), rev(2, 50), rev(1, 10)],
            gpu: false,
            problems: Vec::new(),
            labels: Default::default(),
        };
        // Revision 3 went out at 100, the alert at 200: 2 was the last healthy one, even
        // though 4 (made after the alert, e.g. a restart) is current now.
        assert_eq!(
            stable_revision(&d, Some(Timestamp::from_second(200).unwrap())),
            Some(2)
        );
        assert_eq!(stable_revision(&d, None), Some(3));
        assert_eq!(
            stable_revision(&d, Some(Timestamp::from_second(20).unwrap())),
            None
        );
    }
}
