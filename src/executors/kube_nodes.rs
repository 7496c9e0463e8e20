//! Node and autoscaler actions on the real cluster (cordon, uncordon, drain through the
//! Eviction API, an HPA's minimum) and the describe view's reads. Every other action goes
//! to the Kubernetes executor behind it. Each change can be sent with `dryRun=All` first.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::events::v1::Event as KEvent;
use kube::api::{EvictParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tokio::sync::mpsc;

use super::kube::{FIELD_MANAGER, KubeExecutor};
use super::{Executor, Pending, PendingPreview};
use crate::cluster::{ClusterAction, DescribeTarget, DrainProgress};
use crate::event::{Action, ActionOutcome, ActionReport, Event, Observation};

/// The annotation the kubelet puts on mirror pods of static pods.
pub const MIRROR: &str = "kubernetes.io/config.mirror";

/// How a drain waits on disruption budgets.
#[derive(Debug, Clone, Copy)]
pub struct DrainSettings {
    /// Wait between tries of an eviction a PodDisruptionBudget refused (429).
    pub retry_every: Duration,
    /// Stop retrying after this long and report what could not be evicted.
    pub give_up_after: Duration,
}

impl Default for DrainSettings {
    fn default() -> Self {
        // kubectl drain retries every 5 s and waits forever by default; a cockpit reports
        // what is still blocked after two minutes rather than hang.
        DrainSettings {
            retry_every: Duration::from_secs(5),
            give_up_after: Duration::from_secs(120),
        }
    }
}

/// Carries out node and autoscaler actions; the rest goes to `next`.
#[derive(Clone)]
pub struct ClusterExecutor {
    client: Client,
    next: KubeExecutor,
    timeout: Duration,
    progress: Option<mpsc::Sender<Event>>,
    drain: DrainSettings,
}

/// What went wrong, already in words.
pub(super) struct Failure {
    pub(super) outcome: ActionOutcome,
    pub(super) detail: String,
}

pub(super) fn failed(detail: impl Into<String>) -> Failure {
    Failure {
        outcome: ActionOutcome::Failed,
        detail: detail.into(),
    }
}

pub(super) fn api_failure(e: kube::Error, what: &str) -> Failure {
    match e {
        kube::Error::Api(s) if s.code == 403 => Failure {
            outcome: ActionOutcome::Refused,
            detail: format!("forbidden: {}", s.message),
        },
        kube::Error::Api(s) => failed(format!("{what}: {} {} ({})", s.code, s.reason, s.message)),
        other => failed(format!("{what}: {other}")),
    }
}

pub(super) fn params(dry_run: bool) -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        dry_run,
        ..PatchParams::default()
    }
}

/// Why a pod stays on a drained node, as kubectl drain says it; `None` when it is evicted.
pub fn drain_skip(pod: &Pod) -> Option<&'static str> {
    if pod.annotations().contains_key(MIRROR) {
        return Some("mirror pod");
    }
    let controller = pod
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true));
    match controller {
        Some(o) if o.kind == "DaemonSet" => Some("DaemonSet pod"),
        Some(_) => None,
        None => {
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            // A finished bare pod holds nothing; a running one would be lost for good.
            if matches!(phase, Some("Succeeded" | "Failed")) {
                None
            } else {
                Some("no controller (kubectl drain needs --force)")
            }
        }
    }
}

impl ClusterExecutor {
    /// An executor in front of `next`; drain progress goes to `progress`.
    pub fn new(
        client: Client,
        next: KubeExecutor,
        timeout: Duration,
        progress: Option<mpsc::Sender<Event>>,
    ) -> ClusterExecutor {
        ClusterExecutor {
            client,
            next,
            timeout,
            progress,
            drain: DrainSettings::default(),
        }
    }

    /// The same executor with other drain waits (tests use short ones).
    pub fn with_drain(mut self, drain: DrainSettings) -> ClusterExecutor {
        self.drain = drain;
        self
    }

    /// Runs a cluster action, for real or as a server-side dry run.
    async fn run(&self, action: &ClusterAction, dry_run: bool) -> Result<String, Failure> {
        match action {
            ClusterAction::Cordon { node } => self.cordon(node, true, dry_run).await,
            ClusterAction::Uncordon { node } => self.cordon(node, false, dry_run).await,
            ClusterAction::Drain { node } => self.drain(node, dry_run).await,
            ClusterAction::JobRerun {
                namespace,
                from_kind,
                from,
                name,
            } => {
                let call = super::kube_jobs::rerun(
                    &self.client,
                    namespace,
                    from_kind,
                    from,
                    name,
                    dry_run,
                );
                tokio::time::timeout(self.timeout, call)
                    .await
                    .map_err(|_| self.timed_out())?
            }
            ClusterAction::CronJobSuspend {
                namespace,
                name,
                suspend,
            } => {
                let call =
                    super::kube_jobs::suspend(&self.client, namespace, name, *suspend, dry_run);
                tokio::time::timeout(self.timeout, call)
                    .await
                    .map_err(|_| self.timed_out())?
            }
            ClusterAction::Rollout {
                namespace,
                name,
                change,
                ..
            } => {
                let call =
                    super::kube_rollouts::apply(&self.client, namespace, name, *change, dry_run);
                tokio::time::timeout(self.timeout, call)
                    .await
                    .map_err(|_| self.timed_out())?
            }
            ClusterAction::HpaMin {
                namespace,
                name,
                min,
                ..
            } => {
                let api: Api<HorizontalPodAutoscaler> =
                    Api::namespaced(self.client.clone(), namespace);
                let timed = tokio::time::timeout(self.timeout, async {
                    let h = api
                        .get(name)
                        .await
                        .map_err(|e| api_failure(e, "get horizontalpodautoscaler"))?;
                    let was = h.spec.min_replicas.unwrap_or(1);
                    let max = h.spec.max_replicas;
                    let patch = json!({"spec": {"minReplicas": min}});
                    api.patch(name, &params(dry_run), &Patch::Merge(&patch))
                        .await
                        .map_err(|e| api_failure(e, "patch horizontalpodautoscaler"))?;
                    Ok(format!(
                        "HPA {namespace}/{name} minReplicas {was} → {min} (max {max}); put back with `hpa-min {name} {was}`"
                    ))
                });
                timed.await.map_err(|_| self.timed_out())?
            }
        }
    }

    fn timed_out(&self) -> Failure {
        failed(format!(
            "timed out after {}s; the change may or may not have been applied",
            self.timeout.as_secs()
        ))
    }

    async fn cordon(&self, node: &str, on: bool, dry_run: bool) -> Result<String, Failure> {
        let api: Api<Node> = Api::all(self.client.clone());
        // `kubectl uncordon` removes the field; null in a merge patch does the same.
        let value = if on { json!(true) } else { json!(null) };
        let patch = json!({"spec": {"unschedulable": value}});
        let pp = params(dry_run);
        let merge = Patch::Merge(&patch);
        let call = api.patch(node, &pp, &merge);
        let verb = if on { "cordon" } else { "uncordon" };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|e| api_failure(e, &format!("{verb} node/{node}")))?;
        Ok(if on {
            format!("node {node} cordoned")
        } else {
            format!("node {node} uncordoned")
        })
    }

    async fn say(&self, p: &DrainProgress) {
        if let Some(tx) = &self.progress {
            let obs = Observation::Drain(p.clone());
            let _ = tx.send(Event::Observed(jiff::Timestamp::now(), obs)).await;
        }
    }

    /// As `kubectl drain`: cordon, then evict every pod but DaemonSet and mirror pods; an
    /// eviction a disruption budget refuses (429) is tried again until `give_up_after`,
    /// never forced. A dry run tries each eviction once with `dryRun=All`.
    async fn drain(&self, node: &str, dry_run: bool) -> Result<String, Failure> {
        self.cordon(node, true, dry_run).await?;
        let all: Api<Pod> = Api::all(self.client.clone());
        let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
        let pods = tokio::time::timeout(self.timeout, all.list(&lp))
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|e| api_failure(e, &format!("list pods on {node}")))?
            .items;
        let mut skipped: Vec<String> = Vec::new();
        let mut todo: Vec<(String, String)> = Vec::new();
        for p in &pods {
            let id = (p.namespace().unwrap_or_default(), p.name_any());
            match drain_skip(p) {
                Some(why) => skipped.push(format!("{} ({why})", id.1)),
                None => todo.push(id),
            }
        }
        let mut progress = DrainProgress {
            node: node.to_string(),
            total: u32::try_from(todo.len()).unwrap_or(u32::MAX),
            evicted: 0,
            blocked: Vec::new(),
            done: false,
        };
        let mut failures: Vec<String> = Vec::new();
        let started = tokio::time::Instant::now();
        let ep = EvictParams {
            post_options: PostParams {
                dry_run,
                field_manager: None,
            },
            ..EvictParams::default()
        };
        loop {
            let mut still = Vec::new();
            progress.blocked.clear();
            for (ns, name) in todo {
                let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
                match tokio::time::timeout(self.timeout, api.evict(&name, &ep)).await {
                    Err(_) => {
                        failures.push(format!("{name}: no answer in {}s", self.timeout.as_secs()))
                    }
                    Ok(Ok(_)) => progress.evicted += 1,
                    // Gone already: nothing left to evict.
                    Ok(Err(kube::Error::Api(s))) if s.code == 404 => progress.evicted += 1,
                    Ok(Err(kube::Error::Api(s))) if s.code == 429 => {
                        let why = s.message.clone();
                        progress.blocked.push((name.clone(), why));
                        still.push((ns, name));
                    }
                    Ok(Err(e)) => {
                        failures.push(format!("{name}: {}", api_failure(e, "evict").detail))
                    }
                }
            }
            todo = still;
            if dry_run || todo.is_empty() || started.elapsed() >= self.drain.give_up_after {
                break;
            }
            self.say(&progress).await;
            tokio::time::sleep(self.drain.retry_every).await;
        }
        progress.done = true;
        if !dry_run {
            self.say(&progress).await;
        }
        let verb = if dry_run { "would evict" } else { "evicted" };
        let mut detail = format!(
            "node {node} cordoned; {verb} {}/{} pods",
            progress.evicted, progress.total
        );
        if !skipped.is_empty() {
            detail.push_str(&format!("; left: {}", skipped.join(", ")));
        }
        if !progress.blocked.is_empty() {
            let blocked: Vec<String> = progress
                .blocked
                .iter()
                .map(|(p, why)| format!("{p} ({why})"))
                .collect();
            let when = if dry_run {
                "refused by a disruption budget now".to_string()
            } else {
                format!(
                    "not evicted after {}s, a disruption budget refuses",
                    self.drain.give_up_after.as_secs()
                )
            };
            detail.push_str(&format!("; {when}: {}", blocked.join(", ")));
        }
        if !failures.is_empty() {
            detail.push_str(&format!("; failed: {}", failures.join(", ")));
        }
        if progress.blocked.is_empty() && failures.is_empty() {
            Ok(detail)
        } else {
            Err(failed(detail))
        }
    }

    /// The describe view of a pod or deployment, with its events.
    pub async fn describe_lines(&self, t: &DescribeTarget) -> Result<Vec<String>, String> {
        let events: Api<KEvent> = Api::namespaced(self.client.clone(), &t.namespace);
        let lp = ListParams::default()
            .fields(&format!("regarding.name={}", t.name))
            .limit(200);
        let list = async {
            events
                .list(&lp)
                .await
                .map(|l| {
                    l.items
                        .iter()
                        .filter(|e| {
                            e.regarding.as_ref().and_then(|r| r.kind.as_deref()) == Some(&t.kind)
                        })
                        .filter_map(crate::sources::kube_events::event_of)
                        .collect::<Vec<_>>()
                })
                .map_err(|e| format!("events: {e}"))
        };
        let now = jiff::Timestamp::now();
        let read = async {
            if t.kind == "Job" {
                super::kube_jobs::describe_job(&self.client, &t.namespace, &t.name).await
            } else if t.kind == "Pod" {
                let api: Api<Pod> = Api::namespaced(self.client.clone(), &t.namespace);
                let pod = api
                    .get(&t.name)
                    .await
                    .map_err(|e| format!("get pod: {e}"))?;
                let evs = list.await.unwrap_or_default();
                Ok(crate::cluster::describe::pod(&pod, &evs, now))
            } else {
                let api: Api<Deployment> = Api::namespaced(self.client.clone(), &t.namespace);
                let d = api
                    .get(&t.name)
                    .await
                    .map_err(|e| format!("get deployment: {e}"))?;
                let evs = list.await.unwrap_or_default();
                Ok(crate::cluster::describe::deployment(&d, &evs, now))
            }
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| format!("no answer within {}s", self.timeout.as_secs()))?
    }

    async fn report(&self, action: Action, c: ClusterAction) -> ActionReport {
        let user = self.next.user().await;
        let (outcome, detail) = match self.run(&c, false).await {
            Ok(d) => (ActionOutcome::Ok, d),
            Err(f) => (f.outcome, f.detail),
        };
        ActionReport {
            action,
            outcome,
            detail: format!("{detail} (as {user})"),
            revisions: None,
        }
    }

    async fn dry_run_lines(&self, c: ClusterAction) -> Result<Vec<String>, String> {
        let user = self.next.user().await;
        match self.run(&c, true).await {
            Ok(d) => Ok(vec![
                format!("Server dry run (dryRun=All) as {user}: accepted"),
                format!("  {d}"),
            ]),
            Err(f) => Err(format!(
                "Server dry run (dryRun=All) as {user}: {}",
                f.detail
            )),
        }
    }
}

impl Executor for ClusterExecutor {
    fn execute(&self, action: Action) -> Pending {
        let Action::Cluster(c) = &action else {
            return self.next.execute(action);
        };
        let (this, c) = (self.clone(), c.clone());
        Box::pin(async move { this.report(action, c).await })
    }

    fn preview(&self, action: Action) -> Option<PendingPreview> {
        let Action::Cluster(c) = action else {
            return self.next.preview(action);
        };
        let this = self.clone();
        Some(Box::pin(async move { this.dry_run_lines(c).await }))
    }

    fn describe(&self, target: DescribeTarget) -> Option<PendingPreview> {
        let this = self.clone();
        Some(Box::pin(async move { this.describe_lines(&target).await }))
    }
}

/// The executor chain's cluster link, shared.
pub fn shared(e: ClusterExecutor) -> Arc<dyn Executor> {
    Arc::new(e)
}
