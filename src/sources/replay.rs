//! The replay engine: a source that reads a recording and feeds its records to the one
//! channel on the recorded clock, at any speed, with a transport (pause, step, seek, the
//! original responder's next action, speed). It answers the sandbox executor too: in a
//! replay the recorded world plays on as it happened, so a trainee's action changes
//! nothing but is journaled as theirs. It opens no connection to anything.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::event::{ActionOutcome, ActionReport, Event};
use crate::recording::reader::Cursor;
use crate::recording::{Reader, Record};
use crate::replay::{ReplayEvent, Transport, TransportStatus};
use crate::sources::drill::Control;

/// How often the recorded clock moves on while playing.
const STEP: Duration = Duration::from_millis(100);
/// A forward seek farther than this goes through a keyframe instead of playing through.
const PLAY_THROUGH: SignedDuration = SignedDuration::from_secs(60);
/// Slowest and fastest speeds.
const SPEEDS: (f64, f64) = (0.125, 1000.0);

/// Where and how to start.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    /// Recorded moment to start at (the beginning when `None`).
    pub from: Option<Timestamp>,
    pub speed: f64,
}

struct Engine {
    reader: Reader,
    cursor: Cursor,
    held: Option<Record>,
    position: Timestamp,
    start: Timestamp,
    end: Timestamp,
    speed: f64,
    paused: bool,
    finished: bool,
    tx: mpsc::Sender<Event>,
    last_status: Option<(i64, bool, bool, u64)>,
}

/// Why the engine stopped: the cockpit went away.
struct Closed;

type Step = Result<(), Closed>;

/// Plays `reader` into `tx` until the cockpit stops.
pub async fn run(
    reader: Reader,
    start: Start,
    tx: mpsc::Sender<Event>,
    mut control: mpsc::Receiver<Control>,
    mut transport: mpsc::Receiver<Transport>,
) {
    let first = reader.start().unwrap_or_else(Timestamp::now);
    let last = reader.end().unwrap_or(first);
    let mut e = Engine {
        cursor: reader.cursor(),
        reader,
        held: None,
        position: first,
        start: first,
        end: last,
        speed: start.speed.clamp(SPEEDS.0, SPEEDS.1),
        paused: false,
        finished: false,
        tx,
        last_status: None,
    };
    let _ = e.begin(start.from).await;
    let mut clock = tokio::time::interval(STEP);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_wall = Instant::now();
    loop {
        let step = tokio::select! {
            _ = clock.tick() => {
                let wall = Instant::now();
                let real = wall - last_wall;
                last_wall = wall;
                if e.paused || e.finished {
                    Ok(())
                } else {
                    let by = SignedDuration::try_from(real.mul_f64(e.speed)).unwrap_or_default();
                    let to = (e.position + by).min(e.end);
                    e.play_until(to).await
                }
            }
            msg = control.recv() => match msg {
                None => return,
                Some(Control::Pause(p)) => {
                    e.paused = p;
                    last_wall = Instant::now();
                    e.status(true).await
                }
                Some(Control::Act(action, reply)) => {
                    let detail = format!(
                        "replay: the recorded incident plays on as it happened; `{}` is journaled as yours, the world is not changed",
                        action.command_line()
                    );
                    let _ = reply.send(ActionReport { action, outcome: ActionOutcome::DryRun, detail, revisions: None });
                    Ok(())
                }
                Some(Control::Preview(action, reply)) => {
                    let _ = reply.send(Ok(vec![format!(
                        "Replay: the recorded incident plays on as it happened; `{}` would be journaled as yours and change nothing.",
                        action.command_line()
                    )]));
                    Ok(())
                }
            },
            msg = transport.recv() => match msg {
                None => return,
                Some(t) => {
                    last_wall = Instant::now();
                    e.transport(t).await
                }
            },
        };
        if step.is_err() {
            return;
        }
    }
}

impl Engine {
    async fn send(&self, ev: Event) -> Step {
        self.tx.send(ev).await.map_err(|_| Closed)
    }

    async fn begin(&mut self, from: Option<Timestamp>) -> Step {
        if let Some(banner) = self.reader.damage_banner() {
            self.send(Event::Replay(ReplayEvent::Banner(banner)))
                .await?;
        }
        // The original responder's path, for the scorecard at the end.
        if let Ok(actions) = self.reader.actions() {
            let original = crate::drill::scorecard::Original::from_records(&actions);
            self.send(Event::Replay(ReplayEvent::Original(original)))
                .await?;
        }
        match from {
            Some(t) if t > self.start => self.seek_to(t, false).await,
            _ => {
                // The state before the first record, then the first moment.
                self.play_until(self.start).await
            }
        }
    }

    /// Sends every record up to `to` and moves the position there.
    async fn play_until(&mut self, to: Timestamp) -> Step {
        loop {
            let next = match self.held.take() {
                Some(r) => Some(r),
                None => match self.reader.next(&mut self.cursor) {
                    Ok(r) => r,
                    Err(err) => {
                        self.send(Event::Replay(ReplayEvent::Banner(format!(
                            "{err}; the replay stops here"
                        ))))
                        .await?;
                        None
                    }
                },
            };
            match next {
                Some(r) if r.at() > to => {
                    self.held = Some(r);
                    break;
                }
                Some(r) => self.emit(r).await?,
                None => {
                    if !self.finished {
                        self.finished = true;
                        self.send(Event::Replay(ReplayEvent::Banner(format!(
                            "the recording ends here ({} UTC): seek back, or quit",
                            self.end.strftime("%H:%M:%S")
                        ))))
                        .await?;
                        // The replay is over: the cockpit shows the scorecard (once).
                        self.send(Event::DrillEnded(
                            self.end,
                            crate::drill::scorecard::EndReason::Finished,
                        ))
                        .await?;
                    }
                    break;
                }
            }
        }
        if to > self.position {
            self.position = to;
        }
        self.status(false).await
    }

    /// One record, as the cockpit would have heard it.
    async fn emit(&mut self, r: Record) -> Step {
        let ev = match r {
            Record::Observed { at, obs } => Event::Observed(at, obs),
            Record::Tick { at } => Event::Tick(at),
            Record::Journal { line, .. } => match crate::recording::format::operator_entry(&line) {
                Some(entry) => Event::Replay(ReplayEvent::Ghost(entry)),
                None => return Ok(()),
            },
            Record::Notice { text, .. } => Event::Replay(ReplayEvent::Banner(text)),
            Record::Tail { tail, .. } => Event::Replay(ReplayEvent::Tail(tail)),
            Record::Command { .. } | Record::Preview { .. } | Record::Outcome { .. } => {
                return Ok(());
            }
        };
        self.send(ev).await
    }

    /// Forgets the cockpit's state and rebuilds it at `t` from the keyframe before it.
    async fn seek_to(&mut self, t: Timestamp, reset: bool) -> Step {
        let t = t.clamp(self.start, self.end);
        let (burst, cursor) = match self.reader.seek(t) {
            Ok(x) => x,
            Err(err) => {
                return self
                    .send(Event::Replay(ReplayEvent::Banner(format!(
                        "cannot seek: {err}"
                    ))))
                    .await;
            }
        };
        if reset {
            let first = burst.first().map_or(t, Record::at);
            self.send(Event::Replay(ReplayEvent::Reset(first))).await?;
        }
        for r in burst {
            self.emit(r).await?;
        }
        self.cursor = cursor;
        self.held = None;
        self.position = t;
        self.finished = false;
        self.send(Event::Tick(t)).await?;
        self.status(true).await
    }

    async fn transport(&mut self, t: Transport) -> Step {
        match t {
            Transport::Pause => {
                self.paused = !self.paused;
                self.status(true).await
            }
            Transport::Step => {
                self.paused = true;
                let to = (self.position + SignedDuration::from_secs(1)).min(self.end);
                self.play_until(to).await?;
                self.status(true).await
            }
            Transport::Seek(d) => {
                let to = (self.position + d).clamp(self.start, self.end);
                if d.is_positive() && d <= PLAY_THROUGH {
                    self.play_until(to).await?;
                    self.status(true).await
                } else {
                    self.seek_to(to, true).await
                }
            }
            Transport::NextAction => match self.reader.next_action_after(self.position) {
                Ok(Some(at)) if at.duration_since(self.position) <= PLAY_THROUGH => {
                    self.play_until(at).await?;
                    self.status(true).await
                }
                Ok(Some(at)) => self.seek_to(at, true).await,
                Ok(None) => {
                    self.send(Event::Replay(ReplayEvent::Banner(
                        "no more actions of the original responder in this recording".into(),
                    )))
                    .await
                }
                Err(err) => {
                    self.send(Event::Replay(ReplayEvent::Banner(err.to_string())))
                        .await
                }
            },
            Transport::Faster => {
                self.speed = (self.speed * 2.0).min(SPEEDS.1);
                self.status(true).await
            }
            Transport::Slower => {
                self.speed = (self.speed / 2.0).max(SPEEDS.0);
                self.status(true).await
            }
        }
    }

    /// Tells the cockpit where the replay stands, when the second on screen changed.
    async fn status(&mut self, force: bool) -> Step {
        let key = (
            self.position.as_second(),
            self.paused,
            self.finished,
            self.speed.to_bits(),
        );
        if !force && self.last_status == Some(key) {
            return Ok(());
        }
        self.last_status = Some(key);
        self.send(Event::Replay(ReplayEvent::Status(TransportStatus {
            position: self.position,
            start: self.start,
            end: self.end,
            speed: self.speed,
            paused: self.paused,
            finished: self.finished,
        })))
        .await
    }
}

/// Reads `--from`: `+DURATION` after the start, an RFC 3339 time, or `HH:MM[:SS]` UTC on
/// the recording's first day.
pub fn parse_from(s: &str, start: Timestamp) -> Result<Timestamp, String> {
    if let Some(rest) = s.strip_prefix('+') {
        let d = crate::replay::parse_offset(rest).map_err(|e| format!("--from {s}: {e}"))?;
        return Ok(start + d);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let parts: Vec<&str> = s.split(':').collect();
    let nums: Option<Vec<i8>> = parts.iter().map(|p| p.parse::<i8>().ok()).collect();
    match nums.as_deref() {
        Some([h, m]) | Some([h, m, _]) if (0..24).contains(h) && (0..60).contains(m) => {
            let sec = if parts.len() == 3 {
                nums.as_ref().map_or(0, |n| n[2])
            } else {
                0
            };
            let day = start.to_zoned(jiff::tz::TimeZone::UTC).date();
            day.at(*h, *m, sec, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .map_err(|e| format!("--from {s}: {e}"))
        }
        _ => Err(format!(
            "--from {s}: expected +DURATION (+10m), a time (14:05 or 14:05:30, UTC) or an RFC 3339 timestamp"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn from_takes_offsets_clock_times_and_timestamps() {
        let start: Timestamp = "2026-11-23T14:40:00Z".parse().unwrap();
        assert_eq!(
            parse_from("+10m", start).unwrap(),
            "2026-11-23T14:50:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_from("14:45:30", start).unwrap(),
            "2026-11-23T14:45:30Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_from("2026-11-23T15:00:00Z", start).unwrap(),
            "2026-11-23T15:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(
            parse_from("soon", start)
                .unwrap_err()
                .contains("expected +DURATION")
        );
    }
}
