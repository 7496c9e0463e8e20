//! The only code that writes INCIDENTS.md: whole lines appended at the end under an
//! exclusive lock, then fsynced. Earlier bytes are never rewritten, so a crash can damage
//! at most the last line.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::entry::{Entry, format_entry_line};
use super::incident::{Header, Incident};
use super::parse::{Parsed, format_begin_block, parse, parse_last};

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading, writing, locking or syncing the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// `begin` with an id the file already has.
    #[error("{}: incident {id} already exists", path.display())]
    DuplicateId {
        /// The journal file.
        path: PathBuf,
        /// The id.
        id: String,
    },
    /// `append` to an incident the file does not have.
    #[error("{}: no incident {id} (incidents in the file: {known})", path.display())]
    UnknownIncident {
        /// The journal file.
        path: PathBuf,
        /// The id asked for.
        id: String,
        /// The ids there are, comma separated, or "none".
        known: String,
    },
}

/// An open INCIDENTS.md.
///
/// Holds the file's bytes as last seen. Before each write it catches up with whatever other
/// writers (a second cockpit, `sitrep note`) appended, under the same lock.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    bytes: Vec<u8>,
    parsed: OnceLock<Parsed>,
    /// Writes still to fail on purpose (tests of a full disk).
    faults: u32,
}

/// Releases the advisory lock however the locked section ends.
struct Locked<'a>(&'a File);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Closing or exiting releases the lock anyway; nothing better to do with an error.
        let _ = self.0.unlock();
    }
}

impl Journal {
    /// Opens (creating if missing) and reads the journal.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io_err)?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
            bytes: Vec::new(),
            parsed: OnceLock::new(),
            // The end-to-end tests fill the disk this way; nothing else sets it.
            faults: std::env::var("SITREP_TEST_JOURNAL_FAULTS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        };
        journal.reload()?;
        Ok(journal)
    }

    /// Makes the next `n` writes fail as on a full disk (ENOSPC), for tests.
    #[doc(hidden)]
    pub fn fail_next_writes(&mut self, n: u32) {
        self.faults = n;
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rereads the file to see other writers' lines.
    pub fn reload(&mut self) -> Result<(), JournalError> {
        let lock_file = self.file.try_clone().map_err(|source| self.io(source))?;
        lock_file.lock_shared().map_err(|source| self.io(source))?;
        let _locked = Locked(&lock_file);
        self.bytes.clear();
        self.parsed = OnceLock::new();
        self.catch_up()
    }

    /// Everything read from the file.
    pub fn parsed(&self) -> &Parsed {
        self.parsed
            .get_or_init(|| parse(&String::from_utf8_lossy(&self.bytes)))
    }

    /// Only the last incident of the file (and problems in its lines), read back from the
    /// end: what `--last` needs, without parsing the whole journal.
    pub fn tail(&self) -> Parsed {
        parse_last(&String::from_utf8_lossy(&self.bytes))
    }

    /// All incidents in the file.
    pub fn incidents(&self) -> &[Incident] {
        &self.parsed().incidents
    }

    /// The last incident with this id.
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.parsed().incident(id)
    }

    /// The last incident not resolved: the one to resume after a restart.
    pub fn open_incident(&self) -> Option<&Incident> {
        self.parsed().open_incident()
    }

    /// Starts an incident: heading, header block, then the `drill` entry (drills only)
    /// and the `opened` entry, in one locked, fsynced write.
    pub fn begin(&mut self, header: &Header) -> Result<(), JournalError> {
        let mut header = header.clone();
        // A drill must never pass for a real incident, whichever field the caller set.
        header.drill |= header.mode.starts_with("DRILL");
        self.locked_write(|journal| {
            if journal.incident(&header.id).is_some() {
                return Err(JournalError::DuplicateId {
                    path: journal.path.clone(),
                    id: header.id.clone(),
                });
            }
            let sep = match journal.bytes.as_slice() {
                [] => "",
                [.., b'\n', b'\n'] => "",
                [.., b'\n'] => "\n",
                _ => "\n\n",
            };
            Ok(format!("{sep}{}", format_begin_block(&header)))
        })
    }

    /// Appends one entry to an incident: lock, one whole line at the end of the file,
    /// fsync, unlock. A line for an incident that is not the last in the file carries an
    /// `[@INC-…]` tag; a drill's lines carry `[DRILL]`.
    pub fn append(&mut self, incident_id: &str, entry: &Entry) -> Result<(), JournalError> {
        self.locked_write(|journal| {
            // The usual case, the last incident, needs only the end of the file.
            let tail = journal.tail();
            if let Some(last) = tail.incidents.last().filter(|l| l.header.id == incident_id) {
                let mut line = format_entry_line(entry, last.header.drill, None);
                line.push('\n');
                return Ok(line);
            }
            let parsed = journal.parsed();
            let Some(incident) = parsed.incident(incident_id) else {
                let ids = parsed.ids();
                let known = if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                };
                return Err(JournalError::UnknownIncident {
                    path: journal.path.clone(),
                    id: incident_id.to_string(),
                    known,
                });
            };
            let is_last = parsed
                .incidents
                .last()
                .is_some_and(|last| last.header.id == incident_id);
            let tag = (!is_last).then_some(incident_id);
            let mut line = format_entry_line(entry, incident.header.drill, tag);
            line.push('\n');
            Ok(line)
        })
    }

    /// Under the exclusive lock: catch up with the file, let `make` decide what to write,
    /// start it on a fresh line if the file ends mid-line, write it in one call, fsync.
    fn locked_write(
        &mut self,
        make: impl FnOnce(&Journal) -> Result<String, JournalError>,
    ) -> Result<(), JournalError> {
        let lock_file = self.file.try_clone().map_err(|source| self.io(source))?;
        lock_file.lock().map_err(|source| self.io(source))?;
        let _locked = Locked(&lock_file);
        self.catch_up()?;
        let text = make(self)?;
        let mut buf = Vec::with_capacity(text.len() + 1);
        if self.bytes.last().is_some_and(|b| *b != b'\n') {
            // A torn last line (crash) or a hand edit without a final newline: leave it be.
            buf.push(b'\n');
        }
        buf.extend_from_slice(text.as_bytes());
        if self.faults > 0 {
            self.faults -= 1;
            return Err(self.io(io::Error::from_raw_os_error(28)));
        }
        let written = self
            .file
            .write_all(&buf)
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // Part of it may be on disk: forget what we think we know and reread next time.
            self.bytes.clear();
            self.parsed = OnceLock::new();
            return Err(self.io(source));
        }
        self.bytes.extend_from_slice(&buf);
        self.parsed = OnceLock::new();
        Ok(())
    }

    /// Reads what was appended since we last looked (all of it if the file shrank, which
    /// only a hand edit does). The caller holds a lock.
    fn catch_up(&mut self) -> Result<(), JournalError> {
        let len = self
            .file
            .metadata()
            .map_err(|source| self.io(source))?
            .len();
        let known = self.bytes.len() as u64;
        if len == known {
            return Ok(());
        }
        if len < known {
            self.bytes.clear();
        }
        let from = self.bytes.len() as u64;
        let read = self
            .file
            .seek(SeekFrom::Start(from))
            .and_then(|_| self.file.read_to_end(&mut self.bytes));
        read.map_err(|source| self.io(source))?;
        self.parsed = OnceLock::new();
        Ok(())
    }

    fn io(&self, source: io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source,
        }
    }
}
