//! Scoring: the facts of a response against the reference, into points, the reference
//! rows, a verdict on every action, and runbook adherence.

use jiff::{SignedDuration, Timestamp};

use super::{
    ActionRow, Facts, Reference, ReferenceRow, RunbookCard, RunbookFacts, Scorecard, StepRow,
    Times, tplus, words,
};
use crate::drill::library::WrongEffect;
use crate::drill::scenario::Scoring;

impl Scorecard {
    /// Scores the facts against the reference: the acknowledgement, each expected action,
    /// a verdict on every action taken, then the mitigation, in that order.
    pub fn build(r: &Reference, f: &Facts) -> Scorecard {
        let sc = &r.scoring;
        let zero = f.first_alert.unwrap_or(f.start);
        let rel = |t: Timestamp| t.duration_since(zero);
        let max = sc.expect.iter().map(|e| e.points).sum::<u32>()
            + sc.mitigate_points
            + if sc.ack_within.is_some() {
                sc.ack_points
            } else {
                0
            };
        let mut tally = Tally::default();
        tally.ack(sc, f.acked.map(rel));
        let (used, first_correct) = tally.expected(sc, f, &rel);
        let actions = tally.judge(sc, f, &used, &rel);
        let mitigated = f.mitigated.map(rel);
        tally.mitigation(sc, mitigated);

        let points = tally.points.clamp(0, i64::from(max)) as u32;
        let percent = (points * 100).checked_div(max).unwrap_or(100);
        let ack = f.acked.map(rel);
        let opt = |d: Option<SignedDuration>| d.map_or("never".to_string(), words);
        Scorecard {
            drill: r.name.clone(),
            title: r.title.clone(),
            end: f.end,
            duration: words(f.ended.duration_since(f.start)),
            points,
            max,
            percent,
            pass: sc.pass,
            passed: percent >= sc.pass,
            times: Times {
                to_acknowledge_s: ack.map(|d| d.as_secs()),
                to_first_correct_action_s: first_correct.map(|d| d.as_secs()),
                to_mitigation_s: mitigated.map(|d| d.as_secs()),
                to_acknowledge: opt(ack),
                to_first_correct_action: opt(first_correct),
                to_mitigation: opt(mitigated),
            },
            reference: tally.reference,
            actions,
            runbook: f.runbook.as_ref().map(runbook_card),
            lines: tally.lines,
            original: None,
            files: Vec::new(),
        }
    }
}

/// The score as it is built: points so far (may go below zero before the clamp), why each
/// was given or taken, and the reference rows.
#[derive(Default)]
struct Tally {
    points: i64,
    lines: Vec<String>,
    reference: Vec<ReferenceRow>,
}

impl Tally {
    /// The acknowledgement, `at` from the first alert, against its window if it has one.
    fn ack(&mut self, sc: &Scoring, at: Option<SignedDuration>) {
        let Some(within) = sc.ack_within else {
            return;
        };
        let in_time = at.is_some_and(|a| a <= within);
        if in_time {
            self.points += i64::from(sc.ack_points);
        }
        self.lines.push(match at {
            Some(a) if in_time => format!("+{} acknowledged at {}", sc.ack_points, tplus(a)),
            Some(a) => format!("+0 acknowledged late ({})", tplus(a)),
            None => "+0 never acknowledged".into(),
        });
        self.reference.push(ReferenceRow {
            step: "ack".into(),
            by: format!("within {}", words(within)),
            why: "say you have it, so nobody else is paged".into(),
            yours: at.map(|_| "ack".into()),
            at: at.map(tplus),
            result: result(at.is_some(), in_time),
            points: sc.ack_points,
        });
    }

    /// Each expected action, matched to the first successful action taken that starts
    /// with it and is not already matched; returns which actions were matched and the
    /// time of the first correct one.
    fn expected(
        &mut self,
        sc: &Scoring,
        f: &Facts,
        rel: &dyn Fn(Timestamp) -> SignedDuration,
    ) -> (Vec<bool>, Option<SignedDuration>) {
        let mut used = vec![false; f.actions.len()];
        let mut first_correct: Option<SignedDuration> = None;
        for e in &sc.expect {
            let hit = f
                .actions
                .iter()
                .enumerate()
                .find(|(i, a)| !used[*i] && a.ok && a.command.starts_with(&e.action));
            let at = hit.map(|(_, a)| rel(a.at));
            let in_time = at.is_some_and(|a| a <= e.within);
            if let Some((i, _)) = hit {
                used[i] = true;
                first_correct = Some(
                    first_correct
                        .map_or(at.unwrap_or_default(), |fc| fc.min(at.unwrap_or_default())),
                );
            }
            if in_time {
                self.points += i64::from(e.points);
            }
            self.lines.push(match at {
                Some(a) if in_time => format!("+{} {} at {}", e.points, e.action, tplus(a)),
                Some(a) => format!("+0 {} too late ({})", e.action, tplus(a)),
                None => format!("+0 {} not done", e.action),
            });
            self.reference.push(ReferenceRow {
                step: e.action.clone(),
                by: format!("within {}", words(e.within)),
                why: e.why.clone(),
                yours: hit.map(|(_, a)| a.command.clone()),
                at: at.map(tplus),
                result: result(at.is_some(), in_time),
                points: e.points,
            });
        }
        (used, first_correct)
    }

    /// A verdict on every action taken: on the reference path (matched in `used`), failed,
    /// or wrong, worse or unsafe with its penalty.
    fn judge(
        &mut self,
        sc: &Scoring,
        f: &Facts,
        used: &[bool],
        rel: &dyn Fn(Timestamp) -> SignedDuration,
    ) -> Vec<ActionRow> {
        let mut actions = Vec::new();
        for (i, a) in f.actions.iter().enumerate() {
            let at = tplus(rel(a.at));
            if used[i] {
                let late = self
                    .reference
                    .iter()
                    .any(|r| r.yours.as_deref() == Some(&a.command) && r.result == "late");
                actions.push(ActionRow {
                    at,
                    command: a.command.clone(),
                    verdict: if late { "late" } else { "expected" }.into(),
                    note: "on the reference path".into(),
                });
                continue;
            }
            if !a.ok {
                actions.push(ActionRow {
                    at,
                    command: a.command.clone(),
                    verdict: "failed".into(),
                    note: "did not go through; no change".into(),
                });
                continue;
            }
            let known = sc
                .wrong
                .iter()
                .find(|w| a.command.starts_with(w.action.as_str()));
            let (verdict, note, penalty) = match known {
                Some(w) if w.effect == WrongEffect::Unsafe => {
                    ("unsafe", w.explain.clone(), sc.unsafe_penalty)
                }
                Some(w) if w.effect == WrongEffect::Worse => {
                    ("worse", w.explain.clone(), sc.wrong_action_penalty)
                }
                Some(w) => ("wrong", w.explain.clone(), sc.wrong_action_penalty),
                None => (
                    "wrong",
                    "not on the reference path; it did not help".to_string(),
                    sc.wrong_action_penalty,
                ),
            };
            if penalty > 0 {
                self.points -= i64::from(penalty);
                self.lines
                    .push(format!("-{penalty} {} ({verdict})", a.command));
            }
            actions.push(ActionRow {
                at,
                command: a.command.clone(),
                verdict: verdict.into(),
                note,
            });
        }
        actions
    }

    /// The mitigation, `mitigated` from the first alert, against its window.
    fn mitigation(&mut self, sc: &Scoring, mitigated: Option<SignedDuration>) {
        if sc.mitigate_points > 0 || sc.mitigate_within > SignedDuration::ZERO {
            let in_time = mitigated.is_some_and(|m| m <= sc.mitigate_within);
            if in_time {
                self.points += i64::from(sc.mitigate_points);
            }
            self.lines.push(match mitigated {
                Some(m) if in_time => format!("+{} mitigated at {}", sc.mitigate_points, tplus(m)),
                Some(m) => format!("+0 mitigated late ({})", tplus(m)),
                None => "+0 not mitigated".into(),
            });
            self.reference.push(ReferenceRow {
                step: "mitigated".into(),
                by: format!("within {}", words(sc.mitigate_within)),
                why: "every alert resolved, the symptoms gone".into(),
                yours: mitigated.map(|_| "alerts resolved".into()),
                at: mitigated.map(tplus),
                result: result(mitigated.is_some(), in_time),
                points: sc.mitigate_points,
            });
        }
    }
}

fn result(done: bool, in_time: bool) -> String {
    match (done, in_time) {
        (true, true) => "done",
        (true, false) => "late",
        _ => "missing",
    }
    .into()
}

/// Runbook adherence: each step of the section done, done out of order, skipped (a later
/// one was done) or not reached, and the counts. The one place it is computed: drills,
/// replays and whatever else scores runbook work call this.
pub fn runbook_card(rb: &RunbookFacts) -> RunbookCard {
    let n = rb.steps.len();
    let mut state = vec!["not_reached"; n];
    let mut highest: Option<usize> = None;
    for &i in &rb.tick_order {
        if i >= n || !rb.done.get(i).copied().unwrap_or(false) {
            continue;
        }
        state[i] = if highest.is_some_and(|h| h > i) {
            "out_of_order"
        } else {
            "done"
        };
        highest = Some(highest.map_or(i, |h| h.max(i)));
    }
    // Ticked in the file, or by a path the timeline does not show: done, in order.
    for (st, done) in state.iter_mut().zip(&rb.done) {
        if *done && *st == "not_reached" {
            *st = "done";
        }
    }
    let last_done = (0..n)
        .rev()
        .find(|i| rb.done.get(*i).copied().unwrap_or(false));
    for (i, (st, done)) in state.iter_mut().zip(&rb.done).enumerate() {
        if !done && last_done.is_some_and(|l| l > i) {
            *st = "skipped";
        }
    }
    let count = |s: &str| state.iter().filter(|x| **x == s).count();
    RunbookCard {
        section: rb.section.clone(),
        done: count("done") + count("out_of_order"),
        skipped: count("skipped"),
        out_of_order: count("out_of_order"),
        total: n,
        steps: rb
            .steps
            .iter()
            .zip(&state)
            .map(|(t, s)| StepRow {
                text: t.clone(),
                state: s.to_string(),
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::drill::scenario::Scenario;
    use crate::drill::scorecard::{EndReason, Taken};

    fn reference() -> Reference {
        let (s, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
        Reference::of(&s)
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn facts(actions: Vec<(i64, &str)>, mitigated: Option<i64>) -> Facts {
        Facts {
            start: at(0),
            first_alert: Some(at(60)),
            acked: Some(at(90)),
            actions: actions
                .into_iter()
                .map(|(t, c)| Taken {
                    at: at(t),
                    command: c.into(),
                    ok: true,
                })
                .collect(),
            mitigated: mitigated.map(at),
            ended: at(400),
            end: EndReason::Resolved,
            runbook: Some(RunbookFacts {
                section: "S".into(),
                steps: vec!["a".into(), "b".into(), "c".into(), "d".into()],
                done: vec![true, false, true, true],
                tick_order: vec![0, 3, 2],
            }),
        }
    }

    #[test]
    fn the_reference_path_scores_full_marks() {
        let card = Scorecard::build(
            &reference(),
            &facts(vec![(120, "rollback snapbuilder-serving")], Some(200)),
        );
        assert_eq!((card.points, card.max), (100, 100), "{:?}", card.lines);
        assert!(card.passed);
        assert_eq!(card.times.to_acknowledge, "30s");
        assert_eq!(card.times.to_first_correct_action, "1m00s");
        assert_eq!(card.times.to_mitigation, "2m20s");
        assert_eq!(card.reference[0].result, "done");
        let rb = card.runbook.as_ref().unwrap();
        assert_eq!((rb.done, rb.skipped, rb.out_of_order), (3, 1, 1));
        assert_eq!(rb.steps[1].state, "skipped");
        assert_eq!(rb.steps[2].state, "out_of_order");
    }

    #[test]
    fn wrong_and_unsafe_actions_say_what_they_would_have_done() {
        let card = Scorecard::build(
            &reference(),
            &facts(
                vec![
                    (100, "restart snapbuilder-serving"),
                    (110, "kill-switch block-traffic on"),
                ],
                None,
            ),
        );
        assert!(!card.passed);
        assert_eq!(card.points, 0, "{:?}", card.lines);
        let unsafe_ = &card.actions[1];
        assert_eq!(unsafe_.verdict, "unsafe", "{:?}", card.actions);
        assert!(!unsafe_.note.is_empty());
        let fix = card
            .reference
            .iter()
            .find(|r| r.step.starts_with("rollback"));
        assert_eq!(fix.unwrap().result, "missing");
        let md = card.to_markdown();
        assert!(
            md.contains("NOT PASSED") && md.contains("| rollback snapbuilder-serving |"),
            "{md}"
        );
        let json: serde_json::Value = serde_json::from_str(&card.to_json()).unwrap();
        assert_eq!(json["passed"], false);
        assert_eq!(json["actions"][1]["verdict"], "unsafe");
    }
}
