//! The runbook's text with line numbers: code blocks, inline code, headings and prose
//! lines, so that every finding and every skip can name the line it came from.
//!
//! The checklist reader in `crate::runbook` keeps structure but not positions; this pass
//! runs pulldown-cmark over the same text with offsets and keeps only positions and raw
//! text.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A code block with the line its first body line is on.
#[derive(Debug, Clone, PartialEq)]
pub struct Fence {
    /// The info string's first word, lower-cased (`promql`, `bash`, or "").
    pub lang: String,
    /// The body, as written.
    pub body: String,
    /// 1-based line of the body's first line.
    pub first_line: usize,
    /// The heading the block sits under.
    pub heading: Option<usize>,
}

/// A code span in prose.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub text: String,
    pub line: usize,
    pub heading: Option<usize>,
}

/// A heading and whether it (or one above it) is about monitoring queries.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub text: String,
    pub level: u8,
    pub line: usize,
    pub monitoring: bool,
}

/// A source line outside code blocks, Markdown list and emphasis markers removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Prose {
    /// The line without list markers, `**`, and backticks.
    pub text: String,
    /// The line without list markers and emphasis, backticks kept.
    pub raw: String,
    pub line: usize,
    pub heading: Option<usize>,
    /// Part of a table row.
    pub table: bool,
    /// For a table's body rows: the header row's cells.
    pub header: Option<Vec<String>>,
}

/// Everything the extractors read.
#[derive(Debug, Default)]
pub struct Scanned {
    pub fences: Vec<Fence>,
    pub codes: Vec<Code>,
    pub headings: Vec<Heading>,
    pub prose: Vec<Prose>,
}

impl Scanned {
    /// Whether index `h` names a monitoring-queries heading.
    pub fn monitoring(&self, h: Option<usize>) -> bool {
        h.and_then(|i| self.headings.get(i))
            .is_some_and(|h| h.monitoring)
    }

    /// The heading's text, or "".
    pub fn heading_text(&self, h: Option<usize>) -> &str {
        h.and_then(|i| self.headings.get(i))
            .map_or("", |h| h.text.as_str())
    }
}

/// Whether a heading announces monitoring queries ("Monitoring queries", "PromQL",
/// "Useful queries", "Metrics").
pub fn is_monitoring_heading(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "queries",
        "query",
        "promql",
        "prometheus",
        "metrics",
        "monitoring",
    ]
    .iter()
    .any(|w| {
        t.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|x| x == *w)
    })
}

/// Reads `markdown`. Never panics.
pub fn scan(markdown: &str) -> Scanned {
    let starts = line_starts(markdown);
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).max(1);
    let mut out = Scanned::default();
    // Lines covered by code blocks, HTML blocks and front matter: not prose.
    let mut covered = vec![false; starts.len() + 2];
    let mut heading: Option<usize> = None;
    // Headings above the current one: (level, monitoring).
    let mut stack: Vec<(u8, bool)> = Vec::new();
    let mut in_heading: Option<(u8, usize, String)> = None;
    let mut in_code: Option<(String, usize, String)> = None;
    let mut table_lines: Vec<(usize, usize)> = Vec::new();

    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    for (event, range) in Parser::new_ext(markdown, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some((level as u8, line_of(range.start), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, line, text)) = in_heading.take() {
                    while stack.last().is_some_and(|(l, _)| *l >= level) {
                        stack.pop();
                    }
                    let monitoring = is_monitoring_heading(&text) || stack.iter().any(|s| s.1);
                    stack.push((level, monitoring));
                    out.headings.push(Heading {
                        text: text.trim().to_string(),
                        level,
                        line,
                        monitoring,
                    });
                    heading = Some(out.headings.len() - 1);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    CodeBlockKind::Indented => String::new(),
                };
                let start = line_of(range.start);
                let end = line_of(range.end.saturating_sub(1));
                for l in start..=end.min(covered.len() - 1) {
                    covered[l] = true;
                }
                // A fenced block's body starts on the line after the fence.
                let fenced = markdown
                    .get(range.start..)
                    .map(|s| s.trim_start())
                    .is_some_and(|s| s.starts_with("```") || s.starts_with("~~~"));
                let first = if fenced { start + 1 } else { start };
                in_code = Some((lang, first, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, first_line, body)) = in_code.take() {
                    out.fences.push(Fence {
                        lang,
                        body,
                        first_line,
                        heading,
                    });
                }
            }
            Event::Start(Tag::HtmlBlock) | Event::Start(Tag::MetadataBlock(_)) => {
                let end = line_of(range.end.saturating_sub(1));
                for l in line_of(range.start)..=end.min(covered.len() - 1) {
                    covered[l] = true;
                }
            }
            Event::Start(Tag::Table(_)) => {
                table_lines.push((line_of(range.start), line_of(range.end.saturating_sub(1))));
            }
            Event::Text(t) => {
                if let Some((_, _, body)) = in_code.as_mut() {
                    body.push_str(&t);
                } else if let Some((_, _, h)) = in_heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Code(c) => {
                if let Some((_, _, h)) = in_heading.as_mut() {
                    h.push_str(&c);
                } else {
                    out.codes.push(Code {
                        text: c.to_string(),
                        line: line_of(range.start),
                        heading,
                    });
                }
            }
            _ => {}
        }
    }

    // Prose: every line outside blocks, with its heading by position.
    let mut h = 0usize;
    for (i, line) in markdown.lines().enumerate() {
        let n = i + 1;
        if covered.get(n).copied().unwrap_or(false) || line.trim().is_empty() {
            continue;
        }
        while h < out.headings.len() && out.headings[h].line <= n {
            h += 1;
        }
        let heading = h.checked_sub(1);
        if heading.is_some_and(|x| out.headings[x].line == n) {
            continue;
        }
        let raw = strip_markers(line);
        if raw.is_empty() {
            continue;
        }
        let region = table_lines.iter().find(|(a, b)| (*a..=*b).contains(&n));
        let table = region.is_some();
        let header = region
            .filter(|(a, _)| *a != n)
            .and_then(|(a, _)| markdown.lines().nth(a - 1))
            .map(|h| cells(&strip_markers(h).replace('`', "")));
        if table
            && raw
                .trim_matches(|c| c == '|' || c == '-' || c == ':' || c == ' ')
                .is_empty()
        {
            continue;
        }
        out.prose.push(Prose {
            text: raw.replace('`', ""),
            raw,
            line: n,
            heading,
            table,
            header,
        });
    }
    out
}

/// The cells of a table row, trimmed.
pub fn cells(row: &str) -> Vec<String> {
    let t = row.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    v
}

/// `> - [ ] **Label:** text` to `Label: text`.
fn strip_markers(line: &str) -> String {
    let mut t = line.trim();
    while let Some(r) = t.strip_prefix('>') {
        t = r.trim_start();
    }
    for bullet in ["- ", "* ", "+ "] {
        if let Some(r) = t.strip_prefix(bullet) {
            t = r.trim_start();
            break;
        }
    }
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    if digits > 0
        && let Some(r) = t[digits..]
            .strip_prefix(". ")
            .or_else(|| t[digits..].strip_prefix(") "))
    {
        t = r.trim_start();
    }
    for task in ["[ ] ", "[x] ", "[X] "] {
        if let Some(r) = t.strip_prefix(task) {
            t = r.trim_start();
        }
    }
    t.replace("**", "").replace("__", "").trim().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOC: &str = "# Title\n\nIntro `up == 0` here.\n\n## Monitoring queries\n\n- p95: `x`\n\n```promql\nsum(rate(a[5m]))\n```\n\n### Sub\n\nline\n\n## Other\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";

    #[test]
    fn positions_and_monitoring_headings() {
        let s = scan(DOC);
        assert_eq!(s.headings.len(), 4);
        assert!(!s.headings[0].monitoring);
        assert!(s.headings[1].monitoring);
        assert!(s.headings[2].monitoring, "inherits from its parent");
        assert!(!s.headings[3].monitoring);
        assert_eq!(s.fences[0].lang, "promql");
        assert_eq!(s.fences[0].first_line, 10);
        assert_eq!(s.fences[0].body, "sum(rate(a[5m]))\n");
        assert_eq!(s.codes[0].text, "up == 0");
        assert_eq!(s.codes[0].line, 3);
        assert_eq!(s.codes[1].line, 7);
        let lines: Vec<(usize, &str)> = s.prose.iter().map(|p| (p.line, p.text.as_str())).collect();
        assert_eq!(
            lines,
            [
                (3, "Intro up == 0 here."),
                (7, "p95: x"),
                (15, "line"),
                (19, "| a | b |"),
                (21, "| 1 | 2 |")
            ]
        );
        assert!(s.prose[4].table);
        assert_eq!(s.prose[3].header, None);
        assert_eq!(
            s.prose[4].header.as_deref(),
            Some(&["a".to_string(), "b".into()][..])
        );
        assert!(s.monitoring(s.prose[2].heading));
    }

    #[test]
    fn markers_are_stripped() {
        assert_eq!(strip_markers("> - [ ] **Label:** text"), "Label: text");
        assert_eq!(strip_markers("12. step"), "step");
    }
}
