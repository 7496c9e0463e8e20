//! The journal worker: a thread that makes each entry durable in INCIDENTS.md, then tells
//! the cockpit. File I/O, locks and fsync never run on the loop that draws the screen.

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
            for job in rx {
                let result = match &job {
                    // The heading comes with entries of its own (opened, and drill for drills).
                    Job::Begin(header) => journal.begin(header).map(|()| {
                        journal
                            .incident(&header.id)
                            .map(|i| i.entries.clone())
                            .unwrap_or_default()
                    }),
                    Job::Append(id, entry) => {
                        journal.append(id, entry).map(|()| vec![entry.clone()])
                    }
                };
                let event = match result {
                    Ok(entries) => {
                        for entry in entries {
                            let _ = events.blocking_send(Event::Journaled(entry));
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::error!("journal: {e}");
                        let what = match &job {
                            Job::Begin(h) => format!("incident {}", h.id),
                            Job::Append(_, entry) => {
                                format!("{} entry \"{}\"", entry.kind.as_str(), entry.text)
                            }
                        };
                        Event::JournalFailed(format!(
                            "{what} not written to {}: {e}",
                            journal.path().display()
                        ))
                    }
                };
                // The cockpit may have quit; the entry is on disk all the same.
                let _ = events.blocking_send(event);
            }
        })?;
    Ok((JournalSink { jobs }, JournalThread { handle }))
}
