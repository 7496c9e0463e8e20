//! Argo Rollouts of the watched namespaces, when the cluster serves them: one discovery
//! request (`/apis/argoproj.io/v1alpha1`) at start, then a watch through the dynamic API.
//! A cluster without the CRDs (404), or an identity that may not see them (403), has no
//! rollouts: nothing is said, no pane shows an error.

use std::collections::BTreeMap;

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::watcher;
use kube::{Api, Client};
use tokio::sync::mpsc;

use super::kube_forbidden::backed_off;
use crate::cluster::rollouts::{GROUP, KIND, PLURAL, RolloutStatus, VERSION};
use crate::event::{Event, Observation};

/// The Rollout resource for the dynamic API.
pub fn resource() -> ApiResource {
    ApiResource {
        group: GROUP.into(),
        version: VERSION.into(),
        api_version: format!("{GROUP}/{VERSION}"),
        kind: KIND.into(),
        plural: PLURAL.into(),
    }
}

/// Whether the API server serves rollouts: `Ok(false)` when the group is not there or may
/// not be read (404, 403), `Err` for anything that may pass.
pub async fn served(client: &Client) -> Result<bool, String> {
    match client
        .list_api_group_resources(&format!("{GROUP}/{VERSION}"))
        .await
    {
        Ok(list) => Ok(list.resources.iter().any(|r| r.name == PLURAL)),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 403 => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// A Rollout object as the pods pane reads it.
pub fn status_of(o: &DynamicObject) -> Option<RolloutStatus> {
    RolloutStatus::from_json(&serde_json::to_value(o).ok()?)
}

/// The Rollouts of the connection's namespaces, listed once (for `sitrep snapshot`).
pub async fn list(conn: &super::kube::Connection) -> Vec<Observation> {
    let mut out = Vec::new();
    let mut lp = kube::api::ListParams::default();
    if let Some(s) = &conn.label_selector {
        lp = lp.labels(s);
    }
    for ns in &conn.namespaces {
        let api: Api<DynamicObject> = if ns.is_empty() {
            Api::all_with(conn.client.clone(), &resource())
        } else {
            Api::namespaced_with(conn.client.clone(), ns, &resource())
        };
        match api.list(&lp).await {
            Ok(l) => out.extend(
                l.items
                    .iter()
                    .filter_map(status_of)
                    .map(Observation::Rollout),
            ),
            Err(e) => tracing::debug!(%ns, error = %e, "rollouts list"),
        }
    }
    out
}

async fn say(tx: &mpsc::Sender<Event>, obs: Observation) -> Result<(), ()> {
    tx.send(Event::Observed(jiff::Timestamp::now(), obs))
        .await
        .map_err(|_| ())
}

/// Asks discovery until it answers, then watches each namespace's rollouts when they are
/// served; ends quietly when they are not, or when the channel closes.
pub async fn watch(
    client: Client,
    namespaces: Vec<String>,
    selector: Option<String>,
    tx: mpsc::Sender<Event>,
) {
    let mut wait = std::time::Duration::from_secs(1);
    loop {
        match served(&client).await {
            Ok(true) => break,
            Ok(false) => {
                tracing::debug!("no argoproj.io rollouts in this cluster");
                return;
            }
            Err(e) => {
                // The other watches say when the API server is down; this one only waits.
                tracing::debug!(error = %e, "rollouts discovery");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(60));
                if tx.is_closed() {
                    return;
                }
            }
        }
    }
    let watches = namespaces.into_iter().map(|ns| {
        let ar = resource();
        let api: Api<DynamicObject> = if ns.is_empty() {
            Api::all_with(client.clone(), &ar)
        } else {
            Api::namespaced_with(client.clone(), &ns, &ar)
        };
        let mut wc = watcher::Config::default();
        if let Some(s) = &selector {
            wc = wc.labels(s);
        }
        watch_one(api, wc, tx.clone())
    });
    futures::future::join_all(watches).await;
}

async fn watch_one(api: Api<DynamicObject>, wc: watcher::Config, tx: mpsc::Sender<Event>) {
    let events = backed_off(watcher(api, wc));
    let mut events = std::pin::pin!(events);
    // What was said, so an unchanged object is not said again and a relist finds the gone.
    let mut said: BTreeMap<(String, String), RolloutStatus> = BTreeMap::new();
    let mut listed: Option<Vec<(String, String)>> = None;
    while let Some(ev) = events.next().await {
        let mut out = Vec::new();
        match ev {
            Ok(watcher::Event::Apply(o)) | Ok(watcher::Event::InitApply(o)) => {
                if let Some(r) = status_of(&o) {
                    let key = (r.namespace.clone(), r.name.clone());
                    if let Some(l) = &mut listed {
                        l.push(key.clone());
                    }
                    if said.get(&key) != Some(&r) {
                        said.insert(key, r.clone());
                        out.push(Observation::Rollout(r));
                    }
                }
            }
            Ok(watcher::Event::Delete(o)) => {
                if let Some(r) = status_of(&o) {
                    said.remove(&(r.namespace.clone(), r.name.clone()));
                    out.push(Observation::RolloutGone {
                        namespace: r.namespace,
                        name: r.name,
                    });
                }
            }
            Ok(watcher::Event::Init) => listed = Some(Vec::new()),
            Ok(watcher::Event::InitDone) => {
                let listed = listed.take().unwrap_or_default();
                let gone: Vec<(String, String)> = said
                    .keys()
                    .filter(|k| !listed.contains(k))
                    .cloned()
                    .collect();
                for (namespace, name) in gone {
                    said.remove(&(namespace.clone(), name.clone()));
                    out.push(Observation::RolloutGone { namespace, name });
                }
            }
            // The CRDs may go while it runs, or the role may lose them: still no error pane.
            Err(e) => tracing::debug!(error = %e, "rollouts watch"),
        }
        for obs in out {
            if say(&tx, obs).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_object_reads_as_a_rollout() {
        let o: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"replicas": 2, "strategy": {"canary": {"steps": [{"setWeight": 25}, {"pause": {}}]}}},
            "status": {"currentStepIndex": 1, "stableRS": "aaa", "currentPodHash": "bbb",
                "pauseConditions": [{"reason": "CanaryPauseStep"}]}
        }))
        .unwrap();
        let r = status_of(&o).unwrap();
        assert_eq!(r.canary_weight, 25);
        assert_eq!(
            r.summary(),
            "canary 25% · step 1/2 · stable aaa / canary bbb · paused"
        );
        assert_eq!(resource().api_version, "argoproj.io/v1alpha1");
    }
}
