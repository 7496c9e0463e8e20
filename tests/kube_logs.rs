//! The log tail end to end against the API test server: the real watches feed a live cockpit,
//! the cockpit picks what to tail, the tailer follows it. Nothing tails unasked; a big
//! workload opens at most the cap of streams, unready pods first; selection changes are
//! debounced and never list pods; a dropped stream leaves a gap marker and resumes without
//! repeating a line; lines the cockpit cannot take are counted, not queued without bound.
#![allow(clippy::unwrap_used)]

mod kube_server;

use std::time::Duration;

use jiff::Timestamp;
use kube_server::fixtures::{self, NS};
use kube_server::{KubeServer, Recorded};
use sitrep::app::logs::LogBuffer;
use sitrep::app::{App, Effect, LogTarget, Mode};
use sitrep::command::{Command, FocusTarget, Pane};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::event::{Event, Observation};
use tokio::sync::mpsc;

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::now() - jiff::SignedDuration::from_secs(60)
        + jiff::SignedDuration::from_millis(offset_ms)
}

fn is_follow(r: &Recorded) -> bool {
    r.path.ends_with("/log") && r.has("follow=true")
}

/// Pod lists or watches other than the cockpit's own three (pods, deployments, replicasets).
fn pod_lists(server: &KubeServer) -> usize {
    server.count(|r| r.path.ends_with("/pods"))
}

/// Pods the cockpit shows.
fn pods_seen(app: &App) -> usize {
    app.pods.workloads.values().map(|w| w.pods.len()).sum()
}

/// A live cockpit on the test server: watches, tailer and `App`, wired as `sitrep` wires them.
struct Cockpit {
    app: App,
    rx: mpsc::Receiver<Event>,
    targets: mpsc::Sender<LogTarget>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Cockpit {
    async fn start(server: &KubeServer, dir: &std::path::Path, keys: &str) -> Cockpit {
        let kube = server.kube_config(dir, "admin", keys);
        let conn = sitrep::sources::kube::connect(&kube).await.unwrap();
        let (tx, rx) = mpsc::channel(8192);
        let (mut tasks, pods) = sitrep::sources::kube::spawn_with_pods(&conn, tx.clone());
        let (targets, tailer) = sitrep::sources::kube_logs::spawn(
            conn.client.clone(),
            pods,
            kube.tail_settings(),
            kube.max_log_streams,
            tx,
        );
        tasks.push(tailer);
        let config = Config {
            kubernetes: Some(kube),
            ..Config::default()
        };
        let app = App::new(
            Mode::Live {
                context: conn.context.clone(),
                namespace: NS.into(),
            },
            config,
            Keymap::load("default", None).unwrap(),
            Theme::load("dark", None, true).unwrap(),
            "op".into(),
            Timestamp::now(),
        );
        Cockpit {
            app,
            rx,
            targets,
            tasks,
        }
    }

    /// Carries out the effects that reach the tailer, as the runtime does.
    async fn effects(&mut self, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::TailLogs(t) = e {
                self.targets.send(t).await.unwrap();
            }
        }
    }

    async fn run(&mut self, cmd: Command) {
        let effects = self.app.run(cmd);
        self.effects(effects).await;
    }

    /// Folds events (and a tick a quarter second) into the cockpit until `done`.
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        while !done(&self.app) {
            let ev = tokio::select! {
                ev = self.rx.recv() => ev.unwrap(),
                _ = tick.tick() => Event::Tick(Timestamp::now()),
                _ = tokio::time::sleep_until(deadline) => panic!(
                    "timed out waiting for {what}: {} lines, {} dropped, tail {:?}, title {:?}",
                    self.app.logs.len(),
                    self.app.logs.dropped,
                    self.app.pods.tail,
                    sitrep::ui::panes::logs::title(&self.app),
                ),
            };
            let effects = self.app.update(ev);
            self.effects(effects).await;
        }
    }

    /// Keeps folding for a while, whatever comes.
    async fn settle(&mut self, for_ms: u64) {
        let until = tokio::time::Instant::now() + Duration::from_millis(for_ms);
        self.until("nothing", |_| tokio::time::Instant::now() >= until)
            .await;
    }

    fn texts(&self) -> Vec<String> {
        self.app
            .logs
            .window(100_000)
            .iter()
            .map(|l| {
                if l.marker {
                    format!("-- {}", l.text)
                } else {
                    format!("{}/{} {}", &l.pod[l.pod.len() - 5..], l.container, l.text)
                }
            })
            .collect()
    }
}

impl Drop for Cockpit {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[tokio::test]
async fn nothing_tails_until_asked_then_every_pod_of_the_workload_in_order() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let pods = ["checkout-7f9d6c5b4-a1b2c", "checkout-7f9d6c5b4-d3e4f"];
    server.log(NS, pods[1], "app", at(20), "INFO second");
    server.log(NS, pods[0], "app", at(10), "INFO first");
    server.log(NS, pods[0], "app", at(30), "ERROR third");
    server.log(
        NS,
        "ingest-5d4c3b2a1-j7k8l",
        "app",
        at(15),
        "not this workload",
    );
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cockpit::start(&server, dir.path(), "").await;
    c.until("the shop", |a| pods_seen(a) == 4).await;
    c.settle(500).await;
    assert_eq!(
        server.count(|r| r.path.ends_with("/log")),
        0,
        "no log asked"
    );
    assert!(c.app.pods.tailing.is_none());

    // Looking at the logs pane asks for the selected workload's logs.
    c.run(Command::Focus(FocusTarget::Pane(Pane::Logs))).await;
    c.until("three lines", |a| a.logs.len() == 3).await;
    assert_eq!(
        c.texts(),
        [
            "a1b2c/app INFO first",
            "d3e4f/app INFO second",
            "a1b2c/app ERROR third"
        ]
    );
    assert!(
        sitrep::ui::panes::logs::title(&c.app).starts_with("tailing 3 pods"),
        "{}",
        sitrep::ui::panes::logs::title(&c.app)
    );

    // A new pod joins by itself; following brings new lines.
    server.put(
        "pods",
        fixtures::pod("checkout-7f9d6c5b4", "new01", true, &["app"]),
    );
    server.log(NS, "checkout-7f9d6c5b4-new01", "app", at(40), "INFO joined");
    c.until("the new pod's line", |a| a.logs.len() == 4).await;
    server.log(NS, pods[1], "app", at(50), "INFO still here");
    c.until("a live line", |a| a.logs.len() == 5).await;
    assert_eq!(
        c.texts()[3..],
        ["new01/app INFO joined", "d3e4f/app INFO still here"]
    );
    let reqs = server.requests();
    let logs: Vec<_> = reqs.iter().filter(|r| r.path.ends_with("/log")).collect();
    assert!(
        logs.iter().all(|r| r.has("follow=true")
            && r.has("timestamps=true")
            && r.has("tailLines=100")
            && r.has("sinceSeconds=300")),
        "history is bounded per container: {logs:#?}"
    );
    assert!(!logs.iter().any(|r| r.path.contains("ingest")));

    // Selecting the other workload tails both of its containers, and only it.
    c.run(Command::Focus(FocusTarget::Pane(Pane::Pods))).await;
    c.run(Command::Bottom).await;
    server.log(
        NS,
        "ingest-5d4c3b2a1-j7k8l",
        "sidecar",
        at(16),
        "INFO from the sidecar",
    );
    c.until("the sidecar", |a| {
        a.logs
            .window(100)
            .iter()
            .filter(|l| l.pod.starts_with("ingest"))
            .count()
            == 2
    })
    .await;
    assert!(
        c.texts()
            .contains(&"j7k8l/sidecar INFO from the sidecar".to_string())
    );
    assert!(
        c.app
            .logs
            .window(100)
            .iter()
            .all(|l| l.pod.starts_with("ingest"))
    );
}

#[tokio::test]
async fn a_500_pod_workload_opens_at_most_the_cap_unready_first() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    // Every 25th pod is not ready: 20 of 500, spread over 10 nodes.
    fixtures::workload(&server, "big", 500, 10, |i| i % 25 == 0);
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cockpit::start(&server, dir.path(), "").await;
    c.until("500 pods", |a| {
        a.pods
            .workloads
            .get(&sitrep::app::state::WorkloadKey::new(NS, "big"))
            .is_some_and(|w| w.pods.len() == 500)
    })
    .await;
    c.until("all pods", |a| pods_seen(a) == 504).await;
    assert_eq!(server.count(|r| r.path.ends_with("/log")), 0);
    // `big` is the first workload: selecting it (Home) asks for its logs.
    c.run(Command::Focus(FocusTarget::Pane(Pane::Pods))).await;
    c.run(Command::Top).await;
    c.until("50 streams", |a| a.pods.tail.following == Some((50, 50)))
        .await;
    c.settle(1_500).await;
    let follows: Vec<Recorded> = server.requests().into_iter().filter(is_follow).collect();
    assert_eq!(follows.len(), 50, "at most the cap of streams");
    for i in (0..500).step_by(25) {
        let pod = format!("big-5a5a8cfb-p{i:05}");
        assert!(
            follows.iter().any(|r| r.path.contains(&pod)),
            "unready {pod} is tailed"
        );
    }
    let title = sitrep::ui::panes::logs::title(&c.app);
    assert!(
        title.starts_with("tailing 50 of 500 pods, unready first"),
        "{title}"
    );

    // A pod that turns unready joins the tail; a ready one leaves it for it.
    let sick = "big-5a5a8cfb-p00499";
    assert!(!follows.iter().any(|r| r.path.contains(sick)));
    let mut p = fixtures::pod("big-5a5a8cfb", "p00499", false, &["app"]);
    p["spec"]["nodeName"] = serde_json::json!("node-9");
    server.put("pods", p);
    c.until("the sick pod's stream", |_| {
        server.count(|r| is_follow(r) && r.path.contains(sick)) == 1
    })
    .await;
    c.settle(1_500).await;
    assert_eq!(c.app.pods.tail.following, Some((50, 50)));
    assert_eq!(
        server.count(is_follow),
        51,
        "one new stream, nothing reopened"
    );
}

#[tokio::test]
async fn fifty_selection_changes_start_a_handful_of_streams_and_no_list() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    for w in ["alpha", "bravo", "charlie", "delta"] {
        fixtures::workload(&server, w, 30, 3, |_| false);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cockpit::start(&server, dir.path(), "").await;
    c.until("all pods", |a| pods_seen(a) == 124).await;
    let lists_before = pod_lists(&server);
    c.run(Command::Focus(FocusTarget::Pane(Pane::Pods))).await;
    // Holding the arrow key: fifty rows down in a row.
    for _ in 0..50 {
        c.run(Command::Down).await;
    }
    c.settle(2_000).await;
    let target = c.app.pods.tailing.clone().unwrap();
    assert_eq!(pod_lists(&server), lists_before, "no pod list or watch");
    let follows: Vec<Recorded> = server.requests().into_iter().filter(is_follow).collect();
    assert!(
        follows.len() <= 3,
        "only the last selection's streams: {follows:#?}"
    );
    let pod = target.pod.unwrap();
    assert!(
        follows.iter().all(|r| r.path.contains(&pod)),
        "{follows:#?}"
    );
}

#[tokio::test]
async fn a_dropped_stream_shows_a_gap_and_resumes_without_duplicates() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let pod = "checkout-7f9d6c5b4-a1b2c";
    // Lines a fraction of a second apart: a resume from the second of the last line sees
    // some of them again, and must not show them twice.
    let base = Timestamp::now() - jiff::SignedDuration::from_secs(30);
    let t = |ms: i64| base + jiff::SignedDuration::from_millis(ms);
    for i in 0..4 {
        server.log(NS, pod, "app", t(i * 200), &format!("INFO before {i}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cockpit::start(&server, dir.path(), "").await;
    c.until("the shop", |a| pods_seen(a) == 4).await;
    // The pod's own row: first workload, first pod.
    c.run(Command::Focus(FocusTarget::Pane(Pane::Pods))).await;
    c.run(Command::Top).await;
    c.run(Command::Down).await;
    c.until("four lines", |a| a.logs.len() == 4).await;
    server.drop_logs();
    // Written while the stream is down, within the same second as the last line read.
    for i in 0..3 {
        server.log(
            NS,
            pod,
            "app",
            t(700 + i * 100),
            &format!("INFO during {i}"),
        );
    }
    c.until("a gap marker", |a| {
        a.logs.window(100).iter().any(|l| l.marker)
    })
    .await;
    server.log(NS, pod, "app", t(5_000), "INFO after");
    c.until("the line after", |a| {
        a.logs.window(100).iter().any(|l| l.text == "INFO after")
    })
    .await;
    c.settle(600).await;
    let texts = c.texts();
    let lines: Vec<&String> = texts.iter().filter(|t| !t.starts_with("-- ")).collect();
    assert_eq!(
        lines,
        [
            "a1b2c/app INFO before 0",
            "a1b2c/app INFO before 1",
            "a1b2c/app INFO before 2",
            "a1b2c/app INFO before 3",
            "a1b2c/app INFO during 0",
            "a1b2c/app INFO during 1",
            "a1b2c/app INFO during 2",
            "a1b2c/app INFO after",
        ],
        "every line once: {texts:#?}"
    );
    let marker = texts.iter().find(|t| t.starts_with("-- ")).unwrap();
    assert!(
        marker.starts_with(&format!("-- {pod}: no logs ")) && marker.ends_with(", reconnected"),
        "{marker}"
    );
    // The resume asked from the last line's second, not for history again.
    let resumed: Vec<Recorded> = server.requests().into_iter().filter(is_follow).collect();
    assert_eq!(resumed.len(), 2, "{resumed:#?}");
    assert!(resumed[1].query.contains("sinceTime="));
    assert!(!resumed[1].query.contains("tailLines"));
}

#[tokio::test]
async fn a_gap_is_journaled_when_an_incident_is_open() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cockpit::start(&server, dir.path(), "").await;
    c.until("the shop", |a| pods_seen(a) == 4).await;
    c.run(Command::IncidentOpen("checkout errors".into())).await;
    c.run(Command::Focus(FocusTarget::Pane(Pane::Logs))).await;
    c.until("three streams", |a| a.pods.tail.following == Some((3, 3)))
        .await;
    c.settle(300).await;
    server.drop_logs();
    let mut journaled = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while journaled.is_empty() {
        let ev = tokio::time::timeout_at(deadline, c.rx.recv())
            .await
            .unwrap()
            .unwrap();
        for e in c.app.update(ev) {
            if let Effect::JournalAppend { entry, .. } = e
                && entry.text.starts_with("log gap:")
            {
                journaled.push(entry.text);
            }
        }
    }
    assert!(journaled[0].contains("reconnected"), "{journaled:?}");
}

#[tokio::test]
async fn lines_the_cockpit_cannot_take_wait_bounded_and_are_counted() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let pod = "checkout-7f9d6c5b4-a1b2c";
    let dir = tempfile::tempdir().unwrap();
    let kube = server.kube_config(dir.path(), "admin", "");
    let conn = sitrep::sources::kube::connect(&kube).await.unwrap();
    let (watch_tx, mut watch_rx) = mpsc::channel(1024);
    let (watches, pods) = sitrep::sources::kube::spawn_with_pods(&conn, watch_tx);
    while !matches!(
        watch_rx.recv().await,
        Some(Event::Observed(_, Observation::Pod(_)))
    ) {}
    let (tx, mut rx) = mpsc::channel(4);
    // A tailer that holds at most 1,000 lines for the cockpit.
    let settings = sitrep::sources::kube_logs::TailSettings {
        pending_max: 1_000,
        ..kube.tail_settings()
    };
    let (targets, task) =
        sitrep::sources::kube_logs::spawn(conn.client.clone(), pods, settings, 50, tx);
    targets
        .send(LogTarget {
            namespace: NS.into(),
            workload: "checkout".into(),
            pod: Some(pod.into()),
            pods: vec![pod.into()],
            service: None,
        })
        .await
        .unwrap();
    while server.count(is_follow) == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // 30,000 live lines while nobody reads: more than the tailer and the channel hold.
    let total = 30_000;
    server.with(|s| {
        let lines = s
            .logs
            .entry((NS.into(), pod.into(), "app".into(), false))
            .or_default();
        for i in 0..total {
            lines.push((at(i), format!("INFO line {i}")));
        }
    });
    // Nobody reads until the server has written every line (and the tailer read them).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while server.with(|s| s.log_lines_sent) < total as u64 {
        assert!(tokio::time::Instant::now() < deadline, "the server is slow");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut buf = LogBuffer::new(100_000);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while buf.len() as u64 + buf.dropped < total as u64 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Observed(_, Observation::Logs(lines)))) => {
                for l in lines {
                    buf.push(l);
                }
            }
            Ok(Some(Event::Observed(_, Observation::LogsDropped(n)))) => buf.dropped += n,
            Ok(Some(_)) => {}
            _ => panic!("timed out: {} lines, {} dropped", buf.len(), buf.dropped),
        }
    }
    assert!(buf.dropped > 0, "some were dropped: {} kept", buf.len());
    assert!(buf.len() >= 1_000, "what fit was kept: {}", buf.len());
    assert_eq!(buf.len() as u64 + buf.dropped, total as u64);
    let shown: Vec<Timestamp> = buf.window(100_000).iter().map(|l| l.at).collect();
    assert!(shown.windows(2).all(|w| w[0] <= w[1]), "in timestamp order");
    task.abort();
    for w in watches {
        w.abort();
    }
}
