//! The Kubernetes API test server as a program, for measuring sitrep at scale without a
//! cluster: `cargo run --release --example kube_test_server -- DIR [PODS] [WORKLOADS]
//! [LINES_PER_SECOND]` fills namespace `acme` with PODS pods in WORKLOADS deployments (default
//! 5,000 in 10), plus a 50-pod deployment `chatty` whose pods log LINES_PER_SECOND lines a
//! second in total (default 1,000), writes `DIR/kubeconfig` and `DIR/config.toml`, prints
//! `ready URL` and serves until killed. `scripts/scale-bench acme` then measures against it.
#![allow(clippy::unwrap_used)]

#[path = "../tests/kube_server/mod.rs"]
mod kube_server;

use std::time::Duration;

use kube_server::KubeServer;
use kube_server::fixtures::{self, NS};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().cloned().unwrap_or_else(|| ".".into()));
    let num =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (pods, workloads, rate) = (num(1, 5_000), num(2, 10), num(3, 1_000));
    std::fs::create_dir_all(&dir).unwrap();
    let server = KubeServer::start().await;
    // A loaded apiserver answers a page of 500 pods in about 0.3 s.
    server.with(|s| s.list_delay_ms = 300);
    let per = pods / workloads.max(1);
    for w in 0..workloads {
        fixtures::workload(&server, &format!("worker-{w:02}"), per, 40, |i| i % 50 == 0);
    }
    fixtures::workload(&server, "chatty", 50, 10, |_| false);
    let kubeconfig = server.kubeconfig(&dir, "admin");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[kubernetes]\nkubeconfig = {:?}\nnamespaces = [{NS:?}]\n",
            kubeconfig.display().to_string()
        ),
    )
    .unwrap();
    println!("ready {} {}", server.url, kubeconfig.display());
    // The chatty pods log at `rate` lines a second in total, in ticks of 100 ms.
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        if rate == 0 {
            continue;
        }
        let now = jiff::Timestamp::now();
        server.with(|s| {
            for _ in 0..rate / 10 {
                let pod = format!("chatty-5a5a8cfb-p{:05}", n % 50);
                let level = if n.is_multiple_of(20) {
                    "ERROR"
                } else {
                    "INFO"
                };
                s.logs
                    .entry((NS.into(), pod, "app".into(), false))
                    .or_default()
                    .push((now, format!("{level} request {n} served in {} ms", n % 400)));
                n += 1;
            }
        });
    }
}
