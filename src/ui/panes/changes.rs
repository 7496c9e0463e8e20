//! Change marks for the sparklines: deploys, rollbacks, kill-switch flips and silences.

use jiff::Timestamp;

use crate::app::App;
use crate::journal::Kind;

/// Every change the cockpit knows of, with its mark and a word: `D` deploy (a new
/// revision), `R` rollback, `K` kill switch, `S` silence.
pub fn marks(app: &App) -> Vec<(Timestamp, char, String)> {
    let mut out: Vec<(Timestamp, char, String)> = Vec::new();
    for w in app.pods.workloads.values() {
        if let Some(d) = &w.deployment {
            for h in &d.history {
                out.push((
                    h.created,
                    'D',
                    format!("{} revision {}", d.name, h.revision),
                ));
            }
        }
    }
    for e in app.timeline.iter() {
        let mark = match e.kind {
            Kind::Rollback => 'R',
            Kind::KillSwitch => 'K',
            Kind::Command if e.text.starts_with("silence") => 'S',
            _ => continue,
        };
        out.push((e.at, mark, e.text.clone()));
    }
    for s in &app.silences {
        out.push((
            s.starts_at,
            'S',
            format!("silence {}", s.matchers.join(",")),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    // A rollback also makes a revision, and a silence made here is also listed: one mark.
    out.dedup_by(|b, a| b.0.as_second() / 30 == a.0.as_second() / 30 && (a.1 == b.1 || b.1 == 'D'));
    out
}
