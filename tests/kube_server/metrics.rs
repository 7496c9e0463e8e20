//! metrics.k8s.io/v1beta1 as metrics-server serves it through the aggregator: PodMetrics
//! (`/namespaces/NS/pods`, or every namespace) and NodeMetrics (`/nodes`), lists and gets
//! only (a watch is 405). Served only while the APIService `v1beta1.metrics.k8s.io` exists;
//! without it the group is unknown to the apiserver and every path is 404.

use hyper::Response;
use serde_json::{Value, json};

use super::fixtures::NS;
use super::store::State;
use super::{Body, KubeServer, Query, Route, not_found, respond, status};

/// The APIService that registers the group.
pub const APISERVICE: &str = "v1beta1.metrics.k8s.io";

/// Answers a metrics.k8s.io request.
pub fn answer(s: &State, r: &Route, q: &Query, method: &str) -> Response<Body> {
    if s.get("apiservices", "", APISERVICE).is_none() {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            None,
        );
    }
    if method != "GET" || q.get("watch").as_deref() == Some("true") {
        return status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            None,
        );
    }
    let (stored, kind) = match r.resource.as_str() {
        "pods" => ("podmetrics", "PodMetrics"),
        "nodes" => ("nodemetrics", "NodeMetrics"),
        _ => return not_found(r),
    };
    let stamp = |mut o: Value| {
        o["kind"] = json!(kind);
        o["apiVersion"] = json!("metrics.k8s.io/v1beta1");
        o
    };
    if let Some(name) = &r.name {
        return match s.get(stored, &r.namespace, name) {
            Some(o) => respond(200, &stamp(o.clone())),
            None => not_found(r),
        };
    }
    let items: Vec<Value> = s
        .list(stored, &r.namespace, q.get("labelSelector").as_deref())
        .into_iter()
        .map(stamp)
        .collect();
    respond(
        200,
        &json!({"kind": format!("{kind}List"), "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {}, "items": items}),
    )
}

/// Installs metrics-server: the APIService and usage for checkout's pods and the nodes.
pub fn metrics(server: &KubeServer) {
    server.put(
        "apiservices",
        json!({"metadata": {"name": APISERVICE},
            "spec": {"group": "metrics.k8s.io", "version": "v1beta1",
                "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443}}}),
    );
    let pod = |name: &str, cpu: &str, mem: &str| {
        json!({"metadata": {"name": name, "namespace": NS, "labels": {"app": "checkout"}},
            "timestamp": "2026-12-01T21:45:00Z", "window": "10.062s",
            "containers": [{"name": "app", "usage": {"cpu": cpu, "memory": mem}}]})
    };
    server.put(
        "podmetrics",
        pod("checkout-7f9d6c5b4-a1b2c", "250000n", "123456Ki"),
    );
    server.put("podmetrics", pod("checkout-7f9d6c5b4-d3e4f", "12m", "64Mi"));
    for (node, cpu, mem) in [
        ("node-1", "1873m", "9876544Ki"),
        ("node-2", "3120m", "15Gi"),
        ("gpu-node-1", "402m", "2Gi"),
    ] {
        server.put(
            "nodemetrics",
            json!({"metadata": {"name": node}, "timestamp": "2026-12-01T21:45:00Z",
                "window": "20.05s", "usage": {"cpu": cpu, "memory": mem}}),
        );
    }
}
