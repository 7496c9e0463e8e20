//! Configuration: config.toml, themes and keymaps, each a preset laid under the user's file.

pub mod error;
pub mod keymap;
pub mod kube;
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
    /// The live cluster; live mode watches it when this section is present.
    pub kubernetes: Option<kube::KubernetesConfig>,
    #[serde(default)]
    pub kill_switches: Vec<kube::KillSwitchConfig>,
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
}

impl Default for IncidentConfig {
    fn default() -> Self {
        IncidentConfig {
            auto_open: default_auto_open(),
        }
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
        if config.logs.buffer_lines == 0 {
            return Err(
                FileError::at(path, text, None, "logs.buffer_lines must be at least 1").into(),
            );
        }
        if let Some(problem) = config.kill_switches.iter().find_map(|k| k.problem()) {
            return Err(FileError::at(path, text, None, problem).into());
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
    }
}
