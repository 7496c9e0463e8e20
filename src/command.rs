//! Operator commands: the one vocabulary shared by keymaps, the `:` line and the help overlay.

use std::fmt;
use std::str::FromStr;

use crate::event::Action;

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
}

/// What the timeline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFilter {
    All,
    Next,
    Only(crate::journal::Kind),
}

/// What the help overlay and completion know of a command.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
    /// Changes the world (hidden by `--read-only`, always confirmed).
    pub world_changing: bool,
}

const fn spec(name: &'static str, args: &'static str, help: &'static str) -> CommandSpec {
    CommandSpec {
        name,
        args,
        help,
        world_changing: false,
    }
}

const fn world(name: &'static str, args: &'static str, help: &'static str) -> CommandSpec {
    CommandSpec {
        name,
        args,
        help,
        world_changing: true,
    }
}

/// Every command, in the order the help overlay lists them.
pub const COMMANDS: &[CommandSpec] = &[
    spec("quit", "", "leave sitrep (asks first)"),
    spec("help", "", "show keys and commands"),
    spec("focus", "next|prev|<pane>", "move the focus"),
    spec("zoom", "", "let the focused pane fill the screen"),
    spec("pause", "", "stop the drill clock"),
    spec("resume", "", "start the drill clock again"),
    spec("toggle-pause", "", "pause or resume the drill clock"),
    spec(
        "note",
        "[text]",
        "add a note to the timeline (no text: editor)",
    ),
    spec("ack", "", "acknowledge the selected alert"),
    spec("check", "", "tick or untick the selected runbook step"),
    spec("severity", "<1-4>", "set the incident's severity"),
    spec(
        "status",
        "<investigating|identified|mitigating|monitoring|resolved>",
        "set the incident's status",
    ),
    world(
        "kill-switch",
        "[name] [on|off]",
        "flip a kill switch (no name: menu)",
    ),
    world(
        "rollback",
        "[deployment] [revision]",
        "roll a deployment back",
    ),
    world(
        "restart",
        "[deployment]",
        "restart every pod of a deployment",
    ),
    world(
        "scale",
        "<deployment> <replicas>",
        "set a deployment's replicas",
    ),
    spec(
        "filter",
        "[regex|!regex]",
        "filter the logs (no regex: prompt)",
    ),
    spec("command-line", "", "open the command line"),
    spec("up", "", "select the previous row"),
    spec("down", "", "select the next row"),
    spec("page-up", "", "scroll a page up"),
    spec("page-down", "", "scroll a page down"),
    spec("top", "", "select the first row"),
    spec("bottom", "", "select the last row"),
    spec("follow", "", "follow the log tail, or stop"),
    spec("wrap", "", "wrap long log lines, or cut them"),
    spec(
        "raw",
        "",
        "show log lines' own leading timestamps, or hide them",
    ),
    spec("next-error", "", "jump to the next error in the logs"),
    spec("copy", "", "copy the selected step's command (OSC 52)"),
    spec(
        "context",
        "[lines]",
        "lines around each log filter match (no number: toggle 3)",
    ),
    spec("incident", "open <title>", "open an incident by hand"),
    world(
        "run",
        "[command]",
        "run a command in a shell (no command: the selected step's)",
    ),
    spec(
        "section",
        "next|prev|auto|<title>",
        "show another runbook section",
    ),
    spec(
        "role",
        "<ic|scribe|comms> <name>",
        "record who holds an incident role",
    ),
    spec(
        "update",
        "",
        "draft a status update (ctrl-s posts and copies it)",
    ),
    spec(
        "timeline",
        "all|next|<kind>",
        "show only timeline entries of one kind",
    ),
    world(
        "silence",
        "[duration] [comment]",
        "silence the selected alert (default 1h)",
    ),
    world(
        "expire-silence",
        "[id]",
        "end a silence (default: the selected alert's)",
    ),
];

/// Why a command line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError(pub String);

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

fn err<T>(msg: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError(msg.into()))
}

fn on_off(word: &str) -> Result<bool, CommandError> {
    match word {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        other => err(format!("expected on or off, got `{other}`")),
    }
}

impl Command {
    /// Parses a command line such as `rollback snapbuilder-serving 2`.
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        let line = line.trim();
        let (name, rest) = match line.split_once(char::is_whitespace) {
            Some((n, r)) => (n, r.trim()),
            None => (line, ""),
        };
        let args: Vec<&str> = rest.split_whitespace().collect();
        let no_args = |c: Command| {
            if args.is_empty() {
                Ok(c)
            } else {
                err(format!("`{name}` takes no arguments"))
            }
        };
        let text = || (!rest.is_empty()).then(|| rest.to_string());
        match name {
            "" => err("empty command"),
            "quit" | "q" => no_args(Command::Quit),
            "help" => no_args(Command::Help),
            "zoom" => no_args(Command::Zoom),
            "pause" => no_args(Command::Pause),
            "resume" => no_args(Command::Resume),
            "toggle-pause" => no_args(Command::TogglePause),
            "ack" => no_args(Command::Ack),
            "check" => no_args(Command::Check),
            "command-line" => no_args(Command::CommandLine),
            "up" => no_args(Command::Up),
            "down" => no_args(Command::Down),
            "page-up" => no_args(Command::PageUp),
            "page-down" => no_args(Command::PageDown),
            "top" => no_args(Command::Top),
            "bottom" => no_args(Command::Bottom),
            "follow" => no_args(Command::Follow),
            "wrap" => no_args(Command::Wrap),
            "raw" => no_args(Command::Raw),
            "next-error" => no_args(Command::NextError),
            "copy" => no_args(Command::Copy),
            "note" => Ok(Command::Note(text())),
            "filter" => Ok(Command::Filter(text())),
            "focus" => match args.as_slice() {
                ["next"] => Ok(Command::Focus(FocusTarget::Next)),
                ["prev"] => Ok(Command::Focus(FocusTarget::Prev)),
                [p] => p
                    .parse()
                    .map(|p| Command::Focus(FocusTarget::Pane(p)))
                    .or_else(|_| {
                        err(format!(
                            "unknown pane `{p}`; panes: next, prev, {}",
                            pane_names().join(", ")
                        ))
                    }),
                _ => err("usage: focus next|prev|<pane>"),
            },
            "severity" | "sev" => match args.as_slice() {
                [n] => match n
                    .trim_start_matches(['S', 'E', 'V', 's', 'e', 'v'])
                    .parse::<u8>()
                {
                    Ok(n @ 1..=4) => Ok(Command::Severity(n)),
                    _ => err(format!("severity must be 1 to 4, got `{n}`")),
                },
                _ => err("usage: severity <1-4>"),
            },
            "status" => match args.as_slice() {
                [s] => s.parse().map(Command::Status).or_else(|_| {
                    err(format!(
                        "unknown status `{s}`; one of: {}",
                        Status::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
                _ => err("usage: status <investigating|identified|mitigating|monitoring|resolved>"),
            },
            "kill-switch" | "ks" => match args.as_slice() {
                [] => Ok(Command::KillSwitch {
                    name: None,
                    on: None,
                }),
                [n] => Ok(Command::KillSwitch {
                    name: Some(n.to_string()),
                    on: None,
                }),
                [n, v] => Ok(Command::KillSwitch {
                    name: Some(n.to_string()),
                    on: Some(on_off(v)?),
                }),
                _ => err("usage: kill-switch [name] [on|off]"),
            },
            "rollback" => match args.as_slice() {
                [] => Ok(Command::Rollback {
                    deployment: None,
                    revision: None,
                }),
                [d] => Ok(Command::Rollback {
                    deployment: Some(d.to_string()),
                    revision: None,
                }),
                [d, r] => match r.parse::<u64>() {
                    Ok(r) if r > 0 => Ok(Command::Rollback {
                        deployment: Some(d.to_string()),
                        revision: Some(r),
                    }),
                    _ => err(format!("revision must be a positive number, got `{r}`")),
                },
                _ => err("usage: rollback [deployment] [revision]"),
            },
            "restart" => match args.as_slice() {
                [] => Ok(Command::Restart { deployment: None }),
                [d] => Ok(Command::Restart {
                    deployment: Some(d.to_string()),
                }),
                _ => err("usage: restart [deployment]"),
            },
            "scale" => match args.as_slice() {
                [d, n] => match n.parse::<u32>() {
                    Ok(n) => Ok(Command::Scale {
                        deployment: d.to_string(),
                        replicas: n,
                    }),
                    Err(_) => err(format!("replicas must be a whole number, got `{n}`")),
                },
                _ => err("usage: scale <deployment> <replicas>"),
            },
            "run" => Ok(Command::Run(text())),
            "context" => match args.as_slice() {
                [] => Ok(Command::Context(None)),
                [n] => n.parse().map(|n| Command::Context(Some(n))).map_err(|_| {
                    CommandError(format!("context takes a number of lines, got `{n}`"))
                }),
                _ => err("usage: context [lines]"),
            },
            "update" => no_args(Command::Update),
            "role" => match rest.split_once(char::is_whitespace) {
                Some((role, name)) if !name.trim().is_empty() => match role.parse() {
                    Ok(r) => Ok(Command::Role(r, name.trim().to_string())),
                    Err(_) => err(format!("unknown role `{role}`; one of: ic, scribe, comms")),
                },
                _ => err("usage: role <ic|scribe|comms> <name>"),
            },
            "timeline" => match args.as_slice() {
                ["all"] => Ok(Command::Timeline(TimelineFilter::All)),
                ["next"] => Ok(Command::Timeline(TimelineFilter::Next)),
                [k] => k
                    .parse()
                    .map(|k| Command::Timeline(TimelineFilter::Only(k)))
                    .map_err(|e: crate::journal::UnknownToken| CommandError(format!("{e}"))),
                _ => err("usage: timeline all|next|<kind>"),
            },
            "section" => match args.as_slice() {
                [] => err("usage: section next|prev|auto|<title or anchor>"),
                _ => Ok(Command::Section(rest.to_string())),
            },
            "silence" => {
                let (minutes, comment) =
                    match args.first().map(|a| crate::config::PromDuration::parse(a)) {
                        Some(Ok(d)) => {
                            let m = (d.secs() / 60.0).ceil() as u64;
                            if m == 0 {
                                return err("a silence lasts at least a minute");
                            }
                            let comment = rest[args[0].len()..].trim();
                            (Some(m), (!comment.is_empty()).then(|| comment.to_string()))
                        }
                        _ => (None, text()),
                    };
                Ok(Command::Silence { minutes, comment })
            }
            "expire-silence" => match args.as_slice() {
                [] => Ok(Command::ExpireSilence(None)),
                [id] => Ok(Command::ExpireSilence(Some(id.to_string()))),
                _ => err("usage: expire-silence [id]"),
            },
            "incident" => match rest.split_once(char::is_whitespace) {
                Some(("open", title)) if !title.trim().is_empty() => {
                    Ok(Command::IncidentOpen(title.trim().to_string()))
                }
                _ => err("usage: incident open <title>"),
            },
            other => {
                let near: Vec<&str> = COMMANDS
                    .iter()
                    .map(|c| c.name)
                    .filter(|n| n.starts_with(&other[..other.len().min(2)]))
                    .collect();
                if near.is_empty() {
                    err(format!("unknown command `{other}` (`help` lists them)"))
                } else {
                    err(format!(
                        "unknown command `{other}`; did you mean {}?",
                        near.join(", ")
                    ))
                }
            }
        }
    }

    /// Whether this command changes the world outside sitrep.
    pub fn is_world_changing(&self) -> bool {
        matches!(
            self,
            Command::KillSwitch { .. }
                | Command::Rollback { .. }
                | Command::Restart { .. }
                | Command::Scale { .. }
                | Command::Run(_)
                | Command::Silence { .. }
                | Command::ExpireSilence(_)
        )
    }

    /// The action this command asks for, when it names everything the action needs.
    pub fn action(&self) -> Option<Action> {
        match self {
            Command::KillSwitch {
                name: Some(name),
                on: Some(on),
            } => Some(Action::KillSwitch {
                name: name.clone(),
                on: *on,
            }),
            Command::Rollback {
                deployment: Some(d),
                revision,
            } => Some(Action::Rollback {
                deployment: d.clone(),
                revision: *revision,
            }),
            Command::Restart {
                deployment: Some(d),
            } => Some(Action::Restart {
                deployment: d.clone(),
            }),
            Command::Scale {
                deployment,
                replicas,
            } => Some(Action::Scale {
                deployment: deployment.clone(),
                replicas: *replicas,
            }),
            _ => None,
        }
    }
}

fn pane_names() -> Vec<&'static str> {
    Pane::ALL.iter().map(|p| p.name()).collect()
}

/// Names the command line can complete arguments from.
#[derive(Debug, Default, Clone)]
pub struct CompletionContext {
    pub deployments: Vec<String>,
    pub kill_switches: Vec<String>,
}

/// Completions for a partly typed command line: whole replacement lines, best first.
pub fn complete(line: &str, ctx: &CompletionContext) -> Vec<String> {
    let ends_with_space = line.ends_with(' ');
    let words: Vec<&str> = line.split_whitespace().collect();
    let (done, partial): (&[&str], &str) = match words.as_slice() {
        [] => (&[], ""),
        all if ends_with_space => (all, ""),
        [init @ .., last] => (init, last),
    };
    let candidates: Vec<String> = match done {
        [] => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
        ["focus"] => ["next", "prev"]
            .into_iter()
            .chain(pane_names())
            .map(str::to_string)
            .collect(),
        ["status"] => Status::ALL.iter().map(|s| s.as_str().to_string()).collect(),
        ["severity"] => (1..=4).map(|n| n.to_string()).collect(),
        ["rollback" | "restart" | "scale"] => ctx.deployments.clone(),
        ["kill-switch"] => ctx.kill_switches.clone(),
        ["kill-switch", _] => vec!["on".into(), "off".into()],
        ["incident"] => vec!["open".into()],
        ["section"] => vec!["next".into(), "prev".into(), "auto".into()],
        ["role"] => vec!["ic".into(), "scribe".into(), "comms".into()],
        ["timeline"] => ["all", "next"]
            .into_iter()
            .map(str::to_string)
            .chain(
                crate::journal::Kind::ALL
                    .iter()
                    .map(|k| k.as_str().to_string()),
            )
            .collect(),
        _ => Vec::new(),
    };
    let prefix = if done.is_empty() {
        String::new()
    } else {
        format!("{} ", done.join(" "))
    };
    candidates
        .into_iter()
        .filter(|c| c.starts_with(partial))
        .map(|c| format!("{prefix}{c}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_command() {
        for c in COMMANDS {
            let line = match c.name {
                "focus" => "focus next".to_string(),
                "severity" => "severity 2".into(),
                "status" => "status mitigating".into(),
                "scale" => "scale web 3".into(),
                "incident" => "incident open checkout down".into(),
                "section" => "section next".into(),
                "role" => "role ic alice".into(),
                "timeline" => "timeline note".into(),
                n => n.to_string(),
            };
            assert!(Command::parse(&line).is_ok(), "{line}");
        }
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
        };
        assert_eq!(complete("rollb", &ctx), vec!["rollback"]);
        assert_eq!(complete("rol", &ctx), vec!["rollback", "role"]);
        assert_eq!(
            complete("rollback snapbuilder-s", &ctx),
            vec!["rollback snapbuilder-serving"]
        );
        assert_eq!(
            complete("kill-switch ai-disabled ", &ctx),
            vec!["kill-switch ai-disabled on", "kill-switch ai-disabled off"]
        );
        assert!(complete("status m", &ctx).contains(&"status mitigating".to_string()));
    }
}
