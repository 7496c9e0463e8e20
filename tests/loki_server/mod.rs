//! A Grafana Loki test server, written from Loki's HTTP API documentation and answering as
//! Loki 3.x does: `query_range` (`start` inclusive, `end` exclusive, `limit` over all
//! streams, `direction`, the `streams` result type with nanosecond string timestamps and
//! `detected_level` folded into the stream labels, a `stats` object), `labels` and label
//! values (an unknown label answers without `data`), and the `/loki/api/v1/tail` WebSocket
//! (the history since `start` first, one stream object per entry, then new entries in
//! batches of at most 100, with `dropped_entries` when it had to drop). Errors are plain
//! text without a trailing newline, as Loki sends them (400 for bad LogQL and limits, 429
//! for rate limits; `Bad Request\n` for a tail without an upgrade). It records every request
//! and can be told to be slow, to answer 429 or 400, to close its tails, or to drop entries.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

type Body = BoxBody<Bytes, Infallible>;

/// Loki's default `max_entries_limit_per_query`.
pub const MAX_ENTRIES: usize = 5_000;

/// One stored log entry.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub labels: BTreeMap<String, String>,
    pub at: i128,
    pub line: String,
}

/// A request as received: path and decoded query parameters.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub params: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub websocket: bool,
}

/// How the server misbehaves, when told to.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every answer waits this long first.
    pub delay: Option<Duration>,
    /// Every query answers 429 with Loki's per-tenant rate-limit body.
    pub rate_limited: bool,
    /// Queries with a line filter answer 400, as a Loki with a stricter regex engine would.
    pub refuse_line_filters: bool,
    /// The next tail messages leave out and report this many entries as dropped.
    pub drop_next: usize,
}

#[derive(Default)]
struct State {
    entries: Vec<StoredEntry>,
    requests: Vec<Recorded>,
    faults: Faults,
}

/// A running Loki test server.
#[derive(Clone)]
pub struct LokiServer {
    pub url: String,
    state: Arc<Mutex<State>>,
    /// Bumped on every push; open tails wake up.
    pushed: watch::Sender<u64>,
    /// Bumped to close every open tail.
    closes: watch::Sender<u64>,
}

impl LokiServer {
    pub async fn start() -> LokiServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = LokiServer {
            url: format!("http://{}", listener.local_addr().unwrap()),
            state: Default::default(),
            pushed: watch::channel(0).0,
            closes: watch::channel(0).0,
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, Infallible>(s.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades()
                        .await;
                });
            }
        });
        server
    }

    /// Ingests a line into the stream of `labels` (`service_name` added from `app`, as
    /// Loki does at ingest).
    pub fn push(&self, labels: &[(&str, &str)], at: jiff::Timestamp, line: &str) {
        let mut labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(app) = labels.get("app").cloned() {
            labels.entry("service_name".into()).or_insert(app);
        }
        self.state.lock().unwrap().entries.push(StoredEntry {
            labels,
            at: at.as_nanosecond(),
            line: line.to_string(),
        });
        self.pushed.send_modify(|n| *n += 1);
    }

    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.state.lock().unwrap().faults);
    }

    /// Closes every open tail, as a restarting querier does.
    pub fn close_tails(&self) {
        self.closes.send_modify(|n| *n += 1);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let path = req.uri().path().to_string();
        let params: BTreeMap<String, String> = req
            .uri()
            .query()
            .map(|q| {
                url_pairs(q)
                    .into_iter()
                    .collect::<BTreeMap<String, String>>()
            })
            .unwrap_or_default();
        let headers: BTreeMap<String, String> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let websocket = headers
            .get("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
        let faults = {
            let mut s = self.state.lock().unwrap();
            s.requests.push(Recorded {
                path: path.clone(),
                params: params.clone(),
                headers: headers.clone(),
                websocket,
            });
            s.faults.clone()
        };
        if let Some(d) = faults.delay {
            tokio::time::sleep(d).await;
        }
        let is_query = matches!(
            path.as_str(),
            "/loki/api/v1/query_range" | "/loki/api/v1/tail"
        );
        if faults.rate_limited && is_query {
            return text(
                429,
                "Ingestion rate limit exceeded for user fake: too many outstanding requests",
            );
        }
        match path.as_str() {
            "/loki/api/v1/query_range" => self.query_range(&params, &faults),
            "/loki/api/v1/query" => self.instant(&params),
            "/loki/api/v1/labels" => {
                let names: std::collections::BTreeSet<String> = self
                    .state
                    .lock()
                    .unwrap()
                    .entries
                    .iter()
                    .flat_map(|e| e.labels.keys().cloned())
                    .collect();
                json_ok(&json!({"status": "success", "data": names}))
            }
            "/loki/api/v1/tail" => {
                if !websocket {
                    return text(400, "Bad Request\n");
                }
                self.tail(req, params, faults)
            }
            p if p.starts_with("/loki/api/v1/label/") && p.ends_with("/values") => {
                let name = &p["/loki/api/v1/label/".len()..p.len() - "/values".len()];
                let values: std::collections::BTreeSet<String> = self
                    .state
                    .lock()
                    .unwrap()
                    .entries
                    .iter()
                    .filter_map(|e| e.labels.get(name).cloned())
                    .collect();
                if values.is_empty() {
                    json_ok(&json!({"status": "success"}))
                } else {
                    json_ok(&json!({"status": "success", "data": values}))
                }
            }
            _ => text(404, "404 page not found\n"),
        }
    }

    fn query_range(&self, params: &BTreeMap<String, String>, faults: &Faults) -> Response<Body> {
        let Some(query) = params.get("query") else {
            return text(400, "query parameter is required");
        };
        let q = match LogQuery::parse(query) {
            Ok(q) => q,
            Err(e) => return text(400, &e),
        };
        if faults.refuse_line_filters && !q.filters.is_empty() {
            return text(
                400,
                "parse error at line 1, col 30: error parsing regexp: invalid or unsupported Perl syntax",
            );
        }
        let now = jiff::Timestamp::now().as_nanosecond();
        let end = match params.get("end").map(|s| parse_time(s)) {
            None => now,
            Some(Ok(t)) => t,
            Some(Err(_)) => {
                return text(
                    400,
                    &format!(
                        "could not parse 'end' parameter: strconv.ParseInt: parsing \"{}\": invalid syntax",
                        params["end"]
                    ),
                );
            }
        };
        let start = match params.get("start").map(|s| parse_time(s)) {
            None => end - 3_600_000_000_000,
            Some(Ok(t)) => t,
            Some(Err(_)) => {
                return text(
                    400,
                    &format!(
                        "could not parse 'start' parameter: strconv.ParseInt: parsing \"{}\": invalid syntax",
                        params["start"]
                    ),
                );
            }
        };
        if end <= start {
            return text(
                400,
                "end timestamp must not be before or equal to start time",
            );
        }
        let limit: usize = params
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100);
        if limit > MAX_ENTRIES {
            return text(
                400,
                &format!(
                    "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > {MAX_ENTRIES})"
                ),
            );
        }
        let forward = params.get("direction").map(String::as_str) == Some("forward");
        let mut hits: Vec<StoredEntry> = self
            .state
            .lock()
            .unwrap()
            .entries
            .iter()
            .filter(|e| e.at >= start && e.at < end && q.matches(e))
            .cloned()
            .collect();
        hits.sort_by_key(|e| e.at);
        if !forward {
            hits.reverse();
        }
        hits.truncate(limit);
        // Grouped by stream, each stream in the query's direction; streams in no order.
        let mut streams: BTreeMap<BTreeMap<String, String>, Vec<Value>> = BTreeMap::new();
        for e in hits {
            streams
                .entry(stream_labels(&e))
                .or_default()
                .push(json!([e.at.to_string(), e.line]));
        }
        let result: Vec<Value> = streams
            .into_iter()
            .rev()
            .map(|(stream, values)| json!({"stream": stream, "values": values}))
            .collect();
        json_ok(&json!({
            "status": "success",
            "data": {
                "resultType": "streams",
                "result": result,
                "stats": {"summary": {"totalEntriesReturned": 0, "execTime": 0.001}},
            }
        }))
    }

    /// `sum(rate(SELECTOR FILTERS [W]))` and `sum(count_over_time(…))` at `time`; a log
    /// query is refused as Loki refuses it.
    fn instant(&self, params: &BTreeMap<String, String>) -> Response<Body> {
        let query = params.get("query").map(String::as_str).unwrap_or("");
        let re = regex::Regex::new(
            r"^sum\s*\(\s*(rate|count_over_time)\s*\((.*)\[(\d+)([smh])\]\s*\)\s*\)$",
        )
        .unwrap();
        let Some(c) = re.captures(query.trim()) else {
            return match LogQuery::parse(query) {
                Ok(_) => text(
                    400,
                    "log queries are not supported as an instant query type, please change your query to a range query type",
                ),
                Err(e) => text(400, &e),
            };
        };
        let q = match LogQuery::parse(&c[2]) {
            Ok(q) => q,
            Err(e) => return text(400, &e),
        };
        let unit: i128 = match &c[4] {
            "s" => 1,
            "m" => 60,
            _ => 3600,
        };
        let window = c[3].parse::<i128>().unwrap() * unit * 1_000_000_000;
        let time = params
            .get("time")
            .and_then(|t| parse_time(t).ok())
            .unwrap_or_else(|| jiff::Timestamp::now().as_nanosecond());
        let n = self
            .state
            .lock()
            .unwrap()
            .entries
            .iter()
            .filter(|e| e.at > time - window && e.at <= time && q.matches(e))
            .count();
        let secs = (time / 1_000_000_000) as i64;
        let result = if n == 0 {
            json!([])
        } else {
            let v = if &c[1] == "rate" {
                n as f64 / (window / 1_000_000_000) as f64
            } else {
                n as f64
            };
            json!([{"metric": {}, "value": [secs, v.to_string()]}])
        };
        json_ok(
            &json!({"status": "success", "data": {"resultType": "vector", "result": result,
            "stats": {"summary": {"execTime": 0.001}}}}),
        )
    }

    fn tail(
        &self,
        req: Request<hyper::body::Incoming>,
        params: BTreeMap<String, String>,
        _faults: Faults,
    ) -> Response<Body> {
        let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
            return text(400, "Bad Request\n");
        };
        let q = match params.get("query").map(|q| LogQuery::parse(q)) {
            Some(Ok(q)) => q,
            Some(Err(e)) => return text(400, &e),
            None => return text(400, "query parameter is required"),
        };
        let now = jiff::Timestamp::now().as_nanosecond();
        let start = params
            .get("start")
            .and_then(|s| parse_time(s).ok())
            .unwrap_or(now - 3_600_000_000_000);
        let limit: usize = params
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100);
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        let s = self.clone();
        tokio::spawn(async move {
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            s.serve_tail(ws, q, start, limit).await;
        });
        Response::builder()
            .status(101)
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Accept", accept)
            .body(Full::new(Bytes::new()).boxed())
            .unwrap()
    }

    async fn serve_tail(
        &self,
        mut ws: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
        q: LogQuery,
        start: i128,
        limit: usize,
    ) {
        let mut pushed = self.pushed.subscribe();
        let mut closes = self.closes.subscribe();
        closes.mark_unchanged();
        // The history: the last `limit` entries since `start`, one stream object each.
        let (history, mut sent) = {
            let s = self.state.lock().unwrap();
            let mut h: Vec<&StoredEntry> = s
                .entries
                .iter()
                .filter(|e| e.at >= start && q.matches(e))
                .collect();
            h.sort_by_key(|e| e.at);
            let skip = h.len().saturating_sub(limit);
            let h: Vec<StoredEntry> = h.into_iter().skip(skip).cloned().collect();
            (h, s.entries.len())
        };
        let msg = json!({"streams": history.iter().map(one_stream).collect::<Vec<_>>()});
        if ws.send(Message::text(msg.to_string())).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                changed = pushed.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                _ = closes.changed() => {
                    let _ = ws.close(None).await;
                    return;
                }
                incoming = ws.next() => {
                    // The client closed, or sent something (Loki ignores it).
                    if !matches!(incoming, Some(Ok(_))) {
                        return;
                    }
                    continue;
                }
            }
            let (new, mut drop) = {
                let mut s = self.state.lock().unwrap();
                let new: Vec<StoredEntry> = s.entries[sent..]
                    .iter()
                    .filter(|e| q.matches(e))
                    .cloned()
                    .collect();
                sent = s.entries.len();
                let drop = s.faults.drop_next.min(new.len());
                s.faults.drop_next -= drop;
                (new, drop)
            };
            for batch in new.chunks(100) {
                let (dropped, kept) = batch.split_at(drop.min(batch.len()));
                drop -= dropped.len();
                let mut msg = json!({"streams": kept.iter().map(one_stream).collect::<Vec<_>>()});
                if !dropped.is_empty() {
                    msg["dropped_entries"] = dropped
                        .iter()
                        .map(|e| json!({"timestamp": e.at.to_string(), "labels": e.labels}))
                        .collect();
                }
                if ws.send(Message::text(msg.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The stream object of one entry, as the tail sends each.
fn one_stream(e: &StoredEntry) -> Value {
    json!({"stream": stream_labels(e), "values": [[e.at.to_string(), e.line]]})
}

/// Index labels plus `detected_level`, which Loki folds into the stream without
/// categorize-labels.
fn stream_labels(e: &StoredEntry) -> BTreeMap<String, String> {
    let mut l = e.labels.clone();
    let lower = e.line.to_ascii_lowercase();
    let level = if lower.contains("error") {
        "error"
    } else if lower.contains("warn") {
        "warn"
    } else {
        "info"
    };
    l.insert("detected_level".into(), level.into());
    l
}

/// `start`/`end` as Unix nanoseconds, RFC 3339 or float seconds.
fn parse_time(s: &str) -> Result<i128, ()> {
    if let Ok(n) = s.parse::<i128>() {
        return Ok(n);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_nanosecond());
    }
    s.parse::<f64>().map(|f| (f * 1e9) as i128).map_err(|_| ())
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn text(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("X-Content-Type-Options", "nosniff")
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .unwrap()
}

fn json_ok(v: &Value) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(Full::new(Bytes::from(v.to_string())).boxed())
        .unwrap()
}

/// The subset of LogQL the server evaluates: a stream selector and line filters.
#[derive(Debug, Clone)]
struct LogQuery {
    matchers: Vec<(String, String, String)>,
    /// Operator, value, and the value compiled once when a regex.
    filters: Vec<(String, String, Option<regex::Regex>)>,
}

impl LogQuery {
    fn parse(q: &str) -> Result<LogQuery, String> {
        let bad = |col: usize, what: &str| {
            format!("parse error at line 1, col {col}: syntax error: unexpected {what}")
        };
        let q = q.trim();
        let Some(rest) = q.strip_prefix('{') else {
            return Err(bad(1, "IDENTIFIER"));
        };
        let close = rest.find('}').ok_or_else(|| bad(q.len() + 1, "$end"))?;
        let inner = &rest[..close];
        let mut matchers = Vec::new();
        let re = regex::Regex::new(r#"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)\s*(?:,|$)"#).unwrap();
        let mut at = 0;
        while at < inner.len() && !inner[at..].trim().is_empty() {
            let Some(c) = re.captures(&inner[at..]) else {
                return Err(bad(at + 2, "}, expecting STRING"));
            };
            let value = c
                .get(3)
                .map(|m| m.as_str().replace("\\\"", "\"").replace("\\\\", "\\"))
                .or_else(|| c.get(4).map(|m| m.as_str().to_string()))
                .unwrap_or_default();
            matchers.push((c[1].to_string(), c[2].to_string(), value));
            at += c.get(0).unwrap().end();
        }
        if matchers.is_empty() {
            return Err(
                "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will"
                    .into(),
            );
        }
        let mut filters = Vec::new();
        let mut tail = rest[close + 1..].trim();
        let fre = regex::Regex::new(r#"^(\|=|!=|\|~|!~)\s*(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)\s*"#)
            .unwrap();
        while !tail.is_empty() {
            let Some(c) = fre.captures(tail) else {
                return Err(bad(q.len() - tail.len() + 1, "IDENTIFIER"));
            };
            let value = c
                .get(2)
                .map(|m| m.as_str().replace("\\\"", "\"").replace("\\\\", "\\"))
                .or_else(|| c.get(3).map(|m| m.as_str().to_string()))
                .unwrap_or_default();
            let re = if c[1].contains('~') {
                let Ok(re) = regex::Regex::new(&value) else {
                    return Err(format!("parse error : error parsing regexp: `{value}`"));
                };
                Some(re)
            } else {
                None
            };
            filters.push((c[1].to_string(), value, re));
            tail = &tail[c.get(0).unwrap().end()..];
        }
        Ok(LogQuery { matchers, filters })
    }

    fn matches(&self, e: &StoredEntry) -> bool {
        let labels_ok = self.matchers.iter().all(|(k, op, v)| {
            let have = e.labels.get(k).map(String::as_str).unwrap_or("");
            let full = || {
                regex::Regex::new(&format!("^(?:{v})$"))
                    .unwrap()
                    .is_match(have)
            };
            match op.as_str() {
                "=" => have == v,
                "!=" => have != v,
                "=~" => full(),
                _ => !full(),
            }
        });
        labels_ok
            && self.filters.iter().all(|(op, v, re)| {
                let re = || re.as_ref().is_some_and(|r| r.is_match(&e.line));
                match op.as_str() {
                    "|=" => e.line.contains(v.as_str()),
                    "!=" => !e.line.contains(v.as_str()),
                    "|~" => re(),
                    _ => !re(),
                }
            })
    }
}
