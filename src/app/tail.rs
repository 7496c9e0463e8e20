//! What the log tail follows. Nothing is tailed until the operator asks for logs (selects a
//! workload or pod, or focuses the logs pane) or an alert names a workload; then the tail
//! follows that workload. Of a big workload at most the stream cap of pods is followed, the
//! interesting ones first (not ready, crash-looping, recently restarted, on the newest
//! revision), the rest spread across nodes, and the choice follows the pods as they change.

use jiff::{SignedDuration, Timestamp};

use super::state::WorkloadKey;
use super::{App, Effect, LogTarget};
use crate::command::Pane;
use crate::config::kube::DEFAULT_MAX_LOG_STREAMS;
use crate::event::PodStatus;

/// A restart this recent makes a pod worth reading.
const RECENT_RESTART: SignedDuration = SignedDuration::from_mins(10);

/// Why the tail follows what it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TailCause {
    /// Nothing is tailed.
    #[default]
    None,
    /// The operator selected it.
    Operator,
    /// A firing alert named the workload.
    Alert,
}

/// The pods chosen from the target's pods.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TailChoice {
    /// Pod names, most interesting first.
    pub pods: Vec<String>,
    /// How many pods the target has.
    pub total: usize,
    /// What came first when not every pod fits: `unready first`, `spread over 4 nodes`.
    pub why: Option<String>,
}

/// The tail's state as the logs pane's title tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TailState {
    pub choice: TailChoice,
    pub cause: TailCause,
    /// Pods and streams the tailer reports it follows.
    pub following: Option<(usize, usize)>,
    /// The target's pods changed since the choice was made.
    pub stale: bool,
}

/// How interesting a pod is, lower first: (ready, not crash-looping, not restarted lately,
/// not on the newest revision).
type Tier = (bool, bool, bool, bool);

/// The tier of a pod.
fn tier(p: &PodStatus, newest: u64, now: Timestamp) -> Tier {
    let crashing = p.reason.as_deref().is_some_and(|r| {
        matches!(
            r,
            "CrashLoopBackOff" | "Error" | "OOMKilled" | "ImagePullBackOff" | "ErrImagePull"
        )
    });
    let restarted = p
        .last_termination
        .as_ref()
        .is_some_and(|(_, at)| now.duration_since(*at) < RECENT_RESTART);
    (p.ready, !crashing, !restarted, p.revision != newest)
}

/// Picks at most `cap` of `pods`: by tier, and within a tier round-robin over nodes, so a
/// node whose pods all misbehave is not the only one read.
pub fn choose<'a>(
    pods: impl IntoIterator<Item = &'a PodStatus>,
    cap: usize,
    now: Timestamp,
) -> TailChoice {
    let pods: Vec<&PodStatus> = pods.into_iter().collect();
    let total = pods.len();
    let newest = pods.iter().map(|p| p.revision).max().unwrap_or(0);
    let mut ranked: Vec<_> = pods
        .iter()
        .map(|p| (tier(p, newest, now), *p))
        .collect::<Vec<_>>();
    ranked.sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then(a.name.cmp(&b.name)));
    // The n-th pod of a tier on a node gets turn n: turns first, then nodes.
    let mut turns: std::collections::HashMap<(_, &str), usize> = Default::default();
    let mut keyed: Vec<_> = ranked
        .into_iter()
        .map(|(t, p)| {
            let turn = turns.entry((t, p.node.as_str())).or_insert(0);
            *turn += 1;
            ((t, *turn, p.node.as_str(), p.name.as_str()), p)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let chosen: Vec<&PodStatus> = keyed.iter().take(cap).map(|(_, p)| *p).collect();
    let why = (total > chosen.len()).then(|| {
        let has = |f: &dyn Fn(&Tier) -> bool| chosen.iter().any(|p| f(&tier(p, newest, now)));
        if has(&|t| !t.0) {
            "unready first".to_string()
        } else if has(&|t| !t.1) {
            "crash-looping first".to_string()
        } else if has(&|t| !t.2) {
            "restarted first".to_string()
        } else if pods.iter().any(|p| p.revision != newest) {
            "newest revision first".to_string()
        } else {
            let nodes: std::collections::BTreeSet<&str> =
                chosen.iter().map(|p| p.node.as_str()).collect();
            format!("spread over {} nodes", nodes.len())
        }
    });
    TailChoice {
        pods: chosen.iter().map(|p| p.name.clone()).collect(),
        total,
        why,
    }
}

impl TailState {
    /// The title's words: `tailing 50 of 480 pods, unready first`.
    pub fn describe(&self) -> Option<String> {
        if self.cause == TailCause::None {
            return None;
        }
        let c = &self.choice;
        let pods = self
            .following
            .map_or(c.pods.len(), |(pods, _)| pods.min(c.pods.len()));
        let noun = if c.total == 1 { "pod" } else { "pods" };
        Some(match &c.why {
            _ if pods >= c.total => format!("tailing {} {noun}", c.total),
            Some(why) => format!("tailing {pods} of {} {noun}, {why}", c.total),
            None => format!("tailing {pods} of {} {noun}", c.total),
        })
    }
}

impl App {
    /// The most log streams followed at once.
    fn stream_cap(&self) -> usize {
        self.config
            .kubernetes
            .as_ref()
            .map_or(DEFAULT_MAX_LOG_STREAMS, |k| k.max_log_streams)
            .max(1)
    }

    /// The pods of a target, chosen.
    fn choose_for(&self, target: &LogTarget) -> TailChoice {
        let key = WorkloadKey::new(&target.namespace, &target.workload);
        let Some(w) = self.pods.workloads.get(&key) else {
            return TailChoice::default();
        };
        match &target.pod {
            Some(name) => choose(w.pods.get(name), 1, self.now),
            None => choose(w.pods.values(), self.stream_cap(), self.now),
        }
    }

    /// Tails the workload or pod selected in the pods pane (live mode only); with no
    /// workload to select, the service (services.rs).
    pub(super) fn tail_selected(&mut self) {
        if let Some(target) = self
            .pods
            .selected_target()
            .or_else(|| self.service_target())
        {
            self.tail(target, TailCause::Operator);
        }
    }

    /// The operator asked for logs by looking at them: tail the selection.
    pub(super) fn tail_if_asked(&mut self) {
        if self.focus == Pane::Logs && self.pods.tailing.is_none() {
            self.tail_selected();
        }
    }

    /// A firing alert names a workload (by a `deployment`, `workload`, `service`, `app`,
    /// `job` or `container` label, else in its summary): tail it, unless the operator chose.
    pub(super) fn tail_for_alert(&mut self, alert: &crate::event::AlertStatus) {
        if self.pods.tail.cause == TailCause::Operator {
            return;
        }
        // The one seam from an alert to its workloads (services.rs).
        if let Some(target) = self.log_target_for_alert(alert) {
            self.tail(target, TailCause::Alert);
        }
    }

    /// Points the tail at `target`. The same target again only refreshes which pods.
    pub(super) fn tail(&mut self, mut target: LogTarget, cause: TailCause) {
        if !self.caps.log_tailer {
            return;
        }
        if target.service.is_none() {
            target.service = self
                .service_claiming(&target.namespace, &target.workload)
                .map(|s| s.name().to_string());
        }
        let same = self
            .pods
            .tailing
            .as_ref()
            .is_some_and(|t| t.same_target(&target));
        if same {
            if self.pods.tail.cause != TailCause::Operator {
                self.pods.tail.cause = cause;
            }
            return;
        }
        let choice = self.choose_for(&target);
        target.pods = choice.pods.clone();
        self.pods.tail = TailState {
            choice,
            cause,
            following: None,
            stale: false,
        };
        self.pods.tailing = Some(target.clone());
        // Lines of the previous selection would only confuse; keep the view settings.
        let mut fresh = super::logs::LogBuffer::new(self.config.logs.buffer_lines);
        fresh.set_filter(self.logs.filter().cloned());
        fresh.wrap = self.logs.wrap;
        fresh.raw = self.logs.raw;
        self.logs = fresh;
        self.log_source.forget_pages();
        self.emit(Effect::TailLogs(target));
    }

    /// A pod of `workload` changed: the choice is made again at the next tick.
    pub(super) fn tail_pod_changed(&mut self, workload: &WorkloadKey) {
        if self
            .pods
            .tailing
            .as_ref()
            .is_some_and(|t| t.workload == workload.name && t.namespace == workload.namespace)
        {
            self.pods.tail.stale = true;
        }
    }

    /// Makes the choice again if the target's pods changed, and tells the tailer if it moved.
    pub(super) fn refresh_tail(&mut self) {
        // The logs pane was looked at before any pod was known: tail once there are some.
        if self.pods.tailing.is_none() {
            self.tail_if_asked();
            return;
        }
        if !self.pods.tail.stale {
            return;
        }
        self.pods.tail.stale = false;
        let Some(mut target) = self.pods.tailing.clone() else {
            return;
        };
        let choice = self.choose_for(&target);
        let moved = choice.pods != target.pods;
        target.pods = choice.pods.clone();
        self.pods.tail.choice = choice;
        if moved {
            self.pods.tailing = Some(target.clone());
            self.emit(Effect::TailLogs(target));
        }
        self.dirty = true;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pod(name: &str, node: &str, ready: bool, revision: u64) -> PodStatus {
        PodStatus {
            namespace: "ns".into(),
            name: name.into(),
            workload: "w".into(),
            revision,
            phase: "Running".into(),
            reason: None,
            ready,
            restarts: 0,
            last_termination: None,
            node: node.into(),
            created: Timestamp::UNIX_EPOCH,
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    #[test]
    fn a_small_workload_is_tailed_whole() {
        let pods = [pod("a", "n1", true, 1), pod("b", "n1", false, 1)];
        let c = choose(&pods, 50, now());
        assert_eq!(c.pods, ["b", "a"]);
        assert_eq!((c.total, c.why), (2, None));
    }

    #[test]
    fn unready_then_crashing_then_restarted_then_newest_then_spread() {
        let mut pods: Vec<PodStatus> = (0..40)
            .map(|i| pod(&format!("ok{i:02}"), &format!("n{}", i % 4), true, 2))
            .collect();
        pods.push(pod("old", "n0", true, 1));
        let mut crash = pod("crash", "n0", true, 2);
        crash.reason = Some("CrashLoopBackOff".into());
        pods.push(crash);
        let mut restarted = pod("restarted", "n0", true, 1);
        restarted.last_termination =
            Some(("OOMKilled".into(), now() - SignedDuration::from_mins(2)));
        pods.push(restarted);
        let mut long_ago = pod("long-ago", "n0", true, 2);
        long_ago.last_termination = Some(("Error".into(), now() - SignedDuration::from_hours(3)));
        pods.push(long_ago);
        pods.push(pod("unready", "n3", false, 2));
        let c = choose(&pods, 8, now());
        assert_eq!(c.total, 45);
        assert_eq!(&c.pods[..3], ["unready", "crash", "restarted"]);
        assert_eq!(c.why.as_deref(), Some("unready first"));
        // The rest: newest revision, one per node in turn.
        let nodes: Vec<&str> = c.pods[3..]
            .iter()
            .map(|n| pods.iter().find(|p| &p.name == n).unwrap().node.as_str())
            .collect();
        assert_eq!(nodes, ["n0", "n1", "n2", "n3", "n0"]);
        assert!(!c.pods.contains(&"old".to_string()));
    }

    fn live_app() -> App {
        let mut app = crate::app::sample::drill_app(5);
        app.caps = crate::app::Capabilities::live("c", "snapbuilder");
        app.alerts = Default::default();
        app
    }

    fn tails(effects: &[Effect]) -> Vec<LogTarget> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::TailLogs(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    fn alert(name: &str, labels: &[(&str, &str)], summary: &str) -> crate::event::AlertStatus {
        crate::event::AlertStatus {
            name: name.into(),
            severity: "warning".into(),
            state: crate::event::AlertState::Firing,
            since: now(),
            summary: summary.into(),
            runbook_url: None,
            detail: String::new(),
            description: String::new(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            silenced_by: Vec::new(),
        }
    }

    #[test]
    fn nothing_tails_until_the_logs_pane_is_looked_at() {
        let mut app = live_app();
        let now = app.now;
        assert!(tails(&app.update(crate::event::Event::Tick(now))).is_empty());
        assert!(app.pods.tailing.is_none());
        let effects = app.run(crate::command::Command::Focus(
            crate::command::FocusTarget::Pane(Pane::Logs),
        ));
        let t = tails(&effects);
        assert_eq!(t.len(), 1, "{effects:?}");
        assert_eq!(t[0].workload, "snapbuilder-ingest");
        assert_eq!(
            t[0].pods.len(),
            app.pods.workloads[&WorkloadKey::new("snapbuilder", "snapbuilder-ingest")]
                .pods
                .len()
        );
        assert_eq!(app.pods.tail.cause, TailCause::Operator);
    }

    #[test]
    fn looking_at_the_logs_before_any_pod_is_known_tails_once_they_are() {
        let mut app = live_app();
        let known = std::mem::take(&mut app.pods.workloads);
        app.focus = Pane::Logs;
        let now = app.now;
        assert!(tails(&app.update(crate::event::Event::Tick(now))).is_empty());
        app.pods.workloads = known;
        let t = tails(&app.update(crate::event::Event::Tick(now)));
        assert_eq!(t.len(), 1);
        assert!(!t[0].pods.is_empty());
    }

    #[test]
    fn an_alert_naming_a_workload_tails_it_unless_the_operator_chose() {
        let mut app = live_app();
        let now = app.now;
        let obs = |a| crate::event::Event::Observed(now, crate::event::Observation::Alert(a));
        let effects = app.update(obs(alert(
            "HighErrorRate",
            &[("service", "snapbuilder-serving")],
            "",
        )));
        let t = tails(&effects);
        assert_eq!(t.len(), 1, "{effects:?}");
        assert_eq!(t[0].workload, "snapbuilder-serving");
        assert_eq!(
            app.pods.selected_workload(),
            Some(&WorkloadKey::new("snapbuilder", "snapbuilder-serving"))
        );
        assert_eq!(app.pods.tail.cause, TailCause::Alert);
        // An alert that names one only in its summary works too.
        let effects = app.update(obs(alert(
            "IngestLag",
            &[],
            "snapbuilder-ingest is 10 minutes behind",
        )));
        assert_eq!(tails(&effects)[0].workload, "snapbuilder-ingest");
        // Once the operator picks, alerts no longer move the tail.
        app.focus = Pane::Pods;
        app.run(crate::command::Command::Bottom);
        assert_eq!(app.pods.tail.cause, TailCause::Operator);
        let effects = app.update(obs(alert(
            "Other",
            &[("deployment", "snapbuilder-serving")],
            "",
        )));
        assert!(tails(&effects).is_empty());
    }

    #[test]
    fn the_choice_follows_the_pods_at_the_next_tick() {
        let mut app = live_app();
        app.config.kubernetes = Some(toml::from_str("max_log_streams = 1").unwrap());
        app.focus = Pane::Logs;
        let first = tails(&app.run(crate::command::Command::Focus(
            crate::command::FocusTarget::Pane(Pane::Logs),
        )));
        let workload = WorkloadKey::new(&first[0].namespace, &first[0].workload);
        assert_eq!(first[0].pods.len(), 1);
        // Another pod of the workload stops being ready: it is the one to read now.
        let mut sick = app.pods.workloads[&workload]
            .pods
            .values()
            .find(|p| p.name != first[0].pods[0])
            .cloned()
            .unwrap();
        sick.ready = false;
        sick.reason = Some("CrashLoopBackOff".into());
        let now = app.now;
        let name = sick.name.clone();
        app.update(crate::event::Event::Observed(
            now,
            crate::event::Observation::Pod(sick),
        ));
        let moved = tails(&app.update(crate::event::Event::Tick(now)));
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].pods, [name]);
        assert!(moved[0].same_target(&first[0]));
    }

    #[test]
    fn the_reason_names_what_came_first() {
        let pods: Vec<PodStatus> = (0..10)
            .map(|i| pod(&format!("p{i}"), &format!("n{}", i % 3), true, 1))
            .collect();
        let c = choose(&pods, 4, now());
        assert_eq!(c.why.as_deref(), Some("spread over 3 nodes"));
        let state = TailState {
            choice: c,
            cause: TailCause::Operator,
            following: None,
            stale: false,
        };
        assert_eq!(
            state.describe().unwrap(),
            "tailing 4 of 10 pods, spread over 3 nodes"
        );
    }
}
