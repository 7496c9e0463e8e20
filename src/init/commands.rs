//! Facts from one shell command in a runbook: namespaces, deployments and selectors from
//! kubectl, kill-switch candidates from flags and scale-to-zero, health URLs from curl.

use super::findings::{Findings, Origin, Switch, SwitchKind};
use super::promql::{self, Verdict};
use super::prose;
use super::shell::{self, Reading};

/// One command: its facts into `f`, or the reason it was skipped.
pub(super) fn command(f: &mut Findings, cmd: &str, origin: Origin, name: Option<String>) {
    let facts = match shell::read(cmd) {
        Reading::Skipped(why) => {
            f.skip(origin, cmd, format!("command not read: {why}"));
            return;
        }
        Reading::Read(facts) => facts,
    };
    let mut placed = false;
    for ns in facts.namespaces {
        Findings::note(&mut f.namespaces, ns, &origin);
        placed = true;
    }
    for d in facts.deployments {
        Findings::note(&mut f.deployments, d, &origin);
        placed = true;
    }
    for sel in facts.selectors {
        Findings::note(&mut f.selectors, sel, &origin);
        placed = true;
    }
    if let Some((namespace, deployment)) = facts.scale_to_zero {
        let name = name
            .clone()
            .unwrap_or_else(|| format!("{deployment}-to-zero"));
        add_switch(
            f,
            name,
            SwitchKind::Scale {
                namespace,
                deployment,
            },
            &origin,
        );
    }
    for (namespace, deployment, key, on) in facts.env_sets {
        let (k, v) = (key.clone(), on.clone());
        offer_switch(f, &name, &origin, cmd, &k, &v, |off| SwitchKind::Env {
            namespace,
            deployment,
            key,
            on,
            off,
        });
    }
    for (namespace, configmap, key, on) in facts.configmap_sets {
        let (k, v) = (key.clone(), on.clone());
        offer_switch(f, &name, &origin, cmd, &k, &v, |off| {
            SwitchKind::Configmap {
                namespace,
                configmap,
                key,
                on,
                off,
            }
        });
    }
    for url in facts.urls {
        if !crate::runbook::placeholders(&url).is_empty() {
            f.skip(origin.clone(), &url, "a URL with a placeholder to fill in");
        } else if is_health_url(&url) {
            Findings::note(&mut f.health, url, &origin);
            placed = true;
        } else {
            f.skip(
                origin.clone(),
                &url,
                "a URL that is neither a health endpoint nor the Prometheus API",
            );
        }
    }
    for (base, q) in facts.prom_queries {
        match promql::classify(&q) {
            Verdict::Query(info) => {
                f.add_query(
                    &q,
                    None,
                    "",
                    origin.clone(),
                    "the query= of a Prometheus API call",
                    info,
                );
            }
            Verdict::BareMetric => {
                let info = promql::info(&q);
                f.add_query(
                    &q,
                    None,
                    "",
                    origin.clone(),
                    "the query= of a Prometheus API call",
                    info,
                );
            }
            Verdict::NotAQuery => f.skip(
                origin.clone(),
                &q,
                "the query= of a Prometheus API call is a name or number, not a query",
            ),
            Verdict::Invalid(e) => f.skip(
                origin.clone(),
                &q,
                format!("the query= of a Prometheus API call is not PromQL: {e}"),
            ),
        }
        if crate::runbook::placeholders(&base).is_empty() {
            Findings::note(&mut f.prometheus, base, &origin);
        }
        placed = true;
    }
    if !placed && !f.switches.iter().any(|s| s.origin == origin) {
        let program = cmd.split_whitespace().next().unwrap_or("");
        f.skip(
            origin,
            cmd,
            format!(
                "a {program} command with no namespace, deployment, selector or URL sitrep can use"
            ),
        );
    }
}

pub(super) fn flag_name(key: &str) -> String {
    key.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// A flag a command sets to `on`, as a kill switch when the value that turns it back is
/// plain (`true`/`false`, `on`/`off`...); skipped with the reason otherwise.
fn offer_switch(
    f: &mut Findings,
    name: &Option<String>,
    origin: &Origin,
    cmd: &str,
    key: &str,
    on: &str,
    kind: impl FnOnce(String) -> SwitchKind,
) {
    match prose::inverse(on) {
        Some(off) => {
            let name = name.clone().unwrap_or_else(|| flag_name(key));
            add_switch(f, name, kind(off), origin);
        }
        None => f.skip(
            origin.clone(),
            cmd,
            format!("sets {key}={on}, but there is no obvious value that turns it back"),
        ),
    }
}

pub(super) fn add_switch(f: &mut Findings, name: String, kind: SwitchKind, origin: &Origin) {
    if f.switches.iter().any(|s| s.kind == kind) {
        return;
    }
    let mut unique = name.clone();
    let mut n = 2;
    while f.switches.iter().any(|s| s.name == unique) {
        unique = format!("{name}-{n}");
        n += 1;
    }
    f.switches.push(Switch {
        name: unique,
        kind,
        origin: origin.clone(),
    });
}

/// Paths that answer health checks.
fn is_health_url(url: &str) -> bool {
    let path = url.split_once("://").map_or(url, |(_, r)| r);
    let path = path
        .find('/')
        .map_or("", |i| &path[i..])
        .to_ascii_lowercase();
    [
        "health", "healthz", "ready", "readyz", "live", "livez", "ping", "status",
    ]
    .iter()
    .any(|w| path.split(['/', '?', '.', '-', '_']).any(|seg| seg == *w))
}
