//! Silences in the simulated world: what Alertmanager would keep, so `silence` works in drills.

use jiff::{SignedDuration, Timestamp};

use crate::event::{Action, Observation, SilenceStatus};

/// The drill's silences, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Silences {
    list: Vec<SilenceStatus>,
}

impl Silences {
    /// Carries out a silence action at `now`; the observation is the whole new list.
    pub fn apply(
        &mut self,
        action: &Action,
        now: Timestamp,
    ) -> Result<(String, Observation), String> {
        // Silences end by themselves, as in Alertmanager.
        for s in &mut self.list {
            if s.state == "active" && s.ends_at <= now {
                s.state = "expired".into();
            }
        }
        let detail = match action {
            Action::Silence {
                alert,
                matchers,
                minutes,
                comment,
            } => {
                let id = format!("drill-silence-{}", self.list.len() + 1);
                let minutes_i =
                    i64::try_from(*minutes).map_err(|_| "duration too long".to_string())?;
                self.list.push(SilenceStatus {
                    id: id.clone(),
                    matchers: matchers.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    starts_at: now,
                    ends_at: now + SignedDuration::from_mins(minutes_i),
                    created_by: "sitrep".into(),
                    comment: comment.clone(),
                    state: "active".into(),
                });
                format!("silenced {alert} for {minutes}m (silence {id})")
            }
            Action::ExpireSilence { id } => {
                let s = self
                    .list
                    .iter_mut()
                    .find(|s| s.id == *id && s.state == "active")
                    .ok_or_else(|| format!("no active silence {id}"))?;
                s.state = "expired".into();
                s.ends_at = now;
                format!("silence {id} expired")
            }
            other => return Err(format!("not a silence action: {}", other.command_line())),
        };
        Ok((detail, Observation::Silences(self.list.clone())))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn silences_are_kept_and_expire() {
        let mut s = Silences::default();
        let now = Timestamp::from_second(1_795_000_000).unwrap();
        let silence = Action::Silence {
            alert: "HighErrorRate".into(),
            matchers: vec![("alertname".into(), "HighErrorRate".into())],
            minutes: 30,
            comment: "rollback in progress".into(),
        };
        let (detail, obs) = s.apply(&silence, now).unwrap();
        assert!(
            detail.contains("silenced HighErrorRate for 30m"),
            "{detail}"
        );
        let Observation::Silences(list) = obs else {
            panic!("{obs:?}")
        };
        assert_eq!(list[0].state, "active");
        assert_eq!(list[0].matchers, vec!["alertname=HighErrorRate"]);
        let expire = Action::ExpireSilence {
            id: list[0].id.clone(),
        };
        let (_, obs) = s.apply(&expire, now).unwrap();
        assert!(matches!(obs, Observation::Silences(l) if l[0].state == "expired"));
        assert!(
            s.apply(&expire, now).is_err(),
            "an expired silence cannot expire again"
        );
    }
}
