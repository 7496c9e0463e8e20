//! Resource usage from metrics.k8s.io (what `kubectl top pods` / `kubectl top nodes` read):
//! PodMetrics of the watched namespaces and NodeMetrics, polled. Without metrics-server the
//! API group is not served (404): that is said once and the source stops asking.

use kube::Client;
use serde_json::Value;

use crate::cluster::bytes;
use crate::cluster::usage::{NodeUsage, PodUsage, Usage, cpu_millis_ceil};
use crate::event::Observation;
use crate::sources::poll::Poller;

/// The metrics API's path for pods in `ns` ("" for every namespace), or for nodes.
pub fn path(ns: Option<&str>) -> String {
    match ns {
        Some("") => "/apis/metrics.k8s.io/v1beta1/pods".into(),
        Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
        None => "/apis/metrics.k8s.io/v1beta1/nodes".into(),
    }
}

/// Why a read failed: the API is not there, or something that may pass.
pub enum Failure {
    Absent(String),
    Other(String),
}

async fn get(client: &Client, path: &str) -> Result<Value, Failure> {
    let req = kube::core::Request::new(path)
        .list(&kube::api::ListParams::default())
        .map_err(|e| Failure::Other(e.to_string()))?;
    match client.request::<Value>(req).await {
        Ok(v) => Ok(v),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(Failure::Absent(format!(
            "{path}: 404, no metrics-server in this cluster"
        ))),
        Err(e) => Err(Failure::Other(format!("{path}: {e}"))),
    }
}

fn usage_of(u: &Value) -> (u64, u64) {
    (
        u["cpu"].as_str().map_or(0, cpu_millis_ceil),
        u["memory"].as_str().map_or(0, bytes),
    )
}

/// A PodMetricsList's pods, their containers' usage summed.
pub fn pods_of(list: &Value) -> Vec<PodUsage> {
    let items = list["items"].as_array().map_or(&[][..], |v| v.as_slice());
    items
        .iter()
        .map(|p| {
            let (mut cpu_m, mut mem) = (0, 0);
            for c in p["containers"].as_array().map_or(&[][..], |v| v.as_slice()) {
                let (c, m) = usage_of(&c["usage"]);
                cpu_m += c;
                mem += m;
            }
            PodUsage {
                namespace: p["metadata"]["namespace"].as_str().unwrap_or("").into(),
                name: p["metadata"]["name"].as_str().unwrap_or("").into(),
                cpu_m,
                mem,
            }
        })
        .collect()
}

/// A NodeMetricsList's nodes.
pub fn nodes_of(list: &Value) -> Vec<NodeUsage> {
    let items = list["items"].as_array().map_or(&[][..], |v| v.as_slice());
    items
        .iter()
        .map(|n| {
            let (cpu_m, mem) = usage_of(&n["usage"]);
            NodeUsage {
                name: n["metadata"]["name"].as_str().unwrap_or("").into(),
                cpu_m,
                mem,
            }
        })
        .collect()
}

/// Reads pod and node usage once. Nodes are cluster-wide: a namespaced role that may not
/// read them still gets its pods.
pub async fn read(client: &Client, namespaces: &[String]) -> Result<Usage, Failure> {
    let mut out = Usage::default();
    for ns in namespaces {
        out.pods
            .extend(pods_of(&get(client, &path(Some(ns))).await?));
    }
    match get(client, &path(None)).await {
        Ok(v) => out.nodes = nodes_of(&v),
        Err(Failure::Absent(why)) => return Err(Failure::Absent(why)),
        Err(Failure::Other(e)) => tracing::debug!(%e, "node metrics"),
    }
    Ok(out)
}

/// Polls usage; once the API is found absent, says so and asks no more.
pub struct MetricsPoller {
    pub client: Client,
    pub namespaces: Vec<String>,
    pub absent: bool,
}

impl Poller for MetricsPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        if self.absent {
            // No retry loop: a cluster does not grow a metrics-server mid-incident often
            // enough to poll for it; a restart looks again.
            std::future::pending::<()>().await;
        }
        match read(&self.client, &self.namespaces).await {
            Ok(u) => Ok(vec![Observation::Usage(u)]),
            Err(Failure::Absent(why)) => {
                self.absent = true;
                Ok(vec![Observation::Usage(Usage {
                    unavailable: Some(why),
                    ..Usage::default()
                })])
            }
            Err(Failure::Other(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_usage_is_summed_per_pod() {
        let list = json!({"kind": "PodMetricsList", "items": [{"metadata": {"name": "a", "namespace": "shop"},
            "containers": [{"name": "app", "usage": {"cpu": "250000n", "memory": "123456Ki"}},
                {"name": "proxy", "usage": {"cpu": "12m", "memory": "64Mi"}}]}]});
        let pods = pods_of(&list);
        assert_eq!(pods[0].cpu_m, 13);
        assert_eq!(pods[0].mem, 123_456 * 1024 + (64 << 20));
        let nodes = nodes_of(
            &json!({"items": [{"metadata": {"name": "n1"}, "usage": {"cpu": "1500m", "memory": "2Gi"}}]}),
        );
        assert_eq!(nodes[0].cpu_m, 1500);
    }
}
