//! Which object a world-changing command acts on, exactly: a deployment is named by the
//! cockpit's context, its namespace and its name, and a name two namespaces hold is asked
//! about, never settled by taking the first.

use crate::command::Command;
use crate::event::{Action, Level, Place};

use super::state::WorkloadKey;
use super::{App, Overlay};

/// Where a command without a deployment goes.
enum Target {
    One(WorkloadKey),
    /// Several could be meant: the operator picks (the title says why it asks).
    Pick(Vec<WorkloadKey>, String),
}

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

    /// The deployment a command without one acts on: the selected alert's service's (with
    /// the alerts pane focused; several: a pick list), else the one selected in the pods pane
    /// (focused, or chosen there before). With neither, a pick list of every deployment:
    /// never the first one by default.
    fn default_deployment(&self) -> Result<Target, String> {
        let is_deployment = |k: &&WorkloadKey| self.pods.deployment(k).is_some();
        if self.focus == crate::command::Pane::Alerts
            && let Some(a) = self.alerts.selected()
        {
            let found =
                super::services::service_for_alert(&self.config.services, &self.pods, &a.status);
            if let super::services::AlertService::Unclaimed(why) = &found {
                return Err(why.clone());
            }
            let deployments: Vec<WorkloadKey> = found
                .workloads()
                .iter()
                .filter(is_deployment)
                .cloned()
                .collect();
            let about = match found.service() {
                Some(s) => format!("service {}", s.name()),
                None => "this alert".to_string(),
            };
            return match deployments.as_slice() {
                [one] => Ok(Target::One(one.clone())),
                [] => Err(match found.service() {
                    Some(s) => format!(
                        "service {}: none of its workloads is a deployment the cockpit sees",
                        s.name()
                    ),
                    None => format!(
                        "no deployment for this alert: labels {}",
                        super::services::labels_of(&a.status)
                    ),
                }),
                _ => Ok(Target::Pick(
                    deployments,
                    format!("{} is about {about}: which deployment?", a.status.name),
                )),
            };
        }
        let in_pods = self.focus == crate::command::Pane::Pods || self.pods.chosen;
        if in_pods && let Some(k) = self.pods.selected_workload() {
            return match self.pods.deployment(k) {
                Some(_) => Ok(Target::One(k.clone())),
                None => {
                    Err("select a deployment in the pods pane first (or name it: `ns/name`)".into())
                }
            };
        }
        let all: Vec<WorkloadKey> = self
            .pods
            .workloads
            .keys()
            .filter(is_deployment)
            .cloned()
            .collect();
        if all.is_empty() {
            return Err("no deployment is known yet (or name it: `ns/name`)".into());
        }
        Ok(Target::Pick(
            all,
            "no alert or pod is selected: which deployment?".into(),
        ))
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
        // `scale N` with no deployment names none: the default one, as for the others.
        let named = named.filter(|n| !n.is_empty());
        let key = match named {
            Some(text) => self.pods.resolve_deployment(&text),
            None => match self.default_deployment() {
                Ok(Target::One(k)) => Ok(k),
                Ok(Target::Pick(targets, title)) => {
                    self.overlay = Some(Overlay::TargetPick {
                        command: cmd,
                        targets,
                        selected: 0,
                        title,
                    });
                    return;
                }
                Err(e) => Err(e),
            },
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
        self.deployment_action(cmd, key);
    }

    /// `rollback`, `restart` or `scale` of exactly `key`: the rollback dialog, or the
    /// confirmation.
    pub(super) fn deployment_action(&mut self, cmd: Command, key: WorkloadKey) {
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

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};

    use crate::app::sample::drill_app;
    use crate::app::state::WorkloadKey;
    use crate::app::{App, Overlay};
    use crate::command::{Command, Pane};
    use crate::config::Config;
    use crate::event::{Action, Event, Observation};

    fn key(app: &mut App, code: KeyCode) {
        app.update(Event::Input(TermEvent::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))));
    }

    const SERVICES: &str = r##"
[[services]]
name = "snapbuilder"
namespace = "snapbuilder"
workloads = ["snapbuilder-serving", "snapbuilder-ingest"]
signals = ["5xx rate"]
runbook = "Pods crash-looping (OOMKilled)"
kill_switches = ["block-traffic"]

[[services]]
name = "training"
namespace = "snapbuilder"
workloads = ["snapbuilder-training"]
"##;

    /// The drill two minutes in, with `[[services]]` and an alert of `labels` selected.
    fn with_alert(labels: &[(&str, &str)]) -> App {
        let mut app = drill_app(120);
        // The drill's own config names no signals or switches: only the services are laid in.
        app.config.services = toml::from_str::<Config>(SERVICES)
            .expect("services parse")
            .services;
        let mut a = app.alerts[0].status.clone();
        a.name = "ServiceDown".into();
        a.severity = "critical".into();
        a.since = app.now;
        a.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let now = app.now;
        app.update(Event::Observed(now, Observation::Alert(a)));
        app.focus = Pane::Alerts;
        let at = app
            .alerts
            .iter()
            .position(|a| a.status.name == "ServiceDown")
            .expect("shown");
        app.run(Command::Top);
        for _ in 0..at {
            app.run(Command::Down);
        }
        app
    }

    #[test]
    fn a_service_with_two_deployments_asks_which_then_goes_on_to_the_dialog() {
        let mut app = with_alert(&[("service", "snapbuilder")]);
        let serving = WorkloadKey::new("snapbuilder", "snapbuilder-serving");
        let ingest = WorkloadKey::new("snapbuilder", "snapbuilder-ingest");
        assert_eq!(
            app.pods.selected_workload(),
            Some(&ingest),
            "the pods pane jumps to the service's first deployment"
        );
        key(&mut app, KeyCode::Char('R'));
        let Some(Overlay::TargetPick { targets, title, .. }) = &app.overlay else {
            panic!("no pick list: {:?} {:?}", app.overlay, app.flash);
        };
        assert_eq!(targets, &[ingest.clone(), serving.clone()]);
        assert_eq!(
            title,
            "ServiceDown is about service snapbuilder: which deployment?"
        );
        let screen = crate::ui::render_text(&app, 160, 40);
        assert!(screen.contains("rollback: which deployment?"), "{screen}");
        assert!(
            screen.contains("deployment snapbuilder/snapbuilder-serving"),
            "{screen}"
        );
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Enter);
        let Some(Overlay::RollbackDialog { deployment, .. }) = &app.overlay else {
            panic!("no rollback dialog: {:?} {:?}", app.overlay, app.flash);
        };
        assert_eq!(deployment, &serving, "the one picked");
        key(&mut app, KeyCode::Enter);
        let Some(Overlay::Confirm { action, .. }) = &app.overlay else {
            panic!("no confirmation: {:?}", app.overlay);
        };
        assert!(
            matches!(action, Action::Rollback { deployment, .. } if deployment == "snapbuilder-serving")
        );

        // Restart and `scale N` ask the same; esc leaves without a change.
        app.overlay = None;
        app.run(Command::Scale {
            deployment: String::new(),
            replicas: 3,
        });
        assert!(matches!(app.overlay, Some(Overlay::TargetPick { .. })));
        key(&mut app, KeyCode::Esc);
        assert!(app.overlay.is_none());
        app.run(Command::Restart { deployment: None });
        key(&mut app, KeyCode::Enter);
        let Some(Overlay::Confirm { action, .. }) = &app.overlay else {
            panic!("no confirmation: {:?}", app.overlay);
        };
        assert!(
            matches!(action, Action::Restart { deployment, .. } if deployment == "snapbuilder-ingest")
        );
    }

    #[test]
    fn a_service_with_one_deployment_goes_straight_to_it_and_marks_its_signals_and_section() {
        let mut app = with_alert(&[
            ("namespace", "snapbuilder"),
            ("job", "snapbuilder-training"),
        ]);
        key(&mut app, KeyCode::Char('R'));
        let Some(Overlay::RollbackDialog { deployment, .. }) = &app.overlay else {
            panic!("no rollback dialog: {:?} {:?}", app.overlay, app.flash);
        };
        assert_eq!(
            deployment,
            &WorkloadKey::new("snapbuilder", "snapbuilder-training")
        );
        app.overlay = None;

        // The other service: its signal marked, its runbook section shown, its switch first.
        let mut app = with_alert(&[("service", "snapbuilder")]);
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(screen.contains("▸5xx rate"), "{screen}");
        assert!(!screen.contains("▸p95"), "{screen}");
        assert!(
            screen.contains("service snapbuilder: snapbuilder/snapbuilder-ingest, "),
            "{screen}"
        );
        let c = app.checklist.as_ref().expect("the drill's runbook");
        let title = &c.books[c.book].sections[c.section].title;
        assert_eq!(title, "Pods crash-looping (OOMKilled)");
        assert!(c.rule.ends_with("service snapbuilder"), "{}", c.rule);
        app.run(Command::KillSwitch {
            name: None,
            on: None,
        });
        let Some(Overlay::KillSwitchMenu { selected }) = app.overlay else {
            panic!("no menu: {:?}", app.overlay);
        };
        assert_eq!(app.kill_switches[selected].name, "block-traffic");
    }

    #[test]
    fn an_alert_no_service_claims_says_so_and_selects_nothing() {
        let mut app = with_alert(&[("service", "billing"), ("namespace", "payments")]);
        key(&mut app, KeyCode::Char('R'));
        assert!(app.overlay.is_none());
        let flash = app
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        assert_eq!(
            flash,
            "no service for this alert: labels namespace=payments, service=billing"
        );
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(
            screen
                .contains("no service for this alert: labels namespace=payments, service=billing"),
            "{screen}"
        );
    }

    #[test]
    fn with_no_alert_and_no_pod_selected_world_changing_keys_ask_which_target() {
        let mut app = drill_app(120);
        app.focus = Pane::Timeline;
        app.pods.chosen = false;
        key(&mut app, KeyCode::Char('R'));
        let Some(Overlay::TargetPick { targets, title, .. }) = &app.overlay else {
            panic!("no pick list: {:?} {:?}", app.overlay, app.flash);
        };
        assert_eq!(targets.len(), 3, "every deployment: {targets:?}");
        assert_eq!(title, "no alert or pod is selected: which deployment?");
        key(&mut app, KeyCode::Esc);
        assert!(app.overlay.is_none());

        // A workload chosen in the pods pane stays the target from another pane.
        app.focus = Pane::Pods;
        app.run(Command::Down);
        app.focus = Pane::Timeline;
        key(&mut app, KeyCode::Char('R'));
        assert!(
            matches!(app.overlay, Some(Overlay::RollbackDialog { .. })),
            "{:?}",
            app.overlay
        );
    }
}
