//! `[[services]]`: a service is the unit of an incident. Each names its namespace, its
//! workloads (by name or by label selector), its signals, its runbook section and its kill
//! switches, so selecting an alert about it selects all of them. Without any, sitrep derives
//! the service from the alert's labels and the workloads' own labels.
//!
//! What can be checked from the file is checked here, each problem at its line: signals and
//! kill switches that are not configured, selectors that do not parse, two services claiming
//! one workload, runbook sections the runbooks do not have. Namespaces and workloads exist
//! only on the cluster: `sitrep check` asks it ([`crate::sources::service_check`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::FileError;
use super::label_selector::LabelSelector;

/// One `[[services]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The service's name; an alert's `service` label with this value is about it.
    pub name: Spanned<String>,
    /// The namespace of its workloads (default: any namespace the cockpit watches).
    pub namespace: Option<Spanned<String>>,
    /// Its workloads by name. With neither `workloads` nor `selector`: the workload named
    /// like the service.
    #[serde(default)]
    pub workloads: Vec<Spanned<String>>,
    /// Its workloads by label selector (`app.kubernetes.io/part-of=snapbuilder,tier=serving`),
    /// matched against each deployment's labels and its pod template's.
    pub selector: Option<Spanned<String>>,
    /// Names of `[[signals]]` entries that measure it.
    #[serde(default)]
    pub signals: Vec<Spanned<String>>,
    /// Its runbook section: a title, an `#anchor`, or `file.md#anchor`.
    pub runbook: Option<Spanned<String>>,
    /// Names of `[[kill_switches]]` entries that act on it.
    #[serde(default)]
    pub kill_switches: Vec<Spanned<String>>,
    /// How Loki reads its logs: `loki.selector = '{namespace="snapbuilder", app="serving"}'`
    /// (a LogQL stream selector, `{{namespace}}` and `{{workload}}` allowed) and
    /// `loki.backend`, over `[loki]` and `[loki.workloads.*]` for its workloads.
    #[serde(default)]
    pub loki: Option<super::loki::LogSelection>,
}

impl ServiceConfig {
    /// The service's name.
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    /// Its namespace, when it names one.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_ref().map(|n| n.get_ref().as_str())
    }

    /// Its selector, parsed; `None` without one (or when it does not parse: the config
    /// was refused then, so only a hand-built config gets here).
    pub fn selector(&self) -> Option<LabelSelector> {
        LabelSelector::parse(self.selector.as_ref()?.get_ref()).ok()
    }

    /// The workload names it lists, or its own name when it lists none and has no selector.
    pub fn workload_names(&self) -> Vec<&str> {
        if self.workloads.is_empty() && self.selector.is_none() {
            return vec![self.name()];
        }
        self.workloads
            .iter()
            .map(|w| w.get_ref().as_str())
            .collect()
    }

    /// Whether the workload `name` in `namespace` with `labels` is one of this service's.
    pub fn claims(&self, namespace: &str, name: &str, labels: &BTreeMap<String, String>) -> bool {
        self.claims_with(self.selector().as_ref(), namespace, name, labels)
    }

    /// [`ServiceConfig::claims`] with the selector parsed once by the caller, for many
    /// workloads in a row.
    pub fn claims_with(
        &self,
        selector: Option<&LabelSelector>,
        namespace: &str,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        if self.namespace().is_some_and(|ns| ns != namespace) {
            return false;
        }
        self.workload_names().contains(&name) || selector.is_some_and(|s| s.matches(labels))
    }

    /// Its own LogQL stream selector template, when it names one.
    pub fn loki_selector(&self) -> Option<&Spanned<String>> {
        self.loki.as_ref()?.selector.as_ref()
    }

    /// Whether `signal` is one of its signals.
    pub fn has_signal(&self, signal: &str) -> bool {
        self.signals.iter().any(|s| s.get_ref() == signal)
    }

    /// Whether `switch` is one of its kill switches.
    pub fn has_kill_switch(&self, switch: &str) -> bool {
        self.kill_switches.iter().any(|s| s.get_ref() == switch)
    }
}

/// An error at a spanned value's line.
fn at<T>(path: &Path, text: &str, v: &Spanned<T>, msg: String) -> FileError {
    let span = v.span();
    FileError::at(path, text, (span.end > span.start).then_some(span), msg)
}

/// Every reference the file can check: signals, kill switches, selectors, names, claims.
pub fn validate(config: &super::Config, path: &Path, text: &str) -> Vec<FileError> {
    let mut errors = Vec::new();
    let signals: Vec<&str> = config.signals.iter().map(|s| s.name.as_str()).collect();
    let switches: Vec<&str> = config
        .kill_switches
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    let known = |names: &[&str]| {
        if names.is_empty() {
            "none is configured".to_string()
        } else {
            format!("known: {}", names.join(", "))
        }
    };
    let mut names = std::collections::BTreeSet::new();
    // (namespace or None, workload) → the service claiming it first.
    let mut claimed: Vec<(Option<&str>, &str, &str)> = Vec::new();
    for s in &config.services {
        let name = s.name();
        if name.trim().is_empty() {
            errors.push(at(path, text, &s.name, "a service needs a name".into()));
        } else if !names.insert(name) {
            errors.push(at(
                path,
                text,
                &s.name,
                format!("service `{name}` is defined twice"),
            ));
        }
        if let Some(ns) = &s.namespace
            && ns.get_ref().trim().is_empty()
        {
            errors.push(at(
                path,
                text,
                ns,
                format!("service `{name}`: namespace is empty"),
            ));
        }
        if let Some(sel) = &s.selector
            && let Err(e) = LabelSelector::parse(sel.get_ref())
        {
            errors.push(at(
                path,
                text,
                sel,
                format!(
                    "service `{name}`: bad label selector `{}`: {e}",
                    sel.get_ref()
                ),
            ));
        }
        if let Some(sel) = s.loki_selector()
            && let Err(e) = crate::sources::loki::selector::Selector::expand(
                sel.get_ref(),
                "namespace",
                "workload",
            )
        {
            errors.push(at(
                path,
                text,
                sel,
                format!(
                    "service `{name}`: loki.selector: bad LogQL stream selector `{}`: {e}",
                    sel.get_ref()
                ),
            ));
        }
        for sig in &s.signals {
            if !signals.contains(&sig.get_ref().as_str()) {
                errors.push(at(
                    path,
                    text,
                    sig,
                    format!(
                        "service `{name}`: no [[signals]] entry named `{}`; {}",
                        sig.get_ref(),
                        known(&signals)
                    ),
                ));
            }
        }
        for ks in &s.kill_switches {
            if !switches.contains(&ks.get_ref().as_str()) {
                errors.push(at(
                    path,
                    text,
                    ks,
                    format!(
                        "service `{name}`: no [[kill_switches]] entry named `{}`; {}",
                        ks.get_ref(),
                        known(&switches)
                    ),
                ));
            }
        }
        // Two services claiming one workload by name: which would an alert about it select?
        let listed: Vec<(&str, Option<&Spanned<String>>)> = if s.workloads.is_empty() {
            s.workload_names().into_iter().map(|w| (w, None)).collect()
        } else {
            s.workloads
                .iter()
                .map(|w| (w.get_ref().as_str(), Some(w)))
                .collect()
        };
        for (w, spanned) in listed {
            let ns = s.namespace();
            let other = claimed.iter().find(|(ons, ow, osvc)| {
                *ow == w && *osvc != name && (ns.is_none() || ons.is_none() || *ons == ns)
            });
            if let Some((_, _, first)) = other {
                let msg = format!(
                    "service `{name}`: workload `{w}` is already claimed by service `{first}`"
                );
                errors.push(match spanned {
                    Some(v) => at(path, text, v, msg),
                    None => at(path, text, &s.name, msg),
                });
            } else {
                claimed.push((ns, w, name));
            }
        }
    }
    errors
}

/// Runbook sections the services name that none of `books` has. Without any runbook, a
/// service naming a section is an error too: the section can never be shown.
pub fn validate_runbooks(
    config: &super::Config,
    books: &[crate::runbook::Runbook],
    path: &Path,
    text: &str,
) -> Vec<FileError> {
    let mut errors = Vec::new();
    for s in &config.services {
        let Some(rb) = &s.runbook else { continue };
        let target = rb.get_ref();
        let found = books
            .iter()
            .any(|b| crate::runbook::find_section(b, target).is_some());
        if found {
            continue;
        }
        let msg = if config.runbooks.paths.is_empty() {
            format!(
                "service `{}`: runbook section `{target}`, but [runbooks] paths names no runbook",
                s.name()
            )
        } else {
            let files: Vec<String> = config
                .runbooks
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            format!(
                "service `{}`: no runbook section `{target}` in {}",
                s.name(),
                files.join(", ")
            )
        };
        errors.push(at(path, text, rb, msg));
    }
    errors
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const BASE: &str = r#"
[[signals]]
name = "5xx rate"
query = "x"

[[signals]]
name = "p95 latency"
query = "y"

[[kill_switches]]
name = "ai-disabled"
kind = "configmap"
configmap = "flags"
data_key = "ai"
on_value = "false"
off_value = "true"
"#;

    #[test]
    fn a_service_parses_with_workloads_selector_signals_and_switches() {
        let text = format!(
            "{BASE}
[[services]]
name = \"serving\"
namespace = \"snapbuilder\"
workloads = [\"snapbuilder-serving\"]
selector = \"app.kubernetes.io/part-of=snapbuilder,tier in (serving)\"
signals = [\"5xx rate\", \"p95 latency\"]
runbook = \"HighErrorRate: 5xx above 3%\"
kill_switches = [\"ai-disabled\"]

[[services]]
name = \"snapbuilder-ingest\"
"
        );
        let c = Config::parse(Path::new("c.toml"), &text).unwrap();
        let s = &c.services[0];
        assert_eq!(s.name(), "serving");
        assert_eq!(s.namespace(), Some("snapbuilder"));
        assert!(s.has_signal("5xx rate") && !s.has_signal("availability"));
        assert!(s.has_kill_switch("ai-disabled"));
        let labels = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(s.claims("snapbuilder", "snapbuilder-serving", &labels(&[])));
        assert!(s.claims(
            "snapbuilder",
            "serving-canary",
            &labels(&[
                ("app.kubernetes.io/part-of", "snapbuilder"),
                ("tier", "serving")
            ])
        ));
        assert!(!s.claims("other", "snapbuilder-serving", &labels(&[])));
        // Neither workloads nor a selector: the workload named like the service.
        let ingest = &c.services[1];
        assert_eq!(ingest.workload_names(), ["snapbuilder-ingest"]);
        assert!(ingest.claims("any", "snapbuilder-ingest", &labels(&[])));
    }

    #[test]
    fn bad_references_are_errors_with_file_line_and_value() {
        let text = format!(
            "{BASE}
[[services]]
name = \"serving\"
namespace = \"snapbuilder\"
workloads = [\"snapbuilder-serving\"]
signals = [\"5xx rate\", \"p99 latency\"]
kill_switches = [\"block-traffic\"]
selector = \"app in (a,b\"

[[services]]
name = \"serving-too\"
workloads = [
  \"snapbuilder-serving\",
]

[[services]]
name = \"serving\"
workloads = [\"other\"]
"
        );
        let e = Config::parse(Path::new("c.toml"), &text)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = e.lines().collect();
        let has = |want: &str| lines.iter().any(|l| l.starts_with(want));
        assert!(
            has(
                "c.toml:22: service `serving`: no [[signals]] entry named `p99 latency`; known: 5xx rate, p95 latency"
            ),
            "{e}"
        );
        assert!(
            has(
                "c.toml:23: service `serving`: no [[kill_switches]] entry named `block-traffic`; known: ai-disabled"
            ),
            "{e}"
        );
        assert!(
            has("c.toml:24: service `serving`: bad label selector `app in (a,b`: unclosed `(`"),
            "{e}"
        );
        assert!(
            has(
                "c.toml:29: service `serving-too`: workload `snapbuilder-serving` is already claimed by service `serving`"
            ),
            "{e}"
        );
        assert!(has("c.toml:33: service `serving` is defined twice"), "{e}");
        assert_eq!(lines.len(), 5, "{e}");
        let e = Config::parse(
            Path::new("c.toml"),
            "[[services]]\nname = \"a\"\nworkload = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3: unknown field `workload`"), "{e}");
    }

    #[test]
    fn a_service_carries_its_own_loki_selector_over_the_derived_one() {
        let text = r#"
[loki]
url = "http://loki:3100"

[loki.workloads.snapbuilder-serving]
selector = '{app="from-workload"}'

[[services]]
name = "serving"
namespace = "snapbuilder"
workloads = ["snapbuilder-serving", "serving-canary"]
loki.selector = '{namespace="snapbuilder", app=~"snapbuilder-serving|serving-canary"}'
loki.backend = "both"

[[services]]
name = "ingest"
namespace = "snapbuilder"
loki = { selector = '{namespace="{{namespace}}", job="{{workload}}"}' }
"#;
        let c = Config::parse(Path::new("c.toml"), text).unwrap();
        let l = c.loki.as_ref().unwrap();
        let serving = c.services[0].loki.as_ref();
        assert_eq!(
            l.selector_for(serving, "snapbuilder", "snapbuilder-serving")
                .unwrap()
                .to_string(),
            r#"{namespace="snapbuilder", app=~"snapbuilder-serving|serving-canary"}"#,
            "the service's selector wins over the workload's"
        );
        assert_eq!(
            l.backend_for(serving, "snapbuilder-serving").as_str(),
            "loki+kube"
        );
        assert_eq!(
            l.selector_for(None, "snapbuilder", "snapbuilder-serving")
                .unwrap()
                .to_string(),
            r#"{app="from-workload"}"#
        );
        let ingest = c.services[1].loki.as_ref();
        assert_eq!(
            l.selector_for(ingest, "snapbuilder", "ingest")
                .unwrap()
                .to_string(),
            r#"{namespace="snapbuilder", job="ingest"}"#,
            "placeholders as in [loki]"
        );
        assert_eq!(l.backend_for(ingest, "ingest").as_str(), "loki");
        assert!(c.services[1].loki_selector().is_some());
    }

    #[test]
    fn a_bad_service_loki_selector_is_an_error_with_file_line_and_value() {
        let text = "[[services]]\nname = \"serving\"\nnamespace = \"snapbuilder\"\nloki.selector = '{app=~\"(\"}'\n";
        let e = Config::parse(Path::new("c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "c.toml:4: service `serving`: loki.selector: bad LogQL stream selector `{app=~\"(\"}`: bad regex for `app`"
            ),
            "{e}"
        );
        let e = Config::parse(
            Path::new("c.toml"),
            "[[services]]\nname = \"s\"\n\n[services.loki]\nselector = '{}'\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("c.toml:5: service `s`: loki.selector: bad LogQL stream selector `{}`"),
            "{e}"
        );
        let e = Config::parse(
            Path::new("c.toml"),
            "[[services]]\nname = \"s\"\nloki.selektor = '{app=\"x\"}'\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3: unknown field `selektor`"), "{e}");
    }

    #[test]
    fn a_runbook_section_the_runbooks_do_not_have_is_an_error_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("svc.md");
        std::fs::write(
            &book,
            "# On call\n\n## HighErrorRate\n\n- check the 5xx ratio\n\n## Latency\n\n- look\n",
        )
        .unwrap();
        let config = dir.path().join("config.toml");
        let write = |runbook: &str| {
            std::fs::write(
                &config,
                format!(
                    "[runbooks]\npaths = [{:?}]\n\n[[services]]\nname = \"svc\"\nrunbook = {runbook:?}\n",
                    book.display().to_string()
                ),
            )
            .unwrap();
        };
        for good in ["HighErrorRate", "#latency", "svc.md#higherrorrate"] {
            write(good);
            Config::load(&config).unwrap();
        }
        write("Saturation");
        let e = Config::load(&config).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "{}:6: service `svc`: no runbook section `Saturation` in {}",
                config.display(),
                book.display()
            )),
            "{e}"
        );
        write("other.md#higherrorrate");
        let e = Config::load(&config).unwrap_err().to_string();
        assert!(
            e.contains(":6: service `svc`: no runbook section `other.md#"),
            "{e}"
        );
        let e = Config::parse(
            Path::new("c.toml"),
            "[[services]]\nname = \"svc\"\nrunbook = \"x\"\n",
        )
        .map(|c| super::validate_runbooks(&c, &[], Path::new("c.toml"), "x").len());
        assert_eq!(e, Ok(1));
    }
}
