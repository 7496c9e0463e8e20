//! A stand-in Prometheus that insists on a bearer token and keeps every request it gets,
//! for tests that must prove where credentials go (or that nothing was asked at all).
#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

/// The server; requests are kept for the test to read.
#[derive(Clone)]
pub struct FakeProm {
    pub url: String,
    pub token: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeProm {
    /// Starts on a free port on `rt`, answering only `Bearer <token>`.
    pub fn start(rt: &tokio::runtime::Runtime, token: &str) -> FakeProm {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let server = FakeProm {
            url: format!("http://{}", listener.local_addr().unwrap()),
            token: token.to_string(),
            seen: Arc::default(),
        };
        let s = server.clone();
        rt.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, Infallible>(s.answer(req)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        server
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn answer(&self, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.seen.lock().unwrap().push(Seen {
            path: req.uri().path().to_string(),
            authorization: auth.clone(),
        });
        let reply = |code: u16, body: String| {
            hyper::Response::builder()
                .status(code)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))
                .unwrap()
        };
        if auth.as_deref() != Some(&format!("Bearer {}", self.token)) {
            return reply(
                401,
                r#"{"status":"error","errorType":"unauthorized","error":"no"}"#.into(),
            );
        }
        let now = jiff::Timestamp::now().as_second();
        match req.uri().path() {
            "/api/v1/query_range" => reply(
                200,
                format!(
                    r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[[{},"0.05"],[{},"0.06"]]}}]}}}}"#,
                    now - 60,
                    now
                ),
            ),
            "/api/v1/query" => reply(
                200,
                format!(
                    r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[{now},"0.05"]}}]}}}}"#
                ),
            ),
            "/api/v1/alerts" => reply(200, r#"{"status":"success","data":{"alerts":[]}}"#.into()),
            _ => reply(404, r#"{"status":"error","error":"not found"}"#.into()),
        }
    }
}
