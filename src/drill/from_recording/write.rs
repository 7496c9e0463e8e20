//! Writing the drill made from a recording: what it is made of ([`Draft`]), the two files
//! (the drill in `drill_file.rs`, `cluster.rs` and `fault.rs`, its runbook in `runbook.rs`)
//! checked to load before either is written, and the few readings of the recording both
//! files use.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::drill_file::drill_toml;
use super::logs::LogsSeen;
use super::runbook::runbook_md;
use super::seen::{Act, Seen};
use super::{Phases, SignalDraft, runbook_path};
use crate::event::{AlertState, AlertStatus};
use crate::recording::FileHeader;

/// What the drill is made of.
pub(super) struct Draft<'a> {
    pub name: String,
    pub recording: PathBuf,
    pub header: FileHeader,
    pub seen: &'a Seen,
    pub signals: &'a [SignalDraft],
    pub phases: Phases,
    pub fix: Option<&'a Act>,
    pub logs: &'a LogsSeen,
}

/// The files written and what a trainer should know about them.
#[derive(Debug, Clone)]
pub struct Written {
    pub drill: PathBuf,
    pub runbook: PathBuf,
    /// What the recording lacked (no fix, no lead-up) and `sitrep check`'s warnings.
    pub notes: Vec<String>,
}

/// The incident's id and title, or words saying the recording named none.
pub(super) fn incident_names(d: &Draft) -> (String, String) {
    let incident = d.header.incident.as_ref();
    let id = incident.map_or("an unnamed incident".to_string(), |i| i.id.clone());
    let title = incident.map_or("A recorded incident".to_string(), |i| i.title.clone());
    (id, title)
}

/// One line of text, for a heading or a step.
pub(super) fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The alerts in the order they first fired, each as it fired.
pub(super) fn alerts(seen: &Seen) -> Vec<(Timestamp, AlertStatus)> {
    let mut out: Vec<(Timestamp, AlertStatus)> = Vec::new();
    for (t, a) in &seen.alerts {
        if a.state == AlertState::Firing && !out.iter().any(|(_, x)| x.name == a.name) {
            out.push((*t, a.clone()));
        }
    }
    out
}

/// The heading of an alert's runbook section.
pub(super) fn heading(a: &AlertStatus) -> String {
    let summary = one_line(&a.summary, 70);
    if summary.is_empty() {
        a.name.clone()
    } else {
        format!("{}: {summary}", a.name)
    }
}

/// Drill time of a moment of the recording.
pub(super) fn drill_time(p: &Phases, t: Timestamp) -> SignedDuration {
    t.duration_since(p.start).max(SignedDuration::ZERO)
}

/// Writes the drill and its runbook; refuses to overwrite either without `force`.
pub(super) fn write(d: &Draft, out: &Path, force: bool) -> anyhow::Result<Written> {
    let runbook = runbook_path(out);
    for f in [out, runbook.as_path()] {
        if f.exists() && !force {
            anyhow::bail!("{} exists; --force overwrites it", f.display());
        }
    }
    let runbook_file = runbook
        .file_name()
        .map_or("runbook.md".into(), |f| f.to_string_lossy().into_owned());
    let mut notes = Vec::new();
    let toml = drill_toml(d, &runbook_file, &mut notes);
    let md = runbook_md(d);
    // Parsed before anything is written: a drill that does not load is not written.
    let scenario = crate::drill::Scenario::parse(out, &toml).map_err(|e| {
        anyhow::anyhow!(
            "the drill made from {} does not load: {e}",
            d.recording.display()
        )
    })?;
    if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_atomic(&runbook, &md)?;
    write_atomic(out, &toml)?;
    notes.extend(crate::drill::library::warnings(&scenario, Some(out)));
    Ok(Written {
        drill: out.to_path_buf(),
        runbook,
        notes,
    })
}

/// Writes `text` to a temporary file beside `path`, then renames it into place.
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("sitrep-tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
}
