//! `sitrep snapshot`: one round of every configured source folded into a cockpit that is
//! never drawn, printed as its panes hold it, as JSON for scripts or Markdown for the
//! incident channel.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use crate::app::{App, Mode};
use crate::config::kube::KubernetesConfig;
use crate::config::{Config, Keymap, Theme};
use crate::event::{AlertState, BurnPair, Event, HealthStatus, Level};
use crate::output::InUse;
use crate::sources::kube_snapshot::ClusterRound;
use crate::sources::poll::{OneRound, Runner};
use crate::sources::prometheus::{self, SparkWidth};
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
    /// Argo Rollouts, where the cluster serves them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollouts: Vec<serde_json::Value>,
    /// The last error lines of each workload, from Loki (with `[loki]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_errors: Vec<crate::sources::loki::snapshot::WorkloadErrors>,
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

/// Asks every configured source once, concurrently (the cluster too, when `kube` is given),
/// and folds the answers into a cockpit that is never drawn: the snapshot is what its panes
/// would show.
pub async fn take(config: &Config, kube: Option<KubernetesConfig>) -> anyhow::Result<Snapshot> {
    let mut round = OneRound::default();
    // One point per sparkline: a snapshot draws none, so it asks for no history.
    let width = SparkWidth::default();
    width.set(1);
    if let Err(e) = prometheus::start(config, width, &mut round) {
        round.failed("prometheus", e);
    }
    if let Some(kube) = kube {
        round.run(
            "kubernetes".into(),
            Duration::from_secs(15),
            ClusterRound(kube),
        );
    }
    let loki = config.loki.as_ref().filter(|l| l.url().is_some());
    if let Some(lc) = loki {
        match crate::sources::loki::Loki::new(lc) {
            Ok(client) => crate::sources::loki::signals::start(config, &client, &mut round),
            Err(e) => round.failed("loki", e),
        }
    }
    let mut sources = round.sources;
    let observations = round.finish().await;
    let taken_at = Timestamp::now();
    let mut app = headless(config, taken_at)?;
    for obs in observations {
        // What the cockpit would do about it (journal an alert, say) is not a snapshot's job.
        let _effects = app.update(Event::Observed(taken_at, obs));
    }
    let mut snap = Snapshot::of(&app, sources);
    // The last error lines of each workload the cluster showed, from the log store.
    if let Some(lc) = loki {
        use crate::sources::loki::snapshot as loki;
        sources += 1;
        snap.sources = sources;
        let ns = config.vars.namespace.as_deref();
        let workloads = loki::workloads_of(&snap.deployments, lc, ns);
        let service_of = |ns: &str, w: &str| app.service_claiming(ns, w)?.loki.as_ref();
        match loki::error_lines(lc, &workloads, service_of).await {
            Ok(errors) => snap.log_errors = errors,
            Err(error) => snap.errors.push(Failure {
                source: "loki".into(),
                error,
            }),
        }
    }
    Ok(snap)
}

/// A cockpit with the config and the built-in keymap and theme, for folding into.
fn headless(config: &Config, now: Timestamp) -> anyhow::Result<App> {
    let keymap = Keymap::load("default", None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let theme = Theme::load("dark", None, true).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(App::new(
        Mode::Live {
            context: String::new(),
            namespace: String::new(),
        },
        config.clone(),
        keymap,
        theme,
        "snapshot".into(),
        now,
    ))
}

impl Snapshot {
    /// What the cockpit's panes hold, as rows. `sources` is how many sources were asked.
    pub fn of(app: &App, sources: usize) -> Snapshot {
        let taken_at = app.now;
        let signals = app
            .signals
            .iter()
            .map(|s| SignalRow {
                name: s.def.name.clone(),
                value: s.value,
                unit: s.def.unit.clone(),
                state: if s.stale.is_some() {
                    state_word(Level::Unknown)
                } else if s.no_data.is_some() {
                    "no data"
                } else {
                    state_word(s.level())
                },
                error: s.stale.as_ref().map(|(e, _)| e.clone()),
                no_data_query: s.no_data.clone(),
            })
            .collect();
        let slos = app
            .signals
            .iter()
            .filter_map(|s| s.slo.clone())
            .map(|slo| SloRow {
                name: slo.name,
                objective: slo.objective,
                budget_left: slo.budget_left,
                burn: slo.burn,
            })
            .collect();
        let mut gpus: Vec<&crate::event::GpuStatus> = app.gpus.values().collect();
        // Hottest first: the one to look at heads the list.
        gpus.sort_by(|a, b| {
            let t = |g: &crate::event::GpuStatus| g.temp_c.unwrap_or(f64::NEG_INFINITY);
            t(b).total_cmp(&t(a))
        });
        let gpus = gpus
            .into_iter()
            .map(|g| GpuRow {
                host: g.host.clone(),
                gpu: g.index,
                model: g.model.clone(),
                util: g.util,
                mem_used_bytes: g.mem_used_mib.map(|m| m * MIB),
                mem_total_bytes: g.mem_total_mib.map(|m| m * MIB),
                temp_c: g.temp_c,
                power_w: g.power_w,
                xid: g.xid,
            })
            .collect();
        let alerts = app
            .alerts
            .iter()
            .map(|e| AlertRow {
                name: e.status.name.clone(),
                severity: e.status.severity.clone(),
                state: e.status.state.as_str(),
                since: e.status.since,
                summary: e.status.summary.clone(),
                runbook_url: e.status.runbook_url.clone(),
            })
            .collect();
        let health: Vec<HealthStatus> = app.health.iter().map(|h| h.status.clone()).collect();
        let mut errors: Vec<Failure> = app
            .source_errors
            .iter()
            .map(|e| Failure {
                source: e.source.clone(),
                error: e.error.clone(),
            })
            .collect();
        // A probe that got no answer is a source that could not be read.
        errors.extend(
            health
                .iter()
                .filter(|h| h.status.is_none())
                .filter_map(|h| {
                    h.error.as_ref().map(|e| Failure {
                        source: format!("health/{}", h.name),
                        error: e.clone(),
                    })
                }),
        );
        let mut pods = Vec::new();
        let mut deployments = Vec::new();
        let mut rollouts = Vec::new();
        for w in app.pods.workloads.values() {
            if let Some(d) = &w.deployment {
                deployments.push(json!({"namespace": d.namespace, "name": d.name,
                    "revision": d.revision, "replicas": d.replicas, "ready": d.ready,
                    "updated": d.updated, "available": d.available}));
            }
            if let Some(r) = &w.rollout {
                rollouts.push(json!({"namespace": r.namespace, "name": r.name,
                    "replicas": r.replicas, "ready": r.ready, "phase": r.phase,
                    "canary_weight": r.canary_weight, "step": r.current_step,
                    "steps": r.steps.len(), "stable": r.stable_hash, "canary": r.canary_hash,
                    "paused": r.paused(), "aborted": r.aborted, "summary": r.summary()}));
            }
            for p in w.pods.values() {
                pods.push(json!({"namespace": p.namespace, "name": p.name,
                    "workload": p.workload, "phase": p.phase, "reason": p.reason,
                    "ready": p.ready, "restarts": p.restarts, "node": p.node,
                    "age_s": taken_at.duration_since(p.created).as_secs().max(0)}));
            }
        }
        Snapshot {
            taken_at,
            signals,
            slos,
            gpus,
            alerts,
            health,
            pods,
            deployments,
            rollouts,
            log_errors: Vec::new(),
            cluster: crate::sources::kube_cluster_snapshot::ClusterSnapshot::of(app),
            errors,
            sources,
        }
    }
}

/// The snapshot as a short status update for the incident channel.
pub fn markdown(s: &Snapshot) -> String {
    use crate::ui::format::value as fmt;
    let mut out = format!(
        "**Status at {}** (sitrep snapshot)\n",
        s.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    );
    if !s.rollouts.is_empty() {
        out.push_str("\n**Rollouts:**\n");
        for r in &s.rollouts {
            let f = |k: &str| r[k].as_str().unwrap_or("").to_string();
            out.push_str(&format!(
                "- {}/{}: {}\n",
                f("namespace"),
                f("name"),
                f("summary")
            ));
        }
    }
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
    out.push_str(&crate::sources::loki::snapshot::markdown(&s.log_errors));
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
    let snap = runtime.block_on(take(&s.config, kube))?;
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
