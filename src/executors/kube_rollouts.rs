//! Argo Rollouts actions on the real cluster: abort, promote and the canary's weight to 0,
//! sent as the kubectl plugin sends them (merge patches on the Rollout's `status`
//! subresource, then on the Rollout), each with `dryRun=All` first when previewed.

use kube::api::{DynamicObject, Patch};
use kube::{Api, Client};

use super::kube_nodes::{Failure, api_failure, failed, params};
use crate::cluster::rollouts::{RolloutOp, RolloutStatus, effect, patches};

/// Applies `op` to Rollout `ns`/`name`; what was (or would be) done.
pub(super) async fn apply(
    client: &Client,
    ns: &str,
    name: &str,
    op: RolloutOp,
    dry_run: bool,
) -> Result<String, Failure> {
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        ns,
        &crate::sources::kube_rollouts::resource(),
    );
    // The patches depend on where the Rollout stands now (promote unpauses or steps on).
    let obj = api
        .get(name)
        .await
        .map_err(|e| api_failure(e, &format!("get rollout/{name}")))?;
    let value = serde_json::to_value(&obj).map_err(|e| failed(format!("rollout/{name}: {e}")))?;
    let rollout = RolloutStatus::from_json(&value).ok_or_else(|| {
        failed(format!(
            "rollout {ns}/{name}: not a Rollout the cockpit can read"
        ))
    })?;
    let sent = patches(op, &rollout);
    if sent.is_empty() {
        return Err(failed(format!(
            "rollout {ns}/{name}: nothing to {} (already done)",
            op.command().trim_start_matches("rollout-")
        )));
    }
    for p in &sent {
        let pp = params(dry_run);
        let result = if p.status {
            api.patch_status(name, &pp, &Patch::Merge(&p.body)).await
        } else {
            api.patch(name, &pp, &Patch::Merge(&p.body)).await
        };
        let what = if p.status {
            format!("patch rollout/{name}/status")
        } else {
            format!("patch rollout/{name}")
        };
        result.map_err(|e| api_failure(e, &what))?;
    }
    let verb = if dry_run { "would be" } else { "was" };
    let what = effect(op, &rollout).into_iter().next().unwrap_or_default();
    Ok(format!(
        "rollout {ns}/{name}: {} {verb} sent. {what}",
        op.command()
    ))
}
