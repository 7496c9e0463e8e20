//! The multi-pod log tail against the API test server: every container of every pod of the
//! workload, pods joining and leaving, timestamp order, drops counted under back-pressure.
#![allow(clippy::unwrap_used)]

mod kube_server;

use std::time::Duration;

use jiff::Timestamp;
use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};
use sitrep::app::LogTarget;
use sitrep::app::logs::LogBuffer;
use sitrep::config::kube::KubernetesConfig;
use sitrep::event::{Event, Observation};
use tokio::sync::mpsc;

async fn client(server: &KubeServer, dir: &std::path::Path) -> kube::Client {
    let cfg = KubernetesConfig {
        kubeconfig: Some(server.kubeconfig(dir, "admin")),
        ..toml::from_str("").unwrap()
    };
    sitrep::sources::kube::connect(&cfg).await.unwrap().client
}

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::now() - jiff::SignedDuration::from_secs(60)
        + jiff::SignedDuration::from_millis(offset_ms)
}

fn target(workload: &str) -> LogTarget {
    LogTarget {
        namespace: NS.into(),
        workload: workload.into(),
        pod: None,
    }
}

/// Folds what arrives into a log buffer until `done`.
async fn collect(
    rx: &mut mpsc::Receiver<Event>,
    buf: &mut LogBuffer,
    done: impl Fn(&LogBuffer) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done(buf) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Observed(_, Observation::Log(l)))) => buf.push(l),
            Ok(Some(Event::Observed(_, Observation::LogsDropped(n)))) => buf.dropped += n,
            Ok(Some(_)) => {}
            _ => panic!("timed out: {} lines, {} dropped", buf.len(), buf.dropped),
        }
    }
}

fn texts(buf: &LogBuffer) -> Vec<String> {
    buf.window(1000)
        .iter()
        .map(|l| format!("{}/{} {}", &l.pod[l.pod.len() - 5..], l.container, l.text))
        .collect()
}

#[tokio::test]
async fn tails_every_pod_of_the_workload_in_timestamp_order() {
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
    let (tx, mut rx) = mpsc::channel(1024);
    let (targets, task) =
        sitrep::sources::kube_logs::spawn(client(&server, dir.path()).await, 300, tx);
    targets.send(target("checkout")).await.unwrap();
    let mut buf = LogBuffer::new(1000);
    collect(&mut rx, &mut buf, |b| b.len() == 3).await;
    assert_eq!(
        texts(&buf),
        [
            "a1b2c/app INFO first",
            "d3e4f/app INFO second",
            "a1b2c/app ERROR third"
        ]
    );

    // A new pod joins by itself; following brings new lines.
    server.put(
        "pods",
        fixtures::pod("checkout-7f9d6c5b4", "new01", true, &["app"]),
    );
    server.log(NS, "checkout-7f9d6c5b4-new01", "app", at(40), "INFO joined");
    server.log(NS, pods[1], "app", at(50), "INFO still here");
    collect(&mut rx, &mut buf, |b| b.len() == 5).await;
    assert_eq!(
        texts(&buf)[3..],
        ["new01/app INFO joined", "d3e4f/app INFO still here"]
    );

    let reqs = server.requests();
    let logs: Vec<_> = reqs.iter().filter(|r| r.path.ends_with("/log")).collect();
    assert!(
        logs.iter()
            .all(|r| r.has("follow=true") && r.has("timestamps=true") && r.has("sinceSeconds=300")),
        "{logs:?}"
    );
    assert!(!logs.iter().any(|r| r.path.contains("ingest")));

    // Switching to a workload with two containers tails both, and only it.
    targets.send(target("ingest")).await.unwrap();
    server.log(
        NS,
        "ingest-5d4c3b2a1-j7k8l",
        "sidecar",
        at(16),
        "INFO from the sidecar",
    );
    let mut buf = LogBuffer::new(1000);
    collect(&mut rx, &mut buf, |b| {
        b.window(100)
            .iter()
            .filter(|l| l.pod.starts_with("ingest"))
            .count()
            == 2
    })
    .await;
    assert!(texts(&buf).contains(&"j7k8l/sidecar INFO from the sidecar".to_string()));
    task.abort();
}

#[tokio::test]
async fn back_pressure_drops_lines_visibly_instead_of_queueing() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let pod = "checkout-7f9d6c5b4-a1b2c";
    server.with(|s| {
        let lines = s
            .logs
            .entry((NS.into(), pod.into(), "app".into(), false))
            .or_default();
        for i in 0..2_000 {
            lines.push((at(i), format!("INFO line {i}")));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let (targets, task) =
        sitrep::sources::kube_logs::spawn(client(&server, dir.path()).await, 300, tx);
    targets.send(target("checkout")).await.unwrap();
    // Nobody reads for a while: the channel fills, the rest are counted.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut buf = LogBuffer::new(10_000);
    collect(&mut rx, &mut buf, |b| {
        b.dropped > 0 && b.len() as u64 + b.dropped == 2_000
    })
    .await;
    assert!(buf.len() <= 64, "{} lines queued", buf.len());
    task.abort();
}
