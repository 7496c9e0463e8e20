//! Reading runbook files, and the runbooks they link to.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use super::model::Runbook;
use super::{blocks, build};

/// Largest runbook file read; bigger files are refused rather than parsed for minutes.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Most linked files followed from one runbook.
const MAX_LINKED_FILES: usize = 64;

/// Why a runbook could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    /// The file could not be read.
    #[error("cannot read runbook {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("runbook {path} is {bytes} bytes; the limit is {MAX_FILE_BYTES}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
    },
}

/// Reads a file as text; invalid UTF-8 is replaced, with a warning naming the file.
fn read_text(path: &Path, warnings: &mut Vec<String>) -> Result<String, RunbookError> {
    let io = |source| RunbookError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(RunbookError::TooLarge {
            path: path.to_path_buf(),
            bytes: meta.len(),
        });
    }
    let mut bytes = std::fs::read(path).map_err(io)?;
    // Editors on Windows start files with a byte order mark; it is not part of the text,
    // and left in it hides the first heading.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            warnings.push(format!(
                "{}: not valid UTF-8 (first bad byte at offset {at}); bad bytes shown as \u{FFFD}",
                path.display()
            ));
            Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

/// Loads a runbook file and the runbook files it links to.
///
/// Links to `.md` files that exist (relative to the linking file) are parsed too and
/// their sections appended, each with `source` set; each file is read once, so link
/// cycles end. A missing linked file is skipped without a warning (the link may point
/// at a wiki page that lives elsewhere); an unreadable one is a warning.
pub fn load(path: &Path) -> Result<Runbook, RunbookError> {
    let mut warnings = Vec::new();
    let text = read_text(path, &mut warnings)?;
    let doc = blocks::read(&text);
    let links = doc.links.clone();
    let mut rb = build::build(doc);
    rb.warnings.splice(0..0, warnings);
    prefix_warnings(&mut rb.warnings, path, 0);
    rb.path = Some(path.to_path_buf());

    let mut seen: HashSet<PathBuf> = HashSet::new();
    seen.insert(canonical(path));
    let mut queue: VecDeque<(PathBuf, Vec<String>)> = VecDeque::new();
    queue.push_back((path.to_path_buf(), links));
    let mut followed = 0;
    while let Some((from, links)) = queue.pop_front() {
        for link in links {
            let Some(target) = linked_file(&from, &link) else {
                continue;
            };
            if !target.is_file() || !seen.insert(canonical(&target)) {
                continue;
            }
            if followed >= MAX_LINKED_FILES {
                rb.warnings.push(format!(
                    "{}: more than {MAX_LINKED_FILES} linked runbooks; {} and later links not followed",
                    path.display(),
                    target.display()
                ));
                return Ok(rb);
            }
            followed += 1;
            let mut w = Vec::new();
            match read_text(&target, &mut w) {
                Ok(text) => {
                    let doc = blocks::read(&text);
                    let next_links = doc.links.clone();
                    let mut linked = build::build(doc);
                    let first_warning = w.len();
                    w.append(&mut linked.warnings);
                    prefix_warnings(&mut w, &target, first_warning);
                    rb.warnings.append(&mut w);
                    for mut s in linked.sections {
                        s.source = Some(target.clone());
                        rb.sections.push(s);
                    }
                    queue.push_back((target, next_links));
                }
                Err(e) => rb.warnings.push(e.to_string()),
            }
        }
    }
    Ok(rb)
}

fn prefix_warnings(warnings: &mut [String], path: &Path, from: usize) {
    for w in warnings.iter_mut().skip(from) {
        if !w.starts_with(&path.display().to_string()) {
            *w = format!("{}: {w}", path.display());
        }
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The local file a link points at: relative, `.md`, with any `#anchor` or `?query` cut.
pub fn linked_file(from: &Path, link: &str) -> Option<PathBuf> {
    if link.contains("://") || link.starts_with("mailto:") || link.starts_with('/') {
        return None;
    }
    let file = link.split(['#', '?']).next()?;
    if !file.to_ascii_lowercase().ends_with(".md") {
        return None;
    }
    let dir = from.parent().unwrap_or(Path::new("."));
    Some(dir.join(file))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn a_byte_order_mark_keeps_the_first_heading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.md");
        std::fs::write(
            &p,
            "\u{feff}# Checkout runbook\n\n## HighErrorRate\n\n- look\n",
        )
        .unwrap();
        let rb = load(&p).unwrap();
        assert_eq!(rb.title, "Checkout runbook");
        assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
        assert_eq!(crate::runbook::parse("\u{feff}# T\n").title, "T");
    }

    use super::*;

    #[test]
    fn follows_links_once_even_in_cycles() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.md"),
            "# A\n\nSee [b](b.md#bee) and [gone](gone.md).\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.md"), "# Bee\n\nBack to [a](./a.md).\n").unwrap();
        let rb = load(&dir.path().join("a.md")).unwrap();
        let titles: Vec<_> = rb.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["A", "Bee"]);
        assert_eq!(
            rb.sections[1].source.as_deref(),
            Some(dir.path().join("b.md").as_path())
        );
        assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
    }

    #[test]
    fn invalid_utf8_is_replaced_with_a_warning_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.md");
        std::fs::write(&p, b"# Caf\xe9\n\n- step\n").unwrap();
        let rb = load(&p).unwrap();
        assert_eq!(rb.sections[0].title, "Caf\u{FFFD}");
        assert!(rb.warnings[0].contains("bad.md"));
        assert!(rb.warnings[0].contains("UTF-8"));
    }

    #[test]
    fn missing_file_error_names_it() {
        let err = load(Path::new("/nonexistent/dir/rb.md")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/dir/rb.md"), "{err}");
    }

    #[test]
    fn link_targets() {
        let from = Path::new("dir/a.md");
        assert_eq!(linked_file(from, "b.md#x"), Some(PathBuf::from("dir/b.md")));
        assert_eq!(linked_file(from, "https://x/b.md"), None);
        assert_eq!(linked_file(from, "#local"), None);
        assert_eq!(linked_file(from, "img.png"), None);
    }
}
