//! The jobs view of the pods pane (Jobs, failing ones first, and CronJobs), the commands on
//! them (re-run a Job from its template, suspend and resume a CronJob), and resource usage
//! from metrics.k8s.io. Plain state and pure folding; the executors do the talking.

use std::collections::HashMap;

use crate::cluster::jobs::{Batch, CronJobInfo, JobInfo, rerun_name};
use crate::cluster::usage::Usage;
use crate::cluster::{ClusterAction, DescribeTarget};
use crate::command::Command;
use crate::event::{Action, Level};

use super::cluster::PodsView;
use super::{App, Effect, Overlay};

/// One row of the jobs view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRow<'a> {
    Job(&'a JobInfo),
    CronJob(&'a CronJobInfo),
}

/// CPU and memory per pod and node, from the last metrics round.
#[derive(Debug, Clone, Default)]
pub struct UsageState {
    /// (namespace, pod) → (millicores, bytes).
    pub pods: HashMap<(String, String), (u64, u64)>,
    pub nodes: HashMap<String, (u64, u64)>,
    /// Why there are no metrics (no metrics-server), once said.
    pub unavailable: Option<String>,
}

impl App {
    /// The jobs view's rows: failing Jobs (most failed attempts first), the other Jobs
    /// (newest first), then the CronJobs.
    pub fn job_rows(&self) -> Vec<JobRow<'_>> {
        let mut jobs: Vec<&JobInfo> = self.cluster.batch.jobs.iter().collect();
        jobs.sort_by(|a, b| {
            b.failing()
                .cmp(&a.failing())
                .then(b.failed.cmp(&a.failed))
                .then(b.started.cmp(&a.started))
                .then(a.name.cmp(&b.name))
        });
        let mut rows: Vec<JobRow<'_>> = jobs.into_iter().map(JobRow::Job).collect();
        rows.extend(self.cluster.batch.cronjobs.iter().map(JobRow::CronJob));
        rows
    }

    pub(super) fn observe_batch(&mut self, b: Batch) {
        self.cluster.batch = b;
        let n = self.job_rows().len();
        self.cluster.job_selected = self.cluster.job_selected.min(n.saturating_sub(1));
    }

    pub(super) fn observe_usage(&mut self, u: Usage) {
        if let Some(why) = u.unavailable {
            if self.cluster.usage.unavailable.is_none() {
                self.flash(Level::Unknown, format!("metrics API not available ({why})"));
            }
            self.cluster.usage.unavailable = Some(why);
            return;
        }
        self.cluster.usage.unavailable = None;
        self.cluster.usage.pods = u
            .pods
            .into_iter()
            .map(|p| ((p.namespace, p.name), (p.cpu_m, p.mem)))
            .collect();
        self.cluster.usage.nodes = u
            .nodes
            .into_iter()
            .map(|n| (n.name, (n.cpu_m, n.mem)))
            .collect();
    }

    /// A pod's CPU and memory, when metrics-server reports it.
    pub fn pod_usage(&self, namespace: &str, name: &str) -> Option<(u64, u64)> {
        self.cluster
            .usage
            .pods
            .get(&(namespace.to_string(), name.to_string()))
            .copied()
    }

    /// Runs the jobs commands: the view, re-run, suspend and resume.
    pub(super) fn run_jobs_command(&mut self, cmd: Command) {
        match cmd {
            Command::Jobs => {
                self.toggle_view(PodsView::Jobs);
                self.cluster.job_selected = 0;
            }
            Command::JobRerun(name) => {
                let Some(row) = self.job_target(name, false) else {
                    return;
                };
                let (namespace, from_kind, from) = match row {
                    JobRow::Job(j) => (j.namespace.clone(), "Job", j.name.clone()),
                    JobRow::CronJob(c) => (c.namespace.clone(), "CronJob", c.name.clone()),
                };
                let name = rerun_name(&from, self.now);
                self.confirm(Action::Cluster(ClusterAction::JobRerun {
                    namespace,
                    from_kind: from_kind.into(),
                    from,
                    name,
                }));
            }
            Command::CronJobSuspend(name) => self.cronjob_suspend(name, true),
            Command::CronJobResume(name) => self.cronjob_suspend(name, false),
            _ => {}
        }
    }

    /// The Job or CronJob a command means: named (a Job first, unless `cronjob_only`), or
    /// the jobs view's selection. Says why when there is none.
    fn job_target(&mut self, name: Option<String>, cronjob_only: bool) -> Option<JobRow<'_>> {
        let found = match &name {
            Some(n) => {
                let job = (!cronjob_only)
                    .then(|| self.cluster.batch.jobs.iter().position(|j| &j.name == n))
                    .flatten();
                match job {
                    Some(i) => Some(JobRow::Job(&self.cluster.batch.jobs[i])),
                    None => self
                        .cluster
                        .batch
                        .cronjobs
                        .iter()
                        .find(|c| &c.name == n)
                        .map(JobRow::CronJob),
                }
            }
            None if self.cluster.view == PodsView::Jobs => {
                match self.job_rows().get(self.cluster.job_selected).copied() {
                    // A Job a CronJob made stands for its CronJob where only one will do.
                    Some(JobRow::Job(j)) if cronjob_only => j.cronjob.as_ref().and_then(|c| {
                        self.cluster
                            .batch
                            .cronjobs
                            .iter()
                            .find(|x| &x.name == c && x.namespace == j.namespace)
                            .map(JobRow::CronJob)
                    }),
                    other => other,
                }
            }
            None => None,
        };
        if found.is_none() {
            let what = if cronjob_only {
                "CronJob"
            } else {
                "Job or CronJob"
            };
            let text = match name {
                Some(n) => format!("no {what} `{n}` (`:jobs` lists them)"),
                None => format!("select a {what} in the jobs view (`:jobs`) first, or name it"),
            };
            self.flash(Level::Warn, text);
            return None;
        }
        // Borrowing rules: look the row up again, now that `self` is free.
        match found? {
            JobRow::Job(j) => {
                let (ns, n) = (j.namespace.clone(), j.name.clone());
                self.cluster
                    .batch
                    .jobs
                    .iter()
                    .find(|j| j.name == n && j.namespace == ns)
                    .map(JobRow::Job)
            }
            JobRow::CronJob(c) => {
                let (ns, n) = (c.namespace.clone(), c.name.clone());
                self.cluster
                    .batch
                    .cronjobs
                    .iter()
                    .find(|c| c.name == n && c.namespace == ns)
                    .map(JobRow::CronJob)
            }
        }
    }

    fn cronjob_suspend(&mut self, name: Option<String>, suspend: bool) {
        let Some(JobRow::CronJob(c)) = self.job_target(name, true) else {
            return;
        };
        let (namespace, name, already) = (c.namespace.clone(), c.name.clone(), c.suspend);
        if already == suspend {
            let state = if suspend {
                "suspended"
            } else {
                "not suspended"
            };
            self.flash(Level::Warn, format!("CronJob {name} is {state} already"));
            return;
        }
        self.confirm(Action::Cluster(ClusterAction::CronJobSuspend {
            namespace,
            name,
            suspend,
        }));
    }

    /// The confirmation's lines for a jobs action; `ctx` is ` in context C` or empty.
    pub(super) fn describe_jobs_action(&self, a: &ClusterAction, ctx: &str) -> Vec<String> {
        match a {
            ClusterAction::JobRerun {
                namespace,
                from_kind,
                from,
                name,
            } => {
                let source = if from_kind == "CronJob" {
                    format!("cronjob/{from}'s jobTemplate")
                } else {
                    format!("job/{from}'s template")
                };
                let mut lines = vec![format!("Create Job {namespace}/{name}{ctx} from {source}")];
                if let Some(j) = self
                    .cluster
                    .batch
                    .jobs
                    .iter()
                    .find(|j| &j.name == from && &j.namespace == namespace)
                {
                    let why = j
                        .failed_reason
                        .as_ref()
                        .map(|(r, _)| format!(", {r}"))
                        .unwrap_or_default();
                    lines.push(format!(
                        "  {from}: {}{why}; it is kept as it is.",
                        j.attempts()
                    ));
                }
                lines.push(
                    "  Its selector and controller labels are not copied: the new Job gets its own."
                        .into(),
                );
                lines
            }
            ClusterAction::CronJobSuspend {
                namespace,
                name,
                suspend,
            } => {
                let (verb, what) = if *suspend {
                    ("Suspend", "no new Jobs are started; running ones go on")
                } else {
                    ("Resume", "Jobs are started on its schedule again")
                };
                let mut lines = vec![format!("{verb} CronJob {namespace}/{name}{ctx}: {what}")];
                if let Some(c) = self
                    .cluster
                    .batch
                    .cronjobs
                    .iter()
                    .find(|c| &c.name == name && &c.namespace == namespace)
                {
                    lines.push(format!("  schedule `{}`, {} active", c.schedule, c.active));
                }
                lines
            }
            _ => Vec::new(),
        }
    }

    /// Whether a jobs action shows in the state, for "did it work?".
    pub(super) fn jobs_settled(&self, a: &ClusterAction) -> Option<String> {
        match a {
            ClusterAction::JobRerun {
                namespace, name, ..
            } => {
                let j = self
                    .cluster
                    .batch
                    .jobs
                    .iter()
                    .find(|j| &j.name == name && &j.namespace == namespace)?;
                (j.active > 0 || j.complete)
                    .then(|| format!("job {name} {}", j.state().to_lowercase()))
            }
            ClusterAction::CronJobSuspend {
                namespace,
                name,
                suspend,
            } => {
                let c = self
                    .cluster
                    .batch
                    .cronjobs
                    .iter()
                    .find(|c| &c.name == name && &c.namespace == namespace)?;
                (c.suspend == *suspend).then(|| {
                    format!(
                        "cronjob {name} {}",
                        if *suspend { "suspended" } else { "resumed" }
                    )
                })
            }
            _ => None,
        }
    }

    /// The describe view of the jobs view's selected Job: attempts, its Failed condition and
    /// its pods; the API server's answer (with the failing pods' last lines) replaces it.
    pub(super) fn describe_job(&mut self) {
        let Some(JobRow::Job(j)) = self.job_rows().get(self.cluster.job_selected).copied() else {
            self.flash(Level::Warn, "select a Job in the jobs view first");
            return;
        };
        let target = DescribeTarget {
            namespace: j.namespace.clone(),
            kind: "Job".into(),
            name: j.name.clone(),
        };
        let text = crate::cluster::jobs::describe(j, &[]).join("\n");
        self.overlay = Some(Overlay::Output {
            title: format!("describe job {}", j.name),
            text,
            scroll: 0,
        });
        self.cluster.describing = Some(target.clone());
        self.emit(Effect::Describe(target));
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::app::sample::drill_app;
    use crate::cluster::usage::{NodeUsage, PodUsage};
    use crate::event::{Event, Observation};

    fn batch() -> Batch {
        let job = |name: &str, failed: u32, reason: Option<&str>, active: u32| JobInfo {
            namespace: "shop".into(),
            name: name.into(),
            cronjob: None,
            active,
            succeeded: 0,
            failed,
            backoff_limit: 4,
            failed_reason: reason.map(|r| {
                (
                    r.into(),
                    "Job has reached the specified backoff limit".into(),
                )
            }),
            complete: false,
            started: None,
            pods: vec![crate::cluster::jobs::JobPod {
                name: format!("{name}-x1"),
                phase: "Failed".into(),
                reason: Some("Error".into()),
                exit_code: Some(1),
            }],
        };
        let mut nightly = job("nightly-27", 1, None, 1);
        nightly.cronjob = Some("nightly".into());
        Batch {
            jobs: vec![
                job("ok-job", 0, None, 1),
                job("reindex", 5, Some("BackoffLimitExceeded"), 0),
                nightly,
            ],
            cronjobs: vec![CronJobInfo {
                namespace: "shop".into(),
                name: "nightly".into(),
                schedule: "0 3 * * *".into(),
                suspend: false,
                active: 1,
                last_schedule: None,
                last_success: None,
            }],
        }
    }

    fn app() -> App {
        let mut app = drill_app(0);
        let now = app.now;
        app.update(Event::Observed(now, Observation::Batch(batch())));
        app
    }

    fn confirm_lines(app: &App) -> Vec<String> {
        match &app.overlay {
            Some(Overlay::Confirm { lines, .. }) => lines.clone(),
            other => panic!("no confirmation: {other:?}"),
        }
    }

    #[test]
    fn the_jobs_view_puts_failing_jobs_first_and_flags_three_attempts() {
        let mut app = app();
        app.run(Command::Jobs);
        let names: Vec<&str> = app
            .job_rows()
            .iter()
            .map(|r| match r {
                JobRow::Job(j) => j.name.as_str(),
                JobRow::CronJob(c) => c.name.as_str(),
            })
            .collect();
        assert_eq!(names, ["reindex", "nightly-27", "ok-job", "nightly"]);
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(
            screen.contains("jobs · 3 · 1 failing · cronjobs 1"),
            "{screen}"
        );
        assert!(
            screen.contains(
                "job reindex Failed failed 5/4 ≥3 BackoffLimitExceeded pods reindex-x1 Error"
            ),
            "{screen}"
        );
        assert!(
            screen.contains("cronjob nightly `0 3 * * *` active 1"),
            "{screen}"
        );
    }

    #[test]
    fn rerun_and_suspend_are_confirmed_with_a_preview() {
        let mut app = app();
        app.run(Command::Jobs);
        let effects = app.run(Command::JobRerun(None));
        let name = rerun_name("reindex", app.now);
        let rerun = Action::Cluster(ClusterAction::JobRerun {
            namespace: "shop".into(),
            from_kind: "Job".into(),
            from: "reindex".into(),
            name: name.clone(),
        });
        assert!(effects.contains(&Effect::Preview(rerun)), "{effects:?}");
        let lines = confirm_lines(&app).join("\n");
        assert!(
            lines.contains(&format!(
                "Create Job shop/{name} in context sandbox from job/reindex's template"
            )),
            "{lines}"
        );
        assert!(
            lines.contains("failed 5/4, BackoffLimitExceeded"),
            "{lines}"
        );
        app.overlay = None;
        // From a Job a CronJob made, suspend means its CronJob.
        app.run(Command::Down);
        let effects = app.run(Command::CronJobSuspend(None));
        let suspend = Action::Cluster(ClusterAction::CronJobSuspend {
            namespace: "shop".into(),
            name: "nightly".into(),
            suspend: true,
        });
        assert!(effects.contains(&Effect::Preview(suspend)), "{effects:?}");
        app.overlay = None;
        app.run(Command::CronJobResume(Some("nightly".into())));
        assert!(app.overlay.is_none());
        assert!(
            app.flash
                .as_ref()
                .is_some_and(|f| f.text.contains("not suspended already"))
        );
        let effects = app.run(Command::JobRerun(Some("nightly".into())));
        assert!(effects.iter().any(|e| matches!(e,
            Effect::Preview(Action::Cluster(ClusterAction::JobRerun { from_kind, .. })) if from_kind == "CronJob")));
        app.overlay = None;
        app.read_only = true;
        app.run(Command::JobRerun(Some("reindex".into())));
        assert!(app.overlay.is_none(), "read-only removes job changes");
    }

    #[test]
    fn usage_reaches_pod_rows_and_absent_metrics_are_said_once() {
        let mut app = app();
        let now = app.now;
        app.update(Event::Observed(
            now,
            Observation::Usage(Usage {
                unavailable: None,
                pods: vec![PodUsage {
                    namespace: "shop".into(),
                    name: "x".into(),
                    cpu_m: 12,
                    mem: 64 << 20,
                }],
                nodes: vec![NodeUsage {
                    name: "n".into(),
                    cpu_m: 900,
                    mem: 1 << 30,
                }],
            }),
        ));
        assert_eq!(app.pod_usage("shop", "x"), Some((12, 64 << 20)));
        let gone = Usage {
            unavailable: Some("404".into()),
            ..Usage::default()
        };
        app.update(Event::Observed(now, Observation::Usage(gone.clone())));
        assert!(
            app.flash
                .as_ref()
                .is_some_and(|f| f.text == "metrics API not available (404)")
        );
        app.flash = None;
        app.update(Event::Observed(now, Observation::Usage(gone)));
        assert!(app.flash.is_none(), "said once");
        assert_eq!(app.pod_usage("shop", "x"), Some((12, 64 << 20)));
    }
}
