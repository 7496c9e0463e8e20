//! The cluster views' part of `sitrep snapshot`: events (deduplicated, newest first, a
//! bounded page of the latest), nodes, HPAs, Jobs and CronJobs, read once. A part that cannot be read (a role
//! that may not list nodes) is left out with its error; the rest is still reported.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::events::v1::Event as KEvent;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use super::kube::Connection;
use super::kube_nodes::{NodesPoller, hpa_info};
use super::poll::Poller;
use crate::app::App;
use crate::app::cluster::{EventRow, Scope};
use crate::cluster::{HpaInfo, KubeEvent, NodeInfo};
use crate::event::Observation;

/// Events read per namespace at most (one page), and rows reported.
pub const SNAPSHOT_EVENTS: u32 = 500;
pub const SNAPSHOT_EVENT_ROWS: usize = 100;

/// One deduplicated event, as the snapshot lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EventOut {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub reason: String,
    pub note: String,
    pub count: u32,
    pub first_seen: jiff::Timestamp,
    pub last_seen: jiff::Timestamp,
}

impl From<EventRow> for EventOut {
    fn from(r: EventRow) -> Self {
        EventOut {
            namespace: r.namespace,
            kind: r.kind,
            name: r.name,
            type_: if r.warning { "Warning" } else { "Normal" },
            reason: r.reason,
            note: r.note,
            count: r.count,
            first_seen: r.first,
            last_seen: r.last,
        }
    }
}

/// What the cluster views show, as the snapshot reports it.
#[derive(Debug, Default, Serialize)]
pub struct ClusterSnapshot {
    pub events: Vec<EventOut>,
    pub nodes: Vec<NodeInfo>,
    pub hpas: Vec<HpaInfo>,
    pub jobs: Vec<crate::cluster::jobs::JobInfo>,
    pub cronjobs: Vec<crate::cluster::jobs::CronJobInfo>,
}

impl ClusterSnapshot {
    /// What the cockpit's cluster views hold: every event deduplicated (newest first, at
    /// most [`SNAPSHOT_EVENT_ROWS`] rows), every node and autoscaler.
    pub fn of(app: &App) -> ClusterSnapshot {
        ClusterSnapshot {
            events: app
                .events_of(&Scope::default(), false, SNAPSHOT_EVENT_ROWS)
                .into_iter()
                .map(EventOut::from)
                .collect(),
            nodes: app.cluster.nodes.values().cloned().collect(),
            hpas: app.cluster.hpas.clone(),
            jobs: app.cluster.batch.jobs.clone(),
            cronjobs: app.cluster.batch.cronjobs.clone(),
        }
    }
}

/// Reads events, nodes and HPAs of the connection's namespaces once, as the observations
/// their watches would have sent. A part that cannot be read (a role that may not list
/// nodes) is a source error of its own; the rest is still reported.
pub async fn cluster_observations(conn: &Connection) -> Vec<Observation> {
    let mut out = Vec::new();
    let failed = |source: String, e: &dyn std::fmt::Display| Observation::SourceError {
        source,
        error: e.to_string(),
    };
    let mut events: Vec<KubeEvent> = Vec::new();
    let mut hpas = Vec::new();
    for ns in &conn.namespaces {
        let api: Api<KEvent> = namespaced(conn.client.clone(), ns);
        match api
            .list(&ListParams::default().limit(SNAPSHOT_EVENTS))
            .await
        {
            Ok(list) => events.extend(list.items.iter().filter_map(super::kube_events::event_of)),
            Err(e) => out.push(failed(format!("kubernetes events {ns}"), &e)),
        }
        let api: Api<HorizontalPodAutoscaler> = namespaced(conn.client.clone(), ns);
        match api.list(&ListParams::default()).await {
            Ok(list) => hpas.extend(list.items.iter().map(hpa_info)),
            Err(e) => out.push(failed(format!("kubernetes autoscalers {ns}"), &e)),
        }
    }
    out.push(Observation::KubeEvents(events));
    out.push(Observation::Hpas(hpas));
    match super::kube_jobs::read(&conn.client, &conn.namespaces).await {
        Ok(b) => out.push(Observation::Batch(b)),
        Err(e) => out.push(failed("kubernetes jobs".into(), &e)),
    }
    let mut nodes = NodesPoller {
        client: conn.client.clone(),
    };
    // Nodes are cluster-wide: a namespaced role answers 403, which is reported, not fatal.
    match nodes.poll().await {
        Ok(obs) => out.extend(obs),
        Err(e) => out.push(failed("kubernetes nodes".into(), &e)),
    }
    out
}

/// The API of `K` in `ns`; the empty namespace is every namespace (`-A`).
fn namespaced<K>(client: kube::Client, ns: &str) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    if ns.is_empty() {
        Api::all(client)
    } else {
        Api::namespaced(client, ns)
    }
}

/// The snapshot's Markdown for nodes in trouble, autoscalers and Warning events.
pub fn markdown(c: &ClusterSnapshot) -> String {
    let mut out = String::new();
    let trouble: Vec<&NodeInfo> = c
        .nodes
        .iter()
        .filter(|n| n.ready != Some(true) || n.unschedulable || !n.pressure.is_empty())
        .collect();
    if !c.nodes.is_empty() {
        out.push_str(&format!(
            "\n**Nodes:** {} ({} not ready, cordoned or under pressure)\n",
            c.nodes.len(),
            trouble.len()
        ));
        for n in trouble {
            let mut facts = vec![match n.ready {
                Some(true) => "Ready".to_string(),
                Some(false) => "NotReady".to_string(),
                None => "Unknown".to_string(),
            }];
            if n.unschedulable {
                facts.push("cordoned".into());
            }
            facts.extend(n.pressure.iter().cloned());
            out.push_str(&format!("- {}: {}\n", n.name, facts.join(", ")));
        }
    }
    if !c.hpas.is_empty() {
        out.push_str("\n**Autoscalers:**\n");
        for h in &c.hpas {
            out.push_str(&format!(
                "- {}/{} → {} {}: {} replicas (min {}, max {}, wants {}){}\n",
                h.namespace,
                h.name,
                h.target_kind,
                h.target,
                h.current,
                h.min,
                h.max,
                h.desired,
                h.problem
                    .as_ref()
                    .map(|p| format!("; {p}"))
                    .unwrap_or_default()
            ));
        }
    }
    let failing: Vec<_> = c.jobs.iter().filter(|j| j.failing()).collect();
    if !failing.is_empty() {
        out.push_str("\n**Failing jobs:**\n");
        for j in failing {
            let why = j
                .failed_reason
                .as_ref()
                .map(|(r, m)| format!(": {r} ({m})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "- {}/{} {} attempts {}{why}\n",
                j.namespace,
                j.name,
                j.state(),
                j.attempts()
            ));
        }
    }
    let suspended: Vec<&str> = c
        .cronjobs
        .iter()
        .filter(|c| c.suspend)
        .map(|c| c.name.as_str())
        .collect();
    if !suspended.is_empty() {
        out.push_str(&format!(
            "\n**Suspended CronJobs:** {}\n",
            suspended.join(", ")
        ));
    }
    let warnings: Vec<&EventOut> = c.events.iter().filter(|e| e.type_ == "Warning").collect();
    if !warnings.is_empty() {
        out.push_str("\n**Warning events** (newest first):\n");
        for e in warnings.iter().take(20) {
            out.push_str(&format!(
                "- {} {} {}/{} ×{}: {}\n",
                e.last_seen.strftime("%H:%M:%S"),
                e.reason,
                e.kind.to_lowercase(),
                e.name,
                e.count,
                e.note
            ));
        }
    }
    out
}
