//! `delete-pod` on the real cluster: the dry run reads the pod and remembers its UID; the
//! deletion sends that UID as a precondition, so a newer pod of the same name (a
//! StatefulSet's, or one recreated by hand) is never deleted by mistake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, Preconditions};

use super::kube::{Attempt, Done, KubeExecutor, classify, failed};
use crate::event::Place;

/// The UID of each pod whose deletion was previewed, by context, namespace and name.
pub(super) type Previewed = Arc<Mutex<HashMap<(String, String, String), String>>>;

/// Who replaces a pod: its controller, as `ReplicaSet snapbuilder-serving-7d9c`, or none.
fn owner_of(p: &Pod) -> Option<String> {
    p.metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| format!("{} {}", o.kind, o.name))
}

impl KubeExecutor {
    pub(super) async fn delete_pod(
        &self,
        place: &Place,
        name: &str,
        dry_run: bool,
    ) -> Result<Done, Attempt> {
        let what = place.object("pod", name);
        self.holds(place, &what)?;
        let api: Api<Pod> = Api::namespaced(self.client().clone(), &place.namespace);
        let pod = match api.get_opt(name).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(Attempt::Failed(failed(format!("no {what}")))),
            Err(e) => return Err(classify(e, "get", "pods", name)),
        };
        let key = (
            place.context.clone(),
            place.namespace.clone(),
            name.to_string(),
        );
        let now = pod.metadata.uid.clone().unwrap_or_default();
        let uid = {
            let mut seen = self.previewed.lock().unwrap_or_else(|e| e.into_inner());
            if dry_run {
                seen.insert(key, now.clone());
                now
            } else {
                // The pod the operator saw in the preview, else the one there now.
                seen.remove(&key).unwrap_or(now)
            }
        };
        let dp = DeleteParams {
            dry_run,
            preconditions: (!uid.is_empty()).then(|| Preconditions {
                uid: Some(uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(name, &dp).await {
            Ok(_) => {}
            // Never retried: a fresh read would find the newer pod, the one not confirmed.
            Err(kube::Error::Api(s)) if s.code == 409 => {
                return Err(Attempt::Failed(failed(format!(
                    "not deleted: {what} is no longer the pod with UID {uid} \
                     (precondition failed: {})",
                    s.message
                ))));
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {
                return Err(Attempt::Failed(failed(format!(
                    "no {what}: it is already gone"
                ))));
            }
            Err(e) => return Err(classify(e, "delete", "pods", name)),
        }
        let verb = if dry_run {
            "would be deleted"
        } else {
            "deleted"
        };
        let after = match owner_of(&pod) {
            Some(owner) => format!("{owner} will create a replacement"),
            None => "a bare pod: nothing recreates it, it is gone for good".to_string(),
        };
        Ok(Done {
            detail: format!("{what} (UID {uid}) {verb}; {after}"),
            pods: 1,
            revisions: None,
        })
    }
}
