//! Starts the cluster views' sources for one connection: events, nodes, autoscalers, Jobs
//! and CronJobs, resource usage.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::kube::Connection;
use super::kube_nodes::{HpaPoller, NodesPoller};
use crate::event::Event;

/// How often nodes, autoscalers, Jobs and usage are listed.
pub const EVERY: Duration = Duration::from_secs(15);

/// One events watch per namespace, one for node events, and the nodes, HPA, jobs and
/// metrics pollers.
pub fn spawn(conn: &Connection, every: Duration, tx: mpsc::Sender<Event>) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for ns in &conn.namespaces {
        tasks.push(tokio::spawn(super::kube_events::watch(
            conn.client.clone(),
            ns.clone(),
            None,
            tx.clone(),
        )));
    }
    tasks.push(tokio::spawn(super::kube_events::watch(
        conn.client.clone(),
        String::new(),
        Some("regarding.kind=Node".into()),
        tx.clone(),
    )));
    let nodes = NodesPoller {
        client: conn.client.clone(),
    };
    tasks.push(tokio::spawn(super::poll::poll(
        "kubernetes nodes view".into(),
        every,
        tx.clone(),
        nodes,
    )));
    let hpas = HpaPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
    };
    tasks.push(tokio::spawn(super::poll::poll(
        "kubernetes autoscalers".into(),
        every,
        tx.clone(),
        hpas,
    )));
    let jobs = super::kube_jobs::JobsPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
    };
    tasks.push(tokio::spawn(super::poll::poll(
        "kubernetes jobs".into(),
        every,
        tx.clone(),
        jobs,
    )));
    let metrics = super::kube_metrics::MetricsPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
        absent: false,
    };
    tasks.push(tokio::spawn(super::poll::poll(
        "kubernetes metrics".into(),
        every,
        tx,
        metrics,
    )));
    tasks
}
