//! The Loki log source: takes the same orders as the pod tail (what to tail) plus the logs
//! pane's history questions, and answers with the same observations (lines, gaps, drops),
//! so the merged pane, filter and colours cannot tell Loki from the pod tail.
//!
//! Per workload it reads from Loki, from the pod tail, or both (Loki for history, the pod
//! tail for the newest seconds). When Loki fails (down, slow, 429, 400, a tail that closes)
//! the pane is told which, and the pod tail takes over until Loki answers again; the tail
//! then resumes from the last line it showed, without repeating one.
//!
//! Everything is bounded: pages by `page_lines`, older pages by `max_range`, each request by
//! the timeout, lines waiting for the cockpit by its channel (beyond, they are counted).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::selector::line_filter;
use super::{Direction, Entry, Loki, LokiError, TailMessage};
use crate::config::loki::{Backend, LokiConfig};
use crate::event::{
    Event, LogGap, LogHistory, LogLine, LogQuery, LogSourceStatus, LogTarget, Observation,
};

/// The source name in the cockpit's source errors.
pub const SOURCE: &str = "logs/loki";
/// Lines the tail's first message may bring (what Loki sends since `start`).
const TAIL_LIMIT: usize = 1_000;
/// A selection must stay put this long before it is followed (latest wins).
const DEBOUNCE: Duration = Duration::from_millis(150);
/// The first wait before Loki is asked again after a failure; it doubles up to the max.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// A `logs-at` page: from a little before the moment to a while after it.
const AT_BEFORE: SignedDuration = SignedDuration::from_mins(2);
const AT_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// The two order channels of the source.
pub struct Handles {
    /// What to tail, as the pod tail takes it.
    pub targets: mpsc::Sender<LogTarget>,
    /// History questions from the logs pane.
    pub queries: mpsc::Sender<LogQuery>,
    pub task: JoinHandle<()>,
}

/// Starts the source. `kube` is the pod tail's order channel, when a cluster is connected:
/// the workloads read from it, and the fallback when Loki fails.
pub fn spawn(
    loki: Loki,
    config: LokiConfig,
    kube: Option<mpsc::Sender<LogTarget>>,
    tx: mpsc::Sender<Event>,
) -> Handles {
    let (targets, target_rx) = mpsc::channel(256);
    let (queries, query_rx) = mpsc::channel(64);
    let (news, news_rx) = mpsc::channel(64);
    let router = Router {
        loki,
        config,
        kube,
        tx,
        news,
        generation_counter: Arc::new(AtomicU64::new(0)),
        target: None,
        backend: Backend::Loki,
        query: None,
        filter: None,
        pushed: None,
        oldest: None,
        job: None,
        side: None,
        kube_on: false,
        problem: None,
        reported: None,
    };
    let task = tokio::spawn(router.run(target_rx, query_rx, news_rx));
    Handles {
        targets,
        queries,
        task,
    }
}

/// What a job tells the router.
#[derive(Debug)]
enum News {
    /// Loki failed; the pod tail should take over.
    Failed(u64, LokiError),
    /// Loki answers again.
    Recovered(u64),
    /// The oldest line a page brought (or where the page began, when it was empty).
    Oldest(u64, Timestamp),
    /// Loki refused the pushed-down filter: the cockpit filters instead.
    FilterRefused(u64, String),
}

struct Router {
    loki: Loki,
    config: LokiConfig,
    kube: Option<mpsc::Sender<LogTarget>>,
    tx: mpsc::Sender<Event>,
    news: mpsc::Sender<News>,
    /// Bumped on every retarget and filter change; a job of an older generation is stale
    /// and sends nothing more.
    generation_counter: Arc<AtomicU64>,
    target: Option<LogTarget>,
    backend: Backend,
    /// The target's stream selector, as LogQL.
    query: Option<String>,
    /// The pane's filter as typed.
    filter: Option<String>,
    /// The filter as a LogQL line filter, when Loki runs it.
    pushed: Option<String>,
    oldest: Option<Timestamp>,
    /// History and tail of the target.
    job: Option<JoinHandle<()>>,
    /// An older page or a jump.
    side: Option<JoinHandle<()>>,
    kube_on: bool,
    problem: Option<String>,
    reported: Option<LogSourceStatus>,
}

impl Router {
    async fn run(
        mut self,
        mut targets: mpsc::Receiver<LogTarget>,
        mut queries: mpsc::Receiver<LogQuery>,
        mut news: mpsc::Receiver<News>,
    ) {
        loop {
            tokio::select! {
                t = targets.recv() => {
                    let Some(mut t) = t else { break };
                    // Latest wins: a burst of selections is followed once it settles.
                    while let Ok(Some(next)) = tokio::time::timeout(DEBOUNCE, targets.recv()).await {
                        t = next;
                    }
                    self.retarget(t);
                }
                Some(q) = queries.recv() => self.query(q),
                Some(n) = news.recv() => self.heard(n),
            }
        }
        self.stop_jobs();
    }

    fn generation(&self) -> u64 {
        self.generation_counter.load(Ordering::SeqCst)
    }

    fn stop_jobs(&mut self) {
        for j in [self.job.take(), self.side.take()].into_iter().flatten() {
            j.abort();
        }
    }

    fn kube_follow(&mut self) {
        if let (Some(kube), Some(t)) = (&self.kube, &self.target) {
            let _ = kube.try_send(t.clone());
            self.kube_on = true;
        }
    }

    /// The pod tail stops following: the workload with no pod chosen closes its streams
    /// (a target naming one pod would keep that pod's).
    fn kube_stop(&mut self) {
        if !self.kube_on {
            return;
        }
        self.kube_on = false;
        if let (Some(kube), Some(t)) = (&self.kube, &self.target) {
            let _ = kube.try_send(LogTarget {
                pods: Vec::new(),
                pod: None,
                ..t.clone()
            });
        }
    }

    fn report(&mut self) {
        let backend = match (self.backend, &self.problem, self.kube_on) {
            (Backend::Kube, _, _) => "kube",
            (_, Some(_), true) => "kube",
            (Backend::Both, _, _) => "loki+kube",
            _ => "loki",
        };
        let status = LogSourceStatus {
            backend: backend.into(),
            server_filter: self
                .pushed
                .clone()
                .filter(|_| self.backend != Backend::Kube),
            problem: self.problem.clone(),
        };
        if self.reported.as_ref() != Some(&status) {
            self.reported = Some(status.clone());
            let _ = self.tx.try_send(Event::Observed(
                Timestamp::now(),
                Observation::LogSource(status),
            ));
        }
    }

    fn retarget(&mut self, target: LogTarget) {
        if let Some(old) = &self.target
            && old.same_target(&target)
        {
            // Only the choice of pods moved: the pod tail follows it, Loki reads them all.
            self.target = Some(target);
            if self.kube_on {
                self.kube_follow();
            }
            return;
        }
        self.stop_jobs();
        self.kube_stop();
        self.generation_counter.fetch_add(1, Ordering::SeqCst);
        self.backend = self.config.backend_for(&target.workload);
        self.query = None;
        self.oldest = None;
        self.problem = None;
        self.target = Some(target.clone());
        if self.backend == Backend::Kube {
            self.kube_follow();
            self.report();
            return;
        }
        match self
            .config
            .selector_for(&target.namespace, &target.workload)
        {
            Ok(mut s) => {
                // One pod asked for: Loki reads only its lines.
                if let Some(pod) = &target.pod {
                    s.matchers.push(super::selector::Matcher {
                        label: "pod".into(),
                        op: super::selector::Op::Eq,
                        value: pod.clone(),
                    });
                }
                self.query = Some(s.to_string());
            }
            Err(e) => {
                self.problem = Some(format!("{e}; kube tail"));
                self.kube_follow();
                self.report();
                return;
            }
        }
        self.pushed = self.filter.as_deref().and_then(line_filter);
        if self.backend == Backend::Both {
            self.kube_follow();
        }
        // The pane was emptied for the new target; the pod tail's first lines may be there
        // already, so a both-backend's history merges with them.
        self.start_job(self.backend != Backend::Both);
        self.report();
    }

    /// History (and, for a Loki-only workload, the tail) of the target with the filter;
    /// `reset`: the history replaces what the pane holds.
    fn start_job(&mut self, reset: bool) {
        if let Some(job) = self.job_for(self.backend == Backend::Loki, reset) {
            self.job = Some(tokio::spawn(job.run()));
        }
    }

    /// A job over the target's query with the pushed-down filter, when there is a target.
    fn job_for(&self, tail: bool, reset: bool) -> Option<Job> {
        let (Some(query), Some(target)) = (&self.query, &self.target) else {
            return None;
        };
        Some(Job {
            loki: self.loki.clone(),
            tx: self.tx.clone(),
            news: self.news.clone(),
            generation_counter: self.generation_counter.clone(),
            my_gen: self.generation(),
            query: with_filter(query, self.pushed.as_deref()),
            plain: query.clone(),
            pod: target
                .pod
                .clone()
                .unwrap_or_else(|| target.workload.clone()),
            history: self.config.history.signed(),
            max_range: self.config.max_range.signed(),
            page_lines: self.config.page_lines,
            idle: self.config.tail_idle(),
            tail,
            reset,
        })
    }

    fn query(&mut self, q: LogQuery) {
        match q {
            LogQuery::Filter(f) => {
                self.filter = f;
                if self.backend == Backend::Kube || self.query.is_none() {
                    return;
                }
                let pushed = self.filter.as_deref().and_then(line_filter);
                if pushed == self.pushed {
                    return;
                }
                self.pushed = pushed;
                self.stop_jobs();
                self.generation_counter.fetch_add(1, Ordering::SeqCst);
                self.oldest = None;
                self.start_job(true);
                self.report();
            }
            LogQuery::Older | LogQuery::At(_) => {
                if self.query.is_none() || self.target.is_none() {
                    // Not a Loki workload: the pane stops waiting, with what it holds.
                    let page = LogHistory {
                        complete: q == LogQuery::Older,
                        anchor: match q {
                            LogQuery::At(at) => Some(at),
                            _ => None,
                        },
                        ..LogHistory::default()
                    };
                    let _ = self.tx.try_send(Event::Observed(
                        Timestamp::now(),
                        Observation::LogHistory(page),
                    ));
                    return;
                };
                if self.side.as_ref().is_some_and(|s| !s.is_finished()) {
                    return;
                }
                let Some(job) = self.job_for(false, false) else {
                    return;
                };
                let task = match q {
                    LogQuery::At(at) => tokio::spawn(async move { job.at(at).await }),
                    _ => {
                        let before = self.oldest.unwrap_or_else(Timestamp::now);
                        tokio::spawn(async move { job.older(before).await })
                    }
                };
                self.side = Some(task);
            }
        }
    }

    fn heard(&mut self, n: News) {
        let now = self.generation();
        match n {
            News::Failed(g, e) if g == now => {
                let fallback = self.kube.is_some() && self.target.is_some();
                self.problem = Some(if fallback {
                    format!("{e}; kube tail")
                } else {
                    format!("{e}; retrying")
                });
                if self.backend == Backend::Loki && !self.kube_on {
                    self.kube_follow();
                }
                let _ = self.tx.try_send(Event::Observed(
                    Timestamp::now(),
                    Observation::SourceError {
                        source: SOURCE.into(),
                        error: e.to_string(),
                    },
                ));
                self.report();
            }
            News::Recovered(g) if g == now => {
                if self.problem.take().is_some() {
                    let _ = self.tx.try_send(Event::Observed(
                        Timestamp::now(),
                        Observation::SourceRecovered {
                            source: SOURCE.into(),
                        },
                    ));
                }
                if self.backend == Backend::Loki {
                    self.kube_stop();
                }
                self.report();
            }
            News::Oldest(g, at) if g == now => {
                self.oldest = Some(self.oldest.map_or(at, |o| o.min(at)));
            }
            News::FilterRefused(g, why) if g == now => {
                self.pushed = None;
                self.problem = Some(format!("{why}; filtering here"));
                self.report();
            }
            _ => {}
        }
    }
}

/// A selector with the pushed-down line filter after it.
fn with_filter(selector: &str, filter: Option<&str>) -> String {
    match filter {
        Some(f) => format!("{selector} {f}"),
        None => selector.to_string(),
    }
}

/// Reads one target: a page of history, then (Loki backend) the tail, reconnecting.
struct Job {
    loki: Loki,
    tx: mpsc::Sender<Event>,
    news: mpsc::Sender<News>,
    generation_counter: Arc<AtomicU64>,
    my_gen: u64,
    /// The query with the pushed-down filter.
    query: String,
    /// The selector alone, for when Loki refuses the filter.
    plain: String,
    /// The pod a line without a `pod` label is shown under.
    pod: String,
    history: SignedDuration,
    max_range: SignedDuration,
    page_lines: usize,
    idle: Duration,
    tail: bool,
    /// The first page replaces what the pane holds.
    reset: bool,
}

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
    fn current(&self) -> bool {
        self.generation_counter.load(Ordering::SeqCst) == self.my_gen
    }

    async fn tell(&self, n: News) {
        let _ = self.news.send(n).await;
    }

    async fn send(&self, obs: Observation) {
        if self.current() {
            let _ = self.tx.send(Event::Observed(Timestamp::now(), obs)).await;
        }
    }

    fn lines(&self, entries: Vec<Entry>) -> Vec<LogLine> {
        entries
            .into_iter()
            .map(|e| e.into_log_line(&self.pod))
            .collect()
    }

    /// One range query; a refused pushed-down filter is retried without it once.
    async fn range(
        &mut self,
        start: Timestamp,
        end: Timestamp,
        direction: Direction,
    ) -> Result<Vec<Entry>, LokiError> {
        let answer = self
            .loki
            .query_range(&self.query, start, end, self.page_lines, direction)
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
                    .query_range(&self.query, start, end, self.page_lines, direction)
                    .await
            }
            other => other,
        }
    }

    async fn run(mut self) {
        let mut backoff = RETRY_FIRST;
        // History first, retried until Loki answers; the pod tail covers meanwhile.
        let mut mark = Mark::default();
        loop {
            let end = Timestamp::now();
            let start = end - self.history;
            match self.range(start, end, Direction::Backward).await {
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

    /// The tail, reopened from the last line read whenever it ends.
    async fn follow(&mut self, mut mark: Mark) {
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

    /// The page before `before`: windows of the history length, widening while empty, up
    /// to the range Loki keeps.
    async fn older(mut self, before: Timestamp) {
        let floor = Timestamp::now() - self.max_range;
        let mut span = self.history;
        // `end` is exclusive: the oldest line shown is not asked for again (a line of
        // another stream at the very same nanosecond would be missed, not repeated).
        let end = before;
        loop {
            let start = (before - span).max(floor);
            match self.range(start, end, Direction::Backward).await {
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
    async fn at(mut self, at: Timestamp) {
        let (start, end) = (at - AT_BEFORE, at + AT_AFTER);
        match self.range(start, end, Direction::Forward).await {
            Ok(entries) => {
                let lines = self.lines(entries);
                self.send(Observation::LogHistory(LogHistory {
                    lines,
                    reset: false,
                    complete: false,
                    anchor: Some(at),
                }))
                .await;
            }
            Err(e) => {
                self.tell(News::Failed(self.my_gen, e)).await;
                self.send(Observation::LogHistory(LogHistory {
                    anchor: Some(at),
                    ..LogHistory::default()
                }))
                .await;
            }
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

    #[test]
    fn the_filter_follows_the_selector() {
        assert_eq!(
            with_filter("{app=\"a\"}", Some("|= \"ERROR\"")),
            "{app=\"a\"} |= \"ERROR\""
        );
    }
}
