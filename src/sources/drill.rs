//! The drill engine: a task that owns the simulated world, runs its clock at the chosen
//! speed, and carries out the sandbox executor's actions on it.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::drill::World;
use crate::drill::scorecard::EndReason;
use crate::event::{Action, ActionReport, Event, Observation};
use crate::journal::Verdict;

/// Requests to the drill engine.
#[derive(Debug)]
pub enum Control {
    /// Stop or start the simulated clock.
    Pause(bool),
    /// Carry out an action on the simulated cluster.
    Act(Action, oneshot::Sender<ActionReport>),
    /// Say what an action would do, changing nothing (the sandbox's dry run).
    Preview(Action, oneshot::Sender<Result<Vec<String>, String>>),
}

/// Runs the drill until the event channel closes. `speed` simulated seconds pass per second.
pub async fn run(
    mut world: World,
    speed: f64,
    tx: mpsc::Sender<Event>,
    mut control: mpsc::Receiver<Control>,
) {
    let period = Duration::from_secs_f64(1.0 / speed.clamp(0.01, 1000.0));
    let mut clock = tokio::time::interval(period);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut paused = false;
    let mut announced_end = false;
    let mut ended = false;
    let limit = world.scenario().drill.time_limit;
    let now = world.now();
    for obs in world.initial() {
        if tx.send(Event::Observed(now, obs)).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            _ = clock.tick(), if !paused => {
                let observations = world.step();
                let now = world.now();
                for obs in observations {
                    if tx.send(Event::Observed(now, obs)).await.is_err() {
                        return;
                    }
                }
                if world.is_mitigated() && !announced_end {
                    announced_end = true;
                    // The scorecard that follows carries the score; this marks the moment.
                    let text = "the incident is over: every fault gone, every alert resolved".to_string();
                    if tx.send(Event::DrillVerdict(now, Verdict::Worked, text)).await.is_err() {
                        return;
                    }
                }
                // The first end is the one scored: resolved, or out of time.
                let end = if world.is_mitigated() {
                    Some(EndReason::Resolved)
                } else {
                    (world.elapsed() >= limit).then_some(EndReason::TimeUp)
                };
                if let Some(reason) = end.filter(|_| !ended) {
                    ended = true;
                    if tx.send(Event::DrillEnded(now, reason)).await.is_err() {
                        return;
                    }
                    if reason == EndReason::TimeUp {
                        paused = true;
                        let _ = tx.send(Event::Observed(now, Observation::ClockPaused(true))).await;
                    }
                }
                if tx.send(Event::Tick(now)).await.is_err() {
                    return;
                }
            }
            msg = control.recv() => match msg {
                None => return,
                Some(Control::Pause(p)) => {
                    paused = p;
                    if !p {
                        clock.reset();
                    }
                    if tx.send(Event::Observed(world.now(), Observation::ClockPaused(p))).await.is_err() {
                        return;
                    }
                }
                Some(Control::Preview(action, reply)) => {
                    let _ = reply.send(world.preview(&action));
                }
                Some(Control::Act(action, reply)) => {
                    let (report, observations) = world.act(action);
                    let now = world.now();
                    for obs in observations {
                        if tx.send(Event::Observed(now, obs)).await.is_err() {
                            return;
                        }
                    }
                    let _ = reply.send(report);
                    if world.is_mitigated() {
                        announced_end = false;
                    }
                }
            }
        }
    }
}
