//! The cluster of a drill made from a recording: `[[deployments]]` with their revisions
//! and lead-up logs, the rollouts seen before anyone acted (`[[events]]`), and the GPU
//! hosts (`[[gpus]]`) at their lead-up readings.

use std::fmt::Write as _;

use jiff::SignedDuration;

use super::drill_file::{num, q, secs};
use super::write::{Draft, drill_time, one_line};
use crate::config::limits;
use crate::event::DeploymentStatus;

/// A rollout the recording saw before anyone acted: drill time, deployment, image and
/// change cause.
pub(super) type Rollout = (SignedDuration, String, String, String);

/// `[[deployments]]` with their revisions and lead-up logs; returns the deployments'
/// names (never none: a stand-in when the recording has none) and the rollouts seen
/// before anyone acted.
pub(super) fn deployments(
    t: &mut String,
    d: &Draft,
    notes: &mut Vec<String>,
) -> (Vec<String>, Vec<Rollout>) {
    let p = &d.phases;
    let seen = d.seen;
    let first_act = seen.acts.first().map_or(p.end, |a| a.at);
    let lead_secs = drill_time(p, p.fault).as_secs_f64().max(1.0);
    let mut events = Vec::new();
    let mut deployments: Vec<String> = seen.deployments.iter().map(|(n, _)| n.clone()).collect();
    if deployments.is_empty() {
        notes.push("the recording has no deployments; the drill has a stand-in `service`".into());
        deployments.push("service".into());
    }
    for name in &deployments {
        let list = seen
            .deployments
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, l)| l.as_slice());
        let first = list.first().map(|(_, s)| s);
        let _ = writeln!(t, "[[deployments]]");
        let _ = writeln!(t, "name = {}", q(name));
        let replicas = first.map_or(1, |s| s.replicas).min(limits::REPLICAS.1);
        let _ = writeln!(t, "replicas = {replicas}");
        if first.is_some_and(|s| s.gpu) {
            let _ = writeln!(t, "gpu = true");
        }
        let nodes = seen
            .nodes
            .get(name)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| vec!["node-1".into()]);
        let nodes: Vec<String> = nodes.iter().map(|n| q(n)).collect();
        let _ = writeln!(t, "nodes = [{}]", nodes.join(", "));
        if let Some(before) = d.logs.before.get(name) {
            let templates = before.templates();
            if !templates.is_empty() {
                let rate = (before.lines as f64 / lead_secs).min(limits::LOG_RATE.1);
                let _ = writeln!(t, "log_rate = {}", num(rate));
                let _ = writeln!(t, "logs = [");
                for l in templates {
                    let _ = writeln!(t, "  {},", q(&l));
                }
                let _ = writeln!(t, "]");
            }
        }
        revisions(t, d, first);
        t.push('\n');
        let mut prev = first.map(|s| (s.revision, s.image.clone()));
        for (at, s) in list.iter().skip(1).filter(|(at, _)| *at < first_act) {
            if let Some((rev, image)) = &prev
                && s.revision > *rev
                && s.image != *image
            {
                let cause = s
                    .history
                    .iter()
                    .find(|h| h.revision == s.revision)
                    .map(|h| h.change_cause.clone())
                    .unwrap_or_default();
                events.push((drill_time(p, *at), name.clone(), s.image.clone(), cause));
            }
            prev = Some((s.revision, s.image.clone()));
        }
    }
    (deployments, events)
}

/// `[[deployments.revisions]]`: the kept revisions, oldest first, ending with the one
/// running at the start (`first`, the deployment as first seen).
fn revisions(t: &mut String, d: &Draft, first: Option<&DeploymentStatus>) {
    let p = &d.phases;
    let mut revisions: Vec<(String, String, SignedDuration)> = Vec::new();
    if let Some(s) = first {
        let mut hist: Vec<_> = s
            .history
            .iter()
            .filter(|h| h.revision <= s.revision)
            .collect();
        hist.sort_by_key(|h| h.revision);
        for h in hist {
            let age = p.start.duration_since(h.created).max(SignedDuration::ZERO);
            revisions.push((h.image.clone(), h.change_cause.clone(), age));
        }
        if revisions.last().is_none_or(|r| r.0 != s.image) {
            revisions.push((s.image.clone(), String::new(), SignedDuration::ZERO));
        }
    } else {
        revisions.push((
            "service:recorded".into(),
            String::new(),
            SignedDuration::ZERO,
        ));
    }
    for (image, cause, age) in revisions {
        let age = age.min(SignedDuration::from_hours(24 * 365));
        let _ = writeln!(t, "\n[[deployments.revisions]]");
        let _ = writeln!(t, "image = {}", q(&image));
        if !cause.is_empty() {
            let _ = writeln!(t, "change_cause = {}", q(&one_line(&cause, 200)));
        }
        let _ = writeln!(t, "age = {}", q(&secs(age, 0)));
    }
}

/// `[[gpus]]`, a host at a time, at their lead-up readings.
pub(super) fn gpus(t: &mut String, d: &Draft) {
    let p = &d.phases;
    let seen = d.seen;
    let mut hosts: Vec<String> = seen.gpus.keys().map(|(h, _)| h.clone()).collect();
    hosts.dedup();
    for host in &hosts {
        let readings: Vec<&crate::event::GpuStatus> = seen
            .gpus
            .iter()
            .filter(|((h, _), _)| h == host)
            .flat_map(|(_, l)| {
                let lead: Vec<_> = l.iter().filter(|(at, _)| *at < p.fault).collect();
                if lead.is_empty() {
                    l.iter().collect()
                } else {
                    lead
                }
            })
            .map(|(_, g)| g)
            .collect();
        let count = seen.gpus.keys().filter(|(h, _)| h == host).count() as u32;
        let med = |f: &dyn Fn(&crate::event::GpuStatus) -> Option<f64>| {
            let mut v: Vec<f64> = readings.iter().filter_map(|g| f(g)).collect();
            super::median(&mut v)
        };
        let model = readings.first().map_or(String::new(), |g| g.model.clone());
        let serves = seen
            .deployments
            .iter()
            .filter(|(_, l)| l.first().is_some_and(|(_, s)| s.gpu))
            .find(|(n, _)| seen.nodes.get(n).is_some_and(|ns| ns.contains(host)))
            .map(|(n, _)| n.clone());
        let _ = writeln!(t, "[[gpus]]");
        let _ = writeln!(t, "host = {}", q(host));
        let _ = writeln!(t, "count = {}", count.min(limits::GPUS_PER_HOST.1));
        let _ = writeln!(t, "model = {}", q(&model));
        let _ = writeln!(t, "mem_total_mib = {}", num(med(&|g| g.mem_total_mib)));
        let _ = writeln!(t, "mem_used_mib = {}", num(med(&|g| g.mem_used_mib)));
        let _ = writeln!(t, "util = {}", num(med(&|g| g.util)));
        let _ = writeln!(t, "temp_c = {}", num(med(&|g| g.temp_c)));
        let _ = writeln!(t, "power_w = {}", num(med(&|g| g.power_w)));
        if let Some(s) = serves {
            let _ = writeln!(t, "serves = {}", q(&s));
        }
        t.push('\n');
    }
}

/// `[[events]]`: the rollouts the recording saw before anyone acted.
pub(super) fn events(t: &mut String, rollouts: &[Rollout]) {
    for (at, deployment, image, cause) in rollouts {
        let _ = writeln!(t, "[[events]]");
        let _ = writeln!(t, "at = {}", q(&secs(*at, 0)));
        let _ = writeln!(
            t,
            "rollout = {{ deployment = {}, image = {}, change_cause = {} }}\n",
            q(deployment),
            q(image),
            q(&one_line(cause, 200))
        );
    }
}
