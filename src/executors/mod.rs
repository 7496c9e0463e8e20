//! Executors carry out confirmed actions: on the real cluster live, on the simulated one in
//! drills and replays. The cockpit cannot tell them apart.

pub mod http;
pub mod http_switch;
pub mod kube;
pub mod kube_jobs;
pub mod kube_nodes;
mod kube_pods;
mod kube_rollouts;
pub mod sandbox;
pub mod shell;

use std::future::Future;
use std::pin::Pin;

use crate::event::{Action, ActionReport};

/// A boxed future of an action's report.
pub type Pending = Pin<Box<dyn Future<Output = ActionReport> + Send>>;

/// A boxed future of a dry run's lines for the confirmation, or why it was refused.
pub type PendingPreview = Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send>>;

/// Something that can carry out actions.
pub trait Executor: Send + Sync {
    /// Starts `action`; the future resolves when it has finished, well or not.
    fn execute(&self, action: Action) -> Pending;

    /// Asks the world what `action` would do without doing it; `None` when it cannot say.
    fn preview(&self, _action: Action) -> Option<PendingPreview> {
        None
    }

    /// Reads a pod's or deployment's describe view from the world; `None` when this
    /// executor has no API server to ask (the cockpit then shows what it knows).
    fn describe(&self, _target: crate::cluster::DescribeTarget) -> Option<PendingPreview> {
        None
    }
}
