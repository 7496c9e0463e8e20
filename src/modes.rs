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
    config.override_loki(global.loki.as_deref());
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

/// What the identity may do on the configured cluster, as `sitrep check` prints it: the API
/// server's access reviews for every verb sitrep uses (a cluster that cannot be asked says so).
fn access_table(kube: &crate::config::kube::KubernetesConfig) -> String {
    let ask = async {
        let conn = crate::sources::kube::connect(kube).await?;
        let report = crate::sources::kube_access::review(&conn.client, &conn.namespaces).await;
        anyhow::Ok(report.table())
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return format!("kubernetes: cannot ask about access: {e}\n"),
    };
    match runtime
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(20), ask).await })
    {
        Ok(Ok(table)) => table,
        Ok(Err(e)) => format!("kubernetes: cannot ask about access: {e:#}\n"),
        Err(_) => "kubernetes: cannot ask about access: no answer in 20s\n".into(),
    }
}

/// `sitrep check`: validates and reports every problem as `FILE:LINE: message`.
pub fn check(global: &Global) -> anyhow::Result<ExitCode> {
    // Messages may echo a bad value (a theme name, a colour, a command): sanitised.
    let mut out = String::new();
    let code = match setup(global) {
        Ok(s) => {
            // A query Prometheus cannot parse is a config error, named by its signal.
            let problems = crate::sources::prometheus::check_queries_blocking(&s.config);
            // A selector whose labels Loki has never seen can never match.
            let loki_problems = s
                .config
                .loki
                .as_ref()
                .map(crate::sources::loki::check::check_selectors_blocking)
                .unwrap_or_default();
            // Namespaces and workloads of `[[services]]` exist only on the cluster.
            let service_problems = kubernetes_config(global, &s.config)
                .map(|k| crate::sources::service_check::check_blocking(&k, &s.config.services))
                .unwrap_or_default();
            if !problems.is_empty() || !loki_problems.is_empty() || !service_problems.is_empty() {
                let file = s
                    .config_path
                    .as_ref()
                    .map_or("config".into(), |p| p.display().to_string());
                for p in problems {
                    out.push_str(&format!("{file}: {p}\n"));
                }
                let path = s.config_path.clone().unwrap_or_else(|| "config".into());
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for (span, p) in loki_problems.into_iter().chain(service_problems) {
                    out.push_str(&format!("{}\n", FileError::at(&path, &text, span, p)));
                }
                ExitCode::from(1)
            } else {
                let config = s
                    .config_path
                    .map_or("no config file (defaults)".to_string(), |p| {
                        p.display().to_string()
                    });
                out.push_str(&format!(
                    "ok: config {config}, theme {}, keymap {}\n",
                    s.theme.name, s.keymap.name
                ));
                if let Some(kube) = kubernetes_config(global, &s.config) {
                    out.push_str(&access_table(&kube));
                }
                ExitCode::SUCCESS
            }
        }
        Err(errors) => {
            for e in errors.0 {
                out.push_str(&format!("{e}\n"));
            }
            ExitCode::from(1)
        }
    };
    crate::output::print(&crate::text::Clean::of(&out))?;
    Ok(code)
}

/// What a mode plugs into the cockpit once the event channel exists.
struct Wiring {
    executor: Arc<dyn crate::executors::Executor>,
    drill: Option<mpsc::Sender<crate::sources::drill::Control>>,
    /// Where the log tailer takes its orders (live clusters only).
    logs: Option<mpsc::Sender<crate::app::LogTarget>>,
    /// Where the log store takes history questions (live, with `[loki]`).
    log_queries: Option<mpsc::Sender<crate::event::LogQuery>>,
    spark: Option<crate::sources::prometheus::SparkWidth>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The mode as the sources found it (the cluster's context and namespaces).
    mode: Option<Mode>,
    /// The flight recorder (live mode).
    recorder: Option<(
        crate::recording::recorder::RecorderHandle,
        crate::recording::recorder::RecorderThread,
    )>,
    /// The replay engine's transport (replays).
    replay: Option<mpsc::Sender<crate::replay::Transport>>,
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
            app.caps.banner = mode.banner();
            if let Mode::Live { context, .. } = &mode {
                app.caps.context = context.clone();
            }
        }
        let (recorder, recorder_thread) = wiring.recorder.unzip();
        let plug = Plug {
            executor: wiring.executor,
            drill: wiring.drill,
            journal: sink,
            logs: wiring.logs,
            log_queries: wiring.log_queries,
            spark: wiring.spark,
            recorder,
            replay: wiring.replay,
        };
        // Before the terminal is taken, so no signal can leave it in raw mode.
        let signals =
            crate::signals::Signals::install().context("cannot install signal handlers")?;
        let mut tui = Tui::enter().context("cannot take over the terminal")?;
        app.size = tui.size()?;
        // The first layout tells the sources how wide the sparklines are.
        let (w, h) = app.size;
        let _ = tx
            .send(crate::event::Event::Input(crossterm::event::Event::Resize(
                w, h,
            )))
            .await;
        let result = runtime::run_with_signals(
            &mut tui,
            &mut app,
            EventStream::new(),
            tx,
            rx,
            plug,
            Some(signals),
        )
        .await;
        drop(tui);
        wiring.tasks.iter().for_each(|t| t.abort());
        // Every entry the cockpit queued reaches the file before sitrep exits.
        journal_thread.finish();
        if let Some(t) = recorder_thread {
            t.finish();
        }
        match result.context("the cockpit stopped")? {
            runtime::Ending::Quit => Ok(ExitCode::SUCCESS),
            // The shell's convention for a process ended by a signal: 128 + its number.
            runtime::Ending::Signal(no) => Ok(ExitCode::from((128 + no).clamp(0, 255) as u8)),
        }
    })
}

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
            cluster = Some(Arc::new(executor) as Arc<dyn crate::executors::Executor>);
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
            let h = crate::sources::loki::source::spawn(client, lc, logs.take(), tx.clone());
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
    // Scorecards go to the data dir, else beside the journal.
    let scorecards = s
        .dirs
        .data
        .clone()
        .or_else(|| journal.path().parent().map(std::path::Path::to_path_buf))
        .map(|d| d.join("scorecards"));
    let mut app = cockpit(s, global, mode, books, &journal);
    app.drill = Some(crate::drill::scorecard::DrillScoring::new(
        &scenario, app.now, scorecards,
    ));
    let world = World::new(scenario, app.now);
    let speed = args.speed;
    run_cockpit(app, journal, move |tx| async move {
        let (control_tx, control_rx) = mpsc::channel(64);
        let engine = tokio::spawn(crate::sources::drill::run(world, speed, tx, control_rx));
        Ok(Wiring {
            executor: Arc::new(Sandbox::new(control_tx.clone())),
            drill: Some(control_tx),
            log_queries: None,
            logs: None,
            spark: None,
            tasks: vec![engine],
            mode: None,
            recorder: None,
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

/// Where a replay's drill journal goes: `--journal`, else `drills/INCIDENTS.md` in the data
/// dir; never the real INCIDENTS.md unless asked.
fn drill_journal(
    global: &Global,
    data: Option<&std::path::Path>,
) -> anyhow::Result<crate::journal::Journal> {
    let path = match (&global.journal, data) {
        (Some(p), _) => p.clone(),
        (None, Some(d)) => d.join("drills").join("INCIDENTS.md"),
        (None, None) => {
            return Err(anyhow!(
                "no data dir for the drill journal: set SITREP_DATA_DIR or pass --journal FILE"
            ));
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::journal::Journal::open(&path).map_err(|e| anyhow!("{e}"))
}

/// `sitrep drill new --from-recording FILE|ID -o DRILL.toml`: a file, else the recording
/// of that incident in the recordings directory.
pub fn drill_new(
    global: &Global,
    spec: &str,
    out: &std::path::Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let p = PathBuf::from(spec);
    let path = if p.exists() {
        p
    } else {
        let s = setup(global).map_err(|e| anyhow!("{e}"))?;
        crate::recording::dir(&s.config.recording, s.dirs.data.as_deref())
            .and_then(|d| crate::recording::find(&d, spec))
            .ok_or_else(|| {
                anyhow!("{spec}: no such file, and no recording of an incident by that id")
            })?
    };
    crate::drill::from_recording::run_cli(&path, out, force)
}

/// `sitrep replay --list`: one line per recording.
fn list_recordings(dir: Option<std::path::PathBuf>) -> anyhow::Result<ExitCode> {
    let Some(dir) = dir else {
        return Err(anyhow!("no data dir: set SITREP_DATA_DIR"));
    };
    let listed = crate::recording::list(&dir);
    if listed.is_empty() {
        println!("no recordings in {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<20} {:<20} {:>9}  {:<36} FILE",
        "INCIDENT", "START (UTC)", "DURATION", "TITLE"
    );
    for l in listed {
        let (id, title) = l
            .incident
            .as_ref()
            .map_or(("-".to_string(), String::new()), |i| {
                (i.id.clone(), i.title.clone())
            });
        let start = l
            .start
            .map_or("-".into(), |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string());
        let duration = match (l.start, l.end) {
            (Some(a), Some(b)) => crate::ui::format::clock(b.duration_since(a)),
            _ => "-".into(),
        };
        let title: String = title.chars().take(36).collect();
        println!(
            "{id:<20} {start:<20} {duration:>9}  {title:<36} {}",
            l.path.display()
        );
        if let Some(p) = l.problem {
            println!("{:<20} ! {p}", "");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sitrep replay`: a recorded incident through the same panes, on a sandbox.
pub fn replay(global: &Global, args: &crate::cli::ReplayArgs) -> anyhow::Result<ExitCode> {
    let s = setup(global).map_err(|e| anyhow!("{e}"))?;
    let dir = crate::recording::dir(&s.config.recording, s.dirs.data.as_deref());
    if args.list {
        return list_recordings(dir);
    }
    let spec = args.file.clone().unwrap_or_default();
    let path = {
        let p = PathBuf::from(&spec);
        if p.exists() {
            p
        } else {
            dir.as_deref()
                .and_then(|d| crate::recording::find(d, &spec))
                .ok_or_else(|| {
                    anyhow!("{spec}: no such file, and no recording of an incident by that id")
                })?
        }
    };
    let reader = crate::recording::Reader::open(&path).map_err(|e| anyhow!("{e}"))?;
    if reader.is_empty() {
        let why = reader
            .damage_banner()
            .unwrap_or_else(|| format!("{}: the recording holds no records", path.display()));
        return Err(anyhow!("{why}; nothing to play"));
    }
    let start = reader.start().unwrap_or_else(jiff::Timestamp::now);
    let from = args
        .from
        .as_deref()
        .map(|f| crate::sources::replay::parse_from(f, start))
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let books = load_runbooks(&s.config)?;
    let _log = crate::logging::init(s.dirs.data.as_deref());
    let journal = drill_journal(global, s.dirs.data.as_deref())?;
    let speed = args.speed.unwrap_or(1.0);
    let file = path
        .file_name()
        .map_or_else(|| spec.clone(), |f| f.to_string_lossy().into_owned());
    let mode = Mode::Replay {
        file: file.clone(),
        speed,
    };
    let title = reader
        .header()
        .incident
        .as_ref()
        .map_or_else(|| file.clone(), |i| i.title.clone());
    let scorecards = s
        .dirs
        .data
        .clone()
        .or_else(|| journal.path().parent().map(std::path::Path::to_path_buf))
        .map(|d| d.join("scorecards"));
    let name = path.file_stem().map_or_else(
        || "replay".to_string(),
        |f| format!("replay-{}", f.to_string_lossy()),
    );
    let mut app = cockpit(s, global, mode, books, &journal);
    app.now = from.unwrap_or(start);
    app.drill = Some(crate::drill::scorecard::DrillScoring::for_replay(
        &name, &title, app.now, scorecards,
    ));
    run_cockpit(app, journal, move |tx| async move {
        let (control_tx, control_rx) = mpsc::channel(64);
        let (transport_tx, transport_rx) = mpsc::channel(64);
        let engine = tokio::spawn(crate::sources::replay::run(
            reader,
            crate::sources::replay::Start { from, speed },
            tx,
            control_rx,
            transport_rx,
        ));
        Ok(Wiring {
            executor: Arc::new(Sandbox::new(control_tx.clone())),
            drill: Some(control_tx),
            log_queries: None,
            logs: None,
            spark: None,
            tasks: vec![engine],
            mode: None,
            recorder: None,
            replay: Some(transport_tx),
        })
    })
}
