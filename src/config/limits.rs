//! Bounds on every rate, size and count read from a file (drills, config): a value out
//! of its range is an error naming the file, the line (serde's error carries the value's
//! span to [`crate::config::FileError`]) and the range allowed, never a runaway drill
//! that eats memory or a cockpit that stops answering keys.

use serde::{Deserialize, Deserializer};

/// Log lines per simulated second, for a deployment or a fault.
pub const LOG_RATE: (f64, f64) = (0.0, 10_000.0);
/// Replicas of a deployment.
pub const REPLICAS: (u32, u32) = (0, 1_000);
/// Pods of a whole drill (the replicas of every deployment together).
pub const DRILL_PODS: (u64, u64) = (0, 2_000);
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

/// Most entries of one list in a drill file (`[[signals]]`, `[[deployments]]`, …).
pub const LIST_ENTRIES: usize = 100;
/// Most log templates of a deployment or a fault.
pub const LOG_TEMPLATES: usize = 1_000;
/// Longest log template, in bytes.
pub const LOG_TEMPLATE_BYTES: usize = 4 * 1024;

/// Deserialises a list of at most `N` entries.
pub fn at_most<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v = Vec::<T>::deserialize(d)?;
    if v.len() > N {
        return Err(serde::de::Error::custom(format!(
            "{} entries are too many: allowed 0 to {N}",
            v.len()
        )));
    }
    Ok(v)
}

/// Deserialises a list of at most [`LIST_ENTRIES`] entries.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    at_most::<D, T, LIST_ENTRIES>(d)
}

/// Deserialises log templates: at most [`LOG_TEMPLATES`] of them, each at most
/// [`LOG_TEMPLATE_BYTES`] long.
pub fn log_templates<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = at_most::<D, String, LOG_TEMPLATES>(d)?;
    if let Some(long) = v.iter().find(|t| t.len() > LOG_TEMPLATE_BYTES) {
        return Err(out_of_range(
            "log template length (bytes)",
            long.len(),
            0,
            LOG_TEMPLATE_BYTES,
        ));
    }
    Ok(v)
}

/// Deserialises a Prometheus-style duration within `lo..=hi` (`Option` when the key may
/// be left out).
macro_rules! bounded_duration {
    ($name:ident, $opt:ident, $lo:expr, $hi:expr, $what:expr) => {
        #[doc = concat!("Deserialises ", $what, " within its bounds.")]
        pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<PromDuration, D::Error> {
            let v = PromDuration::deserialize(d)?;
            let (lo, hi) = (Duration::from_millis($lo), Duration::from_millis($hi));
            if v.0 < lo || v.0 > hi {
                return Err(out_of_range($what, show(v.0), show(lo), show(hi)));
            }
            Ok(v)
        }

        #[doc = concat!("Deserialises an optional ", $what, " within its bounds.")]
        pub fn $opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PromDuration>, D::Error> {
            $name(d).map(Some)
        }
    };
}

use std::time::Duration;

use super::PromDuration;

/// A duration as the files write them: `500ms`, `15s`, `2m`, `1h`.
fn show(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0 => "0s".into(),
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms % 1_000 == 0 => format!("{}s", ms / 1_000),
        ms => format!("{ms}ms"),
    }
}

const SEC: u64 = 1_000;
const HOUR: u64 = 3_600 * SEC;

bounded_duration!(timeout, timeout_opt, 100, 5 * 60 * SEC, "timeout");
bounded_duration!(refresh, refresh_opt, SEC, 24 * HOUR, "refresh interval");
bounded_duration!(lead_up, lead_up_opt, 0, 24 * HOUR, "lead_up");

/// Seconds of log history a new tail asks for.
pub const LOG_SINCE_SECONDS: (i64, i64) = (0, 7 * 86_400);
/// Lines of history a new tail asks for.
pub const LOG_TAIL_LINES: (i64, i64) = (0, 100_000);
/// Log streams followed at once.
pub const LOG_STREAMS: (usize, usize) = (1, 1_000);
/// Bytes of one recording.
pub const RECORDING_BYTES: (u64, u64) = (1 << 20, 1 << 40);
/// Seconds of lead-up a recording header may claim.
pub const LEAD_UP_SECONDS: (u64, u64) = (0, 86_400);

bounded!(
    log_since_seconds,
    i64,
    LOG_SINCE_SECONDS,
    "log_since_seconds"
);
bounded!(log_tail_lines, i64, LOG_TAIL_LINES, "log_tail_lines");
bounded!(max_log_streams, usize, LOG_STREAMS, "max_log_streams");
bounded!(recording_bytes, u64, RECORDING_BYTES, "max_bytes");
bounded!(lead_up_seconds, u64, LEAD_UP_SECONDS, "lead_up_seconds");

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    /// The error for `text` as config.toml, on one line.
    fn config_error(text: &str) -> String {
        crate::config::Config::parse(Path::new("/etc/sitrep/config.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn config_rates_sizes_and_counts_are_bounded_with_file_line_and_range() {
        let cases = [
            (
                "[prometheus]\nurl = \"http://p\"\nrefresh = \"0s\"\n",
                3,
                "refresh interval 0s is out of range: allowed 1s to 24h",
            ),
            (
                "[prometheus]\ntimeout = \"1w\"\n",
                2,
                "timeout 168h is out of range: allowed 100ms to 5m",
            ),
            (
                "[[health]]\nname = \"h\"\nurl = \"http://h\"\ninterval = \"1ms\"\n",
                4,
                "allowed 1s to 24h",
            ),
            (
                "[logs]\nbuffer_lines = 100000000\n",
                2,
                "buffer_lines 100000000 is out of range: allowed 1 to 1000000",
            ),
            (
                "[kubernetes]\nmax_log_streams = 1000000\n",
                2,
                "max_log_streams 1000000 is out of range: allowed 1 to 1000",
            ),
            (
                "[kubernetes]\nlog_tail_lines = -1\n",
                2,
                "allowed 0 to 100000",
            ),
            (
                "[recording]\nlead_up = \"30d\"\n",
                2,
                "lead_up 720h is out of range: allowed 0s to 24h",
            ),
            (
                "[recording]\nmax_bytes = 10\n",
                2,
                "max_bytes 10 is out of range: allowed 1048576 to 1099511627776",
            ),
        ];
        for (text, line, what) in cases {
            let e = config_error(text);
            assert!(e.contains("/etc/sitrep/config.toml"), "{e}");
            assert!(e.contains(&format!(":{line}")), "line {line}: {e}");
            assert!(e.contains(what), "{what}: {e}");
        }
    }

    #[test]
    fn drill_lists_and_log_templates_are_bounded() {
        let base = "[drill]\nname = \"x\"\ntitle = \"x\"\nnamespace = \"n\"\n";
        let path = Path::new("my-drill.toml");
        let mut many = base.to_string();
        for i in 0..=super::LIST_ENTRIES {
            many.push_str(&format!(
                "[[signals]]\nname = \"s{i}\"\nunit = \"ms\"\nbaseline = 1\n"
            ));
        }
        let e = crate::drill::Scenario::parse(path, &many)
            .unwrap_err()
            .to_string();
        assert!(e.contains("my-drill.toml"), "{e}");
        assert!(
            e.contains("101 entries are too many: allowed 0 to 100"),
            "{e}"
        );
        let long = format!(
            "{base}[[deployments]]\nname = \"d\"\nreplicas = 1\nnodes = [\"n\"]\nlogs = [\"{}\"]\nrevisions = [{{ image = \"i\", age = \"1h\" }}]\n",
            "{id}".repeat(2000)
        );
        let e = crate::drill::Scenario::parse(path, &long)
            .unwrap_err()
            .to_string();
        assert!(e.contains("my-drill.toml:9"), "{e}");
        assert!(
            e.contains("log template length (bytes) 8000 is out of range: allowed 0 to 4096"),
            "{e}"
        );
    }
}
