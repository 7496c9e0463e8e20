//! TLS and proxies for every HTTP source and executor, through the one client builder
//! (`sources::http`): a custom CA trusted for Prometheus and HTTP kill switches, expired
//! and self-signed certificates refused with a message that says so, `HTTP_PROXY`,
//! `HTTPS_PROXY` and `NO_PROXY` honoured (against a small proxy of the test's own).
#![allow(clippy::expect_used)] // a test that cannot set up should fail loudly

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn openssl(dir: &Path, args: &str) {
    let made = Command::new("openssl")
        .args(args.split(' '))
        .current_dir(dir)
        .output()
        .expect("openssl runs (Debian's openssl package)");
    assert!(made.status.success(), "{args}: {}", text(&made.stderr));
}

/// A test CA (`ca.pem`), a server certificate it signed for 127.0.0.1 (`cert.pem`), and
/// one that expired (`expired.pem`), all with the key `key.pem`.
fn certificates(dir: &Path) {
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").expect("ext");
    openssl(
        dir,
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sitrep-test-ca -keyout ca.key -out ca.pem",
    );
    openssl(
        dir,
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out leaf.csr",
    );
    openssl(
        dir,
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out cert.pem",
    );
    // Valid from now until a day ago: expired whenever it is checked.
    openssl(
        dir,
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days -1 -extfile ext.cnf -out expired.pem",
    );
}

/// `openssl s_server` on a free port with `cert`: a TLS server answering HTML.
struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tls_server(dir: &Path, cert: &str) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
        .args(["-cert", cert, "-key", "key.pem"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server(child, port)
}

fn prom(url: &str, ca: Option<&Path>) -> sitrep::sources::prometheus::Prom {
    let mut config = sitrep::config::Config::default();
    config.prometheus = Some(sitrep::config::Endpoint {
        url: Some(url.into()),
        ca_file: ca.map(Path::to_path_buf),
        ..Default::default()
    });
    sitrep::sources::prometheus::Prom::from_config(&config)
        .expect("a prometheus section")
        .expect("a client")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn prometheus_trusts_its_ca_file_and_refuses_self_signed_and_expired_certificates_saying_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certificates(d);
    let rt = runtime();
    let good = tls_server(d, "cert.pem");
    let url = format!("https://127.0.0.1:{}", good.1);

    let e = rt
        .block_on(prom(&url, None).value("up"))
        .expect_err("untrusted");
    assert!(
        e.contains(
            "TLS certificate is not trusted (self-signed or from an unknown CA; set ca_file"
        ),
        "{e}"
    );
    // Trusted: TLS works, and what fails is reading s_server's HTML page.
    let e = rt
        .block_on(prom(&url, Some(&d.join("ca.pem"))).value("up"))
        .expect_err("HTML is not an answer");
    assert!(!e.contains("TLS") && !e.contains("certificate"), "{e}");
    assert!(e.contains("cannot be read"), "{e}");

    let expired = tls_server(d, "expired.pem");
    let url = format!("https://127.0.0.1:{}", expired.1);
    let e = rt
        .block_on(prom(&url, Some(&d.join("ca.pem"))).value("up"))
        .expect_err("expired");
    assert!(e.contains("TLS certificate has expired"), "{e}");

    // A ca_file that holds no certificate is an error at start-up, naming the file.
    std::fs::write(d.join("empty.pem"), "not a certificate\n").expect("file");
    let mut config = sitrep::config::Config::default();
    config.prometheus = Some(sitrep::config::Endpoint {
        url: Some(url),
        ca_file: Some(d.join("empty.pem")),
        ..Default::default()
    });
    let e = sitrep::sources::prometheus::Prom::from_config(&config)
        .expect("a prometheus section")
        .err()
        .expect("refused");
    assert!(
        e.contains("empty.pem") && e.contains("no PEM certificate"),
        "{e}"
    );
}

#[test]
fn http_kill_switches_use_the_shared_builder_and_its_ca_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certificates(d);
    let rt = runtime();
    let server = tls_server(d, "cert.pem");
    let call = sitrep::config::kube::HttpCall {
        method: "GET".into(),
        url: format!("https://127.0.0.1:{}/flags/reads", server.1),
        ..Default::default()
    };
    let plain = sitrep::sources::http::base(Duration::from_secs(5), &[])
        .expect("builder")
        .build()
        .expect("client");
    let e = rt
        .block_on(sitrep::executors::http_switch::call(
            &plain, "reads", "on", &call, false,
        ))
        .expect_err("untrusted");
    assert!(
        e.detail.contains("TLS certificate is not trusted"),
        "{}",
        e.detail
    );
    let ca = d.join("ca.pem");
    let trusting = sitrep::sources::http::base(Duration::from_secs(5), &[ca.as_path()])
        .expect("builder")
        .build()
        .expect("client");
    let ok = rt
        .block_on(sitrep::executors::http_switch::call(
            &trusting, "reads", "on", &call, false,
        ))
        .expect("trusted");
    assert!(ok.contains("200"), "{ok}");
}

/// A forward proxy: `CONNECT host:port` tunnels, absolute-form requests are forwarded.
/// Every request line it sees is kept.
fn proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut client) = sock else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                let mut n = 0;
                while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf[n..]) {
                        Ok(0) | Err(_) => return,
                        Ok(k) => n += k,
                    }
                }
                let head = text(&buf[..n]);
                let first = head.lines().next().unwrap_or("").to_string();
                log.lock().expect("log").push(first.clone());
                let mut parts = first.split(' ');
                let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let (host, rest) = if method == "CONNECT" {
                    (target.to_string(), Vec::new())
                } else {
                    // http://host:port/path → origin form to host:port.
                    let no_scheme = target.trim_start_matches("http://");
                    let (host, path) = no_scheme.split_once('/').unwrap_or((no_scheme, ""));
                    let fixed = head.replacen(target, &format!("/{path}"), 1);
                    let body_start = head.len();
                    let mut rest = fixed.into_bytes();
                    rest.extend_from_slice(&buf[body_start.min(n)..n]);
                    (host.to_string(), rest)
                };
                let Ok(mut upstream) = TcpStream::connect(&host) else {
                    let _ =
                        client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                    return;
                };
                if method == "CONNECT" {
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                } else {
                    let _ = upstream.write_all(&rest);
                }
                let (mut c2, mut u2) = (
                    client.try_clone().expect("clone"),
                    upstream.try_clone().expect("clone"),
                );
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut u2);
                    let _ = u2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut upstream, &mut client);
            });
        }
    });
    (port, seen)
}

/// Alertmanager answering one firing alert, over plain HTTP.
fn alertmanager() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            let mut buf = [0u8; 8192];
            let _ = sock.read(&mut buf);
            let body: &[u8] = if text(&buf).contains("/api/v2/alerts") {
                br#"[{"labels":{"alertname":"HighErrorRate","severity":"critical"},"annotations":{"summary":"5xx"},"startsAt":"2026-11-22T04:12:03Z","status":{"silencedBy":[]}}]"#
            } else {
                b"[]"
            };
            let _ = write!(
                sock,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(body);
        }
    });
    port
}

fn snapshot(dir: &Path, url: &str, env: &[(&str, String)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    c.current_dir(dir)
        .env("SITREP_CONFIG_DIR", dir.join("config"))
        .env("SITREP_DATA_DIR", dir.join("data"))
        .args(["snapshot", "--format", "md", "--alertmanager", url]);
    for k in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"] {
        c.env_remove(k).env_remove(k.to_lowercase());
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("sitrep runs")
}

#[test]
fn http_proxy_and_no_proxy_are_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("config")).expect("config");
    let (proxy_port, seen) = proxy();
    let am = alertmanager();
    let url = format!("http://127.0.0.1:{am}");
    let proxy_url = format!("http://127.0.0.1:{proxy_port}");

    let out = snapshot(dir.path(), &url, &[("HTTP_PROXY", proxy_url.clone())]);
    let s = text(&out.stdout);
    assert!(
        s.contains("HighErrorRate"),
        "through the proxy: {s}{}",
        text(&out.stderr)
    );
    let lines = seen.lock().expect("log").clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("GET {url}/api/v2/alerts"))),
        "the proxy carried the request: {lines:?}"
    );

    seen.lock().expect("log").clear();
    let out = snapshot(
        dir.path(),
        &url,
        &[("HTTP_PROXY", proxy_url), ("NO_PROXY", "127.0.0.1".into())],
    );
    assert!(
        text(&out.stdout).contains("HighErrorRate"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        seen.lock().expect("log").is_empty(),
        "NO_PROXY went around the proxy"
    );
}

#[test]
fn https_proxy_tunnels_with_connect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("config")).expect("config");
    certificates(d);
    let server = tls_server(d, "cert.pem");
    let (proxy_port, seen) = proxy();
    let url = format!("https://127.0.0.1:{}", server.1);
    std::fs::write(
        d.join("config/config.toml"),
        format!(
            "[alertmanager]\nurl = \"{url}\"\nca_file = \"{}\"\n",
            d.join("ca.pem").display()
        ),
    )
    .expect("config");
    let out = snapshot(
        d,
        &url,
        &[("HTTPS_PROXY", format!("http://127.0.0.1:{proxy_port}"))],
    );
    let s = text(&out.stdout);
    // TLS through the tunnel works (s_server answers HTML, so decoding is what fails).
    assert!(!s.contains("not trusted") && !s.contains("proxy"), "{s}");
    let lines = seen.lock().expect("log").clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("CONNECT 127.0.0.1:{}", server.1))),
        "the proxy tunnelled: {lines:?}"
    );
}
