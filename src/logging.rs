//! sitrep's own log: a file in the data dir, never the screen.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Logs to `dir/sitrep.log` at the level in `SITREP_LOG` (default `info`).
/// Keep the guard alive: dropping it flushes the log.
pub fn init(dir: Option<&Path>) -> Option<WorkerGuard> {
    let dir = dir?;
    std::fs::create_dir_all(dir).ok()?;
    let appender = tracing_appender::rolling::never(dir, "sitrep.log");
    // The default queue of 128,000 lines is allocated whole up front (4 MB resident); a
    // cockpit logs a few lines a minute, and a burst past 4,096 is lossy, never blocking.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(true)
        .finish(appender);
    let filter = EnvFilter::try_from_env("SITREP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
