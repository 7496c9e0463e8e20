//! The flight recorder in the real binary: a live cockpit on a token-bearing kubeconfig and
//! an authenticated Prometheus records the incident it opens, and no credential reaches
//! the recording.
#![allow(clippy::unwrap_used)]

mod fake_prom;
mod kube_server;
mod support;

use std::time::Duration;

use sitrep::recording::Reader;
use support::Tmux;

const LONG: Duration = Duration::from_secs(60);
const PROM_TOKEN: &str = "prom-bearer-7f3a9c2e";
const HEADER_SECRET: &str = "hdr-secret-51d0b7";
const SWITCH_SECRET: &str = "switch-body-secret-9e41";

#[test]
fn a_live_incident_is_recorded_without_its_secrets() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kube = rt.block_on(kube_server::KubeServer::start());
    kube_server::fixtures::shop(&kube);
    let prom = fake_prom::FakeProm::start(&rt, PROM_TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = kube.kubeconfig(dir.path(), "admin");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[prometheus]
url = "{url}"
bearer_token_env = "SITREP_TEST_PROM_TOKEN"
refresh = "1s"
headers = {{ "X-Api-Key" = "{HEADER_SECRET}" }}

[[signals]]
name = "5xx rate"
query = "sum(rate(http_requests_total{{code=~\"5..\"}}[5m]))"
unit = "ratio"
crit = 0.03

[[kill_switches]]
name = "strict"
kind = "http"
on = {{ url = "{url}/flags/strict/on", body = "{{\"key\":\"{SWITCH_SECRET}\"}}" }}
off = {{ url = "{url}/flags/strict/off" }}
"#,
            url = prom.url
        ),
    )
    .unwrap();
    let t = Tmux::start_with(
        &["--config", config.to_str().unwrap()],
        &[
            ("KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("SITREP_TEST_PROM_TOKEN", PROM_TOKEN),
        ],
        160,
        45,
    );
    t.wait_for("● REC lead-up 15m", LONG);
    t.wait_for("5xx rate", LONG);
    t.keys(&[":"]);
    t.text("incident open checkout returns errors");
    t.keys(&["Enter"]);
    t.wait_until(
        |s| s.contains("● REC ") && !s.contains("lead-up"),
        "the recording to start",
        LONG,
    );
    t.keys(&[":"]);
    t.text("note the token is never written");
    t.keys(&["Enter"]);
    // A few polls and a block or two on disk.
    std::thread::sleep(Duration::from_secs(4));
    t.keys(&["q"]);
    t.wait_for("Leave sitrep?", LONG);
    t.keys(&["y"]);
    t.wait_for("EXITED 0", LONG);

    assert!(
        prom.requests()
            .iter()
            .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {PROM_TOKEN}"))),
        "the cockpit used the token"
    );
    let recordings = t.path().join("data").join("recordings");
    let files: Vec<_> = std::fs::read_dir(&recordings)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert!(
        file.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("INC-"),
        "named after the incident: {}",
        file.display()
    );
    let mut r = Reader::open(file).unwrap();
    assert!(r.damage().is_empty(), "{:?}", r.damage());
    let header = serde_json::to_string(r.header()).unwrap();
    let mut all = header.clone();
    let mut cur = r.cursor();
    while let Some(rec) = r.next(&mut cur).unwrap() {
        all.push_str(&serde_json::to_string(&rec).unwrap());
        all.push('\n');
    }
    let raw = std::fs::read(file).unwrap();
    for secret in [PROM_TOKEN, HEADER_SECRET, SWITCH_SECRET, "admin-token"] {
        assert!(!all.contains(secret), "{secret} in the recording");
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the file's bytes"
        );
    }
    // It is a real recording of the incident: header, sources, signals, pods, entries.
    assert!(header.contains("SITREP_TEST_PROM_TOKEN"), "{header}");
    assert!(header.contains(&prom.url), "{header}");
    for want in [
        "5xx rate",
        "\"r\":\"tick\"",
        "\"type\":\"pod\"",
        "checkout returns errors",
        "the token is never written",
    ] {
        assert!(
            all.contains(want),
            "{want} not recorded:\n{}",
            &all[..all.len().min(3000)]
        );
    }
}
