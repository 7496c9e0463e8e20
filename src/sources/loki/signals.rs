//! `[[signals]]` with `source = "loki"`: a LogQL metric query (`sum(rate({app="x"} |=
//! "ERROR" [1m]))`) polled like a PromQL signal, so error-log rates stand beside the
//! Prometheus signals with the same thresholds, sparkline and stale marks.

use std::time::Duration;

use super::Loki;
use crate::config::Config;
use crate::config::live::SignalSource;
use crate::event::Observation;
use crate::sources::poll::{Poller, Runner};
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

/// Hands `runner` a poller for each LogQL signal.
pub fn start(config: &Config, loki: &Loki, runner: &mut impl Runner) {
    let every = config
        .prometheus
        .as_ref()
        .map_or(Duration::from_secs(15), |e| e.refresh());
    for s in config
        .signals
        .iter()
        .filter(|s| s.source == SignalSource::Loki)
    {
        let Ok(query) = signal_query(config, s, &s.query, None) else {
            continue;
        };
        runner.announce(Observation::SignalDefined(signal_def(s)));
        let poller = LogQlSignal {
            loki: loki.clone(),
            name: s.name.clone(),
            query,
        };
        let refresh = s.refresh.map_or(every, |r| r.0);
        runner.run(format!("signals/{}", s.name), refresh, poller);
    }
}
