//! The drill library end to end: every bundled drill checks clean, plays headless to a
//! scorecard, gives full marks to its reference path and few to a wrong one; and the
//! simulated world does what each drill's story says the wrong remedies do.

// A test that cannot read its own fixtures or start the binary should stop at once, saying why.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::Timestamp;
use sitrep::drill::headless::{parse_script, run};
use sitrep::drill::scenario::BUILTIN;
use sitrep::drill::scorecard::EndReason;
use sitrep::drill::{Scenario, World};
use sitrep::event::{Action, Observation};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(name: &str, kind: &str) -> String {
    let path = root().join(format!("tests/fixtures/drills/{name}.{kind}"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (every bundled drill needs one)", path.display()))
}

fn sitrep(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .current_dir(dir)
        .env("SITREP_CONFIG_DIR", dir.join("config"))
        .env("SITREP_DATA_DIR", dir.join("data"))
        .output()
        .expect("sitrep runs")
}

fn drill_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("assets/drills"))
        .expect("assets/drills")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_drill_file_is_bundled_and_passes_sitrep_check_without_warnings() {
    let files = drill_files();
    assert!(files.len() >= 10, "the library covers ten incident shapes");
    for f in &files {
        let stem = f.file_stem().and_then(|s| s.to_str()).expect("name");
        assert!(
            BUILTIN.iter().any(|(n, _)| *n == stem),
            "{stem} is not in scenario::BUILTIN"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["check"];
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let o = sitrep(&args, dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.contains("warning"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok: drill")).count(),
        files.len()
    );
}

#[test]
fn sitrep_check_reports_a_drill_with_problems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(root().join("assets/drills/ocr-provider-outage.toml"))
        .expect("drill")
        .replace("runbook = \"ocr.md\"", "runbook = \"missing.md\"")
        .replace(
            "action = \"kill-switch ocr-fallback on\"\nwithin",
            "action = \"kill-switch ocr-fallbak on\"\nwithin",
        );
    std::fs::write(dir.path().join("d.toml"), text).expect("write");
    let o = sitrep(&["check", "d.toml"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("runbook `missing.md` not found"), "{out}");
    assert!(
        out.contains("scoring.expect `kill-switch ocr-fallbak on`: no kill switch `ocr-fallbak`"),
        "{out}"
    );
}

#[test]
fn every_drill_gives_its_reference_path_full_marks_and_a_wrong_path_few() {
    for (name, _) in BUILTIN {
        let (s, _) = Scenario::load(name).expect("loads");
        let good = parse_script(&script(name, "expected")).expect("expected script");
        let out = run(s.clone(), None, &good).expect("plays");
        let card = &out.card;
        assert!(out.notes.is_empty(), "{name}: {:?}", out.notes);
        assert_eq!(card.end, EndReason::Resolved, "{name}: {:#?}", card);
        assert_eq!(card.points, card.max, "{name}: {:?}", card.lines);
        assert!(card.passed && card.max > 0, "{name}");
        assert!(card.times.to_first_correct_action_s.is_some(), "{name}");
        assert!(card.times.to_mitigation_s.is_some(), "{name}");
        assert!(
            card.actions.iter().all(|a| a.verdict == "expected"),
            "{name}: {:?}",
            card.actions
        );
        assert!(
            card.reference.iter().all(|r| r.result == "done"),
            "{name}: {:?}",
            card.reference
        );
        assert!(card.runbook.is_some(), "{name}: the checklist is live");

        let bad = parse_script(&script(name, "wrong")).expect("wrong script");
        let out = run(s, None, &bad).expect("plays");
        let card = &out.card;
        assert!(
            !card.passed,
            "{name}: a wrong path passed: {:?}",
            card.lines
        );
        assert!(
            card.percent < 30,
            "{name}: {}%: {:?}",
            card.percent,
            card.lines
        );
        assert_eq!(card.end, EndReason::TimeUp, "{name}");
        assert!(
            card.actions
                .iter()
                .all(|a| a.verdict != "expected" && !a.note.is_empty()),
            "{name}: {:?}",
            card.actions
        );
    }
}

#[test]
fn the_binary_prints_the_scorecard_json_and_exits_by_the_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = root().join("tests/fixtures/drills");
    for (kind, code) in [("expected", 0), ("wrong", 1)] {
        let script = fixtures.join(format!("brute-force-login.{kind}"));
        let o = sitrep(
            &[
                "drill",
                "brute-force-login",
                "--headless",
                "--script",
                &script.display().to_string(),
            ],
            dir.path(),
        );
        assert_eq!(
            o.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let card: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(card["drill"], "brute-force-login");
        assert_eq!(card["passed"], code == 0);
        assert!(card["times"]["to_acknowledge_s"].is_number(), "{card}");
    }
    assert!(
        !dir.path().join("INCIDENTS.md").exists(),
        "a headless drill writes no journal"
    );
    std::fs::write(
        dir.path().join("bad.script"),
        "+30s ack\nlater rollback x\n",
    )
    .expect("w");
    let o = sitrep(
        &[
            "drill",
            "brute-force-login",
            "--headless",
            "--script",
            "bad.script",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.script: line 2: expected `+TIME command`"),
        "{err}"
    );
}

#[test]
fn drill_list_shows_each_drill_with_difficulty_and_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = sitrep(&["drill", "--list"], dir.path());
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for (name, _) in BUILTIN {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{out}"));
        assert!(
            ["easy", "medium", "hard"].iter().any(|d| line.contains(d)),
            "{line}"
        );
        assert!(line.len() > name.len() + 20, "a description: {line}");
    }
    assert!(
        out.contains("sitrep demo runs snapbuilder-bad-rollout"),
        "{out}"
    );
}

// What the world does to the wrong remedies the drills warn about.

fn world(name: &str) -> World {
    let (s, _) = Scenario::load(name).expect("loads");
    World::new(s, Timestamp::from_second(1_800_000_000).expect("time"))
}

fn step(w: &mut World, secs: u32) {
    for _ in 0..secs {
        w.step();
    }
}

fn signal(w: &World, name: &str) -> f64 {
    w.snapshot()
        .into_iter()
        .find_map(|o| match o {
            Observation::Signal { name: n, value } if n == name => value,
            _ => None,
        })
        .expect("signal")
}

fn act(w: &mut World, line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let action = match words.as_slice() {
        ["scale", d, n] => Action::Scale {
            deployment: d.to_string(),
            replicas: n.parse().expect("n"),
            place: Default::default(),
        },
        ["kill-switch", k, on] => Action::KillSwitch {
            name: k.to_string(),
            on: *on == "on",
        },
        ["restart", d] => Action::Restart {
            deployment: d.to_string(),
            place: Default::default(),
        },
        _ => panic!("{line}"),
    };
    w.apply(&action).expect("applies");
}

#[test]
fn scaling_out_only_buys_time_for_a_latency_regression() {
    let mut w = world("serving-latency-regression");
    step(&mut w, 150);
    let before = signal(&w, "p95 latency (512 tok)");
    assert!(before > 500.0, "{before}");
    act(&mut w, "scale snapbuilder-serving 8");
    step(&mut w, 30);
    let eased = signal(&w, "p95 latency (512 tok)");
    assert!(eased < 350.0, "scaling out eases it at first: {eased}");
    step(&mut w, 200);
    let back = signal(&w, "p95 latency (512 tok)");
    assert!(back > 500.0, "and then it comes back: {back}");
}

#[test]
fn scaling_up_makes_a_brute_force_attack_worse() {
    let (mut calm, mut scaled) = (world("brute-force-login"), world("brute-force-login"));
    step(&mut calm, 120);
    step(&mut scaled, 120);
    act(&mut scaled, "scale auth-api 6");
    step(&mut calm, 10);
    step(&mut scaled, 10);
    let (a, b) = (
        signal(&calm, "login attempts/s"),
        signal(&scaled, "login attempts/s"),
    );
    assert!(b > a * 1.2, "{a} vs {b}");
    act(&mut scaled, "kill-switch login-rate-limit on");
    step(&mut scaled, 60);
    assert!(scaled.is_mitigated(), "the rate limit ends it");
}

#[test]
fn strict_moderation_trades_flags_for_refusals() {
    let mut w = world("moderation-flag-spike");
    step(&mut w, 120);
    assert!(signal(&w, "moderation flag rate") > 15.0);
    assert!(signal(&w, "refusal rate") < 3.0);
    act(&mut w, "kill-switch moderation-strict on");
    step(&mut w, 60);
    assert!(signal(&w, "moderation flag rate") < 10.0);
    let refusals = signal(&w, "refusal rate");
    assert!(
        refusals > 3.0,
        "the refusal-rate signal rises while strict: {refusals}"
    );
}

fn pods_on(w: &World, node: &str) -> usize {
    w.snapshot()
        .iter()
        .filter(|o| matches!(o, Observation::Pod(p) if p.node == node))
        .count()
}

#[test]
fn draining_the_hot_node_moves_its_pods_and_restarting_does_not() {
    let mut w = world("gpu-overheating");
    step(&mut w, 120);
    assert!(pods_on(&w, "gpu-node-2") > 0);
    act(&mut w, "restart snapbuilder-serving");
    step(&mut w, 120);
    assert!(
        pods_on(&w, "gpu-node-2") > 0,
        "restarted pods land on the same node"
    );
    assert!(signal(&w, "hottest GPU") > 90.0);
    act(&mut w, "kill-switch drain-gpu-node-2 on");
    step(&mut w, 90);
    assert_eq!(pods_on(&w, "gpu-node-2"), 0, "drained");
    assert_eq!(
        pods_on(&w, "gpu-node-1") + pods_on(&w, "gpu-node-4"),
        6,
        "all six pods run on the healthy nodes"
    );
    assert!(signal(&w, "hottest GPU") < 85.0);
}

#[test]
fn a_failing_training_job_is_requeued_again_and_again() {
    let mut w = world("training-bad-snapshot");
    step(&mut w, 150);
    let restarts: u32 = w
        .snapshot()
        .iter()
        .filter_map(|o| match o {
            Observation::Pod(p) if p.workload == "snapbuilder-training" => Some(p.restarts),
            _ => None,
        })
        .sum();
    assert!(restarts >= 3, "requeued at least three times: {restarts}");
}

/// The suggested fix in every bundled drill: `fix` (what `enter` on the alerts pane runs,
/// the newest firing alert being selected) once the alert has fired, confirmed as an
/// operator would. Where it is the drill's expected mitigation the operator is one key from
/// its confirmation. Two drills have no such one-key fix yet, named here so that a change
/// either way is seen: the overheating drill's fix is the runbook's `cordon` of the hot
/// node, which the drill world does not simulate (its mitigation is a drain kill switch),
/// and a login attack has no change before it to undo.
#[test]
fn the_suggested_fix_of_each_drill_is_its_mitigation() {
    const NOT_YET: [&str; 2] = ["gpu-overheating", "brute-force-login"];
    for (name, _) in BUILTIN {
        let (s, _) = Scenario::load(name).expect("loads");
        let reference = parse_script(&script(name, "expected")).expect("expected script");
        let secs = reference.first().expect("a reference step").at.as_secs();
        let fix = parse_script(&format!("+{secs}s fix\n")).expect("a one-line script");
        let out = run(s, None, &fix).expect("plays");
        let first = out.card.actions.first();
        if *name == "gpu-overheating" {
            assert_eq!(
                first.map(|a| a.command.as_str()),
                Some("cordon gpu-node-2"),
                "the hot node, not the selected pod's"
            );
        }
        let verdict = first.map_or("no action", |a| a.verdict.as_str());
        let command = first.map_or("-", |a| a.command.as_str());
        eprintln!("{name}: fix at +{secs}s → {command}: {verdict}");
        assert_eq!(
            verdict == "expected",
            !NOT_YET.contains(name),
            "{name}: fix at +{secs}s → {command}: {verdict}"
        );
    }
}
