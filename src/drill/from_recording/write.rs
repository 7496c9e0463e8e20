//! Writing the drill made from a recording: the TOML file (commented, in the order
//! docs/drills.md documents it) and its runbook beside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::logs::LogsSeen;
use super::seen::{Act, Seen};
use super::{Phases, SignalDraft, badness, firing_at, remedy_line, runbook_path, value_at};
use crate::config::limits;
use crate::event::{Action, AlertState, AlertStatus};
use crate::journal::Kind;
use crate::recording::FileHeader;

/// What the drill is made of.
pub(super) struct Draft<'a> {
    pub name: String,
    pub recording: PathBuf,
    pub header: FileHeader,
    pub seen: &'a Seen,
    pub signals: &'a [SignalDraft],
    pub phases: Phases,
    pub fix: Option<&'a Act>,
    pub logs: &'a LogsSeen,
}

/// The files written and what a trainer should know about them.
#[derive(Debug, Clone)]
pub struct Written {
    pub drill: PathBuf,
    pub runbook: PathBuf,
    /// What the recording lacked (no fix, no lead-up) and `sitrep check`'s warnings.
    pub notes: Vec<String>,
}

/// A TOML string.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A number as short as it stays exact to four decimals.
fn num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A drill duration in whole seconds, at least `min` seconds.
fn secs(d: SignedDuration, min: i64) -> String {
    let s = d.as_secs().max(min);
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let parts: Vec<String> = [(h, "h"), (m, "m"), (sec, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

fn points(p: &[(f64, f64)]) -> String {
    let inner: Vec<String> = p
        .iter()
        .map(|(t, v)| format!("[{}, {}]", num(*t), num(*v)))
        .collect();
    format!("[{}]", inner.join(", "))
}

/// One line of text, for a heading or a step.
fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The alerts in the order they first fired, each as it fired.
fn alerts(seen: &Seen) -> Vec<(Timestamp, AlertStatus)> {
    let mut out: Vec<(Timestamp, AlertStatus)> = Vec::new();
    for (t, a) in &seen.alerts {
        if a.state == AlertState::Firing && !out.iter().any(|(_, x)| x.name == a.name) {
            out.push((*t, a.clone()));
        }
    }
    out
}

/// The signal an alert watched, judged by what moved most when it fired (a signal the
/// alert names in its text wins), and the value it had then.
fn alert_signal<'a>(
    d: &'a Draft,
    a: &AlertStatus,
    at: Timestamp,
) -> Option<(&'a SignalDraft, f64)> {
    let text = format!("{} {} {}", a.name, a.summary, a.detail).to_lowercase();
    let mut best: Option<(&SignalDraft, f64, f64)> = None;
    for s in d.signals {
        let samples = d
            .seen
            .samples
            .get(&s.name)
            .map_or(&[][..], |x| x.as_slice());
        let Some(v) = value_at(samples, at) else {
            continue;
        };
        let named = if text.contains(&s.name.to_lowercase()) {
            1000.0
        } else {
            0.0
        };
        let score = badness(s, v) + if badness(s, v) > 0.0 { named } else { 0.0 };
        if best.is_none_or(|(_, _, b)| score > b) {
            best = Some((s, v, score));
        }
    }
    match best {
        Some((s, v, score)) if score > 0.0 => Some((s, v)),
        // Nothing was bad as it fired (a slow rule, a sparse signal): the signal that
        // moved most during the fault, half way to its worst.
        _ => d
            .signals
            .iter()
            .filter_map(|s| {
                let worst = s
                    .curve
                    .iter()
                    .map(|p| p.1)
                    .max_by(|a, b| badness(s, *a).total_cmp(&badness(s, *b)))?;
                Some((s, worst, badness(s, worst)))
            })
            .filter(|(_, _, b)| *b > 0.0)
            .max_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(s, worst, _)| (s, s.baseline + 0.55 * (worst - s.baseline))),
    }
}

/// The deployment the fault lives in: the fix's, else the one whose pods crashed or
/// logged most that was new, else the first.
fn fault_deployment(d: &Draft) -> Option<String> {
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

/// The heading of an alert's runbook section.
fn heading(a: &AlertStatus) -> String {
    let summary = one_line(&a.summary, 70);
    if summary.is_empty() {
        a.name.clone()
    } else {
        format!("{}: {summary}", a.name)
    }
}

/// Drill time of a moment of the recording.
fn drill_time(p: &Phases, t: Timestamp) -> SignedDuration {
    t.duration_since(p.start).max(SignedDuration::ZERO)
}

/// The drill file's text; notes on what the recording lacked go to `notes`.
fn drill_toml(d: &Draft, runbook_file: &str, notes: &mut Vec<String>) -> String {
    let p = &d.phases;
    let seen = d.seen;
    let mut t = String::new();
    let incident = d.header.incident.as_ref();
    let id = incident.map_or("an unnamed incident".to_string(), |i| i.id.clone());
    let title = incident.map_or("A recorded incident".to_string(), |i| i.title.clone());
    let date = p.start.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let fix_line = d.fix.map(|a| remedy_line(&a.action));
    let first_alert = p.first_alert.unwrap_or(p.lead_up_end);
    let zero = |at: Timestamp| at.duration_since(first_alert).max(SignedDuration::ZERO);

    let _ = writeln!(
        t,
        "# Made by `sitrep drill new` from {} ({id}, {date}).\n#",
        d.recording
            .file_name()
            .map_or("a recording".into(), |f| f.to_string_lossy().into_owned())
    );
    let _ = writeln!(
        t,
        "# The drill starts where the recording does ({} of lead-up before the first alert).",
        crate::ui::format::age(drill_time(p, first_alert))
    );
    let _ = writeln!(
        t,
        "# Baselines and noise come from the lead-up, each signal's curve from the incident, the\n\
         # recovery curves from after the original fix. Any other remedy leaves the cause in place.\n"
    );

    // [drill]
    let namespace = seen
        .deployments
        .first()
        .and_then(|(_, l)| l.first())
        .map(|(_, s)| s.namespace.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| {
            d.header
                .mode
                .rsplit_once('/')
                .map(|(_, ns)| ns.trim().to_string())
                .filter(|n| !n.is_empty())
        })
        .unwrap_or_else(|| "default".into());
    let description = match &fix_line {
        Some(f) => format!("{title} (recorded {date}); the original responder's fix was `{f}`."),
        None => format!("{title} (recorded {date}); the recording holds no fix."),
    };
    let _ = writeln!(t, "[drill]");
    let _ = writeln!(t, "name = {}", q(&d.name));
    let _ = writeln!(t, "title = {}", q(&one_line(&title, 120)));
    let _ = writeln!(t, "description = {}", q(&one_line(&description, 200)));
    let _ = writeln!(t, "namespace = {}", q(&namespace));
    let _ = writeln!(t, "seed = 1");
    let _ = writeln!(t, "runbook = {}", q(runbook_file));
    let _ = writeln!(t, "difficulty = \"medium\"");

    // Scoring windows, from the original response (twice its times, never too tight).
    let ack_at = seen
        .entries
        .iter()
        .find(|e| e.kind == Kind::Ack)
        .map(|e| zero(e.at));
    let ack_within = ack_at
        .map_or(SignedDuration::from_mins(5), |a| a * 2)
        .max(SignedDuration::from_mins(3));
    let fix_within = d
        .fix
        .map_or(SignedDuration::from_mins(10), |a| zero(a.at) * 2)
        .max(SignedDuration::from_mins(5));
    let recover = match (p.fix, p.recovered) {
        (Some(f), r) => r.duration_since(f).max(SignedDuration::from_secs(1)),
        _ => SignedDuration::from_secs(60),
    };
    let mitigate_within = p
        .mitigated
        .map_or(SignedDuration::ZERO, |m| zero(m) * 2)
        .max(fix_within + recover + SignedDuration::from_mins(2));
    let limit = (drill_time(p, first_alert) + mitigate_within + SignedDuration::from_mins(2))
        .max(p.end.duration_since(p.start))
        .clamp(SignedDuration::from_mins(5), SignedDuration::from_hours(24));
    let _ = writeln!(t, "time_limit = {}\n", q(&secs(limit, 60)));

    // [[signals]]
    for s in d.signals {
        let _ = writeln!(t, "[[signals]]");
        let _ = writeln!(t, "name = {}", q(&s.name));
        let _ = writeln!(t, "unit = {}", q(&s.unit));
        let _ = writeln!(t, "baseline = {}", num(s.baseline));
        let _ = writeln!(t, "noise = {}", num(s.noise));
        if let Some(w) = s.warn {
            let _ = writeln!(t, "warn = {}", num(w));
        }
        if let Some(c) = s.crit {
            let _ = writeln!(t, "crit = {}", num(c));
        }
        if s.direction == crate::event::Direction::Below {
            let _ = writeln!(t, "direction = \"below\"");
        }
        if let Some(m) = s.min {
            let _ = writeln!(t, "min = {}", num(m));
        }
        if let Some(m) = s.max {
            let _ = writeln!(t, "max = {}", num(m));
        }
        t.push('\n');
    }

    // [[deployments]] and the rollouts they saw before anyone acted.
    let first_act = seen.acts.first().map_or(p.end, |a| a.at);
    let lead_secs = drill_time(p, p.fault).as_secs_f64().max(1.0);
    let mut events = Vec::new();
    let fault_deployment = fault_deployment(d);
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
        // Kept revisions, oldest first, ending with the one running at the start.
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

    // [[gpus]], a host at a time, at their lead-up readings.
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

    // [[alerts]], as they fired.
    for (at, a) in alerts(seen) {
        let Some((s, v)) = alert_signal(d, &a, at) else {
            notes.push(format!("alert {}: no signal to fire on; left out", a.name));
            continue;
        };
        let threshold = s.baseline + 0.9 * (v - s.baseline);
        let _ = writeln!(
            t,
            "# Fired at T+{} with {} at {}.",
            crate::ui::format::age(drill_time(p, at)),
            s.name,
            num(v)
        );
        let _ = writeln!(t, "[[alerts]]");
        let _ = writeln!(t, "name = {}", q(&a.name));
        let _ = writeln!(t, "severity = {}", q(&a.severity));
        let _ = writeln!(t, "signal = {}", q(&s.name));
        let _ = writeln!(t, "threshold = {}", num(threshold));
        let _ = writeln!(t, "for = \"0s\"");
        let _ = writeln!(t, "summary = {}", q(&one_line(&a.summary, 300)));
        let anchor = crate::runbook::slug(&heading(&a));
        let _ = writeln!(
            t,
            "runbook_url = {}\n",
            q(&format!("{runbook_file}#{anchor}"))
        );
    }

    // [[kill_switches]] as they were at the start.
    for k in &seen.kill_switches {
        let _ = writeln!(t, "[[kill_switches]]");
        let _ = writeln!(t, "name = {}", q(&k.name));
        let _ = writeln!(t, "description = {}", q(&one_line(&k.description, 200)));
        if k.on == Some(true) {
            let _ = writeln!(t, "on = true");
        }
        t.push('\n');
    }

    for (at, deployment, image, cause) in &events {
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

    // [[faults]]: the one cause, cured only by the original fix.
    let deployment = fault_deployment.unwrap_or_else(|| deployments[0].clone());
    let _ = writeln!(t, "[[faults]]");
    let _ = writeln!(t, "name = \"recorded-incident\"");
    let _ = writeln!(t, "deployment = {}", q(&deployment));
    let before_fix = p.fix.map_or(p.end, |f| f - SignedDuration::from_micros(1));
    match d.fix.map(|a| &a.action) {
        Some(Action::Rollback { .. }) => {
            if let Some(s) = seen.deployment_at(&deployment, before_fix) {
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
    let crashloop = seen
        .crashing
        .get(&deployment)
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
            .get(&deployment)
            .and_then(|r| r.iter().max_by_key(|(_, n)| **n).map(|(r, _)| r.clone()))
            .unwrap_or_else(|| "Error".into());
        let _ = writeln!(t, "crash_reason = {}", q(&reason));
    }
    if let Some(during) = d.logs.during.get(&deployment) {
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

    // [scoring], against the original response.
    let _ = writeln!(t, "[scoring]");
    let _ = writeln!(t, "wrong_action_penalty = 10");
    let _ = writeln!(t, "mitigate_within = {}", q(&secs(mitigate_within, 60)));
    let _ = writeln!(t, "mitigate_points = 30");
    let _ = writeln!(t, "ack_within = {}", q(&secs(ack_within, 60)));
    let _ = writeln!(t, "ack_points = 10");
    let _ = writeln!(t, "pass = 70");
    if let (Some(a), Some(f)) = (d.fix, &fix_line) {
        let _ = writeln!(t, "\n[[scoring.expect]]");
        let _ = writeln!(t, "action = {}", q(f));
        let _ = writeln!(t, "within = {}", q(&secs(fix_within, 60)));
        let _ = writeln!(t, "points = 60");
        let _ = writeln!(
            t,
            "why = {}",
            q(&format!(
                "the original responder's fix, at T+{} after the first alert; the incident resolved after it",
                crate::ui::format::age(zero(a.at))
            ))
        );
    }
    t
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

/// The runbook beside the drill: a section per alert, with the responder's own path.
fn runbook_md(d: &Draft) -> String {
    let p = &d.phases;
    let incident = d.header.incident.as_ref();
    let id = incident.map_or("an unnamed incident".to_string(), |i| i.id.clone());
    let title = incident.map_or("A recorded incident".to_string(), |i| i.title.clone());
    let first_alert = p.first_alert.unwrap_or(p.lead_up_end);
    let tplus = |at: Timestamp| {
        let d = at.duration_since(first_alert);
        if d.is_negative() {
            format!("T−{}", crate::ui::format::age(-d))
        } else {
            format!("T+{}", crate::ui::format::age(d))
        }
    };
    let moved: Vec<&str> = d
        .signals
        .iter()
        .filter(|s| !s.curve.is_empty())
        .map(|s| s.name.as_str())
        .collect();
    let until = p.mitigated.or(p.fix).unwrap_or(p.end);
    let mut path: Vec<String> = d
        .seen
        .entries
        .iter()
        .filter(|e| e.at <= until && e.kind != Kind::Ack && e.kind != Kind::StepTicked)
        .map(|e| {
            format!(
                "{} ({} by the original responder, {})",
                one_line(&e.text, 160),
                e.kind.as_str(),
                tplus(e.at)
            )
        })
        .collect();
    if path.is_empty() {
        for a in d.seen.acts.iter().filter(|a| a.at <= until) {
            path.push(format!(
                "`{}` (by the original responder, {})",
                a.action.command_line(),
                tplus(a.at)
            ));
        }
    }
    let mut md = format!(
        "# {}\n\nDrawn by `sitrep drill new` from the recording of {id} ({}): the alerts that \
         fired and what the original responder did, in order. Make it the team's own.\n",
        one_line(&title, 120),
        p.start.strftime("%Y-%m-%d %H:%M UTC")
    );
    for (at, a) in alerts(d.seen) {
        let _ = write!(md, "\n## {}\n\n", heading(&a));
        if !a.detail.is_empty() {
            let _ = writeln!(
                md,
                "Fired at {}: {}.\n",
                tplus(at),
                one_line(&a.detail, 160)
            );
        }
        let mut steps = vec![format!("Acknowledge {}, so nobody else is paged.", a.name)];
        if !moved.is_empty() {
            steps.push(format!(
                "Look at the signals that moved: {}.",
                moved.join(", ")
            ));
        }
        steps.extend(path.iter().cloned());
        if let Some(f) = d.fix {
            let still = firing_at(d.seen, &a.name, f.at);
            steps.push(format!(
                "The fix that worked: `{}`{}.",
                remedy_line(&f.action),
                if still {
                    ""
                } else {
                    " (this alert had resolved by then)"
                }
            ));
        }
        steps.push("Verify: every alert resolved and the signals back at their baselines.".into());
        for (i, s) in steps.iter().enumerate() {
            let _ = writeln!(md, "{}. {s}", i + 1);
        }
    }
    md
}

/// Writes the drill and its runbook; refuses to overwrite either without `force`.
pub(super) fn write(d: &Draft, out: &Path, force: bool) -> anyhow::Result<Written> {
    let runbook = runbook_path(out);
    for f in [out, runbook.as_path()] {
        if f.exists() && !force {
            anyhow::bail!("{} exists; --force overwrites it", f.display());
        }
    }
    let runbook_file = runbook
        .file_name()
        .map_or("runbook.md".into(), |f| f.to_string_lossy().into_owned());
    let mut notes = Vec::new();
    let toml = drill_toml(d, &runbook_file, &mut notes);
    let md = runbook_md(d);
    // Parsed before anything is written: a drill that does not load is not written.
    let scenario = crate::drill::Scenario::parse(out, &toml).map_err(|e| {
        anyhow::anyhow!(
            "the drill made from {} does not load: {e}",
            d.recording.display()
        )
    })?;
    if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_atomic(&runbook, &md)?;
    write_atomic(out, &toml)?;
    notes.extend(crate::drill::library::warnings(&scenario, Some(out)));
    Ok(Written {
        drill: out.to_path_buf(),
        runbook,
        notes,
    })
}

fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("sitrep-tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
}
