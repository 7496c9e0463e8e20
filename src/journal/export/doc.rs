//! The postmortem's content as plain blocks, so Markdown and HTML say the same thing.
//! All strings are plain text; each renderer escapes them.

use super::{Report, clock, fmt_duration, utc_date};
use crate::journal::entry::{Entry, Kind, Role, format_severity};

/// One piece of a section.
pub(crate) enum Block {
    /// A warning that cannot be missed (drills).
    Banner(String),
    /// Label and value pairs.
    Fields(Vec<(String, String)>),
    /// A paragraph.
    Para(String),
    /// A prompt for the author, shown in italics.
    Prompt(String),
    /// A table; the first row is the header.
    Table(Vec<Vec<String>>),
    /// A bulleted list.
    List(Vec<String>),
    /// A third-level heading.
    Subheading(String),
    /// Where HTML draws the series charts (Markdown has none).
    Charts,
}

/// A `##` section.
pub(crate) struct Section {
    pub title: &'static str,
    pub blocks: Vec<Block>,
}

/// The whole postmortem.
pub(crate) struct Doc {
    pub title: String,
    pub intro: Vec<Block>,
    pub sections: Vec<Section>,
}

fn s(text: &str) -> String {
    text.to_string()
}

fn entry_what(e: &Entry) -> String {
    match e.outcome {
        Some(o) => format!("{} [{o}]", e.kind.label()),
        None => e.kind.label().to_string(),
    }
}

/// Builds the postmortem draft.
pub(crate) fn postmortem(r: &Report<'_>) -> Doc {
    let inc = r.incident;
    let h = &inc.header;
    let mut intro = Vec::new();
    if h.drill {
        intro.push(Block::Banner(format!(
            "DRILL: this is a drill ({}), not a real incident. Nothing here happened to production.",
            h.mode
        )));
    }
    let severity = if inc.max_severity() < inc.severity() {
        format!(
            "{} (worst: {})",
            format_severity(inc.severity()),
            format_severity(inc.max_severity())
        )
    } else {
        format_severity(inc.severity())
    };
    let basis = if inc.resolved_at().is_some() {
        "resolution"
    } else {
        "opening (not resolved yet)"
    };
    intro.push(Block::Fields(vec![
        (s("Incident"), h.id.clone()),
        (s("Date"), utc_date(r.started_at).to_string()),
        (s("Authors"), r.authors.join(", ")),
        (
            s("Status"),
            format!("Draft. Incident status: {}", inc.status()),
        ),
        (s("Severity"), severity),
        (s("Mode"), h.mode.clone()),
        (s("Opened by"), h.opened_by.clone()),
        (
            s("Postmortem due"),
            format!(
                "{} ({} business days after {basis}, for {})",
                r.due,
                r.due_days,
                format_severity(inc.max_severity())
            ),
        ),
    ]));

    let mut sections = vec![
        Section {
            title: "Summary",
            blocks: vec![Block::Prompt(s(
                "One or two sentences: what broke, for whom, for how long, and how it was fixed.",
            ))],
        },
        Section {
            title: "Impact",
            blocks: vec![Block::Prompt(s(
                "Who was affected and how much: users, requests, revenue, data, SLOs. \
                 The durations and error budget below give the numbers the journal knows.",
            ))],
        },
        Section {
            title: "Key durations",
            blocks: vec![durations(r)],
        },
    ];
    if !r.budgets.is_empty() {
        sections.push(Section {
            title: "Error budget",
            blocks: budget_blocks(r),
        });
    }
    if !r.series.is_empty() {
        sections.push(Section {
            title: "Charts",
            blocks: vec![Block::Charts],
        });
    }
    sections.extend([
        Section {
            title: "Root causes",
            blocks: vec![Block::Prompt(s(
                "Why did it happen? Keep asking why until you reach something you can change. \
                 Name contributing factors too. Blameless: systems and processes, not people.",
            ))],
        },
        Section {
            title: "Trigger",
            blocks: vec![Block::Prompt(s(
                "What set it off (a deploy, a config change, traffic, a dependency), and when?",
            ))],
        },
        Section {
            title: "Detection",
            blocks: detection(r),
        },
        Section {
            title: "Resolution",
            blocks: resolution(r),
        },
        Section {
            title: "Runbook adherence",
            blocks: adherence_blocks(r),
        },
        Section {
            title: "Action items",
            blocks: vec![
                Block::Prompt(s("One row per item, each with an owner and a ticket. \
                     Type: mitigate, prevent, detect or process.")),
                Block::Table(vec![
                    vec![
                        s("Action item"),
                        s("Type"),
                        s("Owner"),
                        s("Ticket"),
                        s("Status"),
                    ],
                    vec![s(""), s(""), s(""), s(""), s("open")],
                    vec![s(""), s(""), s(""), s(""), s("open")],
                ]),
            ],
        },
        Section {
            title: "Lessons learned",
            blocks: vec![
                Block::Subheading(s("What went well")),
                Block::Prompt(s("Detection, tooling, runbooks, people: what helped?")),
                Block::Subheading(s("What went wrong")),
                Block::Prompt(s("What slowed the response or made it worse?")),
                Block::Subheading(s("Where we got lucky")),
                Block::Prompt(s("What could have made this much worse, and did not?")),
            ],
        },
        Section {
            title: "Timeline",
            blocks: timeline(r),
        },
        Section {
            title: "Supporting information",
            blocks: vec![Block::List(supporting(r))],
        },
    ]);
    let drill = if h.drill { "DRILL · " } else { "" };
    Doc {
        title: format!("{drill}Postmortem: {}", inc.title()),
        intro,
        sections,
    }
}

fn durations(r: &Report<'_>) -> Block {
    let inc = r.incident;
    let first_alert = r.alerts.first().map(|e| e.at);
    let rows = [
        ("Opened", Some(r.started_at)),
        ("First alert (detected)", first_alert),
        ("Acknowledged", inc.acknowledged_at()),
        ("Mitigated", inc.mitigated_at()),
        ("Resolved", inc.resolved_at()),
    ];
    let mut table = vec![vec![s("Milestone"), s("At (UTC)"), s("Time since opened")]];
    for (name, at) in rows {
        let when = at.map_or_else(
            || s("not yet"),
            |at| at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        );
        let since = match (name, r.since_start(at)) {
            ("Opened", _) => s("-"),
            (_, Some(secs)) => fmt_duration(secs),
            (_, None) => s("-"),
        };
        table.push(vec![s(name), when, since]);
    }
    Block::Table(table)
}

fn budget_blocks(r: &Report<'_>) -> Vec<Block> {
    let days = r.opts.slo_window_days;
    let mut table = vec![vec![
        s("Signal"),
        s("Objective"),
        s("Bad minutes"),
        format!("Share of the {days}-day budget"),
    ]];
    for b in &r.budgets {
        table.push(vec![
            b.name.clone(),
            format!("{}%", trim_float(b.objective * 100.0)),
            format!("{:.1}", b.bad_minutes),
            format!("{:.1}% of {:.1} min", b.share() * 100.0, b.budget_minutes),
        ]);
    }
    vec![
        Block::Para(format!(
            "Bad minutes: time between opening and resolution when the error ratio was above \
             1 - objective. Share: bad minutes over the error budget of a {days}-day window, \
             (1 - objective) x {days} days."
        )),
        Block::Table(table),
    ]
}

/// `99.9` rather than `99.90000000000001`.
pub(crate) fn trim_float(v: f64) -> String {
    let text = format!("{v:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn detection(r: &Report<'_>) -> Vec<Block> {
    if r.alerts.is_empty() {
        return vec![Block::Prompt(s(
            "No alert fired during this incident. How was it noticed, and what alert would have caught it?",
        ))];
    }
    let items = r
        .alerts
        .iter()
        .map(|e| {
            let delta = r.since_start(Some(e.at)).unwrap_or(0);
            let rel = if delta >= 0 {
                format!("{} after opening", fmt_duration(delta))
            } else {
                format!("{} before opening", fmt_duration(-delta))
            };
            format!(
                "{} alert fired: {} ({rel})",
                clock(e.at, r.started_at),
                e.text
            )
        })
        .collect();
    vec![
        Block::List(items),
        Block::Prompt(s(
            "Was detection fast enough? What would have caught it sooner?",
        )),
    ]
}

fn resolution(r: &Report<'_>) -> Vec<Block> {
    if r.actions.is_empty() {
        return vec![Block::Prompt(s(
            "No command, kill switch or rollback was recorded. What resolved the incident?",
        ))];
    }
    let mut table = vec![vec![
        s("At (UTC)"),
        s("Who"),
        s("Action"),
        s("Outcome"),
        s("Did it work"),
    ]];
    for a in &r.actions {
        let e = a.entry;
        table.push(vec![
            clock(e.at, r.started_at),
            e.actor.clone(),
            format!("{}: {}", e.kind.label(), e.text),
            e.outcome.map_or_else(|| s("-"), |o| o.to_string()),
            a.verdict.map_or_else(|| s("-"), |v| v.text.clone()),
        ]);
    }
    vec![
        Block::Para(s("Actions taken, from the timeline:")),
        Block::Table(table),
        Block::Prompt(s("Which action ended the impact, and why did it work?")),
    ]
}

fn adherence_blocks(r: &Report<'_>) -> Vec<Block> {
    if r.adherence.is_empty() {
        return vec![Block::Prompt(s(
            "No runbook step was ticked. Was there a runbook for this, and did it help?",
        ))];
    }
    let mut blocks = Vec::new();
    for a in &r.adherence {
        blocks.push(Block::Subheading(if a.section.is_empty() {
            s("Steps ticked without a section")
        } else {
            a.section.clone()
        }));
        let total = a.steps.len();
        blocks.push(Block::Para(if a.runbook_known {
            format!(
                "{} of {total} steps done, {} skipped, {} out of order.",
                a.done, a.skipped, a.out_of_order
            )
        } else {
            format!(
                "{} steps ticked, in the order shown (the runbook was not at hand, so \
                 nothing can be called skipped).",
                a.done
            )
        }));
        let mut table = vec![vec![s("Step"), s("State"), s("When"), s("By")]];
        for st in &a.steps {
            let mut state = st.state.word().to_string();
            if let Some(ev) = &st.evidence {
                state.push_str(&format!(" (verified: {ev})"));
            }
            table.push(vec![
                st.text.clone(),
                state,
                st.at.map_or_else(|| s("-"), |t| clock(t, r.started_at)),
                st.by.clone().unwrap_or_else(|| s("-")),
            ]);
        }
        blocks.push(Block::Table(table));
    }
    blocks
}

fn timeline(r: &Report<'_>) -> Vec<Block> {
    let mut table = vec![vec![s("Time (UTC)"), s("Who"), s("What"), s("Details")]];
    for e in &r.incident.entries {
        table.push(vec![
            clock(e.at, r.started_at),
            e.actor.clone(),
            entry_what(e),
            e.text.clone(),
        ]);
    }
    vec![Block::Table(table)]
}

fn supporting(r: &Report<'_>) -> Vec<String> {
    let inc = r.incident;
    let roles = inc.roles();
    let role = |want: Role| {
        roles
            .iter()
            .find(|(r, _)| *r == want)
            .map_or_else(|| s("-"), |(_, who)| who.clone())
    };
    let updates = inc
        .entries
        .iter()
        .filter(|e| e.kind == Kind::StatusUpdate)
        .count();
    let steps = inc
        .entries
        .iter()
        .filter(|e| e.kind == Kind::StepTicked)
        .count();
    vec![
        format!(
            "Roles: incident commander {}, scribe {}, comms {}.",
            role(Role::Ic),
            role(Role::Scribe),
            role(Role::Comms)
        ),
        format!("Status updates posted: {updates}. Runbook steps ticked: {steps}."),
        format!(
            "Drafted by sitrep from INCIDENTS.md ({} entries); the journal is the source of truth.",
            inc.entries.len()
        ),
    ]
}
