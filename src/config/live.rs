//! The live sources' part of config.toml: Prometheus, Alertmanager, signals, SLOs, GPUs,
//! health probes and the variables their queries share.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::event::Direction;

/// A duration written as Prometheus writes them: `500ms`, `15s`, `5m`, `1h`, `30d`, `1w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromDuration(pub Duration);

impl PromDuration {
    /// Parses `15s`, `1h30m`, `30d`; rejects empty, zero-less garbage and unknown units.
    pub fn parse(s: &str) -> Result<PromDuration, String> {
        let bad = || format!("invalid duration `{s}`; write it as 500ms, 15s, 5m, 1h, 30d or 1w");
        let mut total = Duration::ZERO;
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
            if digits == 0 {
                return Err(bad());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let ms_per = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 7 * 86_400_000,
                "y" => 365 * 86_400_000,
                _ => return Err(bad()),
            };
            total += Duration::from_millis(n.saturating_mul(ms_per));
            rest = &rest[unit_len..];
        }
        Ok(PromDuration(total))
    }

    /// Seconds, as PromQL and the APIs want them.
    /// The same span as a signed duration, for arithmetic on timestamps.
    pub fn signed(self) -> jiff::SignedDuration {
        jiff::SignedDuration::try_from(self.0).unwrap_or(jiff::SignedDuration::MAX)
    }

    /// Seconds, with fractions.
    pub fn secs(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl fmt::Display for PromDuration {
    /// The shortest exact PromQL spelling: `5m`, `1h`, `30d`, `90s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        for (unit, per) in [
            ("w", 604_800_000),
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if ms > 0 && ms.is_multiple_of(per) {
                return write!(f, "{}{unit}", ms / per);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PromDuration::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn secs(n: u64) -> PromDuration {
    PromDuration(Duration::from_secs(n))
}

/// How sitrep reaches an HTTP API: the URL and everything around it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Base URL, such as `http://prometheus:9090` or a Thanos/Mimir query front end.
    pub url: Option<String>,
    /// Per-request timeout (default 5s).
    #[serde(default, deserialize_with = "super::limits::timeout_opt")]
    pub timeout: Option<PromDuration>,
    /// How often to poll (default 15s).
    #[serde(default, deserialize_with = "super::limits::refresh_opt")]
    pub refresh: Option<PromDuration>,
    /// Name of an environment variable holding a bearer token.
    pub bearer_token_env: Option<String>,
    /// A file holding a bearer token (read at start-up, trimmed).
    pub bearer_token_file: Option<PathBuf>,
    /// HTTP basic authentication.
    pub basic: Option<BasicAuth>,
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Extra headers sent with every request (`X-Scope-OrgID` for Mimir, for instance).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

impl Endpoint {
    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(secs(5)).0
    }

    /// The poll interval.
    pub fn refresh(&self) -> Duration {
        self.refresh.unwrap_or(secs(15)).0
    }
}

/// `basic = { username = "...", password_env = "..." }`
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    /// Name of an environment variable holding the password.
    pub password_env: Option<String>,
    /// A file holding the password.
    pub password_file: Option<PathBuf>,
}

/// `[[signals]]`: one value the signals pane shows.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SignalConfig {
    pub name: String,
    /// An instant PromQL query returning one number (the first series when several).
    pub query: String,
    /// ratio, percent, seconds, ms, bytes or count.
    #[serde(default = "default_unit")]
    pub unit: String,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    /// `above` (high is bad, the default) or `below`.
    #[serde(default)]
    pub direction: Direction,
    /// How often to query (default: the `[prometheus]` refresh).
    #[serde(default, deserialize_with = "super::limits::refresh_opt")]
    pub refresh: Option<PromDuration>,
    /// `{{service}}` in this signal's queries (default: `[vars] service`).
    pub service: Option<String>,
    /// `{{namespace}}` in this signal's queries (default: `[vars] namespace`).
    pub namespace: Option<String>,
    /// An error budget to track beside the value.
    pub slo: Option<SloConfig>,
    /// Where the query runs: `prometheus` (PromQL, the default) or `loki` (a LogQL metric
    /// query, `sum(rate({app="x"} |= "ERROR" [1m]))`, through `[loki]`).
    #[serde(default)]
    pub source: SignalSource,
}

/// Which query API answers a signal.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    #[default]
    Prometheus,
    Loki,
}

fn default_unit() -> String {
    "count".into()
}

/// The units a signal may have.
pub const UNITS: [&str; 6] = ["ratio", "percent", "seconds", "ms", "bytes", "count"];

/// `[signals.slo]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    /// Target in percent, such as 99.5.
    pub objective: f64,
    /// The SLO's window (default 30d).
    #[serde(default = "default_slo_window")]
    pub window: PromDuration,
    /// The ratio of bad events over `{{window}}`, from 0 to 1.
    pub error_query: Option<String>,
    /// Good events' rate over `{{window}}` (with `total_query`).
    pub good_query: Option<String>,
    /// All events' rate over `{{window}}` (with `good_query`).
    pub total_query: Option<String>,
}

fn default_slo_window() -> PromDuration {
    secs(30 * 86_400)
}

/// `[gpus]`: DCGM exporter metrics, names and label keys overridable.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GpusConfig {
    pub enabled: bool,
    /// Label matchers added to every metric, such as `{job="dcgm"}` (without braces is fine).
    pub selector: String,
    #[serde(deserialize_with = "super::limits::refresh_opt")]
    pub refresh: Option<PromDuration>,
    pub util_metric: String,
    pub temp_metric: String,
    pub fb_used_metric: String,
    pub fb_free_metric: String,
    pub power_metric: String,
    pub xid_metric: String,
    pub host_label: String,
    pub gpu_label: String,
    pub model_label: String,
    pub pod_label: String,
    pub namespace_label: String,
    /// Temperatures (°C) past which a GPU is in warning and critical.
    pub temp_warn: f64,
    pub temp_crit: f64,
    /// Frame-buffer use (fraction of total) past which a GPU is in warning and critical.
    pub mem_warn: f64,
    pub mem_crit: f64,
}

impl Default for GpusConfig {
    fn default() -> Self {
        GpusConfig {
            enabled: false,
            selector: String::new(),
            refresh: None,
            util_metric: "DCGM_FI_DEV_GPU_UTIL".into(),
            temp_metric: "DCGM_FI_DEV_GPU_TEMP".into(),
            fb_used_metric: "DCGM_FI_DEV_FB_USED".into(),
            fb_free_metric: "DCGM_FI_DEV_FB_FREE".into(),
            power_metric: "DCGM_FI_DEV_POWER_USAGE".into(),
            xid_metric: "DCGM_FI_DEV_XID_ERRORS".into(),
            host_label: "Hostname".into(),
            gpu_label: "gpu".into(),
            model_label: "modelName".into(),
            pod_label: "pod".into(),
            namespace_label: "namespace".into(),
            temp_warn: 80.0,
            temp_crit: 87.0,
            mem_warn: 0.90,
            mem_crit: 0.97,
        }
    }
}

/// `[[health]]`: an HTTP endpoint probed on an interval.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    pub name: String,
    pub url: String,
    /// Probe interval (default 10s).
    #[serde(default, deserialize_with = "super::limits::refresh_opt")]
    pub interval: Option<PromDuration>,
    /// Per-probe timeout (default 3s).
    #[serde(default, deserialize_with = "super::limits::timeout_opt")]
    pub timeout: Option<PromDuration>,
    /// Status codes counted as healthy (default: any 2xx).
    #[serde(default)]
    pub expect_status: Vec<u16>,
}

impl HealthConfig {
    /// Whether `status` counts as healthy.
    pub fn healthy(&self, status: u16) -> bool {
        if self.expect_status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.expect_status.contains(&status)
        }
    }
}

/// `[vars]`: values for `{{namespace}}` and `{{service}}` in every query.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vars {
    pub namespace: Option<String>,
    pub service: Option<String>,
}

/// Fills `{{window}}`, `{{namespace}}` and `{{service}}`; unknown placeholders are errors.
pub fn expand(
    query: &str,
    window: Option<&str>,
    namespace: Option<&str>,
    service: Option<&str>,
) -> Result<String, String> {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in `{query}`"))?;
        let name = after[..end].trim();
        let value = match name {
            "window" => window,
            "namespace" => namespace,
            "service" => service,
            other => {
                return Err(format!(
                    "unknown placeholder `{{{{{other}}}}}`; known: {{{{window}}}}, {{{{namespace}}}}, {{{{service}}}}"
                ));
            }
        };
        let value = value.ok_or_else(|| {
            format!("`{{{{{name}}}}}` has no value here (set it in [vars] or on the signal)")
        })?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_in_promql_spelling() {
        for (s, secs_) in [
            ("5m", 300.0),
            ("1h", 3600.0),
            ("30d", 2_592_000.0),
            ("90s", 90.0),
        ] {
            let d = PromDuration::parse(s).unwrap();
            assert_eq!(d.secs(), secs_);
            assert_eq!(d.to_string(), s);
        }
        assert_eq!(PromDuration::parse("1h30m").unwrap().to_string(), "90m");
        assert_eq!(PromDuration::parse("500ms").unwrap().secs(), 0.5);
        for bad in ["", "5", "m", "5x", "-5m", "5 m"] {
            assert!(PromDuration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templating_fills_known_placeholders() {
        let q = r#"sum(rate(x{namespace="{{namespace}}",job="{{ service }}"}[{{window}}]))"#;
        assert_eq!(
            expand(q, Some("5m"), Some("prod"), Some("api")).unwrap(),
            r#"sum(rate(x{namespace="prod",job="api"}[5m]))"#
        );
        assert!(
            expand("{{window}}", None, None, None)
                .unwrap_err()
                .contains("no value")
        );
        assert!(
            expand("{{pod}}", None, None, None)
                .unwrap_err()
                .contains("unknown placeholder `{{pod}}`")
        );
        assert!(expand("a{{window", Some("5m"), None, None).is_err());
        // PromQL's own braces are left alone.
        assert_eq!(
            expand("up{job=\"a\"}", None, None, None).unwrap(),
            "up{job=\"a\"}"
        );
    }
}
