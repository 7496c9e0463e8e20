//! Bounds on every rate, size and count read from a file (drills, config): a value out
//! of its range is an error naming the file, the line (serde's error carries the value's
//! span to [`crate::config::FileError`]) and the range allowed, never a runaway drill
//! that eats memory or a cockpit that stops answering keys.

use serde::{Deserialize, Deserializer};

/// Log lines per simulated second, for a deployment or a fault.
pub const LOG_RATE: (f64, f64) = (0.0, 10_000.0);
/// Replicas of a deployment.
pub const REPLICAS: (u32, u32) = (0, 1_000);
/// GPUs on one host.
pub const GPUS_PER_HOST: (u32, u32) = (0, 64);
/// Crash-looping pods of a fault.
pub const CRASHLOOP: (u32, u32) = (0, 1_000);
/// Log lines kept in the cockpit's buffer.
pub const LOG_BUFFER_LINES: (usize, usize) = (1, 1_000_000);
/// Seconds of a Kubernetes request timeout or a verification window.
pub const KUBE_SECONDS: (u64, u64) = (1, 86_400);

fn out_of_range<E: serde::de::Error>(
    what: &str,
    v: impl std::fmt::Display,
    lo: impl std::fmt::Display,
    hi: impl std::fmt::Display,
) -> E {
    E::custom(format!("{what} {v} is out of range: allowed {lo} to {hi}"))
}

/// Deserialises a number within `range`.
macro_rules! bounded {
    ($name:ident, $ty:ty, $range:expr, $what:expr) => {
        #[doc = concat!("Deserialises ", $what, " within its bounds.")]
        pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
            let v = <$ty>::deserialize(d)?;
            let (lo, hi) = $range;
            #[allow(clippy::manual_range_contains)]
            if !(v >= lo && v <= hi) {
                return Err(out_of_range($what, v, lo, hi));
            }
            Ok(v)
        }
    };
}

bounded!(log_rate, f64, LOG_RATE, "log_rate (lines per second)");
bounded!(replicas, u32, REPLICAS, "replicas");
bounded!(gpus_per_host, u32, GPUS_PER_HOST, "count (GPUs per host)");
bounded!(crashloop, u32, CRASHLOOP, "crashloop (pods)");
bounded!(log_buffer_lines, usize, LOG_BUFFER_LINES, "buffer_lines");
bounded!(kube_seconds, u64, KUBE_SECONDS, "seconds");

/// A finite number (no NaN or infinity, which no signal can show).
pub fn finite<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || v.abs() > 1e15 {
        return Err(out_of_range("value", v, -1e15, 1e15));
    }
    Ok(v)
}
