//! What the node lifecycle controller does after a cordon: the taint
//! `node.kubernetes.io/unschedulable:NoSchedule` follows `spec.unschedulable` (instantly,
//! for tests; the real one takes a moment, so an uncordon answer still shows the taint).

use serde_json::{Value, json};

use super::store::State;

/// The taint the controller keeps in step with `spec.unschedulable`.
pub const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Runs the controller over node `name` after a write.
pub fn reconcile(s: &mut State, name: &str) {
    let Some(mut n) = s.get("nodes", "", name).cloned() else {
        return;
    };
    let cordoned = n["spec"]["unschedulable"].as_bool().unwrap_or(false);
    let mut taints: Vec<Value> = n["spec"]["taints"].as_array().cloned().unwrap_or_default();
    let has = taints.iter().any(|t| t["key"] == UNSCHEDULABLE);
    if cordoned == has {
        return;
    }
    if cordoned {
        taints.push(json!({"key": UNSCHEDULABLE, "effect": "NoSchedule",
            "timeAdded": jiff::Timestamp::now().to_string()}));
    } else {
        taints.retain(|t| t["key"] != UNSCHEDULABLE);
    }
    if taints.is_empty() {
        if let Some(spec) = n["spec"].as_object_mut() {
            spec.remove("taints");
        }
    } else {
        n["spec"]["taints"] = json!(taints);
    }
    s.put("nodes", n);
}
