//! The parser never panics, whatever the file holds.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sitrep::journal::parse;

/// Pieces of real lines, so the generator reaches deep into the parser.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("## INC-20261122-0412 · t".to_string()),
        Just("## [DRILL] INC-1".to_string()),
        Just("##".to_string()),
        Just("- opened at: 2026-11-22T04:12:03Z".to_string()),
        Just("- opened at: nope".to_string()),
        Just("- severity: SEV".to_string()),
        Just("- mode: DRILL x".to_string()),
        Just("- 2026-11-22T04:12:09Z · a · note · x".to_string()),
        Just("- 2026-11-22T04:12:09Z · a · command [ok] [DRILL] [@INC-1] · x".to_string()),
        Just("- 9".to_string()),
        Just("-".to_string()),
        Just(" · ".to_string()),
        Just("[@".to_string()),
        Just("\\".to_string()),
        Just("\r\n".to_string()),
        Just("\n".to_string()),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(parts in proptest::collection::vec(fragment(), 0..40)) {
        let text = parts.concat();
        let parsed = parse(&text);
        let lines = text.split('\n').count();
        for p in &parsed.problems {
            prop_assert!(p.line >= 1 && p.line <= lines);
        }
    }

    #[test]
    fn parse_never_panics_on_any_string(text in any::<String>()) {
        let _ = parse(&text);
    }
}
