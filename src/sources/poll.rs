//! The loop every polling source shares: one request at a time (latest wins, no backlog),
//! errors reported once per change with backoff, recovery announced.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

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
    // A round that takes longer than this counts as failed, so one hung step cannot stall it.
    let limit = every.max(Duration::from_secs(10)) * 2;
    loop {
        let result = match tokio::time::timeout(limit, poller.poll()).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {}s", limit.as_secs())),
        };
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
