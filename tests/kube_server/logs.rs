//! `pods/{name}/log`: container selection, `timestamps`, `sinceSeconds`, `sinceTime`,
//! `tailLines`, `previous`, and `follow` until the pod is gone or the stream is cut.

use std::convert::Infallible;

use bytes::Bytes;
use futures::SinkExt;
use hyper::Response;
use hyper::body::Frame;

use super::{Body, KubeServer, Query, Route, not_found, status, stream_response};

impl KubeServer {
    pub(super) fn logs(&self, r: &Route, q: &Query) -> Response<Body> {
        let name = r.name.clone().unwrap_or_default();
        let s = self.state.lock().unwrap();
        let Some(pod) = s.get("pods", &r.namespace, &name) else {
            return not_found(&Route {
                resource: "pods".into(),
                ..r.clone()
            });
        };
        let containers: Vec<String> = pod["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect();
        let container = match q.get("container") {
            Some(c) => c.to_string(),
            None if containers.len() == 1 => containers[0].clone(),
            None => {
                let msg = format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    containers.join(" ")
                );
                return status(400, "BadRequest", &msg, None);
            }
        };
        let key = (
            r.namespace.clone(),
            name.clone(),
            container,
            q.get("previous").as_deref() == Some("true"),
        );
        let follow = q.get("follow").as_deref() == Some("true");
        let stamps = q.get("timestamps").as_deref() == Some("true");
        // sinceTime reaches the kubelet as RFC 3339 to the second: lines from the start of
        // that second on come back, so a client resuming a stream sees some lines again.
        let since_time = q
            .get("sinceTime")
            .and_then(|v| v.parse::<jiff::Timestamp>().ok());
        let since = q
            .get("sinceSeconds")
            .and_then(|v| v.parse::<i64>().ok())
            .map(|s| jiff::Timestamp::now() - jiff::SignedDuration::from_secs(s))
            .or_else(|| {
                since_time.and_then(|t| {
                    t.round(
                        jiff::TimestampRound::new()
                            .smallest(jiff::Unit::Second)
                            .mode(jiff::RoundMode::Trunc),
                    )
                    .ok()
                })
            });
        let tail: Option<usize> = q.get("tailLines").and_then(|v| v.parse().ok());
        drop(s);
        let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(256);
        let (state, mut changed, mut cut) = (
            self.state.clone(),
            self.changed.subscribe(),
            self.log_drops.subscribe(),
        );
        let (ns, pod_name) = (r.namespace.clone(), name);
        tokio::spawn(async move {
            let lines_from = |i: usize| {
                let s = state.lock().unwrap();
                // Only the new lines: a busy container's whole log is not copied per wake-up.
                let new = s
                    .logs
                    .get(&key)
                    .map(|all| all[i.min(all.len())..].to_vec())
                    .unwrap_or_default();
                let alive = s.get("pods", &ns, &pod_name).is_some();
                (new, alive)
            };
            let (first, _) = lines_from(0);
            let mut sent = first.len();
            let mut first: Vec<_> = first
                .into_iter()
                .filter(|(at, _)| since.is_none_or(|s| *at >= s))
                .collect();
            if let Some(t) = tail {
                first = first.split_off(first.len().saturating_sub(t));
            }
            let fmt = |(at, text): (jiff::Timestamp, String)| {
                let l = if stamps {
                    format!("{at} {text}\n")
                } else {
                    format!("{text}\n")
                };
                Ok(Frame::data(Bytes::from(l)))
            };
            for l in first {
                if tx.send(fmt(l)).await.is_err() {
                    return;
                }
            }
            if !follow {
                return;
            }
            cut.mark_unchanged();
            loop {
                tokio::select! {
                    c = changed.changed() => if c.is_err() { return },
                    _ = cut.changed() => return,
                }
                let (more, alive) = lines_from(sent);
                sent += more.len();
                for l in more {
                    if tx.send(fmt(l)).await.is_err() {
                        return;
                    }
                    state.lock().unwrap().log_lines_sent += 1;
                }
                if !alive {
                    return;
                }
            }
        });
        stream_response(rx)
    }
}
