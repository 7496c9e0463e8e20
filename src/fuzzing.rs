//! One entry point per reader of outside input, each taking arbitrary bytes: the
//! `fuzz/` crate's targets call these, and so does `tests/fuzz_corpus.rs` with the
//! committed corpus, so a crash found once stays a test. Each entry point reads the input
//! as sitrep does and then checks what must hold whatever the input (a panic is a bug; so
//! is an invariant broken). None of them touches the network or the terminal.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;

/// A fuzz entry point: reads arbitrary bytes, panics only on a bug.
pub type Entry = fn(&[u8]);

/// Every target, by the name its fuzz target and corpus directory carry.
pub const TARGETS: &[(&str, Entry)] = &[
    ("runbook", runbook),
    ("journal", journal),
    ("command", command),
    ("keymap", keymap),
    ("theme", theme),
    ("config", config),
    ("drill", drill),
    ("recording", recording),
    ("prometheus", prometheus),
    ("alertmanager", alertmanager),
    ("kubernetes", kubernetes),
    ("sanitize", sanitize),
];

/// Text as sitrep's readers see a file: UTF-8, invalid bytes replaced.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Sanitised text holds no raw control character but newline and tab, and no bidi
/// override: the promise every terminal-bound output relies on.
fn assert_clean(what: &str, s: &str) {
    for c in s.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t') || crate::text::is_bidi(c);
        assert!(!bad, "{what}: raw {c:?} survived sanitising in {s:?}");
    }
}

/// The sanitiser: whatever goes in, what comes out is clean, and clean text is kept as it is.
pub fn sanitize(data: &[u8]) {
    let t = text(data);
    let once = crate::text::sanitize(&t);
    assert_clean("sanitize", &once);
    let line = crate::text::sanitize_line(&t);
    assert_clean("sanitize_line", &line);
    assert!(
        !line.contains('\n'),
        "sanitize_line kept a newline: {line:?}"
    );
    // Already clean text (no backslash, which escapes would change) passes unchanged.
    if !t.contains('\\') && !t.chars().any(|c| c.is_control() || crate::text::is_bidi(c)) {
        assert_eq!(once, t, "clean text was changed");
    }
}

/// A Markdown runbook: read, outlined, as JSON, and matched against an alert.
pub fn runbook(data: &[u8]) {
    let t = text(data);
    let rb = crate::runbook::parse(&t);
    let outline = crate::runbook::render::outline(&rb);
    assert_clean("runbook outline", &crate::text::sanitize(&outline));
    let json = crate::runbook::render::json(&rb);
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "runbook json is not JSON"
    );
    let name = rb
        .sections
        .first()
        .map(|s| s.title.clone())
        .unwrap_or_default();
    let alert = crate::runbook::AlertRef {
        name: &name,
        summary: "",
        runbook_url: None,
    };
    let _ = crate::runbook::match_alert(&rb, &alert, &BTreeMap::new());
}

/// INCIDENTS.md: the whole-file parser and the `--last` one agree on the last incident,
/// and every export of it renders.
pub fn journal(data: &[u8]) {
    let t = text(data);
    let all = crate::journal::parse(&t);
    let last = crate::journal::parse_last(&t);
    assert_eq!(
        all.incidents.last().map(|i| &i.header.id),
        last.incidents.last().map(|i| &i.header.id),
        "parse and parse_last disagree on the last incident"
    );
    if let Some(inc) = all.incidents.last() {
        let opts = crate::journal::ExportOptions::default();
        for format in [
            crate::journal::Format::Md,
            crate::journal::Format::Json,
            crate::journal::Format::Html,
        ] {
            let out = crate::journal::export(inc, format, &[], &opts);
            // As `sitrep export` prints it: through the sanitiser, JSON kept JSON.
            let shown = if format == crate::journal::Format::Json {
                let clean = crate::text::Clean::json(out);
                assert!(
                    serde_json::from_str::<serde_json::Value>(clean.as_str()).is_ok(),
                    "export json is not JSON"
                );
                clean
            } else {
                crate::text::Clean::of(&out)
            };
            assert_clean("export", shown.as_str());
        }
    }
}

/// The `:` command line and its completion.
pub fn command(data: &[u8]) {
    let t = text(data);
    for line in t.lines().take(64) {
        if let Ok(cmd) = crate::command::Command::parse(line) {
            let _ = cmd.name();
        }
        let ctx = crate::command::CompletionContext {
            deployments: vec!["api".into(), "snapbuilder-serving".into()],
            kill_switches: vec!["reads".into()],
            pods: vec!["api-7d9c-x2b4q".into()],
            rollouts: vec!["checkout".into()],
        };
        let _ = crate::command::complete(line, &ctx);
    }
}

/// A user's keymap file.
pub fn keymap(data: &[u8]) {
    let t = text(data);
    match crate::config::Keymap::from_text(Path::new("fuzz/keymap.toml"), &t) {
        Ok(k) => {
            let _ = k.bindings();
        }
        Err(e) => assert_clean("keymap error", &crate::text::sanitize(&e.to_string())),
    }
}

/// A user's theme file.
pub fn theme(data: &[u8]) {
    let t = text(data);
    if let Err(e) = crate::config::Theme::from_text(Path::new("fuzz/theme.toml"), &t) {
        assert_clean("theme error", &crate::text::sanitize(&e.to_string()));
    }
}

/// config.toml.
pub fn config(data: &[u8]) {
    let t = text(data);
    let _ = crate::config::Config::parse(Path::new("fuzz/config.toml"), &t);
}

/// A drill file: read, and if it reads, played for two simulated minutes with every
/// step bounded (a drill's rates and counts are limited where they are read).
pub fn drill(data: &[u8]) {
    let t = text(data);
    let Ok(scenario) = crate::drill::scenario::Scenario::parse(Path::new("fuzz/drill.toml"), &t)
    else {
        return;
    };
    let start = Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_hours(24 * 365 * 56);
    let mut world = crate::drill::world::World::new(scenario, start);
    let _ = world.initial();
    for _ in 0..120 {
        let out = world.step();
        assert!(
            out.len() < 2_000_000,
            "one drill second made {} observations",
            out.len()
        );
    }
}

/// A recording file: opened, read to the end, sought and searched for actions.
pub fn recording(data: &[u8]) {
    // The reader works on files; each fuzzing process has its own.
    thread_local! {
        static PATH: std::path::PathBuf = std::env::temp_dir()
            .join(format!("sitrep-fuzz-{}-{:?}.rec", std::process::id(), std::thread::current().id()));
    }
    PATH.with(|path| {
        if std::fs::write(path, data).is_err() {
            return;
        }
        let Ok(mut reader) = crate::recording::reader::Reader::open(path) else {
            return;
        };
        let _ = reader.damage_banner();
        let mut cur = reader.cursor();
        let mut n = 0usize;
        while let Ok(Some(_)) = reader.next(&mut cur) {
            n += 1;
            assert!(n < 10_000_000, "a recording without end");
        }
        if let Some(s) = reader.start() {
            let _ = reader.seek(s);
            let _ = reader.next_action_after(s);
        }
        let _ = reader.actions();
    });
}

/// Prometheus's answers: instant, range and alerts, as a success and as an error status.
pub fn prometheus(data: &[u8]) {
    use crate::sources::decode;
    for status in [200, 422] {
        if let Err(e) = decode::prometheus_instant(status, data) {
            assert!(
                e.len() < 2 * crate::text::MAX_ERROR_BODY + 512,
                "uncapped error"
            );
        }
        let _ = decode::prometheus_range(status, data);
        if let Ok(alerts) = decode::prometheus_alerts(status, data) {
            check_alerts(&alerts);
        }
    }
}

/// Alertmanager's answers: alerts and silences.
pub fn alertmanager(data: &[u8]) {
    use crate::sources::decode;
    if let Ok(alerts) = decode::alertmanager_alerts(data, Timestamp::UNIX_EPOCH) {
        check_alerts(&alerts);
    }
    let _ = decode::alertmanager_silences(data);
}

/// Alerts are capped where they enter.
fn check_alerts(alerts: &[crate::event::AlertStatus]) {
    let room = " (18446744073709551615 bytes more)".len() + 3;
    for a in alerts {
        assert!(a.summary.len() <= crate::text::MAX_ANNOTATION + room);
        assert!(a.description.len() <= crate::text::MAX_ANNOTATION + room);
        for (k, v) in &a.labels {
            assert!(k.len() <= crate::text::MAX_LABEL + room);
            assert!(v.len() <= crate::text::MAX_LABEL + room);
        }
    }
}

/// The Kubernetes API's answers (lists, single objects and watch events of pods,
/// deployments, replica sets and nodes) through the converters the watchers use, and
/// log lines as `kubectl logs --timestamps` sends them.
pub fn kubernetes(data: &[u8]) {
    let _ = crate::sources::decode::kubernetes(data);
    let t = text(data);
    for line in t.lines().take(1000) {
        if let Some((_, rest)) = crate::sources::kube_logs::parse_line(line) {
            assert!(line.ends_with(rest));
        }
    }
}
