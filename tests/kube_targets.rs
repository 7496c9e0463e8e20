//! Exact targets against the Kubernetes API test server: two namespaces hold a deployment of
//! the same name, and the confirmation, the request the API server receives and the journal
//! all name the one the operator chose: context, namespace and name.
#![allow(clippy::unwrap_used)] // a failed set-up should stop the test loudly

mod kube_server;

use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use kube_server::KubeServer;
use kube_server::client::live_app;
use kube_server::fixtures::{self, NS};
use sitrep::app::overlay::Overlay;
use sitrep::app::state::WorkloadKey;
use sitrep::app::{App, Effect};
use sitrep::command::Command;
use sitrep::config::Config;
use sitrep::config::kube::KubernetesConfig;
use sitrep::event::{Action, ActionOutcome, Event, Place};
use sitrep::executors::Executor;
use sitrep::executors::kube::KubeExecutor;
use tokio::sync::mpsc;

const TWIN: &str = "beta";

fn key(app: &mut App, c: KeyCode) -> Vec<Effect> {
    app.update(Event::Input(TermEvent::Key(KeyEvent::new(
        c,
        KeyModifiers::NONE,
    ))))
}

/// The shop in `acme` and its twin in `beta`, watched in both; the cockpit and the executor.
async fn twins(all: bool) -> (KubeServer, App, KubeExecutor, tempfile::TempDir) {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    kube_server::twins::copy_namespace(&server, NS, TWIN);
    let dir = tempfile::tempdir().unwrap();
    let cfg = KubernetesConfig {
        namespaces: if all {
            Vec::new()
        } else {
            vec![NS.into(), TWIN.into()]
        },
        all_namespaces: all,
        ..server.kube_config(dir.path(), "admin", "")
    };
    let conn = sitrep::sources::kube::connect(&cfg).await.unwrap();
    let exec = KubeExecutor::new(
        conn.client.clone(),
        conn.namespaces.clone(),
        Vec::new(),
        Duration::from_secs(5),
    )
    .in_context(conn.context.clone());
    let (tx, mut rx) = mpsc::channel(1024);
    let tasks = sitrep::sources::kube::spawn(&conn, tx);
    let mut app = live_app(&conn, Config::default());
    app.size = (200, 50);
    let both = |app: &App| {
        [NS, TWIN].iter().all(|ns| {
            app.pods
                .deployment(&WorkloadKey::new(*ns, "checkout"))
                .is_some_and(|d| d.history.len() == 2)
        })
    };
    while !both(&app) {
        let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        app.update(ev);
    }
    tasks.iter().for_each(|t| t.abort());
    (server, app, exec, dir)
}

fn image(server: &KubeServer, ns: &str) -> String {
    let s = server.state.lock().unwrap();
    let d = s.get("deployments", ns, "checkout").unwrap();
    d["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_confirmation_the_request_and_the_journal_name_the_same_object() {
    let (server, mut app, exec, _dir) = twins(false).await;
    app.run(Command::IncidentOpen("checkout errors".into()));
    assert!(app.pods.many_namespaces());

    // A name two namespaces hold is asked about, never settled by taking the first.
    app.run(Command::Rollback {
        deployment: Some("checkout".into()),
        revision: None,
    });
    assert!(app.overlay.is_none());
    let flash = app.flash.as_ref().unwrap().text.clone();
    assert!(
        flash.contains("acme, beta") && flash.contains("acme/checkout"),
        "{flash}"
    );

    // Selected in the pods pane, `R` offers the twin's revisions; picking one confirms it.
    let twin = WorkloadKey::new(TWIN, "checkout");
    assert!(app.pods.select_workload(&twin));
    key(&mut app, KeyCode::Char('R'));
    let Some(Overlay::RollbackDialog { deployment, .. }) = &app.overlay else {
        panic!("no rollback dialog: {:?}", app.overlay);
    };
    assert_eq!(deployment, &twin);
    let effects = key(&mut app, KeyCode::Enter);
    let Some(Overlay::Confirm { action, lines, .. }) = &app.overlay else {
        panic!("no confirmation: {:?}", app.overlay);
    };
    let action = action.clone();
    assert_eq!(
        action,
        Action::Rollback {
            deployment: "checkout".into(),
            revision: Some(1),
            place: Place::new("test", TWIN),
        }
    );
    assert_eq!(
        lines[0], "Roll back deployment beta/checkout in context test",
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("shop/checkout:1.4-beta")),
        "the twin's own revisions: {lines:?}"
    );
    assert!(effects.contains(&Effect::Preview(action.clone())));

    // The dry run and the change reach exactly beta/checkout.
    let preview = exec.preview(action.clone()).unwrap().await;
    assert!(preview.is_ok(), "{preview:?}");
    let effects = key(&mut app, KeyCode::Char('y'));
    assert_eq!(effects, [Effect::Execute(action.clone())]);
    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let writes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("selfsubject"))
        .collect();
    assert_eq!(writes.len(), 2, "a dry run and the change: {writes:?}");
    for w in &writes {
        assert_eq!(
            (w.method.as_str(), w.path.as_str()),
            ("PUT", "/apis/apps/v1/namespaces/beta/deployments/checkout")
        );
    }
    assert_eq!(image(&server, TWIN), "shop/checkout:1.4-beta");
    assert_eq!(image(&server, NS), "shop/checkout:1.5", "acme is untouched");

    let effects = app.update(Event::ActionDone(report));
    let journaled: Vec<String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::JournalAppend { entry, .. } => Some(entry.text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        journaled
            .iter()
            .any(|t| t == "deployment/checkout in beta on test from 2 to 1"),
        "{journaled:?}"
    );
}

#[tokio::test]
async fn the_executor_refuses_what_it_cannot_name_exactly() {
    let (server, _app, exec, _dir) = twins(false).await;
    let other_context = Action::Restart {
        deployment: "checkout".into(),
        place: Place::new("prod", NS),
    };
    let no_namespace = Action::Restart {
        deployment: "checkout".into(),
        place: Place::new("test", ""),
    };
    let elsewhere = Action::Scale {
        deployment: "checkout".into(),
        replicas: 1,
        place: Place::new("test", "gamma"),
    };
    for (action, why) in [
        (other_context, "not in context test"),
        (no_namespace, "names no namespace"),
        (elsewhere, "no deployment gamma/checkout"),
    ] {
        let report = exec.execute(action).await;
        assert_ne!(report.outcome, ActionOutcome::Ok);
        assert!(report.detail.contains(why), "{}", report.detail);
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.contains("selfsubject")),
        "nothing was written"
    );
}

#[tokio::test]
async fn all_namespaces_watches_both_and_acts_on_the_one_named() {
    let (server, mut app, exec, _dir) = twins(true).await;
    assert!(
        app.caps.banner.contains("all namespaces"),
        "{}",
        app.caps.banner
    );
    app.run(Command::Restart {
        deployment: Some("acme/checkout".into()),
    });
    let Some(Overlay::Confirm { action, lines, .. }) = &app.overlay else {
        panic!("no confirmation: {:?} {:?}", app.overlay, app.flash);
    };
    assert!(lines[0].starts_with("Restart deployment acme/checkout in context test"));
    let report = exec.execute(action.clone()).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let patches: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        patches,
        ["/apis/apps/v1/namespaces/acme/deployments/checkout"]
    );
}
