//! Status updates in the form incident channels use, drafted from what the cockpit sees.

use crate::event::{AlertState, Level};
use crate::journal::{Entry, Kind};
use crate::ui::format;

use super::{App, Effect};

impl App {
    /// A status update drafted from the live state: severity, impact, current condition,
    /// actions taken, needs, next update time.
    pub fn draft_status_update(&self) -> String {
        let mut out = Vec::new();
        let (sev, status, title) = match &self.incident {
            Some(i) => (
                format!("SEV{}", i.severity),
                i.status.as_str(),
                i.title.clone(),
            ),
            None => ("SEV?".into(), "investigating", "no incident open".into()),
        };
        let drill = if self.caps.drill_journal {
            "[DRILL] "
        } else {
            ""
        };
        out.push(format!("{drill}[{sev}] {title} — {status}"));
        let bad: Vec<String> = self
            .signals
            .iter()
            .filter(|s| s.level() >= Level::Warn)
            .map(|s| {
                let cmp = if s.def.direction == crate::event::Direction::Above {
                    ">"
                } else {
                    "<"
                };
                let limit = s
                    .def
                    .crit
                    .or(s.def.warn)
                    .map(|t| format!(" ({cmp} {})", format::value(Some(t), &s.def.unit)));
                format!(
                    "{} {}{}",
                    s.def.name,
                    format::value(s.value, &s.def.unit),
                    limit.unwrap_or_default()
                )
            })
            .collect();
        out.push(format!(
            "Impact: {}",
            if bad.is_empty() {
                "signals within their thresholds".to_string()
            } else {
                bad.join(", ")
            }
        ));
        let firing: Vec<&str> = self
            .alerts
            .iter()
            .filter(|a| a.status.state == AlertState::Firing)
            .map(|a| a.status.name.as_str())
            .collect();
        let mut condition = vec![if firing.is_empty() {
            "no alerts firing".to_string()
        } else {
            format!("{} firing: {}", firing.len(), firing.join(", "))
        }];
        for (name, w) in &self.pods.workloads {
            if let Some(d) = &w.deployment
                && (d.ready < d.replicas || w.restarts() > 0)
            {
                condition.push(format!(
                    "{name} {}/{} ready, {} restarts",
                    d.ready,
                    d.replicas,
                    w.restarts()
                ));
            }
        }
        out.push(format!("Current condition: {}", condition.join("; ")));
        let actions: Vec<String> = self
            .timeline
            .iter()
            .filter(|e| e.kind.is_action())
            .map(|e| {
                let outcome = e
                    .outcome
                    .map(|o| format!(" [{}]", o.as_str()))
                    .unwrap_or_default();
                format!("{} {}{outcome}", format::time_of_day(e.at), e.text)
            })
            .collect();
        out.push(format!(
            "Actions taken: {}",
            if actions.is_empty() {
                "none yet".to_string()
            } else {
                actions.join("; ")
            }
        ));
        out.push("Needs: none".into());
        let next = self.incident.as_ref().and_then(|i| {
            self.config
                .incident
                .update_interval(i.severity)
                .map(|every| self.now + every)
        });
        out.push(match next {
            Some(t) => format!("Next update: by {} UTC", format::time_of_day(t)),
            None => "Next update: when something changes".into(),
        });
        out.join("\n")
    }

    /// Journals a status update, copies it for the incident channel, restarts its clock.
    pub fn post_status_update(&mut self, text: String) {
        let now = self.now;
        if let Some(inc) = &mut self.incident {
            inc.last_update = Some(now);
        }
        self.emit(Effect::Clipboard(text.clone()));
        let entry = Entry::new(now, self.actor.clone(), Kind::StatusUpdate, text);
        self.record(entry);
        self.flash(
            Level::Ok,
            "status update journaled and copied to the clipboard",
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::app::sample::drill_app;

    #[test]
    fn the_draft_says_what_the_cockpit_sees() {
        let app = drill_app(120);
        let d = app.draft_status_update();
        let lines: Vec<&str> = d.lines().collect();
        assert!(lines[0].starts_with("[DRILL] [SEV2] HighErrorRate"), "{d}");
        assert!(
            lines[1].starts_with("Impact: p95 latency (512 tok) 5"),
            "{d}"
        );
        assert!(lines[1].contains("(> 350 ms)"), "{d}");
        assert!(lines[2].contains("3 firing: HighErrorRate"), "{d}");
        assert!(lines[2].contains("snapbuilder-serving 2/4 ready"), "{d}");
        assert_eq!(lines[3], "Actions taken: none yet");
        assert!(lines[5].starts_with("Next update: by "), "{d}");
    }
}
