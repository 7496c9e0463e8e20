//! One timeline entry and the single line it takes in INCIDENTS.md.

use std::fmt;

use jiff::Timestamp;

pub use super::kinds::{Kind, Outcome, Role, Status, UnknownToken, Verdict};

/// `SEV2` for 2.
pub fn format_severity(sev: u8) -> String {
    format!("SEV{sev}")
}

/// Reads `SEV1`..`SEV4` (case-insensitive).
pub fn parse_severity(s: &str) -> Option<u8> {
    let digits = s
        .strip_prefix("SEV")
        .or_else(|| s.strip_prefix("sev"))
        .or_else(|| s.strip_prefix("Sev"))?;
    match digits {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        "4" => Some(4),
        _ => None,
    }
}

/// A rollback as its entry text carries it: `<deployment> from <rev> to <rev>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollback {
    /// The deployment, e.g. `deployment/checkout`.
    pub deployment: String,
    /// The revision rolled back from.
    pub from: String,
    /// The revision rolled back to.
    pub to: String,
}

impl fmt::Display for Rollback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {} to {}", self.deployment, self.from, self.to)
    }
}

/// One event on an incident's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When it happened; written to the second, UTC.
    pub at: Timestamp,
    /// Who did it (`sitrep` for the cockpit itself).
    pub actor: String,
    /// What it is.
    pub kind: Kind,
    /// Free text; may hold newlines (escaped on disk).
    pub text: String,
    /// How a command ended, for [`Kind::Command`] and other actions.
    pub outcome: Option<Outcome>,
}

impl Entry {
    /// An entry without an outcome.
    pub fn new(
        at: Timestamp,
        actor: impl Into<String>,
        kind: Kind,
        text: impl Into<String>,
    ) -> Entry {
        Entry {
            at,
            actor: actor.into(),
            kind,
            text: text.into(),
            outcome: None,
        }
    }

    /// The same entry with an outcome.
    pub fn with_outcome(mut self, outcome: Outcome) -> Entry {
        self.outcome = Some(outcome);
        self
    }

    /// A severity change; `reason` may be empty.
    pub fn severity(at: Timestamp, actor: impl Into<String>, sev: u8, reason: &str) -> Entry {
        Entry::new(
            at,
            actor,
            Kind::Severity,
            with_reason(&format_severity(sev), reason),
        )
    }

    /// A status change; `reason` may be empty.
    pub fn status(at: Timestamp, actor: impl Into<String>, status: Status, reason: &str) -> Entry {
        Entry::new(
            at,
            actor,
            Kind::Status,
            with_reason(status.as_str(), reason),
        )
    }

    /// A role assignment.
    pub fn role(at: Timestamp, actor: impl Into<String>, role: Role, person: &str) -> Entry {
        Entry::new(at, actor, Kind::Role, format!("{role} {person}"))
    }

    /// A rollback with its outcome.
    pub fn rollback(
        at: Timestamp,
        actor: impl Into<String>,
        rb: &Rollback,
        outcome: Outcome,
    ) -> Entry {
        Entry::new(at, actor, Kind::Rollback, rb.to_string()).with_outcome(outcome)
    }

    /// A verdict on an action; `details` may be empty.
    pub fn verdict(
        at: Timestamp,
        actor: impl Into<String>,
        verdict: Verdict,
        details: &str,
    ) -> Entry {
        Entry::new(
            at,
            actor,
            Kind::Verdict,
            with_reason(verdict.as_str(), details),
        )
    }

    /// The severity a [`Kind::Severity`] entry sets.
    pub fn severity_value(&self) -> Option<u8> {
        (self.kind == Kind::Severity).then(|| parse_severity(first_word(&self.text)))?
    }

    /// The status a [`Kind::Status`] entry sets.
    pub fn status_value(&self) -> Option<Status> {
        (self.kind == Kind::Status).then(|| first_word(&self.text).parse().ok())?
    }

    /// The role and person a [`Kind::Role`] entry assigns.
    pub fn role_value(&self) -> Option<(Role, &str)> {
        if self.kind != Kind::Role {
            return None;
        }
        let (role, person) = self.text.trim().split_once(char::is_whitespace)?;
        Some((role.parse().ok()?, person.trim()))
    }

    /// The rollback a [`Kind::Rollback`] entry records.
    pub fn rollback_value(&self) -> Option<Rollback> {
        if self.kind != Kind::Rollback {
            return None;
        }
        let (deployment, revs) = self.text.trim().split_once(" from ")?;
        let (from, to) = revs.split_once(" to ")?;
        Some(Rollback {
            deployment: deployment.into(),
            from: from.into(),
            to: to.into(),
        })
    }

    /// The verdict a [`Kind::Verdict`] entry gives.
    pub fn verdict_value(&self) -> Option<Verdict> {
        (self.kind == Kind::Verdict).then(|| first_word(&self.text).parse().ok())?
    }
}

fn with_reason(head: &str, reason: &str) -> String {
    if reason.is_empty() {
        head.to_string()
    } else {
        format!("{head} {reason}")
    }
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

/// The field separator in headings and entry lines.
pub const SEP: &str = " · ";

/// Escapes text so it stays on one line: `\` → `\\`, LF → `\n`, CR → `\r`; other
/// controls and bidi overrides as `\x1b` / `\u{202e}`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    // Outside text (alert summaries, notes) must not reach a terminal raw when someone
    // runs `cat INCIDENTS.md`: every other control, escape sequence and bidi override is
    // stored as a visible `\x1b` / `\u{202e}` escape, which `unescape` reads back.
    crate::text::sanitize(&out)
}

/// Undoes [`escape`]. Any other backslash (a hand edit) is kept as written.
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let (decoded, used) = match tail.chars().next() {
            Some('\\') => (Some('\\'), 1),
            Some('n') => (Some('\n'), 1),
            Some('r') => (Some('\r'), 1),
            Some('x') => match tail.get(1..3).and_then(|h| u32::from_str_radix(h, 16).ok()) {
                Some(n) if n < 0x80 && tail[1..3].chars().all(|c| c.is_ascii_hexdigit()) => {
                    (char::from_u32(n), 3)
                }
                _ => (None, 0),
            },
            Some('u') => match tail.strip_prefix("u{").and_then(|t| t.split_once('}')) {
                Some((hex, _))
                    if (1..=6).contains(&hex.len())
                        && hex.chars().all(|c| c.is_ascii_hexdigit()) =>
                {
                    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                        Some(c) => (Some(c), hex.len() + 3),
                        None => (None, 0),
                    }
                }
                _ => (None, 0),
            },
            _ => (None, 0),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[used..];
            }
            None => {
                out.push('\\');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Makes an actor safe for its field: no separator, no control characters, not empty.
/// Actors are names, so this loses nothing that matters.
pub fn sanitize_actor(actor: &str) -> String {
    let cleaned: String = actor
        .chars()
        .map(|c| {
            if c == '·' {
                '.'
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        "unknown".to_string()
    } else {
        cleaned
    }
}

/// A timestamp as written: UTC, to the second.
pub fn format_ts(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An entry line as it was read, with its markers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryLine {
    /// The entry.
    pub entry: Entry,
    /// The line carried the `[DRILL]` marker.
    pub drill: bool,
    /// The `[@INC-…]` tag: the incident this line belongs to, when not the one above it.
    pub tag: Option<String>,
}

/// The line (without newline) for an entry.
pub fn format_entry_line(entry: &Entry, drill: bool, tag: Option<&str>) -> String {
    let mut kind = entry.kind.as_str().to_string();
    if let Some(outcome) = entry.outcome {
        kind.push_str(&format!(" [{outcome}]"));
    }
    if drill {
        kind.push_str(" [DRILL]");
    }
    if let Some(tag) = tag {
        kind.push_str(&format!(" [@{tag}]"));
    }
    format!(
        "- {ts}{SEP}{actor}{SEP}{kind}{SEP}{text}",
        ts = format_ts(entry.at),
        actor = sanitize_actor(&entry.actor),
        text = escape(&entry.text),
    )
}

/// Whether a line is meant to be an entry: `- ` then a digit. Such a line is either read
/// or reported, never skipped silently.
pub fn looks_like_entry(line: &str) -> bool {
    line.strip_prefix("- ")
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_digit())
}

/// Reads one entry line (without the newline or a trailing CR).
pub fn parse_entry_line(line: &str) -> Result<EntryLine, String> {
    let rest = line.strip_prefix("- ").ok_or("an entry starts with `- `")?;
    let mut fields = rest.splitn(4, SEP);
    let ts = fields.next().unwrap_or_default().trim();
    let actor = fields
        .next()
        .ok_or("missing actor (fields are separated by ` · `)")?
        .trim();
    let kind_field = fields.next().ok_or("missing kind")?;
    let text = match fields.next() {
        Some(text) => text,
        None => {
            // An empty text lost its trailing space in an editor: `… · note ·`.
            kind_field
                .strip_suffix(" ·")
                .ok_or("missing text after the kind")?;
            ""
        }
    };
    let kind_field = kind_field.strip_suffix(" ·").unwrap_or(kind_field);
    let at: Timestamp = ts.parse().map_err(|_| format!("bad timestamp `{ts}`"))?;
    if actor.is_empty() {
        return Err("empty actor".into());
    }
    let mut words = kind_field.split_whitespace();
    let kind: Kind = words
        .next()
        .ok_or("empty kind")?
        .parse()
        .map_err(|e: UnknownToken| e.to_string())?;
    let (mut outcome, mut drill, mut tag) = (None, false, None);
    for marker in words {
        let inner = marker
            .strip_prefix('[')
            .and_then(|m| m.strip_suffix(']'))
            .ok_or_else(|| format!("unexpected `{marker}` after the kind"))?;
        if inner == "DRILL" {
            drill = true;
        } else if let Some(id) = inner.strip_prefix('@') {
            tag = Some(id.to_string());
        } else {
            outcome = Some(inner.parse().map_err(|e: UnknownToken| e.to_string())?);
        }
    }
    let entry = Entry {
        at,
        actor: actor.to_string(),
        kind,
        text: unescape(text),
        outcome,
    };
    Ok(EntryLine { entry, drill, tag })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn every_token_round_trips() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
        }
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), *o);
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
        }
        let err = "bogus".parse::<Kind>().unwrap_err().to_string();
        assert!(
            err.contains("unknown kind `bogus`") && err.contains("alert-fired"),
            "{err}"
        );
    }

    #[test]
    fn line_format_is_the_documented_one() {
        let e = Entry::new(
            ts("2026-11-22T04:12:09Z"),
            "sitrep",
            Kind::AlertFired,
            "HighErrorRate: 5xx 4.1% > 3%",
        );
        assert_eq!(
            format_entry_line(&e, false, None),
            "- 2026-11-22T04:12:09Z · sitrep · alert-fired · HighErrorRate: 5xx 4.1% > 3%"
        );
        let c = Entry::new(
            ts("2026-11-22T04:20:00Z"),
            "alice",
            Kind::Command,
            "a\nb\\n",
        )
        .with_outcome(Outcome::DryRun);
        assert_eq!(
            format_entry_line(&c, true, Some("INC-20261122-0412")),
            "- 2026-11-22T04:20:00Z · alice · command [dry-run] [DRILL] [@INC-20261122-0412] · a\\nb\\\\n"
        );
    }

    #[test]
    fn typed_helpers_read_back() {
        let at = ts("2026-11-22T04:12:09Z");
        assert_eq!(
            Entry::severity(at, "a", 1, "customers down").severity_value(),
            Some(1)
        );
        assert_eq!(
            Entry::status(at, "a", Status::Monitoring, "").status_value(),
            Some(Status::Monitoring)
        );
        assert_eq!(
            Entry::role(at, "a", Role::Scribe, "Bo Li").role_value(),
            Some((Role::Scribe, "Bo Li"))
        );
        let rb = Rollback {
            deployment: "deployment/checkout".into(),
            from: "42".into(),
            to: "41".into(),
        };
        assert_eq!(
            Entry::rollback(at, "a", &rb, Outcome::Ok).rollback_value(),
            Some(rb)
        );
        assert_eq!(
            Entry::verdict(at, "a", Verdict::DidNotWork, "still 5xx").verdict_value(),
            Some(Verdict::DidNotWork)
        );
    }

    #[test]
    fn hand_edits_are_tolerated_or_reported() {
        let l = parse_entry_line("- 2026-11-22T04:12:09Z · bob · note ·").unwrap();
        assert_eq!(l.entry.text, "");
        assert!(parse_entry_line("- 2026-11-22T04:1").is_err());
        assert!(
            parse_entry_line("- 2026-11-22T04:12:09Z · bob · nope · x")
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!(parse_entry_line("- 2026-11-22T04:12:09Z · bob · note [weird] · x").is_err());
        assert_eq!(unescape("C:\\temp \\q"), "C:\\temp \\q");
        assert_eq!(
            unescape("\\x1 \\x+1 \\u{zz} \\u{110000}"),
            "\\x1 \\x+1 \\u{zz} \\u{110000}"
        );
    }

    #[test]
    fn outside_text_is_stored_escaped_and_read_back_faithfully() {
        for hostile in crate::text::sanitize::HOSTILE {
            let stored = escape(hostile);
            assert_eq!(
                crate::text::sanitize::first_raw_escape(&stored),
                None,
                "{stored:?}"
            );
            assert_eq!(unescape(&stored), *hostile);
        }
        assert_eq!(escape("x\u{1b}]0;PWNED\u{7}"), "x\\x1b]0;PWNED\\x07");
    }

    proptest! {
        #[test]
        fn escape_round_trips(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.contains('\n') && !e.contains('\r'));
            prop_assert_eq!(unescape(&e), s);
        }

        #[test]
        fn parse_entry_line_never_panics(s in any::<String>()) {
            let _ = parse_entry_line(&s);
        }
    }
}
