//! Replay on the cockpit's side: the transport commands a trainee gives, what the replay
//! engine reports back, and how a seek resets the panes.
//!
//! The engine itself is a source ([`crate::sources::replay`]): it reads the recording and
//! feeds the one channel. The cockpit only learns where the replay stands
//! ([`TransportStatus`], drawn as the transport line), sees the original responder's
//! actions as ghost entries on the timeline, and drops what it observed when the engine
//! seeks, before the engine sends the state at the new position.

use jiff::{SignedDuration, Timestamp};

use crate::app::App;
use crate::event::Level;
use crate::journal::Entry;

/// Ghost entries kept in memory.
const GHOSTS: usize = 2000;

/// A transport command: `replay <verb>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Pause, or resume.
    Pause,
    /// While paused: play the next second.
    Step,
    /// Jump by this much recorded time (negative: back).
    Seek(SignedDuration),
    /// Jump to just before the original responder's next action.
    NextAction,
    /// Double the speed (up to ×1000).
    Faster,
    /// Halve the speed (down to ×1/8).
    Slower,
}

impl Transport {
    /// The verbs, for the help overlay and completion.
    pub const USAGE: &'static str = "pause|step|seek <±1m>|next-action|faster|slower";

    /// Parses the words after `replay`.
    pub fn parse(args: &[&str]) -> Result<Transport, String> {
        match args {
            ["pause"] => Ok(Transport::Pause),
            ["step"] => Ok(Transport::Step),
            ["next-action"] => Ok(Transport::NextAction),
            ["faster"] => Ok(Transport::Faster),
            ["slower"] => Ok(Transport::Slower),
            ["seek", d] => parse_offset(d).map(Transport::Seek),
            _ => Err(format!("usage: replay {}", Transport::USAGE)),
        }
    }

    /// The command line that asks for it.
    pub fn command_line(&self) -> String {
        match self {
            Transport::Pause => "replay pause".into(),
            Transport::Step => "replay step".into(),
            Transport::Seek(d) => {
                let sign = if d.is_negative() { '-' } else { '+' };
                format!("replay seek {sign}{}s", d.as_secs().abs())
            }
            Transport::NextAction => "replay next-action".into(),
            Transport::Faster => "replay faster".into(),
            Transport::Slower => "replay slower".into(),
        }
    }
}

/// `+1m`, `-10m`, `90s`, `-1h30m`.
pub fn parse_offset(s: &str) -> Result<SignedDuration, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let d = crate::config::PromDuration::parse(body)?;
    let d = SignedDuration::try_from(d.0).map_err(|e| e.to_string())?;
    Ok(if neg { -d } else { d })
}

/// Where a replay stands.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportStatus {
    /// The recorded moment on screen, on the original incident's clock.
    pub position: Timestamp,
    /// The recording's first and last moments.
    pub start: Timestamp,
    pub end: Timestamp,
    pub speed: f64,
    pub paused: bool,
    /// Played to the end.
    pub finished: bool,
}

/// What the replay engine tells the cockpit.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayEvent {
    /// Where the replay stands now.
    Status(TransportStatus),
    /// An action of the original responder, reached in the replay.
    Ghost(Entry),
    /// A seek: forget what was observed; the state at the new position follows, its
    /// first record at this time.
    Reset(Timestamp),
    /// Something the trainee must see (a damaged recording, the end of it).
    Banner(String),
    /// The live cockpit pointed its log tail somewhere: the logs pane says so as it did.
    Tail(crate::recording::format::TailInfo),
    /// The original responder's path, read from the recording when it opens: the
    /// reference the trainee is scored against.
    Original(crate::drill::scorecard::Original),
}

/// The replay's part of the cockpit state.
#[derive(Debug, Clone, Default)]
pub struct ReplayState {
    pub transport: Option<TransportStatus>,
    /// The original responder's actions so far, oldest first.
    pub ghosts: Vec<Entry>,
    /// What was skipped in a damaged recording.
    pub banner: Option<String>,
}

/// Folds a replay event into the cockpit.
pub fn apply(app: &mut App, ev: ReplayEvent) {
    match ev {
        ReplayEvent::Status(s) => {
            app.paused = s.paused;
            app.replay.transport = Some(s);
        }
        ReplayEvent::Ghost(e) => {
            if app.replay.ghosts.len() == GHOSTS {
                app.replay.ghosts.remove(0);
            }
            app.replay.ghosts.push(e);
        }
        ReplayEvent::Reset(at) => reset(app, at),
        ReplayEvent::Tail(info) => follow_recorded_tail(app, info),
        ReplayEvent::Original(o) => {
            if let Some(d) = app.drill.as_mut() {
                d.original = Some(o);
            }
        }
        ReplayEvent::Banner(text) => {
            app.flash = Some(crate::app::Flash {
                text: text.clone(),
                level: Level::Warn,
            });
            app.replay.banner = Some(text);
        }
    }
    app.dirty = true;
}

/// The recorded tail's target, taken as the live cockpit took it: a new target starts the
/// logs afresh (the live tail dropped the previous selection's lines), the same target
/// with other pods only changes the choice.
fn follow_recorded_tail(app: &mut App, info: crate::recording::format::TailInfo) {
    use crate::app::tail::{TailCause, TailChoice, TailState};
    let target = crate::event::LogTarget {
        namespace: info.namespace,
        workload: info.workload,
        pod: info.pod,
        pods: info.pods,
        service: None,
    };
    let same = app
        .pods
        .tailing
        .as_ref()
        .is_some_and(|t| t.same_target(&target));
    let following = if same { app.pods.tail.following } else { None };
    app.pods.tail = TailState {
        choice: TailChoice {
            pods: target.pods.clone(),
            total: info.total,
            why: info.why,
        },
        cause: if info.by_operator {
            TailCause::Operator
        } else {
            TailCause::Alert
        },
        following,
        stale: false,
    };
    app.pods.tailing = Some(target);
    if !same {
        let mut fresh = crate::app::logs::LogBuffer::new(app.config.logs.buffer_lines);
        fresh.set_filter(app.logs.filter().cloned());
        fresh.wrap = app.logs.wrap;
        fresh.raw = app.logs.raw;
        fresh.context = app.logs.context;
        app.logs = fresh;
    }
}

/// Forgets everything observed; the trainee's own incident, timeline and settings stay.
fn reset(app: &mut App, at: Timestamp) {
    app.now = at;
    app.signals.clear();
    // What was journaled stays journaled: the state before the seek point comes again.
    let journaled = std::mem::take(&mut app.alerts.journaled);
    app.alerts = crate::app::alerts::AlertsPane {
        journaled,
        ..Default::default()
    };
    let namespace = std::mem::take(&mut app.pods.namespace);
    let tailing = app.pods.tailing.take();
    let selected = app.pods.selected;
    app.pods = crate::app::state::PodsState {
        namespace,
        tailing,
        selected,
        ..Default::default()
    };
    app.gpus = Default::default();
    let mut logs = crate::app::logs::LogBuffer::new(app.config.logs.buffer_lines);
    logs.set_filter(app.logs.filter().cloned());
    logs.wrap = app.logs.wrap;
    logs.context = app.logs.context;
    app.logs = logs;
    app.kill_switches.clear();
    app.health.clear();
    app.silences.clear();
    app.source_errors = Default::default();
    app.replay.ghosts.clear();
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seeking_back_does_not_journal_an_alert_firing_again() {
        use crate::app::Effect;
        use crate::event::{AlertState, AlertStatus, Event, Observation};
        use crate::journal::Kind;
        let start = Timestamp::from_second(1_795_000_000).unwrap();
        let mut app = App::new(
            crate::app::Mode::Replay {
                file: "INC-1.sitrec".into(),
                speed: 1.0,
            },
            crate::config::Config::default(),
            crate::config::Keymap::load("default", None).unwrap(),
            crate::config::Theme::load("dark", None, false).unwrap(),
            "trainee".into(),
            start,
        );
        let alert = |state: AlertState, since: i64| {
            Observation::Alert(AlertStatus {
                name: "HighErrorRate".into(),
                severity: "critical".into(),
                state,
                since: start + SignedDuration::from_secs(since),
                summary: "5xx".into(),
                runbook_url: None,
                detail: String::new(),
                description: String::new(),
                labels: Default::default(),
                silenced_by: Vec::new(),
            })
        };
        let journaled = |effects: Vec<Effect>, kind: Kind| {
            effects
                .iter()
                .filter(|e| matches!(e, Effect::JournalAppend { entry, .. } if entry.kind == kind))
                .count()
        };
        let at = |s: i64| start + SignedDuration::from_secs(s);
        let fired = app.update(Event::Observed(at(10), alert(AlertState::Firing, 10)));
        assert_eq!(journaled(fired, Kind::AlertFired), 1);
        let resolved = app.update(Event::Observed(at(60), alert(AlertState::Resolved, 10)));
        assert_eq!(journaled(resolved, Kind::AlertResolved), 1);
        // Seek back to before the firing: the keyframe brings the same firing again, and
        // playing on the same resolution: neither is journaled twice.
        app.update(Event::Replay(ReplayEvent::Reset(at(5))));
        let again = app.update(Event::Observed(at(10), alert(AlertState::Firing, 10)));
        assert_eq!(journaled(again, Kind::AlertFired), 0);
        assert_eq!(app.alerts.len(), 1, "the pane shows it again");
        let again = app.update(Event::Observed(at(60), alert(AlertState::Resolved, 10)));
        assert_eq!(journaled(again, Kind::AlertResolved), 0);
        // A new firing of the same alert later is news.
        let later = app.update(Event::Observed(at(90), alert(AlertState::Firing, 90)));
        assert_eq!(journaled(later, Kind::AlertFired), 1);
    }

    #[test]
    fn transport_commands_parse() {
        assert_eq!(Transport::parse(&["pause"]), Ok(Transport::Pause));
        assert_eq!(
            Transport::parse(&["seek", "-10m"]),
            Ok(Transport::Seek(SignedDuration::from_mins(-10)))
        );
        assert_eq!(
            Transport::parse(&["seek", "+1m"]),
            Ok(Transport::Seek(SignedDuration::from_mins(1)))
        );
        assert!(Transport::parse(&["seek", "soon"]).is_err());
        assert!(
            Transport::parse(&[])
                .unwrap_err()
                .starts_with("usage: replay")
        );
        assert_eq!(
            Transport::Seek(SignedDuration::from_mins(-1)).command_line(),
            "replay seek -60s"
        );
    }
}
