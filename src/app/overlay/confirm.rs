//! The confirmation of a world-changing action: what will change, the executor's dry run,
//! and, at the most severe incidents, the name typed before it goes.

use crossterm::event::KeyEvent;

use crate::command::overlay::OverlayAction;
use crate::event::{Action, Level};

use super::{App, Overlay, typed_char};
use crate::app::Effect;

impl App {
    pub(super) fn confirm_key(
        &mut self,
        key: KeyEvent,
        bound: Option<OverlayAction>,
        action: Action,
        lines: Vec<String>,
        typed_required: Option<String>,
        mut typed: String,
    ) -> Option<Overlay> {
        match (&typed_required, typed_char(&key), bound) {
            // A name to type: characters type it, whatever they are bound to.
            (Some(_), Some(c), _) => typed.push(c),
            (Some(_), None, Some(OverlayAction::Delete)) => {
                typed.pop();
            }
            (Some(name), None, Some(OverlayAction::Yes)) if *name == typed => {
                self.emit(Effect::Execute(action));
                return None;
            }
            (None, _, Some(OverlayAction::Yes)) => {
                self.flash(Level::Unknown, format!("{} …", action.command_line()));
                self.emit(Effect::Execute(action));
                return None;
            }
            (_, _, Some(OverlayAction::No)) => {
                self.cancelled(&action);
                return None;
            }
            _ => {}
        }
        Some(Overlay::Confirm {
            action,
            lines,
            typed_required,
            typed,
        })
    }

    fn cancelled(&mut self, action: &Action) {
        self.flash(
            Level::Unknown,
            format!("cancelled: {}", action.command_line()),
        );
    }

    /// Opens the confirmation for an action, with exactly what it will change.
    pub(crate) fn confirm(&mut self, action: Action) {
        let lines = match self.describe(&action) {
            Ok(lines) => lines,
            Err(e) => {
                self.flash(Level::Crit, e);
                return;
            }
        };
        let typed_at = self
            .config
            .kubernetes
            .as_ref()
            .map_or(2, |k| k.typed_confirm_severity);
        // What must be typed to confirm: the object's name, for the actions that can hurt.
        let drained = match &action {
            Action::Cluster(crate::cluster::ClusterAction::Drain { node }) => Some(node.as_str()),
            Action::DeletePod { pod, .. } => Some(pod.as_str()),
            _ => None,
        };
        let typed_required = match (
            action.deployment_target().map(|(d, _)| d).or(drained),
            &self.incident,
        ) {
            (Some(name), Some(inc)) if inc.severity <= typed_at => Some(name.to_string()),
            _ => None,
        };
        let mut lines = lines;
        // The mode's executor answers the dry run: the API server live, the sandbox in drills.
        if let Some(pending) = &self.caps.preview_pending {
            lines.push(pending.clone());
            self.emit(Effect::Preview(action.clone()));
        }
        self.overlay = Some(Overlay::Confirm {
            action,
            lines,
            typed_required,
            typed: String::new(),
        });
    }

    /// Puts a dry run's answer into the confirmation it was asked for, if still open.
    pub(crate) fn on_previewed(&mut self, action: &Action, result: Result<Vec<String>, String>) {
        let Some(Overlay::Confirm {
            action: open,
            lines,
            ..
        }) = &mut self.overlay
        else {
            return;
        };
        if open != action {
            return;
        }
        let pending = self.caps.preview_pending.as_deref();
        lines.retain(|l| Some(l.as_str()) != pending);
        match result {
            Ok(more) => lines.extend(more),
            Err(why) => lines.push(format!("⚠ {why}")),
        }
        self.dirty = true;
    }

    /// What an action will change, or why it cannot be done.
    // Long by design: one arm per kind of action, each the exact lines the operator confirms.
    fn describe(&self, action: &Action) -> Result<Vec<String>, String> {
        // The exact object, with all three of context, namespace and name, or why not.
        let target = self.key_of(action).transpose()?;
        let what = action.target_text().unwrap_or_default();
        let deployment = |_: &str| {
            let key = target.as_ref().ok_or("no deployment named")?;
            self.pods.deployment(key).ok_or_else(|| {
                format!(
                    "no {what}; known: {}",
                    self.pods.deployment_names().join(", ")
                )
            })
        };
        let mut lines = match action {
            Action::Silence { .. } | Action::ExpireSilence { .. } => {
                let mut lines = self.describe_silence(action);
                lines.extend(self.caps.notes.silences.clone());
                return Ok(lines);
            }
            Action::Rollback {
                deployment: name,
                revision,
                ..
            } => {
                let d = deployment(name)?;
                let target = match revision {
                    Some(r) => d.history.iter().find(|h| h.revision == *r),
                    None => d.history.iter().find(|h| h.revision < d.revision),
                };
                let Some(target) = target else {
                    let kept: Vec<String> =
                        d.history.iter().map(|h| h.revision.to_string()).collect();
                    return Err(match revision {
                        Some(r) => format!("{name} has no revision {r}; kept: {}", kept.join(", ")),
                        None => format!("{name} has no earlier revision to roll back to"),
                    });
                };
                if target.revision == d.revision {
                    return Err(format!("{name} is already at revision {}", d.revision));
                }
                let mut lines = vec![
                    format!("Roll back {what}"),
                    format!("  from revision {} ({})", d.revision, d.image),
                    format!("    to revision {} ({})", target.revision, target.image),
                    format!(
                        "  {}",
                        if target.change_cause.is_empty() {
                            "-"
                        } else {
                            &target.change_cause
                        }
                    ),
                    format!("{} pods will be replaced, one at a time.", d.replicas),
                ];
                let current = d.history.iter().find(|h| h.revision == d.revision);
                let diff = crate::event::template_diff(
                    current.map_or(&[][..], |c| c.template.as_slice()),
                    &target.template,
                );
                if !diff.is_empty() {
                    lines.push("Pod template changes:".into());
                    lines.extend(diff.into_iter().map(|l| format!("  {l}")));
                }
                lines
            }
            Action::Restart {
                deployment: name, ..
            } => {
                let d = deployment(name)?;
                vec![
                    format!("Restart {what} (revision {})", d.revision),
                    format!(
                        "All {} pods will be replaced, one at a time, with the same image.",
                        d.replicas
                    ),
                ]
            }
            Action::Scale {
                deployment: name,
                replicas,
                ..
            } => {
                let d = deployment(name)?;
                let change = i64::from(*replicas) - i64::from(d.replicas);
                let mut lines = vec![
                    format!("Scale {what} from {} to {replicas} replicas", d.replicas),
                    match change {
                        0 => "Nothing changes.".to_string(),
                        c if c > 0 => format!("{c} pods will be added."),
                        c => format!("{} pods will be removed.", -c),
                    },
                ];
                if let Some(key) = &target {
                    lines.extend(self.hpa_scale_warning(key, *replicas));
                }
                lines
            }
            Action::Cluster(c) => self.describe_cluster(c)?,
            Action::DeletePod { .. } => self.describe_delete_pod(action)?,
            Action::Shell { command } => {
                let mut lines = vec![
                    "Run in a shell on this machine:".to_string(),
                    format!("  $ {command}"),
                ];
                lines.extend(self.caps.notes.shell.clone());
                return Ok(lines);
            }
            Action::KillSwitch { name, on } => {
                let ks = self
                    .kill_switches
                    .iter()
                    .find(|k| &k.name == name)
                    .ok_or_else(|| format!("no kill switch `{name}`"))?;
                let now = match ks.on {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "unknown",
                };
                vec![
                    format!(
                        "Kill switch {name}: {now} → {}",
                        if *on { "on" } else { "off" }
                    ),
                    ks.description.clone(),
                ]
            }
        };
        let bad: Vec<String> = self
            .signals
            .iter()
            .filter(|s| s.level() >= Level::Warn)
            .map(|s| {
                format!(
                    "{} {}",
                    s.def.name,
                    crate::ui::format::value(s.value, &s.def.unit)
                )
            })
            .collect();
        if !bad.is_empty() {
            lines.push(format!("Signals now: {}", bad.join(", ")));
        }
        lines.extend(self.caps.notes.cluster.clone());
        Ok(lines)
    }
}
