//! One log request of a container: read to its end, skipping what was shown, and say how
//! long it was down once it connects again.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;

use crate::event::{LogGap, LogLine};

use super::pending::{Pending, ReadTo, Resume, parse_line};
use super::{Key, Mark};

/// `sinceTime` goes out to the second and the client rounds; floor it, so the second of the
/// last line read is asked for whole and nothing after it is skipped.
pub(super) fn floor_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// One log request of a container.
pub(super) struct Stream {
    pub(super) api: Api<Pod>,
    pub(super) key: Key,
    pub(super) lp: LogParams,
    /// Where the lines already shown end.
    pub(super) from: ReadTo,
    pub(super) mark: Arc<Mutex<Mark>>,
    pub(super) pending: Arc<Mutex<Pending>>,
    /// The previous run's lines, read once (they do not move the mark).
    pub(super) previous: bool,
    /// What to call the gap, if the stream was down: `reconnected`, `container restarted`.
    pub(super) why: &'static str,
}

impl Stream {
    /// Reads the request to its end, skipping what was shown already; once connected, tells
    /// the gap since the stream went down.
    pub(super) async fn run(self) -> (Key, bool) {
        let (pod, container) = self.key.clone();
        let reader = match self.api.log_stream(&pod, &self.lp).await {
            Ok(reader) => reader,
            Err(e) => {
                if let Some(f) = crate::sources::kube_forbidden::of_client(&e)
                    && let Ok(mut p) = self.pending.lock()
                {
                    if let Ok(mut m) = self.mark.lock() {
                        m.forbidden = true;
                    }
                    p.forbidden = Some(f);
                }
                return (self.key, self.previous);
            }
        };
        if let Ok(mut p) = self.pending.lock()
            && p.forbidden_said
        {
            p.forbidden_said = false;
            p.forbidden = None;
            let ns = self.api.namespace().unwrap_or_default().to_string();
            p.allowed = Some(ns);
        }
        if !self.previous
            && let Ok(mut m) = self.mark.lock()
            && let Some(since) = m.down_since.take()
            && let Ok(mut p) = self.pending.lock()
        {
            p.gaps.push(LogGap {
                pod: pod.clone(),
                container: container.clone(),
                from: since,
                to: Some(Timestamp::now()),
                why: self.why.into(),
            });
        }
        let mut resume = Resume::new(self.from);
        // Bounded: a container printing without newlines cannot fill memory.
        let mut lines = crate::text::BoundedLines::new(reader, crate::text::MAX_LOG_LINE);
        while let Ok(Some(line)) = lines.next_line().await {
            let Some((at, text)) = parse_line(&line) else {
                continue;
            };
            if resume.seen(at) {
                continue;
            }
            if !self.previous
                && let Ok(mut m) = self.mark.lock()
            {
                m.read.read(at);
            }
            let text = if self.previous {
                format!("[previous] {text}")
            } else {
                text.to_string()
            };
            let line = LogLine {
                at,
                pod: pod.clone(),
                container: container.clone(),
                text,
            };
            if let Ok(mut p) = self.pending.lock() {
                p.push(line);
            }
        }
        (self.key, self.previous)
    }
}
