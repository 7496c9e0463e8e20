//! The journal on a real full disk: a tiny tmpfs filled to the brim under INCIDENTS.md.
//! `sitrep note` must fail with exit 1 and say why, leave the journal byte for byte as it
//! was (no half line), and work again once there is room. Where mounting is not permitted
//! (not root, a container without CAP_SYS_ADMIN) the test says so plainly and runs the
//! same checks with the fault injected in the writer instead.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ID: &str = "INC-20261122-0412";

fn sitrep(cwd: &Path, home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    c.current_dir(cwd)
        .env("SITREP_CONFIG_DIR", home.join("config"))
        .env("SITREP_DATA_DIR", home.join("data"))
        .env("SITREP_ACTOR", "tester");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("sitrep runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A journal with one open incident, padded (with a paragraph of the team's own, which
/// the journal leaves alone) to a whole number of pages: tmpfs hands out space by the
/// page, so on a full tmpfs not one more byte of it can be written.
fn journal_text() -> String {
    let incident = format!(
        "## {ID} · Checkout returns 5xx\n\n- opened at: 2026-11-22T04:12:03Z\n- mode: LIVE prod/checkout\n- severity: SEV2\n- opened by: alice\n\n- 2026-11-22T04:12:03Z · alice · opened · Checkout returns 5xx\n"
    );
    let intro = "Team notes, kept above the incidents.\n\n";
    let pad = 8192 - intro.len() - incident.len() - 2;
    format!("{intro}{}\n\n{incident}", "n".repeat(pad))
}

/// A mounted tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount_tmpfs(at: &Path, size: &str) -> Result<Tmpfs, String> {
    std::fs::create_dir_all(at).expect("mount point");
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(Tmpfs(at.to_path_buf()))
    } else {
        Err(text(&out.stderr).trim().to_string())
    }
}

/// Fills the file system holding `dir` until it refuses another byte.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0u8; 4096];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    // The last partial page too, a byte at a time.
    while f.write(&[0]).is_ok_and(|n| n == 1) {}
    let _ = f.sync_all();
    path
}

/// The checks, on a journal at `cwd/INCIDENTS.md` whose disk is full (really, or by the
/// injected fault `fault_env`), then with room again.
fn note_on_a_full_disk(cwd: &Path, home: &Path, fault_env: bool, free: impl FnOnce()) {
    let journal = cwd.join("INCIDENTS.md");
    let before = std::fs::read(&journal).expect("journal");
    let mut cmd = sitrep(cwd, home);
    cmd.args(["note", "deploy", "paused"]);
    if fault_env {
        cmd.env("SITREP_TEST_JOURNAL_FAULTS", "1");
    }
    let out = run(&mut cmd);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit 1 on a full disk: {err}");
    assert!(
        err.contains(&format!("note not added to {ID}")) && err.contains("No space left on device"),
        "a message that says what failed and why: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing claims the note was added: {}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read(&journal).expect("journal"),
        before,
        "the journal is untouched: no half line"
    );

    free();
    let out = run(sitrep(cwd, home).args(["note", "deploy", "paused"]));
    assert!(
        out.status.success(),
        "with room again: {}",
        text(&out.stderr)
    );
    let after = std::fs::read_to_string(&journal).expect("journal");
    assert!(
        after.starts_with(std::str::from_utf8(&before).expect("utf-8")),
        "what was journaled is all still there"
    );
    let parsed = sitrep::journal::parse(&after);
    let inc = parsed.incident(ID).expect("the incident");
    assert!(
        inc.entries.iter().any(|e| e.text == "deploy paused"),
        "{after}"
    );
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
}

#[test]
fn a_note_on_a_real_full_tmpfs_fails_cleanly_and_loses_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join("config")).expect("config dir");
    let at = home.path().join("tiny");
    match mount_tmpfs(&at, "64k") {
        Ok(fs) => {
            std::fs::write(at.join("INCIDENTS.md"), journal_text()).expect("journal");
            let filler = fill(&at);
            note_on_a_full_disk(&fs.0, home.path(), false, || {
                std::fs::remove_file(&filler).expect("free the space")
            });
        }
        Err(why) => {
            eprintln!(
                "journal_full_disk: mounting a tmpfs is not permitted here ({why}); \
                 ran the same checks with the fault injected in the journal writer instead"
            );
            std::fs::create_dir_all(&at).expect("dir");
            std::fs::write(at.join("INCIDENTS.md"), journal_text()).expect("journal");
            note_on_a_full_disk(&at, home.path(), true, || {});
        }
    }
}
