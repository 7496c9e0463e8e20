//! Runbook adherence: which steps of a section were done, skipped or done out of order,
//! and when, from the journal's tick entries. One computation for the postmortem export
//! (and for anything else that scores a response against its runbook).

use jiff::Timestamp;
use serde::Serialize;

/// What became of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Ticked, after every earlier-ticked step that comes before it.
    Done,
    /// Ticked after a step that comes later in the runbook.
    OutOfOrder,
    /// Not ticked, though a later step was.
    Skipped,
    /// Not ticked, and nothing after it was.
    NotReached,
}

impl StepState {
    /// The word the postmortem uses.
    pub fn word(self) -> &'static str {
        match self {
            StepState::Done => "done",
            StepState::OutOfOrder => "out of order",
            StepState::Skipped => "skipped",
            StepState::NotReached => "not reached",
        }
    }
}

/// One step and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    pub text: String,
    pub state: StepState,
    /// When it was (last) ticked, and by whom (`sitrep` for a step that verified itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The evidence of a step that verified itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// A section's adherence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adherence {
    pub section: String,
    pub steps: Vec<StepRecord>,
    pub done: usize,
    pub skipped: usize,
    pub out_of_order: usize,
    /// False when the section's steps were not known (its runbook was not at hand): then
    /// `steps` are the ticked ones in the order ticked, and nothing can be called skipped.
    pub runbook_known: bool,
}

/// Every section of a runbook with its steps in order, for [`adherence`].
pub fn section_steps(rb: &super::Runbook) -> Vec<(String, Vec<String>)> {
    rb.sections
        .iter()
        .map(|s| {
            let steps = s
                .groups
                .iter()
                .flat_map(|g| g.steps.iter().map(|st| st.text.clone()))
                .collect();
            (s.title.clone(), steps)
        })
        .collect()
}

/// A tick or untick from the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: Timestamp,
    pub by: String,
    /// `Section › step`, with ` · verified: …` after a step that verified itself.
    pub text: String,
    pub ticked: bool,
}

/// Splits a tick's text into section, step and evidence; a tick written by hand without
/// its section (`- … · step-ticked · Check recent deploys`) has section "".
pub fn split_tick(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let (section, rest) = text.split_once(" › ").unwrap_or(("", text));
    Some(match rest.split_once(" · verified: ") {
        Some((step, evidence)) => (section, step, Some(evidence)),
        None => (section, rest, None),
    })
}

/// The adherence of `section` whose steps, in runbook order, are `steps` (`None`: not
/// known), ticked in the file already as `preticked`, given the journal's ticks in order.
pub fn adherence(
    section: &str,
    steps: Option<&[String]>,
    preticked: &[bool],
    ticks: &[Tick],
) -> Adherence {
    let ticks: Vec<(&Tick, &str, Option<&str>)> = ticks
        .iter()
        .filter_map(|t| {
            let (s, step, ev) = split_tick(&t.text)?;
            (s == section).then_some((t, step, ev))
        })
        .collect();
    let known = steps.is_some();
    let steps: Vec<String> = match steps {
        Some(s) => s.to_vec(),
        None => {
            let mut seen: Vec<String> = Vec::new();
            for (_, step, _) in &ticks {
                if !seen.iter().any(|s| s == step) {
                    seen.push(step.to_string());
                }
            }
            seen
        }
    };
    let n = steps.len();
    let mut done: Vec<bool> = (0..n)
        .map(|i| preticked.get(i).copied().unwrap_or(false))
        .collect();
    let mut last: Vec<Option<&Tick>> = vec![None; n];
    let mut evidence: Vec<Option<String>> = vec![None; n];
    let mut order: Vec<usize> = Vec::new();
    for (t, step, ev) in &ticks {
        let Some(i) = steps.iter().position(|s| s == step) else {
            continue;
        };
        done[i] = t.ticked;
        if t.ticked {
            last[i] = Some(t);
            evidence[i] = ev.map(str::to_string);
            if !order.contains(&i) {
                order.push(i);
            }
        }
    }
    let mut state = vec![StepState::NotReached; n];
    let mut highest: Option<usize> = None;
    for &i in &order {
        if !done[i] {
            continue;
        }
        state[i] = if highest.is_some_and(|h| h > i) {
            StepState::OutOfOrder
        } else {
            StepState::Done
        };
        highest = Some(highest.map_or(i, |h| h.max(i)));
    }
    for i in 0..n {
        if done[i] && state[i] == StepState::NotReached {
            state[i] = StepState::Done;
        }
    }
    if known && let Some(last_done) = (0..n).rev().find(|i| done[*i]) {
        for st in state.iter_mut().take(last_done) {
            if *st == StepState::NotReached {
                *st = StepState::Skipped;
            }
        }
    }
    let count = |s: StepState| state.iter().filter(|x| **x == s).count();
    Adherence {
        section: section.to_string(),
        done: count(StepState::Done) + count(StepState::OutOfOrder),
        skipped: count(StepState::Skipped),
        out_of_order: count(StepState::OutOfOrder),
        runbook_known: known,
        steps: steps
            .into_iter()
            .enumerate()
            .map(|(i, text)| StepRecord {
                text,
                state: state[i],
                at: last[i].filter(|_| done[i]).map(|t| t.at),
                by: last[i].filter(|_| done[i]).map(|t| t.by.clone()),
                evidence: evidence[i].clone().filter(|_| done[i]),
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tick(at: i64, text: &str, ticked: bool) -> Tick {
        Tick {
            at: Timestamp::from_second(1_800_000_000 + at).unwrap(),
            by: "alice".into(),
            text: text.into(),
            ticked,
        }
    }

    #[test]
    fn done_skipped_out_of_order_and_when() {
        let steps: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
        let a = adherence(
            "S",
            Some(&steps),
            &[],
            &[
                tick(0, "S › a", true),
                tick(10, "S › d", true),
                tick(20, "S › c", true),
                tick(25, "Other › b", true),
                tick(30, "S › e · verified: 5xx 0.3% < 1% for 10m at 14:32", true),
                tick(40, "S › e", false),
                tick(50, "S › e", true),
            ],
        );
        let states: Vec<StepState> = a.steps.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                StepState::Done,
                StepState::Skipped,
                StepState::OutOfOrder,
                StepState::Done,
                StepState::Done
            ]
        );
        assert_eq!((a.done, a.skipped, a.out_of_order), (4, 1, 1));
        assert_eq!(a.steps[3].at.unwrap().as_second(), 1_800_000_010);
        assert_eq!(
            a.steps[4].at.unwrap().as_second(),
            1_800_000_050,
            "the last tick"
        );
        assert_eq!(a.steps[4].evidence, None, "ticked again by hand");
        assert_eq!(a.steps[1].at, None);
    }

    #[test]
    fn unknown_runbook_lists_the_ticked_steps_and_calls_nothing_skipped() {
        let a = adherence(
            "S",
            None,
            &[],
            &[
                tick(0, "S › b", true),
                tick(5, "S › x · verified: pods Ready for 1m at 10:00", true),
            ],
        );
        assert!(!a.runbook_known);
        assert_eq!(a.steps.len(), 2);
        assert_eq!(a.skipped, 0);
        assert_eq!(
            a.steps[1].evidence.as_deref(),
            Some("pods Ready for 1m at 10:00")
        );
    }

    #[test]
    fn preticked_steps_count_as_done_and_unticked_ones_do_not() {
        let steps: Vec<String> = ["a", "b"].map(String::from).into();
        let a = adherence(
            "S",
            Some(&steps),
            &[true, false],
            &[tick(0, "S › b", true), tick(1, "S › b", false)],
        );
        assert_eq!(a.steps[0].state, StepState::Done);
        assert_eq!(a.steps[1].state, StepState::NotReached);
    }
}
