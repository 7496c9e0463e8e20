//! Grafana Loki as a log source: `query_range` for history, the `/loki/api/v1/tail`
//! WebSocket for the live tail, the labels API for `sitrep check`. The same reqwest client
//! (timeouts, auth, CA, tenant) carries all three; the tail's WebSocket is an HTTP/1.1
//! upgrade of one of its requests, so no second TLS stack is involved.

pub mod check;
pub mod selector;
pub mod signals;
pub mod snapshot;
pub mod source;

use std::collections::BTreeMap;
use std::fmt;

use futures::StreamExt;
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::config::loki::LokiConfig;
use crate::event::LogLine;
use crate::sources::http;

/// What went wrong talking to Loki, in the words the logs pane uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LokiError {
    /// Nothing answers at the URL.
    Down(String),
    /// It answered too late.
    Slow(String),
    /// 429: a query limit or the tenant's rate.
    RateLimited(String),
    /// 400: Loki refused the query (bad LogQL, a limit such as max entries or range).
    BadQuery(String),
    /// Any other status.
    Status(u16, String),
    /// An answer sitrep could not read, or a tail that closed.
    Protocol(String),
}

impl fmt::Display for LokiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LokiError::Down(e) => write!(f, "loki down: {e}"),
            LokiError::Slow(e) => write!(f, "loki slow: {e}"),
            LokiError::RateLimited(b) => write!(f, "loki rate-limited (429): {b}"),
            LokiError::BadQuery(b) => write!(f, "loki refused the query (400): {b}"),
            LokiError::Status(s, b) => write!(f, "loki answered {s}: {b}"),
            LokiError::Protocol(e) => write!(f, "loki: {e}"),
        }
    }
}

impl std::error::Error for LokiError {}

impl LokiError {
    fn from_reqwest(e: &reqwest::Error) -> LokiError {
        let text = http::chain(e);
        if e.is_timeout() {
            LokiError::Slow(text)
        } else if e.is_connect() || e.is_request() {
            LokiError::Down(text)
        } else {
            LokiError::Protocol(text)
        }
    }

    async fn from_status(res: reqwest::Response) -> LokiError {
        let status = res.status().as_u16();
        let body = crate::text::Clean::of(&http::error_body(res).await).to_string();
        match status {
            400 => LokiError::BadQuery(body),
            429 => LokiError::RateLimited(body),
            s => LokiError::Status(s, body),
        }
    }
}

/// Which end of a range `query_range` reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// One log entry as Loki returns it, with its stream's labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: Timestamp,
    pub line: String,
    pub labels: BTreeMap<String, String>,
}

impl Entry {
    /// The cockpit's log line: the pod and container from the stream's labels.
    pub fn into_log_line(self, fallback_pod: &str) -> LogLine {
        let pod = self
            .labels
            .get("pod")
            .or_else(|| self.labels.get("pod_name"))
            .cloned()
            .unwrap_or_else(|| fallback_pod.to_string());
        let container = self.labels.get("container").cloned().unwrap_or_default();
        LogLine {
            at: self.at,
            pod,
            container,
            text: self.line,
        }
    }
}

/// An entry Loki could not send a slow tail reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub at: Timestamp,
    pub labels: BTreeMap<String, String>,
}

/// One message of the tail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TailMessage {
    pub entries: Vec<Entry>,
    pub dropped: Vec<Dropped>,
}

/// A Loki (or LogQL-compatible) server.
#[derive(Debug, Clone)]
pub struct Loki {
    base: String,
    http: reqwest::Client,
    /// HTTP/1.1 only: a WebSocket is an HTTP/1.1 upgrade.
    tail_http: reqwest::Client,
}

/// A nanosecond Unix timestamp, as Loki takes and gives them.
pub fn nanos(t: Timestamp) -> String {
    t.as_nanosecond().to_string()
}

fn parse_nanos(s: &str) -> Option<Timestamp> {
    Timestamp::from_nanosecond(s.parse::<i128>().ok()?).ok()
}

impl Loki {
    /// A client for `[loki]`; fails on a missing URL or unreadable credentials.
    pub fn new(config: &LokiConfig) -> Result<Loki, String> {
        let url = config.url().ok_or("[loki] has no url")?;
        let endpoint = config.endpoint();
        Ok(Loki {
            base: url.trim_end_matches('/').to_string(),
            http: http::client(&endpoint)?,
            tail_http: http::builder(&endpoint)?
                .http1_only()
                // The tail stays open; only the handshake is bounded by the timeout.
                .build()
                .map_err(|e| http::chain(&e))?,
        })
    }

    fn url(&self, path: &str) -> String {
        http::join(&self.base, path)
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<T, LokiError> {
        let res = self
            .http
            .get(self.url(path))
            .query(params)
            .send()
            .await
            .map_err(|e| LokiError::from_reqwest(&e))?;
        if !res.status().is_success() {
            return Err(LokiError::from_status(res).await);
        }
        let bytes = res.bytes().await.map_err(|e| LokiError::from_reqwest(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| LokiError::Protocol(format!("bad answer: {e}")))
    }

    /// Log lines of `query` in `[start, end)`, at most `limit`, newest first when
    /// backward; returned oldest first.
    pub async fn query_range(
        &self,
        query: &str,
        start: Timestamp,
        end: Timestamp,
        limit: usize,
        direction: Direction,
    ) -> Result<Vec<Entry>, LokiError> {
        let dir = match direction {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        };
        let params = [
            ("query", query.to_string()),
            ("start", nanos(start)),
            ("end", nanos(end)),
            ("limit", limit.to_string()),
            ("direction", dir.to_string()),
        ];
        let res = self
            .http
            .get(self.url("loki/api/v1/query_range"))
            .query(&params)
            .send()
            .await
            .map_err(|e| LokiError::from_reqwest(&e))?;
        if !res.status().is_success() {
            return Err(LokiError::from_status(res).await);
        }
        let bytes = res.bytes().await.map_err(|e| LokiError::from_reqwest(&e))?;
        parse_streams(&bytes)
    }

    /// A LogQL metric query now: the first series' value, `None` when no series matched.
    pub async fn instant(&self, query: &str) -> Result<Option<f64>, LokiError> {
        #[derive(Deserialize)]
        struct Data {
            #[serde(rename = "resultType")]
            result_type: String,
            result: serde_json::Value,
        }
        #[derive(Deserialize)]
        struct Sample {
            value: (serde_json::Value, String),
        }
        let params = [
            ("query", query.to_string()),
            ("time", nanos(Timestamp::now())),
        ];
        let answer: Answer<Data> = self.get_json("loki/api/v1/query", &params).await?;
        let data = answer
            .data
            .ok_or_else(|| LokiError::Protocol("an answer without data".into()))?;
        let value = match data.result_type.as_str() {
            "vector" => serde_json::from_value::<Vec<Sample>>(data.result)
                .map_err(|e| LokiError::Protocol(format!("bad vector: {e}")))?
                .into_iter()
                .next()
                .map(|s| s.value.1),
            "scalar" => serde_json::from_value::<(serde_json::Value, String)>(data.result)
                .map(|(_, v)| Some(v))
                .map_err(|e| LokiError::Protocol(format!("bad scalar: {e}")))?,
            other => {
                return Err(LokiError::Protocol(format!(
                    "expected a number, got a {other} (a log query? signals need a metric query)"
                )));
            }
        };
        value
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| LokiError::Protocol(format!("not a number: {v}")))
            })
            .transpose()
    }

    /// The label names Loki knows in `[start, end)`.
    pub async fn labels(&self, start: Timestamp, end: Timestamp) -> Result<Vec<String>, LokiError> {
        let params = [("start", nanos(start)), ("end", nanos(end))];
        let answer: Answer<Vec<String>> = self.get_json("loki/api/v1/labels", &params).await?;
        Ok(answer.data.unwrap_or_default())
    }

    /// The values of one label in `[start, end)`; none for an unknown label (Loki then
    /// answers without `data`).
    pub async fn label_values(
        &self,
        label: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<String>, LokiError> {
        let params = [("start", nanos(start)), ("end", nanos(end))];
        let path = format!("loki/api/v1/label/{label}/values");
        let answer: Answer<Vec<String>> = self.get_json(&path, &params).await?;
        Ok(answer.data.unwrap_or_default())
    }

    /// Opens the tail of `query` from `start`: the first message holds at most `limit`
    /// lines since `start`, then new lines as Loki sees them.
    pub async fn tail(
        &self,
        query: &str,
        start: Timestamp,
        limit: usize,
    ) -> Result<Tail, LokiError> {
        let key = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            std::array::from_fn::<u8, 16, _>(|_| fastrand::u8(..)),
        );
        let params = [
            ("query", query.to_string()),
            ("start", nanos(start)),
            ("limit", limit.to_string()),
            ("delay_for", "0".to_string()),
        ];
        let pending = self
            .tail_http
            .get(self.url("loki/api/v1/tail"))
            .query(&params)
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", &key)
            .send();
        let res = tokio::time::timeout(self.handshake_timeout(), pending)
            .await
            .map_err(|_| LokiError::Slow("the tail's handshake timed out".into()))?
            .map_err(|e| LokiError::from_reqwest(&e))?;
        if res.status() != reqwest::StatusCode::SWITCHING_PROTOCOLS {
            return Err(LokiError::from_status(res).await);
        }
        let expected = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        let accept = res
            .headers()
            .get("Sec-WebSocket-Accept")
            .and_then(|v| v.to_str().ok());
        if accept != Some(expected.as_str()) {
            return Err(LokiError::Protocol(
                "the tail's WebSocket handshake was not answered properly".into(),
            ));
        }
        let io = res
            .upgrade()
            .await
            .map_err(|e| LokiError::Protocol(format!("tail upgrade: {}", http::chain(&e))))?;
        let ws = WebSocketStream::from_raw_socket(io, Role::Client, None).await;
        Ok(Tail { ws })
    }

    fn handshake_timeout(&self) -> std::time::Duration {
        // The query client's own timeout is not readable back; ten seconds bounds a hung
        // proxy without cutting a slow but working one.
        std::time::Duration::from_secs(10)
    }
}

/// An open tail.
pub struct Tail {
    ws: WebSocketStream<reqwest::Upgraded>,
}

impl Tail {
    /// The next message; `None` when Loki closed the tail.
    pub async fn next(&mut self) -> Option<Result<TailMessage, LokiError>> {
        loop {
            let msg = match self.ws.next().await? {
                Ok(m) => m,
                Err(e) => return Some(Err(LokiError::Protocol(format!("tail: {e}")))),
            };
            let text = match msg {
                Message::Text(t) => t,
                Message::Binary(b) => match String::from_utf8(b.to_vec()) {
                    Ok(t) => t.into(),
                    Err(_) => continue,
                },
                Message::Close(frame) => {
                    let why = frame.map_or(String::new(), |f| f.reason.to_string());
                    return Some(Err(LokiError::Protocol(if why.is_empty() {
                        "the tail was closed".into()
                    } else {
                        format!("the tail was closed: {why}")
                    })));
                }
                _ => continue,
            };
            return Some(parse_tail_message(text.as_str()));
        }
    }
}

/// Reads a `query_range` answer of log streams: its entries, oldest first.
pub fn parse_streams(body: &[u8]) -> Result<Vec<Entry>, LokiError> {
    #[derive(Deserialize)]
    struct Data {
        #[serde(rename = "resultType")]
        result_type: String,
        result: serde_json::Value,
    }
    let answer: Answer<Data> = serde_json::from_slice(body)
        .map_err(|e| LokiError::Protocol(format!("bad answer: {e}")))?;
    let data = answer
        .data
        .ok_or_else(|| LokiError::Protocol("an answer without data".into()))?;
    if data.result_type != "streams" {
        return Err(LokiError::Protocol(format!(
            "expected log streams, got a {} (a metric query?)",
            data.result_type
        )));
    }
    let streams: Vec<Stream> = serde_json::from_value(data.result)
        .map_err(|e| LokiError::Protocol(format!("bad streams: {e}")))?;
    let mut entries = streams_to_entries(streams);
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}

/// Reads one tail message: `{"streams": [...], "dropped_entries": [...]}`.
pub fn parse_tail_message(text: &str) -> Result<TailMessage, LokiError> {
    #[derive(Deserialize)]
    struct Msg {
        #[serde(default)]
        streams: Vec<Stream>,
        #[serde(default)]
        dropped_entries: Option<Vec<RawDropped>>,
    }
    #[derive(Deserialize)]
    struct RawDropped {
        timestamp: String,
        #[serde(default)]
        labels: BTreeMap<String, String>,
    }
    let m: Msg = serde_json::from_str(text)
        .map_err(|e| LokiError::Protocol(format!("bad tail message: {e}")))?;
    let mut entries = streams_to_entries(m.streams);
    entries.sort_by_key(|e| e.at);
    let dropped = m
        .dropped_entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| {
            Some(Dropped {
                at: parse_nanos(&d.timestamp)?,
                labels: d.labels,
            })
        })
        .collect();
    Ok(TailMessage { entries, dropped })
}

#[derive(Deserialize)]
struct Answer<T> {
    #[allow(dead_code)] // read for its shape; an error is a status code, not this field
    status: String,
    data: Option<T>,
}

#[derive(Deserialize)]
struct Stream {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    values: Vec<Value>,
}

/// `["<ns>", "<line>"]`, or with categorize-labels a third element of metadata (ignored).
struct Value(String, String);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[timestamp, line, metadata?]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let ts: String = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let line: String = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(1, &self))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Value(ts, line))
            }
        }
        d.deserialize_seq(V)
    }
}

fn streams_to_entries(streams: Vec<Stream>) -> Vec<Entry> {
    let mut out = Vec::new();
    for s in streams {
        for Value(ts, line) in s.values {
            if let Some(at) = parse_nanos(&ts) {
                out.push(Entry {
                    at,
                    line,
                    labels: s.stream.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stream_values_with_and_without_metadata_parse() {
        let text = r#"{"streams":[{"stream":{"pod":"p1","container":"c"},"values":[["1796162531233723365","b"],["1796162531000000000","a",{"structuredMetadata":{"trace_id":"x"}}]]}],
            "dropped_entries":[{"timestamp":"1796162531500000000","labels":{"pod":"p2"}}]}"#;
        let m = parse_tail_message(text).unwrap();
        assert_eq!(m.entries.len(), 2);
        assert_eq!(m.entries[0].line, "a", "oldest first");
        assert_eq!(
            m.entries[1].at.as_nanosecond(),
            1_796_162_531_233_723_365,
            "nanoseconds kept"
        );
        assert_eq!(m.dropped[0].labels["pod"], "p2");
        let l = m.entries[0].clone().into_log_line("w");
        assert_eq!((l.pod.as_str(), l.container.as_str()), ("p1", "c"));
        assert!(parse_tail_message("{\"streams\": 5}").is_err());
    }
}
