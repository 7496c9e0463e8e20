//! `delete-pod` through the real Kubernetes executor against the API test server: the
//! preview is exactly one dry-run DELETE, the deletion names the previewed pod's UID as a
//! precondition, a pod recreated under the same name is never deleted, and each outcome is
//! reported in plain words.
#![allow(clippy::unwrap_used)]

mod kube_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};
use kube_server::store::Recorded;
use sitrep::event::{Action, ActionOutcome, Place};
use sitrep::executors::Executor;
use sitrep::executors::kube::KubeExecutor;

const POD: &str = "checkout-7f9d6c5b4-a1b2c";

async fn setup(user: &str) -> (KubeServer, KubeExecutor, tempfile::TempDir) {
    let server = KubeServer::start().await;
    fixtures::shop(&server);
    let dir = tempfile::tempdir().unwrap();
    let conn = server.connect(dir.path(), user).await;
    let exec = KubeExecutor::new(
        conn.client,
        conn.namespaces,
        Vec::new(),
        Duration::from_secs(2),
    )
    .in_context(conn.context);
    (server, exec, dir)
}

fn delete(pod: &str) -> Action {
    Action::DeletePod {
        pod: pod.into(),
        place: Place::new("test", NS),
    }
}

fn deletes(server: &KubeServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect()
}

fn body(r: &Recorded) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap()
}

fn stored(server: &KubeServer, pod: &str) -> Option<serde_json::Value> {
    server.state.lock().unwrap().get("pods", NS, pod).cloned()
}

#[tokio::test]
async fn the_preview_is_a_dry_run_and_the_deletion_names_the_previewed_uid() {
    let (server, exec, _dir) = setup("admin").await;
    let uid = stored(&server, POD).unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let lines = exec.preview(delete(POD)).unwrap().await.unwrap();
    let text = lines.join("\n");
    assert!(
        text.contains("dryRun=All") && text.contains("as admin"),
        "{text}"
    );
    assert!(
        text.contains("ReplicaSet checkout-7f9d6c5b4 will create a replacement"),
        "{text}"
    );
    assert!(stored(&server, POD).is_some(), "a dry run deletes nothing");
    let d = deletes(&server);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].path, format!("/api/v1/namespaces/{NS}/pods/{POD}"));
    assert_eq!(body(&d[0])["dryRun"], serde_json::json!(["All"]), "{d:?}");

    let report = exec.execute(delete(POD)).await;
    assert_eq!(report.outcome, ActionOutcome::Ok, "{}", report.detail);
    assert!(report.detail.contains(&uid), "{}", report.detail);
    assert!(report.detail.contains("as admin"), "{}", report.detail);
    let d = deletes(&server);
    assert_eq!(d.len(), 2, "{d:?}");
    let real = body(&d[1]);
    assert!(real.get("dryRun").is_none(), "{real}");
    assert_eq!(real["preconditions"]["uid"], uid.as_str(), "{real}");
    assert!(stored(&server, POD).is_none(), "the pod is gone");
    assert!(
        stored(&server, "checkout-7f9d6c5b4-d3e4f").is_some(),
        "only that pod"
    );
}

#[tokio::test]
async fn a_pod_recreated_under_the_same_name_is_not_deleted() {
    let (server, exec, _dir) = setup("admin").await;
    exec.preview(delete(POD)).unwrap().await.unwrap();
    // Between the confirmation and the deletion, the pod is replaced by one of its name.
    let mut newer = stored(&server, POD).unwrap();
    server.state.lock().unwrap().delete("pods", NS, POD);
    newer["metadata"]["uid"] = serde_json::json!("uid-the-newer-pod");
    server.put("pods", newer);
    let report = exec.execute(delete(POD)).await;
    assert_eq!(report.outcome, ActionOutcome::Failed, "{}", report.detail);
    assert!(
        report.detail.contains("no longer the pod with UID")
            && report.detail.contains("Precondition failed"),
        "{}",
        report.detail
    );
    assert_eq!(
        stored(&server, POD).unwrap()["metadata"]["uid"],
        "uid-the-newer-pod",
        "the newer pod stays"
    );
    assert_eq!(
        deletes(&server).len(),
        2,
        "a precondition failure is not retried"
    );
}

#[tokio::test]
async fn a_missing_pod_a_bare_pod_and_a_forbidden_delete_are_said_plainly() {
    let (server, exec, _dir) = setup("admin").await;
    let why = exec
        .preview(delete("checkout-gone"))
        .unwrap()
        .await
        .unwrap_err();
    assert!(why.contains("no pod acme/checkout-gone"), "{why}");

    let mut bare = fixtures::pod("debug-x", "shell", true, &["app"]);
    bare["metadata"]["ownerReferences"] = serde_json::json!([]);
    bare["metadata"]["name"] = serde_json::json!("debug-shell");
    server.put("pods", bare);
    let lines = exec.preview(delete("debug-shell")).unwrap().await.unwrap();
    assert!(lines.join("\n").contains("gone for good"), "{lines:?}");

    let (server, exec, _dir) = setup("viewer").await;
    let report = exec.execute(delete(POD)).await;
    assert_eq!(report.outcome, ActionOutcome::Refused, "{}", report.detail);
    assert!(report.detail.contains("forbidden"), "{}", report.detail);
    assert!(stored(&server, POD).is_some());
}

#[tokio::test]
async fn the_test_server_answers_delete_as_the_api_server_does() {
    let (server, _exec, dir) = setup("admin").await;
    let conn = server.connect(dir.path(), "admin").await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(conn.client, NS);
    let dp = |uid: &str| kube::api::DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: Some(uid.into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    match pods.delete(POD, &dp("not-its-uid")).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert!(
                s.message
                    .contains("Precondition failed: UID in precondition: not-its-uid")
            );
        }
        other => panic!("{other:?}"),
    }
    match pods.delete("nope", &Default::default()).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (404, "NotFound"));
            assert_eq!(s.message, "pods \"nope\" not found");
        }
        other => panic!("{other:?}"),
    }
    let mut watch = std::pin::pin!(kube::runtime::watcher(pods.clone(), Default::default()));
    use futures::StreamExt;
    // The initial list, then the deletion.
    let uid = stored(&server, POD).unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    loop {
        if let Some(Ok(kube::runtime::watcher::Event::InitDone)) = watch.next().await {
            break;
        }
    }
    let gone = pods.delete(POD, &dp(&uid)).await.unwrap();
    assert!(gone.left().unwrap().metadata.deletion_timestamp.is_some());
    let deleted = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(kube::runtime::watcher::Event::Delete(p))) = watch.next().await {
                return p;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(deleted.metadata.name.as_deref(), Some(POD));
}
