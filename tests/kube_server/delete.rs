//! `DELETE /api/v1/namespaces/NS/pods/NAME` as the apiserver answers it: the body is a
//! DeleteOptions; `dryRun` (`?dryRun=All` or `"dryRun": ["All"]` in the body) answers the
//! object without deleting it; `preconditions.uid` (and `resourceVersion`) must match the
//! stored object or the answer is 409 Conflict with a Status; a missing pod is 404. A real
//! pod lingers for its grace period with `deletionTimestamp` set; this server removes it at
//! once (watchers see DELETED) and answers the object as it was, with that timestamp.

use serde_json::{Value, json};

use super::store::State;
use super::{Body, Query, Route, details, not_found, respond, status};
use hyper::Response;

/// Answers one DELETE of a named object.
pub fn delete(s: &mut State, r: &Route, q: &Query, body: &str) -> Response<Body> {
    let options: Value = if body.trim().is_empty() {
        json!({})
    } else {
        match serde_json::from_str(body) {
            Ok(v) => v,
            Err(_) => return status(400, "BadRequest", "body is not a DeleteOptions", None),
        }
    };
    let name = r.name.clone().unwrap_or_default();
    let Some(current) = s.get(&r.resource, &r.namespace, &name).cloned() else {
        return not_found(r);
    };
    let dry_run = q.get("dryRun").as_deref() == Some("All")
        || options["dryRun"]
            .as_array()
            .is_some_and(|d| d.iter().any(|v| v == "All"));
    let meta = &current["metadata"];
    for (field, label) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
        let Some(want) = options["preconditions"][field].as_str() else {
            continue;
        };
        let have = meta[field].as_str().unwrap_or("");
        if want != have {
            let msg = format!(
                "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {label} in precondition: {want}, {label} in object meta: {have}",
                r.resource
            );
            return status(409, "Conflict", &msg, Some(details(r)));
        }
    }
    let mut out = current.clone();
    out["metadata"]["deletionTimestamp"] = json!(jiff::Timestamp::now().to_string());
    out["metadata"]["deletionGracePeriodSeconds"] = options["gracePeriodSeconds"]
        .as_i64()
        .map_or(json!(30), |g| json!(g));
    if !dry_run {
        s.delete(&r.resource, &r.namespace, &name);
    }
    respond(200, &out)
}
