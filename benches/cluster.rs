//! A large cluster: 5,000 pods in 50 deployments on 200 nodes, with 20,000 events. The
//! cockpit's first frame comes before any list (it must not wait for the cluster), the
//! lists fold in as the watches deliver them (events in the source's batches of 500), and
//! every frame after that draws from the folded state.
#![allow(clippy::expect_used)] // a bench that cannot set up should fail loudly

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::app::{App, Mode};
use sitrep::cluster::{KubeEvent, NodeInfo};
use sitrep::command::{Command, FocusTarget, Pane};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::event::{DeploymentStatus, Event, Observation, PodStatus};

const NOW: i64 = 1_795_000_000;
const PODS: usize = 5_000;
const DEPLOYMENTS: usize = 50;
const NODES: usize = 200;
const EVENTS: usize = 20_000;
/// The events source flushes at most this many per observation.
const EVENT_BATCH: usize = 500;

fn now() -> Timestamp {
    Timestamp::from_second(NOW).expect("a valid time")
}

fn live_app() -> App {
    let mut app = App::new(
        Mode::Live {
            context: "bench".into(),
            namespace: "scale".into(),
        },
        Config::default(),
        Keymap::load("default", None).expect("the built-in keymap loads"),
        Theme::load("dark", None, false).expect("the built-in theme loads"),
        "bench".into(),
        now(),
    );
    app.size = (200, 60);
    app
}

fn deployment(d: usize) -> String {
    format!("svc-{d:02}")
}

/// What the watches deliver for the whole cluster, in the order they tend to arrive.
fn lists() -> Vec<Event> {
    let now = now();
    let per = PODS / DEPLOYMENTS;
    let mut out = Vec::new();
    let nodes: Vec<NodeInfo> = (0..NODES)
        .map(|n| NodeInfo {
            name: format!("node-{n:03}"),
            ready: Some(n % 67 != 0),
            pressure: if n % 41 == 0 {
                vec!["MemoryPressure".into()]
            } else {
                Vec::new()
            },
            taints: if n % 10 == 0 {
                vec!["nvidia.com/gpu=present:NoSchedule".into()]
            } else {
                Vec::new()
            },
            unschedulable: n % 97 == 0,
            pods: u32::try_from(PODS / NODES).expect("small"),
            cpu_alloc_m: 63_500,
            cpu_req_m: 40_000 + (n as u64 * 137) % 20_000,
            mem_alloc: 250 << 30,
            mem_req: (120 << 30) + (n as u64 % 50) * (1 << 30),
            gpu_alloc: if n % 10 == 0 { 8 } else { 0 },
            gpu_req: if n % 10 == 0 { 6 } else { 0 },
        })
        .collect();
    out.push(Event::Observed(now, Observation::Nodes(nodes)));
    for d in 0..DEPLOYMENTS {
        let name = deployment(d);
        out.push(Event::Observed(
            now,
            Observation::Deployment(DeploymentStatus {
                namespace: "scale".into(),
                name: name.clone(),
                revision: 4,
                replicas: u32::try_from(per).expect("small"),
                ready: u32::try_from(per - 2).expect("small"),
                updated: u32::try_from(per).expect("small"),
                available: u32::try_from(per - 2).expect("small"),
                image: format!("registry.local/{name}:4"),
                history: Vec::new(),
                gpu: d % 10 == 0,
                problems: Vec::new(),
                labels: Default::default(),
            }),
        ));
        for i in 0..per {
            let unready = i % 50 == 0;
            out.push(Event::Observed(
                now,
                Observation::Pod(PodStatus {
                    namespace: "scale".into(),
                    name: format!("{name}-6c8f7d9b5-{i:05}"),
                    workload: name.clone(),
                    revision: 4,
                    phase: "Running".into(),
                    reason: unready.then(|| "CrashLoopBackOff".to_string()),
                    ready: !unready,
                    restarts: u32::from(unready) * 3,
                    last_termination: None,
                    node: format!("node-{:03}", (d * per + i) % NODES),
                    created: now - SignedDuration::from_hours(2),
                }),
            ));
        }
    }
    // Events about pods, their deployments and the nodes, a quarter of them warnings.
    let reasons = [
        ("BackOff", "Back-off restarting failed container app"),
        (
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
        ),
        ("Pulled", "Container image already present on machine"),
        ("Scheduled", "Successfully assigned the pod"),
    ];
    let events: Vec<KubeEvent> = (0..EVENTS)
        .map(|e| {
            let (reason, note) = reasons[e % reasons.len()];
            let d = e % DEPLOYMENTS;
            let (kind, name) = match e % 10 {
                0 => ("Node".to_string(), format!("node-{:03}", e % NODES)),
                1 => ("Deployment".to_string(), deployment(d)),
                _ => (
                    "Pod".to_string(),
                    format!(
                        "{}-6c8f7d9b5-{:05}",
                        deployment(d),
                        e % (PODS / DEPLOYMENTS)
                    ),
                ),
            };
            let ago = SignedDuration::from_secs(i64::try_from(EVENTS - e).expect("small"));
            KubeEvent {
                uid: format!("ev-{e:06}"),
                namespace: "scale".into(),
                kind,
                name,
                reason: reason.into(),
                note: note.into(),
                warning: e % 4 < 2,
                count: 1 + u32::try_from(e % 7).expect("small"),
                first: now - ago - SignedDuration::from_mins(5),
                last: now - ago,
                source: "kubelet".into(),
            }
        })
        .collect();
    for batch in events.chunks(EVENT_BATCH) {
        out.push(Event::Observed(
            now,
            Observation::KubeEvents(batch.to_vec()),
        ));
    }
    out
}

fn loaded() -> App {
    let mut app = live_app();
    for ev in lists() {
        app.update(ev);
    }
    app
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    terminal.draw(|f| sitrep::ui::draw(f, app)).expect("draws");
}

fn cluster(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster");
    group.sample_size(20);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");

    // From nothing to the first frame: no list has arrived, none is waited for.
    group.bench_function("first_frame_200x60", |b| {
        b.iter(|| {
            let app = live_app();
            draw(&mut terminal, &app);
            app
        })
    });

    // Every list of the cluster folded in, then the frame that shows them.
    let all = lists();
    group.bench_function("listed_5k_pods_200_nodes_20k_events", |b| {
        b.iter_batched(
            || (live_app(), all.clone()),
            |(mut app, events)| {
                for ev in events {
                    app.update(ev);
                }
                draw(&mut terminal, &app);
                app
            },
            BatchSize::LargeInput,
        )
    });

    // The frames after: the pods, the selected workload's events, the nodes.
    let mut app = loaded();
    app.run(Command::Focus(FocusTarget::Pane(Pane::Pods)));
    group.bench_function("render_pods_200x60", |b| {
        b.iter(|| draw(&mut terminal, &app))
    });
    app.run(Command::Events);
    group.bench_function("render_events_200x60", |b| {
        b.iter(|| draw(&mut terminal, &app))
    });
    app.run(Command::Nodes);
    group.bench_function("render_nodes_200x60", |b| {
        b.iter(|| draw(&mut terminal, &app))
    });
    group.finish();
}

criterion_group!(benches, cluster);
criterion_main!(benches);
