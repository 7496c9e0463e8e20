//! Log lines, the gaps between them, history pages, where lines come from, and what the
//! log tailer is asked to follow.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One line of a container's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub at: Timestamp,
    pub pod: String,
    pub container: String,
    pub text: String,
}

/// A stretch of time a container's log stream was not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGap {
    pub pod: String,
    pub container: String,
    /// The last line read before the stream stopped (or when it stopped, if none was).
    pub from: Timestamp,
    /// When reading resumed; `None` when the stream ended for good.
    pub to: Option<Timestamp>,
    /// What happened: `reconnected`, `container restarted`, `pod gone`...
    pub why: String,
}

impl LogGap {
    /// The marker the merged tail shows: `pod: no logs 12:03:41–12:03:55, reconnected`.
    pub fn describe(&self, pod: &str) -> String {
        let tod = |t: Timestamp| t.strftime("%H:%M:%S").to_string();
        match self.to {
            Some(to) => format!(
                "{pod}: no logs {}–{}, {}",
                tod(self.from),
                tod(to),
                self.why
            ),
            None => format!("{pod}: no logs after {}, {}", tod(self.from), self.why),
        }
    }
}

/// A page of log history (from Loki's `query_range`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LogHistory {
    /// Oldest first.
    pub lines: Vec<LogLine>,
    /// The page replaces what the pane holds (a new target or a new server-side filter).
    #[serde(default)]
    pub reset: bool,
    /// Nothing older is left to ask for, as far back as the store keeps.
    #[serde(default)]
    pub complete: bool,
    /// The page answers a jump: the view moves to the first line at or after this time.
    #[serde(default)]
    pub anchor: Option<Timestamp>,
    /// What the page answers, in words for the operator (what `first-error` found, or why
    /// a jump found nothing).
    #[serde(default)]
    pub note: Option<String>,
}

/// Where the logs pane's lines come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LogSourceStatus {
    /// `loki`, `kube`, `loki+kube`.
    pub backend: String,
    /// The filter Loki applies, as LogQL (`|= "ERROR"`), when the `/` filter runs there.
    #[serde(default)]
    pub server_filter: Option<String>,
    /// What went wrong and what the pane does instead: `loki down: …; kube tail`.
    #[serde(default)]
    pub problem: Option<String>,
}

/// What the logs pane asks of a log store besides a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogQuery {
    /// The page before the oldest line shown (the operator scrolled past the top).
    Older,
    /// Lines around a moment (`:logs-at 14:02`).
    At(Timestamp),
    /// Lines around the first error of the run of errors leading up to a moment (the
    /// selected alert's start: `:first-error`).
    FirstError(Timestamp),
    /// The `/` filter changed (`regex` or `!regex`; `None` cleared it).
    Filter(Option<String>),
}

/// What the logs pane tails in live mode: the cockpit asks for it, the log tailer follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub namespace: String,
    pub workload: String,
    /// One pod of the workload, or all of them when `None`.
    pub pod: Option<String>,
    /// The pods to follow, most interesting first, at most the stream cap: the cockpit picks
    /// them from its own pod state, so the tailer never lists pods itself.
    pub pods: Vec<String>,
    /// The `[[services]]` entry the workload is one of, when one claims it; a log store
    /// reads it through the service's own selector. With no workload of it seen (no
    /// cluster), `workload` names the service's first workload, or the service itself.
    pub service: Option<String>,
}

impl LogTarget {
    /// Whether both name the same workload or pod (whichever pods are picked).
    pub fn same_target(&self, other: &LogTarget) -> bool {
        (&self.namespace, &self.workload, &self.pod)
            == (&other.namespace, &other.workload, &other.pod)
    }
}
