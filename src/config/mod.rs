//! Configuration: config.toml, themes and keymaps, each a preset laid under the user's file.

pub mod error;
pub mod keymap;
pub mod kube;
pub mod label_selector;
pub mod limits;
pub mod live;
pub mod loki;
mod preset;
pub mod services;
pub mod theme;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::{FileError, FileErrors};
pub use keymap::Keymap;
pub use live::{Endpoint, GpusConfig, HealthConfig, PromDuration, SignalConfig, SloConfig, Vars};
pub use services::ServiceConfig;
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
    /// `[prometheus]`: where signals and GPU metrics come from.
    pub prometheus: Option<Endpoint>,
    /// `[alertmanager]`: where alerts and silences live.
    pub alertmanager: Option<Endpoint>,
    /// `[vars]`: values for `{{namespace}}` and `{{service}}` in queries.
    #[serde(default)]
    pub vars: Vars,
    /// `[[signals]]`
    #[serde(default)]
    pub signals: Vec<SignalConfig>,
    /// `[gpus]`
    #[serde(default)]
    pub gpus: GpusConfig,
    /// `[[health]]`
    #[serde(default)]
    pub health: Vec<HealthConfig>,
    /// The live cluster; live mode watches it when this section is present.
    pub kubernetes: Option<kube::KubernetesConfig>,
    #[serde(default)]
    pub kill_switches: Vec<kube::KillSwitchConfig>,
    /// `[recording]`: the flight recorder of live incidents.
    #[serde(default)]
    pub recording: crate::recording::RecordingConfig,
    /// `[loki]`: a log store for history and tails beyond the pods.
    pub loki: Option<loki::LokiConfig>,
    /// `[[services]]`: what an alert is about; without any, derived from its labels.
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
}

/// `[logs]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// Lines kept in the log ring buffer.
    #[serde(
        default = "default_log_lines",
        deserialize_with = "limits::log_buffer_lines"
    )]
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
    pub update_every: BTreeMap<String, PromDuration>,
    /// Who is paged when, by severity.
    #[serde(default = "default_escalations")]
    pub escalate: Vec<Escalation>,
    /// How long before a deadline its countdown turns to the warning colour.
    #[serde(default = "default_warn_before")]
    pub warn_before: PromDuration,
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
    pub after: PromDuration,
    /// Severities this step applies to (1 = SEV1).
    pub severities: Vec<u8>,
    /// Only when nobody has acknowledged an alert by then.
    #[serde(default = "yes")]
    pub unless_acked: bool,
}

fn yes() -> bool {
    true
}

fn mins(m: u64) -> PromDuration {
    PromDuration(std::time::Duration::from_secs(m * 60))
}

fn default_update_every() -> BTreeMap<String, PromDuration> {
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

fn default_warn_before() -> PromDuration {
    mins(5)
}

impl IncidentConfig {
    /// The status-update interval for a severity.
    pub fn update_interval(&self, severity: u8) -> Option<jiff::SignedDuration> {
        self.update_every
            .get(&format!("SEV{severity}"))
            .map(|d| d.signed())
    }
}

fn default_auto_open() -> String {
    "critical".into()
}

impl Config {
    /// Reads and validates a config file, with the runbook sections its services name.
    pub fn load(path: &Path) -> Result<Config, FileErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileError::at(path, "", None, format!("cannot read config: {e}")))?;
        let config = Config::parse(path, &text)?;
        if config.services.iter().any(|s| s.runbook.is_some()) {
            // A runbook that cannot be read is reported when the mode loads it; until all
            // are read, a section missing from those that were proves nothing.
            let books: Result<Vec<_>, _> = config
                .runbooks
                .paths
                .iter()
                .map(|p| crate::runbook::load(p))
                .collect();
            if let Ok(books) = books {
                let errors = services::validate_runbooks(&config, &books, path, &text);
                if !errors.is_empty() {
                    return Err(FileErrors(errors));
                }
            }
        }
        Ok(config)
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
        let mut errors = config.validate_live(path, text);
        if let Some(l) = &config.loki {
            errors.extend(l.validate(path, text));
        }
        errors.extend(loki::validate_signals(&config, path, text));
        errors.extend(services::validate(&config, path, text));
        if let Some(problem) = config.kill_switches.iter().find_map(|k| k.problem()) {
            errors.push(FileError::at(path, text, None, problem));
        }
        if !errors.is_empty() {
            return Err(FileErrors(errors));
        }
        Ok(config)
    }

    /// Whether any live source is configured.
    pub fn has_live_sources(&self) -> bool {
        self.prometheus_url().is_some()
            || self.alertmanager_url().is_some()
            || !self.health.is_empty()
            || self.loki.as_ref().is_some_and(|l| l.url().is_some())
    }

    /// The Prometheus base URL, when configured.
    pub fn prometheus_url(&self) -> Option<&str> {
        self.prometheus
            .as_ref()?
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
    }

    /// The Alertmanager base URL, when configured.
    pub fn alertmanager_url(&self) -> Option<&str> {
        self.alertmanager
            .as_ref()?
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
    }

    /// Lets `--loki` win over the file's `[loki] url`.
    pub fn override_loki(&mut self, url: Option<&str>) {
        if let Some(url) = url {
            self.loki.get_or_insert_with(loki::LokiConfig::default).url = Some(url.to_string());
        }
    }

    /// Lets `--prometheus` and `--alertmanager` win over the file.
    pub fn override_urls(&mut self, prometheus: Option<&str>, alertmanager: Option<&str>) {
        if let Some(url) = prometheus {
            self.prometheus.get_or_insert_with(Endpoint::default).url = Some(url.to_string());
        }
        if let Some(url) = alertmanager {
            self.alertmanager.get_or_insert_with(Endpoint::default).url = Some(url.to_string());
        }
    }

    /// Checks what serde cannot: units, objectives, query placeholders, duplicate names.
    fn validate_live(&self, path: &Path, text: &str) -> Vec<FileError> {
        let mut errors = Vec::new();
        // Point at the line naming the signal; good enough when names are unique.
        let at = |name: &str, msg: String| {
            let span = text.find(&format!("\"{name}\"")).map(|i| i..i + 1);
            FileError::at(path, text, span, msg)
        };
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.signals {
            if !seen.insert(s.name.as_str()) {
                errors.push(at(&s.name, format!("signal `{}` is defined twice", s.name)));
            }
            if !live::UNITS.contains(&s.unit.as_str()) {
                errors.push(at(
                    &s.name,
                    format!(
                        "signal `{}`: unknown unit `{}`; one of: {}",
                        s.name,
                        s.unit,
                        live::UNITS.join(", ")
                    ),
                ));
            }
            for (q, window) in self.signal_queries(s) {
                let ns = s.namespace.as_deref().or(self.vars.namespace.as_deref());
                let svc = s.service.as_deref().or(self.vars.service.as_deref());
                if let Err(e) = live::expand(&q, window, ns, svc) {
                    errors.push(at(&s.name, format!("signal `{}`: {e}", s.name)));
                }
            }
            if let Some(slo) = &s.slo {
                if !(slo.objective > 0.0 && slo.objective < 100.0) {
                    errors.push(at(
                        &s.name,
                        format!(
                            "signal `{}`: slo.objective is a percentage above 0 and below 100, got {}",
                            s.name, slo.objective
                        ),
                    ));
                }
                let ok = matches!(
                    (&slo.error_query, &slo.good_query, &slo.total_query),
                    (Some(_), None, None) | (None, Some(_), Some(_))
                );
                if !ok {
                    errors.push(at(
                        &s.name,
                        format!(
                            "signal `{}`: [signals.slo] needs either error_query or both good_query and total_query",
                            s.name
                        ),
                    ));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for h in &self.health {
            if !seen.insert(h.name.as_str()) {
                errors.push(at(
                    &h.name,
                    format!("health probe `{}` is defined twice", h.name),
                ));
            }
            if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
                errors.push(at(
                    &h.name,
                    format!(
                        "health probe `{}`: url must start with http:// or https://",
                        h.name
                    ),
                ));
            }
        }
        errors
    }

    /// Every query of a signal, with the `{{window}}` value it is evaluated at (none for the
    /// instant value); SLO queries are checked at their shortest burn window.
    pub fn signal_queries(&self, s: &SignalConfig) -> Vec<(String, Option<&'static str>)> {
        let mut out = vec![(s.query.clone(), None)];
        if let Some(slo) = &s.slo {
            for q in [&slo.error_query, &slo.good_query, &slo.total_query]
                .into_iter()
                .flatten()
            {
                out.push((q.clone(), Some("5m")));
            }
        }
        out
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
    fn live_sections_are_validated_with_file_and_line() {
        let text = "[prometheus]\nurl = \"http://p:9090\"\n\n[[signals]]\nname = \"lat\"\nquery = \"x[{{window}}]\"\nunit = \"furlongs\"\n[signals.slo]\nobjective = 150\nerror_query = \"y\"\n";
        let e = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.toml:5: signal `lat`: unknown unit `furlongs`"),
            "{e}"
        );
        assert!(e.contains("`{{window}}` has no value"), "{e}");
        assert!(e.contains("slo.objective is a percentage"), "{e}");
        let e = Config::parse(
            Path::new("c.toml"),
            "[prometheus]\nurl = \"u\"\ntimeout = \"5 s\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3: invalid duration `5 s`"), "{e}");
        let e = Config::parse(
            Path::new("c.toml"),
            "[gpus]\nenabled = true\ntemp_limit = 3\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3: unknown field `temp_limit`"), "{e}");
    }

    #[test]
    fn the_example_config_loads_and_urls_can_be_overridden() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/snapbuilder.toml");
        let mut c = Config::load(&path).unwrap();
        assert_eq!(c.signals.len(), 4);
        assert_eq!(c.services.len(), 2);
        assert!(c.gpus.enabled);
        c.override_urls(Some("http://other:9090"), None);
        assert_eq!(c.prometheus_url(), Some("http://other:9090"));
        assert_eq!(c.alertmanager_url(), Some("http://127.0.0.1:9093"));
    }

    #[test]
    fn a_runaway_buffer_is_refused_with_line_and_range() {
        let e = Config::parse(Path::new("c.toml"), "[logs]\nbuffer_lines = 1000000000\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.toml:2: buffer_lines 1000000000 is out of range: allowed 1 to 1000000"),
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
        assert!(e.starts_with("c.toml:2: invalid duration `soon`"), "{e}");
    }
}
