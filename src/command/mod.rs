//! Operator commands: the one vocabulary shared by keymaps, the `:` line and the help overlay.

mod complete;
pub mod overlay;
mod parse;
mod parse_cluster;
pub mod reference;
mod table;

use std::fmt;
use std::str::FromStr;

pub use complete::{Completer, CompletionContext, complete};
pub use parse::{Args, near_names};
pub use table::{COMMANDS, CommandSpec, Parser, lookup};

/// The panes an operator can focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pane {
    Signals,
    Alerts,
    Pods,
    Gpus,
    Logs,
    Runbook,
    Timeline,
}

impl Pane {
    /// Every pane in focus order.
    pub const ALL: [Pane; 7] = [
        Pane::Signals,
        Pane::Alerts,
        Pane::Pods,
        Pane::Gpus,
        Pane::Logs,
        Pane::Runbook,
        Pane::Timeline,
    ];

    /// The name used in commands and titles.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Signals => "signals",
            Pane::Alerts => "alerts",
            Pane::Pods => "pods",
            Pane::Gpus => "gpus",
            Pane::Logs => "logs",
            Pane::Runbook => "runbook",
            Pane::Timeline => "timeline",
        }
    }

    /// The next pane in focus order, wrapping around.
    pub fn next(self) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(i + 1) % Pane::ALL.len()]
    }

    /// The previous pane in focus order, wrapping around.
    pub fn prev(self) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(i + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

impl FromStr for Pane {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pane::ALL.into_iter().find(|p| p.name() == s).ok_or(())
    }
}

/// When `logs-at` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTime {
    /// `14:02` or `14:02:30`: seconds of the day, UTC.
    OfDay(u32),
    /// `2026-11-23T14:02:00Z`.
    Instant(jiff::Timestamp),
}

impl LogTime {
    /// The moment meant, seen from `now`: a time of day is today's, or yesterday's when
    /// today's is still to come.
    pub fn resolve(self, now: jiff::Timestamp) -> jiff::Timestamp {
        match self {
            LogTime::Instant(t) => t,
            LogTime::OfDay(secs) => {
                let day = now.as_second().div_euclid(86_400) * 86_400;
                let t = day + i64::from(secs);
                let t = if t > now.as_second() { t - 86_400 } else { t };
                jiff::Timestamp::from_second(t).unwrap_or(now)
            }
        }
    }
}

/// Where `focus` moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusTarget {
    Next,
    Prev,
    Pane(Pane),
}

pub use crate::journal::Status;

/// One operator command, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Leave (asks first).
    Quit,
    /// Show the help overlay.
    Help,
    Focus(FocusTarget),
    /// Let the focused pane fill the screen, or stop doing so.
    Zoom,
    Pause,
    Resume,
    /// Pause when running, resume when paused.
    TogglePause,
    /// Add a note; without text, open the note editor.
    Note(Option<String>),
    /// Acknowledge the selected alert.
    Ack,
    /// Take the suggested fix for the selected alert to its confirmation.
    Fix,
    /// Tick or untick the selected runbook step.
    Check,
    Severity(u8),
    Status(Status),
    /// Flip a kill switch; without a name, open the kill-switch menu.
    KillSwitch {
        name: Option<String>,
        on: Option<bool>,
    },
    /// Roll a deployment back; without a deployment, the rollback dialog for the selected one.
    Rollback {
        deployment: Option<String>,
        revision: Option<u64>,
    },
    Restart {
        deployment: Option<String>,
    },
    /// An empty `deployment`: the default one, as `rollback` and `restart` without one.
    Scale {
        deployment: String,
        replicas: u32,
    },
    /// Filter the logs by a regex (`!` excludes); without one, open the filter prompt.
    Filter(Option<String>),
    /// Open the `:` command line.
    CommandLine,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Follow the log tail, or stop following.
    Follow,
    /// Wrap long log lines, or cut them.
    Wrap,
    /// Show log lines as written, with their own leading timestamps, or hide those.
    Raw,
    /// Jump to the next error line in the logs.
    NextError,
    /// Copy the selected runbook step's command to the clipboard.
    Copy,
    /// Open an incident by hand.
    IncidentOpen(String),
    /// Lines of context around log filter matches; without a number, toggle 0 and 3.
    Context(Option<usize>),
    /// Show the logs at a time of day (UTC, the latest such time not in the future) or an
    /// RFC 3339 instant, asking the log store for that page when it has one.
    LogsAt(LogTime),
    /// Show the logs at the first error of the run that led up to the selected alert,
    /// asking the log store for the hour before it when there is one.
    FirstError,
    /// Run a shell command (without one, the selected runbook step's command).
    Run(Option<String>),
    /// Show another runbook section: `next`, `prev`, `auto`, or a title or anchor.
    Section(String),
    /// Record who holds an incident role.
    Role(crate::journal::Role, String),
    /// Draft a status update in the editor.
    Update,
    /// Show only timeline entries of one kind (`None`: all); `next` cycles.
    Timeline(TimelineFilter),
    /// Silence the selected alert in Alertmanager for `minutes` (default 60).
    Silence {
        minutes: Option<u64>,
        comment: Option<String>,
    },
    /// Expire a silence (default: the one muting the selected alert).
    ExpireSilence(Option<String>),
    /// Move a replay: pause, step, seek, jump to the next original action, change speed.
    Replay(crate::replay::Transport),
    /// Show the selected workload's Kubernetes events in the pods pane, or the pods again.
    Events,
    /// Show the nodes in the pods pane, or the pods again.
    Nodes,
    /// Show only Warning events, or all.
    Warnings,
    /// Pin the selected event to the timeline.
    Pin,
    /// The describe view of a pod or deployment (the selected one without a name).
    Describe(Option<String>),
    /// Delete a pod (the selected one without a name); its owner replaces it.
    DeletePod(Option<String>),
    /// Cordon a node (the selected node, GPU host or pod's node without a name).
    Cordon(Option<String>),
    Uncordon(Option<String>),
    /// Cordon a node and evict its pods through the Eviction API.
    Drain(Option<String>),
    /// Set an HPA's minimum replicas.
    HpaMin {
        hpa: String,
        min: u32,
    },
    /// Show the Jobs and CronJobs in the pods pane, or the pods again.
    Jobs,
    /// Re-run a failed Job (or run a CronJob now) as a new Job from its template.
    JobRerun(Option<String>),
    /// Suspend a CronJob (`spec.suspend: true`).
    CronJobSuspend(Option<String>),
    /// Resume a suspended CronJob.
    CronJobResume(Option<String>),
    /// Abort or promote an Argo Rollout, or take its canary to 0% (the selected workload's
    /// Rollout without a name).
    Rollout(crate::cluster::rollouts::RolloutOp, Option<String>),
}

/// What the timeline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFilter {
    All,
    Next,
    Only(crate::journal::Kind),
}

/// Why a command line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError(pub String);

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

impl Command {
    /// Parses a command line such as `rollback snapbuilder-serving 2`.
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        parse::line(line)
    }

    /// The table's name of this command.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::Focus(_) => "focus",
            Command::Zoom => "zoom",
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::TogglePause => "toggle-pause",
            Command::Note(_) => "note",
            Command::Ack => "ack",
            Command::Fix => "fix",
            Command::Check => "check",
            Command::Severity(_) => "severity",
            Command::Status(_) => "status",
            Command::KillSwitch { .. } => "kill-switch",
            Command::Rollback { .. } => "rollback",
            Command::Restart { .. } => "restart",
            Command::Scale { .. } => "scale",
            Command::Filter(_) => "filter",
            Command::CommandLine => "command-line",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page-up",
            Command::PageDown => "page-down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Follow => "follow",
            Command::Wrap => "wrap",
            Command::Raw => "raw",
            Command::NextError => "next-error",
            Command::Copy => "copy",
            Command::IncidentOpen(_) => "incident",
            Command::Context(_) => "context",
            Command::LogsAt(_) => "logs-at",
            Command::FirstError => "first-error",
            Command::Run(_) => "run",
            Command::Section(_) => "section",
            Command::Role(..) => "role",
            Command::Update => "update",
            Command::Timeline(_) => "timeline",
            Command::Silence { .. } => "silence",
            Command::ExpireSilence(_) => "expire-silence",
            Command::Replay(_) => "replay",
            Command::Events => "events",
            Command::Nodes => "nodes",
            Command::Warnings => "warnings",
            Command::Pin => "pin",
            Command::Describe(_) => "describe",
            Command::DeletePod(_) => "delete-pod",
            Command::Cordon(_) => "cordon",
            Command::Uncordon(_) => "uncordon",
            Command::Drain(_) => "drain",
            Command::HpaMin { .. } => "hpa-min",
            Command::Jobs => "jobs",
            Command::JobRerun(_) => "job-rerun",
            Command::CronJobSuspend(_) => "cronjob-suspend",
            Command::CronJobResume(_) => "cronjob-resume",
            Command::Rollout(op, _) => op.command(),
        }
    }

    /// This command's entry in the table.
    pub fn spec(&self) -> Option<&'static CommandSpec> {
        table::lookup(self.name())
    }

    /// Whether this command changes the world outside sitrep (the table says).
    pub fn is_world_changing(&self) -> bool {
        self.spec().is_some_and(|s| s.world_changing)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses_its_example_back_to_itself() {
        for c in COMMANDS {
            let cmd = Command::parse(c.example).unwrap_or_else(|e| panic!("{}: {e}", c.example));
            assert_eq!(cmd.name(), c.name, "{}", c.example);
            assert_eq!(cmd.is_world_changing(), c.world_changing, "{}", c.name);
            for alias in c.aliases {
                let line = c.example.replacen(c.name, alias, 1);
                assert_eq!(Command::parse(&line), Ok(cmd.clone()), "{line}");
            }
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut all: Vec<&str> = COMMANDS.iter().flat_map(|c| c.names()).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a name or alias is used twice");
    }

    #[test]
    fn unknown_names_never_slice_inside_a_character() {
        for line in ["€x", "€", "é", "日本語", "ü ber", "ro€", "🦀🦀🦀"] {
            let e = Command::parse(line).expect_err(line);
            assert!(e.0.starts_with("unknown command"), "{line}: {e}");
        }
        assert!(near_names("rollbak").contains(&"rollback"));
        assert!(near_names("quti").contains(&"quit"), "a swap is near");
    }

    #[test]
    fn parses_arguments() {
        assert_eq!(
            Command::parse("rollback snapbuilder-serving 2"),
            Ok(Command::Rollback {
                deployment: Some("snapbuilder-serving".into()),
                revision: Some(2)
            })
        );
        assert_eq!(
            Command::parse("kill-switch ai-disabled on"),
            Ok(Command::KillSwitch {
                name: Some("ai-disabled".into()),
                on: Some(true)
            })
        );
        assert_eq!(Command::parse("severity SEV1"), Ok(Command::Severity(1)));
        assert_eq!(
            Command::parse("silence 2h known issue, fix deploying"),
            Ok(Command::Silence {
                minutes: Some(120),
                comment: Some("known issue, fix deploying".into())
            })
        );
        assert_eq!(
            Command::parse("silence noisy"),
            Ok(Command::Silence {
                minutes: None,
                comment: Some("noisy".into())
            })
        );
        assert_eq!(
            Command::parse("focus logs"),
            Ok(Command::Focus(FocusTarget::Pane(Pane::Logs)))
        );
        assert_eq!(
            Command::parse("note  two words "),
            Ok(Command::Note(Some("two words".into())))
        );
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        for (line, want) in [
            ("severity 7", "severity must be 1 to 4"),
            ("status done", "unknown status `done`"),
            ("scale web many", "replicas must be a whole number"),
            ("focus nowhere", "unknown pane `nowhere`"),
            ("rollbak x", "did you mean rollback"),
            ("quit now", "takes no arguments"),
            ("kill-switch x maybe", "expected on or off"),
            ("expire-silence a b", "usage: expire-silence"),
        ] {
            let e = Command::parse(line).expect_err(line);
            assert!(e.0.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn completes_names_and_arguments() {
        let ctx = CompletionContext {
            deployments: vec!["snapbuilder-serving".into(), "snapbuilder-ingest".into()],
            kill_switches: vec!["ai-disabled".into()],
            pods: vec!["snapbuilder-serving-7d9c-x2b4q".into()],
            rollouts: Vec::new(),
        };
        assert_eq!(complete("rollb", &ctx), vec!["rollback"]);
        assert_eq!(
            complete("rol", &ctx),
            vec!["rollback", "role", "rollout-abort", "rollout-promote"]
        );
        assert_eq!(
            complete("rollback snapbuilder-s", &ctx),
            vec!["rollback snapbuilder-serving"]
        );
        assert_eq!(
            complete("kill-switch ai-disabled ", &ctx),
            vec!["kill-switch ai-disabled on", "kill-switch ai-disabled off"]
        );
        assert!(complete("status m", &ctx).contains(&"status mitigating".to_string()));
        // Aliases complete to their command and take its arguments.
        assert_eq!(complete("ks", &ctx), vec!["kill-switch"]);
        assert_eq!(complete("sev", &ctx), vec!["severity"]);
        assert_eq!(complete("ks a", &ctx), vec!["ks ai-disabled"]);
    }
}
