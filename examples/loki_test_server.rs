//! The Loki test server as a program, for measuring sitrep tailing from Loki without a
//! cluster: `cargo run --release --example loki_test_server -- DIR [LINES_PER_SECOND] [PODS]`
//! starts the Kubernetes API test server with one deployment `chatty` of PODS pods (default
//! 50) in namespace `acme`, and the Loki test server, into which those pods log
//! LINES_PER_SECOND lines a second in total (default 2,000, in ticks of 100 ms), so Loki's tail
//! streams them. It writes `DIR/kubeconfig` and `DIR/config.toml` (the workload read from
//! Loki only), prints `ready KUBE_URL LOKI_URL` and serves until killed.
//! `scripts/loki-tail-cpu` measures sitrep against it.
#![allow(clippy::unwrap_used)] // a failed set-up should stop the program loudly

#[path = "../tests/kube_server/mod.rs"]
mod kube_server;
#[path = "../tests/loki_server/mod.rs"]
mod loki_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};
use loki_server::LokiServer;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().cloned().unwrap_or_else(|| ".".into()));
    let num =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (rate, pods) = (num(1, 2_000), num(2, 50).max(1));
    std::fs::create_dir_all(&dir).unwrap();
    let kube = KubeServer::start().await;
    fixtures::workload(&kube, "chatty", pods, 10, |_| false);
    let loki = LokiServer::start().await;
    let kubeconfig = kube.kubeconfig(&dir, "admin");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[kubernetes]\nkubeconfig = {:?}\nnamespaces = [{NS:?}]\n\n[loki]\nurl = {:?}\n\n[loki.workloads.chatty]\nbackend = \"loki\"\n",
            kubeconfig.display().to_string(),
            loki.url
        ),
    )
    .unwrap();
    println!("ready {} {}", kube.url, loki.url);
    let names: Vec<String> = (0..pods)
        .map(|i| format!("chatty-5a5a8cfb-p{i:05}"))
        .collect();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        let now = jiff::Timestamp::now();
        for i in 0..rate / 10 {
            let pod = &names[(n % pods as u64) as usize];
            let labels = [("namespace", NS), ("app", "chatty"), ("pod", pod.as_str())];
            let level = if n.is_multiple_of(20) {
                "ERROR"
            } else {
                "INFO"
            };
            // Distinct nanoseconds, as a real log stream's lines have.
            let at = now + jiff::SignedDuration::from_micros(i as i64);
            loki.push(
                &labels,
                at,
                &format!("{level} request {n} served in {} ms", n % 400),
            );
            n += 1;
        }
    }
}
