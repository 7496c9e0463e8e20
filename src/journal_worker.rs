//! The journal worker: a thread that makes each entry durable in INCIDENTS.md, then tells
//! the cockpit. File I/O, locks and fsync never run on the loop that draws the screen.

use std::collections::VecDeque;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::event::Event;
use crate::journal::{Entry, Header, Journal};

enum Job {
    Begin(Header),
    Append(String, Entry),
}

/// Sends entries to the journal worker.
#[derive(Debug, Clone)]
pub struct JournalSink {
    jobs: std_mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Begin(h) => write!(f, "Begin({})", h.id),
            Job::Append(id, e) => write!(f, "Append({id}, {})", e.kind.as_str()),
        }
    }
}

impl JournalSink {
    /// Queues an incident heading.
    pub fn begin(&self, header: Header) {
        let _ = self.jobs.send(Job::Begin(header));
    }

    /// Queues an entry.
    pub fn append(&self, incident: String, entry: Entry) {
        let _ = self.jobs.send(Job::Append(incident, entry));
    }
}

/// The worker thread; [`JournalThread::finish`] waits until every queued entry is written.
#[derive(Debug)]
pub struct JournalThread {
    handle: JoinHandle<()>,
}

impl JournalThread {
    /// Waits for the worker to write everything queued; every sink must be dropped first.
    pub fn finish(self) {
        let _ = self.handle.join();
    }
}

/// How long to wait before writing again after a failure.
const RETRY: std::time::Duration = std::time::Duration::from_secs(2);
/// Tries left after the cockpit quit with the journal still failing.
const FINAL_TRIES: u32 = 3;

/// Writes the pending jobs in order until one fails; true when all are on disk.
fn flush(journal: &mut Journal, pending: &mut VecDeque<Job>, events: &mpsc::Sender<Event>) -> bool {
    while let Some(job) = pending.front() {
        let result = match job {
            // The heading comes with entries of its own (opened, and drill for drills).
            Job::Begin(header) => journal.begin(header).map(|()| {
                journal
                    .incident(&header.id)
                    .map(|i| i.entries.clone())
                    .unwrap_or_default()
            }),
            Job::Append(id, entry) => journal.append(id, entry).map(|()| vec![entry.clone()]),
        };
        match result {
            Ok(entries) => {
                for entry in entries {
                    let _ = events.blocking_send(Event::Journaled(entry));
                }
                pending.pop_front();
            }
            Err(crate::journal::JournalError::Io { source, .. }) => {
                tracing::error!("journal: {source}");
                let what = match job {
                    Job::Begin(h) => format!("incident {}", h.id),
                    Job::Append(_, entry) => {
                        format!("{} entry \"{}\"", entry.kind.as_str(), entry.text)
                    }
                };
                let _ = events.blocking_send(Event::JournalFailed(format!(
                    "{what} not yet written to {} ({source}); kept in memory, retrying",
                    journal.path().display()
                )));
                return false;
            }
            Err(e) => {
                // Not the disk's fault (an unknown incident): retrying cannot help.
                tracing::error!("journal: {e}");
                let _ = events.blocking_send(Event::JournalFailed(e.to_string()));
                pending.pop_front();
            }
        }
    }
    true
}

/// Opens the journal at `path` (creating it) and starts its worker; confirmations and
/// errors go to `events`.
pub fn spawn(
    mut journal: Journal,
    events: mpsc::Sender<Event>,
) -> std::io::Result<(JournalSink, JournalThread)> {
    let (jobs, rx) = std_mpsc::channel::<Job>();
    let handle = std::thread::Builder::new()
        .name("journal".into())
        .spawn(move || {
            tracing::info!(path = %journal.path().display(), "journal worker started");
            // Jobs not yet on disk, oldest first: on a full disk or a read-only file system
            // they stay here (and the cockpit says the journal is failing) and are retried,
            // in order, so nothing shown as journaled is lost or reordered.
            let mut pending: VecDeque<Job> = VecDeque::new();
            let mut open = true;
            while open || !pending.is_empty() {
                let wait = if pending.is_empty() {
                    None
                } else {
                    Some(RETRY)
                };
                let job = match wait {
                    None => rx.recv().ok(),
                    Some(t) => match rx.recv_timeout(t) {
                        Ok(job) => Some(job),
                        Err(std_mpsc::RecvTimeoutError::Timeout) => None,
                        Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                            open = false;
                            None
                        }
                    },
                };
                match job {
                    Some(job) => pending.push_back(job),
                    None if wait.is_none() => open = false,
                    None => {}
                }
                let failed_before = !pending.is_empty() && wait.is_some();
                if !flush(&mut journal, &mut pending, &events) && !open {
                    // Shutting down with the disk still failing: a few last tries.
                    for _ in 0..FINAL_TRIES {
                        std::thread::sleep(RETRY);
                        if flush(&mut journal, &mut pending, &events) {
                            break;
                        }
                    }
                    for job in pending.drain(..) {
                        tracing::error!("journal: lost {job:?}: the file could not be written");
                    }
                }
                if failed_before && pending.is_empty() {
                    let _ = events.blocking_send(Event::JournalRecovered);
                }
            }
        })?;
    Ok((JournalSink { jobs }, JournalThread { handle }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::journal::Kind;

    /// A full disk for the first writes: the entries wait in memory, the cockpit hears
    /// that the journal is failing, and once writing works again every entry is on disk
    /// in order and the cockpit hears that it recovered.
    #[test]
    fn a_full_disk_keeps_entries_and_retries_until_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("INCIDENTS.md");
        let mut journal = Journal::open(&path).unwrap();
        let at: jiff::Timestamp = "2026-11-22T04:12:03Z".parse().unwrap();
        let header = Header {
            id: "INC-20261122-0412".into(),
            title: "Checkout returns 5xx".into(),
            opened_at: at,
            mode: "LIVE prod/checkout".into(),
            drill: false,
            severity: 2,
            opened_by: "alice".into(),
        };
        journal.begin(&header).unwrap();
        journal.fail_next_writes(2);
        let (tx, mut rx) = mpsc::channel(64);
        let (sink, thread) = spawn(journal, tx).unwrap();
        for n in 0..3 {
            sink.append(
                header.id.clone(),
                Entry::new(at, "alice", Kind::Note, format!("note {n}")),
            );
        }
        drop(sink);
        thread.finish();
        let mut failed = 0;
        let mut journaled = Vec::new();
        let mut recovered = false;
        while let Ok(ev) = rx.try_recv() {
            match ev {
                Event::JournalFailed(msg) => {
                    assert!(msg.contains("No space left on device"), "{msg}");
                    assert!(msg.contains("kept in memory, retrying"), "{msg}");
                    assert!(!recovered, "failures come before the recovery");
                    failed += 1;
                }
                Event::Journaled(e) => journaled.push(e.text),
                Event::JournalRecovered => recovered = true,
                _ => {}
            }
        }
        assert_eq!(failed, 2);
        assert!(recovered);
        assert_eq!(journaled, ["note 0", "note 1", "note 2"]);
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = crate::journal::parse(&text);
        let notes: Vec<&str> = parsed.incidents[0]
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Note)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(notes, ["note 0", "note 1", "note 2"], "{text}");
    }
}
