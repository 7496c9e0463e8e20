//! The Eviction subresource (`POST /api/v1/namespaces/NS/pods/NAME/eviction`, policy/v1) as
//! the apiserver answers it: the PodDisruptionBudgets selecting the pod are checked (healthy
//! pods against `minAvailable` or `maxUnavailable`); a refusal is 429 `TooManyRequests` naming
//! the budget in `details.causes`, without a Retry-After; an allowed eviction deletes the pod
//! (not under `dryRun=All`) and answers a bare `Status` with code 201.

use serde_json::{Value, json};

use super::store::State;
use super::{Body, Query, Route, not_found, respond, status};
use hyper::Response;

fn selects(pdb: &Value, pod: &Value) -> bool {
    let Some(want) = pdb["spec"]["selector"]["matchLabels"].as_object() else {
        return false;
    };
    want.iter()
        .all(|(k, v)| pod["metadata"]["labels"][k].as_str() == v.as_str())
}

fn healthy(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// A budget's count: "3" or "50%" of `of`.
fn count(v: &Value, of: usize) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<usize>().ok())
            .map(|p| (p * of).div_ceil(100)),
        _ => None,
    }
}

/// Answers one eviction.
pub fn evict(s: &mut State, r: &Route, q: &Query) -> Response<Body> {
    let name = r.name.clone().unwrap_or_default();
    let Some(pod) = s.get("pods", &r.namespace, &name).cloned() else {
        return not_found(r);
    };
    let dry_run = q.get("dryRun").as_deref() == Some("All");
    s.evictions
        .push((r.namespace.clone(), name.clone(), dry_run));
    let pods = s.list("pods", &r.namespace, None);
    for pdb in s.list("poddisruptionbudgets", &r.namespace, None) {
        if !selects(&pdb, &pod) {
            continue;
        }
        let matching: Vec<&Value> = pods.iter().filter(|p| selects(&pdb, p)).collect();
        let expected = matching.len();
        let healthy_now = matching.iter().filter(|p| healthy(p)).count();
        let desired = if let Some(min) = count(&pdb["spec"]["minAvailable"], expected) {
            min
        } else if let Some(max) = count(&pdb["spec"]["maxUnavailable"], expected) {
            expected.saturating_sub(max)
        } else {
            continue;
        };
        // An unhealthy pod may always go: evicting it cannot lower the healthy count.
        if healthy(&pod) && healthy_now <= desired {
            let pdb_name = pdb["metadata"]["name"].as_str().unwrap_or("");
            let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure",
                "message": "Cannot evict pod as it would violate the pod's disruption budget.",
                "reason": "TooManyRequests",
                "details": {"causes": [{"reason": "DisruptionBudget",
                    "message": format!("The disruption budget {pdb_name} needs {desired} healthy pods and has {healthy_now} currently")}]},
                "code": 429});
            return respond(429, &body);
        }
    }
    if !dry_run {
        s.delete("pods", &r.namespace, &name);
    }
    let _ = status;
    respond(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    )
}
