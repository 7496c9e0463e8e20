//! The loop every polling source shares: one request at a time (latest wins, no backlog),
//! errors reported once per change with backoff, recovery announced.

use std::time::Duration;

use futures::future::BoxFuture;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::event::{Event, Observation};

/// Longest wait between retries of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// One round of a polling source.
pub trait Poller: Send + 'static {
    /// Asks the world once; the observations to send, or why it failed.
    fn poll(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Vec<Observation>, String>> + Send;
}

/// The wait before the next try after `failures` failures in a row.
pub fn backoff(every: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return every;
    }
    let base = every
        .min(Duration::from_secs(2))
        .max(Duration::from_millis(250));
    base.saturating_mul(1u32 << failures.min(8))
        .min(MAX_BACKOFF.max(every))
}

/// Runs `poller` every `every` until the channel closes. `source` names it in errors.
pub async fn poll<P: Poller>(
    source: String,
    every: Duration,
    tx: mpsc::Sender<Event>,
    mut poller: P,
) {
    let mut failures = 0u32;
    loop {
        let result = round(every, &mut poller).await;
        let sent = match result {
            Ok(observations) => {
                let mut ok = true;
                if failures > 0 {
                    failures = 0;
                    let obs = Observation::SourceRecovered {
                        source: source.clone(),
                    };
                    ok &= tx
                        .send(Event::Observed(Timestamp::now(), obs))
                        .await
                        .is_ok();
                }
                for obs in observations {
                    ok &= tx
                        .send(Event::Observed(Timestamp::now(), obs))
                        .await
                        .is_ok();
                }
                ok
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(%source, %error, "source failed");
                let obs = Observation::SourceError {
                    source: source.clone(),
                    error,
                };
                tx.send(Event::Observed(Timestamp::now(), obs))
                    .await
                    .is_ok()
            }
        };
        if !sent {
            return;
        }
        tokio::time::sleep(backoff(every, failures)).await;
    }
}

/// One poll, given up on when it takes too long: a round that takes longer than twice the
/// interval (at least 20 s) counts as failed, so one hung step cannot stall the source.
async fn round<P: Poller>(every: Duration, poller: &mut P) -> Result<Vec<Observation>, String> {
    let limit = every.max(Duration::from_secs(10)) * 2;
    match tokio::time::timeout(limit, poller.poll()).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {}s", limit.as_secs())),
    }
}

/// Where the sources' pollers go: the cockpit runs each as a loop, `sitrep snapshot` runs
/// each once. The sources describe themselves the same way to both.
pub trait Runner {
    /// Something known before any poll, such as a signal's definition.
    fn announce(&mut self, obs: Observation);
    /// A source that asks `poller` every `every`; `source` names it in errors.
    fn run<P: Poller>(&mut self, source: String, every: Duration, poller: P);
}

/// Runs each poller as a task that sends to the cockpit until the channel closes.
pub struct Spawner {
    tx: mpsc::Sender<Event>,
    /// The tasks started so far.
    pub tasks: Vec<JoinHandle<()>>,
}

impl Spawner {
    /// A spawner sending to `tx`.
    pub fn new(tx: mpsc::Sender<Event>) -> Spawner {
        Spawner {
            tx,
            tasks: Vec::new(),
        }
    }
}

impl Runner for Spawner {
    fn announce(&mut self, obs: Observation) {
        let _ = self.tx.try_send(Event::Observed(Timestamp::now(), obs));
    }

    fn run<P: Poller>(&mut self, source: String, every: Duration, poller: P) {
        self.tasks
            .push(tokio::spawn(poll(source, every, self.tx.clone(), poller)));
    }
}

/// Asks every poller once, all at the same time; a failure becomes the `SourceError` the
/// cockpit would have been sent.
#[derive(Default)]
pub struct OneRound {
    announced: Vec<Observation>,
    rounds: Vec<BoxFuture<'static, Vec<Observation>>>,
    /// Sources asked (failed ones included).
    pub sources: usize,
}

impl OneRound {
    /// A source that failed before it could be asked (a bad URL, say).
    pub fn failed(&mut self, source: &str, error: String) {
        self.sources += 1;
        self.announced.push(Observation::SourceError {
            source: source.to_string(),
            error,
        });
    }

    /// Everything observed, in the order the sources were added.
    pub async fn finish(self) -> Vec<Observation> {
        let mut out = self.announced;
        out.extend(
            futures::future::join_all(self.rounds)
                .await
                .into_iter()
                .flatten(),
        );
        out
    }
}

impl Runner for OneRound {
    fn announce(&mut self, obs: Observation) {
        self.announced.push(obs);
    }

    fn run<P: Poller>(&mut self, source: String, every: Duration, mut poller: P) {
        self.sources += 1;
        self.rounds.push(Box::pin(async move {
            round(every, &mut poller)
                .await
                .unwrap_or_else(|error| vec![Observation::SourceError { source, error }])
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let every = Duration::from_secs(15);
        assert_eq!(backoff(every, 0), every);
        assert_eq!(backoff(every, 1), Duration::from_secs(4));
        assert_eq!(backoff(every, 2), Duration::from_secs(8));
        assert_eq!(backoff(every, 30), MAX_BACKOFF);
    }
}
