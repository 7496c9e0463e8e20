//! Which object a world-changing command acts on, exactly: a deployment is named by the
//! cockpit's context, its namespace and its name, and a name two namespaces hold is asked
//! about, never settled by taking the first.

use crate::command::Command;
use crate::event::{Action, Level, Place};

use super::state::WorkloadKey;
use super::{App, Overlay};

impl App {
    /// Where `key` is, with the cluster this cockpit acts on.
    pub(crate) fn place_of(&self, key: &WorkloadKey) -> Place {
        Place::new(self.caps.context.clone(), key.namespace.clone())
    }

    /// The deployment an action names, as the pods pane keys it; an action for another
    /// cluster than this cockpit's is refused with both names.
    pub(crate) fn key_of(&self, action: &Action) -> Option<Result<WorkloadKey, String>> {
        let (name, place) = action.deployment_target()?;
        if !place.context.is_empty() && place.context != self.caps.context {
            return Some(Err(format!(
                "{} is not in this cockpit's context {}",
                place.object("deployment", name),
                self.caps.context
            )));
        }
        Some(Ok(WorkloadKey::new(place.namespace.clone(), name)))
    }

    /// The deployment a command without one acts on: the selected alert's (with the alerts
    /// pane focused; several: the operator names one), else the one selected in the pods pane.
    fn default_deployment(&self) -> Result<WorkloadKey, String> {
        if let Some(keys) = self.alert_workloads() {
            let deployments: Vec<&WorkloadKey> = keys
                .iter()
                .filter(|k| self.pods.deployment(k).is_some())
                .collect();
            return match deployments.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(match self.alerts.selected() {
                    Some(a) => format!(
                        "no deployment for this alert: labels {}",
                        a.status
                            .labels
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => "select an alert or a deployment first".into(),
                }),
                many => Err(format!(
                    "this alert is about {} deployments: name one ({})",
                    many.len(),
                    many.iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
        }
        match self.pods.selected_workload() {
            Some(k) if self.pods.deployment(k).is_some() => Ok(k.clone()),
            _ => Err("select a deployment in the pods pane first (or name it: `ns/name`)".into()),
        }
    }

    /// `rollback`, `restart` and `scale`: the named deployment, resolved exactly, or the
    /// default one; the action then names context, namespace and name.
    pub(super) fn deployment_command(&mut self, cmd: Command) {
        let named = match &cmd {
            Command::Rollback { deployment, .. } | Command::Restart { deployment } => {
                deployment.clone()
            }
            Command::Scale { deployment, .. } => Some(deployment.clone()),
            _ => return,
        };
        let key = match named {
            Some(text) => self.pods.resolve_deployment(&text),
            None => self.default_deployment(),
        };
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                // An empty list because deployments are forbidden is not "no such deployment".
                let why = self
                    .access
                    .forbidden
                    .values()
                    .find(|f| f.resource == "deployments")
                    .map_or(e, |f| {
                        format!("{} unavailable: {}", cmd.name(), f.describe())
                    });
                self.flash(Level::Warn, why);
                return;
            }
        };
        let place = self.place_of(&key);
        let deployment = key.name.clone();
        let dialog = matches!(
            cmd,
            Command::Rollback {
                revision: None,
                deployment: None
            }
        );
        let action = match cmd {
            Command::Rollback { revision, .. } => Action::Rollback {
                deployment,
                revision,
                place,
            },
            Command::Restart { .. } => Action::Restart { deployment, place },
            Command::Scale { replicas, .. } => Action::Scale {
                deployment,
                replicas,
                place,
            },
            _ => return,
        };
        // Greyed out: say why before the operator tries, not after the API server refuses.
        if let Some(why) = self.access.blocked(&action) {
            self.flash(Level::Warn, why);
            return;
        }
        if dialog {
            self.overlay = Some(Overlay::RollbackDialog {
                deployment: key,
                selected: 0,
            });
            return;
        }
        self.confirm(action);
    }
}
