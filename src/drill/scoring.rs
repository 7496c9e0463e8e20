//! Scoring a drill: the operator's actions against the scenario's reference response.

use jiff::SignedDuration;

use super::world::World;

/// The outcome of a drill so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub points: u32,
    pub max: u32,
    /// One line per reason points were given or taken.
    pub lines: Vec<String>,
}

impl World {
    /// Scores the response against the scenario's reference response.
    pub fn score(&self) -> Score {
        let sc = &self.scenario.scoring;
        let mut points: i64 = 0;
        let mut lines = Vec::new();
        let max = sc.expect.iter().map(|e| e.points).sum::<u32>() + sc.mitigate_points;
        let start = self.first_alert.unwrap_or(SignedDuration::ZERO);
        let mut expected_used = vec![false; self.actions.len()];
        for e in &sc.expect {
            let hit = self
                .actions
                .iter()
                .enumerate()
                .find(|(_, (_, a))| a.command_line().starts_with(&e.action));
            match hit {
                Some((i, (at, _))) if *at - start <= e.within => {
                    expected_used[i] = true;
                    points += i64::from(e.points);
                    lines.push(format!(
                        "+{} {} at T+{}",
                        e.points,
                        e.action,
                        crate::ui::format::age(*at - start)
                    ));
                }
                Some((i, (at, _))) => {
                    expected_used[i] = true;
                    lines.push(format!(
                        "+0 {} too late (T+{})",
                        e.action,
                        crate::ui::format::age(*at - start)
                    ));
                }
                None => lines.push(format!("+0 {} not done", e.action)),
            }
        }
        for (used, (_, a)) in expected_used.iter().zip(&self.actions) {
            if !used && sc.wrong_action_penalty > 0 {
                points -= i64::from(sc.wrong_action_penalty);
                lines.push(format!(
                    "-{} {} did not help",
                    sc.wrong_action_penalty,
                    a.command_line()
                ));
            }
        }
        match self.mitigated {
            Some(m) if m - start <= sc.mitigate_within => {
                points += i64::from(sc.mitigate_points);
                lines.push(format!(
                    "+{} mitigated at T+{}",
                    sc.mitigate_points,
                    crate::ui::format::age(m - start)
                ));
            }
            Some(m) => lines.push(format!(
                "+0 mitigated late (T+{})",
                crate::ui::format::age(m - start)
            )),
            None => lines.push("+0 not mitigated yet".into()),
        }
        Score {
            points: points.clamp(0, i64::from(max)) as u32,
            max,
            lines,
        }
    }
}
