//! sitrep's entry point: parse arguments, pick the mode, run it.

use std::process::ExitCode;

use clap::Parser;

use sitrep::cli::{Cli, Cmd};
use sitrep::modes;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Cmd::Demo(args)) => modes::drill(&cli.global, "snapbuilder-bad-rollout", &args),
        Some(Cmd::Drill { drill, args }) => modes::drill(&cli.global, &drill, &args),
        Some(Cmd::Check) => modes::check(&cli.global),
        Some(Cmd::Runbook(args)) => sitrep::runbook::cli::run(&args),
        Some(Cmd::Note(args)) => sitrep::journal::cli::run_note(&args),
        Some(Cmd::Export(args)) => sitrep::journal::cli::run_export(&args),
        Some(Cmd::Snapshot { format, output }) => {
            sitrep::snapshot::run(&cli.global, format, output.as_deref())
        }
        None => modes::live(&cli.global),
    };
    match result {
        Ok(code) => code,
        // Sanitised on the way out: an error may echo a bad value from a file.
        Err(e) => sitrep::output::exit_for(&e, 2),
    }
}
