//! Record → replay: a cockpit fed by the replay engine from a recording shows, at a
//! recorded moment, the same panes the live cockpit showed at that moment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use sitrep::app::{App, Effect, Mode};
use sitrep::command::Pane;
use sitrep::config::{Config, Keymap, Theme};
use sitrep::drill::{Scenario, World};
use sitrep::event::Event;
use sitrep::recording::format::{FORMAT_VERSION, FileHeader};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::recorder::{tail_record, to_record};
use sitrep::recording::redact::Redactor;
use sitrep::recording::{Reader, Record, Writer, WriterOptions};
use sitrep::replay::{ReplayEvent, Transport};
use tokio::sync::mpsc;

const START: i64 = 1_795_000_000;

fn cockpit(mode: Mode, start: Timestamp) -> App {
    let (scenario, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
    let runbook = scenario.runbook(None).unwrap();
    let mut app = App::new(
        mode,
        Config::default(),
        Keymap::load("default", None).unwrap(),
        Theme::load("dark", None, false).unwrap(),
        "alice".into(),
        start,
    );
    app.checklist = sitrep::app::checklist::Checklist::new(runbook.into_iter().collect());
    app
}

/// Folds `ev` and answers the journal's effects as its worker would; what the runtime
/// would record (every event folded, where the log tail was pointed) goes to `tee`.
fn feed(app: &mut App, ev: Event, tee: &mut dyn FnMut(Record)) {
    let mut queue = vec![ev];
    while let Some(ev) = queue.pop() {
        if let Some(r) = to_record(&ev, app.now) {
            tee(r);
        }
        for effect in app.update(ev) {
            match effect {
                Effect::TailLogs(target) => tee(tail_record(&target, &app.pods.tail, app.now)),
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

fn panes(app: &mut App) -> Vec<(Pane, String)> {
    [
        Pane::Signals,
        Pane::Alerts,
        Pane::Pods,
        Pane::Gpus,
        Pane::Logs,
        Pane::Runbook,
    ]
    .into_iter()
    .map(|p| {
        app.focus = p;
        app.zoom = true;
        app.size = (120, 40);
        let screen = sitrep::ui::render_text(app, 120, 40);
        // The header names the mode and the bottom line holds the transport: the
        // panes between them must match.
        let lines: Vec<&str> = screen.lines().collect();
        (p, lines[2..lines.len() - 1].join("\n"))
    })
    .collect()
}

/// The whole cockpit, unzoomed, but for its first line (the mode banner: `LIVE ctx/ns`
/// against `REPLAY file`) and its last (the status line against the transport line).
fn frame(app: &mut App) -> String {
    app.focus = Pane::Alerts;
    app.zoom = false;
    app.size = (160, 48);
    let screen = sitrep::ui::render_text(app, 160, 48);
    let lines: Vec<&str> = screen.lines().collect();
    lines[1..lines.len() - 1].join("\n")
}

/// The frame with the timeline pane cut out: its box and everything right of its left
/// edge, from its title row down.
fn without_timeline(frame: &str) -> String {
    let lines: Vec<Vec<char>> = frame.lines().map(|l| l.chars().collect()).collect();
    let Some((row, col)) = lines.iter().enumerate().find_map(|(r, l)| {
        let s: String = l.iter().collect();
        s.find("7 timeline")
            .map(|byte| (r, s[..byte].chars().count().saturating_sub(2)))
    }) else {
        return frame.to_string();
    };
    lines
        .iter()
        .enumerate()
        .map(|(r, l)| {
            let keep = if r >= row { col.min(l.len()) } else { l.len() };
            l[..keep].iter().collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_moment_renders_as_it_did_live() {
    let start = Timestamp::from_second(START).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("INC-1.sitrec");
    let header = FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "test".into(),
        created_at: start,
        incident: None,
        mode: "LIVE test/snapbuilder".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 0,
    };
    let mut writer = Writer::create(
        &path,
        &header,
        StateFold::new(),
        Redactor::default(),
        WriterOptions {
            block_bytes: 4096,
            ..WriterOptions::default()
        },
    )
    .unwrap();
    let mut live = cockpit(
        Mode::Live {
            context: "test".into(),
            namespace: "snapbuilder".into(),
        },
        start,
    );
    let (scenario, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
    let mut world = World::new(scenario, start);
    let mut tee = |r: Record| {
        writer.append(&r).unwrap();
    };
    for obs in world.initial() {
        feed(&mut live, Event::Observed(start, obs), &mut tee);
    }
    // The moment compared lies inside the recording, two minutes in.
    let (mut moment, mut want, mut want_frame) = (start, Vec::new(), String::new());
    for i in 1..=180 {
        let obs = world.step();
        let now = world.now();
        for o in obs {
            feed(&mut live, Event::Observed(now, o), &mut tee);
        }
        feed(&mut live, Event::Tick(now), &mut tee);
        if i == 120 {
            moment = live.now;
            want = panes(&mut live);
            want_frame = frame(&mut live);
        }
    }
    writer.finish().unwrap();

    // The replay: the engine steps a second at a time to the same moment.
    let reader = Reader::open(&path).unwrap();
    assert!(reader.damage().is_empty());
    let (tx, mut rx) = mpsc::channel(8192);
    let (control_tx, control_rx) = mpsc::channel(8);
    let (transport_tx, transport_rx) = mpsc::channel(256);
    let engine = tokio::spawn(sitrep::sources::replay::run(
        reader,
        sitrep::sources::replay::Start {
            from: None,
            speed: 0.125,
        },
        tx,
        control_rx,
        transport_rx,
    ));
    transport_tx.send(Transport::Pause).await.unwrap();
    let steps = moment.duration_since(start).as_secs();
    for _ in 0..steps {
        transport_tx.send(Transport::Step).await.unwrap();
    }
    let mut replay = cockpit(
        Mode::Replay {
            file: "INC-1.sitrec".into(),
            speed: 1.0,
        },
        start,
    );
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("the engine reaches the moment")
            .unwrap();
        let reached = matches!(&ev, Event::Replay(ReplayEvent::Status(s)) if s.position >= moment && s.paused);
        feed(&mut replay, ev, &mut |_| {});
        if reached {
            break;
        }
    }
    assert_eq!(replay.now, moment);
    let got = panes(&mut replay);
    assert_eq!((want.len(), got.len()), (6, 6));
    assert!(want[0].1.contains("5xx rate") && want[4].1.contains("ERROR"));
    // Whole panes, titles included: the logs title says what the live tail followed
    // ("tailing 4 pods") and counts the lines since it last retargeted, as recorded.
    assert!(want[4].1.contains("tailing"), "{}", want[4].1);
    for ((pane, w), (_, g)) in want.iter().zip(&got) {
        assert_eq!(g, w, "{pane:?} differs at {moment}");
    }
    // The timeline is the trainee's own drill journal (it opens with its `drill` entry),
    // so it is the one region that differs by design; everything else is the live frame.
    let (want_frame, got_frame) = (
        without_timeline(&want_frame),
        without_timeline(&frame(&mut replay)),
    );
    assert!(want_frame.contains("5 logs") && want_frame.contains("1 signals"));
    for (i, (g, w)) in got_frame.lines().zip(want_frame.lines()).enumerate() {
        assert_eq!(g, w, "line {} of the frame differs at {moment}", i + 2);
    }
    assert_eq!(got_frame.lines().count(), want_frame.lines().count());
    // The transport line shows the original clock.
    let screen = sitrep::ui::render_text(&replay, 120, 40);
    assert!(
        screen.contains(&format!(
            "original {} UTC",
            moment.strftime("%Y-%m-%d %H:%M:%S")
        )) && screen.contains("paused"),
        "{screen}"
    );
    drop(control_tx);
    engine.abort();
}
