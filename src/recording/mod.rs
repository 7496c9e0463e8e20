//! Recordings: everything that reached a live cockpit, on disk, to replay, to train on and
//! to chart in the postmortem.
//!
//! A recording is one file per incident in the data dir's `recordings/`, named after the
//! incident (`INC-20261123-1444.sitrec`). It starts with a versioned header (format and
//! sitrep versions, the sources, the config with secrets removed) and goes on with
//! append-only blocks of records, each block compressed (zstd) and checksummed (CRC-32)
//! twice, frame and contents; see [`format`] for the bytes. Every minute of recorded time
//! a keyframe block holds the whole state so far, so a replay can seek anywhere by reading
//! one keyframe and the blocks after it ([`keyframes`]).
//!
//! The live cockpit tees every event to the [`recorder`] thread. Before an incident opens
//! it keeps the last 15 minutes (`[recording] lead_up`) in memory, like a dashcam; when
//! one opens, the file starts with the state before that lead-up and the lead-up itself.

pub mod format;
pub mod keyframes;
mod lead_up;
pub mod reader;
pub mod recorder;
pub mod redact;
pub mod writer;

use std::path::{Path, PathBuf};

pub use format::{FileHeader, IncidentInfo, Record};
pub use reader::{Damage, Reader, RecordingError};
pub use writer::{Writer, WriterOptions};

use jiff::Timestamp;
use serde::Deserialize;

/// The extension of recording files.
pub const EXTENSION: &str = "sitrec";

/// `[recording]` in config.toml.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingConfig {
    /// Record live incidents at all (`--no-record` turns it off for one run).
    pub enabled: bool,
    /// How much lead-up the cockpit keeps in memory before an incident opens.
    #[serde(deserialize_with = "crate::config::limits::lead_up")]
    pub lead_up: crate::config::PromDuration,
    /// Largest size of one recording, in bytes; past it recording stops with a notice.
    #[serde(deserialize_with = "crate::config::limits::recording_bytes")]
    pub max_bytes: u64,
    /// Where recordings go (default: `recordings/` in the data dir).
    pub dir: Option<PathBuf>,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig {
            enabled: true,
            lead_up: crate::config::PromDuration(std::time::Duration::from_secs(15 * 60)),
            max_bytes: 4 << 30,
            dir: None,
        }
    }
}

/// The directory recordings go to: the config's `dir`, else `recordings/` in the data dir.
pub fn dir(config: &RecordingConfig, data_dir: Option<&Path>) -> Option<PathBuf> {
    config
        .dir
        .clone()
        .or_else(|| data_dir.map(|d| d.join("recordings")))
}

/// A fresh file name for an incident's recording in `dir`: `ID.sitrec`, else `ID.2.sitrec`…
pub fn file_for(dir: &Path, incident: &str) -> PathBuf {
    let safe: String = incident
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let first = dir.join(format!("{safe}.{EXTENSION}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{safe}.{n}.{EXTENSION}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// One line of `sitrep replay --list`.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub path: PathBuf,
    pub incident: Option<IncidentInfo>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// Why it cannot be read, or what was damaged.
    pub problem: Option<String>,
}

/// The recordings in `dir`, oldest first.
pub fn list(dir: &Path) -> Vec<Listed> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Listed> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXTENSION))
        .map(|path| match Reader::open_frames(&path) {
            Ok(r) => Listed {
                incident: r.header().incident.clone(),
                start: r.start(),
                end: r.end(),
                problem: r.damage_banner(),
                path,
            },
            Err(e) => Listed {
                incident: None,
                start: None,
                end: None,
                problem: Some(e.to_string()),
                path,
            },
        })
        .collect();
    out.sort_by(|a, b| a.start.cmp(&b.start).then(a.path.cmp(&b.path)));
    out
}

/// The recording of incident `id` in `dir`, if there is one (the first part when several).
pub fn find(dir: &Path, id: &str) -> Option<PathBuf> {
    list(dir)
        .into_iter()
        .find(|l| l.incident.as_ref().is_some_and(|i| i.id == id))
        .map(|l| l.path)
}
