//! Modes of the program: each wires sources, an executor and the journal to the cockpit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use crossterm::event::EventStream;
use tokio::sync::mpsc;

use crate::app::{App, Mode};
use crate::cli::{DrillArgs, Global};
use crate::config::{Config, Dirs, FileError, FileErrors, Keymap, Theme};
use crate::drill::{Scenario, World};
use crate::executors::sandbox::Sandbox;
use crate::runtime::{self, Plug};
use crate::terminal::Tui;

/// Everything read from files before the terminal is taken over.
pub struct Setup {
    pub dirs: Dirs,
    pub config: Config,
    pub config_path: Option<PathBuf>,
    pub theme: Theme,
    pub keymap: Keymap,
}

/// Reads config, theme and keymap; every problem found, not just the first.
pub fn setup(global: &Global) -> Result<Setup, FileErrors> {
    let dirs = Dirs::discover();
    let default_config = dirs.config.as_ref().map(|d| d.join("config.toml"));
    let config_path = global
        .config
        .clone()
        .or_else(|| default_config.filter(|p| p.exists()));
    let mut errors = Vec::new();
    let mut config = match &config_path {
        Some(p) => Config::load(p).unwrap_or_else(|e| {
            errors.extend(e.0);
            Config::default()
        }),
        None => Config::default(),
    };
    config.override_urls(global.prometheus.as_deref(), global.alertmanager.as_deref());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_spec = global
        .theme
        .clone()
        .or(config.theme.clone())
        .unwrap_or_else(|| "dark".into());
    let keymap_spec = global
        .keymap
        .clone()
        .or(config.keymap.clone())
        .unwrap_or_else(|| "default".into());
    let theme = Theme::load(&theme_spec, dirs.config.as_deref(), no_color);
    let keymap = Keymap::load(&keymap_spec, dirs.config.as_deref());
    if let (Ok(map), Some(path)) = (&keymap, &config_path) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for ks in &config.kill_switches {
            let Some(spec) = &ks.key else { continue };
            let at = text.find(&format!("{spec:?}")).map(|i| i..i + spec.len());
            match crate::config::keymap::Key::parse(spec) {
                Err(e) => errors.push(FileError::at(
                    path,
                    &text,
                    at,
                    format!("kill switch {}: {e}", ks.name),
                )),
                Ok(k) if map.lookup(&k).is_some() => errors.push(FileError::at(
                    path,
                    &text,
                    at,
                    format!(
                        "kill switch {}: key `{spec}` is already bound in the {} keymap",
                        ks.name, map.name
                    ),
                )),
                Ok(_) => {}
            }
        }
    }
    match (theme, keymap) {
        (Ok(theme), Ok(keymap)) if errors.is_empty() => Ok(Setup {
            dirs,
            config,
            config_path,
            theme,
            keymap,
        }),
        (theme, keymap) => {
            errors.extend(theme.err().map(|e| e.0).unwrap_or_default());
            errors.extend(keymap.err().map(|e| e.0).unwrap_or_default());
            Err(FileErrors(errors))
        }
    }
}

/// The runbooks the config names; one that cannot be read stops sitrep with the reason.
fn load_runbooks(config: &Config) -> anyhow::Result<Vec<crate::runbook::Runbook>> {
    let mut books = Vec::new();
    for path in &config.runbooks.paths {
        let rb = crate::runbook::load(path).map_err(|e| anyhow!("{e}"))?;
        for w in &rb.warnings {
            tracing::warn!("{w}");
        }
        books.push(rb);
    }
    Ok(books)
}

fn actor(config: &Config) -> String {
    config
        .actor
        .clone()
        .or_else(|| std::env::var("SITREP_ACTOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

/// `sitrep check`: validates and reports every problem as `FILE:LINE: message`.
pub fn check(global: &Global) -> anyhow::Result<ExitCode> {
    match setup(global) {
        Ok(s) => {
            // A query Prometheus cannot parse is a config error, named by its signal.
            let problems = crate::sources::prometheus::check_queries_blocking(&s.config);
            if !problems.is_empty() {
                let file = s
                    .config_path
                    .as_ref()
                    .map_or("config".into(), |p| p.display().to_string());
                for p in problems {
                    println!("{file}: {p}");
                }
                return Ok(ExitCode::from(1));
            }
            let config = s
                .config_path
                .map_or("no config file (defaults)".to_string(), |p| {
                    p.display().to_string()
                });
            println!(
                "ok: config {config}, theme {}, keymap {}",
                s.theme.name, s.keymap.name
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in errors.0 {
                println!("{e}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// What a mode plugs into the cockpit once the event channel exists.
struct Wiring {
    executor: Arc<dyn crate::executors::Executor>,
    drill: Option<mpsc::Sender<crate::sources::drill::Control>>,
    /// Where the log tailer takes its orders (live clusters only).
    logs: Option<mpsc::Sender<crate::app::LogTarget>>,
    spark: Option<crate::sources::prometheus::SparkWidth>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The mode as the sources found it (the cluster's context and namespaces).
    mode: Option<Mode>,
}

/// Where the journal lives: `--journal`, the config, or `./INCIDENTS.md`.
fn open_journal(global: &Global, config: &Config) -> anyhow::Result<crate::journal::Journal> {
    let path = global
        .journal
        .clone()
        .or(config.journal.clone())
        .unwrap_or_else(|| PathBuf::from("INCIDENTS.md"));
    crate::journal::Journal::open(&path).map_err(|e| anyhow!("{e}"))
}

/// A cockpit for `mode` from what was read at set-up.
fn cockpit(
    s: Setup,
    global: &Global,
    mode: Mode,
    books: Vec<crate::runbook::Runbook>,
    journal: &crate::journal::Journal,
) -> App {
    let actor = actor(&s.config);
    let mut app = App::new(
        mode,
        s.config,
        s.keymap,
        s.theme,
        actor,
        jiff::Timestamp::now(),
    );
    app.read_only = global.read_only;
    app.checklist = crate::app::checklist::Checklist::new(books);
    app.known_incidents = journal
        .parsed()
        .ids()
        .into_iter()
        .map(str::to_string)
        .collect();
    app
}

/// Takes over the terminal and runs the cockpit until the operator quits; the journal
/// has every queued entry on disk before this returns.
fn run_cockpit<F, W>(
    mut app: App,
    journal: crate::journal::Journal,
    wire: W,
) -> anyhow::Result<ExitCode>
where
    W: FnOnce(mpsc::Sender<crate::event::Event>) -> F,
    F: std::future::Future<Output = anyhow::Result<Wiring>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let (tx, rx) = mpsc::channel(8192);
        let (sink, journal_thread) = crate::journal_worker::spawn(journal, tx.clone())?;
        let wiring = wire(tx.clone()).await?;
        if let Some(mode) = wiring.mode {
            app.mode = mode;
        }
        let plug = Plug {
            executor: wiring.executor,
            drill: wiring.drill,
            journal: sink,
            logs: wiring.logs,
            spark: wiring.spark,
        };
        let mut tui = Tui::enter().context("cannot take over the terminal")?;
        // Lets the end-to-end tests prove that a panic gives the terminal back.
        if std::env::var_os("SITREP_TEST_PANIC").is_some() {
            panic!("SITREP_TEST_PANIC is set: panicking on purpose");
        }
        app.size = tui.size()?;
        // The first layout tells the sources how wide the sparklines are.
        let (w, h) = app.size;
        let _ = tx
            .send(crate::event::Event::Input(crossterm::event::Event::Resize(
                w, h,
            )))
            .await;
        let result = runtime::run(&mut tui, &mut app, EventStream::new(), tx, rx, plug).await;
        drop(tui);
        wiring.tasks.iter().for_each(|t| t.abort());
        // Every entry the cockpit queued reaches the file before sitrep exits.
        journal_thread.finish();
        result.context("the cockpit stopped")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The Kubernetes settings live mode uses: `[kubernetes]` with `--context`/`--namespace`
/// laid over it, or the current kubeconfig when there is one and no section.
pub fn kubernetes_config(
    global: &Global,
    config: &Config,
) -> Option<crate::config::kube::KubernetesConfig> {
    let flags = global.context.is_some() || !global.namespaces.is_empty();
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
        eprintln!(
            "sitrep: nothing to watch: {where_}.\n\
             Set [prometheus] url (or pass --prometheus URL) or [kubernetes] (or --context), or see\n\
             everything working on a simulated cluster:  sitrep demo   (faster: sitrep demo --speed 10)"
        );
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
    let mut app = cockpit(s, global, mode, books, &journal);
    // A restarted cockpit carries on with the incident it left open.
    if let Some(inc) = journal.open_incident().filter(|i| !i.header.drill) {
        app.resume_from(inc);
    }
    let actor = app.actor.clone();
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
                namespace: conn.namespaces.join(","),
            });
            let executor = crate::executors::kube::KubeExecutor::new(
                conn.client.clone(),
                conn.namespaces.clone(),
                config.kill_switches.clone(),
                std::time::Duration::from_secs(kube.timeout_seconds),
            );
            let (watches, pods) = crate::sources::kube::spawn_with_pods(&conn, tx.clone());
            tasks.extend(watches);
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
            cluster = Some(Arc::new(executor) as Arc<dyn crate::executors::Executor>);
        }
        // Silences go to Alertmanager, `run` to a local shell, the rest to the cluster.
        let shell = Arc::new(crate::executors::shell::Shell::new(cluster));
        let executor = crate::executors::http::Http::new(am, actor, Some(shell));
        Ok(Wiring {
            executor: Arc::new(executor),
            drill: None,
            logs,
            spark: Some(spark),
            tasks,
            mode,
        })
    })
}

/// `sitrep demo` and `sitrep drill`: a scripted incident on a simulated cluster.
pub fn drill(global: &Global, spec: &str, args: &DrillArgs) -> anyhow::Result<ExitCode> {
    let s = setup(global).map_err(|e| anyhow!("{e}"))?;
    let (scenario, path) = Scenario::load(spec).map_err(|e| anyhow!("{e}"))?;
    let mut books = load_runbooks(&s.config)?;
    if let Some(rb) = scenario.runbook(path.as_deref()).map_err(|e| anyhow!(e))? {
        books.insert(0, rb);
    }
    let _log = crate::logging::init(s.dirs.data.as_deref());
    let journal = open_journal(global, &s.config)?;
    let mode = Mode::Drill {
        name: scenario.drill.name.clone(),
        speed: args.speed,
    };
    let app = cockpit(s, global, mode, books, &journal);
    let world = World::new(scenario, app.now);
    let speed = args.speed;
    run_cockpit(app, journal, move |tx| async move {
        let (control_tx, control_rx) = mpsc::channel(64);
        let engine = tokio::spawn(crate::sources::drill::run(world, speed, tx, control_rx));
        Ok(Wiring {
            executor: Arc::new(Sandbox::new(control_tx.clone())),
            drill: Some(control_tx),
            logs: None,
            spark: None,
            tasks: vec![engine],
            mode: None,
        })
    })
}
