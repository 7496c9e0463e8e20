//! The describe view of a pod or deployment: what the cockpit knows at once, then the API
//! server's answer.

use crate::cluster::{DescribeTarget, KubeEvent};
use crate::event::Level;

use crate::app::state::{PodRow, WorkloadKey};
use crate::app::{App, Effect, Overlay};

use super::Scope;

impl App {
    /// Opens the describe view for a pod or deployment (named, or the selected one): what the
    /// cockpit knows at once, replaced by the API server's answer when it comes.
    pub(crate) fn describe_target(&mut self, name: Option<String>) {
        let target = match name {
            Some(n) => {
                let pod = self
                    .pods
                    .workloads
                    .values()
                    .flat_map(|w| w.pods.values())
                    .find(|p| p.name == n);
                match pod {
                    Some(p) => DescribeTarget {
                        namespace: p.namespace.clone(),
                        kind: "Pod".into(),
                        name: n,
                    },
                    None => match self
                        .pods
                        .resolve_deployment(&n)
                        .ok()
                        .and_then(|k| self.pods.deployment(&k))
                    {
                        Some(d) => DescribeTarget {
                            namespace: d.namespace.clone(),
                            kind: "Deployment".into(),
                            name: n,
                        },
                        None => {
                            self.flash(Level::Crit, format!("no pod or deployment `{n}`"));
                            return;
                        }
                    },
                }
            }
            None => {
                // A Rollout's steps and revisions, from the watch's own state.
                if let Some(PodRow::Workload(_, w)) = self.pods.rows().nth(self.pods.selected)
                    && w.deployment.is_none()
                    && let Some(r) = &w.rollout
                {
                    let text = r
                        .describe()
                        .iter()
                        .map(|l| crate::app::logs::sanitize(l))
                        .collect::<Vec<_>>()
                        .join("\n");
                    self.overlay = Some(Overlay::Output {
                        title: format!("describe rollout {}", r.name),
                        text,
                        scroll: 0,
                    });
                    return;
                }
                let chosen = match self.pods.rows().nth(self.pods.selected) {
                    Some(PodRow::Pod(_, p)) => Some(DescribeTarget {
                        namespace: p.namespace.clone(),
                        kind: "Pod".into(),
                        name: p.name.clone(),
                    }),
                    Some(PodRow::Workload(name, w)) if w.deployment.is_some() => {
                        Some(DescribeTarget {
                            namespace: w
                                .deployment
                                .as_ref()
                                .map(|d| d.namespace.clone())
                                .unwrap_or_default(),
                            kind: "Deployment".into(),
                            name: name.to_string(),
                        })
                    }
                    _ => None,
                };
                let Some(t) = chosen else {
                    self.flash(
                        Level::Warn,
                        "select a pod or a deployment in the pods pane first",
                    );
                    return;
                };
                t
            }
        };
        let text = self.describe_from_state(&target).join("\n");
        self.overlay = Some(Overlay::Output {
            title: format!("describe {} {}", target.kind.to_lowercase(), target.name),
            text,
            scroll: 0,
        });
        self.cluster.describing = Some(target.clone());
        self.emit(Effect::Describe(target));
    }

    /// A describe view from the cockpit's own state, for worlds with no API server to ask.
    pub(crate) fn describe_from_state(&self, t: &DescribeTarget) -> Vec<String> {
        let mut out = vec![
            format!("Name:         {}", t.name),
            format!("Namespace:    {}", t.namespace),
        ];
        let mut scope = Scope::default();
        if t.kind == "Pod" {
            let p = self
                .pods
                .workloads
                .values()
                .flat_map(|w| w.pods.values())
                .find(|p| p.name == t.name);
            if let Some(p) = p {
                out.push(format!("Node:         {}", p.node));
                out.push(format!("Status:       {}", p.phase));
                if let Some(r) = &p.reason {
                    out.push(format!("Reason:       {r}"));
                }
                out.push(format!("Ready:        {}", p.ready));
                out.push(format!("Restart Count: {}", p.restarts));
                if let Some((reason, at)) = &p.last_termination {
                    out.push(format!(
                        "Last State:   Terminated ({reason}) at {}",
                        at.strftime("%Y-%m-%d %H:%M:%S UTC")
                    ));
                }
                scope.workload = Some(WorkloadKey::new(&p.namespace, &p.workload));
                scope.pods.insert(p.name.clone());
            }
        } else if let key = WorkloadKey::new(&t.namespace, &t.name)
            && let Some(d) = self.pods.deployment(&key)
        {
            out.push(format!(
                "Replicas:     {} desired | {} updated | {} ready | {} available",
                d.replicas, d.updated, d.ready, d.available
            ));
            out.push(format!("Revision:     {} ({})", d.revision, d.image));
            for p in &d.problems {
                out.push(format!("Problem:      {p}"));
            }
            if let Some(h) = self.cluster.hpa_for(&key) {
                out.push(format!(
                    "Autoscaler:   {} min {} max {} current {} desired {}",
                    h.name, h.min, h.max, h.current, h.desired
                ));
            }
            scope.workload = Some(key.clone());
        }
        let events: Vec<KubeEvent> = self
            .events_of(&scope, false, 50)
            .into_iter()
            .map(|r| KubeEvent {
                uid: String::new(),
                namespace: r.namespace,
                kind: r.kind,
                name: r.name,
                reason: r.reason,
                note: r.note,
                warning: r.warning,
                count: r.count,
                first: r.first,
                last: r.last,
                source: r.source,
            })
            .collect();
        crate::cluster::describe::event_lines(&events, self.now, &mut out);
        out
    }

    /// The API server's describe view, into the overlay if it is still open.
    pub(crate) fn on_described(
        &mut self,
        target: DescribeTarget,
        result: Result<Vec<String>, String>,
    ) {
        if self.cluster.describing.as_ref() != Some(&target) {
            return;
        }
        if let Some(Overlay::Output { text, .. }) = &mut self.overlay {
            match result {
                Ok(lines) => *text = lines.join("\n"),
                Err(why) => text.push_str(&format!("\n⚠ the API server's view: {why}")),
            }
            self.dirty = true;
        }
    }
}
