//! Export an incident read back from INCIDENTS.md: a postmortem draft (Markdown or
//! self-contained HTML) or JSON.
//!
//! The postmortem follows the widely used SRE template: summary, impact, severity, key
//! durations, error budget, root causes, trigger, detection, resolution, action items,
//! lessons learned, timeline, due date. What the journal cannot know is left to the author
//! as an italic prompt.
//!
//! **Error budget.** For a [`Series`] with an `objective` (its points are an error ratio,
//! 0..1), a *bad minute* is time inside the incident window (opened → resolved, or → the
//! last entry if unresolved) when the error ratio was above `1 − objective`. Each sample
//! stands for the time until the next sample; the last one for the same span as the step
//! before it. The *share of the budget* is bad minutes over the budget of a time-sliced
//! SLO: `(1 − objective) × window days × 1440` minutes, window from [`ExportOptions`].

mod doc;
mod html;
mod json;
mod md;
pub mod recorded;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::entry::{Entry, Kind};
use super::incident::Incident;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Markdown postmortem draft.
    Md,
    /// The incident's facts and timeline as JSON.
    Json,
    /// The postmortem draft as one self-contained HTML page with charts.
    Html,
}

/// A metric over time, to chart and to compute error budget burn.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Series {
    /// What it measures, e.g. `checkout 5xx ratio`.
    pub name: String,
    /// The unit shown on the chart, e.g. `ratio`, `ms`.
    pub unit: String,
    /// Samples; need not be sorted.
    pub points: Vec<(Timestamp, f64)>,
    /// Alerting threshold, drawn as a dashed line.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// SLO objective as a ratio (0.999); makes the points an error ratio for budget burn.
    #[serde(default)]
    pub objective: Option<f64>,
}

/// Knobs for exports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    /// Business days (Mon–Fri) from resolution (or opening, while unresolved) to the
    /// postmortem due date, for SEV1..SEV4, chosen by the worst severity reached.
    pub due_business_days: [u32; 4],
    /// The SLO window an error budget covers, in days.
    pub slo_window_days: u32,
    /// Authors; when empty, the IC and scribe, else whoever opened the incident.
    pub authors: Vec<String>,
    /// Runbook sections' steps in order (title, step texts), for the adherence section:
    /// without its section here, a ticked section lists only what was ticked.
    pub runbook_steps: Vec<(String, Vec<String>)>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            due_business_days: [3, 3, 5, 5],
            slo_window_days: 30,
            authors: Vec::new(),
            runbook_steps: Vec::new(),
        }
    }
}

/// Renders one incident.
pub fn export(
    incident: &Incident,
    format: Format,
    series: &[Series],
    opts: &ExportOptions,
) -> String {
    let report = Report::new(incident, series, opts);
    match format {
        Format::Md => md::render(&doc::postmortem(&report)),
        Format::Html => html::render(&doc::postmortem(&report), &report),
        Format::Json => json::render(&report),
    }
}

/// Error budget burned by one series during the incident.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Budget {
    pub name: String,
    pub objective: f64,
    pub bad_minutes: f64,
    pub budget_minutes: f64,
}

impl Budget {
    pub fn share(&self) -> f64 {
        if self.budget_minutes > 0.0 {
            self.bad_minutes / self.budget_minutes
        } else {
            0.0
        }
    }
}

/// An action and the verdict given on it, if any (before the next action).
pub(crate) struct Action<'a> {
    pub entry: &'a Entry,
    pub verdict: Option<&'a Entry>,
}

/// The facts every format shows, computed once.
pub(crate) struct Report<'a> {
    pub incident: &'a Incident,
    pub series: &'a [Series],
    pub opts: &'a ExportOptions,
    pub started_at: Timestamp,
    /// The incident window's end: resolution, else the last entry.
    pub ended_at: Timestamp,
    pub due: Date,
    pub due_days: u32,
    pub authors: Vec<String>,
    pub budgets: Vec<Budget>,
    pub alerts: Vec<&'a Entry>,
    pub actions: Vec<Action<'a>>,
    /// Each runbook section ticked from, in the order first ticked.
    pub adherence: Vec<crate::runbook::adherence::Adherence>,
}

impl<'a> Report<'a> {
    fn new(incident: &'a Incident, series: &'a [Series], opts: &'a ExportOptions) -> Report<'a> {
        let started_at = incident.started_at();
        let ended_at = incident
            .resolved_at()
            .unwrap_or_else(|| incident.last_activity());
        let sev = usize::from(incident.max_severity().clamp(1, 4)) - 1;
        let due_days = opts.due_business_days.get(sev).copied().unwrap_or(5);
        let due = add_business_days(
            utc_date(incident.resolved_at().unwrap_or(started_at)),
            due_days,
        );
        let authors = if opts.authors.is_empty() {
            default_authors(incident)
        } else {
            opts.authors.clone()
        };
        let budgets = series
            .iter()
            .filter_map(|s| budget(s, started_at, ended_at, opts.slo_window_days))
            .collect();
        let alerts = incident
            .entries
            .iter()
            .filter(|e| e.kind == Kind::AlertFired)
            .collect();
        Report {
            incident,
            series,
            opts,
            started_at,
            ended_at,
            due,
            due_days,
            authors,
            budgets,
            alerts,
            actions: actions(&incident.entries),
            adherence: adherence(&incident.entries, &opts.runbook_steps),
        }
    }

    /// Seconds from opening to `at`.
    pub fn since_start(&self, at: Option<Timestamp>) -> Option<i64> {
        at.map(|at| at.as_second() - self.started_at.as_second())
    }
}

/// The adherence of every runbook section the incident ticked steps of.
fn adherence(
    entries: &[Entry],
    known: &[(String, Vec<String>)],
) -> Vec<crate::runbook::adherence::Adherence> {
    use crate::runbook::adherence::{Tick, adherence, split_tick};
    let ticks: Vec<Tick> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::StepTicked | Kind::StepUnticked))
        .map(|e| Tick {
            at: e.at,
            by: e.actor.clone(),
            text: e.text.clone(),
            ticked: e.kind == Kind::StepTicked,
        })
        .collect();
    let mut sections: Vec<&str> = Vec::new();
    for t in &ticks {
        if let Some((s, _, _)) = split_tick(&t.text)
            && !sections.contains(&s)
        {
            sections.push(s);
        }
    }
    sections
        .into_iter()
        .map(|s| {
            let steps = known
                .iter()
                .find(|(t, _)| t == s)
                .map(|(_, v)| v.as_slice());
            adherence(s, steps, &[], &ticks)
        })
        .collect()
}

fn default_authors(incident: &Incident) -> Vec<String> {
    use super::entry::Role;
    let authors: Vec<String> = incident
        .roles()
        .into_iter()
        .filter(|(role, _)| matches!(role, Role::Ic | Role::Scribe))
        .map(|(role, who)| format!("{who} ({})", if role == Role::Ic { "IC" } else { "scribe" }))
        .collect();
    if authors.is_empty() {
        vec![incident.header.opened_by.clone()]
    } else {
        authors
    }
}

fn actions(entries: &[Entry]) -> Vec<Action<'_>> {
    let mut out: Vec<Action<'_>> = Vec::new();
    for entry in entries {
        if entry.kind.is_action() {
            out.push(Action {
                entry,
                verdict: None,
            });
        } else if entry.kind == Kind::Verdict
            && let Some(last) = out.last_mut()
            && last.verdict.is_none()
        {
            last.verdict = Some(entry);
        }
    }
    out
}

/// The UTC calendar date of a timestamp.
pub(crate) fn utc_date(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::UTC).date()
}

/// `n` business days after `from`, skipping Saturdays and Sundays.
pub(crate) fn add_business_days(from: Date, n: u32) -> Date {
    let mut date = from;
    let mut left = n;
    while left > 0 {
        let Ok(next) = date.tomorrow() else { break };
        date = next;
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    date
}

fn budget(series: &Series, start: Timestamp, end: Timestamp, window_days: u32) -> Option<Budget> {
    let objective = series.objective?;
    let allowed = 1.0 - objective;
    let mut points: Vec<(Timestamp, f64)> = series
        .points
        .iter()
        .copied()
        .filter(|(_, v)| v.is_finite())
        .collect();
    points.sort_by_key(|(t, _)| *t);
    let mut bad = SignedDuration::ZERO;
    let mut last_step = None;
    for (i, (t, v)) in points.iter().enumerate() {
        let step = match points.get(i + 1) {
            Some((next, _)) => next.duration_since(*t),
            None => match last_step {
                Some(step) => step,
                None => continue,
            },
        };
        last_step = Some(step);
        let seg_start = (*t).max(start);
        let seg_end = t.checked_add(step).unwrap_or(*t).min(end);
        if *v > allowed && seg_end > seg_start {
            bad += seg_end.duration_since(seg_start);
        }
    }
    Some(Budget {
        name: series.name.clone(),
        objective,
        bad_minutes: bad.as_secs_f64() / 60.0,
        budget_minutes: allowed * f64::from(window_days) * 1440.0,
    })
}

/// `6s`, `2m 06s`, `1h 02m 05s`, `2d 03h 00m`; negative durations get a minus sign.
pub(crate) fn fmt_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let body = if d > 0 {
        format!("{d}d {h:02}h {m:02}m")
    } else if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    };
    format!("{sign}{body}")
}

/// A time for people: `04:12:09` on the incident's first day, else with the date.
pub(crate) fn clock(at: Timestamp, start: Timestamp) -> String {
    if utc_date(at) == utc_date(start) {
        at.strftime("%H:%M:%S").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn business_days_skip_weekends() {
        // 2026-11-20 is a Friday.
        assert_eq!(add_business_days(date(2026, 11, 20), 3), date(2026, 11, 25));
        assert_eq!(add_business_days(date(2026, 11, 22), 1), date(2026, 11, 23));
        assert_eq!(add_business_days(date(2026, 11, 23), 5), date(2026, 11, 30));
        assert_eq!(add_business_days(date(2026, 11, 23), 0), date(2026, 11, 23));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(6), "6s");
        assert_eq!(fmt_duration(126), "2m 06s");
        assert_eq!(fmt_duration(3725), "1h 02m 05s");
        assert_eq!(fmt_duration(183_600), "2d 03h 00m");
        assert_eq!(fmt_duration(-60), "-1m 00s");
    }

    #[test]
    fn budget_counts_bad_minutes_inside_the_window() {
        let s = Series {
            name: "5xx".into(),
            unit: "ratio".into(),
            // One sample a minute; 04:10 and 04:11 are before the window.
            points: (0..10)
                .map(|m| {
                    let at = ts("2026-11-22T04:10:00Z")
                        .checked_add(SignedDuration::from_mins(m))
                        .unwrap();
                    (at, if (1..6).contains(&m) { 0.05 } else { 0.0001 })
                })
                .collect(),
            threshold: Some(0.03),
            objective: Some(0.999),
        };
        let b = budget(
            &s,
            ts("2026-11-22T04:12:00Z"),
            ts("2026-11-22T04:30:00Z"),
            30,
        )
        .unwrap();
        // Bad from 04:11 to 04:16, of which 04:12..04:16 is inside the window.
        assert!((b.bad_minutes - 4.0).abs() < 1e-9, "{b:?}");
        assert!((b.budget_minutes - 43.2).abs() < 1e-9);
        assert!((b.share() - 4.0 / 43.2).abs() < 1e-9);
        let no_objective = Series {
            objective: None,
            ..s
        };
        assert!(
            budget(
                &no_objective,
                ts("2026-11-22T04:12:00Z"),
                ts("2026-11-22T04:30:00Z"),
                30
            )
            .is_none()
        );
    }
}
