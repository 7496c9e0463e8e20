//! The Prometheus source: signals (value, sparkline, SLO burn) and GPUs through PromQL, over
//! the standard HTTP API only, so Thanos, Mimir and VictoriaMetrics work too.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::http::chain;
use super::poll::{Poller, Runner, Spawner};
use crate::config::{Config, GpusConfig, SignalConfig, live::expand};
use crate::event::{Event, GpuStatus, Observation, SignalDef, SloStatus};
use crate::gpu::{self, Field};
use crate::slo;

/// The sparkline covers this much history.
pub const SPARK_SPAN: Duration = Duration::from_secs(3600);
/// Resolution of the sparkline query: 240 points an hour, the pane folds them to its width.
pub const SPARK_STEP: f64 = 15.0;

/// The sparkline's width in columns, as the cockpit last laid it out; the range query's
/// step follows it so one point is fetched per column.
#[derive(Debug, Clone, Default)]
pub struct SparkWidth(std::sync::Arc<std::sync::atomic::AtomicU16>);

impl SparkWidth {
    /// Records the width the signals pane now draws sparklines at.
    pub fn set(&self, columns: u16) {
        self.0.store(columns, std::sync::atomic::Ordering::Relaxed);
    }

    /// Seconds between points: the hour spread over the columns, in whole multiples of
    /// the smallest step (15 s) so successive fetches line up.
    pub fn step(&self) -> i64 {
        let base = SPARK_STEP as i64;
        let cols = i64::from(self.0.load(std::sync::atomic::Ordering::Relaxed));
        if cols == 0 {
            return base;
        }
        let per_col = (SPARK_SPAN.as_secs() as i64 + cols - 1) / cols;
        ((per_col + base - 1) / base).max(1) * base
    }
}

/// A Prometheus client with sitrep's timeouts and auth.
#[derive(Clone)]
pub struct Prom {
    client: prometheus_http_query::Client,
}

impl Prom {
    /// A client for the config's `[prometheus]`, when it has a URL.
    pub fn from_config(config: &Config) -> Option<Result<Prom, String>> {
        let endpoint = config.prometheus.as_ref()?;
        let url = config.prometheus_url()?;
        Some(super::http::client(endpoint).and_then(|c| {
            prometheus_http_query::Client::from(c, url)
                .map(|client| Prom { client })
                .map_err(|e| format!("prometheus url `{url}`: {e}"))
        }))
    }

    /// Evaluates an instant query; every series' labels and value.
    pub async fn instant(&self, query: &str) -> Result<super::decode::Series, String> {
        let res = self.client.query(query).get_raw().await;
        let answer = self.answer(res).await?;
        super::decode::prometheus_instant(answer.status.as_u16(), &answer.body)
    }

    /// Reads an answer, bounded (the library's own decoding would read any size).
    async fn answer(
        &self,
        res: Result<reqwest::Response, prometheus_http_query::Error>,
    ) -> Result<super::decode::Answer, String> {
        let res = res.map_err(|e| prom_error(&e))?;
        super::decode::read("prometheus", res).await
    }

    /// One number from an instant query: the first series' value, `None` when empty.
    pub async fn value(&self, query: &str) -> Result<Option<f64>, String> {
        Ok(self.reading(query).await?.value())
    }

    /// What an instant query answered, telling "no series" apart from a value that is not
    /// a number, so an empty signal can say why it is empty.
    pub async fn reading(&self, query: &str) -> Result<Reading, String> {
        Ok(match self.instant(query).await?.first() {
            None => Reading::NoSeries,
            Some((_, v)) if v.is_finite() => Reading::Value(*v),
            Some(_) => Reading::NotANumber,
        })
    }

    /// The first series of a range query, as timestamped points.
    pub async fn range(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: f64,
    ) -> Result<Vec<(Timestamp, f64)>, String> {
        let res = self
            .client
            .query_range(query, start, end, step)
            .get_raw()
            .await;
        let answer = self.answer(res).await?;
        super::decode::prometheus_range(answer.status.as_u16(), &answer.body)
    }

    /// Prometheus's own firing alerts (`/api/v1/alerts`), for when no Alertmanager is
    /// configured.
    pub async fn alerts(&self) -> Result<Vec<crate::event::AlertStatus>, String> {
        let url = super::http::join(self.client.base_url().as_str(), "api/v1/alerts");
        let res = self
            .client
            .inner()
            .get(url)
            .send()
            .await
            .map_err(|e| chain(&e));
        let res = res.map_err(|e| format!("prometheus: {e}"))?;
        let answer = super::decode::read("prometheus", res).await?;
        super::decode::prometheus_alerts(answer.status.as_u16(), &answer.body)
    }
}

fn prom_error(e: &prometheus_http_query::Error) -> String {
    match e {
        prometheus_http_query::Error::Prometheus(p) => format!("prometheus: {p}"),
        other => chain(other),
    }
}

/// Seconds since the epoch as a timestamp.
pub fn ts(secs: f64) -> Option<Timestamp> {
    Timestamp::from_millisecond((secs * 1000.0).round() as i64).ok()
}

/// A signal's query with its placeholders filled.
pub fn signal_query(
    config: &Config,
    s: &SignalConfig,
    q: &str,
    window: Option<&str>,
) -> Result<String, String> {
    let ns = s.namespace.as_deref().or(config.vars.namespace.as_deref());
    let svc = s.service.as_deref().or(config.vars.service.as_deref());
    expand(q, window, ns, svc)
}

/// The signal's definition as the pane wants it.
pub fn signal_def(s: &SignalConfig) -> SignalDef {
    SignalDef {
        name: s.name.clone(),
        unit: s.unit.clone(),
        warn: s.warn,
        crit: s.crit,
        direction: s.direction,
    }
}

/// A signal's current value.
pub async fn fetch_value(
    prom: &Prom,
    config: &Config,
    s: &SignalConfig,
) -> Result<Reading, String> {
    prom.reading(&signal_query(config, s, &s.query, None)?)
        .await
}

/// An instant query's answer for one signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// The first series' value.
    Value(f64),
    /// The query matched no series at all: nothing is wrong with the source, the data is
    /// simply not there (a label that does not exist, a metric not scraped).
    NoSeries,
    /// A series answered NaN or ±Inf (a ratio over zero requests, say).
    NotANumber,
}

impl Reading {
    /// The number, when there is one.
    pub fn value(self) -> Option<f64> {
        match self {
            Reading::Value(v) => Some(v),
            Reading::NoSeries | Reading::NotANumber => None,
        }
    }
}

/// A signal's SLO: budget left over its window and the four burn pairs.
pub async fn fetch_slo(
    prom: &Prom,
    config: &Config,
    s: &SignalConfig,
) -> Result<Option<SloStatus>, String> {
    let Some(slo_cfg) = &s.slo else {
        return Ok(None);
    };
    let Some(q) = slo::error_ratio_query(slo_cfg) else {
        return Ok(None);
    };
    let window = slo_cfg.window.to_string();
    let mut windows: Vec<String> = slo::windows().into_iter().map(String::from).collect();
    windows.push(window.clone());
    let queries: Vec<String> = windows
        .iter()
        .map(|w| signal_query(config, s, &q, Some(w)))
        .collect::<Result<_, _>>()?;
    let answers = futures::future::join_all(queries.iter().map(|q| prom.value(q))).await;
    let mut ratios = std::collections::BTreeMap::new();
    for (w, a) in windows.iter().zip(answers) {
        ratios.insert(w.clone(), a?);
    }
    let objective = slo_cfg.objective;
    let get = |w: &str| ratios.get(w).copied().flatten();
    Ok(Some(SloStatus {
        name: s.name.clone(),
        objective,
        window: window.clone(),
        budget_left: get(&window).map(|e| slo::budget_left(e, objective)),
        burn: slo::PAIRS
            .iter()
            .map(|p| slo::pair(*p, get(p.0), get(p.1), objective))
            .collect(),
    }))
}

/// Every GPU the DCGM exporter reports.
pub async fn fetch_gpus(prom: &Prom, cfg: &GpusConfig) -> Result<Vec<GpuStatus>, String> {
    let queries: Vec<String> = Field::ALL.iter().map(|f| gpu::query(*f, cfg)).collect();
    let answers = futures::future::join_all(queries.iter().map(|q| prom.instant(q))).await;
    let mut samples = Vec::new();
    for (field, a) in Field::ALL.iter().zip(answers) {
        for (labels, v) in a? {
            samples.push((*field, labels, v));
        }
    }
    Ok(gpu::assemble(&samples, cfg))
}

/// Polls one signal: its value, then its sparkline (whole hour once, then only what is new).
struct SignalPoller {
    prom: Prom,
    config: Config,
    signal: SignalConfig,
    last_point: Option<i64>,
    width: SparkWidth,
    /// The step the points so far were fetched with; a new width refetches the hour.
    last_step: i64,
}

impl Poller for SignalPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        let name = self.signal.name.clone();
        let reading = fetch_value(&self.prom, &self.config, &self.signal).await?;
        let mut out = vec![match reading {
            Reading::NoSeries => Observation::SignalNoData {
                name: name.clone(),
                query: signal_query(&self.config, &self.signal, &self.signal.query, None)?,
            },
            _ => Observation::Signal {
                name: name.clone(),
                value: reading.value(),
            },
        }];
        let step = self.width.step();
        if step != self.last_step {
            self.last_point = None;
            self.last_step = step;
        }
        let now = Timestamp::now().as_second() / step * step;
        let (start, reset) = match self.last_point {
            Some(last) => (last + step, false),
            None => (now - SPARK_SPAN.as_secs() as i64, true),
        };
        if start <= now {
            let q = signal_query(&self.config, &self.signal, &self.signal.query, None)?;
            let points = self.prom.range(&q, start, now, step as f64).await?;
            // Ask from `now` next time even when the range was empty, so gaps are not refetched.
            self.last_point = Some(now);
            out.push(Observation::SignalSeries {
                name,
                points,
                reset,
            });
        }
        if let Some(slo) = fetch_slo(&self.prom, &self.config, &self.signal).await? {
            out.push(Observation::Slo(slo));
        }
        Ok(out)
    }
}

struct GpuPoller {
    prom: Prom,
    cfg: GpusConfig,
}

impl Poller for GpuPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        Ok(vec![Observation::GpuList(
            fetch_gpus(&self.prom, &self.cfg).await?,
        )])
    }
}

/// Starts every live source the config names: signals and GPUs here, alerts and health
/// probes in their own modules. The tasks end when the event channel closes.
pub fn spawn(config: &Config, tx: mpsc::Sender<Event>) -> Result<Vec<JoinHandle<()>>, String> {
    spawn_with_width(config, tx, SparkWidth::default())
}

/// [`spawn`], with sparkline steps following the pane's width.
pub fn spawn_with_width(
    config: &Config,
    tx: mpsc::Sender<Event>,
    width: SparkWidth,
) -> Result<Vec<JoinHandle<()>>, String> {
    let mut spawner = Spawner::new(tx);
    start(config, width, &mut spawner)?;
    Ok(spawner.tasks)
}

/// Hands every monitoring source the config names to `runner`: a poller per signal, the
/// GPUs, the alerts and each health probe.
pub fn start(config: &Config, width: SparkWidth, runner: &mut impl Runner) -> Result<(), String> {
    let prom = Prom::from_config(config).transpose()?;
    if let Some(prom) = &prom {
        let every = config
            .prometheus
            .as_ref()
            .map(|e| e.refresh())
            .unwrap_or(Duration::from_secs(15));
        // LogQL signals are Loki's (sources/loki/signals.rs).
        let promql = config
            .signals
            .iter()
            .filter(|s| s.source == crate::config::live::SignalSource::Prometheus);
        for s in promql {
            runner.announce(Observation::SignalDefined(signal_def(s)));
            let poller = SignalPoller {
                prom: prom.clone(),
                config: config.clone(),
                signal: s.clone(),
                last_point: None,
                width: width.clone(),
                last_step: 0,
            };
            let refresh = s.refresh.map_or(every, |r| r.0);
            runner.run(format!("signals/{}", s.name), refresh, poller);
        }
        if config.gpus.enabled {
            let poller = GpuPoller {
                prom: prom.clone(),
                cfg: config.gpus.clone(),
            };
            let refresh = config.gpus.refresh.map_or(every, |r| r.0);
            runner.run("gpus".into(), refresh, poller);
        }
    }
    super::alertmanager::start(config, prom, runner)?;
    super::health::start(config, runner);
    Ok(())
}

/// Asks Prometheus to evaluate every configured query once (with `{{window}}` at 5m), so a
/// syntax error is reported with its signal's name. Nothing when no server is reachable.
pub async fn check_queries(config: &Config) -> Vec<String> {
    let Some(Ok(prom)) = Prom::from_config(config) else {
        return Vec::new();
    };
    if let Err(e) = prom.value("vector(1)").await {
        tracing::info!(error = %e, "prometheus unreachable; queries not checked");
        return Vec::new();
    }
    let mut problems = Vec::new();
    let promql = config
        .signals
        .iter()
        .filter(|s| s.source == crate::config::live::SignalSource::Prometheus);
    for s in promql {
        for (q, window) in config.signal_queries(s) {
            let Ok(q) = signal_query(config, s, &q, window) else {
                continue;
            };
            if let Err(e) = prom.instant(&q).await
                && e.starts_with("prometheus:")
            {
                problems.push(format!(
                    "signal `{}`: query `{q}` is rejected by the server: {e}",
                    s.name
                ));
            }
        }
    }
    problems
}

/// [`check_queries`] for `sitrep check`, which has no runtime of its own.
pub fn check_queries_blocking(config: &Config) -> Vec<String> {
    if config.prometheus_url().is_none() || config.signals.is_empty() {
        return Vec::new();
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(check_queries(config)),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod spark_tests {
    use super::SparkWidth;

    #[test]
    fn the_step_spreads_the_hour_over_the_columns() {
        let w = SparkWidth::default();
        assert_eq!(w.step(), 15, "unknown width: the finest step");
        w.set(56);
        assert_eq!(
            w.step(),
            75,
            "3600 s over 56 columns is 64.3 s, rounded up to 15 s multiples"
        );
        w.set(240);
        assert_eq!(w.step(), 15);
        w.set(1000);
        assert_eq!(w.step(), 15, "never finer than 15 s");
    }
}
