//! The describe view's lines, as `kubectl describe` lays them out: pure functions of the
//! objects the API server returned, so every line is a unit test.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, ContainerState, Pod};
use kube::ResourceExt;

use super::KubeEvent;

fn when(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> String {
    t.map_or_else(
        || "-".into(),
        |t| t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn state_lines(label: &str, s: Option<&ContainerState>, out: &mut Vec<String>) {
    let Some(s) = s else { return };
    if let Some(r) = &s.running {
        out.push(format!("    {label}: Running"));
        out.push(format!("      Started:    {}", when(r.started_at.as_ref())));
    } else if let Some(w) = &s.waiting {
        out.push(format!("    {label}: Waiting"));
        out.push(format!(
            "      Reason:     {}",
            w.reason.as_deref().unwrap_or("-")
        ));
    } else if let Some(t) = &s.terminated {
        out.push(format!("    {label}: Terminated"));
        out.push(format!(
            "      Reason:     {}",
            t.reason.as_deref().unwrap_or("-")
        ));
        out.push(format!("      Exit Code:  {}", t.exit_code));
        out.push(format!("      Started:    {}", when(t.started_at.as_ref())));
        out.push(format!(
            "      Finished:   {}",
            when(t.finished_at.as_ref())
        ));
    }
}

fn resources(c: &Container, out: &mut Vec<String>) {
    let Some(r) = &c.resources else { return };
    for (label, m) in [("Limits", &r.limits), ("Requests", &r.requests)] {
        let Some(m) = m.as_ref().filter(|m| !m.is_empty()) else {
            continue;
        };
        out.push(format!("    {label}:"));
        for (k, v) in m {
            out.push(format!("      {k}: {}", v.0));
        }
    }
}

/// `kubectl describe pod` for `pod` and the events about it.
pub fn pod(pod: &Pod, events: &[KubeEvent], now: Timestamp) -> Vec<String> {
    let mut out = vec![
        format!("Name:         {}", pod.name_any()),
        format!("Namespace:    {}", pod.namespace().unwrap_or_default()),
    ];
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    out.push(format!(
        "Node:         {}",
        spec.and_then(|s| s.node_name.as_deref())
            .unwrap_or("<none>")
    ));
    out.push(format!(
        "Status:       {}",
        status.and_then(|s| s.phase.as_deref()).unwrap_or("Unknown")
    ));
    if let Some(reason) = status.and_then(|s| s.reason.as_deref()) {
        out.push(format!("Reason:       {reason}"));
    }
    if let Some(owner) = pod
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true))
    {
        out.push(format!("Controlled By: {}/{}", owner.kind, owner.name));
    }
    out.push("Containers:".into());
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    for c in spec.map_or(&[][..], |s| s.containers.as_slice()) {
        out.push(format!("  {}:", c.name));
        out.push(format!(
            "    Image:      {}",
            c.image.as_deref().unwrap_or("-")
        ));
        if let Some(cs) = statuses.iter().find(|s| s.name == c.name) {
            state_lines("State", cs.state.as_ref(), &mut out);
            state_lines("Last State", cs.last_state.as_ref(), &mut out);
            out.push(format!("    Ready:      {}", cs.ready));
            out.push(format!("    Restart Count: {}", cs.restart_count));
        }
        resources(c, &mut out);
    }
    out.push("Conditions:".into());
    out.push("  Type              Status".into());
    for c in status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]) {
        out.push(format!("  {:<17} {}", c.type_, c.status));
    }
    event_lines(events, now, &mut out);
    out
}

/// `kubectl describe deployment` for `d` and the events about it and its ReplicaSets.
pub fn deployment(d: &Deployment, events: &[KubeEvent], now: Timestamp) -> Vec<String> {
    let spec = Some(&d.spec);
    let status = d.status.as_ref();
    let mut out = vec![
        format!("Name:               {}", d.name_any()),
        format!("Namespace:          {}", d.namespace().unwrap_or_default()),
        format!(
            "Replicas:           {} desired | {} updated | {} total | {} available | {} unavailable",
            spec.and_then(|s| s.replicas).unwrap_or(1),
            status.and_then(|s| s.updated_replicas).unwrap_or(0),
            status.and_then(|s| s.replicas).unwrap_or(0),
            status.and_then(|s| s.available_replicas).unwrap_or(0),
            status.and_then(|s| s.unavailable_replicas).unwrap_or(0),
        ),
        format!(
            "StrategyType:       {}",
            spec.and_then(|s| s.strategy.as_ref())
                .and_then(|s| s.type_.as_deref())
                .unwrap_or("RollingUpdate")
        ),
    ];
    if let Some(rev) = d.annotations().get(crate::sources::kube_convert::REVISION) {
        out.push(format!("Revision:           {rev}"));
    }
    out.push("Pod Template:".into());
    let containers = spec
        .and_then(|s| s.template.spec.as_ref())
        .map_or(&[][..], |s| s.containers.as_slice());
    for c in containers {
        out.push(format!("  {}:", c.name));
        out.push(format!(
            "    Image:      {}",
            c.image.as_deref().unwrap_or("-")
        ));
        resources(c, &mut out);
    }
    out.push("Conditions:".into());
    out.push("  Type           Status  Reason".into());
    for c in status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]) {
        out.push(format!(
            "  {:<14} {:<7} {}",
            c.type_.as_deref().unwrap_or("-"),
            c.status.as_deref().unwrap_or("-"),
            c.reason.as_deref().unwrap_or("")
        ));
    }
    event_lines(events, now, &mut out);
    out
}

/// The `Events:` table: newest last, as kubectl prints it.
pub fn event_lines(events: &[KubeEvent], now: Timestamp, out: &mut Vec<String>) {
    if events.is_empty() {
        out.push("Events:       <none>".into());
        return;
    }
    out.push("Events:".into());
    out.push("  Type     Reason            Age     From               Message".into());
    let mut sorted: Vec<&KubeEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.last);
    for e in sorted {
        let age = crate::ui::format::age(now.duration_since(e.last));
        let age = if e.count > 1 {
            format!("{age} (x{})", e.count)
        } else {
            age
        };
        out.push(format!(
            "  {:<8} {:<17} {:<7} {:<18} {}",
            if e.warning { "Warning" } else { "Normal" },
            e.reason,
            age,
            e.source,
            e.note
        ));
    }
}
