//! The live tail of a job: reopened from the last line read whenever it ends, so a
//! reconnect neither repeats nor loses a line; the first message of a reopened tail is
//! Loki's catch-up and goes as a page of history; Loki's dropped entries become gaps.

use jiff::Timestamp;

use super::News;
use super::job::{Job, RETRY_FIRST, RETRY_MAX};
use crate::event::{Event, LogGap, LogHistory, Observation};
use crate::sources::loki::{LokiError, TailMessage};

/// Lines the tail's first message may bring (what Loki sends since `start`).
const TAIL_LIMIT: usize = 1_000;

/// The newest timestamp read and how many lines carried it, so a resumed tail (Loki's
/// `start` is inclusive) skips exactly what was shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    pub last: Option<Timestamp>,
    pub at_last: usize,
}

impl Mark {
    /// Notes a line; an older one (another stream's, late) does not move the mark back.
    pub fn read(&mut self, at: Timestamp) {
        match self.last {
            Some(l) if at < l => {}
            Some(l) if at == l => self.at_last += 1,
            _ => {
                self.last = Some(at);
                self.at_last = 1;
            }
        }
    }

    /// A filter for the lines of a tail resumed from this mark.
    pub fn resume(self) -> impl FnMut(Timestamp) -> bool {
        let mut skipped = 0;
        move |at| match self.last {
            None => false,
            Some(l) if at < l => true,
            Some(l) if at == l && skipped < self.at_last => {
                skipped += 1;
                true
            }
            Some(_) => false,
        }
    }
}

impl Job {
    /// The tail, reopened from the last line read whenever it ends.
    pub(super) async fn follow(&mut self, mut mark: Mark) {
        let mut backoff = RETRY_FIRST;
        let mut failing = false;
        while self.current() {
            let start = mark.last.unwrap_or_else(Timestamp::now);
            let mut tail = match self.loki.tail(&self.query, start, TAIL_LIMIT).await {
                Ok(t) => t,
                Err(e) => {
                    failing = true;
                    self.tell(News::Failed(self.my_gen, e)).await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(RETRY_MAX);
                    continue;
                }
            };
            let mut seen = mark.resume();
            let mut first = true;
            let why = loop {
                let msg = match tokio::time::timeout(self.idle, tail.next()).await {
                    // A quiet workload: reopen quietly, from the same place.
                    Err(_) => break None,
                    Ok(None) => break Some(LokiError::Protocol("the tail was closed".into())),
                    Ok(Some(Err(e))) => break Some(e),
                    Ok(Some(Ok(m))) => m,
                };
                if failing {
                    failing = false;
                    backoff = RETRY_FIRST;
                    self.tell(News::Recovered(self.my_gen)).await;
                }
                let resumed_full = first && msg.entries.len() >= TAIL_LIMIT;
                let from = mark.last;
                self.deliver(msg, &mut mark, &mut seen, first).await;
                first = false;
                if resumed_full && let Some(from) = from {
                    // More lines came while the tail was down than its first message holds.
                    self.gaps(vec![LogGap {
                        pod: self.pod.clone(),
                        container: String::new(),
                        from,
                        to: mark.last,
                        why: format!("more than {TAIL_LIMIT} lines while reconnecting"),
                    }]);
                }
            };
            if let Some(e) = why {
                failing = true;
                self.tell(News::Failed(self.my_gen, e)).await;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(RETRY_MAX);
            }
        }
    }

    /// A tail message's new lines to the cockpit; Loki's dropped entries as gaps. The first
    /// message of a (re)opened tail is Loki's catch-up since the last line read: it goes as a
    /// page of history, merged without repeats with what the pod tail showed meanwhile.
    async fn deliver(
        &self,
        msg: TailMessage,
        mark: &mut Mark,
        seen: &mut impl FnMut(Timestamp) -> bool,
        catch_up: bool,
    ) {
        if !self.current() {
            return;
        }
        let mut lines = Vec::with_capacity(msg.entries.len());
        for e in msg.entries {
            if seen(e.at) {
                continue;
            }
            mark.read(e.at);
            lines.push(e.into_log_line(&self.pod));
        }
        if catch_up && !lines.is_empty() {
            self.send(Observation::LogHistory(LogHistory {
                lines,
                ..LogHistory::default()
            }))
            .await;
        } else if !lines.is_empty() {
            let n = lines.len() as u64;
            let obs = Observation::Logs(lines);
            if self
                .tx
                .try_send(Event::Observed(Timestamp::now(), obs))
                .is_err()
            {
                let _ = self.tx.try_send(Event::Observed(
                    Timestamp::now(),
                    Observation::LogsDropped(n),
                ));
            }
        }
        if !msg.dropped.is_empty() {
            // One gap per pod, over the span of its dropped lines.
            let mut by_pod: std::collections::BTreeMap<String, (Timestamp, Timestamp, usize)> =
                Default::default();
            for d in msg.dropped {
                let pod = d
                    .labels
                    .get("pod")
                    .cloned()
                    .unwrap_or_else(|| self.pod.clone());
                let e = by_pod.entry(pod).or_insert((d.at, d.at, 0));
                e.0 = e.0.min(d.at);
                e.1 = e.1.max(d.at);
                e.2 += 1;
            }
            let gaps = by_pod
                .into_iter()
                .map(|(pod, (from, to, n))| LogGap {
                    pod,
                    container: String::new(),
                    from,
                    to: Some(to),
                    why: format!("{n} lines dropped by Loki (the tail fell behind)"),
                })
                .collect();
            self.gaps(gaps);
        }
    }

    fn gaps(&self, gaps: Vec<LogGap>) {
        if self.current() {
            let _ = self.tx.try_send(Event::Observed(
                Timestamp::now(),
                Observation::LogGaps(gaps),
            ));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_tail_skips_exactly_what_was_read() {
        let t = |n: i64| Timestamp::from_nanosecond(i128::from(n)).unwrap();
        let mut m = Mark::default();
        for n in [1, 5, 5, 3] {
            m.read(t(n));
        }
        assert_eq!(
            (m.last, m.at_last),
            (Some(t(5)), 2),
            "a late line does not move it"
        );
        let mut seen = m.resume();
        let again: Vec<bool> = [3, 5, 5, 5, 6].into_iter().map(|n| seen(t(n))).collect();
        assert_eq!(again, [true, true, true, false, false]);
    }
}
