//! Markdown runbooks read as checklists, and matching alerts to their sections.
//!
//! Teams keep runbooks in whatever Markdown shape grew over the years; [`parse`] reads
//! the common shapes (headings, bold labels, label list items, task lists, shell blocks,
//! tables) into sections of checklist groups, and [`match_alert`] picks the section that
//! answers a firing alert.

pub mod adherence;
mod blocks;
mod build;
pub mod cli;
mod commands;
pub mod criterion;
mod load;
mod matching;
mod model;
pub mod native;
pub mod render;
mod synonyms;
mod text;

pub use commands::{
    CommandGroup, is_shell_lang, looks_like_shell, shell_commands, starts_with_program,
};
pub use load::{MAX_FILE_BYTES, RunbookError, load};
pub use matching::{AlertRef, FUZZY_THRESHOLD, Match, MatchRule, find_section, match_alert};
pub use model::{Group, Runbook, Section, Step, Table};
pub use text::{placeholders, slug};

/// Reads a runbook from Markdown text. Never fails: problems become `warnings`.
pub fn parse(markdown: &str) -> Runbook {
    // A byte order mark is not text: left in, it hides the first heading.
    let markdown = markdown.strip_prefix('\u{feff}').unwrap_or(markdown);
    build::build(blocks::read(markdown))
}
