//! `[kubernetes]` and `[[kill_switches]]`: where the live cluster is and what may be flipped.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// `[kubernetes]`: which cluster, namespaces and pods to watch. Every key is optional; an
/// empty section means "the current kubeconfig context and its namespace".
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    /// Kubeconfig file (default: `$KUBECONFIG`, then `~/.kube/config`, then in-cluster).
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    pub context: Option<String>,
    /// Namespaces to watch (default: the context's namespace).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Watch every namespace (`-A`): one cluster-wide watch per kind instead of one per
    /// namespace. Needs list and watch at cluster scope.
    #[serde(default)]
    pub all_namespaces: bool,
    /// Label selector for pods and deployments, as `kubectl -l` takes it.
    pub label_selector: Option<String>,
    /// How long sitrep watches for an effect after a change, in seconds (default 300).
    #[serde(
        default = "default_verify_seconds",
        deserialize_with = "super::limits::kube_seconds"
    )]
    pub verify_seconds: u64,
    /// Actions at this severity or worse need the deployment's name typed (default 2).
    #[serde(default = "default_typed_confirm")]
    pub typed_confirm_severity: u8,
    /// Seconds a single API request may take before it is reported as timed out.
    #[serde(
        default = "default_timeout",
        deserialize_with = "super::limits::kube_seconds"
    )]
    pub timeout_seconds: u64,
    /// Seconds of history a new log tail starts with at most (`--since`).
    #[serde(
        default = "default_since",
        deserialize_with = "super::limits::log_since_seconds"
    )]
    pub log_since_seconds: i64,
    /// Lines of history each container's stream starts with at most (`--tail`), so the first
    /// seconds of a tail are not spent on old lines.
    #[serde(
        default = "default_tail_lines",
        deserialize_with = "super::limits::log_tail_lines"
    )]
    pub log_tail_lines: i64,
    /// Log streams followed at once at most; with more containers than that, the interesting
    /// pods are tailed first and the logs pane says how many of how many.
    #[serde(
        default = "default_max_streams",
        deserialize_with = "super::limits::max_log_streams"
    )]
    pub max_log_streams: usize,
    /// Ask for initial lists as a stream of watch events (`sendInitialEvents`, Kubernetes
    /// 1.32+ with the WatchList feature) instead of pages of 500.
    #[serde(default)]
    pub streaming_lists: bool,
}

impl KubernetesConfig {
    /// How the log tail is bounded.
    pub fn tail_settings(&self) -> crate::sources::kube_logs::TailSettings {
        crate::sources::kube_logs::TailSettings {
            since_seconds: self.log_since_seconds,
            tail_lines: self.log_tail_lines,
            pending_max: crate::sources::kube_logs::PENDING_MAX,
        }
    }
}

fn default_tail_lines() -> i64 {
    100
}

/// The default cap on concurrent log streams.
pub const DEFAULT_MAX_LOG_STREAMS: usize = 50;

fn default_max_streams() -> usize {
    DEFAULT_MAX_LOG_STREAMS
}

fn default_verify_seconds() -> u64 {
    300
}

fn default_typed_confirm() -> u8 {
    2
}

fn default_timeout() -> u64 {
    15
}

fn default_since() -> i64 {
    300
}

/// How a kill switch changes the world.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KillSwitchKind {
    /// Set a key of a ConfigMap.
    Configmap,
    /// Set an environment variable on a deployment's containers.
    Env,
    /// Scale a deployment, remembering the previous count for `off`.
    Scale,
    /// Call a feature-flag service.
    Http,
}

/// One HTTP call of an `http` kill switch.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpCall {
    #[serde(default = "default_method")]
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: String,
}

fn default_method() -> String {
    "POST".into()
}

/// `[[kill_switches]]`: a named, described, one-keystroke mitigation.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KillSwitchConfig {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A key that opens this switch's confirmation directly.
    pub key: Option<String>,
    pub kind: KillSwitchKind,
    /// Namespace of the object (default: the first watched namespace).
    pub namespace: Option<String>,
    /// `configmap`: the ConfigMap's name.
    pub configmap: Option<String>,
    /// `configmap`: the data key; `env`: the variable's name.
    pub data_key: Option<String>,
    /// `configmap`/`env`: the value meaning "on".
    pub on_value: Option<String>,
    /// `configmap`/`env`: the value meaning "off".
    pub off_value: Option<String>,
    /// `env`/`scale`: the deployment.
    pub deployment: Option<String>,
    /// `scale`: replicas while on (usually 0).
    pub replicas: Option<u32>,
    /// `http`: the call that turns it on.
    pub on: Option<HttpCall>,
    /// `http`: the call that turns it off.
    pub off: Option<HttpCall>,
    /// `http`: a URL whose JSON or text answer says whether it is on.
    pub status_url: Option<String>,
    /// `http`: a PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<std::path::PathBuf>,
}

impl KillSwitchConfig {
    /// What is missing for this switch's kind, if anything.
    pub fn problem(&self) -> Option<String> {
        let need: &[(&str, bool)] = match self.kind {
            KillSwitchKind::Configmap => &[
                ("configmap", self.configmap.is_some()),
                ("data_key", self.data_key.is_some()),
                ("on_value", self.on_value.is_some()),
                ("off_value", self.off_value.is_some()),
            ],
            KillSwitchKind::Env => &[
                ("deployment", self.deployment.is_some()),
                ("data_key", self.data_key.is_some()),
                ("on_value", self.on_value.is_some()),
                ("off_value", self.off_value.is_some()),
            ],
            KillSwitchKind::Scale => &[
                ("deployment", self.deployment.is_some()),
                ("replicas", self.replicas.is_some()),
            ],
            KillSwitchKind::Http => &[("on", self.on.is_some()), ("off", self.off.is_some())],
        };
        let missing: Vec<&str> = need.iter().filter(|(_, ok)| !ok).map(|(k, _)| *k).collect();
        (!missing.is_empty()).then(|| {
            let kind = match self.kind {
                KillSwitchKind::Configmap => "configmap",
                KillSwitchKind::Env => "env",
                KillSwitchKind::Scale => "scale",
                KillSwitchKind::Http => "http",
            };
            format!(
                "kill switch `{}` of kind `{kind}` needs {}",
                self.name,
                missing.join(", ")
            )
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    #[test]
    fn the_snapbuilder_example_loads_with_its_three_switches() {
        let text = include_str!("../../assets/examples/snapbuilder.toml");
        let c = Config::parse(Path::new("snapbuilder.toml"), text).unwrap();
        let k = c.kubernetes.unwrap();
        assert_eq!(k.namespaces, ["snapbuilder"]);
        assert_eq!(k.verify_seconds, 300);
        let names: Vec<&str> = c.kill_switches.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["moderation-strict", "ai-disabled", "block-traffic"]);
        assert_eq!(c.kill_switches[2].kind, KillSwitchKind::Scale);
    }

    #[test]
    fn a_switch_missing_what_its_kind_needs_is_an_error() {
        let text = "[[kill_switches]]\nname = \"x\"\nkind = \"configmap\"\nconfigmap = \"f\"\n";
        let e = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "c.toml: kill switch `x` of kind `configmap` needs data_key, on_value, off_value"
        );
    }
}
