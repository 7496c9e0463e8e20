//! SIGKILL a writer again and again: nothing it reported as written is ever lost.
//!
//! The child is this same test binary, re-executed to run only `crash_writer_child`, which
//! does nothing unless `SITREP_CRASH_CHILD` names the journal to write.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::Timestamp;
use sitrep::journal::{Entry, Header, Journal, Kind, parse};

const CHILD_ENV: &str = "SITREP_CRASH_CHILD";

#[test]
fn crash_writer_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let round = std::env::var("SITREP_CRASH_ROUND").unwrap();
    let mut j = Journal::open(path.as_ref()).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let text = format!("r{round}-{i}\nwith a second line and a \\ backslash");
        j.append(
            "INC-1",
            &Entry::new(Timestamp::now(), "child", Kind::Note, text),
        )
        .unwrap();
        // Only after append returned (fsynced) does the parent count it as written.
        writeln!(out, "written r{round}-{i}").unwrap();
        out.flush().unwrap();
    }
}

#[cfg(unix)]
#[test]
fn sigkill_never_loses_a_reported_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("INCIDENTS.md");
    let header = Header {
        id: "INC-1".into(),
        title: "crash".into(),
        opened_at: Timestamp::now(),
        mode: "LIVE test/crash".into(),
        drill: false,
        severity: 3,
        opened_by: "test".into(),
    };
    Journal::open(&path).unwrap().begin(&header).unwrap();
    let mut reported = BTreeSet::new();
    let mut known_problems = BTreeSet::new();
    for round in 0..15 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_writer_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .env("SITREP_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("written ").map(str::to_string))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(40 + 17 * (round % 7)));
        child.kill().unwrap(); // SIGKILL on unix
        child.wait().unwrap();
        reported.extend(reader.join().unwrap());

        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = parse(&text);
        let new: Vec<_> = parsed
            .problems
            .iter()
            .filter(|p| !known_problems.contains(&p.line))
            .collect();
        assert!(
            new.len() <= 1,
            "round {round}: more than one new problem: {new:?}"
        );
        if let Some(p) = new.first() {
            // Only the torn last line may be unreadable.
            assert_eq!(
                p.line,
                text.trim_end_matches('\n').split('\n').count(),
                "{p:?}"
            );
        }
        known_problems.extend(parsed.problems.iter().map(|p| p.line));
        let have: BTreeSet<String> = parsed.incidents[0]
            .entries
            .iter()
            .filter_map(|e| e.text.lines().next().map(str::to_string))
            .collect();
        let lost: Vec<_> = reported.difference(&have).collect();
        assert!(lost.is_empty(), "round {round}: lost {lost:?}");
    }
    assert!(
        reported.len() > 15,
        "the child barely wrote: {}",
        reported.len()
    );

    // The next append after all those kills still loses nothing.
    let mut j = Journal::open(&path).unwrap();
    j.append(
        "INC-1",
        &Entry::new(Timestamp::now(), "test", Kind::Note, "after"),
    )
    .unwrap();
    let parsed = parse(&std::fs::read_to_string(&path).unwrap());
    let entries = &parsed.incidents[0].entries;
    assert_eq!(entries.last().unwrap().text, "after");
    let have: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| e.text.lines().next().map(str::to_string))
        .collect();
    assert!(reported.is_subset(&have));
    assert!(parsed.problems.len() <= known_problems.len());
}
