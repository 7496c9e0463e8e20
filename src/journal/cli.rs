//! `sitrep note` and `sitrep export`: the journal from the shell.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use jiff::Timestamp;

use crate::output::InUse;
use crate::text::Clean;

use super::export::{ExportOptions, Format, Series, export};
use super::{Entry, Incident, Journal, Kind, Parsed, parse, parse_last};

/// Which journal file and which incident in it.
#[derive(clap::Args, Debug)]
pub struct IncidentChoice {
    /// The journal file.
    #[arg(long, default_value = "INCIDENTS.md")]
    pub incidents: PathBuf,
    /// The incident (default: the open incident, else the last one).
    #[arg(long, conflicts_with = "last")]
    pub id: Option<String>,
    /// The last incident in the file.
    #[arg(long)]
    pub last: bool,
}

/// `sitrep note`: append a note to an incident (deploy pipelines, teammates).
#[derive(clap::Args, Debug)]
pub struct NoteArgs {
    #[command(flatten)]
    pub which: IncidentChoice,
    /// The note; words are joined with spaces. The actor is $SITREP_ACTOR, else $USER.
    #[arg(required = true)]
    pub text: Vec<String>,
}

/// `sitrep export`: a postmortem draft or JSON from the journal.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub which: IncidentChoice,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write here instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// A JSON array of series to chart and to compute error budget burn from:
    /// `[{"name", "unit", "points": [["2026-11-22T04:12:00Z", 0.04], …], "threshold", "objective"}]`.
    #[arg(long)]
    pub series: Option<PathBuf>,
    /// A runbook whose sections the adherence section checks the ticks against (the
    /// bundled drills' runbooks are always known); repeatable.
    #[arg(long = "runbook", value_name = "FILE")]
    pub runbooks: Vec<PathBuf>,
}

/// Who is acting, from `$SITREP_ACTOR`, else `$USER`, else `unknown`.
pub fn actor_from_env() -> String {
    actor_from(|name| std::env::var(name).ok())
}

fn actor_from(var: impl Fn(&str) -> Option<String>) -> String {
    ["SITREP_ACTOR", "USER"]
        .into_iter()
        .filter_map(var)
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Says on stderr which lines could not be read (`FILE:LINE: message`), so nothing is
/// skipped silently.
pub fn report_problems(path: &Path, parsed: &Parsed) {
    for p in &parsed.problems {
        crate::output::eprintln(&format!("{}:{}: {}", path.display(), p.line, p.message));
    }
}

/// Picks the incident: `--id`, `--last`, else the open incident, else the last one.
pub fn select<'a>(
    parsed: &'a Parsed,
    path: &Path,
    id: Option<&str>,
    last: bool,
) -> anyhow::Result<&'a Incident> {
    if parsed.incidents.is_empty() {
        bail!("{}: no incidents in this file", path.display());
    }
    let found = match id {
        Some(id) => parsed.incident(id),
        None if last => parsed.incidents.last(),
        None => parsed.open_incident().or(parsed.incidents.last()),
    };
    match (found, id) {
        (Some(incident), _) => Ok(incident),
        (None, Some(id)) => bail!(
            "{}: no incident {id}; the file has: {}",
            path.display(),
            parsed.ids().join(", ")
        ),
        (None, None) => bail!("{}: no incidents in this file", path.display()),
    }
}

/// Runs `sitrep note`.
pub fn run_note(args: &NoteArgs) -> anyhow::Result<ExitCode> {
    let path = &args.which.incidents;
    if !path.exists() {
        bail!(
            "{}: no such file, so no incident to add a note to",
            path.display()
        );
    }
    let text = args.text.join(" ");
    if text.trim().is_empty() {
        bail!("the note is empty");
    }
    let mut journal = Journal::open(path)?;
    // `--last` reads the last incident only: fast on a journal of years.
    let tail;
    let parsed = if args.which.last {
        tail = journal.tail();
        &tail
    } else {
        journal.parsed()
    };
    report_problems(path, parsed);
    let id = select(parsed, path, args.which.id.as_deref(), args.which.last)?
        .header
        .id
        .clone();
    let entry = Entry::new(Timestamp::now(), actor_from_env(), Kind::Note, text);
    if let Err(e) = journal.append(&id, &entry) {
        // The note is not in the file: say so plainly, and fail the pipeline step.
        crate::output::eprintln(&format!("sitrep: note not added to {id}: {e}"));
        return Ok(ExitCode::from(1));
    }
    crate::output::print(&Clean::of(&format!(
        "{id}: note added to {}\n",
        path.display()
    )))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `sitrep export`.
pub fn run_export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let path = &args.which.incidents;
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    // `--last` reads the last incident only, found from the end of the file.
    let parsed = if args.which.last {
        parse_last(&text)
    } else {
        parse(&text)
    };
    report_problems(path, &parsed);
    let incident = select(&parsed, path, args.which.id.as_deref(), args.which.last)?;
    let series: Vec<Series> = match &args.series {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("{}: cannot read", file.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not a JSON array of series", file.display()))?
        }
        // The incident's recording, when there is one, charts every signal.
        None => match recorded_series(incident.id()) {
            Some((file, series)) => {
                eprintln!("charts from the recording {}", file.display());
                series
            }
            None => Vec::new(),
        },
    };
    let mut runbook_steps = Vec::new();
    for file in &args.runbooks {
        let rb = crate::runbook::load(file).map_err(|e| anyhow::anyhow!("{e}"))?;
        runbook_steps.extend(crate::runbook::adherence::section_steps(&rb));
    }
    for (_, text) in crate::drill::scenario::BUILTIN_RUNBOOKS {
        let rb = crate::runbook::parse(text);
        runbook_steps.extend(crate::runbook::adherence::section_steps(&rb));
    }
    let opts = ExportOptions {
        runbook_steps,
        ..ExportOptions::default()
    };
    let out = export(incident, args.format, &series, &opts);
    // The journal holds outside text (alert summaries, notes); md and html come out clean.
    let out = match args.format {
        Format::Json => Clean::json(out),
        Format::Md | Format::Html => Clean::of(&out),
    };
    match &args.output {
        Some(file) => {
            let mut in_use = vec![InUse::new(path, "the incident journal")];
            in_use.extend(
                args.series
                    .iter()
                    .map(|s| InUse::new(s, "the --series file")),
            );
            crate::output::write_file(file, &out, &in_use)?;
        }
        None => crate::output::print(&out)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The series of the recording of incident `id` in the recordings directory (the
/// config's `[recording] dir`, else the data dir's `recordings/`), if it can be read.
fn recorded_series(id: &str) -> Option<(PathBuf, Vec<Series>)> {
    let dirs = crate::config::Dirs::discover();
    let from_config = dirs
        .config
        .as_ref()
        .map(|d| d.join("config.toml"))
        .filter(|p| p.exists())
        .and_then(|p| crate::config::Config::load(&p).ok())
        .map(|c| c.recording)
        .unwrap_or_default();
    let dir = crate::recording::dir(&from_config, dirs.data.as_deref())?;
    let file = crate::recording::find(&dir, id)?;
    match super::export::recorded::series(&file) {
        Ok(series) => Some((file, series)),
        Err(e) => {
            eprintln!("sitrep: no charts from the recording: {e}");
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn actor_falls_back_from_sitrep_actor_to_user() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            actor_from(env(&[("SITREP_ACTOR", "deploy-bot"), ("USER", "al")])),
            "deploy-bot"
        );
        assert_eq!(
            actor_from(env(&[("SITREP_ACTOR", " "), ("USER", "al")])),
            "al"
        );
        assert_eq!(actor_from(env(&[])), "unknown");
    }

    #[test]
    fn selection_names_the_ids_there_are() {
        let parsed = parse(
            "## INC-1 · a\n- 2026-11-22T04:12:03Z · a · status · resolved\n## INC-2 · b\n- 2026-11-22T05:00:00Z · a · status · resolved\n",
        );
        let path = Path::new("INCIDENTS.md");
        let err = select(&parsed, path, Some("INC-9"), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "INCIDENTS.md: no incident INC-9; the file has: INC-1, INC-2"
        );
        assert_eq!(select(&parsed, path, None, false).unwrap().id(), "INC-2");
        assert_eq!(
            select(&parsed, path, Some("INC-1"), false).unwrap().id(),
            "INC-1"
        );
        let empty = select(&parse("# nothing\n"), path, None, true)
            .unwrap_err()
            .to_string();
        assert_eq!(empty, "INCIDENTS.md: no incidents in this file");
    }
}
