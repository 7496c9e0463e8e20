//! The Argo Rollout actions from the pods pane: which Rollout a command means, what the
//! confirmation says it will do, and when "did it work?" sees it done.

use super::super::App;
use crate::cluster::ClusterAction;
use crate::cluster::rollouts::{RolloutOp, RolloutStatus, effect, settled};
use crate::event::{Action, Level};

impl App {
    /// The Rollout `name` names (one namespace must hold it), else the selected workload's.
    fn rollout_target(&mut self, name: Option<String>) -> Option<RolloutStatus> {
        let rollouts: Vec<&RolloutStatus> = self
            .pods
            .workloads
            .values()
            .filter_map(|w| w.rollout.as_ref())
            .collect();
        let found = match &name {
            Some(n) => {
                let (ns, n) = n
                    .split_once('/')
                    .map_or((None, n.as_str()), |(a, b)| (Some(a), b));
                let hits: Vec<&&RolloutStatus> = rollouts
                    .iter()
                    .filter(|r| r.name == n && ns.is_none_or(|ns| r.namespace == ns))
                    .collect();
                match hits.as_slice() {
                    [one] => Ok((**one).clone()),
                    [] => Err(if rollouts.is_empty() {
                        "no Argo Rollouts are watched (the cluster serves none, or none yet)"
                            .to_string()
                    } else {
                        let known: Vec<&str> = rollouts.iter().map(|r| r.name.as_str()).collect();
                        format!("no rollout {n}; known: {}", known.join(", "))
                    }),
                    many => Err(format!(
                        "rollout {n} is in {}: say which, as namespace/{n}",
                        many.iter()
                            .map(|r| r.namespace.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    )),
                }
            }
            None => self
                .pods
                .selected_workload()
                .and_then(|k| self.pods.workloads.get(k))
                .and_then(|w| w.rollout.clone())
                .ok_or_else(|| "select a Rollout's row in the pods pane first".to_string()),
        };
        match found {
            Ok(r) => Some(r),
            Err(why) => {
                self.flash(Level::Warn, why);
                None
            }
        }
    }

    /// `rollout-abort`, `rollout-promote`, `canary-zero`: to the confirmation.
    pub(in crate::app) fn rollout_command(&mut self, op: RolloutOp, name: Option<String>) {
        let Some(r) = self.rollout_target(name) else {
            return;
        };
        let nothing = match op {
            RolloutOp::Abort | RolloutOp::CanaryZero => r.aborted.then_some("aborted already"),
            RolloutOp::Promote => crate::cluster::rollouts::patches(op, &r)
                .is_empty()
                .then_some("neither paused nor stepping: nothing to promote"),
        };
        if let Some(why) = nothing {
            self.flash(Level::Warn, format!("rollout {}: {why}", r.name));
            return;
        }
        self.confirm(Action::Cluster(ClusterAction::Rollout {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            change: op,
            step_before: r.current_step,
        }));
    }

    fn rollout_of(&self, namespace: &str, name: &str) -> Option<&RolloutStatus> {
        self.pods
            .workloads
            .values()
            .filter_map(|w| w.rollout.as_ref())
            .find(|r| r.namespace == namespace && r.name == name)
    }

    /// The confirmation's lines for a Rollout action; `ctx` is ` in context C` or empty.
    pub(super) fn describe_rollout_action(&self, a: &ClusterAction, ctx: &str) -> Vec<String> {
        let ClusterAction::Rollout {
            namespace,
            name,
            change: op,
            ..
        } = a
        else {
            return Vec::new();
        };
        let verb = match op {
            RolloutOp::Abort => "Abort",
            RolloutOp::Promote => "Promote",
            RolloutOp::CanaryZero => "Canary to 0% on",
        };
        let mut lines = vec![format!("{verb} Rollout {namespace}/{name}{ctx}")];
        match self.rollout_of(namespace, name) {
            Some(r) => {
                lines.push(format!(
                    "  now: {}",
                    crate::text::sanitize::sanitize_line(&r.summary())
                ));
                lines.extend(effect(*op, r));
            }
            None => lines.push("  (the Rollout is no longer watched)".into()),
        }
        lines
    }

    /// Whether a Rollout action shows in the watched Rollout, for "did it work?".
    pub(super) fn rollout_settled(&self, a: &ClusterAction) -> Option<String> {
        let ClusterAction::Rollout {
            namespace,
            name,
            change: op,
            step_before,
        } = a
        else {
            return None;
        };
        settled(*op, self.rollout_of(namespace, name)?, *step_before)
    }
}
