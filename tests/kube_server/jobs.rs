//! Jobs and CronJobs (batch/v1): list, watch, get and merge-patch come from the generic
//! store; this adds `POST .../jobs` as the apiserver answers it (201 with the stored object,
//! 409 AlreadyExists, 422 when a selector is given without `manualSelector` or the template
//! carries another Job's controller labels, nothing stored under `dryRun=All`) and what the
//! job controller does to a new Job (its selector, the template's labels, one active pod).
//! The fixture: Job `reindex` failed for good (BackoffLimitExceeded, 5 of 4) with two failed
//! pods and their logs, CronJob `nightly-report` and the Job it last made.

use hyper::Response;
use serde_json::{Value, json};

use super::fixtures::NS;
use super::store::State;
use super::{Body, KubeServer, Query, Route, respond, status};

fn invalid(name: &str, field: &str, value: &Value, why: &str) -> Response<Body> {
    let msg = format!("Job.batch \"{name}\" is invalid: {field}: Invalid value: {value}: {why}");
    status(
        422,
        "Invalid",
        &msg,
        Some(json!({"name": name, "group": "batch", "kind": "Job",
            "causes": [{"reason": "FieldValueInvalid", "message": format!("Invalid value: {value}: {why}"), "field": field}]})),
    )
}

/// Answers `POST /apis/batch/v1/namespaces/NS/jobs`.
pub fn create(s: &mut State, r: &Route, q: &Query, body: &str) -> Response<Body> {
    let Ok(mut job) = serde_json::from_str::<Value>(body) else {
        return status(400, "BadRequest", "body is not JSON", None);
    };
    let dry_run = q.get("dryRun").as_deref() == Some("All");
    let name = job["metadata"]["name"].as_str().unwrap_or("").to_string();
    if s.get("jobs", &r.namespace, &name).is_some() {
        return status(
            409,
            "AlreadyExists",
            &format!("jobs.batch \"{name}\" already exists"),
            Some(json!({"name": name, "group": "batch", "kind": "jobs"})),
        );
    }
    let manual = job["spec"]["manualSelector"].as_bool().unwrap_or(false);
    if !job["spec"]["selector"].is_null() && !manual {
        return invalid(
            &name,
            "spec.selector",
            &job["spec"]["selector"],
            "`selector` will be auto-generated",
        );
    }
    let uid = format!("uid-jobs-{}-{name}", r.namespace);
    let labels = &job["spec"]["template"]["metadata"]["labels"];
    for l in ["controller-uid", "batch.kubernetes.io/controller-uid"] {
        if labels[l].as_str().is_some_and(|v| v != uid) {
            return invalid(
                &name,
                "spec.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            );
        }
    }
    job["metadata"]["namespace"] = json!(r.namespace);
    job["metadata"]["uid"] = json!(uid);
    job["spec"]["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    let tl = &mut job["spec"]["template"]["metadata"]["labels"];
    if !tl.is_object() {
        *tl = json!({});
    }
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", uid.as_str()),
        ("controller-uid", uid.as_str()),
        ("batch.kubernetes.io/job-name", name.as_str()),
        ("job-name", name.as_str()),
    ] {
        tl[k] = json!(v);
    }
    if job["spec"]["backoffLimit"].is_null() {
        job["spec"]["backoffLimit"] = json!(6);
    }
    if dry_run {
        job["kind"] = json!("Job");
        job["apiVersion"] = json!("batch/v1");
        return respond(201, &job);
    }
    // The job controller starts its first pod.
    job["status"] = json!({"active": 1, "startTime": jiff::Timestamp::now().to_string()});
    let stored = s.put("jobs", job);
    respond(201, &stored)
}

fn failed_pod(job: &str, suffix: &str) -> Value {
    json!({"metadata": {"name": format!("{job}-{suffix}"), "namespace": NS,
            "labels": {"job-name": job, "batch.kubernetes.io/job-name": job,
                "controller-uid": format!("uid-{job}"), "batch.kubernetes.io/controller-uid": format!("uid-{job}")},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                "uid": format!("uid-{job}"), "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"nodeName": "node-2", "restartPolicy": "Never",
            "containers": [{"name": "reindex", "image": "shop/reindex:2.1"}]},
        "status": {"phase": "Failed",
            "containerStatuses": [{"name": "reindex", "image": "shop/reindex:2.1", "imageID": "",
                "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": 1, "reason": "Error",
                    "startedAt": "2026-12-01T21:30:02Z", "finishedAt": "2026-12-01T21:30:41Z"}}}]}})
}

/// Fills the server with the shop's batch work (call after `fixtures::shop`).
pub fn jobs(server: &KubeServer) {
    let uid = "uid-reindex";
    let template = json!({"metadata": {"labels": {"app": "reindex", "job-name": "reindex",
            "batch.kubernetes.io/job-name": "reindex", "controller-uid": uid,
            "batch.kubernetes.io/controller-uid": uid}},
        "spec": {"restartPolicy": "Never",
            "containers": [{"name": "reindex", "image": "shop/reindex:2.1", "args": ["--full"]}]}});
    server.put(
        "jobs",
        json!({"metadata": {"name": "reindex", "namespace": NS, "uid": uid,
                "labels": {"app": "reindex", "job-name": "reindex", "controller-uid": uid,
                    "batch.kubernetes.io/job-name": "reindex", "batch.kubernetes.io/controller-uid": uid}},
            "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 4, "completionMode": "NonIndexed",
                "suspend": false, "manualSelector": false,
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                "template": template},
            "status": {"failed": 5, "startTime": "2026-12-01T21:20:00Z", "terminating": 0, "ready": 0,
                "uncountedTerminatedPods": {},
                "conditions": [
                    {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": "2026-12-01T21:31:10Z", "lastTransitionTime": "2026-12-01T21:31:10Z"},
                    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": "2026-12-01T21:31:10Z", "lastTransitionTime": "2026-12-01T21:31:10Z"}]}}),
    );
    for suffix in ["4xk2p", "9qz7m"] {
        server.put("pods", failed_pod("reindex", suffix));
    }
    let at = jiff::Timestamp::from_second(1_764_624_640).unwrap();
    server.log(
        NS,
        "reindex-4xk2p",
        "reindex",
        at,
        "reindexing 1200000 documents",
    );
    server.log(
        NS,
        "reindex-4xk2p",
        "reindex",
        at,
        "FATAL: connection to search-0:9200 refused",
    );
    server.log(
        NS,
        "reindex-9qz7m",
        "reindex",
        at,
        "FATAL: out of disk on /scratch",
    );
    server.put(
        "cronjobs",
        json!({"metadata": {"name": "nightly-report", "namespace": NS, "uid": "uid-nightly-report"},
            "spec": {"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid", "suspend": false,
                "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                "jobTemplate": {"metadata": {"labels": {"app": "report"}},
                    "spec": {"backoffLimit": 2, "template": {"metadata": {"labels": {"app": "report"}},
                        "spec": {"restartPolicy": "OnFailure",
                            "containers": [{"name": "report", "image": "shop/report:1.0"}]}}}}},
            "status": {"lastScheduleTime": "2026-12-01T03:00:00Z", "lastSuccessfulTime": "2026-12-01T03:04:12Z"}}),
    );
    server.put(
        "jobs",
        json!({"metadata": {"name": "nightly-report-29410380", "namespace": NS, "uid": "uid-nr-1",
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly-report",
                    "uid": "uid-nightly-report", "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"backoffLimit": 2, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "uid-nr-1"}},
                "template": {"metadata": {"labels": {"app": "report"}},
                    "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "report", "image": "shop/report:1.0"}]}}},
            "status": {"succeeded": 1, "startTime": "2026-12-01T03:00:00Z", "completionTime": "2026-12-01T03:04:12Z",
                "conditions": [{"type": "Complete", "status": "True",
                    "lastProbeTime": "2026-12-01T03:04:12Z", "lastTransitionTime": "2026-12-01T03:04:12Z"}]}}),
    );
}
