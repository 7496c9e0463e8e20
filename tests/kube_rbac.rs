//! Permissions before they bite, against the Kubernetes API test server with a pods-only
//! identity (`podviewer`: get, list and watch pods in `acme`, as a common on-call role):
//! every pane says what it cannot see and for whom, once; forbidden watches are not retried
//! in a loop; `sitrep check` prints what the identity may do; actions it may not take are
//! refused before they are sent, with the reason.
#![allow(clippy::unwrap_used)] // a failed set-up should stop the test loudly

mod kube_server;

use std::time::Duration;

use k8s_openapi::api::authorization::v1::{SelfSubjectRulesReview, SelfSubjectRulesReviewSpec};
use kube::Api;
use kube::api::PostParams;
use kube_server::KubeServer;
use kube_server::client::live_app;
use kube_server::fixtures::{self, NS};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::app::App;
use sitrep::command::Command;
use sitrep::config::Config;
use sitrep::event::{Event, Observation};
use tokio::sync::mpsc;

fn screen(app: &App) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| sitrep::ui::draw(f, app)).unwrap();
    terminal
        .backend()
        .buffer()
        .content()
        .chunks(w as usize)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect()
}

#[tokio::test]
async fn the_server_reviews_access_as_the_api_does() {
    let server = KubeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "podviewer").await;
    let api: Api<SelfSubjectRulesReview> = Api::all(conn.client.clone());
    let review = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec {
            namespace: Some(NS.into()),
        },
        ..Default::default()
    };
    let rules = api.create(&PostParams::default(), &review).await.unwrap();
    let st = rules.status.unwrap();
    assert!(!st.incomplete);
    let pods = st
        .resource_rules
        .iter()
        .find(|r| r.resources.as_deref() == Some(&["pods".to_string()][..]))
        .unwrap();
    assert_eq!(pods.verbs, ["get", "list", "watch"]);
    assert!(
        !st.resource_rules
            .iter()
            .any(|r| r.resources.iter().flatten().any(|x| x == "deployments"))
    );

    let report = sitrep::sources::kube_access::review(&conn.client, &conn.namespaces).await;
    assert_eq!(report.user, "podviewer");
    assert!(!report.denied("list", "pods", NS));
    assert!(report.denied("list", "deployments", NS));
    assert!(report.denied("get", "pods/log", NS));
    assert!(report.denied("list", "nodes", ""));
    assert!(report.denied("update", "deployments", NS));
    let table = report.table();
    assert!(table.contains("Kubernetes access as podviewer"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("list") && l.contains("deployments.apps") && l.contains("NO")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.contains("watch") && l.contains("pods ") && l.contains("yes")),
        "{table}"
    );

    // The admin may do all of it.
    let admin = server.connect(dir.path(), "admin").await;
    let report = sitrep::sources::kube_access::review(&admin.client, &admin.namespaces).await;
    assert!(
        report.checks.iter().all(|c| c.allowed == Some(true)),
        "{}",
        report.table()
    );
}

#[tokio::test]
async fn a_pods_only_identity_sees_what_it_cannot_see_once_and_is_not_retried_in_a_loop() {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), "podviewer").await;
    let (tx, mut rx) = mpsc::channel(1024);
    let mut tasks = sitrep::sources::kube::spawn(&conn, tx.clone());
    tasks.push(tokio::spawn(sitrep::sources::kube_access::run(
        conn.client.clone(),
        conn.namespaces.clone(),
        tx,
    )));
    let mut app = live_app(&conn, Config::default());
    app.size = (220, 50);
    let mut forbidden = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Event::Observed(_, Observation::Forbidden(f)) = &ev {
            forbidden.push(f.clone());
        }
        if let Event::Observed(_, Observation::SourceError { error, .. }) = &ev {
            panic!("a 403 is not a source error: {error}");
        }
        app.update(ev);
    }
    tasks.iter().for_each(|t| t.abort());
    let mut said: Vec<String> = forbidden.iter().map(|f| f.resource.clone()).collect();
    said.sort();
    assert_eq!(
        said,
        ["deployments", "nodes", "replicasets"],
        "each said once"
    );
    assert!(forbidden.iter().all(|f| f.user == "podviewer"));
    // Six seconds of a forbidden watch: one list of each, no retry every second.
    let lists = |resource: &str| server.count(|r| r.method == "GET" && r.path.ends_with(resource));
    assert_eq!(lists("/deployments"), 1);
    assert_eq!(lists("/replicasets"), 1);
    assert_eq!(lists("/nodes"), 1);
    // The pods it may see arrive.
    assert_eq!(
        app.pods
            .workloads
            .values()
            .map(|w| w.pods.len())
            .sum::<usize>(),
        4
    );
    assert_eq!(
        app.access.notes(sitrep::command::Pane::Pods),
        [
            "deployments: list forbidden for podviewer in acme; workloads, revisions and rollback unavailable",
            "replicasets: list forbidden for podviewer in acme; revisions and rollback unavailable",
        ]
    );
    let text = screen(&app);
    assert!(
        text.contains("deployments: list forbidden for podviewer in acme;"),
        "{text}"
    );
    assert!(
        text.contains("replicasets: list forbidden for podviewer in acme;"),
        "{text}"
    );
    assert!(
        text.contains("nodes: list forbidden for podviewer; GPU capacity"),
        "{text}"
    );
    assert!(
        text.contains("checkout-7f9d6c5b4-a1b2c"),
        "the pods are shown: {text}"
    );

    // `:rollback checkout` says why, not "no deployment; known: " (empty).
    app.run(Command::Rollback {
        deployment: Some("checkout".into()),
        revision: None,
    });
    let flash = app.flash.as_ref().unwrap().text.clone();
    assert!(
        flash
            .starts_with("rollback unavailable: deployments: list forbidden for podviewer in acme"),
        "{flash}"
    );
    assert!(app.overlay.is_none());

    // Help lists what this identity may not do, from the access reviews.
    app.run(Command::Help);
    let help = screen(&app);
    assert!(help.contains("not permitted to this identity"), "{help}");
    assert!(
        help.contains("podviewer may not update deployments in acme"),
        "{help}"
    );
}

#[tokio::test]
async fn sitrep_check_prints_the_access_table() {
    let server = KubeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path(), "podviewer");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[kubernetes]\nkubeconfig = {:?}\n",
            kubeconfig.display().to_string()
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(["check", "--config"])
            .arg(&config)
            .env("SITREP_CONFIG_DIR", dir.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Kubernetes access as podviewer"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.contains("patch")
            && l.contains("deployments/scale.apps")
            && l.contains("NO")),
        "{stdout}"
    );
}
