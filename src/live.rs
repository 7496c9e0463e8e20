//! Live mode: the cockpit plugged into a real cluster through the Kubernetes API.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::EventStream;
use tokio::sync::mpsc;

use crate::app::{App, Mode};
use crate::cli::Global;
use crate::config::Config;
use crate::config::kube::KubernetesConfig;
use crate::executors::kube::KubeExecutor;
use crate::modes::Setup;
use crate::runtime::{self, Plug};
use crate::terminal::Tui;

/// The Kubernetes settings live mode uses: `[kubernetes]` with `--context`/`--namespace`
/// laid over it, or the current kubeconfig when there is one and no section.
pub fn kubernetes_config(global: &Global, config: &Config) -> Option<KubernetesConfig> {
    let flags = global.context.is_some() || !global.namespaces.is_empty();
    let mut k = match &config.kubernetes {
        Some(k) => k.clone(),
        None if flags || crate::sources::kube::kubeconfig_present() => {
            // Parse an empty section so the defaults are the documented ones.
            toml::from_str("").ok()?
        }
        None => return None,
    };
    if global.context.is_some() {
        k.context = global.context.clone();
    }
    if !global.namespaces.is_empty() {
        k.namespaces = global.namespaces.clone();
    }
    Some(k)
}

/// Runs the live cockpit until the operator quits.
pub fn run(
    global: &Global,
    s: Setup,
    kube: KubernetesConfig,
    journal: Option<PathBuf>,
    actor: String,
) -> anyhow::Result<ExitCode> {
    let _log = crate::logging::init(s.dirs.data.as_deref());
    let journal_path = journal.unwrap_or_else(|| PathBuf::from("INCIDENTS.md"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let conn = crate::sources::kube::connect(&kube).await?;
        let mode = Mode::Live {
            context: conn.context.clone(),
            namespace: conn.namespaces.join(","),
        };
        let executor = KubeExecutor::new(
            conn.client.clone(),
            conn.namespaces.clone(),
            s.config.kill_switches.clone(),
            Duration::from_secs(kube.timeout_seconds),
        );
        let now = jiff::Timestamp::now();
        let mut app = App::new(mode, s.config.clone(), s.keymap, s.theme, actor, now);
        app.read_only = global.read_only;
        let (tx, rx) = mpsc::channel(8192);
        let journal = crate::journal_worker::spawn(journal_path, tx.clone());
        let mut tasks = crate::sources::kube::spawn(&conn, tx.clone());
        tasks.push(tokio::spawn(crate::sources::kube_switches::run(
            executor.clone(),
            s.config.kill_switches.clone(),
            tx.clone(),
        )));
        let (logs, tailer) = crate::sources::kube_logs::spawn(
            conn.client.clone(),
            kube.log_since_seconds,
            tx.clone(),
        );
        tasks.push(tailer);
        let plug = Plug {
            executor: Arc::new(executor),
            drill: None,
            journal,
            logs: Some(logs),
        };
        let mut tui = Tui::enter().context("cannot take over the terminal")?;
        app.size = tui.size()?;
        let result = runtime::run(&mut tui, &mut app, EventStream::new(), tx, rx, plug).await;
        drop(tui);
        for t in tasks {
            t.abort();
        }
        result.context("the cockpit stopped")?;
        Ok(ExitCode::SUCCESS)
    })
}
