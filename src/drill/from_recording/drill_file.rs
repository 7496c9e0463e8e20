//! The drill file made from a recording: its TOML, commented, a table at a time in the
//! order docs/drills.md documents them. The cluster's tables are in `cluster.rs`, the
//! `[[faults]]` table in `fault.rs`; the TOML spellings all use (strings, numbers,
//! durations, curves) are here.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::cluster::{deployments, events, gpus};
use super::fault::{fault_deployment, faults};
use super::write::{Draft, alerts, drill_time, heading, incident_names, one_line};
use super::{SignalDraft, badness, remedy_line, value_at};
use crate::event::AlertStatus;
use crate::journal::Kind;

/// A TOML string.
pub(super) fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A number as short as it stays exact to four decimals.
pub(super) fn num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A drill duration in whole seconds, at least `min` seconds.
pub(super) fn secs(d: SignedDuration, min: i64) -> String {
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

/// A curve as a TOML array of `[seconds, value]` pairs.
pub(super) fn points(p: &[(f64, f64)]) -> String {
    let inner: Vec<String> = p
        .iter()
        .map(|(t, v)| format!("[{}, {}]", num(*t), num(*v)))
        .collect();
    format!("[{}]", inner.join(", "))
}

/// The drill file's text; notes on what the recording lacked go to `notes`.
pub(super) fn drill_toml(d: &Draft, runbook_file: &str, notes: &mut Vec<String>) -> String {
    let mut t = String::new();
    let w = Windows::of(d);
    preamble(&mut t, d);
    drill_table(&mut t, d, runbook_file, &w);
    signals(&mut t, d);
    let (deployments, rollouts) = deployments(&mut t, d, notes);
    gpus(&mut t, d);
    alert_tables(&mut t, d, runbook_file, notes);
    kill_switches(&mut t, d);
    events(&mut t, &rollouts);
    let deployment = fault_deployment(d).unwrap_or_else(|| deployments[0].clone());
    faults(&mut t, d, &deployment, w.recover, notes);
    scoring(&mut t, d, &w);
    t
}

/// Time from the first alert (or the end of the lead-up) to `at`, never negative.
fn since_first_alert(d: &Draft, at: Timestamp) -> SignedDuration {
    let p = &d.phases;
    let first_alert = p.first_alert.unwrap_or(p.lead_up_end);
    at.duration_since(first_alert).max(SignedDuration::ZERO)
}

/// The scoring windows and time limit, from the original response (twice its times,
/// never too tight).
struct Windows {
    ack: SignedDuration,
    fix: SignedDuration,
    /// How long the signals took to come back after the fix.
    recover: SignedDuration,
    mitigate: SignedDuration,
    limit: SignedDuration,
}

impl Windows {
    fn of(d: &Draft) -> Windows {
        let p = &d.phases;
        let first_alert = p.first_alert.unwrap_or(p.lead_up_end);
        let zero = |at: Timestamp| since_first_alert(d, at);
        let ack_at = d
            .seen
            .entries
            .iter()
            .find(|e| e.kind == Kind::Ack)
            .map(|e| zero(e.at));
        let ack = ack_at
            .map_or(SignedDuration::from_mins(5), |a| a * 2)
            .max(SignedDuration::from_mins(3));
        let fix = d
            .fix
            .map_or(SignedDuration::from_mins(10), |a| zero(a.at) * 2)
            .max(SignedDuration::from_mins(5));
        let recover = match (p.fix, p.recovered) {
            (Some(f), r) => r.duration_since(f).max(SignedDuration::from_secs(1)),
            _ => SignedDuration::from_secs(60),
        };
        let mitigate = p
            .mitigated
            .map_or(SignedDuration::ZERO, |m| zero(m) * 2)
            .max(fix + recover + SignedDuration::from_mins(2));
        let limit = (drill_time(p, first_alert) + mitigate + SignedDuration::from_mins(2))
            .max(p.end.duration_since(p.start))
            .clamp(SignedDuration::from_mins(5), SignedDuration::from_hours(24));
        Windows {
            ack,
            fix,
            recover,
            mitigate,
            limit,
        }
    }
}

/// The comment at the top: where the drill came from and how it was made.
fn preamble(t: &mut String, d: &Draft) {
    let p = &d.phases;
    let (id, _) = incident_names(d);
    let date = p.start.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let first_alert = p.first_alert.unwrap_or(p.lead_up_end);
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
}

/// `[drill]`: name, title, namespace, runbook and time limit.
fn drill_table(t: &mut String, d: &Draft, runbook_file: &str, w: &Windows) {
    let p = &d.phases;
    let (_, title) = incident_names(d);
    let date = p.start.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let fix_line = d.fix.map(|a| remedy_line(&a.action));
    let namespace = d
        .seen
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
    let _ = writeln!(t, "time_limit = {}\n", q(&secs(w.limit, 60)));
}

/// `[[signals]]`: each signal's baseline, noise and thresholds.
fn signals(t: &mut String, d: &Draft) {
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
}

/// `[[alerts]]`, as they fired, each on the signal it watched.
fn alert_tables(t: &mut String, d: &Draft, runbook_file: &str, notes: &mut Vec<String>) {
    for (at, a) in alerts(d.seen) {
        let Some((s, v)) = alert_signal(d, &a, at) else {
            notes.push(format!("alert {}: no signal to fire on; left out", a.name));
            continue;
        };
        let threshold = s.baseline + 0.9 * (v - s.baseline);
        let _ = writeln!(
            t,
            "# Fired at T+{} with {} at {}.",
            crate::ui::format::age(drill_time(&d.phases, at)),
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

/// `[[kill_switches]]` as they were at the start.
fn kill_switches(t: &mut String, d: &Draft) {
    for k in &d.seen.kill_switches {
        let _ = writeln!(t, "[[kill_switches]]");
        let _ = writeln!(t, "name = {}", q(&k.name));
        let _ = writeln!(t, "description = {}", q(&one_line(&k.description, 200)));
        if k.on == Some(true) {
            let _ = writeln!(t, "on = true");
        }
        t.push('\n');
    }
}

/// `[scoring]`, against the original response.
fn scoring(t: &mut String, d: &Draft, w: &Windows) {
    let fix_line = d.fix.map(|a| remedy_line(&a.action));
    let _ = writeln!(t, "[scoring]");
    let _ = writeln!(t, "wrong_action_penalty = 10");
    let _ = writeln!(t, "mitigate_within = {}", q(&secs(w.mitigate, 60)));
    let _ = writeln!(t, "mitigate_points = 30");
    let _ = writeln!(t, "ack_within = {}", q(&secs(w.ack, 60)));
    let _ = writeln!(t, "ack_points = 10");
    let _ = writeln!(t, "pass = 70");
    if let (Some(a), Some(f)) = (d.fix, &fix_line) {
        let _ = writeln!(t, "\n[[scoring.expect]]");
        let _ = writeln!(t, "action = {}", q(f));
        let _ = writeln!(t, "within = {}", q(&secs(w.fix, 60)));
        let _ = writeln!(t, "points = 60");
        let _ = writeln!(
            t,
            "why = {}",
            q(&format!(
                "the original responder's fix, at T+{} after the first alert; the incident resolved after it",
                crate::ui::format::age(since_first_alert(d, a.at))
            ))
        );
    }
}
