//! The end of a drill: gather what the cockpit saw, score it, show and write the scorecard.

use crate::drill::scorecard::{
    EndReason, Facts, Original, Reference, RunbookFacts, Scorecard, Taken,
};
use crate::event::{ActionReport, AlertState, Level};
use crate::journal::{Entry, Kind};

use super::{App, Effect, Overlay};

impl App {
    /// Keeps a drill's world-changing actions for its scorecard.
    pub(super) fn note_drill_action(&mut self, report: &ActionReport) {
        let now = self.now;
        if let Some(d) = &mut self.drill
            && d.card.is_none()
            && let Some(t) = Taken::of(now, &report.action, report.outcome)
        {
            d.actions.push(t);
        }
    }

    /// What the scorecard is built from, as the cockpit saw it.
    pub fn drill_facts(&self, end: EndReason) -> Option<Facts> {
        let d = self.drill.as_ref()?;
        let fired = self
            .timeline
            .iter()
            .filter(|e| e.kind == Kind::AlertFired)
            .map(|e| e.at)
            .chain(self.alerts.iter().map(|a| a.status.since))
            .min();
        let all_resolved = !self.alerts.is_empty()
            && self
                .alerts
                .iter()
                .all(|a| a.status.state == AlertState::Resolved);
        let mitigated = all_resolved
            .then(|| self.alerts.iter().filter_map(|a| a.resolved_at).max())
            .flatten();
        Some(Facts {
            start: d.start,
            first_alert: fired,
            acked: self.incident.as_ref().and_then(|i| i.acked_at),
            actions: d.actions.clone(),
            mitigated,
            ended: self.now,
            end,
            runbook: self.runbook_facts(),
        })
    }

    fn runbook_facts(&self) -> Option<RunbookFacts> {
        let c = self.checklist.as_ref()?;
        let section = c.current()?;
        let keys = c.steps();
        let steps: Vec<String> = keys
            .iter()
            .filter_map(|(g, i)| Some(section.groups.get(*g)?.steps.get(*i)?.text.clone()))
            .collect();
        let done = keys.iter().map(|(g, i)| c.is_checked(*g, *i)).collect();
        let mut tick_order = Vec::new();
        for e in self.timeline.iter().filter(|e| e.kind == Kind::StepTicked) {
            let Some((title, text)) = e.text.split_once(" › ") else {
                continue;
            };
            // A step that verified itself carries its evidence after the step's text.
            let text = text.split(" · verified: ").next().unwrap_or(text);
            if title != section.title {
                continue;
            }
            if let Some(i) = steps.iter().position(|s| s == text)
                && !tick_order.contains(&i)
            {
                tick_order.push(i);
            }
        }
        Some(RunbookFacts {
            section: section.title.clone(),
            steps,
            done,
            tick_order,
        })
    }

    /// Scores the drill, shows the scorecard and has it written; once per drill.
    pub(super) fn end_drill(&mut self, end: EndReason) {
        let Some(mut facts) = self.drill_facts(end) else {
            return;
        };
        let Some(d) = self.drill.as_mut() else {
            return;
        };
        if d.card.is_some() {
            return;
        }
        let mut card = match &d.original {
            // A replay: the world plays on as recorded, so the trainee's mitigation is
            // where their fix would have brought it, the original's recovery after it.
            Some(original) => {
                let mitigated = facts.mitigated;
                let r = Reference::of_original(
                    &d.reference.name,
                    &d.reference.title,
                    original,
                    facts.first_alert,
                    mitigated,
                );
                facts.mitigated = projected_mitigation(&r, original, &facts, mitigated);
                let mut card = Scorecard::build(&r, &facts);
                card.compare_with(original, facts.first_alert, mitigated);
                d.reference = r;
                card
            }
            None => Scorecard::build(&d.reference, &facts),
        };
        if let Some(dir) = &d.out_dir {
            let (md, json) = card.file_names(dir, self.now);
            card.files = vec![md.display().to_string(), json.display().to_string()];
        }
        let card = Box::new(card);
        d.card = Some(card.clone());
        let text = format!(
            "scorecard {}/{} ({}%, {}): drill {}{}",
            card.points,
            card.max,
            card.percent,
            if card.passed { "passed" } else { "not passed" },
            end.as_str(),
            card.files
                .first()
                .map(|f| format!("; {f}"))
                .unwrap_or_default()
        );
        self.flash(Level::Ok, text.clone());
        if self.incident.is_some() {
            self.record(Entry::new(self.now, "sitrep", Kind::Drill, text));
        }
        if !card.files.is_empty() {
            self.emit(Effect::WriteScorecard(card));
        }
        self.overlay = Some(Overlay::Scorecard {
            scroll: 0,
            quit_after: false,
        });
        self.dirty = true;
    }
}

/// When the trainee's fix would have mitigated a recorded incident: as long after it as
/// the original's mitigation came after the original fix.
fn projected_mitigation(
    r: &Reference,
    original: &Original,
    facts: &Facts,
    mitigated: Option<jiff::Timestamp>,
) -> Option<jiff::Timestamp> {
    let (fix_at, _) = original.fix(mitigated)?;
    let recovery = mitigated?.duration_since(*fix_at);
    let expected = &r.scoring.expect.first()?.action;
    facts
        .actions
        .iter()
        .find(|a| a.ok && a.command.starts_with(expected.as_str()))
        .map(|a| a.at + recovery)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::sample::drill_app;
    use crate::drill::Scenario;
    use crate::drill::scorecard::DrillScoring;
    use crate::event::{Action, ActionOutcome, AlertState, Event};

    fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
        app.update(Event::Input(TermEvent::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))))
    }

    fn scored_app(out_dir: Option<std::path::PathBuf>) -> App {
        let mut app = drill_app(120);
        let (s, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
        let start = jiff::Timestamp::from_second(crate::app::sample::START).unwrap();
        app.drill = Some(DrillScoring::new(&s, start, out_dir));
        app
    }

    #[test]
    fn quitting_a_drill_shows_the_scorecard_first_and_the_next_key_quits() {
        let mut app = scored_app(None);
        app.update(Event::ActionDone(ActionReport {
            action: Action::Restart {
                deployment: "snapbuilder-ingest".into(),
                place: crate::event::Place::default(),
            },
            outcome: ActionOutcome::Ok,
            detail: "restarting".into(),
            revisions: None,
        }));
        key(&mut app, KeyCode::Char('q'));
        let effects = key(&mut app, KeyCode::Char('y'));
        assert!(!effects.contains(&Effect::Quit), "not yet: {effects:?}");
        assert!(matches!(
            app.overlay,
            Some(Overlay::Scorecard {
                quit_after: true,
                ..
            })
        ));
        let card = app.drill.as_ref().and_then(|d| d.card.clone()).unwrap();
        assert_eq!(card.end, EndReason::Quit);
        assert_eq!(card.actions[0].verdict, "wrong");
        assert!(
            card.actions[0].note.contains("ingest is healthy"),
            "{:?}",
            card.actions
        );
        let screen = crate::ui::render_text(&app, 120, 50);
        assert!(
            screen.contains("scorecard · snapbuilder-bad-rollout"),
            "{screen}"
        );
        assert!(screen.contains("reference path"), "{screen}");
        assert!(screen.contains("NOT PASSED"), "{screen}");
        let effects = key(&mut app, KeyCode::Esc);
        assert!(effects.contains(&Effect::Quit), "{effects:?}");
    }

    #[test]
    fn a_replay_ends_in_a_scorecard_beside_the_original_responder() {
        use crate::event::{AlertStatus, Observation};
        use crate::replay::ReplayEvent;
        let start = jiff::Timestamp::from_second(crate::app::sample::START).unwrap();
        let at = |s: i64| start + jiff::SignedDuration::from_secs(s);
        let mut app = App::new(
            crate::app::Mode::Replay {
                file: "INC-1.sitrec".into(),
                speed: 1.0,
            },
            crate::config::Config::default(),
            crate::config::Keymap::load("default", None).unwrap(),
            crate::config::Theme::load("dark", None, false).unwrap(),
            "trainee".into(),
            start,
        );
        app.drill = Some(DrillScoring::for_replay(
            "replay-INC-1",
            "5xx",
            start,
            Some("/scores".into()),
        ));
        // The recording's original path: ack at +90s, a wrong restart, then the rollback.
        let original = Original {
            acked: Some(at(90)),
            actions: vec![
                (at(100), "restart api".into()),
                (at(160), "rollback api".into()),
            ],
        };
        app.update(Event::Replay(ReplayEvent::Original(original)));
        let alert = |state: AlertState, _now: i64| {
            Observation::Alert(AlertStatus {
                name: "HighErrorRate".into(),
                severity: "critical".into(),
                state,
                since: at(60),
                summary: "5xx".into(),
                runbook_url: None,
                detail: String::new(),
                description: String::new(),
                labels: Default::default(),
                silenced_by: Vec::new(),
            })
        };
        let alert = |state: AlertState, now: i64| Event::Observed(at(now), alert(state, now));
        app.update(alert(AlertState::Firing, 60));
        app.update(Event::Tick(at(80)));
        app.run(crate::command::Command::Ack);
        app.update(Event::Tick(at(120)));
        app.update(Event::ActionDone(ActionReport {
            action: Action::Rollback {
                deployment: "api".into(),
                revision: None,
                place: crate::event::Place::default(),
            },
            outcome: ActionOutcome::DryRun,
            detail: "replay".into(),
            revisions: None,
        }));
        app.update(alert(AlertState::Resolved, 220));
        let effects = app.update(Event::DrillEnded(at(300), EndReason::Finished));
        let card = app.drill.as_ref().and_then(|d| d.card.clone()).unwrap();
        assert_eq!(card.end, EndReason::Finished);
        let c = card.original.as_ref().unwrap();
        let rows: Vec<(&str, &str, &str)> = c
            .rows
            .iter()
            .map(|r| (r.measure.as_str(), r.yours.as_str(), r.original.as_str()))
            .collect();
        // The trainee's rollback is the original fix, 40s sooner; mitigation is projected
        // by the original's recovery (60s after the fix).
        assert_eq!(
            rows,
            [
                ("to acknowledge", "20s", "30s"),
                ("to the first correct action", "1m00s", "1m40s"),
                ("to mitigation", "2m00s", "2m40s"),
            ],
            "{card:#?}"
        );
        assert_eq!(card.reference[1].step, "rollback api");
        assert!(card.passed, "{:?}", card.lines);
        let md = card.to_markdown();
        assert!(
            md.contains("## Side by side with the original responder"),
            "{md}"
        );
        assert!(
            md.contains("| to the first correct action | 1m00s | 1m40s |"),
            "{md}"
        );
        assert!(md.contains("- T+40s `restart api`"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&card.to_json()).unwrap();
        assert_eq!(json["original"]["rows"][0]["original_s"], 30);
        assert_eq!(json["end"], "finished");
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::WriteScorecard(_)))
        );
        let screen = crate::ui::render_text(&app, 120, 50);
        assert!(screen.contains("original responder"), "{screen}");
    }

    #[test]
    fn a_drill_that_ends_by_itself_writes_its_scorecard_once() {
        let dir = std::path::PathBuf::from("/scores");
        let mut app = scored_app(Some(dir.clone()));
        let now = app.now;
        let effects = app.update(Event::DrillEnded(now, EndReason::TimeUp));
        let written: Vec<_> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::WriteScorecard(card) => Some(card.files.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(written.len(), 1, "{effects:?}");
        assert!(
            written[0]
                .iter()
                .all(|f| f.starts_with("/scores/scorecard-snapbuilder-bad-rollout-"))
        );
        assert!(effects.iter().any(|e| matches!(
            e,
            Effect::JournalAppend { entry, .. } if entry.kind == Kind::Drill && entry.text.starts_with("scorecard ")
        )));
        // Closing it leaves the cockpit running; a later end does not score again.
        assert!(!key(&mut app, KeyCode::Esc).contains(&Effect::Quit));
        let again = app.update(Event::DrillEnded(now, EndReason::Resolved));
        assert!(!again.iter().any(|e| matches!(e, Effect::WriteScorecard(_))));
        // Quitting now quits at once.
        key(&mut app, KeyCode::Char('q'));
        assert!(key(&mut app, KeyCode::Char('y')).contains(&Effect::Quit));
    }
}
