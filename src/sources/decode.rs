//! Turning HTTP answers into sitrep's types, as plain functions of the bytes received, so
//! every answer decoder can be fuzzed and tested without a server: Prometheus's
//! `/api/v1/query`, `/api/v1/query_range` and `/api/v1/alerts`, Alertmanager's
//! `/api/v2/alerts` and `/api/v2/silences`. Reading the body is bounded too: a server that
//! streams without end is given up on at [`MAX_ANSWER`] bytes instead of filling memory.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::event::{AlertStatus, SilenceStatus};
use crate::text::{MAX_ERROR_BODY, cap};

/// The largest answer read, in bytes. Alertmanager with tens of thousands of alerts
/// answers in a few MiB; more than this is a server gone wrong.
pub const MAX_ANSWER: usize = 64 << 20;

/// What a server answered: status, whether it said JSON, and the body (at most
/// [`MAX_ANSWER`] bytes).
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub json: bool,
    pub body: Vec<u8>,
}

/// Reads an answer's body, giving up past [`MAX_ANSWER`] bytes. `who` names the source
/// in messages (`prometheus`, `alertmanager`).
pub async fn read(who: &str, mut res: reqwest::Response) -> Result<Answer, String> {
    let status = res.status();
    let json = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !status.is_success() && !json {
        let body = super::http::error_body(res).await;
        return Err(format!("{who}: HTTP {status}: {body}"));
    }
    let mut body = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER {
                    return Err(format!(
                        "{who}: the answer is larger than {} MiB; not reading it",
                        MAX_ANSWER >> 20
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(format!("{who}: {}", super::http::chain(&e))),
        }
    }
    Ok(Answer { status, json, body })
}

/// A JSON error, with the start of the text that could not be read (capped, so a 50 MB
/// page of HTML is not copied into a message).
fn json_error(who: &str, e: &serde_json::Error, body: &[u8]) -> String {
    let start = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    let start = start.trim();
    if start.is_empty() {
        format!("{who}: the answer is empty")
    } else {
        format!(
            "{who}: the answer cannot be read ({e}): {}",
            cap(start, 120)
        )
    }
}

/// At most `max` bytes of `body` as text (cut on a character boundary), with
/// "… (N bytes more)" when there was more.
fn capped(body: &[u8], max: usize) -> String {
    if body.len() <= max {
        return String::from_utf8_lossy(body).trim().to_string();
    }
    let mut end = max;
    // Do not cut a character in two: step back over continuation bytes.
    while end > 0 && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let kept = String::from_utf8_lossy(&body[..end]);
    format!("{}… ({} bytes more)", kept.trim(), body.len() - end)
}

/// Prometheus's envelope: `{"status":"success","data":…}` or `{"status":"error",…}`.
#[derive(Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
enum Envelope<D> {
    Success {
        data: D,
    },
    Error {
        #[serde(rename = "errorType", default)]
        error_type: String,
        #[serde(default)]
        error: String,
    },
}

/// Decodes a Prometheus API answer whose `data` is a `D`.
pub fn prometheus<D: DeserializeOwned>(status: u16, body: &[u8]) -> Result<D, String> {
    match serde_json::from_slice::<Envelope<D>>(body) {
        Ok(Envelope::Success { data }) => Ok(data),
        Ok(Envelope::Error { error_type, error }) => {
            let text = format!("{error_type}: {error}");
            Err(format!("prometheus: {}", cap(&text, MAX_ERROR_BODY)))
        }
        Err(_) if !(200..300).contains(&status) => Err(format!(
            "prometheus: HTTP {status}: {}",
            capped(body, MAX_ERROR_BODY)
        )),
        Err(e) => Err(json_error("prometheus", &e, body)),
    }
}

/// Labels and value of each series of an instant query's answer.
pub type Series = Vec<(HashMap<String, String>, f64)>;

/// An instant query's answer: every series' labels and value.
pub fn prometheus_instant(status: u16, body: &[u8]) -> Result<Series, String> {
    use prometheus_http_query::response::{Data, PromqlResult};
    let res: PromqlResult = prometheus(status, body)?;
    let (data, _) = res.into_inner();
    Ok(match data {
        Data::Vector(v) => v
            .into_iter()
            .map(|s| {
                let (labels, sample) = s.into_inner();
                (labels, sample.value())
            })
            .collect(),
        Data::Scalar(s) => vec![(HashMap::new(), s.value())],
        Data::Matrix(_) => {
            return Err("the query returns a range vector; signals need an instant vector".into());
        }
    })
}

/// A range query's answer: the first series, as timestamped finite points.
pub fn prometheus_range(status: u16, body: &[u8]) -> Result<Vec<(Timestamp, f64)>, String> {
    use prometheus_http_query::response::PromqlResult;
    let res: PromqlResult = prometheus(status, body)?;
    let Some(m) = res.data().as_matrix() else {
        return Err("range query did not return a matrix".into());
    };
    Ok(m.first()
        .map(|s| {
            s.samples()
                .iter()
                .filter(|p| p.value().is_finite())
                .filter_map(|p| Some((super::prometheus::ts(p.timestamp())?, p.value())))
                .collect()
        })
        .unwrap_or_default())
}

#[derive(Deserialize)]
struct PromAlerts {
    alerts: Vec<prometheus_http_query::response::Alert>,
}

/// Prometheus's `/api/v1/alerts`: the firing ones (pending ones are not alerts yet).
pub fn prometheus_alerts(status: u16, body: &[u8]) -> Result<Vec<AlertStatus>, String> {
    let raw: PromAlerts = prometheus(status, body)?;
    Ok(raw
        .alerts
        .into_iter()
        .filter(|a| a.state().is_firing())
        .map(|a| {
            let since = Timestamp::from_second(a.active_at().unix_timestamp())
                .unwrap_or_else(|_| Timestamp::now());
            super::alertmanager::status(
                a.labels().clone().into_iter().collect(),
                a.annotations().clone().into_iter().collect(),
                since,
                crate::event::AlertState::Firing,
                Vec::new(),
            )
        })
        .collect())
}

/// Alertmanager's `/api/v2/alerts`, as alerts at `now`.
pub fn alertmanager_alerts(body: &[u8], now: Timestamp) -> Result<Vec<AlertStatus>, String> {
    let raw: Vec<super::alertmanager::AmAlert> =
        serde_json::from_slice(body).map_err(|e| json_error("alertmanager", &e, body))?;
    Ok(raw.into_iter().map(|a| a.into_status(now)).collect())
}

/// Alertmanager's `/api/v2/silences`.
pub fn alertmanager_silences(body: &[u8]) -> Result<Vec<SilenceStatus>, String> {
    let raw: Vec<super::alertmanager::AmSilence> =
        serde_json::from_slice(body).map_err(|e| json_error("alertmanager", &e, body))?;
    Ok(raw.into_iter().map(|s| s.into_status()).collect())
}

/// What a Kubernetes answer held, converted as the watchers convert it.
#[derive(Debug, Default)]
pub struct KubeObjects {
    pub pods: Vec<crate::event::PodStatus>,
    pub deployments: Vec<crate::event::DeploymentStatus>,
    /// `(node, capacity, allocatable)` GPU counts.
    pub nodes: Vec<(String, u32, u32)>,
}

/// A Kubernetes API answer: a list (`PodList`, `DeploymentList`, `ReplicaSetList`,
/// `NodeList`, or a plain `List` of those), one object, or a watch event
/// (`{"type":…,"object":…}`), through the same k8s-openapi types and converters the
/// watchers use. Deployments take their history from the replica sets in the same answer.
pub fn kubernetes(body: &[u8]) -> Result<KubeObjects, String> {
    use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::Value;

    let v: Value = serde_json::from_slice(body).map_err(|e| json_error("kubernetes", &e, body))?;
    let items: Vec<Value> = match v {
        Value::Object(mut o) if o.contains_key("items") => match o.remove("items") {
            Some(Value::Array(items)) => items,
            _ => return Err("kubernetes: `items` is not a list".into()),
        },
        Value::Object(mut o) if o.contains_key("object") && o.contains_key("type") => {
            o.remove("object").into_iter().collect()
        }
        other => vec![other],
    };
    let kind_of = |v: &Value| {
        v.get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let err = |e: serde_json::Error| format!("kubernetes: {e}");
    let (mut pods, mut deployments, mut replicasets, mut out) =
        (Vec::new(), Vec::new(), Vec::new(), KubeObjects::default());
    for item in items {
        match kind_of(&item).as_str() {
            "Pod" => pods.push(serde_json::from_value::<Pod>(item).map_err(err)?),
            "Deployment" => {
                deployments.push(serde_json::from_value::<Deployment>(item).map_err(err)?)
            }
            "ReplicaSet" => {
                replicasets.push(serde_json::from_value::<ReplicaSet>(item).map_err(err)?)
            }
            "Node" => {
                let node = serde_json::from_value::<Node>(item).map_err(err)?;
                let (cap, alloc) = super::kube::node_gpus(&node);
                out.nodes
                    .push((node.metadata.name.clone().unwrap_or_default(), cap, alloc));
            }
            other => return Err(format!("kubernetes: unexpected kind `{}`", cap(other, 64))),
        }
    }
    let revision_of_rs = |name: &str| {
        replicasets
            .iter()
            .find(|rs| rs.metadata.name.as_deref() == Some(name))
            .map_or(0, |rs| {
                super::kube_convert::revision_of(
                    rs.metadata
                        .annotations
                        .as_ref()
                        .unwrap_or(&Default::default()),
                )
            })
    };
    out.pods = pods
        .iter()
        .map(|p| super::kube_convert::pod_status(p, revision_of_rs))
        .collect();
    out.deployments = deployments
        .iter()
        .map(|d| super::kube_convert::deployment_status(d, &replicasets))
        .collect();
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_vector_is_read() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"job":"api"},"value":[1700000000.5,"0.25"]}]}}"#;
        let s = prometheus_instant(200, body).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0["job"], "api");
        assert_eq!(s[0].1, 0.25);
    }

    #[test]
    fn a_prometheus_error_is_capped() {
        let huge = "x".repeat(100_000);
        let body = format!(r#"{{"status":"error","errorType":"bad_data","error":"{huge}"}}"#);
        let e = prometheus_instant(400, body.as_bytes()).unwrap_err();
        assert!(e.starts_with("prometheus: bad_data: xxx"), "{e}");
        assert!(e.len() < MAX_ERROR_BODY + 100, "{}", e.len());
        assert!(e.ends_with("bytes more)"), "{e}");
    }

    #[test]
    fn an_oversized_error_page_is_capped() {
        let page = "<html>".repeat(100_000);
        let e = prometheus_instant(502, page.as_bytes()).unwrap_err();
        assert!(e.starts_with("prometheus: HTTP 502: <html>"), "{e}");
        assert!(e.len() < MAX_ERROR_BODY + 100, "{}", e.len());
        assert!(
            e.contains(&format!("({} bytes more)", page.len() - MAX_ERROR_BODY)),
            "{e}"
        );
    }

    #[test]
    fn garbage_is_an_error_that_quotes_its_start_only() {
        let body = format!("not json {}", "y".repeat(10_000));
        let e = alertmanager_alerts(body.as_bytes(), Timestamp::now()).unwrap_err();
        assert!(e.contains("cannot be read"), "{e}");
        assert!(e.len() < 400, "{}", e.len());
        assert_eq!(
            alertmanager_silences(b"").unwrap_err(),
            "alertmanager: the answer is empty"
        );
    }

    #[test]
    fn prometheus_alerts_keep_the_firing_ones() {
        let body = br#"{"status":"success","data":{"alerts":[
          {"activeAt":"2026-11-23T14:44:21Z","annotations":{"summary":"s"},"labels":{"alertname":"A"},"state":"firing","value":"1e+00"},
          {"activeAt":"2026-11-23T14:44:21Z","annotations":{},"labels":{"alertname":"B"},"state":"pending","value":"1e+00"}]}}"#;
        let a = prometheus_alerts(200, body).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].name, "A");
        assert_eq!(a[0].summary, "s");
    }
}
