//! The runbook as the cockpit sees it: sections holding groups of checklist steps.

use std::path::PathBuf;

use serde::Serialize;

/// A parsed runbook: a flat list of sections in document order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Runbook {
    /// The document title: front matter `title:`, else the first level-1 heading, else the
    /// first heading.
    pub title: String,
    /// Every section in document order, sections of linked files after the main file's.
    pub sections: Vec<Section>,
    /// Problems met while reading (bad bytes, unclosed fences, ...); never fatal.
    pub warnings: Vec<String>,
    /// The file this runbook was loaded from; `None` when parsed from a string.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// One part of a runbook that can answer an alert: a heading, or a label that acts as one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Section {
    /// The heading text without Markdown markup.
    pub title: String,
    /// Heading depth; inferred sections get the depth they sit at.
    pub level: u8,
    /// The slug GitHub gives this heading (used by `runbook_url` annotations).
    pub anchor: String,
    /// Titles of the enclosing sections, outermost first.
    pub path: Vec<String>,
    /// Checklist groups (Symptoms, Diagnosis, ...) in document order.
    pub groups: Vec<Group>,
    /// Tables (contacts, kill switches, thresholds) kept as tables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    /// Prose that is neither a step nor a table (severity lines, explanations, snippets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// True when the section comes from a label (a bold line, a label list item) rather
    /// than a Markdown heading.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
    /// The file the section came from when it was reached through a link.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// A labelled part of a section's checklist; `title` is empty for steps before any label.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    /// The group label (Symptoms, Immediate Actions, ...), or "".
    pub title: String,
    /// The steps of this group in document order.
    pub steps: Vec<Step>,
}

/// One thing to check or do.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Step {
    /// The step as written, inline code kept in backticks.
    pub text: String,
    /// Shell commands of the step, one per command line (continuations joined).
    pub commands: Vec<String>,
    /// Task-list state (`- [x]`); false for plain items.
    pub checked: bool,
    /// Nesting below the group's top-level steps (sub-steps are 1, 2, ...).
    #[serde(skip_serializing_if = "is_zero")]
    pub depth: u8,
}

/// A table as written: header cells and rows of cells, inline markup removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Header cells.
    pub header: Vec<String>,
    /// Body rows.
    pub rows: Vec<Vec<String>>,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl Runbook {
    /// Index of the first section whose anchor is `anchor` (case-insensitive).
    pub fn find_anchor(&self, anchor: &str) -> Option<usize> {
        self.sections
            .iter()
            .position(|s| s.anchor.eq_ignore_ascii_case(anchor))
    }

    /// Number of steps in all groups of a section.
    pub fn step_count(&self, section: usize) -> usize {
        self.sections
            .get(section)
            .map_or(0, |s| s.groups.iter().map(|g| g.steps.len()).sum())
    }
}
