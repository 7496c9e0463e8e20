//! What `init` found in the runbooks, each item with the file and line it came from.

use std::fmt;

use super::promql::QueryInfo;
use super::prose::{EscalationStep, SloTarget, Threshold};
use crate::config::PromDuration;

/// A runbook file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A PromQL query found in a runbook, kept verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundQuery {
    /// A name from the runbook (a comment, a label, a table cell), if it gave one.
    pub name: Option<String>,
    /// The heading it sits under, for a name when there is no other.
    pub heading: String,
    pub query: String,
    /// Where it was found and how (`a promql block`), first one first.
    pub origins: Vec<(Origin, &'static str)>,
    pub info: QueryInfo,
}

/// How a kill-switch candidate changes the world.
#[derive(Debug, Clone, PartialEq)]
pub enum SwitchKind {
    Configmap {
        namespace: Option<String>,
        configmap: String,
        key: String,
        on: String,
        off: String,
    },
    Env {
        namespace: Option<String>,
        deployment: String,
        key: String,
        on: String,
        off: String,
    },
    Scale {
        namespace: Option<String>,
        deployment: String,
    },
}

/// A kill switch the runbook tells the operator to flip.
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    pub name: String,
    pub kind: SwitchKind,
    pub origin: Origin,
}

/// Something the runbook says that did not become part of the draft, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub origin: Origin,
    /// The text, shortened to one line.
    pub what: String,
    pub why: String,
}

/// Everything found in every runbook.
#[derive(Debug, Default)]
pub struct Findings {
    pub runbooks: Vec<String>,
    pub queries: Vec<FoundQuery>,
    pub thresholds: Vec<(Origin, Threshold)>,
    pub slos: Vec<(Origin, SloTarget)>,
    pub namespaces: Vec<(String, Origin)>,
    pub deployments: Vec<(String, Origin)>,
    pub selectors: Vec<(String, Origin)>,
    pub switches: Vec<Switch>,
    pub health: Vec<(String, Origin)>,
    pub prometheus: Vec<(String, Origin)>,
    pub updates: Vec<(Origin, PromDuration, Vec<u8>)>,
    pub escalations: Vec<(Origin, EscalationStep)>,
    pub skipped: Vec<Skip>,
    /// The reader's warnings (bad bytes, unclosed fences), already naming the file.
    pub warnings: Vec<String>,
}

impl Findings {
    /// Adds a query, merging it with an identical one found before.
    pub fn add_query(
        &mut self,
        query: &str,
        name: Option<String>,
        heading: &str,
        origin: Origin,
        how: &'static str,
        info: QueryInfo,
    ) {
        let query = query.trim().to_string();
        // sitrep fills `{{...}}` in queries itself; a runbook's own templating would make
        // the draft fail to load, and its value is not known here.
        if query.contains("{{") {
            self.skip(
                origin,
                &query,
                "a query with a `{{...}}` template placeholder; fill it in, or use {{namespace}}/{{service}} with [vars]",
            );
            return;
        }
        if let Some(q) = self.queries.iter_mut().find(|q| q.query == query) {
            if q.name.is_none() {
                q.name = name;
            }
            if !q.origins.iter().any(|(o, _)| *o == origin) {
                q.origins.push((origin, how));
            }
            return;
        }
        self.queries.push(FoundQuery {
            name: name.filter(|n| !n.trim().is_empty()),
            heading: heading.to_string(),
            query,
            origins: vec![(origin, how)],
            info,
        });
    }

    /// Records something not placed.
    pub fn skip(&mut self, origin: Origin, what: &str, why: impl Into<String>) {
        let what = one_line(what, 100);
        let why = why.into();
        if self
            .skipped
            .iter()
            .any(|s| s.origin == origin && s.what == what)
        {
            return;
        }
        self.skipped.push(Skip { origin, what, why });
    }

    /// Adds a value to one of the name lists, once.
    pub fn note(list: &mut Vec<(String, Origin)>, value: String, origin: &Origin) {
        if !list.iter().any(|(v, _)| *v == value) {
            list.push((value, origin.clone()));
        }
    }
}

/// Text on one line, at most `max` characters, for a TOML comment.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_flattens_and_shortens() {
        assert_eq!(one_line("a\n  b\tc", 10), "a b c");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
