//! The simulated logs: each deployment's ordinary lines and each fault's error lines, filled
//! from the drill's templates and spread over the second.

use jiff::SignedDuration;

use super::cluster::Pod;
use super::world::{TICK, World};
use crate::event::{LogLine, Observation};

impl World {
    fn fill(&mut self, template: &str, latency: f64) -> String {
        self.next_id += 1;
        let mut line = template
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
            );
        // Capped where it is made: a template of placeholders can grow many times over.
        crate::text::cap_in_place(&mut line, crate::text::MAX_LOG_LINE);
        line
    }

    pub(super) fn logs(&mut self) -> Vec<Observation> {
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
}
