//! Reading INCIDENTS.md back (and writing the heading and header block, so both sides of
//! the header format live together). Never panics: whatever cannot be read is a [`Problem`].

use std::collections::HashMap;
use std::fmt;

use jiff::Timestamp;

use super::entry::{
    EntryLine, Kind, SEP, escape, format_entry_line, format_severity, format_ts, looks_like_entry,
    parse_entry_line, parse_severity, sanitize_actor, unescape,
};
use super::incident::{Header, Incident};

/// A line that could not be read. It is skipped, and reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, e.g. "cannot read entry: bad timestamp `…`".
    pub message: String,
    /// The line as found.
    pub text: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

/// Everything read from a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Incidents in file order.
    pub incidents: Vec<Incident>,
    /// Lines that could not be read, in file order.
    pub problems: Vec<Problem>,
}

impl Parsed {
    /// The last incident with this id.
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().rev().find(|i| i.header.id == id)
    }

    /// The last incident that is not resolved.
    pub fn open_incident(&self) -> Option<&Incident> {
        self.incidents
            .iter()
            .rev()
            .find(|i| i.status() != super::entry::Status::Resolved)
    }

    /// All ids, in file order.
    pub fn ids(&self) -> Vec<&str> {
        self.incidents
            .iter()
            .map(|i| i.header.id.as_str())
            .collect()
    }
}

/// The heading line for an incident.
pub(crate) fn format_heading(header: &Header) -> String {
    let drill = if header.drill { "[DRILL] " } else { "" };
    format!("## {drill}{}{SEP}{}", header.id, escape(&header.title))
}

/// Heading, header block and the first entries (`drill` for a drill, then `opened`).
pub(crate) fn format_begin_block(header: &Header) -> String {
    let mut out = format_heading(header);
    out.push_str("\n\n");
    out.push_str(&format!("- opened at: {}\n", format_ts(header.opened_at)));
    out.push_str(&format!("- mode: {}\n", escape(&header.mode)));
    out.push_str(&format!(
        "- severity: {}\n",
        format_severity(header.severity)
    ));
    out.push_str(&format!(
        "- opened by: {}\n\n",
        sanitize_actor(&header.opened_by)
    ));
    for entry in header.opening_entries() {
        out.push_str(&format_entry_line(&entry, header.drill, None));
        out.push('\n');
    }
    out
}

/// Reads `## [DRILL] INC-… · title`; `None` if the line is not an incident heading.
fn parse_heading(line: &str) -> Option<(String, String, bool)> {
    let rest = line.strip_prefix("##")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let mut rest = rest.trim_start();
    let drill = match rest.strip_prefix("[DRILL]") {
        Some(r) => {
            rest = r.trim_start();
            true
        }
        None => false,
    };
    if !rest.starts_with("INC-") {
        return None;
    }
    let (id, title) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let title = title.trim();
    let title = title.strip_prefix('·').map_or(title, str::trim_start);
    Some((id.to_string(), unescape(title.trim_end()), drill))
}

/// A header field line: `- opened at: …` and friends.
enum Field {
    OpenedAt(Timestamp),
    Mode(String),
    Severity(u8),
    OpenedBy(String),
}

fn parse_field(line: &str) -> Option<Result<Field, String>> {
    let rest = line.strip_prefix("- ")?;
    let (key, value) = rest.split_once(':')?;
    let value = value.trim();
    let field = match key.trim().to_ascii_lowercase().as_str() {
        "opened at" => value
            .parse()
            .map(Field::OpenedAt)
            .map_err(|_| format!("bad `opened at` timestamp `{value}`")),
        "mode" => Ok(Field::Mode(unescape(value))),
        "severity" => parse_severity(value)
            .map(Field::Severity)
            .ok_or_else(|| format!("bad severity `{value}` (expected SEV1, SEV2, SEV3 or SEV4)")),
        "opened by" => Ok(Field::OpenedBy(value.to_string())),
        _ => return None,
    };
    Some(field)
}

/// What the header block of the incident being read has shown so far.
#[derive(Default)]
struct Seen {
    line: usize,
    opened_at: bool,
    mode: bool,
    severity: bool,
    opened_by: bool,
}

/// Reads a whole INCIDENTS.md. CRLF, Unicode and hand-edited text are fine; other text is
/// ignored; a line meant as an entry or header field that cannot be read becomes a
/// [`Problem`] and is skipped.
pub fn parse(text: &str) -> Parsed {
    parse_lines(text, 0, false)
}

/// Reads only the last incident of a journal (and whatever follows its heading): the
/// heading is found by searching back from the end, so `--last` on a journal of 50,000
/// incidents reads one. Line numbers in problems are those of the whole file; entries
/// tagged for earlier incidents are not this incident's and are left alone.
pub fn parse_last(text: &str) -> Parsed {
    let mut end = text.len();
    let start = loop {
        let at = text[..end].rfind("\n##").map_or(0, |i| i + 1);
        let line = text[at..].split('\n').next().unwrap_or("");
        if parse_heading(line.strip_suffix('\r').unwrap_or(line)).is_some() || at == 0 {
            break at;
        }
        end = at - 1;
    };
    let first_line = text[..start].matches('\n').count();
    parse_lines(&text[start..], first_line, true)
}

fn parse_lines(text: &str, first_line: usize, tail_only: bool) -> Parsed {
    let mut parsed = Parsed::default();
    // The last index of each id, so duplicates and tags are found without a scan.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut seen: Vec<Seen> = Vec::new();
    let mut in_header = false;
    // Tagged entries naming an incident further down (only a hand edit does that).
    let mut later: Vec<(usize, String, EntryLine)> = Vec::new();

    for (i, raw) in text.split('\n').enumerate() {
        let n = first_line + i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((id, title, drill)) = parse_heading(line) {
            if index.insert(id.clone(), parsed.incidents.len()).is_some() {
                problem(
                    &mut parsed.problems,
                    n,
                    format!("cannot read heading: duplicate incident id {id}"),
                    line,
                );
            }
            let header = Header {
                id,
                title,
                opened_at: Timestamp::UNIX_EPOCH,
                mode: String::new(),
                drill,
                severity: 3,
                opened_by: String::new(),
            };
            parsed.incidents.push(Incident {
                header,
                entries: Vec::new(),
            });
            seen.push(Seen {
                line: n,
                ..Seen::default()
            });
            in_header = true;
            continue;
        }
        if in_header
            && let (Some(field), Some(inc), Some(s)) = (
                parse_field(line),
                parsed.incidents.last_mut(),
                seen.last_mut(),
            )
        {
            match field {
                Ok(field) => apply_field(&mut inc.header, s, field),
                Err(msg) => problem(
                    &mut parsed.problems,
                    n,
                    format!("cannot read header: {msg}"),
                    line,
                ),
            }
            continue;
        }
        if looks_like_entry(line) || (in_header_or_incident(&parsed) && is_bare_dash(line)) {
            in_header = false;
            match parse_entry_line(line) {
                Ok(el) => attribute(&mut parsed, &index, &mut later, n, line, el),
                Err(msg) => problem(
                    &mut parsed.problems,
                    n,
                    format!("cannot read entry: {msg}"),
                    line,
                ),
            }
            continue;
        }
        if !line.trim().is_empty() {
            in_header = false;
        }
    }

    for (n, line, el) in later {
        if tail_only {
            // Tagged for an incident above the part read: not this incident's line.
            continue;
        }
        match parsed
            .incidents
            .iter_mut()
            .rev()
            .find(|i| Some(&i.header.id) == el.tag.as_ref())
        {
            Some(inc) => inc.entries.push(el.entry),
            None => {
                let tag = el.tag.unwrap_or_default();
                problem(
                    &mut parsed.problems,
                    n,
                    format!("cannot read entry: no incident {tag} in this file"),
                    &line,
                );
            }
        }
    }
    finish_headers(&mut parsed, &seen);
    parsed.problems.sort_by_key(|p| p.line);
    parsed
}

fn in_header_or_incident(parsed: &Parsed) -> bool {
    !parsed.incidents.is_empty()
}

/// `-` or `- ` alone: an entry torn right at its start.
fn is_bare_dash(line: &str) -> bool {
    line.trim_end() == "-"
}

fn problem(problems: &mut Vec<Problem>, line: usize, message: String, text: &str) {
    problems.push(Problem {
        line,
        message,
        text: text.to_string(),
    });
}

fn apply_field(header: &mut Header, seen: &mut Seen, field: Field) {
    match field {
        Field::OpenedAt(at) => (header.opened_at, seen.opened_at) = (at, true),
        Field::Mode(mode) => {
            // Fail safe: a drill mode makes the incident a drill even without the marker.
            header.drill |= mode.starts_with("DRILL");
            (header.mode, seen.mode) = (mode, true);
        }
        Field::Severity(sev) => (header.severity, seen.severity) = (sev, true),
        Field::OpenedBy(by) => (header.opened_by, seen.opened_by) = (by, true),
    }
}

fn attribute(
    parsed: &mut Parsed,
    index: &HashMap<String, usize>,
    later: &mut Vec<(usize, String, EntryLine)>,
    n: usize,
    line: &str,
    el: EntryLine,
) {
    let target = match &el.tag {
        Some(tag) => match index.get(tag) {
            Some(i) => *i,
            None => {
                later.push((n, line.to_string(), el));
                return;
            }
        },
        None => match parsed.incidents.len().checked_sub(1) {
            Some(i) => i,
            None => {
                let msg = "cannot read entry: it is above the first incident heading and has no [@INC-…] tag";
                problem(&mut parsed.problems, n, msg.into(), line);
                return;
            }
        },
    };
    let Some(inc) = parsed.incidents.get_mut(target) else {
        return;
    };
    if el.drill && !inc.header.drill {
        let msg = format!(
            "cannot read entry: a [DRILL] entry under live incident {}",
            inc.header.id
        );
        problem(&mut parsed.problems, n, msg, line);
        return;
    }
    inc.entries.push(el.entry);
}

/// Fills what a damaged header lacks from the timeline, and says so.
fn finish_headers(parsed: &mut Parsed, seen: &[Seen]) {
    for (inc, s) in parsed.incidents.iter_mut().zip(seen) {
        let mut missing = Vec::new();
        if !s.opened_at {
            missing.push("opened at");
            if let Some(first) = inc.entries.iter().map(|e| e.at).min() {
                inc.header.opened_at = first;
            }
        }
        if !s.mode {
            missing.push("mode");
        }
        if !s.severity {
            missing.push("severity");
        }
        if !s.opened_by {
            missing.push("opened by");
            if let Some(opened) = inc.entries.iter().find(|e| e.kind == Kind::Opened) {
                inc.header.opened_by = opened.actor.clone();
            }
        }
        if !missing.is_empty() {
            let message = format!("cannot read header: missing {}", missing.join(", "));
            let text = format_heading(&inc.header);
            parsed.problems.push(Problem {
                line: s.line,
                message,
                text,
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Incidents\n\nSome prose.\n\n\
## INC-20261122-0412 · Checkout 5xx\n\n\
- opened at: 2026-11-22T04:12:03Z\n\
- mode: LIVE prod/checkout\n\
- severity: SEV2\n\
- opened by: alice\n\n\
- 2026-11-22T04:12:03Z · alice · opened · Checkout 5xx\n\
- 2026-11-22T04:12:09Z · sitrep · alert-fired · HighErrorRate: 5xx 4.1% > 3%\n\
## [DRILL] INC-20261122-0500 · Drill\n\n\
- opened at: 2026-11-22T05:00:00Z\n\
- mode: DRILL checkout-5xx\n\
- severity: SEV3\n\
- opened by: bo\n\n\
- 2026-11-22T05:00:00Z · bo · drill [DRILL] · DRILL checkout-5xx: exercise\n\
- 2026-11-22T05:01:00Z · alice · note [@INC-20261122-0412] · late\\nnote\n\
- 2026-11-22T05:02:00Z · alice · status [@INC-20261122-0412] · resolved\n";

    #[test]
    fn reads_incidents_and_attributes_tagged_lines() {
        let p = parse(SAMPLE);
        assert_eq!(p.problems, vec![]);
        assert_eq!(p.ids(), vec!["INC-20261122-0412", "INC-20261122-0500"]);
        let first = &p.incidents[0];
        assert_eq!(first.header.mode, "LIVE prod/checkout");
        assert_eq!(first.header.severity, 2);
        assert!(!first.header.drill);
        assert_eq!(first.entries.len(), 4);
        assert_eq!(first.entries[2].text, "late\nnote");
        let drill = &p.incidents[1];
        assert!(drill.header.drill);
        assert_eq!(drill.entries.len(), 1);
        assert_eq!(p.open_incident().map(|i| i.id()), Some("INC-20261122-0500"));
    }

    #[test]
    fn crlf_and_mangled_lines() {
        let text = SAMPLE
            .replace('\n', "\r\n")
            .replace("04:12:09Z · sitrep", "04:1x:09Z · sitrep");
        let p = parse(&text);
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert_eq!(p.problems[0].line, 13);
        assert!(
            p.problems[0]
                .message
                .starts_with("cannot read entry: bad timestamp")
        );
        assert_eq!(p.incidents[0].header.mode, "LIVE prod/checkout");
    }

    #[test]
    fn torn_and_misplaced_lines_are_reported() {
        let p = parse(
            "- 2026-11-22T04:12:03Z · a · note · orphan\n## INC-1 · t\n- opened at: 2026-11-22T04:12:03Z\n- mode: LIVE x\n- severity: SEV9\n-\n- 2026-11-22T05:00:00Z · a · note [DRILL] · x\n- 2026-11-22T05:00:00Z · a · note [@INC-9] · x\n- 2026-11-2",
        );
        let lines: Vec<usize> = p.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 2, 5, 6, 7, 8, 9], "{:#?}", p.problems);
        assert_eq!(p.incidents[0].header.opened_by, "");
    }

    #[test]
    fn begin_block_reads_back() {
        let header = Header {
            id: "INC-20261122-0412".into(),
            title: "Title · with\nnewline".into(),
            opened_at: "2026-11-22T04:12:03Z".parse().unwrap(),
            mode: "DRILL checkout".into(),
            drill: true,
            severity: 1,
            opened_by: "alice".into(),
        };
        let p = parse(&format_begin_block(&header));
        assert_eq!(p.problems, vec![]);
        assert_eq!(p.incidents[0].header, header);
        let kinds: Vec<Kind> = p.incidents[0].entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![Kind::Drill, Kind::Opened]);
    }
}
