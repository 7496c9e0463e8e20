//! The pods state at 5,000 pods (10 deployments of 500): folding the initial list into the
//! cockpit, drawing it, and choosing what a 500-pod workload's log tail follows.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::app::{App, Mode};
use sitrep::command::{Command, FocusTarget, Pane};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::event::{DeploymentStatus, Event, Observation, PodStatus};

const NOW: i64 = 1_795_000_000;

fn live_app() -> App {
    App::new(
        Mode::Live {
            context: "bench".into(),
            namespace: "scale".into(),
        },
        Config::default(),
        Keymap::load("default", None).expect("the built-in keymap loads"),
        Theme::load("dark", None, false).expect("the built-in theme loads"),
        "bench".into(),
        Timestamp::from_second(NOW).expect("a valid time"),
    )
}

/// What the watches send for 5,000 pods in 10 deployments of 500, 1 in 50 not ready.
fn initial_list() -> Vec<Event> {
    let now = Timestamp::from_second(NOW).expect("a valid time");
    let mut out = Vec::new();
    for w in 0..10 {
        let name = format!("worker-{w:02}");
        out.push(Event::Observed(
            now,
            Observation::Deployment(DeploymentStatus {
                namespace: "scale".into(),
                name: name.clone(),
                revision: 3,
                replicas: 500,
                ready: 490,
                updated: 500,
                available: 490,
                image: format!("registry.local/{name}:3"),
                history: Vec::new(),
                gpu: false,
                problems: Vec::new(),
                labels: Default::default(),
            }),
        ));
        for i in 0..500 {
            let unready = i % 50 == 0;
            out.push(Event::Observed(
                now,
                Observation::Pod(PodStatus {
                    namespace: "scale".into(),
                    name: format!("{name}-6c8f7d9b5-{i:05}"),
                    workload: name.clone(),
                    revision: 3,
                    phase: "Running".into(),
                    reason: unready.then(|| "CrashLoopBackOff".to_string()),
                    ready: !unready,
                    restarts: u32::from(unready) * 3,
                    last_termination: None,
                    node: format!("node-{:03}", (w * 500 + i) % 120),
                    created: now - SignedDuration::from_hours(2),
                }),
            ));
        }
    }
    out
}

fn pods(c: &mut Criterion) {
    let mut group = c.benchmark_group("pods");
    let list = initial_list();
    group.bench_function("apply_5k", |b| {
        b.iter_batched(
            || (live_app(), list.clone()),
            |(mut app, events)| {
                for ev in events {
                    app.update(ev);
                }
                app
            },
            BatchSize::LargeInput,
        )
    });

    let mut app = live_app();
    for ev in list.clone() {
        app.update(ev);
    }
    app.size = (200, 60);
    app.run(Command::Focus(FocusTarget::Pane(Pane::Pods)));
    // Halfway down: the rows before the selection are skipped, not built.
    for _ in 0..5 {
        app.run(Command::PageDown);
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    group.bench_function("render_5k", |b| {
        b.iter(|| {
            terminal.draw(|f| sitrep::ui::draw(f, &app)).expect("draws");
        })
    });

    // Choosing 50 of a 500-pod workload's pods to tail, as each tick does after a change.
    let now = Timestamp::from_second(NOW).expect("a valid time");
    let workload: Vec<PodStatus> = app.pods.workloads
        [&sitrep::app::state::WorkloadKey::new("scale", "worker-05")]
        .pods
        .values()
        .cloned()
        .collect();
    group.bench_function("tail_choice_500", |b| {
        b.iter(|| sitrep::app::tail::choose(&workload, 50, now))
    });
    group.finish();
}

criterion_group!(benches, pods);
criterion_main!(benches);
