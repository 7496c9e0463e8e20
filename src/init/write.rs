//! Writing the draft: never over an existing file unless asked, and never half a file.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};

/// Writes `text` to `path` through a temporary file in the same directory and a rename,
/// so a reader sees the old file or the whole new one. Refuses an existing `path` unless
/// `force`.
pub fn atomic(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!(
            "{} exists; not overwriting it (pass --force to replace it)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or("config.toml".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot move the draft to {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_unless_forced_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        atomic(&p, "a = 1\n", false).unwrap();
        let e = atomic(&p, "a = 2\n", false).unwrap_err().to_string();
        assert!(e.contains("exists") && e.contains("--force"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a = 1\n");
        atomic(&p, "a = 2\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a = 2\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
