//! The drill library: what `sitrep drill --list` shows, the checks every drill file gets
//! beyond its syntax, and the warnings `sitrep check DRILL.toml` prints.

use std::path::Path;

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::scenario::{BUILTIN, Scenario};
use crate::config::FileError;

/// How hard a drill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    #[default]
    Medium,
    Hard,
}

impl Difficulty {
    /// The word the list shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

/// What a wrong remedy does to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WrongEffect {
    /// Changes nothing that matters: time lost.
    #[default]
    Nothing,
    /// Makes the incident worse.
    Worse,
    /// Harms users or safety beyond the incident.
    Unsafe,
}

/// Drills end by themselves after this long when nothing ends them before.
pub fn default_time_limit() -> SignedDuration {
    SignedDuration::from_mins(20)
}

/// Bounds of the fields this module adds, checked when a drill is parsed.
const TIME_LIMIT: (SignedDuration, SignedDuration) =
    (SignedDuration::from_mins(1), SignedDuration::from_hours(24));
const FACTOR_MAX: f64 = 10.0;

/// Checks of the fields for causes, cures and scoring; every problem found.
pub fn check_extensions(path: &Path, text: &str, s: &Scenario) -> Vec<FileError> {
    let mut errors = Vec::new();
    let mut err = |msg: String| errors.push(FileError::at(path, text, None, msg));
    let tl = s.drill.time_limit;
    if tl < TIME_LIMIT.0 || tl > TIME_LIMIT.1 {
        err(format!(
            "drill {}: time_limit must be between 1m and 24h",
            s.drill.name
        ));
    }
    for f in &s.faults {
        if f.image.is_none() && f.start.is_none() {
            err(format!(
                "fault {}: give `image` (present while that image runs), `start` (present from then), or both",
                f.name
            ));
        }
        for (what, curves) in [("curves", &f.curves), ("recovery", &f.recovery)] {
            for (signal, points) in curves {
                if let Err(why) = check_curve(points) {
                    err(format!("fault {}: {what} `{signal}`: {why}", f.name));
                }
            }
        }
        for m in &f.changed_by {
            if !(0.0..=FACTOR_MAX).contains(&m.factor) || !m.factor.is_finite() {
                err(format!(
                    "fault {}: changed_by `{}`: factor must be between 0 and {FACTOR_MAX}",
                    f.name, m.action
                ));
            }
        }
    }
    for k in &s.kill_switches {
        if let Some(node) = &k.drain {
            let known = s.deployments.iter().any(|d| d.nodes.contains(node))
                || s.gpus.iter().any(|g| g.host == *node);
            if !known {
                err(format!(
                    "kill switch {} drains unknown node `{node}`",
                    k.name
                ));
            }
        }
    }
    if s.scoring.pass > 100 {
        err("scoring.pass is a percentage: 0 to 100".into());
    }
    if s.scoring.ack_points > 0 && s.scoring.ack_within.is_none() {
        err("scoring.ack_points needs scoring.ack_within".into());
    }
    errors
}

/// Most points one curve may have: a day at one point a second would be far more.
const CURVE_POINTS: usize = 10_000;

/// A curve's points: finite, from 0s on, in time order, not too many.
fn check_curve(points: &[(f64, f64)]) -> Result<(), String> {
    if points.is_empty() {
        return Err("needs at least one point".into());
    }
    if points.len() > CURVE_POINTS {
        return Err(format!("{} points; at most {CURVE_POINTS}", points.len()));
    }
    let mut last = 0.0;
    for (i, (t, v)) in points.iter().enumerate() {
        if !t.is_finite() || !v.is_finite() || *t < 0.0 || *t > 366.0 * 86_400.0 {
            return Err(format!(
                "point {} is not a time from 0s and a finite value",
                i + 1
            ));
        }
        if *t < last {
            return Err(format!("point {} goes back in time", i + 1));
        }
        last = *t;
    }
    Ok(())
}

/// One line per bundled drill: name, difficulty, description.
pub fn list() -> String {
    let mut rows = Vec::new();
    for (name, _) in BUILTIN {
        match Scenario::load(name) {
            Ok((s, _)) => rows.push((
                s.drill.name.clone(),
                s.drill.difficulty.as_str(),
                one_line(&s.drill.description),
            )),
            Err(e) => rows.push((name.to_string(), "?", e.to_string())),
        }
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, difficulty, text) in rows {
        out.push_str(&format!("{name:<width$}  {difficulty:<6}  {text}\n"));
    }
    out.push_str("\nsitrep drill NAME runs one; sitrep demo runs snapbuilder-bad-rollout.\n");
    out
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// Problems a drill can play with that a trainer should still fix: each a full message.
pub fn warnings(s: &Scenario, path: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    let name = &s.drill.name;
    let runbook = match s.runbook(path) {
        Ok(Some(rb)) => {
            out.extend(rb.warnings.iter().map(|w| format!("runbook: {w}")));
            Some(rb)
        }
        Ok(None) => {
            out.push(format!(
                "drill {name}: no runbook, so the checklist pane stays empty"
            ));
            None
        }
        Err(e) => {
            out.push(e);
            None
        }
    };
    if s.drill.description.trim().is_empty() {
        out.push(format!(
            "drill {name}: no description for `sitrep drill --list`"
        ));
    }
    for a in &s.alerts {
        let Some(rb) = &runbook else { break };
        let alert = crate::runbook::AlertRef {
            name: &a.name,
            summary: &a.summary,
            runbook_url: a.runbook_url.as_deref(),
        };
        match crate::runbook::match_alert(rb, &alert, &Default::default()) {
            Some(m) if !matches!(m.rule, crate::runbook::MatchRule::RunbookUrl) => {
                if a.runbook_url.is_some() {
                    out.push(format!(
                        "alert {}: runbook_url {} names no section of the runbook (matched by {} instead)",
                        a.name,
                        a.runbook_url.as_deref().unwrap_or(""),
                        m.rule
                    ));
                }
            }
            Some(_) => {}
            None => out.push(format!("alert {}: no runbook section answers it", a.name)),
        }
    }
    let known = |line: &str| command_targets_known(s, line);
    for e in &s.scoring.expect {
        if let Err(why) = known(&e.action) {
            out.push(format!("scoring.expect `{}`: {why}", e.action));
        }
    }
    for w in &s.scoring.wrong {
        if let Err(why) = known(&w.action) {
            out.push(format!("scoring.wrong `{}`: {why}", w.action));
        }
    }
    for f in &s.faults {
        for c in &f.cured_by {
            if let Err(why) = known(c) {
                out.push(format!("fault {} cured_by `{c}`: {why}", f.name));
            }
        }
        if f.image.is_none() && f.cured_by.is_empty() {
            out.push(format!(
                "fault {}: nothing cures it (no image to roll back from, no cured_by)",
                f.name
            ));
        }
    }
    if s.scoring.expect.is_empty() {
        out.push(format!(
            "drill {name}: no scoring.expect, so there is no reference path to compare with"
        ));
    }
    out
}

/// Whether a command line (or a prefix of one) names things the drill has.
fn command_targets_known(s: &Scenario, line: &str) -> Result<(), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let deployment = |n: &str| s.deployments.iter().any(|d| d.name == n);
    match words.as_slice() {
        ["rollback" | "restart" | "scale", d, ..] if !deployment(d) => {
            Err(format!("no deployment `{d}` in the drill"))
        }
        ["kill-switch", k, ..] if !s.kill_switches.iter().any(|x| x.name == *k) => {
            Err(format!("no kill switch `{k}` in the drill"))
        }
        ["rollback" | "restart" | "scale" | "kill-switch", ..] => Ok(()),
        [other, ..] => Err(format!("`{other}` is not a world-changing command")),
        [] => Err("empty action".into()),
    }
}

/// `sitrep check DRILL...`: each drill file (or bundled name) with its errors and warnings
/// as `FILE: message` lines; the exit status is 1 when any has one.
pub fn check(specs: &[String]) -> std::process::ExitCode {
    let mut problems = 0;
    for spec in specs {
        match Scenario::load(spec) {
            Ok((s, path)) => {
                let shown = path
                    .as_ref()
                    .map_or(format!("builtin:{spec}"), |p| p.display().to_string());
                let warnings = warnings(&s, path.as_deref());
                for w in &warnings {
                    println!("{shown}: warning: {w}");
                }
                problems += warnings.len();
                if warnings.is_empty() {
                    println!("ok: drill {shown}");
                }
            }
            Err(e) => {
                problems += e.0.len();
                for e in e.0 {
                    println!("{e}");
                }
            }
        }
    }
    if problems == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_drill_loads_without_warnings() {
        for (name, _) in BUILTIN {
            let (s, path) = Scenario::load(name).unwrap();
            assert_eq!(s.drill.name, *name, "file name and drill name agree");
            let w = warnings(&s, path.as_deref());
            assert!(w.is_empty(), "{name}: {w:#?}");
        }
    }

    #[test]
    fn the_list_shows_every_drill_with_its_difficulty() {
        let list = list();
        for (name, _) in BUILTIN {
            assert!(list.contains(name), "{list}");
        }
        assert!(list.contains("medium") || list.contains("easy"), "{list}");
    }

    #[test]
    fn unknown_targets_and_missing_causes_are_reported() {
        let text = "[drill]\nname='x'\ntitle='x'\nnamespace='n'\n[[deployments]]\nname='api'\nreplicas=1\nnodes=['a']\n\
             [[deployments.revisions]]\nimage='i:1'\nage='1h'\n[[faults]]\nname='f'\ndeployment='api'\n\
             ramp='10s'\nrecover='10s'\n[[scoring.expect]]\naction='rollback web'\nwithin='5m'\npoints=10\n";
        let e = Scenario::parse(Path::new("x.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("fault f: give `image`"), "{e}");
        let s = Scenario::parse(
            Path::new("x.toml"),
            &text.replace("ramp=", "start='1m'\nramp="),
        )
        .unwrap();
        let w = warnings(&s, None).join("\n");
        assert!(
            w.contains("scoring.expect `rollback web`: no deployment `web`"),
            "{w}"
        );
        assert!(w.contains("fault f: nothing cures it"), "{w}");
        assert!(w.contains("no runbook"), "{w}");
    }
}
