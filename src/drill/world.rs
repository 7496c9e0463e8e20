//! The simulated cluster: steps one simulated second at a time and answers actions.
//! Deterministic for a given scenario and seed, so drills can be tested and scored.

use jiff::{SignedDuration, Timestamp};

use super::scenario::{DeploymentSpec, Scenario};
use crate::event::{
    Action, AlertState, AlertStatus, DeploymentStatus, Direction, GpuStatus, KillSwitchStatus,
    LogLine, Observation, PodStatus, RevisionInfo, SignalDef,
};

/// A pod of the simulated cluster.
#[derive(Debug, Clone)]
struct Pod {
    name: String,
    revision: u64,
    image: String,
    node: String,
    created: Timestamp,
    ready_at: SignedDuration,
    restarts: u32,
    crashing: bool,
    /// When a crash-looping pod next dies.
    next_crash: SignedDuration,
    reason: Option<String>,
    last_termination: Option<(String, Timestamp)>,
}

#[derive(Debug, Clone)]
struct Deployment {
    spec: DeploymentSpec,
    replicas: u32,
    revision: u64,
    image: String,
    history: Vec<RevisionInfo>,
    pods: Vec<Pod>,
    /// Ordinary log lines owed, carried between steps.
    log_debt: f64,
}

#[derive(Debug, Clone, Default)]
struct AlertSim {
    pending_since: Option<SignedDuration>,
    firing_since: Option<Timestamp>,
    announced: Option<AlertState>,
}

/// What an action did to the simulated world.
#[derive(Debug, Clone)]
pub struct Applied {
    pub detail: String,
    /// For a rollback: from which revision, to which revision's template.
    pub revisions: Option<(u64, u64)>,
    pub observations: Vec<Observation>,
}

/// The outcome of a drill so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub points: u32,
    pub max: u32,
    /// One line per reason points were given or taken.
    pub lines: Vec<String>,
}

/// The simulated world of one drill.
#[derive(Debug, Clone)]
pub struct World {
    scenario: Scenario,
    rng: fastrand::Rng,
    start: Timestamp,
    t: SignedDuration,
    deployments: Vec<Deployment>,
    /// Fault strength, 0 (absent) to 1 (full), and since when its cause is present.
    faults: Vec<(f64, Option<SignedDuration>)>,
    next_event: usize,
    alerts: Vec<AlertSim>,
    /// Silences made in the drill, as Alertmanager would keep them.
    silences: crate::drill::silences::Silences,
    kill_switches: Vec<bool>,
    /// Replicas a scale kill switch replaced, to restore when it goes off.
    scaled_from: Vec<Option<u32>>,
    signal_values: Vec<f64>,
    fault_log_debt: Vec<f64>,
    /// Every action the operator took, with its time.
    actions: Vec<(SignedDuration, Action)>,
    /// When the drill first had an alert firing, and when it was last fully well again after that.
    first_alert: Option<SignedDuration>,
    mitigated: Option<SignedDuration>,
    next_id: u64,
}

const TICK: SignedDuration = SignedDuration::from_secs(1);

fn pod_hash(revision: u64, name: &str) -> String {
    // A stable stand-in for the pod-template hash, different per revision.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ revision;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:x}", h % 0xff_ffff + 0x10_0000)
        .chars()
        .take(6)
        .collect()
}

impl World {
    /// A world in its steady state at `start`.
    pub fn new(scenario: Scenario, start: Timestamp) -> World {
        let mut rng = fastrand::Rng::with_seed(scenario.drill.seed);
        let mut deployments = Vec::new();
        for spec in &scenario.deployments {
            let n = spec.revisions.len() as u64;
            let history: Vec<RevisionInfo> = spec
                .revisions
                .iter()
                .enumerate()
                .rev()
                .map(|(i, r)| RevisionInfo {
                    revision: i as u64 + 1,
                    image: r.image.clone(),
                    change_cause: r.change_cause.clone(),
                    created: start - r.age,
                    template: template_of(&spec.name, &r.image, spec.gpu),
                })
                .collect();
            let current = &history[0];
            let mut d = Deployment {
                spec: spec.clone(),
                replicas: spec.replicas,
                revision: n,
                image: current.image.clone(),
                history: history.clone(),
                pods: Vec::new(),
                log_debt: 0.0,
            };
            for _ in 0..spec.replicas {
                let mut pod = new_pod(&mut rng, &d, start, SignedDuration::ZERO, d.pods.len());
                pod.created = current.created + SignedDuration::from_secs(rng.i64(10..120));
                pod.ready_at = -TICK;
                d.pods.push(pod);
            }
            deployments.push(d);
        }
        World {
            faults: vec![(0.0, None); scenario.faults.len()],
            alerts: vec![AlertSim::default(); scenario.alerts.len()],
            silences: Default::default(),
            kill_switches: scenario.kill_switches.iter().map(|k| k.on).collect(),
            scaled_from: vec![None; scenario.kill_switches.len()],
            signal_values: scenario.signals.iter().map(|s| s.baseline).collect(),
            fault_log_debt: vec![0.0; scenario.faults.len()],
            scenario,
            rng,
            start,
            t: SignedDuration::ZERO,
            deployments,
            next_event: 0,
            actions: Vec::new(),
            first_alert: None,
            mitigated: None,
            next_id: 1,
        }
    }

    /// The scenario being played.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The simulated time now.
    pub fn now(&self) -> Timestamp {
        self.start + self.t
    }

    /// Simulated time since the drill started.
    pub fn elapsed(&self) -> SignedDuration {
        self.t
    }

    /// Everything a cockpit needs to know at the start.
    pub fn initial(&mut self) -> Vec<Observation> {
        let mut out: Vec<Observation> = self
            .scenario
            .signals
            .iter()
            .map(|s| {
                Observation::SignalDefined(SignalDef {
                    name: s.name.clone(),
                    unit: s.unit.clone(),
                    warn: s.warn,
                    crit: s.crit,
                    direction: s.direction,
                })
            })
            .collect();
        out.extend(self.kill_switch_states());
        out.extend(self.snapshot());
        out
    }

    fn kill_switch_states(&self) -> Vec<Observation> {
        self.scenario
            .kill_switches
            .iter()
            .zip(&self.kill_switches)
            .map(|(k, on)| {
                Observation::KillSwitch(KillSwitchStatus {
                    name: k.name.clone(),
                    description: k.description.clone(),
                    on: Some(*on),
                })
            })
            .collect()
    }

    /// Advances one simulated second and reports what changed.
    pub fn step(&mut self) -> Vec<Observation> {
        self.t += TICK;
        let mut out = Vec::new();
        self.run_events();
        self.update_faults();
        out.extend(self.update_pods());
        self.update_signals();
        out.extend(self.update_alerts());
        out.extend(self.logs());
        out.extend(self.snapshot());
        out
    }

    fn run_events(&mut self) {
        while let Some(e) = self.scenario.events.get(self.next_event) {
            if e.at > self.t {
                break;
            }
            let now = self.start + self.t;
            if let Some(r) = e.rollout.clone()
                && let Some(d) = self.deployment_mut(r.deployment.get_ref())
            {
                d.roll_to(r.image, r.change_cause, now);
            }
            self.next_event += 1;
        }
    }

    fn deployment_mut(&mut self, name: &str) -> Option<&mut Deployment> {
        self.deployments.iter_mut().find(|d| d.spec.name == name)
    }

    fn update_faults(&mut self) {
        for (i, f) in self.scenario.faults.iter().enumerate() {
            let image = self
                .deployments
                .iter()
                .find(|d| d.spec.name == *f.deployment.get_ref())
                .map(|d| d.image.as_str());
            let switch = |name: &str| {
                let k = self.scenario.kill_switches.iter();
                k.zip(&self.kill_switches)
                    .find(|(k, _)| k.name == name)
                    .map(|(_, on)| *on)
            };
            let present = super::causes::present(f, self.t, image, switch, &self.actions);
            let (strength, since) = &mut self.faults[i];
            match (present, *since) {
                (true, None) => *since = Some(self.t),
                (false, Some(_)) => *since = None,
                _ => {}
            }
            let secs = |d: SignedDuration| d.as_secs_f64().max(1.0);
            if let Some(s) = *since
                && self.t - s >= f.delay
            {
                *strength = (*strength + 1.0 / secs(f.ramp)).min(1.0);
            } else if since.is_none() {
                *strength = (*strength - 1.0 / secs(f.recover)).max(0.0);
            }
        }
    }

    fn update_pods(&mut self) -> Vec<Observation> {
        let now = self.start + self.t;
        let t = self.t;
        let mut out = Vec::new();
        let drained = super::causes::drained(&self.scenario, &self.kill_switches);
        for di in 0..self.deployments.len() {
            // Pods of a faulty image crash while the fault is strong.
            let crash: Vec<(u32, String)> = self
                .scenario
                .faults
                .iter()
                .zip(&self.faults)
                .filter(|(f, (s, _))| {
                    *f.deployment.get_ref() == self.deployments[di].spec.name
                        && *s > 0.5
                        && f.crashloop > 0
                })
                .map(|(f, _)| (f.crashloop, f.crash_reason.clone()))
                .collect();
            let d = &mut self.deployments[di];
            // Rolling update, one pod at a time: surge one new pod, retire one old pod when it is ready.
            let current: Vec<usize> = (0..d.pods.len())
                .filter(|i| d.pods[*i].revision == d.revision)
                .collect();
            let old: Vec<usize> = (0..d.pods.len())
                .filter(|i| d.pods[*i].revision != d.revision)
                .collect();
            let starting = current.iter().any(|i| d.pods[*i].ready_at > t);
            let evict = d.pods.iter().position(|p| drained.contains(&p.node));
            if let Some(i) = evict.filter(|_| !starting) {
                // A drain evicts one pod at a time, as a disruption budget of one allows.
                let gone = d.pods.remove(i);
                out.push(Observation::PodGone {
                    namespace: self.scenario.drill.namespace.clone(),
                    name: gone.name,
                });
            } else if (current.len() as u32) < d.replicas && !starting {
                let mut pod = new_pod(&mut self.rng, d, now, t, d.pods.len());
                pod.node = super::causes::schedule(&pod.node, &d.spec.nodes, &drained).to_string();
                d.pods.push(pod);
            } else if !old.is_empty() && !starting {
                let gone = d.pods.remove(old[0]);
                out.push(Observation::PodGone {
                    namespace: self.scenario.drill.namespace.clone(),
                    name: gone.name,
                });
            } else if current.len() as u32 > d.replicas
                && let Some(gone) = d.pods.pop()
            {
                out.push(Observation::PodGone {
                    namespace: self.scenario.drill.namespace.clone(),
                    name: gone.name,
                });
            }
            let (crashloop, reason) = crash.first().cloned().unwrap_or((0, String::new()));
            let mut crashing = 0;
            for pod in d.pods.iter_mut() {
                let faulty = crashloop > 0 && pod.image == d.image && pod.ready_at <= t;
                if faulty && crashing < crashloop {
                    crashing += 1;
                    if !pod.crashing {
                        pod.crashing = true;
                        pod.next_crash = t;
                    }
                    if pod.next_crash <= t {
                        pod.restarts += 1;
                        pod.last_termination = Some((reason.clone(), now));
                        pod.reason = Some(reason.clone());
                        // Kubelet's back-off doubles up to five minutes; a drill compresses it.
                        let backoff = 10 * i64::from(pod.restarts.min(4));
                        pod.next_crash = t + SignedDuration::from_secs(backoff + 8);
                    } else if pod.reason.as_deref() == Some(reason.as_str())
                        && pod.next_crash - t > TICK * 6
                    {
                        pod.reason = Some("CrashLoopBackOff".into());
                    }
                } else if pod.crashing {
                    pod.crashing = false;
                    pod.reason = None;
                }
            }
        }
        out
    }

    fn signal_target(&self, i: usize) -> f64 {
        let spec = &self.scenario.signals[i];
        let mut target = spec.baseline;
        for (f, (s, _)) in self.scenario.faults.iter().zip(&self.faults) {
            if let Some(v) = f.signals.get(&spec.name) {
                let factor = super::causes::factor(f, self.t, &self.actions);
                target += s * factor * (v - spec.baseline);
            }
        }
        for (k, on) in self.scenario.kill_switches.iter().zip(&self.kill_switches) {
            if *on && let Some(v) = k.signals.get(&spec.name) {
                target = *v;
            }
        }
        target
    }

    fn update_signals(&mut self) {
        for i in 0..self.scenario.signals.len() {
            let spec = &self.scenario.signals[i];
            let target = self.signal_target(i);
            // Centred noise, scaled by the signal's own spread.
            let noise = (self.rng.f64() + self.rng.f64() - 1.0) * spec.noise;
            let mut v = target + noise;
            if let Some(lo) = spec.min {
                v = v.max(lo);
            }
            if let Some(hi) = spec.max {
                v = v.min(hi);
            }
            self.signal_values[i] = v;
        }
    }

    fn update_alerts(&mut self) -> Vec<Observation> {
        let now = self.start + self.t;
        let mut out = Vec::new();
        let mut any_firing = false;
        for (i, spec) in self.scenario.alerts.iter().enumerate() {
            let Some(si) = self
                .scenario
                .signals
                .iter()
                .position(|s| s.name == *spec.signal.get_ref())
            else {
                continue;
            };
            let sig = &self.scenario.signals[si];
            let v = self.signal_values[si];
            let breached = match sig.direction {
                Direction::Above => v > spec.threshold,
                Direction::Below => v < spec.threshold,
            };
            let a = &mut self.alerts[i];
            if breached {
                let since = *a.pending_since.get_or_insert(self.t);
                if a.firing_since.is_none() && self.t - since >= spec.for_ {
                    a.firing_since = Some(now);
                }
            } else {
                a.pending_since = None;
            }
            let state = match (a.firing_since, breached) {
                (Some(_), true) => Some(AlertState::Firing),
                (Some(_), false) => Some(AlertState::Resolved),
                (None, _) => None,
            };
            if let Some(state) = state
                && a.announced != Some(state)
            {
                a.announced = Some(state);
                let cmp = if sig.direction == Direction::Above {
                    ">"
                } else {
                    "<"
                };
                let unit = &sig.unit;
                out.push(Observation::Alert(AlertStatus {
                    name: spec.name.clone(),
                    severity: spec.severity.clone(),
                    state,
                    since: a.firing_since.unwrap_or(now),
                    summary: spec.summary.clone(),
                    runbook_url: spec.runbook_url.clone(),
                    detail: {
                        let value = crate::ui::format::value(Some(v), unit);
                        let threshold = crate::ui::format::value(Some(spec.threshold), unit);
                        match state {
                            AlertState::Firing => format!("{} {value} {cmp} {threshold}", sig.name),
                            AlertState::Resolved => {
                                format!("{} {value}, back within {threshold}", sig.name)
                            }
                        }
                    },
                    description: String::new(),
                    labels: [
                        ("alertname".to_string(), spec.name.clone()),
                        ("severity".to_string(), spec.severity.clone()),
                    ]
                    .into(),
                    silenced_by: Vec::new(),
                }));
                if state == AlertState::Resolved {
                    a.firing_since = None;
                }
            }
            any_firing |= a.firing_since.is_some();
        }
        if any_firing {
            self.first_alert.get_or_insert(self.t);
            self.mitigated = None;
        } else if self.first_alert.is_some()
            && self.mitigated.is_none()
            && self.faults.iter().all(|(s, _)| *s == 0.0)
        {
            self.mitigated = Some(self.t);
        }
        out
    }

    fn fill(&mut self, template: &str, latency: f64) -> String {
        self.next_id += 1;
        template
            .replace(
                "{latency}",
                &format!("{:.0}", latency * (0.6 + self.rng.f64() * 0.8)),
            )
            .replace("{tokens}", &self.rng.u32(64..2048).to_string())
            .replace("{status}", "200")
            .replace(
                "{id}",
                &format!(
                    "{:08x}",
                    self.next_id.wrapping_mul(2_654_435_761) & 0xffff_ffff
                ),
            )
    }

    fn logs(&mut self) -> Vec<Observation> {
        let now = self.start + self.t;
        let latency = self.signal_values.first().copied().unwrap_or(100.0);
        let mut lines = Vec::new();
        for di in 0..self.deployments.len() {
            let d = &mut self.deployments[di];
            d.log_debt += d.spec.log_rate;
            let n = d.log_debt.floor() as usize;
            d.log_debt -= n as f64;
            for _ in 0..n {
                let d = &self.deployments[di];
                let ready: Vec<&Pod> = d
                    .pods
                    .iter()
                    .filter(|p| p.ready_at <= self.t && !p.crashing)
                    .collect();
                if ready.is_empty() || d.spec.logs.is_empty() {
                    break;
                }
                let pod = ready[self.rng.usize(..ready.len())].name.clone();
                let template = d.spec.logs[self.rng.usize(..d.spec.logs.len())].clone();
                let text = self.fill(&template, latency);
                lines.push((pod, text));
            }
        }
        for fi in 0..self.scenario.faults.len() {
            let strength = self.faults[fi].0;
            self.fault_log_debt[fi] += self.scenario.faults[fi].log_rate * strength;
            let n = self.fault_log_debt[fi].floor() as usize;
            self.fault_log_debt[fi] -= n as f64;
            let f = &self.scenario.faults[fi];
            let Some(d) = self
                .deployments
                .iter()
                .find(|d| d.spec.name == *f.deployment.get_ref())
            else {
                continue;
            };
            let pods: Vec<String> = d
                .pods
                .iter()
                .filter(|p| f.image.as_ref().is_none_or(|i| p.image == *i))
                .map(|p| p.name.clone())
                .collect();
            let templates = f.logs.clone();
            for _ in 0..n {
                if pods.is_empty() || templates.is_empty() {
                    break;
                }
                let pod = pods[self.rng.usize(..pods.len())].clone();
                let template = templates[self.rng.usize(..templates.len())].clone();
                let text = self.fill(&template, latency);
                lines.push((pod, text));
            }
        }
        lines
            .into_iter()
            .enumerate()
            .map(|(i, (pod, text))| {
                Observation::Log(LogLine {
                    // Spread the second's lines over it, so merged tails interleave naturally.
                    at: now - TICK + SignedDuration::from_millis((i as i64 * 137) % 1000),
                    container: pod.split('-').nth(1).unwrap_or("main").to_string(),
                    pod,
                    text,
                })
            })
            .collect()
    }

    /// The state of every deployment, pod, GPU and signal.
    pub fn snapshot(&self) -> Vec<Observation> {
        let ns = &self.scenario.drill.namespace;
        let mut out = Vec::new();
        for d in &self.deployments {
            let ready_pods = d
                .pods
                .iter()
                .filter(|p| p.ready_at <= self.t && !p.crashing)
                .count() as u32;
            let updated = d.pods.iter().filter(|p| p.revision == d.revision).count() as u32;
            out.push(Observation::Deployment(DeploymentStatus {
                namespace: ns.clone(),
                name: d.spec.name.clone(),
                revision: d.revision,
                replicas: d.replicas,
                ready: ready_pods,
                updated: updated.min(d.replicas),
                available: ready_pods.min(d.replicas),
                image: d.image.clone(),
                history: d.history.clone(),
                gpu: d.spec.gpu,
                problems: Vec::new(),
            }));
            for p in &d.pods {
                let starting = p.ready_at > self.t;
                out.push(Observation::Pod(PodStatus {
                    namespace: ns.clone(),
                    name: p.name.clone(),
                    workload: d.spec.name.clone(),
                    revision: p.revision,
                    phase: if starting {
                        "Pending".into()
                    } else {
                        "Running".into()
                    },
                    reason: if starting {
                        Some("ContainerCreating".into())
                    } else {
                        p.reason.clone()
                    },
                    ready: !starting && !p.crashing,
                    restarts: p.restarts,
                    last_termination: p.last_termination.clone(),
                    node: p.node.clone(),
                    created: p.created,
                }));
            }
        }
        out.extend(self.gpus());
        for (spec, v) in self.scenario.signals.iter().zip(&self.signal_values) {
            out.push(Observation::Signal {
                name: spec.name.clone(),
                value: Some(*v),
            });
        }
        out
    }

    fn gpus(&self) -> Vec<Observation> {
        let mut out = Vec::new();
        // Deterministic wobble per GPU and second, so the pane moves without consuming the rng.
        let wobble = |seed: u64| {
            ((self.t.as_secs() as u64)
                .wrapping_mul(31)
                .wrapping_add(seed * 17)
                % 7) as f64
                - 3.0
        };
        let drained = super::causes::drained(&self.scenario, &self.kill_switches);
        for spec in &self.scenario.gpus {
            let pods: Vec<&Pod> = spec
                .serves
                .as_ref()
                .and_then(|s| self.deployments.iter().find(|d| d.spec.name == *s))
                .map(|d| d.pods.iter().filter(|p| p.node == spec.host).collect())
                .unwrap_or_default();
            for index in 0..spec.count {
                let w = wobble(u64::from(index) + spec.host.len() as u64);
                let mut g = GpuStatus {
                    host: spec.host.clone(),
                    index,
                    model: spec.model.clone(),
                    util: Some((spec.util + w).clamp(0.0, 100.0)),
                    mem_used_mib: Some(spec.mem_used_mib + w * 40.0),
                    mem_total_mib: Some(spec.mem_total_mib),
                    temp_c: Some(spec.temp_c + w / 3.0),
                    power_w: Some(spec.power_w + w * 4.0),
                    xid: None,
                    pod: pods.get(index as usize).map(|p| p.name.clone()),
                };
                for (f, (s, _)) in self.scenario.faults.iter().zip(&self.faults) {
                    let Some(gf) = &f.gpu else { continue };
                    if gf.host != spec.host || gf.index != index || *s == 0.0 {
                        continue;
                    }
                    let blend = |base: Option<f64>, target: Option<f64>| match (base, target) {
                        (Some(b), Some(t)) => Some(b + s * (t - b)),
                        (b, _) => b,
                    };
                    g.temp_c = blend(g.temp_c, gf.temp_c);
                    g.mem_used_mib =
                        blend(g.mem_used_mib, gf.mem_used_mib).map(|m| m.min(spec.mem_total_mib));
                    g.util = blend(g.util, gf.util).map(|u| u.min(100.0));
                    if *s > 0.8 {
                        g.xid = gf.xid;
                    }
                }
                if drained.contains(&spec.host) {
                    super::causes::idle(&mut g);
                }
                out.push(Observation::Gpu(g));
            }
        }
        out
    }

    /// Carries out an action on the simulated cluster: what happened, in words and for the
    /// timeline (a rollback's revisions), and the world as it now is.
    pub fn apply(&mut self, action: &Action) -> Result<Applied, String> {
        let now = self.start + self.t;
        let mut revisions = None;
        let detail = match action {
            Action::Shell { .. } => return Err("shell commands are never run in a drill".into()),
            Action::Rollback {
                deployment,
                revision,
            } => {
                let d = self
                    .deployment_mut(deployment)
                    .ok_or_else(|| format!("deployment {deployment} not found"))?;
                let from = d.revision;
                let target = match revision {
                    Some(r) => d.history.iter().find(|h| h.revision == *r),
                    None => d.history.iter().find(|h| h.revision < from),
                }
                .cloned()
                .ok_or_else(|| format!("{deployment}: no revision to roll back to"))?;
                if target.revision == from {
                    return Err(format!("{deployment} is already at revision {from}"));
                }
                // As `kubectl rollout undo` does: the old template comes back as a new revision.
                d.history.retain(|h| h.revision != target.revision);
                d.roll_to(target.image.clone(), target.change_cause.clone(), now);
                revisions = Some((from, target.revision));
                format!(
                    "rolled back from revision {from} to revision {} ({}), now revision {}",
                    target.revision, target.image, d.revision
                )
            }
            Action::Restart { deployment } => {
                let d = self
                    .deployment_mut(deployment)
                    .ok_or_else(|| format!("deployment {deployment} not found"))?;
                let image = d.image.clone();
                let cause = format!("restarted at {}", now.strftime("%H:%M:%S"));
                d.roll_to(image, cause, now);
                format!("restarting all pods, revision {}", d.revision)
            }
            Action::Scale {
                deployment,
                replicas,
            } => {
                let d = self
                    .deployment_mut(deployment)
                    .ok_or_else(|| format!("deployment {deployment} not found"))?;
                let from = d.replicas;
                d.replicas = *replicas;
                format!("scaled from {from} to {replicas} replicas")
            }
            Action::KillSwitch { name, on } => {
                let i = self
                    .scenario
                    .kill_switches
                    .iter()
                    .position(|k| k.name == *name)
                    .ok_or_else(|| format!("kill switch {name} not found"))?;
                if self.kill_switches[i] == *on {
                    return Err(format!(
                        "{name} is already {}",
                        if *on { "on" } else { "off" }
                    ));
                }
                self.kill_switches[i] = *on;
                if let Some(scale) = self.scenario.kill_switches[i].scale.clone() {
                    let restore = self.scaled_from[i];
                    if let Some(d) = self.deployment_mut(&scale.deployment) {
                        if *on {
                            let previous = d.replicas;
                            d.replicas = scale.replicas;
                            self.scaled_from[i] = Some(previous);
                        } else if let Some(r) = restore {
                            d.replicas = r;
                            self.scaled_from[i] = None;
                        }
                    }
                }
                format!("{name} is now {}", if *on { "on" } else { "off" })
            }
            Action::Silence { .. } | Action::ExpireSilence { .. } => {
                let (detail, obs) = self.silences.apply(action, now)?;
                self.actions.push((self.t, action.clone()));
                return Ok(Applied {
                    detail,
                    revisions: None,
                    observations: vec![obs],
                });
            }
        };
        self.actions.push((self.t, action.clone()));
        let mut observations = self.kill_switch_states();
        observations.extend(self.snapshot());
        Ok(Applied {
            detail,
            revisions,
            observations,
        })
    }

    /// What `action` would do, changing nothing: the sandbox's dry run, in the shape of the
    /// API server's (`accepted`, what changes, pods touched) or why it would be refused.
    pub fn preview(&self, action: &Action) -> Result<Vec<String>, String> {
        const HEAD: &str = "Sandbox dry run (simulated cluster)";
        if let Action::Shell { .. } = action {
            return Ok(vec![format!("{HEAD}: commands are never run in a drill")]);
        }
        let replicas = |name: &str| {
            self.deployments
                .iter()
                .find(|d| d.spec.name == name)
                .map_or(0, |d| d.replicas)
        };
        let pods = match action {
            Action::Rollback { deployment, .. } | Action::Restart { deployment } => {
                replicas(deployment)
            }
            Action::Scale {
                deployment,
                replicas: to,
            } => replicas(deployment).abs_diff(*to),
            Action::KillSwitch { name, .. } => self
                .scenario
                .kill_switches
                .iter()
                .find(|k| k.name == *name)
                .and_then(|k| k.scale.as_ref())
                .map_or(0, |s| replicas(&s.deployment).abs_diff(s.replicas)),
            Action::Shell { .. } | Action::Silence { .. } | Action::ExpireSilence { .. } => 0,
        };
        // A copy takes the action, so the world itself and its scoring are untouched.
        let applied = self
            .clone()
            .apply(action)
            .map_err(|why| format!("{HEAD}: {why}"))?;
        Ok(vec![
            format!("{HEAD}: accepted"),
            format!("  {}", applied.detail),
            format!("  pods touched: {pods}"),
        ])
    }

    /// Whether the incident is over: something fired, and now nothing fires and every fault is gone.
    pub fn is_mitigated(&self) -> bool {
        self.mitigated.is_some()
    }

    /// Scores the response against the scenario's reference response.
    pub fn score(&self) -> Score {
        let sc = &self.scenario.scoring;
        let mut points: i64 = 0;
        let mut lines = Vec::new();
        let max = sc.expect.iter().map(|e| e.points).sum::<u32>() + sc.mitigate_points;
        let start = self.first_alert.unwrap_or(SignedDuration::ZERO);
        let mut expected_used = vec![false; self.actions.len()];
        for e in &sc.expect {
            let hit = self
                .actions
                .iter()
                .enumerate()
                .find(|(_, (_, a))| a.command_line().starts_with(&e.action));
            match hit {
                Some((i, (at, _))) if *at - start <= e.within => {
                    expected_used[i] = true;
                    points += i64::from(e.points);
                    lines.push(format!(
                        "+{} {} at T+{}",
                        e.points,
                        e.action,
                        crate::ui::format::age(*at - start)
                    ));
                }
                Some((i, (at, _))) => {
                    expected_used[i] = true;
                    lines.push(format!(
                        "+0 {} too late (T+{})",
                        e.action,
                        crate::ui::format::age(*at - start)
                    ));
                }
                None => lines.push(format!("+0 {} not done", e.action)),
            }
        }
        for (used, (_, a)) in expected_used.iter().zip(&self.actions) {
            if !used && sc.wrong_action_penalty > 0 {
                points -= i64::from(sc.wrong_action_penalty);
                lines.push(format!(
                    "-{} {} did not help",
                    sc.wrong_action_penalty,
                    a.command_line()
                ));
            }
        }
        match self.mitigated {
            Some(m) if m - start <= sc.mitigate_within => {
                points += i64::from(sc.mitigate_points);
                lines.push(format!(
                    "+{} mitigated at T+{}",
                    sc.mitigate_points,
                    crate::ui::format::age(m - start)
                ));
            }
            Some(m) => lines.push(format!(
                "+0 mitigated late (T+{})",
                crate::ui::format::age(m - start)
            )),
            None => lines.push("+0 not mitigated yet".into()),
        }
        Score {
            points: points.clamp(0, i64::from(max)) as u32,
            max,
            lines,
        }
    }
}

impl Deployment {
    /// Makes `image` the current template as a new revision; pods follow by rolling update.
    fn roll_to(&mut self, image: String, change_cause: String, now: Timestamp) {
        let next = self
            .history
            .iter()
            .map(|h| h.revision)
            .max()
            .unwrap_or(0)
            .max(self.revision)
            + 1;
        self.revision = next;
        self.image = image.clone();
        let template = template_of(&self.spec.name, &image, self.spec.gpu);
        self.history.insert(
            0,
            RevisionInfo {
                revision: next,
                image,
                change_cause,
                created: now,
                template,
            },
        );
        // Deployments keep ten old ReplicaSets by default (revisionHistoryLimit).
        self.history.truncate(11);
    }
}

/// The simulated pod template of a revision, in the short form the rollback dialog compares.
fn template_of(deployment: &str, image: &str, gpu: bool) -> Vec<String> {
    let container = deployment.rsplit('-').next().unwrap_or("main");
    let mut lines = vec![format!("{container}: image {image}")];
    if gpu {
        lines.push(format!("{container}: limits nvidia.com/gpu=1"));
    }
    lines
}

fn new_pod(
    rng: &mut fastrand::Rng,
    d: &Deployment,
    now: Timestamp,
    t: SignedDuration,
    n: usize,
) -> Pod {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let suffix: String = (0..5)
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
        .collect();
    Pod {
        name: format!(
            "{}-{}-{suffix}",
            d.spec.name,
            pod_hash(d.revision, &d.image)
        ),
        revision: d.revision,
        image: d.image.clone(),
        node: d.spec.nodes[n % d.spec.nodes.len().max(1)].clone(),
        created: now,
        ready_at: t + d.spec.startup,
        restarts: 0,
        crashing: false,
        next_crash: t,
        reason: None,
        last_termination: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::drill::Scenario;

    fn world() -> World {
        let (s, _) = Scenario::load("snapbuilder-bad-rollout").unwrap();
        World::new(s, Timestamp::from_second(1_795_000_000).unwrap())
    }

    fn run(w: &mut World, secs: u32) -> Vec<Observation> {
        (0..secs).flat_map(|_| w.step()).collect()
    }

    fn alert_states(obs: &[Observation], name: &str) -> Vec<AlertState> {
        obs.iter()
            .filter_map(|o| match o {
                Observation::Alert(a) if a.name == name => Some(a.state),
                _ => None,
            })
            .collect()
    }

    fn signal(w: &World, name: &str) -> f64 {
        let i = w
            .scenario
            .signals
            .iter()
            .position(|s| s.name == name)
            .unwrap();
        w.signal_values[i]
    }

    #[test]
    fn the_incident_unfolds_within_two_minutes() {
        let mut w = world();
        let obs = run(&mut w, 120);
        assert_eq!(alert_states(&obs, "HighErrorRate"), [AlertState::Firing]);
        assert!(signal(&w, "5xx rate") > 3.0);
        assert!(signal(&w, "p95 latency (512 tok)") > 350.0);
        let serving = &w.deployments[0];
        assert_eq!(serving.revision, 3);
        assert!(serving.pods.iter().any(|p| {
            p.reason
                .as_deref()
                .is_some_and(|r| r == "OOMKilled" || r == "CrashLoopBackOff")
        }));
        assert!(
            obs.iter()
                .any(|o| matches!(o, Observation::Log(l) if l.text.contains("CUDA out of memory")))
        );
        let hot = w
            .gpus()
            .into_iter()
            .any(|o| matches!(o, Observation::Gpu(g) if g.temp_c.unwrap() > 85.0));
        assert!(hot, "one GPU runs hot");
    }

    #[test]
    fn rollback_recovers_within_a_simulated_minute() {
        let mut w = world();
        run(&mut w, 120);
        let applied = w
            .apply(&Action::Rollback {
                deployment: "snapbuilder-serving".into(),
                revision: None,
            })
            .unwrap();
        assert_eq!(applied.revisions, Some((3, 2)));
        let detail = applied.detail;
        assert!(detail.contains("from revision 3 to revision 2"), "{detail}");
        let obs = run(&mut w, 60);
        assert_eq!(alert_states(&obs, "HighErrorRate"), [AlertState::Resolved]);
        assert!(signal(&w, "5xx rate") < 1.0);
        assert!(
            w.deployments[0]
                .pods
                .iter()
                .all(|p| p.image.ends_with("1.8.2") && !p.crashing)
        );
        assert_eq!(
            w.deployments[0].revision, 4,
            "undo makes the old template a new revision"
        );
        let score = w.score();
        assert_eq!(score.points, 100, "{:?}", score.lines);
    }

    #[test]
    fn restarting_ingest_does_not_help_and_costs_points() {
        let mut w = world();
        run(&mut w, 120);
        w.apply(&Action::Restart {
            deployment: "snapbuilder-ingest".into(),
        })
        .unwrap();
        let obs = run(&mut w, 90);
        assert!(
            alert_states(&obs, "HighErrorRate").is_empty(),
            "still firing, no change"
        );
        assert!(signal(&w, "5xx rate") > 3.0);
        let score = w.score();
        assert_eq!(score.points, 0, "{:?}", score.lines);
    }

    #[test]
    fn same_seed_plays_the_same_drill() {
        let (mut a, mut b) = (world(), world());
        assert_eq!(run(&mut a, 90), run(&mut b, 90));
    }

    #[test]
    fn scale_kill_switch_restores_the_previous_count() {
        let mut w = world();
        w.apply(&Action::KillSwitch {
            name: "block-traffic".into(),
            on: true,
        })
        .unwrap();
        assert_eq!(w.deployments[0].replicas, 0);
        w.apply(&Action::KillSwitch {
            name: "block-traffic".into(),
            on: false,
        })
        .unwrap();
        assert_eq!(w.deployments[0].replicas, 4);
        assert!(
            w.apply(&Action::KillSwitch {
                name: "nope".into(),
                on: true
            })
            .is_err()
        );
    }
}
