//! Kubernetes label selectors as `kubectl -l` takes them (`app=serving,tier!=canary`,
//! `env in (prod,staging)`, `!legacy`), parsed once and matched against a workload's labels.
//! The grammar and the name rules are the API server's (`k8s.io/apimachinery` labels), so a
//! selector sitrep accepts is one the cluster would accept too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    /// `key` (present) or `!key` (absent).
    Exists(String, bool),
    /// `key=value`, `key==value` (equal) or `key!=value` (not equal, or absent).
    Equals(String, String, bool),
    /// `key in (a,b)` or `key notin (a,b)` (absent matches `notin`).
    In(String, BTreeSet<String>, bool),
}

/// A parsed label selector; every requirement must hold. The empty selector matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    source: String,
}

impl LabelSelector {
    /// Parses `text`; the error says which requirement is wrong and why.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for part in split_top(text)? {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("empty requirement in `{text}`"));
            }
            requirements.push(requirement(part)?);
        }
        Ok(LabelSelector {
            requirements,
            source: text.trim().to_string(),
        })
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Exists(k, present) => labels.contains_key(k) == *present,
            Requirement::Equals(k, v, equal) => (labels.get(k) == Some(v)) == *equal,
            Requirement::In(k, set, inside) => {
                labels.get(k).is_some_and(|v| set.contains(v)) == *inside
            }
        })
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Splits at the commas outside parentheses.
fn split_top(text: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("unbalanced `)` in `{text}`"))?;
            }
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err(format!("unclosed `(` in `{text}`"));
    }
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    parts.push(&text[start..]);
    Ok(parts)
}

fn requirement(part: &str) -> Result<Requirement, String> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::Exists(label_key(key.trim())?, false));
    }
    for (op, equal) in [("!=", false), ("==", true), ("=", true)] {
        if let Some((k, v)) = part.split_once(op) {
            return Ok(Requirement::Equals(
                label_key(k.trim())?,
                label_value(v.trim())?,
                equal,
            ));
        }
    }
    if part.contains('>') || part.contains('<') {
        return Err(format!(
            "`{part}`: `>` and `<` are for node selectors, not workloads"
        ));
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    match words.as_slice() {
        [key] => Ok(Requirement::Exists(label_key(key)?, true)),
        [key, rest] => {
            let rest = rest.trim();
            let (inside, set) = if let Some(s) = rest.strip_prefix("notin") {
                (false, s)
            } else if let Some(s) = rest.strip_prefix("in") {
                (true, s)
            } else {
                return Err(format!(
                    "`{part}`: expected `=`, `!=`, `in (…)` or `notin (…)` after `{key}`"
                ));
            };
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("`{part}`: the values go in parentheses: `(a,b)`"))?;
            let values = inner
                .split(',')
                .map(|v| label_value(v.trim()))
                .collect::<Result<BTreeSet<_>, _>>()?;
            if inner.trim().is_empty() {
                return Err(format!("`{part}`: a set needs at least one value"));
            }
            Ok(Requirement::In(label_key(key)?, values, inside))
        }
        _ => Err(format!("`{part}` is not a requirement")),
    }
}

/// A label name part: 63 characters at most, alphanumerics with `-`, `_` and `.` inside.
fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A DNS subdomain (a key's prefix): lowercase labels of alphanumerics and `-`, dot-joined.
fn is_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

fn label_key(key: &str) -> Result<String, String> {
    let ok = match key.split_once('/') {
        Some((prefix, name)) => is_subdomain(prefix) && is_name(name),
        None => is_name(key),
    };
    if ok {
        Ok(key.to_string())
    } else {
        Err(format!(
            "`{key}` is not a label key (an optional DNS prefix and `/`, then 1 to 63 letters, digits, `-`, `_`, `.`)"
        ))
    }
}

fn label_value(value: &str) -> Result<String, String> {
    if value.is_empty() || is_name(value) {
        Ok(value.to_string())
    } else {
        Err(format!(
            "`{value}` is not a label value (at most 63 letters, digits, `-`, `_`, `.`)"
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_set_and_existence_requirements_match_as_the_api_server_does() {
        let s = LabelSelector::parse(
            "app.kubernetes.io/name=serving, tier!=canary,env in (prod, staging),!legacy",
        )
        .unwrap();
        let serving = labels(&[("app.kubernetes.io/name", "serving"), ("env", "prod")]);
        assert!(s.matches(&serving));
        let mut canary = serving.clone();
        canary.insert("tier".into(), "canary".into());
        assert!(!s.matches(&canary));
        let mut legacy = serving.clone();
        legacy.insert("legacy".into(), "".into());
        assert!(!s.matches(&legacy));
        assert!(!s.matches(&labels(&[("app.kubernetes.io/name", "serving")])));
        let s = LabelSelector::parse("env notin (dev),team").unwrap();
        assert!(s.matches(&labels(&[("team", "a")])));
        assert!(!s.matches(&labels(&[("team", "a"), ("env", "dev")])));
        assert!(LabelSelector::parse("").unwrap().matches(&labels(&[])));
        assert_eq!(
            LabelSelector::parse("app==x").unwrap().to_string(),
            "app==x"
        );
    }

    #[test]
    fn a_selector_that_does_not_parse_says_why() {
        for (bad, why) in [
            ("app=", ""),
            ("app in (a,b", "unclosed `(`"),
            ("app in a,b", "parentheses"),
            ("app=serving,,tier=x", "empty requirement"),
            ("app is serving", "expected `=`"),
            ("Bad_Prefix/app=x", "not a label key"),
            ("app=has space", "not a label value"),
            ("replicas>2", "node selectors"),
            ("app in ()", "at least one value"),
        ] {
            let r = LabelSelector::parse(bad);
            if why.is_empty() {
                assert!(r.is_ok(), "`{bad}`: an empty value is allowed");
                continue;
            }
            let e = r.unwrap_err();
            assert!(e.contains(why), "`{bad}`: {e}");
        }
    }
}
