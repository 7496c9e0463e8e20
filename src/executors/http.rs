//! The HTTP executor: silences in Alertmanager (`/api/v2/silences`). Actions it does not
//! own go to the next executor, when one is plugged in.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::{Executor, Pending};
use crate::event::{Action, ActionOutcome, ActionReport};
use crate::sources::alertmanager::Am;
use crate::sources::http::{chain, join};

/// Carries out silence actions against Alertmanager.
#[derive(Clone)]
pub struct Http {
    am: Option<Am>,
    actor: String,
    next: Option<Arc<dyn Executor>>,
}

impl Http {
    /// An executor for `am` (none configured: silences are refused with a reason);
    /// other actions go to `next`.
    pub fn new(am: Option<Am>, actor: String, next: Option<Arc<dyn Executor>>) -> Http {
        Http { am, actor, next }
    }
}

impl Executor for Http {
    fn preview(&self, action: Action) -> Option<super::PendingPreview> {
        self.next.as_ref()?.preview(action)
    }

    fn describe(&self, target: crate::cluster::DescribeTarget) -> Option<super::PendingPreview> {
        self.next.as_ref()?.describe(target)
    }

    fn execute(&self, action: Action) -> Pending {
        let is_silence = matches!(
            action,
            Action::Silence { .. } | Action::ExpireSilence { .. }
        );
        if !is_silence {
            if let Some(next) = &self.next {
                return next.execute(action);
            }
            return Box::pin(async move {
                ActionReport {
                    action,
                    outcome: ActionOutcome::Refused,
                    detail: "no executor for this action is configured in live mode".into(),
                    revisions: None,
                }
            });
        }
        let am = self.am.clone();
        let actor = self.actor.clone();
        Box::pin(async move {
            let Some(am) = am else {
                return ActionReport {
                    action,
                    outcome: ActionOutcome::Refused,
                    detail: "no [alertmanager] url is configured".into(),
                    revisions: None,
                };
            };
            match run(&am, &actor, &action).await {
                Ok(detail) => ActionReport {
                    action,
                    outcome: ActionOutcome::Ok,
                    detail,
                    revisions: None,
                },
                Err((outcome, detail)) => ActionReport {
                    action,
                    outcome,
                    detail,
                    revisions: None,
                },
            }
        })
    }
}

async fn run(am: &Am, actor: &str, action: &Action) -> Result<String, (ActionOutcome, String)> {
    let failed = |e: reqwest::Error| {
        (
            ActionOutcome::Failed,
            format!("alertmanager: {}", chain(&e)),
        )
    };
    let res = match action {
        Action::Silence {
            alert,
            matchers,
            minutes,
            comment,
        } => {
            let now = Timestamp::now();
            let mins = i64::try_from(*minutes).unwrap_or(i64::MAX / 120);
            let body = json!({
                "matchers": matchers.iter().map(|(k, v)| json!({
                    "name": k, "value": v, "isRegex": false, "isEqual": true
                })).collect::<Vec<_>>(),
                "startsAt": now.to_string(),
                "endsAt": (now + SignedDuration::from_mins(mins)).to_string(),
                "createdBy": actor,
                "comment": comment,
            });
            let res = am
                .client
                .post(join(&am.url, "api/v2/silences"))
                .json(&body)
                .send()
                .await
                .map_err(failed)?;
            let status = res.status();
            if !status.is_success() {
                let text = crate::sources::http::error_body(res).await;
                return Err(outcome_of(status, &text));
            }
            let text = res.text().await.map_err(failed)?;
            let id = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("silenceID")?.as_str().map(String::from))
                .unwrap_or_default();
            return Ok(format!("silenced {alert} for {minutes}m (silence {id})"));
        }
        Action::ExpireSilence { id } => am
            .client
            .delete(join(&am.url, &format!("api/v2/silence/{id}")))
            .send()
            .await
            .map_err(failed)?,
        other => {
            return Err((
                ActionOutcome::Refused,
                format!("not a silence: {}", other.command_line()),
            ));
        }
    };
    let status = res.status();
    if status.is_success() {
        Ok("silence expired".into())
    } else {
        let text = crate::sources::http::error_body(res).await;
        Err(outcome_of(status, &text))
    }
}

fn outcome_of(status: reqwest::StatusCode, body: &str) -> (ActionOutcome, String) {
    let outcome = if status == reqwest::StatusCode::UNAUTHORIZED
        || status == reqwest::StatusCode::FORBIDDEN
    {
        ActionOutcome::Refused
    } else {
        ActionOutcome::Failed
    };
    (
        outcome,
        format!("alertmanager: HTTP {status}: {}", body.trim()),
    )
}
