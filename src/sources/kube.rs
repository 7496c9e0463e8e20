//! The Kubernetes source: watches of pods, deployments and ReplicaSets in the configured
//! namespaces, folded into reflector stores and sent as coalesced observations.
//!
//! A busy cluster changes pods many times a second. Watch events only mark objects dirty;
//! a flush every [`FLUSH`] sends each dirty object's latest state once, and nothing when
//! the state the pane shows did not change. 5,000 pods cost one observation per pod that
//! actually changed, not one per watch event.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kube::Resource;
use std::path::Path;
use std::sync::Arc;
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

use super::kube_coalesce::{Coalescer, Stores, flush};
use super::kube_convert::{SlimPod, without_managed_fields};
use super::kube_forbidden::{backed_off, of_watch};
use crate::config::kube::KubernetesConfig;
use crate::event::{Event, Observation};

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
    /// Ask for initial lists as streams of watch events (`sendInitialEvents`).
    pub streaming_lists: bool,
}

impl Connection {
    /// The namespaces for the banner: `a,b`, or `all namespaces`.
    pub fn namespaces_label(&self) -> String {
        if self.namespaces.iter().any(String::is_empty) {
            "all namespaces".into()
        } else {
            self.namespaces.join(",")
        }
    }
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
    // The watchers back off by themselves and the executor has its own timeout; the client's
    // own retries (15 of them, for minutes, on a 503) would only hide an outage from the header.
    let mut config = config;
    config.default_retry = false;
    let default_ns = config.default_namespace.clone();
    let client = Client::try_from(config).context("cannot build a Kubernetes client")?;
    // The empty namespace is every namespace: one cluster-wide watch of each kind.
    let namespaces = if cfg.all_namespaces {
        vec![String::new()]
    } else if cfg.namespaces.is_empty() {
        vec![default_ns]
    } else {
        cfg.namespaces.clone()
    };
    Ok(Connection {
        client,
        context,
        namespaces,
        label_selector: cfg.label_selector.clone(),
        streaming_lists: cfg.streaming_lists,
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
    spawn_with_pods(conn, tx).0
}

/// Like [`spawn`], and hands out the pods the watches hold, by namespace, so the log tailer
/// reads containers from the cockpit's own pod state instead of listing pods again.
pub fn spawn_with_pods(
    conn: &Connection,
    tx: mpsc::Sender<Event>,
) -> (Vec<JoinHandle<()>>, PodCache) {
    let mut cache = HashMap::new();
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    for ns in &conn.namespaces {
        let (store, writer) = reflector::store();
        cache.insert(ns.clone(), store);
        tasks.push(tokio::spawn(watch_namespace(
            conn.client.clone(),
            ns.clone(),
            conn.label_selector.clone(),
            conn.streaming_lists,
            writer,
            tx.clone(),
        )));
    }
    // Only where the cluster serves argoproj.io rollouts; elsewhere it ends at once, quietly.
    tasks.push(tokio::spawn(super::kube_rollouts::watch(
        conn.client.clone(),
        conn.namespaces.clone(),
        conn.label_selector.clone(),
        tx.clone(),
    )));
    tasks.push(tokio::spawn(watch_node_gpus(
        conn.client.clone(),
        conn.streaming_lists,
        tx,
    )));
    (tasks, PodCache(Arc::new(cache)))
}

/// The watched pods by namespace: read handles of the watches' reflector stores.
#[derive(Clone, Default)]
pub struct PodCache(Arc<HashMap<String, Store<SlimPod>>>);

impl PodCache {
    /// A pod as the watch last saw it (after the initial list has completed).
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<SlimPod>> {
        // Watched across all namespaces, the one store is the empty namespace's.
        self.0
            .get(namespace)
            .or_else(|| self.0.get(""))?
            .get(&ObjectRef::new(name).within(namespace))
    }
}

impl std::fmt::Debug for PodCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
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

/// A failed watch is probed this long after its last error, and again this often.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// The watches of one source that failed; recovery is announced once all of them answer
/// again: an event only a working watch delivers, or a probe watch the server accepts (a
/// quiet namespace sends no events, and its header must not keep an error forever).
#[derive(Debug, Default)]
struct Health {
    failing: BTreeMap<&'static str, Failing>,
}

#[derive(Debug)]
struct Failing {
    at: tokio::time::Instant,
    probing: bool,
}

impl Health {
    fn failed(&mut self, watch: &'static str) {
        let probing = self.failing.get(watch).is_some_and(|f| f.probing);
        let at = tokio::time::Instant::now();
        self.failing.insert(watch, Failing { at, probing });
    }

    /// A watch answered; true when the whole source recovered with it.
    fn answered(&mut self, watch: &'static str) -> bool {
        self.failing.remove(watch).is_some() && self.failing.is_empty()
    }

    /// A probe came back; true when that recovers the source.
    fn probed(&mut self, watch: &'static str, ok: bool) -> bool {
        match self.failing.get_mut(watch) {
            Some(f) if !ok => {
                f.probing = false;
                f.at = tokio::time::Instant::now();
                false
            }
            Some(_) => self.answered(watch),
            None => false,
        }
    }

    /// The failed watches due for a probe, marked as being probed.
    fn due(&mut self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (watch, f) in &mut self.failing {
            if !f.probing && f.at.elapsed() >= PROBE_EVERY {
                f.probing = true;
                out.push(*watch);
            }
        }
        out
    }
}

/// Whether the server accepts a watch of `watch` in `ns` again: a watch of nothing (a name no
/// object has), so it costs the server no events.
async fn probe(client: Client, ns: String, watch: &'static str) -> bool {
    let wp = kube::api::WatchParams::default()
        .fields("metadata.name=sitrep-probe.invalid")
        .timeout(1);
    match watch {
        "pods" => api::<Pod>(client, &ns).watch(&wp, "0").await.is_ok(),
        "deployments" => api::<Deployment>(client, &ns).watch(&wp, "0").await.is_ok(),
        _ => api::<ReplicaSet>(client, &ns).watch(&wp, "0").await.is_ok(),
    }
}

/// The API of `K` in namespace `ns`; the empty namespace is every namespace (`-A`).
fn api<K>(client: Client, ns: &str) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    if ns.is_empty() {
        Api::all(client)
    } else {
        Api::namespaced(client, ns)
    }
}

/// Whether a watcher event proves its watch works: `Init` comes before the list is even asked.
fn proves_working<K>(ev: &watcher::Event<K>) -> bool {
    !matches!(ev, watcher::Event::Init)
}

async fn say(tx: &mpsc::Sender<Event>, obs: Observation) -> Result<(), ()> {
    tx.send(Event::Observed(jiff::Timestamp::now(), obs))
        .await
        .map_err(|_| ())
}

/// The watcher configuration every watch of a connection uses.
fn watch_config(selector: Option<&str>, streaming: bool) -> watcher::Config {
    let mut wc = watcher::Config::default();
    if let Some(s) = selector {
        wc = wc.labels(s);
    }
    if streaming {
        wc = wc.streaming_lists();
    }
    wc
}

/// Watches nodes for GPU capacity. Nodes without GPUs are not reported; a cluster role that
/// may not list nodes only costs this pane, with the error in the header.
async fn watch_node_gpus(client: Client, streaming: bool, tx: mpsc::Sender<Event>) {
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client);
    let events = backed_off(watcher(nodes, watch_config(None, streaming)));
    let mut events = std::pin::pin!(events);
    let mut reported: BTreeSet<String> = BTreeSet::new();
    // The nodes a (re)list has named so far; those reported before and not named are gone.
    let mut listed: Option<BTreeSet<String>> = None;
    let mut health = Health::default();
    const SOURCE: &str = "kubernetes nodes";
    let mut forbidden = false;
    while let Some(ev) = events.next().await {
        if ev.as_ref().is_ok_and(proves_working) && std::mem::take(&mut forbidden) {
            let obs = Observation::Allowed {
                resource: "nodes".into(),
                namespace: String::new(),
            };
            if say(&tx, obs).await.is_err() {
                return;
            }
        }
        if let Ok(ev) = &ev
            && proves_working(ev)
            && health.answered("nodes")
            && say(
                &tx,
                Observation::SourceRecovered {
                    source: SOURCE.into(),
                },
            )
            .await
            .is_err()
        {
            return;
        }
        let updates: Vec<(String, u32, u32)> = match ev {
            Ok(watcher::Event::Apply(n)) => {
                let (capacity, allocatable) = node_gpus(&n);
                vec![(n.name_any(), capacity, allocatable)]
            }
            Ok(watcher::Event::InitApply(n)) => {
                listed.get_or_insert_default().insert(n.name_any());
                let (capacity, allocatable) = node_gpus(&n);
                vec![(n.name_any(), capacity, allocatable)]
            }
            Ok(watcher::Event::Delete(n)) => vec![(n.name_any(), 0, 0)],
            Ok(watcher::Event::Init) => {
                listed = Some(BTreeSet::new());
                Vec::new()
            }
            Ok(watcher::Event::InitDone) => {
                let listed = listed.take().unwrap_or_default();
                let gone = reported.iter().filter(|n| !listed.contains(*n));
                gone.map(|n| (n.clone(), 0, 0)).collect()
            }
            // Said once; the backoff waits minutes before asking again.
            Err(e) if let Some(f) = of_watch(&e) => {
                tracing::warn!(error = %e, "kubernetes node watch forbidden");
                if !std::mem::replace(&mut forbidden, true)
                    && say(&tx, Observation::Forbidden(f)).await.is_err()
                {
                    return;
                }
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(error = %e, "kubernetes node watch");
                health.failed("nodes");
                let obs = Observation::SourceError {
                    source: SOURCE.into(),
                    error: e.to_string(),
                };
                if say(&tx, obs).await.is_err() {
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
            if say(&tx, obs).await.is_err() {
                return;
            }
        }
    }
}

enum Change {
    Pod(Result<watcher::Event<SlimPod>, watcher::Error>),
    Deployment(Result<watcher::Event<Deployment>, watcher::Error>),
    ReplicaSet(Result<watcher::Event<ReplicaSet>, watcher::Error>),
    /// A probe of a failed watch came back: whether the server accepts that watch again.
    Probed(&'static str, bool),
    Flush,
}

async fn watch_namespace(
    client: Client,
    ns: String,
    selector: Option<String>,
    streaming: bool,
    pod_writer: reflector::store::Writer<SlimPod>,
    tx: mpsc::Sender<Event>,
) {
    let wc = watch_config(selector.as_deref(), streaming);
    let pods: Api<SlimPod> = api(client.clone(), &ns);
    let deployments: Api<Deployment> = api(client.clone(), &ns);
    let replicasets: Api<ReplicaSet> = api(client.clone(), &ns);
    let (dep_store, dep_writer) = reflector::store();
    let (rs_store, rs_writer) = reflector::store();
    let stores = Stores {
        pods: pod_writer.as_reader(),
        deployments: dep_store,
        replicasets: rs_store,
    };
    // Watches that drop or expire resume by themselves, relisting after a 410 Gone.
    // A forbidden watch waits minutes before it asks again; other errors back off.
    // The stores keep only what the panes read: pods are read as `SlimPod`s, and managed
    // fields are dropped; 5,000 pods as the API sends them would be most of the memory.
    let pods = watcher(pods, wc.clone());
    let pod_events = backed_off(reflector::reflector(pod_writer, pods)).map(Change::Pod);
    let deployments = watcher(deployments, wc.clone()).modify(without_managed_fields);
    let dep_events =
        backed_off(reflector::reflector(dep_writer, deployments)).map(Change::Deployment);
    let replicasets = watcher(replicasets, wc).modify(without_managed_fields);
    let rs_events =
        backed_off(reflector::reflector(rs_writer, replicasets)).map(Change::ReplicaSet);
    let mut clock = tokio::time::interval(FLUSH);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ticks = futures::stream::unfold(clock, |mut c| async move {
        c.tick().await;
        Some((Change::Flush, c))
    });
    let (probe_tx, probe_rx) = mpsc::channel::<Change>(8);
    let probes = futures::stream::unfold(probe_rx, |mut rx| async move {
        rx.recv().await.map(|c| (c, rx))
    });
    let changes = stream::select(
        stream::select(pod_events, dep_events),
        stream::select(rs_events, stream::select(ticks, probes)),
    );
    let mut changes = std::pin::pin!(changes);
    let mut co = Coalescer::default();
    let source = if ns.is_empty() {
        "kubernetes all namespaces".to_string()
    } else {
        format!("kubernetes {ns}")
    };
    let mut health = Health::default();
    let mut forbidden: BTreeSet<&'static str> = BTreeSet::new();
    while let Some(change) = changes.next().await {
        let (watch, outcome) = match change {
            Change::Pod(Ok(ev)) => {
                let working = proves_working(&ev);
                co.pod(ev, &stores.pods);
                ("pods", working.then_some(Ok(())))
            }
            Change::Deployment(Ok(ev)) => {
                let working = proves_working(&ev);
                co.deployment(ev, &stores.deployments);
                ("deployments", working.then_some(Ok(())))
            }
            Change::ReplicaSet(Ok(ev)) => {
                let working = proves_working(&ev);
                co.replicaset(ev, &stores.pods, &stores.deployments);
                ("replicasets", working.then_some(Ok(())))
            }
            Change::Pod(Err(e)) => ("pods", Some(Err(e))),
            Change::Deployment(Err(e)) => ("deployments", Some(Err(e))),
            Change::ReplicaSet(Err(e)) => ("replicasets", Some(Err(e))),
            Change::Probed(watch, ok) => {
                let recovered = health.probed(watch, ok);
                ("", recovered.then_some(Ok(())))
            }
            Change::Flush => {
                if flush(&mut co, &stores, &tx).await.is_err() {
                    return;
                }
                for watch in health.due() {
                    let (client, ns, back) = (client.clone(), ns.clone(), probe_tx.clone());
                    tokio::spawn(async move {
                        let ok = probe(client, ns, watch).await;
                        let _ = back.send(Change::Probed(watch, ok)).await;
                    });
                }
                ("", None)
            }
        };
        let said = match outcome {
            // Said once, in the pane it empties; no probe, so no loop of retries.
            Some(Err(error)) if let Some(f) = of_watch(&error) => {
                tracing::warn!(%ns, watch, %error, "kubernetes watch forbidden");
                if forbidden.insert(watch) {
                    say(&tx, Observation::Forbidden(f)).await
                } else {
                    Ok(())
                }
            }
            Some(Ok(())) if forbidden.remove(watch) => {
                let obs = Observation::Allowed {
                    resource: watch.to_string(),
                    namespace: ns.clone(),
                };
                say(&tx, obs).await
            }
            Some(Err(error)) => {
                tracing::warn!(%ns, watch, %error, "kubernetes watch");
                health.failed(watch);
                let obs = Observation::SourceError {
                    source: source.clone(),
                    error: format!("{watch}: {error}"),
                };
                say(&tx, obs).await
            }
            Some(Ok(())) if watch.is_empty() || health.answered(watch) => {
                tracing::info!(%ns, "kubernetes watches answer again");
                let obs = Observation::SourceRecovered {
                    source: source.clone(),
                };
                say(&tx, obs).await
            }
            _ => Ok(()),
        };
        if said.is_err() {
            return;
        }
    }
}
