//! Findings to a commented config.toml draft that `Config::load` accepts.
//!
//! Every entry says where it came from; what is guessed (a unit, a window) says so; what
//! could not be placed is listed at the end. Nothing is invented: a threshold without a
//! query becomes a commented-out signal with an empty query for a person to write.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::findings::{Findings, FoundQuery, Origin, SwitchKind, one_line};
use super::levels::{levels, num};
use super::prose::{Subject, Threshold, Unit};

/// The draft's text, and the contradictions found (also written into the draft).
pub struct Draft {
    pub text: String,
    pub contradictions: Vec<String>,
    pub signals: usize,
}

/// A TOML string for `s`: literal when it can be, escaped otherwise.
pub fn toml_str(s: &str) -> String {
    if !s.contains('\'') && !s.chars().any(|c| c.is_control()) {
        return format!("'{s}'");
    }
    if !s.contains("'''") && !s.chars().any(|c| c.is_control() && c != '\n') {
        return format!("'''\n{s}'''");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What a signal is about: the query's shape first, then its name.
fn subject_of(q: &FoundQuery) -> Subject {
    if q.info.quantile.is_some() {
        return Subject::Latency;
    }
    let by_name = Subject::of(q.name.as_deref().unwrap_or(""));
    if by_name != Subject::Other {
        return by_name;
    }
    Subject::of(&q.query)
}

/// The signal's unit from its query; `guessed` is always true but says how.
fn unit_of(q: &FoundQuery, subject: Subject) -> (&'static str, &'static str) {
    let text = q.query.replace(' ', "");
    match subject {
        Subject::Latency if text.starts_with("1000*") || text.contains("*1000") => {
            ("ms", "the query multiplies by 1000")
        }
        Subject::Latency if text.contains("_ms") || text.contains("milliseconds") => {
            ("ms", "the metric is in milliseconds")
        }
        Subject::Latency => ("seconds", "Prometheus histograms are in seconds"),
        Subject::Errors | Subject::Availability
            if text.starts_with("100*") || text.contains("*100") =>
        {
            ("percent", "the query multiplies by 100")
        }
        Subject::Errors | Subject::Availability if text.contains('/') => {
            ("ratio", "the query divides two rates")
        }
        _ => ("count", "nothing says otherwise"),
    }
}

/// A threshold in the signal's unit, when the units fit.
fn convert(t: &Threshold, unit: &str) -> Option<f64> {
    match (t.unit, unit) {
        (Unit::Ms, "ms") => Some(t.value),
        (Unit::Ms, "seconds") => Some(t.value / 1000.0),
        (Unit::Percent, "percent") => Some(t.value),
        (Unit::Percent, "ratio") => Some(t.value / 100.0),
        (Unit::Plain | Unit::Celsius, "count") => Some(t.value),
        (Unit::Plain, _) => Some(t.value),
        _ => None,
    }
}

fn threshold_fits(t: &Threshold, subject: Subject, quantile: Option<f64>) -> bool {
    t.subject == subject
        && subject != Subject::Other
        && match (t.quantile, quantile) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => true,
        }
}

/// A signal's name: the runbook's, else from its shape, else its metric.
fn signal_name(q: &FoundQuery, subject: Subject, n: usize) -> String {
    if let Some(name) = &q.name {
        return one_line(name, 60);
    }
    if let Some(p) = q.info.quantile {
        let pct = (p * 100.0 * 10.0).round() / 10.0;
        return format!("p{pct} latency");
    }
    let bare = q.info.functions.is_empty() && q.info.metric.as_deref() == Some(q.query.as_str());
    if bare {
        return q.query.clone();
    }
    if subject != Subject::Other
        && !q.heading.is_empty()
        && !crate::init::scan::is_monitoring_heading(&q.heading)
    {
        return one_line(&q.heading, 60);
    }
    match &q.info.metric {
        Some(m) => m.clone(),
        None => format!("query {n}"),
    }
}

/// Writes the draft.
pub fn render(f: &Findings) -> Draft {
    let mut out = String::new();
    let mut contradictions = Vec::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# sitrep config drafted by `sitrep init` from {}.",
        f.runbooks.join(", ")
    );
    let _ = writeln!(
        w,
        "# Review every entry before use: each says which runbook line it came from, and what"
    );
    let _ = writeln!(
        w,
        "# was guessed says so. Items the runbooks mention but sitrep could not place are listed"
    );
    let _ = writeln!(
        w,
        "# at the end. Validate with `sitrep check --config THIS_FILE` (with Prometheus"
    );
    let _ = writeln!(
        w,
        "# reachable, every query is checked too). Every key: docs/config.md."
    );
    let _ = writeln!(
        w,
        "# Found: {} queries, {} thresholds, {} SLO targets, {} kill-switch candidates, {} health URLs; {} items not placed.",
        f.queries.len(),
        f.thresholds.len(),
        f.slos.len(),
        f.switches.len(),
        f.health.len(),
        f.skipped.len()
    );
    for warning in &f.warnings {
        let _ = writeln!(w, "# reader warning: {}", one_line(warning, 160));
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "[runbooks]");
    let _ = writeln!(
        w,
        "# Linked .md files are followed when the runbook is loaded."
    );
    let paths: Vec<String> = f.runbooks.iter().map(|p| toml_str(p)).collect();
    let _ = writeln!(w, "paths = [{}]", paths.join(", "));
    let _ = writeln!(w);

    match f.prometheus.first() {
        Some((url, origin)) => {
            let _ = writeln!(w, "# From the Prometheus API call at {origin}.");
            for (other, o) in f.prometheus.iter().skip(1) {
                let _ = writeln!(w, "# Also called at {o}: {}", one_line(other, 100));
            }
            let _ = writeln!(w, "[prometheus]\nurl = {}\n", toml_str(url));
        }
        None => {
            let _ = writeln!(
                w,
                "# The runbooks name no Prometheus; set it here or pass --prometheus URL."
            );
            let _ = writeln!(w, "# [prometheus]\n# url = \"http://prometheus:9090\"\n");
        }
    }

    // Signals, with the thresholds that fit them.
    let mut used = vec![false; f.thresholds.len()];
    let mut used_slo = vec![false; f.slos.len()];
    let mut names: Vec<String> = Vec::new();
    for (n, q) in f.queries.iter().enumerate() {
        let subject = subject_of(q);
        let (unit, why_unit) = unit_of(q, subject);
        let mut name = signal_name(q, subject, n + 1);
        let base = name.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base} ({k})");
            k += 1;
        }
        names.push(name.clone());
        for (o, how) in &q.origins {
            let _ = writeln!(w, "# {how} at {o}");
        }
        let mut fitting: Vec<(&Origin, &Threshold, f64)> = Vec::new();
        let mut misfit = Vec::new();
        for (i, (o, t)) in f.thresholds.iter().enumerate() {
            if !threshold_fits(t, subject, q.info.quantile) {
                continue;
            }
            used[i] = true;
            match convert(t, unit) {
                Some(v) => fitting.push((o, t, v)),
                None => misfit.push((o, t)),
            }
        }
        let _ = writeln!(w, "[[signals]]");
        let _ = writeln!(w, "name = {}", toml_str(&name));
        let _ = writeln!(w, "query = {}", toml_str(&q.query));
        let _ = writeln!(w, "unit = \"{unit}\"   # guessed: {why_unit}");
        for (o, t) in &misfit {
            let _ = writeln!(
                w,
                "# not applied (its unit does not fit `{unit}`): {} ({o})",
                one_line(&t.text, 100)
            );
        }
        for (o, t, _) in &fitting {
            let _ = writeln!(w, "# threshold at {o}: {}", one_line(&t.text, 120));
        }
        match levels(&fitting) {
            Ok(l) => {
                if let Some(v) = l.warn {
                    let _ = writeln!(w, "warn = {}", num(v));
                }
                if let Some(v) = l.crit {
                    let _ = writeln!(w, "crit = {}", num(v));
                }
                if !l.above {
                    let _ = writeln!(w, "direction = \"below\"");
                }
            }
            Err(why) => {
                let at: Vec<String> = fitting.iter().map(|t| t.0.to_string()).collect();
                let msg = format!(
                    "contradictory thresholds for `{name}` at {}: {why}",
                    at.join(", ")
                );
                let _ = writeln!(w, "# CONTRADICTORY: {why}; warn and crit left unset.");
                contradictions.push(msg);
            }
        }
        for (i, (o, slo)) in f.slos.iter().enumerate() {
            if slo.subject == subject && subject != Subject::Other && !used_slo[i] {
                used_slo[i] = true;
                write_slo(w, o, slo, true);
            }
        }
        let _ = writeln!(w);
    }

    // Thresholds with no query: a commented skeleton for a person to complete.
    let mut by_subject: BTreeMap<(Subject, Option<u64>), Vec<usize>> = BTreeMap::new();
    for (i, (_, t)) in f.thresholds.iter().enumerate() {
        if !used[i] {
            let q = t.quantile.map(|x| (x * 1000.0).round() as u64);
            by_subject.entry((t.subject, q)).or_default().push(i);
        }
    }
    for ((subject, quantile), idx) in by_subject {
        let ts: Vec<(&Origin, &Threshold, f64)> = idx
            .iter()
            .map(|&i| {
                (
                    &f.thresholds[i].0,
                    &f.thresholds[i].1,
                    f.thresholds[i].1.value,
                )
            })
            .collect();
        let name = match quantile {
            Some(q) => format!("p{} latency", q as f64 / 10.0),
            None => subject.label().to_string(),
        };
        let unit = match ts[0].1.unit {
            Unit::Ms => "ms",
            Unit::Percent => "percent",
            _ => "count",
        };
        let _ = writeln!(
            w,
            "# No query in the runbooks for {name}: write one and uncomment."
        );
        for (o, t, _) in &ts {
            let _ = writeln!(w, "# threshold at {o}: {}", one_line(&t.text, 120));
        }
        let _ = writeln!(w, "# [[signals]]");
        let _ = writeln!(w, "# name = {}", toml_str(&name));
        let _ = writeln!(
            w,
            "# query = ''   # the runbooks give none; nothing is guessed"
        );
        let _ = writeln!(w, "# unit = \"{unit}\"");
        let mixed_units = ts.iter().any(|t| t.1.unit != ts[0].1.unit);
        match levels(&ts) {
            Ok(_) if mixed_units => {
                let at: Vec<String> = ts.iter().map(|t| t.0.to_string()).collect();
                let _ = writeln!(w, "# CONTRADICTORY: thresholds in different units");
                contradictions.push(format!(
                    "contradictory thresholds for {name} at {}: different units",
                    at.join(", ")
                ));
            }
            Ok(l) => {
                if let Some(v) = l.warn {
                    let _ = writeln!(w, "# warn = {}", num(v));
                }
                if let Some(v) = l.crit {
                    let _ = writeln!(w, "# crit = {}", num(v));
                }
                if !l.above {
                    let _ = writeln!(w, "# direction = \"below\"");
                }
            }
            Err(why) => {
                let at: Vec<String> = ts.iter().map(|t| t.0.to_string()).collect();
                let _ = writeln!(w, "# CONTRADICTORY: {why}");
                contradictions.push(format!(
                    "contradictory thresholds for {name} at {}: {why}",
                    at.join(", ")
                ));
            }
        }
        for (i, (o, slo)) in f.slos.iter().enumerate() {
            if slo.subject == subject && !used_slo[i] {
                used_slo[i] = true;
                write_slo(w, o, slo, false);
            }
        }
        let _ = writeln!(w);
    }
    for (i, (o, slo)) in f.slos.iter().enumerate() {
        if !used_slo[i] {
            let _ = writeln!(
                w,
                "# An SLO target with no signal to hang it on (add it under a [[signals]] entry):"
            );
            write_slo(w, o, slo, false);
            let _ = writeln!(w);
        }
    }

    write_health(w, f);
    write_kubernetes(w, f);
    write_switches(w, f);
    write_incident(w, f, &mut contradictions);

    let _ = writeln!(
        w,
        "# ---- Not placed: what the runbooks say that this draft does not use, and why ----"
    );
    if f.skipped.is_empty() {
        let _ = writeln!(w, "# (nothing)");
    }
    for s in &f.skipped {
        let _ = writeln!(
            w,
            "# {}: `{}`: {}",
            s.origin,
            s.what.replace('`', "'"),
            one_line(&s.why, 160)
        );
    }
    Draft {
        text: out,
        contradictions,
        signals: f.queries.len(),
    }
}

fn write_slo(w: &mut String, o: &Origin, slo: &super::prose::SloTarget, under_signal: bool) {
    let _ = writeln!(w, "# SLO target at {o}: {}", one_line(&slo.text, 120));
    let _ = writeln!(
        w,
        "# Uncomment once an error_query (or good_query and total_query) is written; the runbooks give none."
    );
    let _ = writeln!(
        w,
        "# [signals.slo]{}",
        if under_signal {
            ""
        } else {
            "   # under its [[signals]] entry"
        }
    );
    let _ = writeln!(w, "# objective = {}", num(slo.objective));
    let assumed = if slo.window_assumed {
        "   # not written in the runbook: 30 days assumed"
    } else {
        ""
    };
    let _ = writeln!(w, "# window = \"{}\"{assumed}", slo.window);
    let _ = writeln!(w, "# error_query = ''");
}

fn write_health(w: &mut String, f: &Findings) {
    let mut names: Vec<String> = Vec::new();
    for (url, o) in &f.health {
        let path = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let host = path.split('/').next().unwrap_or("");
        let last = path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("health");
        let mut name = if last == host {
            host.to_string()
        } else {
            format!("{host} {last}")
        };
        let base = name.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base} ({k})");
            k += 1;
        }
        names.push(name.clone());
        let _ = writeln!(w, "# curl at {o}");
        let _ = writeln!(
            w,
            "[[health]]\nname = {}\nurl = {}\n",
            toml_str(&name),
            toml_str(url)
        );
    }
}

fn write_kubernetes(w: &mut String, f: &Findings) {
    if f.namespaces.is_empty() && f.deployments.is_empty() && f.selectors.is_empty() {
        let _ = writeln!(
            w,
            "# No kubectl command in the runbooks names a namespace, deployment or selector.\n"
        );
        return;
    }
    let _ = writeln!(w, "# From the runbooks' kubectl commands.");
    let _ = writeln!(w, "[kubernetes]");
    for (ns, o) in &f.namespaces {
        let _ = writeln!(w, "# namespace {ns}: first at {o}");
    }
    let ns: Vec<String> = f.namespaces.iter().map(|(n, _)| toml_str(n)).collect();
    let _ = writeln!(w, "namespaces = [{}]", ns.join(", "));
    match f.selectors.as_slice() {
        [] => {}
        [(sel, o)] => {
            let _ = writeln!(
                w,
                "# selector at {o}; it narrows the pods pane to these pods"
            );
            let _ = writeln!(w, "label_selector = {}", toml_str(sel));
        }
        many => {
            let _ = writeln!(
                w,
                "# Several selectors; sitrep watches one, so none is set:"
            );
            for (sel, o) in many {
                let _ = writeln!(w, "# label_selector = {}   # {o}", toml_str(sel));
            }
        }
    }
    if !f.deployments.is_empty() {
        let d: Vec<String> = f
            .deployments
            .iter()
            .map(|(d, o)| format!("{d} ({o})"))
            .collect();
        let _ = writeln!(w, "# Deployments the runbooks act on: {}", d.join(", "));
    }
    let _ = writeln!(w);
}

fn write_switches(w: &mut String, f: &Findings) {
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

fn write_incident(w: &mut String, f: &Findings, contradictions: &mut Vec<String>) {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_toml() {
        for s in [r#"sum(x{a="b"})"#, "it's", "a\nb", "a'''b\nc", "tab\there"] {
            let doc = format!("v = {}\n", toml_str(s));
            let v: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(v["v"].as_str(), Some(s), "{doc}");
        }
    }
}
