//! Argo Rollouts against the Kubernetes API test server: discovered only where the CRD is
//! served, watched through the dynamic API into the pods pane, and nothing at all (no
//! request past discovery, no error) where it is not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

mod kube_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::client::{cluster_executor, key, live_app, previewed};
use kube_server::fixtures::{self, NS};
use serde_json::json;
use sitrep::config::Config;
use sitrep::event::{Event, Observation};
use tokio::sync::mpsc;

async fn next_rollout(rx: &mut mpsc::Receiver<Event>) -> sitrep::cluster::rollouts::RolloutStatus {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a rollout within 10 s")
            .expect("the source is running");
        if let Event::Observed(_, Observation::Rollout(r)) = ev {
            return r;
        }
    }
}

#[tokio::test]
async fn with_the_crd_rollouts_show_with_weight_step_and_revisions() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    kube_server::rollouts::install(&server);
    server.put("rollouts", kube_server::rollouts::checkout());
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    assert!(
        sitrep::sources::kube_rollouts::served(&conn.client)
            .await
            .unwrap()
    );
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(sitrep::sources::kube_rollouts::watch(
        conn.client.clone(),
        conn.namespaces.clone(),
        None,
        tx,
    ));
    let r = next_rollout(&mut rx).await;
    assert_eq!((r.namespace.as_str(), r.name.as_str()), (NS, "checkout"));
    assert_eq!(
        r.summary(),
        "canary 20% · step 1/4 · stable 7d9c4b6f8 / canary 5f6b8c9d7 · paused"
    );
    let mut app = live_app(&conn, Config::default());
    app.update(Event::Observed(
        jiff::Timestamp::now(),
        Observation::Rollout(r),
    ));
    let screen = sitrep::ui::render_text(&app, 200, 50);
    assert!(
        screen.contains("checkout 5/4 ready rollout canary 20% · step 1/4 · stable 7d9c4b6f8"),
        "{screen}"
    );
    // `sitrep snapshot` lists it too.
    let listed = sitrep::sources::kube_snapshot::observations(&conn)
        .await
        .unwrap();
    let snap_app = {
        let mut a = live_app(&conn, Config::default());
        for o in listed {
            a.update(Event::Observed(jiff::Timestamp::now(), o));
        }
        a
    };
    let snap = sitrep::snapshot::Snapshot::of(&snap_app, 1);
    assert_eq!(snap.rollouts.len(), 1);
    assert_eq!(snap.rollouts[0]["canary_weight"], json!(20));
    assert!(
        sitrep::snapshot::markdown(&snap).contains("- acme/checkout: canary 20% · step 1/4"),
        "{}",
        sitrep::snapshot::markdown(&snap)
    );
    // The controller moves on: the watch brings the change.
    let mut moved = kube_server::rollouts::checkout();
    moved["status"]["currentStepIndex"] = json!(2);
    moved["status"]["pauseConditions"] = serde_json::Value::Null;
    server.put("rollouts", moved);
    let r = next_rollout(&mut rx).await;
    assert_eq!(r.current_step, Some(2));
    assert_eq!(r.canary_weight, 50);
    assert!(!r.paused());
    task.abort();
}

#[tokio::test]
async fn without_the_crd_nothing_shows_and_nothing_is_said() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    assert!(
        !sitrep::sources::kube_rollouts::served(&conn.client)
            .await
            .unwrap()
    );
    let (tx, mut rx) = mpsc::channel(64);
    let watch = sitrep::sources::kube_rollouts::watch(
        conn.client.clone(),
        conn.namespaces.clone(),
        None,
        tx,
    );
    tokio::time::timeout(Duration::from_secs(5), watch)
        .await
        .expect("the source ends at once without the CRD");
    assert!(rx.recv().await.is_none(), "no observation, no error");
    let argo: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("argoproj.io"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        argo,
        ["/apis/argoproj.io/v1alpha1", "/apis/argoproj.io/v1alpha1"]
    );
}

#[tokio::test]
async fn the_server_serves_rollouts_as_a_crd_with_a_status_subresource() {
    let server = KubeServer::start().await;
    kube_server::rollouts::install(&server);
    server.put("rollouts", kube_server::rollouts::checkout());
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        conn.client.clone(),
        NS,
        &sitrep::sources::kube_rollouts::resource(),
    );
    let abort = json!({"status": {"abort": true}});
    let dry = kube::api::PatchParams {
        dry_run: true,
        ..Default::default()
    };
    // A dry run answers with the result and keeps nothing.
    let o = api
        .patch_status("checkout", &dry, &kube::api::Patch::Merge(&abort))
        .await
        .unwrap();
    assert_eq!(o.data["status"]["abort"], json!(true));
    let stored = || {
        server
            .state
            .lock()
            .unwrap()
            .get("rollouts", NS, "checkout")
            .cloned()
            .unwrap()
    };
    assert!(stored()["status"]["abort"].is_null());
    // The main resource ignores status; the status subresource keeps to status.
    api.patch(
        "checkout",
        &Default::default(),
        &kube::api::Patch::Merge(&abort),
    )
    .await
    .unwrap();
    assert!(stored()["status"]["abort"].is_null());
    let both = json!({"spec": {"paused": true}, "status": {"abort": true}});
    api.patch_status(
        "checkout",
        &Default::default(),
        &kube::api::Patch::Merge(&both),
    )
    .await
    .unwrap();
    assert_eq!(stored()["status"]["abort"], json!(true));
    assert!(stored()["spec"]["paused"].is_null());
    // No strategic merge on a custom resource.
    let e = api
        .patch(
            "checkout",
            &Default::default(),
            &kube::api::Patch::Strategic(&abort),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, kube::Error::Api(s) if s.code == 415));
}

/// The patches sent to the rollout: method, path, query and body, in order.
fn rollout_writes(server: &KubeServer) -> Vec<(String, String, String, String)> {
    server
        .writes()
        .into_iter()
        .filter(|r| r.path.contains("/rollouts/"))
        .map(|r| (r.method, r.path, r.query, r.body))
        .collect()
}

/// From the command to the verdict: `rollout-abort` on the selected Rollout is confirmed
/// with what it will do, sent as a dry run and then for real to the status subresource, and
/// judged from what the watch brings back once the controller has acted.
#[tokio::test]
async fn an_abort_is_previewed_confirmed_sent_and_verified_from_the_watch() {
    use sitrep::app::Effect;
    use sitrep::cluster::rollouts::RolloutOp;
    use sitrep::command::Command;
    use sitrep::event::ActionOutcome;
    use sitrep::executors::Executor;

    let server = KubeServer::start().await;
    fixtures::shop(&server);
    kube_server::rollouts::install(&server);
    server.put("rollouts", kube_server::rollouts::checkout());
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(sitrep::sources::kube_rollouts::watch(
        conn.client.clone(),
        conn.namespaces.clone(),
        None,
        tx,
    ));
    let mut app = live_app(&conn, Config::default());
    let r = next_rollout(&mut rx).await;
    app.update(Event::Observed(
        jiff::Timestamp::now(),
        Observation::Rollout(r),
    ));

    let effects = app.run(Command::Rollout(RolloutOp::Abort, Some("checkout".into())));
    let action = previewed(&effects);
    let Some(sitrep::app::Overlay::Confirm { lines, .. }) = &app.overlay else {
        panic!("no confirmation: {:?}", app.overlay)
    };
    let lines = lines.clone();
    assert_eq!(
        lines[0],
        format!("Abort Rollout {NS}/checkout in context test")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("100% of the traffic goes to stable 7d9c4b6f8")),
        "{lines:?}"
    );
    let exec = cluster_executor(&conn);
    let preview = exec.preview(action.clone()).unwrap().await.unwrap();
    assert!(
        preview.iter().any(|l| l.contains("would be sent")),
        "{preview:?}"
    );
    let stored = |server: &KubeServer| {
        server
            .state
            .lock()
            .unwrap()
            .get("rollouts", NS, "checkout")
            .cloned()
            .unwrap()
    };
    assert!(
        stored(&server)["status"]["abort"].is_null(),
        "a dry run keeps nothing"
    );
    let confirmed = key(&mut app, crossterm::event::KeyCode::Char('y'));
    assert_eq!(confirmed, [Effect::Execute(action.clone())]);
    let report = exec.execute(action.clone()).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    assert_eq!(stored(&server)["status"]["abort"], json!(true));
    let patch = |q: &str| {
        (
            "PATCH".to_string(),
            format!("/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/checkout/status"),
            q.to_string(),
            r#"{"status":{"abort":true}}"#.to_string(),
        )
    };
    assert_eq!(
        rollout_writes(&server),
        [
            patch("&dryRun=All&fieldManager=sitrep"),
            patch("&fieldManager=sitrep")
        ]
    );
    app.update(Event::ActionDone(report));
    // The abort flag alone is not the outcome: the controller has not moved traffic yet.
    let r = next_rollout(&mut rx).await;
    assert!(r.aborted, "{r:?}");
    app.update(Event::Observed(
        jiff::Timestamp::now(),
        Observation::Rollout(r.clone()),
    ));
    if r.canary_weight != 0 {
        assert_eq!(app.verdict, None, "not before the canary is at 0%");
        // What the controller does on abort: the canary's weight to 0.
        let mut done = stored(&server);
        done["status"]["canary"]["weights"]["canary"]["weight"] = json!(0);
        done["status"]["canary"]["weights"]["stable"]["weight"] = json!(100);
        done["status"]["phase"] = json!("Degraded");
        server.put("rollouts", done);
        let r = next_rollout(&mut rx).await;
        app.update(Event::Observed(
            jiff::Timestamp::now(),
            Observation::Rollout(r),
        ));
    }
    let verdict = app.verdict.clone().expect("verified from the watch");
    assert!(
        verdict.starts_with("rollout-abort checkout: recovered at T+")
            && verdict.ends_with("(rollout checkout aborted, canary at 0%)"),
        "{verdict}"
    );
    task.abort();
}
