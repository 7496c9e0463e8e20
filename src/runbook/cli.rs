//! `sitrep runbook FILE [--json] [--match ALERTNAME]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::text::Clean;

use super::matching::{AlertRef, Match, match_alert};
use super::model::Runbook;
use super::{load, render};

/// Arguments of `sitrep runbook`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RunbookArgs {
    /// The Markdown runbook to read.
    pub file: PathBuf,
    /// Print the parsed structure as JSON instead of an outline.
    #[arg(long)]
    pub json: bool,
    /// Print the section that answers this alert (by alertname) and the rule that chose it.
    #[arg(long = "match", value_name = "ALERTNAME")]
    pub alert: Option<String>,
    /// The alert's summary annotation, for matching.
    #[arg(long, value_name = "TEXT", requires = "alert")]
    pub summary: Option<String>,
    /// The alert's runbook_url annotation, for matching.
    #[arg(long = "runbook-url", value_name = "URL", requires = "alert")]
    pub runbook_url: Option<String>,
    /// Map an alertname to a section title or anchor, as the config file does.
    #[arg(long = "map", value_name = "ALERT=SECTION", value_parser = parse_mapping, requires = "alert")]
    pub map: Vec<(String, String)>,
}

fn parse_mapping(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected ALERT=SECTION, got {s:?}"))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

/// Runs the command: prints to stdout, warnings to stderr. Exit code 1 when `--match`
/// finds no section.
pub fn run(args: &RunbookArgs) -> anyhow::Result<ExitCode> {
    let rb = load(&args.file)?;
    for w in &rb.warnings {
        crate::output::eprintln(&format!("warning: {w}"));
    }
    if let Some(name) = &args.alert {
        return match match_output(&rb, args, name) {
            Ok(text) => {
                crate::output::print(&Clean::of(&text))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(msg) => {
                crate::output::eprintln(&msg);
                Ok(ExitCode::from(1))
            }
        };
    }
    // Runbooks are outside text: the outline is sanitised, JSON keeps its escapes.
    let text = if args.json {
        Clean::json(render::json_with_actions(&rb) + "\n")
    } else {
        Clean::of(&render::outline(&rb))
    };
    crate::output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The `--match` answer: the section title on the first line, `rule: ...` on the second;
/// or the message explaining that nothing matched.
pub fn match_output(rb: &Runbook, args: &RunbookArgs, name: &str) -> Result<String, String> {
    let mapping: BTreeMap<String, String> = args.map.iter().cloned().collect();
    let alert = AlertRef {
        name,
        summary: args.summary.as_deref().unwrap_or(""),
        runbook_url: args.runbook_url.as_deref(),
    };
    match match_alert(rb, &alert, &mapping) {
        Some(m) => Ok(format_match(rb, &m)),
        None => Err(format!(
            "no section of {} answers alert {name}: no runbook_url anchor, no mapping, and no \
             section title close enough to the alert's name or summary",
            args.file.display()
        )),
    }
}

/// Two lines: the section title, then `rule: ...`.
pub fn format_match(rb: &Runbook, m: &Match) -> String {
    let title = rb.sections.get(m.section).map_or("", |s| s.title.as_str());
    format!("{title}\nrule: {}\n", m.rule)
}
