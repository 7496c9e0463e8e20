//! Text helpers: placeholders to fill in, and GitHub heading slugs.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

// A literal pattern, covered by the tests below: it cannot fail at run time.
#[allow(clippy::expect_used)]
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    // `<pod-name>`, `[command or UI path]`, `_[URL]_`, `{{ namespace }}`, `YYYY-MM-DD`.
    // Contents start with a letter and do not end in a space, so shell redirections
    // (`cmd < in > out`), tests (`[ -f x ]`) and jq indexes (`.[0]`) stay commands.
    Regex::new(
        r"(?x)
          [_*]?\[[A-Za-z][^\[\]\n]{1,80}[^\[\]\n\s]\][_*]?(?:\([^)]*\))?
        | <[A-Za-z][A-Za-z0-9_.:/@-]*(?:\ [A-Za-z0-9_.:/@-]+){0,5}>
        | \{\{\s*[^{}\n]{1,80}?\s*\}\}
        | \bYYYY-MM-DD\b
        ",
    )
    .expect("placeholder regex is valid")
});

/// Byte ranges of placeholders in `text` (`<pod-name>`, `[command]`, `_[URL]_`,
/// `{{ var }}`, `YYYY-MM-DD`), in order and not overlapping.
///
/// The UI highlights them and refuses to run a command that still has one.
pub fn placeholders(text: &str) -> Vec<Range<usize>> {
    PLACEHOLDER
        .find_iter(text)
        .filter(|m| !is_link_or_char_class(m.as_str()))
        .map(|m| m.range())
        .collect()
}

/// `[text](url)` is a link, and `[a-z]`-like brackets are regex classes, not gaps to fill.
fn is_link_or_char_class(s: &str) -> bool {
    if s.ends_with(')') {
        return true;
    }
    let inner = s.trim_matches(['_', '*']);
    if let Some(body) = inner.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
        let class_like = body.len() <= 7
            && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && body.contains('-');
        return class_like;
    }
    false
}

/// The anchor GitHub gives a heading: lowercase, punctuation removed except `-` and `_`,
/// spaces to `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// Hands out unique anchors the way GitHub does: the second `foo` is `foo-1`.
#[derive(Debug, Default)]
pub struct Slugger {
    seen: HashMap<String, usize>,
    used: HashSet<String>,
}

impl Slugger {
    /// The anchor for the next heading titled `title`.
    pub fn anchor(&mut self, title: &str) -> String {
        let base = slug(title);
        let n = self.seen.entry(base.clone()).or_insert(0);
        let mut candidate = if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        *n += 1;
        // A literal `foo-1` heading may already hold the name; keep counting past it.
        while self.used.contains(&candidate) {
            candidate = format!("{base}-{n}");
            *n += 1;
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        placeholders(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_the_usual_placeholders() {
        assert_eq!(found("kubectl logs <pod-name> --tail=100"), ["<pod-name>"]);
        assert_eq!(
            found("run `[command or UI path]` now"),
            ["[command or UI path]"]
        );
        assert_eq!(found("| Dashboard | _[URL]_ |"), ["_[URL]_"]);
        assert_eq!(
            found("ns={{ namespace }} on YYYY-MM-DD"),
            ["{{ namespace }}", "YYYY-MM-DD"]
        );
        assert_eq!(found("cost > $[threshold]"), ["[threshold]"]);
    }

    #[test]
    fn ignores_shell_syntax_and_links() {
        assert!(found("sort < in.txt > out.txt").is_empty());
        assert!(found("[ -f /etc/x ] && echo ok").is_empty());
        assert!(found("jq '.items[0].name'").is_empty());
        assert!(found("grep '[a-z]'").is_empty());
        assert!(found("see [the guide](other.md)").is_empty());
        assert!(found("p95 < 2s and > 1s").is_empty());
    }

    #[test]
    fn ranges_are_byte_ranges() {
        let t = "é <x-y>";
        let r = placeholders(t);
        assert_eq!(r, vec![3..8]);
    }

    #[test]
    fn github_slugs() {
        assert_eq!(slug("Issue: High Error Rate"), "issue-high-error-rate");
        assert_eq!(slug("Service Down (P1)"), "service-down-p1");
        assert_eq!(slug("A & B"), "a--b");
        assert_eq!(slug("snake_case & kebab-case"), "snake_case--kebab-case");
        assert_eq!(slug("Ünïcode Straße"), "ünïcode-straße");
    }

    #[test]
    fn duplicate_anchors_count_up() {
        let mut s = Slugger::default();
        assert_eq!(s.anchor("Symptoms"), "symptoms");
        assert_eq!(s.anchor("Symptoms"), "symptoms-1");
        assert_eq!(s.anchor("Symptoms"), "symptoms-2");
        assert_eq!(s.anchor("Foo 1"), "foo-1");
        assert_eq!(s.anchor("Foo"), "foo");
        assert_eq!(s.anchor("Foo"), "foo-2");
    }
}
