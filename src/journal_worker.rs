//! The journal worker: a thread that makes each entry durable, then tells the cockpit.
//! File I/O and fsync never run on the loop that draws the screen.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;

use crate::event::Event;
use crate::journal::{Entry, Header};

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

/// Starts the worker for the journal at `path`; confirmations go to `events`.
pub fn spawn(path: PathBuf, events: mpsc::Sender<Event>) -> JournalSink {
    let (jobs, rx) = std_mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("journal".into())
        .spawn(move || {
            tracing::info!(path = %path.display(), "journal worker started");
            for job in rx {
                let event = match job {
                    Job::Begin(_) => continue,
                    Job::Append(_, entry) => Event::Journaled(entry),
                };
                if events.blocking_send(event).is_err() {
                    break;
                }
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!("cannot start the journal worker: {e}"));
    JournalSink { jobs }
}
