//! Incident clocks: when the next status update is due and when to escalate, each
//! journaled once when it passes.

use jiff::{SignedDuration, Timestamp};

use crate::command::Status;
use crate::journal::{Entry, Kind};

use super::App;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineKind {
    StatusUpdate,
    Escalation,
}

/// A deadline of the open incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// `status update`, or who to escalate to.
    pub label: String,
    pub due: Timestamp,
}

impl App {
    /// The open incident's deadlines, soonest first; none once it is resolved.
    pub fn deadlines(&self) -> Vec<Deadline> {
        let Some(inc) = &self.incident else {
            return Vec::new();
        };
        if inc.status == Status::Resolved {
            return Vec::new();
        }
        let cfg = &self.config.incident;
        let mut out = Vec::new();
        if let Some(every) = cfg.update_interval(inc.severity) {
            out.push(Deadline {
                kind: DeadlineKind::StatusUpdate,
                label: "status update".into(),
                due: inc.last_update.unwrap_or(inc.opened_at) + every,
            });
        }
        for e in &cfg.escalate {
            if !e.severities.contains(&inc.severity) || (e.unless_acked && inc.acked_at.is_some()) {
                continue;
            }
            out.push(Deadline {
                kind: DeadlineKind::Escalation,
                label: e.to.clone(),
                due: inc.opened_at + e.after.signed(),
            });
        }
        out.sort_by_key(|d| d.due);
        out
    }

    /// How long before a deadline its countdown warns.
    pub fn warn_before(&self) -> SignedDuration {
        self.config.incident.warn_before.signed()
    }

    /// Journals every deadline that has passed and was not journaled yet.
    pub(super) fn check_deadlines(&mut self) {
        let now = self.now;
        for d in self.deadlines() {
            if d.due > now {
                continue;
            }
            let key = format!("{:?}:{}:{}", d.kind, d.label, d.due);
            if !self.deadlines_passed.insert(key) {
                continue;
            }
            let due = crate::ui::format::time_of_day(d.due);
            let entry = match d.kind {
                DeadlineKind::StatusUpdate => Entry::new(
                    now,
                    "sitrep",
                    Kind::DeadlinePassed,
                    format!("status update overdue (was due {due} UTC)"),
                ),
                DeadlineKind::Escalation => Entry::new(
                    now,
                    "sitrep",
                    Kind::EscalationDue,
                    format!("escalate to {}: not acknowledged by {due} UTC", d.label),
                ),
            };
            self.record(entry);
            self.dirty = true;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::app::sample::drill_app;
    use crate::event::Event;

    fn tick(app: &mut App, mins: i64) -> Vec<(Kind, String)> {
        let at = app.now + SignedDuration::from_mins(mins);
        app.update(Event::Tick(at))
            .into_iter()
            .filter_map(|e| match e {
                crate::app::Effect::JournalAppend { entry, .. } => Some((entry.kind, entry.text)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn escalation_and_update_deadlines_are_journaled_once() {
        let mut app = drill_app(120);
        let d = app.deadlines();
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].label, "secondary on-call");
        let opened = app.incident.as_ref().unwrap().opened_at;
        assert_eq!(d[0].due, opened + SignedDuration::from_mins(15));
        let first = tick(&mut app, 16);
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0].0, Kind::EscalationDue);
        assert!(first[0].1.starts_with("escalate to secondary on-call"));
        assert!(tick(&mut app, 1).is_empty(), "journaled once");
        let later = tick(&mut app, 60);
        let kinds: Vec<Kind> = later.iter().map(|(k, _)| *k).collect();
        // The engineering lead was due at +30m, the status update at +60m.
        assert_eq!(kinds, [Kind::EscalationDue, Kind::DeadlinePassed]);
    }

    #[test]
    fn an_ack_stops_escalation_and_an_update_resets_its_clock() {
        let mut app = drill_app(120);
        app.run(crate::command::Command::Ack);
        assert!(
            app.deadlines()
                .iter()
                .all(|d| d.kind == DeadlineKind::StatusUpdate)
        );
        app.now += SignedDuration::from_mins(20);
        app.post_status_update("all fine".into());
        assert_eq!(
            app.deadlines()[0].due,
            app.now + SignedDuration::from_mins(60),
            "SEV2 updates are hourly"
        );
    }
}
