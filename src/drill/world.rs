//! The simulated cluster: steps one simulated second at a time and answers actions.
//! Deterministic for a given scenario and seed, so drills can be tested and scored.

use jiff::{SignedDuration, Timestamp};

use super::cluster::{Deployment, new_pod, template_of};
use super::scenario::Scenario;
use super::signals::AlertSim;
use crate::event::{
    Action, ActionOutcome, ActionReport, DeploymentStatus, KillSwitchStatus, Observation,
    PodStatus, RevisionInfo, SignalDef,
};

/// What an action did to the simulated world.
#[derive(Debug, Clone)]
pub struct Applied {
    pub detail: String,
    /// For a rollback: from which revision, to which revision's template.
    pub revisions: Option<(u64, u64)>,
    pub observations: Vec<Observation>,
}

/// The simulated world of one drill.
#[derive(Debug, Clone)]
pub struct World {
    pub(super) scenario: Scenario,
    pub(super) rng: fastrand::Rng,
    pub(super) start: Timestamp,
    pub(super) t: SignedDuration,
    pub(super) deployments: Vec<Deployment>,
    /// Fault strength, 0 (absent) to 1 (full), and since when its cause is present.
    pub(super) faults: Vec<(f64, Option<SignedDuration>)>,
    /// When each fault's cause last went away (for its recovery curve).
    pub(super) fault_gone: Vec<Option<SignedDuration>>,
    pub(super) next_event: usize,
    pub(super) alerts: Vec<AlertSim>,
    /// Silences made in the drill, as Alertmanager would keep them.
    pub(super) silences: crate::drill::silences::Silences,
    pub(super) kill_switches: Vec<bool>,
    /// Replicas a scale kill switch replaced, to restore when it goes off.
    pub(super) scaled_from: Vec<Option<u32>>,
    pub(super) signal_values: Vec<f64>,
    pub(super) fault_log_debt: Vec<f64>,
    /// Every action the operator took, with its time.
    pub(super) actions: Vec<(SignedDuration, Action)>,
    /// When the drill first had an alert firing, and when it was last fully well again after that.
    pub(super) first_alert: Option<SignedDuration>,
    pub(super) mitigated: Option<SignedDuration>,
    pub(super) next_id: u64,
}

pub(super) const TICK: SignedDuration = SignedDuration::from_secs(1);

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
            fault_gone: vec![None; scenario.faults.len()],
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

    pub(super) fn kill_switch_states(&self) -> Vec<Observation> {
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

    pub(super) fn deployment_mut(&mut self, name: &str) -> Option<&mut Deployment> {
        self.deployments.iter_mut().find(|d| d.spec.name == name)
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
                labels: Default::default(),
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

    /// [`World::apply`] as the executor reports it: the action's report, and the
    /// observations of the world it left (none when it failed).
    pub fn act(&mut self, action: Action) -> (ActionReport, Vec<Observation>) {
        match self.apply(&action) {
            Ok(applied) => (
                ActionReport {
                    action,
                    outcome: ActionOutcome::Ok,
                    detail: applied.detail,
                    revisions: applied.revisions,
                },
                applied.observations,
            ),
            Err(detail) => (
                ActionReport {
                    action,
                    outcome: ActionOutcome::Failed,
                    detail,
                    revisions: None,
                },
                Vec::new(),
            ),
        }
    }

    /// Carries out an action on the simulated cluster: what happened, in words and for the
    /// timeline (a rollback's revisions), and the world as it now is.
    // Long by design: one arm per action, each what the real cluster would do.
    pub fn apply(&mut self, action: &Action) -> Result<Applied, String> {
        self.holds(action)?;
        let now = self.start + self.t;
        let mut revisions = None;
        let detail = match action {
            Action::Shell { .. } => return Err("shell commands are never run in a drill".into()),
            Action::Cluster(c) => {
                return Err(format!(
                    "the simulated cluster has no node, autoscaler or batch API: `{}` is not simulated",
                    c.command_line()
                ));
            }
            Action::Rollback {
                deployment,
                revision,
                ..
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
            Action::Restart { deployment, .. } => {
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
                ..
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
            Action::DeletePod { pod, .. } => {
                let (detail, gone) = self.delete_pod(pod)?;
                self.actions.push((self.t, action.clone()));
                let mut observations = vec![gone];
                observations.extend(self.snapshot());
                return Ok(Applied {
                    detail,
                    revisions: None,
                    observations,
                });
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

    /// Whether the action's object is in this world: the simulated cluster acts on its own
    /// context and namespace only, as the real executor does (an action from before actions
    /// named their place names neither, and is taken as meant here).
    fn holds(&self, action: &Action) -> Result<(), String> {
        let (kind, name, place) = match action {
            Action::DeletePod { pod, place } => ("pod", pod.as_str(), place),
            _ => match action.deployment_target() {
                Some((name, place)) => ("deployment", name, place),
                None => return Ok(()),
            },
        };
        let ns = &self.scenario.drill.namespace;
        let ctx = crate::app::capabilities::SANDBOX_CONTEXT;
        let elsewhere = (!place.namespace.is_empty() && place.namespace != *ns)
            || (!place.context.is_empty() && place.context != ctx);
        if elsewhere {
            return Err(format!(
                "refused: {} is not in the simulated cluster (context {ctx}, namespace {ns})",
                place.object(kind, name)
            ));
        }
        Ok(())
    }

    /// What `action` would do, changing nothing: the sandbox's dry run, in the shape of the
    /// API server's (`accepted`, what changes, pods touched) or why it would be refused.
    pub fn preview(&self, action: &Action) -> Result<Vec<String>, String> {
        const HEAD: &str = "Sandbox dry run (simulated cluster)";
        self.holds(action).map_err(|e| format!("{HEAD}: {e}"))?;
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
            Action::Rollback { deployment, .. } | Action::Restart { deployment, .. } => {
                replicas(deployment)
            }
            Action::Scale {
                deployment,
                replicas: to,
                ..
            } => replicas(deployment).abs_diff(*to),
            Action::KillSwitch { name, .. } => self
                .scenario
                .kill_switches
                .iter()
                .find(|k| k.name == *name)
                .and_then(|k| k.scale.as_ref())
                .map_or(0, |s| replicas(&s.deployment).abs_diff(s.replicas)),
            Action::DeletePod { .. } => 1,
            Action::Shell { .. }
            | Action::Silence { .. }
            | Action::ExpireSilence { .. }
            | Action::Cluster(_) => 0,
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::drill::Scenario;
    use crate::event::AlertState;

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
                place: Default::default(),
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
            place: Default::default(),
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
    fn a_deleted_pod_goes_and_its_replicaset_replaces_it() {
        let mut w = world();
        run(&mut w, 30);
        let pods = |w: &World| -> Vec<String> {
            w.deployments
                .iter()
                .filter(|d| d.spec.name == "snapbuilder-serving")
                .flat_map(|d| d.pods.iter().map(|p| p.name.clone()))
                .collect()
        };
        let before = pods(&w);
        let victim = before[0].clone();
        let place =
            crate::event::Place::new(crate::app::capabilities::SANDBOX_CONTEXT, "snapbuilder");
        let action = Action::DeletePod {
            pod: victim.clone(),
            place: place.clone(),
        };
        let preview = w.preview(&action).unwrap().join("\n");
        assert!(preview.contains("will create a replacement"), "{preview}");
        assert_eq!(pods(&w), before, "a dry run deletes nothing");
        let applied = w.apply(&action).unwrap();
        assert!(
            applied
                .observations
                .iter()
                .any(|o| matches!(o, Observation::PodGone { name, .. } if *name == victim))
        );
        assert!(!pods(&w).contains(&victim));
        run(&mut w, 60);
        let after = pods(&w);
        let replicas = w.deployment_mut("snapbuilder-serving").unwrap().replicas as usize;
        assert_eq!(after.len(), replicas, "{after:?}");
        assert!(!after.contains(&victim));
        // Another namespace is not the simulated cluster's.
        let elsewhere = Action::DeletePod {
            pod: after[0].clone(),
            place: crate::event::Place::new(place.context, "other"),
        };
        assert!(w.apply(&elsewhere).unwrap_err().contains("refused"));
        assert!(w.apply(&action).unwrap_err().contains("not found"));
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
