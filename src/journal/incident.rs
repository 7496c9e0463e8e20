//! An incident as read back: the header written once, the entries, and the state derived
//! from them (state changes are entries, so the current state is a fold over the timeline).

use jiff::Timestamp;

use super::entry::{Entry, Kind, Role, Status};

/// The header block, written once when the incident begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `INC-20261122-0412` (see [`super::new_id`]).
    pub id: String,
    /// The title when opened; [`Incident::title`] has the current one.
    pub title: String,
    /// When the incident was opened.
    pub opened_at: Timestamp,
    /// `LIVE ctx/ns`, `DRILL name` or `REPLAY file`.
    pub mode: String,
    /// A drill: every line about it says so.
    pub drill: bool,
    /// Initial severity, 1 (worst) to 4.
    pub severity: u8,
    /// Who opened it.
    pub opened_by: String,
}

impl Header {
    /// The entries a heading is written with: `drill` (drills only), then `opened`.
    pub fn opening_entries(&self) -> Vec<Entry> {
        let mut entries = Vec::new();
        if self.drill {
            let what = format!("{}: this is an exercise, not a real incident", self.mode);
            entries.push(Entry::new(
                self.opened_at,
                self.opened_by.as_str(),
                Kind::Drill,
                what,
            ));
        }
        entries.push(Entry::new(
            self.opened_at,
            self.opened_by.as_str(),
            Kind::Opened,
            self.title.as_str(),
        ));
        entries
    }
}

/// One incident: header and timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// The header block.
    pub header: Header,
    /// The entries in file order.
    pub entries: Vec<Entry>,
}

impl Incident {
    /// The id.
    pub fn id(&self) -> &str {
        &self.header.id
    }

    /// The current title: the last `retitled` entry, else the header's.
    pub fn title(&self) -> &str {
        self.entries
            .iter()
            .rev()
            .find(|e| e.kind == Kind::Retitled)
            .map_or(self.header.title.as_str(), |e| e.text.as_str())
    }

    /// The current severity (1 is the worst).
    pub fn severity(&self) -> u8 {
        self.entries
            .iter()
            .rev()
            .find_map(Entry::severity_value)
            .unwrap_or(self.header.severity)
    }

    /// The worst severity the incident reached, i.e. the lowest SEV number.
    pub fn max_severity(&self) -> u8 {
        self.entries
            .iter()
            .filter_map(Entry::severity_value)
            .fold(self.header.severity, u8::min)
    }

    /// The current status; `investigating` until a status entry says otherwise.
    pub fn status(&self) -> Status {
        self.entries
            .iter()
            .rev()
            .find_map(Entry::status_value)
            .unwrap_or(Status::Investigating)
    }

    /// When the incident was opened.
    pub fn started_at(&self) -> Timestamp {
        self.header.opened_at
    }

    /// The first `ack`.
    pub fn acknowledged_at(&self) -> Option<Timestamp> {
        self.entries
            .iter()
            .find(|e| e.kind == Kind::Ack)
            .map(|e| e.at)
    }

    /// When the mitigation was in: the first change to `monitoring`, or to `resolved` if
    /// monitoring was skipped. (`mitigating` means still working on it.)
    pub fn mitigated_at(&self) -> Option<Timestamp> {
        self.entries
            .iter()
            .find(|e| {
                matches!(
                    e.status_value(),
                    Some(Status::Monitoring | Status::Resolved)
                )
            })
            .map(|e| e.at)
    }

    /// When it was resolved: the last change to `resolved`, if it is resolved now (a
    /// reopened incident is not resolved).
    pub fn resolved_at(&self) -> Option<Timestamp> {
        let last = self
            .entries
            .iter()
            .rev()
            .find(|e| e.status_value().is_some())?;
        (last.status_value() == Some(Status::Resolved)).then_some(last.at)
    }

    /// Who holds each role now (the last assignment wins), in role order.
    pub fn roles(&self) -> Vec<(Role, String)> {
        let mut roles: Vec<(Role, String)> = Vec::new();
        for (role, person) in self.entries.iter().filter_map(Entry::role_value) {
            match roles.iter_mut().find(|(r, _)| *r == role) {
                Some(slot) => slot.1 = person.to_string(),
                None => roles.push((role, person.to_string())),
            }
        }
        roles.sort_by_key(|(r, _)| *r);
        roles
    }

    /// The time of the last entry, or the opening.
    pub fn last_activity(&self) -> Timestamp {
        self.entries
            .iter()
            .map(|e| e.at)
            .max()
            .unwrap_or(self.header.opened_at)
            .max(self.header.opened_at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::journal::entry::{Entry, Status};

    fn t(min: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + min * 60).unwrap()
    }

    fn incident(entries: Vec<Entry>) -> Incident {
        let header = Header {
            id: "INC-1".into(),
            title: "first".into(),
            opened_at: t(0),
            mode: "LIVE prod/shop".into(),
            drill: false,
            severity: 3,
            opened_by: "al".into(),
        };
        Incident { header, entries }
    }

    #[test]
    fn derived_state_folds_the_timeline() {
        let inc = incident(vec![
            Entry::new(t(1), "al", Kind::Ack, ""),
            Entry::new(t(2), "al", Kind::Ack, "again"),
            Entry::severity(t(3), "al", 1, "all checkouts fail"),
            Entry::severity(t(9), "al", 2, ""),
            Entry::new(t(4), "al", Kind::Retitled, "second"),
            Entry::status(t(5), "al", Status::Mitigating, ""),
            Entry::status(t(6), "al", Status::Monitoring, ""),
            Entry::role(t(6), "al", Role::Scribe, "bo"),
            Entry::role(t(6), "al", Role::Ic, "al"),
            Entry::role(t(7), "al", Role::Scribe, "cy"),
            Entry::status(t(8), "al", Status::Resolved, ""),
        ]);
        assert_eq!(inc.title(), "second");
        assert_eq!(inc.severity(), 2);
        assert_eq!(inc.max_severity(), 1);
        assert_eq!(inc.status(), Status::Resolved);
        assert_eq!(inc.acknowledged_at(), Some(t(1)));
        assert_eq!(inc.mitigated_at(), Some(t(6)));
        assert_eq!(inc.resolved_at(), Some(t(8)));
        assert_eq!(
            inc.roles(),
            vec![(Role::Ic, "al".into()), (Role::Scribe, "cy".into())]
        );
    }

    #[test]
    fn a_reopened_incident_is_not_resolved() {
        let inc = incident(vec![
            Entry::status(t(1), "al", Status::Resolved, ""),
            Entry::status(t(2), "al", Status::Investigating, "it's back"),
        ]);
        assert_eq!(inc.status(), Status::Investigating);
        assert_eq!(inc.resolved_at(), None);
        assert_eq!(inc.mitigated_at(), Some(t(1)));
        assert_eq!(incident(vec![]).status(), Status::Investigating);
    }
}
