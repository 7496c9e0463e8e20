//! The live sources against the real Prometheus and Alertmanager: an incident backfilled with
//! promtool, an alert rule firing into Alertmanager; the panes and `sitrep snapshot` must show
//! the numbers PromQL returns, and silences must reach Alertmanager.

#![allow(clippy::expect_used)]

mod promstack;

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use promstack::{Stack, eventually, example_config, promql};
use sitrep::app::{App, Mode};
use sitrep::command::{Command, FocusTarget, Pane};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::event::{Action, ActionOutcome, AlertState, Event, Observation};
use sitrep::executors::Executor;
use sitrep::sources::prometheus;
use tokio::sync::mpsc;

fn config(stack: &Stack) -> Config {
    let mut c = Config::load(&example_config()).expect("the example config loads");
    c.override_urls(Some(&stack.prometheus), stack.alertmanager.as_deref());
    for e in [&mut c.prometheus, &mut c.alertmanager]
        .into_iter()
        .flatten()
    {
        e.refresh = Some(sitrep::config::PromDuration::parse("1s").expect("1s"));
    }
    c.health.clear();
    c
}

/// Each signal's query filled in, as PromQL sees it.
fn queries(c: &Config) -> Vec<(String, String)> {
    c.signals
        .iter()
        .map(|s| {
            let q = prometheus::signal_query(c, s, &s.query, None).expect("query expands");
            (s.name.clone(), q)
        })
        .collect()
}

fn render(app: &App) -> String {
    sitrep::ui::render_text(app, 200, 60)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panes_and_snapshot_show_what_promql_returns() {
    let _serial = promstack::serial().await;
    let stack = Stack::start(true).await;
    let c = config(&stack);
    let am = stack.alertmanager.clone().expect("alertmanager");

    // The alert rule fires and reaches Alertmanager with its runbook_url.
    let client = reqwest::Client::new();
    eventually(
        "the alert reaches Alertmanager",
        Duration::from_secs(30),
        || {
            let client = client.clone();
            let am = am.clone();
            async move {
                let v: serde_json::Value =
                    match client.get(format!("{am}/api/v2/alerts")).send().await {
                        Ok(r) => r.json().await.unwrap_or_default(),
                        Err(_) => return false,
                    };
                v.as_array().is_some_and(|a| !a.is_empty())
            }
        },
    )
    .await;

    // What PromQL says, asked directly.
    let mut want: HashMap<String, f64> = HashMap::new();
    for (name, q) in queries(&c) {
        let v = promql(&stack.prometheus, &q)
            .await
            .unwrap_or_else(|| panic!("{name}: no value"));
        want.insert(name, v);
    }
    // The incident's numbers, as the data was written: 10% 5xx, 12% flagged.
    assert!(close(want["5xx rate"], 0.10, 1e-9), "{want:?}");
    assert!(close(want["availability"], 90.0, 1e-9), "{want:?}");
    assert!(close(want["moderation flags"], 0.12, 1e-9), "{want:?}");
    let short_burn = promql(
        &stack.prometheus,
        r#"1 - (sum(rate(http_requests_total{job="snapbuilder-serving",status!~"5.."}[5m])) / sum(rate(http_requests_total{job="snapbuilder-serving"}[5m])))"#,
    )
    .await
    .expect("5m error ratio")
        / 0.005;

    // The panes: the real sources' observations folded by App::update.
    let (tx, mut rx) = mpsc::channel(1024);
    let tasks = prometheus::spawn(&c, tx).expect("sources start");
    let theme = Theme::load("dark", None, false).expect("theme");
    let keymap = Keymap::load("default", None).expect("keymap");
    let mode = Mode::Live {
        context: "-".into(),
        namespace: "snapbuilder".into(),
    };
    let mut app = App::new(
        mode,
        c.clone(),
        keymap,
        theme,
        "tester".into(),
        Timestamp::now(),
    );
    let mut seen_slo = false;
    let mut seen_gpus = false;
    let mut seen_alert = false;
    let mut seen_series = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(seen_slo && seen_gpus && seen_alert && seen_series >= 4) {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("every source reported within 30 s")
            .expect("channel open");
        if let Event::Observed(_, obs) = &ev {
            match obs {
                Observation::Slo(_) => seen_slo = true,
                Observation::GpuList(_) => seen_gpus = true,
                Observation::Alert(a) if a.state == AlertState::Firing => seen_alert = true,
                Observation::SignalSeries { reset: true, .. } => seen_series += 1,
                Observation::SourceError { source, error } => panic!("{source}: {error}"),
                _ => {}
            }
        }
        app.update(ev);
    }
    tasks.iter().for_each(|t| t.abort());

    for s in &app.signals {
        let v = s
            .value
            .unwrap_or_else(|| panic!("{}: no value in the pane", s.def.name));
        assert!(
            close(v, want[&s.def.name], 1e-9),
            "{}: pane {v}, PromQL {}",
            s.def.name,
            want[&s.def.name]
        );
        assert!(
            s.history.len() > 200,
            "{}: a sparkline of the last hour, got {}",
            s.def.name,
            s.history.len()
        );
    }
    let slo = app.signals[0].slo.clone().expect("availability has an SLO");
    assert_eq!(slo.objective, 99.5);
    let fast = &slo.burn[0];
    assert_eq!(
        (fast.long.as_str(), fast.short.as_str(), fast.factor),
        ("1h", "5m", 14.4)
    );
    assert!(
        close(fast.short_rate.expect("5m burn"), short_burn, 1e-9),
        "{fast:?} vs {short_burn}"
    );
    assert!(
        fast.firing,
        "10% errors for over an hour burn a 0.5% budget at 20×: {fast:?}"
    );
    assert!(slo.budget_left.is_some_and(|b| b < 1.0), "{slo:?}");

    let gpus = sitrep::ui::panes::gpus::sorted(&app);
    assert_eq!(gpus.len(), 2);
    assert_eq!(
        (gpus[0].index, gpus[0].temp_c, gpus[0].xid),
        (0, Some(88.0), Some(48))
    );
    assert_eq!(gpus[0].mem_total_mib, Some(81920.0));
    assert_eq!(
        gpus[0].pod.as_deref(),
        Some("snapbuilder/snapbuilder-serving-7f9c")
    );
    assert_eq!(
        gpus[1].power_w, None,
        "DCGM's blank sentinel is not a number"
    );

    let alert = app.alerts[0].clone();
    assert_eq!(alert.status.name, "SnapbuilderHigh5xx");
    assert_eq!(alert.status.severity, "critical");
    assert_eq!(
        alert.status.runbook_url.as_deref(),
        Some("https://runbooks.example/snapbuilder#high-5xx")
    );

    // What the screen shows.
    let screen = render(&app);
    for s in &app.signals {
        // The pane's own value (already checked against PromQL above): the two can differ in
        // the last bit, which flips 9.99…% and 10% between one decimal and none.
        let shown = sitrep::ui::format::value(s.value, &s.def.unit);
        assert!(
            screen.contains(&shown),
            "{} shown as {shown}:\n{screen}",
            s.def.name
        );
    }
    let budget = format!("budget {:.0}%", slo.budget_left.unwrap_or_default() * 100.0);
    for text in [
        "SnapbuilderHigh5xx",
        "XID 48",
        "double-bit ECC",
        "reset the GPU",
        "88°C",
        &budget,
    ] {
        assert!(screen.contains(text), "{text} on screen:\n{screen}");
    }
    // Zoomed, the signals pane has room for the burn pairs.
    app.run(Command::Focus(FocusTarget::Pane(Pane::Signals)));
    app.run(Command::Zoom);
    let screen = render(&app);
    let pair = format!(
        "1h/5m {:.1}×/{:.1}× >14.4× ▲",
        fast.long_rate.unwrap_or_default(),
        short_burn
    );
    assert!(screen.contains(&pair), "{pair} on screen:\n{screen}");

    // `sitrep snapshot --format json`: the same numbers.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["snapshot", "--format", "json", "--config"])
        .arg(example_config())
        .args(["--prometheus", &stack.prometheus, "--alertmanager", &am])
        .env("SITREP_CONFIG_DIR", stack.dir.path())
        .output()
        .expect("sitrep snapshot runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The example's health probes point at a snapbuilder that is not running here: those
    // fail, the rest answer, so the exit status is still success.
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    for s in snap["signals"].as_array().expect("signals") {
        let name = s["name"].as_str().expect("name");
        let v = s["value"].as_f64().unwrap_or_else(|| panic!("{name}: {s}"));
        assert!(
            close(v, want[name], 1e-9),
            "{name}: snapshot {v}, PromQL {}",
            want[name]
        );
    }
    let states: Vec<&str> = snap["signals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(states, ["crit", "crit", "crit", "crit"], "{snap}");
    assert_eq!(snap["alerts"][0]["name"], "SnapbuilderHigh5xx");
    assert_eq!(
        snap["alerts"][0]["runbook_url"],
        "https://runbooks.example/snapbuilder#high-5xx"
    );
    assert_eq!(
        snap["gpus"][0]["mem_used_bytes"].as_f64(),
        Some(79000.0 * 1048576.0)
    );
    assert_eq!(snap["gpus"][0]["xid"], 48);
    assert!(snap["gpus"][1]["power_w"].is_null());
    assert_eq!(snap["slos"][0]["burn"][0]["firing"], true);
    assert!(close(
        snap["slos"][0]["burn"][0]["short_rate"]
            .as_f64()
            .expect("rate"),
        short_burn,
        1e-9
    ));
    assert_eq!(snap["health"].as_array().map(Vec::len), Some(2));

    // `--format md`: a status update a person would paste.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["snapshot", "--format", "md", "--config"])
        .arg(example_config())
        .args(["--prometheus", &stack.prometheus, "--alertmanager", &am])
        .env("SITREP_CONFIG_DIR", stack.dir.path())
        .output()
        .expect("sitrep snapshot runs");
    let md = String::from_utf8_lossy(&out.stdout);
    for text in [
        "**Alerts firing:** 1",
        "SnapbuilderHigh5xx",
        "5xx rate: 10% CRIT",
        "XID 48",
        "1h/5m at",
    ] {
        assert!(md.contains(text), "{text} in:\n{md}");
    }

    // Silence the alert through the executor, as the confirmed `S` does, then expire it.
    let am_client = sitrep::sources::alertmanager::Am::from_config(&c)
        .expect("am")
        .expect("client");
    let exec = sitrep::executors::http::Http::new(Some(am_client.clone()), "tester".into(), None);
    let report = exec
        .execute(Action::Silence {
            alert: alert.status.name.clone(),
            matchers: alert
                .status
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            minutes: 30,
            comment: "fix rolling out".into(),
        })
        .await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let silences = am_client.silences().await.expect("silences");
    let s = silences
        .iter()
        .find(|s| s.state == "active")
        .expect("an active silence");
    assert!(
        s.matchers
            .contains(&"alertname=SnapbuilderHigh5xx".to_string()),
        "{s:?}"
    );
    assert_eq!(s.comment, "fix rolling out");
    eventually(
        "the alert is marked silenced",
        Duration::from_secs(10),
        || {
            let am_client = am_client.clone();
            async move {
                am_client
                    .alerts()
                    .await
                    .is_ok_and(|a| a.iter().any(|a| !a.silenced_by.is_empty()))
            }
        },
    )
    .await;
    let report = exec
        .execute(Action::ExpireSilence { id: s.id.clone() })
        .await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let silences = am_client.silences().await.expect("silences");
    assert!(
        silences.iter().all(|s| s.state == "expired"),
        "{silences:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_asks_prometheus_to_parse_and_names_the_signal() {
    let _serial = promstack::serial().await;
    let stack = Stack::start(false).await;
    let path = stack.dir.path().join("bad.toml");
    std::fs::write(
        &path,
        format!(
            "[prometheus]\nurl = \"{}\"\n\n[[signals]]\nname = \"broken latency\"\nquery = 'histogram_quantile(0.95, sum by (le) (rate(x[5m]))'\n",
            stack.prometheus
        ),
    )
    .expect("write config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["check", "--config"])
        .arg(&path)
        .env("SITREP_CONFIG_DIR", stack.dir.path())
        .output()
        .expect("sitrep check runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("signal `broken latency`") && stdout.contains("parse error"),
        "{stdout}"
    );
    // The example config passes.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["check", "--config"])
        .arg(example_config())
        .args(["--prometheus", &stack.prometheus])
        .env("SITREP_CONFIG_DIR", stack.dir.path())
        .output()
        .expect("sitrep check runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_with_no_series_says_no_data_with_its_query() {
    let _serial = promstack::serial().await;
    let stack = Stack::start(false).await;
    let path = stack.dir.path().join("empty.toml");
    // The metric exists; the label value does not: the answer is an empty vector.
    let query = r#"sum(rate(http_requests_total{job="snapbuilder-serving",status="999"}[5m]))"#;
    std::fs::write(
        &path,
        format!(
            "[prometheus]\nurl = \"{}\"\nrefresh = \"1s\"\n\n[[signals]]\nname = \"teapots\"\nquery = '{query}'\nunit = \"percent\"\ncrit = 1\n\n[[signals]]\nname = \"5xx\"\nquery = 'sum(rate(http_requests_total{{status=\"500\"}}[5m]))'\n",
            stack.prometheus
        ),
    )
    .expect("write config");
    let c = Config::load(&path).expect("config loads");

    let (tx, mut rx) = mpsc::channel(1024);
    let tasks = prometheus::spawn(&c, tx).expect("sources start");
    let mut app = App::new(
        Mode::Live {
            context: "-".into(),
            namespace: "snapbuilder".into(),
        },
        c.clone(),
        Keymap::load("default", None).expect("keymap"),
        Theme::load("dark", None, false).expect("theme"),
        "tester".into(),
        Timestamp::now(),
    );
    let (mut empty, mut valued) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(empty && valued) {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("both signals answer within 30 s")
            .expect("channel open");
        if let Event::Observed(_, o) = &ev {
            match o {
                Observation::SignalNoData { name, query: q } => {
                    assert_eq!(name, "teapots");
                    assert_eq!(q, query);
                    empty = true;
                }
                Observation::Signal {
                    name,
                    value: Some(_),
                } if name == "5xx" => valued = true,
                Observation::Signal { name, .. } => {
                    assert_ne!(name, "teapots", "an empty answer is not a value")
                }
                _ => {}
            }
        }
        app.update(ev);
    }
    for t in tasks {
        t.abort();
    }
    let screen = render(&app);
    let row = screen
        .lines()
        .find(|l| l.contains("teapots"))
        .unwrap_or_else(|| panic!("teapots row:\n{screen}"));
    assert!(row.contains("no data"), "{row}");
    assert!(
        screen.contains("no data: sum(rate(http_requests_total"),
        "the query is shown under the row:\n{screen}"
    );
    let five = screen.lines().find(|l| l.contains("5xx")).expect("5xx row");
    assert!(!five.contains("no data"), "{five}");

    // sitrep snapshot says the same, in JSON and Markdown.
    let snap = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(["snapshot", "--format", format, "--config"])
            .arg(&path)
            .env("SITREP_CONFIG_DIR", stack.dir.path())
            .output()
            .expect("sitrep snapshot runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json: serde_json::Value = serde_json::from_str(&snap("json")).expect("snapshot json");
    let teapots = json["signals"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "teapots"))
        .cloned()
        .expect("teapots in the snapshot");
    assert_eq!(teapots["state"], "no data", "{teapots}");
    assert_eq!(teapots["no_data_query"], query, "{teapots}");
    let md = snap("md");
    assert!(md.contains("- teapots: no series for `sum(rate("), "{md}");
}
