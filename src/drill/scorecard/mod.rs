//! The scorecard of a drill: how the response went, against the drill's reference path.
//!
//! Built from facts the cockpit saw (alerts, the acknowledgement, the operator's actions and
//! runbook ticks) and the drill's `[scoring]`, so the cockpit and the headless runner score
//! alike. Written as Markdown for people and JSON for scripts.
//!
//! This module owns the card's shape, what it is built from and the scoring the cockpit
//! carries through a drill; `score.rs` turns facts into points, `original.rs` is a replay's
//! original responder (their path, the reference made from it, the comparison), and
//! `render.rs` writes the card as Markdown and JSON files.

mod original;
mod render;
mod score;

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::scenario::{Scenario, Scoring};
use crate::event::{Action, ActionOutcome};

pub use original::{CompareRow, Comparison, Original, remedy_prefix};
pub use score::runbook_card;

/// Why a drill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Every fault gone and every alert resolved.
    Resolved,
    /// The trainee left.
    Quit,
    /// The drill's time limit passed.
    TimeUp,
    /// A replay reached the end of its recording.
    Finished,
}

impl EndReason {
    /// The words the scorecard uses.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Resolved => "resolved",
            EndReason::Quit => "quit",
            EndReason::TimeUp => "time is up",
            EndReason::Finished => "the recording ended",
        }
    }
}

/// What the scorecard compares with: the drill's name and its reference response.
#[derive(Debug, Clone)]
pub struct Reference {
    pub name: String,
    pub title: String,
    pub scoring: Scoring,
}

impl Reference {
    /// The reference of a drill.
    pub fn of(s: &Scenario) -> Reference {
        Reference {
            name: s.drill.name.clone(),
            title: s.drill.title.clone(),
            scoring: s.scoring.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    pub at: Timestamp,
    pub command: String,
    pub ok: bool,
}

impl Taken {
    /// The scorecard's view of an executor's report; `None` for what is not a remedy
    /// (silences, shell commands echoed in a drill).
    pub fn of(at: Timestamp, action: &Action, outcome: ActionOutcome) -> Option<Taken> {
        match action {
            Action::Silence { .. } | Action::ExpireSilence { .. } | Action::Shell { .. } => None,
            _ => Some(Taken {
                at,
                command: action.command_line(),
                // A replay's sandbox answers every action as a dry run: taken, as far as
                // a recorded world lets anything be taken.
                ok: matches!(outcome, ActionOutcome::Ok | ActionOutcome::DryRun),
            }),
        }
    }
}

/// The runbook section that answered the drill and what was ticked, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunbookFacts {
    pub section: String,
    /// The section's steps, in runbook order.
    pub steps: Vec<String>,
    /// Whether each step is ticked at the end.
    pub done: Vec<bool>,
    /// Indexes of steps in the order they were first ticked.
    pub tick_order: Vec<usize>,
}

/// Everything the scorecard is built from.
#[derive(Debug, Clone)]
pub struct Facts {
    /// When the drill started.
    pub start: Timestamp,
    pub first_alert: Option<Timestamp>,
    pub acked: Option<Timestamp>,
    pub actions: Vec<Taken>,
    /// When the last alert resolved with none firing after it.
    pub mitigated: Option<Timestamp>,
    pub ended: Timestamp,
    pub end: EndReason,
    pub runbook: Option<RunbookFacts>,
}

/// The scorecard, as shown, written and printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub drill: String,
    pub title: String,
    /// resolved, quit or time_up.
    pub end: EndReason,
    /// Drill time from the start to the end.
    pub duration: String,
    pub points: u32,
    pub max: u32,
    pub percent: u32,
    /// The percentage that passes.
    pub pass: u32,
    pub passed: bool,
    /// Measured from the first alert (from the start when nothing fired).
    pub times: Times,
    pub reference: Vec<ReferenceRow>,
    pub actions: Vec<ActionRow>,
    pub runbook: Option<RunbookCard>,
    /// Why points were given or taken, one line each.
    pub lines: Vec<String>,
    /// A replay's: the trainee beside the original responder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<Comparison>,
    /// Where the cockpit wrote this scorecard (Markdown, JSON); empty headless.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// The three durations of a response, in seconds and in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Times {
    pub to_acknowledge_s: Option<i64>,
    pub to_first_correct_action_s: Option<i64>,
    pub to_mitigation_s: Option<i64>,
    pub to_acknowledge: String,
    pub to_first_correct_action: String,
    pub to_mitigation: String,
}

/// One step of the reference path beside what the trainee did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceRow {
    /// `ack`, an action's command line, or `mitigated`.
    pub step: String,
    /// The deadline, as `within 8m`.
    pub by: String,
    pub why: String,
    /// What the trainee did for it and when (`T+1m20s`), if anything.
    pub yours: Option<String>,
    pub at: Option<String>,
    /// done, late or missing.
    pub result: String,
    pub points: u32,
}

/// An action the trainee took and what the scorecard makes of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRow {
    pub at: String,
    pub command: String,
    /// expected, late, wrong, worse, unsafe or failed.
    pub verdict: String,
    /// What it did (or would have done).
    pub note: String,
}

/// The runbook section, step by step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunbookCard {
    pub section: String,
    pub done: usize,
    pub skipped: usize,
    pub out_of_order: usize,
    pub total: usize,
    pub steps: Vec<StepRow>,
}

/// One runbook step: done, out_of_order, skipped (a later one was done) or not_reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    pub text: String,
    pub state: String,
}

/// `T+1m05s` for a duration.
pub(super) fn tplus(d: SignedDuration) -> String {
    format!("T+{}", words(d))
}

/// A duration in words: `45s`, `1m05s`, `1h02m05s`.
pub(super) fn words(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

/// A drill's scoring as the cockpit carries it: the reference, the actions seen so far,
/// where the scorecard goes, and the scorecard once the drill has ended.
#[derive(Debug, Clone)]
pub struct DrillScoring {
    pub reference: Reference,
    pub start: Timestamp,
    pub actions: Vec<Taken>,
    /// Where the Markdown and JSON files go; nowhere when `None` (headless).
    pub out_dir: Option<PathBuf>,
    pub card: Option<Box<Scorecard>>,
    /// A replay's original responder, once the recording has told it: the reference is
    /// then made from their path when the replay ends.
    pub original: Option<Original>,
}

impl DrillScoring {
    /// Scoring for a drill starting at `start`.
    pub fn new(s: &Scenario, start: Timestamp, out_dir: Option<PathBuf>) -> DrillScoring {
        DrillScoring {
            reference: Reference::of(s),
            start,
            actions: Vec::new(),
            out_dir,
            card: None,
            original: None,
        }
    }

    /// Scoring for a replay of `name`: against the original responder, whose path the
    /// replay engine sends when it opens the recording.
    pub fn for_replay(
        name: &str,
        title: &str,
        start: Timestamp,
        out_dir: Option<PathBuf>,
    ) -> DrillScoring {
        DrillScoring {
            reference: Reference {
                name: name.to_string(),
                title: title.to_string(),
                scoring: Scoring::default(),
            },
            start,
            actions: Vec::new(),
            out_dir,
            card: None,
            original: Some(Original::default()),
        }
    }
}
