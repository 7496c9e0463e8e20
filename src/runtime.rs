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
use crate::sources::drill::Control;

/// Where frames go: the real terminal, or a test backend.
pub trait Screen {
    /// Draws the whole cockpit.
    fn draw(&mut self, app: &App) -> io::Result<()>;
    /// Puts text on the clipboard.
    fn clipboard(&mut self, text: &str) -> io::Result<()>;
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
    /// The Prometheus sparkline width, in live mode.
    pub spark: Option<crate::sources::prometheus::SparkWidth>,
    /// The flight recorder, in live mode unless `--no-record`.
    pub recorder: Option<crate::recording::recorder::RecorderHandle>,
    /// The replay engine's transport, in replays.
    pub replay: Option<mpsc::Sender<crate::replay::Transport>>,
}

/// Never draw more often than this.
const FRAME: Duration = Duration::from_millis(16);
/// Events folded before a draw, so a flood of log lines cannot starve the screen.
const BATCH: usize = 4096;

/// Runs the cockpit until the operator quits or every input ends.
pub async fn run<S>(
    screen: &mut dyn Screen,
    app: &mut App,
    mut input: S,
    tx: mpsc::Sender<Event>,
    mut rx: mpsc::Receiver<Event>,
    plug: Plug,
) -> io::Result<()>
where
    S: Stream<Item = io::Result<crossterm::event::Event>> + Unpin,
{
    let mut last_draw = Instant::now() - FRAME;
    let mut input_open = true;
    loop {
        if app.dirty && last_draw.elapsed() >= FRAME {
            screen.draw(app)?;
            app.dirty = false;
            last_draw = Instant::now();
        }
        let next_frame = last_draw + FRAME;
        let mut batch = Vec::new();
        tokio::select! {
            ev = input.next(), if input_open => match ev {
                Some(Ok(ev)) => batch.push(Event::Input(ev)),
                Some(Err(e)) => return Err(e),
                None => input_open = false,
            },
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    return Ok(());
                }
            }
            _ = tokio::time::sleep_until(next_frame), if app.dirty => {}
        }
        for event in batch {
            if let Some(rec) = &plug.recorder {
                rec.offer(&event, app.now);
            }
            for effect in app.update(event) {
                if let Some(rec) = &plug.recorder {
                    match &effect {
                        Effect::Execute(action) => rec.command(action, app.now),
                        Effect::JournalBegin(header) => rec.begin(header),
                        _ => {}
                    }
                }
                if apply(effect, screen, &tx, &plug)? {
                    return Ok(());
                }
            }
        }
    }
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
        Effect::Replay(t) => {
            if let Some(replay) = &plug.replay {
                let _ = replay.try_send(t);
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
