//! `sitrep check` with the cluster reachable: what only the cluster can say about
//! `[[services]]`. A namespace that does not exist, a workload no namespace holds, a
//! selector that selects nothing, one deployment claimed by two services: each named with
//! the config line of the value. What the identity may not list is left to the access table.

use std::collections::BTreeMap;
use std::ops::Range;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};
use toml::Spanned;

use crate::config::ServiceConfig;

/// A deployment's name and labels.
type Labelled = (String, BTreeMap<String, String>);

/// A problem and the span of the value it is about.
pub type Problem = (Option<Range<usize>>, String);

fn span<T>(v: &Spanned<T>) -> Option<Range<usize>> {
    let s = v.span();
    (s.end > s.start).then_some(s)
}

/// Checks every service against the cluster; `watched` are the cockpit's namespaces (for
/// services that name none).
pub async fn check(
    client: &Client,
    watched: &[String],
    services: &[ServiceConfig],
) -> Vec<Problem> {
    let mut out = Vec::new();
    // Namespace → its deployments (name, labels); `None` when they cannot be listed.
    let mut listed: BTreeMap<String, Option<Vec<Labelled>>> = BTreeMap::new();
    // (namespace, deployment) → the services claiming it, in config order.
    let mut claims: BTreeMap<(String, String), Vec<&ServiceConfig>> = BTreeMap::new();
    for s in services {
        let namespaces: Vec<String> = match &s.namespace {
            Some(ns) => {
                let ns = ns.get_ref();
                // 404: it does not exist. A 403 says nothing; the deployments list may.
                if let Ok(None) = Api::<Namespace>::all(client.clone()).get_opt(ns).await {
                    out.push((
                        s.namespace.as_ref().and_then(span),
                        format!(
                            "service `{}`: namespace `{ns}` does not exist on the cluster",
                            s.name()
                        ),
                    ));
                    continue;
                }
                vec![ns.clone()]
            }
            None => watched.iter().filter(|n| !n.is_empty()).cloned().collect(),
        };
        let mut seen_any = false;
        let mut found: Vec<String> = Vec::new();
        let mut selected = false;
        for ns in &namespaces {
            if !listed.contains_key(ns) {
                let items = Api::<Deployment>::namespaced(client.clone(), ns)
                    .list(&ListParams::default())
                    .await
                    .ok()
                    .map(|l| {
                        l.items
                            .iter()
                            .map(|d| (d.name_any(), super::kube_convert::workload_labels(d)))
                            .collect()
                    });
                listed.insert(ns.clone(), items);
            }
            let Some(Some(deployments)) = listed.get(ns) else {
                continue;
            };
            seen_any = true;
            for (name, labels) in deployments {
                if s.claims(ns, name, labels) {
                    claims
                        .entry((ns.clone(), name.clone()))
                        .or_default()
                        .push(s);
                }
                if s.workload_names().contains(&name.as_str()) {
                    found.push(name.clone());
                }
                if s.selector().is_some_and(|sel| sel.matches(labels)) {
                    selected = true;
                }
            }
        }
        if !seen_any {
            continue;
        }
        let in_ns = namespaces.join(", ");
        for w in &s.workloads {
            if !found.contains(w.get_ref()) {
                out.push((
                    span(w),
                    format!(
                        "service `{}`: no deployment `{}` in namespace {in_ns}",
                        s.name(),
                        w.get_ref()
                    ),
                ));
            }
        }
        if s.workloads.is_empty() && s.selector.is_none() && found.is_empty() {
            out.push((
                span(&s.name),
                format!(
                    "service `{}`: names no workloads and no deployment `{}` is in namespace {in_ns}",
                    s.name(),
                    s.name()
                ),
            ));
        }
        if let Some(sel) = &s.selector
            && !selected
        {
            out.push((
                span(sel),
                format!(
                    "service `{}`: selector `{}` selects no deployment in namespace {in_ns}",
                    s.name(),
                    sel.get_ref()
                ),
            ));
        }
    }
    for ((ns, name), by) in claims {
        if let [first, second, ..] = by.as_slice() {
            out.push((
                span(&second.name),
                format!(
                    "service `{}`: deployment {ns}/{name} is already claimed by service `{}`",
                    second.name(),
                    first.name()
                ),
            ));
        }
    }
    out
}

/// [`check`] for `sitrep check`, on its own runtime; a cluster that cannot be reached adds
/// nothing here (the access table says why).
pub fn check_blocking(
    kube: &crate::config::kube::KubernetesConfig,
    services: &[ServiceConfig],
) -> Vec<Problem> {
    if services.is_empty() {
        return Vec::new();
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let ask = async {
        let conn = crate::sources::kube::connect(kube).await.ok()?;
        Some(check(&conn.client, &conn.namespaces, services).await)
    };
    runtime
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(20), ask).await })
        .ok()
        .flatten()
        .unwrap_or_default()
}
