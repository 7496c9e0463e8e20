//! Kubernetes objects → the cockpit's `PodStatus` and `DeploymentStatus`. Pure functions, so
//! every reason the pods pane shows is a unit test.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStatus, Pod, PodCondition, PodSpec, PodStatus as K8sPodStatus,
    PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::ResourceExt;
use serde::Deserialize;

use crate::event::{DeploymentStatus, PodStatus, RevisionInfo};

/// The annotation the deployment controller stamps on deployments and their ReplicaSets.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The annotation `kubectl --record` and operators use to say why a revision exists.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// The label the deployment controller adds to tell ReplicaSets' pods apart.
pub const TEMPLATE_HASH: &str = "pod-template-hash";

/// A revision number from an object's annotations (0 when absent or malformed).
pub fn revision_of(annotations: &std::collections::BTreeMap<String, String>) -> u64 {
    annotations
        .get(REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The workload a pod belongs to: the deployment behind its ReplicaSet, another controller,
/// or the pod itself.
pub fn workload_of(pod: &Pod) -> String {
    let Some(owner) = pod
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true))
    else {
        return pod.name_any();
    };
    if owner.kind == "ReplicaSet" {
        let hash = pod.labels().get(TEMPLATE_HASH);
        if let Some(base) = hash.and_then(|h| owner.name.strip_suffix(&format!("-{h}"))) {
            return base.to_string();
        }
        if let Some((base, _)) = owner.name.rsplit_once('-') {
            return base.to_string();
        }
    }
    owner.name.clone()
}

/// The ReplicaSet that owns a pod, if one does.
pub fn replicaset_of(pod: &Pod) -> Option<&str> {
    pod.owner_references()
        .iter()
        .find(|o| o.controller == Some(true) && o.kind == "ReplicaSet")
        .map(|o| o.name.as_str())
}

fn ts(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> Timestamp {
    t.map_or(Timestamp::UNIX_EPOCH, |t| t.0)
}

/// Why a pod is not well, in the words `kubectl get pods` uses.
fn reason_of(pod: &Pod) -> Option<String> {
    if pod.metadata.deletion_timestamp.is_some() {
        return Some("Terminating".into());
    }
    let status = pod.status.as_ref()?;
    if let Some(r) = status.reason.as_ref().filter(|r| !r.is_empty()) {
        // Evicted, NodeLost, Shutdown: the pod-level reason says it all.
        return Some(r.clone());
    }
    let containers = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    for c in containers {
        let Some(state) = &c.state else { continue };
        if let Some(w) = &state.waiting
            && let Some(r) = w.reason.as_ref().filter(|r| !r.is_empty())
        {
            return Some(r.clone());
        }
        if let Some(t) = &state.terminated
            && let Some(r) = t.reason.as_ref().filter(|r| r.as_str() != "Completed")
        {
            return Some(r.clone());
        }
    }
    if status.phase.as_deref() == Some("Pending") {
        let unscheduled = status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False");
        if let Some(c) = unscheduled {
            let why = c.reason.clone().unwrap_or_else(|| "Unschedulable".into());
            return Some(match c.message.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => format!("{why}: {m}"),
                None => why,
            });
        }
    }
    None
}

/// A pod as the pods pane shows it; `revision_of_rs` names the revision of a ReplicaSet.
pub fn pod_status(pod: &Pod, revision_of_rs: impl Fn(&str) -> u64) -> PodStatus {
    let status = pod.status.as_ref();
    let containers = status
        .and_then(|s| s.container_statuses.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let restarts = containers
        .iter()
        .map(|c| u32::try_from(c.restart_count).unwrap_or(0))
        .sum();
    let last_termination = containers
        .iter()
        .filter_map(|c| c.last_state.as_ref()?.terminated.as_ref())
        .map(|t| {
            (
                t.reason
                    .clone()
                    .unwrap_or_else(|| format!("exit {}", t.exit_code)),
                ts(t.finished_at.as_ref()),
            )
        })
        .max_by_key(|(_, at)| *at);
    PodStatus {
        namespace: pod.namespace().unwrap_or_default(),
        name: pod.name_any(),
        workload: workload_of(pod),
        revision: replicaset_of(pod).map_or(0, revision_of_rs),
        phase: status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into()),
        reason: reason_of(pod),
        ready,
        restarts,
        last_termination,
        node: pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default(),
        created: ts(pod.metadata.creation_timestamp.as_ref()),
    }
}

/// A pod as the watch's store keeps it: only what the cockpit reads ([`pod_status`], the
/// log tail's container states), read straight from the API's JSON. A real pod carries
/// managed fields, its whole spec (every container's env, probes, mounts) and image
/// digests: kilobytes a pod, most of the memory 5,000 watched pods would take as `Pod`s,
/// none of it shown. [`SlimPod::to_pod`] gives back a `Pod` with what was kept.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimPod {
    #[serde(deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<SlimSpec>,
    #[serde(default)]
    pub status: Option<SlimStatus>,
}

/// What is kept of a pod's spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlimSpec {
    pub node_name: Option<String>,
}

/// What is kept of a pod's status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlimStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub conditions: Option<Vec<SlimCondition>>,
    pub container_statuses: Option<Vec<SlimContainer>>,
    pub init_container_statuses: Option<Vec<SlimContainer>>,
}

/// A pod condition without its times.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlimCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// A container's status without its image, IDs and resources.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlimContainer {
    pub name: String,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub ready: bool,
    pub state: Option<ContainerState>,
    pub last_state: Option<ContainerState>,
}

/// The metadata fields the cockpit and the watch read; labels but the template hash, the
/// annotations and the managed fields are skipped as they are read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaWire {
    name: Option<String>,
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<std::collections::BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerReference>>,
    deletion_timestamp: Option<Time>,
    creation_timestamp: Option<Time>,
    /// The watch resumes from the last object's version.
    resource_version: Option<String>,
}

fn slim_meta<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    let m = MetaWire::deserialize(d)?;
    let labels = m.labels.and_then(|mut l| {
        let hash = l.remove_entry(TEMPLATE_HASH)?;
        Some(std::collections::BTreeMap::from([hash]))
    });
    let owners = m.owner_references.map(|refs| {
        let controller = refs.into_iter().filter(|o| o.controller == Some(true));
        controller
            .map(|o| OwnerReference {
                kind: o.kind,
                name: o.name,
                controller: o.controller,
                ..OwnerReference::default()
            })
            .collect()
    });
    Ok(ObjectMeta {
        name: m.name,
        namespace: m.namespace,
        labels,
        owner_references: owners,
        deletion_timestamp: m.deletion_timestamp,
        creation_timestamp: m.creation_timestamp,
        resource_version: m.resource_version,
        ..ObjectMeta::default()
    })
}

impl kube::Resource for SlimPod {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(_: &()) -> std::borrow::Cow<'_, str> {
        "Pod".into()
    }
    fn group(_: &()) -> std::borrow::Cow<'_, str> {
        "".into()
    }
    fn version(_: &()) -> std::borrow::Cow<'_, str> {
        "v1".into()
    }
    fn plural(_: &()) -> std::borrow::Cow<'_, str> {
        "pods".into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl SlimPod {
    /// The pod with what was kept of it, for [`pod_status`].
    pub fn to_pod(&self) -> Pod {
        let containers = |cs: &Option<Vec<SlimContainer>>| {
            cs.as_ref().map(|cs| {
                cs.iter()
                    .map(|c| ContainerStatus {
                        name: c.name.clone(),
                        restart_count: c.restart_count,
                        ready: c.ready,
                        state: c.state.clone(),
                        last_state: c.last_state.clone(),
                        ..ContainerStatus::default()
                    })
                    .collect()
            })
        };
        Pod {
            metadata: self.metadata.clone(),
            spec: self.spec.as_ref().map(|s| PodSpec {
                node_name: s.node_name.clone(),
                ..PodSpec::default()
            }),
            status: self.status.as_ref().map(|s| K8sPodStatus {
                phase: s.phase.clone(),
                reason: s.reason.clone(),
                conditions: s.conditions.as_ref().map(|cs| {
                    cs.iter()
                        .map(|c| PodCondition {
                            type_: c.type_.clone(),
                            status: c.status.clone(),
                            reason: c.reason.clone(),
                            message: c.message.clone(),
                            ..PodCondition::default()
                        })
                        .collect()
                }),
                container_statuses: containers(&s.container_statuses),
                init_container_statuses: containers(&s.init_container_statuses),
                ..K8sPodStatus::default()
            }),
        }
    }
}

/// What no pane reads of a deployment or ReplicaSet: the managed fields, often the
/// largest part of an object.
pub fn without_managed_fields<K: kube::Resource>(o: &mut K) {
    o.meta_mut().managed_fields = None;
}

/// The image of a template's first container.
pub fn first_image(t: Option<&PodTemplateSpec>) -> String {
    t.and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// A pod template in short, one fact a line, for comparing revisions.
pub fn template_lines(t: Option<&PodTemplateSpec>) -> Vec<String> {
    let mut out = Vec::new();
    for c in t
        .and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or_default()
    {
        let name = &c.name;
        out.push(format!(
            "{name}: image {}",
            c.image.as_deref().unwrap_or("-")
        ));
        for e in c.env.iter().flatten() {
            match &e.value {
                Some(v) => out.push(format!("{name}: env {}={v}", e.name)),
                None => out.push(format!("{name}: env {} (from a reference)", e.name)),
            }
        }
        if let Some(r) = &c.resources {
            for (kind, m) in [("requests", &r.requests), ("limits", &r.limits)] {
                for (k, q) in m.iter().flatten() {
                    out.push(format!("{name}: {kind} {k}={}", q.0));
                }
            }
        }
        if let Some(args) = &c.args {
            out.push(format!("{name}: args {}", args.join(" ")));
        }
    }
    out
}

/// Whether a template asks for GPUs.
fn wants_gpu(t: &PodTemplateSpec) -> bool {
    t.spec.iter().flat_map(|s| &s.containers).any(|c| {
        c.resources.as_ref().is_some_and(|r| {
            r.limits
                .iter()
                .chain(&r.requests)
                .any(|m| m.contains_key("nvidia.com/gpu"))
        })
    })
}

/// Whether a ReplicaSet belongs to a deployment (by controller owner UID, as the
/// deployment controller decides it).
pub fn owned_by(rs: &ReplicaSet, d: &Deployment) -> bool {
    let uid = d.metadata.uid.as_deref();
    rs.owner_references().iter().any(|o| {
        o.controller == Some(true) && o.kind == "Deployment" && Some(o.uid.as_str()) == uid
    })
}

/// A deployment and its revision history from the ReplicaSets it owns.
pub fn deployment_status<'a>(
    d: &Deployment,
    replicasets: impl IntoIterator<Item = &'a ReplicaSet>,
) -> DeploymentStatus {
    let spec = &d.spec;
    let status = d.status.as_ref();
    let count = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
    let mut history: Vec<RevisionInfo> = replicasets
        .into_iter()
        .filter(|rs| owned_by(rs, d))
        .map(|rs| RevisionInfo {
            revision: revision_of(rs.annotations()),
            image: first_image(rs.spec.template.as_ref()),
            change_cause: rs
                .annotations()
                .get(CHANGE_CAUSE)
                .cloned()
                .unwrap_or_default(),
            created: ts(rs.metadata.creation_timestamp.as_ref()),
            template: template_lines(rs.spec.template.as_ref()),
        })
        .collect();
    history.sort_by_key(|h| std::cmp::Reverse(h.revision));
    DeploymentStatus {
        namespace: d.namespace().unwrap_or_default(),
        name: d.name_any(),
        revision: revision_of(d.annotations()),
        replicas: count(spec.replicas.or(Some(1))),
        ready: count(status.and_then(|s| s.ready_replicas)),
        updated: count(status.and_then(|s| s.updated_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
        image: first_image(Some(&spec.template)),
        history,
        gpu: wants_gpu(&spec.template),
        problems: rollout_problems(d),
        labels: workload_labels(d),
    }
}

/// The pod template's labels with the deployment's own over them.
pub(crate) fn workload_labels(d: &Deployment) -> std::collections::BTreeMap<String, String> {
    let template = d
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let mut labels = template;
    labels.extend(d.labels().clone());
    labels
}

/// The rollout's condition problems: a `Progressing` that is false or timed out, any
/// `ReplicaFailure`. Empty when the rollout is healthy.
pub fn rollout_problems(d: &Deployment) -> Vec<String> {
    d.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .filter(|c| {
            let (kind, status) = (c.type_.as_deref(), c.status.as_deref());
            let deadline = c.reason.as_deref() == Some("ProgressDeadlineExceeded");
            (kind == Some("Progressing") && (status == Some("False") || deadline))
                || (kind == Some("ReplicaFailure") && status == Some("True"))
        })
        .map(|c| {
            let why = c.reason.as_deref().or(c.type_.as_deref()).unwrap_or("");
            format!("{why}: {}", c.message.as_deref().unwrap_or(""))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn base(status: serde_json::Value) -> serde_json::Value {
        json!({
            "metadata": {
                "name": "web-5f7d8c9b4-abcde", "namespace": "shop",
                "creationTimestamp": "2026-01-02T03:04:05Z",
                "labels": {"pod-template-hash": "5f7d8c9b4"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "web-5f7d8c9b4", "uid": "u1", "controller": true}]
            },
            "spec": {"nodeName": "node-a", "containers": [{"name": "app"}]},
            "status": status
        })
    }

    #[test]
    fn crashloop_with_last_oom_kill() {
        let p = pod(base(json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{
                "name": "app", "image": "i", "imageID": "", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                    "finishedAt": "2026-01-02T03:10:00Z"}}
            }]
        })));
        let s = pod_status(&p, |rs| if rs == "web-5f7d8c9b4" { 7 } else { 0 });
        assert_eq!(s.workload, "web");
        assert_eq!(s.revision, 7);
        assert_eq!(s.reason.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(s.restarts, 4);
        assert!(!s.ready);
        let (why, at) = s.last_termination.unwrap();
        assert_eq!(why, "OOMKilled");
        assert_eq!(at.to_string(), "2026-01-02T03:10:00Z");
        assert_eq!(s.node, "node-a");
    }

    #[test]
    fn pending_says_why_it_is_not_scheduled() {
        let p = pod(base(json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]
        })));
        let s = pod_status(&p, |_| 0);
        assert_eq!(
            s.reason.as_deref(),
            Some("Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
        );
    }

    #[test]
    fn evicted_and_ready_pods() {
        let p = pod(base(json!({"phase": "Failed", "reason": "Evicted"})));
        assert_eq!(pod_status(&p, |_| 0).reason.as_deref(), Some("Evicted"));
        let p = pod(base(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]})));
        let s = pod_status(&p, |_| 0);
        assert!(s.ready);
        assert_eq!(s.reason, None);
    }

    /// A pod as a real API server sends it: managed fields, a full spec, image digests.
    fn full_pod(status: serde_json::Value) -> serde_json::Value {
        let mut v = base(status);
        v["metadata"]["managedFields"] = json!([{"manager": "kube-controller-manager",
            "operation": "Update", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]);
        v["metadata"]["annotations"] = json!({"kubectl.kubernetes.io/restartedAt": "x"});
        v["metadata"]["labels"]["app"] = json!("web");
        v["metadata"]["uid"] = json!("0b7f3c4e");
        v["metadata"]["resourceVersion"] = json!("4711");
        v["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "1"}]);
        v["spec"]["containers"][0]["readinessProbe"] =
            json!({"httpGet": {"path": "/", "port": 80}});
        v
    }

    #[test]
    fn a_slim_pod_keeps_all_the_cockpit_reads_and_the_watch_needs() {
        let statuses = [
            json!({"phase": "Running", "conditions": [
                    {"type": "Ready", "status": "False", "lastTransitionTime": "2026-01-02T03:04:05Z"},
                    {"type": "PodScheduled", "status": "True"}],
                "containerStatuses": [{"name": "app", "image": "i", "imageID": "sha256:ab",
                    "containerID": "containerd://cd", "ready": false, "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                        "finishedAt": "2026-01-02T03:10:00Z"}}}],
                "hostIP": "10.0.0.1", "podIPs": [{"ip": "10.1.0.7"}], "qosClass": "Burstable"}),
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable", "message": "0/3 nodes are available"}]}),
            json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "image": "i",
                "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}}}]}),
            json!({"phase": "Failed", "reason": "Evicted"}),
        ];
        for status in statuses {
            let v = full_pod(status);
            let full = pod(v.clone());
            let slim: SlimPod = serde_json::from_value(v).unwrap();
            let revision = |rs: &str| if rs == "web-5f7d8c9b4" { 7 } else { 0 };
            assert_eq!(
                pod_status(&slim.to_pod(), revision),
                pod_status(&full, revision)
            );
            assert!(slim.metadata.managed_fields.is_none());
            assert!(slim.metadata.annotations.is_none());
            assert_eq!(slim.metadata.labels.as_ref().map(|l| l.len()), Some(1));
            assert_eq!(slim.metadata.resource_version.as_deref(), Some("4711"));
            assert_eq!(kube::ResourceExt::name_any(&slim), "web-5f7d8c9b4-abcde");
        }
        let mut deleting = full_pod(json!({"phase": "Running"}));
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-02T03:20:00Z");
        let slim: SlimPod = serde_json::from_value(deleting).unwrap();
        assert_eq!(
            pod_status(&slim.to_pod(), |_| 0).reason.as_deref(),
            Some("Terminating")
        );
    }

    #[test]
    fn deployment_history_comes_from_owned_replicasets_newest_first() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "shop", "uid": "d1",
                "annotations": {REVISION: "3"}},
            "spec": {"replicas": 4, "selector": {},
                "template": {"spec": {"containers": [{"name": "app", "image": "web:3"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
        }))
        .unwrap();
        let rs = |rev: &str, image: &str, owner: &str| -> ReplicaSet {
            serde_json::from_value(json!({
                "metadata": {"name": format!("web-{rev}"), "annotations": {REVISION: rev,
                    CHANGE_CAUSE: format!("deploy {image}")},
                    "creationTimestamp": "2026-01-01T00:00:00Z",
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                        "name": "web", "uid": owner, "controller": true}]},
                "spec": {"selector": {}, "template": {"spec": {"containers": [
                    {"name": "app", "image": image}]}}}
            }))
            .unwrap()
        };
        let sets = [
            rs("1", "web:1", "d1"),
            rs("3", "web:3", "d1"),
            rs("2", "x", "other"),
        ];
        let s = deployment_status(&d, &sets);
        assert_eq!(
            (s.revision, s.replicas, s.ready, s.updated, s.available),
            (3, 4, 2, 3, 2)
        );
        assert_eq!(s.image, "web:3");
        let revs: Vec<u64> = s.history.iter().map(|h| h.revision).collect();
        assert_eq!(revs, [3, 1]);
        assert_eq!(s.history[1].change_cause, "deploy web:1");
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn templates_compare_line_by_line() {
        let t = |image: &str, mem: &str| -> PodTemplateSpec {
            serde_json::from_value(serde_json::json!({"spec": {"containers": [{
                "name": "serving", "image": image,
                "env": [{"name": "KV_CACHE_GIB", "value": "24"}],
                "resources": {"limits": {"memory": mem}}
            }]}}))
            .unwrap_or_default()
        };
        let a = template_lines(Some(&t("s:1.8", "40Gi")));
        assert_eq!(
            a,
            [
                "serving: image s:1.8",
                "serving: env KV_CACHE_GIB=24",
                "serving: limits memory=40Gi"
            ]
        );
        let b = template_lines(Some(&t("s:1.9", "40Gi")));
        assert_eq!(
            crate::event::template_diff(&a, &b),
            ["- serving: image s:1.8", "+ serving: image s:1.9"]
        );
    }
}
