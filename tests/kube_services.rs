//! Context follows the alert, against the Kubernetes API test server: with `[[services]]`
//! configured, an alert selects its service and `R` (or restart) offers that service's
//! deployment, not the first of the pods pane; a service of two deployments asks which; an
//! identity that may see pods but not their logs has the logs pane say so, once.
#![allow(clippy::unwrap_used)] // a failed set-up should stop the test loudly

mod kube_server;

use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};
use sitrep::app::overlay::Overlay;
use sitrep::app::state::WorkloadKey;
use sitrep::app::{App, Effect};
use sitrep::command::{Command, Pane};
use sitrep::config::Config;
use sitrep::event::{Action, ActionOutcome, AlertState, AlertStatus, Event, Observation};
use sitrep::executors::Executor;
use sitrep::executors::kube::KubeExecutor;
use tokio::sync::mpsc;

fn key(app: &mut App, c: KeyCode) -> Vec<Effect> {
    app.update(Event::Input(TermEvent::Key(KeyEvent::new(
        c,
        KeyModifiers::NONE,
    ))))
}

/// The shop in `acme` watched as `admin`, with `services` laid into the config; the cockpit
/// once both deployments and their revisions are in, and an executor on the same cluster.
async fn shop(services: &str) -> (KubeServer, App, KubeExecutor, tempfile::TempDir) {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    let exec = KubeExecutor::new(
        conn.client.clone(),
        conn.namespaces.clone(),
        Vec::new(),
        Duration::from_secs(5),
    )
    .in_context(conn.context.clone());
    let (tx, mut rx) = mpsc::channel(1024);
    let tasks = sitrep::sources::kube::spawn(&conn, tx);
    let config = Config::parse(std::path::Path::new("config.toml"), services).unwrap();
    let mut app = kube_server::client::live_app(&conn, config);
    app.size = (200, 50);
    let loaded = |app: &App| {
        app.pods
            .deployment(&WorkloadKey::new(NS, "checkout"))
            .is_some_and(|d| d.history.len() == 2 && d.labels.contains_key("app"))
            && app
                .pods
                .deployment(&WorkloadKey::new(NS, "ingest"))
                .is_some()
    };
    while !loaded(&app) {
        let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        app.update(ev);
    }
    tasks.iter().for_each(|t| t.abort());
    (server, app, exec, dir)
}

/// An alert of `labels` fires and is selected in the focused alerts pane.
fn fire(app: &mut App, name: &str, labels: &[(&str, &str)]) {
    let now = app.now;
    let alert = AlertStatus {
        name: name.into(),
        // Below `auto_open`: no incident, so no name to type in the confirmation.
        severity: "warning".into(),
        state: AlertState::Firing,
        since: now,
        summary: format!("{name} in the shop"),
        runbook_url: None,
        detail: String::new(),
        description: String::new(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        silenced_by: Vec::new(),
    };
    app.update(Event::Observed(now, Observation::Alert(alert)));
    app.focus = Pane::Alerts;
    let at = app
        .alerts
        .iter()
        .position(|a| a.status.name == name)
        .unwrap();
    app.run(Command::Top);
    for _ in 0..at {
        app.run(Command::Down);
    }
}

const TWO_SERVICES: &str = r#"
[[services]]
name = "checkout"
namespace = "acme"

[[services]]
name = "ingest"
namespace = "acme"
selector = "app=ingest"
"#;

#[tokio::test]
async fn an_alert_selects_its_service_and_r_offers_its_deployment() {
    let (server, mut app, exec, _dir) = shop(TWO_SERVICES).await;
    let checkout = WorkloadKey::new(NS, "checkout");
    let ingest = WorkloadKey::new(NS, "ingest");

    // By its `service` label: checkout's rollback dialog, with its revisions.
    fire(&mut app, "CheckoutErrors", &[("service", "checkout")]);
    assert_eq!(app.pods.selected_workload(), Some(&checkout));
    key(&mut app, KeyCode::Char('R'));
    let Some(Overlay::RollbackDialog { deployment, .. }) = &app.overlay else {
        panic!("no rollback dialog: {:?} {:?}", app.overlay, app.flash);
    };
    assert_eq!(deployment, &checkout);
    app.overlay = None;

    // No `service` label: the namespace and the deployment's own `app` label find ingest,
    // which is not the first deployment of the pods pane.
    fire(
        &mut app,
        "IngestLag",
        &[("namespace", NS), ("app", "ingest")],
    );
    assert_eq!(
        app.pods.selected_workload(),
        Some(&ingest),
        "the pods pane jumps"
    );
    let text = sitrep::ui::render_text(&app, app.size.0, app.size.1);
    assert!(text.contains("service ingest: acme/ingest"), "{text}");
    app.run(Command::Restart { deployment: None });
    let Some(Overlay::Confirm { action, lines, .. }) = &app.overlay else {
        panic!("no confirmation: {:?} {:?}", app.overlay, app.flash);
    };
    assert!(
        lines[0].starts_with("Restart deployment acme/ingest in context test"),
        "{lines:?}"
    );
    let action = action.clone();
    let effects = key(&mut app, KeyCode::Char('y'));
    assert_eq!(effects, [Effect::Execute(action.clone())]);
    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let patches: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        patches,
        ["/apis/apps/v1/namespaces/acme/deployments/ingest"]
    );

    // An alert neither service claims is said to be so; `R` acts on nothing.
    fire(
        &mut app,
        "Stray",
        &[("namespace", "billing"), ("app", "ledger")],
    );
    key(&mut app, KeyCode::Char('R'));
    assert!(app.overlay.is_none());
    let flash = app.flash.as_ref().unwrap().text.clone();
    assert_eq!(
        flash,
        "no service for this alert: labels app=ledger, namespace=billing"
    );
    assert!(
        sitrep::ui::render_text(&app, app.size.0, app.size.1)
            .contains("no service for this alert: labels app=ledger, namespace=billing")
    );
}

#[tokio::test]
async fn a_service_of_two_deployments_shows_the_pick_list() {
    let (_server, mut app, _exec, _dir) = shop(
        r#"
[[services]]
name = "shop"
namespace = "acme"
selector = "app in (checkout, ingest)"
"#,
    )
    .await;
    fire(&mut app, "ShopDown", &[("service", "shop")]);
    key(&mut app, KeyCode::Char('R'));
    let Some(Overlay::TargetPick { targets, .. }) = &app.overlay else {
        panic!("no pick list: {:?} {:?}", app.overlay, app.flash);
    };
    assert_eq!(
        targets,
        &[
            WorkloadKey::new(NS, "checkout"),
            WorkloadKey::new(NS, "ingest")
        ]
    );
    let text = sitrep::ui::render_text(&app, app.size.0, app.size.1);
    assert!(text.contains("rollback: which deployment?"), "{text}");
    assert!(text.contains("ShopDown is about service shop"), "{text}");
    assert!(
        text.contains("deployment acme/checkout in context test"),
        "{text}"
    );
    assert!(
        text.contains("deployment acme/ingest in context test"),
        "{text}"
    );
    // Picking checkout goes on to its rollback dialog, then to the confirmation.
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::RollbackDialog { deployment, .. }) = &app.overlay else {
        panic!("no rollback dialog: {:?}", app.overlay);
    };
    assert_eq!(deployment, &WorkloadKey::new(NS, "checkout"));
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Confirm { action, .. }) = &app.overlay else {
        panic!("no confirmation: {:?}", app.overlay);
    };
    assert!(matches!(
        action,
        Action::Rollback { deployment, revision: Some(1), place }
            if deployment == "checkout" && place.namespace == NS
    ));
}

#[tokio::test]
async fn logs_forbidden_to_the_identity_are_said_once_in_the_logs_pane() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    // May see pods, deployments and replica sets, but not read their logs.
    server.with(|s| {
        s.tokens.insert("nologs-token".into(), "nologs".into());
        let read = ["get", "list", "watch"];
        s.rbac.grant("nologs", &read, "", &["pods"], Some(NS));
        s.rbac.grant(
            "nologs",
            &read,
            "apps",
            &["deployments", "replicasets"],
            Some(NS),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let kube = server.kube_config(dir.path(), "nologs", "");
    let conn = sitrep::sources::kube::connect(&kube).await.unwrap();
    let (tx, mut rx) = mpsc::channel(8192);
    let (mut tasks, pods) = sitrep::sources::kube::spawn_with_pods(&conn, tx.clone());
    let (targets, tailer) = sitrep::sources::kube_logs::spawn(
        conn.client.clone(),
        pods,
        kube.tail_settings(),
        kube.max_log_streams,
        tx,
    );
    tasks.push(tailer);
    let mut app = kube_server::client::live_app(
        &conn,
        Config {
            kubernetes: Some(kube),
            ..Config::default()
        },
    );
    app.size = (200, 50);
    let mut forbidden = 0;
    let mut asked = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => ev.unwrap(),
            _ = tick.tick() => Event::Tick(jiff::Timestamp::now()),
            _ = tokio::time::sleep_until(deadline) => break,
        };
        if let Event::Observed(_, Observation::Forbidden(f)) = &ev
            && f.resource == "pods/log"
        {
            forbidden += 1;
        }
        let mut effects = app.update(ev);
        // Once the pods are in, the operator looks at the logs of checkout.
        if !asked && app.pods.select_workload(&WorkloadKey::new(NS, "checkout")) {
            asked = true;
            app.focus = Pane::Pods;
            effects.extend(app.run(Command::Focus(sitrep::command::FocusTarget::Pane(
                Pane::Logs,
            ))));
        }
        for e in effects {
            if let Effect::TailLogs(t) = e {
                targets.send(t).await.unwrap();
            }
        }
    }
    tasks.iter().for_each(|t| t.abort());
    assert!(asked, "the pods arrived");
    // One request per container of checkout's three pods, none retried in six seconds.
    assert_eq!(server.count(|r| r.path.ends_with("/log")), 3);
    assert_eq!(forbidden, 1, "said once, not once per stream or retry");
    assert_eq!(
        app.access.notes(Pane::Logs),
        ["pods/log: get forbidden for nologs in acme; logs unavailable"]
    );
    let text = sitrep::ui::render_text(&app, app.size.0, app.size.1);
    assert!(
        text.contains("pods/log: get forbidden for nologs in acme; logs unavailable"),
        "{text}"
    );
}

#[tokio::test]
async fn sitrep_check_asks_the_cluster_about_namespaces_workloads_and_claims() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    server.put("namespaces", serde_json::json!({"metadata": {"name": NS}}));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path(), "admin");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[kubernetes]
kubeconfig = {:?}
namespaces = ["acme"]

[[services]]
name = "checkout"
namespace = "acme"
workloads = ["checkout", "payments"]

[[services]]
name = "shop"
namespace = "acme"
selector = "app in (checkout, ingest)"

[[services]]
name = "ghost"
namespace = "nowhere"

[[services]]
name = "canary"
namespace = "acme"
selector = "tier=canary"
"#,
            kubeconfig.display().to_string()
        ),
    )
    .unwrap();
    let run = config.clone();
    let home = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(["check", "--config"])
            .arg(&run)
            .env("SITREP_CONFIG_DIR", &home)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let file = config.display().to_string();
    let mut got: Vec<&str> = stdout.lines().collect();
    got.sort();
    let mut want = vec![
        format!("{file}:8: service `checkout`: no deployment `payments` in namespace acme"),
        format!(
            "{file}:11: service `shop`: deployment acme/checkout is already claimed by service `checkout`"
        ),
        format!("{file}:17: service `ghost`: namespace `nowhere` does not exist on the cluster"),
        format!(
            "{file}:22: service `canary`: selector `tier=canary` selects no deployment in namespace acme"
        ),
    ];
    want.sort();
    assert_eq!(got, want, "{stdout}");
}
