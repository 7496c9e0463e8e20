//! What a stream has read and what waits to be sent: the read-to mark a resumed stream
//! skips by, and the reorder window with its bound, where lines, gaps and drops collect.

use std::collections::VecDeque;

use jiff::Timestamp;
use tokio::time::Instant;

use crate::event::{LogGap, LogLine};

use super::{MAX_BATCH, REORDER};

/// Splits `2026-11-22T18:57:02.5Z text` into its timestamp and text.
pub fn parse_line(line: &str) -> Option<(Timestamp, &str)> {
    let (ts, text) = line.split_once(' ').unwrap_or((line, ""));
    Some((ts.parse().ok()?, text))
}

/// Where a stream has read to: the last timestamp and how many lines carried it, so a
/// stream resumed from that second skips exactly what was already shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadTo {
    pub last: Option<Timestamp>,
    pub at_last: usize,
}

impl ReadTo {
    /// Notes a line read.
    pub fn read(&mut self, at: Timestamp) {
        if self.last == Some(at) {
            self.at_last += 1;
        } else {
            self.last = Some(at);
            self.at_last = 1;
        }
    }
}

/// Skips the lines of a resumed stream that an earlier stream already delivered.
#[derive(Debug, Clone, Copy)]
pub struct Resume {
    from: ReadTo,
    skipped_at_last: usize,
}

impl Resume {
    pub fn new(from: ReadTo) -> Resume {
        Resume {
            from,
            skipped_at_last: 0,
        }
    }

    /// Whether a line at `at` was shown already.
    pub fn seen(&mut self, at: Timestamp) -> bool {
        match self.from.last {
            None => false,
            Some(last) if at < last => true,
            Some(last) if at == last && self.skipped_at_last < self.from.at_last => {
                self.skipped_at_last += 1;
                true
            }
            Some(_) => false,
        }
    }
}

/// Lines read and not yet sent, with when each arrived; gaps found; lines dropped.
pub(super) struct Pending {
    pub(super) lines: VecDeque<(Instant, LogLine)>,
    pub(super) gaps: Vec<LogGap>,
    pub(super) dropped: u64,
    pub(super) max: usize,
    /// A log request answered 403, to be said once.
    pub(super) forbidden: Option<crate::access::Forbidden>,
    /// Whether it was said already (a tail said so stays said until lines come again).
    pub(super) forbidden_said: bool,
    /// A stream refused before opened again in this namespace: to be said once.
    pub(super) allowed: Option<String>,
}

impl Pending {
    pub(super) fn new(max: usize) -> Pending {
        Pending {
            lines: VecDeque::new(),
            gaps: Vec::new(),
            dropped: 0,
            max: max.max(1),
            forbidden: None,
            forbidden_said: false,
            allowed: None,
        }
    }

    pub(super) fn push(&mut self, line: LogLine) {
        if self.lines.len() >= self.max {
            self.dropped += 1;
        } else {
            self.lines.push_back((Instant::now(), line));
        }
    }

    /// The lines that waited out the reorder window, in timestamp order.
    pub(super) fn ripe(&mut self) -> Vec<LogLine> {
        let Some(cut) = Instant::now().checked_sub(REORDER) else {
            return Vec::new();
        };
        let n = self
            .lines
            .iter()
            .take(MAX_BATCH.min(self.max))
            .take_while(|(at, _)| *at <= cut)
            .count();
        let mut out: Vec<LogLine> = self.lines.drain(..n).map(|(_, l)| l).collect();
        out.sort_by_key(|l| l.at);
        out
    }

    /// Lines the cockpit could not take go back to the front, oldest first.
    pub(super) fn put_back(&mut self, lines: Vec<LogLine>) {
        let now = Instant::now()
            .checked_sub(REORDER)
            .unwrap_or_else(Instant::now);
        for l in lines.into_iter().rev() {
            self.lines.push_front((now, l));
        }
        while self.lines.len() > self.max {
            self.lines.pop_back();
            self.dropped += 1;
        }
    }
}
