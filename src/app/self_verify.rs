//! Runbook steps that verify themselves: a step stating a measurable criterion ("5xx ratio
//! back under 1% for 10 minutes", "pods Ready") is tied to the matching signal or to pod
//! state and ticked by sitrep once the criterion has held for its duration, journaled with
//! the evidence.
//!
//! Verification verifies a mitigation, so the clock starts only once the incident is being
//! mitigated (a change went through, or the operator said so): a signal that was fine all
//! along does not tick "back under 1%" before anything was done.

use jiff::{SignedDuration, Timestamp};

use crate::command::Status;
use crate::journal::Kind;
use crate::runbook::criterion::{Bound, Check, Criterion, criterion, measure_words};

use super::App;
use super::alert_target::alert_workloads;
use super::state::{SignalState, WorkloadKey};
use super::suggest::StepKey;

/// How long a criterion that names no duration must hold.
pub const DEFAULT_HOLD: SignedDuration = SignedDuration::from_mins(1);

/// Words that say how a measure is taken, not what it measures.
const VAGUE: &[&str] = &["ratio", "rate", "back", "the", "of", "on", "a", "all", "is"];

/// The signal a criterion's subject names: the one sharing the most telling words.
fn signal_for<'a>(subject: &str, signals: &'a [SignalState]) -> Option<&'a SignalState> {
    let want: Vec<String> = measure_words(subject)
        .into_iter()
        .filter(|w| !VAGUE.contains(&w.as_str()))
        .collect();
    signals
        .iter()
        .map(|s| {
            let have = measure_words(&s.def.name);
            (want.iter().filter(|w| have.contains(w)).count(), s)
        })
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, s)| s)
}

/// The signal's value in the criterion's unit, when the units are the same kind.
fn in_unit(value: f64, signal_unit: &str, unit: &str) -> Option<f64> {
    match (unit, signal_unit) {
        ("", _) => Some(value),
        ("%", "percent" | "%") => Some(value),
        ("%", "ratio") => Some(value * 100.0),
        ("ms", "ms") | ("s", "seconds" | "s") => Some(value),
        ("ms", "seconds" | "s") => Some(value * 1000.0),
        ("s", "ms") => Some(value / 1000.0),
        _ => None,
    }
}

/// `10m`, `90s`, `1h`.
fn short(d: SignedDuration) -> String {
    let s = d.as_secs();
    match s {
        _ if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        _ if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

impl App {
    /// The workloads the section on screen is about: those of the alerts it answers, else
    /// the selected alert's.
    fn section_workloads(&self) -> Vec<WorkloadKey> {
        let here = self.checklist.as_ref().map(|c| (c.book, c.section));
        let answering: Vec<WorkloadKey> = self
            .alerts
            .iter()
            .filter(|a| a.runbook.as_ref().map(|(b, s, _)| (*b, *s)) == here)
            .flat_map(|a| alert_workloads(&self.config.services, &a.status, &self.pods))
            .collect();
        if !answering.is_empty() {
            return answering;
        }
        self.alerts
            .selected()
            .map(|a| alert_workloads(&self.config.services, &a.status, &self.pods))
            .unwrap_or_default()
    }

    /// Whether a criterion holds now, and the evidence when it does.
    pub(crate) fn criterion_holds(&self, c: &Criterion) -> Option<String> {
        match &c.check {
            Check::Signal {
                subject,
                bound,
                value,
                unit,
            } => {
                let s = signal_for(subject, &self.signals)?;
                if s.stale.is_some() {
                    return None;
                }
                let v = in_unit(s.value?, &s.def.unit, unit)?;
                let (ok, sign) = match bound {
                    Bound::Below => (v < *value, "<"),
                    Bound::Above => (v > *value, ">"),
                };
                ok.then(|| {
                    format!(
                        "{} {} {sign} {value}{unit}",
                        s.def.name,
                        crate::ui::format::value(s.value, &s.def.unit)
                    )
                })
            }
            Check::PodsReady => {
                let workloads = self.section_workloads();
                let pods: Vec<_> = workloads
                    .iter()
                    .filter_map(|w| self.pods.workloads.get(w))
                    .flat_map(|w| w.pods.values())
                    .collect();
                let ready = pods.iter().filter(|p| p.ready).count();
                (!pods.is_empty() && ready == pods.len()).then(|| {
                    format!(
                        "{ready}/{} pods of {} Ready",
                        pods.len(),
                        workloads
                            .iter()
                            .map(|k| k.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            }
            Check::RolloutDone { deployment } => {
                let key = match deployment {
                    Some(text) => self.pods.resolve_deployment(text).ok()?,
                    None => self.section_workloads().into_iter().next()?,
                };
                let d = self.pods.deployment(&key)?;
                let name = &key.name;
                let done = d.updated == d.replicas
                    && d.ready == d.replicas
                    && d.available == d.replicas
                    && d.problems.is_empty();
                done.then(|| {
                    format!(
                        "{name} rolled out: revision {}, {}/{} ready",
                        d.revision, d.ready, d.replicas
                    )
                })
            }
        }
    }

    /// Ticks every step of the section on screen whose criterion has held long enough.
    pub(super) fn check_self_verifying_steps(&mut self) {
        let mitigating = self
            .incident
            .as_ref()
            .is_some_and(|i| i.status >= Status::Mitigating && i.status < Status::Resolved);
        let Some(c) = &self.checklist else {
            return;
        };
        if !mitigating {
            if !c.holding.is_empty()
                && let Some(c) = &mut self.checklist
            {
                c.holding.clear();
            }
            return;
        }
        let now = self.now;
        let mut due: Vec<(StepKey, String)> = Vec::new();
        let mut holding = c.holding.clone();
        let here = (c.book, c.section);
        let criteria = match &c.criteria {
            Some((at, list)) if *at == here => list.clone(),
            _ => {
                let list: Vec<(usize, usize, Criterion)> = c
                    .steps()
                    .into_iter()
                    .filter_map(|(g, i)| {
                        let step = c.current()?.groups.get(g)?.steps.get(i)?;
                        Some((g, i, criterion(&step.text)?))
                    })
                    .collect();
                if let Some(c) = &mut self.checklist {
                    c.criteria = Some((here, list.clone()));
                }
                list
            }
        };
        let Some(c) = &self.checklist else {
            return;
        };
        for (g, i, crit) in criteria {
            let key: StepKey = (c.book, c.section, g, i);
            if c.is_checked(g, i) {
                holding.remove(&key);
                continue;
            }
            match self.criterion_holds(&crit) {
                Some(evidence) => {
                    let since: Timestamp = *holding.entry(key).or_insert(now);
                    let hold = crit.hold.unwrap_or(DEFAULT_HOLD);
                    if now.duration_since(since) >= hold {
                        due.push((
                            key,
                            format!(
                                "verified: {evidence} for {} at {}",
                                short(hold),
                                crate::ui::format::time_of_day(now)
                            ),
                        ));
                    }
                }
                None => {
                    holding.remove(&key);
                }
            }
        }
        if let Some(c) = &mut self.checklist {
            c.holding = holding;
        }
        for (key, evidence) in due {
            let ticked = self.checklist.as_mut().and_then(|c| {
                c.holding.remove(&key);
                c.tick(key)
            });
            if let Some(text) = ticked {
                self.journal_as(
                    "sitrep",
                    Kind::StepTicked,
                    format!("{text} · {evidence}"),
                    None,
                );
                self.dirty = true;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use jiff::SignedDuration;

    use crate::app::sample::{answer, drill_pair};
    use crate::command::{Command, Status};
    use crate::config::Config;
    use crate::event::{Event, Observation};
    use crate::journal::Kind;

    fn verified(app: &crate::app::App) -> Vec<String> {
        app.timeline
            .iter()
            .filter(|e| e.kind == Kind::StepTicked && e.actor == "sitrep")
            .map(|e| e.text.clone())
            .collect()
    }

    /// Feeds `secs` seconds of one 5xx value, a sample a second.
    fn five_xx(app: &mut crate::app::App, value: f64, secs: i64) {
        for _ in 0..secs {
            let at = app.now + SignedDuration::from_secs(1);
            let mut rest = Vec::new();
            let obs = Observation::Signal {
                name: "5xx rate".into(),
                value: Some(value),
            };
            for e in app.update(Event::Observed(at, obs)) {
                answer(app, e, &mut rest);
            }
        }
    }

    #[test]
    fn a_verification_step_ticks_only_after_its_criterion_held_for_its_duration() {
        let (mut app, _) = drill_pair(Config::default(), 120);
        // Not while investigating: nothing was done yet that could be verified.
        five_xx(&mut app, 0.3, 700);
        assert!(verified(&app).is_empty());
        app.run(Command::Status(Status::Mitigating));
        // Held for 9 minutes, then broken: the clock starts again.
        five_xx(&mut app, 0.3, 540);
        five_xx(&mut app, 2.0, 5);
        five_xx(&mut app, 0.3, 599);
        assert!(verified(&app).is_empty(), "{:?}", verified(&app));
        five_xx(&mut app, 0.3, 2);
        let v = verified(&app);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].starts_with(
                "HighErrorRate: 5xx above 3% › 5xx ratio back under 1% for 10 minutes · verified: 5xx rate 0.3% < 1% for 10m at "
            ),
            "{}",
            v[0]
        );
        // Ticked once; the checklist shows it.
        five_xx(&mut app, 0.3, 5);
        assert_eq!(verified(&app).len(), 1);
        let c = app.checklist.as_ref().expect("a checklist");
        let keys = c.steps();
        let ticked: Vec<bool> = keys.iter().map(|(g, i)| c.is_checked(*g, *i)).collect();
        assert_eq!(ticked.iter().filter(|t| **t).count(), 1);
    }

    #[test]
    fn criteria_tie_to_signals_by_what_they_measure_and_their_unit() {
        let (app, _) = drill_pair(Config::default(), 120);
        let c = crate::runbook::criterion::criterion("p95 latency below 250 ms").expect("c");
        // Two minutes in, latency is far above 250 ms.
        assert_eq!(app.criterion_holds(&c), None);
        let c = crate::runbook::criterion::criterion("p95 latency below 5000 ms").expect("c");
        let e = app.criterion_holds(&c).expect("holds");
        assert!(e.starts_with("p95 latency (512 tok) "), "{e}");
        let c = crate::runbook::criterion::criterion("p95 latency below 5%").expect("c");
        assert_eq!(app.criterion_holds(&c), None, "a percentage is no latency");
    }
}
