//! The shop's cluster around it, shaped like the recorded apiserver answers: three nodes
//! (one under memory pressure, one with GPUs), a DaemonSet pod and a static pod's mirror on
//! `node-1`, a PodDisruptionBudget that lets no checkout pod go, an HPA on checkout
//! (autoscaling/v2, no metrics-server), and events.k8s.io events: kubelet ones written through
//! core v1 (`deprecatedCount`, `eventTime: null`), the scheduler's with `eventTime`.

use serde_json::{Value, json};

use super::KubeServer;
use super::fixtures::{NS, pod};

fn node(name: &str, memory_pressure: bool, gpus: u32) -> Value {
    let cond = |t: &str, s: bool, reason: &str| {
        json!({"type": t, "status": if s { "True" } else { "False" }, "reason": reason,
            "lastHeartbeatTime": "2026-12-01T21:58:30Z", "lastTransitionTime": "2026-12-01T20:28:37Z"})
    };
    let mut alloc = json!({"cpu": "4", "memory": "16Gi", "pods": "110"});
    if gpus > 0 {
        alloc["nvidia.com/gpu"] = json!(gpus.to_string());
    }
    json!({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {"capacity": alloc.clone(), "allocatable": alloc,
            "conditions": [
                cond("MemoryPressure", memory_pressure, if memory_pressure { "KubeletHasInsufficientMemory" } else { "KubeletHasSufficientMemory" }),
                cond("DiskPressure", false, "KubeletHasNoDiskPressure"),
                cond("PIDPressure", false, "KubeletHasSufficientPID"),
                cond("Ready", true, "KubeletReady")]}})
}

/// An events.k8s.io/v1 event as the kubelet writes it through core v1.
#[allow(clippy::too_many_arguments)] // one event's fields, listed as the table of events below reads
pub fn kubelet_event(
    ns: &str,
    name: &str,
    kind: &str,
    about: &str,
    reason: &str,
    note: &str,
    warning: bool,
    count: u32,
    first: &str,
    last: &str,
) -> Value {
    json!({"metadata": {"name": name, "namespace": ns},
        "eventTime": null, "reportingController": "kubelet", "reportingInstance": "node-1",
        "reason": reason,
        "regarding": {"kind": kind, "namespace": if kind == "Node" { "" } else { ns }, "name": about, "apiVersion": "v1"},
        "note": note, "type": if warning { "Warning" } else { "Normal" },
        "deprecatedSource": {"component": "kubelet", "host": "node-1"},
        "deprecatedFirstTimestamp": first, "deprecatedLastTimestamp": last,
        "deprecatedCount": count})
}

/// Fills the server with the shop's cluster (call after `fixtures::shop`).
pub fn cluster(server: &KubeServer) {
    server.put("nodes", node("node-1", false, 0));
    server.put("nodes", node("node-2", true, 0));
    server.put("nodes", node("gpu-node-1", false, 8));
    // Checkout's first pod crash-looped: OOMKilled, exit 137, with requests and limits.
    server.with(|s| {
        let key = ("pods".to_string(), NS.to_string(), "checkout-7f9d6c5b4-a1b2c".to_string());
        let mut p = s.objects.get(&key).cloned().unwrap_or_default();
        p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"}});
        p["status"]["containerStatuses"][0]["restartCount"] = json!(7);
        p["status"]["containerStatuses"][0]["lastState"] = json!({"terminated": {"exitCode": 137,
            "reason": "OOMKilled", "startedAt": "2026-12-01T21:40:02Z", "finishedAt": "2026-12-01T21:44:51Z",
            "containerID": "containerd://0f1e"}});
        s.put("pods", p);
    });
    let mut ds = pod("node-exporter-x", "abc", true, &["exporter"]);
    ds["metadata"]["name"] = json!("node-exporter-abc");
    ds["metadata"]["labels"] = json!({"app": "node-exporter"});
    ds["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "DaemonSet",
        "name": "node-exporter", "uid": "uid-ds", "controller": true}]);
    server.put("pods", ds);
    let mut mirror = pod("kube-proxy-x", "node1", true, &["kube-proxy"]);
    mirror["metadata"]["name"] = json!("kube-proxy-node-1");
    mirror["metadata"]["labels"] = json!({"k8s-app": "kube-proxy"});
    mirror["metadata"]["annotations"] =
        json!({"kubernetes.io/config.mirror": "5b1f", "kubernetes.io/config.source": "file"});
    mirror["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "Node",
        "name": "node-1", "uid": "uid-node-1", "controller": true}]);
    server.put("pods", mirror);
    server.put(
        "poddisruptionbudgets",
        json!({"metadata": {"name": "checkout-pdb", "namespace": NS},
            "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "checkout"}}},
            "status": {"disruptionsAllowed": 0, "currentHealthy": 3, "desiredHealthy": 3, "expectedPods": 3}}),
    );
    server.put(
        "horizontalpodautoscalers",
        json!({"metadata": {"name": "checkout", "namespace": NS},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "checkout", "apiVersion": "apps/v1"},
                "minReplicas": 3, "maxReplicas": 6,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
            "status": {"currentReplicas": 3, "desiredReplicas": 0, "currentMetrics": [{"type": ""}],
                "conditions": [
                    {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale", "message": "the HPA controller was able to get the target's current scale"},
                    {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "the HPA was unable to compute the replica count: failed to get cpu utilization"}]}}),
    );
    let pod_a = "checkout-7f9d6c5b4-a1b2c";
    for e in [
        kubelet_event(
            NS,
            &format!("{pod_a}.181d5e6f1a2b3c01"),
            "Pod",
            pod_a,
            "BackOff",
            "Back-off restarting failed container app in pod checkout-7f9d6c5b4-a1b2c",
            true,
            7,
            "2026-12-01T21:41:00Z",
            "2026-12-01T21:45:10Z",
        ),
        kubelet_event(
            NS,
            &format!("{pod_a}.181d5e6f1a2b3c02"),
            "Pod",
            pod_a,
            "Pulled",
            "Container image \"shop/checkout:1.5\" already present on machine",
            false,
            8,
            "2026-12-01T21:40:00Z",
            "2026-12-01T21:44:55Z",
        ),
        kubelet_event(
            NS,
            "ingest-5d4c3b2a1-j7k8l.181d5e6f1a2b3c03",
            "Pod",
            "ingest-5d4c3b2a1-j7k8l",
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            true,
            2,
            "2026-12-01T21:43:00Z",
            "2026-12-01T21:44:00Z",
        ),
        kubelet_event(
            "default",
            "node-1.181d5e6f1a2b3c04",
            "Node",
            "node-1",
            "NodeHasDiskPressure",
            "Node node-1 status is now: NodeHasDiskPressure",
            true,
            1,
            "2026-12-01T21:42:00Z",
            "2026-12-01T21:42:00Z",
        ),
    ] {
        server.put("events", e);
    }
    // The scheduler writes events.k8s.io events itself: eventTime, no deprecated fields.
    server.put(
        "events",
        json!({"metadata": {"name": format!("{pod_a}.181d5e6f1a2b3c05"), "namespace": NS},
            "eventTime": "2026-12-01T21:39:58.723521Z", "reportingController": "default-scheduler",
            "reportingInstance": "default-scheduler-vm", "action": "Binding", "reason": "Scheduled",
            "regarding": {"kind": "Pod", "namespace": NS, "name": pod_a, "apiVersion": "v1"},
            "note": format!("Successfully assigned {NS}/{pod_a} to node-1"), "type": "Normal"}),
    );
}
