//! `sitrep snapshot`'s part from Loki: the last error lines of each workload, for the
//! incident channel, read by Loki rather than by downloading the logs.

use jiff::Timestamp;
use serde::Serialize;

use super::selector::Selector;
use super::{Direction, Loki};
use crate::config::loki::{LogSelection, LokiConfig};

/// Error lines shown per workload at most.
pub const ERROR_LINES: usize = 10;
/// What counts as an error line: the level words `level_of` reads as errors.
const ERROR_FILTER: &str = "|~ `(?i)(error|fatal|panic|critical|traceback|exception)`";

/// One workload's recent error lines, newest last.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkloadErrors {
    pub namespace: String,
    pub workload: String,
    /// The LogQL query asked.
    pub query: String,
    pub lines: Vec<ErrorLine>,
}

/// One error line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorLine {
    pub at: Timestamp,
    pub pod: String,
    pub text: String,
}

/// The last [`ERROR_LINES`] error lines of each `(namespace, workload)` within the
/// configured history, each read with its service's own selector where `service_of` finds
/// one (`[[services]] loki`); the first failure stops the rest (Loki is down, say so once).
pub async fn error_lines<'a>(
    config: &LokiConfig,
    workloads: &[(String, String)],
    service_of: impl Fn(&str, &str) -> Option<&'a LogSelection>,
) -> Result<Vec<WorkloadErrors>, String> {
    let loki = Loki::new(config)?;
    let end = Timestamp::now();
    let start = end - config.history.signed();
    let mut out = Vec::new();
    for (ns, w) in workloads {
        let selector: Selector = config.selector_for(service_of(ns, w), ns, w)?;
        let query = format!("{selector} {ERROR_FILTER}");
        let entries = loki
            .query_range(&query, start, end, ERROR_LINES, Direction::Backward)
            .await
            .map_err(|e| e.to_string())?;
        out.push(WorkloadErrors {
            namespace: ns.clone(),
            workload: w.clone(),
            query,
            lines: entries
                .into_iter()
                .map(|e| {
                    let l = e.into_log_line(w);
                    ErrorLine {
                        at: l.at,
                        pod: l.pod,
                        text: l.text,
                    }
                })
                .collect(),
        });
    }
    Ok(out)
}

/// The workloads a snapshot asks about: the cluster's deployments, else the ones `[loki]`
/// names (in `namespace`).
pub fn workloads_of(
    deployments: &[serde_json::Value],
    config: &LokiConfig,
    namespace: Option<&str>,
) -> Vec<(String, String)> {
    let from_cluster: Vec<(String, String)> = deployments
        .iter()
        .filter_map(|d| {
            Some((
                d.get("namespace")?.as_str()?.to_string(),
                d.get("name")?.as_str()?.to_string(),
            ))
        })
        .collect();
    if !from_cluster.is_empty() {
        return from_cluster;
    }
    let ns = namespace.unwrap_or("default");
    config
        .workloads
        .keys()
        .map(|w| (ns.to_string(), w.clone()))
        .collect()
}

/// The Markdown section: each workload with error lines, a few lines each.
pub fn markdown(errors: &[WorkloadErrors]) -> String {
    let with: Vec<&WorkloadErrors> = errors.iter().filter(|e| !e.lines.is_empty()).collect();
    if with.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n**Recent error lines (Loki):**\n");
    for e in with {
        out.push_str(&format!("- {}/{}:\n```\n", e.namespace, e.workload));
        for l in &e.lines {
            let text: String = l.text.chars().take(200).collect();
            out.push_str(&format!(
                "{} {} {}\n",
                l.at.strftime("%H:%M:%S"),
                l.pod,
                text.replace("```", "'''")
            ));
        }
        out.push_str("```\n");
    }
    out
}
