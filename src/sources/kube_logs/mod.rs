//! The log tail, like stern but bounded and gap-aware.
//!
//! The cockpit says which pods to follow (it chose them from its own pod state, the stream
//! cap applied); this task reads their containers from the watches' pod cache, so a new
//! selection costs no list and no watch, only the log streams that are new. Selections are
//! debounced (latest wins), so holding an arrow key costs nothing.
//!
//! Lines from all streams wait a short reorder window, then go to the cockpit merged in
//! timestamp order, one event per batch. A stream that ends while its container still runs
//! is resumed from the last line read (`sinceTime`, without repeating a line), and the gap is
//! reported so the merged tail shows it. History on start is `tailLines` per container.
//!
//! Lines never queue without bound: what the cockpit cannot take yet waits here up to
//! [`PENDING_MAX`] lines (and batches are bounded too); beyond that lines are counted and the
//! count is reported instead.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::{Api, Client};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle, JoinSet};
use tokio::time::Instant;

use super::kube::PodCache;
use super::kube_convert::SlimPod;
use crate::app::LogTarget;
use crate::event::{Event, LogGap, Observation};

mod pending;
mod stream;

use pending::Pending;
pub use pending::{ReadTo, Resume, parse_line};
use stream::{Stream, floor_second};

/// Lines of a crashed container's previous run shown when its pod joins the tail.
const PREVIOUS_LINES: i64 = 100;
/// A selection must stay put this long before the tail follows it.
pub const DEBOUNCE: Duration = Duration::from_millis(200);
/// A selection that keeps changing is followed at least this often.
const DEBOUNCE_MAX: Duration = Duration::from_secs(1);
/// Lines wait this long for lines of slower streams before they are merged and sent.
pub const REORDER: Duration = Duration::from_millis(300);
/// Lines waiting for the cockpit at most, by default; beyond, they are dropped and counted.
pub const PENDING_MAX: usize = 20_000;
/// Lines in one batch at most, so what waits in the cockpit's channel is bounded too.
const MAX_BATCH: usize = 5_000;
/// How often merged lines are sent and streams are checked.
const TICK: Duration = Duration::from_millis(100);
/// Streams are checked against the pods' containers this often.
const RECONCILE: Duration = Duration::from_secs(1);
/// The first wait before a dropped stream is opened again; it doubles while streams keep
/// failing right away, up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// A stream that lasted this long failed for a new reason: its retry starts over.
const HEALTHY: Duration = Duration::from_secs(10);

/// How much history a tail starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailSettings {
    /// At most this many seconds back (`sinceSeconds`).
    pub since_seconds: i64,
    /// At most this many lines per container (`tailLines`).
    pub tail_lines: i64,
    /// Lines waiting for the cockpit at most ([`PENDING_MAX`]).
    pub pending_max: usize,
}

/// Starts the tailer; send it what to tail. It ends when the target channel closes.
pub fn spawn(
    client: Client,
    pods: PodCache,
    settings: TailSettings,
    cap: usize,
    tx: mpsc::Sender<Event>,
) -> (mpsc::Sender<LogTarget>, JoinHandle<()>) {
    // Roomy, so a burst of selections is never refused; the debounce keeps only the last.
    let (targets, rx) = mpsc::channel::<LogTarget>(256);
    let tailer = Tailer {
        client,
        cache: pods,
        settings,
        cap: cap.max(1),
        tx,
        tail: None,
        streams: JoinSet::new(),
        reported: None,
    };
    (targets, tokio::spawn(tailer.run(rx)))
}

type Key = (String, String);

/// How far a container's log has been read, and since when its stream has been down.
#[derive(Debug, Clone, Copy, Default)]
struct Mark {
    read: ReadTo,
    down_since: Option<Timestamp>,
    /// The last request was refused with 403: the stream waits long before asking again.
    forbidden: bool,
}

/// One container stream of the tail.
struct Follow {
    task: Option<AbortHandle>,
    mark: Arc<Mutex<Mark>>,
    /// The container's restart count when the stream last started.
    restarts: i32,
    /// The restart count whose previous logs were fetched.
    previous_for: Option<i32>,
    /// Whether a stream has been opened since the pod was (re)chosen.
    opened: bool,
    started: Instant,
    retry_at: Instant,
    backoff: Duration,
}

/// What is tailed now.
struct Tail {
    target: LogTarget,
    api: Api<Pod>,
    follows: HashMap<Key, Follow>,
    /// Where each container was read to, kept when a pod leaves the choice, so a pod chosen
    /// again resumes instead of repeating lines.
    marks: HashMap<Key, Arc<Mutex<Mark>>>,
    /// The tail's own pending lines: an old tail's streams cannot write into a new one.
    pending: Arc<Mutex<Pending>>,
}

struct Tailer {
    client: Client,
    cache: PodCache,
    settings: TailSettings,
    cap: usize,
    tx: mpsc::Sender<Event>,
    tail: Option<Tail>,
    streams: JoinSet<(Key, bool)>,
    reported: Option<(usize, usize)>,
}

/// A container as the tail needs it.
struct Container {
    name: String,
    restarts: i32,
    /// Waiting after a crash.
    crashed: bool,
    /// Running, or terminated with its logs still readable.
    live: bool,
    running: bool,
}

fn containers(pod: &SlimPod) -> Vec<Container> {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    statuses
        .iter()
        .map(|c| {
            let state = c.state.clone().unwrap_or_default();
            Container {
                name: c.name.clone(),
                restarts: c.restart_count,
                crashed: state.waiting.is_some() && c.restart_count > 0,
                live: state.running.is_some() || state.terminated.is_some(),
                running: state.running.is_some(),
            }
        })
        .collect()
}

impl Tailer {
    async fn run(mut self, mut orders: mpsc::Receiver<LogTarget>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next_reconcile = Instant::now();
        let mut waiting: Option<(LogTarget, Instant, Instant)> = None;
        loop {
            let due = waiting.as_ref().map(|(_, due, _)| *due);
            tokio::select! {
                order = orders.recv() => {
                    let Some(order) = order else { break };
                    let now = Instant::now();
                    let first = waiting.as_ref().map_or(now, |(_, _, first)| *first);
                    let due = (now + DEBOUNCE).min(first + DEBOUNCE_MAX);
                    waiting = Some((order, due, first));
                }
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    if let Some((target, _, _)) = waiting.take() {
                        self.retarget(target);
                        self.reconcile();
                        next_reconcile = Instant::now() + RECONCILE;
                    }
                }
                Some(done) = self.streams.join_next(), if !self.streams.is_empty() => {
                    if let Ok((key, previous)) = done {
                        self.ended(key, previous);
                    }
                }
                _ = tick.tick() => {
                    if Instant::now() >= next_reconcile {
                        self.reconcile();
                        next_reconcile = Instant::now() + RECONCILE;
                    }
                    if self.send().is_err() {
                        break;
                    }
                }
            }
        }
        self.streams.abort_all();
    }

    /// Follows a new selection: the same workload keeps the streams it still wants.
    fn retarget(&mut self, target: LogTarget) {
        if let Some(tail) = &mut self.tail
            && tail.target.same_target(&target)
        {
            tail.target = target;
            return;
        }
        if let Some(old) = self.tail.take() {
            for f in old.follows.values() {
                if let Some(t) = &f.task {
                    t.abort();
                }
            }
        }
        self.tail = Some(Tail {
            api: Api::namespaced(self.client.clone(), &target.namespace),
            target,
            follows: HashMap::new(),
            marks: HashMap::new(),
            pending: Arc::new(Mutex::new(Pending::new(self.settings.pending_max))),
        });
        self.reported = None;
    }

    /// A stream ended: note since when it is down, unless it was only the previous run's lines.
    fn ended(&mut self, key: Key, previous: bool) {
        let Some(tail) = &mut self.tail else { return };
        let Some(f) = tail.follows.get_mut(&key) else {
            return;
        };
        if previous {
            return;
        }
        f.task = None;
        if let Ok(mut m) = f.mark.lock() {
            m.down_since.get_or_insert_with(Timestamp::now);
        }
        let forbidden = f
            .mark
            .lock()
            .is_ok_and(|mut m| std::mem::take(&mut m.forbidden));
        f.backoff = if forbidden {
            // Permissions change by a person's hand, not in seconds: no retry loop.
            crate::sources::kube_forbidden::FORBIDDEN_RETRY
        } else if f.started.elapsed() >= HEALTHY {
            RETRY_FIRST
        } else {
            (f.backoff * 2).clamp(RETRY_FIRST, RETRY_MAX)
        };
        f.retry_at = Instant::now() + f.backoff;
    }

    /// Opens the streams the chosen pods' containers need, at most the cap; closes the ones
    /// no longer chosen; resumes dropped ones (their gap is told once they are back).
    fn reconcile(&mut self) {
        let Some(tail) = &mut self.tail else { return };
        let ns = tail.target.namespace.clone();
        let chosen: Vec<String> = if tail.target.pods.is_empty() {
            tail.target.pod.iter().cloned().collect()
        } else {
            tail.target.pods.clone()
        };
        let mut wanted: HashSet<Key> = HashSet::new();
        let mut pods_followed = 0;
        for pod_name in &chosen {
            let Some(pod) = self.cache.get(&ns, pod_name) else {
                continue;
            };
            let cs = containers(&pod);
            if wanted.len() + cs.len().max(1) > self.cap {
                break;
            }
            pods_followed += 1;
            for c in cs {
                let key = (pod_name.clone(), c.name.clone());
                wanted.insert(key.clone());
                let mark = tail.marks.entry(key.clone()).or_default().clone();
                let f = tail.follows.entry(key.clone()).or_insert_with(|| Follow {
                    task: None,
                    mark,
                    restarts: c.restarts,
                    previous_for: None,
                    opened: false,
                    started: Instant::now(),
                    retry_at: Instant::now(),
                    backoff: Duration::ZERO,
                });
                let mark = f.mark.lock().map(|m| *m).unwrap_or_default();
                let read = mark.read;
                // A crashed container's last run: its lines since the last one shown, or its
                // tail when the pod is new to the tail.
                if c.crashed && f.previous_for != Some(c.restarts) {
                    f.previous_for = Some(c.restarts);
                    let lp = LogParams {
                        container: Some(c.name.clone()),
                        previous: true,
                        timestamps: true,
                        tail_lines: read.last.is_none().then_some(PREVIOUS_LINES),
                        since_time: read.last.map(floor_second),
                        ..LogParams::default()
                    };
                    let job = Stream {
                        api: tail.api.clone(),
                        key: key.clone(),
                        lp,
                        from: read,
                        mark: f.mark.clone(),
                        pending: tail.pending.clone(),
                        previous: true,
                        why: "",
                    };
                    self.streams.spawn(job.run());
                }
                if f.task.is_some() || !c.live || Instant::now() < f.retry_at {
                    continue;
                }
                // A terminated container was read to its end once; only a running one has more.
                if mark.down_since.is_some() && !c.running {
                    continue;
                }
                let why = if c.restarts > f.restarts {
                    "container restarted"
                } else {
                    "reconnected"
                };
                f.restarts = c.restarts;
                f.started = Instant::now();
                // The first stream of a pod (new, or chosen again) starts from a bounded
                // history; a reconnect reads everything since the last line, so nothing the
                // kubelet kept is lost.
                let first = !f.opened;
                f.opened = true;
                let lp = LogParams {
                    container: Some(c.name.clone()),
                    follow: true,
                    timestamps: true,
                    since_seconds: read.last.is_none().then_some(self.settings.since_seconds),
                    tail_lines: first.then_some(self.settings.tail_lines),
                    since_time: read.last.map(floor_second),
                    ..LogParams::default()
                };
                let job = Stream {
                    api: tail.api.clone(),
                    key,
                    lp,
                    from: read,
                    mark: f.mark.clone(),
                    pending: tail.pending.clone(),
                    previous: false,
                    why,
                };
                f.task = Some(self.streams.spawn(job.run()));
            }
        }
        // Streams of pods no longer chosen stop; a pod that went away leaves a marker.
        let cache = &self.cache;
        let pending = &tail.pending;
        let marks = &mut tail.marks;
        tail.follows.retain(|(pod, container), f| {
            if wanted.contains(&(pod.clone(), container.clone())) {
                return true;
            }
            if let Some(t) = &f.task {
                t.abort();
            }
            if cache.get(&ns, pod).is_none() {
                let mark = f.mark.lock().map(|m| *m).unwrap_or_default();
                let from = mark
                    .read
                    .last
                    .or(mark.down_since)
                    .unwrap_or_else(Timestamp::now);
                if let Ok(mut p) = pending.lock() {
                    p.gaps.push(LogGap {
                        pod: pod.clone(),
                        container: container.clone(),
                        from,
                        to: None,
                        why: "pod gone".into(),
                    });
                }
                marks.remove(&(pod.clone(), container.clone()));
            }
            false
        });
        let streams = tail.follows.values().filter(|f| f.task.is_some()).count();
        let now = Some((pods_followed, streams));
        if self.reported != now {
            self.reported = now;
            let obs = Observation::LogTail {
                pods: pods_followed,
                streams,
            };
            let _ = self.tx.try_send(Event::Observed(Timestamp::now(), obs));
        }
    }

    /// Sends what waited out the reorder window, the gaps, and the drop count.
    fn send(&mut self) -> Result<(), ()> {
        let Some(tail) = &mut self.tail else {
            return Ok(());
        };
        let Ok(mut p) = tail.pending.lock() else {
            return Ok(());
        };
        let now = Timestamp::now();
        let lines = p.ripe();
        if !lines.is_empty() {
            match self
                .tx
                .try_send(Event::Observed(now, Observation::Logs(lines)))
            {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(Event::Observed(_, Observation::Logs(l)))) => {
                    p.put_back(l);
                }
                Err(_) => return Err(()),
            }
        }
        if !p.gaps.is_empty() {
            let gaps = std::mem::take(&mut p.gaps);
            if let Err(mpsc::error::TrySendError::Full(Event::Observed(
                _,
                Observation::LogGaps(g),
            ))) = self
                .tx
                .try_send(Event::Observed(now, Observation::LogGaps(gaps)))
            {
                p.gaps = g;
            }
        }
        if let Some(f) = p.forbidden.take()
            && !p.forbidden_said
        {
            if self
                .tx
                .try_send(Event::Observed(now, Observation::Forbidden(f.clone())))
                .is_ok()
            {
                p.forbidden_said = true;
            } else {
                p.forbidden = Some(f);
            }
        }
        if let Some(namespace) = p.allowed.take() {
            let obs = Observation::Allowed {
                resource: "pods/log".into(),
                namespace: namespace.clone(),
            };
            if self.tx.try_send(Event::Observed(now, obs)).is_err() {
                p.allowed = Some(namespace);
            }
        }
        if p.dropped > 0 {
            let obs = Observation::LogsDropped(p.dropped);
            if self.tx.try_send(Event::Observed(now, obs)).is_ok() {
                p.dropped = 0;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::LogLine;

    #[test]
    fn kubelet_timestamps_are_split_off() {
        let (at, text) = parse_line("2026-11-22T18:57:02.5Z WARN slow request").unwrap();
        assert_eq!(at.to_string(), "2026-11-22T18:57:02.5Z");
        assert_eq!(text, "WARN slow request");
        assert!(parse_line("no timestamp here").is_none());
    }

    #[test]
    fn a_resumed_stream_skips_exactly_what_was_read() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let mut read = ReadTo::default();
        for at in [
            "2026-01-01T00:00:01.1Z",
            "2026-01-01T00:00:01.5Z",
            "2026-01-01T00:00:01.5Z",
        ] {
            read.read(t(at));
        }
        // The resumed stream starts at the top of the second.
        let mut resume = Resume::new(read);
        let again: Vec<bool> = [
            "2026-01-01T00:00:01.1Z",
            "2026-01-01T00:00:01.5Z",
            "2026-01-01T00:00:01.5Z",
            "2026-01-01T00:00:01.5Z",
            "2026-01-01T00:00:02Z",
        ]
        .iter()
        .map(|at| resume.seen(t(at)))
        .collect();
        assert_eq!(again, [true, true, true, false, false]);
    }

    #[test]
    fn pending_lines_wait_out_the_window_and_stay_bounded() {
        let mut p = Pending::new(PENDING_MAX);
        let line = |s: i64| LogLine {
            at: Timestamp::from_second(1_800_000_000 + s).unwrap(),
            pod: "p".into(),
            container: "c".into(),
            text: String::new(),
        };
        p.push(line(2));
        p.push(line(1));
        assert!(p.ripe().is_empty(), "too fresh to send");
        p.put_back(vec![line(0)]);
        let out = p.ripe();
        assert_eq!(out.len(), 1, "put-back lines are ripe at once");
        for i in 0..PENDING_MAX + 10 {
            p.push(line(i as i64));
        }
        assert_eq!(p.lines.len(), PENDING_MAX);
        assert!(p.dropped >= 10);
    }
}
