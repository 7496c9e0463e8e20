//! The command table: every command once, with its name, aliases, arguments and their
//! completers, help text, whether it changes the world, and how it parses. Help, `:`
//! completion, keymap checks and the README's command block are all read from here.
//!
//! Adding a command: add its variant to [`Command`], one entry below, and its name to
//! [`Command::name`]; the tests check that the entry's example parses back to it.

use super::complete::{self, Completer};
use super::parse::{self, Args};
use super::{Command, CommandError};

/// Parses the arguments of one command.
pub type Parser = fn(&Args<'_>) -> Result<Command, CommandError>;

/// One command as help, completion and the parser know it.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    /// Other names that parse to the same command (`q` for `quit`).
    pub aliases: &'static [&'static str],
    /// The arguments as usage shows them: `[deployment] [revision]`.
    pub args: &'static str,
    pub help: &'static str,
    /// Changes the world (hidden by `--read-only`, always confirmed).
    pub world_changing: bool,
    /// A line that parses to this command, for tests and docs.
    pub example: &'static str,
    /// How its arguments parse.
    pub parse: Parser,
    /// What completes each argument, by position.
    pub complete: &'static [Completer],
}

impl CommandSpec {
    const fn new(
        name: &'static str,
        args: &'static str,
        help: &'static str,
        parse: Parser,
    ) -> Self {
        CommandSpec {
            name,
            aliases: &[],
            args,
            help,
            world_changing: false,
            example: name,
            parse,
            complete: &[],
        }
    }

    const fn alias(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    const fn world(mut self) -> Self {
        self.world_changing = true;
        self
    }

    const fn example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }

    const fn complete(mut self, complete: &'static [Completer]) -> Self {
        self.complete = complete;
        self
    }

    /// `name` and every alias.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// `usage: name args`.
    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            format!("usage: {}", self.name)
        } else {
            format!("usage: {} {}", self.name, self.args)
        }
    }
}

const fn cmd(name: &'static str, args: &'static str, help: &'static str, p: Parser) -> CommandSpec {
    CommandSpec::new(name, args, help, p)
}

use complete as c;
use parse as p;

/// Every command, in the order the help overlay lists them.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("quit", "", "leave sitrep (asks first)", |a| {
        a.none(Command::Quit)
    })
    .alias(&["q"]),
    cmd("help", "", "show keys and commands", |a| {
        a.none(Command::Help)
    }),
    cmd("focus", "next|prev|<pane>", "move the focus", p::focus)
        .example("focus next")
        .complete(&[c::focus]),
    cmd("zoom", "", "let the focused pane fill the screen", |a| {
        a.none(Command::Zoom)
    }),
    cmd("pause", "", "stop the drill clock", |a| {
        a.none(Command::Pause)
    }),
    cmd("resume", "", "start the drill clock again", |a| {
        a.none(Command::Resume)
    }),
    cmd("toggle-pause", "", "pause or resume the drill clock", |a| {
        a.none(Command::TogglePause)
    }),
    cmd(
        "note",
        "[text]",
        "add a note to the timeline (no text: editor)",
        |a| Ok(Command::Note(a.text())),
    ),
    cmd("ack", "", "acknowledge the selected alert", |a| {
        a.none(Command::Ack)
    }),
    cmd(
        "fix",
        "",
        "take the selected alert's suggested fix to its confirmation",
        |a| a.none(Command::Fix),
    )
    .world(),
    cmd(
        "check",
        "",
        "tick or untick the selected runbook step",
        |a| a.none(Command::Check),
    ),
    cmd(
        "severity",
        "<1-4>",
        "set the incident's severity",
        p::severity,
    )
    .alias(&["sev"])
    .example("severity 2")
    .complete(&[c::severities]),
    cmd(
        "status",
        "<investigating|identified|mitigating|monitoring|resolved>",
        "set the incident's status",
        p::status,
    )
    .example("status mitigating")
    .complete(&[c::statuses]),
    cmd(
        "kill-switch",
        "[name] [on|off]",
        "flip a kill switch (no name: menu)",
        p::kill_switch,
    )
    .alias(&["ks"])
    .world()
    .complete(&[c::kill_switches, c::on_off]),
    cmd(
        "rollback",
        "[deployment] [revision]",
        "roll a deployment back",
        p::rollback,
    )
    .world()
    .complete(&[c::deployments]),
    cmd(
        "restart",
        "[deployment]",
        "restart every pod of a deployment",
        p::restart,
    )
    .world()
    .complete(&[c::deployments]),
    cmd(
        "scale",
        "[deployment] <replicas>",
        "set a deployment's replicas",
        p::scale,
    )
    .world()
    .example("scale web 3")
    .complete(&[c::deployments]),
    cmd(
        "filter",
        "[regex|!regex]",
        "filter the logs (no regex: prompt)",
        |a| Ok(Command::Filter(a.text())),
    ),
    cmd("command-line", "", "open the command line", |a| {
        a.none(Command::CommandLine)
    }),
    cmd("up", "", "select the previous row", |a| a.none(Command::Up)),
    cmd("down", "", "select the next row", |a| a.none(Command::Down)),
    cmd("page-up", "", "scroll a page up", |a| {
        a.none(Command::PageUp)
    }),
    cmd("page-down", "", "scroll a page down", |a| {
        a.none(Command::PageDown)
    }),
    cmd("top", "", "select the first row", |a| a.none(Command::Top)),
    cmd("bottom", "", "select the last row", |a| {
        a.none(Command::Bottom)
    }),
    cmd("follow", "", "follow the log tail, or stop", |a| {
        a.none(Command::Follow)
    }),
    cmd("wrap", "", "wrap long log lines, or cut them", |a| {
        a.none(Command::Wrap)
    }),
    cmd(
        "raw",
        "",
        "show log lines' own leading timestamps, or hide them",
        |a| a.none(Command::Raw),
    ),
    cmd(
        "next-error",
        "",
        "jump to the next error in the logs",
        |a| a.none(Command::NextError),
    ),
    cmd(
        "copy",
        "",
        "copy the selected step's command (OSC 52)",
        |a| a.none(Command::Copy),
    ),
    cmd(
        "context",
        "[lines]",
        "lines around each log filter match (no number: toggle 3)",
        p::context,
    ),
    cmd(
        "logs-at",
        "<HH:MM[:SS]|RFC 3339>",
        "show the logs at a time (UTC), asking the log store for it",
        p::logs_at,
    )
    .example("logs-at 14:02"),
    cmd(
        "first-error",
        "",
        "show the logs where the errors before the selected alert began",
        |a| a.none(Command::FirstError),
    ),
    cmd(
        "incident",
        "open <title>",
        "open an incident by hand",
        p::incident,
    )
    .example("incident open checkout down")
    .complete(&[c::incident]),
    cmd(
        "run",
        "[command]",
        "run a command in a shell (no command: the selected step's)",
        |a| Ok(Command::Run(a.text())),
    )
    .world(),
    cmd(
        "section",
        "next|prev|auto|<title or anchor>",
        "show another runbook section",
        p::section,
    )
    .example("section next")
    .complete(&[c::section]),
    cmd(
        "role",
        "<ic|scribe|comms> <name>",
        "record who holds an incident role",
        p::role,
    )
    .example("role ic alice")
    .complete(&[c::roles]),
    cmd(
        "update",
        "",
        "draft a status update (ctrl-s posts and copies it)",
        |a| a.none(Command::Update),
    ),
    cmd(
        "timeline",
        "all|next|<kind>",
        "show only timeline entries of one kind",
        p::timeline,
    )
    .example("timeline note")
    .complete(&[c::timeline]),
    cmd(
        "silence",
        "[duration] [comment]",
        "silence the selected alert (default 1h)",
        p::silence,
    )
    .world(),
    cmd(
        "expire-silence",
        "[id]",
        "end a silence (default: the selected alert's)",
        p::expire_silence,
    )
    .world(),
    cmd(
        "replay",
        crate::replay::Transport::USAGE,
        "move a replay: pause, step a second, seek, the original's next action, speed",
        p::replay,
    )
    .example("replay seek -10m"),
    cmd(
        "events",
        "",
        "the selected workload's Kubernetes events, or the pods again",
        |a| a.none(Command::Events),
    ),
    cmd("warnings", "", "show only Warning events, or all", |a| {
        a.none(Command::Warnings)
    }),
    cmd("pin", "", "pin the selected event to the timeline", |a| {
        a.none(Command::Pin)
    }),
    cmd(
        "describe",
        "[pod|deployment]",
        "describe a pod or deployment as kubectl does (default: the selected one)",
        crate::command::parse_cluster::describe,
    )
    .complete(&[c::deployments]),
    cmd(
        "nodes",
        "",
        "the nodes in the pods pane, or the pods again",
        |a| a.none(Command::Nodes),
    ),
    cmd(
        "delete-pod",
        "[pod]",
        "delete a pod; its owner replaces it (default: the selected pod)",
        crate::command::parse_cluster::delete_pod,
    )
    .world()
    .example("delete-pod web-7d9c-x2b4q")
    .complete(&[c::pods]),
    cmd(
        "cordon",
        "[node]",
        "mark a node unschedulable (default: the selected node)",
        crate::command::parse_cluster::cordon,
    )
    .world(),
    cmd(
        "uncordon",
        "[node]",
        "let pods be scheduled on a node again",
        crate::command::parse_cluster::uncordon,
    )
    .world(),
    cmd(
        "drain",
        "[node]",
        "cordon a node and evict its pods, respecting disruption budgets",
        crate::command::parse_cluster::drain,
    )
    .world(),
    cmd(
        "hpa-min",
        "<hpa> <replicas>",
        "set an autoscaler's minimum replicas",
        crate::command::parse_cluster::hpa_min,
    )
    .world()
    .example("hpa-min web 4"),
    cmd(
        "jobs",
        "",
        "the Jobs and CronJobs in the pods pane, failing ones first, or the pods again",
        |a| a.none(Command::Jobs),
    ),
    cmd(
        "job-rerun",
        "[job|cronjob]",
        "run a failed Job again (or a CronJob now) as a new Job from its template",
        crate::command::parse_cluster::job_rerun,
    )
    .world(),
    cmd(
        "cronjob-suspend",
        "[cronjob]",
        "suspend a CronJob: no new runs until resumed",
        crate::command::parse_cluster::cronjob_suspend,
    )
    .world(),
    cmd(
        "cronjob-resume",
        "[cronjob]",
        "resume a suspended CronJob",
        crate::command::parse_cluster::cronjob_resume,
    )
    .world(),
    cmd(
        "rollout-abort",
        "[rollout]",
        "abort an Argo Rollout: canary scaled down, 100% to stable",
        crate::command::parse_cluster::rollout_abort,
    )
    .world()
    .complete(&[c::rollouts]),
    cmd(
        "rollout-promote",
        "[rollout]",
        "promote an Argo Rollout: end its pause or go to the next step",
        crate::command::parse_cluster::rollout_promote,
    )
    .world()
    .complete(&[c::rollouts]),
    cmd(
        "canary-zero",
        "[rollout]",
        "take an Argo Rollout's canary to 0% (done as an abort)",
        crate::command::parse_cluster::canary_zero,
    )
    .world()
    .complete(&[c::rollouts]),
];

/// The command called `name` or aliased so.
pub fn lookup(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.names().any(|n| n == name))
}
