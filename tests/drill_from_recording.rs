//! Record → `sitrep drill new --from-recording` → play: a live cockpit records an incident
//! (a bad rollout, rolled back by its responder); the drill made from the recording passes
//! `sitrep check`, and played headless the recorded fix resolves it while a wrong fix does
//! not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

use std::path::Path;
use std::process::{Command, Output};

use jiff::{SignedDuration, Timestamp};
use sitrep::app::{App, Effect, Mode};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::drill::{Scenario, World};
use sitrep::event::{Action, Event};
use sitrep::recording::format::{FORMAT_VERSION, FileHeader, IncidentInfo};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::recorder::to_record;
use sitrep::recording::redact::Redactor;
use sitrep::recording::{Record, Writer, WriterOptions};

const START: i64 = 1_795_000_000;
/// When the recorded responder rolls back, seconds into the recording.
const FIX_AT: i64 = 150;

fn sitrep(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .current_dir(dir)
        .env("SITREP_CONFIG_DIR", dir.join("config"))
        .env("SITREP_DATA_DIR", dir.join("data"))
        .output()
        .expect("sitrep runs")
}

/// Folds `ev`, answering the journal's effects as its worker would; every event folded and
/// every confirmed action goes to the recording, as the runtime tees them.
fn feed(app: &mut App, ev: Event, w: &mut Writer) {
    let mut queue = vec![ev];
    while let Some(ev) = queue.pop() {
        if let Some(r) = to_record(&ev, app.now) {
            w.append(&r).unwrap();
        }
        for effect in app.update(ev) {
            match effect {
                Effect::JournalAppend { entry, .. } => queue.insert(0, Event::Journaled(entry)),
                Effect::JournalBegin(header) => {
                    for e in header.opening_entries().into_iter().rev() {
                        queue.insert(0, Event::Journaled(e));
                    }
                }
                _ => {}
            }
        }
    }
}

/// A live cockpit on the demo's world for five minutes: the rollout goes bad, the alerts
/// fire, the responder acknowledges and rolls serving back, the incident recovers.
fn record(path: &Path) {
    let start = Timestamp::from_second(START).unwrap();
    let header = FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "test".into(),
        created_at: start,
        incident: Some(IncidentInfo {
            id: "INC-20261123-1444".into(),
            title: "HighErrorRate: serving returns 5xx".into(),
            opened_at: start + SignedDuration::from_secs(60),
        }),
        mode: "LIVE prod/snapbuilder".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 900,
    };
    let mut w = Writer::create(
        path,
        &header,
        StateFold::new(),
        Redactor::default(),
        WriterOptions::default(),
    )
    .unwrap();
    let mut app = App::new(
        Mode::Live {
            context: "prod".into(),
            namespace: "snapbuilder".into(),
        },
        Config::default(),
        Keymap::load("default", None).unwrap(),
        Theme::load("dark", None, false).unwrap(),
        "alice".into(),
        start,
    );
    let (scenario, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
    let mut world = World::new(scenario, start);
    for obs in world.initial() {
        feed(&mut app, Event::Observed(start, obs), &mut w);
    }
    for i in 1..=300 {
        let obs = world.step();
        let now = world.now();
        for o in obs {
            feed(&mut app, Event::Observed(now, o), &mut w);
        }
        feed(&mut app, Event::Tick(now), &mut w);
        if i == FIX_AT - 30 {
            for e in app.run(sitrep::command::Command::Ack) {
                if let Effect::JournalAppend { entry, .. } = e {
                    feed(&mut app, Event::Journaled(entry), &mut w);
                }
            }
        }
        if i == FIX_AT {
            let action = Action::Rollback {
                deployment: "snapbuilder-serving".into(),
                revision: None,
                place: sitrep::event::Place::new(
                    sitrep::app::capabilities::SANDBOX_CONTEXT,
                    "snapbuilder",
                ),
            };
            w.append(&Record::Command {
                at: now,
                action: action.clone(),
            })
            .unwrap();
            let (report, obs) = world.act(action);
            for o in obs {
                feed(&mut app, Event::Observed(now, o), &mut w);
            }
            feed(&mut app, Event::ActionDone(report), &mut w);
        }
    }
    w.finish().unwrap();
}

fn headless(dir: &Path, drill: &Path, script: &str) -> serde_json::Value {
    let script_path = dir.join("script.txt");
    std::fs::write(&script_path, script).unwrap();
    let o = sitrep(
        &[
            "drill",
            &drill.display().to_string(),
            "--headless",
            "--script",
            &script_path.display().to_string(),
        ],
        dir,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{e}: {out}{}", String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn a_drill_made_from_a_recording_checks_clean_and_its_recorded_fix_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("INC-20261123-1444.sitrec");
    record(&recording);
    let drill = dir.path().join("last-night.toml");
    let o = sitrep(
        &[
            "drill",
            "new",
            "--from-recording",
            &recording.display().to_string(),
            "-o",
            &drill.display().to_string(),
        ],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("note:"), "{err}");
    let text = std::fs::read_to_string(&drill).unwrap();
    // What the issue asks of it: signals, deployments with revisions, pods, GPUs, logs,
    // alerts as they fired, the fix expected, curves and recovery curves.
    for want in [
        "name = \"last-night\"",
        "[[signals]]",
        "name = \"5xx rate\"",
        "name = \"snapbuilder-serving\"",
        "[[deployments.revisions]]",
        "[[gpus]]",
        "[[alerts]]",
        "name = \"HighErrorRate\"",
        "[[events]]",
        "[faults.curves]",
        "[faults.recovery]",
        "action = \"rollback snapbuilder-serving\"",
        "crashloop = ",
        "logs = [",
    ] {
        assert!(text.contains(want), "no `{want}` in\n{text}");
    }
    assert!(dir.path().join("last-night.md").exists());

    // `sitrep check` finds nothing to say about it.
    let o = sitrep(&["check", &drill.display().to_string()], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}\n{text}");
    assert!(out.starts_with("ok: drill"), "{out}");
    // A second run without --force keeps the files.
    let o = sitrep(
        &[
            "drill",
            "new",
            "--from-recording",
            &recording.display().to_string(),
            "-o",
            &drill.display().to_string(),
        ],
        dir.path(),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));

    // The recorded fix at the recorded time resolves it and passes.
    let fix = format!(
        "+{}s ack\n+{FIX_AT}s rollback snapbuilder-serving\n",
        FIX_AT - 30
    );
    let card = headless(dir.path(), &drill, &fix);
    assert_eq!(card["end"], "resolved", "{card:#}\n{text}");
    assert_eq!(card["passed"], true, "{card:#}");
    assert!(
        card["times"]["to_mitigation_s"].as_i64().is_some(),
        "{card:#}"
    );

    // A wrong remedy does nothing: the incident plays on to the time limit, not passed.
    let wrong = format!(
        "+{}s ack\n+{FIX_AT}s restart snapbuilder-serving\n+{}s scale snapbuilder-serving 8\n",
        FIX_AT - 30,
        FIX_AT + 10
    );
    let card = headless(dir.path(), &drill, &wrong);
    assert_eq!(card["end"], "time_up", "{card:#}");
    assert_eq!(card["passed"], false, "{card:#}");
    let verdicts: Vec<&str> = card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["wrong", "wrong"], "{card:#}");
}
