//! The cluster views of the pods pane (events of the selected workload, nodes), autoscalers
//! beside their deployments, the describe view, and the commands on nodes and autoscalers.
//! Plain state and pure folding; the executors do the talking.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;

use crate::cluster::{
    ClusterAction, DescribeTarget, DrainProgress, HpaInfo, KubeEvent, NodeInfo, xid_calls_for_drain,
};
use crate::command::{Command, Pane};
use crate::event::{Action, Level, Observation};
use crate::journal::Kind;

use super::App;
use super::state::{PodRow, WorkloadKey};

mod describe;
mod nodes;
mod pods;
mod rollouts;

/// Events kept at most; the oldest (by last seen) go first. A busy namespace holds 20,000.
pub const MAX_EVENTS: usize = 10_000;
/// Rows the events view builds at most (newest first).
pub const MAX_EVENT_ROWS: usize = 500;

/// What the pods pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodsView {
    #[default]
    Pods,
    /// The events of the selected workload, its pods and their nodes.
    Events,
    Nodes,
    /// Jobs (failing ones first) and CronJobs.
    Jobs,
}

/// Events by uid, with an index by last-seen time so the cap drops the oldest.
#[derive(Debug, Clone, Default)]
pub struct EventStore {
    by_uid: HashMap<String, KubeEvent>,
    by_age: BTreeSet<(Timestamp, String)>,
    /// Events dropped by the cap since the start.
    pub dropped: u64,
    /// Counts every change, so what is derived from the store knows when it is stale.
    revision: u64,
}

impl EventStore {
    /// Adds an event or its new count.
    pub fn upsert(&mut self, e: KubeEvent) {
        self.revision += 1;
        if let Some(old) = self.by_uid.get(&e.uid) {
            self.by_age.remove(&(old.last, old.uid.clone()));
        }
        self.by_age.insert((e.last, e.uid.clone()));
        self.by_uid.insert(e.uid.clone(), e);
        while self.by_uid.len() > MAX_EVENTS {
            let Some((_, uid)) = self.by_age.pop_first() else {
                break;
            };
            self.by_uid.remove(&uid);
            self.dropped += 1;
        }
    }

    pub fn remove(&mut self, uid: &str) {
        self.revision += 1;
        if let Some(old) = self.by_uid.remove(uid) {
            self.by_age.remove(&(old.last, old.uid));
        }
    }

    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
    }

    /// Every event, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &KubeEvent> {
        self.by_age
            .iter()
            .rev()
            .filter_map(|(_, u)| self.by_uid.get(u))
    }
}

/// One row of the events view: identical events (same object, reason, type and note)
/// folded into one, with their counts summed and first/last seen widened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub reason: String,
    pub note: String,
    pub warning: bool,
    pub count: u32,
    pub first: Timestamp,
    pub last: Timestamp,
    pub source: String,
}

impl EventRow {
    /// The line pinned to the timeline.
    pub fn journal_text(&self) -> String {
        let tod = |t: Timestamp| t.strftime("%H:%M:%S").to_string();
        format!(
            "event {} {} {}/{} ×{} ({}–{}): {}",
            if self.warning { "Warning" } else { "Normal" },
            self.reason,
            self.kind.to_lowercase(),
            self.name,
            self.count,
            tod(self.first),
            tod(self.last),
            self.note
        )
    }
}

/// Which objects the events view is about: a workload, its pods and their nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub workload: Option<WorkloadKey>,
    pub pods: BTreeSet<String>,
    pub nodes: BTreeSet<String>,
}

impl Scope {
    fn covers(&self, e: &KubeEvent) -> bool {
        let Some(w) = &self.workload else {
            return true;
        };
        // Two namespaces may hold the same names; a node is in none.
        if e.kind != "Node" && e.namespace != w.namespace {
            return false;
        }
        let w = &w.name;
        match e.kind.as_str() {
            "Pod" => self.pods.contains(&e.name),
            "Node" => self.nodes.contains(&e.name),
            "Deployment" | "HorizontalPodAutoscaler" => &e.name == w,
            "ReplicaSet" => e
                .name
                .strip_prefix(w.as_str())
                .is_some_and(|r| r.starts_with('-')),
            _ => false,
        }
    }
}

/// The cluster views' state.
#[derive(Debug, Clone, Default)]
pub struct ClusterPane {
    pub view: PodsView,
    pub events: EventStore,
    pub warnings_only: bool,
    pub event_selected: usize,
    /// Nodes by name.
    pub nodes: BTreeMap<String, NodeInfo>,
    pub node_selected: usize,
    pub hpas: Vec<HpaInfo>,
    /// The drain running or last run.
    pub drain: Option<DrainProgress>,
    /// The describe view open now, so the server's answer lands in it.
    pub describing: Option<DescribeTarget>,
    /// Jobs and CronJobs, and the jobs view's selection.
    pub batch: crate::cluster::jobs::Batch,
    pub job_selected: usize,
    /// CPU and memory from metrics.k8s.io.
    pub usage: super::jobs::UsageState,
    /// The events view's rows as last grouped, and what they were grouped from: every
    /// frame draws them, and grouping thousands of events per frame would cost the budget.
    shown_events: Option<(EventRowsKey, Vec<EventRow>)>,
}

/// What the events view's rows depend on: the store's revision, the scope (its workload,
/// and a hash of its pods and their nodes) and the warnings filter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EventRowsKey {
    revision: u64,
    workload: Option<WorkloadKey>,
    pods: u64,
    warnings_only: bool,
}

impl ClusterPane {
    /// The HPA scaling deployment `key`, if one does.
    pub fn hpa_for(&self, key: &WorkloadKey) -> Option<&HpaInfo> {
        self.hpas.iter().find(|h| {
            h.target_kind == "Deployment" && h.target == key.name && h.namespace == key.namespace
        })
    }

    /// The node selected in the nodes view.
    pub fn selected_node(&self) -> Option<&NodeInfo> {
        self.nodes.values().nth(self.node_selected)
    }
}

/// Events (newest first) about `scope` folded into rows: identical ones counted together,
/// at most `max` rows.
pub fn group_events<'a>(
    events: impl Iterator<Item = &'a KubeEvent>,
    scope: &Scope,
    warnings_only: bool,
    max: usize,
) -> Vec<EventRow> {
    let mut rows: Vec<EventRow> = Vec::new();
    // Borrowed keys: thousands of events are looked up per frame, few become rows.
    let mut at: HashMap<(&str, &str, &str, &str, bool), usize> = HashMap::new();
    for e in events {
        if (warnings_only && !e.warning) || !scope.covers(e) {
            continue;
        }
        let key = (
            e.kind.as_str(),
            e.name.as_str(),
            e.reason.as_str(),
            e.note.as_str(),
            e.warning,
        );
        match at.get(&key) {
            Some(&i) => {
                let r = &mut rows[i];
                r.count = r.count.saturating_add(e.count);
                r.first = r.first.min(e.first);
            }
            None => {
                if rows.len() >= max {
                    continue;
                }
                at.insert(key, rows.len());
                rows.push(EventRow {
                    namespace: e.namespace.clone(),
                    kind: e.kind.clone(),
                    name: e.name.clone(),
                    reason: e.reason.clone(),
                    note: e.note.clone(),
                    warning: e.warning,
                    count: e.count,
                    first: e.first,
                    last: e.last,
                    source: e.source.clone(),
                });
            }
        }
    }
    rows
}

impl App {
    /// The events view's scope: the selected workload, its pods and their nodes.
    pub fn event_scope(&self) -> Scope {
        let Some(w) = self.pods.selected_workload() else {
            return Scope::default();
        };
        let pods = self.pods.workloads.get(w);
        Scope {
            workload: Some(w.clone()),
            pods: pods
                .map(|p| p.pods.keys().cloned().collect())
                .unwrap_or_default(),
            nodes: pods
                .map(|p| {
                    p.pods
                        .values()
                        .map(|p| p.node.clone())
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The events view's rows: deduplicated, newest first, warnings only when asked.
    pub fn event_rows(&self) -> Vec<EventRow> {
        let scope = self.event_scope();
        self.events_of(&scope, self.cluster.warnings_only, MAX_EVENT_ROWS)
    }

    fn event_rows_key(&self) -> EventRowsKey {
        use std::hash::{Hash, Hasher};
        let workload = self.pods.selected_workload().cloned();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        if let Some(w) = workload.as_ref().and_then(|w| self.pods.workloads.get(w)) {
            for p in w.pods.values() {
                (&p.name, &p.node).hash(&mut h);
            }
        }
        EventRowsKey {
            revision: self.cluster.events.revision,
            pods: h.finish(),
            workload,
            warnings_only: self.cluster.warnings_only,
        }
    }

    /// The events view's rows for drawing: as grouped after the last change, or grouped
    /// now when the state has moved on since (a state built without `update`).
    pub fn shown_event_rows(&self) -> std::borrow::Cow<'_, [EventRow]> {
        match &self.cluster.shown_events {
            Some((key, rows)) if *key == self.event_rows_key() => std::borrow::Cow::Borrowed(rows),
            _ => std::borrow::Cow::Owned(self.event_rows()),
        }
    }

    /// Groups the events view's rows again if what they depend on changed; only while the
    /// view shows them.
    pub(in crate::app) fn refresh_event_rows(&mut self) {
        if self.cluster.view != PodsView::Events {
            self.cluster.shown_events = None;
            return;
        }
        let key = self.event_rows_key();
        if self
            .cluster
            .shown_events
            .as_ref()
            .is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        self.cluster.shown_events = Some((key, self.event_rows()));
    }

    /// The events about `scope`, deduplicated, newest first, at most `max` rows.
    pub fn events_of(&self, scope: &Scope, warnings_only: bool, max: usize) -> Vec<EventRow> {
        group_events(
            self.cluster.events.newest_first(),
            scope,
            warnings_only,
            max,
        )
    }
}

impl App {
    /// Folds the cluster observations in.
    pub(super) fn observe_cluster(&mut self, obs: Observation) {
        match obs {
            Observation::KubeEvents(list) => {
                for e in list {
                    self.cluster.events.upsert(e);
                }
            }
            Observation::KubeEventsGone(uids) => {
                for u in uids {
                    self.cluster.events.remove(&u);
                }
            }
            Observation::Nodes(list) => {
                self.cluster.nodes = list.into_iter().map(|n| (n.name.clone(), n)).collect();
                let n = self.cluster.nodes.len();
                self.cluster.node_selected = self.cluster.node_selected.min(n.saturating_sub(1));
            }
            Observation::Hpas(list) => self.cluster.hpas = list,
            Observation::Batch(b) => self.observe_batch(b),
            Observation::Usage(u) => self.observe_usage(u),
            Observation::Drain(p) => {
                let blocked: Vec<&str> = p.blocked.iter().map(|(pod, _)| pod.as_str()).collect();
                let mut text = format!("drain {}: {}/{} evicted", p.node, p.evicted, p.total);
                if !blocked.is_empty() {
                    text.push_str(&format!(
                        "; waiting on a disruption budget: {}",
                        blocked.join(", ")
                    ));
                }
                self.flash(Level::Unknown, text);
                self.cluster.drain = Some(p);
            }
            _ => {}
        }
    }

    /// Moves the selection of the events or nodes view; false when the pods view is shown.
    pub(super) fn move_cluster_selection(&mut self, delta: isize) -> bool {
        match self.cluster.view {
            PodsView::Pods => false,
            PodsView::Events => {
                let n = self.event_rows().len();
                self.cluster.event_selected = super::step(self.cluster.event_selected, n, delta);
                true
            }
            PodsView::Nodes => {
                let n = self.cluster.nodes.len();
                self.cluster.node_selected = super::step(self.cluster.node_selected, n, delta);
                true
            }
            PodsView::Jobs => {
                let n = self.job_rows().len();
                self.cluster.job_selected = super::step(self.cluster.job_selected, n, delta);
                true
            }
        }
    }

    /// Runs the cluster commands: views, pinning, describe, node and autoscaler actions.
    pub(super) fn run_cluster_command(&mut self, cmd: Command) {
        match cmd {
            Command::Events => self.toggle_view(PodsView::Events),
            Command::Nodes => self.toggle_view(PodsView::Nodes),
            Command::Warnings => {
                self.cluster.warnings_only = !self.cluster.warnings_only;
                self.cluster.event_selected = 0;
                if self.cluster.view != PodsView::Events {
                    self.toggle_view(PodsView::Events);
                }
            }
            Command::Pin => self.pin_event(),
            Command::Describe(None) if self.cluster.view == PodsView::Jobs => self.describe_job(),
            Command::Describe(name) => self.describe_target(name),
            Command::DeletePod(pod) => self.delete_pod_command(pod),
            Command::Cordon(node) => self.node_action(node, |node| ClusterAction::Cordon { node }),
            Command::Uncordon(node) => {
                self.node_action(node, |node| ClusterAction::Uncordon { node })
            }
            Command::Drain(node) => self.node_action(node, |node| ClusterAction::Drain { node }),
            Command::HpaMin { hpa, min } => {
                let Some(h) = self
                    .cluster
                    .hpas
                    .iter()
                    .find(|h| h.name == hpa || h.target == hpa)
                else {
                    let known: Vec<&str> =
                        self.cluster.hpas.iter().map(|h| h.name.as_str()).collect();
                    self.flash(
                        Level::Crit,
                        format!("no autoscaler `{hpa}`; known: {}", known.join(", ")),
                    );
                    return;
                };
                let action = ClusterAction::HpaMin {
                    namespace: h.namespace.clone(),
                    name: h.name.clone(),
                    min,
                    previous: h.min,
                };
                self.confirm(Action::Cluster(action));
            }
            _ => {}
        }
    }

    pub(super) fn toggle_view(&mut self, view: PodsView) {
        self.cluster.view = if self.cluster.view == view {
            PodsView::Pods
        } else {
            view
        };
        self.cluster.event_selected = 0;
        self.focus = Pane::Pods;
    }

    fn pin_event(&mut self) {
        if self.cluster.view != PodsView::Events {
            self.flash(Level::Warn, "open the events view first (`:events`)");
            return;
        }
        let rows = self.event_rows();
        let Some(row) = rows.get(self.cluster.event_selected) else {
            self.flash(Level::Warn, "no event selected");
            return;
        };
        self.journal(Kind::Note, row.journal_text(), None);
        self.flash(Level::Ok, format!("pinned to the timeline: {}", row.reason));
    }

    /// Selects, in the pods pane, the pod using the selected GPU (from its DCGM labels).
    pub(super) fn select_gpu_pod(&mut self) {
        let Some(pod) = crate::ui::panes::gpus::sorted(self)
            .get(self.gpus.selected)
            .and_then(|g| g.pod.clone())
        else {
            return;
        };
        let (ns, name) = match pod.split_once('/') {
            Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
            None => (None, pod),
        };
        let row = self.pods.rows().position(|r| {
            matches!(r, PodRow::Pod(_, p) if p.name == name
                && ns.as_ref().is_none_or(|ns| &p.namespace == ns))
        });
        if let Some(row) = row
            && row != self.pods.selected
        {
            self.pods.selected = row;
            self.cluster.view = PodsView::Pods;
            self.retarget_logs();
        }
    }

    /// The suggestion under a GPU whose XID calls for draining its node.
    pub fn gpu_drain_suggestion(host: &str, xid: Option<u32>) -> Option<String> {
        xid.filter(|c| xid_calls_for_drain(*c))
            .map(|_| format!("suggested: drain {host} (`drain` on this row)"))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::app::sample::drill_app;
    use crate::app::{Effect, Overlay};
    use crate::event::{DeploymentStatus, Event, GpuStatus, PodStatus};

    fn at(app: &App, secs: i64) -> Timestamp {
        app.now + jiff::SignedDuration::from_secs(secs)
    }

    fn ev(
        uid: &str,
        kind: &str,
        name: &str,
        reason: &str,
        warning: bool,
        count: u32,
        last: Timestamp,
    ) -> KubeEvent {
        KubeEvent {
            uid: uid.into(),
            namespace: "shop".into(),
            kind: kind.into(),
            name: name.into(),
            reason: reason.into(),
            note: format!("{reason} on {name}"),
            warning,
            count,
            first: last - jiff::SignedDuration::from_secs(60),
            last,
            source: "kubelet".into(),
        }
    }

    fn pod(name: &str, workload: &str, node: &str, at: Timestamp) -> PodStatus {
        PodStatus {
            namespace: "shop".into(),
            name: name.into(),
            workload: workload.into(),
            revision: 1,
            phase: "Running".into(),
            reason: Some("CrashLoopBackOff".into()),
            ready: false,
            restarts: 4,
            last_termination: Some(("OOMKilled".into(), at)),
            node: node.into(),
            created: at,
        }
    }

    fn deployment(name: &str, replicas: u32) -> Observation {
        Observation::Deployment(DeploymentStatus {
            namespace: "shop".into(),
            name: name.into(),
            revision: 1,
            replicas,
            ready: replicas,
            updated: replicas,
            available: replicas,
            image: format!("{name}:1"),
            history: Vec::new(),
            gpu: false,
            problems: Vec::new(),
            labels: Default::default(),
        })
    }

    /// A cockpit with deployments `web` (pods on node-1) and `api`, and events about them.
    fn shop() -> App {
        let mut app = drill_app(0);
        app.pods.workloads.clear();
        app.gpus.replace(Vec::new());
        let now = app.now;
        let obs = vec![
            deployment("api", 1),
            deployment("web", 2),
            Observation::Pod(pod("web-6f-a", "web", "node-1", now)),
            Observation::Pod(pod("web-6f-b", "web", "node-1", now)),
            Observation::Pod(pod("api-7c-a", "api", "node-2", now)),
            Observation::KubeEvents(vec![
                ev("u1", "Pod", "web-6f-a", "BackOff", true, 3, at(&app, -10)),
                // The same event reported by another object: folded into one row.
                ev("u2", "Pod", "web-6f-a", "BackOff", true, 2, at(&app, -5)),
                ev(
                    "u3",
                    "Pod",
                    "web-6f-b",
                    "Scheduled",
                    false,
                    1,
                    at(&app, -300),
                ),
                ev(
                    "u4",
                    "Node",
                    "node-1",
                    "NodeHasDiskPressure",
                    true,
                    1,
                    at(&app, -30),
                ),
                ev("u5", "Pod", "api-7c-a", "Unhealthy", true, 9, at(&app, -1)),
                ev(
                    "u6",
                    "ReplicaSet",
                    "web-6f",
                    "SuccessfulCreate",
                    false,
                    1,
                    at(&app, -400),
                ),
            ]),
        ];
        for o in obs {
            app.update(Event::Observed(now, o));
        }
        app.focus = Pane::Pods;
        assert!(app.pods.select_workload(&WorkloadKey::new("shop", "web")));
        app
    }

    #[test]
    fn events_of_the_selected_workload_are_deduplicated_newest_first() {
        let mut app = shop();
        app.run(Command::Events);
        assert_eq!(app.cluster.view, PodsView::Events);
        let rows = app.event_rows();
        let seen: Vec<(&str, &str, u32)> = rows
            .iter()
            .map(|r| (r.reason.as_str(), r.name.as_str(), r.count))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("BackOff", "web-6f-a", 5),
                ("NodeHasDiskPressure", "node-1", 1),
                ("Scheduled", "web-6f-b", 1),
                ("SuccessfulCreate", "web-6f", 1),
            ],
            "api's event is not web's; the node's is"
        );
        assert_eq!(
            rows[0].first,
            at(&app, -70),
            "first seen of the earliest report"
        );
        app.run(Command::Warnings);
        let warn: Vec<String> = app.event_rows().into_iter().map(|r| r.reason).collect();
        assert_eq!(warn, vec!["BackOff", "NodeHasDiskPressure"]);
        let screen = crate::ui::render_text(&app, 160, 40);
        assert!(screen.contains("events of web"), "{screen}");
        assert!(screen.contains("×5   BackOff"), "{screen}");
        assert!(!screen.contains("Unhealthy"), "{screen}");
    }

    #[test]
    fn the_drawn_rows_are_grouped_once_and_follow_events_selection_and_filter() {
        let mut app = shop();
        app.run(Command::Events);
        let grouped = |app: &App| matches!(app.shown_event_rows(), std::borrow::Cow::Borrowed(_));
        assert!(grouped(&app), "grouped after the command, not per frame");
        assert_eq!(app.shown_event_rows().as_ref(), app.event_rows().as_slice());
        // A new event: grouped again, once.
        let now = app.now;
        app.update(Event::Observed(
            now,
            Observation::KubeEvents(vec![ev(
                "u-new", "Pod", "web-6f-b", "Killing", true, 1, now,
            )]),
        ));
        assert!(grouped(&app));
        assert_eq!(app.shown_event_rows()[0].reason, "Killing");
        // The filter and the selection change what is drawn at once.
        app.run(Command::Warnings);
        assert_eq!(app.shown_event_rows().as_ref(), app.event_rows().as_slice());
        assert!(app.shown_event_rows().iter().all(|r| r.warning));
        app.run(Command::Warnings);
        let before = app.shown_event_rows().into_owned();
        app.pods.selected = app.pods.selected.saturating_add(1);
        // State changed without `update`: what is drawn is grouped afresh, never stale.
        assert!(!grouped(&app) || app.shown_event_rows().as_ref() == before.as_slice());
        assert_eq!(app.shown_event_rows().as_ref(), app.event_rows().as_slice());
    }

    #[test]
    fn a_key_pins_the_selected_event_to_the_timeline() {
        let mut app = shop();
        app.run(Command::Events);
        app.run(Command::Down);
        let effects = app.run(Command::Pin);
        let pinned: Vec<String> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::JournalAppend { entry, .. } if entry.kind == Kind::Note => {
                    Some(entry.text.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(pinned.len(), 1, "{effects:?}");
        assert!(
            pinned[0].starts_with("event Warning NodeHasDiskPressure node/node-1 ×1"),
            "{}",
            pinned[0]
        );
    }

    #[test]
    fn the_event_store_keeps_the_newest_ten_thousand() {
        let mut store = EventStore::default();
        let t0 = Timestamp::from_second(1_800_000_000).expect("time");
        for i in 0..(MAX_EVENTS + 50) {
            let last = t0 + jiff::SignedDuration::from_secs(i as i64);
            store.upsert(ev(&format!("u{i}"), "Pod", "p", "R", false, 1, last));
        }
        // A repeat of a kept event moves it, not adds it.
        store.upsert(ev(
            "u60",
            "Pod",
            "p",
            "R",
            false,
            2,
            t0 + jiff::SignedDuration::from_secs(99_999),
        ));
        assert_eq!(store.len(), MAX_EVENTS);
        assert_eq!(store.dropped, 50);
        assert_eq!(
            store.newest_first().next().map(|e| e.uid.as_str()),
            Some("u60")
        );
        assert!(store.newest_first().all(|e| e.uid != "u10"));
    }

    fn confirm_lines(app: &App) -> Vec<String> {
        match &app.overlay {
            Some(Overlay::Confirm { lines, .. }) => lines.clone(),
            other => panic!("no confirmation: {other:?}"),
        }
    }

    #[test]
    fn scaling_a_deployment_an_hpa_manages_says_so_and_offers_its_minimum() {
        let mut app = shop();
        let now = app.now;
        app.update(Event::Observed(
            now,
            Observation::Hpas(vec![HpaInfo {
                namespace: "shop".into(),
                name: "web-hpa".into(),
                target_kind: "Deployment".into(),
                target: "web".into(),
                min: 2,
                max: 6,
                current: 2,
                desired: 2,
                problem: None,
                last_scale: None,
            }]),
        ));
        let screen = crate::ui::render_text(&app, 160, 40);
        assert!(screen.contains("hpa 2–6 now 2 wants 2"), "{screen}");
        app.run(Command::Scale {
            deployment: "web".into(),
            replicas: 4,
        });
        let lines = confirm_lines(&app).join("\n");
        assert!(
            lines.contains("HPA web-hpa manages web (min 2, max 6"),
            "{lines}"
        );
        assert!(lines.contains("`hpa-min web-hpa 4`"), "{lines}");
        app.overlay = None;
        let effects = app.run(Command::HpaMin {
            hpa: "web".into(),
            min: 4,
        });
        let action = Action::Cluster(ClusterAction::HpaMin {
            namespace: "shop".into(),
            name: "web-hpa".into(),
            min: 4,
            previous: 2,
        });
        assert!(
            effects.contains(&Effect::Preview(action.clone())),
            "{effects:?}"
        );
        assert!(
            confirm_lines(&app)
                .iter()
                .any(|l| l == "Set HPA shop/web-hpa in context sandbox minReplicas from 2 to 4")
        );
        app.run(Command::HpaMin {
            hpa: "web-hpa".into(),
            min: 9,
        });
        assert!(
            app.flash
                .as_ref()
                .is_some_and(|f| f.text.contains("above its maximum 6"))
        );
    }

    #[test]
    fn a_gpu_with_xid_79_suggests_draining_its_node_and_drain_targets_it() {
        let mut app = shop();
        let now = app.now;
        app.update(Event::Observed(
            now,
            Observation::GpuList(vec![GpuStatus {
                host: "gpu-node-9".into(),
                index: 0,
                model: "H100".into(),
                util: Some(0.0),
                mem_used_mib: Some(0.0),
                mem_total_mib: Some(81_920.0),
                temp_c: Some(40.0),
                power_w: Some(60.0),
                xid: Some(79),
                pod: None,
            }]),
        ));
        app.focus = Pane::Gpus;
        app.run(Command::Severity(2));
        app.run(Command::Zoom);
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(screen.contains("GPU has fallen off the bus"), "{screen}");
        assert!(screen.contains("suggested: drain gpu-node-9"), "{screen}");
        app.run(Command::Zoom);
        let effects = app.run(Command::Drain(None));
        let drain = Action::Cluster(ClusterAction::Drain {
            node: "gpu-node-9".into(),
        });
        assert!(effects.contains(&Effect::Preview(drain)), "{effects:?}");
        let lines = confirm_lines(&app).join("\n");
        assert!(
            lines.contains("PodDisruptionBudgets are respected"),
            "{lines}"
        );
        // At SEV2 the node's name is typed first.
        assert!(matches!(
            &app.overlay,
            Some(Overlay::Confirm { typed_required: Some(n), .. }) if n == "gpu-node-9"
        ));
        app.overlay = None;
        app.read_only = true;
        app.run(Command::Cordon(Some("node-1".into())));
        assert!(app.overlay.is_none(), "read-only removes node changes");
    }

    #[test]
    fn the_nodes_view_shows_readiness_pressure_and_cordons() {
        let mut app = shop();
        let now = app.now;
        app.update(Event::Observed(
            now,
            Observation::Nodes(vec![
                NodeInfo {
                    name: "node-1".into(),
                    ready: Some(true),
                    pressure: vec!["DiskPressure".into()],
                    taints: vec!["node.kubernetes.io/unschedulable:NoSchedule".into()],
                    unschedulable: true,
                    pods: 12,
                    cpu_alloc_m: 4000,
                    cpu_req_m: 3000,
                    mem_alloc: 16 << 30,
                    mem_req: 4 << 30,
                    gpu_alloc: 0,
                    gpu_req: 0,
                },
                NodeInfo {
                    name: "node-2".into(),
                    ready: Some(false),
                    ..NodeInfo::default()
                },
            ]),
        ));
        app.run(Command::Nodes);
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(screen.contains("nodes · 2 · 1 cordoned"), "{screen}");
        assert!(
            screen.contains(
                "node-1 Ready SchedulingDisabled DiskPressure pods 12 cpu 3000/4000m 75%"
            ),
            "{screen}"
        );
        assert!(screen.contains("node-2 NotReady"), "{screen}");
        app.run(Command::Down);
        let effects = app.run(Command::Uncordon(None));
        assert!(
            effects.contains(&Effect::Preview(Action::Cluster(ClusterAction::Uncordon {
                node: "node-2".into()
            })))
        );
    }

    #[test]
    fn describe_shows_what_is_known_then_the_servers_view() {
        let mut app = shop();
        app.pods.move_selection(1);
        let effects = app.run(Command::Describe(None));
        let target = DescribeTarget {
            namespace: "shop".into(),
            kind: "Pod".into(),
            name: "web-6f-a".into(),
        };
        assert!(
            effects.contains(&Effect::Describe(target.clone())),
            "{effects:?}"
        );
        let Some(Overlay::Output { text, title, .. }) = &app.overlay else {
            panic!("no describe view");
        };
        assert_eq!(title, "describe pod web-6f-a");
        assert!(
            text.contains("Last State:   Terminated (OOMKilled)"),
            "{text}"
        );
        assert!(text.contains("BackOff"), "{text}");
        app.update(Event::Described(
            target,
            Ok(vec!["Name: web-6f-a (from the server)".into()]),
        ));
        let Some(Overlay::Output { text, .. }) = &app.overlay else {
            panic!("closed");
        };
        assert_eq!(text, "Name: web-6f-a (from the server)");
    }

    #[test]
    fn gpus_name_their_pods_and_selecting_one_selects_its_pod() {
        let mut app = shop();
        let now = app.now;
        let gpu = |host: &str, pod: &str, temp: f64| GpuStatus {
            host: host.into(),
            index: 0,
            model: "H100".into(),
            util: Some(99.0),
            mem_used_mib: Some(80_000.0),
            mem_total_mib: Some(81_920.0),
            temp_c: Some(temp),
            power_w: Some(600.0),
            xid: None,
            pod: Some(pod.into()),
        };
        app.update(Event::Observed(
            now,
            Observation::GpuList(vec![
                gpu("gpu-node-1", "shop/web-6f-b", 91.0),
                gpu("gpu-node-2", "api-7c-a", 60.0),
            ]),
        ));
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(screen.contains("web-6f-b"), "{screen}");
        assert!(
            screen.contains("CrashLoopBackOff ↻4   gpu 91°C 78/80G"),
            "{screen}"
        );
        app.focus = Pane::Gpus;
        app.run(Command::Top);
        let selected = app.pods.rows().nth(app.pods.selected);
        assert!(
            matches!(selected, Some(PodRow::Pod(_, p)) if p.name == "web-6f-b"),
            "the hottest GPU's pod is selected"
        );
        app.run(Command::Down);
        let selected = app.pods.rows().nth(app.pods.selected);
        assert!(matches!(selected, Some(PodRow::Pod(_, p)) if p.name == "api-7c-a"));
    }
}
