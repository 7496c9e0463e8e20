//! One reading of a target: its history page, then (Loki backend) the live tail, and the
//! side questions of the logs pane (an older page, the lines around a moment). A job is
//! stale once the router's generation moves on, and then sends nothing more.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use super::News;
use super::follow::Mark;
use crate::event::{Event, LogHistory, LogLine, Observation};
use crate::sources::loki::{Direction, Entry, Loki, LokiError};

/// The first wait before Loki is asked again after a failure; it doubles up to the max.
pub(super) const RETRY_FIRST: Duration = Duration::from_secs(1);
pub(super) const RETRY_MAX: Duration = Duration::from_secs(30);
/// A `logs-at` page: from a little before the moment to a while after it.
const AT_BEFORE: SignedDuration = SignedDuration::from_mins(2);
const AT_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// Reads one target: a page of history, then (Loki backend) the tail, reconnecting.
pub(super) struct Job {
    pub(super) loki: Loki,
    pub(super) tx: mpsc::Sender<Event>,
    pub(super) news: mpsc::Sender<News>,
    pub(super) generation_counter: Arc<AtomicU64>,
    pub(super) my_gen: u64,
    /// The query with the pushed-down filter.
    pub(super) query: String,
    /// The selector alone, for when Loki refuses the filter.
    pub(super) plain: String,
    /// The pod a line without a `pod` label is shown under.
    pub(super) pod: String,
    pub(super) history: SignedDuration,
    pub(super) max_range: SignedDuration,
    pub(super) page_lines: usize,
    pub(super) idle: Duration,
    pub(super) tail: bool,
    /// The first page replaces what the pane holds.
    pub(super) reset: bool,
}

impl Job {
    pub(super) fn current(&self) -> bool {
        self.generation_counter.load(Ordering::SeqCst) == self.my_gen
    }

    pub(super) async fn tell(&self, n: News) {
        let _ = self.news.send(n).await;
    }

    pub(super) async fn send(&self, obs: Observation) {
        if self.current() {
            let _ = self.tx.send(Event::Observed(Timestamp::now(), obs)).await;
        }
    }

    pub(super) fn lines(&self, entries: Vec<Entry>) -> Vec<LogLine> {
        entries
            .into_iter()
            .map(|e| e.into_log_line(&self.pod))
            .collect()
    }

    /// One range query; a refused pushed-down filter is retried without it once.
    pub(super) async fn range(
        &mut self,
        start: Timestamp,
        end: Timestamp,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<Entry>, LokiError> {
        let answer = self
            .loki
            .query_range(&self.query, start, end, limit, direction)
            .await;
        match answer {
            Err(LokiError::BadQuery(body)) if self.query != self.plain => {
                self.query = self.plain.clone();
                self.tell(News::FilterRefused(
                    self.my_gen,
                    format!("loki refused the filter (400): {body}"),
                ))
                .await;
                self.loki
                    .query_range(&self.query, start, end, limit, direction)
                    .await
            }
            other => other,
        }
    }

    pub(super) async fn run(mut self) {
        let mut backoff = RETRY_FIRST;
        // History first, retried until Loki answers; the pod tail covers meanwhile.
        let mut mark = Mark::default();
        loop {
            let end = Timestamp::now();
            let start = end - self.history;
            match self
                .range(start, end, Direction::Backward, self.page_lines)
                .await
            {
                Ok(entries) => {
                    for e in &entries {
                        mark.read(e.at);
                    }
                    let oldest = entries.first().map_or(start, |e| e.at);
                    let lines = self.lines(entries);
                    self.tell(News::Oldest(self.my_gen, oldest)).await;
                    self.send(Observation::LogHistory(LogHistory {
                        lines,
                        reset: self.reset,
                        complete: false,
                        anchor: None,
                        note: None,
                    }))
                    .await;
                    self.tell(News::Recovered(self.my_gen)).await;
                    if mark.last.is_none() {
                        mark.last = Some(end);
                        mark.at_last = 0;
                    }
                    break;
                }
                Err(e) => {
                    self.tell(News::Failed(self.my_gen, e)).await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RETRY_MAX);
                }
            }
        }
        if self.tail {
            self.follow(mark).await;
        }
    }

    /// The page before `before`: windows of the history length, widening while empty, up
    /// to the range Loki keeps.
    pub(super) async fn older(mut self, before: Timestamp) {
        let floor = Timestamp::now() - self.max_range;
        let mut span = self.history;
        // `end` is exclusive: the oldest line shown is not asked for again (a line of
        // another stream at the very same nanosecond would be missed, not repeated).
        let end = before;
        loop {
            let start = (before - span).max(floor);
            match self
                .range(start, end, Direction::Backward, self.page_lines)
                .await
            {
                Ok(entries) if entries.is_empty() && start > floor => {
                    span = span.checked_mul(2).unwrap_or(self.max_range);
                }
                Ok(entries) => {
                    let complete = entries.is_empty();
                    let oldest = entries.first().map_or(start, |e| e.at);
                    let lines = self.lines(entries);
                    self.tell(News::Oldest(self.my_gen, oldest)).await;
                    self.send(Observation::LogHistory(LogHistory {
                        lines,
                        reset: false,
                        complete,
                        anchor: None,
                        note: None,
                    }))
                    .await;
                    return;
                }
                Err(e) => {
                    self.tell(News::Failed(self.my_gen, e)).await;
                    // The pane stops waiting; the next scroll asks again.
                    self.send(Observation::LogHistory(LogHistory::default()))
                        .await;
                    return;
                }
            }
        }
    }

    /// The lines around `at`.
    pub(super) async fn at(self, at: Timestamp) {
        self.around(at, None).await;
    }

    /// The lines around `at`, the view moved there, with `note` for the operator: a little
    /// before it, read backward so a busy workload's page still reaches `at`, then what
    /// follows.
    pub(super) async fn around(mut self, at: Timestamp, note: Option<String>) {
        let before = self
            .range(
                at - AT_BEFORE,
                at,
                Direction::Backward,
                self.page_lines / 4 + 1,
            )
            .await;
        let after = match before {
            Ok(b) => self
                .range(at, at + AT_AFTER, Direction::Forward, self.page_lines)
                .await
                .map(|a| [b, a].concat()),
            Err(e) => Err(e),
        };
        match after {
            Ok(entries) => {
                let lines = self.lines(entries);
                self.send(Observation::LogHistory(LogHistory {
                    lines,
                    anchor: Some(at),
                    note,
                    ..LogHistory::default()
                }))
                .await;
            }
            Err(e) => {
                let why = format!("{e}");
                self.tell(News::Failed(self.my_gen, e)).await;
                self.send(Observation::LogHistory(LogHistory {
                    anchor: Some(at),
                    note: Some(note.map_or(why.clone(), |n| format!("{n}; {why}"))),
                    ..LogHistory::default()
                }))
                .await;
            }
        }
    }
}
