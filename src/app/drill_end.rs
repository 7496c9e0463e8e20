//! The end of a drill: gather what the cockpit saw, score it, show and write the scorecard.

use crate::drill::scorecard::{EndReason, Facts, RunbookFacts, Scorecard, Taken};
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
        let Some(facts) = self.drill_facts(end) else {
            return;
        };
        let Some(d) = self.drill.as_mut() else {
            return;
        };
        if d.card.is_some() {
            return;
        }
        let mut card = Scorecard::build(&d.reference, &facts);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::sample::drill_app;
    use crate::drill::Scenario;
    use crate::drill::scorecard::DrillScoring;
    use crate::event::{Action, ActionOutcome, Event};

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
