//! Live mode: the cockpit on a real cluster, Prometheus, Alertmanager and Loki, recorded.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;

use super::{Wiring, cockpit, load_runbooks, open_journal, run_cockpit, setup};
use crate::app::{App, Mode};
use crate::cli::Global;
use crate::config::Config;

/// The Kubernetes settings live mode uses: `[kubernetes]` with `--context`/`--namespace`
/// laid over it, or the current kubeconfig when there is one and no section.
pub fn kubernetes_config(
    global: &Global,
    config: &Config,
) -> Option<crate::config::kube::KubernetesConfig> {
    let flags = global.context.is_some() || !global.namespaces.is_empty() || global.all_namespaces;
    let mut k = match &config.kubernetes {
        Some(k) => k.clone(),
        // An empty section, so the defaults are the documented ones.
        None if flags || crate::sources::kube::kubeconfig_present() => toml::from_str("").ok()?,
        None => return None,
    };
    if global.context.is_some() {
        k.context = global.context.clone();
    }
    if !global.namespaces.is_empty() {
        k.namespaces = global.namespaces.clone();
    }
    if global.all_namespaces {
        k.all_namespaces = true;
    }
    Some(k)
}

/// Plain `sitrep`: the live cockpit on the configured cluster and monitoring stack.
pub fn live(global: &Global) -> anyhow::Result<ExitCode> {
    let s = setup(global).map_err(|e| anyhow!("{e}"))?;
    let kube = kubernetes_config(global, &s.config);
    if kube.is_none() && !s.config.has_live_sources() {
        let where_ = s
            .config_path
            .map(|p| format!("{} configures no live sources yet", p.display()))
            .or_else(|| {
                s.dirs
                    .config
                    .map(|d| format!("no config at {}", d.join("config.toml").display()))
            })
            .unwrap_or_else(|| "no config".into());
        crate::output::eprintln(&format!(
            "sitrep: nothing to watch: {where_}.\n\
             Set [prometheus] url (or pass --prometheus URL) or [kubernetes] (or --context), or see\n\
             everything working on a simulated cluster:  sitrep demo   (faster: sitrep demo --speed 10)"
        ));
        return Ok(ExitCode::from(2));
    }
    let books = load_runbooks(&s.config)?;
    let _log = crate::logging::init(s.dirs.data.as_deref());
    let journal = open_journal(global, &s.config)?;
    let mode = Mode::Live {
        context: "-".into(),
        namespace: s
            .config
            .vars
            .namespace
            .clone()
            .unwrap_or_else(|| "-".into()),
    };
    let config = s.config.clone();
    let s_config_path = s.config_path.clone();
    let data_dir = s.dirs.data.clone();
    let mut app = cockpit(s, global, mode, books, &journal);
    let loki = config.loki.clone().filter(|l| l.url().is_some());
    // A log store answers history: the pane asks it for older pages, moments and filters.
    app.caps.log_history = loki.is_some();
    // A restarted cockpit carries on with the incident it left open.
    if let Some(inc) = journal.open_incident().filter(|i| !i.header.drill) {
        app.resume_from(inc);
    }
    let actor = app.actor.clone();
    let recording = recorder_setup(
        global,
        s_config_path.as_deref(),
        data_dir.as_deref(),
        &config,
        &app,
    );
    // A resumed incident goes on being recorded, in a file of its own.
    let resumed = app.incident.as_ref().map(|i| crate::journal::Header {
        id: i.id.clone(),
        title: i.title.clone(),
        opened_at: i.opened_at,
        mode: app.caps.banner.clone(),
        drill: false,
        severity: i.severity,
        opened_by: app.actor.clone(),
    });
    run_cockpit(app, journal, move |tx| async move {
        let spark = crate::sources::prometheus::SparkWidth::default();
        let mut tasks =
            crate::sources::prometheus::spawn_with_width(&config, tx.clone(), spark.clone())
                .map_err(|e| anyhow!("{e}"))?;
        tasks.push(tokio::spawn(crate::sources::clock::run(tx.clone())));
        let am = crate::sources::alertmanager::Am::from_config(&config)
            .transpose()
            .map_err(|e| anyhow!("{e}"))?;
        let (mut cluster, mut logs, mut mode) = (None, None, None);
        if let Some(kube) = kube {
            let conn = crate::sources::kube::connect(&kube).await?;
            mode = Some(Mode::Live {
                context: conn.context.clone(),
                namespace: conn.namespaces_label(),
            });
            let executor = crate::executors::kube::KubeExecutor::new(
                conn.client.clone(),
                conn.namespaces.clone(),
                config.kill_switches.clone(),
                std::time::Duration::from_secs(kube.timeout_seconds),
            )
            .in_context(conn.context.clone());
            let (watches, pods) = crate::sources::kube::spawn_with_pods(&conn, tx.clone());
            tasks.extend(watches);
            // What this identity may do, asked once: the cockpit greys out the rest.
            tasks.push(tokio::spawn(crate::sources::kube_access::run(
                conn.client.clone(),
                conn.namespaces.clone(),
                tx.clone(),
            )));
            tasks.push(tokio::spawn(crate::sources::kube_switches::run(
                executor.clone(),
                config.kill_switches.clone(),
                tx.clone(),
            )));
            let (orders, tailer) = crate::sources::kube_logs::spawn(
                conn.client.clone(),
                pods,
                kube.tail_settings(),
                kube.max_log_streams,
                tx.clone(),
            );
            tasks.push(tailer);
            logs = Some(orders);
            // Events, nodes and autoscalers; their actions go through the node executor.
            tasks.extend(crate::sources::kube_cluster::spawn(
                &conn,
                crate::sources::kube_cluster::EVERY,
                tx.clone(),
            ));
            let nodes = crate::executors::kube_nodes::ClusterExecutor::new(
                conn.client.clone(),
                executor,
                std::time::Duration::from_secs(kube.timeout_seconds),
                Some(tx.clone()),
            );
            cluster = Some(crate::executors::kube_nodes::shared(nodes));
        }
        // Loki stands in front of the pod tail: it reads the workloads it is configured for
        // and hands the rest (and its own failures) to the pod tail.
        let mut log_queries = None;
        if let Some(lc) = loki {
            let client =
                crate::sources::loki::Loki::new(&lc).map_err(|e| anyhow!("[loki]: {e}"))?;
            let mut spawner = crate::sources::poll::Spawner::new(tx.clone());
            crate::sources::loki::signals::start(&config, &client, &mut spawner);
            tasks.extend(spawner.tasks);
            let h = crate::sources::loki::source::spawn(
                client,
                lc,
                &config.services,
                logs.take(),
                tx.clone(),
            );
            tasks.push(h.task);
            logs = Some(h.targets);
            log_queries = Some(h.queries);
        }
        // Silences go to Alertmanager, `run` to a local shell, the rest to the cluster.
        let shell = Arc::new(crate::executors::shell::Shell::new(cluster));
        let executor = crate::executors::http::Http::new(am, actor, Some(shell));
        let recorder = match recording {
            Some(setup) => {
                let mut setup = setup;
                if let Some(Mode::Live { context, .. }) = &mode {
                    setup
                        .header
                        .sources
                        .push(format!("kubernetes context {context}"));
                }
                Some(crate::recording::recorder::spawn(setup, tx.clone())?)
            }
            None => None,
        };
        if let (Some((handle, _)), Some(inc)) = (&recorder, resumed) {
            handle.begin(&inc);
        }
        Ok(Wiring {
            executor: Arc::new(executor),
            drill: None,
            logs,
            log_queries,
            spark: Some(spark),
            tasks,
            mode,
            recorder,
            replay: None,
        })
    })
}

/// The flight recorder's set-up for a live cockpit, or `None` when it is off
/// (`--no-record`, `[recording] enabled = false`, or no data dir to write to).
fn recorder_setup(
    global: &Global,
    config_path: Option<&std::path::Path>,
    data_dir: Option<&std::path::Path>,
    config: &Config,
    app: &App,
) -> Option<crate::recording::recorder::RecorderSetup> {
    use crate::recording::{recorder, redact};
    if global.no_record || !config.recording.enabled {
        return None;
    }
    let Some(dir) = crate::recording::dir(&config.recording, data_dir) else {
        tracing::warn!("no data dir: the flight recorder is off");
        return None;
    };
    let lead_up = jiff::SignedDuration::try_from(config.recording.lead_up.0).unwrap_or_default();
    let mut sources = Vec::new();
    for (what, ep) in [
        ("prometheus", &config.prometheus),
        ("alertmanager", &config.alertmanager),
    ] {
        if let Some(url) = ep.as_ref().and_then(|e| e.url.as_deref()) {
            sources.push(format!("{what} {}", redact::strip_userinfo(url)));
        }
    }
    let header = recorder::base_header(
        &app.caps.banner,
        sources,
        redact::config_for_header(config_path),
        lead_up,
    );
    let mut setup = recorder::RecorderSetup::new(dir, lead_up, header);
    let mut secrets = redact::config_secrets(config);
    secrets.extend(redact::kubeconfig_secrets());
    setup.redactor = redact::Redactor::new(secrets);
    setup.writer.max_bytes = config.recording.max_bytes;
    Some(setup)
}
