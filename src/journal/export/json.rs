//! The incident's facts and timeline as JSON.

use jiff::Timestamp;
use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Export<'a> {
    id: &'a str,
    title: &'a str,
    drill: bool,
    mode: &'a str,
    /// 1 (worst) to 4.
    severity: u8,
    max_severity: u8,
    status: &'static str,
    started_at: Timestamp,
    acknowledged_at: Option<Timestamp>,
    mitigated_at: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
    durations: Durations,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    error_budget: Vec<Budget<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    runbook_adherence: &'a [crate::runbook::adherence::Adherence],
    entries: Vec<EntryOut<'a>>,
}

/// Seconds from opening; null when it has not happened.
#[derive(Serialize)]
struct Durations {
    time_to_acknowledge: Option<i64>,
    time_to_mitigate: Option<i64>,
    time_to_resolve: Option<i64>,
}

#[derive(Serialize)]
struct Budget<'a> {
    series: &'a str,
    objective: f64,
    bad_minutes: f64,
    budget_minutes: f64,
    share: f64,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    at: Timestamp,
    kind: &'static str,
    actor: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
}

/// Rounds so goldens do not depend on the last bits of a float.
fn round(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (v * k).round() / k
}

/// Renders the report as pretty JSON with a final newline.
pub(crate) fn render(r: &Report<'_>) -> String {
    let inc = r.incident;
    let export = Export {
        id: &inc.header.id,
        title: inc.title(),
        drill: inc.header.drill,
        mode: &inc.header.mode,
        severity: inc.severity(),
        max_severity: inc.max_severity(),
        status: inc.status().as_str(),
        started_at: r.started_at,
        acknowledged_at: inc.acknowledged_at(),
        mitigated_at: inc.mitigated_at(),
        resolved_at: inc.resolved_at(),
        durations: Durations {
            time_to_acknowledge: r.since_start(inc.acknowledged_at()),
            time_to_mitigate: r.since_start(inc.mitigated_at()),
            time_to_resolve: r.since_start(inc.resolved_at()),
        },
        error_budget: r
            .budgets
            .iter()
            .map(|b| Budget {
                series: &b.name,
                objective: b.objective,
                bad_minutes: round(b.bad_minutes, 3),
                budget_minutes: round(b.budget_minutes, 3),
                share: round(b.share(), 6),
            })
            .collect(),
        runbook_adherence: &r.adherence,
        entries: inc
            .entries
            .iter()
            .map(|e| EntryOut {
                at: e.at,
                kind: e.kind.as_str(),
                actor: &e.actor,
                text: &e.text,
                outcome: e.outcome.map(|o| o.as_str()),
            })
            .collect(),
    };
    // Serializing plain structs of strings and numbers cannot fail; fall back to a JSON
    // error object rather than panic if it ever does.
    let mut out = serde_json::to_string_pretty(&export)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    out.push('\n');
    out
}
