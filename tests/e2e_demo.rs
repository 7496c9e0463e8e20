//! The real binary in a real terminal: the demo from the first alert to recovery.

#![allow(clippy::expect_used)]

mod support;

use std::time::Duration;

use support::Tmux;

const LONG: Duration = Duration::from_secs(60);

/// Whether `a` and `b` are neighbouring words of a screen line.
fn adjacent(line: &str, a: &str, b: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(2).any(|w| w[0] == a && w[1] == b)
}

#[test]
fn demo_alert_help_rollback_recovery_and_quit() {
    let t = Tmux::start(&["demo", "--speed", "10"], 200, 60);
    t.wait_for("DRILL snapbuilder-bad-rollout", LONG);
    t.wait_until(
        |s| {
            // The alerts pane's row, not "firing" and the alert's name in two panes side by side.
            s.lines().any(|l| adjacent(l, "firing", "HighErrorRate"))
        },
        "HighErrorRate firing",
        LONG,
    );

    t.keys(&["?"]);
    let help = t.wait_for("keys (default keymap)", LONG);
    assert!(help.contains("rollback"), "{help}");
    t.keys(&["Escape"]);
    t.wait_until(
        |s| !s.contains("keys (default keymap)"),
        "help to close",
        LONG,
    );

    t.keys(&[":"]);
    t.text("rollback snapbuilder-serving");
    t.keys(&["Enter"]);
    let confirm = t.wait_for("Roll back deployment snapbuilder/snapbuilder-serving", LONG);
    assert!(confirm.contains("to revision 2"), "{confirm}");
    // As live: the sandbox's dry run, and at SEV2 the deployment's name typed.
    t.wait_for("Sandbox dry run (simulated cluster): accepted", LONG);
    t.wait_for("Type snapbuilder-serving and press enter", LONG);
    t.text("snapbuilder-serving");
    t.keys(&["Enter"]);

    let recovered = t.wait_until(
        |s| s.lines().any(|l| adjacent(l, "resolved", "HighErrorRate")),
        "HighErrorRate resolved",
        LONG,
    );
    assert!(
        recovered.contains("rev 4"),
        "the rollback is a new revision:\n{recovered}"
    );

    // The journal is on disk while the cockpit still runs, and a teammate can add to it.
    let journal = t.file("INCIDENTS.md");
    // The alerts pane shows "resolved" as the alert arrives; its journal line is on disk
    // once the journal worker has fsynced it, a moment later on a loaded machine.
    let deadline = std::time::Instant::now() + LONG;
    let mut text = std::fs::read_to_string(&journal).expect("INCIDENTS.md exists while running");
    while !text.contains("· alert-resolved [DRILL] · HighErrorRate")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
        text = std::fs::read_to_string(&journal).expect("INCIDENTS.md exists while running");
    }
    for want in [
        "## [DRILL] INC-",
        "· drill [DRILL] ·",
        "· alert-fired [DRILL] · HighErrorRate: 5xx rate",
        "· rollback [ok] [DRILL] · deployment/snapbuilder-serving in snapbuilder on sandbox from 3 to 2",
        "· alert-resolved [DRILL] · HighErrorRate",
    ] {
        assert!(text.contains(want), "INCIDENTS.md lacks {want:?}:\n{text}");
    }
    let note = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["note", "--incidents"])
        .arg(&journal)
        .args(["deploy", "pipeline", "paused"])
        .env("SITREP_ACTOR", "ci-bot")
        .output()
        .expect("sitrep note runs");
    assert!(
        note.status.success(),
        "{}",
        String::from_utf8_lossy(&note.stderr)
    );

    // Once every fault is gone the drill is over: its scorecard comes up and is written.
    let card = t.wait_for("scorecard · snapbuilder-bad-rollout", LONG);
    assert!(card.contains("PASSED"), "{card}");
    assert!(card.contains("reference path"), "{card}");
    assert!(card.contains("rollback snapbuilder-serving"), "{card}");
    let written: Vec<_> = std::fs::read_dir(t.file("data/scorecards"))
        .expect("scorecards dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(
        written
            .iter()
            .any(|p| p.extension().is_some_and(|x| x == "json"))
            && written
                .iter()
                .any(|p| p.extension().is_some_and(|x| x == "md")),
        "{written:?}"
    );
    t.keys(&["Escape"]);
    t.wait_until(|s| !s.contains("scorecard ·"), "scorecard to close", LONG);

    t.keys(&["q"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["y"]);
    let after = t.wait_for("EXITED 0", LONG);
    assert!(
        !after.contains("DRILL snapbuilder"),
        "the terminal is restored:\n{after}"
    );
    let text = std::fs::read_to_string(&journal).expect("INCIDENTS.md");
    assert!(
        text.contains("· ci-bot · note [DRILL] · deploy pipeline paused"),
        "{text}"
    );
    assert!(
        text.contains("· status [DRILL] · resolved (was"),
        "quitting ends the drill:\n{text}"
    );
    let parsed = sitrep::journal::parse(&text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.incidents.len(), 1);
}

#[test]
fn small_terminal_tabs_the_panes() {
    let t = Tmux::start(&["demo", "--speed", "20"], 80, 24);
    let s = t.wait_for("1 signals", LONG);
    assert!(s.contains("7 timeline"), "{s}");
    t.keys(&["3"]);
    t.wait_for("snapbuilder-serving", LONG);
    t.keys(&["C-c"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["Enter"]);
    // Leaving a drill early still scores it; the scorecard goes with the next key.
    let card = t.wait_for("q/esc quits", LONG);
    assert!(card.contains("scorecard"), "{card}");
    t.keys(&["q"]);
    t.wait_for("EXITED 0", LONG);
}

#[test]
fn bad_keymap_is_an_error_before_the_screen_is_taken() {
    let t = Tmux::start(&["demo", "--keymap", "/nonexistent/keys.toml"], 100, 20);
    let s = t.wait_for("EXITED 2", LONG);
    assert!(
        s.contains("/nonexistent/keys.toml: cannot read keymap"),
        "{s}"
    );
}

#[test]
fn a_panic_restores_the_terminal_and_prints_the_message() {
    let t = Tmux::start_with(
        &["demo"],
        &[("SITREP_TEST_PANIC", "1"), ("RUST_BACKTRACE", "0")],
        120,
        30,
    );
    let s = t.wait_for("EXITED", LONG);
    assert!(s.contains("panicking on purpose"), "{s}");
    assert!(!s.contains("EXITED 0"), "{s}");
    t.wait_for("COOKED", LONG);
}

/// The timeline rows on screen: (time, kind) of each.
fn timeline_rows(screen: &str) -> Vec<(String, String)> {
    let kinds: Vec<&str> = sitrep::journal::Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let mut rows = Vec::new();
    for line in screen.lines() {
        // The timeline is the right-hand column at 200x60.
        let Some(cell) = line.rsplit('│').nth(1) else {
            continue;
        };
        let words: Vec<&str> = cell.split_whitespace().collect();
        if let [time, _actor, kind, ..] = words.as_slice()
            && time.len() == 8
            && time.chars().filter(|c| *c == ':').count() == 2
            && kinds.contains(kind)
        {
            rows.push((time.to_string(), kind.to_string()));
        }
    }
    rows
}

#[test]
fn kill_9_keeps_every_entry_the_timeline_showed() {
    let t = Tmux::start(&["demo", "--speed", "20"], 200, 60);
    t.wait_until(
        |s| timeline_rows(s).iter().any(|(_, k)| k == "alert-fired"),
        "an alert in the timeline",
        LONG,
    );
    t.keys(&["a"]);
    t.keys(&[":"]);
    t.text("note checking the rollout");
    t.keys(&["Enter"]);
    let screen = t.wait_until(
        |s| timeline_rows(s).iter().any(|(_, k)| k == "note"),
        "the note in the timeline",
        LONG,
    );
    let shown = timeline_rows(&screen);
    let pid = t.program_pid().expect("sitrep is running");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    // A killed cockpit never leaves the alternate screen, so the shell's "EXITED 137" lands
    // wherever the cursor was and may be drawn over: wait for the process to be gone instead.
    let proc = std::path::PathBuf::from(format!("/proc/{pid}/stat"));
    let deadline = std::time::Instant::now() + LONG;
    while std::fs::read_to_string(&proc).is_ok_and(|s| !s.contains(") Z ")) {
        assert!(
            std::time::Instant::now() < deadline,
            "sitrep outlived kill -9"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(t.file("INCIDENTS.md")).expect("INCIDENTS.md");
    let parsed = sitrep::journal::parse(&text);
    assert!(parsed.problems.is_empty(), "{:?}\n{text}", parsed.problems);
    let entries = &parsed.incidents.last().expect("an incident").entries;
    for (time, kind) in &shown {
        assert!(
            entries
                .iter()
                .any(|e| e.at.strftime("%H:%M:%S").to_string() == *time && e.kind.as_str() == kind),
            "the pane showed {time} {kind}, the file lacks it:\n{text}"
        );
    }
}
