//! The response tables of a config draft: `[[kill_switches]]` from the runbooks'
//! kill-switch candidates, and `[incident]` with the status-update cadence and the
//! escalation steps the runbooks name.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::toml_str;
use crate::init::findings::{Findings, SwitchKind, one_line};

/// `[[kill_switches]]`, one per candidate, each saying where it came from.
pub(super) fn write_switches(w: &mut String, f: &Findings) {
    for s in &f.switches {
        let _ = writeln!(w, "# Kill-switch candidate from {}.", s.origin);
        let _ = writeln!(w, "[[kill_switches]]");
        let _ = writeln!(w, "name = {}", toml_str(&s.name));
        let ns_line = |w: &mut String, ns: &Option<String>| {
            if let Some(ns) = ns {
                let _ = writeln!(w, "namespace = {}", toml_str(ns));
            }
        };
        match &s.kind {
            SwitchKind::Configmap {
                namespace,
                configmap,
                key,
                on,
                off,
            } => {
                let desc = format!(
                    "Set {key}={on} in ConfigMap {configmap} (from {})",
                    s.origin
                );
                let _ = writeln!(w, "description = {}", toml_str(&desc));
                let _ = writeln!(w, "kind = \"configmap\"");
                ns_line(w, namespace);
                let _ = writeln!(w, "configmap = {}", toml_str(configmap));
                let _ = writeln!(w, "data_key = {}", toml_str(key));
                let _ = writeln!(w, "on_value = {}", toml_str(on));
                let _ = writeln!(
                    w,
                    "off_value = {}   # guessed: the opposite of on_value",
                    toml_str(off)
                );
            }
            SwitchKind::Env {
                namespace,
                deployment,
                key,
                on,
                off,
            } => {
                let desc = format!(
                    "Set {key}={on} on deployment {deployment} (from {})",
                    s.origin
                );
                let _ = writeln!(w, "description = {}", toml_str(&desc));
                let _ = writeln!(w, "kind = \"env\"");
                ns_line(w, namespace);
                let _ = writeln!(w, "deployment = {}", toml_str(deployment));
                let _ = writeln!(w, "data_key = {}", toml_str(key));
                let _ = writeln!(w, "on_value = {}", toml_str(on));
                let _ = writeln!(
                    w,
                    "off_value = {}   # guessed: the opposite of on_value",
                    toml_str(off)
                );
            }
            SwitchKind::Scale {
                namespace,
                deployment,
            } => {
                let desc = format!(
                    "Scale {deployment} to 0; off restores the replicas (from {})",
                    s.origin
                );
                let _ = writeln!(w, "description = {}", toml_str(&desc));
                let _ = writeln!(w, "kind = \"scale\"");
                ns_line(w, namespace);
                let _ = writeln!(w, "deployment = {}", toml_str(deployment));
                let _ = writeln!(w, "replicas = 0");
            }
        }
        let _ = writeln!(w);
    }
}

/// `[incident]`: status-update intervals per severity (the defaults kept for the rest) and
/// escalation steps; intervals that disagree go to `contradictions`.
pub(super) fn write_incident(w: &mut String, f: &Findings, contradictions: &mut Vec<String>) {
    if f.updates.is_empty() && f.escalations.is_empty() {
        return;
    }
    let _ = writeln!(w, "[incident]");
    if !f.updates.is_empty() {
        let defaults = crate::config::IncidentConfig::default().update_every;
        let mut every: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (o, d, sevs) in &f.updates {
            let sevs: Vec<u8> = if sevs.is_empty() {
                vec![1, 2, 3, 4]
            } else {
                sevs.clone()
            };
            for s in sevs {
                let key = format!("SEV{s}");
                match every.get(&key) {
                    Some((have, at)) if *have != d.to_string() => {
                        let msg = format!(
                            "status-update intervals for {key} disagree: {have} at {at}, {d} at {o}"
                        );
                        let _ = writeln!(w, "# CONTRADICTORY: {msg}; the first is kept");
                        contradictions.push(msg);
                    }
                    Some(_) => {}
                    None => {
                        every.insert(key, (d.to_string(), o.to_string()));
                    }
                }
            }
        }
        for (o, d, sevs) in &f.updates {
            let which = if sevs.is_empty() {
                "every severity (the line names none)".to_string()
            } else {
                sevs.iter()
                    .map(|s| format!("SEV{s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(w, "# status updates every {d} for {which}: {o}");
        }
        // A table here replaces the defaults, so the ones the runbooks do not set stay.
        for (k, d) in &defaults {
            every
                .entry(k.clone())
                .or_insert((d.to_string(), "default".into()));
        }
        let cells: Vec<String> = every
            .iter()
            .map(|(k, (d, _))| format!("{k} = \"{d}\""))
            .collect();
        let _ = writeln!(w, "update_every = {{ {} }}", cells.join(", "));
    }
    if !f.escalations.is_empty() {
        let _ = writeln!(
            w,
            "# The steps below replace the default escalation matrix."
        );
    }
    for (o, e) in &f.escalations {
        let _ = writeln!(w, "\n# escalation at {o}");
        let _ = writeln!(w, "[[incident.escalate]]");
        let _ = writeln!(w, "to = {}", toml_str(&one_line(&e.to, 60)));
        let _ = writeln!(w, "after = \"{}\"", e.after);
        if e.severities.is_empty() {
            let _ = writeln!(w, "severities = [1, 2, 3]   # the runbook names none");
        } else {
            let s: Vec<String> = e.severities.iter().map(u8::to_string).collect();
            let _ = writeln!(w, "severities = [{}]", s.join(", "));
        }
    }
    let _ = writeln!(w);
}
