//! The command line of the program.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// sitrep: a terminal incident cockpit.
#[derive(Debug, Parser)]
#[command(name = "sitrep", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Options every mode shares.
#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// config.toml to read (default: the platform config dir's config.toml, if present)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Colour theme: a built-in name (dark, light, high-contrast, colorblind) or a file
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Keymap: a built-in name (default, vim) or a file
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    /// The incident journal (default ./INCIDENTS.md)
    #[arg(long, global = true, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Hide every command that changes the world
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Prometheus (or Thanos, Mimir, VictoriaMetrics) base URL, over the config's
    #[arg(long, global = true, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Alertmanager base URL, over the config's
    #[arg(long, global = true, value_name = "URL")]
    pub alertmanager: Option<String>,
    /// Grafana Loki base URL, over the config's `[loki] url`: history and tails beyond the pods
    #[arg(long, global = true, value_name = "URL")]
    pub loki: Option<String>,
    /// Kubernetes context to use (default: the kubeconfig's current context)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubernetes namespace to watch; repeat for several (default: from config or context)
    #[arg(long = "namespace", short = 'n', global = true, value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Watch every namespace (as `kubectl -A`); actions still name their exact namespace
    #[arg(
        long = "all-namespaces",
        short = 'A',
        global = true,
        conflicts_with = "namespaces"
    )]
    pub all_namespaces: bool,
    /// Do not record this live session (the flight recorder is on by default)
    #[arg(long, global = true)]
    pub no_record: bool,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the bundled drill on a simulated cluster: no cluster needed
    Demo(DrillArgs),
    /// Run a drill: a bundled drill's name or a drill file
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Drill {
        #[command(subcommand)]
        new: Option<DrillCmd>,
        /// Drill name or path to a drill file
        #[arg(required_unless_present = "list")]
        drill: Option<String>,
        /// List the bundled drills with a line on each and its difficulty
        #[arg(long, conflicts_with_all = ["headless", "script"])]
        list: bool,
        /// Run without a terminal, as fast as possible, and print the scorecard as JSON
        /// (exit status 0 when it passes the drill's threshold, 1 when not)
        #[arg(long)]
        headless: bool,
        /// Timed commands for --headless, one a line: `+30s ack`, `+1m rollback DEPLOYMENT`
        #[arg(long, value_name = "FILE", requires = "headless")]
        script: Option<PathBuf>,
        #[command(flatten)]
        args: DrillArgs,
    },
    /// Validate the config, theme and keymap; print FILE:LINE: message for each problem
    Check {
        /// Drill files (or bundled drill names) to check instead, warnings included
        #[arg(value_name = "DRILL")]
        drills: Vec<String>,
    },
    /// Draft a commented config.toml from the team's Markdown runbooks
    Init(crate::init::InitArgs),
    /// Print a runbook as sitrep reads it, or which section answers an alert
    Runbook(crate::runbook::cli::RunbookArgs),
    /// Append a note to an incident in INCIDENTS.md (for pipelines and teammates)
    Note(crate::journal::cli::NoteArgs),
    /// Export an incident from INCIDENTS.md as a postmortem draft (md), JSON or HTML
    Export(crate::journal::cli::ExportArgs),
    /// Replay a recorded incident through the cockpit, or list the recordings
    Replay(ReplayArgs),
    /// Fetch every configured source once and print what the panes would show
    Snapshot {
        /// json for scripts, md for a status update in the incident channel
        #[arg(long, value_enum, default_value_t = SnapshotFormat::Json)]
        format: SnapshotFormat,
        /// Write here (atomically) instead of standard output
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `sitrep drill new`.
#[derive(Debug, Subcommand)]
pub enum DrillCmd {
    /// Write a drill from a recorded incident: baselines from its lead-up, curves from the
    /// incident, the original fix as the expected remedy (and a runbook beside it)
    New {
        /// The recording (a file, or an incident id in the recordings directory)
        #[arg(long, value_name = "FILE|ID")]
        from_recording: String,
        /// The drill file to write; its runbook goes beside it as NAME.md
        #[arg(short = 'o', long = "output", value_name = "DRILL.toml")]
        output: PathBuf,
        /// Overwrite the drill and its runbook when they exist
        #[arg(long)]
        force: bool,
    },
}

/// Output formats of `sitrep snapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SnapshotFormat {
    Json,
    Md,
}

/// `sitrep replay FILE [--speed N] [--from TIME|+DURATION]`, `sitrep replay --list`.
#[derive(Debug, Args, Clone)]
pub struct ReplayArgs {
    /// A recording file, or an incident id to find in the recordings directory
    #[arg(required_unless_present = "list", value_name = "FILE|ID")]
    pub file: Option<String>,
    /// List the recordings: incident id, title, start, duration
    #[arg(long, conflicts_with_all = ["speed", "from"])]
    pub list: bool,
    /// Recorded seconds per real second
    #[arg(long, value_parser = parse_speed)]
    pub speed: Option<f64>,
    /// Where to start: +DURATION after the start (+10m), a UTC time (14:05) or RFC 3339
    #[arg(long, value_name = "TIME|+DURATION", allow_hyphen_values = true)]
    pub from: Option<String>,
}

/// Options of drills.
#[derive(Debug, Args, Clone)]
pub struct DrillArgs {
    /// Simulated seconds per real second
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1000.0 => Ok(v),
        _ => Err(format!(
            "speed must be a number above 0 and at most 1000, got `{s}`"
        )),
    }
}
