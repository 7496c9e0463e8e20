//! The stable tokens of INCIDENTS.md: entry kinds, outcomes, statuses, roles, verdicts.

use std::fmt;
use std::str::FromStr;

/// A token that is not one of the known ones, with what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{token}` (expected one of: {expected})")]
pub struct UnknownToken {
    /// What kind of token was being read ("kind", "outcome", ...).
    pub what: &'static str,
    /// The token as found.
    pub token: String,
    /// The valid tokens, comma separated.
    pub expected: String,
}

/// Declares a token enum with a stable `as_str`, `FromStr`, `Display` and `ALL`.
macro_rules! tokens {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $token:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable token written to INCIDENTS.md.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $token),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownToken;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($token => Ok($name::$variant),)+
                    _ => Err(UnknownToken {
                        what: $what,
                        token: s.to_string(),
                        expected: [$($token),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

tokens!(
    /// What an entry records. The token is what INCIDENTS.md holds; it never changes.
    Kind, "kind", {
        /// The incident was opened; text is the title.
        Opened => "opened",
        /// The title changed; text is the new title.
        Retitled => "retitled",
        /// An alert started firing; text carries name, value and threshold.
        AlertFired => "alert-fired",
        /// An alert stopped firing.
        AlertResolved => "alert-resolved",
        /// Someone acknowledged the page.
        Ack => "ack",
        /// A free-form note.
        Note => "note",
        /// A runbook step was ticked; text is the step.
        StepTicked => "step-ticked",
        /// A runbook step was unticked; text is the step.
        StepUnticked => "step-unticked",
        /// Severity changed; text starts with `SEV1`..`SEV4`.
        Severity => "severity",
        /// Status changed; text starts with a [`Status`] token.
        Status => "status",
        /// A world-changing command ran; the outcome is the entry's [`Outcome`].
        Command => "command",
        /// A kill switch was flipped.
        KillSwitch => "kill-switch",
        /// A deployment was rolled back; text is `<deployment> from <rev> to <rev>`.
        Rollback => "rollback",
        /// A status update was posted to stakeholders.
        StatusUpdate => "status-update",
        /// A role was assigned; text is `<ic|scribe|comms> <person>`.
        Role => "role",
        /// An escalation is due.
        EscalationDue => "escalation-due",
        /// A deadline (status update, escalation) passed.
        DeadlinePassed => "deadline-passed",
        /// Did the action work; text starts with a [`Verdict`] token.
        Verdict => "verdict",
        /// This incident is a drill; always the first entry of a drill.
        Drill => "drill",
    }
);

impl Kind {
    /// A short human label for exports.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Opened => "Opened",
            Kind::Retitled => "Retitled",
            Kind::AlertFired => "Alert fired",
            Kind::AlertResolved => "Alert resolved",
            Kind::Ack => "Acknowledged",
            Kind::Note => "Note",
            Kind::StepTicked => "Runbook step done",
            Kind::StepUnticked => "Runbook step undone",
            Kind::Severity => "Severity",
            Kind::Status => "Status",
            Kind::Command => "Command",
            Kind::KillSwitch => "Kill switch",
            Kind::Rollback => "Rollback",
            Kind::StatusUpdate => "Status update",
            Kind::Role => "Role",
            Kind::EscalationDue => "Escalation due",
            Kind::DeadlinePassed => "Deadline passed",
            Kind::Verdict => "Verdict",
            Kind::Drill => "Drill",
        }
    }

    /// Whether the entry is an action on the world (charted as a marker, listed under
    /// Resolution in a postmortem).
    pub fn is_action(self) -> bool {
        matches!(self, Kind::Command | Kind::KillSwitch | Kind::Rollback)
    }
}

tokens!(
    /// How a world-changing command ended.
    Outcome, "outcome", {
        /// It ran and succeeded.
        Ok => "ok",
        /// It was refused (RBAC, admission, read-only mode).
        Refused => "refused",
        /// It ran and failed (or timed out).
        Failed => "failed",
        /// Only a dry run was made; nothing changed.
        DryRun => "dry-run",
    }
);

tokens!(
    /// Incident status, in the order an incident usually moves through them.
    Status, "status", {
        /// Looking for the cause.
        Investigating => "investigating",
        /// The cause is known.
        Identified => "identified",
        /// A mitigation is being applied.
        Mitigating => "mitigating",
        /// The mitigation is in; watching that it holds.
        Monitoring => "monitoring",
        /// Over.
        Resolved => "resolved",
    }
);

tokens!(
    /// Incident roles.
    Role, "role", {
        /// Incident commander.
        Ic => "ic",
        /// Keeps the timeline.
        Scribe => "scribe",
        /// Talks to stakeholders.
        Comms => "comms",
    }
);

tokens!(
    /// Whether an action worked.
    Verdict, "verdict", {
        /// It worked.
        Worked => "worked",
        /// It did not.
        DidNotWork => "did-not-work",
        /// Too early to say.
        Unclear => "unclear",
    }
);
