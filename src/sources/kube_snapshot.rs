//! The Kubernetes part of `sitrep snapshot`: pods and deployments as JSON, read once.

use anyhow::Context;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serde_json::{Value, json};

use super::kube::Connection;
use super::kube_convert::{deployment_status, pod_status, revision_of};

/// `{pods: [{namespace, name, workload, phase, reason, ready, restarts, node, age_s}],
///   deployments: [{namespace, name, revision, replicas, ready, updated, available}]}`.
pub async fn kube_snapshot(conn: &Connection, now: jiff::Timestamp) -> anyhow::Result<Value> {
    let mut pods_out = Vec::new();
    let mut deployments_out = Vec::new();
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
        for d in &deployments {
            let s = deployment_status(d, &sets);
            deployments_out.push(json!({"namespace": s.namespace, "name": s.name,
                "revision": s.revision, "replicas": s.replicas, "ready": s.ready,
                "updated": s.updated, "available": s.available}));
        }
        for p in &pods {
            let revision = |rs: &str| {
                sets.iter()
                    .find(|s| s.name_any() == rs)
                    .map_or(0, |s| revision_of(s.annotations()))
            };
            let s = pod_status(p, revision);
            pods_out.push(json!({"namespace": s.namespace, "name": s.name,
                "workload": s.workload, "phase": s.phase, "reason": s.reason,
                "ready": s.ready, "restarts": s.restarts, "node": s.node,
                "age_s": now.duration_since(s.created).as_secs().max(0)}));
        }
    }
    Ok(json!({"pods": pods_out, "deployments": deployments_out}))
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
