//! A sick monitoring stack must never freeze the cockpit: a stopped Prometheus and a slow one
//! give "stale since" with the error, other sources keep reporting, and it recovers by itself.

#![allow(clippy::expect_used)]

mod promstack;

use std::time::{Duration, Instant};

use jiff::Timestamp;
use promstack::Stack;
use sitrep::app::{App, Mode};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::event::{Event, Observation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// A stand-in Prometheus on `port` (0: any free port) that answers every query after
/// `delay`; returns its task and port.
async fn fake_prometheus(port: u16, delay: Duration) -> (tokio::task::JoinHandle<()>, u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("bound").port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                tokio::time::sleep(delay).await;
                let t = Timestamp::now().as_second();
                let body = if head.contains("query_range") {
                    format!(
                        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[[{t},"0.5"]]}}]}}}}"#
                    )
                } else {
                    format!(
                        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[{t},"0.5"]}}]}}}}"#
                    )
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (task, port)
}

fn config(prometheus: &str, timeout: &str, extra: &str) -> Config {
    let text = format!(
        "[prometheus]\nurl = \"{prometheus}\"\ntimeout = \"{timeout}\"\nrefresh = \"1s\"\n\n\
         [[signals]]\nname = \"5xx rate\"\nunit = \"ratio\"\ncrit = 0.03\n\
         query = 'sum(rate(http_requests_total{{status=~\"5..\"}}[5m])) / sum(rate(http_requests_total[5m]))'\n{extra}"
    );
    Config::parse(std::path::Path::new("test.toml"), &text).expect("config parses")
}

fn app(c: &Config) -> App {
    let theme = Theme::load("dark", None, false).expect("theme");
    let keymap = Keymap::load("default", None).expect("keymap");
    let mode = Mode::Live {
        context: "-".into(),
        namespace: "-".into(),
    };
    App::new(
        mode,
        c.clone(),
        keymap,
        theme,
        "tester".into(),
        Timestamp::now(),
    )
}

fn screen(app: &App) -> String {
    sitrep::ui::render_text(app, 160, 40)
}

/// Folds events into `app` until `done` says so; panics after `limit`.
async fn until(
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&Observation) -> bool,
) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{what}: not within {limit:?}"))
            .expect("channel open");
        let hit = matches!(&ev, Event::Observed(_, o) if done(o));
        app.update(ev);
        if hit {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_prometheus_goes_stale_and_recovery_clears_it() {
    let _serial = promstack::serial().await;
    let mut stack = Stack::start(false).await;
    let c = config(&stack.prometheus, "1s", "");
    let mut app = app(&c);
    let (tx, mut rx) = mpsc::channel(256);
    let tasks = sitrep::sources::prometheus::spawn(&c, tx).expect("sources");
    until(
        &mut app,
        &mut rx,
        Duration::from_secs(10),
        "a first value",
        |o| matches!(o, Observation::Signal { value: Some(_), .. }),
    )
    .await;

    stack.stop();
    let stopped = Instant::now();
    until(
        &mut app,
        &mut rx,
        Duration::from_secs(10),
        "a source error",
        |o| matches!(o, Observation::SourceError { source, .. } if source == "signals/5xx rate"),
    )
    .await;
    let s = &app.signals[0];
    let (error, _) = s.stale.clone().expect("the signal is stale");
    assert!(error.contains("onnection refused"), "{error}");
    let shown = screen(&app);
    assert!(shown.contains("stale since"), "{shown}");
    assert!(
        shown.contains("5xx rate") && shown.contains("stale"),
        "{shown}"
    );
    eprintln!("stale shown {:?} after the stop", stopped.elapsed());

    // The server comes back on the same address: the source recovers by itself.
    let port: u16 = stack
        .prometheus
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let (fake, _) = fake_prometheus(port, Duration::ZERO).await;
    until(
        &mut app,
        &mut rx,
        Duration::from_secs(15),
        "recovery",
        |o| matches!(o, Observation::SourceRecovered { source } if source == "signals/5xx rate"),
    )
    .await;
    until(
        &mut app,
        &mut rx,
        Duration::from_secs(5),
        "a fresh value",
        |o| matches!(o, Observation::Signal { value: Some(_), .. }),
    )
    .await;
    assert!(app.signals[0].stale.is_none());
    assert!(
        !app.source_errors
            .iter()
            .any(|e| e.source.starts_with("signals/")),
        "{:?}",
        app.source_errors
    );
    assert_eq!(app.signals[0].value, Some(0.5));
    // The signal row shows its value again (the stand-in does not serve alerts, so the
    // header may still name that source).
    let shown = screen(&app);
    let row = shown
        .lines()
        .find(|l| l.contains("5xx rate"))
        .expect("the signal row");
    assert!(
        row.contains(&sitrep::ui::format::value(Some(0.5), "ratio")),
        "{shown}"
    );
    assert!(!shown.contains("signals/5xx rate stale"), "{shown}");
    tasks.iter().for_each(|t| t.abort());
    fake.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_prometheus_times_out_while_other_sources_keep_reporting() {
    let _serial = promstack::serial().await;
    let (slow, port) = fake_prometheus(0, Duration::from_secs(30)).await;
    let (fast, health_port) = fake_prometheus(0, Duration::ZERO).await;
    let extra = format!(
        "\n[[health]]\nname = \"ready\"\nurl = \"http://127.0.0.1:{health_port}/health/ready\"\ninterval = \"1s\"\n"
    );
    let c = config(&format!("http://127.0.0.1:{port}"), "500ms", &extra);
    let mut app = app(&c);
    let (tx, mut rx) = mpsc::channel(256);
    let tasks = sitrep::sources::prometheus::spawn(&c, tx).expect("sources");
    let started = Instant::now();
    let mut health_reports = 0;
    until(
        &mut app,
        &mut rx,
        Duration::from_secs(5),
        "a timeout error",
        |o| {
            if matches!(o, Observation::Health(h) if h.ok) {
                health_reports += 1;
            }
            matches!(o, Observation::SourceError { source, .. } if source == "signals/5xx rate")
        },
    )
    .await;
    let took = started.elapsed();
    let (error, _) = app.signals[0].stale.clone().expect("stale");
    assert!(error.contains("timed out"), "{error}");
    assert!(
        took < Duration::from_secs(3),
        "the per-request timeout bounds the wait: {took:?}"
    );
    assert!(
        health_reports >= 1,
        "the health probe kept reporting while Prometheus hung"
    );
    let shown = screen(&app);
    assert!(
        shown.contains("stale since") && shown.contains("timed out"),
        "{shown}"
    );
    assert!(
        shown.contains("health") && shown.contains("ready"),
        "{shown}"
    );
    tasks.iter().for_each(|t| t.abort());

    // `sitrep snapshot` against it ends within its timeouts, says why, and fails because
    // every source failed.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        format!("[prometheus]\nurl = \"http://127.0.0.1:{port}\"\ntimeout = \"500ms\"\n\n[[signals]]\nname = \"x\"\nquery = \"up\"\n"),
    )
    .expect("config");
    let started = Instant::now();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["snapshot", "--config"])
        .arg(&path)
        .env("SITREP_CONFIG_DIR", dir.path())
        .output()
        .await
        .expect("snapshot runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["signals"][0]["state"], "unknown");
    assert!(
        v["signals"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{v}"
    );
    slow.abort();
    fast.abort();
}
