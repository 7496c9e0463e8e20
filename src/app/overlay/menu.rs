//! The kill-switch menu, the rollback dialog and the target pick list: pick an entry, then
//! confirm.

use crate::command::overlay::OverlayAction;
use crate::event::Action;

use super::{App, Overlay};
use crate::app::state::WorkloadKey;

impl App {
    pub(super) fn kill_switch_menu_key(
        &mut self,
        bound: Option<OverlayAction>,
        selected: usize,
    ) -> Option<Overlay> {
        let len = self.kill_switches.len();
        let selected = match bound {
            Some(OverlayAction::Close) => return None,
            Some(OverlayAction::Down) => (selected + 1).min(len.saturating_sub(1)),
            Some(OverlayAction::Up) => selected.saturating_sub(1),
            Some(OverlayAction::Pick) => {
                if let Some(ks) = self.kill_switches.get(selected) {
                    let action = Action::KillSwitch {
                        name: ks.name.clone(),
                        on: !ks.on.unwrap_or(false),
                    };
                    self.confirm(action);
                }
                // The confirmation, if any, is the overlay now.
                return self.overlay.take();
            }
            _ => selected,
        };
        Some(Overlay::KillSwitchMenu { selected })
    }

    pub(super) fn rollback_dialog_key(
        &mut self,
        bound: Option<OverlayAction>,
        deployment: WorkloadKey,
        selected: usize,
    ) -> Option<Overlay> {
        let targets = self.rollback_targets(&deployment);
        let selected = match bound {
            Some(OverlayAction::Close) => return None,
            Some(OverlayAction::Down) => (selected + 1).min(targets.len().saturating_sub(1)),
            Some(OverlayAction::Up) => selected.saturating_sub(1),
            Some(OverlayAction::Pick) => {
                let rev = targets.get(selected)?;
                let action = Action::Rollback {
                    deployment: deployment.name.clone(),
                    revision: Some(*rev),
                    place: self.place_of(&deployment),
                };
                self.confirm(action);
                return self.overlay.take();
            }
            _ => selected,
        };
        Some(Overlay::RollbackDialog {
            deployment,
            selected,
        })
    }

    /// The target pick list: the chosen deployment goes on to the command's own dialog or
    /// confirmation, exactly as if it had been named.
    pub(super) fn target_pick_key(
        &mut self,
        bound: Option<OverlayAction>,
        command: crate::command::Command,
        targets: Vec<WorkloadKey>,
        selected: usize,
        title: String,
    ) -> Option<Overlay> {
        let selected = match bound {
            Some(OverlayAction::Close) => return None,
            Some(OverlayAction::Down) => (selected + 1).min(targets.len().saturating_sub(1)),
            Some(OverlayAction::Up) => selected.saturating_sub(1),
            Some(OverlayAction::Pick) => {
                let key = targets.get(selected)?.clone();
                self.deployment_action(command, key);
                return self.overlay.take();
            }
            _ => selected,
        };
        Some(Overlay::TargetPick {
            command,
            targets,
            selected,
            title,
        })
    }

    /// Revisions a deployment can roll back to, newest first (the current one excluded).
    pub fn rollback_targets(&self, deployment: &WorkloadKey) -> Vec<u64> {
        self.pods
            .deployment(deployment)
            .map(|d| {
                d.history
                    .iter()
                    .filter(|h| h.revision != d.revision)
                    .map(|h| h.revision)
                    .collect()
            })
            .unwrap_or_default()
    }
}
