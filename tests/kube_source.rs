//! The watcher source against the Kubernetes API test server: pods and deployments arrive
//! as observations, changes are coalesced, dropped and expired watches resume by themselves.
#![allow(clippy::unwrap_used)]

mod kube_server;

use std::collections::BTreeMap;
use std::time::Duration;

use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};
use sitrep::config::kube::KubernetesConfig;
use sitrep::event::{DeploymentStatus, Event, Observation, PodStatus};
use tokio::sync::mpsc;

/// What the observations said so far.
#[derive(Default)]
struct Seen {
    pods: BTreeMap<String, PodStatus>,
    deployments: BTreeMap<String, DeploymentStatus>,
    pod_events: usize,
    /// The source's header error: set by `SourceError`, cleared by `SourceRecovered`.
    error: Option<String>,
    recoveries: usize,
}

async fn until(rx: &mut mpsc::Receiver<Event>, seen: &mut Seen, done: impl Fn(&Seen) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(seen) {
        let ev = tokio::time::timeout_at(deadline, rx.recv()).await;
        let Ok(Some(Event::Observed(_, obs))) = ev else {
            assert!(
                ev.is_ok(),
                "timed out waiting for observations: {} pods, {} deployments seen, error {:?}, {} recoveries",
                seen.pods.len(),
                seen.deployments.len(),
                seen.error,
                seen.recoveries
            );
            continue;
        };
        match obs {
            Observation::Pod(p) => {
                seen.pod_events += 1;
                seen.pods.insert(p.name.clone(), p);
            }
            Observation::PodGone { name, .. } => {
                seen.pods.remove(&name);
            }
            Observation::Deployment(d) => {
                seen.deployments.insert(d.name.clone(), d);
            }
            Observation::DeploymentGone { name, .. } => {
                seen.deployments.remove(&name);
            }
            Observation::SourceError { source, error } if source == format!("kubernetes {NS}") => {
                seen.error = Some(error);
            }
            Observation::SourceRecovered { source } if source == format!("kubernetes {NS}") => {
                seen.error = None;
                seen.recoveries += 1;
            }
            _ => {}
        }
    }
}

/// The watcher source on the test server as `admin`, and what it has said so far.
struct Watching {
    conn: sitrep::sources::kube::Connection,
    rx: mpsc::Receiver<Event>,
    seen: Seen,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Holds the kubeconfig.
    _dir: tempfile::TempDir,
}

impl Watching {
    /// Connects with `[kubernetes]` keys given as TOML and starts the watches, their
    /// events in a channel of `capacity`.
    async fn start(server: &KubeServer, keys: &str, capacity: usize) -> Watching {
        let dir = tempfile::tempdir().unwrap();
        let cfg = server.kube_config(dir.path(), "admin", keys);
        let conn = sitrep::sources::kube::connect(&cfg).await.unwrap();
        let (tx, rx) = mpsc::channel(capacity);
        let tasks = sitrep::sources::kube::spawn(&conn, tx);
        Watching {
            conn,
            rx,
            seen: Seen::default(),
            tasks,
            _dir: dir,
        }
    }

    /// Folds observations until `done` holds (20 s at most).
    async fn until(&mut self, done: impl Fn(&Seen) -> bool) {
        until(&mut self.rx, &mut self.seen, done).await;
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[tokio::test]
async fn pods_and_deployments_arrive_and_follow_changes() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let mut w = Watching::start(&server, "", 1024).await;
    assert_eq!(w.conn.context, "test");
    assert_eq!(w.conn.namespaces, [NS]);
    w.until(|s| s.pods.len() == 4 && s.deployments.len() == 2)
        .await;

    let checkout = &w.seen.deployments["checkout"];
    assert_eq!(
        (checkout.revision, checkout.replicas, checkout.ready),
        (2, 3, 3)
    );
    let revs: Vec<u64> = checkout.history.iter().map(|h| h.revision).collect();
    assert_eq!(revs, [2, 1]);
    assert_eq!(checkout.history[1].image, "shop/checkout:1.4");
    let p = &w.seen.pods["checkout-7f9d6c5b4-a1b2c"];
    assert_eq!(
        (p.workload.as_str(), p.revision, p.ready),
        ("checkout", 2, true)
    );

    // A pod crash-looping, then gone.
    let mut bad = fixtures::pod("checkout-7f9d6c5b4", "zz9zz", false, &["app"]);
    bad["status"]["containerStatuses"][0]["state"] =
        serde_json::json!({"waiting": {"reason": "CrashLoopBackOff"}});
    bad["status"]["containerStatuses"][0]["restartCount"] = 5.into();
    server.put("pods", bad);
    w.until(|s| s.pods.contains_key("checkout-7f9d6c5b4-zz9zz"))
        .await;
    let p = &w.seen.pods["checkout-7f9d6c5b4-zz9zz"];
    assert_eq!(p.reason.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(p.restarts, 5);
    server.with(|s| s.delete("pods", NS, "checkout-7f9d6c5b4-zz9zz"));
    w.until(|s| s.pods.len() == 4).await;

    // Bookmarks were asked for; every watch started from a list's resourceVersion.
    let reqs = server.requests();
    assert!(reqs.iter().any(|r| r.path.ends_with("/pods")
        && r.has("watch=true")
        && r.has("allowWatchBookmarks=true")));
    assert!(reqs.iter().all(|r| r.user == "admin"));
}

#[tokio::test]
async fn a_dropped_and_an_expired_watch_resume_by_themselves() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let mut w = Watching::start(&server, "", 1024).await;
    w.until(|s| s.pods.len() == 4).await;

    server.drop_watches();
    server.put(
        "pods",
        fixtures::pod("ingest-5d4c3b2a1", "after1", true, &["app"]),
    );
    w.until(|s| s.pods.contains_key("ingest-5d4c3b2a1-after1"))
        .await;

    // History compacted while the watch was down: the resume gets 410, the source relists,
    // and a pod deleted meanwhile leaves the pane.
    server.with(|s| s.refuse_watches = true);
    server.drop_watches();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.with(|s| s.delete("pods", NS, "ingest-5d4c3b2a1-after1"));
    server.put(
        "pods",
        fixtures::pod("ingest-5d4c3b2a1", "after2", true, &["app"]),
    );
    server.compact();
    server.with(|s| s.refuse_watches = false);
    w.until(|s| {
        s.pods.contains_key("ingest-5d4c3b2a1-after2")
            && !s.pods.contains_key("ingest-5d4c3b2a1-after1")
    })
    .await;
    let lists = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/pods") && !r.has("watch=true"))
        .count();
    let log: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/pods"))
        .map(|r| r.query.clone())
        .collect();
    assert!(
        lists >= 2,
        "the 410 made the watcher list again ({lists} lists): {log:#?}"
    );
}

#[tokio::test]
async fn many_pod_changes_are_coalesced() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let mut w = Watching::start(&server, "", 100_000).await;
    w.until(|s| s.pods.len() == 4).await;
    let before = w.seen.pod_events;
    // 1,000 status flips of one pod between flushes, ending where they started but for
    // the restart count: the pane needs the last state, not every step.
    server.with(|s| {
        for i in 0..1000 {
            let mut p = fixtures::pod("checkout-7f9d6c5b4", "a1b2c", i % 2 == 0, &["app"]);
            p["status"]["containerStatuses"][0]["restartCount"] = (i / 999).into();
            s.put("pods", p);
        }
    });
    w.until(|s| s.pods["checkout-7f9d6c5b4-a1b2c"].restarts == 1)
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    while let Ok(Event::Observed(_, Observation::Pod(_))) = w.rx.try_recv() {
        w.seen.pod_events += 1;
    }
    let sent = w.seen.pod_events - before;
    assert!(sent <= 10, "1,000 watch events became {sent} observations");
}

#[tokio::test]
async fn the_snapshot_lists_pods_and_deployments() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let kube = KubernetesConfig {
        kubeconfig: Some(server.kubeconfig(dir.path(), "admin")),
        namespaces: vec![NS.into()],
        ..KubernetesConfig::default()
    };
    let snap = sitrep::snapshot::take(&sitrep::config::Config::default(), Some(kube))
        .await
        .unwrap();
    let snap = serde_json::to_value(&snap).unwrap();
    let deployments = snap["deployments"].as_array().unwrap();
    let checkout = deployments
        .iter()
        .find(|d| d["name"] == "checkout")
        .unwrap();
    assert_eq!(
        checkout,
        &serde_json::json!({"namespace": NS, "name": "checkout", "revision": 2, "replicas": 3,
            "ready": 3, "updated": 3, "available": 3})
    );
    let pods = snap["pods"].as_array().unwrap();
    assert_eq!(pods.len(), 4);
    let p = pods
        .iter()
        .find(|p| p["name"] == "ingest-5d4c3b2a1-j7k8l")
        .unwrap();
    assert_eq!(p["workload"], "ingest");
    assert_eq!(p["node"], "node-1");
    assert_eq!(p["reason"], serde_json::Value::Null);
    assert!(p["age_s"].as_i64().unwrap() < 60);
}

#[tokio::test]
async fn the_pods_pane_shows_the_cluster_in_live_mode() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use sitrep::config::Config;

    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let mut stuck = serde_json::json!({"status": {"conditions": [{"type": "Progressing",
        "status": "False", "reason": "ProgressDeadlineExceeded",
        "message": "ReplicaSet has timed out progressing."}],
        "replicas": 1, "updatedReplicas": 1, "readyReplicas": 0, "availableReplicas": 0}});
    server.with(|s| {
        let mut d = s.get("deployments", NS, "ingest").cloned().unwrap();
        d["status"] = stuck["status"].take();
        s.put("deployments", d);
    });
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    let (tx, mut rx) = mpsc::channel(1024);
    let tasks = sitrep::sources::kube::spawn(&conn, tx);
    let mut app = kube_server::client::live_app(&conn, Config::default());
    app.size = (240, 40);
    let mut effects = Vec::new();
    while app
        .pods
        .workloads
        .values()
        .map(|w| w.pods.len())
        .sum::<usize>()
        < 4
        || app
            .pods
            .workloads
            .values()
            .filter(|w| w.deployment.is_some())
            .count()
            < 2
    {
        let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        effects.extend(app.update(ev));
    }
    // Nothing is tailed before anyone asks for logs.
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, sitrep::app::Effect::TailLogs(_))),
        "{effects:?}"
    );
    assert!(app.pods.tailing.is_none());
    let mut terminal = Terminal::new(TestBackend::new(240, 40)).unwrap();
    terminal.draw(|f| sitrep::ui::draw(f, &app)).unwrap();
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .chunks(240)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect();
    assert!(screen.contains("LIVE test/acme"), "{screen}");
    assert!(screen.contains("checkout 3/3 ready rev 2"), "{screen}");
    assert!(
        screen.contains(
            "ingest 0/1 ready rev 1 rollout upd 1 avail 0 unavail 1 ProgressDeadlineExceeded"
        ),
        "{screen}"
    );
    for t in tasks {
        t.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitrep_snapshot_prints_the_cluster() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path(), "admin");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[kubernetes]\nkubeconfig = {:?}\nnamespaces = [{NS:?}]\n",
            kubeconfig.display().to_string()
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_sitrep");
    let run = |format: &'static str| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args(["snapshot", "--format", format, "--config"])
                .arg(&config)
                .output()
                .unwrap()
        })
    };
    let out = run("json").await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checkout = json["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "checkout")
        .cloned()
        .unwrap();
    assert_eq!(checkout["revision"], 2);
    assert_eq!(json["pods"].as_array().unwrap().len(), 4);
    let md = run("md").await.unwrap();
    let text = String::from_utf8_lossy(&md.stdout);
    assert!(
        text.contains(&format!("- {NS}/checkout: 3/3 ready, revision 2")),
        "{text}"
    );
}

/// GPU capacity and allocatable count by node, as the observations said.
type NodeGpus = BTreeMap<String, (u32, u32)>;

#[tokio::test]
async fn gpu_capacity_of_nodes_is_watched() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let node = |name: &str, cap: &str, alloc: &str| {
        serde_json::json!({
            "metadata": {"name": name},
            "status": {
                "capacity": {"cpu": "64", "nvidia.com/gpu": cap},
                "allocatable": {"cpu": "63", "nvidia.com/gpu": alloc}
            }
        })
    };
    server.put("nodes", node("gpu-1", "8", "8"));
    server.put(
        "nodes",
        serde_json::json!({"metadata": {"name": "cpu-1"}, "status": {"capacity": {"cpu": "32"}}}),
    );
    let mut w = Watching::start(&server, "", 1024).await;
    let mut nodes: NodeGpus = BTreeMap::new();
    let mut wait = async |nodes: &mut NodeGpus, done: &dyn Fn(&NodeGpus) -> bool| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(nodes) {
            match tokio::time::timeout_at(deadline, w.rx.recv()).await {
                Ok(Some(Event::Observed(
                    _,
                    Observation::NodeGpus {
                        node,
                        capacity,
                        allocatable,
                    },
                ))) => {
                    nodes.insert(node, (capacity, allocatable));
                }
                Ok(Some(_)) => {}
                other => panic!("no node observations: {other:?}"),
            }
        }
    };
    wait(&mut nodes, &|n| n.contains_key("gpu-1")).await;
    assert_eq!(nodes["gpu-1"], (8, 8));
    assert!(
        !nodes.contains_key("cpu-1"),
        "nodes without GPUs are not reported"
    );
    // A GPU falls off the bus: allocatable drops.
    server.put("nodes", node("gpu-1", "8", "7"));
    wait(&mut nodes, &|n| n.get("gpu-1") == Some(&(8, 7))).await;
    server.with(|s| s.delete("nodes", "", "gpu-1"));
    wait(&mut nodes, &|n| n.get("gpu-1") == Some(&(0, 0))).await;
}

/// Pod names the server holds in `NS` now.
fn server_pods(server: &KubeServer) -> std::collections::BTreeSet<String> {
    server.with(|s| {
        s.list("pods", NS, None)
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    })
}

fn seen_pods(seen: &Seen) -> std::collections::BTreeSet<String> {
    seen.pods.keys().cloned().collect()
}

#[tokio::test]
async fn a_paged_initial_list_shows_every_pod() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    fixtures::workload(&server, "batch", 1_234, 4, |_| false);
    // Each page takes longer than a flush, as on a loaded apiserver.
    server.with(|s| s.list_delay_ms = 300);
    let mut w = Watching::start(&server, "", 100_000).await;
    w.until(|s| s.pods.len() == 1_238 && s.deployments.len() == 3)
        .await;
    assert_eq!(seen_pods(&w.seen), server_pods(&server));
    // Three pages of 500, the later ones with the first page's continue token.
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/pods") && !r.has("watch=true"))
        .collect();
    assert_eq!(lists.len(), 3, "{lists:#?}");
    assert!(lists.iter().all(|r| r.has("limit=500")));
    assert!(lists[1].query.contains("continue=") && lists[2].query.contains("continue="));
    // Nothing is said twice: one observation per pod.
    tokio::time::sleep(Duration::from_millis(600)).await;
    w.until(|_| true).await;
    while let Ok(Event::Observed(_, Observation::Pod(_))) = w.rx.try_recv() {
        w.seen.pod_events += 1;
    }
    assert_eq!(w.seen.pod_events, 1_238);
}

#[tokio::test]
async fn a_streaming_list_shows_every_pod_then_follows_changes() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    fixtures::workload(&server, "batch", 1_234, 4, |_| false);
    let mut w = Watching::start(&server, "streaming_lists = true", 100_000).await;
    w.until(|s| s.pods.len() == 1_238 && s.deployments.len() == 3)
        .await;
    assert_eq!(seen_pods(&w.seen), server_pods(&server));
    server.put(
        "pods",
        fixtures::pod("ingest-5d4c3b2a1", "later", true, &["app"]),
    );
    server.with(|s| s.delete("pods", NS, "batch-5a5a8cfb-p00007"));
    w.until(|s| s.pods.len() == 1_238 && s.pods.contains_key("ingest-5d4c3b2a1-later"))
        .await;
    assert_eq!(seen_pods(&w.seen), server_pods(&server));
    // No list at all: one watch per kind asked for the initial events.
    let reqs = server.requests();
    let pods: Vec<_> = reqs.iter().filter(|r| r.path.ends_with("/pods")).collect();
    assert!(pods.iter().all(|r| r.has("watch=true")), "{pods:#?}");
    assert!(
        pods[0].has("sendInitialEvents=true") && pods[0].has("resourceVersionMatch=NotOlderThan")
    );
}

#[tokio::test]
async fn a_relist_after_410_gone_at_scale_leaves_exactly_the_server_state() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    fixtures::workload(&server, "batch", 1_200, 4, |_| false);
    server.with(|s| s.list_delay_ms = 300);
    let mut w = Watching::start(&server, "", 100_000).await;
    w.until(|s| s.pods.len() == 1_204).await;

    // The watch goes down; meanwhile pods come and go, a deployment is deleted, and the
    // history is compacted: the resume gets 410 and the watcher lists again, in pages.
    server.with(|s| s.refuse_watches = true);
    server.drop_watches();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.with(|s| {
        for i in (0..1_200).step_by(12) {
            s.delete("pods", NS, &format!("batch-5a5a8cfb-p{i:05}"));
        }
        s.delete("deployments", NS, "ingest");
    });
    for i in 0..30 {
        server.put(
            "pods",
            fixtures::pod("checkout-7f9d6c5b4", &format!("new{i:02}"), true, &["app"]),
        );
    }
    server.compact();
    server.with(|s| s.refuse_watches = false);
    let want = server_pods(&server);
    assert_eq!(want.len(), 1_204 - 100 + 30);
    w.until(|s| seen_pods(s) == want && s.deployments.len() == 2)
        .await;
    assert!(!w.seen.deployments.contains_key("ingest"));
    let pages = server.count(|r| {
        r.path.ends_with("/pods") && !r.has("watch=true") && r.query.contains("continue=")
    });
    assert!(
        pages >= 4,
        "both lists were paged ({pages} continued pages)"
    );
}

#[tokio::test]
async fn a_watch_that_recovers_clears_the_header_error() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let mut w = Watching::start(&server, "", 1024).await;
    w.until(|s| s.pods.len() == 4).await;
    // An etcd hiccup: watches are refused with 500 (a 503 the client retries by itself).
    server.with(|s| {
        s.refuse_watches = true;
        s.refusal_code = Some(500);
    });
    server.drop_watches();
    w.until(|s| s.error.is_some()).await;
    assert!(
        w.seen.error.as_deref().unwrap().contains("etcdserver"),
        "{:?}",
        w.seen.error
    );
    server.with(|s| s.refuse_watches = false);
    // Nothing changes in the namespace, yet the header error goes once the server accepts
    // watches again.
    w.until(|s| s.error.is_none()).await;
    assert!(w.seen.recoveries >= 1);
    server.put(
        "pods",
        fixtures::pod("ingest-5d4c3b2a1", "back1", true, &["app"]),
    );
    w.until(|s| s.pods.contains_key("ingest-5d4c3b2a1-back1"))
        .await;
}
