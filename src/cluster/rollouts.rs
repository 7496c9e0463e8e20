//! Argo Rollouts (`argoproj.io/v1alpha1`, kind `Rollout`) as the cockpit reads them: the
//! canary steps, the step it is at, the weight the canary gets, the stable and canary pod
//! hashes; and the patches that abort, promote or zero a canary, exactly as
//! `kubectl argo rollouts abort` and `promote` send them.
//!
//! "Set the canary weight to 0" is an abort: it is the one change the Argo controller
//! answers by sending 100% of the traffic to the stable ReplicaSet and scaling the canary
//! down, without touching the Rollout's spec. Rewriting `spec.strategy.canary.steps` to a
//! `setWeight: 0` step would edit what the team deploys from (and fight GitOps).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The API group, version, kind and plural of a Rollout.
pub const GROUP: &str = "argoproj.io";
pub const VERSION: &str = "v1alpha1";
pub const KIND: &str = "Rollout";
pub const PLURAL: &str = "rollouts";

/// One step of `spec.strategy.canary.steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// `setWeight: N`: the canary gets N% of the traffic.
    SetWeight(u32),
    /// `pause: {duration: D}`, or `pause: {}` (until promoted) when `None`.
    Pause(Option<String>),
    /// Any other step (`analysis`, `experiment`, `setCanaryScale`...), by its key.
    Other(String),
}

impl Step {
    /// `setWeight 20`, `pause 1h`, `pause (until promoted)`, `analysis`.
    pub fn text(&self) -> String {
        match self {
            Step::SetWeight(w) => format!("setWeight {w}"),
            Step::Pause(Some(d)) => format!("pause {d}"),
            Step::Pause(None) => "pause (until promoted)".into(),
            Step::Other(k) => k.clone(),
        }
    }
}

/// A Rollout as the pods pane shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RolloutStatus {
    pub namespace: String,
    pub name: String,
    /// `canary` or `blueGreen`.
    pub strategy: String,
    pub steps: Vec<Step>,
    /// `status.currentStepIndex`: the step being carried out (the step count once done).
    pub current_step: Option<u32>,
    /// The weight the canary gets now, in percent.
    pub canary_weight: u32,
    /// `status.stableRS`: the pod template hash of the stable ReplicaSet.
    pub stable_hash: String,
    /// `status.currentPodHash`: the hash of the newest ReplicaSet (the canary while it runs).
    pub canary_hash: String,
    /// `status.phase`: Healthy, Progressing, Paused, Degraded.
    pub phase: String,
    pub message: String,
    /// `spec.paused`.
    pub spec_paused: bool,
    /// `status.pauseConditions[].reason` (`CanaryPauseStep`...).
    pub pause_reasons: Vec<String>,
    /// `status.abort`.
    pub aborted: bool,
    pub replicas: u32,
    pub ready: u32,
    /// Image of the first container of the current template.
    pub image: String,
    /// Its pod template's labels with its own over them, as a deployment's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

fn count(v: &Value) -> u32 {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn labels(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn step_of(v: &Value) -> Step {
    if let Some(w) = v.get("setWeight") {
        return Step::SetWeight(count(w));
    }
    if let Some(p) = v.get("pause") {
        // A duration is a string (`1h`) or a number of seconds.
        let d = &p["duration"];
        let d = d
            .as_str()
            .map(str::to_string)
            .or_else(|| d.as_u64().map(|s| format!("{s}s")));
        return Step::Pause(d);
    }
    let key = v
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .unwrap_or_else(|| "step".into());
    Step::Other(key)
}

impl RolloutStatus {
    /// Reads a Rollout object as the API server sends it; `None` when it has no name.
    pub fn from_json(o: &Value) -> Option<RolloutStatus> {
        let meta = &o["metadata"];
        let name = meta["name"].as_str()?.to_string();
        let spec = &o["spec"];
        let status = &o["status"];
        let strategy = if spec["strategy"]["blueGreen"].is_object() {
            "blueGreen"
        } else {
            "canary"
        };
        let steps: Vec<Step> = spec["strategy"]["canary"]["steps"]
            .as_array()
            .map(|s| s.iter().map(step_of).collect())
            .unwrap_or_default();
        let mut labels_all = labels(&spec["template"]["metadata"]["labels"]);
        labels_all.extend(labels(&meta["labels"]));
        let mut r = RolloutStatus {
            namespace: text(&meta["namespace"]),
            name,
            strategy: strategy.into(),
            steps,
            current_step: status["currentStepIndex"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok()),
            canary_weight: 0,
            stable_hash: text(&status["stableRS"]),
            canary_hash: text(&status["currentPodHash"]),
            phase: text(&status["phase"]),
            message: text(&status["message"]),
            spec_paused: spec["paused"].as_bool().unwrap_or(false),
            pause_reasons: status["pauseConditions"]
                .as_array()
                .map(|c| c.iter().map(|c| text(&c["reason"])).collect())
                .unwrap_or_default(),
            aborted: status["abort"].as_bool().unwrap_or(false),
            // The API defaults an unset replicas to 1.
            replicas: spec["replicas"]
                .as_u64()
                .map_or(1, |_| count(&spec["replicas"])),
            ready: count(&status["readyReplicas"]),
            image: text(&spec["template"]["spec"]["containers"][0]["image"]),
            labels: labels_all,
        };
        // With traffic routing the controller reports the weight it set; without, it is the
        // step's, as the controller computes it.
        let routed = &status["canary"]["weights"]["canary"]["weight"];
        r.canary_weight = match routed.as_u64() {
            Some(w) => u32::try_from(w).unwrap_or(100),
            None => r.set_weight(),
        };
        Some(r)
    }

    /// The weight the steps set now, as the Argo controller computes it: 0 once aborted, 100
    /// past the last step (or without steps), else the last `setWeight` at or before the
    /// current step.
    pub fn set_weight(&self) -> u32 {
        if self.aborted {
            return 0;
        }
        let at = self.current_step.unwrap_or(0) as usize;
        if at >= self.steps.len() {
            return 100;
        }
        self.steps[..=at]
            .iter()
            .rev()
            .find_map(|s| match s {
                Step::SetWeight(w) => Some(*w),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Whether it stands still: paused by its spec or by a pause step.
    pub fn paused(&self) -> bool {
        self.spec_paused || !self.pause_reasons.is_empty()
    }

    /// Whether a canary is running: the newest ReplicaSet is not the stable one.
    pub fn canary_running(&self) -> bool {
        !self.canary_hash.is_empty() && self.canary_hash != self.stable_hash
    }

    /// `canary 20% · step 3/8 · stable 7d9c / canary 5f6b`, with `paused` or `aborted`.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("canary {}%", self.canary_weight)];
        if !self.steps.is_empty() {
            let at = self.current_step.unwrap_or(0);
            parts.push(format!("step {at}/{}", self.steps.len()));
        }
        let stable = if self.stable_hash.is_empty() {
            "?"
        } else {
            &self.stable_hash
        };
        if self.canary_running() {
            parts.push(format!("stable {stable} / canary {}", self.canary_hash));
        } else {
            parts.push(format!("stable {stable}"));
        }
        if self.aborted {
            parts.push("aborted".into());
        } else if self.paused() {
            parts.push("paused".into());
        }
        parts.join(" · ")
    }

    /// The describe view's lines: strategy, phase, revisions, and the steps with the current
    /// one marked.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![
            format!("Rollout {}/{}", self.namespace, self.name),
            format!(
                "  Strategy: {}   Phase: {}{}",
                self.strategy,
                if self.phase.is_empty() {
                    "(no status)"
                } else {
                    &self.phase
                },
                if self.message.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", self.message)
                }
            ),
            format!(
                "  Ready: {}/{}   Image: {}",
                self.ready, self.replicas, self.image
            ),
            format!(
                "  Stable: {}   Canary: {}   Weight: {}%",
                or_none(&self.stable_hash),
                or_none(&self.canary_hash),
                self.canary_weight
            ),
        ];
        if self.aborted {
            lines.push("  Aborted: 100% of the traffic goes to stable".into());
        }
        if self.paused() {
            let mut why = self.pause_reasons.clone();
            if self.spec_paused {
                why.push("spec.paused".into());
            }
            lines.push(format!("  Paused: {}", why.join(", ")));
        }
        if !self.steps.is_empty() {
            lines.push("  Steps:".into());
            let at = self.current_step.map(|s| s as usize);
            for (i, s) in self.steps.iter().enumerate() {
                let mark = match at {
                    Some(c) if c == i => "▶",
                    Some(c) if c > i => "✓",
                    _ => " ",
                };
                lines.push(format!("    {mark} {}. {}", i + 1, s.text()));
            }
        }
        lines
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// A change to a Rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutOp {
    /// `kubectl argo rollouts abort`: back to stable, the canary scaled down.
    Abort,
    /// `kubectl argo rollouts promote`: unpause, or go on to the next step.
    Promote,
    /// The canary's weight to 0: the abort patch (see the module's documentation).
    CanaryZero,
}

impl RolloutOp {
    /// The command's name.
    pub fn command(self) -> &'static str {
        match self {
            RolloutOp::Abort => "rollout-abort",
            RolloutOp::Promote => "rollout-promote",
            RolloutOp::CanaryZero => "canary-zero",
        }
    }
}

/// One merge patch to send: on the `status` subresource, or on the Rollout itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutPatch {
    pub status: bool,
    pub body: Value,
}

/// The merge patches `op` sends for `r`, in order, as the kubectl plugin sends them: status
/// first, then spec.
pub fn patches(op: RolloutOp, r: &RolloutStatus) -> Vec<RolloutPatch> {
    match op {
        RolloutOp::Abort | RolloutOp::CanaryZero => vec![RolloutPatch {
            status: true,
            body: json!({"status": {"abort": true}}),
        }],
        RolloutOp::Promote => {
            let mut out = Vec::new();
            if !r.pause_reasons.is_empty() {
                out.push(RolloutPatch {
                    status: true,
                    body: json!({"status": {"pauseConditions": null}}),
                });
            } else if r.strategy == "canary" && !r.steps.is_empty() {
                // Not paused by a step: promoting moves on to the next step.
                let len = u32::try_from(r.steps.len()).unwrap_or(u32::MAX);
                let next = (r.current_step.unwrap_or(0) + 1).min(len);
                out.push(RolloutPatch {
                    status: true,
                    body: json!({"status": {"pauseConditions": null, "currentStepIndex": next}}),
                });
            }
            if r.spec_paused {
                out.push(RolloutPatch {
                    status: false,
                    body: json!({"spec": {"paused": false}}),
                });
            }
            out
        }
    }
}

/// What `op` will do to `r`, for the confirmation.
pub fn effect(op: RolloutOp, r: &RolloutStatus) -> Vec<String> {
    let mut lines = match op {
        RolloutOp::Abort => vec![
            format!(
                "Abort: the canary {} is scaled down and 100% of the traffic goes to stable {}.",
                or_none(&r.canary_hash),
                or_none(&r.stable_hash)
            ),
            "  spec.template keeps the new version: leaving the aborted state retries it.".into(),
        ],
        RolloutOp::CanaryZero => vec![
            format!(
                "Canary weight {}% → 0%: done as an abort, which routes 100% to stable {}.",
                r.canary_weight,
                or_none(&r.stable_hash)
            ),
            "  The Rollout's steps are not edited; spec.template keeps the new version.".into(),
        ],
        RolloutOp::Promote => {
            let len = r.steps.len();
            let at = r.current_step.unwrap_or(0) as usize;
            let mut v = Vec::new();
            if r.paused() {
                v.push("Promote: the pause ends and the rollout goes on.".to_string());
            } else {
                v.push(format!(
                    "Promote: from step {at}/{len} to step {}/{len}.",
                    (at + 1).min(len)
                ));
            }
            if let Some(next) = r.steps.get(at + 1) {
                v.push(format!("  Next step: {}", next.text()));
            }
            v
        }
    };
    for p in patches(op, r) {
        let on = if p.status { "/status" } else { "" };
        lines.push(format!("  PATCH rollouts/{}{on} {}", r.name, p.body));
    }
    lines
}

/// Whether `op` shows in `r`, for "did it work?".
pub fn settled(op: RolloutOp, r: &RolloutStatus, step_before: Option<u32>) -> Option<String> {
    match op {
        RolloutOp::Abort | RolloutOp::CanaryZero => (r.aborted && r.canary_weight == 0)
            .then(|| format!("rollout {} aborted, canary at 0%", r.name)),
        RolloutOp::Promote => (!r.paused() && r.current_step != step_before).then(|| {
            format!(
                "rollout {} at step {}/{}",
                r.name,
                r.current_step.unwrap_or(0),
                r.steps.len()
            )
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A canary paused at its second step, with traffic routing, as the controller leaves it.
    fn paused_canary() -> Value {
        json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "checkout", "namespace": "shop", "labels": {"team": "pay"}},
            "spec": {
                "replicas": 5,
                "selector": {"matchLabels": {"app": "checkout"}},
                "template": {"metadata": {"labels": {"app": "checkout"}},
                    "spec": {"containers": [{"name": "app", "image": "registry.local/checkout:2.1.0"}]}},
                "strategy": {"canary": {
                    "canaryService": "checkout-canary", "stableService": "checkout-stable",
                    "trafficRouting": {"nginx": {"stableIngress": "checkout"}},
                    "steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 40},
                        {"pause": {"duration": "10m"}}, {"analysis": {"templates": [{"templateName": "success-rate"}]}},
                        {"setWeight": 80}, {"pause": {"duration": 60}}, {"setWeight": 100}]}}
            },
            "status": {
                "phase": "Paused", "message": "CanaryPauseStep",
                "currentStepIndex": 1, "currentPodHash": "5f6b8c9d7", "stableRS": "7d9c4b6f8",
                "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-12-01T21:40:00Z"}],
                "replicas": 6, "readyReplicas": 6, "updatedReplicas": 1, "availableReplicas": 6,
                "canary": {"weights": {
                    "canary": {"podTemplateHash": "5f6b8c9d7", "serviceName": "checkout-canary", "weight": 20},
                    "stable": {"podTemplateHash": "7d9c4b6f8", "serviceName": "checkout-stable", "weight": 80}}}
            }
        })
    }

    #[test]
    fn a_paused_canary_reads_as_the_controller_reports_it() {
        let r = RolloutStatus::from_json(&paused_canary()).unwrap();
        assert_eq!(
            (r.namespace.as_str(), r.name.as_str()),
            ("shop", "checkout")
        );
        assert_eq!(r.steps.len(), 8);
        assert_eq!(r.steps[1], Step::Pause(None));
        assert_eq!(r.steps[3], Step::Pause(Some("10m".into())));
        assert_eq!(r.steps[4], Step::Other("analysis".into()));
        assert_eq!(r.steps[6], Step::Pause(Some("60s".into())));
        assert_eq!(r.canary_weight, 20);
        assert!(r.paused() && !r.aborted && r.canary_running());
        assert_eq!(r.labels.get("app").map(String::as_str), Some("checkout"));
        assert_eq!(r.labels.get("team").map(String::as_str), Some("pay"));
        assert_eq!(
            r.summary(),
            "canary 20% · step 1/8 · stable 7d9c4b6f8 / canary 5f6b8c9d7 · paused"
        );
        let d = r.describe().join("\n");
        assert!(
            d.contains("✓ 1. setWeight 20") && d.contains("▶ 2. pause (until promoted)"),
            "{d}"
        );
    }

    #[test]
    fn a_rollout_observation_survives_a_recording() {
        let r = RolloutStatus::from_json(&paused_canary()).unwrap();
        let obs = crate::event::Observation::Rollout(r);
        let text = serde_json::to_string(&obs).unwrap();
        let back: crate::event::Observation = serde_json::from_str(&text).unwrap();
        assert_eq!(back, obs);
    }

    #[test]
    fn without_traffic_routing_the_weight_is_the_steps() {
        let mut o = paused_canary();
        o["status"]["canary"] = json!({});
        o["status"]["currentStepIndex"] = json!(4);
        o["status"]["pauseConditions"] = Value::Null;
        let r = RolloutStatus::from_json(&o).unwrap();
        assert_eq!(
            r.canary_weight, 40,
            "the last setWeight before the analysis step"
        );
        o["status"]["currentStepIndex"] = json!(8);
        assert_eq!(RolloutStatus::from_json(&o).unwrap().canary_weight, 100);
        o["status"]["abort"] = json!(true);
        assert_eq!(RolloutStatus::from_json(&o).unwrap().canary_weight, 0);
        // A Rollout the controller has not seen yet (the recorded sample has no status).
        let bare = json!({"metadata": {"name": "snapbuilder-canary", "namespace": "snapbuilder"},
            "spec": {"replicas": 3, "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}]}}}});
        let r = RolloutStatus::from_json(&bare).unwrap();
        assert_eq!(r.current_step, None);
        assert_eq!(r.summary(), "canary 20% · step 0/3 · stable ?");
    }

    #[test]
    fn abort_and_canary_zero_patch_the_status_subresource() {
        let r = RolloutStatus::from_json(&paused_canary()).unwrap();
        for op in [RolloutOp::Abort, RolloutOp::CanaryZero] {
            assert_eq!(
                patches(op, &r),
                [RolloutPatch {
                    status: true,
                    body: json!({"status": {"abort": true}})
                }]
            );
        }
        assert!(effect(RolloutOp::CanaryZero, &r)[0].contains("20% → 0%"));
    }

    #[test]
    fn promote_patches_as_the_kubectl_plugin_does() {
        let mut r = RolloutStatus::from_json(&paused_canary()).unwrap();
        // Paused by a step: only the pause conditions go.
        assert_eq!(
            patches(RolloutOp::Promote, &r),
            [RolloutPatch {
                status: true,
                body: json!({"status": {"pauseConditions": null}})
            }]
        );
        // Not paused by a step (analysis running): on to the next step.
        r.pause_reasons.clear();
        r.current_step = Some(4);
        assert_eq!(
            patches(RolloutOp::Promote, &r)[0].body,
            json!({"status": {"pauseConditions": null, "currentStepIndex": 5}})
        );
        // Paused by its spec as well: the spec is patched after the status.
        r.spec_paused = true;
        let p = patches(RolloutOp::Promote, &r);
        assert_eq!(p.len(), 2);
        assert!(!p[1].status && p[1].body == json!({"spec": {"paused": false}}));
        // Past the last step the index stays at the step count.
        r.current_step = Some(8);
        assert_eq!(
            patches(RolloutOp::Promote, &r)[0].body["status"]["currentStepIndex"],
            json!(8)
        );
    }

    #[test]
    fn settled_means_what_each_op_promises() {
        let mut r = RolloutStatus::from_json(&paused_canary()).unwrap();
        assert!(settled(RolloutOp::Abort, &r, Some(1)).is_none());
        r.aborted = true;
        r.canary_weight = 0;
        assert!(settled(RolloutOp::CanaryZero, &r, Some(1)).is_some());
        let mut r = RolloutStatus::from_json(&paused_canary()).unwrap();
        assert!(settled(RolloutOp::Promote, &r, Some(1)).is_none());
        r.pause_reasons.clear();
        r.current_step = Some(2);
        assert_eq!(
            settled(RolloutOp::Promote, &r, Some(1)).as_deref(),
            Some("rollout checkout at step 2/8")
        );
    }
}
