//! Text that comes from outside: the one sanitiser ([`sanitize`]) and length caps ([`cap`]).

pub mod lines;
pub mod sanitize;

pub use lines::BoundedLines;
pub use sanitize::{Clean, Untrusted, is_bidi, sanitize, sanitize_line};

/// Longest HTTP error body kept, in bytes.
pub const MAX_ERROR_BODY: usize = 4 * 1024;
/// Longest alert annotation (summary, description, runbook URL) kept, in bytes.
pub const MAX_ANNOTATION: usize = 4 * 1024;
/// Longest label value kept, in bytes.
pub const MAX_LABEL: usize = 1024;
/// Longest log line kept, in bytes.
pub const MAX_LOG_LINE: usize = 16 * 1024;

/// `text` cut to at most `max` bytes (on a character boundary), with
/// "… (N bytes more)" saying how much was left off.
pub fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes more)", &text[..end], text.len() - end)
}

/// [`cap`] in place, without copying text that fits.
pub fn cap_in_place(text: &mut String, max: usize) {
    if text.len() > max {
        *text = cap(text, max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_say_how_much_was_left_off() {
        assert_eq!(cap("short", 10), "short");
        assert_eq!(cap("0123456789abc", 10), "0123456789… (3 bytes more)");
        // Never inside a character.
        assert_eq!(cap("ééé", 3), "é… (4 bytes more)");
        let mut s = "x".repeat(100);
        cap_in_place(&mut s, 4);
        assert_eq!(s, "xxxx… (96 bytes more)");
    }
}
