//! A panic while the cockpit holds the terminal gives it back: raw mode off, the main screen,
//! the cursor shown, mouse reporting off, and the panic's message readable there.
//!
//! The binary is its own subject: run plainly, it starts itself inside tmux with
//! `SITREP_PANIC_CHILD` set; as that child it takes the terminal through sitrep's `Tui`, draws
//! the cockpit and panics. So production code needs no hook to panic on request.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

mod support;

use std::time::Duration;

use jiff::Timestamp;
use sitrep::app::{App, Mode};
use sitrep::config::{Config, Keymap, Theme};
use sitrep::runtime::Screen;
use sitrep::terminal::Tui;
use support::Tmux;

const CHILD: &str = "SITREP_PANIC_CHILD";

fn main() {
    if std::env::var_os(CHILD).is_some() {
        panic_while_holding_the_terminal();
    }
    a_panic_restores_the_terminal_and_prints_the_message();
    println!("test a_panic_restores_the_terminal_and_prints_the_message ... ok");
}

fn panic_while_holding_the_terminal() {
    let mut app = App::new(
        Mode::Drill {
            name: "panic".into(),
            speed: 1.0,
        },
        Config::default(),
        Keymap::load("default", None).expect("the built-in keymap loads"),
        Theme::load("dark", None, false).expect("the built-in theme loads"),
        "panic".into(),
        Timestamp::now(),
    );
    let mut tui = Tui::enter().expect("the terminal can be taken");
    app.size = tui.size().expect("the terminal has a size");
    tui.draw(&app).expect("the cockpit draws");
    std::thread::sleep(Duration::from_millis(300));
    panic!("panicking on purpose while the cockpit holds the terminal");
}

fn a_panic_restores_the_terminal_and_prints_the_message() {
    let me = std::env::current_exe().expect("the test binary knows its path");
    let t = Tmux::start_program(
        &me.display().to_string(),
        &[],
        &[(CHILD, "1"), ("RUST_BACKTRACE", "0")],
        120,
        30,
    );
    let s = t.wait_for("EXITED", Duration::from_secs(30));
    assert!(s.contains("panicking on purpose"), "{s}");
    assert!(!s.contains("EXITED 0"), "{s}");
    t.wait_for("COOKED", Duration::from_secs(10));
    assert_eq!(
        t.pane_var("alternate_on"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(t.pane_var("mouse_any_flag"), "0", "mouse reporting left on");
    assert_eq!(t.pane_var("cursor_flag"), "1", "cursor left hidden");
}
