//! What a recording holds, gathered in one pass for `sitrep drill new`: every signal's
//! samples, the deployments and pods as they changed, the GPUs, the alerts as they fired
//! and resolved, the kill switches, and the original responder's actions and notes.
//! Log lines are not kept here (a day of them would not fit in memory); they are counted
//! by pattern in a second pass once the incident's phases are known ([`super::logs`]).

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::event::{
    Action, ActionOutcome, AlertState, AlertStatus, DeploymentStatus, GpuStatus, KillSwitchStatus,
    Observation, SignalDef,
};
use crate::journal::{Entry, Kind};
use crate::recording::{Reader, Record, RecordingError};

/// A world-changing action of the original responder, as its executor reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Act {
    pub at: Timestamp,
    pub action: Action,
    pub ok: bool,
}

/// Everything gathered from one recording.
#[derive(Debug, Default)]
pub struct Seen {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// Signal definitions in the order first announced (the latest definition of each).
    pub defs: Vec<SignalDef>,
    /// Every value of each signal, in time order.
    pub samples: BTreeMap<String, Vec<(Timestamp, f64)>>,
    /// Deployments in the order first seen, with every status reported.
    pub deployments: Vec<(String, Vec<(Timestamp, DeploymentStatus)>)>,
    /// Nodes each workload's pods ran on.
    pub nodes: BTreeMap<String, Vec<String>>,
    /// How many pods of each workload were crash-looping, whenever that changed.
    pub crashing: BTreeMap<String, Vec<(Timestamp, u32)>>,
    /// Why pods of each workload died, by count.
    pub crash_reasons: BTreeMap<String, BTreeMap<String, u32>>,
    /// Each pod's workload, for the log lines.
    pub pod_workload: BTreeMap<String, String>,
    /// Every GPU reading, by `host/index`.
    pub gpus: BTreeMap<(String, u32), Vec<(Timestamp, GpuStatus)>>,
    /// Each alert transition (firing, resolved), in order.
    pub alerts: Vec<(Timestamp, AlertStatus)>,
    /// Kill switches as first seen.
    pub kill_switches: Vec<KillSwitchStatus>,
    /// The responder's world-changing actions.
    pub acts: Vec<Act>,
    /// Journal entries written by people (notes, acks, commands), in order.
    pub entries: Vec<Entry>,
    /// Commands confirmed, for recordings whose outcomes are missing.
    commands: Vec<(Timestamp, Action)>,
    pods: BTreeMap<String, crate::event::PodStatus>,
}

/// Whether an action changes the world in a way a drill can replay as a remedy.
pub fn is_remedy(a: &Action) -> bool {
    matches!(
        a,
        Action::Rollback { .. }
            | Action::Restart { .. }
            | Action::Scale { .. }
            | Action::KillSwitch { .. }
    )
}

impl Seen {
    /// Reads every record of `reader`.
    pub fn read(reader: &mut Reader) -> Result<Seen, RecordingError> {
        let mut seen = Seen::default();
        let mut cursor = reader.cursor();
        while let Some(r) = reader.next(&mut cursor)? {
            seen.add(r);
        }
        if seen.acts.is_empty() {
            // A recording without outcomes still says what was confirmed.
            seen.acts = std::mem::take(&mut seen.commands)
                .into_iter()
                .filter(|(_, a)| is_remedy(a))
                .map(|(at, action)| Act {
                    at,
                    action,
                    ok: true,
                })
                .collect();
        }
        Ok(seen)
    }

    fn add(&mut self, r: Record) {
        let at = r.at();
        if matches!(r, Record::Observed { .. } | Record::Tick { .. }) {
            self.start = Some(self.start.map_or(at, |s| s.min(at)));
            self.end = Some(self.end.map_or(at, |e| e.max(at)));
        }
        match r {
            Record::Observed { at, obs } => self.observe(at, obs),
            Record::Command { at, action } => self.commands.push((at, action)),
            Record::Outcome { at, report } if is_remedy(&report.action) => self.acts.push(Act {
                at,
                action: report.action,
                ok: report.outcome == ActionOutcome::Ok,
            }),
            Record::Journal { line, .. } => {
                if let Some(e) = crate::recording::format::operator_entry(&line)
                    && matches!(
                        e.kind,
                        Kind::Note
                            | Kind::Ack
                            | Kind::Command
                            | Kind::KillSwitch
                            | Kind::Rollback
                            | Kind::StepTicked
                    )
                {
                    self.entries.push(e);
                }
            }
            _ => {}
        }
    }

    fn observe(&mut self, at: Timestamp, obs: Observation) {
        match obs {
            Observation::SignalDefined(def) => {
                match self.defs.iter_mut().find(|d| d.name == def.name) {
                    Some(d) => *d = def,
                    None => self.defs.push(def),
                }
            }
            Observation::Signal {
                name,
                value: Some(v),
            } if v.is_finite() => self.samples.entry(name).or_default().push((at, v)),
            Observation::SignalSeries { name, points, .. } => {
                let s = self.samples.entry(name).or_default();
                for (t, v) in points {
                    if v.is_finite() && s.last().is_none_or(|(last, _)| t > *last) {
                        s.push((t, v));
                    }
                }
            }
            Observation::Deployment(d) => {
                match self.deployments.iter_mut().find(|(n, _)| *n == d.name) {
                    Some((_, list)) => list.push((at, d)),
                    None => self.deployments.push((d.name.clone(), vec![(at, d)])),
                }
            }
            Observation::Pod(p) => {
                let nodes = self.nodes.entry(p.workload.clone()).or_default();
                if !p.node.is_empty() && !nodes.contains(&p.node) {
                    nodes.push(p.node.clone());
                }
                self.pod_workload.insert(p.name.clone(), p.workload.clone());
                let reason = p
                    .last_termination
                    .as_ref()
                    .map(|(r, _)| r.clone())
                    .or_else(|| p.reason.clone().filter(|r| crashing_reason(r)));
                let newly = p.restarts
                    > self
                        .pods
                        .get(&p.name)
                        .map_or(0, |old: &crate::event::PodStatus| old.restarts);
                if let Some(r) = reason.filter(|_| newly) {
                    *self
                        .crash_reasons
                        .entry(p.workload.clone())
                        .or_default()
                        .entry(r)
                        .or_default() += 1;
                }
                let workload = p.workload.clone();
                let now = is_crashing(&p);
                let before = self.pods.insert(p.name.clone(), p).map(|o| is_crashing(&o));
                self.count_crashing(at, &workload, before.unwrap_or(false), now);
            }
            Observation::PodGone { name, .. } => {
                if let Some(p) = self.pods.remove(&name) {
                    self.count_crashing(at, &p.workload, is_crashing(&p), false);
                }
            }
            Observation::Gpu(g) => self.gpu(at, g),
            Observation::GpuList(list) => {
                for g in list {
                    self.gpu(at, g);
                }
            }
            Observation::Alert(a) => {
                let last = self.alerts.iter().rev().find(|(_, x)| x.name == a.name);
                if last.is_none_or(|(_, x)| x.state != a.state) {
                    self.alerts.push((at, a));
                }
            }
            Observation::KillSwitch(k) if !self.kill_switches.iter().any(|x| x.name == k.name) => {
                self.kill_switches.push(k);
            }
            _ => {}
        }
    }

    fn gpu(&mut self, at: Timestamp, g: GpuStatus) {
        let list = self.gpus.entry((g.host.clone(), g.index)).or_default();
        // A reading every few seconds is plenty for baselines and peaks, and keeps a day
        // of a big fleet in memory.
        let recent = list
            .last()
            .is_some_and(|(t, last)| at.duration_since(*t) < GPU_EVERY && last.xid == g.xid);
        if !recent {
            list.push((at, g));
        }
    }

    /// One pod of `workload` went from crashing `before` to crashing `now`.
    fn count_crashing(&mut self, at: Timestamp, workload: &str, before: bool, now: bool) {
        let list = self.crashing.entry(workload.to_string()).or_default();
        let last = list.last().map_or(0, |(_, n)| *n);
        let n = (last + u32::from(now)).saturating_sub(u32::from(before));
        if list.last().is_none_or(|(_, last)| *last != n) {
            list.push((at, n));
        }
    }

    /// When the first alert fired.
    pub fn first_firing(&self) -> Option<Timestamp> {
        self.alerts
            .iter()
            .find(|(_, a)| a.state == AlertState::Firing)
            .map(|(t, _)| *t)
    }

    /// When the last alert resolved with none firing after it: the incident mitigated.
    pub fn mitigated(&self) -> Option<Timestamp> {
        let mut firing: BTreeMap<&str, bool> = BTreeMap::new();
        let mut at = None;
        for (t, a) in &self.alerts {
            firing.insert(&a.name, a.state == AlertState::Firing);
            at = if firing.values().any(|f| *f) {
                None
            } else {
                Some(*t)
            };
        }
        at.filter(|_| self.first_firing().is_some())
    }

    /// The status of a deployment at `t` (the latest reported then, else its first).
    pub fn deployment_at(&self, name: &str, t: Timestamp) -> Option<&DeploymentStatus> {
        let (_, list) = self.deployments.iter().find(|(n, _)| n == name)?;
        list.iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .or(list.first())
            .map(|(_, d)| d)
    }
}

/// Readings of one GPU kept at most this often.
const GPU_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

/// Whether a pod is down with a reason that means its container keeps dying.
fn is_crashing(p: &crate::event::PodStatus) -> bool {
    !p.ready && p.reason.as_deref().is_some_and(crashing_reason)
}

/// A pod reason that means its container keeps dying.
fn crashing_reason(r: &str) -> bool {
    matches!(
        r,
        "CrashLoopBackOff" | "Error" | "OOMKilled" | "ImagePullBackOff" | "ErrImagePull"
    )
}
