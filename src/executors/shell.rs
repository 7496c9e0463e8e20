//! Runs a runbook command in a shell on the operator's machine, bounded in time and output.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use std::sync::Arc;

use super::{Executor, Pending};
use crate::event::{Action, ActionOutcome, ActionReport};

/// Runs `run` actions on this machine; every other action goes to `next`.
pub struct Shell {
    next: Option<Arc<dyn Executor>>,
}

impl Shell {
    /// A shell executor in front of `next`.
    pub fn new(next: Option<Arc<dyn Executor>>) -> Shell {
        Shell { next }
    }
}

impl Executor for Shell {
    fn preview(&self, action: Action) -> Option<super::PendingPreview> {
        self.next.as_ref()?.preview(action)
    }

    fn describe(&self, target: crate::cluster::DescribeTarget) -> Option<super::PendingPreview> {
        self.next.as_ref()?.describe(target)
    }

    fn execute(&self, action: Action) -> Pending {
        match (action, &self.next) {
            (Action::Shell { command }, _) => Box::pin(run(command, TIMEOUT)),
            (action, Some(next)) => next.execute(action),
            (action, None) => Box::pin(async move {
                ActionReport {
                    action,
                    outcome: ActionOutcome::Refused,
                    detail: "nothing in this configuration can carry out that action".into(),
                    revisions: None,
                }
            }),
        }
    }
}

/// Output kept from a command; the rest is cut, and the cut is said.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// How long a command may run before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `command` with `sh -c`; the report carries the exit status and the output.
pub async fn run(command: String, timeout: Duration) -> ActionReport {
    let action = Action::Shell {
        command: command.clone(),
    };
    let report = |outcome, detail| ActionReport {
        action: action.clone(),
        outcome,
        detail,
        revisions: None,
    };
    let child = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return report(ActionOutcome::Failed, format!("cannot start sh: {e}")),
    };
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        return report(ActionOutcome::Failed, "no output pipes".into());
    };
    let collect = async {
        // Read both pipes to the end so a chatty command never blocks on a full pipe.
        let (o, e) = tokio::join!(read_capped(&mut out), read_capped(&mut err));
        let status = child.wait().await;
        ((), status, o, e)
    };
    match tokio::time::timeout(timeout, collect).await {
        Err(_) => report(
            ActionOutcome::Failed,
            format!("timed out after {}s and was killed", timeout.as_secs()),
        ),
        Ok((_, Err(e), _, _)) => report(
            ActionOutcome::Failed,
            format!("cannot wait for the command: {e}"),
        ),
        Ok((_, Ok(status), stdout, stderr)) => {
            let mut text = String::from_utf8_lossy(&stdout).into_owned();
            if !stderr.is_empty() {
                text.push_str(&String::from_utf8_lossy(&stderr));
            }
            if text.len() > MAX_OUTPUT {
                let mut cut = MAX_OUTPUT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push_str("\n… output cut at 64 KiB");
            }
            let code = status
                .code()
                .map_or("killed by a signal".to_string(), |c| format!("exit {c}"));
            let outcome = if status.success() {
                ActionOutcome::Ok
            } else {
                ActionOutcome::Failed
            };
            report(outcome, format!("{code}\n{text}"))
        }
    }
}

/// Reads a pipe to its end, keeping at most one byte more than [`MAX_OUTPUT`].
async fn read_capped(pipe: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = (MAX_OUTPUT + 1).saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reports_status_and_output() {
        let r = run("echo hello; echo oops >&2; exit 3".into(), TIMEOUT).await;
        assert_eq!(r.outcome, ActionOutcome::Failed);
        assert!(r.detail.starts_with("exit 3\nhello\noops"), "{}", r.detail);
        let r = run("printf ok".into(), TIMEOUT).await;
        assert_eq!(r.outcome, ActionOutcome::Ok);
        assert_eq!(r.detail, "exit 0\nok");
    }

    #[tokio::test]
    async fn output_and_time_are_bounded() {
        let r = run("yes | head -c 200000".into(), TIMEOUT).await;
        assert!(r.detail.len() < MAX_OUTPUT + 100 && r.detail.ends_with("output cut at 64 KiB"));
        let r = run("sleep 5".into(), Duration::from_millis(200)).await;
        assert!(r.detail.starts_with("timed out"), "{}", r.detail);
    }
}
