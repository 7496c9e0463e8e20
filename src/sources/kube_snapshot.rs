//! The Kubernetes part of `sitrep snapshot`: pods and deployments listed once, as the same
//! observations the watches send the cockpit.

use anyhow::Context;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, ResourceExt};

use super::kube::Connection;
use super::kube_convert::{deployment_status, pod_status, revision_of};
use super::poll::Poller;
use crate::config::kube::KubernetesConfig;
use crate::event::Observation;

/// Every deployment and pod of the connection's namespaces, listed once.
pub async fn observations(conn: &Connection) -> anyhow::Result<Vec<Observation>> {
    let mut out = Vec::new();
    let mut lp = ListParams::default();
    if let Some(s) = &conn.label_selector {
        lp = lp.labels(s);
    }
    for ns in &conn.namespaces {
        let client = conn.client.clone();
        let sets = namespaced::<ReplicaSet>(client.clone(), ns)
            .list(&ListParams::default())
            .await
            .with_context(|| format!("listing replicasets in {ns}"))?
            .items;
        let deployments = namespaced::<Deployment>(client.clone(), ns)
            .list(&lp)
            .await
            .with_context(|| format!("listing deployments in {ns}"))?
            .items;
        let pods = namespaced::<Pod>(client, ns)
            .list(&lp)
            .await
            .with_context(|| format!("listing pods in {ns}"))?
            .items;
        out.extend(
            deployments
                .iter()
                .map(|d| Observation::Deployment(deployment_status(d, &sets))),
        );
        for p in &pods {
            let revision = |rs: &str| {
                sets.iter()
                    .find(|s| s.name_any() == rs)
                    .map_or(0, |s| revision_of(s.annotations()))
            };
            out.push(Observation::Pod(pod_status(p, revision)));
        }
    }
    // Where the cluster serves them; a cluster without them (or a failed list) has none.
    if let Ok(true) = super::kube_rollouts::served(&conn.client).await {
        out.extend(super::kube_rollouts::list(conn).await);
    }
    Ok(out)
}

/// Connects, then lists once: the cluster as one poll, so a snapshot asks it like any other
/// source.
pub struct ClusterRound(pub KubernetesConfig);

impl Poller for ClusterRound {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        let conn = super::kube::connect(&self.0)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let mut out = observations(&conn).await.map_err(|e| format!("{e:#}"))?;
        out.extend(super::kube_cluster_snapshot::cluster_observations(&conn).await);
        Ok(out)
    }
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
