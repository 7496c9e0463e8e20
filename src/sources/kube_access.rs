//! What the identity may do, asked of the API server: a SelfSubjectAccessReview for every
//! verb sitrep uses ([`crate::access::NEEDS`]) in every watched namespace, for `sitrep check`'s
//! table and for the cockpit, which greys out what it may not do before the operator tries.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};
use tokio::sync::mpsc;

use crate::access::{Access, AccessReport, NEEDS};
use crate::event::{Event, Observation};

/// The user the API server says we are (SelfSubjectReview).
pub async fn whoami(client: &Client) -> String {
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    match api
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
    {
        Ok(r) => r
            .status
            .and_then(|s| s.user_info)
            .and_then(|u| u.username)
            .unwrap_or_else(|| "unknown user".into()),
        Err(e) => {
            tracing::warn!("selfsubjectreview: {e}");
            "unknown user".into()
        }
    }
}

/// Asks about every verb sitrep uses, in each namespace (cluster-scoped ones once).
/// Namespaces `[""]` (all namespaces) ask at cluster scope.
pub async fn review(client: &Client, namespaces: &[String]) -> AccessReport {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let mut checks = Vec::new();
    for need in NEEDS {
        let scopes: Vec<&str> = if need.cluster {
            vec![""]
        } else {
            namespaces.iter().map(String::as_str).collect()
        };
        for ns in scopes {
            let (resource, sub) = match need.resource.split_once('/') {
                Some((r, s)) => (r, Some(s.to_string())),
                None => (need.resource, None),
            };
            let review = SelfSubjectAccessReview {
                spec: SelfSubjectAccessReviewSpec {
                    resource_attributes: Some(ResourceAttributes {
                        namespace: (!ns.is_empty()).then(|| ns.to_string()),
                        verb: Some(need.verb.into()),
                        group: Some(need.group.into()),
                        resource: Some(resource.into()),
                        subresource: sub,
                        ..ResourceAttributes::default()
                    }),
                    ..SelfSubjectAccessReviewSpec::default()
                },
                ..SelfSubjectAccessReview::default()
            };
            let (allowed, reason) = match api.create(&PostParams::default(), &review).await {
                Ok(r) => {
                    let st = r.status.unwrap_or_default();
                    (Some(st.allowed), st.reason.unwrap_or_default())
                }
                Err(e) => (None, e.to_string()),
            };
            checks.push(Access {
                verb: need.verb.into(),
                group: need.group.into(),
                resource: need.resource.into(),
                namespace: ns.into(),
                allowed,
                reason,
            });
        }
    }
    AccessReport {
        user: whoami(client).await,
        checks,
    }
}

/// Asks once at start and tells the cockpit.
pub async fn run(client: Client, namespaces: Vec<String>, tx: mpsc::Sender<Event>) {
    let report = review(&client, &namespaces).await;
    let _ = tx
        .send(Event::Observed(
            jiff::Timestamp::now(),
            Observation::Access(report),
        ))
        .await;
}
