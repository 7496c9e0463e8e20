//! `sitrep export` finds the incident's recording and charts every signal, with the error
//! budget burned, without `--series`.
#![allow(clippy::unwrap_used)]

use jiff::{SignedDuration, Timestamp};
use sitrep::drill::{Scenario, World};
use sitrep::journal::{Entry, Header, Journal, Kind, Status};
use sitrep::recording::format::{FORMAT_VERSION, FileHeader, IncidentInfo};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::redact::Redactor;
use sitrep::recording::{Record, Writer, WriterOptions};

const ID: &str = "INC-20261123-1444";

#[test]
fn export_draws_the_recorded_signals_and_their_budget() {
    let dir = tempfile::tempdir().unwrap();
    let start: Timestamp = "2026-11-23T14:40:00Z".parse().unwrap();
    let opened = start + SignedDuration::from_secs(60);
    let path = dir.path().join("recordings").join(format!("{ID}.sitrec"));
    let header = FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "test".into(),
        created_at: opened,
        incident: Some(IncidentInfo {
            id: ID.into(),
            title: "5xx on serving".into(),
            opened_at: opened,
        }),
        mode: "LIVE prod/snapbuilder".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 60,
    };
    let mut w = Writer::create(
        &path,
        &header,
        StateFold::new(),
        Redactor::default(),
        WriterOptions::default(),
    )
    .unwrap();
    let (scenario, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
    let mut world = World::new(scenario, start);
    for obs in world.initial() {
        w.append(&Record::Observed { at: start, obs }).unwrap();
    }
    // Live, Prometheus reports the SLO beside the signal.
    w.append(&Record::Observed {
        at: start,
        obs: sitrep::event::Observation::Slo(sitrep::event::SloStatus {
            name: "availability (30d SLO 99.5%)".into(),
            objective: 99.5,
            window: "30d".into(),
            budget_left: Some(0.8),
            burn: vec![],
        }),
    })
    .unwrap();
    for _ in 0..400 {
        let obs = world.step();
        let now = world.now();
        for o in obs {
            w.append(&Record::Observed { at: now, obs: o }).unwrap();
        }
    }
    w.finish().unwrap();

    let incidents = dir.path().join("INCIDENTS.md");
    let mut j = Journal::open(&incidents).unwrap();
    j.begin(&Header {
        id: ID.into(),
        title: "5xx on serving".into(),
        opened_at: opened,
        mode: "LIVE prod/snapbuilder".into(),
        drill: false,
        severity: 2,
        opened_by: "alice".into(),
    })
    .unwrap();
    j.append(
        ID,
        &Entry::new(
            opened + SignedDuration::from_secs(90),
            "alice",
            Kind::Note,
            "rolling back",
        ),
    )
    .unwrap();
    j.append(
        ID,
        &Entry::status(
            opened + SignedDuration::from_secs(300),
            "alice",
            Status::Resolved,
            "",
        ),
    )
    .unwrap();
    let export = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(["export", "--incidents"])
            .arg(&incidents)
            .args(["--id", ID, "--format", format])
            .env("SITREP_DATA_DIR", dir.path())
            .env("SITREP_CONFIG_DIR", dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("charts from the recording"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let html = export("html");
    for signal in ["p95 latency (512 tok)", "5xx rate", "availability"] {
        assert!(
            html.contains(&format!("<figcaption>{signal}")),
            "no chart of {signal}"
        );
    }
    assert!(html.matches("<svg").count() >= 3);
    let md = export("md");
    assert!(md.contains("Error budget"), "{md}");
    let budget = md
        .lines()
        .find(|l| l.contains("availability (30d SLO 99.5%) (error ratio)"))
        .unwrap_or_else(|| panic!("no budget line:\n{md}"));
    assert!(budget.contains("% of "), "{budget}");
}
