//! A Kubernetes API test server: the subset sitrep calls, answering as kube-apiserver v1.32
//! does (lists, watches with resourceVersion and bookmarks, 410 Gone, dropped watches, get,
//! replace and merge-patch with `dryRun=All`, the scale subresource, followed pod logs,
//! SelfSubjectReview, 403 and 409 Status bodies). It records every request.
#![allow(dead_code, clippy::unwrap_used)]

pub mod client;
pub mod cluster;
mod delete;
mod eviction;
mod fields;
pub mod fixtures;
pub mod jobs;
mod logs;
pub mod metrics;
pub mod nodes;
pub mod rbac;
pub mod rollouts;
pub mod store;
pub mod twins;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures::SinkExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::watch;

pub use store::{Recorded, State};
use store::{kind_of, merge_patch};

pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// A running test server.
#[derive(Clone)]
pub struct KubeServer {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    /// Bumped on every change; open watches and follows wake up.
    changed: watch::Sender<u64>,
    /// Bumped to cut every open watch mid-stream.
    drops: watch::Sender<u64>,
    /// Bumped to cut every followed log stream mid-stream.
    log_drops: watch::Sender<u64>,
}

impl KubeServer {
    /// Starts on a free port; token `admin-token` is user `admin`, `viewer-token` is the
    /// read-only user `viewer`, `podviewer-token` is `podviewer`, who may only get, list and
    /// watch pods in `acme` (RBAC rules, see `rbac.rs`).
    pub async fn start() -> KubeServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut state = State::default();
        state.tokens.insert("admin-token".into(), "admin".into());
        state.tokens.insert("viewer-token".into(), "viewer".into());
        state.readers.insert("viewer".into());
        // A common on-call role: get, list and watch pods in `acme`, nothing else.
        state
            .tokens
            .insert("podviewer-token".into(), "podviewer".into());
        let pods = ["get", "list", "watch"];
        state
            .rbac
            .grant("podviewer", &pods, "", &["pods"], Some(fixtures::NS));
        state.rbac.grant("admin", &["*"], "*", &["*"], None);
        let server = KubeServer {
            url,
            state: Arc::new(Mutex::new(state)),
            changed: watch::channel(0).0,
            drops: watch::channel(0).0,
            log_drops: watch::channel(0).0,
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
                        .await;
                });
            }
        });
        server
    }

    /// A kubeconfig pointing at this server as `user` (token `<user>-token`).
    pub fn kubeconfig(&self, dir: &std::path::Path, user: &str) -> std::path::PathBuf {
        let path = dir.join(format!("kubeconfig-{user}"));
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    server: {}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: {user}\n    namespace: acme\nusers:\n- name: {user}\n  user:\n    token: {user}-token\n",
            self.url
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Changes state and wakes watches.
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().unwrap());
        self.changed.send_modify(|n| *n += 1);
        out
    }

    pub fn put(&self, resource: &str, object: Value) -> Value {
        self.with(|s| s.put(resource, object))
    }

    /// Appends a container log line at `at`.
    pub fn log(&self, ns: &str, pod: &str, container: &str, at: jiff::Timestamp, text: &str) {
        self.with(|s| {
            s.logs
                .entry((ns.into(), pod.into(), container.into(), false))
                .or_default()
                .push((at, text.into()))
        });
    }

    /// Cuts every open watch mid-stream, as a restarting apiserver or a load balancer does.
    pub fn drop_watches(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// Cuts every followed log stream, as a kubelet or an apiserver restarting does.
    pub fn drop_logs(&self) {
        self.log_drops.send_modify(|n| *n += 1);
    }

    /// The requests received so far that match `f`.
    pub fn count(&self, f: impl Fn(&Recorded) -> bool) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| f(r))
            .count()
    }

    /// Forgets history (etcd compaction): watches resuming from older versions get 410.
    pub fn compact(&self) {
        self.with(|s| s.compacted_below = s.rv + 1);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let header = |h: &str| {
            req.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let content_type = header("content-type");
        let token = header("authorization")
            .trim_start_matches("Bearer ")
            .to_string();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body).to_string();
        let user = {
            let mut s = self.state.lock().unwrap();
            let user = s
                .tokens
                .get(&token)
                .cloned()
                .unwrap_or_else(|| "system:anonymous".into());
            s.requests.push(Recorded {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                user: user.clone(),
                content_type: content_type.clone(),
                body: body.clone(),
            });
            user
        };
        let q = Query(query);
        // Custom resources: an unknown group is the mux's plain 404; discovery is answered.
        if path.trim_end_matches('/') == "/apis" || path.starts_with("/apis/argoproj.io") {
            let s = self.state.lock().unwrap();
            if let Some(d) = rollouts::discovery(&s, &path) {
                return respond(200, &d);
            }
            if !rollouts::served(&s) {
                return rollouts::page_not_found();
            }
        }
        let r = Route::parse(&path);
        let Some(r) = r else {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
                None,
            );
        };
        let verb = match (
            method.as_str(),
            r.name.is_some(),
            q.get("watch").as_deref() == Some("true"),
        ) {
            ("GET", _, true) => "watch",
            ("GET", true, _) => "get",
            ("GET", false, _) => "list",
            ("PATCH", ..) => "patch",
            ("PUT", ..) => "update",
            ("POST", ..) => "create",
            ("DELETE", ..) => "delete",
            _ => "unknown",
        };
        let gated = rbac::gate(&self.state.lock().unwrap().rbac, &r, verb, &user, &body);
        if let Some(answer) = gated {
            return answer;
        }
        let reader = self.state.lock().unwrap().readers.contains(&user);
        // Every authenticated user may ask who they are (system:basic-user).
        let whoami = r.resource == "selfsubjectreviews";
        if reader && !whoami && (r.sub.is_some() || !matches!(verb, "get" | "list" | "watch")) {
            return forbidden(&r, verb, &user);
        }
        if r.resource == "selfsubjectreviews" {
            let mut o = json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"creationTimestamp": jiff::Timestamp::now().to_string()},
                "status": {"userInfo": {"username": user, "uid": format!("uid-{user}"),
                    "groups": ["system:authenticated"]}}});
            o["metadata"]["creationTimestamp"] = json!(jiff::Timestamp::now().to_string());
            return respond(201, &o);
        }
        if let Some(f) = q.get("fieldSelector")
            && matches!(verb, "list" | "watch")
            && let Err(msg) = fields::check(&r.resource, &f)
        {
            return status(400, "BadRequest", &msg, None);
        }
        // An aggregated API: served by metrics-server when its APIService is there.
        if r.group == "metrics.k8s.io" {
            return metrics::answer(&self.state.lock().unwrap(), &r, &q, &method);
        }
        match (verb, r.sub.as_deref()) {
            ("create", None) if r.resource == "jobs" => {
                let out = jobs::create(&mut self.state.lock().unwrap(), &r, &q, &body);
                self.changed.send_modify(|n| *n += 1);
                out
            }
            ("create", Some("eviction")) if r.resource == "pods" => {
                let out = eviction::evict(&mut self.state.lock().unwrap(), &r, &q);
                self.changed.send_modify(|n| *n += 1);
                out
            }
            ("delete", None) if r.name.is_some() => {
                let out = delete::delete(&mut self.state.lock().unwrap(), &r, &q, &body);
                self.changed.send_modify(|n| *n += 1);
                out
            }
            ("list", None) => self.list(&r, &q).await,
            ("watch", None) if self.state.lock().unwrap().refuse_watches => {
                match self.state.lock().unwrap().refusal_code {
                    Some(500) => status(
                        500,
                        "InternalError",
                        "Internal error occurred: etcdserver: request timed out",
                        None,
                    ),
                    _ => status(
                        503,
                        "ServiceUnavailable",
                        "the server is currently unable to handle the request",
                        None,
                    ),
                }
            }
            ("watch", None) => self.watch(&r, &q),
            ("get", Some("log")) => self.logs(&r, &q),
            ("get", sub) => {
                let s = self.state.lock().unwrap();
                match s.get(&r.resource, &r.namespace, r.name.as_deref().unwrap_or("")) {
                    Some(o) if sub == Some("scale") => respond(200, &scale_of(o)),
                    Some(o) => respond(200, o),
                    None => not_found(&r),
                }
            }
            ("patch" | "update", sub) => self.write(&r, &q, verb, sub, &content_type, &body).await,
            _ => status(
                405,
                "MethodNotAllowed",
                "not supported by the test server",
                None,
            ),
        }
    }

    /// A list, paged as the apiserver pages it: `limit` items a page, a `continue` token that
    /// names the snapshot's resourceVersion and the key to start after, every page served from
    /// that one snapshot, `remainingItemCount` when no selector was given, 410 Expired once
    /// the snapshot is compacted. `resourceVersion=0` is served whole, as from the watch cache.
    async fn list(&self, r: &Route, q: &Query) -> Response<Body> {
        let delay = self.state.lock().unwrap().list_delay_ms;
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let s = self.state.lock().unwrap();
        let selector = q.get("labelSelector");
        let from_cache = q.get("resourceVersion").as_deref() == Some("0");
        let limit: usize = q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|_| !from_cache)
            .unwrap_or(usize::MAX);
        let (rv, start) = match q.get("continue") {
            Some(token) => match decode_continue(&token) {
                Some(c) => c,
                None => {
                    return status(
                        400,
                        "BadRequest",
                        "continue key is not valid: illegal base64 data",
                        None,
                    );
                }
            },
            None => (s.rv, String::new()),
        };
        let Some(items) = s.list_at(&r.resource, &r.namespace, selector.as_deref(), rv) else {
            return status(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                None,
            );
        };
        let key_of = |o: &Value| {
            let name = o["metadata"]["name"].as_str().unwrap_or("");
            if r.namespace.is_empty() {
                let ns = o["metadata"]["namespace"].as_str().unwrap_or("");
                format!("/{ns}/{name}")
            } else {
                format!("/{name}")
            }
        };
        let fields = q.get("fieldSelector");
        let rest: Vec<&Value> = items
            .iter()
            .filter(|o| fields::matches(o, fields.as_deref()))
            .filter(|o| start.is_empty() || key_of(o) > start)
            .collect();
        let page: Vec<Value> = rest.iter().take(limit).map(|o| (*o).clone()).collect();
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if page.len() < rest.len()
            && let Some(last) = page.last()
        {
            meta["continue"] = json!(encode_continue(rv, &key_of(last)));
            if selector.is_none() {
                meta["remainingItemCount"] = json!(rest.len() - page.len());
            }
        }
        let (kind, api_version) = kind_of(&r.resource);
        respond(
            200,
            &json!({"kind": format!("{kind}List"), "apiVersion": api_version,
            "metadata": meta, "items": page}),
        )
    }

    fn watch(&self, r: &Route, q: &Query) -> Response<Body> {
        let from: u64 = q
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let bookmarks = q.get("allowWatchBookmarks").as_deref() == Some("true");
        let timeout = q
            .get("timeoutSeconds")
            .and_then(|t| t.parse().ok())
            .unwrap_or(300u64);
        let selector = q.get("labelSelector");
        let fields = q.get("fieldSelector");
        // A streaming list (KEP-3157): the current objects as ADDED events, a bookmark that
        // marks their end, then the watch goes on from there.
        let initial = q.get("sendInitialEvents").as_deref() == Some("true");
        if initial {
            if q.get("resourceVersionMatch").as_deref() != Some("NotOlderThan") {
                return status(
                    422,
                    "Invalid",
                    "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan",
                    None,
                );
            }
            if !bookmarks {
                return status(
                    422,
                    "Invalid",
                    "ListOptions.meta.k8s.io \"\" is invalid: allowWatchBookmarks: Forbidden: allowWatchBookmarks must be set to true when sendInitialEvents is set",
                    None,
                );
            }
        }
        let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(64);
        let (state, mut changed, mut drops) = (
            self.state.clone(),
            self.changed.subscribe(),
            self.drops.subscribe(),
        );
        let (resource, ns) = (r.resource.clone(), r.namespace.clone());
        let (kind, api_version) = kind_of(&r.resource);
        tokio::spawn(async move {
            let line = |v: Value| Ok(Frame::data(Bytes::from(format!("{v}\n"))));
            let compacted = state.lock().unwrap().compacted_below;
            if from != 0 && from < compacted {
                // As the apiserver does: HTTP 200, then one ERROR event carrying a 410 Status.
                let e = json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                    "metadata": {}, "status": "Failure", "reason": "Expired", "code": 410,
                    "message": format!("too old resource version: {from} ({compacted})")}});
                let _ = tx.send(line(e)).await;
                return;
            }
            drops.mark_unchanged();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
            let mut cursor = from;
            if initial {
                let (objects, rv) = {
                    let s = state.lock().unwrap();
                    (s.list(&resource, &ns, selector.as_deref()), s.rv)
                };
                for o in objects
                    .into_iter()
                    .filter(|o| fields::matches(o, fields.as_deref()))
                {
                    if tx
                        .send(line(json!({"type": "ADDED", "object": o})))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                cursor = rv;
                let blueprint = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{{\"kind\":\"{kind}List\",\"apiVersion\":\"{api_version}\",\"metadata\":{{}},\"items\":null}}\n"
                ));
                let end = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                    "metadata": {"resourceVersion": rv.to_string(), "creationTimestamp": null,
                        "annotations": {"k8s.io/initial-events-end": "true",
                            "kubernetes.io/initial-events-list-blueprint": blueprint}}}});
                if tx.send(line(end)).await.is_err() {
                    return;
                }
            }
            loop {
                let (changes, now_rv) = {
                    let s = state.lock().unwrap();
                    (
                        s.changes_since(cursor, &resource, &ns, selector.as_deref()),
                        s.rv,
                    )
                };
                for c in changes {
                    cursor = c.rv;
                    if !fields::matches(&c.object, fields.as_deref()) {
                        continue;
                    }
                    if tx
                        .send(line(json!({"type": c.kind, "object": c.object})))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                tokio::select! {
                    _ = changed.changed() => {}
                    _ = drops.changed() => return,
                    _ = tokio::time::sleep_until(deadline) => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)), if bookmarks => {
                        cursor = cursor.max(now_rv);
                        let b = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                            "metadata": {"resourceVersion": cursor.to_string(), "creationTimestamp": null}}});
                        if tx.send(line(b)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        stream_response(rx)
    }

    async fn write(
        &self,
        r: &Route,
        q: &Query,
        verb: &str,
        sub: Option<&str>,
        ctype: &str,
        body: &str,
    ) -> Response<Body> {
        let delay = self.state.lock().unwrap().write_delay_ms;
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let Ok(input) = serde_json::from_str::<Value>(body) else {
            return status(400, "BadRequest", "body is not JSON", None);
        };
        let dry_run = q.get("dryRun").as_deref() == Some("All");
        let name = r.name.clone().unwrap_or_default();
        let mut s = self.state.lock().unwrap();
        if s.conflicts > 0 {
            s.conflicts -= 1;
            let msg = format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                r.resource
            );
            return status(409, "Conflict", &msg, Some(details(r)));
        }
        let Some(current) = s.get(&r.resource, &r.namespace, &name).cloned() else {
            return not_found(r);
        };
        let precondition = input["metadata"]["resourceVersion"].as_str();
        if precondition.is_some_and(|v| Some(v) != current["metadata"]["resourceVersion"].as_str())
        {
            let msg = format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                r.resource
            );
            return status(409, "Conflict", &msg, Some(details(r)));
        }
        if verb == "patch"
            && r.resource == "rollouts"
            && !ctype.starts_with("application/merge-patch+json")
        {
            return status(415, "UnsupportedMediaType", rollouts::NO_STRATEGIC, None);
        }
        if verb == "patch" && !ctype.contains("merge-patch+json") {
            return status(
                415,
                "UnsupportedMediaType",
                &format!("the body of the request was in an unknown format: {ctype}"),
                None,
            );
        }
        let mut next = current.clone();
        if sub == Some("scale") {
            let mut scale = scale_of(&current);
            merge_patch(&mut scale, &input);
            next["spec"]["replicas"] = scale["spec"]["replicas"].clone();
        } else if verb == "patch" && r.resource == "rollouts" {
            next = rollouts::patched(&current, &input, sub == Some("status"));
        } else if verb == "patch" {
            // Strategic merge on the fields sitrep patches behaves as a JSON merge patch.
            merge_patch(&mut next, &input);
        } else {
            next = input;
            next["status"] = current["status"].clone();
        }
        next["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
        next["metadata"]["uid"] = current["metadata"]["uid"].clone();
        let out = if dry_run {
            next
        } else {
            let stored = s.put(&r.resource, next);
            if r.resource == "deployments" {
                s.reconcile(&r.namespace, &name);
            }
            if r.resource == "nodes" {
                nodes::reconcile(&mut s, &name);
            }
            s.get(&r.resource, &r.namespace, &name)
                .cloned()
                .unwrap_or(stored)
        };
        drop(s);
        self.changed.send_modify(|n| *n += 1);
        if sub == Some("scale") {
            respond(200, &scale_of(&out))
        } else {
            respond(200, &out)
        }
    }
}

/// A parsed API path.
#[derive(Debug, Clone)]
pub struct Route {
    pub group: String,
    pub namespace: String,
    pub resource: String,
    pub name: Option<String>,
    pub sub: Option<String>,
}

impl Route {
    fn parse(path: &str) -> Option<Route> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, rest) = match parts.as_slice() {
            ["api", "v1", rest @ ..] => ("", rest),
            ["apis", g, _v, rest @ ..] => (*g, rest),
            _ => return None,
        };
        let (namespace, rest) = match rest {
            ["namespaces", ns, rest @ ..] if !rest.is_empty() => (ns.to_string(), rest),
            rest => (String::new(), rest),
        };
        let (resource, name, sub) = match rest {
            [res] => (res, None, None),
            [res, name] => (res, Some(name.to_string()), None),
            [res, name, sub] => (res, Some(name.to_string()), Some(sub.to_string())),
            _ => return None,
        };
        Some(Route {
            group: group.into(),
            namespace,
            resource: resource.to_string(),
            name,
            sub,
        })
    }
}

/// The query string.
pub struct Query(String);

impl Query {
    /// A parameter's value, percent-decoded.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0
            .split('&')
            .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
            .map(percent_decode)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The apiserver's continue token: URL-safe base64 of the snapshot's resourceVersion and the
/// storage key to start after.
fn encode_continue(rv: u64, key: &str) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{key}\u{0}")});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
}

fn decode_continue(token: &str) -> Option<(u64, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    let start = v["start"].as_str()?.trim_end_matches('\u{0}').to_string();
    Some((v["rv"].as_u64()?, start))
}

fn scale_of(d: &Value) -> Value {
    let m = &d["metadata"];
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": d["spec"]["replicas"]},
        "status": {"replicas": d["status"]["replicas"].as_i64().unwrap_or(0),
            "selector": format!("app={}", m["name"].as_str().unwrap_or(""))}})
}

fn details(r: &Route) -> Value {
    let mut d = json!({"name": r.name.clone().unwrap_or_default(), "kind": r.resource});
    if !r.group.is_empty() {
        d["group"] = json!(r.group);
    }
    d
}

fn resource_word(r: &Route) -> String {
    if r.group.is_empty() {
        r.resource.clone()
    } else {
        format!("{}.{}", r.resource, r.group)
    }
}

pub(crate) fn not_found(r: &Route) -> Response<Body> {
    let msg = format!(
        "{} \"{}\" not found",
        resource_word(r),
        r.name.clone().unwrap_or_default()
    );
    status(404, "NotFound", &msg, Some(details(r)))
}

fn forbidden(r: &Route, verb: &str, user: &str) -> Response<Body> {
    let resource = match &r.sub {
        Some(sub) => format!("{}/{sub}", r.resource),
        None => r.resource.clone(),
    };
    let msg = format!(
        "{} \"{}\" is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{}\" in the namespace \"{}\"",
        resource_word(r),
        r.name.clone().unwrap_or_default(),
        r.group,
        r.namespace
    );
    status(403, "Forbidden", &msg, Some(details(r)))
}

pub(crate) fn status(
    code: u16,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response<Body> {
    let mut s = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    if let Some(d) = details {
        s["details"] = d;
    }
    respond(code, &s)
}

fn respond(code: u16, v: &Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())).boxed())
        .unwrap()
}

pub(crate) fn stream_response(
    rx: futures::channel::mpsc::Receiver<Result<Frame<Bytes>, Infallible>>,
) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(BodyExt::boxed(StreamBody::new(rx)))
        .unwrap()
}
