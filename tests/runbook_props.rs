//! No input makes the runbook reader or matcher panic.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use sitrep::runbook::{AlertRef, match_alert, parse, placeholders, render, shell_commands};

/// Pieces of Markdown that runbooks (and broken runbooks) are made of.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "# ",
        "## ",
        "###### ",
        "- ",
        "* ",
        "1. ",
        "- [ ] ",
        "- [x] ",
        "  ",
        "    ",
        "> ",
        "**",
        "*",
        "_",
        "`",
        "```",
        "```bash\n",
        "~~~",
        "\n",
        "\n\n",
        ":",
        "|",
        "| a | b |\n|---|---|\n",
        "---\n",
        "+++\n",
        "<details>",
        "</details>",
        "<!--",
        "-->",
        "<pod-name>",
        "[x]",
        "[link](other.md#a)",
        "\\\n",
        "# comment\n",
        "kubectl get pods",
        "$ ",
        "<<EOF\n",
        "EOF\n",
        "'",
        "\"",
        "Symptoms",
        "Diagnosis:",
        "High Latency",
        "é",
        "\u{FFFD}",
        "\t",
        "\r\n",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_do_not_panic(s in any::<String>()) {
        let rb = parse(&s);
        let _ = render::outline(&rb);
        let _ = render::json(&rb);
        let _ = placeholders(&s);
        let _ = shell_commands(&s);
        let alert = AlertRef { name: &s, summary: &s, runbook_url: Some(&s) };
        let _ = match_alert(&rb, &alert, &BTreeMap::new());
    }

    #[test]
    fn markdown_token_soup_does_not_panic(tokens in prop::collection::vec(token(), 0..200)) {
        let s: String = tokens.concat();
        let rb = parse(&s);
        for sec in &rb.sections {
            prop_assert!(sec.level >= 1);
            for st in sec.groups.iter().flat_map(|g| &g.steps) {
                for c in &st.commands {
                    for r in placeholders(c) {
                        prop_assert!(c.get(r).is_some());
                    }
                }
            }
        }
        let alert = AlertRef { name: "HighLatency", summary: "p95", runbook_url: Some("x.md#high-latency") };
        if let Some(m) = match_alert(&rb, &alert, &BTreeMap::new()) {
            prop_assert!(m.section < rb.sections.len());
        }
    }

    #[test]
    fn deep_nesting_does_not_panic(depth in 1usize..3000, kind in 0u8..4) {
        let s = match kind {
            0 => (0..depth).map(|i| format!("{}- item {i}\n", "  ".repeat(i))).collect::<String>(),
            1 => ">".repeat(depth) + " quoted\n",
            2 => "- ".repeat(depth) + "x\n",
            _ => "1. > ".repeat(depth) + "x\n",
        };
        let rb = parse(&s);
        let _ = render::json(&rb);
    }
}

#[test]
fn hostile_inputs_give_best_effort_results() {
    let rb = parse("---\ntitle: T\n---\n# A\n\n```bash\nkubectl get pods\n");
    assert_eq!(rb.title, "T");
    assert!(rb.warnings.iter().any(|w| w.contains("never closed")));
    assert_eq!(
        rb.sections[0].groups[0].steps[0].commands,
        ["kubectl get pods"]
    );

    let rb = parse("<div>\n\n## Inside html\n\n- step\n\n</div>\n");
    assert_eq!(rb.sections[0].title, "Inside html");

    // A 2 MB runbook in a debug build still parses quickly (the bench covers 10 MB).
    let section = "## Section\n\n### Symptoms\n\n- one\n- two `kubectl get pods`\n\n```bash\n# c\nls \\\n  -la\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n";
    let big = section.repeat(2_000_000 / section.len());
    let t = std::time::Instant::now();
    let rb = parse(&big);
    assert!(rb.sections.len() > 10_000);
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
}
