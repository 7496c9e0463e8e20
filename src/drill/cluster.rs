//! The simulated cluster: deployments with their revision history, pods that start, crash
//! and roll, and the rollbacks, restarts and scaling the operator asks for.

use jiff::{SignedDuration, Timestamp};

use super::scenario::DeploymentSpec;
use super::world::{TICK, World};
use crate::event::{Observation, RevisionInfo};

/// A pod of the simulated cluster.
#[derive(Debug, Clone)]
pub(super) struct Pod {
    pub(super) name: String,
    pub(super) revision: u64,
    pub(super) image: String,
    pub(super) node: String,
    pub(super) created: Timestamp,
    pub(super) ready_at: SignedDuration,
    pub(super) restarts: u32,
    pub(super) crashing: bool,
    /// When a crash-looping pod next dies.
    pub(super) next_crash: SignedDuration,
    pub(super) reason: Option<String>,
    pub(super) last_termination: Option<(String, Timestamp)>,
}

#[derive(Debug, Clone)]
pub(super) struct Deployment {
    pub(super) spec: DeploymentSpec,
    pub(super) replicas: u32,
    pub(super) revision: u64,
    pub(super) image: String,
    pub(super) history: Vec<RevisionInfo>,
    pub(super) pods: Vec<Pod>,
    /// Ordinary log lines owed, carried between steps.
    pub(super) log_debt: f64,
}

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
    /// Deletes one pod, as the API server does: its deployment's ReplicaSet starts a
    /// replacement on the next steps. What happened, and the pod's `PodGone`.
    pub(super) fn delete_pod(&mut self, name: &str) -> Result<(String, Observation), String> {
        let ns = self.scenario.drill.namespace.clone();
        let d = self
            .deployments
            .iter_mut()
            .find(|d| d.pods.iter().any(|p| p.name == name))
            .ok_or_else(|| format!("pod {ns}/{name} not found"))?;
        d.pods.retain(|p| p.name != name);
        let rs = name.rsplit_once('-').map_or(name, |(rs, _)| rs);
        let detail = format!("pod {ns}/{name} deleted; ReplicaSet {rs} will create a replacement");
        Ok((
            detail,
            Observation::PodGone {
                namespace: ns,
                name: name.to_string(),
            },
        ))
    }

    pub(super) fn update_pods(&mut self) -> Vec<Observation> {
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
}

impl Deployment {
    /// Makes `image` the current template as a new revision; pods follow by rolling update.
    pub(super) fn roll_to(&mut self, image: String, change_cause: String, now: Timestamp) {
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
pub(super) fn template_of(deployment: &str, image: &str, gpu: bool) -> Vec<String> {
    let container = deployment.rsplit('-').next().unwrap_or("main");
    let mut lines = vec![format!("{container}: image {image}")];
    if gpu {
        lines.push(format!("{container}: limits nvidia.com/gpu=1"));
    }
    lines
}

pub(super) fn new_pod(
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
