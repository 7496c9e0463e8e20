//! A workload's history from Loki: a `query_range` answer of 5,000 lines over 20 pods (the
//! shape Loki sends: streams per pod and level, nanosecond string timestamps, a stats
//! object) parsed, folded into the cockpit as one page and drawn, first into an empty pane
//! and then as the older page above 5,000 lines already shown. The budget: 50 ms.

#![allow(clippy::expect_used)] // a failed set-up should stop the benchmark loudly

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::app::App;
use sitrep::app::sample::large_app;
use sitrep::event::{Event, LogHistory, Observation};
use sitrep::sources::loki::parse_streams;

const LINES: usize = 5_000;
const PODS: usize = 20;

/// A query_range answer of `LINES` lines ending `end_ns`, backward (newest first per stream).
fn answer(end_ns: i128) -> Vec<u8> {
    let mut streams = Vec::new();
    for pod in 0..PODS {
        for level in ["info", "error"] {
            let values: Vec<serde_json::Value> = (0..LINES / PODS)
                .rev()
                .filter(|i| (i % 13 == 0) == (level == "error"))
                .map(|i| {
                    let at = end_ns - ((LINES / PODS - i) * PODS + pod) as i128 * 10_000_000;
                    let word = if level == "error" { "ERROR" } else { "INFO " };
                    serde_json::json!([
                        at.to_string(),
                        format!("{word} server/http.go:212 request completed method=GET path=/v1/snapshots/{i:08x} status=200 duration_ms=59 trace_id=8eb225790cdb1ca476ecbdd68498e113 seq={i}")
                    ])
                })
                .collect();
            streams.push(serde_json::json!({
                "stream": {"app": "snapbuilder-serving", "namespace": "snapbuilder",
                    "pod": format!("snapbuilder-serving-7cf6b6ddf5-{pod:05}"),
                    "service_name": "snapbuilder-serving", "detected_level": level},
                "values": values,
            }));
        }
    }
    serde_json::json!({"status": "success", "data": {"resultType": "streams", "result": streams,
        "stats": {"summary": {"bytesProcessedPerSecond": 1, "totalEntriesReturned": LINES}}}})
    .to_string()
    .into_bytes()
}

fn page(app: &mut App, body: &[u8], reset: bool) {
    let lines = parse_streams(body)
        .expect("a valid answer")
        .into_iter()
        .map(|e| e.into_log_line("snapbuilder-serving"))
        .collect();
    let now = app.now;
    app.update(Event::Observed(
        now,
        Observation::LogHistory(LogHistory {
            lines,
            reset,
            ..LogHistory::default()
        }),
    ));
}

fn loki(c: &mut Criterion) {
    let mut group = c.benchmark_group("loki");
    group.sample_size(20);
    group.throughput(Throughput::Elements(LINES as u64));
    let end = large_app(PODS, 0, 0).now.as_nanosecond();
    let newest = answer(end);
    let older = answer(end - (LINES as i128 + 10) * 10_000_000);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let mut worst = Duration::ZERO;
    group.bench_function("history_5000_lines_parse_fill_render", |b| {
        b.iter_batched(
            || large_app(PODS, 0, 0),
            |mut app| {
                let t = Instant::now();
                page(&mut app, &newest, true);
                terminal.draw(|f| sitrep::ui::draw(f, &app)).expect("draws");
                worst = worst.max(t.elapsed());
                assert_eq!(app.logs.len(), LINES);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    let mut worst_older = Duration::ZERO;
    group.bench_function("older_page_5000_above_5000_parse_merge_render", |b| {
        b.iter_batched(
            || {
                let mut app = large_app(PODS, 0, 0);
                page(&mut app, &newest, true);
                app.logs.scroll_by(100);
                app
            },
            |mut app| {
                let t = Instant::now();
                page(&mut app, &older, false);
                terminal.draw(|f| sitrep::ui::draw(f, &app)).expect("draws");
                worst_older = worst_older.max(t.elapsed());
                assert_eq!(app.logs.len(), 2 * LINES);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
    eprintln!(
        "loki: slowest 5,000-line page parsed, filled and drawn: {:.1} ms; as an older page: {:.1} ms (budget 50 ms)",
        worst.as_secs_f64() * 1e3,
        worst_older.as_secs_f64() * 1e3
    );
}

criterion_group!(benches, loki);
criterion_main!(benches);
