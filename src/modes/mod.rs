//! Modes of the program: each wires sources, an executor and the journal to the cockpit.
//! This module reads the files every mode needs and runs the cockpit; the modes themselves
//! are in `live` (a real cluster), `training` (drills, replays, drills from recordings)
//! and `check` (the config and the identity's permissions, without a terminal).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use crossterm::event::EventStream;
use tokio::sync::mpsc;

use crate::app::{App, Mode};
use crate::cli::Global;
use crate::config::{Config, Dirs, FileError, FileErrors, Keymap, Theme};
use crate::runtime::{self, Plug};
use crate::terminal::Tui;

mod check;
mod live;
mod training;

pub use check::check;
pub use live::{kubernetes_config, live};
pub use training::{drill, drill_new, replay};

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
pub(super) fn load_runbooks(config: &Config) -> anyhow::Result<Vec<crate::runbook::Runbook>> {
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

pub(super) fn actor(config: &Config) -> String {
    config
        .actor
        .clone()
        .or_else(|| std::env::var("SITREP_ACTOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

/// What a mode plugs into the cockpit once the event channel exists.
pub(super) struct Wiring {
    pub(super) executor: Arc<dyn crate::executors::Executor>,
    pub(super) drill: Option<mpsc::Sender<crate::sources::drill::Control>>,
    /// Where the log tailer takes its orders (live clusters only).
    pub(super) logs: Option<mpsc::Sender<crate::app::LogTarget>>,
    /// Where the log store takes history questions (live, with `[loki]`).
    pub(super) log_queries: Option<mpsc::Sender<crate::event::LogQuery>>,
    pub(super) spark: Option<crate::sources::prometheus::SparkWidth>,
    pub(super) tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The mode as the sources found it (the cluster's context and namespaces).
    pub(super) mode: Option<Mode>,
    /// The flight recorder (live mode).
    pub(super) recorder: Option<(
        crate::recording::recorder::RecorderHandle,
        crate::recording::recorder::RecorderThread,
    )>,
    /// The replay engine's transport (replays).
    pub(super) replay: Option<mpsc::Sender<crate::replay::Transport>>,
}

/// Where the journal lives: `--journal`, the config, or `./INCIDENTS.md`.
pub(super) fn open_journal(
    global: &Global,
    config: &Config,
) -> anyhow::Result<crate::journal::Journal> {
    let path = global
        .journal
        .clone()
        .or(config.journal.clone())
        .unwrap_or_else(|| PathBuf::from("INCIDENTS.md"));
    crate::journal::Journal::open(&path).map_err(|e| anyhow!("{e}"))
}

/// A cockpit for `mode` from what was read at set-up.
pub(super) fn cockpit(
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
pub(super) fn run_cockpit<F, W>(
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
