//! `replay/open_seek_1m`: open a 24-hour recording of a million observations and seek to a
//! moment in it, as `sitrep replay --from` and the transport's seeks do. The state at the
//! seek point comes from the keyframe before it, so the work (and the memory) is one
//! keyframe and at most a minute of blocks, not every record before it.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use sitrep::event::{LogLine, Observation, SignalDef};
use sitrep::recording::format::{FORMAT_VERSION, FileHeader};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::redact::Redactor;
use sitrep::recording::{Reader, Record, Writer, WriterOptions};

const OBSERVATIONS: usize = 1_000_000;
const DAY: i64 = 86_400;

fn header(start: Timestamp) -> FileHeader {
    FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "bench".into(),
        created_at: start,
        incident: None,
        mode: "LIVE bench/ns".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 0,
    }
}

/// A day: four signals every 15 s, log lines from 20 pods filling up the million, a tick
/// a second.
fn write_day(path: &Path) -> Timestamp {
    let start = Timestamp::from_second(1_795_000_000).expect("a valid time");
    let mut w = Writer::create(
        path,
        &header(start),
        StateFold::new(),
        Redactor::default(),
        WriterOptions {
            max_bytes: u64::MAX,
            ..WriterOptions::default()
        },
    )
    .expect("the bench recording");
    let signals = ["p95 latency", "5xx rate", "availability", "queue depth"];
    for s in signals {
        let def = SignalDef {
            name: s.into(),
            unit: "count".into(),
            ..Default::default()
        };
        w.append(&Record::Observed {
            at: start,
            obs: Observation::SignalDefined(def),
        })
        .expect("append");
    }
    let signal_obs = (DAY / 15) as usize * signals.len();
    let logs_per_sec = (OBSERVATIONS - signal_obs) as f64 / DAY as f64;
    let mut logs_due = 0.0;
    let mut n = 0u64;
    for sec in 0..DAY {
        let at = start + SignedDuration::from_secs(sec);
        if sec % 15 == 0 {
            for (i, s) in signals.iter().enumerate() {
                let v = (sec as f64 / 600.0).sin().abs() * 100.0 + i as f64;
                w.append(&Record::Observed {
                    at,
                    obs: Observation::Signal {
                        name: (*s).into(),
                        value: Some(v),
                    },
                })
                .expect("append");
            }
        }
        logs_due += logs_per_sec;
        while logs_due >= 1.0 {
            logs_due -= 1.0;
            n += 1;
            w.append(&Record::Observed {
                at,
                obs: Observation::Log(LogLine {
                    at,
                    pod: format!("serving-{}", n % 20),
                    container: "serving".into(),
                    text: format!("INFO request done status=200 latency_ms={} id={n}", n % 900),
                }),
            })
            .expect("append");
        }
        w.append(&Record::Tick { at }).expect("append");
    }
    w.finish().expect("finish");
    start
}

fn recording() -> (PathBuf, Timestamp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("day.sitrec");
    let t = Instant::now();
    let start = write_day(&path);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "replay/open_seek_1m: a 24-hour recording of {OBSERVATIONS} observations: {:.1} MB, written in {:.1?}",
        size as f64 / 1e6,
        t.elapsed()
    );
    (path, start, dir)
}

fn open_seek(c: &mut Criterion) {
    let (path, start, _dir) = recording();
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    let mut k = 0i64;
    let mut worst = std::time::Duration::ZERO;
    group.bench_function("open_seek_1m", |b| {
        b.iter(|| {
            let t = Instant::now();
            // A different moment each time, all over the day.
            k = (k + 7919) % DAY;
            let mut reader = Reader::open(&path).expect("opens");
            let (burst, mut cur) = reader
                .seek(start + SignedDuration::from_secs(k))
                .expect("seeks");
            let next = reader.next(&mut cur).expect("reads on");
            worst = worst.max(t.elapsed());
            (burst.len(), next.is_some())
        })
    });
    group.finish();
    eprintln!("replay/open_seek_1m: slowest open and seek {worst:.1?} (bound: 1 s)");
}

criterion_group!(benches, open_seek);
criterion_main!(benches);
