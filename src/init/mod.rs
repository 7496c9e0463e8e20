//! `sitrep init --from-runbook FILE... [-o config.toml]`: a commented config draft from
//! the team's runbooks.
//!
//! The runbooks are read with the checklist reader (`crate::runbook::load`), then their
//! text is scanned with line numbers for queries, commands and numbers in prose. The draft
//! quotes where each entry came from and lists what it could not place; it is checked
//! with `Config::parse` before it is written, so a draft that does not load is never left
//! behind.

mod commands;
mod draft;
mod extract;
mod findings;
mod levels;
mod promql;
mod prose;
pub(crate) mod scan;
pub(crate) mod shell;
mod write;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

pub use draft::{Draft, render};
pub use findings::{Findings, Origin, Skip};

/// Arguments of `sitrep init`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct InitArgs {
    /// Markdown runbooks to read (one or more).
    #[arg(long = "from-runbook", value_name = "FILE", num_args = 1.., required = true)]
    pub runbooks: Vec<PathBuf>,
    /// Write the draft here instead of to stdout (refused if the file exists).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// Reads every runbook into findings. A runbook that cannot be read is an error naming it.
pub fn findings(paths: &[PathBuf]) -> anyhow::Result<Findings> {
    let mut f = Findings::default();
    for path in paths {
        // The reader checks size and encoding and reports what it could not make sense of.
        let rb = crate::runbook::load(path).map_err(|e| anyhow!("{e}"))?;
        f.warnings.extend(rb.warnings.iter().cloned());
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let name = path.display().to_string();
        f.runbooks.push(name.clone());
        extract::extract(&name, &text, &mut f);
    }
    Ok(f)
}

/// The draft for one runbook given as text (`file` names it in origins), checked to load.
pub fn draft_text(file: &str, text: &str) -> anyhow::Result<(Findings, Draft)> {
    let mut f = Findings::default();
    f.runbooks.push(file.to_string());
    extract::extract(file, text, &mut f);
    let d = render(&f);
    crate::config::Config::parse(Path::new("draft"), &d.text)
        .map_err(|e| anyhow!("the draft does not load as a config (a bug in sitrep init): {e}"))?;
    Ok((f, d))
}

/// The draft for `paths`, checked to load as a config.
pub fn draft(paths: &[PathBuf]) -> anyhow::Result<(Findings, Draft)> {
    let f = findings(paths)?;
    let d = render(&f);
    // A draft that does not load would be worse than none: this is a bug, said as one.
    crate::config::Config::parse(Path::new("draft"), &d.text)
        .map_err(|e| anyhow!("the draft does not load as a config (a bug in sitrep init): {e}"))?;
    Ok((f, d))
}

/// Runs the command: the draft to stdout or `-o`, a summary to stderr.
pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let (f, d) = draft(&args.runbooks)?;
    match &args.output {
        Some(out) => {
            write::atomic(out, &d.text, args.force)?;
            eprintln!("sitrep init: wrote {}", out.display());
        }
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(d.text.as_bytes())
                .context("writing to stdout")?;
        }
    }
    for w in &f.warnings {
        eprintln!("warning: {w}");
    }
    for c in &d.contradictions {
        eprintln!("warning: {c}");
    }
    eprintln!(
        "sitrep init: {} signals from {} queries, {} thresholds, {} kill-switch candidates, {} health URLs; {} items not placed (listed at the end of the draft)",
        d.signals,
        f.queries.len(),
        f.thresholds.len(),
        f.switches.len(),
        f.health.len(),
        f.skipped.len()
    );
    if args.output.is_some() {
        eprintln!(
            "next: sitrep check --config {}",
            args.output
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}
