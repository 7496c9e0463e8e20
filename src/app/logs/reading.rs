//! Reading one log line as it arrives: how serious it looks, whether it starts with a
//! timestamp that repeats the API's, and its text made safe for the terminal.

use jiff::Timestamp;

/// How serious a log line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// The length of a leading timestamp in `text` that says what `at` says (to the second, in
/// UTC unless it names its zone), with the separators after it; 0 when there is none or it
/// disagrees (a different clock is information, so it stays). Knows RFC 3339 and its
/// space-separated, comma-decimal and bracketed spellings, and a bare time of day.
pub fn leading_stamp(text: &str, at: Timestamp) -> usize {
    let b = text.as_bytes();
    let mut i = 0;
    let bracket = b.first() == Some(&b'[');
    if bracket {
        i = 1;
    }
    let digits = |from: usize, n: usize| -> Option<i64> {
        let s = text.get(from..from + n)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    // An optional date, YYYY-MM-DD, then `T` or a space.
    let mut date = None;
    if let (Some(y), Some(m), Some(d)) = (digits(i, 4), digits(i + 5, 2), digits(i + 8, 2))
        && b.get(i + 4) == Some(&b'-')
        && b.get(i + 7) == Some(&b'-')
        && matches!(b.get(i + 10), Some(b'T' | b' '))
    {
        date = Some((y, m, d));
        i += 11;
    }
    let (Some(hh), Some(mm), Some(ss)) = (digits(i, 2), digits(i + 3, 2), digits(i + 6, 2)) else {
        return 0;
    };
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') {
        return 0;
    }
    i += 8;
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    // The zone: Z, ±HH:MM or ±HHMM; none means UTC.
    let mut offset = 0i64;
    match b.get(i) {
        Some(b'Z') => i += 1,
        Some(sign @ (b'+' | b'-')) => {
            let sign = if *sign == b'-' { -1 } else { 1 };
            let colon = b.get(i + 3) == Some(&b':');
            let (Some(oh), Some(om)) = (digits(i + 1, 2), digits(i + if colon { 4 } else { 3 }, 2))
            else {
                return 0;
            };
            offset = sign * (oh * 3600 + om * 60);
            i += if colon { 6 } else { 5 };
        }
        _ => {}
    }
    if text.get(i..i + 4) == Some(" UTC") {
        i += 4;
    }
    if bracket {
        if b.get(i) != Some(&b']') {
            return 0;
        }
        i += 1;
    }
    // It must end there: `12:00:01x` is not a timestamp.
    if b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
        return 0;
    }
    let day_secs = hh * 3600 + mm * 60 + ss - offset;
    let matches = match date {
        Some((y, m, d)) => {
            let Ok(day) = jiff::civil::Date::new(y as i16, m as i8, d as i8) else {
                return 0;
            };
            let Ok(midnight) = day.to_zoned(jiff::tz::TimeZone::UTC) else {
                return 0;
            };
            let stamp = midnight.timestamp().as_second() + day_secs;
            (stamp - at.as_second()).abs() <= 1
        }
        None => {
            let of_day = at.as_second().rem_euclid(86_400);
            let diff = (day_secs - of_day).rem_euclid(86_400);
            diff <= 1 || diff >= 86_399
        }
    };
    if !matches {
        return 0;
    }
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Reads a line's level from the usual spellings.
pub fn level_of(text: &str) -> LogLevel {
    let head: String = text
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    if [
        "error",
        "fatal",
        "panic",
        "critical",
        "traceback",
        "exception",
    ]
    .iter()
    .any(|w| head.contains(w))
    {
        LogLevel::Error
    } else if head.contains("warn") {
        LogLevel::Warn
    } else if head.contains("debug") || head.contains("trace") {
        LogLevel::Debug
    } else {
        LogLevel::Info
    }
}

/// Makes outside text safe for the terminal: escape sequences are dropped, other control
/// characters become visible, tabs become spaces.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push_str("    "),
            '\u{1b}' => {
                match chars.peek() {
                    // CSI: parameters and intermediates up to a final byte in @..~.
                    Some('[') => {
                        chars.next();
                        for n in chars.by_ref() {
                            if ('@'..='~').contains(&n) {
                                break;
                            }
                        }
                    }
                    // OSC and other strings: up to BEL or ST.
                    Some(']' | 'P' | '_' | '^') => {
                        chars.next();
                        while let Some(n) = chars.next() {
                            if n == '\u{7}' {
                                break;
                            }
                            if n == '\u{1b}' && chars.peek() == Some(&'\\') {
                                chars.next();
                                break;
                            }
                        }
                    }
                    _ => out.push('␛'),
                }
            }
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_timestamp_that_repeats_the_api_one_is_hidden() {
        let at: Timestamp = "2026-11-22T18:57:02.512Z".parse().unwrap();
        let cases = [
            ("2026-11-22T18:57:02.512Z INFO ready", "INFO ready"),
            ("2026-11-22 18:57:02,511 WARN slow", "WARN slow"),
            ("[2026-11-22T18:57:02Z] ok", "ok"),
            ("2026-11-22T19:57:02+01:00 shifted", "shifted"),
            ("18:57:03 close enough", "close enough"),
            ("2026-11-22T18:57:02.512Z", ""),
        ];
        for (text, shown) in cases {
            let n = leading_stamp(text, at);
            assert_eq!(&text[n..], shown, "{text}");
        }
        // Another clock, or no timestamp at all, is kept.
        for text in [
            "2026-11-22T18:50:00Z from the past",
            "18:57:02x not a time",
            "step 18:57:02 later in the line",
            "2026-11-22T18:57:02+05:00 another zone",
        ] {
            assert_eq!(leading_stamp(text, at), 0, "{text}");
        }
    }

    #[test]
    fn escapes_are_neutralised() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(sanitize("a\u{1b}]0;title\u{7}b"), "ab");
        assert_eq!(sanitize("bell\u{7}\rx"), "bell\u{fffd}\u{fffd}x");
        assert_eq!(sanitize("lone\u{1b}x"), "lone␛x");
    }
}
