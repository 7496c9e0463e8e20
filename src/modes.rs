//! Modes of the program: each wires sources, an executor and the journal to the cockpit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use crossterm::event::EventStream;
use tokio::sync::mpsc;

use crate::app::{App, Mode};
use crate::cli::{DrillArgs, Global};
use crate::config::{Config, Dirs, FileErrors, Keymap, Theme};
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
    let config = match &config_path {
        Some(p) => Config::load(p).unwrap_or_else(|e| {
            errors.extend(e.0);
            Config::default()
        }),
        None => Config::default(),
    };
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

/// Plain `sitrep`: the live cockpit, once sources are configured.
pub fn live(global: &Global) -> anyhow::Result<ExitCode> {
    let s = setup(global).map_err(|e| anyhow!("{e}"))?;
    if let Some(kube) = crate::live::kubernetes_config(global, &s.config) {
        let journal = global.journal.clone().or(s.config.journal.clone());
        let actor = actor(&s.config);
        return crate::live::run(global, s, kube, journal, actor);
    }
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
         See everything working on a simulated cluster:  sitrep demo\n\
         (faster: sitrep demo --speed 10; keys: ? in the cockpit)"
    );
    Ok(ExitCode::from(2))
}

/// `sitrep demo` and `sitrep drill`: a scripted incident on a simulated cluster.
pub fn drill(global: &Global, spec: &str, args: &DrillArgs) -> anyhow::Result<ExitCode> {
    let s = setup(global).map_err(|e| anyhow!("{e}"))?;
    let (scenario, _path) = Scenario::load(spec).map_err(|e| anyhow!("{e}"))?;
    let _log = crate::logging::init(s.dirs.data.as_deref());
    let journal_path = global
        .journal
        .clone()
        .or(s.config.journal.clone())
        .unwrap_or_else(|| PathBuf::from("INCIDENTS.md"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let now = jiff::Timestamp::now();
        let world = World::new(scenario.clone(), now);
        let mode = Mode::Drill {
            name: scenario.drill.name.clone(),
            speed: args.speed,
        };
        let actor = actor(&s.config);
        let mut app = App::new(mode, s.config, s.keymap, s.theme, actor, now);
        app.read_only = global.read_only;
        let (tx, rx) = mpsc::channel(8192);
        let (control_tx, control_rx) = mpsc::channel(64);
        let journal = crate::journal_worker::spawn(journal_path, tx.clone());
        let engine = tokio::spawn(crate::sources::drill::run(
            world,
            args.speed,
            tx.clone(),
            control_rx,
        ));
        let plug = Plug {
            executor: Arc::new(Sandbox::new(control_tx.clone())),
            drill: Some(control_tx),
            journal,
            logs: None,
        };
        let mut tui = Tui::enter().context("cannot take over the terminal")?;
        app.size = tui.size()?;
        let result = runtime::run(&mut tui, &mut app, EventStream::new(), tx, rx, plug).await;
        drop(tui);
        engine.abort();
        result.context("the cockpit stopped")?;
        Ok(ExitCode::SUCCESS)
    })
}
