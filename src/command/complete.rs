//! Completion of a partly typed command line, from the command table's completers.

use super::Status;
use super::parse::pane_names;
use super::table::{COMMANDS, lookup};

/// Names the command line can complete arguments from.
#[derive(Debug, Default, Clone)]
pub struct CompletionContext {
    pub deployments: Vec<String>,
    pub kill_switches: Vec<String>,
    /// The pods the cockpit watches, by name.
    pub pods: Vec<String>,
    /// The Argo Rollouts the cockpit watches, by name.
    pub rollouts: Vec<String>,
}

/// What one argument can be, given what the cockpit knows.
pub type Completer = fn(&CompletionContext) -> Vec<String>;

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

pub(super) fn focus(_: &CompletionContext) -> Vec<String> {
    ["next", "prev"]
        .into_iter()
        .chain(pane_names())
        .map(str::to_string)
        .collect()
}

pub(super) fn statuses(_: &CompletionContext) -> Vec<String> {
    Status::ALL.iter().map(|s| s.as_str().to_string()).collect()
}

pub(super) fn severities(_: &CompletionContext) -> Vec<String> {
    (1..=4).map(|n| n.to_string()).collect()
}

pub(super) fn deployments(ctx: &CompletionContext) -> Vec<String> {
    ctx.deployments.clone()
}

pub(super) fn pods(ctx: &CompletionContext) -> Vec<String> {
    ctx.pods.clone()
}

pub(super) fn rollouts(ctx: &CompletionContext) -> Vec<String> {
    ctx.rollouts.clone()
}

pub(super) fn kill_switches(ctx: &CompletionContext) -> Vec<String> {
    ctx.kill_switches.clone()
}

pub(super) fn on_off(_: &CompletionContext) -> Vec<String> {
    words(&["on", "off"])
}

pub(super) fn incident(_: &CompletionContext) -> Vec<String> {
    words(&["open"])
}

pub(super) fn section(_: &CompletionContext) -> Vec<String> {
    words(&["next", "prev", "auto"])
}

pub(super) fn roles(_: &CompletionContext) -> Vec<String> {
    words(&["ic", "scribe", "comms"])
}

pub(super) fn timeline(_: &CompletionContext) -> Vec<String> {
    ["all", "next"]
        .into_iter()
        .map(str::to_string)
        .chain(
            crate::journal::Kind::ALL
                .iter()
                .map(|k| k.as_str().to_string()),
        )
        .collect()
}

/// Completions for a partly typed command line: whole replacement lines, best first.
/// A name completes from its aliases too (`ks` becomes `kill-switch`), and an alias takes
/// the same arguments.
pub fn complete(line: &str, ctx: &CompletionContext) -> Vec<String> {
    let ends_with_space = line.ends_with(' ');
    let words: Vec<&str> = line.split_whitespace().collect();
    let (done, partial): (&[&str], &str) = match words.as_slice() {
        [] => (&[], ""),
        all if ends_with_space => (all, ""),
        [init @ .., last] => (init, last),
    };
    let candidates: Vec<String> = match done {
        [] => {
            return COMMANDS
                .iter()
                .filter(|c| c.names().any(|n| n.starts_with(partial)))
                .map(|c| c.name.to_string())
                .collect();
        }
        [name, args @ ..] => lookup(name)
            .and_then(|spec| spec.complete.get(args.len()))
            .map(|f| f(ctx))
            .unwrap_or_default(),
    };
    let prefix = format!("{} ", done.join(" "));
    candidates
        .into_iter()
        .filter(|c| c.starts_with(partial))
        .map(|c| format!("{prefix}{c}"))
        .collect()
}
