//! Folding what sources observed into the panes' state.

use crate::event::{ActionOutcome, ActionReport, Level, Observation};
use crate::journal::{Kind, Outcome};

use super::App;
use super::state::{HealthEntry, SIGNAL_HISTORY, SignalState, WorkloadKey};

fn push_point(s: &mut SignalState, at: jiff::Timestamp, v: f64) {
    if s.history.len() == SIGNAL_HISTORY {
        s.history.pop_front();
    }
    s.history.push_back((at, v));
}

impl App {
    // Long by design: one arm per kind of observation, each folding it into its pane.
    pub(super) fn observe(&mut self, obs: Observation) {
        self.changes
            .note(&obs, &self.pods, &self.kill_switches, self.now);
        self.changes.note_nodes(&obs, &self.cluster.nodes, self.now);
        match obs {
            Observation::SignalDefined(def) => {
                if let Some(s) = self.signals.iter_mut().find(|s| s.def.name == def.name) {
                    s.def = def;
                } else {
                    self.signals.push(SignalState {
                        def,
                        ..SignalState::default()
                    });
                }
                // A new signal can change the layout, and so the sparkline width.
                self.sync_spark_width();
            }
            Observation::Signal { name, value } => {
                let now = self.now;
                if let Some(s) = self.signals.iter_mut().find(|s| s.def.name == name) {
                    s.value = value;
                    s.stale = None;
                    s.no_data = None;
                    if let Some(v) = value
                        && !s.series_fed
                    {
                        push_point(s, now, v);
                    }
                }
            }
            Observation::SignalNoData { name, query } => {
                if let Some(s) = self.signals.iter_mut().find(|s| s.def.name == name) {
                    s.value = None;
                    s.stale = None;
                    s.no_data = Some(query);
                }
            }
            Observation::SignalSeries {
                name,
                points,
                reset,
            } => {
                if let Some(s) = self.signals.iter_mut().find(|s| s.def.name == name) {
                    s.series_fed = true;
                    if reset {
                        s.history.clear();
                    }
                    for (at, v) in points {
                        if s.history.back().is_none_or(|(last, _)| at > *last) {
                            push_point(s, at, v);
                        }
                    }
                }
            }
            Observation::Slo(slo) => {
                if let Some(s) = self.signals.iter_mut().find(|s| s.def.name == slo.name) {
                    s.slo = Some(slo);
                }
            }
            Observation::Health(h) => {
                let now = self.now;
                match self.health.iter_mut().find(|e| e.status.name == h.name) {
                    Some(e) => {
                        if e.status.ok != h.ok || e.status.status != h.status {
                            e.changed_at = now;
                        }
                        e.status = h;
                    }
                    None => self.health.push(HealthEntry {
                        status: h,
                        changed_at: now,
                    }),
                }
            }
            Observation::Silences(list) => self.silences = list,
            Observation::GpuList(list) => {
                self.gpus.replace(list);
            }
            Observation::SourceRecovered { source } => {
                self.source_errors.clear(&source);
                if let Some(name) = source.strip_prefix("signals/")
                    && let Some(s) = self.signals.iter_mut().find(|s| s.def.name == name)
                {
                    s.stale = None;
                }
            }
            Observation::Deployment(d) => {
                if self.pods.namespace.is_empty() {
                    self.pods.namespace = d.namespace.clone();
                }
                let key = WorkloadKey::new(&d.namespace, &d.name);
                self.pods.workloads.entry(key).or_default().deployment = Some(d);
            }
            Observation::DeploymentGone { namespace, name } => {
                let key = WorkloadKey::new(namespace, name);
                if let Some(w) = self.pods.workloads.get_mut(&key) {
                    w.deployment = None;
                    if w.pods.is_empty() && w.rollout.is_none() {
                        self.pods.workloads.remove(&key);
                    }
                }
                let rows = self.pods.row_count();
                self.pods.selected = self.pods.selected.min(rows.saturating_sub(1));
            }
            Observation::Rollout(r) => {
                if self.pods.namespace.is_empty() {
                    self.pods.namespace = r.namespace.clone();
                }
                let key = WorkloadKey::new(&r.namespace, &r.name);
                self.pods.workloads.entry(key).or_default().rollout = Some(r);
            }
            Observation::RolloutGone { namespace, name } => {
                let key = WorkloadKey::new(namespace, name);
                if let Some(w) = self.pods.workloads.get_mut(&key) {
                    w.rollout = None;
                    if w.pods.is_empty() && w.deployment.is_none() && w.rollout.is_none() {
                        self.pods.workloads.remove(&key);
                    }
                }
                let rows = self.pods.row_count();
                self.pods.selected = self.pods.selected.min(rows.saturating_sub(1));
            }
            Observation::Pod(p) => {
                if self.pods.namespace.is_empty() {
                    self.pods.namespace = p.namespace.clone();
                }
                let key = WorkloadKey::new(&p.namespace, &p.workload);
                self.tail_pod_changed(&key);
                self.pods
                    .workloads
                    .entry(key)
                    .or_default()
                    .pods
                    .insert(p.name.clone(), p);
            }
            Observation::PodGone { namespace, name } => {
                let owner = self.pods.owner_of(&namespace, &name);
                if let Some(owner) = owner {
                    self.tail_pod_changed(&owner);
                    if let Some(w) = self.pods.workloads.get_mut(&owner) {
                        w.pods.remove(&name);
                        // A bare pod's row goes with it; a deployment's stays.
                        if w.pods.is_empty() && w.deployment.is_none() && w.rollout.is_none() {
                            self.pods.workloads.remove(&owner);
                        }
                    }
                }
                let rows = self.pods.row_count();
                self.pods.selected = self.pods.selected.min(rows.saturating_sub(1));
            }
            Observation::NodeGpus {
                node,
                capacity,
                allocatable,
            } => {
                self.gpus.set_node(node, capacity, allocatable);
            }
            Observation::Gpu(g) => {
                self.gpus.upsert(g);
            }
            Observation::Alert(a) => self.observe_alert(a),
            Observation::Forbidden(f) => self.access.forbidden(f),
            Observation::Allowed {
                resource,
                namespace,
            } => self.access.allowed(&resource, &namespace),
            Observation::Access(report) => self.access.report = Some(report),
            Observation::Log(line) => self.logs.push(line),
            Observation::Logs(lines) => {
                for line in lines {
                    self.logs.push(line);
                }
            }
            Observation::LogGaps(gaps) => self.observe_log_gaps(gaps),
            Observation::LogsDropped(n) => self.logs.dropped += n,
            Observation::LogTail { pods, streams } => {
                self.pods.tail.following = Some((pods, streams));
            }
            Observation::LogHistory(page) => self.observe_log_history(page),
            Observation::LogSource(status) => self.log_source.status = Some(status),
            Observation::KillSwitch(k) => {
                if let Some(existing) = self.kill_switches.iter_mut().find(|e| e.name == k.name) {
                    *existing = k;
                } else {
                    self.kill_switches.push(k);
                }
            }
            Observation::SourceError { source, error } => {
                let now = self.now;
                let since = self.source_errors.set(&source, &error, now);
                if let Some(name) = source.strip_prefix("signals/")
                    && let Some(s) = self.signals.iter_mut().find(|s| s.def.name == name)
                {
                    s.stale = Some((error, since));
                }
            }
            Observation::ClockPaused(p) => self.paused = p,
            obs @ (Observation::KubeEvents(_)
            | Observation::KubeEventsGone(_)
            | Observation::Nodes(_)
            | Observation::Hpas(_)
            | Observation::Drain(_)
            | Observation::Batch(_)
            | Observation::Usage(_)) => self.observe_cluster(obs),
        }
        self.prune_resolved_alerts();
    }

    /// Log streams that stopped: a marker in the merged tail for each, and, while an incident
    /// is open, one journal line, so the postmortem knows where evidence is missing.
    fn observe_log_gaps(&mut self, gaps: Vec<crate::event::LogGap>) {
        let mut lines = Vec::new();
        for gap in gaps {
            let text = gap.describe(&gap.pod);
            self.logs
                .push_marker(gap.from, &gap.pod, &gap.container, &text);
            lines.push(text);
        }
        if self.incident.is_some() && !lines.is_empty() {
            self.journal_as(
                "sitrep",
                Kind::Note,
                format!("log gap: {}", lines.join("; ")),
                None,
            );
        }
    }

    // A little over the usual length: the outcome, its journal line, the switch's new
    // state, the verification and the status change belong to one report.
    pub(super) fn on_action_done(&mut self, report: ActionReport) {
        let outcome = outcome_of(report.outcome);
        if let crate::event::Action::Shell { command } = &report.action {
            self.overlay = Some(super::Overlay::Output {
                title: format!("$ {command}"),
                text: report.detail.clone(),
                scroll: 0,
            });
            let first = report.detail.lines().next().unwrap_or("").to_string();
            self.journal(
                Kind::Command,
                format!("run {command}: {first}"),
                Some(outcome_of(report.outcome)),
            );
            return;
        }
        let kind = match (&report.action, report.outcome) {
            (crate::event::Action::Rollback { .. }, ActionOutcome::Ok) => Kind::Rollback,
            (crate::event::Action::KillSwitch { .. }, ActionOutcome::Ok) => Kind::KillSwitch,
            _ => Kind::Command,
        };
        let level = if report.outcome == ActionOutcome::Ok {
            Level::Ok
        } else {
            Level::Crit
        };
        let line = report.action.command_line();
        self.flash(level, format!("{line}: {}", report.detail));
        match (&report.action, report.revisions) {
            (
                crate::event::Action::Rollback {
                    deployment, place, ..
                },
                Some((from, to)),
            ) if kind == Kind::Rollback => {
                let rollback = crate::journal::Rollback {
                    deployment: journal_object(deployment, place),
                    from: from.to_string(),
                    to: to.to_string(),
                };
                let entry = crate::journal::Entry::rollback(
                    self.now,
                    self.actor.clone(),
                    &rollback,
                    outcome,
                );
                self.record(entry);
            }
            (crate::event::Action::KillSwitch { .. }, _) if kind == Kind::KillSwitch => {
                self.journal(kind, report.detail.clone(), Some(outcome));
            }
            _ => {
                let on = report
                    .action
                    .target_text()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                self.journal(
                    Kind::Command,
                    format!("{line}{on}: {}", report.detail),
                    Some(outcome),
                )
            }
        }
        let silence = matches!(
            report.action,
            crate::event::Action::Silence { .. } | crate::event::Action::ExpireSilence { .. }
        );
        // Muting an alert is not mitigation.
        if report.outcome == ActionOutcome::Ok {
            if let crate::event::Action::KillSwitch { name, on } = &report.action
                && let Some(ks) = self.kill_switches.iter_mut().find(|k| &k.name == name)
            {
                ks.on = Some(*on);
            }
            if !silence {
                self.start_verification(&report.action);
            }
        }
        if report.outcome == ActionOutcome::Ok
            && !silence
            && let Some(inc) = &mut self.incident
            && inc.status < crate::command::Status::Mitigating
        {
            // A change that went through is mitigation in progress; the operator can say otherwise.
            let reason = format!("(was {}; after {line})", inc.status.as_str());
            inc.status = crate::command::Status::Mitigating;
            let entry = crate::journal::Entry::status(
                self.now,
                "sitrep",
                crate::command::Status::Mitigating,
                &reason,
            );
            self.record(entry);
        }
        // The runbook step that asked for this change is done once the change is.
        self.tick_pending_step(&report);
    }
}

/// A deployment as a rollback entry names it: `deployment/NAME in NAMESPACE on CONTEXT`, so
/// the journal says exactly which object changed (the text before ` from ` is the object).
fn journal_object(name: &str, place: &crate::event::Place) -> String {
    let mut out = format!("deployment/{name}");
    if !place.namespace.is_empty() {
        out.push_str(&format!(" in {}", place.namespace));
    }
    if !place.context.is_empty() {
        out.push_str(&format!(" on {}", place.context));
    }
    out
}

fn outcome_of(o: ActionOutcome) -> Outcome {
    match o {
        ActionOutcome::Ok => Outcome::Ok,
        ActionOutcome::Refused => Outcome::Refused,
        ActionOutcome::Failed => Outcome::Failed,
        ActionOutcome::DryRun => Outcome::DryRun,
    }
}
