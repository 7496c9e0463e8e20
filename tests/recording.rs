//! Recordings on disk: round trips, seeking through keyframes, the size bound, and every
//! kind of bad input (empty, not a recording, future version, cut short, flipped bytes),
//! which must end in a clear error or a played prefix, never a panic. Then `kill -9` while
//! writing: the file reads back to its last complete block.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sitrep::event::{LogLine, Observation, SignalDef};
use sitrep::recording::format::{FORMAT_VERSION, FileHeader};
use sitrep::recording::keyframes::StateFold;
use sitrep::recording::redact::Redactor;
use sitrep::recording::writer::Appended;
use sitrep::recording::{Reader, Record, Writer, WriterOptions};

const CHILD_ENV: &str = "SITREP_RECORDING_CRASH_CHILD";

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_795_000_000 + s).unwrap()
}

fn header() -> FileHeader {
    FileHeader {
        format: FORMAT_VERSION,
        sitrep_version: "test".into(),
        created_at: t(0),
        incident: Some(sitrep::recording::IncidentInfo {
            id: "INC-1".into(),
            title: "test".into(),
            opened_at: t(0),
        }),
        mode: "LIVE test/ns".into(),
        sources: vec![],
        config: serde_json::Value::Null,
        lead_up_seconds: 0,
    }
}

fn log(i: i64) -> Record {
    Record::Observed {
        at: t(i),
        obs: Observation::Log(LogLine {
            at: t(i),
            pod: "web-1".into(),
            container: "web".into(),
            text: format!("line {i}"),
        }),
    }
}

/// A recording of `seconds` seconds: a signal and a log line each second.
fn write(path: &Path, seconds: i64, opts: WriterOptions) -> Vec<Record> {
    let mut w =
        Writer::create(path, &header(), StateFold::new(), Redactor::default(), opts).unwrap();
    let mut all = vec![Record::Observed {
        at: t(0),
        obs: Observation::SignalDefined(SignalDef {
            name: "5xx".into(),
            unit: "percent".into(),
            ..Default::default()
        }),
    }];
    for i in 0..seconds {
        all.push(Record::Observed {
            at: t(i),
            obs: Observation::Signal {
                name: "5xx".into(),
                value: Some(i as f64),
            },
        });
        all.push(log(i));
        all.push(Record::Tick { at: t(i) });
    }
    for r in &all {
        assert_eq!(w.append(r).unwrap(), Appended::Kept);
    }
    w.finish().unwrap();
    all
}

fn small_blocks() -> WriterOptions {
    WriterOptions {
        block_bytes: 2048,
        ..WriterOptions::default()
    }
}

fn read_all(path: &Path) -> (Reader, Vec<Record>) {
    let mut r = Reader::open(path).unwrap();
    let mut cur = r.cursor();
    let mut out = Vec::new();
    while let Some(rec) = r.next(&mut cur).unwrap() {
        out.push(rec);
    }
    (r, out)
}

#[test]
fn records_come_back_in_order_without_keyframe_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    let written = write(&path, 600, small_blocks());
    let (r, read) = read_all(&path);
    assert!(r.damage().is_empty());
    assert_eq!(read, written);
    let keyframes = r
        .blocks()
        .iter()
        .filter(|b| b.frame.kind == sitrep::recording::format::BlockKind::Keyframe)
        .count();
    assert!(keyframes >= 9, "a keyframe a minute, got {keyframes}");
    assert_eq!(r.start(), Some(t(0)));
    assert_eq!(r.end(), Some(t(599)));
}

#[test]
fn a_seek_rebuilds_the_state_from_the_keyframe_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    let written = write(&path, 600, small_blocks());
    let mut r = Reader::open(&path).unwrap();
    let target = t(450);
    let (burst, mut cur) = r.seek(target).unwrap();
    // The state the burst builds equals the state of every record up to the target.
    let mut from_burst = StateFold::new();
    burst.iter().for_each(|x| from_burst.apply(x));
    let mut from_all = StateFold::new();
    written
        .iter()
        .filter(|x| x.at() <= target)
        .for_each(|x| from_all.apply(x));
    assert_eq!(
        format!("{:?}", from_burst.snapshot()),
        format!("{:?}", from_all.snapshot())
    );
    let ticks = burst
        .iter()
        .filter(|x| matches!(x, Record::Tick { .. }))
        .count();
    assert!(
        ticks <= 62,
        "the burst starts at a keyframe, not the beginning: {ticks} ticks"
    );
    assert_eq!(r.next(&mut cur).unwrap().map(|x| x.at()), Some(t(451)));
}

#[test]
fn the_size_limit_stops_recording_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    let opts = WriterOptions {
        block_bytes: 512,
        max_bytes: 4096,
        ..WriterOptions::default()
    };
    let mut w = Writer::create(
        &path,
        &header(),
        StateFold::new(),
        Redactor::default(),
        opts,
    )
    .unwrap();
    let mut outcomes = Vec::new();
    for i in 0..2000 {
        outcomes.push(w.append(&log(i)).unwrap());
    }
    w.finish().unwrap();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Appended::LimitReached)
            .count(),
        1
    );
    assert_eq!(outcomes.last(), Some(&Appended::Dropped));
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 4096 + 512, "bounded: {size} bytes");
    let (_, read) = read_all(&path);
    match read.last() {
        Some(Record::Notice { text, .. }) => assert!(text.contains("size limit"), "{text}"),
        other => panic!("no notice at the end: {other:?}"),
    }
}

fn open_err(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.sitrec");
    std::fs::write(&path, bytes).unwrap();
    let e = Reader::open(&path).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}: byte ", path.display())), "{e}");
    e
}

#[test]
fn bad_files_are_named_with_the_byte() {
    let e = open_err(b"");
    assert!(
        e.ends_with("byte 0: the file is empty, not a sitrep recording"),
        "{e}"
    );
    let e = open_err(b"# INCIDENTS.md\n\nnot a recording at all\n");
    assert!(e.contains("byte 0: not a sitrep recording"), "{e}");
    let e = open_err(b"SITREP");
    assert!(e.contains("ends inside the header"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    write(&path, 10, small_blocks());
    let good = std::fs::read(&path).unwrap();
    let mut future = good.clone();
    future[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let e = open_err(&future);
    assert!(
        e.contains("byte 8: recording format version 2 is newer"),
        "{e}"
    );
    let mut flipped_header = good.clone();
    flipped_header[20] ^= 0x01;
    let e = open_err(&flipped_header);
    assert!(e.contains("byte 16: header checksum mismatch"), "{e}");
    let e = open_err(&good[..30]);
    assert!(e.contains("ends inside the header"), "{e}");
}

#[test]
fn a_cut_tail_plays_up_to_the_last_good_record_with_a_banner() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    let written = write(&path, 300, small_blocks());
    let good = std::fs::read(&path).unwrap();
    let cut = good.len() - 100;
    std::fs::write(&path, &good[..cut]).unwrap();
    let (r, read) = read_all(&path);
    assert!(!read.is_empty());
    assert_eq!(
        read[..],
        written[..read.len()],
        "a prefix of what was written"
    );
    let banner = r.damage_banner().unwrap();
    let last = r.blocks().last().unwrap();
    let at = last.offset + 40 + last.frame.stored_len as u64;
    assert!(
        banner.contains(&format!("damaged at byte {at}")),
        "{banner}"
    );
    assert!(banner.contains("cut short"), "{banner}");
    assert!(banner.contains(&path.display().to_string()), "{banner}");
}

#[test]
fn a_flipped_byte_loses_one_block_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    let written = write(&path, 300, small_blocks());
    let r = Reader::open(&path).unwrap();
    let victim = r.blocks()[r.blocks().len() / 2];
    drop(r);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[victim.offset as usize + 60] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (r, read) = read_all(&path);
    assert_eq!(r.damage().len(), 1);
    assert_eq!(r.damage()[0].offset, victim.offset);
    assert!(r.damage()[0].what.contains("checksum mismatch"));
    // Everything else is there: before the damage and after it.
    assert!(
        read.len() < written.len() && read.len() + victim.frame.count as usize >= written.len() - 1
    );
    assert_eq!(read.last(), written.last());
    // A flip in a frame: the reader finds the next block and goes on.
    let mut bytes = std::fs::read(&path).unwrap();
    let other = r.blocks()[3];
    bytes[other.offset as usize + 5] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (r, read) = read_all(&path);
    assert_eq!(r.damage().len(), 2, "{:?}", r.damage());
    assert_eq!(read.last(), written.last());
}

#[test]
fn no_damage_anywhere_makes_the_reader_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sitrec");
    write(&path, 120, small_blocks());
    let good = std::fs::read(&path).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..300 {
        let mut bytes = good.clone();
        match rng.u8(0..3) {
            0 => bytes.truncate(rng.usize(0..good.len())),
            1 => {
                for _ in 0..rng.usize(1..8) {
                    let i = rng.usize(0..bytes.len());
                    bytes[i] ^= 1 << rng.u8(0..8);
                }
            }
            _ => {
                let i = rng.usize(0..bytes.len());
                let n = rng.usize(1..200).min(bytes.len() - i);
                bytes.drain(i..i + n);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(mut r) = Reader::open(&path) {
            let mut cur = r.cursor();
            while let Ok(Some(_)) = r.next(&mut cur) {}
            let _ = r.seek(t(60));
            let _ = r.next_action_after(t(0));
        }
    }
}

#[test]
fn recording_crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let opts = WriterOptions {
        block_bytes: 1 << 30,
        block_age: Duration::from_secs(3600),
        keyframe_every: SignedDuration::from_secs(30),
        ..WriterOptions::default()
    };
    let mut w = Writer::create(
        path.as_ref(),
        &header(),
        StateFold::new(),
        Redactor::default(),
        opts,
    )
    .unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        w.append(&log(i)).unwrap();
        if i % 7 == 6 {
            // Only a written block counts as recorded.
            w.flush().unwrap();
            writeln!(out, "flushed {i}").unwrap();
            out.flush().unwrap();
        }
    }
}

#[cfg(unix)]
#[test]
fn kill_9_while_recording_reads_back_to_the_last_complete_block() {
    use std::io::{BufRead, BufReader};
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crash.sitrec");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "recording_crash_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut last = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("flushed ") {
                last = Some(n.parse::<i64>().unwrap());
                if last.unwrap() > 2000 + round * 500 {
                    break;
                }
            }
        }
        // SIGKILL: no destructor, no flush.
        child.kill().unwrap();
        child.wait().unwrap();
        let last = last.unwrap();
        let (_, read) = read_all(&path);
        let logs: Vec<i64> = read
            .iter()
            .filter_map(|r| match r {
                Record::Observed {
                    obs: Observation::Log(l),
                    ..
                } => l.text.strip_prefix("line ").map(|n| n.parse().unwrap()),
                _ => None,
            })
            .collect();
        assert!(
            logs.len() as i64 > last,
            "round {round}: {} lines read, {last} reported flushed",
            logs.len()
        );
        assert!(
            logs.iter().enumerate().all(|(i, n)| *n == i as i64),
            "a gapless prefix"
        );
    }
}

/// A log line as a serving pod writes them: a level, a path, a status, a latency, a
/// request id that never repeats.
fn realistic_log(rng: &mut fastrand::Rng, at: Timestamp) -> Record {
    let pods = [
        "snapbuilder-serving-480787-h265b",
        "snapbuilder-serving-480787-lqrjt",
        "snapbuilder-ingest-9163ca-bpb2h",
        "snapbuilder-training-1d16bc-dlch8",
    ];
    let text = match rng.u8(0..10) {
        0 => format!(
            "ERROR request failed path=/v1/generate status=503 request_id={:016x} err=\"CUDA out of memory\"",
            rng.u64(..)
        ),
        1 | 2 => format!(
            "WARN upstream timeout after {}ms request_id={:016x}",
            rng.u32(100..5000),
            rng.u64(..)
        ),
        _ => format!(
            "INFO request done path=/v1/generate status=200 latency_ms={} tokens={} request_id={:016x}",
            rng.u32(20..900),
            rng.u32(16..1024),
            rng.u64(..)
        ),
    };
    Record::Observed {
        at,
        obs: Observation::Log(LogLine {
            at,
            pod: pods[rng.usize(0..pods.len())].into(),
            container: "serving".into(),
            text,
        }),
    }
}

#[test]
fn a_day_at_a_thousand_log_lines_a_second_fits_in_a_few_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("size.sitrec");
    let mut w = Writer::create(
        &path,
        &header(),
        StateFold::new(),
        Redactor::default(),
        WriterOptions::default(),
    )
    .unwrap();
    let mut rng = fastrand::Rng::with_seed(1);
    let lines = 100_000i64;
    for i in 0..lines {
        let at = t(0) + SignedDuration::from_micros(i * 1000);
        w.append(&realistic_log(&mut rng, at)).unwrap();
    }
    w.finish().unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len() as f64;
    let per_line = bytes / lines as f64;
    let day = per_line * 86_400.0 * 1000.0;
    eprintln!(
        "{per_line:.1} bytes a log line; a day at 1,000 lines/s: {:.2} GB",
        day / 1e9
    );
    assert!(
        day < 3.0e9,
        "{per_line:.1} bytes a line: {:.2} GB a day",
        day / 1e9
    );
}
