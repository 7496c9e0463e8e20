//! Jobs, CronJobs and resource usage against the Kubernetes API test server: what the jobs
//! view and the pod and node rows show, and exactly which requests were sent, dry runs
//! included.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

mod kube_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::client::{cluster_executor, key, live_app, previewed};
use kube_server::fixtures::{self, NS};
use sitrep::app::Effect;
use sitrep::cluster::ClusterAction;
use sitrep::command::Command;
use sitrep::config::Config;
use sitrep::event::{Action, ActionOutcome, Event, Observation};
use sitrep::executors::Executor;
use sitrep::sources::poll::Poller;

async fn setup() -> (
    KubeServer,
    sitrep::sources::kube::Connection,
    tempfile::TempDir,
) {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    kube_server::cluster::cluster(&server);
    kube_server::jobs::jobs(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    (server, conn, dir)
}

fn obj(server: &KubeServer, resource: &str, name: &str) -> Option<serde_json::Value> {
    server
        .state
        .lock()
        .unwrap()
        .get(resource, NS, name)
        .cloned()
}

#[tokio::test]
async fn failed_jobs_and_cronjobs_reach_the_jobs_view_and_the_snapshot() {
    let (server, conn, _dir) = setup().await;
    let mut app = live_app(&conn, Config::default());
    let now = jiff::Timestamp::now();
    let mut poller = sitrep::sources::kube_jobs::JobsPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
    };
    for o in poller.poll().await.unwrap() {
        app.update(Event::Observed(now, o));
    }
    app.focus = sitrep::command::Pane::Pods;
    app.run(Command::Jobs);
    let screen = sitrep::ui::render_text(&app, 240, 60);
    assert!(
        screen.contains("jobs · 2 · 1 failing · cronjobs 1"),
        "{screen}"
    );
    assert!(
        screen.contains(
            "job reindex Failed failed 5/4 ≥3 BackoffLimitExceeded pods reindex-4xk2p Error exit 1"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("cronjob nightly-report `0 3 * * *` active 0"),
        "{screen}"
    );
    // The pods of the failed Job only, by the label the job controller sets.
    let reqs = server.requests();
    let lists: Vec<(String, String)> = reqs
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains("selfsubject"))
        .map(|r| (r.path.clone(), r.query.clone()))
        .collect();
    assert_eq!(
        lists,
        [
            (
                format!("/apis/batch/v1/namespaces/{NS}/jobs"),
                String::new()
            ),
            (
                format!("/api/v1/namespaces/{NS}/pods"),
                "&labelSelector=job-name%3Dreindex".to_string()
            ),
            (
                format!("/apis/batch/v1/namespaces/{NS}/cronjobs"),
                String::new()
            ),
        ]
    );
    // The describe view: the Failed condition, the pods and their last lines.
    let lines = cluster_executor(&conn)
        .describe_lines(&sitrep::cluster::DescribeTarget {
            namespace: NS.into(),
            kind: "Job".into(),
            name: "reindex".into(),
        })
        .await
        .unwrap()
        .join("\n");
    assert!(
        lines.contains(
            "Failed  True  BackoffLimitExceeded  Job has reached the specified backoff limit"
        ),
        "{lines}"
    );
    assert!(
        lines.contains("Backoff Limit:  4  (failing repeatedly)"),
        "{lines}"
    );
    assert!(
        lines.contains("Last lines of reindex-4xk2p:\n  reindexing 1200000 documents\n  FATAL: connection to search-0:9200 refused"),
        "{lines}"
    );
    assert!(lines.contains("FATAL: out of disk on /scratch"), "{lines}");
    // The snapshot reads them once too.
    let mut snap_app = live_app(&conn, Config::default());
    for o in sitrep::sources::kube_cluster_snapshot::cluster_observations(&conn).await {
        assert!(!matches!(o, Observation::SourceError { .. }), "{o:?}");
        snap_app.update(Event::Observed(now, o));
    }
    let snap = sitrep::sources::kube_cluster_snapshot::ClusterSnapshot::of(&snap_app);
    assert_eq!(snap.jobs.len(), 2);
    assert_eq!(snap.cronjobs[0].name, "nightly-report");
    let md = sitrep::sources::kube_cluster_snapshot::markdown(&snap);
    assert!(
        md.contains("- acme/reindex Failed attempts failed 5/4: BackoffLimitExceeded"),
        "{md}"
    );
    assert!(server.writes().is_empty(), "reading changes nothing");
}

#[tokio::test]
async fn a_rerun_is_a_dry_run_then_a_new_job_without_the_old_selector() {
    let (server, conn, _dir) = setup().await;
    let exec = cluster_executor(&conn);
    let rerun = Action::Cluster(ClusterAction::JobRerun {
        namespace: NS.into(),
        from_kind: "Job".into(),
        from: "reindex".into(),
        name: "reindex-rerun-abcde".into(),
    });
    let lines = exec.preview(rerun.clone()).unwrap().await.unwrap();
    assert_eq!(lines[0], "Server dry run (dryRun=All) as admin: accepted");
    assert_eq!(
        lines[1],
        "  job acme/reindex-rerun-abcde would be created from job/reindex"
    );
    assert!(
        obj(&server, "jobs", "reindex-rerun-abcde").is_none(),
        "a dry run creates nothing"
    );
    let report = exec.execute(rerun.clone()).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let job = obj(&server, "jobs", "reindex-rerun-abcde").unwrap();
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        "uid-jobs-acme-reindex-rerun-abcde",
        "the server's own selector, not the old Job's"
    );
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["args"][0],
        "--full"
    );
    assert_eq!(job["spec"]["backoffLimit"], 4);
    // The same name again: the server's 409 is reported, nothing forced.
    let again = exec.execute(rerun).await;
    assert_eq!(again.outcome, ActionOutcome::Failed);
    assert!(again.detail.contains("already exists"), "{}", again.detail);
    // From a CronJob: its jobTemplate, owned by it, as `kubectl create job --from`.
    let from_cron = Action::Cluster(ClusterAction::JobRerun {
        namespace: NS.into(),
        from_kind: "CronJob".into(),
        from: "nightly-report".into(),
        name: "nightly-report-rerun-abcde".into(),
    });
    let report = exec.execute(from_cron).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let job = obj(&server, "jobs", "nightly-report-rerun-abcde").unwrap();
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(
        job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    let sent: Vec<(String, String, String)> = server
        .writes()
        .into_iter()
        .map(|r| (r.method, r.path, r.query))
        .collect();
    let post = |q: &str| {
        (
            "POST".to_string(),
            format!("/apis/batch/v1/namespaces/{NS}/jobs"),
            q.to_string(),
        )
    };
    assert_eq!(
        sent,
        [
            post("&dryRun=All&fieldManager=sitrep"),
            post("&fieldManager=sitrep"),
            post("&fieldManager=sitrep"),
            post("&fieldManager=sitrep"),
        ]
    );
    let first = &server.writes()[0].body;
    assert!(
        !first.contains("controller-uid") && !first.contains("\"selector\""),
        "the old Job's selector and controller labels are not copied: {first}"
    );
}

#[tokio::test]
async fn suspend_and_resume_patch_the_cronjob() {
    let (server, conn, _dir) = setup().await;
    let exec = cluster_executor(&conn);
    let suspend = |on| {
        Action::Cluster(ClusterAction::CronJobSuspend {
            namespace: NS.into(),
            name: "nightly-report".into(),
            suspend: on,
        })
    };
    exec.preview(suspend(true)).unwrap().await.unwrap();
    assert_eq!(
        obj(&server, "cronjobs", "nightly-report").unwrap()["spec"]["suspend"],
        false
    );
    let report = exec.execute(suspend(true)).await;
    assert_eq!(
        report.detail,
        "cronjob acme/nightly-report suspended (as admin)"
    );
    assert_eq!(
        obj(&server, "cronjobs", "nightly-report").unwrap()["spec"]["suspend"],
        true
    );
    exec.execute(suspend(false)).await;
    let sent: Vec<(String, String, String, String)> = server
        .writes()
        .into_iter()
        .map(|r| (r.method, r.path, r.query, r.body))
        .collect();
    let patch = |q: &str, on: bool| {
        (
            "PATCH".to_string(),
            format!("/apis/batch/v1/namespaces/{NS}/cronjobs/nightly-report"),
            q.to_string(),
            format!(r#"{{"spec":{{"suspend":{on}}}}}"#),
        )
    };
    assert_eq!(
        sent,
        [
            patch("&dryRun=All&fieldManager=sitrep", true),
            patch("&fieldManager=sitrep", true),
            patch("&fieldManager=sitrep", false),
        ]
    );
}

#[tokio::test]
async fn usage_from_metrics_server_reaches_pod_and_node_rows() {
    let (server, conn, _dir) = setup().await;
    kube_server::metrics::metrics(&server);
    let mut app = live_app(&conn, Config::default());
    let now = jiff::Timestamp::now();
    let pod = Observation::Pod(sitrep::event::PodStatus {
        namespace: NS.into(),
        name: "checkout-7f9d6c5b4-a1b2c".into(),
        workload: "checkout".into(),
        revision: 2,
        phase: "Running".into(),
        reason: None,
        ready: true,
        restarts: 0,
        last_termination: None,
        node: "node-1".into(),
        created: now,
    });
    app.update(Event::Observed(now, pod));
    let mut poller = sitrep::sources::kube_metrics::MetricsPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
        absent: false,
    };
    for o in poller.poll().await.unwrap() {
        app.update(Event::Observed(now, o));
    }
    assert_eq!(
        app.pod_usage(NS, "checkout-7f9d6c5b4-a1b2c"),
        Some((1, 123_456 * 1024))
    );
    let screen = sitrep::ui::render_text(&app, 240, 60);
    assert!(screen.contains("1m 121Mi"), "{screen}");
    assert_eq!(app.cluster.usage.nodes["node-2"], (3120, 15 << 30));
    let paths: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("metrics.k8s.io"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            format!("/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods"),
            "/apis/metrics.k8s.io/v1beta1/nodes".to_string()
        ]
    );
}

#[tokio::test]
async fn without_metrics_server_it_is_said_once_and_not_asked_again() {
    let (server, conn, _dir) = setup().await;
    let mut app = live_app(&conn, Config::default());
    let now = jiff::Timestamp::now();
    let mut poller = sitrep::sources::kube_metrics::MetricsPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
        absent: false,
    };
    for o in poller.poll().await.unwrap() {
        app.update(Event::Observed(now, o));
    }
    let flash = app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(flash.starts_with("metrics API not available"), "{flash}");
    let second = tokio::time::timeout(Duration::from_millis(300), poller.poll()).await;
    assert!(second.is_err(), "no retry loop: the poller waits for good");
    let asked = server.count(|r| r.path.contains("metrics.k8s.io"));
    assert_eq!(asked, 1, "one request, then silence");
}

/// Reads the jobs and cronjobs once more into the cockpit, as the jobs poller's next tick does.
async fn poll_into(conn: &sitrep::sources::kube::Connection, app: &mut sitrep::app::App) {
    let mut poller = sitrep::sources::kube_jobs::JobsPoller {
        client: conn.client.clone(),
        namespaces: conn.namespaces.clone(),
    };
    let now = jiff::Timestamp::now();
    for o in poller.poll().await.unwrap() {
        app.update(Event::Observed(now, o));
    }
}

/// From the command to the verdict: the change is confirmed, carried out against the server,
/// and "did it work?" is answered from what the next poll of the cluster shows, never from
/// the executor's word alone.
#[tokio::test]
async fn suspend_and_rerun_are_verified_from_the_next_poll() {
    let (server, conn, _dir) = setup().await;
    let exec = cluster_executor(&conn);
    let mut app = live_app(&conn, Config::default());
    poll_into(&conn, &mut app).await;
    app.focus = sitrep::command::Pane::Pods;
    app.run(Command::Jobs);

    // Suspend: confirmed, done, and verified once the CronJob reads back suspended.
    let effects = app.run(Command::CronJobSuspend(Some("nightly-report".into())));
    let action = previewed(&effects);
    assert_eq!(
        key(&mut app, crossterm::event::KeyCode::Char('y')),
        [Effect::Execute(action.clone())]
    );
    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    app.update(Event::ActionDone(report));
    assert!(app.verifying.is_some(), "the change is being watched");
    assert_eq!(app.verdict, None, "not before the cluster shows it");
    poll_into(&conn, &mut app).await;
    let verdict = app.verdict.clone().expect("verified from the poll");
    assert!(
        verdict.starts_with("cronjob-suspend nightly-report")
            && verdict.contains(": recovered at T+")
            && verdict.ends_with("(cronjob nightly-report suspended)"),
        "{verdict}"
    );

    // Re-run: verified once the new Job shows running in the cockpit (the test server's
    // job controller starts one pod), not when the create was accepted.
    let effects = app.run(Command::JobRerun(Some("reindex".into())));
    let action = previewed(&effects);
    let Action::Cluster(ClusterAction::JobRerun { name, .. }) = &action else {
        panic!("a rerun: {action:?}")
    };
    let name = name.clone();
    assert_eq!(
        key(&mut app, crossterm::event::KeyCode::Char('y')),
        [Effect::Execute(action.clone())]
    );
    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    app.update(Event::ActionDone(report));
    assert!(
        app.verifying.is_some() && app.verdict.is_none(),
        "accepted is not yet running: {:?}",
        app.verdict
    );
    assert_eq!(obj(&server, "jobs", &name).unwrap()["status"]["active"], 1);
    poll_into(&conn, &mut app).await;
    let verdict = app.verdict.clone().expect("verified once it runs");
    assert!(
        verdict.starts_with("job-rerun reindex: recovered at T+")
            && verdict.ends_with(&format!("(job {name} running)")),
        "{verdict}"
    );
}
