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
//!
//! This file is the router: it takes the orders, chooses the backend, hands over to the
//! pod tail and back. What reads Loki for one target is a job (`job.rs`: history and
//! pages; `follow.rs`: the live tail and its resumption).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::selector::line_filter;
use super::{Loki, LokiError};
use crate::config::ServiceConfig;
use crate::config::loki::{Backend, LogSelection, LokiConfig};
use crate::event::{Event, LogHistory, LogQuery, LogSourceStatus, LogTarget, Observation};

mod first_error;
mod follow;
mod job;

use job::Job;

/// The source name in the cockpit's source errors.
pub const SOURCE: &str = "logs/loki";
/// A selection must stay put this long before it is followed (latest wins).
const DEBOUNCE: Duration = Duration::from_millis(150);

/// The two order channels of the source.
pub struct Handles {
    /// What to tail, as the pod tail takes it.
    pub targets: mpsc::Sender<LogTarget>,
    /// History questions from the logs pane.
    pub queries: mpsc::Sender<LogQuery>,
    pub task: JoinHandle<()>,
}

/// Starts the source. `services` are the `[[services]]` entries, whose own `loki` choice
/// wins for the targets of their workloads. `kube` is the pod tail's order channel, when a
/// cluster is connected: the workloads read from it, and the fallback when Loki fails.
/// Without one, Loki alone reads and tails every target.
pub fn spawn(
    loki: Loki,
    config: LokiConfig,
    services: &[ServiceConfig],
    kube: Option<mpsc::Sender<LogTarget>>,
    tx: mpsc::Sender<Event>,
) -> Handles {
    let (targets, target_rx) = mpsc::channel(256);
    let (queries, query_rx) = mpsc::channel(64);
    let (news, news_rx) = mpsc::channel(64);
    let services = services
        .iter()
        .filter_map(|s| Some((s.name().to_string(), s.loki.clone()?)))
        .collect();
    let router = Router {
        loki,
        config,
        services,
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
    /// Each service's own `loki` choice, by service name.
    services: BTreeMap<String, LogSelection>,
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
                // A target first: a question sent just after it (`first-error` retargets,
                // then asks) is about the new target.
                biased;
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
        let service = target.service.as_ref().and_then(|s| self.services.get(s));
        self.backend = match self.config.backend_for(service, &target.workload) {
            // Nothing else reads the newest seconds: Loki tails them too.
            Backend::Both if self.kube.is_none() => Backend::Loki,
            b => b,
        };
        self.query = None;
        self.oldest = None;
        self.problem = None;
        self.target = Some(target.clone());
        if self.backend == Backend::Kube {
            if self.kube.is_none() {
                self.problem = Some("backend = \"kube\" but no cluster is connected".into());
            }
            self.kube_follow();
            self.report();
            return;
        }
        match self
            .config
            .selector_for(service, &target.namespace, &target.workload)
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
                let then = if self.kube.is_some() {
                    "kube tail"
                } else {
                    "not read"
                };
                self.problem = Some(format!("{e}; {then}"));
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
            LogQuery::Older | LogQuery::At(_) | LogQuery::FirstError(_) => {
                if self.query.is_none() || self.target.is_none() {
                    // Not a Loki workload: the pane stops waiting, with what it holds.
                    let page = LogHistory {
                        complete: q == LogQuery::Older,
                        anchor: match q {
                            LogQuery::At(at) => Some(at),
                            _ => None,
                        },
                        note: matches!(q, LogQuery::FirstError(_)).then(|| {
                            "first-error: this workload's logs are not read from Loki".into()
                        }),
                        ..LogHistory::default()
                    };
                    self.answer(page);
                    return;
                };
                if self.side.as_ref().is_some_and(|s| !s.is_finished()) {
                    // One side question at a time; a jump asked meanwhile is told so, a
                    // scroll is answered by the page on its way.
                    if q != LogQuery::Older {
                        self.answer(LogHistory {
                            note: Some("the log store is still answering; ask again".into()),
                            ..LogHistory::default()
                        });
                    }
                    return;
                }
                let Some(job) = self.job_for(false, false) else {
                    return;
                };
                let task = match q {
                    LogQuery::At(at) => tokio::spawn(async move { job.at(at).await }),
                    LogQuery::FirstError(before) => {
                        tokio::spawn(async move { job.first_error(before).await })
                    }
                    _ => {
                        let before = self.oldest.unwrap_or_else(Timestamp::now);
                        tokio::spawn(async move { job.older(before).await })
                    }
                };
                self.side = Some(task);
            }
        }
    }

    /// A page straight from the router (nothing to ask Loki).
    fn answer(&self, page: LogHistory) {
        let _ = self.tx.try_send(Event::Observed(
            Timestamp::now(),
            Observation::LogHistory(page),
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_follows_the_selector() {
        assert_eq!(
            with_filter("{app=\"a\"}", Some("|= \"ERROR\"")),
            "{app=\"a\"} |= \"ERROR\""
        );
    }
}
