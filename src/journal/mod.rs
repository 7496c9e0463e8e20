//! INCIDENTS.md: the incident journal (writer, parser, export).
//! Interim types until the journal module lands.

use jiff::Timestamp;

/// One timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: Timestamp,
    pub actor: String,
    pub kind: Kind,
    pub text: String,
    pub outcome: Option<Outcome>,
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Opened,
    Retitled,
    AlertFired,
    AlertResolved,
    Ack,
    Note,
    StepTicked,
    StepUnticked,
    Severity,
    Status,
    Command,
    KillSwitch,
    Rollback,
    StatusUpdate,
    Role,
    EscalationDue,
    DeadlinePassed,
    Verdict,
    Drill,
}

impl Kind {
    /// Stable token.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Opened => "opened",
            Kind::Retitled => "retitled",
            Kind::AlertFired => "alert-fired",
            Kind::AlertResolved => "alert-resolved",
            Kind::Ack => "ack",
            Kind::Note => "note",
            Kind::StepTicked => "step-ticked",
            Kind::StepUnticked => "step-unticked",
            Kind::Severity => "severity",
            Kind::Status => "status",
            Kind::Command => "command",
            Kind::KillSwitch => "kill-switch",
            Kind::Rollback => "rollback",
            Kind::StatusUpdate => "status-update",
            Kind::Role => "role",
            Kind::EscalationDue => "escalation-due",
            Kind::DeadlinePassed => "deadline-passed",
            Kind::Verdict => "verdict",
            Kind::Drill => "drill",
        }
    }
}

/// How a world-changing command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Refused,
    Failed,
    DryRun,
}

/// The header of an incident, written once under its heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub id: String,
    pub title: String,
    pub opened_at: Timestamp,
    pub mode: String,
    pub drill: bool,
    pub severity: u8,
    pub opened_by: String,
}

/// A readable, unique incident id.
pub fn new_id(at: Timestamp, existing: &[&str]) -> String {
    let base = format!("INC-{}", at.strftime("%Y%m%d-%H%M"));
    let mut id = base.clone();
    let mut n = 2;
    while existing.contains(&id.as_str()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}
