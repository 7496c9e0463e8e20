//! The `[[signals]]` of a config draft: a signal per query found, with the thresholds and
//! SLO targets that fit it (by subject, quantile and unit); then a commented skeleton for
//! thresholds that no query fits, and the SLO targets with no signal to hang on.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::toml_str;
use crate::init::findings::{Findings, FoundQuery, Origin, one_line};
use crate::init::levels::{levels, num};
use crate::init::prose::{SloTarget, Subject, Threshold, Unit};

/// Which thresholds and SLO targets a signal has taken, so each is placed once.
struct Placed {
    thresholds: Vec<bool>,
    slos: Vec<bool>,
}

/// Every signal, skeleton and SLO target; contradictions found go to `contradictions`.
pub(super) fn write_signals(w: &mut String, f: &Findings, contradictions: &mut Vec<String>) {
    let mut placed = Placed {
        thresholds: vec![false; f.thresholds.len()],
        slos: vec![false; f.slos.len()],
    };
    let mut names: Vec<String> = Vec::new();
    for (n, q) in f.queries.iter().enumerate() {
        write_signal(w, f, n, q, &mut names, &mut placed, contradictions);
    }

    // Thresholds with no query: a commented skeleton for a person to complete.
    let mut by_subject: BTreeMap<(Subject, Option<u64>), Vec<usize>> = BTreeMap::new();
    for (i, (_, t)) in f.thresholds.iter().enumerate() {
        if !placed.thresholds[i] {
            let q = t.quantile.map(|x| (x * 1000.0).round() as u64);
            by_subject.entry((t.subject, q)).or_default().push(i);
        }
    }
    for ((subject, quantile), idx) in by_subject {
        write_skeleton(w, f, subject, quantile, &idx, &mut placed, contradictions);
    }
    for (i, (o, slo)) in f.slos.iter().enumerate() {
        if !placed.slos[i] {
            let _ = writeln!(
                w,
                "# An SLO target with no signal to hang it on (add it under a [[signals]] entry):"
            );
            write_slo(w, o, slo, false);
            let _ = writeln!(w);
        }
    }
}

/// The `n`th query's `[[signals]]` entry (0-based), under a name no earlier signal has.
fn write_signal(
    w: &mut String,
    f: &Findings,
    n: usize,
    q: &FoundQuery,
    names: &mut Vec<String>,
    placed: &mut Placed,
    contradictions: &mut Vec<String>,
) {
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
        placed.thresholds[i] = true;
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
        if slo.subject == subject && subject != Subject::Other && !placed.slos[i] {
            placed.slos[i] = true;
            write_slo(w, o, slo, true);
        }
    }
    let _ = writeln!(w);
}

/// A commented `[[signals]]` skeleton for the thresholds (indexes `idx`) on `subject` at
/// `quantile` (in thousandths) that no query fits: a person writes the query.
fn write_skeleton(
    w: &mut String,
    f: &Findings,
    subject: Subject,
    quantile: Option<u64>,
    idx: &[usize],
    placed: &mut Placed,
    contradictions: &mut Vec<String>,
) {
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
        if slo.subject == subject && !placed.slos[i] {
            placed.slos[i] = true;
            write_slo(w, o, slo, false);
        }
    }
    let _ = writeln!(w);
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

/// A commented `[signals.slo]` for an SLO target; `under_signal` when it sits under the
/// signal it belongs to.
fn write_slo(w: &mut String, o: &Origin, slo: &SloTarget, under_signal: bool) {
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
