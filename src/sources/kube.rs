//! The Kubernetes source: watches of pods, deployments and ReplicaSets in the configured
//! namespaces, folded into reflector stores and sent as coalesced observations.
//!
//! A busy cluster changes pods many times a second. Watch events only mark objects dirty;
//! a flush every [`FLUSH`] sends each dirty object's latest state once, and nothing when
//! the state the pane shows did not change. 5,000 pods cost one observation per pod that
//! actually changed, not one per watch event.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures::{StreamExt, stream};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::kube_convert::{deployment_status, pod_status, revision_of};
use crate::config::kube::KubernetesConfig;
use crate::event::{DeploymentStatus, Event, Observation, PodStatus};

/// How often coalesced changes are sent.
pub const FLUSH: Duration = Duration::from_millis(250);

/// A client for the chosen context and the namespaces it watches.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The kubeconfig context's name (`in-cluster` inside a pod).
    pub context: String,
    pub namespaces: Vec<String>,
    pub label_selector: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds credentials; only say where it points.
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("namespaces", &self.namespaces)
            .finish()
    }
}

/// Connects as kubectl would: `kubeconfig` (or `$KUBECONFIG`, `~/.kube/config`) with
/// `context` or the current one, else the in-cluster service account.
pub async fn connect(cfg: &KubernetesConfig) -> anyhow::Result<Connection> {
    let options = KubeConfigOptions {
        context: cfg.context.clone(),
        ..KubeConfigOptions::default()
    };
    let (config, context) = match &cfg.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            let context = context_name(cfg, Some(&kc));
            let config = kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .with_context(|| format!("kubeconfig {}", path.display()))?;
            (config, context)
        }
        None => match kube::Config::from_kubeconfig(&options).await {
            Ok(config) => (config, context_name(cfg, Kubeconfig::read().ok().as_ref())),
            Err(e) if cfg.context.is_some() => return Err(e).context("kubeconfig"),
            Err(kubeconfig_err) => {
                let config = kube::Config::incluster().map_err(|e| {
                    anyhow::anyhow!("no kubeconfig ({kubeconfig_err}) and not in a cluster ({e})")
                })?;
                (config, "in-cluster".to_string())
            }
        },
    };
    let default_ns = config.default_namespace.clone();
    let client = Client::try_from(config).context("cannot build a Kubernetes client")?;
    let namespaces = if cfg.namespaces.is_empty() {
        vec![default_ns]
    } else {
        cfg.namespaces.clone()
    };
    Ok(Connection {
        client,
        context,
        namespaces,
        label_selector: cfg.label_selector.clone(),
    })
}

fn context_name(cfg: &KubernetesConfig, kc: Option<&Kubeconfig>) -> String {
    cfg.context
        .clone()
        .or_else(|| kc.and_then(|k| k.current_context.clone()))
        .unwrap_or_else(|| "default".into())
}

/// Whether a kubeconfig is there to be used (for choosing live mode without a config).
pub fn kubeconfig_present() -> bool {
    std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty())
        || std::env::var_os("HOME").is_some_and(|h| Path::new(&h).join(".kube/config").exists())
        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// Starts one watching task per namespace; they end when the event channel closes.
pub fn spawn(conn: &Connection, tx: mpsc::Sender<Event>) -> Vec<JoinHandle<()>> {
    let mut tasks: Vec<JoinHandle<()>> = conn
        .namespaces
        .iter()
        .map(|ns| {
            let client = conn.client.clone();
            let selector = conn.label_selector.clone();
            tokio::spawn(watch_namespace(client, ns.clone(), selector, tx.clone()))
        })
        .collect();
    tasks.push(tokio::spawn(watch_node_gpus(conn.client.clone(), tx)));
    tasks
}

/// The `nvidia.com/gpu` count of a node's capacity and allocatable resources.
pub fn node_gpus(node: &k8s_openapi::api::core::v1::Node) -> (u32, u32) {
    let count = |m: Option<
        &std::collections::BTreeMap<
            String,
            k8s_openapi::apimachinery::pkg::api::resource::Quantity,
        >,
    >| {
        m.and_then(|m| m.get("nvidia.com/gpu"))
            .and_then(|q| q.0.parse().ok())
            .unwrap_or(0)
    };
    let status = node.status.as_ref();
    (
        count(status.and_then(|s| s.capacity.as_ref())),
        count(status.and_then(|s| s.allocatable.as_ref())),
    )
}

/// Watches nodes for GPU capacity. Nodes without GPUs are not reported; a cluster role that
/// may not list nodes only costs this pane, with the error in the header.
async fn watch_node_gpus(client: Client, tx: mpsc::Sender<Event>) {
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client);
    let events = watcher(nodes, watcher::Config::default()).default_backoff();
    let mut events = std::pin::pin!(events);
    let mut reported: BTreeSet<String> = BTreeSet::new();
    while let Some(ev) = events.next().await {
        let updates: Vec<(String, u32, u32)> = match ev {
            Ok(watcher::Event::Apply(n) | watcher::Event::InitApply(n)) => {
                let (capacity, allocatable) = node_gpus(&n);
                vec![(n.name_any(), capacity, allocatable)]
            }
            Ok(watcher::Event::Delete(n)) => vec![(n.name_any(), 0, 0)],
            Ok(watcher::Event::Init | watcher::Event::InitDone) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "kubernetes node watch");
                let obs = Observation::SourceError {
                    source: "kubernetes nodes".into(),
                    error: e.to_string(),
                };
                if tx
                    .send(Event::Observed(jiff::Timestamp::now(), obs))
                    .await
                    .is_err()
                {
                    return;
                }
                Vec::new()
            }
        };
        for (node, capacity, allocatable) in updates {
            let known = reported.contains(&node);
            if capacity == 0 && !known {
                continue;
            }
            if capacity == 0 {
                reported.remove(&node);
            } else {
                reported.insert(node.clone());
            }
            let obs = Observation::NodeGpus {
                node,
                capacity,
                allocatable,
            };
            if tx
                .send(Event::Observed(jiff::Timestamp::now(), obs))
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

enum Change {
    Pod(Result<watcher::Event<Pod>, watcher::Error>),
    Deployment(Result<watcher::Event<Deployment>, watcher::Error>),
    ReplicaSet(Result<watcher::Event<ReplicaSet>, watcher::Error>),
    Flush,
}

/// What has changed since the last flush and what was last sent.
#[derive(Default)]
struct Coalescer {
    dirty_pods: BTreeSet<String>,
    gone_pods: BTreeSet<String>,
    dirty_deployments: BTreeSet<String>,
    sent_pods: HashMap<String, PodStatus>,
    sent_deployments: HashMap<String, DeploymentStatus>,
}

async fn watch_namespace(
    client: Client,
    ns: String,
    selector: Option<String>,
    tx: mpsc::Sender<Event>,
) {
    let mut wc = watcher::Config::default();
    if let Some(s) = &selector {
        wc = wc.labels(s);
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let replicasets: Api<ReplicaSet> = Api::namespaced(client, &ns);
    let (pod_store, pod_writer) = reflector::store();
    let (dep_store, dep_writer) = reflector::store();
    let (rs_store, rs_writer) = reflector::store();
    // Watches that drop or expire resume by themselves, relisting after a 410 Gone.
    let pod_events = reflector::reflector(pod_writer, watcher(pods, wc.clone()))
        .default_backoff()
        .map(Change::Pod);
    let dep_events = reflector::reflector(dep_writer, watcher(deployments, wc.clone()))
        .default_backoff()
        .map(Change::Deployment);
    // ReplicaSets carry the revision history; they are not filtered by the pods' selector
    // labels alone, so watch them all.
    let rs_events = reflector::reflector(rs_writer, watcher(replicasets, wc))
        .default_backoff()
        .map(Change::ReplicaSet);
    let mut clock = tokio::time::interval(FLUSH);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ticks = futures::stream::unfold(clock, |mut c| async move {
        c.tick().await;
        Some((Change::Flush, c))
    });
    let changes = stream::select(
        stream::select(pod_events, dep_events),
        stream::select(rs_events, ticks),
    );
    let mut changes = std::pin::pin!(changes);
    let mut co = Coalescer::default();
    let source = format!("kubernetes {ns}");
    let mut failing = false;
    while let Some(change) = changes.next().await {
        let error = match change {
            Change::Pod(Ok(ev)) => {
                mark_pods(&mut co, ev);
                None
            }
            Change::Deployment(Ok(ev)) => {
                for d in touched(ev) {
                    co.dirty_deployments.insert(d.name_any());
                }
                None
            }
            Change::ReplicaSet(Ok(ev)) => {
                for rs in touched(ev) {
                    for o in rs.owner_references() {
                        if o.kind == "Deployment" {
                            co.dirty_deployments.insert(o.name.clone());
                            // A rollback renumbers an old ReplicaSet: its pods' revision moves.
                            let pods = co.sent_pods.values().filter(|p| p.workload == o.name);
                            let names: Vec<String> = pods.map(|p| p.name.clone()).collect();
                            co.dirty_pods.extend(names);
                        }
                    }
                }
                None
            }
            Change::Pod(Err(e)) | Change::Deployment(Err(e)) | Change::ReplicaSet(Err(e)) => {
                Some(e.to_string())
            }
            Change::Flush => {
                if flush(&mut co, &ns, &pod_store, &dep_store, &rs_store, &tx)
                    .await
                    .is_err()
                {
                    return;
                }
                None
            }
        };
        if let Some(error) = error {
            tracing::warn!(%ns, %error, "kubernetes watch");
            failing = true;
            let obs = Observation::SourceError {
                source: source.clone(),
                error,
            };
            if tx
                .send(Event::Observed(jiff::Timestamp::now(), obs))
                .await
                .is_err()
            {
                return;
            }
        } else if failing {
            failing = false;
        }
    }
}

fn touched<K>(ev: watcher::Event<K>) -> Vec<K> {
    match ev {
        watcher::Event::Apply(k) | watcher::Event::InitApply(k) | watcher::Event::Delete(k) => {
            vec![k]
        }
        watcher::Event::Init | watcher::Event::InitDone => Vec::new(),
    }
}

fn mark_pods(co: &mut Coalescer, ev: watcher::Event<Pod>) {
    match ev {
        watcher::Event::Apply(p) | watcher::Event::InitApply(p) => {
            let name = p.name_any();
            co.gone_pods.remove(&name);
            co.dirty_pods.insert(name);
        }
        watcher::Event::Delete(p) => {
            let name = p.name_any();
            co.dirty_pods.remove(&name);
            co.gone_pods.insert(name);
        }
        // A relist: every pod we showed may be gone; the store says which after InitDone.
        watcher::Event::InitDone => {
            let names: Vec<String> = co.sent_pods.keys().cloned().collect();
            co.dirty_pods.extend(names);
        }
        watcher::Event::Init => {}
    }
}

async fn flush(
    co: &mut Coalescer,
    ns: &str,
    pods: &Store<Pod>,
    deployments: &Store<Deployment>,
    replicasets: &Store<ReplicaSet>,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ()> {
    let mut out = Vec::new();
    let rs_revision = |name: &str| {
        replicasets
            .get(&ObjectRef::new(name).within(ns))
            .map_or(0, |rs| revision_of(rs.annotations()))
    };
    for name in std::mem::take(&mut co.dirty_pods) {
        match pods.get(&ObjectRef::new(&name).within(ns)) {
            Some(p) => {
                let status = pod_status(&p, rs_revision);
                if co.sent_pods.get(&name) != Some(&status) {
                    co.sent_pods.insert(name, status.clone());
                    out.push(Observation::Pod(status));
                }
            }
            None => {
                co.gone_pods.insert(name);
            }
        }
    }
    for name in std::mem::take(&mut co.gone_pods) {
        if co.sent_pods.remove(&name).is_some() {
            out.push(Observation::PodGone {
                namespace: ns.to_string(),
                name,
            });
        }
    }
    if !co.dirty_deployments.is_empty() {
        let sets = replicasets.state();
        for name in std::mem::take(&mut co.dirty_deployments) {
            let Some(d) = deployments.get(&ObjectRef::new(&name).within(ns)) else {
                continue;
            };
            let status = deployment_status(&d, sets.iter().map(|s| s.as_ref()));
            if co.sent_deployments.get(&name) != Some(&status) {
                co.sent_deployments.insert(name, status.clone());
                out.push(Observation::Deployment(status));
            }
        }
    }
    let now = jiff::Timestamp::now();
    for obs in out {
        tx.send(Event::Observed(now, obs)).await.map_err(|_| ())?;
    }
    Ok(())
}
