//! A real terminal for end-to-end tests: the real binary inside tmux, driven by keys and
//! read back with capture-pane.

#![allow(clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// One tmux server and session of its own, killed when dropped.
pub struct Tmux {
    socket: String,
    pub dir: tempfile::TempDir,
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Tmux {
    /// Starts `args` of the sitrep binary in a `w`×`h` terminal, in a fresh directory.
    pub fn start(args: &[&str], w: u16, h: u16) -> Tmux {
        Tmux::start_with(args, &[], w, h)
    }

    /// Starts sitrep with extra environment variables.
    pub fn start_with(args: &[&str], env: &[(&str, &str)], w: u16, h: u16) -> Tmux {
        Tmux::start_program(env!("CARGO_BIN_EXE_sitrep"), args, env, w, h)
    }

    /// Starts any program the same way: for a test binary that plays a program of its own.
    pub fn start_program(bin: &str, args: &[&str], env: &[(&str, &str)], w: u16, h: u16) -> Tmux {
        assert!(
            tmux_available(),
            "tmux is needed for the end-to-end tests: run scripts/test, which installs it"
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let socket = format!(
            "sitrep-e2e-{}-{}",
            std::process::id(),
            dir.path().display().to_string().len() + fastrand_suffix()
        );
        let config = dir.path().join("config");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&config).expect("config dir");
        let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
        // Keep the pane open after sitrep exits, so the test can read what it left behind.
        let script = format!(
            "cd {dir} && {env} SITREP_CONFIG_DIR={config} SITREP_DATA_DIR={data} TERM=xterm-256color {bin} {args}; echo \"EXITED $?\"; stty -a | grep -q -- ' -icanon' || echo COOKED; sleep 600",
            env = env
                .iter()
                .map(|(k, v)| format!("{k}={}", shell_quote(v)))
                .collect::<Vec<_>>()
                .join(" "),
            dir = shell_quote(&dir.path().display().to_string()),
            config = shell_quote(&config.display().to_string()),
            data = shell_quote(&data.display().to_string()),
            bin = shell_quote(bin),
            args = quoted.join(" "),
        );
        let t = Tmux { socket, dir };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            &script,
        ]);
        assert!(
            out.status.success(),
            "tmux did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned()
    }

    /// Sends keys as tmux names them (`Enter`, `Escape`, `Tab`) or literal text.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "e2e", k]);
        }
    }

    /// Sends literal text.
    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
    }

    /// Waits until the screen holds `what`, or fails with the screen.
    pub fn wait_for(&self, what: &str, timeout: Duration) -> String {
        self.wait_until(|s| s.contains(what), &format!("{what:?}"), timeout)
    }

    /// Waits until `check` holds for the screen.
    pub fn wait_until(
        &self,
        check: impl Fn(&str) -> bool,
        what: &str,
        timeout: Duration,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if check(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The pid of the program running in the pane (the shell's child).
    pub fn program_pid(&self) -> Option<u32> {
        let out = self.tmux(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let children = Command::new("pgrep").args(["-P", &shell]).output().ok()?;
        String::from_utf8_lossy(&children.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .find(|pid: &u32| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "sitrep")
            })
    }

    /// A tmux format variable of the pane, e.g. `alternate_on`, `mouse_any_flag`.
    pub fn pane_var(&self, name: &str) -> String {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "e2e",
            &format!("#{{{name}}}"),
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The test's working directory, where sitrep runs.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file in the working directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn fastrand_suffix() -> usize {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
