//! Events, nodes, autoscalers, describe, cordon, drain and hpa-min against the Kubernetes API
//! test server: what the panes show, and exactly which requests were sent, dry runs included.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

mod kube_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::client::live_app;
use kube_server::fixtures::{self, NS};
use sitrep::app::App;
use sitrep::app::state::WorkloadKey;
use sitrep::cluster::{ClusterAction, DescribeTarget};
use sitrep::command::Command;
use sitrep::config::Config;
use sitrep::event::{Action, ActionOutcome, Event, Observation};
use sitrep::executors::Executor;
use sitrep::executors::kube::KubeExecutor;
use sitrep::executors::kube_nodes::{ClusterExecutor, DrainSettings};
use tokio::sync::mpsc;

const CHECKOUT_A: &str = "checkout-7f9d6c5b4-a1b2c";

async fn setup() -> (
    KubeServer,
    sitrep::sources::kube::Connection,
    tempfile::TempDir,
) {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    kube_server::cluster::cluster(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    (server, conn, dir)
}

fn executor(
    conn: &sitrep::sources::kube::Connection,
    progress: Option<mpsc::Sender<Event>>,
) -> ClusterExecutor {
    let kube = KubeExecutor::new(
        conn.client.clone(),
        conn.namespaces.clone(),
        Vec::new(),
        Duration::from_secs(5),
    );
    ClusterExecutor::new(conn.client.clone(), kube, Duration::from_secs(5), progress).with_drain(
        DrainSettings {
            retry_every: Duration::from_millis(200),
            give_up_after: Duration::from_secs(1),
        },
    )
}

fn obj(server: &KubeServer, resource: &str, ns: &str, name: &str) -> Option<serde_json::Value> {
    server
        .state
        .lock()
        .unwrap()
        .get(resource, ns, name)
        .cloned()
}

#[tokio::test]
async fn events_nodes_and_autoscalers_reach_the_panes() {
    let (server, conn, _dir) = setup().await;
    let (tx, mut rx) = mpsc::channel(4096);
    let mut tasks = sitrep::sources::kube::spawn(&conn, tx.clone());
    tasks.extend(sitrep::sources::kube_cluster::spawn(
        &conn,
        Duration::from_millis(300),
        tx,
    ));
    let mut app = live_app(&conn, Config::default());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let ready = |app: &App| {
        app.cluster.nodes.len() == 3
            && !app.cluster.hpas.is_empty()
            && app.cluster.events.len() == 5
            && app
                .pods
                .workloads
                .get(&WorkloadKey::new(NS, "checkout"))
                .is_some_and(|w| w.pods.len() == 3 && w.deployment.is_some())
            && app
                .pods
                .workloads
                .contains_key(&WorkloadKey::new(NS, "ingest"))
    };
    while !ready(&app) {
        let ev = tokio::time::timeout_at(deadline, rx.recv()).await;
        let Ok(Some(ev)) = ev else {
            panic!(
                "timed out: {} nodes, {} hpas, {} events, errors {:?}",
                app.cluster.nodes.len(),
                app.cluster.hpas.len(),
                app.cluster.events.len(),
                app.source_errors
            );
        };
        app.update(ev);
    }
    assert!(app.pods.select_workload(&WorkloadKey::new(NS, "checkout")));
    app.focus = sitrep::command::Pane::Pods;
    let pods_view = sitrep::ui::render_text(&app, 200, 60);
    assert!(pods_view.contains("hpa 3–6 now 3 wants 0"), "{pods_view}");

    app.run(Command::Events);
    let screen = sitrep::ui::render_text(&app, 200, 60);
    assert!(screen.contains("events of checkout"), "{screen}");
    let rows: Vec<(String, u32)> = app
        .event_rows()
        .into_iter()
        .map(|r| (r.reason, r.count))
        .collect();
    // Newest first: BackOff 21:45:10, Pulled 21:44:55, the node's 21:42, Scheduled 21:39:58.
    assert_eq!(
        rows,
        [
            ("BackOff".to_string(), 7),
            ("Pulled".to_string(), 8),
            ("NodeHasDiskPressure".to_string(), 1),
            ("Scheduled".to_string(), 1)
        ],
        "ingest's Unhealthy is not checkout's"
    );
    assert!(screen.contains("×7   BackOff"), "{screen}");
    app.run(Command::Warnings);
    assert_eq!(app.event_rows().len(), 2);

    app.run(Command::Nodes);
    let screen = sitrep::ui::render_text(&app, 200, 60);
    assert!(screen.contains("nodes · 3 · 0 cordoned"), "{screen}");
    assert!(screen.contains("node-2 Ready MemoryPressure"), "{screen}");
    // Three checkout pods, ingest, the DaemonSet pod and the mirror pod; checkout-a asks 250m.
    assert!(
        screen.contains("node-1 Ready pods 6 cpu 250/4000m 6% mem 512Mi/16.0Gi 3%"),
        "{screen}"
    );
    assert!(screen.contains("gpu 0/8"), "{screen}");

    let reqs = server.requests();
    let watched = |path: &str, q: &str| {
        reqs.iter().any(|r| {
            r.method == "GET" && r.path == path && r.has("watch=true") && r.query.contains(q)
        })
    };
    assert!(watched(
        &format!("/apis/events.k8s.io/v1/namespaces/{NS}/events"),
        ""
    ));
    assert!(
        watched(
            "/apis/events.k8s.io/v1/events",
            "fieldSelector=regarding.kind%3DNode"
        ),
        "node events by events.k8s.io's own field name: {:?}",
        reqs.iter()
            .filter(|r| r.path.contains("events"))
            .map(|r| &r.query)
            .collect::<Vec<_>>()
    );
    assert!(reqs.iter().any(|r| {
        r.path == "/api/v1/pods"
            && r.query
                .contains("fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed")
    }));
    assert!(reqs.iter().any(
        |r| r.path == format!("/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers")
    ));
    assert!(server.writes().is_empty(), "watching changes nothing");
    for t in tasks {
        t.abort();
    }
}

#[tokio::test]
async fn the_events_api_refuses_core_v1_field_names() {
    let (_server, conn, _dir) = setup().await;
    let api: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(conn.client.clone(), NS);
    let bad = kube::api::ListParams::default().fields(&format!("involvedObject.name={CHECKOUT_A}"));
    let e = api.list(&bad).await.expect_err("core v1's field name");
    assert!(
        e.to_string()
            .contains("field label not supported: involvedObject.name"),
        "{e}"
    );
    let good = kube::api::ListParams::default().fields(&format!("regarding.name={CHECKOUT_A}"));
    assert_eq!(api.list(&good).await.unwrap().items.len(), 3);
}

#[tokio::test]
async fn cordon_is_a_dry_run_first_then_a_patch_and_uncordon_undoes_it() {
    let (server, conn, _dir) = setup().await;
    let exec = executor(&conn, None);
    let cordon = Action::Cluster(ClusterAction::Cordon {
        node: "node-1".into(),
    });
    let lines = exec.preview(cordon.clone()).unwrap().await.unwrap();
    assert_eq!(lines[0], "Server dry run (dryRun=All) as admin: accepted");
    assert_eq!(lines[1], "  node node-1 cordoned");
    let node = obj(&server, "nodes", "", "node-1").unwrap();
    assert!(
        node["spec"]["unschedulable"].is_null(),
        "a dry run changes nothing"
    );
    let report = exec.execute(cordon).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    assert_eq!(report.detail, "node node-1 cordoned (as admin)");
    let node = obj(&server, "nodes", "", "node-1").unwrap();
    assert_eq!(node["spec"]["unschedulable"], true);
    assert_eq!(
        node["spec"]["taints"][0]["key"],
        "node.kubernetes.io/unschedulable"
    );
    let report = exec
        .execute(Action::Cluster(ClusterAction::Uncordon {
            node: "node-1".into(),
        }))
        .await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let node = obj(&server, "nodes", "", "node-1").unwrap();
    assert!(
        node["spec"]["unschedulable"].is_null() && node["spec"]["taints"].is_null(),
        "{node}"
    );
    // The query exactly as the kube client writes it (it leads with `&`).
    let sent: Vec<(String, String, String, String)> = server
        .writes()
        .into_iter()
        .map(|r| (r.method, r.path, r.query, r.body))
        .collect();
    let patch = |q: &str, body: &str| {
        (
            "PATCH".to_string(),
            "/api/v1/nodes/node-1".to_string(),
            q.to_string(),
            body.to_string(),
        )
    };
    assert_eq!(
        sent,
        [
            patch(
                "&dryRun=All&fieldManager=sitrep",
                r#"{"spec":{"unschedulable":true}}"#
            ),
            patch("&fieldManager=sitrep", r#"{"spec":{"unschedulable":true}}"#),
            patch("&fieldManager=sitrep", r#"{"spec":{"unschedulable":null}}"#),
        ]
    );
    assert!(
        server
            .writes()
            .iter()
            .all(|r| r.content_type == "application/merge-patch+json")
    );
}

fn evictions(server: &KubeServer) -> Vec<(String, bool)> {
    server
        .state
        .lock()
        .unwrap()
        .evictions
        .iter()
        .map(|(_, p, dry)| (p.clone(), *dry))
        .collect()
}

#[tokio::test]
async fn drain_evicts_what_it_may_leaves_daemonset_and_mirror_pods_and_never_forces_a_budget() {
    let (server, conn, _dir) = setup().await;
    let (tx, mut rx) = mpsc::channel(64);
    let exec = executor(&conn, Some(tx));
    let drain = Action::Cluster(ClusterAction::Drain {
        node: "node-1".into(),
    });

    // The dry run: every eviction once, with dryRun=All; the budget's refusal is shown.
    let why = exec
        .preview(drain.clone())
        .unwrap()
        .await
        .expect_err("the budget refuses");
    assert!(why.contains("would evict 1/4 pods"), "{why}");
    assert!(
        why.contains("left: kube-proxy-node-1 (mirror pod), node-exporter-abc (DaemonSet pod)"),
        "{why}"
    );
    assert!(
        why.contains(&format!(
            "refused by a disruption budget now: {CHECKOUT_A} (Cannot evict pod as it would violate the pod's disruption budget.)"
        )),
        "{why}"
    );
    assert!(evictions(&server).iter().all(|(_, dry)| *dry));
    assert_eq!(evictions(&server).len(), 4);
    assert!(
        obj(&server, "pods", NS, "ingest-5d4c3b2a1-j7k8l").is_some(),
        "a dry run evicts nothing"
    );
    assert!(obj(&server, "nodes", "", "node-1").unwrap()["spec"]["unschedulable"].is_null());
    let dry_writes = server.writes();
    assert!(
        dry_writes.iter().all(|r| r.query.contains("dryRun=All")),
        "{dry_writes:?}"
    );

    // The drain: ingest goes, checkout is retried and reported, nothing is forced.
    let report = exec.execute(drain).await;
    assert_eq!(report.outcome, ActionOutcome::Failed, "{}", report.detail);
    assert!(
        report
            .detail
            .starts_with("node node-1 cordoned; evicted 1/4 pods"),
        "{}",
        report.detail
    );
    assert!(
        report.detail.contains(
            "not evicted after 1s, a disruption budget refuses: checkout-7f9d6c5b4-a1b2c"
        ),
        "{}",
        report.detail
    );
    assert!(obj(&server, "pods", NS, "ingest-5d4c3b2a1-j7k8l").is_none());
    for s in ["a1b2c", "d3e4f", "g5h6i"] {
        let name = format!("checkout-7f9d6c5b4-{s}");
        assert!(obj(&server, "pods", NS, &name).is_some(), "{name} stays");
        let tries = evictions(&server)
            .iter()
            .filter(|(p, dry)| *p == name && !dry)
            .count();
        assert!(tries >= 3, "{name} was retried: {tries} tries");
    }
    assert!(obj(&server, "pods", NS, "node-exporter-abc").is_some());
    assert!(obj(&server, "pods", NS, "kube-proxy-node-1").is_some());
    let all = server.requests();
    assert!(
        all.iter().all(|r| r.method != "DELETE"),
        "evictions only, never a delete"
    );
    assert!(
        all.iter().any(|r| r.method == "GET"
            && r.path == "/api/v1/pods"
            && r.query.contains("fieldSelector=spec.nodeName%3Dnode-1")),
        "the node's pods are listed by field selector"
    );
    // Progress came while it waited, and a last word when it gave up.
    let mut progress = Vec::new();
    while let Ok(Event::Observed(_, Observation::Drain(p))) = rx.try_recv() {
        progress.push(p);
    }
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(
        progress
            .iter()
            .all(|p| p.total == 4 && p.evicted == 1 && p.blocked.len() == 3)
    );
    assert!(progress.last().unwrap().done);
}

#[tokio::test]
async fn a_blocked_eviction_is_retried_until_the_budget_allows_it() {
    let (server, conn, _dir) = setup().await;
    let (tx, mut rx) = mpsc::channel(64);
    let exec = executor(&conn, Some(tx)).with_drain(DrainSettings {
        retry_every: Duration::from_millis(200),
        give_up_after: Duration::from_secs(10),
    });
    let drain = Action::Cluster(ClusterAction::Drain {
        node: "node-1".into(),
    });
    let running = tokio::spawn(async move { exec.execute(drain).await });
    // The first refusal comes as progress; then the budget is relaxed (a scale-up elsewhere).
    let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, Event::Observed(_, Observation::Drain(ref p)) if p.blocked.len() == 3));
    server.with(|s| {
        let key = (
            "poddisruptionbudgets".to_string(),
            NS.to_string(),
            "checkout-pdb".to_string(),
        );
        let mut pdb = s.objects.get(&key).cloned().unwrap();
        pdb["spec"]["minAvailable"] = serde_json::json!(0);
        s.put("poddisruptionbudgets", pdb);
    });
    let report = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    assert!(report.detail.starts_with("node node-1 cordoned; evicted 4/4 pods; left: kube-proxy-node-1 (mirror pod), node-exporter-abc (DaemonSet pod)"), "{}", report.detail);
    assert!(obj(&server, "pods", NS, CHECKOUT_A).is_none());
}

#[tokio::test]
async fn hpa_min_is_a_dry_run_then_a_patch_that_names_the_previous_minimum() {
    let (server, conn, _dir) = setup().await;
    let exec = executor(&conn, None);
    let action = Action::Cluster(ClusterAction::HpaMin {
        namespace: NS.into(),
        name: "checkout".into(),
        min: 5,
        previous: 3,
    });
    let lines = exec.preview(action.clone()).unwrap().await.unwrap();
    assert_eq!(
        lines[1],
        "  HPA acme/checkout minReplicas 3 → 5 (max 6); put back with `hpa-min checkout 3`"
    );
    let hpa = |s: &KubeServer| obj(s, "horizontalpodautoscalers", NS, "checkout").unwrap();
    assert_eq!(hpa(&server)["spec"]["minReplicas"], 3);
    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    assert_eq!(hpa(&server)["spec"]["minReplicas"], 5);
    let sent: Vec<(String, String)> = server
        .writes()
        .into_iter()
        .map(|r| (r.query, r.body))
        .collect();
    assert_eq!(
        sent,
        [
            (
                "&dryRun=All&fieldManager=sitrep".to_string(),
                r#"{"spec":{"minReplicas":5}}"#.to_string()
            ),
            (
                "&fieldManager=sitrep".to_string(),
                r#"{"spec":{"minReplicas":5}}"#.to_string()
            ),
        ]
    );
    assert!(server.writes().iter().all(|r| r.path
        == format!("/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers/checkout")));
}

#[tokio::test]
async fn describe_reads_the_pod_and_its_events_as_kubectl_shows_them() {
    let (server, conn, _dir) = setup().await;
    let exec = executor(&conn, None);
    let target = DescribeTarget {
        namespace: NS.into(),
        kind: "Pod".into(),
        name: CHECKOUT_A.into(),
    };
    let lines = exec.describe(target).unwrap().await.unwrap();
    let text = lines.join("\n");
    for want in [
        "Node:         node-1",
        "Controlled By: ReplicaSet/checkout-7f9d6c5b4",
        "    Last State: Terminated",
        "      Reason:     OOMKilled",
        "      Exit Code:  137",
        "      Finished:   2026-12-01 21:44:51 UTC",
        "    Restart Count: 7",
        "    Requests:",
        "      cpu: 250m",
        "  Ready             True",
        "Events:",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    let backoff = lines.iter().position(|l| l.contains("BackOff")).unwrap();
    let scheduled = lines.iter().position(|l| l.contains("Scheduled")).unwrap();
    assert!(scheduled < backoff, "oldest first, as kubectl lists them");
    assert!(lines[backoff].contains("(x7)") && lines[backoff].contains("Warning"));
    let asked = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/events") && r.query.contains("fieldSelector"))
        .unwrap();
    assert_eq!(
        asked.path,
        format!("/apis/events.k8s.io/v1/namespaces/{NS}/events")
    );
    assert!(
        asked
            .query
            .contains(&format!("fieldSelector=regarding.name%3D{CHECKOUT_A}")),
        "{}",
        asked.query
    );
}

#[tokio::test]
async fn the_snapshot_lists_events_nodes_and_autoscalers() {
    let (_server, conn, _dir) = setup().await;
    // The snapshot reads the cluster once and folds it into a cockpit, as `sitrep snapshot`.
    let mut app = live_app(&conn, Config::default());
    let now = jiff::Timestamp::now();
    for o in sitrep::sources::kube_cluster_snapshot::cluster_observations(&conn).await {
        assert!(!matches!(o, Observation::SourceError { .. }), "{o:?}");
        app.update(Event::Observed(now, o));
    }
    let snap = sitrep::sources::kube_cluster_snapshot::ClusterSnapshot::of(&app);
    let json = serde_json::to_value(&snap).unwrap();
    assert_eq!(
        json["events"][0]["reason"], "BackOff",
        "newest first: {json}"
    );
    assert_eq!(json["events"][0]["type"], "Warning");
    assert_eq!(json["events"][0]["count"], 7);
    assert_eq!(
        json["events"].as_array().unwrap().len(),
        4,
        "acme's events; node events live in default"
    );
    assert_eq!(json["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(json["hpas"][0]["min"], 3);
    let md = sitrep::sources::kube_cluster_snapshot::markdown(&snap);
    assert!(
        md.contains("**Nodes:** 3 (1 not ready, cordoned or under pressure)"),
        "{md}"
    );
    assert!(md.contains("- node-2: Ready, MemoryPressure"), "{md}");
    assert!(md.contains("- acme/checkout → Deployment checkout: 3 replicas (min 3, max 6, wants 0); FailedGetResourceMetric"), "{md}");
    assert!(
        md.contains("BackOff pod/checkout-7f9d6c5b4-a1b2c ×7"),
        "{md}"
    );
    assert!(!md.contains("Pulled"), "only warnings in the Markdown");
}
