//! Configuration: config.toml, themes and keymaps, each a preset laid under the user's file.

pub mod error;
pub mod keymap;
mod preset;
pub mod theme;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::{FileError, FileErrors};
pub use keymap::Keymap;
pub use theme::Theme;

/// Where sitrep keeps its files on this platform.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Holds config.toml, themes/ and keymaps/.
    pub config: Option<PathBuf>,
    /// Holds sitrep's own log and recordings.
    pub data: Option<PathBuf>,
}

impl Dirs {
    /// The platform's directories for sitrep (`SITREP_CONFIG_DIR` and `SITREP_DATA_DIR` win).
    pub fn discover() -> Dirs {
        let project = directories::ProjectDirs::from("dev", "sitrep", "sitrep");
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Dirs {
            config: env("SITREP_CONFIG_DIR")
                .or_else(|| project.as_ref().map(|p| p.config_dir().to_path_buf())),
            data: env("SITREP_DATA_DIR")
                .or_else(|| project.as_ref().map(|p| p.data_dir().to_path_buf())),
        }
    }
}

/// config.toml. Every key is optional; see the README for each one.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who the journal names as actor (default: `$USER`).
    pub actor: Option<String>,
    /// Theme name or path.
    pub theme: Option<String>,
    /// Keymap name or path.
    pub keymap: Option<String>,
    /// The incident journal (default `./INCIDENTS.md`).
    pub journal: Option<PathBuf>,
    #[serde(default)]
    pub logs: LogsConfig,
    #[serde(default)]
    pub runbooks: RunbooksConfig,
    #[serde(default)]
    pub incident: IncidentConfig,
}

/// `[logs]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// Lines kept in the log ring buffer.
    #[serde(default = "default_log_lines")]
    pub buffer_lines: usize,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            buffer_lines: default_log_lines(),
        }
    }
}

fn default_log_lines() -> usize {
    50_000
}

/// `[runbooks]`
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunbooksConfig {
    /// Runbook files to read.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Alert name → section title or anchor, winning over fuzzy matching.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

/// `[incident]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IncidentConfig {
    /// Alerts with this `severity` label or worse open an incident by themselves.
    #[serde(default = "default_auto_open")]
    pub auto_open: String,
    /// How often a status update is due, by severity (`SEV1` = "30m"); none when absent.
    #[serde(default = "default_update_every")]
    pub update_every: BTreeMap<String, Duration>,
    /// Who is paged when, by severity.
    #[serde(default = "default_escalations")]
    pub escalate: Vec<Escalation>,
    /// How long before a deadline its countdown turns to the warning colour.
    #[serde(default = "default_warn_before")]
    pub warn_before: Duration,
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            auto_open: default_auto_open(),
            update_every: default_update_every(),
            escalate: default_escalations(),
            warn_before: default_warn_before(),
        }
    }
}

/// One step of the escalation matrix.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Who to bring in: `secondary on-call`, `engineering lead`.
    pub to: String,
    /// Time after the incident opened.
    pub after: Duration,
    /// Severities this step applies to (1 = SEV1).
    pub severities: Vec<u8>,
    /// Only when nobody has acknowledged an alert by then.
    #[serde(default = "yes")]
    pub unless_acked: bool,
}

fn yes() -> bool {
    true
}

/// A duration written as `90s`, `15m`, `1h 30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub jiff::SignedDuration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<jiff::SignedDuration>()
            .map(Duration)
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "bad duration `{s}` (write e.g. 90s, 15m, 1h 30m): {e}"
                ))
            })
    }
}

fn mins(m: i64) -> Duration {
    Duration(jiff::SignedDuration::from_mins(m))
}

fn default_update_every() -> BTreeMap<String, Duration> {
    [("SEV1", 30), ("SEV2", 60), ("SEV3", 240)]
        .into_iter()
        .map(|(k, m)| (k.to_string(), mins(m)))
        .collect()
}

fn default_escalations() -> Vec<Escalation> {
    vec![
        Escalation {
            to: "secondary on-call".into(),
            after: mins(15),
            severities: vec![1, 2, 3],
            unless_acked: true,
        },
        Escalation {
            to: "engineering lead".into(),
            after: mins(30),
            severities: vec![1, 2],
            unless_acked: true,
        },
    ]
}

fn default_warn_before() -> Duration {
    mins(5)
}

impl IncidentConfig {
    /// The status-update interval for a severity.
    pub fn update_interval(&self, severity: u8) -> Option<jiff::SignedDuration> {
        self.update_every
            .get(&format!("SEV{severity}"))
            .map(|d| d.0)
    }
}

fn default_auto_open() -> String {
    "critical".into()
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, FileErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileError::at(path, "", None, format!("cannot read config: {e}")))?;
        Config::parse(path, &text)
    }

    /// Parses config text; errors name `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, FileErrors> {
        let config: Config =
            toml::from_str(text).map_err(|e| FileError::from_toml(path, text, &e))?;
        if let Some(bad) = config
            .incident
            .update_every
            .keys()
            .find(|k| crate::journal::parse_severity(k).is_none())
        {
            return Err(FileError::at(
                path,
                text,
                text.find(bad.as_str()).map(|i| i..i + bad.len()),
                format!("incident.update_every: `{bad}` is not a severity (SEV1 to SEV4)"),
            )
            .into());
        }
        if config.logs.buffer_lines == 0 {
            return Err(
                FileError::at(path, text, None, "logs.buffer_lines must be at least 1").into(),
            );
        }
        Ok(config)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_and_line() {
        let e = Config::parse(
            Path::new("c.toml"),
            "actor = \"me\"\n[logs]\nbuffer_line = 5\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("c.toml:3: unknown field `buffer_line`"),
            "{e}"
        );
    }

    #[test]
    fn empty_config_is_all_defaults() {
        let c = Config::parse(Path::new("c.toml"), "").unwrap();
        assert_eq!(c.logs.buffer_lines, 50_000);
        assert_eq!(c.incident.auto_open, "critical");
        assert_eq!(
            c.incident.update_interval(1),
            Some(jiff::SignedDuration::from_mins(30))
        );
        assert_eq!(c.incident.escalate.len(), 2);
    }

    #[test]
    fn escalation_matrix_and_update_intervals_parse() {
        let text = "[incident]\nwarn_before = \"2m\"\n[incident.update_every]\nSEV1 = \"20m\"\n[[incident.escalate]]\nto = \"lead\"\nafter = \"10m\"\nseverities = [1]\n";
        let c = Config::parse(Path::new("c.toml"), text).unwrap();
        assert_eq!(
            c.incident.update_interval(1),
            Some(jiff::SignedDuration::from_mins(20))
        );
        assert_eq!(
            c.incident.update_interval(2),
            None,
            "a file's table replaces the defaults"
        );
        assert_eq!(c.incident.escalate[0].to, "lead");
        let e = Config::parse(
            Path::new("c.toml"),
            "[incident.update_every]\nSEV9 = \"1m\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("c.toml:2: incident.update_every: `SEV9`"),
            "{e}"
        );
        let e = Config::parse(Path::new("c.toml"), "[incident]\nwarn_before = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2: bad duration `soon`"), "{e}");
    }
}
