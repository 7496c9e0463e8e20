//! Coalescing watch events into observations: events only mark objects dirty, a flush sends
//! each dirty object's latest state once. Objects are keyed by namespace and name, so one
//! coalescer serves a namespace's watches and a cluster-wide (`--all-namespaces`) watch alike.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use tokio::sync::mpsc;

use super::kube_convert::{SlimPod, deployment_status, pod_status, revision_of};
use crate::event::{DeploymentStatus, Event, Observation, PodStatus};

/// An object exactly: namespace, then name.
type Key = (String, String);

fn key_of<K: ResourceExt>(o: &K) -> Key {
    (o.namespace().unwrap_or_default(), o.name_any())
}

fn lookup<K>(store: &Store<K>, (ns, name): &Key) -> Option<std::sync::Arc<K>>
where
    K: kube::Resource<DynamicType = ()> + Clone,
{
    store.get(&ObjectRef::new(name).within(ns))
}

/// What has changed since the last flush and what was last sent.
///
/// The watcher pages its initial list (500 objects a page) and delivers the objects as
/// `InitApply`, but the reflector keeps them out of its store until `InitDone` swaps the whole
/// list in. So nothing is looked up during a (re)list: `InitDone` marks everything the store
/// now holds, and everything shown before, dirty, and one flush then says what is new, what
/// changed and what is gone. The pane shows exactly the list, however it was paged.
#[derive(Default)]
pub(super) struct Coalescer {
    dirty_pods: BTreeSet<Key>,
    gone_pods: BTreeSet<Key>,
    dirty_deployments: BTreeSet<Key>,
    gone_deployments: BTreeSet<Key>,
    sent_pods: HashMap<Key, PodStatus>,
    sent_deployments: HashMap<Key, DeploymentStatus>,
}

impl Coalescer {
    fn all_pods_dirty(&mut self, store: &Store<SlimPod>) {
        let keys = store
            .state()
            .iter()
            .map(|p| key_of(p.as_ref()))
            .collect::<Vec<_>>();
        self.dirty_pods.extend(keys);
        self.dirty_pods.extend(self.sent_pods.keys().cloned());
    }

    fn all_deployments_dirty(&mut self, store: &Store<Deployment>) {
        let keys = store
            .state()
            .iter()
            .map(|d| key_of(d.as_ref()))
            .collect::<Vec<_>>();
        self.dirty_deployments.extend(keys);
        self.dirty_deployments
            .extend(self.sent_deployments.keys().cloned());
    }

    pub(super) fn pod(&mut self, ev: watcher::Event<SlimPod>, store: &Store<SlimPod>) {
        match ev {
            watcher::Event::Apply(p) => {
                let key = key_of(&p);
                self.gone_pods.remove(&key);
                self.dirty_pods.insert(key);
            }
            watcher::Event::Delete(p) => {
                let key = key_of(&p);
                self.dirty_pods.remove(&key);
                self.gone_pods.insert(key);
            }
            watcher::Event::InitDone => self.all_pods_dirty(store),
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    pub(super) fn deployment(&mut self, ev: watcher::Event<Deployment>, store: &Store<Deployment>) {
        match ev {
            watcher::Event::Apply(d) => {
                let key = key_of(&d);
                self.gone_deployments.remove(&key);
                self.dirty_deployments.insert(key);
            }
            watcher::Event::Delete(d) => {
                let key = key_of(&d);
                self.dirty_deployments.remove(&key);
                self.gone_deployments.insert(key);
            }
            watcher::Event::InitDone => self.all_deployments_dirty(store),
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    pub(super) fn replicaset(
        &mut self,
        ev: watcher::Event<ReplicaSet>,
        pods: &Store<SlimPod>,
        deployments: &Store<Deployment>,
    ) {
        match ev {
            watcher::Event::Apply(rs) | watcher::Event::Delete(rs) => {
                let ns = rs.namespace().unwrap_or_default();
                for o in rs.owner_references() {
                    if o.kind == "Deployment" {
                        self.dirty_deployments.insert((ns.clone(), o.name.clone()));
                        // A rollback renumbers an old ReplicaSet: its pods' revision moves.
                        let of_it = self
                            .sent_pods
                            .iter()
                            .filter(|(k, p)| k.0 == ns && p.workload == o.name);
                        let keys: Vec<Key> = of_it.map(|(k, _)| k.clone()).collect();
                        self.dirty_pods.extend(keys);
                    }
                }
            }
            // Revisions and histories all come from ReplicaSets: a new list may change any.
            watcher::Event::InitDone => {
                self.all_deployments_dirty(deployments);
                self.all_pods_dirty(pods);
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }
}

/// The stores of one set of watches (a namespace's, or the whole cluster's).
pub(super) struct Stores {
    pub pods: Store<SlimPod>,
    pub deployments: Store<Deployment>,
    pub replicasets: Store<ReplicaSet>,
}

/// Sends what changed since the last flush, each object's latest state once.
pub(super) async fn flush(
    co: &mut Coalescer,
    stores: &Stores,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ()> {
    let mut out = Vec::new();
    let rs_revision = |ns: &str, name: &str| {
        stores
            .replicasets
            .get(&ObjectRef::new(name).within(ns))
            .map_or(0, |rs| revision_of(rs.annotations()))
    };
    for key in std::mem::take(&mut co.dirty_pods) {
        match lookup(&stores.pods, &key) {
            Some(p) => {
                let status = pod_status(&p.to_pod(), |rs| rs_revision(&key.0, rs));
                if co.sent_pods.get(&key) != Some(&status) {
                    co.sent_pods.insert(key, status.clone());
                    out.push(Observation::Pod(status));
                }
            }
            None => {
                co.gone_pods.insert(key);
            }
        }
    }
    for key in std::mem::take(&mut co.gone_pods) {
        if co.sent_pods.remove(&key).is_some() {
            out.push(Observation::PodGone {
                namespace: key.0,
                name: key.1,
            });
        }
    }
    if !co.dirty_deployments.is_empty() {
        let sets = stores.replicasets.state();
        for key in std::mem::take(&mut co.dirty_deployments) {
            let Some(d) = lookup(&stores.deployments, &key) else {
                co.gone_deployments.insert(key);
                continue;
            };
            let status = deployment_status(&d, sets.iter().map(|s| s.as_ref()));
            if co.sent_deployments.get(&key) != Some(&status) {
                co.sent_deployments.insert(key, status.clone());
                out.push(Observation::Deployment(status));
            }
        }
    }
    for key in std::mem::take(&mut co.gone_deployments) {
        if co.sent_deployments.remove(&key).is_some() {
            out.push(Observation::DeploymentGone {
                namespace: key.0,
                name: key.1,
            });
        }
    }
    let now = jiff::Timestamp::now();
    for obs in out {
        tx.send(Event::Observed(now, obs)).await.map_err(|_| ())?;
    }
    Ok(())
}
