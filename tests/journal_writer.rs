//! Writing INCIDENTS.md and reading it back: round trips, torn lines, concurrent writers.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::Write;
use std::path::Path;

use jiff::Timestamp;
use proptest::prelude::*;
use sitrep::journal::{Entry, Header, Journal, Kind, Outcome, parse};

fn header(id: &str, drill: bool) -> Header {
    Header {
        id: id.into(),
        title: "Checkout returns 5xx".into(),
        opened_at: "2026-11-22T04:12:03Z".parse().unwrap(),
        mode: if drill {
            "DRILL checkout-5xx".into()
        } else {
            "LIVE prod/checkout".into()
        },
        drill,
        severity: 2,
        opened_by: "alice".into(),
    }
}

fn at(sec: i64) -> Timestamp {
    Timestamp::from_second(1_795_000_000 + sec).unwrap()
}

fn begun(dir: &Path) -> Journal {
    let mut j = Journal::open(&dir.join("INCIDENTS.md")).unwrap();
    j.begin(&header("INC-1", false)).unwrap();
    j
}

fn arb_entry() -> impl Strategy<Value = Entry> {
    let kind = proptest::sample::select(Kind::ALL.to_vec());
    let outcome = proptest::option::of(proptest::sample::select(Outcome::ALL.to_vec()));
    let text = prop_oneof![
        any::<String>(),
        "[a-z ·\\\\\n\r\t€漢🚨-]{0,40}",
        Just("a · b · c".to_string()),
        Just("\\n is not a newline\\".to_string()),
    ];
    let actor = "[a-zA-Z][a-zA-Z0-9._é-]{0,12}";
    (0i64..10_000_000, actor, kind, text, outcome).prop_map(|(sec, actor, kind, text, outcome)| {
        Entry {
            at: at(sec),
            actor,
            kind,
            text,
            outcome,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_kind_round_trips(entries in proptest::collection::vec(arb_entry(), 1..20), drill in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("INCIDENTS.md");
        let mut j = Journal::open(&path).unwrap();
        j.begin(&header("INC-1", drill)).unwrap();
        for e in &entries {
            j.append("INC-1", e).unwrap();
        }
        let parsed = parse(&fs::read_to_string(&path).unwrap());
        prop_assert_eq!(&parsed.problems, &vec![]);
        let got = &parsed.incidents[0].entries;
        let skip = if drill { 2 } else { 1 };
        prop_assert_eq!(&got[skip..], &entries[..]);
        prop_assert_eq!(parsed.incidents[0].header.drill, drill);
        // The journal's own view agrees with a fresh read.
        prop_assert_eq!(&j.incidents()[0].entries, got);
    }
}

#[test]
fn every_kind_with_every_outcome_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = begun(dir.path());
    let mut written = Vec::new();
    for (i, kind) in Kind::ALL.iter().enumerate() {
        for outcome in [
            None,
            Some(Outcome::Ok),
            Some(Outcome::Refused),
            Some(Outcome::Failed),
            Some(Outcome::DryRun),
        ] {
            let e = Entry {
                at: at(i as i64),
                actor: "bo".into(),
                kind: *kind,
                text: format!("{kind} x\\y\nz · w"),
                outcome,
            };
            j.append("INC-1", &e).unwrap();
            written.push(e);
        }
    }
    let parsed = parse(&fs::read_to_string(j.path()).unwrap());
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.incidents[0].entries[1..], written[..]);
}

#[test]
fn a_torn_last_line_is_one_problem_and_the_next_append_starts_a_new_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = begun(dir.path());
    j.append("INC-1", &Entry::new(at(1), "al", Kind::Note, "before"))
        .unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(j.path())
        .unwrap()
        .write_all(b"- 2026-11-22T04:1")
        .unwrap();
    j.append("INC-1", &Entry::new(at(2), "al", Kind::Note, "after"))
        .unwrap();
    let text = fs::read_to_string(j.path()).unwrap();
    let (torn, last) = text
        .trim_end()
        .rsplit_once('\n')
        .unwrap()
        .0
        .rsplit_once('\n')
        .map(|(_, t)| (t, text.lines().last().unwrap()))
        .unwrap();
    assert_eq!(torn, "- 2026-11-22T04:1");
    assert!(last.ends_with(" · al · note · after"), "{text}");
    let parsed = parse(&text);
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!(parsed.problems[0].line, text.lines().count() - 1);
    let texts: Vec<&str> = parsed.incidents[0]
        .entries
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(texts, ["Checkout returns 5xx", "before", "after"]);
}

#[test]
fn other_text_is_kept_byte_for_byte_and_old_incidents_get_tagged_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("INCIDENTS.md");
    let prose = "# Our incidents\r\n\r\nHand-written notes, ünïcode, no final newline";
    fs::write(&path, prose).unwrap();
    let mut j = Journal::open(&path).unwrap();
    j.begin(&header("INC-1", false)).unwrap();
    j.begin(&header("INC-2", true)).unwrap();
    j.append("INC-1", &Entry::new(at(5), "bo", Kind::Note, "late"))
        .unwrap();
    j.append("INC-2", &Entry::new(at(6), "bo", Kind::Note, "drill note"))
        .unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(prose));
    assert!(text.contains("\n\n## INC-1 · "));
    assert!(text.contains("· note [@INC-1] · late\n"), "{text}");
    assert!(text.contains("· note [DRILL] · drill note\n"), "{text}");
    assert!(text.contains("## [DRILL] INC-2 · "));
    let parsed = parse(&text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.incidents[0].entries.last().unwrap().text, "late");
    assert_eq!(
        parsed.incidents[1].entries.last().unwrap().text,
        "drill note"
    );
    assert!(
        parsed.incidents[1]
            .entries
            .iter()
            .all(|e| e.kind != Kind::Note || e.text != "late")
    );
    assert_eq!(j.open_incident().unwrap().header.id, "INC-2");
    assert!(
        j.begin(&header("INC-1", false))
            .unwrap_err()
            .to_string()
            .contains("already exists")
    );
    let err = j
        .append("INC-9", &Entry::new(at(7), "bo", Kind::Note, "x"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no incident INC-9 (incidents in the file: INC-1, INC-2)"),
        "{err}"
    );
}

#[test]
fn two_writers_lose_nothing_and_tear_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("INCIDENTS.md");
    Journal::open(&path)
        .unwrap()
        .begin(&header("INC-1", false))
        .unwrap();
    let writers: Vec<_> = ["A", "B"]
        .into_iter()
        .map(|name| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut j = Journal::open(&path).unwrap();
                for i in 0..500 {
                    let text = format!("{name}-{i}\nsecond line · {}", "x".repeat(i % 300));
                    j.append("INC-1", &Entry::new(at(i as i64), name, Kind::Note, text))
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let parsed = parse(&fs::read_to_string(&path).unwrap());
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let entries = &parsed.incidents[0].entries;
    assert_eq!(entries.len(), 1001);
    for name in ["A", "B"] {
        let mine: Vec<String> = entries
            .iter()
            .filter(|e| e.actor == name)
            .map(|e| e.text.lines().next().unwrap().to_string())
            .collect();
        let want: Vec<String> = (0..500).map(|i| format!("{name}-{i}")).collect();
        assert_eq!(mine, want, "writer {name} lost or reordered entries");
    }
}
