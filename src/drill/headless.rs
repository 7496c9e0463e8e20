//! Drills without a terminal: the same cockpit state and simulated world, stepped as fast as
//! the machine goes, driven by a script of timed commands, ending in a scorecard.
//!
//! A script is one command a line, each after the drill time it runs at:
//!
//! ```text
//! # comments and blank lines are skipped
//! +40s ack
//! +45s check 1                      # tick step 1 of the runbook section on screen
//! +1m10s rollback snapbuilder-serving
//! +5m quit
//! ```
//!
//! Times count from the start of the drill and never go backwards. Every command is one
//! the `:` line takes; a world-changing one is confirmed as an operator would confirm it.

use std::collections::VecDeque;
use std::path::Path;

use crossterm::event::{Event as Term, KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};

use super::scenario::Scenario;
use super::scorecard::{DrillScoring, EndReason, Scorecard};
use super::world::World;
use crate::app::{App, Effect, Mode, Overlay};
use crate::command::Command;
use crate::event::{Action, ActionOutcome, ActionReport, Event, Level};

/// One timed line of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptLine {
    /// Drill time the command runs at.
    pub at: SignedDuration,
    pub command: String,
    /// 1-based line number in the script, for messages.
    pub line: usize,
}

/// Longest script accepted, in lines: far more than any drill needs.
const MAX_SCRIPT_LINES: usize = 10_000;

/// Parses a script; the error names the line.
pub fn parse_script(text: &str) -> Result<Vec<ScriptLine>, String> {
    let mut out: Vec<ScriptLine> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split_once(" #").map_or(raw, |(l, _)| l).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if out.len() == MAX_SCRIPT_LINES {
            return Err(format!("line {n}: more than {MAX_SCRIPT_LINES} commands"));
        }
        let Some(rest) = line.strip_prefix('+') else {
            return Err(format!(
                "line {n}: expected `+TIME command` (e.g. `+30s ack`), got `{line}`"
            ));
        };
        let (time, command) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("line {n}: no command after +{rest}"))?;
        let at: SignedDuration = time.parse().map_err(|e| {
            format!("line {n}: bad time `+{time}` (write e.g. +90s, +2m, +1m30s): {e}")
        })?;
        if at.is_negative() || at > SignedDuration::from_hours(24) {
            return Err(format!("line {n}: time +{time} is outside 0..24h"));
        }
        if let Some(prev) = out.last()
            && at < prev.at
        {
            return Err(format!(
                "line {n}: +{time} comes before the line above it (line {})",
                prev.line
            ));
        }
        let command = command.trim().to_string();
        if let Some(arg) = command.strip_prefix("check ") {
            arg.trim()
                .parse::<usize>()
                .ok()
                .filter(|k| *k > 0)
                .ok_or_else(|| format!("line {n}: `check` takes a step number from 1"))?;
        } else if command != "check" {
            Command::parse(&command).map_err(|e| format!("line {n}: {e}"))?;
        }
        out.push(ScriptLine {
            at,
            command,
            line: n,
        });
    }
    Ok(out)
}

/// What a headless run produced.
#[derive(Debug)]
pub struct Outcome {
    pub card: Scorecard,
    /// Script lines that did not do what they said, and why (`line 3: no kill switch …`).
    pub notes: Vec<String>,
}

/// A cockpit and a world, stepped together.
struct Run {
    app: App,
    world: World,
    notes: Vec<String>,
    quit: bool,
}

impl Run {
    fn feed(&mut self, event: Event) {
        let effects = self.app.update(event);
        self.pump(effects);
    }

    /// Carries out effects as the runtime would, and what they cause in turn.
    fn pump(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            let next = match effect {
                Effect::Execute(action) => {
                    let report = self.execute(action);
                    self.app.update(Event::ActionDone(report))
                }
                // The sandbox's dry run, as the drill engine answers it.
                Effect::Preview(action) => {
                    let answer = self.world.preview(&action);
                    self.app.update(Event::Previewed(action, answer))
                }
                // The journal would echo each entry back once written; the timeline needs it.
                Effect::JournalAppend { entry, .. } => self.app.update(Event::Journaled(entry)),
                Effect::Quit => {
                    self.quit = true;
                    Vec::new()
                }
                _ => Vec::new(),
            };
            queue.extend(next);
        }
    }

    /// What the sandbox executor and the drill engine would answer.
    fn execute(&mut self, action: Action) -> ActionReport {
        if let Action::Shell { command } = &action {
            let detail = format!("not run in a drill; the command was:\n$ {command}");
            return ActionReport {
                action,
                outcome: ActionOutcome::DryRun,
                detail,
                revisions: None,
            };
        }
        let (report, observations) = self.world.act(action);
        let now = self.world.now();
        for obs in observations {
            // Observations cause no effects that reach back into the world.
            let _ = self.app.update(Event::Observed(now, obs));
        }
        report
    }

    fn key(&mut self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        self.feed(Event::Input(Term::Key(key)));
    }

    fn command(&mut self, line: &ScriptLine) {
        self.app.flash = None;
        if let Some(arg) = line.command.strip_prefix("check") {
            let step = arg.trim().parse::<usize>().ok();
            if let (Some(k), Some(c)) = (step, self.app.checklist.as_mut()) {
                c.cursor = k - 1;
                if k > c.steps().len() {
                    self.notes.push(format!(
                        "line {}: the section on screen has {} steps",
                        line.line,
                        c.steps().len()
                    ));
                    return;
                }
            }
            self.feed_command(Command::Check);
        } else if let Ok(cmd) = Command::parse(&line.command) {
            self.feed_command(cmd);
        }
        // Confirm what asks for it, as the operator would: at SEV1/SEV2 by typing the name.
        match &self.app.overlay {
            Some(Overlay::Confirm {
                typed_required: Some(name),
                ..
            }) => {
                let name = name.clone();
                for c in name.chars() {
                    self.key(KeyCode::Char(c));
                }
                self.key(KeyCode::Enter);
            }
            Some(Overlay::Confirm { .. } | Overlay::QuitConfirm) => self.key(KeyCode::Char('y')),
            _ => {}
        }
        if let Some(f) = &self.app.flash
            && f.level == Level::Crit
            && !matches!(self.app.overlay, Some(Overlay::Scorecard { .. }))
        {
            self.notes.push(format!("line {}: {}", line.line, f.text));
        }
        // Output of a `run` and other overlays would take the next keys: close them.
        if matches!(
            self.app.overlay,
            Some(Overlay::Output { .. } | Overlay::Help { .. })
        ) {
            self.app.overlay = None;
        }
    }

    fn feed_command(&mut self, cmd: Command) {
        let effects = self.app.run(cmd);
        self.pump(effects);
    }

    fn ended(&self) -> bool {
        self.quit || self.app.drill.as_ref().is_some_and(|d| d.card.is_some())
    }
}

/// Plays a drill to its end with the script's commands; the scorecard and what went amiss.
pub fn run(
    scenario: Scenario,
    drill_file: Option<&Path>,
    script: &[ScriptLine],
) -> Result<Outcome, String> {
    let mut books = Vec::new();
    if let Some(rb) = scenario.runbook(drill_file)? {
        books.push(rb);
    }
    let keymap = crate::config::Keymap::load("default", None).map_err(|e| e.to_string())?;
    let theme = crate::config::Theme::load("dark", None, true).map_err(|e| e.to_string())?;
    // Whole seconds, so drill times in the scorecard come out even.
    let start = Timestamp::from_second(Timestamp::now().as_second()).map_err(|e| e.to_string())?;
    let mode = Mode::Drill {
        name: scenario.drill.name.clone(),
        speed: 0.0,
    };
    let mut app = App::new(
        mode,
        crate::config::Config::default(),
        keymap,
        theme,
        "trainee".into(),
        start,
    );
    app.checklist = crate::app::checklist::Checklist::new(books);
    app.drill = Some(DrillScoring::new(&scenario, start, None));
    let limit = scenario.drill.time_limit;
    let world = World::new(scenario, start);
    let mut run = Run {
        app,
        world,
        notes: Vec::new(),
        quit: false,
    };
    for obs in run.world.initial() {
        run.feed(Event::Observed(start, obs));
    }
    let mut next = 0;
    let mut end = EndReason::TimeUp;
    loop {
        while let Some(line) = script.get(next).filter(|l| l.at <= run.world.elapsed()) {
            run.command(line);
            next += 1;
            if run.ended() {
                break;
            }
        }
        if run.ended() {
            end = EndReason::Quit;
            break;
        }
        if run.world.elapsed() >= limit {
            break;
        }
        let now = run.world.now();
        for obs in run.world.step() {
            run.feed(Event::Observed(now + SignedDuration::from_secs(1), obs));
        }
        run.feed(Event::Tick(run.world.now()));
        if run.world.is_mitigated() {
            end = EndReason::Resolved;
            break;
        }
    }
    for line in &script[next.min(script.len())..] {
        run.notes.push(format!(
            "line {}: +{} is after the drill ended ({}); not run",
            line.line,
            crate::ui::format::age(line.at),
            end.as_str()
        ));
    }
    if !run.ended() {
        let now = run.world.now();
        run.feed(Event::DrillEnded(now, end));
    }
    let card = run
        .app
        .drill
        .as_ref()
        .and_then(|d| d.card.as_deref().cloned())
        .ok_or("the drill ended without a scorecard")?;
    Ok(Outcome {
        card,
        notes: run.notes,
    })
}

/// `sitrep drill NAME|FILE --headless [--script FILE]`: prints the scorecard JSON; exit
/// status 0 when it passes, 1 when not, 2 when the drill or script cannot be read.
pub fn run_cli(spec: &str, script: Option<&Path>) -> anyhow::Result<std::process::ExitCode> {
    let (scenario, path) = Scenario::load(spec).map_err(|e| anyhow::anyhow!("{e}"))?;
    let lines = match script {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("{}: cannot read script: {e}", p.display()))?;
            parse_script(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => Vec::new(),
    };
    let outcome = run(scenario, path.as_deref(), &lines).map_err(|e| anyhow::anyhow!(e))?;
    for n in &outcome.notes {
        eprintln!("sitrep: script {n}");
    }
    println!("{}", outcome.card.to_json());
    Ok(if outcome.card.passed {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_with_comments_and_name_their_bad_lines() {
        let s =
            parse_script("# warm-up\n\n+30s ack\n+1m10s rollback x  # the fix\n+1m10s check 2\n")
                .unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].at, SignedDuration::from_secs(70));
        assert_eq!(s[1].command, "rollback x");
        assert_eq!(s[1].line, 4);
        let e = parse_script("+30s ack\n+10s ack\n").unwrap_err();
        assert!(e.contains("line 2: +10s comes before"), "{e}");
        let e = parse_script("30s ack\n").unwrap_err();
        assert!(e.contains("line 1: expected `+TIME command`"), "{e}");
        let e = parse_script("+soon ack\n").unwrap_err();
        assert!(e.contains("line 1: bad time `+soon`"), "{e}");
        let e = parse_script("+1s frobnicate\n").unwrap_err();
        assert!(e.starts_with("line 1: "), "{e}");
        let e = parse_script("+1s check 0\n").unwrap_err();
        assert!(e.contains("step number"), "{e}");
    }

    #[test]
    fn the_demo_rolled_back_passes_and_doing_nothing_does_not() {
        let (s, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
        let good = parse_script("+70s ack\n+80s rollback snapbuilder-serving\n").unwrap();
        let out = run(s.clone(), None, &good).unwrap();
        assert!(out.card.passed, "{:#?}", out.card);
        assert_eq!(out.card.end, EndReason::Resolved);
        assert!(out.notes.is_empty(), "{:?}", out.notes);
        let out = run(s, None, &[]).unwrap();
        assert!(!out.card.passed);
        assert_eq!(out.card.end, EndReason::TimeUp);
    }
}
