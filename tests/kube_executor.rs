//! The Kubernetes executor against the API test server: what each action sends, dry runs
//! that change nothing, and plain answers to 403, 409 and timeouts.
#![allow(clippy::unwrap_used)]

mod kube_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};
use sitrep::config::kube::KillSwitchConfig;
use sitrep::event::{Action, ActionOutcome, Place};
use sitrep::executors::Executor;
use sitrep::executors::kube::KubeExecutor;

/// Where the fixtures' deployments are: the test kubeconfig's context and namespace.
fn place() -> Place {
    Place::new("test", NS)
}

fn switches() -> Vec<KillSwitchConfig> {
    let cfg: sitrep::config::Config = toml::from_str(
        r#"
        [[kill_switches]]
        name = "strict"
        description = "Strict mode for the checkout"
        kind = "configmap"
        configmap = "acme-flags"
        data_key = "STRICT_MODE"
        on_value = "true"
        off_value = "false"

        [[kill_switches]]
        name = "stop-ingest"
        kind = "scale"
        deployment = "ingest"
        replicas = 0

        [[kill_switches]]
        name = "no-ai"
        kind = "env"
        deployment = "checkout"
        data_key = "AI_ENABLED"
        on_value = "false"
        off_value = "true"
        "#,
    )
    .unwrap();
    cfg.kill_switches
}

async fn setup(user: &str) -> (KubeServer, KubeExecutor, tempfile::TempDir) {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), user).await;
    let exec = KubeExecutor::new(
        conn.client,
        conn.namespaces,
        switches(),
        Duration::from_secs(2),
    )
    .in_context(conn.context);
    (server, exec, dir)
}

fn deployment(server: &KubeServer, name: &str) -> serde_json::Value {
    server
        .state
        .lock()
        .unwrap()
        .get("deployments", NS, name)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn rollback_dry_run_changes_nothing_then_the_rollback_does() {
    let (server, exec, _dir) = setup("admin").await;
    let action = Action::Rollback {
        deployment: "checkout".into(),
        revision: None,
        place: place(),
    };
    let before = deployment(&server, "checkout");
    let lines = exec.preview(action.clone()).unwrap().await.unwrap();
    assert!(
        lines[0].contains("dryRun=All") && lines[0].contains("as admin"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("from revision 2 to 1")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("pods touched: 3")),
        "{lines:?}"
    );
    assert_eq!(
        deployment(&server, "checkout"),
        before,
        "a dry run changes nothing"
    );
    let w = server.writes();
    assert_eq!(w.len(), 1);
    assert!(
        w[0].method == "PUT" && w[0].has("dryRun=All") && w[0].has("fieldManager=sitrep"),
        "{w:?}"
    );

    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    assert!(report.detail.contains("as admin"));
    let d = deployment(&server, "checkout");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "shop/checkout:1.4"
    );
    assert!(
        d["spec"]["template"]["metadata"]["labels"]
            .get("pod-template-hash")
            .is_none()
    );
    // The controller renumbers the old ReplicaSet: revision 1 comes back as revision 3.
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
    assert_eq!(
        d["metadata"]["annotations"]["kubernetes.io/change-cause"],
        "release shop/checkout:1.4"
    );
}

#[tokio::test]
async fn restart_scale_and_kill_switches_send_what_kubectl_would() {
    let (server, exec, _dir) = setup("admin").await;
    let ok =
        |r: sitrep::event::ActionReport| assert_eq!(r.outcome, ActionOutcome::Ok, "{}", r.detail);
    ok(exec
        .execute(Action::Restart {
            deployment: "checkout".into(),
            place: place(),
        })
        .await);
    let d = deployment(&server, "checkout");
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );

    ok(exec
        .execute(Action::Scale {
            deployment: "checkout".into(),
            replicas: 5,
            place: place(),
        })
        .await);
    assert_eq!(deployment(&server, "checkout")["spec"]["replicas"], 5);
    let last = server.writes().pop().unwrap();
    assert!(
        last.path.ends_with("/deployments/checkout/scale") && last.method == "PATCH",
        "{last:?}"
    );

    let switches = switches();
    assert_eq!(exec.kill_switch_state(&switches[0]).await, Some(false));
    ok(exec
        .execute(Action::KillSwitch {
            name: "strict".into(),
            on: true,
        })
        .await);
    let cm = server
        .state
        .lock()
        .unwrap()
        .get("configmaps", NS, "acme-flags")
        .cloned()
        .unwrap();
    assert_eq!(cm["data"]["STRICT_MODE"], "true");
    assert_eq!(cm["data"]["ai_enabled"], "true", "other keys stay");
    assert_eq!(exec.kill_switch_state(&switches[0]).await, Some(true));

    // Scale switch: on remembers 1 replica, off restores it.
    ok(exec
        .execute(Action::KillSwitch {
            name: "stop-ingest".into(),
            on: true,
        })
        .await);
    assert_eq!(deployment(&server, "ingest")["spec"]["replicas"], 0);
    assert_eq!(exec.kill_switch_state(&switches[1]).await, Some(true));
    ok(exec
        .execute(Action::KillSwitch {
            name: "stop-ingest".into(),
            on: false,
        })
        .await);
    assert_eq!(deployment(&server, "ingest")["spec"]["replicas"], 1);
    assert_eq!(exec.kill_switch_state(&switches[1]).await, Some(false));

    ok(exec
        .execute(Action::KillSwitch {
            name: "no-ai".into(),
            on: true,
        })
        .await);
    let env = &deployment(&server, "checkout")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(
        env[0],
        serde_json::json!({"name": "AI_ENABLED", "value": "false"})
    );
    assert_eq!(exec.kill_switch_state(&switches[2]).await, Some(true));
}

#[tokio::test]
async fn forbidden_is_refused_plainly_and_the_dry_run_says_so() {
    let (server, exec, _dir) = setup("viewer").await;
    let action = Action::Scale {
        deployment: "checkout".into(),
        replicas: 0,
        place: place(),
    };
    let why = exec.preview(action.clone()).unwrap().await.unwrap_err();
    assert!(
        why.contains("as viewer") && why.contains("forbidden"),
        "{why}"
    );
    let report = exec.execute(action).await;
    assert_eq!(report.outcome, ActionOutcome::Refused);
    assert!(
        report
            .detail
            .contains("User \"viewer\" cannot patch resource \"deployments/scale\""),
        "{}",
        report.detail
    );
    assert_eq!(deployment(&server, "checkout")["spec"]["replicas"], 3);
}

#[tokio::test]
async fn a_conflict_is_retried_on_fresh_state_and_a_timeout_is_reported() {
    let (server, exec, _dir) = setup("admin").await;
    server.with(|s| s.conflicts = 1);
    let report = exec
        .execute(Action::Rollback {
            deployment: "checkout".into(),
            revision: Some(1),
            place: place(),
        })
        .await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    let puts = server.writes().iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, 2, "one 409, one retry");

    server.with(|s| s.write_delay_ms = 5_000);
    let started = std::time::Instant::now();
    let report = exec
        .execute(Action::Restart {
            deployment: "ingest".into(),
            place: place(),
        })
        .await;
    assert_eq!(report.outcome, ActionOutcome::Failed);
    assert!(
        report.detail.contains("timed out after 2s"),
        "{}",
        report.detail
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// A feature-flag service: POST /flags/no-ai with body on|off, GET /flags/no-ai/status.
async fn flag_service() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let state = std::sync::Arc::new(std::sync::Mutex::new(false));
    let seen = calls.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (seen, state) = (seen.clone(), state.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let (seen, state) = (seen.clone(), state.clone());
                        async move {
                            let line = format!(
                                "{} {} {}",
                                req.method(),
                                req.uri().path(),
                                req.headers()
                                    .get("x-token")
                                    .map_or("", |v| v.to_str().unwrap())
                            );
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let body = String::from_utf8_lossy(&body).to_string();
                            seen.lock().unwrap().push(format!("{line} {body}"));
                            let answer = if line.starts_with("GET") {
                                format!(r#"{{"enabled": {}}}"#, state.lock().unwrap())
                            } else {
                                *state.lock().unwrap() = body == "on";
                                "ok".into()
                            };
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                                bytes::Bytes::from(answer),
                            )))
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (url, calls)
}

#[tokio::test]
async fn an_http_kill_switch_calls_the_flag_service_and_reads_its_state() {
    let (flags, calls) = flag_service().await;
    let server = KubeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
        [[kill_switches]]
        name = "no-ai"
        kind = "http"
        status_url = "{flags}/flags/no-ai/status"
        on = {{ url = "{flags}/flags/no-ai", body = "on", headers = {{ x-token = "t1" }} }}
        off = {{ method = "put", url = "{flags}/flags/no-ai", body = "off" }}
        "#
    );
    let cfg: sitrep::config::Config = toml::from_str(&text).unwrap();
    let conn = server.connect(dir.path(), "admin").await;
    let exec = KubeExecutor::new(
        conn.client,
        conn.namespaces,
        cfg.kill_switches.clone(),
        Duration::from_secs(2),
    );
    let ks = &cfg.kill_switches[0];
    assert_eq!(exec.kill_switch_state(ks).await, Some(false));
    let on = Action::KillSwitch {
        name: "no-ai".into(),
        on: true,
    };
    let lines = exec.preview(on.clone()).unwrap().await.unwrap();
    assert!(lines.iter().any(|l| l.contains("not called")), "{lines:?}");
    assert!(
        !calls.lock().unwrap().iter().any(|c| c.starts_with("POST")),
        "the preview calls nothing"
    );
    let r = exec.execute(on).await;
    assert_eq!(r.outcome, ActionOutcome::Ok, "{}", r.detail);
    assert_eq!(exec.kill_switch_state(ks).await, Some(true));
    let r = exec
        .execute(Action::KillSwitch {
            name: "no-ai".into(),
            on: false,
        })
        .await;
    assert_eq!(r.outcome, ActionOutcome::Ok, "{}", r.detail);
    let calls = calls.lock().unwrap().clone();
    assert!(
        calls.contains(&"POST /flags/no-ai t1 on".to_string()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"PUT /flags/no-ai  off".to_string()),
        "{calls:?}"
    );
    assert_eq!(exec.kill_switch_state(ks).await, Some(false));
}
