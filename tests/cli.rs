//! The program's command line: messages and exit codes a person sees.

#![allow(clippy::expect_used)]

use std::process::{Command, Output};

fn sitrep(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .current_dir(dir)
        .env("SITREP_CONFIG_DIR", dir.join("config"))
        .env("SITREP_DATA_DIR", dir.join("data"))
        .env_remove("NO_COLOR")
        .output()
        .expect("sitrep runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = sitrep(&["--version"], dir.path());
    assert!(v.status.success());
    assert_eq!(
        text(&v).trim(),
        format!("sitrep {}", env!("CARGO_PKG_VERSION"))
    );
    let h = text(&sitrep(&["--help"], dir.path()));
    for sub in ["demo", "drill", "check", "runbook", "note", "export"] {
        assert!(h.contains(sub), "--help lacks {sub}:\n{h}");
    }
}

#[test]
fn plain_sitrep_with_nothing_configured_points_at_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = sitrep(&[], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("nothing to watch"), "{t}");
    assert!(t.contains("sitrep demo"), "{t}");
}

#[test]
fn check_passes_with_the_built_ins() {
    let dir = tempfile::tempdir().expect("tempdir");
    for theme in ["dark", "light", "high-contrast", "colorblind"] {
        for keymap in ["default", "vim"] {
            let o = sitrep(&["check", "--theme", theme, "--keymap", keymap], dir.path());
            assert!(o.status.success(), "{theme}/{keymap}: {}", text(&o));
        }
    }
}

#[test]
fn check_reports_every_problem_as_file_line_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("theme.toml"),
        "inherits = \"dark\"\n[colors]\ncrit = \"blood\"\n",
    )
    .expect("write");
    std::fs::write(p.join("keys.toml"), "[keys]\n\"x\" = \"rollbak\"\n").expect("write");
    std::fs::write(
        p.join("config.toml"),
        "actor = \"me\"\n[logs]\nbuffer_lines = \"many\"\n",
    )
    .expect("write");
    let o = sitrep(
        &[
            "check",
            "--config",
            "config.toml",
            "--theme",
            "theme.toml",
            "--keymap",
            "keys.toml",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<String> = text(&o).lines().map(str::to_string).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("config.toml:3: invalid type")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("theme.toml:3: bad colour `blood`")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "keys.toml:2: `x` = `rollbak`: unknown command `rollbak`; did you mean rollback"
        )),
        "{lines:?}"
    );
}

#[test]
fn malformed_toml_and_duplicate_bindings_name_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("keys.toml"),
        "[keys]\n\"q\" = \"quit\"\n\"K\" = \"help\"\n\"shift-k\" = \"zoom\"\n",
    )
    .expect("write");
    let o = sitrep(&["check", "--keymap", "keys.toml"], p);
    let t = text(&o);
    assert!(
        t.contains("keys.toml:4: duplicate binding: `shift-k` is the same key as `K` (line 3)"),
        "{t}"
    );
    std::fs::write(p.join("keys.toml"), "[keys\n").expect("write");
    let t = text(&sitrep(&["check", "--keymap", "keys.toml"], p));
    assert!(t.starts_with("keys.toml:1:"), "{t}");
}

#[test]
fn user_files_in_the_config_dir_are_checked_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let themes = dir.path().join("config/themes");
    std::fs::create_dir_all(&themes).expect("mkdir");
    std::fs::write(themes.join("dark.toml"), "[colors]\nwarn = \"#12345\"\n").expect("write");
    let o = sitrep(&["check"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("themes/dark.toml:2: bad colour `#12345`"), "{t}");
}

#[test]
fn a_bad_drill_file_is_reported_before_the_screen_is_taken() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("d.toml"),
        "[drill]\nname = \"x\"\ntitle = \"t\"\nnamespace = \"n\"\n[[events]]\nat = \"whenever\"\n",
    )
    .expect("write");
    let o = sitrep(&["drill", "d.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("d.toml:6: bad duration `whenever`"),
        "{}",
        text(&o)
    );
    let o = sitrep(&["drill", "nope"], dir.path());
    assert!(
        text(&o).contains("bundled drills: snapbuilder-bad-rollout"),
        "{}",
        text(&o)
    );
}

#[test]
fn speed_is_validated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = sitrep(&["demo", "--speed", "0"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("speed must be a number above 0"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_kill_switch_key_must_be_free() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("config.toml"),
        "[[kill_switches]]\nname = \"off\"\ndescription = \"d\"\nkey = \"q\"\nkind = \"scale\"\ndeployment = \"web\"\nreplicas = 0\n",
    )
    .expect("write");
    let o = sitrep(&["check", "--config", "config.toml"], p);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains(
            "config.toml:4: kill switch off: key `q` is already bound in the default keymap"
        ),
        "{t}"
    );
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/examples/snapbuilder.toml"
    );
    let o = sitrep(&["check", "--config", example], p);
    assert!(
        text(&o).contains("ok: config"),
        "the shipped example passes: {}",
        text(&o)
    );
}
