//! The jobs view's source: Jobs and CronJobs (batch/v1) of the watched namespaces, polled,
//! with the pods of each Job that has failed attempts (by its `job-name` label).

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};

use crate::cluster::jobs::{Batch, CronJobInfo, JobInfo, JobPod};
use crate::event::Observation;
use crate::sources::poll::Poller;

/// The Job's row, without its pods.
pub fn job_info(j: &Job) -> JobInfo {
    let status = j.status.as_ref();
    let n = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    let is = |t: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == t && c.status == "True")
    };
    JobInfo {
        namespace: j.namespace().unwrap_or_default(),
        name: j.name_any(),
        cronjob: j
            .owner_references()
            .iter()
            .find(|o| o.kind == "CronJob" && o.controller == Some(true))
            .map(|o| o.name.clone()),
        active: n(status.and_then(|s| s.active)),
        succeeded: n(status.and_then(|s| s.succeeded)),
        failed: n(status.and_then(|s| s.failed)),
        // The API defaults an unset backoffLimit to 6.
        backoff_limit: j
            .spec
            .as_ref()
            .and_then(|s| s.backoff_limit)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(6),
        failed_reason: is("Failed").map(|c| {
            (
                c.reason.clone().unwrap_or_else(|| "Failed".into()),
                c.message.clone().unwrap_or_default(),
            )
        }),
        complete: is("Complete").is_some(),
        started: status.and_then(|s| s.start_time.as_ref()).map(|t| t.0),
        pods: Vec::new(),
    }
}

/// A Job's pod: phase and the last container's reason and exit code.
pub fn job_pod(p: &Pod) -> JobPod {
    let status = p.status.as_ref();
    let last = status
        .and_then(|s| s.container_statuses.as_deref())
        .and_then(|c| c.last());
    let state = last.and_then(|c| c.state.as_ref());
    let terminated = state
        .and_then(|s| s.terminated.as_ref())
        .or_else(|| last.and_then(|c| c.last_state.as_ref()?.terminated.as_ref()));
    let waiting = state.and_then(|s| s.waiting.as_ref());
    JobPod {
        name: p.name_any(),
        phase: status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into()),
        reason: waiting
            .and_then(|w| w.reason.clone())
            .or_else(|| terminated.and_then(|t| t.reason.clone())),
        exit_code: terminated.map(|t| t.exit_code),
    }
}

/// A CronJob's row.
pub fn cronjob_info(c: &CronJob) -> CronJobInfo {
    let spec = Some(&c.spec);
    let status = c.status.as_ref();
    CronJobInfo {
        namespace: c.namespace().unwrap_or_default(),
        name: c.name_any(),
        schedule: spec.map(|s| s.schedule.clone()).unwrap_or_default(),
        suspend: spec.and_then(|s| s.suspend).unwrap_or(false),
        active: status
            .and_then(|s| s.active.as_ref())
            .map_or(0, |a| u32::try_from(a.len()).unwrap_or(u32::MAX)),
        last_schedule: status
            .and_then(|s| s.last_schedule_time.as_ref())
            .map(|t| t.0),
        last_success: status
            .and_then(|s| s.last_successful_time.as_ref())
            .map(|t| t.0),
    }
}

/// The pods of Job `name` (by the `job-name` label the job controller sets).
pub async fn pods_of(client: &Client, ns: &str, name: &str) -> Result<Vec<Pod>, kube::Error> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let lp = ListParams::default().labels(&format!("job-name={name}"));
    Ok(api.list(&lp).await?.items)
}

/// The API of `K` in `ns`; the empty namespace is every namespace (`-A`).
fn api<K>(client: &Client, ns: &str) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    if ns.is_empty() {
        Api::all(client.clone())
    } else {
        Api::namespaced(client.clone(), ns)
    }
}

/// Reads the Jobs and CronJobs of `namespaces` once, with the pods of failing Jobs.
pub async fn read(client: &Client, namespaces: &[String]) -> Result<Batch, String> {
    let mut out = Batch::default();
    for ns in namespaces {
        let jobs: Api<Job> = api(client, ns);
        let list = jobs
            .list(&ListParams::default())
            .await
            .map_err(|e| format!("list jobs in {ns}: {e}"))?;
        for j in &list.items {
            let mut info = job_info(j);
            if info.failed > 0 {
                // The pods say why; a role that may not list them still sees the Job.
                if let Ok(pods) = pods_of(client, &info.namespace, &info.name).await {
                    info.pods = pods.iter().map(job_pod).collect();
                }
            }
            out.jobs.push(info);
        }
        let cronjobs: Api<CronJob> = api(client, ns);
        let list = cronjobs
            .list(&ListParams::default())
            .await
            .map_err(|e| format!("list cronjobs in {ns}: {e}"))?;
        out.cronjobs.extend(list.items.iter().map(cronjob_info));
    }
    Ok(out)
}

/// Polls the Jobs and CronJobs of the watched namespaces.
pub struct JobsPoller {
    pub client: Client,
    pub namespaces: Vec<String>,
}

impl Poller for JobsPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        Ok(vec![Observation::Batch(
            read(&self.client, &self.namespaces).await?,
        )])
    }
}
