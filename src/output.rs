//! The one way out for what sitrep prints and writes outside the cockpit: standard
//! output, standard error and output files. Only [`Clean`] text is accepted, so nothing
//! from outside reaches a terminal raw. A closed pipe (`sitrep snapshot | head -c 10`)
//! ends sitrep quietly, as it ends `cat`; a full disk or any other write error is an
//! [`OutputError`] that `main` reports on stderr with exit status 1. Never a panic.
//!
//! Output files are written atomically (a temporary file beside them, fsynced, then
//! renamed over), so a failure never leaves half a file, and never over a file sitrep is
//! using (the journal, a runbook, a drill): [`write_file`] refuses those.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::text::Clean;

/// A write that did not reach its destination.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The reader went away (EPIPE): not an error to report, as with any Unix tool.
    #[error("the reader of standard output went away")]
    BrokenPipe,
    /// Writing failed: a full disk (ENOSPC), an I/O error, a read-only file system.
    #[error("cannot write to {what}: {source}")]
    Failed {
        /// Where to: "standard output" or a file.
        what: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The output would replace a file sitrep reads.
    #[error("refusing to write {}: it is {what}; choose another output file", path.display())]
    InUse {
        /// The output asked for.
        path: PathBuf,
        /// What the file is, e.g. "the incident journal".
        what: String,
    },
}

/// The exit status after a closed pipe: what a shell reports for a tool killed by SIGPIPE.
pub const BROKEN_PIPE_EXIT: u8 = 128 + 13;

/// Writes clean text to standard output and flushes it.
pub fn print(text: &Clean) -> Result<(), OutputError> {
    write_to(&mut io::stdout().lock(), text, "standard output")
}

/// Writes clean text to any writer, mapping EPIPE and other failures.
pub fn write_to(w: &mut dyn Write, text: &Clean, what: &str) -> Result<(), OutputError> {
    w.write_all(text.as_str().as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| classify(e, what))
}

fn classify(e: io::Error, what: &str) -> OutputError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        OutputError::BrokenPipe
    } else {
        OutputError::Failed {
            what: what.to_string(),
            source: e,
        }
    }
}

/// Writes to standard error; a failure there has nowhere to be reported, so it is dropped
/// (never a panic, unlike `eprintln!`).
pub fn eprint(text: &Clean) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_str().as_bytes());
    let _ = err.flush();
}

/// Sanitises a line of diagnostics (which may echo a bad value from a file or the
/// command line) and writes it to standard error with a newline.
pub fn eprintln(text: &str) {
    let mut line = text.to_string();
    line.push('\n');
    eprint(&Clean::of(&line));
}

/// How `main` ends after an error: quietly for a closed pipe, else the message on stderr
/// and `code` (1 for output failures).
pub fn exit_for(e: &anyhow::Error, code: u8) -> ExitCode {
    match e.downcast_ref::<OutputError>() {
        Some(OutputError::BrokenPipe) => ExitCode::from(BROKEN_PIPE_EXIT),
        Some(OutputError::Failed { .. }) => {
            eprintln(&format!("sitrep: {e:#}"));
            ExitCode::from(1)
        }
        _ => {
            eprintln(&format!("sitrep: {e:#}"));
            ExitCode::from(code)
        }
    }
}

/// A file sitrep is using, that no output may replace.
#[derive(Debug, Clone)]
pub struct InUse {
    /// The file.
    pub path: PathBuf,
    /// What it is: "the incident journal", "a runbook", …
    pub what: String,
}

impl InUse {
    /// Names a file in use.
    pub fn new(path: impl Into<PathBuf>, what: impl Into<String>) -> InUse {
        InUse {
            path: path.into(),
            what: what.into(),
        }
    }
}

/// Whether two paths name the same file (the same inode when both exist, else the same
/// absolute path once the parent directory's links are resolved).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return ma.dev() == mb.dev() && ma.ino() == mb.ino();
    }
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn resolved(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let name = p.file_name()?;
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// Refuses `path` when it is one of the files in use.
pub fn check_not_in_use(path: &Path, in_use: &[InUse]) -> Result<(), OutputError> {
    match in_use.iter().find(|u| same_file(path, &u.path)) {
        Some(u) => Err(OutputError::InUse {
            path: path.to_path_buf(),
            what: format!("{} ({})", u.what, u.path.display()),
        }),
        None => Ok(()),
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, fsynced,
/// renamed over `path`. A device or FIFO (`/dev/stdout`, `/dev/null`) is written in place.
/// Refuses a file in `in_use`.
pub fn write_file(path: &Path, text: &Clean, in_use: &[InUse]) -> Result<(), OutputError> {
    check_not_in_use(path, in_use)?;
    let what = path.display().to_string();
    let fail = |source| OutputError::Failed {
        what: what.clone(),
        source,
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        return write_to(&mut f, text, &what);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.sitrep-{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_str().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_full_device_is_an_error_not_a_panic() {
        let mut full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let e = write_to(&mut full, &Clean::of("x"), "standard output").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot write to standard output: "),
            "{e}"
        );
    }

    #[test]
    fn outputs_never_replace_a_file_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("INCIDENTS.md");
        std::fs::write(&journal, "keep me").unwrap();
        let in_use = [InUse::new(&journal, "the incident journal")];
        // The same file by another name is the same file.
        let other_name = dir.path().join(".").join("INCIDENTS.md");
        let e = write_file(&other_name, &Clean::of("x"), &in_use).unwrap_err();
        assert!(e.to_string().contains("the incident journal"), "{e}");
        assert_eq!(std::fs::read_to_string(&journal).unwrap(), "keep me");
        let out = dir.path().join("pm.md");
        write_file(&out, &Clean::of("draft"), &in_use).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "draft");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("missing-dir").join("pm.md");
        assert!(write_file(&out, &Clean::of("x"), &[]).is_err());
        let existing = dir.path().join("pm.md");
        std::fs::write(&existing, "old").unwrap();
        write_file(&existing, &Clean::of("new"), &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&existing).unwrap(), "new");
    }
}
