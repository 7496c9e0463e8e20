//! Silences: the `silence` and `expire-silence` commands, and which silence mutes an alert.

use std::collections::BTreeMap;

use crate::event::{Action, Level, SilenceStatus};

use super::App;
use super::state::AlertEntry;

/// Whether every matcher of `silence` (`k=v`, `k!=v`, `k=~re`, `k!~re`) holds for `labels`.
pub fn matches(silence: &SilenceStatus, labels: &BTreeMap<String, String>) -> bool {
    silence.matchers.iter().all(|m| {
        let (name, op, value) = ["!~", "=~", "!=", "="]
            .iter()
            .find_map(|op| m.split_once(op).map(|(k, v)| (k, *op, v)))
            .unwrap_or((m.as_str(), "=", ""));
        let have = labels.get(name).map_or("", String::as_str);
        let re = || regex::Regex::new(&format!("^(?:{value})$")).ok();
        match op {
            "=" => have == value,
            "!=" => have != value,
            "=~" => re().is_some_and(|r| r.is_match(have)),
            _ => re().is_some_and(|r| !r.is_match(have)),
        }
    })
}

impl App {
    /// The active silence muting an alert, if any.
    pub fn silence_of(&self, alert: &AlertEntry) -> Option<&SilenceStatus> {
        self.silences.iter().find(|s| {
            s.state == "active"
                && (alert.status.silenced_by.contains(&s.id)
                    || (!s.matchers.is_empty() && matches(s, &alert.status.labels)))
        })
    }

    /// `silence [duration] [comment]` on the selected alert.
    pub(super) fn silence_selected(&mut self, minutes: Option<u64>, comment: Option<String>) {
        let Some(alert) = self.alerts.selected() else {
            self.flash(Level::Warn, "select an alert to silence first");
            return;
        };
        if let Some(s) = self.silence_of(alert) {
            let text = format!("{} is already silenced ({})", alert.status.name, s.id);
            self.flash(Level::Ok, text);
            return;
        }
        let mut matchers: Vec<(String, String)> = alert
            .status
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if matchers.is_empty() {
            matchers.push(("alertname".into(), alert.status.name.clone()));
        }
        let action = Action::Silence {
            alert: alert.status.name.clone(),
            matchers,
            minutes: minutes.unwrap_or(60),
            comment: comment.unwrap_or_else(|| format!("silenced from sitrep by {}", self.actor)),
        };
        self.confirm(action);
    }

    /// `expire-silence [id]`: the named silence, or the one muting the selected alert.
    pub(super) fn expire_silence(&mut self, id: Option<String>) {
        let id = id.or_else(|| {
            let alert = self.alerts.selected()?;
            self.silence_of(alert).map(|s| s.id.clone())
        });
        match id {
            Some(id) => self.confirm(Action::ExpireSilence { id }),
            None => self.flash(
                Level::Warn,
                "the selected alert is not silenced; name a silence id",
            ),
        }
    }

    /// What a silence action will change, for the confirmation.
    pub(super) fn describe_silence(&self, action: &Action) -> Vec<String> {
        match action {
            Action::Silence {
                alert,
                matchers,
                minutes,
                comment,
            } => {
                let mut lines = vec![format!(
                    "Silence {alert} for {minutes}m in Alertmanager, matching:"
                )];
                lines.extend(matchers.iter().map(|(k, v)| format!("  {k}=\"{v}\"")));
                lines.push(format!("Comment: {comment}"));
                lines
            }
            Action::ExpireSilence { id } => {
                let mut lines = vec![format!("Expire silence {id} now")];
                if let Some(s) = self.silences.iter().find(|s| s.id == *id) {
                    lines.push(format!("  matching {}", s.matchers.join(", ")));
                    lines.push(format!("  by {}: {}", s.created_by, s.comment));
                }
                lines
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matchers_follow_alertmanager_operators() {
        let labels: BTreeMap<String, String> = [
            ("alertname".to_string(), "High5xx".to_string()),
            ("job".to_string(), "api".to_string()),
        ]
        .into();
        let s = |m: &[&str]| SilenceStatus {
            id: "x".into(),
            matchers: m.iter().map(|m| m.to_string()).collect(),
            starts_at: jiff::Timestamp::UNIX_EPOCH,
            ends_at: jiff::Timestamp::UNIX_EPOCH,
            created_by: String::new(),
            comment: String::new(),
            state: "active".into(),
        };
        assert!(matches(&s(&["alertname=High5xx", "job=~a.*"]), &labels));
        assert!(!matches(&s(&["alertname=High5xx", "job!=api"]), &labels));
        assert!(matches(&s(&["env!~prod"]), &labels));
        assert!(!matches(&s(&["job=~ap"]), &labels), "regexes are anchored");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod app_tests {
    use crate::app::sample::drill_app;
    use crate::app::{Effect, Overlay};
    use crate::command::Command;
    use crate::event::{Action, Event};

    #[test]
    fn silence_confirms_with_matchers_then_marks_the_alert() {
        let mut app = drill_app(120);
        assert!(!app.alerts.is_empty(), "the drill has fired alerts by now");
        let name = app.alerts[0].status.name.clone();
        app.run(Command::parse("silence 2h rollback under way").unwrap());
        let Some(Overlay::Confirm { action, lines, .. }) = &app.overlay else {
            panic!("a confirmation: {:?}", app.overlay)
        };
        assert!(
            lines[0].contains(&format!("Silence {name} for 120m")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("alertname=\"{name}\""))),
            "{lines:?}"
        );
        let Action::Silence { matchers, .. } = action.clone() else {
            panic!("{action:?}")
        };
        // The sandbox's world answers with its silences; the alert shows as silenced.
        let mut world = crate::drill::silences::Silences::default();
        let (_, obs) = world.apply(action, app.now).unwrap();
        app.update(Event::Observed(app.now, obs));
        assert!(app.silence_of(&app.alerts[0]).is_some());
        assert!(matchers.iter().any(|(k, v)| k == "alertname" && *v == name));
        // Expiring asks for confirmation too, naming the silence.
        app.overlay = None;
        let effects = app.run(Command::parse("expire-silence").unwrap());
        assert!(effects.iter().all(|e| !matches!(e, Effect::Execute(_))));
        assert!(matches!(
            &app.overlay,
            Some(Overlay::Confirm {
                action: Action::ExpireSilence { .. },
                ..
            })
        ));
    }
}
