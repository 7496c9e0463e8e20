//! What the operator asks to change, exactly where, and what came of it.

use serde::{Deserialize, Serialize};

/// A world-changing action, as confirmed by the operator and sent to an executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Roll a deployment back to a revision (the previous one when `None`).
    Rollback {
        deployment: String,
        revision: Option<u64>,
        /// Exactly where the deployment is: the executor acts there or refuses.
        #[serde(default)]
        place: Place,
    },
    /// Replace every pod of a deployment, as `kubectl rollout restart` does.
    Restart {
        deployment: String,
        #[serde(default)]
        place: Place,
    },
    /// Set a deployment's replicas.
    Scale {
        deployment: String,
        replicas: u32,
        #[serde(default)]
        place: Place,
    },
    /// Turn a kill switch on or off.
    KillSwitch { name: String, on: bool },
    /// Run a runbook command in a shell on the operator's machine (echoed, never run, in drills).
    Shell { command: String },
    /// Silence an alert in Alertmanager: equality matchers on its labels, for `minutes`.
    Silence {
        alert: String,
        matchers: Vec<(String, String)>,
        minutes: u64,
        comment: String,
    },
    /// End a silence early.
    ExpireSilence { id: String },
    /// Delete one pod, as `kubectl delete pod` does: its owner (a ReplicaSet, a Job...)
    /// makes a replacement; a bare pod is gone for good. Only the pod of the UID seen when
    /// it was confirmed is deleted, never a newer pod of the same name.
    DeletePod {
        pod: String,
        #[serde(default)]
        place: Place,
    },
    /// Cordon, uncordon or drain a node; raise an autoscaler's minimum.
    Cluster(crate::cluster::ClusterAction),
}

impl Action {
    /// The command line that asks for this action.
    pub fn command_line(&self) -> String {
        match self {
            Action::Rollback {
                deployment,
                revision: Some(r),
                ..
            } => format!("rollback {deployment} {r}"),
            Action::Rollback {
                deployment,
                revision: None,
                ..
            } => format!("rollback {deployment}"),
            Action::Restart { deployment, .. } => format!("restart {deployment}"),
            Action::Scale {
                deployment,
                replicas,
                ..
            } => format!("scale {deployment} {replicas}"),
            Action::KillSwitch { name, on } => {
                format!("kill-switch {name} {}", if *on { "on" } else { "off" })
            }
            Action::Shell { command } => format!("run {command}"),
            Action::Silence {
                alert,
                minutes,
                comment,
                ..
            } => format!("silence {alert} {minutes}m {comment}")
                .trim_end()
                .to_string(),
            Action::ExpireSilence { id } => format!("expire-silence {id}"),
            Action::DeletePod { pod, .. } => format!("delete-pod {pod}"),
            Action::Cluster(c) => c.command_line(),
        }
    }

    /// The deployment a rollback, restart or scale acts on, and exactly where it is.
    pub fn deployment_target(&self) -> Option<(&str, &Place)> {
        match self {
            Action::Rollback {
                deployment, place, ..
            }
            | Action::Restart { deployment, place }
            | Action::Scale {
                deployment, place, ..
            } => Some((deployment, place)),
            _ => None,
        }
    }

    /// The object acted on with all that identifies it, for confirmations and the journal:
    /// `deployment snapbuilder/snapbuilder-serving in context prod`.
    pub fn target_text(&self) -> Option<String> {
        if let Action::DeletePod { pod, place } = self {
            return Some(place.object("pod", pod));
        }
        let (name, place) = self.deployment_target()?;
        Some(place.object("deployment", name))
    }
}

/// Where a namespaced object lives: the cluster (kubeconfig context) and the namespace.
/// With the name, this is all that identifies it: two namespaces may hold the same name.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    /// The kubeconfig context (`sandbox` for the simulated cluster); empty when unknown,
    /// as in recordings made before actions carried it.
    #[serde(default)]
    pub context: String,
    /// The namespace; empty when unknown.
    #[serde(default)]
    pub namespace: String,
}

impl Place {
    /// A place in `context`, namespace `namespace`.
    pub fn new(context: impl Into<String>, namespace: impl Into<String>) -> Place {
        Place {
            context: context.into(),
            namespace: namespace.into(),
        }
    }

    /// `kind namespace/name in context ctx`, with whatever of the place is known.
    pub fn object(&self, kind: &str, name: &str) -> String {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", self.namespace)
        };
        let ctx = if self.context.is_empty() {
            String::new()
        } else {
            format!(" in context {}", self.context)
        };
        format!("{kind} {ns}{name}{ctx}")
    }
}

/// What an executor says about an action it carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    pub action: Action,
    pub outcome: ActionOutcome,
    /// What happened, for the timeline: `snapbuilder-serving rolled back from revision 3 to 2`.
    pub detail: String,
    /// For a rollback: the revision rolled back from, and the one whose template came back.
    pub revisions: Option<(u64, u64)>,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionOutcome {
    Ok,
    Refused,
    Failed,
    DryRun,
}
