//! The runbook written beside a drill made from a recording: a section per alert, with
//! the original responder's own path through it, so the checklist pane is live.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::write::{Draft, alerts, heading, incident_names, one_line};
use super::{firing_at, remedy_line};
use crate::journal::Kind;

/// The runbook beside the drill: a section per alert, with the responder's own path.
pub(super) fn runbook_md(d: &Draft) -> String {
    let p = &d.phases;
    let (id, title) = incident_names(d);
    let first_alert = p.first_alert.unwrap_or(p.lead_up_end);
    let tplus = |at: Timestamp| {
        let d = at.duration_since(first_alert);
        if d.is_negative() {
            format!("T−{}", crate::ui::format::age(-d))
        } else {
            format!("T+{}", crate::ui::format::age(d))
        }
    };
    let moved: Vec<&str> = d
        .signals
        .iter()
        .filter(|s| !s.curve.is_empty())
        .map(|s| s.name.as_str())
        .collect();
    let until = p.mitigated.or(p.fix).unwrap_or(p.end);
    let mut path: Vec<String> = d
        .seen
        .entries
        .iter()
        .filter(|e| e.at <= until && e.kind != Kind::Ack && e.kind != Kind::StepTicked)
        .map(|e| {
            format!(
                "{} ({} by the original responder, {})",
                one_line(&e.text, 160),
                e.kind.as_str(),
                tplus(e.at)
            )
        })
        .collect();
    if path.is_empty() {
        for a in d.seen.acts.iter().filter(|a| a.at <= until) {
            path.push(format!(
                "`{}` (by the original responder, {})",
                a.action.command_line(),
                tplus(a.at)
            ));
        }
    }
    let mut md = format!(
        "# {}\n\nDrawn by `sitrep drill new` from the recording of {id} ({}): the alerts that \
         fired and what the original responder did, in order. Make it the team's own.\n",
        one_line(&title, 120),
        p.start.strftime("%Y-%m-%d %H:%M UTC")
    );
    for (at, a) in alerts(d.seen) {
        let _ = write!(md, "\n## {}\n\n", heading(&a));
        if !a.detail.is_empty() {
            let _ = writeln!(
                md,
                "Fired at {}: {}.\n",
                tplus(at),
                one_line(&a.detail, 160)
            );
        }
        let mut steps = vec![format!("Acknowledge {}, so nobody else is paged.", a.name)];
        if !moved.is_empty() {
            steps.push(format!(
                "Look at the signals that moved: {}.",
                moved.join(", ")
            ));
        }
        steps.extend(path.iter().cloned());
        if let Some(f) = d.fix {
            let still = firing_at(d.seen, &a.name, f.at);
            steps.push(format!(
                "The fix that worked: `{}`{}.",
                remedy_line(&f.action),
                if still {
                    ""
                } else {
                    " (this alert had resolved by then)"
                }
            ));
        }
        steps.push("Verify: every alert resolved and the signals back at their baselines.".into());
        for (i, s) in steps.iter().enumerate() {
            let _ = writeln!(md, "{}. {s}", i + 1);
        }
    }
    md
}
