//! One file per pane.

pub mod alert_fix;
pub mod alerts;
pub mod changes;
pub mod cluster;
pub mod forbidden;
pub mod gpus;
pub mod header;
pub mod health;
pub mod jobs;
pub mod logs;
pub mod pods;
pub mod runbook;
pub mod signals;
pub mod status;
pub mod timeline;

use crate::app::App;
use crate::command::Pane;

/// Short facts shown beside a pane's title.
pub fn title_extra(app: &App, pane: Pane) -> Option<String> {
    match pane {
        Pane::Alerts => {
            let firing = app
                .alerts
                .iter()
                .filter(|a| a.status.state == crate::event::AlertState::Firing)
                .count();
            Some(format!("{firing} firing"))
        }
        Pane::Pods => {
            if let Some(title) = cluster::title(app) {
                return Some(title);
            }
            let pods: usize = app.pods.workloads.values().map(|w| w.pods.len()).sum();
            (!app.pods.namespace.is_empty())
                .then(|| format!("{} · {pods} pods", app.pods.namespace))
        }
        Pane::Gpus => {
            let mut parts = Vec::new();
            if !app.gpus.is_empty() {
                parts.push(format!("{} GPUs", app.gpus.len()));
            }
            if !app.gpus.nodes.is_empty() {
                let (cap, alloc) = app
                    .gpus
                    .nodes
                    .values()
                    .fold((0, 0), |(c, a), (x, y)| (c + x, a + y));
                parts.push(format!(
                    "{} nodes: {alloc}/{cap} allocatable",
                    app.gpus.nodes.len()
                ));
            }
            (!parts.is_empty()).then(|| parts.join(" · "))
        }
        Pane::Logs => Some(logs::title(app)),
        Pane::Timeline => {
            let id = app
                .incident
                .as_ref()
                .map(|i| i.id.clone())
                .unwrap_or_default();
            match app.timeline.filter {
                Some(k) => Some(format!("{id} · only {}", k.as_str())),
                None => (!id.is_empty()).then_some(id),
            }
        }
        Pane::Runbook => runbook::title(app),
        Pane::Signals => None,
    }
}
