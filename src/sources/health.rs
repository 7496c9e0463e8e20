//! Health probes: configured HTTP endpoints fetched on an interval; status, latency, error.

use std::time::{Duration, Instant};

use super::http::chain;
use super::poll::{Poller, Runner};
use crate::config::{Config, HealthConfig};
use crate::event::{HealthStatus, Observation};

/// Probes one endpoint once. A probe that fails is a result, not a source error.
pub async fn probe(client: &reqwest::Client, h: &HealthConfig) -> HealthStatus {
    let timeout = h.timeout.map_or(Duration::from_secs(3), |t| t.0);
    let started = Instant::now();
    let res = client.get(&h.url).timeout(timeout).send().await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match res {
        Ok(r) => {
            let status = r.status().as_u16();
            let ok = h.healthy(status);
            HealthStatus {
                name: h.name.clone(),
                url: h.url.clone(),
                status: Some(status),
                latency_ms: Some(latency_ms),
                ok,
                error: (!ok).then(|| format!("HTTP {status}")),
            }
        }
        Err(e) => HealthStatus {
            name: h.name.clone(),
            url: h.url.clone(),
            status: None,
            latency_ms: None,
            ok: false,
            error: Some(chain(&e)),
        },
    }
}

struct HealthPoller {
    client: reqwest::Client,
    probe: HealthConfig,
}

impl Poller for HealthPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        Ok(vec![Observation::Health(
            probe(&self.client, &self.probe).await,
        )])
    }
}

/// A plain client for probes: they hit the service itself, not the monitoring stack.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .build()
        .unwrap_or_default()
}

/// Hands `runner` one poller per configured probe.
pub fn start(config: &Config, runner: &mut impl Runner) {
    let client = client();
    for h in &config.health {
        let every = h.interval.map_or(Duration::from_secs(10), |i| i.0);
        let poller = HealthPoller {
            client: client.clone(),
            probe: h.clone(),
        };
        runner.run(format!("health/{}", h.name), every, poller);
    }
}
