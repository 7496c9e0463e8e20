//! The real Prometheus, promtool and Alertmanager from Debian's packages, started on
//! 127.0.0.1 with free ports and temporary directories, killed when dropped.

#![allow(clippy::expect_used)]
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (and reaped) on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on right now.
/// Tests of one binary that start servers run one at a time: a port found free can be taken
/// by a neighbour's server before ours binds it.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn need(bin: &str) {
    assert!(
        Command::new(bin).arg("--version").output().is_ok(),
        "{bin} is needed: run scripts/test, which installs Debian's prometheus and prometheus-alertmanager"
    );
}

/// Polls `url` until it answers 200, for at most `limit`.
pub async fn wait_ready(url: &str, limit: Duration) {
    let client = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} not ready within {limit:?}");
}

/// The incident as OpenMetrics, ending `now - 15s`, one sample every 15 s for 3 hours:
/// steady traffic, then from 75 minutes ago a bad rollout (10% 5xx, slow 512-token requests,
/// more moderation flags); two GPUs, one with XID 48 and a pod, one with a blank power field.
pub fn incident(now: i64) -> String {
    let end = now - 15;
    let start = end - 3 * 3600;
    let incident_at = end - 75 * 60;
    let times: Vec<i64> = (0..)
        .map(|i| start + i * 15)
        .take_while(|t| *t <= end)
        .collect();
    // Counters grow at a constant rate in each phase, so 5m ratios are exact.
    let counter = |ok_rate: f64, bad_rate: f64| -> Vec<f64> {
        let mut acc = 0.0;
        let mut prev = start;
        times
            .iter()
            .map(|t| {
                let rate = if *t > incident_at { bad_rate } else { ok_rate };
                acc += rate * (t - prev) as f64;
                prev = *t;
                acc
            })
            .collect()
    };
    let mut out = String::new();
    let mut series = |name: &str, labels: &str, values: &[f64]| {
        for (t, v) in times.iter().zip(values) {
            let _ = writeln!(out, "{name}{{{labels}}} {v} {t}");
        }
    };
    let job = r#"job="snapbuilder-serving""#;
    series(
        "http_requests_total",
        &format!(r#"{job},status="200""#),
        &counter(100.0, 90.0),
    );
    series(
        "http_requests_total",
        &format!(r#"{job},status="500""#),
        &counter(0.2, 10.0),
    );
    // Latency buckets of 512-token requests (cumulative counts per second by `le`).
    for (le, ok, bad) in [
        ("0.1", 50.0, 10.0),
        ("0.25", 95.0, 40.0),
        ("0.5", 100.0, 80.0),
        ("1", 100.0, 100.0),
        ("+Inf", 100.0, 100.0),
    ] {
        series(
            "http_request_duration_seconds_bucket",
            &format!(r#"{job},tokens="512",le="{le}""#),
            &counter(ok, bad),
        );
    }
    series("snapbuilder_requests_total", job, &counter(100.0, 100.0));
    series(
        "snapbuilder_moderation_flag_total",
        job,
        &counter(2.0, 12.0),
    );
    let gauge = |v: f64| vec![v; times.len()];
    let gpu = |i: u32, pod: bool| {
        let mut l = format!(
            r#"Hostname="gpu-node-1",gpu="{i}",modelName="NVIDIA A100-SXM4-80GB",UUID="GPU-{i}""#
        );
        if pod {
            l.push_str(r#",pod="snapbuilder-serving-7f9c",namespace="snapbuilder""#);
        }
        l
    };
    series("DCGM_FI_DEV_GPU_UTIL", &gpu(0, true), &gauge(97.0));
    series("DCGM_FI_DEV_GPU_UTIL", &gpu(1, false), &gauge(12.0));
    series("DCGM_FI_DEV_GPU_TEMP", &gpu(0, true), &gauge(88.0));
    series("DCGM_FI_DEV_GPU_TEMP", &gpu(1, false), &gauge(41.0));
    series("DCGM_FI_DEV_FB_USED", &gpu(0, true), &gauge(79000.0));
    series("DCGM_FI_DEV_FB_USED", &gpu(1, false), &gauge(1200.0));
    series("DCGM_FI_DEV_FB_FREE", &gpu(0, true), &gauge(2920.0));
    series("DCGM_FI_DEV_FB_FREE", &gpu(1, false), &gauge(80720.0));
    series("DCGM_FI_DEV_POWER_USAGE", &gpu(0, true), &gauge(395.5));
    series(
        "DCGM_FI_DEV_POWER_USAGE",
        &gpu(1, false),
        &gauge(9_223_372_036_854_775_794.0),
    );
    series("DCGM_FI_DEV_XID_ERRORS", &gpu(0, true), &gauge(48.0));
    series("DCGM_FI_DEV_XID_ERRORS", &gpu(1, false), &gauge(0.0));
    out.push_str("# EOF\n");
    out
}

/// A running Prometheus (and, when asked, Alertmanager) with the incident loaded.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub prometheus: String,
    pub alertmanager: Option<String>,
    procs: Vec<Proc>,
}

const RULES: &str = r#"groups:
  - name: snapbuilder
    interval: 1s
    rules:
      - alert: SnapbuilderHigh5xx
        expr: sum(rate(http_requests_total{job="snapbuilder-serving",status=~"5.."}[5m])) / sum(rate(http_requests_total{job="snapbuilder-serving"}[5m])) > 0.03
        labels:
          severity: critical
        annotations:
          summary: snapbuilder 5xx above 3%
          description: more than 3% of requests fail with a 5xx
          runbook_url: https://runbooks.example/snapbuilder#high-5xx
"#;

impl Stack {
    /// Backfills the incident, then starts Alertmanager (when `with_am`) and Prometheus.
    pub async fn start(with_am: bool) -> Stack {
        need("prometheus");
        need("promtool");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let data = root.join("data");
        let om = root.join("incident.om");
        std::fs::write(&om, incident(jiff::Timestamp::now().as_second()))
            .expect("write openmetrics");
        let out = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(&data)
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut procs = Vec::new();
        let mut alerting = String::new();
        let alertmanager = if with_am {
            need("prometheus-alertmanager");
            let port = free_port();
            std::fs::write(
                root.join("am.yml"),
                "route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n",
            )
            .expect("am config");
            let child = Command::new("prometheus-alertmanager")
                .arg(format!("--config.file={}", root.join("am.yml").display()))
                .arg(format!("--storage.path={}", root.join("am").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--cluster.listen-address=")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("alertmanager starts");
            procs.push(Proc(child));
            alerting = format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{port}']\n"
            );
            Some(format!("http://127.0.0.1:{port}"))
        } else {
            None
        };
        std::fs::write(root.join("rules.yml"), RULES).expect("rules");
        std::fs::write(
            root.join("prometheus.yml"),
            format!(
                "global:\n  evaluation_interval: 1s\nrule_files: ['{}']\n{alerting}",
                root.join("rules.yml").display()
            ),
        )
        .expect("prometheus config");
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                root.join("prometheus.yml").display()
            ))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--rules.alert.resend-delay=1s")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        procs.push(Proc(child));
        let prometheus = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{prometheus}/-/ready"), Duration::from_secs(30)).await;
        if let Some(am) = &alertmanager {
            wait_ready(&format!("{am}/-/ready"), Duration::from_secs(30)).await;
        }
        Stack {
            dir,
            prometheus,
            alertmanager,
            procs,
        }
    }

    /// Stops every server, as if the monitoring stack went down.
    pub fn stop(&mut self) {
        self.procs.clear();
    }
}

/// A direct instant query: the first series' value.
pub async fn promql(base: &str, query: &str) -> Option<f64> {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/query"))
        .query(&[("query", query)])
        .send()
        .await
        .expect("query sent")
        .json()
        .await
        .expect("json answer");
    assert_eq!(v["status"], "success", "{query}: {v}");
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

/// Waits until `f` is true, checking every 200 ms, for at most `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what}: not within {limit:?}");
}

/// The example config shipped with sitrep.
pub fn example_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/snapbuilder.toml")
}
