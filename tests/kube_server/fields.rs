//! Field selectors (`fieldSelector=spec.nodeName=node-1,status.phase!=Failed`) as the
//! apiserver supports them: each resource takes its own field labels (`metadata.name`,
//! `metadata.namespace` everywhere; `regarding.*` on events.k8s.io events, `spec.nodeName` and
//! `status.phase` on pods), and any other label is a 400 `field label not supported: X`.

use serde_json::Value;

/// The field labels a resource supports beside `metadata.name` and `metadata.namespace`.
fn supported(resource: &str) -> &'static [&'static str] {
    match resource {
        "pods" => &[
            "spec.nodeName",
            "status.phase",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        // events.k8s.io/v1 names its fields after its own schema; `involvedObject.*` is core v1's.
        "events" => &[
            "regarding.kind",
            "regarding.name",
            "regarding.namespace",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reason",
            "reportingController",
            "type",
        ],
        "nodes" => &["spec.unschedulable"],
        _ => &[],
    }
}

/// One `label=value` / `label==value` / `label!=value` term.
struct Term {
    label: String,
    value: String,
    equal: bool,
}

fn terms(selector: &str) -> Vec<Term> {
    selector
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            if let Some((l, v)) = t.split_once("!=") {
                Term {
                    label: l.into(),
                    value: v.into(),
                    equal: false,
                }
            } else {
                let (l, v) = t.split_once('=').unwrap_or((t, ""));
                Term {
                    label: l.into(),
                    value: v.trim_start_matches('=').into(),
                    equal: true,
                }
            }
        })
        .collect()
}

/// `Err(message)` when the selector names a field label the resource does not support.
pub fn check(resource: &str, selector: &str) -> Result<(), String> {
    for t in terms(selector) {
        let known = matches!(t.label.as_str(), "metadata.name" | "metadata.namespace")
            || supported(resource).contains(&t.label.as_str());
        if !known {
            return Err(format!("field label not supported: {}", t.label));
        }
    }
    Ok(())
}

fn field<'a>(obj: &'a Value, label: &str) -> &'a Value {
    label.split('.').fold(obj, |v, k| &v[k])
}

/// Whether `obj` matches the selector (an absent field reads as "").
pub fn matches(obj: &Value, selector: Option<&str>) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    terms(sel).iter().all(|t| {
        let v = match field(obj, &t.label) {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        (v == t.value) == t.equal
    })
}
