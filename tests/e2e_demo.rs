//! The real binary in a real terminal: the demo from the first alert to recovery.

mod support;

use std::time::Duration;

use support::Tmux;

const LONG: Duration = Duration::from_secs(60);

#[test]
fn demo_alert_help_rollback_recovery_and_quit() {
    let t = Tmux::start(&["demo", "--speed", "10"], 200, 60);
    t.wait_for("DRILL snapbuilder-bad-rollout", LONG);
    t.wait_until(
        |s| {
            s.lines()
                .any(|l| l.contains("firing") && l.contains("HighErrorRate"))
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
    t.keys(&["y"]);

    let recovered = t.wait_until(
        |s| {
            s.lines()
                .any(|l| l.contains("resolved") && l.contains("HighErrorRate"))
        },
        "HighErrorRate resolved",
        LONG,
    );
    assert!(
        recovered.contains("rev 4"),
        "the rollback is a new revision:\n{recovered}"
    );

    t.keys(&["q"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["y"]);
    let after = t.wait_for("EXITED 0", LONG);
    assert!(
        !after.contains("DRILL snapbuilder"),
        "the terminal is restored:\n{after}"
    );
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
