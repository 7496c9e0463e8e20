//! `--last` reads only the last incident, found from the end of the journal, and agrees
//! with a full parse, on a journal of 50,000 incidents too. How fast each parse is belongs
//! to `cargo bench --bench journal` (`parse_50k_incidents`, `parse_last_50k_incidents`):
//! a wall-clock bound here only measures how busy the machine is.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use std::process::Command;

#[path = "../benches/journal.rs"]
#[allow(dead_code)]
mod bench;

#[test]
fn the_tail_agrees_with_a_full_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/incidents");
    for f in std::fs::read_dir(dir).expect("fixtures") {
        let p = f.expect("entry").path();
        if p.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("fixture");
        let full = sitrep::journal::parse(&text);
        let tail = sitrep::journal::parse_last(&text);
        assert_eq!(
            tail.incidents.last(),
            full.incidents.last(),
            "{}",
            p.display()
        );
        assert_eq!(tail.incidents.len(), 1.min(full.incidents.len()));
    }
    let text = "## INC-1 · a\n- 2026-11-22T04:12:03Z · a · note · x\n## not an incident\n\n## INC-2 · b\n\n- 2026-11-22T05:00:00Z · a · note · y\n- 2026-11-22T05:00:01Z · a · note [@INC-1] · for the first\n- 2026-11-22T05:00:02Z · a · nope · bad\n";
    let tail = sitrep::journal::parse_last(text);
    assert_eq!(tail.incidents.len(), 1);
    assert_eq!(tail.incidents[0].header.id, "INC-2");
    assert_eq!(tail.incidents[0].entries.len(), 1);
    // Problems keep the line numbers of the whole file.
    let lines: Vec<usize> = tail.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [5, 9], "{:?}", tail.problems);
}

#[test]
fn note_and_export_last_on_50000_incidents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("INCIDENTS.md");
    let text = bench::big_journal(50_000);
    assert!(text.len() > 12_000_000, "{} bytes", text.len());
    std::fs::write(&journal, &text).expect("journal");

    let parsed = sitrep::journal::parse(&text);
    assert_eq!(parsed.incidents.len(), 50_000);
    let tail = sitrep::journal::parse_last(&text);
    assert_eq!(tail.incidents.len(), 1);
    assert_eq!(tail.incidents.last(), parsed.incidents.last());

    let sitrep = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .arg(args[0])
            .arg("--incidents")
            .arg(&journal)
            .args(&args[1..])
            .env("SITREP_ACTOR", "ci")
            .output()
            .expect("sitrep runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let md = sitrep(&["export", "--last", "--format", "json"]);
    assert!(md.contains("INC-20260004-9999"), "{md}");
    let said = sitrep(&["note", "--last", "checked"]);
    assert!(said.contains("INC-20260004-9999"), "{said}");
    let after = std::fs::read_to_string(&journal).expect("journal");
    assert!(
        after.ends_with("· ci · note · checked\n"),
        "{}",
        &after[after.len() - 200..]
    );
}
