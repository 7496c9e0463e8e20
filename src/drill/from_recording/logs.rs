//! The log patterns of a recording: lines grouped by their shape (digits and hex ids
//! folded), counted per workload in the lead-up and during the incident, so a drill made
//! from it logs the same kinds of lines at the same rates.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::event::{LogLine, Observation};
use crate::recording::{Reader, Record, RecordingError};

/// Patterns a drill keeps per workload and phase: the commonest.
const KEPT: usize = 8;
/// Longest line kept as an example, in characters.
const LINE_CHARS: usize = 200;

/// One pattern: how often it came and its first line.
#[derive(Debug, Clone, Default)]
struct Pattern {
    count: u64,
    example: String,
}

/// Lines of one workload in one phase.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    by_shape: BTreeMap<String, Pattern>,
    /// Lines counted in all.
    pub lines: u64,
}

impl Patterns {
    fn add(&mut self, text: &str) {
        self.lines += 1;
        let p = self.by_shape.entry(shape(text)).or_default();
        if p.count == 0 {
            p.example = text.chars().take(LINE_CHARS).collect();
        }
        p.count += 1;
    }

    /// Whether a line of this shape came.
    pub fn has_shape_of(&self, text: &str) -> bool {
        self.by_shape.contains_key(&shape(text))
    }

    /// The commonest patterns' example lines, commonest first, as drill templates.
    pub fn templates(&self) -> Vec<String> {
        let mut all: Vec<&Pattern> = self.by_shape.values().collect();
        all.sort_by(|a, b| b.count.cmp(&a.count).then(a.example.cmp(&b.example)));
        all.into_iter()
            .take(KEPT)
            .map(|p| template(&p.example))
            .collect()
    }
}

/// The lines of a recording, by workload: before the fault, during it.
#[derive(Debug, Default)]
pub struct LogsSeen {
    pub before: BTreeMap<String, Patterns>,
    pub during: BTreeMap<String, Patterns>,
}

/// Reads the recording's log lines again and sorts them into the lead-up (before
/// `fault`) and the incident (`fault` to `fixed`), keeping only lines of shapes the
/// lead-up did not have for the incident.
pub fn read(
    reader: &mut Reader,
    pod_workload: &BTreeMap<String, String>,
    fault: Timestamp,
    fixed: Timestamp,
) -> Result<LogsSeen, RecordingError> {
    let mut seen = LogsSeen::default();
    let mut during: Vec<(String, String)> = Vec::new();
    let mut cursor = reader.cursor();
    while let Some(r) = reader.next(&mut cursor)? {
        let Record::Observed { obs, .. } = r else {
            continue;
        };
        let lines = match obs {
            Observation::Log(l) => vec![l],
            Observation::Logs(ls) => ls,
            _ => continue,
        };
        for LogLine { at, pod, text, .. } in lines {
            let workload = pod_workload
                .get(&pod)
                .cloned()
                .unwrap_or_else(|| pod.clone());
            if at < fault {
                seen.before.entry(workload).or_default().add(&text);
            } else if at <= fixed {
                // Kept aside until the whole lead-up is known; bounded by what a drill needs.
                if during.len() < 200_000 {
                    during.push((workload, text));
                }
            }
        }
    }
    for (workload, text) in during {
        let ordinary = seen
            .before
            .get(&workload)
            .is_some_and(|p| p.has_shape_of(&text));
        if !ordinary {
            seen.during.entry(workload).or_default().add(&text);
        }
    }
    Ok(seen)
}

/// A line's shape: runs of digits and long hex words folded to `#`.
fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(|c: char| !c.is_ascii_alphanumeric()) {
        let (body, sep) = match word.char_indices().last() {
            Some((i, c)) if !c.is_ascii_alphanumeric() => (&word[..i], &word[i..]),
            _ => (word, ""),
        };
        let hexy = body.len() >= 6 && body.chars().all(|c| c.is_ascii_hexdigit());
        if hexy {
            out.push('#');
        } else {
            let mut in_digits = false;
            for c in body.chars() {
                if c.is_ascii_digit() {
                    if !in_digits {
                        out.push('#');
                    }
                    in_digits = true;
                } else {
                    out.push(c);
                    in_digits = false;
                }
            }
        }
        out.push_str(sep);
    }
    out
}

/// An example line as a drill template: long hex ids become `{id}` so each line differs.
fn template(example: &str) -> String {
    let mut out = String::with_capacity(example.len());
    for word in example.split_inclusive(|c: char| !c.is_ascii_alphanumeric()) {
        let (body, sep) = match word.char_indices().last() {
            Some((i, c)) if !c.is_ascii_alphanumeric() => (&word[..i], &word[i..]),
            _ => (word, ""),
        };
        let hexy = body.len() >= 8
            && body.chars().all(|c| c.is_ascii_hexdigit())
            && body.chars().any(|c| c.is_ascii_digit());
        out.push_str(if hexy { "{id}" } else { body });
        out.push_str(sep);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_group_by_shape_and_ids_become_placeholders() {
        assert_eq!(
            shape("request done id=038e2144 latency=123ms"),
            shape("request done id=9f00aa11 latency=7ms")
        );
        assert_ne!(shape("request done"), shape("request failed"));
        let mut p = Patterns::default();
        for i in 0..5 {
            p.add(&format!("INFO ok id={:08x} took {i}ms", 0x1234_5678 + i));
        }
        p.add("ERROR boom");
        assert_eq!(p.lines, 6);
        let t = p.templates();
        assert_eq!(t[0], "INFO ok id={id} took 0ms");
        assert_eq!(t[1], "ERROR boom");
    }
}
