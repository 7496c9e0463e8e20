//! Keyframes: the state of everything recorded so far, as the few records that rebuild it.
//!
//! A keyframe lets a reader seek without reading every record before the seek point: it
//! replays the last keyframe before the target, then the blocks from there. The fold keeps,
//! for every object the panes show (a deployment, a pod, a GPU, an alert, a health probe, a
//! kill switch…), the record that first announced it and the latest one, so the panes list
//! objects in the order they first came and show their current state; a signal keeps its
//! sparkline's points; the logs keep their last lines. Records are emitted in time order,
//! so clocks the cockpit derives from arrival ("changed at", "resolved at") stay close.

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;

use super::format::Record;
use crate::app::state::SIGNAL_HISTORY;
use crate::event::Observation;

/// Log lines a keyframe carries: enough to fill the logs pane after a seek.
pub const KEYFRAME_LOG_LINES: usize = 1000;
/// Journal entries a keyframe carries, for the original responder's ghost markers.
pub const KEYFRAME_JOURNAL: usize = 500;

/// The first and latest record about one object.
#[derive(Debug, Clone)]
struct Kept {
    first: Record,
    last: Option<Record>,
}

impl Kept {
    fn new(r: Record) -> Kept {
        Kept {
            first: r,
            last: None,
        }
    }

    fn update(&mut self, r: Record) {
        self.last = Some(r);
    }

    fn records(&self) -> impl Iterator<Item = &Record> {
        std::iter::once(&self.first).chain(self.last.iter())
    }
}

/// One signal's definition and sparkline.
#[derive(Debug, Clone, Default)]
struct SignalFold {
    def: Option<Kept>,
    /// Points as the cockpit keeps them: at the cockpit's clock when each value came.
    history: VecDeque<(Timestamp, f64)>,
    /// The last value, and when it came.
    value: Option<(Timestamp, Option<f64>)>,
    /// The history comes from range queries.
    series_fed: bool,
    slo: Option<Record>,
    /// The query that last matched no series, and when (cleared by the next value).
    no_data: Option<(Timestamp, String)>,
}

/// The state so far, folded from records.
#[derive(Debug, Clone, Default)]
pub struct StateFold {
    now: Option<Timestamp>,
    signals: Vec<(String, SignalFold)>,
    objects: BTreeMap<(u8, String), Kept>,
    singles: BTreeMap<u8, Record>,
    logs: VecDeque<Record>,
    /// Lines in `logs`: a record may be a batch of thousands.
    log_lines: usize,
    logs_dropped: u64,
    journal: VecDeque<Record>,
}

/// Lines (or gap markers) a log record carries.
fn lines_of(obs: &Observation) -> usize {
    match obs {
        Observation::Logs(lines) => lines.len(),
        Observation::LogGaps(gaps) => gaps.len(),
        Observation::LogHistory(page) => page.lines.len(),
        _ => 1,
    }
}

impl StateFold {
    /// A fold of nothing.
    pub fn new() -> StateFold {
        StateFold::default()
    }

    /// The latest time seen.
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }

    fn signal(&mut self, name: &str) -> &mut SignalFold {
        let i = match self.signals.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.signals.push((name.to_string(), SignalFold::default()));
                self.signals.len() - 1
            }
        };
        &mut self.signals[i].1
    }

    fn keep(&mut self, kind: u8, key: String, r: &Record) {
        match self.objects.get_mut(&(kind, key.clone())) {
            Some(k) => k.update(r.clone()),
            None => {
                self.objects.insert((kind, key), Kept::new(r.clone()));
            }
        }
    }

    /// Folds one record in.
    pub fn apply(&mut self, r: &Record) {
        let at = r.at();
        if matches!(r, Record::Observed { .. } | Record::Tick { .. }) {
            self.now = Some(self.now.map_or(at, |n| n.max(at)));
        }
        let now = self.now.unwrap_or(at);
        match r {
            Record::Observed { obs, .. } => match obs {
                Observation::SignalDefined(def) => {
                    let s = self.signal(&def.name);
                    match &mut s.def {
                        Some(k) => k.update(r.clone()),
                        None => s.def = Some(Kept::new(r.clone())),
                    }
                }
                Observation::Signal { name, value } => {
                    let s = self.signal(name);
                    if s.def.is_none() {
                        return;
                    }
                    s.value = Some((now, *value));
                    s.no_data = None;
                    if let Some(v) = value
                        && !s.series_fed
                    {
                        push(&mut s.history, now, *v);
                    }
                }
                Observation::SignalNoData { name, query } => {
                    let s = self.signal(name);
                    if s.def.is_none() {
                        return;
                    }
                    s.no_data = Some((now, query.clone()));
                }
                Observation::SignalSeries {
                    name,
                    points,
                    reset,
                } => {
                    let s = self.signal(name);
                    if s.def.is_none() {
                        return;
                    }
                    s.series_fed = true;
                    if *reset {
                        s.history.clear();
                    }
                    for (t, v) in points {
                        if s.history.back().is_none_or(|(last, _)| t > last) {
                            push(&mut s.history, *t, *v);
                        }
                    }
                }
                Observation::Slo(slo) => {
                    let s = self.signal(&slo.name);
                    s.slo = Some(r.clone());
                }
                Observation::Deployment(d) => {
                    self.keep(1, format!("{}/{}", d.namespace, d.name), r)
                }
                // Pods are kept by namespace and name: two namespaces may reuse a name.
                Observation::Pod(p) => self.keep(2, format!("{}/{}", p.namespace, p.name), r),
                Observation::PodGone { namespace, name } => {
                    self.objects.remove(&(2, format!("{namespace}/{name}")));
                }
                Observation::Gpu(g) => self.keep(3, format!("{}/{}", g.host, g.index), r),
                Observation::GpuList(_) => {
                    self.objects.retain(|(k, _), _| *k != 3);
                    self.singles.insert(3, r.clone());
                }
                Observation::NodeGpus { node, .. } => self.keep(4, node.clone(), r),
                Observation::Alert(a) => self.keep(5, a.name.clone(), r),
                Observation::Health(h) => self.keep(6, h.name.clone(), r),
                Observation::KillSwitch(k) => self.keep(7, k.name.clone(), r),
                Observation::SourceError { source, .. } => self.keep(8, source.clone(), r),
                Observation::SourceRecovered { source } => {
                    self.objects.remove(&(8, source.clone()));
                }
                Observation::Silences(_) => {
                    self.singles.insert(1, r.clone());
                }
                Observation::ClockPaused(_) => {
                    self.singles.insert(2, r.clone());
                }
                Observation::DeploymentGone { namespace, name } => {
                    self.objects.remove(&(1, format!("{namespace}/{name}")));
                }
                Observation::Rollout(ro) => {
                    self.keep(20, format!("{}/{}", ro.namespace, ro.name), r)
                }
                Observation::RolloutGone { namespace, name } => {
                    self.objects.remove(&(20, format!("{namespace}/{name}")));
                }
                Observation::LogTail { .. } => {
                    self.singles.insert(4, r.clone());
                }
                Observation::LogSource(_) => {
                    self.singles.insert(5, r.clone());
                }
                // A batch of lines or gap markers is kept as it came, like a single line.
                Observation::Log(_)
                | Observation::Logs(_)
                | Observation::LogGaps(_)
                | Observation::LogHistory(_) => {
                    // Bounded by lines, not records: 1,000 batches of a busy tail would be
                    // a hundred thousand lines held for a seek that shows a thousand.
                    self.log_lines += lines_of(obs);
                    self.logs.push_back(r.clone());
                    while self.log_lines > KEYFRAME_LOG_LINES && self.logs.len() > 1 {
                        if let Some(Record::Observed { obs, .. }) = self.logs.pop_front() {
                            self.log_lines -= lines_of(&obs);
                        }
                    }
                }
                Observation::LogsDropped(n) => self.logs_dropped += n,
                Observation::Forbidden(f) => {
                    self.keep(9, format!("{}/{}", f.resource, f.namespace), r)
                }
                Observation::Allowed {
                    resource,
                    namespace,
                } => {
                    self.objects.remove(&(9, format!("{resource}/{namespace}")));
                }
                Observation::Access(_) => {
                    self.singles.insert(5, r.clone());
                }
                // Whole lists: the last one is the state. Of events, the last batch is kept
                // (a seek shows events from there on).
                Observation::Nodes(_) => {
                    self.singles.insert(10, r.clone());
                }
                Observation::Hpas(_) => {
                    self.singles.insert(11, r.clone());
                }
                Observation::Drain(_) => {
                    self.singles.insert(12, r.clone());
                }
                Observation::Batch(_) => {
                    self.singles.insert(14, r.clone());
                }
                Observation::Usage(_) => {
                    self.singles.insert(15, r.clone());
                }
                Observation::KubeEvents(_) | Observation::KubeEventsGone(_) => {
                    self.singles.insert(13, r.clone());
                }
            },
            Record::Journal { .. } => {
                if self.journal.len() == KEYFRAME_JOURNAL {
                    self.journal.pop_front();
                }
                self.journal.push_back(r.clone());
            }
            // The tail's latest target: the logs pane's title after a seek.
            Record::Tail { .. } => {
                self.singles.insert(5, r.clone());
            }
            Record::Tick { .. }
            | Record::Command { .. }
            | Record::Preview { .. }
            | Record::Outcome { .. }
            | Record::Notice { .. } => {}
        }
    }

    /// The records that rebuild this state, in time order, ending with a tick at the
    /// latest time seen. Empty when nothing was folded.
    pub fn snapshot(&self) -> Vec<Record> {
        let Some(now) = self.now else {
            return self.journal.iter().cloned().collect();
        };
        let mut out: Vec<Record> = Vec::new();
        for (name, s) in &self.signals {
            let Some(def) = &s.def else { continue };
            out.extend(def.records().cloned());
            if s.series_fed {
                let at = s.value.map_or(now, |(t, _)| t);
                out.push(Record::Observed {
                    at,
                    obs: Observation::SignalSeries {
                        name: name.clone(),
                        points: s.history.iter().copied().collect(),
                        reset: true,
                    },
                });
                if let Some((t, v)) = s.value {
                    out.push(Record::Observed {
                        at: t,
                        obs: Observation::Signal {
                            name: name.clone(),
                            value: v,
                        },
                    });
                }
            } else {
                // Each point comes back as the value it was, at the time it came.
                for (t, v) in &s.history {
                    out.push(Record::Observed {
                        at: *t,
                        obs: Observation::Signal {
                            name: name.clone(),
                            value: Some(*v),
                        },
                    });
                }
                if let Some((t, None)) = s.value {
                    out.push(Record::Observed {
                        at: t,
                        obs: Observation::Signal {
                            name: name.clone(),
                            value: None,
                        },
                    });
                }
            }
            if let Some((t, query)) = &s.no_data {
                out.push(Record::Observed {
                    at: *t,
                    obs: Observation::SignalNoData {
                        name: name.clone(),
                        query: query.clone(),
                    },
                });
            }
            out.extend(s.slo.iter().cloned());
        }
        for k in self.objects.values() {
            out.extend(k.records().cloned());
        }
        out.extend(self.singles.values().cloned());
        out.extend(self.logs.iter().cloned());
        if self.logs_dropped > 0 {
            out.push(Record::Observed {
                at: now,
                obs: Observation::LogsDropped(self.logs_dropped),
            });
        }
        out.extend(self.journal.iter().cloned());
        // Stable: records of one time keep the order above (a definition before its values).
        out.sort_by_key(Record::at);
        out.push(Record::Tick { at: now });
        out
    }
}

fn push(h: &mut VecDeque<(Timestamp, f64)>, at: Timestamp, v: f64) {
    if h.len() == SIGNAL_HISTORY {
        h.pop_front();
    }
    h.push_back((at, v));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::{LogLine, SignalDef};

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + s).unwrap()
    }

    #[test]
    fn a_snapshot_is_bounded_and_ends_at_the_latest_time() {
        let mut f = StateFold::new();
        f.apply(&Record::Observed {
            at: t(0),
            obs: Observation::SignalDefined(SignalDef {
                name: "5xx".into(),
                ..Default::default()
            }),
        });
        for i in 0..5000 {
            f.apply(&Record::Observed {
                at: t(i),
                obs: Observation::Signal {
                    name: "5xx".into(),
                    value: Some(i as f64),
                },
            });
            f.apply(&Record::Observed {
                at: t(i),
                obs: Observation::Log(LogLine {
                    at: t(i),
                    pod: "p".into(),
                    container: "c".into(),
                    text: format!("line {i}"),
                }),
            });
        }
        let snap = f.snapshot();
        let signals = snap
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Record::Observed {
                        obs: Observation::Signal { .. },
                        ..
                    }
                )
            })
            .count();
        let logs = snap
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Record::Observed {
                        obs: Observation::Log(_),
                        ..
                    }
                )
            })
            .count();
        assert_eq!(signals, SIGNAL_HISTORY);
        assert_eq!(logs, KEYFRAME_LOG_LINES);
        assert_eq!(snap.last(), Some(&Record::Tick { at: t(4999) }));
        assert!(
            snap.windows(2).all(|w| w[0].at() <= w[1].at()),
            "time order"
        );
    }

    #[test]
    fn the_latest_tail_target_is_kept() {
        let mut f = StateFold::new();
        let tail = |workload: &str, at: i64| Record::Tail {
            at: t(at),
            tail: crate::recording::format::TailInfo {
                namespace: "ns".into(),
                workload: workload.into(),
                pod: None,
                pods: vec!["p".into()],
                total: 1,
                why: None,
                by_operator: false,
            },
        };
        f.apply(&Record::Tick { at: t(0) });
        f.apply(&tail("a", 1));
        f.apply(&tail("b", 2));
        let tails: Vec<Record> = f
            .snapshot()
            .into_iter()
            .filter(|r| matches!(r, Record::Tail { .. }))
            .collect();
        assert_eq!(tails, vec![tail("b", 2)]);
    }

    #[test]
    fn gone_pods_leave_the_snapshot() {
        let mut f = StateFold::new();
        let pod = |name: &str| crate::event::PodStatus {
            namespace: "ns".into(),
            name: name.into(),
            workload: "w".into(),
            revision: 1,
            phase: "Running".into(),
            reason: None,
            ready: true,
            restarts: 0,
            last_termination: None,
            node: "n".into(),
            created: t(0),
        };
        f.apply(&Record::Observed {
            at: t(1),
            obs: Observation::Pod(pod("a")),
        });
        f.apply(&Record::Observed {
            at: t(2),
            obs: Observation::Pod(pod("b")),
        });
        f.apply(&Record::Observed {
            at: t(3),
            obs: Observation::PodGone {
                namespace: "ns".into(),
                name: "a".into(),
            },
        });
        let pods: Vec<String> = f
            .snapshot()
            .iter()
            .filter_map(|r| match r {
                Record::Observed {
                    obs: Observation::Pod(p),
                    ..
                } => Some(p.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(pods, vec!["b".to_string()]);
    }
}
