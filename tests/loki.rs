//! Loki as a log source, end to end against the Loki test server through the real client:
//! a workload's history fills from `query_range`, older pages follow on request, the tail
//! streams over the WebSocket and resumes after a close without repeating a line, Loki's
//! dropped entries become gaps, the `/` filter runs in Loki as a line filter, and when Loki
//! is down, slow, rate-limited or refuses the query the pane says which and the pod tail
//! takes over.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

mod loki_server;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use loki_server::LokiServer;
use sitrep::config::loki::LokiConfig;
use sitrep::event::{
    Event, LogHistory, LogLine, LogQuery, LogSourceStatus, LogTarget, Observation,
};
use sitrep::sources::loki::source::{self, Handles};
use sitrep::sources::loki::{Direction, Loki, LokiError};
use tokio::sync::mpsc;

const SERVING: [(&str, &str); 3] = [
    ("namespace", "snapbuilder"),
    ("app", "snapbuilder-serving"),
    ("pod", "snapbuilder-serving-7cf6b6ddf5-lngkm"),
];
const OTHER_POD: [(&str, &str); 3] = [
    ("namespace", "snapbuilder"),
    ("app", "snapbuilder-serving"),
    ("pod", "snapbuilder-serving-7cf6b6ddf5-sbrp5"),
];
const INGEST: [(&str, &str); 3] = [
    ("namespace", "snapbuilder"),
    ("app", "snapbuilder-ingest"),
    ("pod", "snapbuilder-ingest-1"),
];

fn ago(secs: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_secs(secs)
}

fn target(workload: &str) -> LogTarget {
    LogTarget {
        namespace: "snapbuilder".into(),
        workload: workload.into(),
        pod: None,
        pods: vec![format!("{workload}-1")],
        service: None,
    }
}

fn config(url: &str) -> LokiConfig {
    let mut c = LokiConfig::for_url(url);
    c.timeout = Some(sitrep::config::PromDuration(Duration::from_millis(800)));
    c
}

fn start(
    server_url: &str,
    kube: Option<mpsc::Sender<LogTarget>>,
) -> (Handles, mpsc::Receiver<Event>) {
    let c = config(server_url);
    let (tx, rx) = mpsc::channel(4096);
    let loki = Loki::new(&c).unwrap();
    (source::spawn(loki, c, &[], kube, tx), rx)
}

/// Waits for the first observation `f` picks, up to `secs`.
async fn next<T>(
    rx: &mut mpsc::Receiver<Event>,
    secs: u64,
    mut f: impl FnMut(Observation) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out waiting for an observation")
            .expect("the source ended");
        if let Event::Observed(_, obs) = ev
            && let Some(t) = f(obs)
        {
            return t;
        }
    }
}

fn history(obs: Observation) -> Option<LogHistory> {
    match obs {
        Observation::LogHistory(h) => Some(h),
        _ => None,
    }
}

fn status(obs: Observation) -> Option<LogSourceStatus> {
    match obs {
        Observation::LogSource(s) => Some(s),
        _ => None,
    }
}

/// Collects tailed lines until `n` have come (or `secs` pass).
async fn tailed(rx: &mut mpsc::Receiver<Event>, n: usize, secs: u64) -> Vec<LogLine> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while out.len() < n {
        let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        match ev {
            Event::Observed(_, Observation::Logs(lines)) => out.extend(lines),
            // A reopened tail's catch-up comes as a page, merged without repeats.
            Event::Observed(_, Observation::LogHistory(h)) => out.extend(h.lines),
            _ => {}
        }
    }
    out
}

fn seqs(lines: &[LogLine]) -> Vec<u32> {
    lines
        .iter()
        .filter_map(|l| l.text.rsplit("seq=").next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn a_workload_fills_from_query_range_then_older_pages_on_request() {
    let loki = LokiServer::start().await;
    // An hour of the serving workload, one line every 10 s over two pods; ingest beside it.
    let t0 = Timestamp::now();
    let at = |secs: i64| t0 - SignedDuration::from_secs(secs);
    for i in 0..360 {
        let labels = if i % 2 == 0 { &SERVING } else { &OTHER_POD };
        let level = if i % 7 == 0 { "ERROR" } else { "INFO" };
        loki.push(
            labels,
            at(3_595 - i * 10),
            &format!("{level} request seq={i}"),
        );
        loki.push(&INGEST, at(3_595 - i * 10), "INFO ingest batch");
    }
    let (h, mut rx) = start(&loki.url, None);
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    let page = next(&mut rx, 10, history).await;
    assert!(page.reset);
    // The last 15 minutes: 90 lines, oldest first, nothing of ingest, pods from labels.
    let got = seqs(&page.lines);
    assert_eq!(got.len(), 90, "{got:?}");
    assert_eq!(got, (270..360).collect::<Vec<_>>());
    assert!(page.lines.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(
        page.lines
            .iter()
            .all(|l| l.pod.starts_with("snapbuilder-serving-7cf6b6ddf5-"))
    );
    let asked = loki
        .requests()
        .into_iter()
        .find(|r| r.path == "/loki/api/v1/query_range")
        .unwrap();
    assert_eq!(
        asked.params["query"],
        r#"{namespace="snapbuilder", app="snapbuilder-serving"}"#
    );
    assert_eq!(asked.params["direction"], "backward");
    assert_eq!(asked.params["limit"], "1000");
    let (s, e): (i128, i128) = (
        asked.params["start"].parse().unwrap(),
        asked.params["end"].parse().unwrap(),
    );
    assert_eq!(e - s, 15 * 60 * 1_000_000_000, "nanoseconds, 15 minutes");

    // Scrolling past the top: the 15 minutes before the oldest line shown.
    h.queries.send(LogQuery::Older).await.unwrap();
    let older = next(&mut rx, 10, history).await;
    assert!(!older.reset && !older.complete);
    assert_eq!(seqs(&older.lines), (180..270).collect::<Vec<_>>());

    // And so on to the start of what Loki holds; past it the page says so.
    for _ in 0..2 {
        h.queries.send(LogQuery::Older).await.unwrap();
        next(&mut rx, 10, history).await;
    }
    h.queries.send(LogQuery::Older).await.unwrap();
    let last = next(&mut rx, 20, history).await;
    assert!(last.complete && last.lines.is_empty(), "{last:?}");
}

#[tokio::test]
async fn a_moment_is_fetched_around_it() {
    let loki = LokiServer::start().await;
    let t0 = Timestamp::now();
    for i in 0..120 {
        let at = t0 - SignedDuration::from_secs(7_200 - i * 60);
        loki.push(&SERVING, at, &format!("INFO tick seq={i}"));
    }
    let (h, mut rx) = start(&loki.url, None);
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    next(&mut rx, 10, history).await;
    let at = t0 - SignedDuration::from_secs(7_200 - 30 * 60);
    h.queries.send(LogQuery::At(at)).await.unwrap();
    let page = next(&mut rx, 10, history).await;
    assert_eq!(page.anchor, Some(at));
    // Two minutes before to ten after, forward.
    assert_eq!(seqs(&page.lines), (28..=39).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_tail_resumes_after_a_close_without_repeating_and_reports_drops() {
    let loki = LokiServer::start().await;
    for i in 0..5 {
        loki.push(&SERVING, ago(60 - i), &format!("INFO before seq={i}"));
    }
    let (h, mut rx) = start(&loki.url, None);
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    let page = next(&mut rx, 10, history).await;
    assert_eq!(seqs(&page.lines), [0, 1, 2, 3, 4]);
    // Wait for the tail to be open, then push live lines.
    let open = |l: &LokiServer| l.requests().iter().filter(|r| r.websocket).count();
    for _ in 0..100 {
        if open(&loki) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(open(&loki), 1);
    let tail = loki.requests().into_iter().find(|r| r.websocket).unwrap();
    assert_eq!(tail.params["delay_for"], "0");
    // It starts at the last line of the history (inclusive), so nothing falls between.
    assert_eq!(
        tail.params["start"],
        page.lines.last().unwrap().at.as_nanosecond().to_string()
    );
    for i in 5..10 {
        loki.push(&SERVING, ago(0), &format!("INFO live seq={i}"));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let first = tailed(&mut rx, 5, 10).await;
    assert_eq!(seqs(&first), [5, 6, 7, 8, 9], "history not repeated");

    // The querier restarts: the tail closes; lines pushed meanwhile come once it is back.
    loki.close_tails();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 10..15 {
        loki.push(&SERVING, ago(0), &format!("INFO while closed seq={i}"));
    }
    let again = tailed(&mut rx, 5, 15).await;
    assert_eq!(
        seqs(&again),
        [10, 11, 12, 13, 14],
        "no line repeated, none lost"
    );
    assert_eq!(open(&loki), 2, "reopened once");
    let reopened = loki
        .requests()
        .into_iter()
        .filter(|r| r.websocket)
        .nth(1)
        .unwrap();
    assert_eq!(
        reopened.params["start"],
        first.last().unwrap().at.as_nanosecond().to_string(),
        "resumed from the last line shown"
    );

    // Loki falls behind and drops entries: the pane gets a gap, the rest still arrive.
    loki.faults(|f| f.drop_next = 3);
    for i in 15..20 {
        loki.push(&SERVING, ago(0), &format!("INFO flood seq={i}"));
    }
    let (mut gaps, mut rest) = (Vec::new(), Vec::new());
    while gaps.is_empty() || rest.len() < 2 {
        next(&mut rx, 10, |o| {
            match o {
                Observation::LogGaps(g) => gaps.extend(g),
                Observation::Logs(l) => rest.extend(l),
                _ => return None,
            }
            Some(())
        })
        .await;
    }
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].pod, "snapbuilder-serving-7cf6b6ddf5-lngkm");
    assert!(gaps[0].why.contains("3 lines dropped by Loki"), "{gaps:?}");
    assert_eq!(seqs(&rest), [18, 19], "the rest still arrive");
}

#[tokio::test]
async fn the_filter_runs_in_loki_as_a_line_filter() {
    let loki = LokiServer::start().await;
    for i in 0..200 {
        let level = if i % 10 == 0 { "ERROR" } else { "INFO" };
        loki.push(
            &SERVING,
            ago(800 - i * 4),
            &format!("{level} request seq={i}"),
        );
    }
    let (h, mut rx) = start(&loki.url, None);
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    next(&mut rx, 10, history).await;
    h.queries
        .send(LogQuery::Filter(Some("ERROR".into())))
        .await
        .unwrap();
    // The pane hears that the filter runs in Loki, then gets Loki's filtered page.
    let s = next(&mut rx, 10, |o| {
        status(o).filter(|s| s.server_filter.is_some())
    })
    .await;
    assert_eq!(s.server_filter.as_deref(), Some("|= \"ERROR\""));
    let page = next(&mut rx, 10, history).await;
    assert!(page.reset, "a server-side filter replaces the pane's lines");
    assert_eq!(seqs(&page.lines), (0..200).step_by(10).collect::<Vec<_>>());
    let asked: Vec<String> = loki
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("query_range"))
        .map(|r| r.params["query"].clone())
        .collect();
    assert_eq!(
        asked.last().unwrap(),
        r#"{namespace="snapbuilder", app="snapbuilder-serving"} |= "ERROR""#
    );
    // A regex goes down as one too; the tail follows the same query.
    h.queries
        .send(LogQuery::Filter(Some("!seq=1[0-9]$".into())))
        .await
        .unwrap();
    let page = next(&mut rx, 10, history).await;
    assert_eq!(page.lines.len(), 190);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tail = loki.requests().into_iter().rfind(|r| r.websocket).unwrap();
    assert!(
        tail.params["query"].ends_with("!~ `seq=1[0-9]$`"),
        "{tail:?}"
    );

    // A Loki that refuses the filter: the selector alone, filtered here, and said so.
    loki.faults(|f| f.refuse_line_filters = true);
    h.queries
        .send(LogQuery::Filter(Some("WARN".into())))
        .await
        .unwrap();
    // The refusal and the page come in either order.
    let (mut refused, mut page) = (None, None);
    while refused.is_none() || page.is_none() {
        next(&mut rx, 10, |o| {
            match o {
                Observation::LogSource(s) if s.problem.is_some() => refused = Some(s),
                Observation::LogHistory(h) => page = Some(h),
                _ => return None,
            }
            Some(())
        })
        .await;
    }
    let s = refused.unwrap();
    assert!(
        s.problem
            .as_deref()
            .unwrap()
            .contains("loki refused the filter (400)"),
        "{s:?}"
    );
    assert!(s.problem.as_deref().unwrap().ends_with("; filtering here"));
    assert!(s.server_filter.is_none());
    assert_eq!(page.unwrap().lines.len(), 200, "unfiltered from Loki");
}

#[tokio::test]
async fn loki_down_slow_or_rate_limited_falls_back_to_the_pod_tail() {
    // Down: nothing listens.
    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (kube_tx, mut kube_rx) = mpsc::channel(16);
    let (h, mut rx) = start(&closed, Some(kube_tx));
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    let s = next(&mut rx, 10, |o| status(o).filter(|s| s.problem.is_some())).await;
    assert_eq!(s.backend, "kube");
    let problem = s.problem.unwrap();
    assert!(problem.starts_with("loki down:"), "{problem}");
    assert!(problem.ends_with("; kube tail"), "{problem}");
    let followed = tokio::time::timeout(Duration::from_secs(5), kube_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(followed.workload, "snapbuilder-serving");
    assert!(!followed.pods.is_empty(), "the pod tail follows the pods");

    // Slow: answers after the timeout.
    let loki = LokiServer::start().await;
    loki.faults(|f| f.delay = Some(Duration::from_secs(3)));
    let (kube_tx, mut kube_rx) = mpsc::channel(16);
    let (h, mut rx) = start(&loki.url, Some(kube_tx));
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    let s = next(&mut rx, 10, |o| status(o).filter(|s| s.problem.is_some())).await;
    assert!(
        s.problem.as_deref().unwrap().starts_with("loki slow:"),
        "{s:?}"
    );
    assert!(kube_rx.recv().await.is_some());

    // Rate-limited, then recovered: the pod tail is told to stop once Loki answers.
    let loki = LokiServer::start().await;
    loki.push(&SERVING, ago(30), "INFO one seq=1");
    loki.faults(|f| f.rate_limited = true);
    let (kube_tx, mut kube_rx) = mpsc::channel(16);
    let (h, mut rx) = start(&loki.url, Some(kube_tx));
    h.targets.send(target("snapbuilder-serving")).await.unwrap();
    let s = next(&mut rx, 10, |o| status(o).filter(|s| s.problem.is_some())).await;
    let problem = s.problem.unwrap();
    assert!(
        problem.starts_with("loki rate-limited (429): "),
        "{problem}"
    );
    assert!(
        problem.contains("too many outstanding requests"),
        "{problem}"
    );
    assert!(!kube_rx.recv().await.unwrap().pods.is_empty());
    loki.faults(|f| f.rate_limited = false);
    let page = next(&mut rx, 10, history).await;
    assert_eq!(seqs(&page.lines), [1]);
    let s = next(&mut rx, 10, |o| status(o).filter(|s| s.problem.is_none())).await;
    assert_eq!(s.backend, "loki");
    let stop = kube_rx.recv().await.unwrap();
    assert!(stop.pods.is_empty(), "an empty choice stops the pod tail");
}

#[tokio::test]
async fn the_client_reads_labels_and_loki_error_bodies() {
    let loki = LokiServer::start().await;
    loki.push(&SERVING, ago(10), "INFO x");
    let client = Loki::new(&config(&loki.url)).unwrap();
    let labels = client.labels(ago(600), ago(0)).await.unwrap();
    assert_eq!(labels, ["app", "namespace", "pod", "service_name"]);
    let pods = client.label_values("pod", ago(600), ago(0)).await.unwrap();
    assert_eq!(pods, ["snapbuilder-serving-7cf6b6ddf5-lngkm"]);
    assert!(
        client
            .label_values("nosuch", ago(600), ago(0))
            .await
            .unwrap()
            .is_empty()
    );
    let e = client
        .query_range("{app=}", ago(600), ago(0), 10, Direction::Backward)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, LokiError::BadQuery(b) if b.starts_with("parse error at line 1")),
        "{e:?}"
    );
    let e = client
        .query_range(r#"{app="x"}"#, ago(600), ago(0), 50_001, Direction::Forward)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "loki refused the query (400): max entries limit per query exceeded, limit > max_entries_limit_per_query (50001 > 5000)"
    );
    let e = client
        .query_range(r#"{app="x"}"#, ago(0), ago(600), 10, Direction::Forward)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("end timestamp must not be before"),
        "{e}"
    );
}

#[tokio::test]
async fn check_asks_loki_for_the_selectors_labels_and_names_the_line() {
    let loki = LokiServer::start().await;
    loki.push(&SERVING, ago(60), "INFO x");
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[loki]\nurl = \"{}\"\n\n[loki.workloads.a]\nselector = '{{namespace=\"snapbuilder\", app=\"snapbuilder-serving\"}}'\n\n[loki.workloads.b]\nselector = '{{tier=\"web\", app=\"{{{{workload}}}}\"}}'\n\n[loki.workloads.c]\nselector = '{{app=\"nope\"}}'\n\n[[services]]\nname = \"serving\"\nloki.selector = '{{zone=\"eu\", app=\"snapbuilder-serving\"}}'\n",
        loki.url
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(["check", "--config", "config.toml"])
            .current_dir(&path)
            .env("SITREP_CONFIG_DIR", &path)
            .env("SITREP_DATA_DIR", &path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("config.toml:8: loki.workloads.b.selector: label `tier` is unknown to Loki (labels of the last 24h: app, namespace, pod, service_name)"),
        "{text}"
    );
    assert!(
        text.contains(
            "config.toml:11: loki.workloads.c.selector: no stream of the last 24h has app=\"nope\""
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "config.toml:15: service `serving`: loki.selector: label `zone` is unknown to Loki"
        ),
        "{text}"
    );
    assert!(!text.contains("workloads.a"), "{text}");
    assert!(
        loki.requests()
            .iter()
            .any(|r| r.path == "/loki/api/v1/label/app/values")
    );
}

#[tokio::test]
async fn snapshot_carries_each_workloads_last_error_lines() {
    let loki = LokiServer::start().await;
    for i in 0..40 {
        let text = if i % 4 == 0 {
            format!("ERROR upstream timeout seq={i}")
        } else {
            format!("INFO ok seq={i}")
        };
        loki.push(&SERVING, ago(400 - i * 5), &text);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[vars]\nnamespace = \"snapbuilder\"\n\n[loki]\nurl = \"{}\"\n\n[loki.workloads.snapbuilder-serving]\nbackend = \"loki\"\n",
        loki.url
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let path = dir.path().to_path_buf();
    let run = |format: &'static str| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
                .args(["snapshot", "--config", "config.toml", "--format", format])
                .current_dir(&path)
                .env("SITREP_CONFIG_DIR", &path)
                .env("SITREP_DATA_DIR", &path)
                .env("KUBECONFIG", path.join("none"))
                .output()
                .unwrap()
        })
    };
    let out = run("json").await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let w = &v["log_errors"][0];
    assert_eq!(w["workload"], "snapbuilder-serving");
    let lines: Vec<String> = w["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(lines.len(), 10, "the last ten error lines");
    assert_eq!(lines.last().unwrap(), "ERROR upstream timeout seq=36");
    assert!(lines.iter().all(|l| l.starts_with("ERROR")));
    let out = run("md").await.unwrap();
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(md.contains("**Recent error lines (Loki):**"), "{md}");
    assert!(
        md.contains("snapbuilder-serving-7cf6b6ddf5-lngkm ERROR upstream timeout seq=36"),
        "{md}"
    );
}

/// A service's own selector is what the snapshot asks Loki with, not the derived one.
#[tokio::test]
async fn snapshot_reads_a_service_with_its_own_selector() {
    let loki = LokiServer::start().await;
    loki.push(&SERVING, ago(30), "ERROR upstream timeout seq=1");
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[vars]\nnamespace = \"snapbuilder\"\n\n[loki]\nurl = \"{}\"\n\n[loki.workloads.snapbuilder-serving]\nbackend = \"loki\"\n\n\
         [[services]]\nname = \"serving\"\nnamespace = \"snapbuilder\"\nworkloads = [\"snapbuilder-serving\"]\n\
         loki = {{ selector = '{{namespace=\"snapbuilder\", pod=~\"snapbuilder-serving-.+\"}}' }}\n",
        loki.url
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(["snapshot", "--config", "config.toml", "--format", "json"])
            .current_dir(&path)
            .env("SITREP_CONFIG_DIR", &path)
            .env("SITREP_DATA_DIR", &path)
            .env("KUBECONFIG", path.join("none"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let w = &v["log_errors"][0];
    assert!(
        w["query"]
            .as_str()
            .unwrap()
            .starts_with(r#"{namespace="snapbuilder", pod=~"snapbuilder-serving-.+"}"#),
        "{w}"
    );
    assert_eq!(w["lines"][0]["text"], "ERROR upstream timeout seq=1");
}

#[tokio::test]
async fn a_logql_metric_query_is_a_signal() {
    let loki = LokiServer::start().await;
    for i in 0..30 {
        let text = if i % 3 == 0 { "ERROR boom" } else { "INFO ok" };
        loki.push(&SERVING, ago(50 - i), text);
    }
    let text = format!(
        "[loki]\nurl = \"{}\"\n\n[[signals]]\nname = \"error logs\"\nsource = \"loki\"\nunit = \"count\"\nquery = 'sum(count_over_time({{namespace=\"{{{{namespace}}}}\", app=\"snapbuilder-serving\"}} |= \"ERROR\" [1m]))'\nnamespace = \"snapbuilder\"\n\n[[signals]]\nname = \"quiet\"\nsource = \"loki\"\nquery = 'sum(rate({{app=\"nothing\"}} [1m]))'\n",
        loki.url
    );
    let config = sitrep::config::Config::parse(std::path::Path::new("c.toml"), &text).unwrap();
    let client = Loki::new(config.loki.as_ref().unwrap()).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let mut spawner = sitrep::sources::poll::Spawner::new(tx.clone());
    sitrep::sources::loki::signals::start(&config, &client, &mut spawner);
    let tasks = spawner.tasks;
    assert_eq!(tasks.len(), 2);
    let (mut value, mut no_data) = (None, None);
    while value.is_none() || no_data.is_none() {
        next(&mut rx, 10, |o| {
            match o {
                Observation::Signal { name, value: v } if name == "error logs" => value = v,
                Observation::SignalNoData { name, query } if name == "quiet" => {
                    no_data = Some(query)
                }
                _ => return None,
            }
            Some(())
        })
        .await;
    }
    assert_eq!(value, Some(10.0));
    assert_eq!(no_data.unwrap(), r#"sum(rate({app="nothing"} [1m]))"#);
    let asked = loki
        .requests()
        .into_iter()
        .find(|r| r.path == "/loki/api/v1/query")
        .unwrap();
    assert!(
        asked.params["query"].contains(r#"namespace="snapbuilder""#),
        "{asked:?}"
    );
    // A log query where a number is wanted: Loki's own refusal, as the signal's error.
    let e = client.instant(r#"{app="x"}"#).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("log queries are not supported as an instant query type")
    );
}

/// A live cockpit that reads history from a log store, with no alerts to steer its tail.
fn live_cockpit() -> sitrep::app::App {
    let mut app = sitrep::app::sample::drill_app(5);
    app.caps = sitrep::app::Capabilities::live("c", "snapbuilder");
    app.caps.log_history = true;
    app.alerts = Default::default();
    app
}

/// Feeds the source's observations into `app` for `ms`, as the runtime does.
async fn pump(app: &mut sitrep::app::App, rx: &mut mpsc::Receiver<Event>, ms: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        app.update(ev);
    }
}

/// Hands the cockpit's log effects to the source, as the runtime does.
async fn route(effects: Vec<sitrep::app::Effect>, h: &Handles) {
    for e in effects {
        match e {
            sitrep::app::Effect::TailLogs(t) => h.targets.send(t).await.unwrap(),
            sitrep::app::Effect::QueryLogs(q) => h.queries.send(q).await.unwrap(),
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_cockpit_shows_lokis_history_and_says_where_it_came_from() {
    let loki = LokiServer::start().await;
    for i in 0..60 {
        let level = if i % 6 == 0 { "ERROR" } else { "INFO" };
        loki.push(
            &INGEST,
            ago(300 - i * 5),
            &format!("{level} batch committed seq={i}"),
        );
    }
    let (h, mut rx) = start(&loki.url, None);
    let mut app = live_cockpit();
    let effects = app.run(sitrep::command::Command::Focus(
        sitrep::command::FocusTarget::Pane(sitrep::command::Pane::Logs),
    ));
    route(effects, &h).await;
    pump(&mut app, &mut rx, 1_000).await;
    assert_eq!(app.logs.len(), 60, "the history filled the pane");
    let screen = sitrep::ui::render_text(&app, 200, 60);
    assert!(screen.contains("batch committed seq=59"), "{screen}");
    let title = sitrep::ui::panes::logs::title(&app);
    assert!(title.contains("from loki"), "{title}");
    assert!(title.contains("snapbuilder-ingest: all pods"), "{title}");
    // The filter runs in Loki, and the title says so.
    let effects = app.run(sitrep::command::Command::Filter(Some("ERROR".into())));
    route(effects, &h).await;
    pump(&mut app, &mut rx, 1_000).await;
    let title = sitrep::ui::panes::logs::title(&app);
    assert!(title.contains("filter on loki |= \"ERROR\""), "{title}");
    assert_eq!(app.logs.visible_len(), 10);
    assert_eq!(app.logs.len(), 10, "only matches came from Loki");
}

#[tokio::test]
async fn one_pod_asked_for_is_one_pod_read() {
    let loki = LokiServer::start().await;
    loki.push(&SERVING, ago(30), "INFO lngkm seq=1");
    loki.push(&OTHER_POD, ago(20), "INFO sbrp5 seq=2");
    let (h, mut rx) = start(&loki.url, None);
    let mut t = target("snapbuilder-serving");
    t.pod = Some("snapbuilder-serving-7cf6b6ddf5-sbrp5".into());
    h.targets.send(t).await.unwrap();
    let page = next(&mut rx, 10, history).await;
    assert_eq!(seqs(&page.lines), [2]);
    let asked = loki
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("query_range"))
        .unwrap();
    assert!(
        asked.params["query"].ends_with(r#"pod="snapbuilder-serving-7cf6b6ddf5-sbrp5"}"#),
        "{asked:?}"
    );
}

#[tokio::test]
async fn a_handover_to_the_pod_tail_and_back_repeats_no_line() {
    let loki = LokiServer::start().await;
    // What the ingest pod wrote; Loki and the pod tail both see every line of it.
    let mut written: Vec<LogLine> = Vec::new();
    fn write(
        loki: &LokiServer,
        written: &mut Vec<LogLine>,
        seqs: std::ops::Range<u32>,
    ) -> Vec<LogLine> {
        let new: Vec<LogLine> = seqs
            .map(|i| {
                let at = ago(0);
                let text = format!("INFO batch committed seq={i}");
                loki.push(&INGEST, at, &text);
                LogLine {
                    at,
                    pod: "snapbuilder-ingest-1".into(),
                    container: "ingest".into(),
                    text,
                }
            })
            .collect();
        written.extend(new.clone());
        new
    }
    for i in 0..10 {
        let (at, text) = (
            ago(60 - i64::from(i)),
            format!("INFO batch committed seq={i}"),
        );
        loki.push(&INGEST, at, &text);
        written.push(LogLine {
            at,
            pod: "snapbuilder-ingest-1".into(),
            container: "ingest".into(),
            text,
        });
    }
    let (kube_tx, mut kube_rx) = mpsc::channel(16);
    let (h, mut rx) = start(&loki.url, Some(kube_tx));
    let mut app = live_cockpit();
    let effects = app.run(sitrep::command::Command::Focus(
        sitrep::command::FocusTarget::Pane(sitrep::command::Pane::Logs),
    ));
    route(effects, &h).await;
    pump(&mut app, &mut rx, 1_000).await;
    assert_eq!(app.logs.len(), 10, "the history");
    // Loki's tail goes on past its history.
    write(&loki, &mut written, 10..15);
    pump(&mut app, &mut rx, 500).await;
    assert_eq!(app.logs.len(), 15);

    // Loki fails; the pod tail takes over. Its first stream starts with the pod's last lines
    // (its backlog), five of which Loki showed live, then follows new lines.
    loki.faults(|f| f.rate_limited = true);
    loki.close_tails();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let order = loop {
        tokio::select! {
            o = kube_rx.recv() => break o.unwrap(),
            Some(ev) = rx.recv() => {
                app.update(ev);
            }
            _ = tokio::time::sleep_until(deadline) => panic!("the pod tail was not asked"),
        }
    };
    assert!(!order.pods.is_empty());
    let backlog = written[written.len() - 10..].to_vec();
    app.update(Event::Observed(app.now, Observation::Logs(backlog)));
    let new = write(&loki, &mut written, 15..20);
    app.update(Event::Observed(app.now, Observation::Logs(new)));

    // Loki is back: its tail resumes from the last line it showed, so its catch-up holds
    // what the pod tail showed meanwhile; the pod tail is told to stop.
    loki.faults(|f| f.rate_limited = false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let stop = loop {
        tokio::select! {
            o = kube_rx.recv() => break o.unwrap(),
            Some(ev) = rx.recv() => {
                app.update(ev);
            }
            _ = tokio::time::sleep_until(deadline) => panic!("the pod tail was not stopped"),
        }
    };
    assert!(stop.pods.is_empty(), "{stop:?}");
    pump(&mut app, &mut rx, 300).await;
    // Lines written while the pod tail stops come from both: Loki's first, the pod tail's
    // a reorder window later.
    let late = write(&loki, &mut written, 20..23);
    pump(&mut app, &mut rx, 500).await;
    app.update(Event::Observed(app.now, Observation::Logs(late)));

    let shown: Vec<LogLine> = app
        .logs
        .window(1_000)
        .iter()
        .filter(|l| !l.marker)
        .map(|l| LogLine {
            at: l.at,
            pod: l.pod.clone(),
            container: l.container.clone(),
            text: l.text.clone(),
        })
        .collect();
    assert_eq!(
        seqs(&shown),
        (0..23).collect::<Vec<_>>(),
        "every line once, in order"
    );
}

#[tokio::test]
async fn first_error_finds_where_the_errors_before_the_alert_began() {
    let loki = LokiServer::start().await;
    // The alert fired ten minutes ago. Its errors began 38 minutes before it, one every
    // 20 s; an unrelated pair of errors came 55 minutes before it, then a quiet spell.
    let before = ago(600);
    let at = |secs_before: i64| before - SignedDuration::from_secs(secs_before);
    for s in (5..70 * 60).step_by(10) {
        loki.push(&INGEST, at(s), &format!("INFO batch committed t={s}"));
    }
    for s in [55 * 60, 55 * 60 - 20] {
        loki.push(&INGEST, at(s), "ERROR disk full t=old");
    }
    for s in (-600..=38 * 60).step_by(20) {
        loki.push(&INGEST, at(s), &format!("ERROR upstream timeout t={s}"));
    }
    let mut c = config(&loki.url);
    c.page_lines = 50; // so the walk back takes several pages
    let (tx, mut rx) = mpsc::channel(4096);
    let h = source::spawn(Loki::new(&c).unwrap(), c, &[], None, tx);
    let mut app = live_cockpit();
    app.now = Timestamp::now();
    let mut effects = app.update(Event::Observed(
        app.now,
        Observation::Alert(sitrep::event::AlertStatus {
            name: "IngestErrors".into(),
            severity: "critical".into(),
            state: sitrep::event::AlertState::Firing,
            since: before,
            summary: "ingest failing".into(),
            runbook_url: None,
            detail: String::new(),
            description: String::new(),
            labels: [("app".to_string(), "snapbuilder-ingest".to_string())].into(),
            silenced_by: Vec::new(),
        }),
    ));
    // The alert's workload is tailed (the alert named it), then asked about.
    effects.extend(app.run(sitrep::command::Command::FirstError));
    route(effects, &h).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while app.log_source.pending_at.is_some() && tokio::time::Instant::now() < deadline {
        pump(&mut app, &mut rx, 100).await;
    }
    assert!(app.log_source.pending_at.is_none(), "no answer");
    pump(&mut app, &mut rx, 200).await;
    let view = app.logs.window(11);
    assert!(!view.is_empty(), "{:?}", app.flash);
    assert_eq!(view[0].at, at(38 * 60), "{:?}", view[0]);
    assert_eq!(
        view[0].text,
        format!("ERROR upstream timeout t={}", 38 * 60)
    );
    let flash = app.flash.as_ref().unwrap().text.clone();
    assert!(flash.contains("38 min before it"), "{flash}");
    assert!(!flash.contains("further"), "{flash}");
    // Loki ran the error filter over the selector, walking back page by page from the alert.
    let walked: Vec<_> = loki
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("query_range") && r.params["query"].contains("|~"))
        .collect();
    assert!(walked.len() >= 3, "{walked:?}");
    assert_eq!(
        walked[0].params["query"],
        r#"{namespace="snapbuilder", app="snapbuilder-ingest"} |~ `(?i)(error|fatal|panic|critical|exception|traceback)`"#
    );
    assert_eq!(walked[0].params["end"], before.as_nanosecond().to_string());
    assert_eq!(walked[0].params["direction"], "backward");
    let ends: Vec<i128> = walked
        .iter()
        .map(|r| r.params["end"].parse().unwrap())
        .collect();
    assert!(
        ends.windows(2).all(|w| w[1] < w[0]),
        "older pages: {ends:?}"
    );

    // No error in the hour before: said so, the view stays.
    let quiet = LokiServer::start().await;
    quiet.push(&INGEST, at(60), "INFO fine");
    let (h, mut rx) = start(&quiet.url, None);
    h.targets.send(target("snapbuilder-ingest")).await.unwrap();
    next(&mut rx, 10, history).await;
    h.queries.send(LogQuery::FirstError(before)).await.unwrap();
    let page = next(&mut rx, 10, history).await;
    assert_eq!(page.anchor, None);
    assert!(
        page.note
            .as_deref()
            .unwrap()
            .starts_with("no error lines in the hour before the alert"),
        "{page:?}"
    );
}

/// The `seq=` of the lines the pane holds, oldest first.
fn shown_seqs(app: &sitrep::app::App) -> Vec<u32> {
    app.logs
        .window(1_000)
        .iter()
        .filter(|l| !l.marker)
        .filter_map(|l| l.text.rsplit("seq=").next()?.parse().ok())
        .collect()
}

/// `[loki]` at `url` and two services, one with its own LogQL selector.
fn services_config(url: &str) -> sitrep::config::Config {
    let text = format!(
        r#"
[loki]
url = "{url}"
timeout = "800ms"

[[services]]
name = "serving"
namespace = "snapbuilder"
workloads = ["snapbuilder-serving"]
loki.selector = '{{namespace="snapbuilder", pod=~"snapbuilder-serving-.*"}}'

[[services]]
name = "ingest"
namespace = "snapbuilder"
workloads = ["snapbuilder-ingest"]
"#
    );
    sitrep::config::Config::parse(std::path::Path::new("config.toml"), &text).unwrap()
}

/// The Loki source as live mode starts it from `config`: its services, no pod tail.
fn start_from(config: &sitrep::config::Config) -> (Handles, mpsc::Receiver<Event>) {
    let lc = config.loki.clone().unwrap();
    let (tx, rx) = mpsc::channel(4096);
    let loki = Loki::new(&lc).unwrap();
    (source::spawn(loki, lc, &config.services, None, tx), rx)
}

fn service_alert(service: &str) -> sitrep::event::AlertStatus {
    sitrep::event::AlertStatus {
        name: "HighErrorRate".into(),
        severity: "critical".into(),
        state: sitrep::event::AlertState::Firing,
        since: ago(120),
        summary: "5xx above 3%".into(),
        runbook_url: None,
        detail: String::new(),
        description: String::new(),
        labels: [("service".to_string(), service.to_string())].into(),
        silenced_by: Vec::new(),
    }
}

/// The `query=` of every request to `path`.
fn queries_to(loki: &LokiServer, path: &str) -> Vec<String> {
    loki.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.params["query"].clone())
        .collect()
}

#[tokio::test]
async fn a_services_own_selector_is_what_loki_is_asked() {
    let loki = LokiServer::start().await;
    loki.push(&SERVING, ago(60), "INFO lngkm seq=1");
    loki.push(&OTHER_POD, ago(50), "INFO sbrp5 seq=2");
    loki.push(&INGEST, ago(40), "INFO ingest seq=3");
    let config = services_config(&loki.url);
    let (h, mut rx) = start_from(&config);
    // The cockpit sees the cluster's workloads; the alert names the service.
    let mut app = live_cockpit();
    app.config.services = config.services.clone();
    let now = app.now;
    let effects = app.update(Event::Observed(
        now,
        Observation::Alert(service_alert("serving")),
    ));
    let ordered: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            sitrep::app::Effect::TailLogs(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ordered.len(), 1, "{effects:?}");
    assert_eq!(ordered[0].workload, "snapbuilder-serving");
    assert_eq!(ordered[0].service.as_deref(), Some("serving"));
    route(effects, &h).await;
    pump(&mut app, &mut rx, 1_000).await;
    assert_eq!(shown_seqs(&app), [1, 2], "both pods, not ingest");
    let own = r#"{namespace="snapbuilder", pod=~"snapbuilder-serving-.*"}"#;
    assert_eq!(queries_to(&loki, "/loki/api/v1/query_range"), [own]);
    assert_eq!(queries_to(&loki, "/loki/api/v1/tail"), [own]);
    loki.push(&OTHER_POD, ago(0), "INFO sbrp5 seq=4");
    pump(&mut app, &mut rx, 800).await;
    assert_eq!(shown_seqs(&app), [1, 2, 4], "tailed through it");

    // A service without its own selector: the derived one, from its namespace and workload.
    let other = LokiServer::start().await;
    other.push(&INGEST, ago(30), "INFO ingest seq=5");
    let (h, mut rx) = start_from(&services_config(&other.url));
    let mut t = target("snapbuilder-ingest");
    t.service = Some("ingest".into());
    h.targets.send(t).await.unwrap();
    assert_eq!(seqs(&next(&mut rx, 10, history).await.lines), [5]);
    assert_eq!(
        queries_to(&other, "/loki/api/v1/query_range"),
        [r#"{namespace="snapbuilder", app="snapbuilder-ingest"}"#]
    );
}

#[tokio::test]
async fn a_cockpit_without_a_cluster_fills_and_tails_a_service_from_loki() {
    let loki = LokiServer::start().await;
    for i in 0..20 {
        loki.push(
            &SERVING,
            ago(300 - i * 10),
            &format!("INFO request seq={i}"),
        );
    }
    loki.push(&INGEST, ago(100), "INFO ingest seq=99");
    let config = services_config(&loki.url);
    assert!(config.kubernetes.is_none());
    let (h, mut rx) = start_from(&config);
    // No kube connection at all: no pods, no deployments, nothing to select but services.
    let mut app = sitrep::app::App::new(
        sitrep::app::Capabilities::live("-", "-"),
        config.clone(),
        sitrep::config::Keymap::load("default", None).unwrap(),
        sitrep::config::Theme::load("dark", None, false).unwrap(),
        "alice".into(),
        Timestamp::now(),
    );
    app.caps.log_history = true;
    assert!(app.pods.workloads.is_empty());
    // Context follows the alert: the service it names is what the logs pane reads.
    let now = app.now;
    let effects = app.update(Event::Observed(
        now,
        Observation::Alert(service_alert("serving")),
    ));
    route(effects, &h).await;
    pump(&mut app, &mut rx, 1_000).await;
    assert_eq!(shown_seqs(&app), (0..20).collect::<Vec<_>>());
    let title = sitrep::ui::panes::logs::title(&app);
    assert!(title.contains("service serving: all pods"), "{title}");
    assert!(title.contains("from loki"), "{title}");
    let screen = sitrep::ui::render_text(&app, 200, 60);
    assert!(screen.contains("request seq=19"), "{screen}");
    // New lines come over Loki's tail.
    loki.push(&OTHER_POD, ago(0), "INFO request seq=20");
    pump(&mut app, &mut rx, 800).await;
    assert_eq!(shown_seqs(&app).last(), Some(&20));
    assert_eq!(
        queries_to(&loki, "/loki/api/v1/tail"),
        [r#"{namespace="snapbuilder", pod=~"snapbuilder-serving-.*"}"#]
    );

    // With no alert, looking at the logs pane reads the first service.
    let (h, mut rx) = start_from(&config);
    let mut app = sitrep::app::App::new(
        sitrep::app::Capabilities::live("-", "-"),
        config.clone(),
        sitrep::config::Keymap::load("default", None).unwrap(),
        sitrep::config::Theme::load("dark", None, false).unwrap(),
        "alice".into(),
        Timestamp::now(),
    );
    app.caps.log_history = true;
    let effects = app.run(sitrep::command::Command::Focus(
        sitrep::command::FocusTarget::Pane(sitrep::command::Pane::Logs),
    ));
    route(effects, &h).await;
    pump(&mut app, &mut rx, 1_000).await;
    assert_eq!(
        app.logs.len(),
        21,
        "the serving service's history, the tailed line too"
    );
    assert_eq!(
        app.pods.tailing.as_ref().and_then(|t| t.service.as_deref()),
        Some("serving")
    );
}
