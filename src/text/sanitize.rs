//! The one sanitiser for text from outside sitrep (alert annotations, label values, log
//! lines, HTTP bodies, runbooks, what an operator typed): before such text reaches a
//! terminal (the screen, INCIDENTS.md read with `cat`, md/html exports, snapshots, runbook
//! outlines, error messages, clipboard writes), every control character, every escape
//! sequence, C1 control and bidi override is shown as a visible escape (`\x1b`,
//! `\u{202e}`) instead of being emitted raw.
//!
//! Text from outside is an [`Untrusted`] value; what may be written to a terminal is a
//! [`Clean`] one, and the only ways to a [`Clean`] are through this module. The writers in
//! [`crate::output`] accept only [`Clean`] text, so a new output cannot forget it.

use std::fmt;

/// Text that came from outside sitrep: not to be written anywhere a terminal may read it
/// until it is sanitised. Use [`Untrusted::raw`] for matching and logic only.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Untrusted(String);

impl Untrusted {
    /// Wraps outside text.
    pub fn new(text: impl Into<String>) -> Untrusted {
        Untrusted(text.into())
    }

    /// The text as it came, for comparisons and parsing; never for output.
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// The text made safe for a terminal (newlines and tabs kept).
    pub fn sanitize(&self) -> Clean {
        Clean(sanitize(&self.0))
    }
}

impl From<String> for Untrusted {
    fn from(s: String) -> Untrusted {
        Untrusted(s)
    }
}

impl From<&str> for Untrusted {
    fn from(s: &str) -> Untrusted {
        Untrusted(s.to_string())
    }
}

/// Text fit for a terminal: no raw control character other than newline and tab, no
/// escape sequence, no C1 control, no bidi override.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Clean(String);

impl Clean {
    /// Sanitises any text (see [`sanitize`]).
    pub fn of(text: &str) -> Clean {
        Clean(sanitize(text))
    }

    /// JSON from `serde_json`: controls inside its strings are already `\u001b` escapes, so
    /// only the characters JSON allows raw but terminals obey (bidi overrides, C1) are
    /// turned into `\uXXXX` escapes, which keep the JSON valid and its value unchanged.
    pub fn json(json: String) -> Clean {
        if !json.chars().any(needs_escape) {
            return Clean(json);
        }
        let mut out = String::with_capacity(json.len() + 16);
        for c in json.chars() {
            if needs_escape(c) && c != '\n' && c != '\t' {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            } else {
                out.push(c);
            }
        }
        Clean(out)
    }

    /// The clean text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The clean text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bidirectional formatting characters that reorder what a reader sees (Trojan Source):
/// the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks
/// U+200E, U+200F and U+061C.
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// A character that must not reach a terminal raw: C0 controls, DEL, C1 controls, bidi.
fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi(c)
}

/// Text safe for a terminal; newlines and tabs are kept (the text may be multi-line).
pub fn sanitize(text: &str) -> String {
    Sanitizer::run(text, true)
}

/// Text safe for a terminal on one line: newlines and tabs are escaped too.
pub fn sanitize_line(text: &str) -> String {
    Sanitizer::run(text, false)
}

/// Whether `text` would pass [`sanitize`] unchanged.
pub fn is_clean(text: &str) -> bool {
    !text
        .chars()
        .any(|c| needs_escape(c) && c != '\n' && c != '\t')
}

/// What the escape parser saw for the character just fed.
#[derive(Default)]
struct Seen {
    /// A printable character in the ground state.
    printed: bool,
    /// A C0 or C1 control executed in the ground state.
    executed: bool,
    /// Any sequence ended, began a string (DCS) or carried a byte of one.
    sequence: bool,
}

impl vte::Perform for Seen {
    fn print(&mut self, _c: char) {
        self.printed = true;
    }
    fn execute(&mut self, _byte: u8) {
        self.executed = true;
    }
    fn hook(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
        self.sequence = true;
    }
    fn put(&mut self, _byte: u8) {
        self.sequence = true;
    }
    fn unhook(&mut self) {
        self.sequence = true;
    }
    fn osc_dispatch(&mut self, _: &[&[u8]], _: bool) {
        self.sequence = true;
    }
    fn csi_dispatch(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
        self.sequence = true;
    }
    fn esc_dispatch(&mut self, _: &[u8], _: bool, _: u8) {
        self.sequence = true;
    }
}

/// Feeds the text through a terminal's escape parser (`vte`, the state machine terminals
/// implement) one character at a time, so each escape sequence of every class (ESC, CSI,
/// OSC, DCS, SOS/PM/APC) is recognised whole and written out as visible escapes, and a
/// sequence left open at the end of the text cannot swallow what follows it.
struct Sanitizer {
    parser: vte::Parser,
    /// Characters of the sequence being read.
    pending: String,
    out: String,
    keep_newlines: bool,
}

impl Sanitizer {
    fn run(text: &str, keep_newlines: bool) -> String {
        // Most text is clean: no parser, no copy beyond the one returned.
        if is_clean(text) && (keep_newlines || !text.contains(['\n', '\t'])) {
            return text.to_string();
        }
        let mut s = Sanitizer {
            parser: vte::Parser::new(),
            pending: String::new(),
            out: String::with_capacity(text.len() + 16),
            keep_newlines,
        };
        let mut buf = [0u8; 4];
        for c in text.chars() {
            let mut seen = Seen::default();
            s.parser
                .advance(&mut seen, c.encode_utf8(&mut buf).as_bytes());
            s.pending.push(c);
            if seen.printed || seen.executed || seen.sequence {
                let alone = s.pending.chars().count() == 1 && !seen.sequence;
                s.flush(alone);
            }
        }
        s.flush(false);
        s.out
    }

    /// Writes what was held back: a lone character as itself (escaped if it is a control
    /// or bidi), a sequence with every control in it escaped.
    fn flush(&mut self, alone: bool) {
        let pending = std::mem::take(&mut self.pending);
        for c in pending.chars() {
            let keep = alone && self.keep_newlines && (c == '\n' || c == '\t');
            if keep || !needs_escape(c) {
                self.out.push(c);
            } else {
                push_escape(&mut self.out, c);
            }
        }
    }
}

/// `\x1b` for C0 controls and DEL, `\u{9b}` for C1 controls and other characters.
fn push_escape(out: &mut String, c: char) {
    let n = c as u32;
    if n < 0x80 {
        out.push_str(&format!("\\x{n:02x}"));
    } else {
        out.push_str(&format!("\\u{{{n:x}}}"));
    }
}

/// Where a raw escape of any kind survives in `text`: `Some(description)` of the first,
/// as a terminal's parser would read it. For tests and the fuzz targets.
pub fn first_raw_escape(text: &str) -> Option<String> {
    #[derive(Default)]
    struct Finder(Option<String>);
    impl vte::Perform for Finder {
        fn execute(&mut self, byte: u8) {
            if byte != b'\n' && byte != b'\t' && self.0.is_none() {
                self.0 = Some(format!("control byte {byte:#04x}"));
            }
        }
        fn hook(&mut self, _: &vte::Params, _: &[u8], _: bool, a: char) {
            self.0.get_or_insert(format!("DCS {a}"));
        }
        fn osc_dispatch(&mut self, _: &[&[u8]], _: bool) {
            self.0.get_or_insert("OSC".into());
        }
        fn csi_dispatch(&mut self, _: &vte::Params, _: &[u8], _: bool, a: char) {
            self.0.get_or_insert(format!("CSI {a}"));
        }
        fn esc_dispatch(&mut self, _: &[u8], _: bool, b: u8) {
            self.0.get_or_insert(format!("ESC {}", b as char));
        }
    }
    if let Some(c) = text.chars().find(|c| is_bidi(*c)) {
        return Some(format!("bidi control U+{:04X}", c as u32));
    }
    if let Some(c) = text.chars().find(|c| ('\u{80}'..='\u{9f}').contains(c)) {
        return Some(format!("C1 control U+{:04X}", c as u32));
    }
    if text.contains('\u{1b}') {
        return Some("ESC".into());
    }
    let mut f = Finder::default();
    vte::Parser::new().advance(&mut f, text.as_bytes());
    f.0
}

/// Strings a careless or hostile world sends: every escape class, C0, C1, bidi. The
/// hostile-output tests feed these to every output path.
pub const HOSTILE: &[&str] = &[
    "x\u{1b}]0;PWNED\u{7}",
    "\u{1b}[2J\u{1b}[31mred\u{1b}[0m",
    "\u{1b}P1;2|secret\u{1b}\\",
    "\u{1b}]52;c;cm0gLXJmIC8K\u{7}",
    "\u{1b}_apc\u{1b}\\ and \u{1b}^pm\u{1b}\\",
    "bell\u{7} back\u{8}space cr\rline",
    "c1 \u{9b}31m csi and \u{9d}0;t\u{9c}",
    "admin\u{202e}gnp.exe\u{202c} \u{2066}iso\u{2069}",
    "\u{1b}[",
    "\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        for s in [
            "",
            "hello",
            "p95 > 350 ms · ok",
            "日本語 ✓",
            "two\nlines\tand tab",
        ] {
            assert_eq!(sanitize(s), s);
        }
        assert_eq!(sanitize_line("a\nb\tc"), "a\\x0ab\\x09c");
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(sanitize("x\u{1b}]0;PWNED\u{7}"), "x\\x1b]0;PWNED\\x07");
        assert_eq!(sanitize("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(sanitize("a\u{9b}b"), "a\\u{9b}b");
        assert_eq!(sanitize("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(sanitize("cr\rx"), "cr\\x0dx");
        // An open sequence at the end cannot eat what follows, nor a newline inside it.
        assert_eq!(sanitize("\u{1b}]0;ti\ntle"), "\\x1b]0;ti\\x0atle");
    }

    #[test]
    fn no_hostile_string_survives() {
        for s in HOSTILE {
            assert!(first_raw_escape(s).is_some(), "the oracle sees {s:?}");
            let clean = sanitize(s);
            assert_eq!(first_raw_escape(&clean), None, "{s:?} -> {clean:?}");
            assert_eq!(first_raw_escape(&sanitize_line(s)), None);
        }
    }

    #[test]
    fn json_stays_json() {
        let v = serde_json::json!({"s": "a\u{202e}b\u{1b}c\u{85}"});
        let clean = Clean::json(serde_json::to_string(&v).unwrap());
        assert_eq!(first_raw_escape(clean.as_str()), None, "{clean}");
        let back: serde_json::Value = serde_json::from_str(clean.as_str()).unwrap();
        assert_eq!(back, v);
    }

    proptest::proptest! {
        #[test]
        fn anything_comes_out_clean(s in "\\PC*|[\\x00-\\x20\\x7f-\\u{a0}\\u{202a}-\\u{202e}a\\[\\];P\\\\]*") {
            let clean = sanitize(&s);
            proptest::prop_assert_eq!(first_raw_escape(&clean), None);
            proptest::prop_assert!(is_clean(&clean));
        }
    }
}
