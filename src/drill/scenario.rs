//! A drill scenario: the simulated world and how its incident unfolds, as data.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::SignedDuration;
use serde::Deserialize;
use toml::Spanned;

use crate::config::{FileError, FileErrors, limits};
use crate::event::Direction;

/// The bundled drills, by name, in the order `sitrep drill --list` shows them.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "snapbuilder-bad-rollout",
        include_str!("../../assets/drills/snapbuilder-bad-rollout.toml"),
    ),
    (
        "serving-latency-regression",
        include_str!("../../assets/drills/serving-latency-regression.toml"),
    ),
    (
        "moderation-flag-spike",
        include_str!("../../assets/drills/moderation-flag-spike.toml"),
    ),
    (
        "gpu-memory-exhaustion",
        include_str!("../../assets/drills/gpu-memory-exhaustion.toml"),
    ),
    (
        "training-bad-snapshot",
        include_str!("../../assets/drills/training-bad-snapshot.toml"),
    ),
    (
        "db-pool-exhaustion",
        include_str!("../../assets/drills/db-pool-exhaustion.toml"),
    ),
    (
        "node-disk-full",
        include_str!("../../assets/drills/node-disk-full.toml"),
    ),
    (
        "ocr-provider-outage",
        include_str!("../../assets/drills/ocr-provider-outage.toml"),
    ),
    (
        "gpu-overheating",
        include_str!("../../assets/drills/gpu-overheating.toml"),
    ),
    (
        "brute-force-login",
        include_str!("../../assets/drills/brute-force-login.toml"),
    ),
];

/// Runbooks bundled with the drills, by file name.
pub const BUILTIN_RUNBOOKS: &[(&str, &str)] = &[
    (
        "snapbuilder.md",
        include_str!("../../assets/runbooks/snapbuilder.md"),
    ),
    ("ingest.md", include_str!("../../assets/runbooks/ingest.md")),
    (
        "serving-latency.md",
        include_str!("../../assets/runbooks/serving-latency.md"),
    ),
    (
        "moderation.md",
        include_str!("../../assets/runbooks/moderation.md"),
    ),
    (
        "gpu-memory.md",
        include_str!("../../assets/runbooks/gpu-memory.md"),
    ),
    (
        "training.md",
        include_str!("../../assets/runbooks/training.md"),
    ),
    (
        "orders-api.md",
        include_str!("../../assets/runbooks/orders-api.md"),
    ),
    (
        "node-disk.md",
        include_str!("../../assets/runbooks/node-disk.md"),
    ),
    ("ocr.md", include_str!("../../assets/runbooks/ocr.md")),
    (
        "gpu-thermal.md",
        include_str!("../../assets/runbooks/gpu-thermal.md"),
    ),
    ("auth.md", include_str!("../../assets/runbooks/auth.md")),
];

/// A whole drill file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub drill: Meta,
    #[serde(default, deserialize_with = "limits::list")]
    pub signals: Vec<SignalSpec>,
    #[serde(default, deserialize_with = "limits::list")]
    pub deployments: Vec<DeploymentSpec>,
    #[serde(default, deserialize_with = "limits::list")]
    pub gpus: Vec<GpuSpec>,
    #[serde(default, deserialize_with = "limits::list")]
    pub alerts: Vec<AlertSpec>,
    #[serde(default, deserialize_with = "limits::list")]
    pub kill_switches: Vec<KillSwitchSpec>,
    #[serde(default, deserialize_with = "limits::list")]
    pub events: Vec<EventSpec>,
    #[serde(default, deserialize_with = "limits::list")]
    pub faults: Vec<FaultSpec>,
    #[serde(default)]
    pub scoring: Scoring,
}

/// `[drill]`: what the drill is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub namespace: String,
    /// Seed of the noise, so a drill plays the same way every time.
    #[serde(default)]
    pub seed: u64,
    /// The runbook for this drill, relative to the drill file (or a bundled name).
    pub runbook: Option<String>,
    /// How hard the drill is, for `sitrep drill --list`.
    #[serde(default)]
    pub difficulty: crate::drill::library::Difficulty,
    /// The drill ends (and is scored) this long after it starts, if not mitigated before.
    #[serde(
        default = "crate::drill::library::default_time_limit",
        with = "duration"
    )]
    pub time_limit: SignedDuration,
}

/// A signal and how it behaves when nothing is wrong.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalSpec {
    pub name: String,
    pub unit: String,
    #[serde(deserialize_with = "limits::finite")]
    pub baseline: f64,
    #[serde(default, deserialize_with = "limits::finite")]
    pub noise: f64,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    #[serde(default)]
    pub direction: Direction,
    /// Values are clamped into this range (percentages stay in 0..=100).
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A deployment of the simulated cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentSpec {
    pub name: String,
    #[serde(deserialize_with = "limits::replicas")]
    pub replicas: u32,
    /// Earlier revisions, oldest first; the last one is current at the start.
    pub revisions: Vec<RevisionSpec>,
    #[serde(default)]
    pub gpu: bool,
    /// Nodes the pods are spread over.
    pub nodes: Vec<String>,
    /// Ordinary log lines; `{latency}`, `{tokens}`, `{status}`, `{id}` are filled in.
    #[serde(default, deserialize_with = "limits::log_templates")]
    pub logs: Vec<String>,
    /// Ordinary log lines per simulated second, across the deployment.
    #[serde(default, deserialize_with = "limits::log_rate")]
    pub log_rate: f64,
    /// Seconds a new pod takes to become ready.
    #[serde(default = "default_startup", with = "duration")]
    pub startup: SignedDuration,
}

fn default_startup() -> SignedDuration {
    SignedDuration::from_secs(6)
}

/// One kept revision of a deployment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionSpec {
    pub image: String,
    #[serde(default)]
    pub change_cause: String,
    /// How long before the drill starts it was rolled out.
    #[serde(with = "duration")]
    pub age: SignedDuration,
}

/// GPUs on one host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    pub host: String,
    #[serde(deserialize_with = "limits::gpus_per_host")]
    pub count: u32,
    pub model: String,
    pub mem_total_mib: f64,
    pub util: f64,
    pub mem_used_mib: f64,
    pub temp_c: f64,
    pub power_w: f64,
    /// The deployment whose pods use these GPUs, one pod per GPU.
    pub serves: Option<String>,
}

/// An alert rule over a signal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSpec {
    pub name: String,
    pub severity: String,
    pub signal: Spanned<String>,
    /// Fires when the signal is past this value (on the signal's bad side) for `for`.
    pub threshold: f64,
    #[serde(rename = "for", default, with = "duration")]
    pub for_: SignedDuration,
    pub summary: String,
    pub runbook_url: Option<String>,
}

/// A kill switch of the simulated world.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillSwitchSpec {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub on: bool,
    /// While on, these signals move to these values.
    #[serde(default)]
    pub signals: BTreeMap<String, f64>,
    /// While on, this deployment runs with this many replicas.
    pub scale: Option<ScaleSpec>,
    /// While on, this node is cordoned and drained: its pods move to the other nodes.
    pub drain: Option<String>,
}

/// A deployment and a replica count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    pub deployment: String,
    #[serde(deserialize_with = "limits::replicas")]
    pub replicas: u32,
}

/// Something that happens at a point of the drill.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    #[serde(with = "duration")]
    pub at: SignedDuration,
    /// Roll a deployment out to a new image.
    pub rollout: Option<RolloutSpec>,
}

/// A new revision of a deployment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutSpec {
    pub deployment: Spanned<String>,
    pub image: String,
    #[serde(default)]
    pub change_cause: String,
}

/// A fault: what goes wrong while a deployment runs a given image.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub name: String,
    pub deployment: Spanned<String>,
    /// The fault is present while the deployment's current image is this one
    /// (when absent, whatever the image: the cause lies outside the deployment).
    pub image: Option<String>,
    /// The cause appears this long after the drill starts (with `image`: and the image runs).
    #[serde(default, with = "opt_duration")]
    pub start: Option<SignedDuration>,
    /// Actions that remove the cause: command-line prefixes (`kill-switch ocr-fallback on`).
    /// A kill switch cures while it stays in that position; any other action from when it is
    /// taken (after the cause appeared).
    #[serde(default)]
    pub cured_by: Vec<String>,
    /// Actions that weaken or worsen the symptoms without removing the cause.
    #[serde(default)]
    pub changed_by: Vec<crate::drill::causes::Modifier>,
    /// Time from the image going live to the first symptoms.
    #[serde(default, with = "duration")]
    pub delay: SignedDuration,
    /// Time for the symptoms to reach full strength.
    #[serde(with = "duration")]
    pub ramp: SignedDuration,
    /// Time for the symptoms to fade once the cause is gone.
    #[serde(with = "duration")]
    pub recover: SignedDuration,
    /// Signal values at full strength.
    #[serde(default)]
    pub signals: BTreeMap<String, f64>,
    /// Signals that follow a curve instead of ramping to one value: `(seconds since the
    /// cause appeared, value)` points, as a recorded incident drew them; past the last
    /// point the last value holds.
    #[serde(default)]
    pub curves: BTreeMap<String, Vec<(f64, f64)>>,
    /// How curved signals come back once the cause is gone: `(seconds since it went,
    /// value)` points (without one, a signal fades from its curve as `recover` says).
    #[serde(default)]
    pub recovery: BTreeMap<String, Vec<(f64, f64)>>,
    /// How many of the deployment's pods crash-loop at full strength.
    #[serde(default, deserialize_with = "limits::crashloop")]
    pub crashloop: u32,
    #[serde(default = "default_crash_reason")]
    pub crash_reason: String,
    /// A GPU that suffers, and how.
    pub gpu: Option<GpuFault>,
    /// Log lines of the fault, and how many per simulated second at full strength.
    #[serde(default, deserialize_with = "limits::log_templates")]
    pub logs: Vec<String>,
    #[serde(default, deserialize_with = "limits::log_rate")]
    pub log_rate: f64,
}

fn default_crash_reason() -> String {
    "Error".into()
}

/// What a fault does to one GPU at full strength.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuFault {
    pub host: String,
    pub index: u32,
    pub temp_c: Option<f64>,
    pub mem_used_mib: Option<f64>,
    pub util: Option<f64>,
    pub xid: Option<u32>,
}

/// How a drill is scored.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// Points lost for each world-changing action the reference response does not take.
    #[serde(default)]
    pub wrong_action_penalty: u32,
    /// Points for mitigating (every fault gone, every alert resolved) within this time.
    #[serde(default, with = "duration")]
    pub mitigate_within: SignedDuration,
    #[serde(default)]
    pub mitigate_points: u32,
    /// Points for acknowledging the first alert within `ack_within`.
    #[serde(default)]
    pub ack_points: u32,
    #[serde(default, with = "opt_duration")]
    pub ack_within: Option<SignedDuration>,
    /// The share of the maximum, in percent, that passes the drill.
    #[serde(default = "default_pass")]
    pub pass: u32,
    /// Points lost for each action a `wrong` entry marks unsafe (instead of the usual penalty).
    #[serde(default = "default_unsafe_penalty")]
    pub unsafe_penalty: u32,
    /// Known wrong remedies and what each does.
    #[serde(default)]
    pub wrong: Vec<WrongRemedy>,
}

fn default_pass() -> u32 {
    70
}

fn default_unsafe_penalty() -> u32 {
    25
}

/// A remedy that looks plausible and is not the fix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrongRemedy {
    /// A command-line prefix: `scale snapbuilder-serving`.
    pub action: String,
    /// `nothing`, `worse` or `unsafe`.
    #[serde(default)]
    pub effect: crate::drill::library::WrongEffect,
    /// What it would have done, for the scorecard.
    pub explain: String,
}

/// An action the reference response takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// A command line prefix: `rollback snapbuilder-serving`.
    pub action: String,
    #[serde(with = "duration")]
    pub within: SignedDuration,
    pub points: u32,
    /// Why the reference response takes it, for the scorecard.
    #[serde(default)]
    pub why: String,
}

/// An optional duration, written as `duration` is.
mod opt_duration {
    use jiff::SignedDuration;
    use serde::Deserializer;

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SignedDuration>, D::Error> {
        super::duration::deserialize(d).map(Some)
    }
}

/// Durations written as `90s`, `2m`, `1h 30m`.
mod duration {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        let s = String::deserialize(d)?;
        let v = s.parse::<SignedDuration>().map_err(|e| {
            serde::de::Error::custom(format!(
                "bad duration `{s}` (write e.g. 90s, 2m, 1h 30m): {e}"
            ))
        })?;
        // A drill lasts minutes; ages of revisions go back months at most.
        let max = SignedDuration::from_hours(24 * 366);
        if v.is_negative() || v > max {
            return Err(serde::de::Error::custom(format!(
                "duration `{s}` is out of range: allowed 0s to 366 days"
            )));
        }
        Ok(v)
    }
}

impl Scenario {
    /// The drill's runbook: next to the drill file, or bundled.
    pub fn runbook(
        &self,
        drill_file: Option<&Path>,
    ) -> Result<Option<crate::runbook::Runbook>, String> {
        let Some(name) = &self.drill.runbook else {
            return Ok(None);
        };
        if let Some(dir) = drill_file.and_then(Path::parent) {
            let path = dir.join(name);
            if path.exists() {
                return crate::runbook::load(&path)
                    .map(Some)
                    .map_err(|e| e.to_string());
            }
        }
        match BUILTIN_RUNBOOKS.iter().find(|(n, _)| n == name) {
            Some((n, text)) => {
                let mut rb = crate::runbook::parse(text);
                rb.path = Some(std::path::PathBuf::from(n));
                Ok(Some(rb))
            }
            None => Err(format!(
                "drill {}: runbook `{name}` not found",
                self.drill.name
            )),
        }
    }

    /// A bundled drill by name, or a drill file by path.
    pub fn load(spec: &str) -> Result<(Scenario, Option<std::path::PathBuf>), FileErrors> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == spec) {
            let path = Path::new("builtin:assets/drills").join(format!("{spec}.toml"));
            return Ok((Scenario::parse(&path, text)?, None));
        }
        let path = Path::new(spec);
        let text = std::fs::read_to_string(path).map_err(|e| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            FileError::at(
                path,
                "",
                None,
                format!(
                    "cannot read drill: {e} (bundled drills: {})",
                    names.join(", ")
                ),
            )
        })?;
        Ok((Scenario::parse(path, &text)?, Some(path.to_path_buf())))
    }

    /// Parses and checks a drill; every reference to a signal or deployment must resolve.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, FileErrors> {
        let s: Scenario = toml::from_str(text).map_err(|e| FileError::from_toml(path, text, &e))?;
        let mut errors = Vec::new();
        let signal_known = |n: &str| s.signals.iter().any(|x| x.name == n);
        let deployment_known = |n: &str| s.deployments.iter().any(|x| x.name == n);
        for a in &s.alerts {
            if !signal_known(a.signal.get_ref()) {
                errors.push(FileError::at(
                    path,
                    text,
                    Some(a.signal.span()),
                    format!(
                        "alert {} watches unknown signal `{}`",
                        a.name,
                        a.signal.get_ref()
                    ),
                ));
            }
        }
        for f in &s.faults {
            if !deployment_known(f.deployment.get_ref()) {
                errors.push(FileError::at(
                    path,
                    text,
                    Some(f.deployment.span()),
                    format!(
                        "fault {} names unknown deployment `{}`",
                        f.name,
                        f.deployment.get_ref()
                    ),
                ));
            }
            for name in f
                .signals
                .keys()
                .chain(f.curves.keys())
                .chain(f.recovery.keys())
            {
                if !signal_known(name) {
                    errors.push(FileError::at(
                        path,
                        text,
                        Some(f.deployment.span()),
                        format!("fault {} moves unknown signal `{name}`", f.name),
                    ));
                }
            }
        }
        for e in &s.events {
            if let Some(r) = &e.rollout
                && !deployment_known(r.deployment.get_ref())
            {
                errors.push(FileError::at(
                    path,
                    text,
                    Some(r.deployment.span()),
                    format!("rollout of unknown deployment `{}`", r.deployment.get_ref()),
                ));
            }
        }
        for d in &s.deployments {
            if d.revisions.is_empty() || d.nodes.is_empty() {
                errors.push(FileError::at(
                    path,
                    text,
                    None,
                    format!(
                        "deployment {} needs at least one revision and one node",
                        d.name
                    ),
                ));
            }
        }
        // Each deployment is bounded; so is the cluster, or a drill of many large
        // deployments would simulate more pods than a cockpit can follow each second.
        let pods: u64 = s.deployments.iter().map(|d| u64::from(d.replicas)).sum();
        let (_, most) = limits::DRILL_PODS;
        if pods > most {
            errors.push(FileError::at(
                path,
                text,
                None,
                format!(
                    "the deployments have {pods} replicas in all, out of range: allowed 0 to {most}"
                ),
            ));
        }
        errors.extend(crate::drill::library::check_extensions(path, text, &s));
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(FileErrors(errors))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bundled_drills_load() {
        for (name, _) in BUILTIN {
            let (s, _) = Scenario::load(name).unwrap();
            assert!(!s.signals.is_empty() && !s.alerts.is_empty() && !s.faults.is_empty());
        }
    }

    #[test]
    fn bad_references_name_the_line() {
        let text = r#"
[drill]
name = "x"
title = "x"
namespace = "ns"

[[signals]]
name = "errors"
unit = "percent"
baseline = 0.1

[[alerts]]
name = "A"
severity = "critical"
signal = "latency"
threshold = 3
summary = "s"
"#;
        let e = Scenario::parse(Path::new("d.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("d.toml:15: alert A watches unknown signal `latency`"),
            "{e}"
        );
    }

    #[test]
    fn runaway_rates_and_counts_are_refused_with_file_line_and_range() {
        let base = "[drill]\nname = \"x\"\ntitle = \"x\"\nnamespace = \"n\"\n\n[[deployments]]\nname = \"d\"\nnodes = [\"n1\"]\nrevisions = [{ image = \"i\", age = \"1h\" }]\n";
        for (line, want) in [
            (
                "replicas = 2\nlog_rate = 1e9\n",
                "d.toml:11: log_rate (lines per second) 1000000000 is out of range: allowed 0 to 10000",
            ),
            (
                "replicas = 100000\n",
                "d.toml:10: replicas 100000 is out of range: allowed 0 to 1000",
            ),
            (
                "replicas = 2\nstartup = \"900000h\"\n",
                "d.toml:11: duration `900000h` is out of range",
            ),
        ] {
            let e = Scenario::parse(Path::new("d.toml"), &format!("{base}{line}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{e}");
        }
        let ok = Scenario::parse(
            Path::new("d.toml"),
            &format!("{base}replicas = 2\nlog_rate = 50\n"),
        );
        assert!(ok.is_ok(), "{:?}", ok.err().map(|e| e.to_string()));
    }

    #[test]
    fn bad_duration_is_explained() {
        let text =
            "[drill]\nname = \"x\"\ntitle = \"x\"\nnamespace = \"n\"\n[[events]]\nat = \"soon\"\n";
        let e = Scenario::parse(Path::new("d.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.toml:6: bad duration `soon`"), "{e}");
    }
}
