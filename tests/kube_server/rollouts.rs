//! Argo Rollouts as a custom resource (`argoproj.io/v1alpha1`), served as the apiserver
//! serves a CRD: only while the CustomResourceDefinition `rollouts.argoproj.io` exists (else
//! every path of the group is a plain-text `404 page not found`, as for any unknown group),
//! discovery of the group version, lists and watches through the common code, a `status`
//! subresource (a patch of the main resource leaves `status` alone, a patch of `status`
//! changes nothing else) and only JSON merge patches (no strategic merge on a CRD).

use http_body_util::{BodyExt, Full};
use hyper::Response;
use serde_json::{Value, json};

use super::Body;
use super::KubeServer;
use super::fixtures::NS;
use super::store::State;

/// The CRD's name.
pub const CRD: &str = "rollouts.argoproj.io";

/// Whether the server serves the group.
pub fn served(s: &State) -> bool {
    s.get("customresourcedefinitions", "", CRD).is_some()
}

/// The apiserver's answer for a path of an unknown group.
pub fn page_not_found() -> Response<Body> {
    Response::builder()
        .status(404)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(bytes::Bytes::from_static(b"404 page not found\n")).boxed())
        .unwrap()
}

/// Discovery documents: `/apis` lists the group only while it is served, the group
/// version lists `rollouts` and `rollouts/status` (recorded from a real apiserver).
pub fn discovery(s: &State, path: &str) -> Option<Value> {
    let argo = json!({"name": "argoproj.io",
        "versions": [{"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"}],
        "preferredVersion": {"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"}});
    match path.trim_end_matches('/') {
        "/apis" => {
            let mut groups: Vec<Value> = ["apps", "batch", "autoscaling", "events.k8s.io", "policy"]
                .iter()
                .map(|g| {
                    json!({"name": g, "versions": [{"groupVersion": format!("{g}/v1"), "version": "v1"}],
                        "preferredVersion": {"groupVersion": format!("{g}/v1"), "version": "v1"}})
                })
                .collect();
            if served(s) {
                groups.push(argo);
            }
            Some(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
        }
        "/apis/argoproj.io/v1alpha1" if served(s) => Some(json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "argoproj.io/v1alpha1",
            "resources": [
                {"name": "rollouts", "singularName": "rollout", "namespaced": true, "kind": "Rollout",
                    "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                    "shortNames": ["ro"], "storageVersionHash": "T0mdNo50nFA="},
                {"name": "rollouts/status", "singularName": "", "namespaced": true, "kind": "Rollout",
                    "verbs": ["get", "patch", "update"]}]})),
        _ => None,
    }
}

/// The 415 a strategic merge patch of a custom resource gets.
pub const NO_STRATEGIC: &str = "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

/// The object a merge patch makes of `current`: on `status`, only the status changes; on the
/// main resource, everything but the status.
pub fn patched(current: &Value, input: &Value, status: bool) -> Value {
    let mut all = current.clone();
    super::store::merge_patch(&mut all, input);
    if status {
        let mut next = current.clone();
        next["status"] = all["status"].clone();
        next
    } else {
        all["status"] = current["status"].clone();
        all
    }
}

/// Installs the CRD.
pub fn install(server: &KubeServer) {
    server.put(
        "customresourcedefinitions",
        json!({"metadata": {"name": CRD},
            "spec": {"group": "argoproj.io", "scope": "Namespaced",
                "names": {"plural": "rollouts", "singular": "rollout", "kind": "Rollout", "shortNames": ["ro"]},
                "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                    "subresources": {"status": {}}}]}}),
    );
}

/// A canary Rollout `checkout` paused at its pause step, 20% to the canary, as the Argo
/// controller leaves it.
pub fn checkout() -> Value {
    json!({"metadata": {"name": "checkout", "namespace": NS, "labels": {"app": "checkout"}},
        "spec": {"replicas": 4,
            "selector": {"matchLabels": {"app": "checkout"}},
            "template": {"metadata": {"labels": {"app": "checkout"}},
                "spec": {"containers": [{"name": "app", "image": "registry.local/checkout:2.1.0"}]}},
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "10m"}}]}}},
        "status": {"phase": "Paused", "message": "CanaryPauseStep", "currentStepIndex": 1,
            "currentPodHash": "5f6b8c9d7", "stableRS": "7d9c4b6f8", "replicas": 5, "readyReplicas": 5,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-12-01T21:40:00Z"}]}})
}
