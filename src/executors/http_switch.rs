//! `http` kill switches: a call to a feature-flag service to turn a switch on or off, and
//! its status URL to read the state back.

use super::kube::Failure;
use crate::config::kube::HttpCall;
use crate::event::ActionOutcome;

/// Makes the call (or, for a dry run, says which call would be made: HTTP has no dry run).
pub async fn call(
    http: &reqwest::Client,
    name: &str,
    word: &str,
    call: &HttpCall,
    dry_run: bool,
) -> Result<String, Failure> {
    let failed = |outcome, detail: String| Failure { outcome, detail };
    let method =
        reqwest::Method::from_bytes(call.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
            failed(
                ActionOutcome::Failed,
                format!("bad HTTP method `{}`", call.method),
            )
        })?;
    let what = format!("{name} {word}: {method} {}", call.url);
    if dry_run {
        return Ok(format!(
            "{what} (HTTP services offer no dry run; not called)"
        ));
    }
    let mut req = http.request(method, &call.url).body(call.body.clone());
    for (k, v) in &call.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.map_err(|e| {
        let why = if e.is_timeout() {
            "timed out"
        } else {
            "failed"
        };
        let e = crate::sources::http::chain(&e);
        failed(ActionOutcome::Failed, format!("{what} {why}: {e}"))
    })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(format!("{what} → {status}"));
    }
    let body = crate::sources::http::error_body(resp).await;
    let outcome = if matches!(status.as_u16(), 401 | 403) {
        ActionOutcome::Refused
    } else {
        ActionOutcome::Failed
    };
    Err(failed(
        outcome,
        format!("{what} → {status}: {}", body.trim()),
    ))
}

/// Reads a switch's state from its status URL: a JSON boolean, an object with `on` or
/// `enabled`, or the text on/off/true/false.
pub async fn state(http: &reqwest::Client, url: &str) -> Option<bool> {
    let resp = http.get(url).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    parse_state(&resp.text().await.ok()?)
}

/// The state in a status answer, if it says one.
pub fn parse_state(text: &str) -> Option<bool> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Bool(b)) => Some(b),
        Ok(serde_json::Value::Object(o)) => o.get("on").or_else(|| o.get("enabled"))?.as_bool(),
        _ => match text.trim().to_ascii_lowercase().as_str() {
            "on" | "true" => Some(true),
            "off" | "false" => Some(false),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::parse_state;

    #[test]
    fn status_answers_in_the_usual_shapes() {
        assert_eq!(parse_state("true"), Some(true));
        assert_eq!(parse_state(r#"{"enabled": false}"#), Some(false));
        assert_eq!(parse_state(r#"{"on": true, "x": 1}"#), Some(true));
        assert_eq!(parse_state("OFF\n"), Some(false));
        assert_eq!(parse_state("maybe"), None);
        assert_eq!(parse_state(r#"{"state": "on"}"#), None);
    }
}
