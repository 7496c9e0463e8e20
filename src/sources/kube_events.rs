//! Kubernetes events (events.k8s.io/v1): a watch per namespace, and one across namespaces for
//! events about nodes (those live in `default`), sent in batches so 20,000 events on start
//! cost forty observations, not 20,000.

use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::events::v1::Event as KEvent;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;

use crate::cluster::KubeEvent;
use crate::event::{Event, Observation};

/// Events sent together at most.
const BATCH: usize = 500;
/// How long an event waits to be sent with others.
const FLUSH: Duration = Duration::from_millis(250);

/// The cockpit's view of one event object.
pub fn event_of(e: &KEvent) -> Option<KubeEvent> {
    let regarding = e.regarding.as_ref()?;
    let created = e.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let event_time = e.event_time.as_ref().map(|t| t.0);
    let first = e
        .deprecated_first_timestamp
        .as_ref()
        .map(|t| t.0)
        .or(event_time)
        .or(created)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let last = e
        .series
        .as_ref()
        .map(|s| s.last_observed_time.0)
        .or(e.deprecated_last_timestamp.as_ref().map(|t| t.0))
        .or(event_time)
        .or(created)
        .unwrap_or(first);
    let count = e
        .series
        .as_ref()
        .map(|s| s.count)
        .or(e.deprecated_count)
        .unwrap_or(1)
        .max(1);
    let source = e
        .reporting_controller
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| e.deprecated_source.as_ref()?.component.clone())
        .unwrap_or_default();
    Some(KubeEvent {
        uid: e.metadata.uid.clone().unwrap_or_else(|| e.name_any()),
        namespace: e.namespace().unwrap_or_default(),
        kind: regarding.kind.clone().unwrap_or_default(),
        name: regarding.name.clone().unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
        note: e.note.clone().unwrap_or_default(),
        warning: e.type_.as_deref() == Some("Warning"),
        count: u32::try_from(count).unwrap_or(1),
        first,
        last: last.max(first),
        source,
    })
}

/// Watches events in `namespace` ("" for all) with an optional field selector.
pub async fn watch(
    client: Client,
    namespace: String,
    fields: Option<String>,
    tx: mpsc::Sender<Event>,
) {
    let api: Api<KEvent> = if namespace.is_empty() {
        Api::all(client)
    } else {
        Api::namespaced(client, &namespace)
    };
    let mut wc = watcher::Config::default().page_size(500);
    if let Some(f) = &fields {
        wc = wc.fields(f);
    }
    let source = if namespace.is_empty() {
        "kubernetes node events".to_string()
    } else {
        format!("kubernetes events {namespace}")
    };
    let stream = watcher(api, wc).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut batch: Vec<KubeEvent> = Vec::new();
    let mut gone: Vec<String> = Vec::new();
    let mut failing = false;
    let mut tick = tokio::time::interval(FLUSH);
    loop {
        let flush = tokio::select! {
            ev = stream.next() => {
                let Some(ev) = ev else { break };
                match ev {
                    Ok(watcher::Event::Apply(e) | watcher::Event::InitApply(e)) => {
                        batch.extend(event_of(&e));
                    }
                    Ok(watcher::Event::Delete(e)) => {
                        gone.push(e.metadata.uid.clone().unwrap_or_else(|| e.name_any()));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        failing = true;
                        let obs = Observation::SourceError { source: source.clone(), error: e.to_string() };
                        if tx.send(Event::Observed(Timestamp::now(), obs)).await.is_err() {
                            return;
                        }
                        continue;
                    }
                }
                if failing {
                    failing = false;
                    let obs = Observation::SourceRecovered { source: source.clone() };
                    if tx.send(Event::Observed(Timestamp::now(), obs)).await.is_err() {
                        return;
                    }
                }
                batch.len() >= BATCH
            }
            _ = tick.tick() => true,
        };
        if flush {
            if !batch.is_empty() {
                let obs = Observation::KubeEvents(std::mem::take(&mut batch));
                if tx
                    .send(Event::Observed(Timestamp::now(), obs))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if !gone.is_empty() {
                let obs = Observation::KubeEventsGone(std::mem::take(&mut gone));
                if tx
                    .send(Event::Observed(Timestamp::now(), obs))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}
