//! `sitrep replay` in a real terminal: a recording plays through the cockpit, the transport
//! keys move it, the original responder shows as ghosts, the trainee's own actions go to the
//! sandbox and a drill journal marked [DRILL], and nothing reaches a cluster or Prometheus
//! even with KUBECONFIG and a Prometheus URL pointing at servers that count every request.
#![allow(clippy::unwrap_used)]

mod fake_prom;
mod kube_server;
mod support;

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use sitrep::drill::{Scenario, World};
use sitrep::event::Observation;
use sitrep::journal::{Entry, Kind, Outcome, format_entry_line};
use sitrep::recording::format::{FORMAT_VERSION, FileHeader, IncidentInfo};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::redact::Redactor;
use sitrep::recording::{Record, Writer, WriterOptions};
use support::Tmux;

const LONG: Duration = Duration::from_secs(60);

/// Five recorded minutes of the bundled drill, with the original responder (bob) rolling
/// back at 2m10s.
fn record(path: &Path) -> Timestamp {
    let start = Timestamp::now() - jiff::SignedDuration::from_hours(3);
    let start = Timestamp::from_second(start.as_second()).unwrap();
    let header = FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "test".into(),
        created_at: start,
        incident: Some(IncidentInfo {
            id: "INC-20261123-1444".into(),
            title: "HighErrorRate on snapbuilder-serving".into(),
            opened_at: start,
        }),
        mode: "LIVE prod/snapbuilder".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 0,
    };
    let mut w = Writer::create(
        path,
        &header,
        StateFold::new(),
        Redactor::default(),
        WriterOptions::default(),
    )
    .unwrap();
    let (scenario, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
    let mut world = World::new(scenario, start);
    let mut put = |r: Record| {
        w.append(&r).unwrap();
    };
    for obs in world.initial() {
        put(Record::Observed { at: start, obs });
    }
    for i in 1..=300 {
        let obs: Vec<Observation> = world.step();
        let now = world.now();
        for o in obs {
            put(Record::Observed { at: now, obs: o });
        }
        if i == 130 {
            let e = Entry::new(
                now,
                "bob",
                Kind::Rollback,
                "deployment/snapbuilder-serving from 3 to 2",
            )
            .with_outcome(Outcome::Ok);
            put(Record::Journal {
                at: now,
                line: format_entry_line(&e, false, None),
            });
        }
        put(Record::Tick { at: now });
    }
    w.finish().unwrap();
    start
}

#[test]
fn a_replay_plays_moves_and_never_reaches_a_cluster() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kube = rt.block_on(kube_server::KubeServer::start());
    let prom = fake_prom::FakeProm::start(&rt, "replay-token");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = kube.kubeconfig(dir.path(), "admin");
    let file = dir.path().join("INC-20261123-1444.sitrec");
    let start = record(&file);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[prometheus]\nurl = \"{}\"\n\n[alertmanager]\nurl = \"{}\"\n",
            prom.url, prom.url
        ),
    )
    .unwrap();
    let t = Tmux::start_with(
        &[
            "--config",
            config.to_str().unwrap(),
            "--prometheus",
            &prom.url,
            "replay",
            file.to_str().unwrap(),
            "--speed",
            "10",
        ],
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
        200,
        60,
    );
    t.wait_for("REPLAY INC-20261123-1444.sitrec ×10", LONG);
    t.wait_for("▶ playing", LONG);
    t.wait_until(
        |s| {
            s.lines()
                .any(|l| l.contains("firing") && l.contains("HighErrorRate"))
        },
        "HighErrorRate firing in the replay",
        LONG,
    );
    // Pause, then step back a minute: the transport line shows the original clock.
    t.keys(&["P"]);
    let paused = t.wait_for("⏸ paused", LONG);
    let clock = |s: &str| {
        s.lines()
            .find_map(|l| l.split("original ").nth(1).map(|r| r[..19].to_string()))
            .unwrap()
    };
    let before: Timestamp = format!("{}Z", clock(&paused).replace(' ', "T"))
        .parse()
        .unwrap();
    assert!(before > start);
    t.keys(&["N"]);
    let ghost = t.wait_for("◌bob", LONG);
    assert!(ghost.contains("rollback"), "{ghost}");
    let at_action: Timestamp = format!("{}Z", clock(&ghost).replace(' ', "T"))
        .parse()
        .unwrap();
    assert_eq!(
        at_action,
        start + jiff::SignedDuration::from_secs(130),
        "{ghost}"
    );
    t.keys(&["<"]);
    t.wait_until(
        |s| {
            s.contains(&format!(
                "original {}",
                (at_action - jiff::SignedDuration::from_secs(60)).strftime("%Y-%m-%d %H:%M:%S")
            ))
        },
        "a minute back",
        LONG,
    );
    // The ghost of an action after the position is gone again.
    let back = t.screen();
    assert!(!back.contains("◌bob"), "{back}");

    // The trainee acts: a note and a rollback, both to the sandbox and the drill journal.
    t.keys(&[":"]);
    t.text("note trainee suspects the new revision");
    t.keys(&["Enter"]);
    t.keys(&[":"]);
    t.text("rollback snapbuilder-serving");
    t.keys(&["Enter"]);
    t.wait_for("Roll back deployment", LONG);
    // At SEV2 the trainee types the name, exactly as an operator would live.
    t.wait_for("Type snapbuilder-serving and press enter", LONG);
    t.text("snapbuilder-serving");
    t.keys(&["Enter"]);
    let drill_journal = t.path().join("data").join("drills").join("INCIDENTS.md");
    t.wait_until(
        |_| {
            std::fs::read_to_string(&drill_journal).is_ok_and(|s| {
                s.contains("command [dry-run] [DRILL] · rollback snapbuilder-serving")
            })
        },
        "the trainee's rollback in the drill journal",
        LONG,
    );
    t.keys(&["q"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["y"]);
    // The replay's scorecard comes first, beside the original responder's path.
    let card = t.wait_for("scorecard · replay-INC-20261123-1444", LONG);
    assert!(card.contains("original responder"), "{card}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0", LONG);
    let cards: Vec<_> = std::fs::read_dir(t.path().join("data/scorecards"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cards.len(), 2, "md and json: {cards:?}");
    let md = cards
        .iter()
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    assert!(
        md.contains("## Side by side with the original responder"),
        "{md}"
    );
    assert!(md.contains("`rollback snapbuilder-serving`"), "{md}");

    let text = std::fs::read_to_string(&drill_journal).unwrap();
    assert!(text.contains("## [DRILL] INC-"), "{text}");
    assert!(
        text.contains("note [DRILL] · trainee suspects the new revision"),
        "{text}"
    );
    assert!(
        text.contains("mode: REPLAY INC-20261123-1444.sitrec"),
        "{text}"
    );
    for line in text.lines().filter(|l| l.starts_with("- 2")) {
        assert!(line.contains("[DRILL]"), "unmarked: {line}");
    }
    assert!(
        !t.path().join("INCIDENTS.md").exists(),
        "the real journal is never touched"
    );
    assert!(
        kube.requests().is_empty(),
        "kube API asked: {:?}",
        kube.requests()
    );
    assert!(
        prom.requests().is_empty(),
        "Prometheus asked: {:?}",
        prom.requests()
    );
}

#[test]
fn replay_list_names_incident_start_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    std::fs::create_dir_all(&recordings).unwrap();
    let start = record(&recordings.join("INC-20261123-1444.sitrec"));
    std::fs::write(recordings.join("junk.sitrec"), b"hello").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["replay", "--list"])
        .env("SITREP_DATA_DIR", dir.path())
        .env("SITREP_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("INC-20261123-1444"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("HighErrorRate on snapbuilder-serving"),
        "{line}"
    );
    assert!(
        line.contains(&start.strftime("%Y-%m-%d %H:%M:%S").to_string()),
        "{line}"
    );
    assert!(line.contains("00:05:00"), "{line}");
    assert!(
        text.contains("junk.sitrec") && text.contains("not a sitrep recording"),
        "{text}"
    );
}

#[test]
fn replaying_a_bad_file_names_it_and_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.sitrec");
    std::fs::write(&file, b"").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("replay")
        .arg(&file)
        .env("SITREP_DATA_DIR", dir.path())
        .env("SITREP_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}: byte 0: the file is empty", file.display())),
        "{err}"
    );
}
