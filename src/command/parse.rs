//! How each command's arguments parse, and what an unknown name is answered with.

use super::table::{COMMANDS, CommandSpec};
use super::{Command, CommandError, FocusTarget, Pane, Status, TimelineFilter};

/// A command line split into the name as typed and its arguments.
#[derive(Debug)]
pub struct Args<'a> {
    /// The name as typed (an alias, perhaps).
    pub name: &'a str,
    /// Everything after the name, trimmed.
    pub rest: &'a str,
    /// `rest` split on whitespace.
    pub words: Vec<&'a str>,
    pub spec: &'static CommandSpec,
}

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError(msg.into()))
}

impl Args<'_> {
    /// `cmd` when no arguments were given.
    pub fn none(&self, cmd: Command) -> Result<Command, CommandError> {
        if self.words.is_empty() {
            Ok(cmd)
        } else {
            err(format!("`{}` takes no arguments", self.name))
        }
    }

    /// The arguments as one text, if any.
    pub fn text(&self) -> Option<String> {
        (!self.rest.is_empty()).then(|| self.rest.to_string())
    }

    /// The usage error of this command.
    pub fn usage<T>(&self) -> Result<T, CommandError> {
        err(self.spec.usage())
    }
}

/// Splits and parses a line.
pub(super) fn line(line: &str) -> Result<Command, CommandError> {
    let line = line.trim();
    let (name, rest) = match line.split_once(char::is_whitespace) {
        Some((n, r)) => (n, r.trim()),
        None => (line, ""),
    };
    if name.is_empty() {
        return err("empty command");
    }
    let Some(spec) = super::table::lookup(name) else {
        return unknown(name);
    };
    let args = Args {
        name,
        rest,
        words: rest.split_whitespace().collect(),
        spec,
    };
    (spec.parse)(&args)
}

/// Names close to `name`: sharing its first two characters, or a typo or two away.
pub fn near_names(name: &str) -> Vec<&'static str> {
    // Counted in characters, never bytes: a name can start with any character at all.
    let head: String = name.chars().take(2).collect();
    let mut near: Vec<(usize, &'static str)> = COMMANDS
        .iter()
        .flat_map(|c| c.names())
        .filter_map(|n| {
            let d = distance(name, n);
            (d <= 2 || n.starts_with(&head)).then_some((d, n))
        })
        .collect();
    near.sort();
    near.dedup_by_key(|(_, n)| *n);
    near.into_iter().map(|(_, n)| n).collect()
}

fn unknown(name: &str) -> Result<Command, CommandError> {
    let near = near_names(name);
    if near.is_empty() {
        err(format!("unknown command `{name}` (`help` lists them)"))
    } else {
        err(format!(
            "unknown command `{name}`; did you mean {}?",
            near.join(", ")
        ))
    }
}

/// Edit distance in characters (Levenshtein).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

fn on_off(word: &str) -> Result<bool, CommandError> {
    match word {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        other => err(format!("expected on or off, got `{other}`")),
    }
}

pub(super) fn pane_names() -> Vec<&'static str> {
    Pane::ALL.iter().map(|p| p.name()).collect()
}

pub(super) fn focus(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
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
        _ => a.usage(),
    }
}

pub(super) fn severity(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        [n] => match n
            .trim_start_matches(['S', 'E', 'V', 's', 'e', 'v'])
            .parse::<u8>()
        {
            Ok(n @ 1..=4) => Ok(Command::Severity(n)),
            _ => err(format!("severity must be 1 to 4, got `{n}`")),
        },
        _ => a.usage(),
    }
}

pub(super) fn status(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
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
        _ => a.usage(),
    }
}

pub(super) fn kill_switch(a: &Args<'_>) -> Result<Command, CommandError> {
    let (name, on) = match a.words.as_slice() {
        [] => (None, None),
        [n] => (Some(n.to_string()), None),
        [n, v] => (Some(n.to_string()), Some(on_off(v)?)),
        _ => return a.usage(),
    };
    Ok(Command::KillSwitch { name, on })
}

pub(super) fn rollback(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
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
        _ => a.usage(),
    }
}

pub(super) fn restart(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        [] => Ok(Command::Restart { deployment: None }),
        [d] => Ok(Command::Restart {
            deployment: Some(d.to_string()),
        }),
        _ => a.usage(),
    }
}

pub(super) fn scale(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        // `scale 3`: the default deployment (the alert's service's, or the selected one).
        [n] if n.parse::<u32>().is_ok() => Ok(Command::Scale {
            deployment: String::new(),
            replicas: n.parse().unwrap_or_default(),
        }),
        [d, n] => match n.parse::<u32>() {
            Ok(n) => Ok(Command::Scale {
                deployment: d.to_string(),
                replicas: n,
            }),
            Err(_) => err(format!("replicas must be a whole number, got `{n}`")),
        },
        _ => a.usage(),
    }
}

pub(super) fn context(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        [] => Ok(Command::Context(None)),
        [n] => n
            .parse()
            .map(|n| Command::Context(Some(n)))
            .map_err(|_| CommandError(format!("context takes a number of lines, got `{n}`"))),
        _ => a.usage(),
    }
}

pub(super) fn logs_at(a: &Args<'_>) -> Result<Command, CommandError> {
    let [when] = a.words.as_slice() else {
        return a.usage();
    };
    if let Ok(t) = when.parse::<jiff::Timestamp>() {
        return Ok(Command::LogsAt(super::LogTime::Instant(t)));
    }
    let parts: Vec<&str> = when.split(':').collect();
    let num = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| *n < max && s.len() == 2);
    let secs = match parts.as_slice() {
        [h, m] => num(h, 24).zip(num(m, 60)).map(|(h, m)| h * 3600 + m * 60),
        [h, m, s] => num(h, 24)
            .zip(num(m, 60))
            .zip(num(s, 60))
            .map(|((h, m), s)| h * 3600 + m * 60 + s),
        _ => None,
    };
    match secs {
        Some(s) => Ok(Command::LogsAt(super::LogTime::OfDay(s))),
        None => err(format!(
            "logs-at takes a UTC time such as 14:02, 14:02:30 or 2026-11-23T14:02:00Z, got `{when}`"
        )),
    }
}

pub(super) fn role(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.rest.split_once(char::is_whitespace) {
        Some((role, name)) if !name.trim().is_empty() => match role.parse() {
            Ok(r) => Ok(Command::Role(r, name.trim().to_string())),
            Err(_) => err(format!("unknown role `{role}`; one of: ic, scribe, comms")),
        },
        _ => a.usage(),
    }
}

pub(super) fn timeline(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        ["all"] => Ok(Command::Timeline(TimelineFilter::All)),
        ["next"] => Ok(Command::Timeline(TimelineFilter::Next)),
        [k] => k
            .parse()
            .map(|k| Command::Timeline(TimelineFilter::Only(k)))
            .map_err(|e: crate::journal::UnknownToken| CommandError(format!("{e}"))),
        _ => a.usage(),
    }
}

pub(super) fn section(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        [] => a.usage(),
        _ => Ok(Command::Section(a.rest.to_string())),
    }
}

pub(super) fn silence(a: &Args<'_>) -> Result<Command, CommandError> {
    let first = a.words.first().copied();
    let (minutes, comment) = match first.map(crate::config::PromDuration::parse) {
        Some(Ok(d)) => {
            let m = (d.secs() / 60.0).ceil() as u64;
            if m == 0 {
                return err("a silence lasts at least a minute");
            }
            // The first word is a prefix of `rest`, so this cut falls on a char boundary.
            let comment = a
                .rest
                .strip_prefix(first.unwrap_or(""))
                .unwrap_or("")
                .trim();
            (Some(m), (!comment.is_empty()).then(|| comment.to_string()))
        }
        _ => (None, a.text()),
    };
    Ok(Command::Silence { minutes, comment })
}

pub(super) fn expire_silence(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.words.as_slice() {
        [] => Ok(Command::ExpireSilence(None)),
        [id] => Ok(Command::ExpireSilence(Some(id.to_string()))),
        _ => a.usage(),
    }
}

pub(super) fn incident(a: &Args<'_>) -> Result<Command, CommandError> {
    match a.rest.split_once(char::is_whitespace) {
        Some(("open", title)) if !title.trim().is_empty() => {
            Ok(Command::IncidentOpen(title.trim().to_string()))
        }
        _ => a.usage(),
    }
}

pub(super) fn replay(a: &Args<'_>) -> Result<Command, CommandError> {
    crate::replay::Transport::parse(&a.words)
        .map(Command::Replay)
        .map_err(CommandError)
}
