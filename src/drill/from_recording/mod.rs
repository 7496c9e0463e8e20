//! `sitrep drill new --from-recording FILE -o DRILL.toml`: a drill made from a real
//! incident, so last night's incident is next week's training in one command.
//!
//! The recording is read twice. The first pass gathers the signals, deployments, pods,
//! GPUs, alerts, kill switches and the original responder's actions ([`seen`]); from them
//! come the incident's phases:
//!
//! ```text
//!  start ── lead-up ── fault ── first alert ── … ── fix ── recovery ── recovered ── end
//!           baselines   curves start                 recovery curves start
//! ```
//!
//! - the lead-up (before the first alert or the incident's opening) gives each signal's
//!   baseline (median) and noise (scaled median absolute deviation);
//! - the fault starts when the signals that were bad at the first alert last left their
//!   baseline band; each signal that moved follows the recorded curve from there;
//! - the fix is the original responder's last successful remedy (rollback, restart, scale,
//!   kill switch) before the incident was mitigated; it becomes the expected remedy and
//!   the only cure, and the signals come back along the recorded recovery curve;
//!   any other remedy leaves the cause in place, so it does nothing;
//! - alerts fire on the signal that moved most when each fired, at the value it had then.
//!
//! The second pass counts log lines by shape per workload, before and during the fault
//! ([`logs`]). Out come the drill file and, beside it, a runbook drawn from the alerts and
//! the responder's own notes and actions, so the checklist pane is live and `sitrep check`
//! passes.

mod cluster;
mod drill_file;
mod fault;
mod logs;
mod runbook;
mod seen;
mod write;

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use crate::event::{Action, AlertState, Direction};
use seen::{Act, Seen};
pub use write::Written;

/// A signal's healthy behaviour and how it moved.
#[derive(Debug, Clone)]
struct SignalDraft {
    name: String,
    unit: String,
    warn: Option<f64>,
    crit: Option<f64>,
    direction: Direction,
    baseline: f64,
    noise: f64,
    min: Option<f64>,
    max: Option<f64>,
    /// `(seconds since the fault, value)` while the cause was there; empty if it never moved.
    curve: Vec<(f64, f64)>,
    /// `(seconds since the fix, value)` until it was back.
    recovery: Vec<(f64, f64)>,
}

/// The phases of the recorded incident.
#[derive(Debug, Clone, Copy)]
struct Phases {
    start: Timestamp,
    end: Timestamp,
    /// The lead-up ends here: the first alert or the incident's opening.
    lead_up_end: Timestamp,
    fault: Timestamp,
    first_alert: Option<Timestamp>,
    /// The original fix, if there was one.
    fix: Option<Timestamp>,
    mitigated: Option<Timestamp>,
    /// The signals were back in their bands.
    recovered: Timestamp,
}

/// Makes the drill from `recording` and writes it to `out` (and its runbook beside it).
pub fn make(recording: &Path, out: &Path, force: bool) -> anyhow::Result<Written> {
    let mut reader =
        crate::recording::Reader::open(recording).map_err(|e| anyhow::anyhow!("{e}"))?;
    if reader.is_empty() {
        anyhow::bail!(
            "{}: the recording holds no records; nothing to make a drill from",
            recording.display()
        );
    }
    let seen = Seen::read(&mut reader).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (Some(start), Some(end)) = (seen.start, seen.end) else {
        anyhow::bail!(
            "{}: the recording holds no observations; nothing to make a drill from",
            recording.display()
        );
    };
    let opened = reader.header().incident.as_ref().map(|i| i.opened_at);
    let fix = fix(&seen);
    let first_alert = seen.first_firing();
    let lead_up_end = [first_alert, opened]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(end)
        .max(start);
    let mut signals: Vec<SignalDraft> = seen
        .defs
        .iter()
        .map(|d| {
            let samples = seen.samples.get(&d.name).map_or(&[][..], |s| s.as_slice());
            let (baseline, noise) = baseline(samples, lead_up_end, d.direction);
            SignalDraft {
                name: d.name.clone(),
                unit: d.unit.clone(),
                warn: d.warn,
                crit: d.crit,
                direction: d.direction,
                baseline,
                noise,
                min: (d.unit == "percent"
                    || d.unit == "ratio"
                    || d.unit == "count"
                    || d.unit == "ms"
                    || d.unit == "seconds"
                    || d.unit == "bytes")
                    .then_some(0.0),
                max: (d.unit == "percent").then_some(100.0),
                curve: Vec::new(),
                recovery: Vec::new(),
            }
        })
        .collect();
    let fault = fault_start(&seen, &signals, first_alert.unwrap_or(lead_up_end), start);
    let fixed_at = fix.as_ref().map(|a| a.at);
    let mitigated = seen.mitigated();
    let recovered = recovered(&seen, &signals, fixed_at, mitigated, end);
    let phases = Phases {
        start,
        end,
        lead_up_end,
        fault,
        first_alert,
        fix: fixed_at,
        mitigated,
        recovered,
    };
    for s in &mut signals {
        let samples = seen.samples.get(&s.name).map_or(&[][..], |x| x.as_slice());
        curves(s, samples, &phases);
    }
    let logs = logs::read(
        &mut reader,
        &seen.pod_workload,
        fault,
        fixed_at.unwrap_or(end),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = drill_name(out);
    let draft = write::Draft {
        name,
        recording: recording.to_path_buf(),
        header: reader.header().clone(),
        seen: &seen,
        signals: &signals,
        phases,
        fix: fix.as_ref(),
        logs: &logs,
    };
    write::write(&draft, out, force)
}

/// The drill's name: the output file's stem, in the characters names use.
fn drill_name(out: &Path) -> String {
    let stem = out.file_stem().map_or("recorded-incident".into(), |s| {
        s.to_string_lossy().into_owned()
    });
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "recorded-incident".into()
    } else {
        name
    }
}

/// The original fix: the last remedy that went through before the incident was
/// mitigated (the last one at all when it never was).
fn fix(seen: &Seen) -> Option<Act> {
    let before = seen.mitigated().unwrap_or(Timestamp::MAX);
    seen.acts
        .iter()
        .rev()
        .find(|a| a.ok && a.at <= before)
        .cloned()
}

/// Median and noise (1.4826 × median absolute deviation) of the values before `until`;
/// with no lead-up, the healthiest tenth of the whole recording.
fn baseline(samples: &[(Timestamp, f64)], until: Timestamp, dir: Direction) -> (f64, f64) {
    let mut lead: Vec<f64> = samples
        .iter()
        .filter(|(t, _)| *t < until)
        .map(|(_, v)| *v)
        .collect();
    if lead.len() < 3 {
        let mut all: Vec<f64> = samples.iter().map(|(_, v)| *v).collect();
        all.sort_by(f64::total_cmp);
        let n = all.len();
        if n == 0 {
            return (0.0, 0.0);
        }
        let tenth = (n / 10).max(1);
        lead = match dir {
            Direction::Above => all[..tenth].to_vec(),
            Direction::Below => all[n - tenth..].to_vec(),
        };
    }
    let med = median(&mut lead);
    let mut dev: Vec<f64> = lead.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut dev);
    (med, mad * 1.4826)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// How far a signal may stray from its baseline and still be healthy.
fn band(s: &SignalDraft) -> f64 {
    let band = (4.0 * s.noise).max(0.01 * s.baseline.abs()).max(1e-6);
    // Never wider than half the way to the warning threshold on the bad side.
    let bad_side = |w: f64| match s.direction {
        Direction::Above => w > s.baseline,
        Direction::Below => w < s.baseline,
    };
    match s.warn.or(s.crit).filter(|w| bad_side(*w)) {
        Some(w) => band.min(0.5 * (w - s.baseline).abs()).max(1e-6),
        None => band,
    }
}

/// How far `v` is past the band on the signal's bad side, in bands (0 when healthy).
fn badness(s: &SignalDraft, v: f64) -> f64 {
    let past = match s.direction {
        Direction::Above => v - s.baseline,
        Direction::Below => s.baseline - v,
    };
    let b = band(s);
    if past > b { past / b } else { 0.0 }
}

/// The latest value of a signal at or before `t`.
fn value_at(samples: &[(Timestamp, f64)], t: Timestamp) -> Option<f64> {
    let i = samples.partition_point(|(at, _)| *at <= t);
    i.checked_sub(1).map(|i| samples[i].1)
}

/// When the fault began: the signals that were bad at the first alert last left their
/// band then; half a minute before the alert when none was.
fn fault_start(
    seen: &Seen,
    signals: &[SignalDraft],
    alert: Timestamp,
    start: Timestamp,
) -> Timestamp {
    let mut from: Option<Timestamp> = None;
    for s in signals {
        let samples = seen.samples.get(&s.name).map_or(&[][..], |x| x.as_slice());
        let Some(v) = value_at(samples, alert) else {
            continue;
        };
        if badness(s, v) == 0.0 {
            continue;
        }
        let upto = samples.partition_point(|(at, _)| *at <= alert);
        let healthy = samples[..upto]
            .iter()
            .rposition(|(_, v)| badness(s, *v) == 0.0);
        let left = match healthy {
            Some(i) => samples.get(i + 1).map_or(alert, |p| p.0),
            None => start,
        };
        from = Some(from.map_or(left, |f| f.min(left)));
    }
    from.unwrap_or(alert - SignedDuration::from_secs(30))
        .clamp(start, alert.max(start))
}

/// When every signal was back in its band after the fix (and the alerts resolved).
fn recovered(
    seen: &Seen,
    signals: &[SignalDraft],
    fix: Option<Timestamp>,
    mitigated: Option<Timestamp>,
    end: Timestamp,
) -> Timestamp {
    let Some(fix) = fix else {
        return end;
    };
    let mut back = mitigated.unwrap_or(fix).max(fix);
    for s in signals {
        let samples = seen.samples.get(&s.name).map_or(&[][..], |x| x.as_slice());
        let from = samples.partition_point(|(at, _)| *at <= fix);
        // The first healthy sample after the last unhealthy one.
        let last_bad = samples[from..]
            .iter()
            .rposition(|(_, v)| badness(s, *v) > 0.0)
            .map(|i| from + i);
        if let Some(i) = last_bad {
            back = back.max(samples.get(i + 1).map_or(end, |p| p.0));
        }
    }
    back.min(end)
}

/// Points at most this many per curve; a long incident is averaged into buckets.
const CURVE_POINTS: usize = 120;

/// The recorded curves of a signal that moved.
fn curves(s: &mut SignalDraft, samples: &[(Timestamp, f64)], p: &Phases) {
    let until = p.fix.unwrap_or(p.end);
    let moved = samples
        .iter()
        .filter(|(t, _)| *t >= p.fault && *t <= p.recovered.max(until))
        .any(|(_, v)| badness(s, *v) > 0.0);
    if !moved {
        return;
    }
    s.curve = downsample(samples, p.fault, until);
    if s.curve.first().is_none_or(|(t, _)| *t > 0.0) {
        s.curve.insert(0, (0.0, s.baseline));
    }
    if let Some(fix) = p.fix {
        s.recovery = downsample(samples, fix, p.recovered);
        let last = s.recovery.last().map_or(0.0, |(t, _)| *t);
        let end = p
            .recovered
            .duration_since(fix)
            .as_secs_f64()
            .max(last + 1.0);
        s.recovery.push((end, s.baseline));
    }
}

/// `(seconds since from, value)` of the samples in `[from, to]`, averaged into at most
/// [`CURVE_POINTS`] buckets.
fn downsample(samples: &[(Timestamp, f64)], from: Timestamp, to: Timestamp) -> Vec<(f64, f64)> {
    let mut inside: Vec<(f64, f64)> = Vec::new();
    for (t, v) in samples.iter().filter(|(t, _)| *t >= from && *t <= to) {
        let at = t.duration_since(from).as_secs_f64();
        // Two values of one moment (a snapshot after an action): the later one holds.
        match inside.last_mut() {
            Some(last) if last.0 == at => last.1 = *v,
            _ => inside.push((at, *v)),
        }
    }
    if inside.len() <= CURVE_POINTS {
        return inside;
    }
    let span = to.duration_since(from).as_secs_f64().max(1.0);
    let width = span / CURVE_POINTS as f64;
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut bucket: Vec<(f64, f64)> = Vec::new();
    let mut edge = width;
    let flush = |bucket: &mut Vec<(f64, f64)>, out: &mut Vec<(f64, f64)>| {
        if bucket.is_empty() {
            return;
        }
        let n = bucket.len() as f64;
        let t = bucket.iter().map(|p| p.0).sum::<f64>() / n;
        let v = bucket.iter().map(|p| p.1).sum::<f64>() / n;
        out.push((t, v));
        bucket.clear();
    };
    for p in inside {
        while p.0 > edge {
            flush(&mut bucket, &mut out);
            edge += width;
        }
        bucket.push(p);
    }
    flush(&mut bucket, &mut out);
    out
}

/// The command line an action is expected as, and cured by: without a revision for a
/// rollback (the drill numbers revisions from 1), whole otherwise.
fn remedy_line(a: &Action) -> String {
    crate::drill::scorecard::remedy_prefix(a)
}

/// Whether an alert was firing at `t`.
fn firing_at(seen: &Seen, name: &str, t: Timestamp) -> bool {
    seen.alerts
        .iter()
        .rev()
        .find(|(at, a)| a.name == name && *at <= t)
        .is_some_and(|(_, a)| a.state == AlertState::Firing)
}

/// `sitrep drill new --from-recording FILE -o DRILL.toml [--force]`.
pub fn run_cli(
    recording: &Path,
    out: &Path,
    force: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let w = make(recording, out, force)?;
    crate::output::eprintln(&format!(
        "wrote {} and its runbook {}",
        w.drill.display(),
        w.runbook.display()
    ));
    for n in &w.notes {
        crate::output::eprintln(&format!("note: {n}"));
    }
    crate::output::eprintln(&format!(
        "try it: sitrep check {0} && sitrep drill {0}",
        w.drill.display()
    ));
    Ok(std::process::ExitCode::SUCCESS)
}

/// Where the runbook of a drill written to `out` goes: beside it, `NAME.md`.
fn runbook_path(out: &Path) -> PathBuf {
    out.with_extension("md")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn baselines_come_from_the_lead_up_and_curves_are_bounded() {
        let samples: Vec<(Timestamp, f64)> = (0..1000)
            .map(|i| {
                (
                    t(i),
                    if i < 100 {
                        1.0 + (i % 3) as f64 * 0.1
                    } else {
                        9.0
                    },
                )
            })
            .collect();
        let (b, n) = baseline(&samples, t(100), Direction::Above);
        assert!((b - 1.1).abs() < 1e-9, "{b}");
        assert!(n > 0.0 && n < 0.2, "{n}");
        let d = downsample(&samples, t(100), t(999));
        assert!(d.len() <= CURVE_POINTS && d.len() > 100, "{}", d.len());
        assert!(d.iter().all(|(_, v)| *v == 9.0));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}
