//! Training: drills, replays of recordings at any speed, and drills made from recordings.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use tokio::sync::mpsc;

use super::{Wiring, cockpit, load_runbooks, open_journal, run_cockpit, setup};
use crate::app::Mode;
use crate::cli::{DrillArgs, Global};
use crate::drill::{Scenario, World};
use crate::executors::sandbox::Sandbox;

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
