//! INCIDENTS.md: the incident journal (writer, parser, export).
//!
//! # The file format
//!
//! INCIDENTS.md is Markdown for people that sitrep reads back; `sitrep export` reads only
//! this file, so it is the one source of truth. It is append-only: nothing already written
//! is ever rewritten, and every state change (severity, status, title, roles) is a new line.
//!
//! ```markdown
//! ## INC-20261122-0412 · Checkout returns 5xx
//!
//! - opened at: 2026-11-22T04:12:03Z
//! - mode: LIVE prod-eu/checkout
//! - severity: SEV2
//! - opened by: alice
//!
//! - 2026-11-22T04:12:03Z · alice · opened · Checkout returns 5xx
//! - 2026-11-22T04:12:09Z · sitrep · alert-fired · HighErrorRate: 5xx 4.1% > 3%
//! - 2026-11-22T04:13:40Z · alice · ack · paged via PagerDuty
//! - 2026-11-22T04:15:02Z · alice · severity · SEV1 all EU checkouts failing
//! - 2026-11-22T04:16:30Z · alice · note · deploy 42 went out at 04:05\nsuspect it
//! - 2026-11-22T04:18:11Z · alice · rollback [ok] · deployment/checkout from 42 to 41
//! - 2026-11-22T04:25:00Z · alice · status · monitoring
//! - 2026-11-22T04:40:00Z · alice · status · resolved
//! ```
//!
//! - **Heading**: `## INC-YYYYMMDD-HHMM · title` (UTC; `-2`, `-3`… on a clash, see
//!   [`new_id`]). A drill's heading starts `## [DRILL] INC-…`.
//! - **Header block**, written once: `- opened at:`, `- mode:` (`LIVE ctx/ns`,
//!   `DRILL name` or `REPLAY file`), `- severity:` (`SEV1`..`SEV4`, 1 is the worst),
//!   `- opened by:`.
//! - **Entries**, one line each: `- <UTC time to the second> · <actor> · <kind> [markers] · <text>`.
//!   The kind is a stable token ([`Kind::as_str`]). Markers in brackets after the kind:
//!   an [`Outcome`] (`[ok]`, `[refused]`, `[failed]`, `[dry-run]`) for commands, kill
//!   switches and rollbacks; `[DRILL]` on every line of a drill; `[@INC-…]` on a line
//!   for an incident that was not the last heading in the file when it was written
//!   (`sitrep note --id OLD`), so it is attributed to that incident wherever it lands.
//! - **Text** is the rest of the line, so it may hold ` · `. A newline is written `\n`,
//!   a carriage return `\r`, a backslash `\\`; any other backslash is kept as is. So every
//!   entry is one line and a torn write can only damage the last line.
//! - **Text conventions** per kind: `severity` starts with `SEVn`; `status` with one of
//!   `investigating identified mitigating monitoring resolved`; `role` is
//!   `<ic|scribe|comms> <person>`; `rollback` is `<deployment> from <rev> to <rev>`;
//!   `verdict` starts with `worked`, `did-not-work` or `unclear`; `alert-fired` carries
//!   the value and threshold. Any further words are a free-form reason.
//! - A drill begins with a `drill` entry (`DRILL name: this is an exercise, not a real
//!   incident`) before `opened`, and every line of it carries `[DRILL]`. A `[DRILL]` line
//!   under a live incident is refused by the parser.
//! - **Other text** anywhere (prose, other headings, other bullet lists) is left alone
//!   and ignored. A line that starts like an entry (`- ` and a digit) or a header field
//!   but cannot be read is reported as a [`Problem`] with its line number, never
//!   dropped silently. CRLF line endings are fine.
//!
//! Writes ([`Journal::begin`], [`Journal::append`]) take an exclusive advisory lock,
//! catch up with lines other writers appended, write whole lines at the end (starting a
//! new line first if the file does not end with one), flush and fsync, then unlock.

mod entry;
pub mod export;
mod incident;
mod kinds;
mod parse;
mod writer;

pub mod cli;

pub use entry::{
    Entry, Kind, Outcome, Role, Rollback, Status, UnknownToken, Verdict, escape, format_entry_line,
    format_severity, parse_entry_line, parse_severity, unescape,
};
pub use export::{ExportOptions, Format, Series, export};
pub use incident::{Header, Incident};
pub use parse::{Parsed, Problem, parse, parse_last};
pub use writer::{Journal, JournalError};

use jiff::Timestamp;

/// A new incident id, `INC-YYYYMMDD-HHMM` from `at` in UTC, with `-2`, `-3`… appended when
/// an id in `existing` already has that name.
pub fn new_id(at: Timestamp, existing: &[&str]) -> String {
    let base = format!("INC-{}", at.strftime("%Y%m%d-%H%M"));
    if !existing.contains(&base.as_str()) {
        return base;
    }
    (2u32..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !existing.contains(&id.as_str()))
        .unwrap_or(base)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        let at: Timestamp = "2026-11-22T04:12:59.9Z".parse().unwrap();
        assert_eq!(new_id(at, &[]), "INC-20261122-0412");
        assert_eq!(new_id(at, &["INC-20261122-0412"]), "INC-20261122-0412-2");
        assert_eq!(
            new_id(at, &["INC-20261122-0412", "INC-20261122-0412-2"]),
            "INC-20261122-0412-3"
        );
    }
}
