//! The cluster views' part of `sitrep snapshot`: events (deduplicated, newest first, a
//! bounded page of the latest), nodes and HPAs, read once. A part that cannot be read (a role
//! that may not list nodes) is left out with its error; the rest is still reported.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::events::v1::Event as KEvent;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use super::kube::Connection;
use super::kube_nodes::{NodesPoller, hpa_info};
use super::poll::Poller;
use crate::app::cluster::{EventRow, Scope, group_events};
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

/// What the cluster views would show, once.
#[derive(Debug, Default, Serialize)]
pub struct ClusterSnapshot {
    pub events: Vec<EventOut>,
    pub nodes: Vec<NodeInfo>,
    pub hpas: Vec<HpaInfo>,
    /// Parts that could not be read: (part, error).
    #[serde(skip)]
    pub errors: Vec<(String, String)>,
}

/// Reads events, nodes and HPAs of the connection's namespaces.
pub async fn cluster_snapshot(conn: &Connection) -> ClusterSnapshot {
    let mut out = ClusterSnapshot::default();
    let mut events: Vec<KubeEvent> = Vec::new();
    for ns in &conn.namespaces {
        let api: Api<KEvent> = Api::namespaced(conn.client.clone(), ns);
        match api
            .list(&ListParams::default().limit(SNAPSHOT_EVENTS))
            .await
        {
            Ok(list) => events.extend(list.items.iter().filter_map(super::kube_events::event_of)),
            Err(e) => out
                .errors
                .push((format!("kubernetes events {ns}"), e.to_string())),
        }
        let api: Api<HorizontalPodAutoscaler> = Api::namespaced(conn.client.clone(), ns);
        match api.list(&ListParams::default()).await {
            Ok(list) => out.hpas.extend(list.items.iter().map(hpa_info)),
            Err(e) => out
                .errors
                .push((format!("kubernetes autoscalers {ns}"), e.to_string())),
        }
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.last));
    out.events = group_events(events.iter(), &Scope::default(), false, SNAPSHOT_EVENT_ROWS)
        .into_iter()
        .map(EventOut::from)
        .collect();
    let mut nodes = NodesPoller {
        client: conn.client.clone(),
    };
    // Nodes are cluster-wide: a namespaced role answers 403, which is reported, not fatal.
    match nodes.poll().await {
        Ok(obs) => {
            for o in obs {
                if let Observation::Nodes(list) = o {
                    out.nodes = list;
                }
            }
        }
        Err(e) => out.errors.push(("kubernetes nodes".into(), e)),
    }
    out
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
