//! Context follows the alert: which service an alert is about and so which workloads. This is
//! the one seam that resolves an alert to its workloads.
//!
//! With `[[services]]` configured, an alert is about the service its `service` label names,
//! else the one whose namespace and workloads its labels name (`pod`, `deployment`,
//! `workload`, `app`, `job`, `container`); an alert no service claims, or two claim, is
//! shown as such and attached to nothing. Without `[[services]]`, the workloads come from the
//! same labels (a workload's name, or its own labels), narrowed by `namespace`, and failing
//! those from the workload its summary names.

use crate::config::ServiceConfig;
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

/// What an alert is about.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertService<'a> {
    /// A configured service, with its workloads the cockpit sees (maybe none yet).
    Service(&'a ServiceConfig, Vec<WorkloadKey>),
    /// No `[[services]]`: the workloads its labels name (maybe none).
    Derived(Vec<WorkloadKey>),
    /// `[[services]]` are configured and no one service is this alert's: why, to show.
    Unclaimed(String),
}

impl<'a> AlertService<'a> {
    /// The workloads, exactly; none for an unclaimed alert.
    pub fn workloads(&self) -> &[WorkloadKey] {
        match self {
            AlertService::Service(_, w) | AlertService::Derived(w) => w,
            AlertService::Unclaimed(_) => &[],
        }
    }

    /// The configured service, when there is one.
    pub fn service(&self) -> Option<&'a ServiceConfig> {
        match self {
            AlertService::Service(s, _) => Some(*s),
            _ => None,
        }
    }

    /// What the alert detail says about it: the service and its workloads, or why none.
    pub fn describe(&self, alert: &AlertStatus) -> String {
        let keys = |w: &[WorkloadKey]| {
            w.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            AlertService::Service(s, w) if w.is_empty() => {
                format!("service {}: none of its workloads is seen", s.name())
            }
            AlertService::Service(s, w) => format!("service {}: {}", s.name(), keys(w)),
            AlertService::Derived(w) if w.is_empty() => {
                format!("no workload for this alert: labels {}", labels_of(alert))
            }
            AlertService::Derived(w) => format!("workloads: {}", keys(w)),
            AlertService::Unclaimed(why) => why.clone(),
        }
    }
}

/// `alertname=X, namespace=Y, …`: the labels an operator needs to see why nothing matched.
pub fn labels_of(alert: &AlertStatus) -> String {
    if alert.labels.is_empty() {
        return "(none)".into();
    }
    alert
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The workloads of a configured service the cockpit sees, by namespace and name.
pub fn workloads_of(service: &ServiceConfig, pods: &PodsState) -> Vec<WorkloadKey> {
    let selector = service.selector();
    pods.workloads
        .iter()
        .filter(|(k, w)| {
            let labels = w.labels();
            service.claims_with(
                selector.as_ref(),
                &k.namespace,
                &k.name,
                labels.unwrap_or(&std::collections::BTreeMap::new()),
            )
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// Whether `alert`'s labels name one of `service`'s workloads (`workloads` are those seen).
fn labels_name(
    service: &ServiceConfig,
    workloads: &[WorkloadKey],
    pods: &PodsState,
    alert: &AlertStatus,
) -> bool {
    let ns = alert.labels.get("namespace");
    if let (Some(ns), Some(own)) = (ns, service.namespace())
        && ns != own
    {
        return false;
    }
    if let Some(pod) = alert.labels.get("pod")
        && workloads.iter().any(|k| {
            ns.is_none_or(|ns| *ns == k.namespace)
                && pods
                    .workloads
                    .get(k)
                    .is_some_and(|w| w.pods.contains_key(pod))
        })
    {
        return true;
    }
    let names = service.workload_names();
    WORKLOAD_LABELS.iter().any(|l| {
        alert.labels.get(*l).is_some_and(|v| {
            names.contains(&v.as_str())
                || workloads
                    .iter()
                    .any(|k| k.name == *v && ns.is_none_or(|ns| *ns == k.namespace))
        })
    })
}

/// The service `alert` is about, and its workloads.
pub fn service_for_alert<'a>(
    services: &'a [ServiceConfig],
    pods: &PodsState,
    alert: &AlertStatus,
) -> AlertService<'a> {
    if services.is_empty() {
        return AlertService::Derived(derived_workloads(pods, alert));
    }
    if let Some(v) = alert.labels.get("service")
        && let Some(s) = services.iter().find(|s| s.name() == v)
    {
        return AlertService::Service(s, workloads_of(s, pods));
    }
    let claiming: Vec<(&ServiceConfig, Vec<WorkloadKey>)> = services
        .iter()
        .map(|s| (s, workloads_of(s, pods)))
        .filter(|(s, w)| labels_name(s, w, pods, alert))
        .collect();
    match claiming.as_slice() {
        [(s, w)] => AlertService::Service(s, w.clone()),
        [] => AlertService::Unclaimed(format!(
            "no service for this alert: labels {}",
            labels_of(alert)
        )),
        many => AlertService::Unclaimed(format!(
            "labels {} match {} services ({}): give the alert a `service` label",
            labels_of(alert),
            many.len(),
            many.iter()
                .map(|(s, _)| s.name())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The workloads `alert` is about, exactly (namespace and name); empty when none matches.
pub fn workloads_for_alert(
    services: &[ServiceConfig],
    pods: &PodsState,
    alert: &AlertStatus,
) -> Vec<WorkloadKey> {
    service_for_alert(services, pods, alert)
        .workloads()
        .to_vec()
}

/// Without `[[services]]`: the workloads the alert's labels name (a workload's name or one of
/// its own labels), else the one its summary names.
fn derived_workloads(pods: &PodsState, alert: &AlertStatus) -> Vec<WorkloadKey> {
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
        let named: Vec<WorkloadKey> = pods
            .workloads
            .keys()
            .filter(|k| k.name == *v && in_ns(k))
            .cloned()
            .collect();
        if !named.is_empty() {
            return named;
        }
        // `app="serving"` on the alert and on the deployment (or its recommended spelling).
        let labelled: Vec<WorkloadKey> = pods
            .workloads
            .iter()
            .filter(|(k, w)| {
                in_ns(k)
                    && w.labels().is_some_and(|l| {
                        l.get(*label) == Some(v)
                            || (*label == "app" && l.get("app.kubernetes.io/name") == Some(v))
                    })
            })
            .map(|(k, _)| k.clone())
            .collect();
        if !labelled.is_empty() {
            return labelled;
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
    /// What the selected alert is about, wherever the focus is.
    pub fn selected_service(&self) -> Option<AlertService<'_>> {
        let a = self.alerts.selected()?;
        Some(service_for_alert(
            &self.config.services,
            &self.pods,
            &a.status,
        ))
    }

    /// The selected alert's configured service, when it has one.
    pub fn selected_service_config(&self) -> Option<&ServiceConfig> {
        if self.config.services.is_empty() {
            return None;
        }
        let a = self.alerts.selected()?;
        service_for_alert(&self.config.services, &self.pods, &a.status).service()
    }

    /// Whether kill switch `name` is one of the selected alert's service's.
    pub fn is_service_kill_switch(&self, name: &str) -> bool {
        self.selected_service_config()
            .is_some_and(|s| s.has_kill_switch(name))
    }

    /// Where the kill-switch menu opens: at the selected alert's service's first switch.
    pub(super) fn kill_switch_menu_start(&self) -> usize {
        self.kill_switches
            .iter()
            .position(|k| self.is_service_kill_switch(&k.name))
            .unwrap_or(0)
    }

    /// The configured service that claims the workload `namespace/name`, by its name or
    /// its deployment's labels.
    pub(crate) fn service_claiming(&self, namespace: &str, name: &str) -> Option<&ServiceConfig> {
        let empty = std::collections::BTreeMap::new();
        let labels = self
            .pods
            .workloads
            .get(&WorkloadKey::new(namespace, name))
            .and_then(|w| w.deployment.as_ref())
            .map_or(&empty, |d| &d.labels);
        self.config
            .services
            .iter()
            .find(|s| s.claims(namespace, name, labels))
    }

    /// What the logs pane tails for `alert`: its first workload, selected in the pods pane;
    /// with none of its service's workloads seen (no cluster), the service itself.
    pub(super) fn log_target_for_alert(&mut self, alert: &AlertStatus) -> Option<super::LogTarget> {
        let (workload, service) = match service_for_alert(&self.config.services, &self.pods, alert)
        {
            AlertService::Service(s, w) => (w.first().cloned(), Some(target_of(s))),
            found => (found.workloads().first().cloned(), None),
        };
        match workload {
            Some(w) => {
                self.pods.select_workload(&w);
                self.pods.selected_target()
            }
            None => service,
        }
    }

    /// What the logs pane tails when none of the selected alert's service's workloads is
    /// seen (no cluster, or not yet): that service itself, else (no alert names one) the
    /// first configured service.
    pub(super) fn service_target(&self) -> Option<super::LogTarget> {
        let service = match self.selected_service() {
            Some(AlertService::Service(s, w)) if w.is_empty() => s,
            Some(AlertService::Service(..)) => return None,
            _ if self.pods.workloads.is_empty() => self.config.services.first()?,
            _ => return None,
        };
        Some(target_of(service))
    }
}

/// A service as a log target of its own, for when none of its workloads is seen: in its
/// namespace, named by its first workload (or itself), read through its selector.
pub fn target_of(service: &ServiceConfig) -> super::LogTarget {
    super::LogTarget {
        namespace: service.namespace().unwrap_or_default().to_string(),
        workload: service
            .workload_names()
            .first()
            .copied()
            .unwrap_or(service.name())
            .to_string(),
        pod: None,
        pods: Vec::new(),
        service: Some(service.name().to_string()),
    }
}

impl App {
    /// Selecting an alert selects its service's workloads in the pods pane (its first
    /// deployment heading, so the pane shows where they are).
    pub(super) fn follow_selected_alert(&mut self) {
        let Some(a) = self.alerts.selected() else {
            return;
        };
        let found = workloads_for_alert(&self.config.services, &self.pods, &a.status);
        let first = found
            .iter()
            .find(|k| self.pods.deployment(k).is_some())
            .or(found.first())
            .cloned();
        if let Some(first) = first {
            self.pods.select_workload(&first);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::event::{AlertState, DeploymentStatus, PodStatus};
    use std::path::Path;

    fn deployment(ns: &str, name: &str, labels: &[(&str, &str)]) -> DeploymentStatus {
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
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn pods() -> PodsState {
        let mut s = PodsState::default();
        for (ns, name, labels) in [
            ("snap", "snapbuilder-ingest", vec![("app", "ingest")]),
            ("snap", "snapbuilder-serving", vec![("tier", "serving")]),
            ("snap", "serving-canary", vec![("tier", "serving")]),
            ("other", "snapbuilder-serving", vec![]),
        ] {
            let w = s.workloads.entry(WorkloadKey::new(ns, name)).or_default();
            w.deployment = Some(deployment(ns, name, &labels));
            let p = PodStatus {
                namespace: ns.into(),
                name: format!("{name}-abc"),
                workload: name.into(),
                revision: 1,
                phase: "Running".into(),
                reason: None,
                ready: true,
                restarts: 0,
                last_termination: None,
                node: "n".into(),
                created: jiff::Timestamp::UNIX_EPOCH,
            };
            w.pods.insert(p.name.clone(), p);
        }
        s
    }

    fn alert(labels: &[(&str, &str)], summary: &str) -> AlertStatus {
        AlertStatus {
            name: "HighErrorRate".into(),
            severity: "critical".into(),
            state: AlertState::Firing,
            since: jiff::Timestamp::UNIX_EPOCH,
            summary: summary.into(),
            runbook_url: None,
            detail: String::new(),
            description: String::new(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            silenced_by: Vec::new(),
        }
    }

    fn services() -> Vec<ServiceConfig> {
        let text = r#"
[[services]]
name = "serving"
namespace = "snap"
selector = "tier=serving"

[[services]]
name = "ingest"
namespace = "snap"
workloads = ["snapbuilder-ingest"]
"#;
        Config::parse(Path::new("c.toml"), text).unwrap().services
    }

    #[test]
    fn an_alert_selects_its_service_by_the_service_label_or_its_workloads() {
        let (pods, services) = (pods(), services());
        let k = |ns: &str, n: &str| WorkloadKey::new(ns, n);
        let by_label = service_for_alert(&services, &pods, &alert(&[("service", "serving")], ""));
        assert_eq!(by_label.service().map(|s| s.name()), Some("serving"));
        assert_eq!(
            by_label.workloads(),
            [
                k("snap", "serving-canary"),
                k("snap", "snapbuilder-serving")
            ],
            "the selector's workloads, in its namespace only"
        );
        // No `service` label: the namespace and a workload it names.
        let a = alert(
            &[("namespace", "snap"), ("deployment", "snapbuilder-ingest")],
            "",
        );
        assert_eq!(
            workloads_for_alert(&services, &pods, &a),
            [k("snap", "snapbuilder-ingest")]
        );
        let a = alert(&[("pod", "serving-canary-abc")], "");
        assert_eq!(
            service_for_alert(&services, &pods, &a)
                .service()
                .map(|s| s.name()),
            Some("serving")
        );
    }

    #[test]
    fn an_alert_no_service_claims_is_shown_as_such_never_attached_to_the_first() {
        let (pods, services) = (pods(), services());
        // Another namespace's twin is not the service's, though the name is the same.
        let a = alert(
            &[
                ("namespace", "other"),
                ("deployment", "snapbuilder-serving"),
            ],
            "snapbuilder-ingest is slow",
        );
        let found = service_for_alert(&services, &pods, &a);
        assert_eq!(
            found,
            AlertService::Unclaimed(
                "no service for this alert: labels deployment=snapbuilder-serving, namespace=other"
                    .into()
            )
        );
        assert!(
            found.workloads().is_empty(),
            "not the summary's, not the first"
        );
        assert_eq!(
            found.describe(&a),
            "no service for this alert: labels deployment=snapbuilder-serving, namespace=other"
        );
    }

    #[test]
    fn without_services_the_labels_and_the_workloads_own_labels_decide() {
        let pods = pods();
        let k = |ns: &str, n: &str| WorkloadKey::new(ns, n);
        let a = alert(&[("namespace", "snap"), ("app", "ingest")], "");
        assert_eq!(
            workloads_for_alert(&[], &pods, &a),
            [k("snap", "snapbuilder-ingest")],
            "`app=ingest` is the deployment's own label"
        );
        let a = alert(&[("deployment", "snapbuilder-serving")], "");
        assert_eq!(
            workloads_for_alert(&[], &pods, &a),
            [
                k("other", "snapbuilder-serving"),
                k("snap", "snapbuilder-serving")
            ]
        );
        let a = alert(&[("alertname", "X")], "snapbuilder-ingest is slow");
        assert_eq!(
            workloads_for_alert(&[], &pods, &a),
            [k("snap", "snapbuilder-ingest")]
        );
        let a = alert(&[("alertname", "X")], "nothing named");
        let found = service_for_alert(&[], &pods, &a);
        assert_eq!(
            found.describe(&a),
            "no workload for this alert: labels alertname=X"
        );
    }
}
