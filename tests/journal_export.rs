//! Exports of the fixtures in tests/fixtures/incidents/ against tests/golden/export/.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test --test journal_export`, then read the diff.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;
use sitrep::journal::cli::{ExportArgs, NoteArgs, run_export, run_note};
use sitrep::journal::{ExportOptions, Format, Kind, Series, export, parse};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    fs::read_to_string(root().join("tests/fixtures/incidents").join(name)).unwrap()
}

fn check_golden(name: &str, got: &str) {
    let path = root().join("tests/golden/export").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, got).unwrap();
        return;
    }
    let want = fs::read_to_string(&path).unwrap_or_default();
    if want != got {
        let actual = path.with_extension(format!(
            "{}.actual",
            path.extension().unwrap().to_str().unwrap()
        ));
        fs::write(&actual, got).unwrap();
        panic!(
            "{} differs from the golden; see {}",
            path.display(),
            actual.display()
        );
    }
}

fn formats() -> [(Format, &'static str); 3] {
    [
        (Format::Md, "md"),
        (Format::Json, "json"),
        (Format::Html, "html"),
    ]
}

#[test]
fn live_resolved_incident_with_every_kind() {
    let parsed = parse(&fixture("live-resolved.md"));
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let inc = &parsed.incidents[0];
    for kind in Kind::ALL.iter().filter(|k| **k != Kind::Drill) {
        assert!(
            inc.entries.iter().any(|e| e.kind == *kind),
            "fixture lacks {kind}"
        );
    }
    let series: Vec<Series> = serde_json::from_str(&fixture("live-resolved.series.json")).unwrap();
    for (format, ext) in formats() {
        check_golden(
            &format!("live-resolved.{ext}"),
            &export(inc, format, &series, &ExportOptions::default()),
        );
    }
}

#[test]
fn hand_edited_file_still_exports_and_reports_the_mangled_line() {
    let text = fixture("hand-edited.md");
    assert!(text.contains("\r\n"));
    let parsed = parse(&text);
    let problems: Vec<(usize, &str)> = parsed
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![(
            13,
            "cannot read entry: bad timestamp `2026-11-22T09:3X:00Z`"
        )]
    );
    let inc = parsed.incident("INC-20261122-0930").unwrap();
    assert_eq!(inc.title(), "Search latency · EU");
    assert_eq!(inc.entries.len(), 7);
    assert_eq!(
        inc.entries.last().unwrap().text,
        "late note for search, written after the next incident began"
    );
    assert_eq!(
        parsed.incident("INC-20261122-1000").unwrap().entries.len(),
        1
    );
    for (format, ext) in formats() {
        check_golden(
            &format!("hand-edited.{ext}"),
            &export(inc, format, &[], &ExportOptions::default()),
        );
    }
}

#[test]
fn drill_says_drill_everywhere() {
    let parsed = parse(&fixture("drill.md"));
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let inc = &parsed.incidents[0];
    assert!(inc.header.drill);
    for (format, ext) in formats() {
        let out = export(inc, format, &[], &ExportOptions::default());
        assert!(out.contains("DRILL"), "{ext} export does not say DRILL");
        check_golden(&format!("drill.{ext}"), &out);
    }
}

#[derive(Parser)]
struct ExportCli {
    #[command(flatten)]
    args: ExportArgs,
}

#[derive(Parser)]
struct NoteCli {
    #[command(flatten)]
    args: NoteArgs,
}

#[test]
fn cli_export_writes_the_same_as_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pm.html");
    let fixtures = root().join("tests/fixtures/incidents");
    let cli = ExportCli::try_parse_from([
        "export".as_ref(),
        "--incidents".as_ref(),
        fixtures.join("live-resolved.md").as_os_str(),
        "--series".as_ref(),
        fixtures.join("live-resolved.series.json").as_os_str(),
        "--format".as_ref(),
        "html".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ])
    .unwrap();
    run_export(&cli.args).unwrap();
    let parsed = parse(&fixture("live-resolved.md"));
    let series: Vec<Series> = serde_json::from_str(&fixture("live-resolved.series.json")).unwrap();
    let want = export(
        &parsed.incidents[0],
        Format::Html,
        &series,
        &ExportOptions::default(),
    );
    assert_eq!(fs::read_to_string(&out).unwrap(), want);

    let cli = ExportCli::try_parse_from([
        "export".as_ref(),
        "--incidents".as_ref(),
        fixtures.join("hand-edited.md").as_os_str(),
        "--id".as_ref(),
        "INC-404".as_ref(),
    ])
    .unwrap();
    let err = run_export(&cli.args).unwrap_err().to_string();
    assert!(
        err.ends_with("no incident INC-404; the file has: INC-20261122-0930, INC-20261122-1000"),
        "{err}"
    );
    assert!(ExportCli::try_parse_from(["export", "--id", "X", "--last"]).is_err());
}

#[test]
fn cli_note_appends_to_the_open_incident_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("INCIDENTS.md");
    let note = |extra: &[&str]| {
        let mut argv = vec!["note", "--incidents", path.to_str().unwrap()];
        argv.extend_from_slice(extra);
        run_note(&NoteCli::try_parse_from(argv).unwrap().args)
    };
    let missing = note(&["hello"]).unwrap_err().to_string();
    assert!(missing.contains("no such file"), "{missing}");
    assert!(!Path::new(&path).exists(), "note must not create the file");

    fs::write(&path, "# nothing yet\n").unwrap();
    assert!(
        note(&["hello"])
            .unwrap_err()
            .to_string()
            .ends_with("no incidents in this file")
    );

    fs::copy(
        root().join("tests/fixtures/incidents/hand-edited.md"),
        &path,
    )
    .unwrap();
    note(&["deploy", "43", "started"]).unwrap();
    note(&["--id", "INC-20261122-0930", "search", "is", "fine"]).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let parsed = parse(&text);
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!(
        parsed
            .incident("INC-20261122-1000")
            .unwrap()
            .entries
            .last()
            .unwrap()
            .text,
        "deploy 43 started"
    );
    assert_eq!(
        parsed
            .incident("INC-20261122-0930")
            .unwrap()
            .entries
            .last()
            .unwrap()
            .text,
        "search is fine"
    );
    assert!(text.contains(" · note [@INC-20261122-0930] · search is fine\n"));
}
