//! The nodes view's source: nodes with their conditions, taints and allocatable resources,
//! and what the pods bound to each request, polled (nodes change slowly; a list of every
//! pod is paged, 500 at a time).

use std::collections::HashMap;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};

use crate::cluster::{HpaInfo, NodeInfo, bytes, cpu_millis};
use crate::event::Observation;
use crate::sources::poll::Poller;

/// Lists every page of `api` with `lp`.
async fn list_all<K>(api: &Api<K>, lp: ListParams) -> Result<Vec<K>, kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut lp = lp.limit(500);
    loop {
        let page = api.list(&lp).await?;
        out.extend(page.items);
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = lp.continue_token(&c),
            None => return Ok(out),
        }
    }
}

/// A node's row, without what its pods request.
pub fn node_info(n: &Node) -> NodeInfo {
    let status = n.status.as_ref();
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    let ready = conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .and_then(|c| match c.status.as_str() {
            "True" => Some(true),
            "False" => Some(false),
            _ => None,
        });
    let pressure = conditions
        .iter()
        .filter(|c| c.type_ != "Ready" && c.status == "True")
        .map(|c| c.type_.clone())
        .collect();
    let taints = n
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[])
        .iter()
        .map(|t| match &t.value {
            Some(v) if !v.is_empty() => format!("{}={v}:{}", t.key, t.effect),
            _ => format!("{}:{}", t.key, t.effect),
        })
        .collect();
    let alloc = status.and_then(|s| s.allocatable.as_ref());
    let q = |k: &str| {
        alloc
            .and_then(|a| a.get(k))
            .map(|q| q.0.as_str())
            .unwrap_or("0")
    };
    NodeInfo {
        name: n.name_any(),
        ready,
        pressure,
        taints,
        unschedulable: n
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false),
        cpu_alloc_m: cpu_millis(q("cpu")),
        mem_alloc: bytes(q("memory")),
        gpu_alloc: q("nvidia.com/gpu").parse().unwrap_or(0),
        ..NodeInfo::default()
    }
}

/// What a pod's containers request: CPU millicores, memory bytes, GPUs.
pub fn pod_requests(p: &Pod) -> (u64, u64, u64) {
    let mut out = (0, 0, 0);
    for c in p.spec.as_ref().map_or(&[][..], |s| s.containers.as_slice()) {
        let r = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        let q = |k: &str| r.and_then(|r| r.get(k)).map(|q| q.0.clone());
        out.0 += q("cpu").map_or(0, |v| cpu_millis(&v));
        out.1 += q("memory").map_or(0, |v| bytes(&v));
        // GPUs are requested as limits (requests default to them).
        let l = c.resources.as_ref().and_then(|r| r.limits.as_ref());
        let gpu = q("nvidia.com/gpu")
            .or_else(|| l.and_then(|l| l.get("nvidia.com/gpu")).map(|q| q.0.clone()));
        out.2 += gpu.and_then(|g| g.parse().ok()).unwrap_or(0);
    }
    out
}

/// Polls nodes and the pods bound to them.
pub struct NodesPoller {
    pub client: Client,
}

impl Poller for NodesPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let nodes = list_all(&nodes, ListParams::default())
            .await
            .map_err(|e| format!("list nodes: {e}"))?;
        let pods: Api<Pod> = Api::all(self.client.clone());
        // Finished pods hold no resources, as the scheduler counts them.
        let lp = ListParams::default().fields("status.phase!=Succeeded,status.phase!=Failed");
        let pods = list_all(&pods, lp)
            .await
            .map_err(|e| format!("list pods: {e}"))?;
        let mut used: HashMap<String, (u32, u64, u64, u64)> = HashMap::new();
        for p in &pods {
            let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.clone()) else {
                continue;
            };
            let (c, m, g) = pod_requests(p);
            let e = used.entry(node).or_default();
            e.0 += 1;
            e.1 += c;
            e.2 += m;
            e.3 += g;
        }
        let list = nodes
            .iter()
            .map(|n| {
                let mut info = node_info(n);
                if let Some((pods, c, m, g)) = used.get(&info.name) {
                    info.pods = *pods;
                    info.cpu_req_m = *c;
                    info.mem_req = *m;
                    info.gpu_req = *g;
                }
                info
            })
            .collect();
        Ok(vec![Observation::Nodes(list)])
    }
}

/// An HPA's row.
pub fn hpa_info(h: &HorizontalPodAutoscaler) -> HpaInfo {
    let spec = Some(&h.spec);
    let status = h.status.as_ref();
    let problem = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[])
        .iter()
        .find(|c| {
            c.status == "False" && matches!(c.type_.as_str(), "ScalingActive" | "AbleToScale")
        })
        .map(|c| {
            format!(
                "{}: {}",
                c.reason.as_deref().unwrap_or(&c.type_),
                c.message.as_deref().unwrap_or("")
            )
        });
    let n = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
    HpaInfo {
        namespace: h.namespace().unwrap_or_default(),
        name: h.name_any(),
        target_kind: spec
            .map(|s| s.scale_target_ref.kind.clone())
            .unwrap_or_default(),
        target: spec
            .map(|s| s.scale_target_ref.name.clone())
            .unwrap_or_default(),
        min: n(spec.and_then(|s| s.min_replicas)).max(1),
        max: n(spec.map(|s| s.max_replicas)),
        current: n(status.and_then(|s| s.current_replicas)),
        desired: n(status.map(|s| s.desired_replicas)),
        problem,
        last_scale: status.and_then(|s| s.last_scale_time.as_ref()).map(|t| t.0),
    }
}

/// Polls the HPAs (autoscaling/v2) of the watched namespaces.
pub struct HpaPoller {
    pub client: Client,
    pub namespaces: Vec<String>,
}

impl Poller for HpaPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        let mut out = Vec::new();
        for ns in &self.namespaces {
            let api: Api<HorizontalPodAutoscaler> = Api::namespaced(self.client.clone(), ns);
            let list = list_all(&api, ListParams::default())
                .await
                .map_err(|e| format!("list horizontalpodautoscalers in {ns}: {e}"))?;
            out.extend(list.iter().map(hpa_info));
        }
        Ok(vec![Observation::Hpas(out)])
    }
}
