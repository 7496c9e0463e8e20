//! Findings to a commented config.toml draft that `Config::load` accepts.
//!
//! Every entry says where it came from; what is guessed (a unit, a window) says so; what
//! could not be placed is listed at the end. Nothing is invented: a threshold without a
//! query becomes a commented-out signal with an empty query for a person to write.
//!
//! This module writes the draft in order (its header, runbooks, Prometheus, what to watch
//! in `[[health]]` and `[kubernetes]`, what was not placed) and owns the TOML spelling of
//! strings; `signals.rs` writes the signals with their thresholds and SLO targets, and
//! `response.rs` the kill switches and `[incident]`.

mod response;
mod signals;

use std::fmt::Write as _;

use super::findings::{Findings, one_line};

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

/// Writes the draft.
pub fn render(f: &Findings) -> Draft {
    let mut out = String::new();
    let mut contradictions = Vec::new();
    let w = &mut out;
    write_header(w, f);

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

    signals::write_signals(w, f, &mut contradictions);

    write_health(w, f);
    write_kubernetes(w, f);
    response::write_switches(w, f);
    response::write_incident(w, f, &mut contradictions);

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

/// The comment at the top: where the draft came from, how to review it, what was found.
fn write_header(w: &mut String, f: &Findings) {
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
}

/// `[[health]]`, one per URL the runbooks curl, under a name no other has.
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

/// `[kubernetes]`: the namespaces and selector the runbooks' kubectl commands name.
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
