//! Signals end the cockpit the way a confirmed quit does: terminal given back, a drill's
//! incident closed in INCIDENTS.md, the conventional exit status; SIGTSTP/SIGCONT leave and
//! re-enter the alternate screen.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::Tmux;

const LONG: Duration = Duration::from_secs(60);

fn kill(sig: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// A demo with its drill incident open, and its pid.
fn demo_with_incident() -> (Tmux, u32) {
    let t = Tmux::start(&["demo", "--speed", "20"], 160, 48);
    t.wait_for("DRILL snapbuilder-bad-rollout", LONG);
    let journal = t.file("INCIDENTS.md");
    let deadline = Instant::now() + LONG;
    while !std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("## [DRILL] INC-")) {
        assert!(
            Instant::now() < deadline,
            "no drill incident opened:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(t.pane_var("alternate_on"), "1", "the cockpit is on");
    let pid = t.program_pid().expect("sitrep's pid");
    (t, pid)
}

fn stops_like_a_quit(sig: &str, status: u32) {
    let (t, pid) = demo_with_incident();
    kill(sig, pid);
    let after = t.wait_for(&format!("EXITED {status}"), LONG);
    assert!(
        !after.contains("DRILL snapbuilder"),
        "the shell's screen is back:\n{after}"
    );
    t.wait_for("COOKED", LONG);
    assert_eq!(t.pane_var("alternate_on"), "0", "left the alternate screen");
    assert_eq!(t.pane_var("mouse_any_flag"), "0", "mouse reporting off");
    assert_eq!(t.pane_var("cursor_flag"), "1", "cursor shown");
    let text = std::fs::read_to_string(t.file("INCIDENTS.md")).expect("INCIDENTS.md");
    assert!(
        text.contains("· status [DRILL] · resolved (was") && text.contains("the drill ended"),
        "a signal ends the drill's incident:\n{text}"
    );
    let parsed = sitrep::journal::parse(&text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
}

#[test]
fn sigterm_restores_the_terminal_and_ends_the_drill() {
    stops_like_a_quit("TERM", 143);
}

#[test]
fn sighup_restores_the_terminal_and_ends_the_drill() {
    stops_like_a_quit("HUP", 129);
}

#[test]
fn sigint_and_sigquit_do_the_same() {
    stops_like_a_quit("INT", 130);
    stops_like_a_quit("QUIT", 131);
}

#[test]
fn sigtstp_leaves_the_alternate_screen_and_sigcont_comes_back() {
    let (t, pid) = demo_with_incident();
    kill("TSTP", pid);
    let deadline = Instant::now() + LONG;
    while t.pane_var("alternate_on") != "0" {
        assert!(Instant::now() < deadline, "still on the alternate screen");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(t.pane_var("mouse_any_flag"), "0");
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let field = state
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    assert_eq!(field, Some("T"), "the process is stopped: {state}");
    kill("CONT", pid);
    t.wait_until(
        |_| t.pane_var("alternate_on") == "1",
        "the alternate screen again",
        LONG,
    );
    t.wait_for("DRILL snapbuilder-bad-rollout", LONG);
    t.keys(&["q"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["y"]);
    // A drill shows its scorecard before it goes; the next key leaves.
    t.wait_for("scorecard · snapbuilder-bad-rollout", LONG);
    t.keys(&["q"]);
    t.wait_for("EXITED 0", LONG);
}
