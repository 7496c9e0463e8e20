//! `first-error`: the logs pane moves to where the errors began before the selected alert.
//! An alert fires minutes after the errors that cause it (`for:`, evaluation, a burn rate
//! that takes a while); the first error of that run is where the reading starts. With a log
//! store the store is asked, since it holds the hour before for every pod; without one, the
//! lines held are searched.

use jiff::{SignedDuration, Timestamp};

use super::tail::TailCause;
use super::{App, Effect};
use crate::event::{Level, LogQuery};

/// A quiet spell this long between two error lines ends a run of errors.
pub const RUN_GAP: SignedDuration = SignedDuration::from_mins(5);
/// How far before the alert the errors are looked for.
pub const SEARCH: SignedDuration = SignedDuration::from_hours(1);

/// Walks error lines from the newest to the oldest and finds where their run begins: the
/// oldest error reached before a quiet spell longer than the gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRun {
    gap: SignedDuration,
    start: Option<Timestamp>,
    settled: bool,
}

impl ErrorRun {
    /// A walk that has seen no error yet.
    pub fn new(gap: SignedDuration) -> ErrorRun {
        ErrorRun {
            gap,
            start: None,
            settled: false,
        }
    }

    /// The next older error line; false once the run's start is known (this line is before
    /// the quiet spell, so it belongs to an earlier run).
    pub fn older(&mut self, at: Timestamp) -> bool {
        if self.settled {
            return false;
        }
        match self.start {
            Some(s) if s.duration_since(at) > self.gap => {
                self.settled = true;
                false
            }
            _ => {
                self.start = Some(at);
                true
            }
        }
    }

    /// The oldest error of the run so far.
    pub fn start(&self) -> Option<Timestamp> {
        self.start
    }

    /// Whether the start is known: a quiet spell before it was seen, or `searched_from`
    /// (where the lines looked at begin) is a quiet spell before it.
    pub fn settled(&self, searched_from: Timestamp) -> bool {
        self.settled
            || self
                .start
                .is_some_and(|s| s.duration_since(searched_from) > self.gap)
    }
}

/// What `first-error` found, in words: when, how long before the alert, and whether the
/// errors may reach further back than what was searched.
pub fn describe(found: Option<Timestamp>, before: Timestamp, settled: bool) -> String {
    let hms = |t: Timestamp| t.strftime("%H:%M:%S").to_string();
    match found {
        None => format!(
            "no error lines in the hour before the alert ({}–{})",
            hms(before - SEARCH),
            hms(before)
        ),
        Some(at) => {
            let mins = before.duration_since(at).as_secs() / 60;
            let ago = if mins == 0 {
                "under a minute".to_string()
            } else {
                format!("{mins} min")
            };
            let mut text = format!(
                "errors before the alert began at {}, {ago} before it",
                hms(at)
            );
            if !settled {
                text.push_str(" (they go back further than was searched)");
            }
            text
        }
    }
}

impl App {
    /// `first-error`: the selected alert's workload in the logs pane, then the view at the
    /// first error of the run before the alert's start.
    pub(super) fn first_error(&mut self) {
        let Some(alert) = self.alerts.selected().map(|a| a.status.clone()) else {
            self.flash(Level::Warn, "first-error: no alert selected");
            return;
        };
        let before = alert.since;
        // The operator asked about this alert: its workload, whatever was chosen before.
        if let Some(target) = self.log_target_for_alert(&alert) {
            self.tail(target, TailCause::Operator);
        }
        if self.caps.log_history && self.pods.tailing.is_some() {
            self.log_source.pending_at = Some(before);
            self.emit(Effect::QueryLogs(LogQuery::FirstError(before)));
            self.flash(
                Level::Unknown,
                format!(
                    "asking the log store where the errors before {} began",
                    before.strftime("%H:%M:%S")
                ),
            );
            return;
        }
        self.first_error_held(before);
    }

    /// The same walk over the lines the pane holds (the filtered view).
    fn first_error_held(&mut self, before: Timestamp) {
        let floor = before - SEARCH;
        let mut run = ErrorRun::new(RUN_GAP);
        let mut oldest = before;
        for i in (0..self.logs.visible_len()).rev() {
            let Some(l) = self.logs.visible(i) else {
                continue;
            };
            if l.at >= before || l.marker {
                continue;
            }
            if l.at < floor {
                oldest = floor;
                break;
            }
            oldest = l.at;
            if l.level == super::logs::LogLevel::Error && !run.older(l.at) {
                break;
            }
        }
        let found = run.start();
        let note = describe(found, before, run.settled(oldest));
        match found {
            Some(at) => {
                self.logs.show_time(at, super::history::AFTER_ANCHOR);
                self.flash(Level::Unknown, note);
            }
            None => self.flash(Level::Ok, note),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::command::Command;
    use crate::event::{Event, LogLine, Observation};

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn the_run_begins_after_the_last_quiet_spell() {
        let mut run = ErrorRun::new(RUN_GAP);
        // Newest first: errors every minute back to -20 min, then nothing for 10 minutes.
        for m in (20..=58).rev() {
            assert!(run.older(t(m * 60)));
        }
        assert!(!run.older(t(10 * 60)), "an earlier run");
        assert_eq!(run.start(), Some(t(20 * 60)));
        assert!(run.settled(t(0)));
        assert!(!run.older(t(9 * 60)), "settled stays settled");
        // Errors right up to where the search began: maybe not the start.
        let mut run = ErrorRun::new(RUN_GAP);
        run.older(t(600));
        run.older(t(400));
        assert!(!run.settled(t(300)));
        assert!(run.settled(t(0)), "ten quiet minutes searched before it");
        assert_eq!(ErrorRun::new(RUN_GAP).start(), None);
    }

    #[test]
    fn the_words_say_when_and_how_long_before() {
        let before = t(3_600);
        assert_eq!(
            describe(Some(t(3_600 - 38 * 60 - 5)), before, true),
            "errors before the alert began at 08:21:55, 38 min before it"
        );
        assert!(describe(Some(t(3_590)), before, false).ends_with("than was searched)"));
        assert_eq!(
            describe(None, before, true),
            "no error lines in the hour before the alert (08:00:00–09:00:00)"
        );
    }

    fn alert_app() -> App {
        let mut app = crate::app::sample::drill_app(5);
        app.caps = crate::app::Capabilities::live("c", "snapbuilder");
        app.now = t(3_700);
        let alert = crate::event::AlertStatus {
            name: "IngestErrors".into(),
            severity: "critical".into(),
            state: crate::event::AlertState::Firing,
            since: t(3_600),
            summary: "ingest failing".into(),
            runbook_url: None,
            detail: String::new(),
            description: String::new(),
            labels: [("app".to_string(), "snapbuilder-ingest".to_string())].into(),
            silenced_by: Vec::new(),
        };
        app.alerts = Default::default();
        app.update(Event::Observed(app.now, Observation::Alert(alert)));
        app
    }

    #[test]
    fn with_a_log_store_the_store_is_asked_for_the_alerts_workload() {
        let mut app = alert_app();
        app.caps.log_history = true;
        let effects = app.run(Command::FirstError);
        let asked: Vec<&LogQuery> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::QueryLogs(q) => Some(q),
                _ => None,
            })
            .collect();
        assert_eq!(asked, [&LogQuery::FirstError(t(3_600))]);
        assert_eq!(
            app.pods.tailing.as_ref().map(|t| t.workload.as_str()),
            Some("snapbuilder-ingest")
        );
        assert_eq!(app.log_source.pending_at, Some(t(3_600)));
    }

    #[test]
    fn without_one_the_lines_held_are_searched() {
        let mut app = alert_app();
        let line = |secs: i64, text: &str| LogLine {
            at: t(secs),
            pod: "snapbuilder-ingest-1".into(),
            container: "c".into(),
            text: text.into(),
        };
        // An old error, ten quiet minutes, then errors every 30 s from 08:40 on.
        let mut lines = vec![line(600, "ERROR old")];
        for s in (1_200..3_700).step_by(30) {
            let text = if s >= 2_400 { "ERROR boom" } else { "INFO ok" };
            lines.push(line(s, text));
        }
        app.run(Command::FirstError);
        app.update(Event::Observed(app.now, Observation::Logs(lines)));
        app.run(Command::FirstError);
        let view = app.logs.window(crate::app::history::AFTER_ANCHOR + 1);
        assert_eq!(view[0].at, t(2_400), "{:?}", view[0]);
        let flash = app.flash.as_ref().unwrap().text.clone();
        assert!(
            flash.contains("began at 08:40:00, 20 min before it"),
            "{flash}"
        );
    }
}
