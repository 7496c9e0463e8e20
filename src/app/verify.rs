//! "Did it work?": after a change goes through, the cockpit watches the signals tied to it
//! (or, without bad signals, the deployment's pods) for a while and journals a verdict.

use jiff::{SignedDuration, Timestamp};

use super::App;
use crate::event::{Action, Level};
use crate::journal::{Entry, Verdict};

/// A change being watched for its effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub action: Action,
    pub started: Timestamp,
    pub deadline: Timestamp,
    /// The deployment the change is about, if any, exactly.
    pub deployment: Option<super::state::WorkloadKey>,
    /// Its revision when the change went through: a rollback or restart is done when the
    /// revision has moved on and every replica is ready.
    pub revision: Option<u64>,
    /// Signals that were bad when the change went through, with their values then.
    pub bad_signals: Vec<(String, Option<f64>)>,
    /// Restarts of the deployment's pods then, and its ready/desired replicas.
    pub restarts: u32,
    pub ready: Option<(u32, u32)>,
}

/// How long to wait after a change before calling "recovered" from readiness alone, so the
/// controllers have had time to act on it.
const SETTLE: SignedDuration = SignedDuration::from_secs(10);

/// `T+2m10s`.
pub fn since(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match (s / 60, s % 60) {
        (0, s) => format!("T+{s}s"),
        (m, 0) => format!("T+{m}m"),
        (m, s) => format!("T+{m}m{s}s"),
    }
}

impl App {
    /// Starts watching a change that went through, in every mode: a trainee gets the same
    /// verdict an operator gets live.
    pub(super) fn start_verification(&mut self, action: &Action) {
        let period = self
            .config
            .kubernetes
            .as_ref()
            .map_or(300, |k| k.verify_seconds);
        let deployment = match action {
            Action::Rollback { .. } | Action::Restart { .. } | Action::Scale { .. } => {
                self.key_of(action).and_then(Result::ok)
            }
            Action::KillSwitch { name, .. } => self
                .config
                .kill_switches
                .iter()
                .find(|k| &k.name == name)
                .and_then(|k| {
                    let ns = k.namespace.clone().unwrap_or(self.pods.namespace.clone());
                    Some(super::state::WorkloadKey::new(ns, k.deployment.clone()?))
                }),
            Action::Cluster(_) => None,
            // The pod's workload: its replacement is watched there.
            Action::DeletePod { pod, place } => self.pods.owner_of(&place.namespace, pod),
            // Muting alerts and running commands change nothing to watch.
            Action::Shell { .. } | Action::Silence { .. } | Action::ExpireSilence { .. } => return,
        };
        let d = deployment.as_ref().and_then(|d| self.pods.deployment(d));
        let restarts = deployment
            .as_ref()
            .and_then(|d| self.pods.workloads.get(d))
            .map_or(0, |w| w.restarts());
        self.verifying = Some(Verification {
            action: action.clone(),
            started: self.now,
            deadline: self.now + SignedDuration::from_secs(i64::try_from(period).unwrap_or(300)),
            revision: d.map(|d| d.revision),
            ready: d.map(|d| (d.ready, d.replicas)),
            deployment,
            bad_signals: self
                .signals
                .iter()
                .filter(|s| s.level() >= Level::Warn)
                .map(|s| (s.def.name.clone(), s.value))
                .collect(),
            restarts,
        });
        self.verdict = None;
    }

    /// Judges the change being watched against the state now; journals the verdict once.
    pub(super) fn check_verification(&mut self) {
        let Some(v) = &self.verifying else { return };
        let elapsed = self.now.duration_since(v.started);
        let line = v.action.command_line();
        let (worked, verdict) = if let Some(evidence) = self.recovered(v, elapsed) {
            (
                true,
                format!("{line}: recovered at {} ({evidence})", since(elapsed)),
            )
        } else if self.now >= v.deadline {
            let mins = v.deadline.duration_since(v.started).as_secs() / 60;
            (
                false,
                format!("{line}: no effect after {mins}m{}", self.still_bad(v)),
            )
        } else {
            return;
        };
        self.verifying = None;
        self.verdict = Some(verdict.clone());
        self.flash(
            if worked { Level::Ok } else { Level::Warn },
            verdict.clone(),
        );
        // The journal's verdict token comes first, so exports can count what worked.
        let token = if worked {
            Verdict::Worked
        } else {
            Verdict::DidNotWork
        };
        self.record(Entry::verdict(self.now, "sitrep", token, &verdict));
    }

    fn unit_of(&self, name: &str) -> String {
        self.signals
            .iter()
            .find(|s| s.def.name == name)
            .map(|s| s.def.unit.clone())
            .unwrap_or_default()
    }

    /// The evidence of recovery, when there is some.
    fn recovered(&self, v: &Verification, elapsed: SignedDuration) -> Option<String> {
        if !v.bad_signals.is_empty() {
            let mut parts = Vec::new();
            for (name, before) in &v.bad_signals {
                let s = self.signals.iter().find(|s| &s.def.name == name)?;
                if s.value.is_none() || s.level() >= Level::Warn {
                    return None;
                }
                let unit = self.unit_of(name);
                let fmt = |x| crate::ui::format::value(x, &unit);
                parts.push(format!("{name} {} → {}", fmt(*before), fmt(s.value)));
            }
            return Some(parts.join(", "));
        }
        if let Action::Cluster(c) = &v.action {
            return self.cluster_settled(c);
        }
        if let Action::DeletePod { .. } = &v.action {
            return self.delete_pod_settled(v);
        }
        let name = v.deployment.as_ref()?;
        let d = self.pods.deployment(name)?;
        let w = self.pods.workloads.get(name)?;
        let moved_on = match &v.action {
            Action::Rollback { .. } | Action::Restart { .. } => Some(d.revision) != v.revision,
            Action::Scale { replicas, .. } => d.replicas == *replicas,
            Action::KillSwitch { .. } => elapsed >= SETTLE,
            Action::Shell { .. }
            | Action::Silence { .. }
            | Action::ExpireSilence { .. }
            | Action::DeletePod { .. }
            | Action::Cluster(_) => false,
        };
        let healthy = d.ready >= d.replicas
            && d.updated >= d.replicas
            && d.available >= d.replicas
            && w.pods.values().all(|p| p.ready && p.reason.is_none())
            && w.restarts() <= v.restarts;
        (moved_on && healthy).then(|| {
            let before = v.ready.map_or("?".to_string(), |(r, n)| format!("{r}/{n}"));
            format!(
                "{name} ready {before} → {}/{} at revision {}",
                d.ready, d.replicas, d.revision
            )
        })
    }

    fn still_bad(&self, v: &Verification) -> String {
        let mut parts: Vec<String> = v
            .bad_signals
            .iter()
            .map(|(name, before)| {
                let now = self
                    .signals
                    .iter()
                    .find(|s| &s.def.name == name)
                    .and_then(|s| s.value);
                let unit = self.unit_of(name);
                let fmt = |x| crate::ui::format::value(x, &unit);
                format!("{name} {} → {}", fmt(*before), fmt(now))
            })
            .collect();
        if let Some(d) = v.deployment.as_ref().and_then(|d| self.pods.deployment(d)) {
            parts.push(format!("{} ready {}/{}", d.name, d.ready, d.replicas));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}
