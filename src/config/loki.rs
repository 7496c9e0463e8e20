//! `[loki]`: where the log store is, how to reach it, and which LogQL stream selector reads
//! each workload's logs. The per-workload part ([`LogSelection`]) is self-contained: a
//! `[[services]]` entry carries its own as `loki`, which wins for the service's workloads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::FileError;
use super::live::{BasicAuth, Endpoint, PromDuration};
use crate::sources::loki::selector::Selector;

/// The selector a workload gets when the config names none.
pub const DEFAULT_SELECTOR: &str = r#"{namespace="{{namespace}}", app="{{workload}}"}"#;
/// Lines one `query_range` page asks for by default.
pub const DEFAULT_PAGE_LINES: usize = 1_000;
/// Loki's own default `max_entries_limit_per_query`; more is refused with a 400.
pub const MAX_PAGE_LINES: usize = 5_000;

/// Where a workload's logs come from.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// History and the live tail from Loki; the pod tail only when Loki fails.
    #[default]
    Loki,
    /// Only the pod tail through the Kubernetes API.
    Kube,
    /// History from Loki, the newest seconds from the pod tail.
    Both,
}

impl Backend {
    /// How the logs pane's title names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Loki => "loki",
            Backend::Kube => "kube",
            Backend::Both => "loki+kube",
        }
    }
}

/// How one workload's logs are read: its selector and backend. Both optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSelection {
    /// A LogQL stream selector, `{{namespace}}` and `{{workload}}` allowed.
    pub selector: Option<Spanned<String>>,
    pub backend: Option<Backend>,
}

/// `[loki]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LokiConfig {
    /// Base URL: `http://loki-gateway.monitoring:80`, a VictoriaLogs LogQL front end.
    pub url: Option<String>,
    /// The tenant, sent as `X-Scope-OrgID` (multi-tenant Loki, Grafana Cloud).
    pub tenant: Option<String>,
    /// Per-request timeout of queries (default 10s).
    pub timeout: Option<PromDuration>,
    /// How long the tail's WebSocket may stay silent before it is reopened (default 60s).
    pub tail_idle: Option<PromDuration>,
    /// Name of an environment variable holding a bearer token.
    pub bearer_token_env: Option<String>,
    /// A file holding a bearer token.
    pub bearer_token_file: Option<PathBuf>,
    /// HTTP basic authentication.
    pub basic: Option<BasicAuth>,
    /// A PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// The default selector template ([`DEFAULT_SELECTOR`]).
    #[serde(default = "default_selector")]
    pub selector: Spanned<String>,
    /// The default backend (`loki`).
    #[serde(default)]
    pub backend: Backend,
    /// How far back a workload's history starts (default 15m).
    #[serde(default = "default_history")]
    pub history: PromDuration,
    /// Lines per `query_range` page (default 1000, at most 5000).
    #[serde(default = "default_page_lines")]
    pub page_lines: usize,
    /// The longest range one query may span (Loki's `max_query_length`, default 721h).
    #[serde(default = "default_max_range")]
    pub max_range: PromDuration,
    /// Per workload: `[loki.workloads.snapbuilder-serving] selector = "…"`.
    #[serde(default)]
    pub workloads: BTreeMap<String, LogSelection>,
}

fn default_selector() -> Spanned<String> {
    Spanned::new(0..0, DEFAULT_SELECTOR.to_string())
}

fn default_history() -> PromDuration {
    PromDuration(std::time::Duration::from_secs(15 * 60))
}

fn default_page_lines() -> usize {
    DEFAULT_PAGE_LINES
}

fn default_max_range() -> PromDuration {
    PromDuration(std::time::Duration::from_secs(721 * 3600))
}

impl Default for LokiConfig {
    fn default() -> Self {
        LokiConfig {
            url: None,
            tenant: None,
            timeout: None,
            tail_idle: None,
            bearer_token_env: None,
            bearer_token_file: None,
            basic: None,
            ca_file: None,
            selector: default_selector(),
            backend: Backend::default(),
            history: default_history(),
            page_lines: DEFAULT_PAGE_LINES,
            max_range: default_max_range(),
            workloads: BTreeMap::new(),
        }
    }
}

impl LokiConfig {
    /// A `[loki]` for `--loki URL` alone.
    pub fn for_url(url: &str) -> LokiConfig {
        LokiConfig {
            url: Some(url.to_string()),
            ..LokiConfig::default()
        }
    }

    /// The base URL, when set.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref().filter(|u| !u.is_empty())
    }

    /// The query timeout.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
            .map_or(std::time::Duration::from_secs(10), |d| d.0)
    }

    /// How long a silent tail is trusted.
    pub fn tail_idle(&self) -> std::time::Duration {
        self.tail_idle
            .map_or(std::time::Duration::from_secs(60), |d| d.0)
    }

    /// The HTTP endpoint the shared client builder takes: auth, CA, the tenant header.
    pub fn endpoint(&self) -> Endpoint {
        let mut headers = BTreeMap::new();
        if let Some(t) = self.tenant.as_deref().filter(|t| !t.is_empty()) {
            headers.insert("X-Scope-OrgID".to_string(), t.to_string());
        }
        Endpoint {
            url: self.url.clone(),
            timeout: Some(PromDuration(self.timeout())),
            refresh: None,
            bearer_token_env: self.bearer_token_env.clone(),
            bearer_token_file: self.bearer_token_file.clone(),
            basic: self.basic.clone(),
            ca_file: self.ca_file.clone(),
            headers,
        }
    }

    /// The backend of a workload; `service` is its service's own `loki` choice, which wins.
    pub fn backend_for(&self, service: Option<&LogSelection>, workload: &str) -> Backend {
        service
            .and_then(|s| s.backend)
            .or_else(|| self.workloads.get(workload).and_then(|w| w.backend))
            .unwrap_or(self.backend)
    }

    /// The stream selector of a workload in a namespace: its service's own when it names
    /// one, else the workload's, else the default template.
    pub fn selector_for(
        &self,
        service: Option<&LogSelection>,
        namespace: &str,
        workload: &str,
    ) -> Result<Selector, String> {
        let template = service
            .and_then(|s| s.selector.as_ref())
            .or_else(|| {
                self.workloads
                    .get(workload)
                    .and_then(|w| w.selector.as_ref())
            })
            .unwrap_or(&self.selector);
        Selector::expand(template.get_ref(), namespace, workload)
            .map_err(|e| format!("selector `{}`: {e}", template.get_ref()))
    }

    /// Every selector and limit checked, each problem at its line.
    pub fn validate(&self, path: &Path, text: &str) -> Vec<FileError> {
        let mut errors = Vec::new();
        let mut check = |what: String, s: &Spanned<String>| {
            // The placeholders stand for a real name while the template is checked.
            if let Err(e) = Selector::expand(s.get_ref(), "namespace", "workload") {
                let span = s.span();
                let span = (span.end > span.start).then_some(span);
                errors.push(FileError::at(
                    path,
                    text,
                    span,
                    format!("{what}: bad LogQL stream selector `{}`: {e}", s.get_ref()),
                ));
            }
        };
        check("loki.selector".into(), &self.selector);
        for (name, w) in &self.workloads {
            if let Some(s) = &w.selector {
                check(format!("loki.workloads.{name}.selector"), s);
            }
        }
        if let Some(url) = self.url()
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            errors.push(FileError::at(
                path,
                text,
                text.find(url).map(|i| i..i + url.len()),
                "loki.url must start with http:// or https://",
            ));
        }
        if !(1..=MAX_PAGE_LINES).contains(&self.page_lines) {
            errors.push(FileError::at(
                path,
                text,
                text.find("page_lines").map(|i| i..i + 1),
                format!(
                    "loki.page_lines {} is out of range: allowed 1 to {MAX_PAGE_LINES}",
                    self.page_lines
                ),
            ));
        }
        errors
    }
}

/// `[[signals]]` with `source = "loki"` need `[loki]` and take no SLO (its burn rates are
/// PromQL over long windows).
pub fn validate_signals(config: &super::Config, path: &Path, text: &str) -> Vec<FileError> {
    let has_loki = config.loki.as_ref().is_some_and(|l| l.url().is_some());
    let at = |name: &str| text.find(&format!("\"{name}\"")).map(|i| i..i + 1);
    config
        .signals
        .iter()
        .filter(|s| s.source == super::live::SignalSource::Loki)
        .filter_map(|s| {
            let problem = if !has_loki {
                "has source = \"loki\" but [loki] has no url"
            } else if s.slo.is_some() {
                "a LogQL signal takes no [signals.slo]"
            } else {
                return None;
            };
            Some(FileError::at(
                path,
                text,
                at(&s.name),
                format!("signal `{}` {problem}", s.name),
            ))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn a_loki_section_parses_with_tenant_and_overrides() {
        let text = r#"
[loki]
url = "http://loki:3100"
tenant = "team-a"
timeout = "3s"
backend = "both"

[loki.workloads.snapbuilder-serving]
selector = '{namespace="{{namespace}}", app="serving", tier!="canary"}'
backend = "loki"
"#;
        let c = Config::parse(Path::new("c.toml"), text).unwrap();
        let l = c.loki.unwrap();
        assert_eq!(l.endpoint().headers["X-Scope-OrgID"], "team-a");
        assert_eq!(l.timeout(), std::time::Duration::from_secs(3));
        assert_eq!(
            l.backend_for(None, "snapbuilder-ingest").as_str(),
            "loki+kube"
        );
        assert_eq!(l.backend_for(None, "snapbuilder-serving").as_str(), "loki");
        assert_eq!(
            l.selector_for(None, "snapbuilder", "snapbuilder-ingest")
                .unwrap()
                .to_string(),
            r#"{namespace="snapbuilder", app="snapbuilder-ingest"}"#
        );
        assert_eq!(
            l.selector_for(None, "prod", "snapbuilder-serving")
                .unwrap()
                .to_string(),
            r#"{namespace="prod", app="serving", tier!="canary"}"#
        );
    }

    #[test]
    fn a_logql_signal_needs_loki() {
        let text = "[[signals]]\nname = \"error logs\"\nsource = \"loki\"\nquery = 'sum(rate({app=\"x\"} |= \"ERROR\" [1m]))'\n";
        let e = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "c.toml:2: signal `error logs` has source = \"loki\" but [loki] has no url"
            ),
            "{e}"
        );
        let ok = format!("[loki]\nurl = \"http://l:3100\"\n{text}");
        let c = Config::parse(Path::new("c.toml"), &ok).unwrap();
        assert_eq!(c.signals[0].source, crate::config::live::SignalSource::Loki);
    }

    #[test]
    fn a_bad_selector_is_an_error_at_its_line() {
        let text = "[loki]\nurl = \"http://loki:3100\"\n\n[loki.workloads.a]\nbackend = \"kube\"\n\n[loki.workloads.b]\nselector = '{app=~\"(\"}'\n";
        let e = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml:8: loki.workloads.b.selector: bad LogQL stream selector"),
            "{e}"
        );
        assert!(e.contains("bad regex for `app`"), "{e}");
        let e = Config::parse(Path::new("c.toml"), "[loki]\nselector = '{}'\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2: loki.selector"), "{e}");
        let e = Config::parse(Path::new("c.toml"), "[loki]\nbackend = \"files\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2: unknown variant `files`"), "{e}");
        let e = Config::parse(Path::new("c.toml"), "[loki]\npage_lines = 50001\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2: loki.page_lines 50001"), "{e}");
    }
}
