//! The `[[faults]]` table of a drill made from a recording: the one cause, where it lives,
//! what cures it (only the original fix), how the signals move while it is there, its
//! crash loop, logs and the GPU it heats.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::drill_file::{num, points, q, secs};
use super::write::{Draft, drill_time};
use super::{SignalDraft, badness, remedy_line};
use crate::config::limits;
use crate::event::Action;

/// The deployment the fault lives in: the fix's, else the one whose pods crashed or
/// logged most that was new, else the first.
pub(super) fn fault_deployment(d: &Draft) -> Option<String> {
    if let Some(a) = d.fix {
        match &a.action {
            Action::Rollback { deployment, .. }
            | Action::Restart { deployment, .. }
            | Action::Scale { deployment, .. } => return Some(deployment.clone()),
            _ => {}
        }
    }
    let known = |n: &str| d.seen.deployments.iter().any(|(x, _)| x == n);
    let crashed = d
        .seen
        .crashing
        .iter()
        .filter(|(w, _)| known(w))
        .max_by_key(|(_, c)| c.iter().map(|(_, n)| *n).max().unwrap_or(0))
        .filter(|(_, c)| c.iter().any(|(_, n)| *n > 0))
        .map(|(w, _)| w.clone());
    let logged = d
        .logs
        .during
        .iter()
        .filter(|(w, _)| known(w))
        .max_by_key(|(_, p)| p.lines)
        .map(|(w, _)| w.clone());
    crashed
        .or(logged)
        .or_else(|| d.seen.deployments.first().map(|(n, _)| n.clone()))
}

/// `[[faults]]`: the one cause, in `deployment`, cured only by the original fix;
/// `recover` is how long the signals took to come back after it.
pub(super) fn faults(
    t: &mut String,
    d: &Draft,
    deployment: &str,
    recover: SignedDuration,
    notes: &mut Vec<String>,
) {
    let p = &d.phases;
    let seen = d.seen;
    let _ = writeln!(t, "[[faults]]");
    let _ = writeln!(t, "name = \"recorded-incident\"");
    let _ = writeln!(t, "deployment = {}", q(deployment));
    let before_fix = p.fix.map_or(p.end, |f| f - SignedDuration::from_micros(1));
    match d.fix.map(|a| &a.action) {
        Some(Action::Rollback { .. }) => {
            if let Some(s) = seen.deployment_at(deployment, before_fix) {
                let _ = writeln!(t, "image = {}", q(&s.image));
            }
        }
        Some(a) => {
            let _ = writeln!(t, "cured_by = [{}]", q(&remedy_line(a)));
        }
        None => notes.push(
            "the recording holds no remedy by the original responder: give the fault a \
             `cured_by` and `[[scoring.expect]]` by hand"
                .into(),
        ),
    }
    let _ = writeln!(t, "start = {}", q(&secs(drill_time(p, p.fault), 0)));
    let peak = d
        .signals
        .iter()
        .filter(|s| !s.curve.is_empty())
        .filter_map(|s| {
            s.curve
                .iter()
                .max_by(|a, b| badness(s, a.1).total_cmp(&badness(s, b.1)))
                .map(|p| p.0)
        })
        .fold(1.0_f64, f64::max);
    let _ = writeln!(
        t,
        "ramp = {}",
        q(&secs(SignedDuration::from_secs(peak as i64), 1))
    );
    let _ = writeln!(t, "recover = {}", q(&secs(recover, 1)));
    symptoms(t, d, deployment, before_fix);
    if let Some(g) = hot_gpu(d, before_fix) {
        t.push_str(&g);
    }
    let curved: Vec<&SignalDraft> = d.signals.iter().filter(|s| !s.curve.is_empty()).collect();
    if !curved.is_empty() {
        let _ = writeln!(t, "\n[faults.curves]");
        for s in &curved {
            let _ = writeln!(t, "{} = {}", q(&s.name), points(&s.curve));
        }
        let _ = writeln!(t, "\n[faults.recovery]");
        for s in curved.iter().filter(|s| !s.recovery.is_empty()) {
            let _ = writeln!(t, "{} = {}", q(&s.name), points(&s.recovery));
        }
    }
    t.push('\n');
}

/// The fault's crash loop and logs, as the recording saw them from the fault until just
/// before the fix.
fn symptoms(t: &mut String, d: &Draft, deployment: &str, before_fix: Timestamp) {
    let p = &d.phases;
    let seen = d.seen;
    let crashloop = seen
        .crashing
        .get(deployment)
        .map_or(0, |c| {
            c.iter()
                .filter(|(at, _)| *at >= p.fault && *at <= before_fix)
                .map(|(_, n)| *n)
                .max()
                .unwrap_or(0)
        })
        .min(limits::CRASHLOOP.1);
    if crashloop > 0 {
        let _ = writeln!(t, "crashloop = {crashloop}");
        let reason = seen
            .crash_reasons
            .get(deployment)
            .and_then(|r| r.iter().max_by_key(|(_, n)| **n).map(|(r, _)| r.clone()))
            .unwrap_or_else(|| "Error".into());
        let _ = writeln!(t, "crash_reason = {}", q(&reason));
    }
    if let Some(during) = d.logs.during.get(deployment) {
        let templates = during.templates();
        if !templates.is_empty() {
            let span = before_fix.duration_since(p.fault).as_secs_f64().max(1.0);
            let rate = (during.lines as f64 / span).min(limits::LOG_RATE.1);
            let _ = writeln!(t, "log_rate = {}", num(rate));
            let _ = writeln!(t, "logs = [");
            for l in templates {
                let _ = writeln!(t, "  {},", q(&l));
            }
            let _ = writeln!(t, "]");
        }
    }
}

/// The GPU that suffered most in the fault, as a `[faults.gpu]` table.
fn hot_gpu(d: &Draft, until: Timestamp) -> Option<String> {
    let p = &d.phases;
    let mut best: Option<(f64, String)> = None;
    for ((host, index), list) in &d.seen.gpus {
        let lead: Vec<&crate::event::GpuStatus> = list
            .iter()
            .filter(|(at, _)| *at < p.fault)
            .map(|(_, g)| g)
            .collect();
        let during: Vec<&crate::event::GpuStatus> = list
            .iter()
            .filter(|(at, _)| *at >= p.fault && *at <= until)
            .map(|(_, g)| g)
            .collect();
        let base = |f: &dyn Fn(&crate::event::GpuStatus) -> Option<f64>| {
            let mut v: Vec<f64> = lead.iter().filter_map(|g| f(g)).collect();
            super::median(&mut v)
        };
        let peak = |f: &dyn Fn(&crate::event::GpuStatus) -> Option<f64>| {
            during.iter().filter_map(|g| f(g)).fold(f64::MIN, f64::max)
        };
        let (t0, t1) = (base(&|g| g.temp_c), peak(&|g| g.temp_c));
        let (m0, m1) = (base(&|g| g.mem_used_mib), peak(&|g| g.mem_used_mib));
        let total = during
            .iter()
            .find_map(|g| g.mem_total_mib)
            .unwrap_or(1.0)
            .max(1.0);
        let xid = during.iter().find_map(|g| g.xid);
        // Ten degrees or a fifth of the memory, or an XID error, is worth reproducing.
        let score =
            ((t1 - t0) / 10.0).max((m1 - m0) / (0.2 * total)) + f64::from(u8::from(xid.is_some()));
        if score < 1.0 || best.as_ref().is_some_and(|(b, _)| *b >= score) {
            continue;
        }
        let mut s = String::from("\n[faults.gpu]\n");
        let _ = writeln!(s, "host = {}", q(host));
        let _ = writeln!(s, "index = {index}");
        if t1 > t0 + 2.0 {
            let _ = writeln!(s, "temp_c = {}", num(t1));
        }
        if m1 > m0 {
            let _ = writeln!(s, "mem_used_mib = {}", num(m1));
        }
        let util = peak(&|g| g.util);
        if util > f64::MIN {
            let _ = writeln!(s, "util = {}", num(util));
        }
        if let Some(x) = xid {
            let _ = writeln!(s, "xid = {x}");
        }
        best = Some((score, s));
    }
    best.map(|(_, s)| s)
}
