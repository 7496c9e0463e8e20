//! A multi-pod log tail, like stern: every container of every pod of the selected workload,
//! pods joining and leaving by themselves, timestamps from the API so lines merge in order,
//! and the previous container's last lines for a pod that crashed.
//!
//! Lines never queue without bound: they go to the cockpit with `try_send`, and when the
//! channel is full they are counted and the count is reported instead.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle, JoinSet};

use super::kube_convert::workload_of;
use crate::app::LogTarget;
use crate::event::{Event, LogLine, Observation};

/// Lines of a crashed container's previous run shown when its pod joins the tail.
const PREVIOUS_LINES: i64 = 100;

/// Starts the tailer; send it what to tail. It ends when the target channel closes.
pub fn spawn(
    client: Client,
    since_seconds: i64,
    tx: mpsc::Sender<Event>,
) -> (mpsc::Sender<LogTarget>, JoinHandle<()>) {
    let (targets, mut rx) = mpsc::channel::<LogTarget>(4);
    let task = tokio::spawn(async move {
        let mut current: Option<JoinHandle<()>> = None;
        while let Some(mut target) = rx.recv().await {
            // Only the newest selection matters.
            while let Ok(newer) = rx.try_recv() {
                target = newer;
            }
            if let Some(t) = current.take() {
                t.abort();
            }
            let tail = tail(client.clone(), target, since_seconds, tx.clone());
            current = Some(tokio::spawn(tail));
        }
        if let Some(t) = current {
            t.abort();
        }
    });
    (targets, task)
}

/// Splits `2026-11-22T18:57:02.5Z text` into its timestamp and text.
pub fn parse_line(line: &str) -> Option<(Timestamp, &str)> {
    let (ts, text) = line.split_once(' ').unwrap_or((line, ""));
    Some((ts.parse().ok()?, text))
}

/// Tails one target until aborted.
async fn tail(client: Client, target: LogTarget, since_seconds: i64, tx: mpsc::Sender<Event>) {
    let pods: Api<Pod> = Api::namespaced(client, &target.namespace);
    let dropped = Arc::new(AtomicU64::new(0));
    let mut streams: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<(String, String), AbortHandle> = HashMap::new();
    let mut last_seen: HashMap<(String, String), Arc<std::sync::Mutex<Option<Timestamp>>>> =
        HashMap::new();
    let events = watcher(pods.clone(), watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut events = events.fuse();
    let mut report = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            ev = events.next() => {
                let Some(ev) = ev else { return };
                let (pod, gone) = match ev {
                    Ok(watcher::Event::Apply(p) | watcher::Event::InitApply(p)) => (p, false),
                    Ok(watcher::Event::Delete(p)) => (p, true),
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!("log tail pod watch: {e}");
                        continue;
                    }
                };
                if workload_of(&pod) != target.workload
                    || target.pod.as_ref().is_some_and(|p| *p != pod.name_any())
                {
                    continue;
                }
                let name = pod.name_any();
                if gone {
                    running.retain(|(p, _), h| {
                        if *p == name {
                            h.abort();
                        }
                        *p != name
                    });
                    last_seen.retain(|(p, _), _| *p != name);
                    continue;
                }
                for (container, restarts, crashed, live) in containers(&pod) {
                    let key = (name.clone(), container.clone());
                    if running.get(&key).is_some_and(|h| !h.is_finished()) || !live && !crashed {
                        continue;
                    }
                    let seen = last_seen.entry(key.clone()).or_default().clone();
                    running.insert(key, streams.spawn(stream(
                        pods.clone(),
                        name.clone(),
                        container,
                        since_seconds,
                        restarts > 0 && crashed,
                        live,
                        seen,
                        tx.clone(),
                        dropped.clone(),
                    )));
                }
            }
            Some(_) = streams.join_next(), if !streams.is_empty() => {}
            _ = report.tick() => {
                let n = dropped.swap(0, Ordering::Relaxed);
                if n > 0 {
                    let obs = Observation::LogsDropped(n);
                    if tx.send(Event::Observed(Timestamp::now(), obs)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Each container: name, restarts, whether it is waiting after a crash, whether it runs.
fn containers(pod: &Pod) -> Vec<(String, i32, bool, bool)> {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    statuses
        .into_iter()
        .map(|c| {
            let state = c.state.unwrap_or_default();
            let live = state.running.is_some() || state.terminated.is_some();
            let crashed = state.waiting.is_some() && c.restart_count > 0;
            (c.name, c.restart_count, crashed, live)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn stream(
    pods: Api<Pod>,
    pod: String,
    container: String,
    since_seconds: i64,
    previous: bool,
    follow: bool,
    seen: Arc<std::sync::Mutex<Option<Timestamp>>>,
    tx: mpsc::Sender<Event>,
    dropped: Arc<AtomicU64>,
) {
    let deliver = |at: Timestamp, text: &str| {
        let line = LogLine {
            at,
            pod: pod.clone(),
            container: container.clone(),
            text: text.to_string(),
        };
        if tx
            .try_send(Event::Observed(at, Observation::Log(line)))
            .is_err()
        {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    };
    if previous {
        let lp = LogParams {
            container: Some(container.clone()),
            previous: true,
            timestamps: true,
            tail_lines: Some(PREVIOUS_LINES),
            ..LogParams::default()
        };
        if let Ok(text) = pods.logs(&pod, &lp).await {
            for (at, line) in text.lines().filter_map(parse_line) {
                deliver(at, &format!("[previous] {line}"));
            }
        }
    }
    if !follow {
        return;
    }
    // A container that restarts is resumed after the last line already shown.
    let since_time = seen.lock().ok().and_then(|s| *s);
    let lp = LogParams {
        container: Some(container.clone()),
        follow: true,
        timestamps: true,
        since_seconds: since_time.is_none().then_some(since_seconds),
        since_time,
        ..LogParams::default()
    };
    let Ok(reader) = pods.log_stream(&pod, &lp).await else {
        return;
    };
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.try_next().await {
        let Some((at, text)) = parse_line(&line) else {
            continue;
        };
        if since_time.is_some_and(|s| at <= s) {
            continue;
        }
        if let Ok(mut s) = seen.lock() {
            *s = Some(at);
        }
        deliver(at, text);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_timestamps_are_split_off() {
        let (at, text) = parse_line("2026-11-22T18:57:02.5Z WARN slow request").unwrap();
        assert_eq!(at.to_string(), "2026-11-22T18:57:02.5Z");
        assert_eq!(text, "WARN slow request");
        assert!(parse_line("no timestamp here").is_none());
    }
}
