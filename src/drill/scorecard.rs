//! The scorecard of a drill: how the response went, against the drill's reference path.
//!
//! Built from facts the cockpit saw (alerts, the acknowledgement, the operator's actions and
//! runbook ticks) and the drill's `[scoring]`, so the cockpit and the headless runner score
//! alike. Written as Markdown for people and JSON for scripts.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::library::WrongEffect;
use super::scenario::{Scenario, Scoring};
use crate::event::{Action, ActionOutcome};

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

/// The original responder's path through a recorded incident: the reference of a replay.
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
        use super::scenario::Expectation;
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

/// The trainee's path beside the original responder's, measure by measure.
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

/// A world-changing action the trainee took, as the executor reported it.
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
fn tplus(d: SignedDuration) -> String {
    format!("T+{}", words(d))
}

fn words(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

impl Scorecard {
    /// Scores the facts against the reference.
    pub fn build(r: &Reference, f: &Facts) -> Scorecard {
        let sc = &r.scoring;
        let zero = f.first_alert.unwrap_or(f.start);
        let rel = |t: Timestamp| t.duration_since(zero);
        let mut points: i64 = 0;
        let mut lines = Vec::new();
        let mut reference = Vec::new();
        let max = sc.expect.iter().map(|e| e.points).sum::<u32>()
            + sc.mitigate_points
            + if sc.ack_within.is_some() {
                sc.ack_points
            } else {
                0
            };

        if let Some(within) = sc.ack_within {
            let at = f.acked.map(rel);
            let in_time = at.is_some_and(|a| a <= within);
            if in_time {
                points += i64::from(sc.ack_points);
            }
            lines.push(match at {
                Some(a) if in_time => format!("+{} acknowledged at {}", sc.ack_points, tplus(a)),
                Some(a) => format!("+0 acknowledged late ({})", tplus(a)),
                None => "+0 never acknowledged".into(),
            });
            reference.push(ReferenceRow {
                step: "ack".into(),
                by: format!("within {}", words(within)),
                why: "say you have it, so nobody else is paged".into(),
                yours: f.acked.map(|_| "ack".into()),
                at: at.map(tplus),
                result: result(at.is_some(), in_time),
                points: sc.ack_points,
            });
        }

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
                points += i64::from(e.points);
            }
            lines.push(match at {
                Some(a) if in_time => format!("+{} {} at {}", e.points, e.action, tplus(a)),
                Some(a) => format!("+0 {} too late ({})", e.action, tplus(a)),
                None => format!("+0 {} not done", e.action),
            });
            reference.push(ReferenceRow {
                step: e.action.clone(),
                by: format!("within {}", words(e.within)),
                why: e.why.clone(),
                yours: hit.map(|(_, a)| a.command.clone()),
                at: at.map(tplus),
                result: result(at.is_some(), in_time),
                points: e.points,
            });
        }

        let mut actions = Vec::new();
        for (i, a) in f.actions.iter().enumerate() {
            let at = tplus(rel(a.at));
            if used[i] {
                let late = reference
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
                points -= i64::from(penalty);
                lines.push(format!("-{penalty} {} ({verdict})", a.command));
            }
            actions.push(ActionRow {
                at,
                command: a.command.clone(),
                verdict: verdict.into(),
                note,
            });
        }

        let mitigated = f.mitigated.map(rel);
        if sc.mitigate_points > 0 || sc.mitigate_within > SignedDuration::ZERO {
            let in_time = mitigated.is_some_and(|m| m <= sc.mitigate_within);
            if in_time {
                points += i64::from(sc.mitigate_points);
            }
            lines.push(match mitigated {
                Some(m) if in_time => format!("+{} mitigated at {}", sc.mitigate_points, tplus(m)),
                Some(m) => format!("+0 mitigated late ({})", tplus(m)),
                None => "+0 not mitigated".into(),
            });
            reference.push(ReferenceRow {
                step: "mitigated".into(),
                by: format!("within {}", words(sc.mitigate_within)),
                why: "every alert resolved, the symptoms gone".into(),
                yours: mitigated.map(|_| "alerts resolved".into()),
                at: mitigated.map(tplus),
                result: result(mitigated.is_some(), in_time),
                points: sc.mitigate_points,
            });
        }

        let points = points.clamp(0, i64::from(max)) as u32;
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
            reference,
            actions,
            runbook: f.runbook.as_ref().map(runbook_card),
            lines,
            original: None,
            files: Vec::new(),
        }
    }

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

    /// The scorecard as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The scorecard as Markdown: what the overlay shows, for the drill's file.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let verdict = if self.passed { "PASSED" } else { "NOT PASSED" };
        md.push_str(&format!(
            "# Drill scorecard: {}\n\n{}\n\n",
            self.drill, self.title
        ));
        md.push_str(&format!(
            "Ended: {} after {} · score {}/{} ({}%) · pass at {}%: **{verdict}**\n\n",
            self.end.as_str(),
            self.duration,
            self.points,
            self.max,
            self.percent,
            self.pass
        ));
        md.push_str("## Times (from the first alert)\n\n");
        md.push_str(&format!(
            "- to acknowledge: {}\n- to the first correct action: {}\n- to mitigation: {}\n\n",
            self.times.to_acknowledge, self.times.to_first_correct_action, self.times.to_mitigation
        ));
        if let Some(c) = &self.original {
            md.push_str("## Side by side with the original responder\n\n");
            md.push_str("| from the first alert | yours | original |\n|---|---|---|\n");
            for r in &c.rows {
                md.push_str(&format!(
                    "| {} | {} | {} |\n",
                    r.measure, r.yours, r.original
                ));
            }
            md.push_str("\nThe original responder's actions:\n\n");
            if c.original_actions.is_empty() {
                md.push_str("None.\n");
            }
            for (at, cmd) in &c.original_actions {
                md.push_str(&format!("- {at} `{cmd}`\n"));
            }
            md.push('\n');
        }
        md.push_str("## Reference path and yours\n\n");
        md.push_str(
            "| reference | by | yours | at | result | points |\n|---|---|---|---|---|---|\n",
        );
        for r in &self.reference {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                cell(&r.step),
                r.by,
                cell(r.yours.as_deref().unwrap_or("—")),
                r.at.as_deref().unwrap_or("—"),
                r.result,
                r.points
            ));
        }
        md.push('\n');
        for r in self.reference.iter().filter(|r| !r.why.is_empty()) {
            md.push_str(&format!("- `{}`: {}\n", r.step, r.why));
        }
        md.push_str("\n## Your actions\n\n");
        if self.actions.is_empty() {
            md.push_str("None.\n");
        }
        for a in &self.actions {
            md.push_str(&format!(
                "- {} `{}`: **{}**, {}\n",
                a.at, a.command, a.verdict, a.note
            ));
        }
        if let Some(rb) = &self.runbook {
            md.push_str(&format!(
                "\n## Runbook: {}\n\n{} of {} steps done, {} skipped, {} out of order\n\n",
                rb.section, rb.done, rb.total, rb.skipped, rb.out_of_order
            ));
            for s in &rb.steps {
                let mark = if s.state == "done" || s.state == "out_of_order" {
                    "x"
                } else {
                    " "
                };
                md.push_str(&format!(
                    "- [{mark}] {} ({})\n",
                    s.text,
                    s.state.replace('_', " ")
                ));
            }
        }
        md.push_str("\n## Score\n\n");
        for l in &self.lines {
            md.push_str(&format!("- {l}\n"));
        }
        md
    }

    /// The two files this scorecard is written to in `dir`, for a drill ended at `at`.
    pub fn file_names(&self, dir: &Path, at: Timestamp) -> (PathBuf, PathBuf) {
        let stamp = at.strftime("%Y%m%d-%H%M%S");
        let base = format!("scorecard-{}-{stamp}", self.drill);
        (
            dir.join(format!("{base}.md")),
            dir.join(format!("{base}.json")),
        )
    }

    /// Writes the Markdown and JSON files named in `files`.
    pub fn write(&self) -> std::io::Result<()> {
        for f in &self.files {
            let path = Path::new(f);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let text = if f.ends_with(".json") {
                self.to_json()
            } else {
                self.to_markdown()
            };
            std::fs::write(path, text)?;
        }
        Ok(())
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
