//! The simulated signals: faults that ramp up while their image runs and fade after, the
//! signal values they drive, alert rules over them, and the GPUs' readings.

use jiff::{SignedDuration, Timestamp};

use super::cluster::Pod;
use super::world::World;
use crate::event::{AlertState, AlertStatus, Direction, GpuStatus, Observation};

/// A curve's value `t` after its start: linear between points, the first value before
/// them and the last one after.
fn at(curve: &[(f64, f64)], t: SignedDuration) -> f64 {
    let x = t.as_secs_f64();
    let Some(&(t0, v0)) = curve.first() else {
        return 0.0;
    };
    if x <= t0 {
        return v0;
    }
    for w in curve.windows(2) {
        let ((ta, va), (tb, vb)) = (w[0], w[1]);
        if x <= tb {
            let span = tb - ta;
            return if span <= 0.0 {
                vb
            } else {
                va + (vb - va) * (x - ta) / span
            };
        }
    }
    curve.last().map_or(v0, |p| p.1)
}

#[derive(Debug, Clone, Default)]
pub(super) struct AlertSim {
    pub(super) pending_since: Option<SignedDuration>,
    pub(super) firing_since: Option<Timestamp>,
    pub(super) announced: Option<AlertState>,
}

impl World {
    pub(super) fn update_faults(&mut self) {
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
                (false, Some(_)) => {
                    *since = None;
                    self.fault_gone[i] = Some(self.t);
                }
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

    fn signal_target(&self, i: usize) -> f64 {
        let spec = &self.scenario.signals[i];
        let mut target = spec.baseline;
        for (fi, (f, (s, since))) in self.scenario.faults.iter().zip(&self.faults).enumerate() {
            let factor = super::causes::factor(f, self.t, &self.actions);
            if let Some(curve) = f.curves.get(&spec.name) {
                let value = match (since, self.fault_gone[fi]) {
                    (Some(from), _) => at(curve, self.t - *from - f.delay),
                    (None, Some(gone)) => match f.recovery.get(&spec.name) {
                        Some(rec) => at(rec, self.t - gone),
                        // No recorded recovery: fade from where the curve ended.
                        None => {
                            spec.baseline + s * (at(curve, SignedDuration::MAX) - spec.baseline)
                        }
                    },
                    (None, None) => spec.baseline,
                };
                target += factor * (value - spec.baseline);
            } else if let Some(v) = f.signals.get(&spec.name) {
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

    pub(super) fn update_signals(&mut self) {
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

    // A little over the usual length: one alert rule's whole evaluation, pending to firing
    // to resolved, with the alert it announces.
    pub(super) fn update_alerts(&mut self) -> Vec<Observation> {
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

    pub(super) fn gpus(&self) -> Vec<Observation> {
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
}
