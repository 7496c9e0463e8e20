//! The loop: drain every pending event, update, then draw once if something changed.
//! Effects leave here for the executor, the journal, the drill engine and the terminal.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{App, Effect};
use crate::event::Event;
use crate::executors::Executor;
use crate::signals::{Caught, Signals};
use crate::sources::drill::Control;

/// Where frames go: the real terminal, or a test backend.
pub trait Screen {
    /// Draws the whole cockpit.
    fn draw(&mut self, app: &App) -> io::Result<()>;
    /// Puts text on the clipboard.
    fn clipboard(&mut self, text: &str) -> io::Result<()>;
    /// Gives the terminal back before the process stops (ctrl-z, SIGTSTP).
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Takes the terminal again after the process was continued; the next draw repaints
    /// everything. Returns the terminal's size, which may have changed meanwhile.
    fn resume(&mut self) -> io::Result<Option<(u16, u16)>> {
        Ok(None)
    }
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The operator quit, or every input ended.
    Quit,
    /// A signal stopped the cockpit; sitrep exits with 128 + this number.
    Signal(i32),
}

/// What the mode plugs in.
pub struct Plug {
    pub executor: Arc<dyn Executor>,
    /// The drill engine's controls, in drills and replays.
    pub drill: Option<mpsc::Sender<Control>>,
    /// The journal worker.
    pub journal: crate::journal_worker::JournalSink,
    /// The log tailer, in live mode: takes what to tail next.
    pub logs: Option<mpsc::Sender<crate::app::LogTarget>>,
    /// The log store's history, in live mode with `[loki]`.
    pub log_queries: Option<mpsc::Sender<crate::event::LogQuery>>,
    /// The Prometheus sparkline width, in live mode.
    pub spark: Option<crate::sources::prometheus::SparkWidth>,
    /// The flight recorder, in live mode unless `--no-record`.
    pub recorder: Option<crate::recording::recorder::RecorderHandle>,
    /// The replay engine's transport, in replays.
    pub replay: Option<mpsc::Sender<crate::replay::Transport>>,
}

/// Never draw more often than this after a key, a resize or a resume: typing stays immediate.
const FRAME: Duration = Duration::from_millis(16);
/// What the sources alone changed (log lines, pods, the clock) is drawn at most this often,
/// as often as kdash draws: a tail of 1,000 lines a second costs four frames a second, not
/// one per batch of lines.
const DATA_FRAME: Duration = Duration::from_millis(250);
/// Events folded before a draw, so a flood of log lines cannot starve the screen.
const BATCH: usize = 4096;

/// Runs the cockpit until the operator quits or every input ends.
pub async fn run<S>(
    screen: &mut dyn Screen,
    app: &mut App,
    input: S,
    tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
    plug: Plug,
) -> io::Result<()>
where
    S: Stream<Item = io::Result<crossterm::event::Event>> + Unpin,
{
    run_with_signals(screen, app, input, tx, rx, plug, None)
        .await
        .map(|_| ())
}

/// [`run`], also acting on signals: a terminating signal ends the cockpit as a confirmed
/// quit does (through [`Event::Terminated`], so a drill's incident is closed), SIGTSTP and
/// ctrl-z give the terminal back until the process is continued.
pub async fn run_with_signals<S>(
    screen: &mut dyn Screen,
    app: &mut App,
    mut input: S,
    tx: mpsc::Sender<Event>,
    mut rx: mpsc::Receiver<Event>,
    plug: Plug,
    mut signals: Option<Signals>,
) -> io::Result<Ending>
where
    S: Stream<Item = io::Result<crossterm::event::Event>> + Unpin,
{
    let mut last_draw = Instant::now() - DATA_FRAME;
    let mut input_open = true;
    let mut ending = Ending::Quit;
    // Whether the operator is waiting for the next frame (a key, a resize).
    let mut urgent = true;
    loop {
        let frame = if urgent { FRAME } else { DATA_FRAME };
        if app.dirty && last_draw.elapsed() >= frame {
            screen.draw(app)?;
            app.dirty = false;
            urgent = false;
            last_draw = Instant::now();
        }
        let frame = if urgent { FRAME } else { DATA_FRAME };
        let next_frame = last_draw + frame;
        let mut batch = Vec::new();
        let caught = async {
            match &mut signals {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Signals first: a SIGTERM must not wait behind a flood of log lines.
            biased;
            sig = caught => match sig {
                Caught::Terminate(no) => {
                    tracing::info!(signal = no, "stopping on a signal");
                    ending = Ending::Signal(no);
                    batch.push(Event::Terminated(no));
                }
                Caught::Suspend => suspend(screen),
                Caught::Continue => batch.extend(resume(screen, app)?),
            },
            ev = input.next(), if input_open => match ev {
                // In raw mode ctrl-z is a key, not SIGTSTP: it suspends all the same.
                Some(Ok(ev)) if is_ctrl_z(&ev) && signals.is_some() => suspend(screen),
                Some(Ok(ev)) => batch.push(Event::Input(ev)),
                Some(Err(e)) => return Err(e),
                None => input_open = false,
            },
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    return Ok(ending);
                }
            }
            _ = tokio::time::sleep_until(next_frame), if app.dirty => {}
        }
        urgent |= batch.iter().any(|e| matches!(e, Event::Input(_)));
        for event in batch {
            if let Some(rec) = &plug.recorder {
                rec.offer(&event, app.now);
            }
            for effect in app.update(event) {
                if let Some(rec) = &plug.recorder {
                    match &effect {
                        Effect::Execute(action) => rec.command(action, app.now),
                        Effect::JournalBegin(header) => rec.begin(header),
                        Effect::TailLogs(target) => rec.tail(target, &app.pods.tail, app.now),
                        _ => {}
                    }
                }
                if apply(effect, screen, &tx, &plug)? {
                    return Ok(ending);
                }
            }
        }
    }
}

fn is_ctrl_z(ev: &crossterm::event::Event) -> bool {
    use crossterm::event::{Event as Ev, KeyCode, KeyEventKind, KeyModifiers};
    matches!(ev, Ev::Key(k) if k.code == KeyCode::Char('z')
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && k.kind == KeyEventKind::Press)
}

/// Gives the terminal back and stops the process; SIGCONT brings it back ([`resume`]).
fn suspend(screen: &mut dyn Screen) {
    tracing::info!("suspending");
    if let Err(e) = screen.suspend() {
        tracing::warn!("cannot give the terminal back before stopping: {e}");
    }
    crate::signals::stop_self();
}

/// Takes the terminal again and repaints it whole; the terminal's size, as an event, in
/// case it changed while the process was stopped.
fn resume(screen: &mut dyn Screen, app: &mut App) -> io::Result<Option<Event>> {
    tracing::info!("continued");
    let size = screen.resume()?;
    app.dirty = true;
    Ok(size.map(|(w, h)| Event::Input(crossterm::event::Event::Resize(w, h))))
}

/// Carries out one effect; true when the cockpit should stop.
fn apply(
    effect: Effect,
    screen: &mut dyn Screen,
    tx: &mpsc::Sender<Event>,
    plug: &Plug,
) -> io::Result<bool> {
    match effect {
        Effect::Quit => return Ok(true),
        Effect::SparkWidth(w) => {
            if let Some(spark) = &plug.spark {
                spark.set(w);
            }
        }
        Effect::Execute(action) => {
            tracing::info!(action = %action.command_line(), "executing");
            let pending = plug.executor.execute(action);
            let tx = tx.clone();
            tokio::spawn(async move {
                let report = pending.await;
                tracing::info!(action = %report.action.command_line(), outcome = ?report.outcome, "done");
                let _ = tx.send(Event::ActionDone(report)).await;
            });
        }
        Effect::JournalBegin(header) => plug.journal.begin(header),
        Effect::JournalAppend { incident, entry } => plug.journal.append(incident, entry),
        Effect::SetPaused(p) => {
            if let Some(drill) = &plug.drill {
                let drill = drill.clone();
                tokio::spawn(async move {
                    let _ = drill.send(Control::Pause(p)).await;
                });
            }
        }
        Effect::Clipboard(text) => screen.clipboard(&text)?,
        Effect::WriteScorecard(card) => {
            if let Err(e) = card.write() {
                tracing::warn!(files = ?card.files, "cannot write the scorecard: {e}");
            }
        }
        Effect::TailLogs(target) => {
            if let Some(logs) = &plug.logs {
                // Latest wins: a full queue means a newer selection is on its way anyway.
                let _ = logs.try_send(target);
            }
        }
        Effect::QueryLogs(q) => {
            if let Some(queries) = &plug.log_queries {
                let _ = queries.try_send(q);
            }
        }
        Effect::Replay(t) => {
            if let Some(replay) = &plug.replay {
                let _ = replay.try_send(t);
            }
        }
        Effect::Describe(target) => {
            if let Some(pending) = plug.executor.describe(target.clone()) {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let result = pending.await;
                    let _ = tx.send(Event::Described(target, result)).await;
                });
            }
        }
        Effect::Preview(action) => {
            if let Some(pending) = plug.executor.preview(action.clone()) {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let result = pending.await;
                    let _ = tx.send(Event::Previewed(action, result)).await;
                });
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::app::Mode;
    use crate::config::{Config, Keymap, Theme};
    use crate::event::{LogLine, Observation};

    /// Counts frames, with when each was drawn.
    struct Frames(Arc<Mutex<Vec<Instant>>>);

    impl Screen for Frames {
        fn draw(&mut self, _: &App) -> io::Result<()> {
            self.0.lock().unwrap().push(Instant::now());
            Ok(())
        }
        fn clipboard(&mut self, _: &str) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_busy_tail_draws_four_frames_a_second_and_a_key_draws_at_once() {
        let now = jiff::Timestamp::from_second(1_795_000_000).unwrap();
        let mut app = App::new(
            Mode::Live {
                context: "test".into(),
                namespace: "acme".into(),
            },
            Config::default(),
            Keymap::load("default", None).unwrap(),
            Theme::load("dark", None, false).unwrap(),
            "test".into(),
            now,
        );
        let dir = tempfile::tempdir().unwrap();
        let journal = crate::journal::Journal::open(&dir.path().join("INCIDENTS.md")).unwrap();
        let (tx, rx) = mpsc::channel(1024);
        let (journal, _thread) = crate::journal_worker::spawn(journal, tx.clone()).unwrap();
        let plug = Plug {
            executor: Arc::new(crate::executors::shell::Shell::new(None)),
            drill: None,
            journal,
            logs: None,
            log_queries: None,
            spark: None,
            recorder: None,
            replay: None,
        };
        let frames = Arc::new(Mutex::new(Vec::new()));
        let mut screen = Frames(frames.clone());
        let (keys, input) = futures::channel::mpsc::unbounded();
        let start = Instant::now();
        let feed = {
            let (tx, frames) = (tx.clone(), frames.clone());
            async move {
                // Two seconds of a tail: a batch of lines every 100 ms, as the tailer sends.
                for i in 0..20 {
                    let line = LogLine {
                        at: now,
                        pod: "chatty-p1".into(),
                        container: "app".into(),
                        text: format!("INFO request {i}"),
                    };
                    let obs = Observation::Logs(vec![line]);
                    tx.send(Event::Observed(now, obs)).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let lines_end = Instant::now();
                // Right after a frame of lines, a key must not wait for the next one.
                tx.send(Event::Observed(now, Observation::LogsDropped(1)))
                    .await
                    .unwrap();
                let drawn = frames.lock().unwrap().len();
                while frames.lock().unwrap().len() == drawn {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let pressed = Instant::now();
                let resize = crossterm::event::Event::Resize(120, 40);
                keys.unbounded_send(Ok(resize)).unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                (lines_end, pressed)
            }
        };
        let (lines_end, pressed) = tokio::select! {
            _ = run(&mut screen, &mut app, input, tx, rx, plug) => panic!("the loop ended"),
            times = feed => times,
        };
        let frames = frames.lock().unwrap().clone();
        let during = frames.iter().filter(|f| **f < lines_end).count();
        let seconds = (lines_end - start).as_secs_f64();
        // Unpaced, a batch every 100 ms would be 20 frames.
        assert!(
            during as f64 <= seconds * 4.0 + 2.0,
            "{during} frames in {seconds} s of lines"
        );
        assert!(during >= 5, "the lines are drawn: {during} frames");
        let after = frames.iter().find(|f| **f >= pressed).unwrap();
        assert!(
            *after - pressed < Duration::from_millis(120),
            "the key drew after {:?}",
            *after - pressed
        );
    }
}
