//! Log history from a log store: pages merged into the logs pane, older pages asked for when
//! the operator scrolls past the top, `logs-at` jumps, and the `/` filter offered to the
//! store. What the store is (Loki) and whether it answers is the source's business; the
//! cockpit asks only when `caps.log_history` says someone listens.

use jiff::Timestamp;

use super::{App, Effect};
use crate::event::{Level, LogHistory, LogQuery, LogSourceStatus};

/// Lines shown below the moment `logs-at` asked for.
pub(super) const AFTER_ANCHOR: usize = 10;

/// The history the logs pane holds and asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogSourceState {
    /// What the source last said about itself.
    pub status: Option<LogSourceStatus>,
    /// An older page was asked for and has not come yet.
    pub pending_older: bool,
    /// The store has nothing older.
    pub complete: bool,
    /// A `logs-at` jump waiting for its page.
    pub pending_at: Option<Timestamp>,
}

impl LogSourceState {
    /// A new target: what was asked for the last one no longer applies.
    pub fn forget_pages(&mut self) {
        self.pending_older = false;
        self.complete = false;
        self.pending_at = None;
    }

    /// The title's words: `loki`, `filter on loki |= "ERROR"`, the problem, `loading older…`.
    pub fn describe(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(s) = &self.status {
            if !s.backend.is_empty() {
                parts.push(format!("from {}", s.backend));
            }
            if let Some(f) = &s.server_filter {
                parts.push(format!("filter on loki {f}"));
            }
            if let Some(p) = &s.problem {
                parts.push(p.clone());
            }
        }
        if self.pending_older || self.pending_at.is_some() {
            parts.push("loading history…".into());
        } else if self.complete {
            parts.push("start of history".into());
        }
        parts
    }
}

impl App {
    /// A page of history: merged, and the view moved when it answers a jump.
    pub(super) fn observe_log_history(&mut self, page: LogHistory) {
        if page.reset {
            // A new target or a new server-side filter: the page is the pane's content.
            let mut fresh = super::logs::LogBuffer::new(self.config.logs.buffer_lines);
            fresh.set_filter(self.logs.filter().cloned());
            fresh.wrap = self.logs.wrap;
            fresh.raw = self.logs.raw;
            fresh.context = self.logs.context;
            self.logs = fresh;
            self.log_source.complete = false;
        }
        self.log_source.pending_older = false;
        self.log_source.complete |= page.complete;
        self.logs.merge_history(page.lines);
        if let Some(at) = page.anchor {
            self.log_source.pending_at = None;
            if !self.logs.show_time(at, AFTER_ANCHOR) {
                self.flash(
                    Level::Warn,
                    format!("no log lines at or after {}", at.strftime("%H:%M:%S")),
                );
                return;
            }
        }
        if let Some(note) = page.note {
            // A jump that found nothing says so, and the pane stops waiting.
            self.log_source.pending_at = None;
            self.flash(Level::Unknown, note);
        }
    }

    /// Scrolling in the logs pane; past the top, the store is asked for the page before.
    pub(super) fn scroll_logs(&mut self, delta: isize) {
        let at_top = self.logs.scroll >= self.logs.visible_len();
        self.logs.scroll_by(delta);
        if delta > 0 && at_top && self.caps.log_history && self.pods.tailing.is_some() {
            self.ask_older();
        }
    }

    fn ask_older(&mut self) {
        if self.log_source.pending_older || self.log_source.complete {
            return;
        }
        self.log_source.pending_older = true;
        self.emit(Effect::QueryLogs(LogQuery::Older));
    }

    /// `logs-at`: the view moves to the moment; the store is asked when the lines held do
    /// not reach back that far.
    pub(super) fn logs_at(&mut self, when: crate::command::LogTime) {
        let at = when.resolve(self.now);
        let held = self.logs.oldest().is_some_and(|o| o <= at);
        if held && self.logs.show_time(at, AFTER_ANCHOR) {
            return;
        }
        if self.caps.log_history && self.pods.tailing.is_some() {
            self.log_source.pending_at = Some(at);
            self.emit(Effect::QueryLogs(LogQuery::At(at)));
            self.flash(
                Level::Unknown,
                format!("asking the log store for {}", at.strftime("%H:%M:%S")),
            );
        } else if !self.logs.show_time(at, AFTER_ANCHOR) {
            self.flash(
                Level::Warn,
                format!(
                    "no log lines at or after {} here, and no log store to ask",
                    at.strftime("%H:%M:%S")
                ),
            );
        }
    }

    /// The `/` filter changed: a store that can run it is told.
    pub(super) fn offer_filter(&mut self, text: Option<&str>) {
        if self.caps.log_history && self.pods.tailing.is_some() {
            self.emit(Effect::QueryLogs(LogQuery::Filter(
                text.map(str::to_string),
            )));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::command::{Command, LogTime};
    use crate::event::{Event, LogLine, Observation};

    fn app() -> App {
        let mut app = crate::app::sample::drill_app(5);
        app.caps = crate::app::Capabilities::live("c", "snapbuilder");
        app.caps.log_history = true;
        app.alerts = Default::default();
        app.focus = crate::command::Pane::Logs;
        app.run(Command::Focus(crate::command::FocusTarget::Pane(
            crate::command::Pane::Logs,
        )));
        app
    }

    fn line(sec: i64, text: &str) -> LogLine {
        LogLine {
            at: Timestamp::from_second(1_800_000_000 + sec).unwrap(),
            pod: "p".into(),
            container: "c".into(),
            text: text.into(),
        }
    }

    fn page(lines: Vec<LogLine>, reset: bool) -> Event {
        Event::Observed(
            Timestamp::from_second(1_700_000_000).unwrap(),
            Observation::LogHistory(LogHistory {
                lines,
                reset,
                ..LogHistory::default()
            }),
        )
    }

    fn queries(effects: &[Effect]) -> Vec<LogQuery> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::QueryLogs(q) => Some(q.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn history_fills_then_scrolling_past_the_top_asks_once_for_older() {
        let mut app = app();
        app.update(page((100..200).map(|i| line(i, "INFO h")).collect(), true));
        assert_eq!(app.logs.len(), 100);
        // Live lines that repeat the end of the history are not shown twice.
        app.update(Event::Observed(
            app.now,
            Observation::Logs(vec![line(199, "INFO h"), line(200, "INFO new")]),
        ));
        assert_eq!(app.logs.len(), 101);
        let e = app.run(Command::PageUp);
        assert!(queries(&e).is_empty(), "not at the top yet");
        app.logs.scroll = app.logs.visible_len();
        let e = app.run(Command::Up);
        assert_eq!(queries(&e), [LogQuery::Older]);
        assert!(
            queries(&app.run(Command::Up)).is_empty(),
            "one page at a time"
        );
        let top = app.logs.visible(0).unwrap().at;
        let scroll = app.logs.scroll;
        app.update(page(
            (0..100).map(|i| line(i, "INFO older")).collect(),
            false,
        ));
        assert_eq!(app.logs.len(), 201);
        assert_eq!(app.logs.scroll, scroll, "the view keeps its lines");
        assert_eq!(app.logs.visible(100).unwrap().at, top);
        assert!(!app.log_source.pending_older);
    }

    #[test]
    fn lines_one_backend_showed_are_not_repeated_by_the_other() {
        let mut app = app();
        let lines = |r: std::ops::Range<i64>| -> Vec<LogLine> {
            r.map(|i| line(i, &format!("INFO seq={i}"))).collect()
        };
        let logs = |l: Vec<LogLine>| Event::Observed(app_now(), Observation::Logs(l));
        app.update(page(lines(0..10), true));
        // Loki's tail goes on past its history.
        app.update(logs(lines(10..15)));
        // Loki fails: the pod tail takes over, its backlog repeating what Loki showed.
        app.update(logs(lines(5..20)));
        // Loki is back: its catch-up page since its last line, then live lines the pod tail
        // also sends until it has stopped (in either order).
        app.update(page(lines(15..20), false));
        app.update(logs(lines(20..23)));
        app.update(logs(lines(20..24)));
        let shown: Vec<&str> = app
            .logs
            .window(100)
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        let want: Vec<String> = (0..24).map(|i| format!("INFO seq={i}")).collect();
        assert_eq!(shown, want);
    }

    fn app_now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    #[test]
    fn logs_at_asks_the_store_and_moves_to_the_answer() {
        let mut app = app();
        app.now = Timestamp::from_second(1_800_000_000 + 3_600).unwrap();
        app.update(page(
            (3_000..3_600).map(|i| line(i, "INFO x")).collect(),
            true,
        ));
        // 1_800_000_000 is 08:00:00 UTC; ask for 08:10, before the lines held.
        let e = app.run(Command::LogsAt(LogTime::OfDay(8 * 3600 + 600)));
        let [LogQuery::At(at)] = queries(&e)[..] else {
            panic!("{e:?}")
        };
        assert_eq!(at.as_second(), 1_800_000_600);
        let mut answer = LogHistory {
            lines: (550..650).map(|i| line(i, "INFO then")).collect(),
            anchor: Some(at),
            ..LogHistory::default()
        };
        answer.lines[50].text = "ERROR at ten past".into();
        app.update(Event::Observed(app.now, Observation::LogHistory(answer)));
        let view = app.logs.window(11);
        assert_eq!(view[0].text, "ERROR at ten past");
        assert!(!app.logs.follow);
    }

    #[test]
    fn the_filter_is_offered_to_the_store_only_when_one_listens() {
        let mut app = app();
        let e = app.run(Command::Filter(Some("ERROR".into())));
        assert_eq!(queries(&e), [LogQuery::Filter(Some("ERROR".into()))]);
        let e = app.run(Command::Filter(Some(String::new())));
        assert_eq!(queries(&e), [LogQuery::Filter(None)]);
        app.caps.log_history = false;
        assert!(queries(&app.run(Command::Filter(Some("x".into())))).is_empty());
    }

    #[test]
    fn loki_lines_are_recorded_like_any_other_observation() {
        let page = Observation::LogHistory(LogHistory {
            lines: vec![line(1, "ERROR from loki")],
            reset: true,
            complete: false,
            anchor: Some(Timestamp::from_second(1_800_000_001).unwrap()),
            note: Some("errors before the alert began at 08:00:01".into()),
        });
        let status = Observation::LogSource(LogSourceStatus {
            backend: "loki".into(),
            server_filter: Some("|= \"ERROR\"".into()),
            problem: None,
        });
        for obs in [page, status] {
            let rec = crate::recording::format::Record::Observed {
                at: Timestamp::from_second(1_800_000_002).unwrap(),
                obs: obs.clone(),
            };
            let json = serde_json::to_string(&rec).unwrap();
            let back: crate::recording::format::Record = serde_json::from_str(&json).unwrap();
            assert_eq!(back, rec, "{json}");
        }
        // A replayed page folds in as the live one did.
        let mut app = app();
        app.update(page_of(vec![line(1, "ERROR from loki")]));
        assert_eq!(app.logs.window(1)[0].text, "ERROR from loki");
    }

    fn page_of(lines: Vec<LogLine>) -> Event {
        page(lines, true)
    }

    #[test]
    fn the_title_says_where_lines_come_from() {
        let mut app = app();
        app.update(Event::Observed(
            app.now,
            Observation::LogSource(LogSourceStatus {
                backend: "kube".into(),
                server_filter: None,
                problem: Some("loki down: connection refused; kube tail".into()),
            }),
        ));
        let title = crate::ui::panes::logs::title(&app);
        assert!(title.contains("from kube"), "{title}");
        assert!(title.contains("loki down: connection refused"), "{title}");
    }
}
