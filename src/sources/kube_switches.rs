//! Kill switches' states as the cluster has them, read every few seconds.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::kube::KillSwitchConfig;
use crate::event::{Event, KillSwitchStatus, Observation};
use crate::executors::kube::KubeExecutor;

/// How often the switches are read; a flip that went through shows at once anyway, because
/// the cockpit takes the executor's word for it until the next read.
const PERIOD: Duration = Duration::from_secs(10);

/// Announces each switch, then its state from the cluster, until the channel closes.
pub async fn run(exec: KubeExecutor, switches: Vec<KillSwitchConfig>, tx: mpsc::Sender<Event>) {
    let mut clock = tokio::time::interval(PERIOD);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        clock.tick().await;
        for ks in &switches {
            let status = KillSwitchStatus {
                name: ks.name.clone(),
                description: ks.description.clone(),
                on: exec.kill_switch_state(ks).await,
            };
            let obs = Observation::KillSwitch(status);
            if tx
                .send(Event::Observed(jiff::Timestamp::now(), obs))
                .await
                .is_err()
            {
                return;
            }
        }
    }
}
