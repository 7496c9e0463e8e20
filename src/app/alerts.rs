//! The alerts pane's state: firing and recently resolved alerts, worst first, and the
//! selected one; and what the cockpit does when one fires or resolves.

use std::ops::Deref;

use jiff::Timestamp;

use crate::event::{AlertState, AlertStatus, Level};
use crate::journal::Kind;

use super::App;

/// An alert with what the operator did about it.
#[derive(Debug, Clone)]
pub struct AlertEntry {
    pub status: AlertStatus,
    pub acked: bool,
    pub resolved_at: Option<Timestamp>,
    /// The runbook book and section that answer it, and a label saying which rule chose it.
    pub runbook: Option<(usize, usize, String)>,
}

/// The alerts and the selected one.
#[derive(Debug, Clone, Default)]
pub struct AlertsPane {
    /// Firing first, worst first, then oldest first.
    pub list: Vec<AlertEntry>,
    pub selected: usize,
    /// Firings and resolutions already journaled, by alert, `since` and whether firing: a firing
    /// seen again (a replay seeking back, a source relisting) is not journaled twice.
    pub journaled: std::collections::BTreeSet<(String, Timestamp, bool)>,
}

/// Transitions remembered before the oldest are forgotten.
const JOURNALED_KEPT: usize = 10_000;

/// The pane reads as its list: `app.alerts.iter()`, `app.alerts[0]`.
impl Deref for AlertsPane {
    type Target = Vec<AlertEntry>;
    fn deref(&self) -> &Vec<AlertEntry> {
        &self.list
    }
}

impl AlertsPane {
    /// The selected alert.
    pub fn selected(&self) -> Option<&AlertEntry> {
        self.list.get(self.selected)
    }

    /// Whether this transition of an alert is new (and remembers it).
    fn first_time(&mut self, a: &AlertStatus) -> bool {
        if self.journaled.len() >= JOURNALED_KEPT
            && let Some(oldest) = self.journaled.iter().min_by_key(|k| k.1).cloned()
        {
            self.journaled.remove(&oldest);
        }
        self.journaled
            .insert((a.name.clone(), a.since, a.state == AlertState::Firing))
    }

    /// Moves the selection by `delta` rows, within the list.
    pub fn select_by(&mut self, delta: isize) {
        self.selected = super::step(self.selected, self.list.len(), delta);
    }
}

/// How long a resolved alert stays on the alerts pane.
const RESOLVED_SHOWN: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// Rank of an alert's `severity` label; higher is worse.
pub fn severity_rank(label: &str) -> u8 {
    match label.to_ascii_lowercase().as_str() {
        "critical" | "page" | "sev1" | "sev2" => 3,
        "warning" | "warn" | "sev3" => 2,
        "info" | "sev4" => 1,
        _ => 0,
    }
}

impl App {
    pub(super) fn observe_alert(&mut self, a: crate::event::AlertStatus) {
        let now = self.now;
        let a_name = a.name.clone();
        let previous = self.alerts.iter().position(|e| e.status.name == a.name);
        let was_firing =
            previous.is_some_and(|i| self.alerts.list[i].status.state == AlertState::Firing);
        let firing = a.state == AlertState::Firing;
        let text = if a.detail.is_empty() {
            a.name.clone()
        } else {
            format!("{}: {}", a.name, a.detail)
        };
        if firing && !was_firing {
            self.tail_for_alert(&a);
            let auto = severity_rank(&self.config.incident.auto_open);
            if self.incident.is_none() && severity_rank(&a.severity) >= auto && auto > 0 {
                let sev = if severity_rank(&a.severity) >= 3 {
                    2
                } else {
                    3
                };
                self.open_incident(format!("{}: {}", a.name, a.summary), sev, "sitrep".into());
            }
            if self.alerts.first_time(&a) {
                self.journal_as("sitrep", Kind::AlertFired, text, None);
            }
        } else if !firing && was_firing && self.alerts.first_time(&a) {
            self.journal_as("sitrep", Kind::AlertResolved, text, None);
        }
        match previous {
            Some(i) => {
                let e = &mut self.alerts.list[i];
                if firing && !was_firing {
                    e.acked = false;
                }
                e.resolved_at = (!firing).then(|| e.resolved_at.unwrap_or(now));
                e.status = a;
            }
            None => self.alerts.list.push(AlertEntry {
                resolved_at: (!firing).then_some(now),
                status: a,
                acked: false,
                runbook: None,
            }),
        }
        let name = a_name;
        // Firing first, worst first, then oldest first.
        self.alerts.list.sort_by(|x, y| {
            (y.status.state == AlertState::Firing)
                .cmp(&(x.status.state == AlertState::Firing))
                .then(severity_rank(&y.status.severity).cmp(&severity_rank(&x.status.severity)))
                .then(x.status.since.cmp(&y.status.since))
        });
        if firing
            && !was_firing
            && let Some(i) = self.alerts.iter().position(|e| e.status.name == name)
        {
            self.match_runbook(i);
            // The worst firing alert leads the checklist; the operator can select another.
            if i != 0 {
                self.match_runbook(0);
            }
        }
    }

    pub(super) fn prune_resolved_alerts(&mut self) {
        let now = self.now;
        let before = self.alerts.len();
        self.alerts.list.retain(|a| {
            a.resolved_at
                .is_none_or(|r| now.duration_since(r) < RESOLVED_SHOWN)
        });
        if self.alerts.len() != before {
            self.alerts.selected = self
                .alerts
                .selected
                .min(self.alerts.len().saturating_sub(1));
        }
    }

    pub(super) fn ack_selected(&mut self) {
        let selected = self.alerts.selected;
        let Some(alert) = self.alerts.list.get_mut(selected) else {
            self.flash(Level::Warn, "no alert to acknowledge");
            return;
        };
        if alert.acked {
            let name = alert.status.name.clone();
            self.flash(Level::Ok, format!("{name} is already acknowledged"));
            return;
        }
        alert.acked = true;
        let name = alert.status.name.clone();
        let now = self.now;
        if let Some(inc) = &mut self.incident
            && inc.acked_at.is_none()
        {
            inc.acked_at = Some(now);
        }
        self.journal(Kind::Ack, name.clone(), None);
        self.flash(Level::Ok, format!("acknowledged {name}"));
    }

    /// Moves the alert selection; the checklist follows unless the operator pinned a section.
    pub(super) fn select_alert(&mut self, delta: isize) {
        self.alerts.select_by(delta);
        self.follow_selected_alert();
        // Matched again, not remembered: the alert's service may be known by now.
        if !self.alerts.is_empty() {
            self.match_runbook(self.alerts.selected);
        }
    }
}
