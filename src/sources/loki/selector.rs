//! LogQL stream selectors (`{namespace="snapbuilder", app=~"serving|ingest"}`), parsed and
//! checked the way Loki checks them, and line filters (`|= "text"`, `!~ "regex"`) built from
//! the logs pane's `/` filter so Loki, not the cockpit, reads the hour of 400 pods.

use std::fmt;

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Re,
    NotRe,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Re => "=~",
            Op::NotRe => "!~",
        }
    }
}

/// One `label op "value"` of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub label: String,
    pub op: Op,
    pub value: String,
}

impl Matcher {
    /// Whether the matcher accepts a stream that lacks the label (an empty value).
    fn matches_empty(&self) -> bool {
        let re = || regex::Regex::new(&format!("^(?:{})$", self.value)).ok();
        match self.op {
            Op::Eq => self.value.is_empty(),
            Op::Ne => !self.value.is_empty(),
            Op::Re => re().is_none_or(|r| r.is_match("")),
            Op::NotRe => re().is_none_or(|r| !r.is_match("")),
        }
    }
}

/// A parsed stream selector: the braces and their matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub matchers: Vec<Matcher>,
}

impl fmt::Display for Selector {
    /// The canonical spelling: `{namespace="snapbuilder", app="serving"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}{}{}", m.label, m.op.as_str(), quote(&m.value))?;
        }
        f.write_str("}")
    }
}

/// A LogQL (Go) double-quoted string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where in the selector text a problem is, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// Byte offset in the selector text.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.at + 1)
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SelectorError> {
        Err(SelectorError {
            at: self.at,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += self.peek().map_or(1, char::len_utf8);
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.text[self.at..].starts_with(s) {
            self.at += s.len();
            true
        } else {
            false
        }
    }

    fn label(&mut self) -> Result<String, SelectorError> {
        let rest = &self.text[self.at..];
        let len = rest
            .char_indices()
            .find(|(i, c)| {
                !(c.is_ascii_alphabetic() || *c == '_' || (*i > 0 && c.is_ascii_digit()))
            })
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return self.err("expected a label name");
        }
        self.at += len;
        Ok(rest[..len].to_string())
    }

    fn op(&mut self) -> Result<Op, SelectorError> {
        for (s, op) in [
            ("=~", Op::Re),
            ("!~", Op::NotRe),
            ("!=", Op::Ne),
            ("=", Op::Eq),
        ] {
            if self.eat(s) {
                return Ok(op);
            }
        }
        self.err("expected =, !=, =~ or !~")
    }

    fn string(&mut self) -> Result<String, SelectorError> {
        if self.eat("`") {
            let rest = &self.text[self.at..];
            let Some(end) = rest.find('`') else {
                return self.err("unterminated `raw string`");
            };
            self.at += end + 1;
            return Ok(rest[..end].to_string());
        }
        if !self.eat("\"") {
            return self.err("expected a quoted value");
        }
        let mut out = String::new();
        let mut chars = self.text[self.at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, c @ ('"' | '\\' | '\''))) => out.push(c),
                    Some((j, c)) => {
                        self.at += j;
                        return self.err(format!("unknown escape `\\{c}`"));
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.at = self.text.len();
        self.err("unterminated string")
    }
}

impl Selector {
    /// Parses a stream selector and checks what Loki checks: at least one matcher that does
    /// not match an empty value, and regexes that compile.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut p = Parser { text, at: 0 };
        p.skip_ws();
        if !p.eat("{") {
            return p.err("a stream selector starts with `{`");
        }
        let mut matchers = Vec::new();
        loop {
            p.skip_ws();
            if p.eat("}") {
                break;
            }
            let start = p.at;
            let label = p.label()?;
            p.skip_ws();
            let op = p.op()?;
            p.skip_ws();
            let value = p.string()?;
            if matches!(op, Op::Re | Op::NotRe)
                && let Err(e) = regex::Regex::new(&value)
            {
                let first = e.to_string();
                let first = first.lines().last().unwrap_or_default().trim().to_string();
                return Err(SelectorError {
                    at: start,
                    message: format!("bad regex for `{label}`: {first}"),
                });
            }
            matchers.push(Matcher { label, op, value });
            p.skip_ws();
            if p.eat(",") {
                continue;
            }
            if p.eat("}") {
                break;
            }
            return p.err("expected `,` or `}`");
        }
        p.skip_ws();
        if p.at < text.len() {
            return p.err("a selector ends at its `}`; line filters are added by sitrep");
        }
        if matchers.iter().all(Matcher::matches_empty) {
            return Err(SelectorError {
                at: 0,
                message: "at least one matcher must not match an empty value \
                          (Loki refuses `{}` and selectors like `{app=~\".*\"}`)"
                    .into(),
            });
        }
        Ok(Selector { matchers })
    }

    /// The selector of a `template` with `{{namespace}}` and `{{workload}}` filled in.
    pub fn expand(
        template: &str,
        namespace: &str,
        workload: &str,
    ) -> Result<Selector, SelectorError> {
        // Values go inside quotes: escape them as LogQL strings, without the quotes.
        let esc = |s: &str| {
            let q = quote(s);
            q[1..q.len() - 1].to_string()
        };
        let text = template
            .replace("{{namespace}}", &esc(namespace))
            .replace("{{workload}}", &esc(workload));
        Selector::parse(&text)
    }
}

/// The LogQL line filter for the logs pane's `/` filter (`regex` or `!regex`): `|= "text"`
/// for a plain string, `|~ `re`` for a regex, `!=`/`!~` to exclude.
pub fn line_filter(filter: &str) -> Option<String> {
    let (exclude, pattern) = match filter.strip_prefix('!') {
        Some(p) => (true, p),
        None => (false, filter),
    };
    if pattern.is_empty() || regex::Regex::new(pattern).is_err() {
        return None;
    }
    let plain = !pattern.chars().any(|c| "\\.+*?()|[]{}^$".contains(c));
    Some(match (plain, exclude) {
        (true, false) => format!("|= {}", quote(pattern)),
        (true, true) => format!("!= {}", quote(pattern)),
        // A raw string keeps the regex as typed; a backtick in it needs the quoted form.
        (false, ex) => {
            let op = if ex { "!~" } else { "|~" };
            if pattern.contains('`') {
                format!("{op} {}", quote(pattern))
            } else {
                format!("{op} `{pattern}`")
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_print_canonically() {
        let s = Selector::parse(
            r#" { namespace = "snapbuilder",app=~`serving|ingest`, pod!~"x\"y" , } "#,
        )
        .unwrap();
        assert_eq!(s.matchers.len(), 3);
        assert_eq!(s.matchers[2].value, "x\"y");
        assert_eq!(
            s.to_string(),
            r#"{namespace="snapbuilder", app=~"serving|ingest", pod!~"x\"y"}"#
        );
        assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn bad_selectors_say_what_and_where() {
        let cases = [
            ("app=\"x\"", "starts with `{`", 0),
            ("{app=}", "expected a quoted value", 5),
            ("{app==\"x\"}", "expected a quoted value", 5),
            ("{1app=\"x\"}", "expected a label name", 1),
            ("{app=\"x\"", "expected `,` or `}`", 8),
            ("{app=\"x}", "unterminated string", 8),
            ("{app=~\"(\"}", "bad regex for `app`", 1),
            ("{}", "at least one matcher", 0),
            ("{app=~\".*\", pod!=\"x\"}", "at least one matcher", 0),
            (
                "{app=\"x\"} |= \"e\"",
                "line filters are added by sitrep",
                10,
            ),
        ];
        for (text, msg, at) in cases {
            let e = Selector::parse(text).unwrap_err();
            assert!(e.message.contains(msg), "{text}: {e}");
            assert_eq!(e.at, at, "{text}: {e}");
        }
        assert!(Selector::parse("{app!=\"\"}").is_ok(), "app must be set");
    }

    #[test]
    fn templates_fill_in_namespace_and_workload() {
        let s = Selector::expand(
            r#"{namespace="{{namespace}}", app="{{workload}}"}"#,
            "snapbuilder",
            "snap\"builder-serving",
        )
        .unwrap();
        assert_eq!(s.matchers[1].value, "snap\"builder-serving");
    }

    #[test]
    fn plain_strings_and_regexes_become_line_filters() {
        assert_eq!(line_filter("ERROR").unwrap(), "|= \"ERROR\"");
        assert_eq!(line_filter("!health check").unwrap(), "!= \"health check\"");
        assert_eq!(line_filter("seq=4[0-9]").unwrap(), "|~ `seq=4[0-9]`");
        assert_eq!(line_filter("!a`b|c").unwrap(), "!~ \"a`b|c\"");
        assert_eq!(line_filter("say \"hi\"").unwrap(), r#"|= "say \"hi\"""#);
        assert!(line_filter("(").is_none());
        assert!(line_filter("").is_none());
    }
}
