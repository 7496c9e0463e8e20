//! Rendering every pane with `TestBackend`, at 80x24 and 200x60.

use crate::app::App;
use crate::app::sample::{drill_app, large_app};
use crate::command::{Command, Pane};

fn render(app: &mut App, w: u16, h: u16) -> String {
    app.size = (w, h);
    super::render_text(app, w, h)
}

/// What each pane must show, two minutes into the bundled drill.
fn expected(pane: Pane) -> &'static [&'static str] {
    match pane {
        Pane::Signals => &["p95 latency (512 tok)", "5xx rate", "▲"],
        Pane::Alerts => &["HighErrorRate", "critical", "firing"],
        Pane::Pods => &["snapbuilder-serving", "rev 3", "CrashLoopBackOff"],
        Pane::Gpus => &["gpu-node-1/0", "°C"],
        Pane::Logs => &["lines · following", "ERROR"],
        Pane::Runbook => &["runbook"],
        Pane::Timeline => &["alert-fired", "drill"],
    }
}

#[test]
fn every_pane_shows_its_content_at_80x24() {
    for pane in Pane::ALL {
        let mut app = drill_app(120);
        app.run(Command::Focus(crate::command::FocusTarget::Pane(pane)));
        let screen = render(&mut app, 80, 24);
        assert!(
            screen.contains("DRILL snapbuilder-bad-rollout"),
            "banner at 80x24:\n{screen}"
        );
        for want in expected(pane) {
            assert!(
                screen.contains(want),
                "{pane:?} lacks {want:?} at 80x24:\n{screen}"
            );
        }
        assert!(screen.lines().count() == 24 && screen.lines().all(|l| l.chars().count() <= 80));
    }
}

#[test]
fn every_pane_is_visible_at_once_at_200x60() {
    let mut app = drill_app(120);
    let screen = render(&mut app, 200, 60);
    for pane in Pane::ALL {
        assert!(
            screen.contains(&format!(" {} ", pane.name())),
            "no {pane:?} pane:\n{screen}"
        );
        for want in expected(pane) {
            assert!(
                screen.contains(want),
                "{pane:?} lacks {want:?} at 200x60:\n{screen}"
            );
        }
    }
}

#[test]
fn panes_do_not_overlap() {
    for (w, h) in [(80, 24), (120, 32), (200, 60), (300, 90)] {
        let mut app = drill_app(30);
        app.size = (w, h);
        let areas = super::layout::areas(ratatui::layout::Rect::new(0, 0, w, h), &app);
        for (i, (a, ra)) in areas.panes.iter().enumerate() {
            for (b, rb) in &areas.panes[i + 1..] {
                assert!(!ra.intersects(*rb), "{a:?} and {b:?} overlap at {w}x{h}");
            }
            assert!(!ra.intersects(areas.header) && !ra.intersects(areas.status));
        }
    }
}

#[test]
fn tiny_and_odd_sizes_do_not_panic() {
    let mut app = large_app(300, 16, 2000);
    for (w, h) in [
        (1, 1),
        (10, 5),
        (40, 10),
        (79, 23),
        (81, 25),
        (119, 31),
        (500, 200),
    ] {
        render(&mut app, w, h);
        app.run(Command::Help);
        render(&mut app, w, h);
        app.overlay = None;
    }
}

#[test]
fn help_lists_the_live_bindings() {
    let mut app = drill_app(10);
    app.run(Command::Help);
    // Tall enough for the whole text: keys, overlay sections, commands.
    let screen = render(&mut app, 120, 240);
    for want in [
        "keys (default keymap)",
        "shift-tab",
        "focus prev",
        "rollback",
        "[confirm]",
        "y Y enter",
        "[quit]",
        "q y Y enter ctrl-c",
        "[menu]",
        "kill-switch, ks",
        "quit, q",
        "severity, sev",
    ] {
        assert!(screen.contains(want), "help lacks {want:?}:\n{screen}");
    }
}

#[test]
fn overlay_hints_come_from_the_live_bindings() {
    let mut app = drill_app(10);
    app.run(Command::Quit);
    let screen = render(&mut app, 80, 24);
    // `q` quits too, so the hint says so.
    assert!(
        screen.contains("q/y/enter/ctrl-c quit   any other key stays"),
        "{screen}"
    );
    // Rebinding a key changes what the hint says.
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("mine.toml");
    std::fs::write(
        &path,
        "inherits = \"default\"\n[quit]\nq = \"\"\nx = \"yes\"\n",
    )
    .expect("written");
    app.keymap = crate::config::Keymap::load(path.to_str().unwrap_or(""), None).expect("loads");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("x/y/enter/ctrl-c quit   any other key stays"),
        "{screen}"
    );
}

#[test]
fn the_cockpit_at_200x60() {
    let mut app = drill_app(120);
    insta::assert_snapshot!("cockpit_200x60", render(&mut app, 200, 60));
}

#[test]
fn the_cockpit_at_80x24() {
    let mut app = drill_app(120);
    insta::assert_snapshot!("cockpit_80x24", render(&mut app, 80, 24));
}

#[test]
fn the_rollback_confirmation() {
    let mut app = drill_app(120);
    app.run(Command::parse("rollback snapbuilder-serving").unwrap_or(Command::Help));
    insta::assert_snapshot!("confirm_rollback_120x32", render(&mut app, 120, 32));
}

#[test]
fn truncation_marks_the_cut() {
    assert_eq!(super::truncate("snapbuilder-serving", 8), "snapbui…");
    assert_eq!(
        super::truncate_left("snapbuilder-serving-480787-h265b", 14),
        "…-480787-h265b"
    );
    assert_eq!(super::truncate_left("short", 14), "short");
}

#[test]
fn the_gpu_pane_shows_node_capacity_without_dcgm() {
    let mut app = drill_app(10);
    app.gpus.clear();
    app.node_gpus.insert("gpu-node-7".into(), (8, 7));
    app.run(Command::Focus(crate::command::FocusTarget::Pane(
        Pane::Gpus,
    )));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("gpu-node-7") && screen.contains("7/8 nvidia.com/gpu allocatable"),
        "{screen}"
    );
    assert!(screen.contains("1 nodes: 7/8 allocatable"), "{screen}");
}
