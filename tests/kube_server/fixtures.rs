//! A small shop in namespace `acme`, shaped like the recorded apiserver answers: deployment
//! `checkout` at revision 2 with revision 1 kept, `ingest` at revision 1, a flags ConfigMap.

use serde_json::{Value, json};

use super::KubeServer;

pub const NS: &str = "acme";

fn template(app: &str, image: &str, hash: Option<&str>) -> Value {
    let mut labels = json!({"app": app});
    if let Some(h) = hash {
        labels["pod-template-hash"] = json!(h);
    }
    json!({"metadata": {"labels": labels},
        "spec": {"containers": [{"name": "app", "image": image}]}})
}

fn deployment(name: &str, replicas: i64, image: &str, revision: u64) -> Value {
    json!({"metadata": {"name": name, "namespace": NS,
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string()}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": template(name, image, None)},
        "status": {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
            "availableReplicas": replicas}})
}

fn replicaset(dep: &Value, hash: &str, image: &str, revision: u64, replicas: i64) -> Value {
    let name = dep["metadata"]["name"].as_str().unwrap_or_default();
    json!({"metadata": {"name": format!("{name}-{hash}"), "namespace": NS,
            "labels": {"app": name, "pod-template-hash": hash},
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string(),
                "kubernetes.io/change-cause": format!("release {image}")},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                "uid": dep["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": template(name, image, Some(hash))}})
}

/// A pod of ReplicaSet `rs` (`<deployment>-<hash>`), ready or not.
pub fn pod(rs: &str, suffix: &str, ready: bool, containers: &[&str]) -> Value {
    let (app, hash) = rs.rsplit_once('-').unwrap_or((rs, ""));
    let specs: Vec<Value> = containers
        .iter()
        .map(|c| json!({"name": c, "image": "img"}))
        .collect();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            json!({"name": c, "image": "img", "imageID": "", "ready": ready, "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-22T18:28:34Z"}}})
        })
        .collect();
    json!({"metadata": {"name": format!("{rs}-{suffix}"), "namespace": NS,
            "labels": {"app": app, "pod-template-hash": hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                "uid": format!("uid-{rs}"), "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"nodeName": "node-1", "containers": specs},
        "status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
            "containerStatuses": statuses}})
}

/// Fills the server with the shop.
pub fn shop(server: &KubeServer) {
    let checkout = server.put(
        "deployments",
        deployment("checkout", 3, "shop/checkout:1.5", 2),
    );
    server.put(
        "replicasets",
        replicaset(&checkout, "6b7c8d9f5", "shop/checkout:1.4", 1, 0),
    );
    server.put(
        "replicasets",
        replicaset(&checkout, "7f9d6c5b4", "shop/checkout:1.5", 2, 3),
    );
    let ingest = server.put("deployments", deployment("ingest", 1, "shop/ingest:3.0", 1));
    server.put(
        "replicasets",
        replicaset(&ingest, "5d4c3b2a1", "shop/ingest:3.0", 1, 1),
    );
    for s in ["a1b2c", "d3e4f", "g5h6i"] {
        server.put("pods", pod("checkout-7f9d6c5b4", s, true, &["app"]));
    }
    server.put(
        "pods",
        pod("ingest-5d4c3b2a1", "j7k8l", true, &["app", "sidecar"]),
    );
    server.put(
        "configmaps",
        json!({"metadata": {"name": "acme-flags", "namespace": NS},
            "data": {"STRICT_MODE": "false", "ai_enabled": "true"}}),
    );
}

/// A deployment `name` with one ReplicaSet (`<name>-5a5a8cfb`) at revision 1 and `n` pods
/// (`<name>-5a5a8cfb-p00000`...) spread over `nodes`
/// nodes; `unready(i)` says which pods are not ready. Written under one lock, as fast as a
/// controller would.
pub fn workload(
    server: &KubeServer,
    name: &str,
    n: usize,
    nodes: usize,
    unready: impl Fn(usize) -> bool,
) {
    let hash = "5a5a8cfb".to_string();
    let rs = format!("{name}-{hash}");
    server.with(|s| {
        let mut d = deployment(name, n as i64, &format!("shop/{name}:1"), 1);
        let ready = (0..n).filter(|i| !unready(*i)).count() as i64;
        d["status"]["readyReplicas"] = json!(ready);
        d["status"]["availableReplicas"] = json!(ready);
        let d = s.put("deployments", d);
        s.put(
            "replicasets",
            replicaset(&d, &hash, &format!("shop/{name}:1"), 1, n as i64),
        );
        for i in 0..n {
            let mut p = pod(&rs, &format!("p{i:05}"), !unready(i), &["app"]);
            p["spec"]["nodeName"] = json!(format!("node-{}", i % nodes.max(1)));
            s.put("pods", p);
        }
    });
}
