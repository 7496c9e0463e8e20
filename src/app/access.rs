//! What the cockpit may not see or do, shown before it bites: 403s that watches and log
//! streams met (each said once, in the pane it empties) and the access reviews' denials,
//! which grey out the actions they forbid.

use std::collections::BTreeMap;

use crate::access::{AccessReport, Forbidden};
use crate::command::Pane;
use crate::event::Action;

/// Forbidden resources and the access reviews' answers.
#[derive(Debug, Clone, Default)]
pub struct AccessState {
    /// By resource and namespace: one entry each, however often the server said it.
    pub forbidden: BTreeMap<(String, String), Forbidden>,
    /// The access reviews at start, when the mode has a cluster that answers them.
    pub report: Option<AccessReport>,
}

impl AccessState {
    /// A 403 came: kept once per resource and namespace.
    pub fn forbidden(&mut self, f: Forbidden) {
        self.forbidden
            .insert((f.resource.clone(), f.namespace.clone()), f);
    }

    /// A forbidden resource answers again.
    pub fn allowed(&mut self, resource: &str, namespace: &str) {
        self.forbidden
            .remove(&(resource.to_string(), namespace.to_string()));
    }

    /// The lines a pane shows about what it cannot see.
    pub fn notes(&self, pane: Pane) -> Vec<String> {
        let of_pane = |r: &str| match pane {
            Pane::Pods => matches!(r, "pods" | "deployments" | "replicasets"),
            Pane::Logs => matches!(r, "pods" | "pods/log"),
            Pane::Gpus => r == "nodes",
            _ => false,
        };
        self.forbidden
            .values()
            .filter(|f| of_pane(&f.resource))
            .map(Forbidden::describe)
            .collect()
    }

    /// Why `action` cannot be taken by this identity, if it cannot: a denied access
    /// review, or a 403 already met on what it needs.
    pub fn blocked(&self, action: &Action) -> Option<String> {
        let (name, place) = match action {
            Action::DeletePod { pod, place } => (pod.as_str(), place),
            _ => action.deployment_target()?,
        };
        let (verb, resource) = match action {
            Action::DeletePod { .. } => ("delete", "pods"),
            Action::Rollback { .. } => ("update", "deployments"),
            Action::Restart { .. } => ("patch", "deployments"),
            Action::Scale { .. } => ("patch", "deployments/scale"),
            _ => return None,
        };
        let ns = place.namespace.as_str();
        let word = action.command_line();
        let word = word.split_whitespace().next().unwrap_or("");
        if let Some(r) = &self.report
            && r.denied(verb, resource, ns)
        {
            return Some(format!(
                "{word} unavailable: {} may not {verb} {resource} in {ns} (the API server's access review)",
                r.user
            ));
        }
        // Without the ReplicaSets there is no revision to roll back to.
        if matches!(action, Action::Rollback { .. })
            && let Some(f) = self
                .forbidden
                .get(&("replicasets".to_string(), ns.to_string()))
        {
            return Some(format!("rollback of {name} unavailable: {}", f.describe()));
        }
        None
    }

    /// Help's lines: what this identity may not do, and why.
    pub fn help_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .report
            .as_ref()
            .map(AccessReport::denials)
            .unwrap_or_default();
        out.extend(self.forbidden.values().map(Forbidden::describe));
        out
    }
}
