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
    let wanted = [
        "## [DRILL] INC-",
        "· drill [DRILL] ·",
        "· alert-fired [DRILL] · HighErrorRate: 5xx rate",
        "· rollback [ok] [DRILL] · deployment/snapbuilder-serving in snapbuilder on sandbox from 3 to 2",
        "· alert-resolved [DRILL] · HighErrorRate",
    ];
    // The journal thread fsyncs each entry; on a busy disk that trails the screen a little.
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let text = std::fs::read_to_string(&journal).expect("INCIDENTS.md exists while running");
        match wanted.iter().find(|w| !text.contains(**w)) {
            None => break,
            Some(want) => assert!(
                std::time::Instant::now() < deadline,
                "INCIDENTS.md lacks {want:?}:\n{text}"
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
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

/// From HighErrorRate firing to the confirmation of the right mitigation, counting keys:
/// the alert is selected already, so `enter` (the suggested fix) is the one key; at SEV2
/// the confirmation then asks for the deployment's name, as every rollback does.
fn keys_to_the_fix(w: u16, h: u16) -> usize {
    let t = Tmux::start(&["demo", "--speed", "10"], w, h);
    t.wait_for("DRILL snapbuilder-bad-rollout", LONG);
    t.wait_until(
        |s| s.contains("fix: rollback snapbuilder-serving"),
        "the suggested fix under the alert",
        LONG,
    );
    let mut keys = 0;
    t.keys(&["Enter"]);
    keys += 1;
    let confirm = t.wait_for("Roll back deployment", LONG);
    assert!(confirm.contains("snapbuilder-serving"), "{confirm}");
    t.wait_for("Type snapbuilder-serving", LONG);
    t.text("snapbuilder-serving");
    t.keys(&["Enter"]);
    t.wait_until(
        |s| !s.contains("Type snapbuilder-serving"),
        "the confirmation to close",
        LONG,
    );
    let journal = t.file("INCIDENTS.md");
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        if text.contains(
            "rollback [ok] [DRILL] · deployment/snapbuilder-serving in snapbuilder on sandbox from 3 to 2",
        ) {
            assert!(
                text.contains("step-ticked [DRILL] · HighErrorRate: 5xx above 3% › If the errors started with that revision, roll back:"),
                "the runbook's rollback step is ticked:\n{text}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no rollback:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
    t.keys(&["C-c"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["y"]);
    t.wait_for("q/esc quits", LONG);
    t.keys(&["q"]);
    t.wait_for("EXITED 0", LONG);
    keys
}

#[test]
fn alert_to_the_confirmed_fix_in_at_most_three_keys() {
    for (w, h) in [(80, 24), (200, 60)] {
        let keys = keys_to_the_fix(w, h);
        eprintln!("{w}x{h}: {keys} key(s) from the alert to the rollback's confirmation");
        assert!(keys <= 3, "{w}x{h}: {keys}");
    }
}
