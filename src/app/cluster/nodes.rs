//! Commands on nodes, autoscalers and batch objects: which node a command means, the lines
//! its confirmation shows, the HPA's warning on a scale, and whether it took effect.

use crate::cluster::ClusterAction;
use crate::command::Pane;
use crate::event::{Action, Level};

use crate::app::App;
use crate::app::state::{PodRow, WorkloadKey};

use super::PodsView;

impl App {
    /// The node a node command without a name means: the nodes view's selection, the
    /// selected GPU's host, or the selected pod's node.
    pub(crate) fn default_node(&self) -> Option<String> {
        match (self.focus, self.cluster.view) {
            (Pane::Pods, PodsView::Nodes) => self.cluster.selected_node().map(|n| n.name.clone()),
            (Pane::Gpus, _) => crate::ui::panes::gpus::sorted(self)
                .get(self.gpus.selected)
                .map(|g| g.host.clone()),
            (Pane::Pods, PodsView::Pods) => match self.pods.rows().nth(self.pods.selected) {
                Some(PodRow::Pod(_, p)) if !p.node.is_empty() => Some(p.node.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn node_action(
        &mut self,
        node: Option<String>,
        f: impl FnOnce(String) -> ClusterAction,
    ) {
        let Some(node) = node.or_else(|| self.default_node()) else {
            self.flash(
                Level::Warn,
                "select a node in the nodes view (`:nodes`), a GPU or a pod first, or name it",
            );
            return;
        };
        self.confirm(Action::Cluster(f(node)));
    }

    /// The confirmation's lines for a cluster action.
    pub(crate) fn describe_cluster(&self, action: &ClusterAction) -> Result<Vec<String>, String> {
        let node_info = |name: &str| self.cluster.nodes.get(name);
        // A node is named by its cluster alone: the confirmation says which cluster.
        let ctx = if self.caps.context.is_empty() {
            String::new()
        } else {
            format!(" in context {}", self.caps.context)
        };
        Ok(match action {
            ClusterAction::Cordon { node } => {
                let mut lines = vec![format!(
                    "Cordon node {node}{ctx}: no new pods are scheduled on it"
                )];
                if node_info(node).is_some_and(|n| n.unschedulable) {
                    lines.push("It is already cordoned.".into());
                }
                lines
            }
            ClusterAction::Uncordon { node } => {
                vec![format!(
                    "Uncordon node {node}{ctx}: pods may be scheduled on it again"
                )]
            }
            ClusterAction::Drain { node } => {
                let pods: Vec<String> = self
                    .pods
                    .workloads
                    .values()
                    .flat_map(|w| w.pods.values())
                    .filter(|p| &p.node == node)
                    .map(|p| p.name.clone())
                    .collect();
                let mut lines = vec![
                    format!("Drain node {node}{ctx}: cordon it, then evict its pods"),
                    "  through the Eviction API: PodDisruptionBudgets are respected (a refused"
                        .into(),
                    "  eviction is retried and reported, never forced); DaemonSet and mirror"
                        .into(),
                    "  pods stay, as with kubectl drain.".into(),
                ];
                if let Some(n) = node_info(node) {
                    lines.push(format!("  {} pods run on it now.", n.pods));
                }
                if !pods.is_empty() {
                    lines.push(format!("  Watched pods on it: {}", pods.join(", ")));
                }
                lines
            }
            a @ (ClusterAction::JobRerun { .. } | ClusterAction::CronJobSuspend { .. }) => {
                self.describe_jobs_action(a, &ctx)
            }
            a @ ClusterAction::Rollout { .. } => self.describe_rollout_action(a, &ctx),
            ClusterAction::HpaMin {
                namespace,
                name,
                min,
                previous,
            } => {
                let h = self
                    .cluster
                    .hpas
                    .iter()
                    .find(|h| &h.name == name && &h.namespace == namespace);
                if let Some(h) = h
                    && *min > h.max
                {
                    return Err(format!(
                        "{name}: minimum {min} is above its maximum {}",
                        h.max
                    ));
                }
                vec![
                    format!("Set HPA {namespace}/{name}{ctx} minReplicas from {previous} to {min}"),
                    format!("  (put it back with `hpa-min {name} {previous}`)"),
                ]
            }
        })
    }

    /// The lines the scale confirmation adds when an HPA manages the deployment.
    pub(crate) fn hpa_scale_warning(&self, key: &WorkloadKey, replicas: u32) -> Vec<String> {
        let deployment = &key.name;
        let Some(h) = self.cluster.hpa_for(key) else {
            return Vec::new();
        };
        let mut lines = vec![
            format!(
                "⚠ HPA {} manages {deployment} (min {}, max {}, wants {}): it will undo this scale.",
                h.name, h.min, h.max, h.desired
            ),
            format!(
                "  Raise its minimum instead: `hpa-min {} {}` (journaled with the previous {}).",
                h.name,
                replicas.clamp(1, h.max.max(1)),
                h.min
            ),
        ];
        if replicas > h.max {
            lines.push(format!("  {replicas} is above its maximum of {}.", h.max));
        }
        lines
    }

    /// Whether a cluster action shows in the state, for "did it work?".
    pub(crate) fn cluster_settled(&self, action: &ClusterAction) -> Option<String> {
        match action {
            ClusterAction::Cordon { node } => {
                let n = self.cluster.nodes.get(node)?;
                n.unschedulable.then(|| format!("{node} is cordoned"))
            }
            ClusterAction::Uncordon { node } => {
                let n = self.cluster.nodes.get(node)?;
                (!n.unschedulable).then(|| format!("{node} takes pods again"))
            }
            ClusterAction::Drain { node } => {
                let d = self.cluster.drain.as_ref().filter(|d| &d.node == node)?;
                let left = self
                    .pods
                    .workloads
                    .values()
                    .flat_map(|w| w.pods.values())
                    .filter(|p| &p.node == node)
                    .count();
                (d.done && d.blocked.is_empty() && left == 0)
                    .then(|| format!("{node} drained: {} pods evicted", d.evicted))
            }
            ClusterAction::HpaMin { name, min, .. } => {
                let h = self.cluster.hpas.iter().find(|h| &h.name == name)?;
                (h.min == *min && h.current >= *min)
                    .then(|| format!("{name} at {} replicas, minimum {min}", h.current))
            }
            a @ (ClusterAction::JobRerun { .. } | ClusterAction::CronJobSuspend { .. }) => {
                self.jobs_settled(a)
            }
            a @ ClusterAction::Rollout { .. } => self.rollout_settled(a),
        }
    }
}
