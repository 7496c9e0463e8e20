//! sitrep's entry point: parse arguments, pick the mode, run it.

use std::process::ExitCode;

use clap::Parser;

use sitrep::cli::{Cli, Cmd, DrillCmd};
use sitrep::modes;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Cmd::Demo(args)) => modes::drill(&cli.global, "snapbuilder-bad-rollout", &args),
        Some(Cmd::Drill {
            new:
                Some(DrillCmd::New {
                    from_recording,
                    output,
                    force,
                }),
            ..
        }) => modes::drill_new(&cli.global, &from_recording, &output, force),
        Some(Cmd::Drill { list: true, .. }) => {
            print!("{}", sitrep::drill::library::list());
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Drill {
            drill: Some(drill),
            headless: true,
            script,
            ..
        }) => sitrep::drill::headless::run_cli(&drill, script.as_deref()),
        Some(Cmd::Drill { drill, args, .. }) => {
            modes::drill(&cli.global, drill.as_deref().unwrap_or_default(), &args)
        }
        Some(Cmd::Check { drills }) if !drills.is_empty() => {
            Ok(sitrep::drill::library::check(&drills))
        }
        Some(Cmd::Check { .. }) => modes::check(&cli.global),
        Some(Cmd::Init(args)) => sitrep::init::run(&args),
        Some(Cmd::Runbook(args)) => sitrep::runbook::cli::run(&args),
        Some(Cmd::Note(args)) => sitrep::journal::cli::run_note(&args),
        Some(Cmd::Export(args)) => sitrep::journal::cli::run_export(&args),
        Some(Cmd::Replay(args)) => modes::replay(&cli.global, &args),
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
