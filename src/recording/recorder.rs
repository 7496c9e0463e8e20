//! The flight recorder of live mode: a thread that takes every event the cockpit folds,
//! keeps the lead-up in memory like a dashcam, and writes the incident's recording once
//! one opens.
//!
//! The loop never waits for it: events are offered on a bounded queue and counted as
//! dropped when it is full (the recording then says how many). Serializing, scrubbing
//! secrets, compressing and writing all happen on the recorder's own thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use super::format::{FORMAT_VERSION, FileHeader, IncidentInfo, Record};
use super::lead_up::LeadUp;
use super::redact::Redactor;
use super::writer::{Appended, Writer, WriterOptions};
use crate::event::{Action, Event, Observation};

/// Events queued for the recorder before new ones are dropped.
pub const QUEUE: usize = 16_384;
/// Most memory the lead-up may take (compressed); older records go first past it.
const LEAD_UP_BYTES: usize = 256 << 20;

/// What the header's recording indicator shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecorderState {
    /// No incident yet: the last `lead_up` is kept in memory.
    LeadUp { lead_up: SignedDuration },
    /// Writing the incident's recording.
    Recording { file: PathBuf, bytes: u64 },
    /// The size limit was reached; nothing more is recorded.
    Full { file: PathBuf, bytes: u64 },
    /// The recording could not be written.
    Failed(String),
}

/// The recorder's state and what it had to drop, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecorderStatus {
    pub state: RecorderState,
    /// Events dropped because the recorder fell behind.
    pub dropped: u64,
}

enum Job {
    /// Boxed: the queue's slots are allocated and touched up front, 16,384 of them.
    Rec(Box<Record>),
    Begin(IncidentInfo),
}

/// The cockpit's side of the recorder: cheap to call from the loop.
#[derive(Debug, Clone)]
pub struct RecorderHandle {
    jobs: std_mpsc::SyncSender<Job>,
    /// Incidents opening: rare, tiny and never to be lost, so unbounded and apart from
    /// the records (a record that overtakes one still lands in the file, as lead-up).
    begins: std_mpsc::Sender<IncidentInfo>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Rec(r) => write!(f, "Rec({})", r.at()),
            Job::Begin(i) => write!(f, "Begin({})", i.id),
        }
    }
}

impl RecorderHandle {
    fn send(&self, job: Job) {
        if self.jobs.try_send(job).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Offers an event the cockpit is about to fold; `now` is the cockpit's clock, for
    /// events that carry no time of their own. Never blocks.
    pub fn offer(&self, event: &Event, now: Timestamp) {
        if let Some(rec) = to_record(event, now) {
            self.send(Job::Rec(Box::new(rec)));
        }
    }

    /// The operator confirmed `action`.
    pub fn command(&self, action: &Action, now: Timestamp) {
        self.send(Job::Rec(Box::new(Record::Command {
            at: now,
            action: action.clone(),
        })));
    }

    /// The cockpit pointed the log tail at `target`, as `state` says.
    pub fn tail(
        &self,
        target: &crate::event::LogTarget,
        state: &crate::app::tail::TailState,
        now: Timestamp,
    ) {
        self.send(Job::Rec(Box::new(tail_record(target, state, now))));
    }

    /// An incident opened: its recording starts, lead-up first.
    pub fn begin(&self, header: &crate::journal::Header) {
        let info = IncidentInfo {
            id: header.id.clone(),
            title: header.title.clone(),
            opened_at: header.opened_at,
        };
        // In order with the records when there is room; never blocking and never dropped
        // when there is not (a lost Begin would lose the whole recording).
        if let Err(std_mpsc::TrySendError::Full(Job::Begin(info))) =
            self.jobs.try_send(Job::Begin(info))
        {
            let _ = self.begins.send(info);
        }
    }

    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The record of an event, if it is one the recording keeps.
pub fn to_record(event: &Event, now: Timestamp) -> Option<Record> {
    Some(match event {
        Event::Observed(at, obs) => Record::Observed {
            at: *at,
            obs: obs.clone(),
        },
        Event::Tick(at) => Record::Tick { at: *at },
        Event::ActionDone(report) => Record::Outcome {
            at: now,
            report: report.clone(),
        },
        Event::Journaled(entry) => Record::Journal {
            at: entry.at,
            line: crate::journal::format_entry_line(entry, false, None),
        },
        Event::JournalFailed(msg) => Record::Notice {
            at: now,
            text: format!("journal: {msg}"),
        },
        Event::Previewed(action, result) => Record::Preview {
            at: now,
            action: action.clone(),
            result: result.clone(),
        },
        Event::DrillVerdict(at, _, text) => Record::Notice {
            at: *at,
            text: text.clone(),
        },
        _ => return None,
    })
}

/// The record of the log tail pointed at `target`.
pub fn tail_record(
    target: &crate::event::LogTarget,
    state: &crate::app::tail::TailState,
    now: Timestamp,
) -> Record {
    Record::Tail {
        at: now,
        tail: super::format::TailInfo {
            namespace: target.namespace.clone(),
            workload: target.workload.clone(),
            pod: target.pod.clone(),
            pods: target.pods.clone(),
            total: state.choice.total,
            why: state.choice.why.clone(),
            by_operator: state.cause == crate::app::tail::TailCause::Operator,
        },
    }
}

/// What the recorder needs to start.
#[derive(Debug, Clone)]
pub struct RecorderSetup {
    /// Where recordings go.
    pub dir: PathBuf,
    /// Lead-up kept before an incident opens.
    pub lead_up: SignedDuration,
    pub writer: WriterOptions,
    pub redactor: Redactor,
    /// The header of every recording, but for its incident and creation time.
    pub header: FileHeader,
}

impl RecorderSetup {
    /// A setup recording into `dir` with the default writer options.
    pub fn new(dir: PathBuf, lead_up: SignedDuration, header: FileHeader) -> RecorderSetup {
        RecorderSetup {
            dir,
            lead_up,
            writer: WriterOptions::default(),
            redactor: Redactor::default(),
            header,
        }
    }
}

/// A header for recordings of this cockpit.
pub fn base_header(
    mode: &str,
    sources: Vec<String>,
    config: serde_json::Value,
    lead_up: SignedDuration,
) -> FileHeader {
    FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: Timestamp::now(),
        incident: None,
        mode: mode.to_string(),
        sources,
        config,
        lead_up_seconds: lead_up.as_secs().max(0) as u64,
    }
}

/// The recorder thread; [`RecorderThread::finish`] waits until everything is on disk.
#[derive(Debug)]
pub struct RecorderThread {
    handle: JoinHandle<()>,
}

impl RecorderThread {
    /// Waits for the recorder to write what it was given; every handle must be dropped.
    pub fn finish(self) {
        let _ = self.handle.join();
    }
}

/// Starts the recorder; its status goes to `events`.
pub fn spawn(
    setup: RecorderSetup,
    events: mpsc::Sender<Event>,
) -> std::io::Result<(RecorderHandle, RecorderThread)> {
    let (jobs, rx) = std_mpsc::sync_channel::<Job>(QUEUE);
    let (begins, begun) = std_mpsc::channel::<IncidentInfo>();
    let dropped = Arc::new(AtomicU64::new(0));
    let handle = RecorderHandle {
        jobs,
        begins,
        dropped: dropped.clone(),
    };
    let thread = std::thread::Builder::new()
        .name("recorder".into())
        .spawn(move || Recorder::new(setup, events, dropped).run(rx, begun))?;
    Ok((handle, RecorderThread { handle: thread }))
}

struct Recorder {
    setup: RecorderSetup,
    events: mpsc::Sender<Event>,
    dropped: Arc<AtomicU64>,
    dropped_noted: u64,
    lead: LeadUp,
    writer: Option<Writer>,
    last_status: Option<RecorderStatus>,
    last_report: Instant,
}

impl Recorder {
    fn new(setup: RecorderSetup, events: mpsc::Sender<Event>, dropped: Arc<AtomicU64>) -> Recorder {
        Recorder {
            lead: LeadUp::new(setup.lead_up, LEAD_UP_BYTES),
            setup,
            events,
            dropped,
            dropped_noted: 0,
            writer: None,
            last_status: None,
            last_report: Instant::now() - Duration::from_secs(10),
        }
    }

    fn run(mut self, rx: std_mpsc::Receiver<Job>, begun: std_mpsc::Receiver<IncidentInfo>) {
        self.report(true);
        loop {
            while let Ok(info) = begun.try_recv() {
                self.begin(info);
            }
            match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(Job::Rec(r)) => self.record(*r),
                Ok(Job::Begin(info)) => self.begin(info),
                Err(std_mpsc::RecvTimeoutError::Timeout) => self.idle(),
                Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                    while let Ok(info) = begun.try_recv() {
                        self.begin(info);
                    }
                    break;
                }
            }
        }
        if let Some(w) = self.writer.take() {
            let path = w.path().to_path_buf();
            if let Err(e) = w.finish() {
                tracing::error!("recording {}: {e}", path.display());
            }
        }
    }

    fn record(&mut self, r: Record) {
        if let Some(w) = &mut self.writer {
            match w.append(&r) {
                Ok(Appended::LimitReached) => {
                    let text = format!(
                        "recording stopped at its size limit ({} bytes, [recording] max_bytes): {}",
                        w.bytes(),
                        w.path().display()
                    );
                    self.notify(text);
                    self.report(true);
                }
                Ok(_) => {}
                Err(e) => self.fail(e),
            }
            self.report(false);
            return;
        }
        self.lead.push(&r);
    }

    fn begin(&mut self, info: IncidentInfo) {
        let (fold, lead) = match self.writer.take() {
            Some(w) => match w.finish() {
                Ok(fold) => (fold, Vec::new()),
                Err(e) => {
                    self.fail(e);
                    return;
                }
            },
            None => self.lead.take(),
        };
        let mut header = self.setup.header.clone();
        header.created_at = Timestamp::now();
        header.incident = Some(info.clone());
        let path = super::file_for(&self.setup.dir, &info.id);
        match Writer::create(
            &path,
            &header,
            fold,
            self.setup.redactor.clone(),
            self.setup.writer.clone(),
        ) {
            Ok(w) => {
                tracing::info!(path = %path.display(), "recording {}", info.id);
                self.writer = Some(w);
                for r in lead {
                    self.record(r);
                }
                self.report(true);
            }
            Err(e) => self.fail(e),
        }
    }

    fn idle(&mut self) {
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > self.dropped_noted && self.writer.is_some() {
            let n = dropped - self.dropped_noted;
            self.dropped_noted = dropped;
            let at = Timestamp::now();
            self.record(Record::Notice {
                at,
                text: format!("{n} events were not recorded: the recorder fell behind"),
            });
        }
        if let Some(w) = &mut self.writer
            && let Err(e) = w.tick()
        {
            self.fail(e);
        }
        self.report(false);
    }

    fn fail(&mut self, e: std::io::Error) {
        let what = match &self.writer {
            Some(w) => format!("recording {}: {e}", w.path().display()),
            None => format!("recording in {}: {e}", self.setup.dir.display()),
        };
        tracing::error!("{what}");
        self.writer = None;
        self.notify(what.clone());
        self.last_status = Some(RecorderStatus {
            state: RecorderState::Failed(what.clone()),
            dropped: self.dropped.load(Ordering::Relaxed),
        });
        let _ = self.events.blocking_send(Event::Recorder(RecorderStatus {
            state: RecorderState::Failed(what),
            dropped: self.dropped.load(Ordering::Relaxed),
        }));
    }

    /// Shows a problem in the cockpit as a source error of the recorder.
    fn notify(&self, error: String) {
        let at = Timestamp::now();
        let _ = self.events.try_send(Event::Observed(
            at,
            Observation::SourceError {
                source: "recorder".into(),
                error,
            },
        ));
    }

    /// Tells the header what the recorder does, on a change or once a second.
    fn report(&mut self, now: bool) {
        if !now && self.last_report.elapsed() < Duration::from_secs(1) {
            return;
        }
        if matches!(
            self.last_status,
            Some(RecorderStatus {
                state: RecorderState::Failed(_),
                ..
            })
        ) {
            return;
        }
        let state = match &self.writer {
            Some(w) if w.is_full() => RecorderState::Full {
                file: w.path().to_path_buf(),
                bytes: w.bytes(),
            },
            Some(w) => RecorderState::Recording {
                file: w.path().to_path_buf(),
                bytes: w.bytes(),
            },
            None => RecorderState::LeadUp {
                lead_up: self.setup.lead_up,
            },
        };
        let status = RecorderStatus {
            state,
            dropped: self.dropped.load(Ordering::Relaxed),
        };
        self.last_report = Instant::now();
        if self.last_status.as_ref() == Some(&status) {
            return;
        }
        self.last_status = Some(status.clone());
        let _ = self.events.try_send(Event::Recorder(status));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::LogLine;
    use crate::recording::format::BlockKind;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + s).unwrap()
    }

    #[test]
    fn the_lead_up_is_kept_and_the_state_before_it_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let lead = SignedDuration::from_secs(60);
        let setup = RecorderSetup::new(
            dir.path().to_path_buf(),
            lead,
            base_header("LIVE test/ns", vec![], serde_json::Value::Null, lead),
        );
        let (events, mut status) = mpsc::channel(1024);
        let (handle, thread) = spawn(setup, events).unwrap();
        for i in 0..=300 {
            let ev = Event::Observed(
                t(i),
                Observation::Log(LogLine {
                    at: t(i),
                    pod: "p".into(),
                    container: "c".into(),
                    text: format!("line {i}"),
                }),
            );
            handle.offer(&ev, t(i));
        }
        handle.begin(&crate::journal::Header {
            id: "INC-1".into(),
            title: "t".into(),
            opened_at: t(300),
            mode: "LIVE test/ns".into(),
            drill: false,
            severity: 2,
            opened_by: "alice".into(),
        });
        drop(handle);
        thread.finish();
        let path = dir.path().join("INC-1.sitrec");
        let mut r = crate::recording::Reader::open(&path).unwrap();
        assert_eq!(r.header().incident.as_ref().unwrap().id, "INC-1");
        assert_eq!(r.blocks()[0].frame.kind, BlockKind::Keyframe);
        let before = r.read_block(0).unwrap();
        assert!(
            before.iter().all(|x| x.at() < t(240)),
            "the state before the lead-up"
        );
        let data: Vec<usize> = (1..r.blocks().len())
            .filter(|i| r.blocks()[*i].frame.kind != BlockKind::Keyframe)
            .collect();
        let lead_up: Vec<Record> = data
            .into_iter()
            .flat_map(|i| r.read_block(i).unwrap())
            .collect();
        assert_eq!(lead_up.first().map(Record::at), Some(t(240)));
        assert_eq!(lead_up.len(), 61);
        let mut states = Vec::new();
        while let Ok(ev) = status.try_recv() {
            if let Event::Recorder(s) = ev {
                states.push(s.state);
            }
        }
        assert!(matches!(states.first(), Some(RecorderState::LeadUp { .. })));
        assert!(
            states
                .iter()
                .any(|s| matches!(s, RecorderState::Recording { .. })),
            "{states:?}"
        );
    }
}
