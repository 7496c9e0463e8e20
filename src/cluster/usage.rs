//! Resource usage from metrics.k8s.io (what `kubectl top` shows): CPU and memory per pod and
//! per node, from metrics-server's PodMetrics and NodeMetrics.

use serde::{Deserialize, Serialize};

/// A pod's usage: its containers' summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PodUsage {
    pub namespace: String,
    pub name: String,
    /// Millicores, rounded up as `kubectl top` rounds (250000n is 1m).
    pub cpu_m: u64,
    pub mem: u64,
}

/// A node's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NodeUsage {
    pub name: String,
    pub cpu_m: u64,
    pub mem: u64,
}

/// One round of metrics: the lists, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Usage {
    /// `Some` when the metrics API is not there (no metrics-server): said once, not retried.
    pub unavailable: Option<String>,
    pub pods: Vec<PodUsage>,
    pub nodes: Vec<NodeUsage>,
}

/// A CPU quantity as metrics-server writes it (`250000n`, `12m`, `1`) in millicores,
/// rounded up.
pub fn cpu_millis_ceil(q: &str) -> u64 {
    let q = q.trim();
    let (n, per_milli) = if let Some(n) = q.strip_suffix('n') {
        (n, 1e6)
    } else if let Some(u) = q.strip_suffix('u') {
        (u, 1e3)
    } else if let Some(m) = q.strip_suffix('m') {
        (m, 1.0)
    } else {
        (q, 1e-3)
    };
    n.parse::<f64>()
        .map_or(0, |v| (v / per_milli).max(0.0).ceil() as u64)
}

/// `12m 64Mi`, as a pod row or node row shows usage.
pub fn fmt_usage(cpu_m: u64, mem: u64) -> String {
    format!("{cpu_m}m {}", super::fmt_bytes(mem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_server_quantities_round_up_like_kubectl_top() {
        assert_eq!(cpu_millis_ceil("250000n"), 1);
        assert_eq!(cpu_millis_ceil("12m"), 12);
        assert_eq!(cpu_millis_ceil("1500u"), 2);
        assert_eq!(cpu_millis_ceil("2"), 2000);
        assert_eq!(super::super::bytes("123456Ki"), 123_456 * 1024);
        assert_eq!(fmt_usage(12, 64 << 20), "12m 64Mi");
    }
}
