//! The Kubernetes executor: rollbacks, restarts, scaling and kill switches on the real
//! cluster. Each change can first be sent with `dryRun=All`, so the confirmation shows what
//! the API server would do with exactly the request that will be sent.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, EnvVar};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tokio::sync::OnceCell;

use super::{Executor, Pending, PendingPreview};
use crate::config::kube::{KillSwitchConfig, KillSwitchKind};
use crate::event::{Action, ActionOutcome, ActionReport, Place};
use crate::sources::kube_convert::{CHANGE_CAUSE, TEMPLATE_HASH, owned_by, revision_of};

/// The field manager sitrep's changes are recorded under.
pub const FIELD_MANAGER: &str = "sitrep";
/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// Where a `scale` kill switch remembers the replicas it replaced.
pub const PREVIOUS_REPLICAS: &str = "sitrep.dev/replicas-before-kill-switch";
/// Tries of a change that meets a 409 Conflict, each on freshly read state.
const CONFLICT_TRIES: usize = 3;

/// Carries out actions with a Kubernetes client.
#[derive(Clone)]
pub struct KubeExecutor {
    client: Client,
    /// The kubeconfig context the client talks to: an action for any other is refused.
    context: String,
    namespaces: Vec<String>,
    switches: Vec<KillSwitchConfig>,
    timeout: Duration,
    user: std::sync::Arc<OnceCell<String>>,
    http: reqwest::Client,
    /// The UID each pod had when its deletion was previewed: the deletion itself goes to
    /// that pod only.
    pub(super) previewed: super::kube_pods::Previewed,
}

/// Why a change did not happen, already in words for the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub outcome: ActionOutcome,
    pub detail: String,
}

type Step<T> = Result<T, Failure>;

pub(super) fn failed(detail: impl Into<String>) -> Failure {
    Failure {
        outcome: ActionOutcome::Failed,
        detail: detail.into(),
    }
}

/// What a change did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub detail: String,
    /// Pods the change replaces, starts or stops.
    pub pods: u32,
    /// For a rollback: from which revision, to which revision's template.
    pub revisions: Option<(u64, u64)>,
}

/// The client of `http` kill switches: the shared builder, with every switch's `ca_file`.
/// Falls back to a default client only if the CAs cannot be loaded; calls then fail with a
/// message about the certificate rather than sitrep refusing to start.
fn switch_client(switches: &[KillSwitchConfig], timeout: Duration) -> reqwest::Client {
    let ca: Vec<&std::path::Path> = switches
        .iter()
        .filter_map(|s| s.ca_file.as_deref())
        .collect();
    match crate::sources::http::base(timeout, &ca)
        .and_then(|b| b.build().map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("kill switch HTTP client: {e}");
            reqwest::Client::default()
        }
    }
}

impl KubeExecutor {
    /// An executor acting in `namespaces` (kill switches without a namespace use the first).
    /// Deployments are never looked up by name: an action names its namespace and context.
    pub fn new(
        client: Client,
        namespaces: Vec<String>,
        switches: Vec<KillSwitchConfig>,
        timeout: Duration,
    ) -> KubeExecutor {
        let http = switch_client(&switches, timeout);
        KubeExecutor {
            client,
            context: String::new(),
            namespaces,
            switches,
            http,
            timeout,
            user: Default::default(),
            previewed: Default::default(),
        }
    }

    /// The same executor, for the kubeconfig context `context` (the one its client uses).
    pub fn in_context(mut self, context: impl Into<String>) -> KubeExecutor {
        self.context = context.into();
        self
    }

    /// The client this executor acts with.
    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// The user the API server says we are (SelfSubjectReview), for the journal.
    pub async fn user(&self) -> String {
        let client = self.client.clone();
        self.user
            .get_or_init(|| async move { crate::sources::kube_access::whoami(&client).await })
            .await
            .clone()
    }

    /// Runs `action`, for real or as a server-side dry run, with a timeout and 409 retries.
    pub async fn run(&self, action: &Action, dry_run: bool) -> Step<Done> {
        let mut last = failed("no attempt made");
        for _ in 0..CONFLICT_TRIES {
            let attempt = tokio::time::timeout(self.timeout, self.attempt(action, dry_run));
            match attempt.await {
                Err(_) => {
                    return Err(failed(format!(
                        "timed out after {}s; the change may or may not have been applied",
                        self.timeout.as_secs()
                    )));
                }
                Ok(Err(Attempt::Conflict(msg))) => last = failed(format!("conflict: {msg}")),
                Ok(Err(Attempt::Failed(f))) => return Err(f),
                Ok(Ok(done)) => return Ok(done),
            }
        }
        last.detail = format!("{} (gave up after {CONFLICT_TRIES} tries)", last.detail);
        Err(last)
    }

    async fn attempt(&self, action: &Action, dry_run: bool) -> Result<Done, Attempt> {
        match action {
            Action::Rollback {
                deployment,
                revision,
                place,
            } => self.rollback(place, deployment, *revision, dry_run).await,
            Action::Restart { deployment, place } => self.restart(place, deployment, dry_run).await,
            Action::Scale {
                deployment,
                replicas,
                place,
            } => {
                let (api, d) = self.find(place, deployment).await?;
                let from = d.spec.replicas.unwrap_or(1);
                let patch = json!({"spec": {"replicas": replicas}});
                api.patch_scale(deployment, &params(dry_run), &Patch::Merge(&patch))
                    .await
                    .map_err(|e| classify(e, "patch", "deployments/scale", deployment))?;
                Ok(Done {
                    detail: format!("{deployment} scaled from {from} to {replicas} replicas"),
                    pods: from.abs_diff(i32::try_from(*replicas).unwrap_or(i32::MAX)),
                    revisions: None,
                })
            }
            Action::DeletePod { pod, place } => self.delete_pod(place, pod, dry_run).await,
            Action::Shell { .. }
            | Action::Silence { .. }
            | Action::ExpireSilence { .. }
            | Action::Cluster(_) => Err(Attempt::Failed(failed(
                "not a Kubernetes action".to_string(),
            ))),
            Action::KillSwitch { name, on } => {
                let ks = self
                    .switches
                    .iter()
                    .find(|k| &k.name == name)
                    .ok_or_else(|| Attempt::Failed(failed(format!("no kill switch `{name}`"))))?;
                self.kill_switch(ks, *on, dry_run).await
            }
        }
    }

    /// Exactly the deployment `name` in `place`, or a refusal that says why: another
    /// context, no namespace, or no such object. Never "the first namespace that has it".
    async fn find(
        &self,
        place: &Place,
        name: &str,
    ) -> Result<(Api<Deployment>, Deployment), Attempt> {
        let what = place.object("deployment", name);
        self.holds(place, &what)?;
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), &place.namespace);
        match api.get_opt(name).await {
            Ok(Some(d)) => Ok((api, d)),
            Ok(None) => Err(Attempt::Failed(failed(format!("no {what}")))),
            Err(e) => Err(classify(e, "get", "deployments", name)),
        }
    }

    /// Refuses `what` in `place` unless it is in this executor's context and names its
    /// namespace.
    pub(super) fn holds(&self, place: &Place, what: &str) -> Result<(), Attempt> {
        if place.context != self.context {
            return Err(Attempt::Failed(Failure {
                outcome: ActionOutcome::Refused,
                detail: format!(
                    "refused: {what} is not in context {}, the one sitrep is connected to",
                    self.context
                ),
            }));
        }
        if place.namespace.is_empty() {
            return Err(Attempt::Failed(Failure {
                outcome: ActionOutcome::Refused,
                detail: format!("refused: {what} names no namespace"),
            }));
        }
        Ok(())
    }

    /// The deployment a kill switch acts on: its own namespace, else the first watched one.
    async fn switch_deployment(
        &self,
        ks: &KillSwitchConfig,
        name: &str,
    ) -> Result<(Api<Deployment>, Deployment), Attempt> {
        let ns = ks
            .namespace
            .clone()
            .or_else(|| self.namespaces.first().cloned())
            .unwrap_or_default();
        self.find(&Place::new(self.context.clone(), ns), name).await
    }

    /// As `kubectl rollout undo --to-revision`: the deployment's pod template becomes the
    /// chosen ReplicaSet's, without the controller's pod-template-hash label.
    async fn rollback(
        &self,
        place: &Place,
        name: &str,
        to: Option<u64>,
        dry_run: bool,
    ) -> Result<Done, Attempt> {
        let (api, mut d) = self.find(place, name).await?;
        let ns = d.namespace().unwrap_or_default();
        let sets: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
        let list = sets
            .list(&ListParams::default())
            .await
            .map_err(|e| classify(e, "list", "replicasets", name))?;
        let current = revision_of(d.annotations());
        let mut owned: Vec<ReplicaSet> = list
            .items
            .into_iter()
            .filter(|rs| owned_by(rs, &d))
            .collect();
        owned.sort_by_key(|rs| std::cmp::Reverse(revision_of(rs.annotations())));
        let target = owned.into_iter().find(|rs| {
            let r = revision_of(rs.annotations());
            match to {
                Some(t) => r == t,
                None => r < current,
            }
        });
        let Some(rs) = target else {
            return Err(Attempt::Failed(failed(match to {
                Some(t) => format!("{name} has no revision {t}"),
                None => format!("{name} has no earlier revision to roll back to"),
            })));
        };
        let to_rev = revision_of(rs.annotations());
        if to_rev == current {
            return Err(Attempt::Failed(failed(format!(
                "{name} is already at revision {current}"
            ))));
        }
        let Some(mut template) = rs.spec.template.clone() else {
            return Err(Attempt::Failed(failed(format!(
                "ReplicaSet {} has no pod template",
                rs.name_any()
            ))));
        };
        if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(TEMPLATE_HASH);
        }
        d.spec.template = template;
        if let Some(cause) = rs.annotations().get(CHANGE_CAUSE) {
            d.annotations_mut()
                .insert(CHANGE_CAUSE.into(), cause.clone());
        }
        // The resourceVersion read above rides along: a concurrent change answers 409.
        let pods = d.spec.replicas.unwrap_or(1).unsigned_abs();
        api.replace(name, &post_params(dry_run), &d)
            .await
            .map_err(|e| classify(e, "update", "deployments", name))?;
        Ok(Done {
            detail: format!("rolled back from revision {current} to {to_rev}"),
            pods,
            revisions: Some((current, to_rev)),
        })
    }

    /// As `kubectl rollout restart`: a new template annotation makes a new ReplicaSet.
    async fn restart(&self, place: &Place, name: &str, dry_run: bool) -> Result<Done, Attempt> {
        let (api, d) = self.find(place, name).await?;
        let now = jiff::Timestamp::now().to_string();
        let patch =
            json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}});
        api.patch(name, &params(dry_run), &Patch::Merge(&patch))
            .await
            .map_err(|e| classify(e, "patch", "deployments", name))?;
        let pods = d.spec.replicas.unwrap_or(1).unsigned_abs();
        Ok(Done {
            detail: format!("{name} restarting: {pods} pods will be replaced"),
            pods,
            revisions: None,
        })
    }

    async fn kill_switch(
        &self,
        ks: &KillSwitchConfig,
        on: bool,
        dry_run: bool,
    ) -> Result<Done, Attempt> {
        let word = if on { "on" } else { "off" };
        let ns = ks
            .namespace
            .clone()
            .or_else(|| self.namespaces.first().cloned())
            .unwrap_or_default();
        let value = if on { &ks.on_value } else { &ks.off_value };
        let value = value.clone().unwrap_or_default();
        let key = ks.data_key.clone().unwrap_or_default();
        match ks.kind {
            KillSwitchKind::Configmap => {
                let cm_name = ks.configmap.clone().unwrap_or_default();
                let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), &ns);
                let patch = json!({"data": {key.as_str(): value}});
                api.patch(&cm_name, &params(dry_run), &Patch::Merge(&patch))
                    .await
                    .map_err(|e| classify(e, "patch", "configmaps", &cm_name))?;
                Ok(Done {
                    detail: format!(
                        "{} {word}: configmap {ns}/{cm_name} {key}={value:?}",
                        ks.name
                    ),
                    pods: 0,
                    revisions: None,
                })
            }
            KillSwitchKind::Env => {
                let dep = ks.deployment.clone().unwrap_or_default();
                let (api, mut d) = self.switch_deployment(ks, &dep).await?;
                let mut containers = 0;
                if let Some(spec) = d.spec.template.spec.as_mut() {
                    for c in &mut spec.containers {
                        containers += 1;
                        let env = c.env.get_or_insert_with(Vec::new);
                        env.retain(|e| e.name != key);
                        env.push(EnvVar {
                            name: key.clone(),
                            value: Some(value.clone()),
                            value_from: None,
                        });
                    }
                }
                let pods = d.spec.replicas.unwrap_or(1).unsigned_abs();
                api.replace(&dep, &post_params(dry_run), &d)
                    .await
                    .map_err(|e| classify(e, "update", "deployments", &dep))?;
                Ok(Done {
                    detail: format!(
                        "{} {word}: {key}={value:?} on {containers} containers of {dep}; {pods} pods will be replaced",
                        ks.name
                    ),
                    pods,
                    revisions: None,
                })
            }
            KillSwitchKind::Scale => {
                let dep = ks.deployment.clone().unwrap_or_default();
                let (api, d) = self.switch_deployment(ks, &dep).await?;
                let now = d.spec.replicas.unwrap_or(1);
                let remembered = d
                    .annotations()
                    .get(PREVIOUS_REPLICAS)
                    .and_then(|v| v.parse::<i32>().ok());
                let (to, note) = if on {
                    let to = i32::try_from(ks.replicas.unwrap_or(0)).unwrap_or(0);
                    // Keep the first remembered count if switched on twice.
                    (to, json!(remembered.unwrap_or(now).to_string()))
                } else {
                    let Some(prev) = remembered else {
                        return Err(Attempt::Failed(failed(format!(
                            "{} is not on: {dep} has no remembered replica count",
                            ks.name
                        ))));
                    };
                    (prev, serde_json::Value::Null)
                };
                let patch = json!({
                    "metadata": {"annotations": {PREVIOUS_REPLICAS: note}, "resourceVersion": d.resource_version()},
                    "spec": {"replicas": to}
                });
                api.patch(&dep, &params(dry_run), &Patch::Merge(&patch))
                    .await
                    .map_err(|e| classify(e, "patch", "deployments", &dep))?;
                Ok(Done {
                    detail: format!(
                        "{} {word}: {dep} scaled from {now} to {to} replicas",
                        ks.name
                    ),
                    pods: now.abs_diff(to),
                    revisions: None,
                })
            }
            KillSwitchKind::Http => {
                let call = if on { &ks.on } else { &ks.off };
                let Some(call) = call else {
                    return Err(Attempt::Failed(failed(format!(
                        "{}: no `{word}` call",
                        ks.name
                    ))));
                };
                super::http_switch::call(&self.http, &ks.name, word, call, dry_run)
                    .await
                    .map(|detail| Done {
                        detail,
                        pods: 0,
                        revisions: None,
                    })
                    .map_err(Attempt::Failed)
            }
        }
    }

    /// Reads a kill switch's state from the cluster (`None` when it cannot be read).
    pub async fn kill_switch_state(&self, ks: &KillSwitchConfig) -> Option<bool> {
        let ns = ks
            .namespace
            .clone()
            .or_else(|| self.namespaces.first().cloned())?;
        match ks.kind {
            KillSwitchKind::Configmap => {
                let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), &ns);
                let cm = api.get(ks.configmap.as_deref()?).await.ok()?;
                let v = cm.data.as_ref()?.get(ks.data_key.as_deref()?)?;
                state_of(v, ks)
            }
            KillSwitchKind::Env => {
                let api: Api<Deployment> = Api::namespaced(self.client.clone(), &ns);
                let d = api.get(ks.deployment.as_deref()?).await.ok()?;
                let key = ks.data_key.as_deref()?;
                let v = d
                    .spec
                    .template
                    .spec
                    .as_ref()?
                    .containers
                    .iter()
                    .find_map(|c| {
                        c.env
                            .iter()
                            .flatten()
                            .find(|e| e.name == key)?
                            .value
                            .clone()
                    });
                match v {
                    Some(v) => state_of(&v, ks),
                    None => Some(false),
                }
            }
            KillSwitchKind::Scale => {
                let api: Api<Deployment> = Api::namespaced(self.client.clone(), &ns);
                let d = api.get(ks.deployment.as_deref()?).await.ok()?;
                Some(d.annotations().contains_key(PREVIOUS_REPLICAS))
            }
            KillSwitchKind::Http => {
                super::http_switch::state(&self.http, ks.status_url.as_deref()?).await
            }
        }
    }

    async fn report(&self, action: Action) -> ActionReport {
        let user = self.user().await;
        match self.run(&action, false).await {
            Ok(done) => ActionReport {
                action,
                outcome: ActionOutcome::Ok,
                detail: format!("{} (as {user})", done.detail),
                revisions: done.revisions,
            },
            Err(f) => ActionReport {
                action,
                outcome: f.outcome,
                detail: format!("{} (as {user})", f.detail),
                revisions: None,
            },
        }
    }

    /// The confirmation's lines from a server-side dry run of `action`.
    pub async fn dry_run_lines(&self, action: Action) -> Result<Vec<String>, String> {
        let user = self.user().await;
        match self.run(&action, true).await {
            Ok(done) => Ok(vec![
                format!("Server dry run (dryRun=All) as {user}: accepted"),
                format!("  {}", done.detail),
                format!("  pods touched: {}", done.pods),
            ]),
            Err(f) => Err(format!(
                "Server dry run (dryRun=All) as {user}: {}",
                f.detail
            )),
        }
    }
}

fn state_of(v: &str, ks: &KillSwitchConfig) -> Option<bool> {
    if Some(v) == ks.on_value.as_deref() {
        Some(true)
    } else if Some(v) == ks.off_value.as_deref() {
        Some(false)
    } else {
        None
    }
}

pub(super) enum Attempt {
    /// 409: worth trying again on fresh state.
    Conflict(String),
    Failed(Failure),
}

fn params(dry_run: bool) -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        dry_run,
        ..PatchParams::default()
    }
}

fn post_params(dry_run: bool) -> PostParams {
    PostParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
    }
}

/// Puts an API error in plain words: a 403 names verb, resource and user (the API's own
/// message does), a 409 is retried, anything else fails.
pub(super) fn classify(e: kube::Error, verb: &str, resource: &str, name: &str) -> Attempt {
    match e {
        kube::Error::Api(s) if s.code == 409 => Attempt::Conflict(s.message),
        kube::Error::Api(s) if s.code == 403 => Attempt::Failed(Failure {
            outcome: ActionOutcome::Refused,
            detail: format!("forbidden: {}", s.message),
        }),
        kube::Error::Api(s) => Attempt::Failed(failed(format!(
            "{verb} {resource}/{name}: {} {} ({})",
            s.code, s.reason, s.message
        ))),
        other => Attempt::Failed(failed(format!("{verb} {resource}/{name}: {other}"))),
    }
}

impl Executor for KubeExecutor {
    fn execute(&self, action: Action) -> Pending {
        let this = self.clone();
        Box::pin(async move { this.report(action).await })
    }

    fn preview(&self, action: Action) -> Option<PendingPreview> {
        let this = self.clone();
        Some(Box::pin(async move { this.dry_run_lines(action).await }))
    }
}
