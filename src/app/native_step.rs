//! `x` on a runbook step: a command sitrep recognises goes through its own confirmation,
//! dry run and executor, on exactly the object the step names, and ticks the step when it
//! succeeds; anything else keeps the shell path.

use crate::command::Command;
use crate::config::kube::KillSwitchKind;
use crate::event::{ActionOutcome, ActionReport, Level};
use crate::journal::Kind;
use crate::runbook::native::{Native, NativeStep, Recognised, recognise};

use super::alert_target::{alert_workloads, serving_pod, stable_revision};
use super::state::{PodRow, WorkloadKey};
use super::{App, LineInput, Overlay};

/// What `x` does with one runbook command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepPlan {
    /// Sitrep's own command, with the target filled in: the usual confirmation follows.
    Native { command: Command, line: String },
    /// A native command with a gap the cockpit cannot fill (`--replicas=<n>`): the command
    /// line, prefilled, for the operator to finish.
    Fill { line: String, hole: String },
    /// The shell path, with placeholders the cockpit knows already filled; why not native.
    Shell { command: String, why: String },
}

/// A runbook step waiting for its action to succeed, to be ticked then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStep {
    /// (book, section, group, step).
    pub key: (usize, usize, usize, usize),
    /// The action's command line, as its report will say it.
    pub expect: String,
}

/// `<Pod Name>`, `{{ pod_name }}` → `pod-name`.
fn hole_name(hole: &str) -> String {
    hole.trim_matches(|c: char| matches!(c, '<' | '>' | '{' | '}' | '[' | ']' | '_' | '*'))
        .trim()
        .to_ascii_lowercase()
        .replace(['_', ' '], "-")
}

/// The command line the action `command` asks for will report when it is done (the
/// deployment by name, as `Action::command_line` gives it; its namespace is in its place).
pub(super) fn expected_line(command: &Command) -> Option<String> {
    let name = |d: &str| d.rsplit('/').next().unwrap_or(d).to_string();
    Some(match command {
        Command::KillSwitch {
            name: Some(n),
            on: Some(on),
        } => format!("kill-switch {n} {}", if *on { "on" } else { "off" }),
        Command::Rollback {
            deployment: Some(d),
            revision: Some(r),
        } => format!("rollback {} {r}", name(d)),
        Command::Rollback {
            deployment: Some(d),
            revision: None,
        } => format!("rollback {}", name(d)),
        Command::Restart {
            deployment: Some(d),
        } => format!("restart {}", name(d)),
        Command::Scale {
            deployment,
            replicas,
        } => format!("scale {} {replicas}", name(deployment)),
        Command::DeletePod(Some(p)) => format!("delete-pod {}", name(p)),
        Command::Cordon(Some(n)) => format!("cordon {n}"),
        Command::Uncordon(Some(n)) => format!("uncordon {n}"),
        Command::Drain(Some(n)) => format!("drain {n}"),
        _ => return None,
    })
}

impl App {
    /// The workload the context is about: the selected alert's, else the pods pane's.
    fn context_workload(&self) -> Option<WorkloadKey> {
        self.alerts
            .selected()
            .and_then(|a| {
                alert_workloads(&self.config.services, &a.status, &self.pods)
                    .into_iter()
                    .next()
            })
            .or_else(|| self.pods.selected_workload().cloned())
    }

    /// The node the selected alert is about, by the labels exporters give it.
    fn alert_node(&self) -> Option<String> {
        let labels = &self.alerts.selected()?.status.labels;
        ["node", "kubernetes_node", "hostname", "Hostname", "host"]
            .iter()
            .find_map(|k| labels.get(*k))
            .filter(|n| !n.is_empty())
            .cloned()
    }

    /// For an alert about GPUs, the host of the GPUs with an XID or past the critical
    /// temperature, when exactly one host has them: that node is what the alert is about.
    fn troubled_gpu_host(&self) -> Option<String> {
        let alert = &self.alerts.selected()?.status;
        let about_gpus = [&alert.name, &alert.summary, &alert.detail]
            .iter()
            .any(|t| t.to_lowercase().contains("gpu"));
        if !about_gpus {
            return None;
        }
        let crit = self.config.gpus.temp_crit;
        let hosts: std::collections::BTreeSet<&str> = self
            .gpus
            .values()
            .filter(|g| g.xid.is_some() || g.temp_c.is_some_and(|t| t >= crit))
            .map(|g| g.host.as_str())
            .collect();
        match hosts.into_iter().collect::<Vec<_>>().as_slice() {
            [one] => Some((*one).to_string()),
            _ => None,
        }
    }

    /// What the cockpit can put in a placeholder now, for a command about `deployment`.
    pub(crate) fn placeholder_value(&self, hole: &str, deployment: Option<&str>) -> Option<String> {
        let selected_pod = match self.pods.rows().nth(self.pods.selected) {
            Some(PodRow::Pod(_, p)) => Some(p),
            _ => None,
        };
        match hole_name(hole).as_str() {
            "pod-name" | "pod" | "podname" => selected_pod.map(|p| p.name.clone()),
            "serving-pod" | "a-serving-pod" => {
                let workload = self.context_workload().or_else(|| {
                    self.pods
                        .workloads
                        .keys()
                        .find(|k| k.name.contains("serving"))
                        .cloned()
                })?;
                serving_pod(&self.pods, &workload)
            }
            "stable-revision" | "previous-revision" | "last-good-revision" | "good-revision"
            | "revision" => {
                let name = match deployment {
                    Some(text) => self.pods.resolve_deployment(text).ok()?,
                    None => self.context_workload()?,
                };
                let d = self.pods.deployment(&name)?;
                let since = self
                    .alerts
                    .selected()
                    .filter(|a| {
                        alert_workloads(&self.config.services, &a.status, &self.pods)
                            .contains(&name)
                    })
                    .map(|a| a.status.since);
                stable_revision(d, since).map(|r| r.to_string())
            }
            "namespace" | "ns" => {
                (!self.pods.namespace.is_empty()).then(|| self.pods.namespace.clone())
            }
            "deployment" | "deployment-name" | "service" | "workload" => {
                self.context_workload().map(|k| k.name)
            }
            // The node the alert names, else the one GPU host in trouble, else the selected
            // pod's node, else the node of a pod of the service.
            "node-name" | "node" | "node-of-pod" | "pod-node" => self
                .alert_node()
                .or_else(|| self.troubled_gpu_host())
                .or_else(|| selected_pod.map(|p| p.node.clone()))
                .or_else(|| {
                    let w = self.context_workload()?;
                    let pod = serving_pod(&self.pods, &w)?;
                    self.pods
                        .workloads
                        .get(&w)?
                        .pods
                        .get(&pod)
                        .map(|p| p.node.clone())
                })
                .filter(|n| !n.is_empty()),
            _ => None,
        }
    }

    /// Fills what the cockpit knows: names first, then revisions of the deployment named.
    fn fill_step(&self, step: &NativeStep) -> NativeStep {
        let is_revision = |h: &str| hole_name(h).contains("revision");
        let first = step.fill(&|h| {
            (!is_revision(h))
                .then(|| self.placeholder_value(h, None))
                .flatten()
        });
        let deployment = match &first.action {
            Native::Rollback { deployment, .. } => Some(deployment.clone()),
            _ => None,
        };
        first.fill(&|h| self.placeholder_value(h, deployment.as_deref()))
    }

    /// What `x` would do with this runbook command now.
    pub fn plan_step_command(&self, raw: &str) -> StepPlan {
        let shell = |why: String| {
            let mut command = raw.to_string();
            for r in crate::runbook::placeholders(raw).into_iter().rev() {
                if let Some(v) = self.placeholder_value(&raw[r.clone()], None) {
                    command.replace_range(r, &v);
                }
            }
            StepPlan::Shell { command, why }
        };
        let step = match recognise(raw) {
            Recognised::Native(step) => self.fill_step(&step),
            Recognised::Shell(why) => return shell(why),
        };
        if let Some(why) = step.action.unavailable() {
            return shell(why);
        }
        if let Some(ns) = &step.namespace
            && crate::runbook::placeholders(ns).is_empty()
            && !self.pods.namespace.is_empty()
            && *ns != self.pods.namespace
        {
            return shell(format!(
                "it acts in namespace {ns}; the cockpit acts in {}",
                self.pods.namespace
            ));
        }
        let line = match step.action.command_line() {
            Some(line) => line,
            None => match self.kill_switch_for(&step.action) {
                Ok((name, on)) => format!("kill-switch {name} {}", if on { "on" } else { "off" }),
                Err(why) => return shell(why),
            },
        };
        if let Some(hole) = step.placeholders().into_iter().next() {
            return StepPlan::Fill { line, hole };
        }
        match Command::parse(&line) {
            Ok(command) => StepPlan::Native { command, line },
            Err(e) => shell(format!("`{line}`: {e}")),
        }
    }

    /// The kill switch that makes a `set env` or ConfigMap change, and whether the change
    /// turns it on: a configured switch on exactly that key, else one whose description
    /// names the object and the key (the drills describe theirs so).
    fn kill_switch_for(&self, action: &Native) -> Result<(String, bool), String> {
        let (object, key, value, kind) = match action {
            Native::SetEnv {
                deployment,
                key,
                value,
            } => (deployment, key, value, KillSwitchKind::Env),
            Native::ConfigMapSet {
                configmap,
                key,
                value,
            } => (configmap, key, value, KillSwitchKind::Configmap),
            _ => return Err("not a kill switch change".into()),
        };
        for ks in &self.config.kill_switches {
            let same_object = match kind {
                KillSwitchKind::Env => ks.deployment.as_ref() == Some(object),
                _ => ks.configmap.as_ref() == Some(object),
            };
            if ks.kind != kind || !same_object || ks.data_key.as_ref() != Some(key) {
                continue;
            }
            if ks.on_value.as_ref() == Some(value) {
                return Ok((ks.name.clone(), true));
            }
            if ks.off_value.as_ref() == Some(value) {
                return Ok((ks.name.clone(), false));
            }
            return Err(format!(
                "kill switch {} knows {key} only as {} (on) or {} (off), not {value}",
                ks.name,
                ks.on_value.as_deref().unwrap_or("-"),
                ks.off_value.as_deref().unwrap_or("-"),
            ));
        }
        let described = self.kill_switches.iter().find(|k| {
            k.description.contains(object.as_str()) && k.description.contains(key.as_str())
        });
        if let Some(k) = described {
            let on = if k.description.contains(&format!("{key}=")) {
                k.description.contains(&format!("{key}={value}"))
            } else {
                matches!(
                    value.to_ascii_lowercase().as_str(),
                    "true" | "on" | "1" | "yes" | "enabled"
                )
            };
            return Ok((k.name.clone(), on));
        }
        Err(format!("no kill switch sets {key} on {}", action.target()))
    }

    /// `x`: the selected step's change through sitrep's own confirmation when it knows the
    /// command, else the shell path after filling placeholders and confirming.
    pub(super) fn run_step_command(&mut self) {
        let Some((key, cmds)) = self.checklist.as_ref().and_then(|c| {
            let (g, i, step) = c.selected()?;
            Some(((c.book, c.section, g, i), step.commands.clone()))
        }) else {
            self.flash(Level::Warn, "no runbook step selected");
            return;
        };
        if cmds.is_empty() {
            self.flash(Level::Warn, "this step has no command");
            return;
        }
        let plans: Vec<StepPlan> = cmds.iter().map(|c| self.plan_step_command(c)).collect();
        let plan = plans
            .iter()
            .find(|p| !matches!(p, StepPlan::Shell { .. }))
            .or(plans.first())
            .cloned();
        match plan {
            Some(StepPlan::Native { command, line }) => {
                let expect = expected_line(&command).unwrap_or_else(|| line.clone());
                if let Some(c) = &mut self.checklist {
                    c.pending = Some(PendingStep { key, expect });
                }
                self.run_command(command);
            }
            Some(StepPlan::Fill { line, hole }) => {
                self.overlay = Some(Overlay::CommandLine(LineInput {
                    text: line,
                    ..LineInput::default()
                }));
                self.flash(Level::Warn, format!("fill in {hole} first, then enter"));
            }
            Some(StepPlan::Shell { command, .. }) => self.run_shell(command),
            None => {}
        }
    }

    /// Ticks the runbook step whose change this report says went through.
    pub(super) fn tick_pending_step(&mut self, report: &ActionReport) {
        if report.outcome != ActionOutcome::Ok {
            return;
        }
        let Some(c) = &mut self.checklist else {
            return;
        };
        let Some(p) = c
            .pending
            .take_if(|p| p.expect == report.action.command_line())
        else {
            return;
        };
        if let Some(text) = c.tick(p.key) {
            self.journal(Kind::StepTicked, text, None);
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic)]
mod tests {
    use super::{StepPlan, hole_name};
    use crate::app::sample::{answer, drill_pair};
    use crate::app::{Effect, Overlay};
    use crate::command::{Command, Pane};
    use crate::config::Config;
    use crate::event::{Action, Event};
    use crate::journal::Kind;

    fn native(plan: StepPlan) -> String {
        match plan {
            StepPlan::Native { line, .. } => line,
            other => panic!("not native: {other:?}"),
        }
    }

    #[test]
    fn the_demo_runbooks_commands_map_to_sitreps_actions_with_their_targets() {
        let (app, _) = drill_pair(Config::default(), 120);
        let plan = |c: &str| app.plan_step_command(c);
        assert_eq!(
            native(plan(
                "kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving"
            )),
            "rollback snapbuilder-serving"
        );
        // The last healthy revision: 2, the one before 3 rolled out before the alert.
        assert_eq!(
            native(plan(
                "kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving --to-revision=<stable-revision>"
            )),
            "rollback snapbuilder-serving 2"
        );
        assert_eq!(
            native(plan(
                "kubectl -n snapbuilder rollout restart deploy/snapbuilder-ingest"
            )),
            "restart snapbuilder-ingest"
        );
        assert_eq!(
            native(plan(
                "kubectl -n snapbuilder scale deployment/snapbuilder-serving --replicas=0"
            )),
            "scale snapbuilder-serving 0"
        );
        // ConfigMap flags go through the kill switch that flips them.
        assert_eq!(
            native(plan(
                r#"kubectl -n snapbuilder patch configmap snapbuilder-flags --type merge -p '{"data":{"MODERATION_STRICT":"true"}}'"#
            )),
            "kill-switch moderation-strict on"
        );
        assert_eq!(
            native(plan(
                r#"kubectl -n snapbuilder patch configmap snapbuilder-flags --type merge -p '{"data":{"ai_enabled":"false"}}'"#
            )),
            "kill-switch ai-disabled on"
        );
        assert_eq!(
            native(plan(
                r#"kubectl -n snapbuilder patch configmap snapbuilder-flags --type merge -p '{"data":{"ai_enabled":"true"}}'"#
            )),
            "kill-switch ai-disabled off"
        );
        // A replica count the cockpit cannot know: the command line, to be finished.
        assert_eq!(
            plan("kubectl -n snapbuilder scale deployment/snapbuilder-serving --replicas=<n>"),
            StepPlan::Fill {
                line: "scale snapbuilder-serving <n>".into(),
                hole: "<n>".into()
            }
        );
        // Another namespace, an unknown flag key, a read-only command: the shell.
        for (cmd, why) in [
            (
                "kubectl -n other rollout undo deployment/snapbuilder-serving",
                "namespace other",
            ),
            (
                r#"kubectl -n snapbuilder patch configmap snapbuilder-flags -p '{"data":{"NOPE":"1"}}'"#,
                "no kill switch sets NOPE",
            ),
            ("kubectl -n snapbuilder get pods", "not a change"),
        ] {
            match plan(cmd) {
                StepPlan::Shell { why: w, .. } => assert!(w.contains(why), "{cmd}: {w}"),
                other => panic!("{cmd}: {other:?}"),
            }
        }
    }

    #[test]
    fn shell_commands_get_the_placeholders_the_cockpit_knows() {
        let (app, _) = drill_pair(Config::default(), 120);
        let StepPlan::Shell { command, .. } =
            app.plan_step_command("kubectl -n snapbuilder exec <serving-pod> -- nvidia-smi")
        else {
            panic!("exec is not a change");
        };
        assert!(
            command.starts_with("kubectl -n snapbuilder exec snapbuilder-serving-"),
            "{command}"
        );
    }

    #[test]
    fn x_on_a_rollback_step_opens_the_rollback_confirmation_and_ticks_it_when_done() {
        let (mut app, mut world) = drill_pair(Config::default(), 120);
        app.focus = Pane::Runbook;
        // Symptoms (3), then "Check the rollout history", then the rollback step.
        for _ in 0..4 {
            app.run(Command::Down);
        }
        let step = app
            .checklist
            .as_ref()
            .and_then(|c| c.selected())
            .map(|(_, _, s)| s.text.clone());
        assert_eq!(
            step.as_deref(),
            Some("If the errors started with that revision, roll back:")
        );
        let effects = app.run(Command::Run(None));
        let want = Action::Rollback {
            deployment: "snapbuilder-serving".into(),
            revision: None,
            place: crate::event::Place::new(
                crate::app::capabilities::SANDBOX_CONTEXT,
                "snapbuilder",
            ),
        };
        assert_eq!(effects, [Effect::Preview(want.clone())]);
        let Some(Overlay::Confirm {
            action,
            typed_required,
            ..
        }) = &app.overlay
        else {
            panic!("no confirmation: {:?}", app.overlay);
        };
        assert_eq!(action, &want);
        assert_eq!(typed_required.as_deref(), Some("snapbuilder-serving"));
        app.overlay = None;
        // The change succeeds: the step is ticked and journaled after the rollback.
        let (report, _) = world.act(want);
        let mut rest = Vec::new();
        let mut kinds = Vec::new();
        for e in app.update(Event::ActionDone(report)) {
            if let Effect::JournalAppend { entry, .. } = &e {
                kinds.push((entry.kind, entry.text.clone()));
            }
            answer(&mut app, e, &mut rest);
        }
        assert!(
            kinds.iter().position(|k| k.0 == Kind::Rollback)
                < kinds.iter().position(|k| k.0 == Kind::StepTicked),
            "{kinds:?}"
        );
        assert!(kinds.contains(&(
            Kind::StepTicked,
            "HighErrorRate: 5xx above 3% › If the errors started with that revision, roll back:"
                .into()
        )));
        let c = app.checklist.as_ref().expect("a checklist");
        assert!(c.pending.is_none());
        assert_eq!(c.progress().0, 1);
    }

    #[test]
    fn a_failed_change_leaves_the_step_unticked() {
        let (mut app, _) = drill_pair(Config::default(), 120);
        app.focus = Pane::Runbook;
        for _ in 0..4 {
            app.run(Command::Down);
        }
        app.run(Command::Run(None));
        let report = crate::event::ActionReport {
            action: Action::Rollback {
                deployment: "snapbuilder-serving".into(),
                revision: None,
                place: crate::event::Place::new(
                    crate::app::capabilities::SANDBOX_CONTEXT,
                    "snapbuilder",
                ),
            },
            outcome: crate::event::ActionOutcome::Refused,
            detail: "forbidden".into(),
            revisions: None,
        };
        app.update(Event::ActionDone(report));
        let c = app.checklist.as_ref().expect("a checklist");
        assert_eq!(c.progress().0, 0);
    }

    #[test]
    fn node_is_the_one_gpu_host_in_trouble_before_the_selected_pods_node() {
        let (mut app, _) = drill_pair(Config::default(), 120);
        app.focus = Pane::Pods;
        app.run(Command::Down);
        let hot = app
            .gpus
            .values()
            .next()
            .cloned()
            .expect("the drill has GPUs");
        let crit = app.config.gpus.temp_crit;
        // Every GPU of the drill cool but one on a host of its own.
        let mut list: Vec<crate::event::GpuStatus> = app
            .gpus
            .values()
            .map(|g| crate::event::GpuStatus {
                temp_c: Some(crit - 20.0),
                xid: None,
                ..g.clone()
            })
            .collect();
        list.push(crate::event::GpuStatus {
            host: "gpu-node-9".into(),
            temp_c: Some(crit + 5.0),
            xid: None,
            ..hot.clone()
        });
        app.update(Event::Observed(
            app.now,
            crate::event::Observation::GpuList(list),
        ));
        // Only an alert about GPUs makes their host the node in question.
        assert_ne!(
            native(app.plan_step_command("kubectl cordon <node>")),
            "cordon gpu-node-9"
        );
        app.update(Event::Observed(
            app.now,
            crate::event::Observation::Alert(crate::event::AlertStatus {
                name: "GpuTooHot".into(),
                severity: "critical".into(),
                state: crate::event::AlertState::Firing,
                since: app.now,
                summary: "a GPU is above 90 °C and throttling".into(),
                runbook_url: None,
                detail: String::new(),
                description: String::new(),
                labels: Default::default(),
                silenced_by: Vec::new(),
            }),
        ));
        app.focus = Pane::Alerts;
        for _ in 0..10 {
            if app
                .alerts
                .selected()
                .is_some_and(|a| a.status.name == "GpuTooHot")
            {
                break;
            }
            app.run(Command::Down);
        }
        assert_eq!(
            app.alerts.selected().map(|a| a.status.name.as_str()),
            Some("GpuTooHot")
        );
        app.focus = Pane::Pods;
        assert_eq!(
            native(app.plan_step_command("kubectl cordon <node>")),
            "cordon gpu-node-9",
            "{:?}",
            app.gpus
                .values()
                .map(|g| (&g.host, g.xid, g.temp_c))
                .collect::<Vec<_>>()
        );
        // Two hosts in trouble: neither is "the" node; the selection decides again.
        app.update(Event::Observed(
            app.now,
            crate::event::Observation::Gpu(crate::event::GpuStatus {
                host: "gpu-node-8".into(),
                xid: Some(79),
                ..hot
            }),
        ));
        assert_ne!(
            native(app.plan_step_command("kubectl cordon <node>")),
            "cordon gpu-node-9"
        );
    }

    #[test]
    fn node_steps_map_to_the_cluster_commands_and_tick_on_their_reports() {
        use crate::cluster::ClusterAction;
        let (mut app, _) = drill_pair(Config::default(), 120);
        // Select a pod: `<node>` is its node.
        app.focus = Pane::Pods;
        app.run(Command::Down);
        let node = match app.pods.rows().nth(app.pods.selected) {
            Some(crate::app::state::PodRow::Pod(_, p)) => p.node.clone(),
            other => panic!("no pod selected: {other:?}"),
        };
        assert!(!node.is_empty());
        let plan = |c: &str| app.plan_step_command(c);
        assert_eq!(
            native(plan("kubectl cordon <node>")),
            format!("cordon {node}")
        );
        assert_eq!(
            native(plan("kubectl uncordon node/gpu-node-3")),
            "uncordon gpu-node-3"
        );
        assert_eq!(
            native(plan("kubectl drain <node-name> --ignore-daemonsets")),
            format!("drain {node}")
        );
        // What each step waits for is exactly what the action's report says.
        for (line, action) in [
            ("cordon n1", ClusterAction::Cordon { node: "n1".into() }),
            ("uncordon n1", ClusterAction::Uncordon { node: "n1".into() }),
            ("drain n1", ClusterAction::Drain { node: "n1".into() }),
        ] {
            let cmd = Command::parse(line).expect("parses");
            assert_eq!(
                super::expected_line(&cmd),
                Some(Action::Cluster(action).command_line()),
                "{line}"
            );
        }
    }

    #[test]
    fn a_delete_pod_step_is_native_on_the_selected_pod_and_waits_for_its_report() {
        let (mut app, mut world) = drill_pair(Config::default(), 120);
        app.focus = Pane::Pods;
        app.run(Command::Down);
        let pod = match app.pods.rows().nth(app.pods.selected) {
            Some(crate::app::state::PodRow::Pod(_, p)) => p.name.clone(),
            other => panic!("no pod selected: {other:?}"),
        };
        let plan = app.plan_step_command("kubectl -n snapbuilder delete pod <pod-name>");
        let StepPlan::Native { command, line } = plan else {
            panic!("not native: {plan:?}");
        };
        assert_eq!(line, format!("delete-pod {pod}"));
        assert_eq!(command, Command::DeletePod(Some(pod.clone())));
        // The confirmation `x` opens is for that pod, and its report is what the step awaits.
        app.run(command.clone());
        let Some(Overlay::Confirm { action, .. }) = &app.overlay else {
            panic!("no confirmation: {:?}", app.overlay);
        };
        assert!(matches!(action, Action::DeletePod { pod: p, .. } if *p == pod));
        assert_eq!(super::expected_line(&command), Some(action.command_line()));
        // The sandbox carries it out; its report ticks the step that asked for it.
        let action = action.clone();
        let c = app.checklist.as_mut().expect("a checklist");
        let key = (c.book, c.section, 0, 0);
        let before = c.progress().0;
        c.pending = Some(super::PendingStep {
            key,
            expect: super::expected_line(&command).expect("a line"),
        });
        let (report, obs) = world.act(action);
        assert_eq!(
            report.outcome,
            crate::event::ActionOutcome::Ok,
            "{}",
            report.detail
        );
        assert!(
            obs.iter().any(
                |o| matches!(o, crate::event::Observation::PodGone { name, .. } if *name == pod)
            )
        );
        app.update(Event::ActionDone(report));
        let c = app.checklist.as_ref().expect("a checklist");
        assert_eq!(c.progress().0, before + 1, "the step is ticked");
        // Another namespace's step is not this cockpit's to do natively.
        assert!(matches!(
            app.plan_step_command("kubectl -n elsewhere delete pod <pod-name>"),
            StepPlan::Shell { .. }
        ));
    }

    #[test]
    fn placeholder_names_are_normalised() {
        assert_eq!(hole_name("<pod-name>"), "pod-name");
        assert_eq!(hole_name("{{ Pod_Name }}"), "pod-name");
        assert_eq!(hole_name("<stable revision>"), "stable-revision");
    }
}
