//! A careless or hostile world against sitrep's text outputs: a full or closed stdout,
//! a careless `-o`, escape sequences in every field from outside, oversized error bodies.
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sitrep::text::sanitize::{HOSTILE, first_raw_escape};

fn sitrep(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    c.current_dir(dir)
        .env("SITREP_CONFIG_DIR", dir.join("config"))
        .env("SITREP_DATA_DIR", dir.join("data"))
        .env("SITREP_ACTOR", "tester")
        .env_remove("NO_COLOR");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("sitrep runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fake HTTP server answering every request with `status` and `body`, on a free port.
fn serve(status: &'static str, body: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let body = std::sync::Arc::new(body);
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 8192];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf[n..]) {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let head = text(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let b = body(&path);
                let _ = write!(
                    sock,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                );
                let _ = sock.write_all(&b);
            });
        }
    });
    port
}

/// A directory with a journal holding one incident, a runbook, an empty config dir.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
    std::fs::write(
        dir.path().join("INCIDENTS.md"),
        "## INC-20261122-0412 · Checkout returns 5xx\n\n- opened at: 2026-11-22T04:12:03Z\n- mode: LIVE prod/checkout\n- severity: SEV2\n- opened by: alice\n\n- 2026-11-22T04:12:03Z · alice · opened · Checkout returns 5xx\n",
    )
    .expect("journal");
    std::fs::write(
        dir.path().join("rb.md"),
        "# Checkout\n\n## HighErrorRate\n\n- check the dashboard\n\n```sh\nkubectl get pods\n```\n",
    )
    .expect("runbook");
    dir
}

/// The commands that print to stdout, each on its own.
fn printing_commands(dir: &Path, am_port: u16) -> Vec<(&'static str, Command)> {
    let mut out = Vec::new();
    let mut c = sitrep(dir);
    c.args(["snapshot", "--format", "md", "--alertmanager"])
        .arg(format!("http://127.0.0.1:{am_port}"));
    out.push(("snapshot", c));
    let mut c = sitrep(dir);
    c.args(["snapshot", "--alertmanager"])
        .arg(format!("http://127.0.0.1:{am_port}"));
    out.push(("snapshot json", c));
    let mut c = sitrep(dir);
    c.arg("check");
    out.push(("check", c));
    let mut c = sitrep(dir);
    c.args(["note", "deploy", "paused"]);
    out.push(("note", c));
    let mut c = sitrep(dir);
    c.args(["export", "--last"]);
    out.push(("export", c));
    let mut c = sitrep(dir);
    c.args(["runbook", "rb.md"]);
    out.push(("runbook", c));
    out
}

fn alerts_json(path: &str) -> Vec<u8> {
    if path.contains("silences") {
        return b"[]".to_vec();
    }
    br#"[{"labels":{"alertname":"HighErrorRate","severity":"critical"},"annotations":{"summary":"5xx above 3%"},"startsAt":"2026-11-22T04:12:03Z","endsAt":"2999-01-01T00:00:00Z","status":{"silencedBy":[]}}]"#.to_vec()
}

#[test]
fn a_full_stdout_is_an_error_on_stderr_with_exit_1_never_a_panic() {
    let dir = workdir();
    let port = serve("200 OK", alerts_json);
    for (name, mut cmd) in printing_commands(dir.path(), port) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = run(cmd.stdout(full));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            err.contains("cannot write to standard output: No space left on device"),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = workdir();
    let port = serve("200 OK", alerts_json);
    for (name, mut cmd) in printing_commands(dir.path(), port) {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = run(cmd.stdout(Stdio::from(writer)));
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(i32::from(sitrep::output::BROKEN_PIPE_EXIT)),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!err.contains("sitrep:"), "{name} is quiet: {err}");
    }
}

#[test]
fn export_and_snapshot_refuse_to_overwrite_the_journal() {
    let dir = workdir();
    let journal = dir.path().join("INCIDENTS.md");
    let before = std::fs::read(&journal).expect("journal");
    let out = run(sitrep(dir.path()).args([
        "export",
        "--incidents",
        "INCIDENTS.md",
        "-o",
        "./INCIDENTS.md",
    ]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("refusing to write ./INCIDENTS.md: it is the incident journal"),
        "{}",
        text(&out.stderr)
    );
    let port = serve("200 OK", alerts_json);
    let out = run(sitrep(dir.path())
        .args([
            "snapshot",
            "--journal",
            "INCIDENTS.md",
            "-o",
            "INCIDENTS.md",
        ])
        .arg("--alertmanager")
        .arg(format!("http://127.0.0.1:{port}")));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("refusing to write"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&journal).expect("journal"),
        before,
        "untouched"
    );

    // Elsewhere, -o writes the whole output and leaves no temporary file behind.
    let out = run(sitrep(dir.path()).args(["export", "-o", "pm.md"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(dir.path().join("pm.md"))
            .expect("pm.md")
            .contains("Checkout returns 5xx")
    );
    let out = run(sitrep(dir.path())
        .args(["snapshot", "-o", "snap.json", "--alertmanager"])
        .arg(format!("http://127.0.0.1:{port}")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(dir.path().join("snap.json"))
            .expect("snap.json")
            .contains("HighErrorRate")
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".sitrep-"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let s = text(bytes);
    if let Some(found) = first_raw_escape(&s) {
        panic!("{what}: raw {found} in output:\n{s:?}");
    }
}

/// The same hostile strings through every text output.
#[test]
fn no_raw_escape_reaches_any_text_output() {
    let dir = workdir();
    let d = dir.path();
    let hostile = HOSTILE.join(" | ");
    let json_hostile = serde_json::to_string(&hostile).expect("json");

    // Notes: stored escaped, read back faithfully.
    let out = run(sitrep(d).args(["note", &hostile]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_clean("note's stdout", &out.stdout);
    let journal = std::fs::read(d.join("INCIDENTS.md")).expect("journal");
    assert_clean("INCIDENTS.md", &journal);
    let parsed = sitrep::journal::parse(&text(&journal));
    let inc = parsed.incidents.last().expect("incident");
    assert_eq!(inc.entries.last().expect("note").text, hostile, "faithful");

    // Exports.
    for format in ["md", "html", "json"] {
        let out = run(sitrep(d).args(["export", "--format", format]));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_clean(&format!("export --format {format}"), &out.stdout);
    }

    // Runbook outline and --match, with hostile headings and steps.
    std::fs::write(
        d.join("evil.md"),
        format!("# Evil {hostile}\n\n## HighErrorRate {hostile}\n\n- step {hostile}\n\n```sh\necho {hostile}\n```\n"),
    )
    .expect("runbook");
    for args in [
        vec!["runbook", "evil.md"],
        vec!["runbook", "evil.md", "--match", "HighErrorRate"],
    ] {
        let out = run(sitrep(d).args(&args));
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_clean(&format!("{args:?}"), &out.stdout);
        assert_clean(&format!("{args:?} stderr"), &out.stderr);
    }
    let out = run(sitrep(d).args(["runbook", "evil.md", "--match", &hostile]));
    assert_clean("runbook --match miss", &out.stderr);

    // Snapshot md: alert names, summaries, label values, silences, error bodies.
    let alerts = format!(
        r#"[{{"labels":{{"alertname":{json_hostile},"severity":{json_hostile}}},"annotations":{{"summary":{json_hostile},"runbook_url":{json_hostile}}},"startsAt":"2026-11-22T04:12:03Z","endsAt":"2999-01-01T00:00:00Z","status":{{"silencedBy":[]}}}}]"#
    );
    let silences = format!(
        r#"[{{"id":{json_hostile},"matchers":[{{"name":"alertname","value":{json_hostile},"isRegex":false}}],"startsAt":"2026-11-22T04:12:03Z","endsAt":"2999-01-01T00:00:00Z","createdBy":{json_hostile},"comment":{json_hostile},"status":{{"state":"active"}}}}]"#
    );
    let am = serve("200 OK", move |path| {
        if path.contains("silences") {
            silences.clone().into_bytes()
        } else {
            alerts.clone().into_bytes()
        }
    });
    let body = hostile.clone();
    let broken = serve("500 Internal Server Error", move |_| {
        body.clone().into_bytes()
    });
    std::fs::write(
        d.join("config/config.toml"),
        format!("[[health]]\nname = \"h\"\nurl = \"http://127.0.0.1:{broken}/\"\n"),
    )
    .expect("config");
    for format in ["md", "json"] {
        let out = run(sitrep(d)
            .args(["snapshot", "--format", format, "--alertmanager"])
            .arg(format!("http://127.0.0.1:{am}")));
        assert_clean(&format!("snapshot --format {format}"), &out.stdout);
        assert!(text(&out.stdout).contains("PWNED"), "{}", text(&out.stdout));
    }
    let out = run(sitrep(d)
        .args(["snapshot", "--format", "md", "--alertmanager"])
        .arg(format!("http://127.0.0.1:{broken}")));
    assert!(
        text(&out.stdout).contains("HTTP 500"),
        "{}",
        text(&out.stdout)
    );
    assert_clean("snapshot error body", &out.stdout);
    std::fs::remove_file(d.join("config/config.toml")).expect("rm config");

    // Error messages that echo a bad value: theme name, keymap command, colour, drill.
    let t = serde_json::to_string(&format!("x{}", HOSTILE[0])).expect("json");
    std::fs::write(d.join("keys.toml"), format!("[keys]\n\"q\" = {t}\n")).expect("keys");
    std::fs::write(d.join("theme.toml"), format!("[colors]\ntext = {t}\n")).expect("theme");
    std::fs::write(
        d.join("drill.toml"),
        format!("[drill]\nname = \"x\"\ntitle = \"x\"\nnamespace = \"n\"\n\n[[alerts]]\nname = \"A\"\nseverity = \"critical\"\nsignal = {t}\nthreshold = 3\nsummary = \"s\"\n"),
    )
    .expect("drill");
    for args in [
        vec!["check".to_string(), "--theme".into(), hostile.clone()],
        vec!["check".into(), "--keymap".into(), "keys.toml".into()],
        vec!["check".into(), "--theme".into(), "theme.toml".into()],
        vec!["drill".into(), "drill.toml".into()],
        vec!["drill".into(), hostile.clone()],
        vec!["runbook".into(), hostile.clone()],
        vec!["export".into(), "--id".into(), hostile.clone()],
    ] {
        let out = run(sitrep(d).args(&args));
        assert!(!out.status.success(), "{args:?} fails");
        assert!(
            !out.stderr.is_empty() || !out.stdout.is_empty(),
            "{args:?} says why"
        );
        assert_clean(&format!("{args:?} stdout"), &out.stdout);
        assert_clean(&format!("{args:?} stderr"), &out.stderr);
    }

    // Clipboard writes: the only escape is the OSC 52 frame itself.
    let osc = sitrep::terminal::osc52(&hostile);
    let payload = osc
        .strip_prefix("\u{1b}]52;c;")
        .and_then(|p| p.strip_suffix('\u{7}'))
        .expect("an OSC 52 frame");
    use base64::Engine;
    let pasted = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .expect("base64");
    assert_clean("clipboard", &pasted);
}

#[test]
fn a_50_mb_error_body_gives_a_small_snapshot() {
    let dir = workdir();
    let big = serve("500 Internal Server Error", |_| vec![b'x'; 50 << 20]);
    let out = run(sitrep(dir.path())
        .args(["snapshot", "--format", "md", "--alertmanager"])
        .arg(format!("http://127.0.0.1:{big}")));
    let s = text(&out.stdout);
    assert!(s.len() < 16 * 1024, "{} bytes", s.len());
    assert!(s.contains("HTTP 500"), "{s}");
    assert!(
        s.contains(&format!(
            "({} bytes more)",
            (50 << 20) - sitrep::text::MAX_ERROR_BODY
        )),
        "{s}"
    );
}

#[test]
fn a_note_on_a_full_disk_fails_with_exit_1_and_says_why() {
    let dir = workdir();
    let journal = dir.path().join("INCIDENTS.md");
    let before = std::fs::read(&journal).expect("journal");
    let out = run(sitrep(dir.path())
        .args(["note", "deploy", "paused"])
        .env("SITREP_TEST_JOURNAL_FAULTS", "1"));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("note not added to INC-20261122-0412")
            && err.contains("No space left on device"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing claims the note was added");
    assert_eq!(std::fs::read(&journal).expect("journal"), before);
}

/// reqwest honours HTTPS_PROXY/NO_PROXY unless told not to: sitrep never tells it not to.
#[test]
fn proxies_are_never_disabled() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let t = std::fs::read_to_string(&p).expect("source");
                assert!(
                    !t.contains(".no_proxy()"),
                    "{} disables proxies",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn ipv6_loopback_urls_work() {
    let listener = std::net::TcpListener::bind("[::1]:0").expect("IPv6 loopback");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf);
            let head = text(&buf);
            let body = alerts_json(head.split_whitespace().nth(1).unwrap_or("/"));
            let _ = write!(
                sock,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(&body);
        }
    });
    let dir = workdir();
    let out = run(sitrep(dir.path())
        .args(["snapshot", "--alertmanager"])
        .arg(format!("http://[::1]:{port}")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("HighErrorRate"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused_with_a_message_that_says_so_and_ca_file_trusts_it() {
    let dir = workdir();
    let d = dir.path();
    // A test CA and a server certificate it signed, unknown to the system's trust store.
    std::fs::write(d.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").expect("ext");
    for args in [
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sitrep-test-ca -keyout ca.key -out ca.pem",
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out leaf.csr",
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out cert.pem",
    ] {
        let made = Command::new("openssl")
            .args(args.split(' '))
            .current_dir(d)
            .output()
            .expect("openssl runs (Debian's openssl package)");
        assert!(made.status.success(), "{args}: {}", text(&made.stderr));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
        .arg("-cert")
        .arg(d.join("cert.pem"))
        .arg("-key")
        .arg(d.join("key.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = run(sitrep(d)
        .args(["snapshot", "--format", "md", "--alertmanager"])
        .arg(format!("https://127.0.0.1:{port}")));
    let s = text(&out.stdout);
    assert!(
        s.contains("TLS certificate is not trusted (self-signed or from an unknown CA"),
        "{s}"
    );
    // With the CA given, TLS succeeds (s_server answers HTML, so decoding fails instead).
    std::fs::write(
        d.join("config/config.toml"),
        format!(
            "[alertmanager]\nurl = \"https://127.0.0.1:{port}\"\nca_file = \"{}\"\n",
            d.join("ca.pem").display()
        ),
    )
    .expect("config");
    let out = run(sitrep(d).args(["snapshot", "--format", "md"]));
    let s = text(&out.stdout);
    let _ = server.kill();
    let _ = server.wait();
    assert!(!s.contains("not trusted"), "{s}");
    assert!(s.contains("alertmanager"), "{s}");
}

#[test]
fn an_oversized_log_line_is_capped_on_its_way_into_the_buffer() {
    use sitrep::app::logs::LogBuffer;
    use sitrep::event::LogLine;
    let mut b = LogBuffer::new(10);
    let at = jiff::Timestamp::from_second(1_795_000_000).expect("time");
    b.push(LogLine {
        at,
        pod: "api-1".into(),
        container: "api".into(),
        text: format!("ERROR {}", "x".repeat(1 << 20)),
    });
    let shown = b.window(1)[0].shown(true).to_string();
    let max = sitrep::text::MAX_LOG_LINE;
    assert!(shown.len() < max + 64, "{}", shown.len());
    assert!(
        shown.ends_with(&format!("… ({} bytes more)", 6 + (1 << 20) - max)),
        "{}",
        &shown[shown.len() - 40..]
    );
}
