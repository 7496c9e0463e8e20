//! The wall clock of live mode: a tick a second, so the header's elapsed time and deadline
//! countdowns move even when no source has anything new. Drills tick their simulated clock.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::event::Event;

/// Sends `Event::Tick` with the wall-clock time once a second until the cockpit stops.
pub async fn run(tx: mpsc::Sender<Event>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        if tx.send(Event::Tick(jiff::Timestamp::now())).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ticks_carry_the_wall_clock() {
        let (tx, mut rx) = mpsc::channel(4);
        let task = tokio::spawn(run(tx));
        let before = jiff::Timestamp::now();
        let first = rx.recv().await;
        let second = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await;
        task.abort();
        assert!(matches!(first, Some(Event::Tick(t)) if t >= before));
        assert!(
            matches!(second, Ok(Some(Event::Tick(_)))),
            "a second tick within 3 s"
        );
    }
}
