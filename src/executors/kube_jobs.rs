//! Job and CronJob actions on the real cluster: a re-run Job created from a failed Job's
//! template or a CronJob's `jobTemplate` (as `kubectl create job --from` does), and a
//! CronJob's `spec.suspend` patched; each can be sent with `dryRun=All` first. And the
//! describe view of a Job, with its failing pods' last log lines.

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{LogParams, Patch, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use super::kube::FIELD_MANAGER;
use super::kube_nodes::{Failure, api_failure, failed, params};
use crate::cluster::jobs::{describe, rerun_job};
use crate::sources::kube_jobs::{job_info, job_pod, pods_of};

/// Log lines shown of each failing pod.
pub const LAST_LINES: i64 = 10;

/// Creates Job `name` from `from_kind`/`from` in `ns`.
pub(super) async fn rerun(
    client: &Client,
    ns: &str,
    from_kind: &str,
    from: &str,
    name: &str,
    dry_run: bool,
) -> Result<String, Failure> {
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
    let (spec, labels, owner) = if from_kind == "CronJob" {
        let api: Api<CronJob> = Api::namespaced(client.clone(), ns);
        let cj = api
            .get(from)
            .await
            .map_err(|e| api_failure(e, &format!("get cronjob/{from}")))?;
        let owner = json!({"apiVersion": "batch/v1", "kind": "CronJob", "name": from,
            "uid": cj.uid().unwrap_or_default(), "controller": true, "blockOwnerDeletion": true});
        let t = cj.spec.job_template;
        let spec = serde_json::to_value(t.spec.unwrap_or_default()).unwrap_or(Value::Null);
        let labels = json!(t.metadata.and_then(|m| m.labels).unwrap_or_default());
        (spec, labels, Some(owner))
    } else {
        let j = jobs
            .get(from)
            .await
            .map_err(|e| api_failure(e, &format!("get job/{from}")))?;
        let spec = serde_json::to_value(j.spec.clone().unwrap_or_default()).unwrap_or(Value::Null);
        (spec, json!(j.labels()), None)
    };
    let body = rerun_job(ns, name, &spec, &labels, owner.as_ref());
    let job: Job = serde_json::from_value(body).map_err(|e| failed(format!("job: {e}")))?;
    let pp = PostParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
    };
    jobs.create(&pp, &job)
        .await
        .map_err(|e| api_failure(e, &format!("create job/{name}")))?;
    let verb = if dry_run {
        "would be created"
    } else {
        "created"
    };
    Ok(format!(
        "job {ns}/{name} {verb} from {}/{from}",
        from_kind.to_lowercase()
    ))
}

/// Sets CronJob `name`'s `spec.suspend`.
pub(super) async fn suspend(
    client: &Client,
    ns: &str,
    name: &str,
    on: bool,
    dry_run: bool,
) -> Result<String, Failure> {
    let api: Api<CronJob> = Api::namespaced(client.clone(), ns);
    let patch = json!({"spec": {"suspend": on}});
    api.patch(name, &params(dry_run), &Patch::Merge(&patch))
        .await
        .map_err(|e| api_failure(e, &format!("patch cronjob/{name}")))?;
    Ok(format!(
        "cronjob {ns}/{name} {}",
        if on { "suspended" } else { "resumed" }
    ))
}

/// A Job's describe view: its state, its pods, and the last lines of those that failed.
pub async fn describe_job(client: &Client, ns: &str, name: &str) -> Result<Vec<String>, String> {
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
    let j = jobs.get(name).await.map_err(|e| format!("get job: {e}"))?;
    let mut info = job_info(&j);
    let pods = pods_of(client, ns, name).await.unwrap_or_default();
    info.pods = pods.iter().map(job_pod).collect();
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut last = Vec::new();
    for p in pods.iter().filter(|p| {
        let jp = job_pod(p);
        jp.phase == "Failed" || jp.exit_code.is_some_and(|c| c != 0)
    }) {
        let lp = LogParams {
            tail_lines: Some(LAST_LINES),
            ..LogParams::default()
        };
        let lines = match api.logs(&p.name_any(), &lp).await {
            Ok(text) => text
                .lines()
                .map(crate::app::logs::sanitize)
                .collect::<Vec<_>>(),
            Err(e) => vec![format!("(logs: {e})")],
        };
        last.push((p.name_any(), lines));
    }
    Ok(describe(&info, &last))
}
