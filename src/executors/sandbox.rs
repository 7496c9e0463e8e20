//! The sandbox executor: actions reach only the drill engine's simulated world.

use tokio::sync::{mpsc, oneshot};

use super::{Executor, Pending, PendingPreview};
use crate::event::{Action, ActionOutcome, ActionReport};
use crate::sources::drill::Control;

/// Sends actions to the drill engine.
#[derive(Debug, Clone)]
pub struct Sandbox {
    engine: mpsc::Sender<Control>,
}

impl Sandbox {
    /// An executor for the drill engine behind `engine`.
    pub fn new(engine: mpsc::Sender<Control>) -> Sandbox {
        Sandbox { engine }
    }
}

impl Executor for Sandbox {
    /// The dry run on the simulated world, in the shape of the API server's: the trainee
    /// meets the confirmation an operator meets live.
    fn preview(&self, action: Action) -> Option<PendingPreview> {
        let engine = self.engine.clone();
        Some(Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            let stopped = || "Sandbox dry run: the drill engine has stopped".to_string();
            engine
                .send(Control::Preview(action, tx))
                .await
                .map_err(|_| stopped())?;
            rx.await.map_err(|_| stopped())?
        }))
    }

    fn execute(&self, action: Action) -> Pending {
        let engine = self.engine.clone();
        Box::pin(async move {
            if let Action::Shell { command } = &action {
                let detail = format!("not run in a drill; the command was:\n$ {command}");
                return ActionReport {
                    action,
                    outcome: ActionOutcome::DryRun,
                    detail,
                    revisions: None,
                };
            }
            let (tx, rx) = oneshot::channel();
            let failed = |action: Action, why: &str| ActionReport {
                action,
                outcome: ActionOutcome::Failed,
                detail: why.to_string(),
                revisions: None,
            };
            if engine.send(Control::Act(action.clone(), tx)).await.is_err() {
                return failed(action, "the drill engine has stopped");
            }
            rx.await
                .unwrap_or_else(|_| failed(action, "the drill engine has stopped"))
        })
    }
}
