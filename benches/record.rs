//! `record/append`: what the flight recorder costs per log line: the loop's share (turning
//! the event into a record and offering it to the recorder's queue) and the recorder
//! thread's (serializing, scrubbing secrets, compressing, writing). At 1,000 lines a second
//! the two together must stay under 2% of one core.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use sitrep::event::{Event, LogLine, Observation};
use sitrep::recording::format::{FORMAT_VERSION, FileHeader};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::recorder::to_record;
use sitrep::recording::redact::Redactor;
use sitrep::recording::{Writer, WriterOptions};

const BATCH: u64 = 10_000;

fn line(n: u64, at: Timestamp) -> Event {
    Event::Observed(
        at,
        Observation::Log(LogLine {
            at,
            pod: format!("snapbuilder-serving-480787-{:05x}", n % 7),
            container: "serving".into(),
            text: format!(
                "INFO request done path=/v1/generate status=200 latency_ms={} tokens={} request_id={:016x}",
                n % 900,
                n % 1024,
                n.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ),
        }),
    )
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let start = Timestamp::from_second(1_795_000_000).expect("a valid time");
    let header = FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "bench".into(),
        created_at: start,
        incident: None,
        mode: "LIVE bench/ns".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 0,
    };
    let mut w = Writer::create(
        &dir.path().join("append.sitrec"),
        &header,
        StateFold::new(),
        // Scrubbing is part of the cost: a bearer token and a header value.
        Redactor::new([
            "prom-bearer-7f3a9c2e".to_string(),
            "hdr-secret-51d0b7".to_string(),
        ]),
        WriterOptions {
            max_bytes: u64::MAX,
            ..WriterOptions::default()
        },
    )
    .expect("the bench recording");
    let mut n = 0u64;
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(BATCH));
    let mut per_line = Duration::ZERO;
    group.bench_function("append", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                for _ in 0..BATCH {
                    n += 1;
                    let at = start + SignedDuration::from_millis(n as i64);
                    let ev = line(n, at);
                    let rec = to_record(&ev, at).expect("a log line is recorded");
                    w.append(&rec).expect("append");
                }
            }
            let took = t.elapsed();
            per_line = took / (iters * BATCH) as u32;
            took
        })
    });
    group.finish();
    eprintln!(
        "record/append: {per_line:.2?} a line; at 1,000 lines/s that is {:.2}% of one core (bound: 2%)",
        per_line.as_secs_f64() * 1000.0 * 100.0
    );
}

criterion_group!(benches, append);
criterion_main!(benches);
