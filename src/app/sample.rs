//! A populated cockpit, for render tests and benchmarks: the bundled drill two minutes in,
//! optionally padded to a large cluster.

use jiff::{SignedDuration, Timestamp};

use super::{App, Mode};
use crate::config::{Config, Keymap, Theme};
use crate::drill::{Scenario, World};
use crate::event::{Event, GpuStatus, LogLine, Observation, PodStatus};

/// A fixed start, so samples render the same every time.
pub const START: i64 = 1_795_000_000;

/// The bundled drill after `seconds` simulated seconds, with every event folded in.
pub fn drill_app(seconds: u32) -> App {
    drill_app_with(Config::default(), seconds)
}

/// [`drill_app`] built with `config` (its kill-switch keys, its thresholds).
pub fn drill_app_with(config: Config, seconds: u32) -> App {
    drill_pair(config, seconds).0
}

/// The sample cockpit and the simulated world it has seen, so a test can go on stepping
/// the world, ask it for dry runs and apply actions to it.
pub fn drill_pair(config: Config, seconds: u32) -> (App, World) {
    let (scenario, _) = Scenario::load("snapbuilder-bad-rollout").expect("the bundled drill loads");
    let start = Timestamp::from_second(START).expect("a valid time");
    let runbook = scenario.runbook(None).expect("the bundled runbook loads");
    let mut world = World::new(scenario, start);
    let theme = Theme::load("dark", None, false).expect("the built-in theme loads");
    let keymap = Keymap::load("default", None).expect("the built-in keymap loads");
    let mode = Mode::Drill {
        name: "snapbuilder-bad-rollout".into(),
        speed: 10.0,
    };
    let mut app = App::new(mode, config, keymap, theme, "alice".into(), start);
    app.checklist = super::checklist::Checklist::new(runbook.into_iter().collect());
    let initial = world.initial();
    feed(&mut app, start, initial);
    for _ in 0..seconds {
        let obs = world.step();
        feed(&mut app, world.now(), obs);
    }
    (app, world)
}

/// Folds observations into `app`, answering its journal effects as the journal worker
/// would; returns the other effects.
pub fn feed(app: &mut App, at: Timestamp, obs: Vec<Observation>) -> Vec<super::Effect> {
    let mut rest = Vec::new();
    for o in obs {
        for effect in app.update(Event::Observed(at, o)) {
            answer(app, effect, &mut rest);
        }
    }
    rest
}

/// Answers a journal effect with what the worker would send back; keeps any other.
pub fn answer(app: &mut App, effect: super::Effect, rest: &mut Vec<super::Effect>) {
    match effect {
        super::Effect::JournalAppend { entry, .. } => {
            for e in app.update(Event::Journaled(entry)) {
                answer(app, e, rest);
            }
        }
        super::Effect::JournalBegin(header) => {
            for entry in header.opening_entries() {
                app.update(Event::Journaled(entry));
            }
        }
        other => rest.push(other),
    }
}

/// The drill sample padded to `pods` pods, `gpus` GPUs and `log_lines` log lines.
pub fn large_app(pods: usize, gpus: usize, log_lines: usize) -> App {
    let mut app = drill_app(120);
    let now = app.now;
    for i in 0..pods {
        let workload = format!("batch-worker-{:02}", i % 40);
        app.update(Event::Observed(
            now,
            Observation::Pod(PodStatus {
                namespace: "snapbuilder".into(),
                name: format!("{workload}-7d9c5-{i:05}"),
                workload,
                revision: 7,
                phase: "Running".into(),
                reason: (i % 97 == 0).then(|| "CrashLoopBackOff".to_string()),
                ready: i % 97 != 0,
                restarts: (i % 97 == 0) as u32 * 4,
                last_termination: None,
                node: format!("node-{}", i % 64),
                created: now - SignedDuration::from_hours(3),
            }),
        ));
    }
    for i in 0..gpus {
        app.update(Event::Observed(
            now,
            Observation::Gpu(GpuStatus {
                host: format!("gpu-host-{:02}", i / 8),
                index: (i % 8) as u32,
                model: "NVIDIA H100 80GB HBM3".into(),
                util: Some((i * 7 % 100) as f64),
                mem_used_mib: Some((i * 613 % 81_000) as f64),
                mem_total_mib: Some(81_559.0),
                temp_c: Some(40.0 + (i * 13 % 50) as f64),
                power_w: Some(300.0 + (i % 9) as f64 * 40.0),
                xid: (i == 5).then_some(79),
                pod: None,
            }),
        ));
    }
    for i in 0..log_lines {
        app.update(Event::Observed(
            now,
            Observation::Log(LogLine {
                at: now,
                pod: format!("batch-worker-{:02}-7d9c5-{:05}", i % 50, i % 50),
                container: "worker".into(),
                text: if i % 10 == 0 {
                    format!("ERROR job {i} failed: connection reset by peer")
                } else {
                    format!("INFO job {i} done in {} ms", i % 900)
                },
            }),
        ));
    }
    app
}
