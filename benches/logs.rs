//! The log pane under a flood: 100,000 lines from 50 pods (delivered in per-pod chunks, so
//! lines arrive slightly out of timestamp order as from real streams) folded through
//! `App::update` with a filter on, then one frame drawn and one key answered.

#![allow(clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::app::logs::LogFilter;
use sitrep::app::sample::large_app;
use sitrep::event::{Event, LogLine, Observation};

/// The slowest key answer seen while flooding, in µs, reported after the run.
static WORST_KEY_US: AtomicU64 = AtomicU64::new(0);

const LINES: usize = 100_000;
const PODS: usize = 50;
/// Lines a stream hands over at once before another pod's turn.
const CHUNK: usize = 20;

fn flood(start: Timestamp) -> Vec<Event> {
    let per_pod = LINES / PODS;
    let mut out = Vec::with_capacity(LINES);
    for chunk in 0..per_pod / CHUNK {
        for pod in 0..PODS {
            for i in 0..CHUNK {
                let n = chunk * CHUNK + i;
                // Every pod logs every 500 µs, pods offset by 10 µs: chunks interleave.
                let at = start + SignedDuration::from_micros((n * 500 + pod * 10) as i64);
                let level = if n.is_multiple_of(97) {
                    "ERROR"
                } else {
                    "INFO"
                };
                let text = format!(
                    "{level} request id={n} path=/api/v1/snaps status=200 \u{1b}[32mok\u{1b}[0m"
                );
                out.push(Event::Observed(
                    at,
                    Observation::Log(LogLine {
                        at,
                        pod: format!("serving-7c9f-{pod:05}"),
                        container: "app".into(),
                        text,
                    }),
                ));
            }
        }
    }
    out
}

fn logs(c: &mut Criterion) {
    let mut group = c.benchmark_group("logs");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LINES as u64));
    let base = large_app(PODS, 0, 0);
    let start = base.now;
    let events = flood(start);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    group.bench_function("ingest_filter_render_100k_lines_50_pods", |b| {
        b.iter_batched(
            || {
                let mut app = large_app(PODS, 0, 0);
                app.size = (200, 60);
                app.logs
                    .set_filter(Some(LogFilter::parse("ERROR|status=5").expect("a regex")));
                (app, events.clone())
            },
            |(mut app, events)| {
                let mut worst_key = std::time::Duration::ZERO;
                for (i, ev) in events.into_iter().enumerate() {
                    app.update(ev);
                    // The runtime folds up to 4,096 events, then draws; a key waits at most
                    // one batch plus one frame.
                    if i % 4096 == 4095 {
                        let t = Instant::now();
                        let key = KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE);
                        app.update(Event::Input(TermEvent::Key(key)));
                        terminal.draw(|f| sitrep::ui::draw(f, &app)).expect("draws");
                        worst_key = worst_key.max(t.elapsed());
                    }
                }
                assert!(app.logs.len() <= 50_000, "the ring stays bounded");
                let us = u64::try_from(worst_key.as_micros()).unwrap_or(u64::MAX);
                WORST_KEY_US.fetch_max(us, Ordering::Relaxed);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
    eprintln!(
        "logs: slowest key + frame after a 4,096-line batch: {:.1} ms",
        WORST_KEY_US.load(Ordering::Relaxed) as f64 / 1000.0
    );
}

criterion_group!(benches, logs);
criterion_main!(benches);
