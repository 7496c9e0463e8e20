//! The suggested fix for an alert, from what changed before it.
//!
//! Nine incidents in ten follow a change. For the selected alert the cockpit lists the
//! changes it saw before the alert fired (new revisions rolled out, image changes, kill
//! switches and ConfigMap flags flipped, scaling), ranked by how close before the alert
//! they came and whether they touch the alert's workloads. The top one that can be undone
//! (roll that revision back, put the flag back, scale back) is the suggested fix, with why;
//! `fix` takes it to the usual confirmation. When no change explains the alert, the first
//! step of its runbook section that sitrep can carry out is offered instead.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use jiff::{SignedDuration, Timestamp};

use crate::cluster::NodeInfo;
use crate::event::{DeploymentStatus, KillSwitchStatus, Observation};

use super::App;
use super::alert_target::alert_workloads;
use super::native_step::StepPlan;
use super::state::{PodsState, WorkloadKey};

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new revision of a deployment whose pod template changed without a new image.
    Rollout,
    /// A new revision with a new image.
    Image,
    /// A kill switch or ConfigMap flag changed.
    Flag,
    /// A deployment's replicas changed.
    Scale,
    /// Something happened to a node (cordoned, not ready).
    Node,
}

impl ChangeKind {
    /// One word for the alert detail.
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Rollout => "rollout",
            ChangeKind::Image => "image",
            ChangeKind::Flag => "flag",
            ChangeKind::Scale => "scale",
            ChangeKind::Node => "node",
        }
    }
}

/// One change the cockpit knows of.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub at: Timestamp,
    pub kind: ChangeKind,
    /// The workload it touched, exactly (namespace and name), when it touched one: a
    /// same-named deployment in another namespace is another workload.
    pub workload: Option<WorkloadKey>,
    /// What happened, in words: `revision 3 of web rolled out`.
    pub what: String,
    /// More about it, when there is more: `image web:1.8 → web:1.9`.
    pub detail: String,
    /// The node it happened to, for node events: it touches the alert when one of the
    /// alert's pods runs there.
    pub node: Option<String>,
    /// The command line that undoes it, when sitrep can.
    pub inverse: Option<String>,
}

/// A change placed against an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub change: Change,
    /// How long before the alert it came.
    pub before: SignedDuration,
    /// Whether it touched one of the alert's workloads.
    pub touches: bool,
    pub score: f64,
}

/// The fix the cockpit suggests for an alert and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The command line `fix` runs (`rollback snapbuilder-serving`).
    pub line: String,
    /// Why: `revision 3 of snapbuilder-serving rolled out 45 s before HighErrorRate`.
    pub why: String,
    /// More about the change: `image serving:1.8.2 → serving:1.9.0`.
    pub detail: String,
    /// The runbook step this fix carries out, when one does.
    pub step: Option<StepKey>,
}

/// A runbook step: (book, section, group, step).
pub type StepKey = (usize, usize, usize, usize);

/// How far back a change can explain an alert.
pub const WINDOW: SignedDuration = SignedDuration::from_hours(6);

/// Changes seen after this long before an alert still count as "before" it: the alert's
/// start and the change can be stamped by different clocks.
const SLACK: SignedDuration = SignedDuration::from_secs(5);

/// Changes the cockpit saw happen (scaling, flag flips) that the world's state does not
/// keep on its own the way a deployment keeps its revisions.
#[derive(Debug, Clone, Default)]
pub struct ObservedChanges {
    list: VecDeque<Change>,
}

/// Observed changes kept at most.
const KEPT: usize = 256;

impl ObservedChanges {
    /// Notes what an observation changes, against the state before it is folded in.
    pub fn note(
        &mut self,
        obs: &Observation,
        pods: &PodsState,
        switches: &[KillSwitchStatus],
        now: Timestamp,
    ) {
        match obs {
            Observation::Deployment(d) => {
                let key = WorkloadKey::new(d.namespace.clone(), d.name.clone());
                let Some(before) = pods.deployment(&key) else {
                    return;
                };
                if before.replicas != d.replicas {
                    self.push(Change {
                        at: now,
                        kind: ChangeKind::Scale,
                        workload: Some(key),
                        what: format!(
                            "{} scaled from {} to {} replicas",
                            d.name, before.replicas, d.replicas
                        ),
                        detail: String::new(),
                        node: None,
                        inverse: Some(format!("scale {} {}", d.name, before.replicas)),
                    });
                }
            }
            Observation::KillSwitch(k) => {
                let Some(before) = switches.iter().find(|s| s.name == k.name) else {
                    return;
                };
                if let (Some(was), Some(is)) = (before.on, k.on)
                    && was != is
                {
                    let word = |on: bool| if on { "on" } else { "off" };
                    self.push(Change {
                        at: now,
                        kind: ChangeKind::Flag,
                        workload: None,
                        what: format!("kill switch {} turned {}", k.name, word(is)),
                        detail: k.description.clone(),
                        node: None,
                        inverse: Some(format!("kill-switch {} {}", k.name, word(was))),
                    });
                }
            }
            _ => {}
        }
    }

    /// Notes what a nodes observation changes against the nodes known before it: a node
    /// going NotReady, cordoned, or coming under pressure. Uncordoning undoes a cordon.
    pub fn note_nodes(
        &mut self,
        obs: &Observation,
        before: &BTreeMap<String, NodeInfo>,
        now: Timestamp,
    ) {
        let Observation::Nodes(list) = obs else {
            return;
        };
        for n in list {
            // A node seen for the first time has no "before": what it is now is no change.
            let Some(was) = before.get(&n.name) else {
                continue;
            };
            let mut note = |what: String, inverse: Option<String>| {
                self.push(Change {
                    at: now,
                    kind: ChangeKind::Node,
                    workload: None,
                    what,
                    detail: String::new(),
                    node: Some(n.name.clone()),
                    inverse,
                });
            };
            if n.ready == Some(false) && was.ready != Some(false) {
                note(format!("node {} went NotReady", n.name), None);
            }
            if n.unschedulable && !was.unschedulable {
                note(
                    format!("node {} cordoned", n.name),
                    Some(format!("uncordon {}", n.name)),
                );
            }
            for p in n.pressure.iter().filter(|p| !was.pressure.contains(p)) {
                note(format!("node {} under {p}", n.name), None);
            }
        }
    }

    fn push(&mut self, c: Change) {
        if self.list.len() == KEPT {
            self.list.pop_front();
        }
        self.list.push_back(c);
    }

    /// Every observed change, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Change> {
        self.list.iter()
    }
}

/// The revisions of a deployment as changes; the current one can be rolled back.
pub fn revision_changes(d: &DeploymentStatus) -> Vec<Change> {
    let mut revs = d.history.clone();
    revs.sort_by_key(|h| h.revision);
    let mut out = Vec::new();
    for (i, h) in revs.iter().enumerate() {
        let Some(prev) = i.checked_sub(1).and_then(|p| revs.get(p)) else {
            continue;
        };
        let image = prev.image != h.image;
        let what = format!("revision {} of {} rolled out", h.revision, d.name);
        let detail = match (image, h.change_cause.is_empty()) {
            (true, true) => format!("image {} → {}", short(&prev.image), short(&h.image)),
            (true, false) => format!(
                "image {} → {}: {}",
                short(&prev.image),
                short(&h.image),
                h.change_cause
            ),
            (false, _) => h.change_cause.clone(),
        };
        // `rollback NAME` goes to the newest older revision; name it only when it is another.
        let inverse = (h.revision == d.revision).then(|| {
            let newest_older = revs
                .iter()
                .filter(|r| r.revision < d.revision)
                .map(|r| r.revision)
                .max();
            if newest_older == Some(prev.revision) {
                format!("rollback {}", d.name)
            } else {
                format!("rollback {} {}", d.name, prev.revision)
            }
        });
        out.push(Change {
            at: h.created,
            kind: if image {
                ChangeKind::Image
            } else {
                ChangeKind::Rollout
            },
            workload: Some(WorkloadKey::new(d.namespace.clone(), d.name.clone())),
            what,
            detail,
            node: None,
            inverse,
        });
    }
    out
}

/// `registry.example/serving:1.9.0` → `serving:1.9.0`.
fn short(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

/// Ranks changes against an alert that started at `since` about `workloads`: only changes
/// before it (within [`WINDOW`]); closer is better, and touching its workloads counts more
/// than any closeness.
pub fn rank(
    changes: Vec<Change>,
    since: Timestamp,
    workloads: &[WorkloadKey],
    nodes: &BTreeSet<String>,
) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = changes
        .into_iter()
        .filter_map(|c| {
            let before = since.duration_since(c.at);
            if before < -SLACK || before > WINDOW {
                return None;
            }
            let touches = c.workload.as_ref().is_some_and(|w| workloads.contains(w))
                || c.node.as_ref().is_some_and(|n| nodes.contains(n));
            let minutes = before.as_secs_f64().max(0.0) / 60.0;
            let score = 1.0 / (1.0 + minutes / 10.0) + if touches { 1.0 } else { 0.0 };
            Some(Ranked {
                change: c,
                before,
                touches,
                score,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.change.at.cmp(&a.change.at))
    });
    out
}

/// `rollback web 2` → `rollback shop/web 2`: the command's first argument with its namespace.
fn qualify(line: &str, w: &WorkloadKey) -> String {
    let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
    if let Some(arg) = words.get_mut(1)
        && *arg == w.name
    {
        *arg = w.to_string();
    }
    words.join(" ")
}

/// `45 s`, `3 min`, `2 h 5 min`.
pub fn span(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, s / 60 % 60),
    }
}

impl App {
    /// The changes before the alert at `index`, best explanation first.
    pub fn changes_before(&self, index: usize) -> Vec<Ranked> {
        let Some(a) = self.alerts.get(index) else {
            return Vec::new();
        };
        // Changes name their workload exactly; the alert's are matched by namespace and name.
        let workloads = alert_workloads(&self.config.services, &a.status, &self.pods);
        let mut changes: Vec<Change> = self
            .pods
            .workloads
            .values()
            .filter_map(|w| w.deployment.as_ref())
            .flat_map(revision_changes)
            .collect();
        changes.extend(self.changes.iter().cloned());
        // A kill switch's change touches the deployment it scales, when the config says:
        // in its own namespace, else the cockpit's.
        for c in &mut changes {
            if c.kind == ChangeKind::Flag && c.workload.is_none() {
                c.workload = self
                    .config
                    .kill_switches
                    .iter()
                    .find(|k| c.what.contains(&format!("kill switch {} ", k.name)))
                    .and_then(|k| {
                        let ns = k.namespace.clone().unwrap_or(self.pods.namespace.clone());
                        Some(WorkloadKey::new(ns, k.deployment.clone()?))
                    });
            }
            // A name two namespaces hold is named with its namespace, so the fix's command
            // line acts on exactly the deployment that changed.
            if let (Some(w), Some(line)) = (&c.workload, &mut c.inverse)
                && self
                    .pods
                    .workloads
                    .keys()
                    .filter(|k| k.name == w.name)
                    .count()
                    > 1
            {
                *line = qualify(line, w);
            }
        }
        // The nodes the alert's pods run on: what happens to them touches the alert too,
        // observed transitions and Warning events the node reported alike.
        let nodes: BTreeSet<String> = workloads
            .iter()
            .filter_map(|k| self.pods.workloads.get(k))
            .flat_map(|w| w.pods.values().map(|p| p.node.clone()))
            .filter(|n| !n.is_empty())
            .collect();
        changes.extend(
            self.cluster
                .events
                .newest_first()
                .filter(|e| e.kind == "Node" && e.warning && nodes.contains(&e.name))
                .map(|e| Change {
                    at: e.first,
                    kind: ChangeKind::Node,
                    workload: None,
                    what: format!("node {}: {} ×{}", e.name, e.reason, e.count),
                    detail: e.note.clone(),
                    node: Some(e.name.clone()),
                    inverse: None,
                }),
        );
        rank(changes, a.status.since, &workloads, &nodes)
    }

    /// The fix the cockpit suggests for the alert at `index`: undo the best-placed change
    /// that can be undone, else the first step of its runbook section sitrep can carry out.
    pub fn suggestion(&self, index: usize) -> Option<Suggestion> {
        let a = self.alerts.get(index)?;
        let ranked = self.changes_before(index);
        let from_change = ranked.iter().find_map(|r| {
            let line = r.change.inverse.clone()?;
            Some(Suggestion {
                why: format!(
                    "{} {} before {}",
                    r.change.what,
                    span(r.before),
                    a.status.name
                ),
                detail: r.change.detail.clone(),
                step: self.runbook_step_doing(index, &line),
                line,
            })
        });
        from_change.or_else(|| self.runbook_fix(index))
    }

    /// The steps of the alert's runbook section, with what `x` would do with each.
    fn section_plans(&self, index: usize) -> Vec<(StepKey, String, StepPlan)> {
        let Some((b, s, _)) = self.alerts.get(index).and_then(|a| a.runbook.clone()) else {
            return Vec::new();
        };
        let Some(section) = self
            .checklist
            .as_ref()
            .and_then(|c| c.books.get(b)?.sections.get(s))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (g, group) in section.groups.iter().enumerate() {
            for (i, step) in group.steps.iter().enumerate() {
                for c in &step.commands {
                    out.push(((b, s, g, i), step.text.clone(), self.plan_step_command(c)));
                }
            }
        }
        out
    }

    /// The runbook step whose command makes the same change as `line`, if any.
    fn runbook_step_doing(&self, index: usize, line: &str) -> Option<StepKey> {
        self.section_plans(index)
            .into_iter()
            .find(|(_, _, p)| matches!(p, StepPlan::Native { line: l, .. } if l == line))
            .map(|(key, _, _)| key)
    }

    /// The first step of the alert's runbook section that sitrep can carry out.
    fn runbook_fix(&self, index: usize) -> Option<Suggestion> {
        self.section_plans(index)
            .into_iter()
            .find_map(|(key, text, p)| match p {
                StepPlan::Native { line, .. } => Some(Suggestion {
                    why: format!("the runbook says: {text}"),
                    detail: String::new(),
                    line,
                    step: Some(key),
                }),
                _ => None,
            })
    }

    /// `fix`: the suggested fix for the selected alert, to the usual confirmation. Away
    /// from the alerts pane it first moves there and says what `fix` would do.
    pub(super) fn fix_selected(&mut self) {
        let index = self.alerts.selected;
        let Some(name) = self.alerts.get(index).map(|a| a.status.name.clone()) else {
            self.flash(crate::event::Level::Warn, "no alert selected");
            return;
        };
        let Some(s) = self.suggestion(index) else {
            self.flash(
                crate::event::Level::Warn,
                format!("no suggested fix for {name}: no change before it can be undone"),
            );
            return;
        };
        if self.focus != crate::command::Pane::Alerts {
            self.focus = crate::command::Pane::Alerts;
            self.flash(
                crate::event::Level::Unknown,
                format!("fix {name}: {} ({}); again to confirm", s.line, s.why),
            );
            return;
        }
        let command = match crate::command::Command::parse(&s.line) {
            Ok(c) => c,
            Err(e) => {
                self.flash(crate::event::Level::Crit, format!("{}: {e}", s.line));
                return;
            }
        };
        if let (Some(key), Some(c)) = (s.step, &mut self.checklist) {
            let expect =
                super::native_step::expected_line(&command).unwrap_or_else(|| s.line.clone());
            c.pending = Some(super::native_step::PendingStep { key, expect });
        }
        self.run_command(command);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn change(at: i64, workload: Option<&str>, inverse: bool) -> Change {
        Change {
            at: t(at),
            kind: ChangeKind::Rollout,
            workload: workload.map(|w| WorkloadKey::new("ns", w)),
            what: format!("{workload:?} at {at}"),
            detail: String::new(),
            node: None,
            inverse: inverse.then(|| "rollback x".to_string()),
        }
    }

    #[test]
    fn closer_before_the_alert_ranks_higher_and_after_it_not_at_all() {
        let w = vec![WorkloadKey::new("ns", "web")];
        let r = rank(
            vec![
                change(-3600, Some("web"), false),
                change(-45, Some("web"), true),
                change(-600, Some("web"), false),
                change(120, Some("web"), true),
                change(-7 * 3600, Some("web"), true),
            ],
            t(0),
            &w,
            &BTreeSet::new(),
        );
        let at: Vec<i64> = r.iter().map(|r| r.before.as_secs()).collect();
        assert_eq!(
            at,
            [45, 600, 3600],
            "after the alert and past the window: out"
        );
    }

    #[test]
    fn touching_the_alerts_workload_beats_being_closer() {
        let w = vec![WorkloadKey::new("ns", "web")];
        let r = rank(
            vec![
                change(-10, Some("batch"), true),
                change(-1800, Some("web"), true),
                change(-20, None, true),
            ],
            t(0),
            &w,
            &BTreeSet::new(),
        );
        assert_eq!(r[0].change.workload, Some(WorkloadKey::new("ns", "web")));
        assert!(r[0].touches && !r[1].touches);
        assert_eq!(r[1].before.as_secs(), 10, "then the closest");
    }

    #[test]
    fn only_the_current_revision_can_be_rolled_back() {
        use crate::event::RevisionInfo;
        let rev = |n: u64, image: &str, at: i64| RevisionInfo {
            revision: n,
            image: image.into(),
            change_cause: "cause".into(),
            created: t(at),
            template: Vec::new(),
        };
        let d = DeploymentStatus {
            namespace: "ns".into(),
            name: "web".into(),
            revision: 3,
            replicas: 2,
            ready: 2,
            updated: 2,
            available: 2,
            image: "reg/web:3".into(),
            history: vec![
                rev(3, "reg/web:3", -45),
                rev(2, "reg/web:2", -900),
                rev(1, "reg/web:2", -9000),
            ],
            gpu: false,
            problems: Vec::new(),
            labels: Default::default(),
        };
        let c = revision_changes(&d);
        assert_eq!(c.len(), 2, "the first revision is where history starts");
        assert_eq!(c[0].kind, ChangeKind::Rollout);
        assert_eq!(c[0].what, "revision 2 of web rolled out");
        assert_eq!(c[0].detail, "cause");
        assert_eq!(c[0].inverse, None);
        assert_eq!(c[1].kind, ChangeKind::Image);
        assert_eq!(c[1].what, "revision 3 of web rolled out");
        assert_eq!(c[1].detail, "image web:2 → web:3: cause");
        assert_eq!(c[1].inverse.as_deref(), Some("rollback web"));
    }

    #[test]
    fn scaling_and_flag_flips_are_observed_with_their_inverse() {
        let mut seen = ObservedChanges::default();
        let switches = vec![KillSwitchStatus {
            name: "strict".into(),
            description: String::new(),
            on: Some(false),
        }];
        let flip = Observation::KillSwitch(KillSwitchStatus {
            on: Some(true),
            ..switches[0].clone()
        });
        seen.note(&flip, &PodsState::default(), &switches, t(0));
        let c: Vec<&Change> = seen.iter().collect();
        assert_eq!(c[0].what, "kill switch strict turned on");
        assert_eq!(c[0].inverse.as_deref(), Some("kill-switch strict off"));
        // The same state again is no change.
        seen.note(&flip, &PodsState::default(), &[flip_status()], t(1));
        assert_eq!(seen.iter().count(), 1);
    }

    fn flip_status() -> KillSwitchStatus {
        KillSwitchStatus {
            name: "strict".into(),
            description: String::new(),
            on: Some(true),
        }
    }

    #[test]
    fn the_demo_suggests_rolling_back_the_revision_that_went_out_before_the_alert() {
        use crate::app::sample::{answer, drill_pair};
        use crate::app::{Effect, Overlay};
        use crate::command::Command;
        use crate::event::{Action, Event};
        let (mut app, mut world) = drill_pair(crate::config::Config::default(), 120);
        assert_eq!(app.alerts[0].status.name, "HighErrorRate");
        let s = app.suggestion(0).unwrap();
        assert_eq!(s.line, "rollback snapbuilder-serving");
        assert!(
            s.why
                .starts_with("revision 3 of snapbuilder-serving rolled out ")
                && s.why.ends_with(" s before HighErrorRate"),
            "{}",
            s.why
        );
        assert!(
            s.detail.starts_with("image serving:1.8.2 → serving:1.9.0"),
            "{}",
            s.detail
        );
        assert!(
            s.step.is_some(),
            "the runbook's rollback step is the same change"
        );
        // `fix` from the alerts pane: the rollback's own confirmation, typed name at SEV2.
        let effects = app.run(Command::Fix);
        let want = Action::Rollback {
            deployment: "snapbuilder-serving".into(),
            revision: None,
            place: crate::event::Place::new(
                crate::app::capabilities::SANDBOX_CONTEXT,
                "snapbuilder",
            ),
        };
        assert_eq!(effects, [Effect::Preview(want.clone())]);
        let Some(Overlay::Confirm { typed_required, .. }) = &app.overlay else {
            panic!("{:?}", app.overlay);
        };
        assert_eq!(typed_required.as_deref(), Some("snapbuilder-serving"));
        app.overlay = None;
        let (report, _) = world.act(want);
        let mut rest = Vec::new();
        for e in app.update(Event::ActionDone(report)) {
            answer(&mut app, e, &mut rest);
        }
        let ticked: Vec<String> = app
            .timeline
            .iter()
            .filter(|e| e.kind == crate::journal::Kind::StepTicked)
            .map(|e| e.text.clone())
            .collect();
        assert_eq!(
            ticked,
            ["HighErrorRate: 5xx above 3% › If the errors started with that revision, roll back:"]
        );
    }

    #[test]
    fn a_same_named_deployment_in_another_namespace_is_never_the_alerts() {
        let mut app = crate::app::sample::drill_app(120);
        // The alert says which namespace its service is in.
        app.alerts.list[0]
            .status
            .labels
            .insert("namespace".into(), "snapbuilder".into());
        let alert = app.alerts[0].status.clone();
        // `staging` holds a snapbuilder-serving too, rolled out closer before the alert.
        let mine = WorkloadKey::new("snapbuilder", "snapbuilder-serving");
        let mut twin = app.pods.deployment(&mine).unwrap().clone();
        twin.namespace = "staging".into();
        let newest = twin.history.iter().map(|h| h.revision).max().unwrap();
        for h in &mut twin.history {
            if h.revision == newest {
                h.created = alert.since - SignedDuration::from_secs(5);
            }
        }
        let now = app.now;
        app.update(crate::event::Event::Observed(
            now,
            Observation::Deployment(twin),
        ));
        let ranked = app.changes_before(0);
        let theirs = WorkloadKey::new("staging", "snapbuilder-serving");
        let twin_change = ranked
            .iter()
            .find(|r| r.change.workload.as_ref() == Some(&theirs))
            .unwrap();
        assert!(!twin_change.touches, "another namespace's deployment");
        assert_eq!(ranked[0].change.workload.as_ref(), Some(&mine));
        assert!(ranked[0].touches);
        // The fix names the namespace, since the name alone would not say which.
        let s = app.suggestion(0).unwrap();
        assert_eq!(s.line, "rollback snapbuilder/snapbuilder-serving");
    }

    #[test]
    fn node_trouble_before_the_alert_on_its_pods_nodes_ranks_with_the_other_changes() {
        let node = |name: &str, ready: bool, cordoned: bool, pressure: &[&str]| NodeInfo {
            name: name.into(),
            ready: Some(ready),
            unschedulable: cordoned,
            pressure: pressure.iter().map(|p| p.to_string()).collect(),
            ..NodeInfo::default()
        };
        let nodes = |list: Vec<NodeInfo>| Observation::Nodes(list);
        let known = |list: &[NodeInfo]| -> BTreeMap<String, NodeInfo> {
            list.iter().map(|n| (n.name.clone(), n.clone())).collect()
        };
        // The script: both nodes well; gpu-1 cordoned at -60 s; gpu-2 (no pod of the
        // alert's) under DiskPressure at -30 s; gpu-1 NotReady 30 s after the alert.
        let mut seen = ObservedChanges::default();
        let well = vec![
            node("gpu-1", true, false, &[]),
            node("gpu-2", true, false, &[]),
        ];
        seen.note_nodes(&nodes(well.clone()), &BTreeMap::new(), t(-600));
        assert_eq!(seen.iter().count(), 0, "first sight is no change");
        let cordoned = vec![node("gpu-1", true, true, &[]), well[1].clone()];
        seen.note_nodes(&nodes(cordoned.clone()), &known(&well), t(-60));
        let pressed = vec![
            cordoned[0].clone(),
            node("gpu-2", true, false, &["DiskPressure"]),
        ];
        seen.note_nodes(&nodes(pressed.clone()), &known(&cordoned), t(-30));
        let down = vec![node("gpu-1", false, true, &[]), pressed[1].clone()];
        seen.note_nodes(&nodes(down), &known(&pressed), t(30));
        let mut changes: Vec<Change> = seen.iter().cloned().collect();
        assert_eq!(changes.len(), 3);
        changes.push(change(-20, Some("batch"), true));
        let alert_nodes: BTreeSet<String> = ["gpu-1".to_string()].into();
        let r = rank(
            changes,
            t(0),
            &[WorkloadKey::new("ns", "web")],
            &alert_nodes,
        );
        let what: Vec<&str> = r.iter().map(|r| r.change.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "node gpu-1 cordoned",
                "Some(\"batch\") at -20",
                "node gpu-2 under DiskPressure"
            ],
            "the alert's node first; NotReady after the alert is out"
        );
        assert!(r[0].touches && !r[2].touches);
        assert_eq!(r[0].change.kind, ChangeKind::Node);
        assert_eq!(r[0].change.inverse.as_deref(), Some("uncordon gpu-1"));

        // In the cockpit: a Warning event on the node of one of the alert's pods.
        let mut app = crate::app::sample::drill_app(120);
        let alert = app.alerts[0].status.clone();
        let key = WorkloadKey::new("snapbuilder", "snapbuilder-serving");
        let on = app.pods.workloads[&key]
            .pods
            .values()
            .next()
            .unwrap()
            .node
            .clone();
        let at = alert.since - SignedDuration::from_secs(40);
        let now = app.now;
        app.update(crate::event::Event::Observed(
            now,
            Observation::KubeEvents(vec![crate::cluster::KubeEvent {
                uid: "e1".into(),
                namespace: String::new(),
                kind: "Node".into(),
                name: on.clone(),
                reason: "NodeNotReady".into(),
                note: "Node is not ready".into(),
                warning: true,
                count: 2,
                first: at,
                last: at,
                source: "node-controller".into(),
            }]),
        ));
        let ranked = app.changes_before(0);
        let ev = ranked
            .iter()
            .find(|r| r.change.kind == ChangeKind::Node)
            .unwrap();
        assert_eq!(ev.change.what, format!("node {on}: NodeNotReady ×2"));
        assert!(ev.touches);
        assert_eq!(ev.before.as_secs(), 40);
    }

    #[test]
    fn fix_away_from_the_alerts_pane_moves_there_first() {
        let mut app = crate::app::sample::drill_app(120);
        app.focus = crate::command::Pane::Runbook;
        let effects = app.run(crate::command::Command::Fix);
        assert!(effects.is_empty());
        assert_eq!(app.focus, crate::command::Pane::Alerts);
        assert!(app.overlay.is_none());
        let flash = app.flash.clone().unwrap().text;
        assert!(flash.contains("rollback snapbuilder-serving"), "{flash}");
    }

    /// For every bundled drill: from the first alert firing, the keys to the confirmation
    /// of the reference mitigation (`enter` when the suggested fix is that mitigation).
    /// Printed for the record; the demo must take one.
    #[test]
    fn keys_from_the_first_alert_to_the_right_confirmation_in_every_bundled_drill() {
        use crate::app::sample::feed;
        use crate::app::{Mode, Overlay};
        use crate::config::{Keymap, Theme};
        use crate::drill::{Scenario, World};
        let mut report = Vec::new();
        for (name, _) in crate::drill::scenario::BUILTIN {
            let (scenario, _) = Scenario::load(name).unwrap();
            let reference: Vec<String> = scenario
                .scoring
                .expect
                .iter()
                .map(|e| e.action.clone())
                .filter(|a| crate::command::Command::parse(a).is_ok_and(|c| c.is_world_changing()))
                .collect();
            let start = Timestamp::from_second(1_795_000_000).unwrap();
            let runbook = scenario.runbook(None).unwrap();
            let mut world = World::new(scenario, start);
            let mode = Mode::Drill {
                name: name.to_string(),
                speed: 10.0,
            };
            let mut app = App::new(
                mode,
                crate::config::Config::default(),
                Keymap::load("default", None).unwrap(),
                Theme::load("dark", None, false).unwrap(),
                "alice".into(),
                start,
            );
            app.checklist = crate::app::checklist::Checklist::new(runbook.into_iter().collect());
            feed(&mut app, start, world.initial());
            let mut fired = false;
            for _ in 0..3600 {
                let obs = world.step();
                feed(&mut app, world.now(), obs);
                if app
                    .alerts
                    .iter()
                    .any(|a| a.status.state == crate::event::AlertState::Firing)
                {
                    fired = true;
                    break;
                }
            }
            let suggestion = app.suggestion(app.alerts.selected);
            let right = suggestion
                .as_ref()
                .is_some_and(|s| reference.iter().any(|r| s.line.starts_with(r.as_str())));
            let keys = if right {
                app.run(crate::command::Command::Fix);
                assert!(
                    matches!(app.overlay, Some(Overlay::Confirm { .. })),
                    "{name}: {:?}",
                    app.overlay
                );
                "1 (enter)".to_string()
            } else {
                "-".to_string()
            };
            report.push(format!(
                "{name}: fired={fired} keys={keys} suggested={:?} reference={reference:?}",
                suggestion.map(|s| s.line)
            ));
        }
        eprintln!("{}", report.join("\n"));
        assert!(
            report[0].starts_with("snapbuilder-bad-rollout: fired=true keys=1"),
            "{}",
            report[0]
        );
    }

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(SignedDuration::from_secs(45)), "45 s");
        assert_eq!(span(SignedDuration::from_secs(600)), "10 min");
        assert_eq!(span(SignedDuration::from_secs(7500)), "2 h 5 min");
    }
}
