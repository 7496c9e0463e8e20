//! `first-error` in Loki: error lines of the target read backward from the alert's start, a
//! page at a time, until the run of errors that led up to it begins (a quiet spell before
//! it) or the hour before is exhausted; then the lines around that first error, the view
//! moved there. Loki computes the error filter over every pod; sitrep reads pages of it.

use jiff::Timestamp;

use super::News;
use super::job::Job;
use crate::app::first_error::{ErrorRun, RUN_GAP, SEARCH, describe};
use crate::event::{LogHistory, Observation};
use crate::sources::loki::Direction;

/// The words the cockpit reads as an error level, as a LogQL line filter.
pub(super) const ERROR_FILTER: &str = "|~ `(?i)(error|fatal|panic|critical|exception|traceback)`";
/// Pages of error lines read at most: a workload erring without pause for the whole hour
/// is answered with the oldest error reached.
const MAX_PAGES: usize = 10;

impl Job {
    /// Finds the first error of the run before `before` and shows the lines around it.
    pub(super) async fn first_error(self, before: Timestamp) {
        let floor = (before - SEARCH).max(Timestamp::now() - self.max_range);
        // The selector alone: the pane's filter must not hide the errors looked for.
        let query = format!("{} {ERROR_FILTER}", self.plain);
        let mut run = ErrorRun::new(RUN_GAP);
        let mut end = before;
        let mut searched_from = before;
        for _ in 0..MAX_PAGES {
            let page = self
                .loki
                .query_range(&query, floor, end, self.page_lines, Direction::Backward)
                .await;
            let entries = match page {
                Ok(e) => e,
                Err(e) => {
                    let note = format!("first-error: {e}");
                    self.tell(News::Failed(self.my_gen, e)).await;
                    self.send(Observation::LogHistory(LogHistory {
                        note: Some(note),
                        ..LogHistory::default()
                    }))
                    .await;
                    return;
                }
            };
            let full = entries.len() >= self.page_lines;
            for e in entries.iter().rev() {
                if !run.older(e.at) {
                    break;
                }
            }
            // What is known begins at this page's oldest line when the page was full, else
            // at the floor. `end` is exclusive: the next page ends at this one's oldest line
            // (lines of the same nanosecond are the same moment; none is needed again).
            let oldest = entries.first().map(|e| e.at);
            let Some(o) = oldest.filter(|_| full) else {
                searched_from = floor;
                break;
            };
            searched_from = o;
            if run.settled(o) || o >= end || o <= floor {
                break;
            }
            end = o;
        }
        let found = run.start();
        let note = describe(found, before, run.settled(searched_from));
        match found {
            Some(at) => self.around(at, Some(note)).await,
            None => {
                self.send(Observation::LogHistory(LogHistory {
                    note: Some(note),
                    ..LogHistory::default()
                }))
                .await;
            }
        }
    }
}
