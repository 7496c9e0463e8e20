//! A replay's original responder: their path through the recorded incident, the
//! reference made from it, and the trainee's times put beside theirs.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::{Reference, Scorecard, tplus, words};
use crate::drill::scenario::Scoring;
use crate::event::Action;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Original {
    /// When the original responder acknowledged.
    pub acked: Option<Timestamp>,
    /// The world-changing actions they confirmed, in order, as command lines.
    pub actions: Vec<(Timestamp, String)>,
}

/// The command line a remedy is expected as: a rollback without its revision (the
/// trainee's cluster numbers revisions as it likes), everything else whole.
pub fn remedy_prefix(a: &Action) -> String {
    match a {
        Action::Rollback { deployment, .. } => format!("rollback {deployment}"),
        other => other.command_line(),
    }
}

impl Original {
    /// The original path in a recording's actions ([`crate::recording::Reader::actions`]).
    pub fn from_records(records: &[crate::recording::Record]) -> Original {
        use crate::recording::Record;
        let mut o = Original::default();
        for r in records {
            match r {
                Record::Command { at, action } => {
                    if matches!(
                        action,
                        Action::Rollback { .. }
                            | Action::Restart { .. }
                            | Action::Scale { .. }
                            | Action::KillSwitch { .. }
                    ) {
                        o.actions.push((*at, remedy_prefix(action)));
                    }
                }
                Record::Journal { at, line }
                    if o.acked.is_none()
                        && crate::recording::format::operator_entry(line)
                            .is_some_and(|e| e.kind == crate::journal::Kind::Ack) =>
                {
                    o.acked = Some(*at);
                }
                _ => {}
            }
        }
        o
    }

    /// The original fix: the last remedy at or before the mitigation (the last at all
    /// when the replay did not reach one).
    pub fn fix(&self, mitigated: Option<Timestamp>) -> Option<&(Timestamp, String)> {
        let until = mitigated.unwrap_or(Timestamp::MAX);
        self.actions.iter().rev().find(|(at, _)| *at <= until)
    }
}

impl Reference {
    /// A replay's reference: the original responder's fix and times, with twice their
    /// time to do as well (never less than 3 minutes to acknowledge, 5 to fix).
    pub fn of_original(
        name: &str,
        title: &str,
        o: &Original,
        first_alert: Option<Timestamp>,
        mitigated: Option<Timestamp>,
    ) -> Reference {
        use crate::drill::scenario::Expectation;
        let zero = first_alert.unwrap_or(Timestamp::MIN);
        let since = |t: Timestamp| t.duration_since(zero).max(SignedDuration::ZERO);
        let fix = o.fix(mitigated);
        let fix_within = fix.map_or(SignedDuration::from_mins(10), |(at, _)| since(*at) * 2);
        let fix_within = fix_within.max(SignedDuration::from_mins(5));
        let mitigate_within = mitigated
            .map_or(SignedDuration::ZERO, |m| since(m) * 2)
            .max(fix_within);
        Reference {
            name: name.to_string(),
            title: title.to_string(),
            scoring: Scoring {
                expect: fix
                    .map(|(at, line)| Expectation {
                        action: line.clone(),
                        within: fix_within,
                        points: 60,
                        why: format!("the original responder's fix, at {}", tplus(since(*at))),
                    })
                    .into_iter()
                    .collect(),
                wrong_action_penalty: 10,
                mitigate_within,
                mitigate_points: if mitigated.is_some() { 30 } else { 0 },
                ack_points: 10,
                ack_within: Some(
                    o.acked
                        .map_or(SignedDuration::from_mins(5), |a| since(a) * 2)
                        .max(SignedDuration::from_mins(3)),
                ),
                pass: 70,
                unsafe_penalty: 25,
                wrong: Vec::new(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub rows: Vec<CompareRow>,
    /// The original responder's world-changing actions, `T+…` and command line.
    pub original_actions: Vec<(String, String)>,
}

/// One measure, yours and the original's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    pub measure: String,
    pub yours: String,
    pub original: String,
    /// Seconds from the first alert, for scripts.
    pub yours_s: Option<i64>,
    pub original_s: Option<i64>,
}

impl Scorecard {
    /// Puts the original responder's times and actions beside the trainee's.
    pub fn compare_with(
        &mut self,
        o: &Original,
        first_alert: Option<Timestamp>,
        mitigated: Option<Timestamp>,
    ) {
        let zero = first_alert.unwrap_or(Timestamp::MIN);
        let rel = |t: Timestamp| t.duration_since(zero);
        let fix = o.fix(mitigated).map(|(at, _)| rel(*at));
        let row =
            |measure: &str, yours: &str, yours_s: Option<i64>, orig: Option<SignedDuration>| {
                CompareRow {
                    measure: measure.into(),
                    yours: yours.into(),
                    original: orig.map_or("never".into(), words),
                    yours_s,
                    original_s: orig.map(|d| d.as_secs()),
                }
            };
        self.original = Some(Comparison {
            rows: vec![
                row(
                    "to acknowledge",
                    &self.times.to_acknowledge,
                    self.times.to_acknowledge_s,
                    o.acked.map(rel),
                ),
                row(
                    "to the first correct action",
                    &self.times.to_first_correct_action,
                    self.times.to_first_correct_action_s,
                    fix,
                ),
                row(
                    "to mitigation",
                    &self.times.to_mitigation,
                    self.times.to_mitigation_s,
                    mitigated.map(rel),
                ),
            ],
            original_actions: o
                .actions
                .iter()
                .map(|(at, c)| (tplus(rel(*at)), c.clone()))
                .collect(),
        });
    }
}
