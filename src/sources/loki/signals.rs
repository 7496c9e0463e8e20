//! `[[signals]]` with `source = "loki"`: a LogQL metric query (`sum(rate({app="x"} |=
//! "ERROR" [1m]))`) polled like a PromQL signal, so error-log rates stand beside the
//! Prometheus signals with the same thresholds, sparkline and stale marks.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Loki;
use crate::config::Config;
use crate::config::live::SignalSource;
use crate::event::{Event, Observation};
use crate::sources::poll::{Poller, poll};
use crate::sources::prometheus::{signal_def, signal_query};

struct LogQlSignal {
    loki: Loki,
    name: String,
    query: String,
}

impl Poller for LogQlSignal {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        let value = self
            .loki
            .instant(&self.query)
            .await
            .map_err(|e| e.to_string())?;
        Ok(vec![match value {
            Some(v) => Observation::Signal {
                name: self.name.clone(),
                value: Some(v),
            },
            None => Observation::SignalNoData {
                name: self.name.clone(),
                query: self.query.clone(),
            },
        }])
    }
}

/// Starts a poller for each LogQL signal; none without `[loki]`.
pub fn spawn(config: &Config, loki: &Loki, tx: &mpsc::Sender<Event>) -> Vec<JoinHandle<()>> {
    let every = config
        .prometheus
        .as_ref()
        .map_or(Duration::from_secs(15), |e| e.refresh());
    config
        .signals
        .iter()
        .filter(|s| s.source == SignalSource::Loki)
        .filter_map(|s| {
            let query = signal_query(config, s, &s.query, None).ok()?;
            let def = Observation::SignalDefined(signal_def(s));
            let _ = tx.try_send(Event::Observed(Timestamp::now(), def));
            let poller = LogQlSignal {
                loki: loki.clone(),
                name: s.name.clone(),
                query,
            };
            let refresh = s.refresh.map_or(every, |r| r.0);
            Some(tokio::spawn(poll(
                format!("signals/{}", s.name),
                refresh,
                tx.clone(),
                poller,
            )))
        })
        .collect()
}
