//! `sitrep snapshot`: every configured source fetched once, printed as the panes would show
//! it, as JSON for scripts or Markdown for the incident channel.

use jiff::Timestamp;
use serde::Serialize;

use crate::config::Config;
use crate::event::{AlertState, BurnPair, HealthStatus, Level};
use crate::output::InUse;
use crate::sources::alertmanager::AlertSource;
use crate::sources::prometheus::{self, Prom};
use crate::text::Clean;

/// One signal's row.
#[derive(Debug, Serialize)]
pub struct SignalRow {
    pub name: String,
    /// Raw number in the signal's unit.
    pub value: Option<f64>,
    pub unit: String,
    /// ok, warn, crit, unknown, or "no data" when the query matched no series.
    pub state: &'static str,
    pub error: Option<String>,
    /// The query as sent, when it matched no series.
    pub no_data_query: Option<String>,
}

/// One SLO's row.
#[derive(Debug, Serialize)]
pub struct SloRow {
    pub name: String,
    pub objective: f64,
    pub budget_left: Option<f64>,
    pub burn: Vec<BurnPair>,
}

/// One GPU's row; memory in bytes (DCGM's MiB × 2^20).
#[derive(Debug, Serialize)]
pub struct GpuRow {
    pub host: String,
    pub gpu: u32,
    pub model: String,
    pub util: Option<f64>,
    pub mem_used_bytes: Option<f64>,
    pub mem_total_bytes: Option<f64>,
    pub temp_c: Option<f64>,
    pub power_w: Option<f64>,
    pub xid: Option<u32>,
}

/// One alert's row.
#[derive(Debug, Serialize)]
pub struct AlertRow {
    pub name: String,
    pub severity: String,
    pub state: &'static str,
    pub since: Timestamp,
    pub summary: String,
    pub runbook_url: Option<String>,
}

/// A source that could not be read.
#[derive(Debug, Serialize)]
pub struct Failure {
    pub source: String,
    pub error: String,
}

/// What the panes would show, once.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub taken_at: Timestamp,
    pub signals: Vec<SignalRow>,
    pub slos: Vec<SloRow>,
    pub gpus: Vec<GpuRow>,
    pub alerts: Vec<AlertRow>,
    pub health: Vec<HealthStatus>,
    /// Pods and deployments of the configured namespaces, when a cluster is configured.
    pub pods: Vec<serde_json::Value>,
    pub deployments: Vec<serde_json::Value>,
    /// Kubernetes events (deduplicated, newest first), nodes and autoscalers.
    #[serde(flatten)]
    pub cluster: crate::sources::kube_cluster_snapshot::ClusterSnapshot,
    /// Sources that failed (signals carry their own error too).
    pub errors: Vec<Failure>,
    /// Sources asked, for the exit status.
    #[serde(skip)]
    pub sources: usize,
}

impl Snapshot {
    /// Every source failed (and there was at least one).
    pub fn all_failed(&self) -> bool {
        self.sources > 0 && self.errors.len() >= self.sources
    }
}

fn state_word(l: Level) -> &'static str {
    match l {
        Level::Ok => "ok",
        Level::Warn => "warn",
        Level::Crit => "crit",
        Level::Unknown => "unknown",
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// Fetches every configured source once, concurrently.
pub async fn take(config: &Config) -> Snapshot {
    let mut snap = Snapshot {
        taken_at: Timestamp::now(),
        signals: Vec::new(),
        slos: Vec::new(),
        gpus: Vec::new(),
        alerts: Vec::new(),
        health: Vec::new(),
        pods: Vec::new(),
        deployments: Vec::new(),
        cluster: Default::default(),
        errors: Vec::new(),
        sources: 0,
    };
    let prom = match Prom::from_config(config).transpose() {
        Ok(p) => p,
        Err(e) => {
            snap.sources += 1;
            snap.errors.push(Failure {
                source: "prometheus".into(),
                error: e,
            });
            None
        }
    };
    let signals = async {
        let Some(prom) = &prom else {
            return Vec::new();
        };
        let each = config.signals.iter().map(|s| async move {
            let value = prometheus::fetch_value(prom, config, s).await;
            let slo = prometheus::fetch_slo(prom, config, s).await;
            (s, value, slo)
        });
        futures::future::join_all(each).await
    };
    let gpus = async {
        match &prom {
            Some(p) if config.gpus.enabled => Some(prometheus::fetch_gpus(p, &config.gpus).await),
            _ => None,
        }
    };
    let alerts = async {
        match AlertSource::from_config(config, prom.clone()) {
            Ok(Some(src)) => Some(src.fetch().await.map(|(a, _)| a)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    };
    let health = async {
        let client = crate::sources::health::client();
        let client = &client;
        futures::future::join_all(
            config
                .health
                .iter()
                .map(|h| crate::sources::health::probe(client, h)),
        )
        .await
    };
    let (signals, gpus, alerts, health) = futures::join!(signals, gpus, alerts, health);
    for (s, value, slo) in signals {
        snap.sources += 1;
        let def = prometheus::signal_def(s);
        let error = match (&value, &slo) {
            (Err(e), _) | (_, Err(e)) => Some(e.clone()),
            _ => None,
        };
        if let Some(e) = &error {
            snap.errors.push(Failure {
                source: format!("signals/{}", s.name),
                error: e.clone(),
            });
        }
        let reading = value.ok();
        let no_data_query = (reading == Some(prometheus::Reading::NoSeries))
            .then(|| prometheus::signal_query(config, s, &s.query, None).ok())
            .flatten();
        let value = reading.and_then(prometheus::Reading::value);
        snap.signals.push(SignalRow {
            name: s.name.clone(),
            value,
            unit: s.unit.clone(),
            state: if error.is_some() {
                state_word(Level::Unknown)
            } else if no_data_query.is_some() {
                "no data"
            } else {
                state_word(def.level(value))
            },
            error,
            no_data_query,
        });
        if let Ok(Some(slo)) = slo {
            snap.slos.push(SloRow {
                name: slo.name,
                objective: slo.objective,
                budget_left: slo.budget_left,
                burn: slo.burn,
            });
        }
    }
    if let Some(gpus) = gpus {
        snap.sources += 1;
        match gpus {
            Ok(mut list) => {
                list.sort_by(|a, b| {
                    let t = |g: &crate::event::GpuStatus| g.temp_c.unwrap_or(f64::NEG_INFINITY);
                    t(b).total_cmp(&t(a))
                });
                snap.gpus = list
                    .into_iter()
                    .map(|g| GpuRow {
                        host: g.host,
                        gpu: g.index,
                        model: g.model,
                        util: g.util,
                        mem_used_bytes: g.mem_used_mib.map(|m| m * MIB),
                        mem_total_bytes: g.mem_total_mib.map(|m| m * MIB),
                        temp_c: g.temp_c,
                        power_w: g.power_w,
                        xid: g.xid,
                    })
                    .collect();
            }
            Err(e) => snap.errors.push(Failure {
                source: "gpus".into(),
                error: e,
            }),
        }
    }
    if let Some(alerts) = alerts {
        snap.sources += 1;
        match alerts {
            Ok(list) => {
                snap.alerts = list
                    .into_iter()
                    .map(|a| AlertRow {
                        name: a.name,
                        severity: a.severity,
                        state: a.state.as_str(),
                        since: a.since,
                        summary: a.summary,
                        runbook_url: a.runbook_url,
                    })
                    .collect();
                snap.alerts.sort_by(|a, b| {
                    let rank = |r: &AlertRow| crate::app::severity_rank(&r.severity);
                    rank(b).cmp(&rank(a)).then(a.since.cmp(&b.since))
                });
            }
            Err(e) => snap.errors.push(Failure {
                source: "alerts".into(),
                error: e,
            }),
        }
    }
    for h in health {
        snap.sources += 1;
        if h.status.is_none()
            && let Some(e) = &h.error
        {
            snap.errors.push(Failure {
                source: format!("health/{}", h.name),
                error: e.clone(),
            });
        }
        snap.health.push(h);
    }
    snap
}

/// The snapshot as a short status update for the incident channel.
pub fn markdown(s: &Snapshot) -> String {
    use crate::ui::format::value as fmt;
    let mut out = format!(
        "**Status at {}** (sitrep snapshot)\n",
        s.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    );
    if !s.deployments.is_empty() {
        out.push_str("\n**Deployments:**\n");
        for d in &s.deployments {
            let f = |k: &str| {
                d.get(k)
                    .map(|v| v.to_string().trim_matches('"').to_string())
                    .unwrap_or_default()
            };
            out.push_str(&format!(
                "- {}/{}: {}/{} ready, revision {}\n",
                f("namespace"),
                f("name"),
                f("ready"),
                f("replicas"),
                f("revision")
            ));
        }
    }
    out.push_str(&crate::sources::kube_cluster_snapshot::markdown(&s.cluster));
    let firing: Vec<&AlertRow> = s
        .alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing.as_str())
        .collect();
    out.push_str(&format!(
        "\n**Alerts firing:** {}\n",
        if firing.is_empty() {
            "none".to_string()
        } else {
            firing.len().to_string()
        }
    ));
    for a in firing {
        out.push_str(&format!(
            "- **{}** ({}) since {}: {}",
            a.name,
            a.severity,
            a.since.strftime("%H:%M UTC"),
            a.summary
        ));
        if let Some(r) = &a.runbook_url {
            out.push_str(&format!(" ([runbook]({r}))"));
        }
        out.push('\n');
    }
    if !s.signals.is_empty() {
        out.push_str("\n**Signals:**\n");
        for sig in &s.signals {
            let v = match (&sig.error, &sig.no_data_query) {
                (Some(e), _) => format!("unavailable ({e})"),
                (None, Some(q)) => format!("no series for `{q}`"),
                (None, None) => fmt(sig.value, &sig.unit),
            };
            out.push_str(&format!(
                "- {}: {} {}\n",
                sig.name,
                v,
                sig.state.to_uppercase()
            ));
        }
    }
    for slo in &s.slos {
        let left = slo
            .budget_left
            .map_or("unknown".into(), |b| format!("{:.0}%", b * 100.0));
        let burning: Vec<String> = slo
            .burn
            .iter()
            .filter(|b| b.firing)
            .map(|b| {
                format!(
                    "{}/{} at {:.1}× (>{}×)",
                    b.long,
                    b.short,
                    b.long_rate.unwrap_or(0.0),
                    b.factor
                )
            })
            .collect();
        out.push_str(&format!(
            "- SLO {} ({}%): {left} of the error budget left{}\n",
            slo.name,
            slo.objective,
            if burning.is_empty() {
                String::new()
            } else {
                format!("; burning {}", burning.join(", "))
            }
        ));
    }
    let bad_gpus: Vec<&GpuRow> = s.gpus.iter().filter(|g| g.xid.is_some()).collect();
    if !s.gpus.is_empty() {
        out.push_str(&format!("\n**GPUs:** {} reporting", s.gpus.len()));
        if let Some(hot) = s.gpus.first().and_then(|g| g.temp_c.map(|t| (g, t))) {
            out.push_str(&format!(
                ", hottest {}/{} at {:.0}°C",
                hot.0.host, hot.0.gpu, hot.1
            ));
        }
        out.push('\n');
        for g in bad_gpus {
            let xid = g.xid.unwrap_or(0);
            let what = crate::gpu::xid::lookup(xid).map_or("unknown XID".to_string(), |x| {
                format!("{}: {}", x.meaning, x.action)
            });
            out.push_str(&format!("- {}/{} XID {xid} ({what})\n", g.host, g.gpu));
        }
    }
    if !s.health.is_empty() {
        out.push_str("\n**Health:** ");
        let parts: Vec<String> = s
            .health
            .iter()
            .map(|h| match (h.ok, h.status) {
                (true, Some(c)) => {
                    format!("{} ok ({c}, {:.0} ms)", h.name, h.latency_ms.unwrap_or(0.0))
                }
                (false, Some(c)) => format!("{} FAILING (HTTP {c})", h.name),
                _ => format!(
                    "{} DOWN ({})",
                    h.name,
                    h.error.as_deref().unwrap_or("no answer")
                ),
            })
            .collect();
        out.push_str(&parts.join(", "));
        out.push('\n');
    }
    // Probes that got no answer are already on the health line.
    let errors: Vec<&Failure> = s
        .errors
        .iter()
        .filter(|e| !e.source.starts_with("health/"))
        .collect();
    if !errors.is_empty() {
        out.push_str("\n**Could not read:**\n");
        for e in errors {
            out.push_str(&format!("- {}: {}\n", e.source, e.error));
        }
    }
    out
}

/// Files `sitrep snapshot -o` must never replace: the journal, the config and the
/// runbooks it names.
fn files_in_use(s: &crate::modes::Setup, global: &crate::cli::Global) -> Vec<InUse> {
    let journal = global
        .journal
        .clone()
        .or(s.config.journal.clone())
        .unwrap_or_else(|| "INCIDENTS.md".into());
    let mut in_use = vec![InUse::new(journal, "the incident journal")];
    in_use.extend(
        s.config_path
            .iter()
            .map(|p| InUse::new(p, "the config file")),
    );
    in_use.extend(
        s.config
            .runbooks
            .paths
            .iter()
            .map(|p| InUse::new(p, "a runbook in use")),
    );
    in_use
}

/// `sitrep snapshot`: prints the snapshot (or writes it to `output`); exit status 1 only
/// when every source failed.
pub fn run(
    global: &crate::cli::Global,
    format: crate::cli::SnapshotFormat,
    output: Option<&std::path::Path>,
) -> anyhow::Result<std::process::ExitCode> {
    let s = crate::modes::setup(global).map_err(|e| anyhow::anyhow!("{e}"))?;
    let in_use = files_in_use(&s, global);
    // Refused before any source is asked, so a careless -o costs nothing.
    if let Some(out) = output {
        crate::output::check_not_in_use(out, &in_use)?;
    }
    let kube = crate::modes::kubernetes_config(global, &s.config);
    if !s.config.has_live_sources() && kube.is_none() {
        anyhow::bail!(
            "nothing to snapshot: configure [prometheus], [alertmanager], [[health]] or [kubernetes], or pass --prometheus URL"
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let snap = runtime.block_on(async {
        let mut snap = take(&s.config).await;
        if let Some(kube) = kube {
            snap.sources += 1;
            let cluster = async {
                let conn = crate::sources::kube::connect(&kube).await?;
                let views = crate::sources::kube_cluster_snapshot::cluster_snapshot(&conn).await;
                crate::sources::kube_snapshot::kube_snapshot(&conn, snap.taken_at)
                    .await
                    .map(|v| (v, views))
            };
            match cluster.await {
                Ok((v, views)) => {
                    for (source, error) in &views.errors {
                        snap.errors.push(Failure {
                            source: source.clone(),
                            error: error.clone(),
                        });
                    }
                    snap.cluster = views;
                    let list = |k: &str| {
                        v.get(k)
                            .and_then(|x| x.as_array())
                            .cloned()
                            .unwrap_or_default()
                    };
                    snap.pods = list("pods");
                    snap.deployments = list("deployments");
                }
                Err(e) => snap.errors.push(Failure {
                    source: "kubernetes".into(),
                    error: format!("{e:#}"),
                }),
            }
        }
        snap
    });
    let text = match format {
        crate::cli::SnapshotFormat::Json => {
            Clean::json(serde_json::to_string_pretty(&snap)? + "\n")
        }
        // Alert summaries, label values, GPU host names and error bodies come from outside.
        crate::cli::SnapshotFormat::Md => Clean::of(&markdown(&snap)),
    };
    match output {
        Some(out) => crate::output::write_file(out, &text, &in_use)?,
        None => crate::output::print(&text)?,
    }
    Ok(if snap.all_failed() {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    })
}
