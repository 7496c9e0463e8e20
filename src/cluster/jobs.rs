//! Jobs and CronJobs (batch/v1) as the jobs view shows them, and how a re-run Job is made
//! from a failed Job's template or a CronJob's `jobTemplate`, as `kubectl create job --from`
//! does.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Failed attempts from which a job counts as failing repeatedly (the runbooks' ">=3 requeues").
pub const REPEATED_FAILURES: u32 = 3;

/// A Job's pod, as the jobs view names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JobPod {
    pub name: String,
    pub phase: String,
    /// The last container's termination or waiting reason (`Error`, `OOMKilled`...).
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
}

/// A Job (batch/v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JobInfo {
    pub namespace: String,
    pub name: String,
    /// The CronJob that made it, from its controller owner reference.
    pub cronjob: Option<String>,
    pub active: u32,
    pub succeeded: u32,
    /// Failed attempts (`status.failed`).
    pub failed: u32,
    /// `spec.backoffLimit` (6 when unset, as the API defaults it).
    pub backoff_limit: u32,
    /// The `Failed` condition's reason and message (`BackoffLimitExceeded`...).
    pub failed_reason: Option<(String, String)>,
    pub complete: bool,
    pub started: Option<Timestamp>,
    /// The failing job's pods (only read for jobs with failed attempts).
    pub pods: Vec<JobPod>,
}

impl JobInfo {
    /// Whether it failed for good or keeps failing.
    pub fn failing(&self) -> bool {
        self.failed_reason.is_some() || self.failed >= REPEATED_FAILURES
    }

    /// `failed 4/6`: attempts against the backoff limit.
    pub fn attempts(&self) -> String {
        format!("failed {}/{}", self.failed, self.backoff_limit)
    }

    /// One word for where it stands.
    pub fn state(&self) -> &'static str {
        if self.failed_reason.is_some() {
            "Failed"
        } else if self.complete {
            "Complete"
        } else if self.active > 0 {
            "Running"
        } else {
            "Pending"
        }
    }
}

/// A CronJob (batch/v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CronJobInfo {
    pub namespace: String,
    pub name: String,
    pub schedule: String,
    pub suspend: bool,
    pub active: u32,
    pub last_schedule: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
}

/// The Jobs and CronJobs as listed now (whole lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Batch {
    pub jobs: Vec<JobInfo>,
    pub cronjobs: Vec<CronJobInfo>,
}

/// Labels the job controller sets on a Job and its pods; a copy must not carry them, or its
/// selector would be the old Job's and the API server refuses it.
pub const CONTROLLER_LABELS: &[&str] = &[
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];

/// The name of a re-run of `from`: `<from>-rerun-<suffix>`, cut so it stays a valid label
/// value (63 characters: the pods carry it in `job-name`).
pub fn rerun_name(from: &str, at: Timestamp) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = at.as_second().unsigned_abs() % 36u64.pow(5);
    let mut suffix = Vec::new();
    for _ in 0..5 {
        suffix.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    suffix.reverse();
    let suffix = String::from_utf8_lossy(&suffix).to_string();
    let room = 63 - "-rerun-".len() - suffix.len();
    let base: String = from.chars().take(room).collect();
    format!("{}-rerun-{suffix}", base.trim_end_matches('-'))
}

fn strip_controller_labels(labels: &mut Value) {
    if let Some(map) = labels.as_object_mut() {
        for l in CONTROLLER_LABELS {
            map.remove(*l);
        }
    }
}

/// A new Job from a Job's or a CronJob's `jobTemplate` (`template` is the object's `spec` for
/// a Job, the `jobTemplate` for a CronJob): the controller's selector and labels stripped, so
/// the API server makes fresh ones; `owner` (the CronJob) set as `kubectl create job --from`.
pub fn rerun_job(
    namespace: &str,
    name: &str,
    spec: &Value,
    template_labels: &Value,
    owner: Option<&Value>,
) -> Value {
    let mut spec = spec.clone();
    if let Some(s) = spec.as_object_mut() {
        s.remove("selector");
        s.remove("manualSelector");
    }
    strip_controller_labels(&mut spec["template"]["metadata"]["labels"]);
    let mut labels = template_labels.clone();
    strip_controller_labels(&mut labels);
    let mut meta = json!({"name": name, "namespace": namespace,
        "annotations": {"cronjob.kubernetes.io/instantiate": "manual"}});
    if labels.as_object().is_some_and(|l| !l.is_empty()) {
        meta["labels"] = labels;
    }
    if let Some(o) = owner {
        meta["ownerReferences"] = json!([o]);
    }
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec})
}

/// A Job's describe view: attempts against the backoff limit, its Failed condition, its
/// pods and, when read, the failing pods' last log lines (`(pod, lines)`).
pub fn describe(j: &JobInfo, last_lines: &[(String, Vec<String>)]) -> Vec<String> {
    let mut out = vec![
        format!("Name:           {}", j.name),
        format!("Namespace:      {}", j.namespace),
    ];
    if let Some(c) = &j.cronjob {
        out.push(format!("Controlled By:  CronJob/{c}"));
    }
    out.push(format!("Status:         {}", j.state()));
    let flag = if j.failed >= REPEATED_FAILURES {
        "  (failing repeatedly)"
    } else {
        ""
    };
    out.push(format!(
        "Pods Statuses:  {} Active / {} Succeeded / {} Failed",
        j.active, j.succeeded, j.failed
    ));
    out.push(format!("Backoff Limit:  {}{flag}", j.backoff_limit));
    if let Some((reason, message)) = &j.failed_reason {
        out.push("Conditions:".into());
        out.push(format!("  Failed  True  {reason}  {message}"));
    }
    if !j.pods.is_empty() {
        out.push("Pods:".into());
        for p in &j.pods {
            let mut line = format!("  {}  {}", p.name, p.phase);
            if let Some(r) = &p.reason {
                line.push_str(&format!("  {r}"));
            }
            if let Some(c) = p.exit_code {
                line.push_str(&format!("  exit {c}"));
            }
            out.push(line);
        }
    }
    for (pod, lines) in last_lines {
        out.push(format!("Last lines of {pod}:"));
        if lines.is_empty() {
            out.push("  (no log lines)".into());
        }
        out.extend(lines.iter().map(|l| format!("  {l}")));
    }
    out
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_name_is_short_enough_for_a_label() {
        let at = Timestamp::from_second(1_800_000_000).expect("time");
        let n = rerun_name("nightly-reindex", at);
        assert!(
            n.starts_with("nightly-reindex-rerun-") && n.len() == 27,
            "{n}"
        );
        let long = rerun_name(&"x".repeat(80), at);
        assert_eq!(long.len(), 63);
    }

    #[test]
    fn a_rerun_drops_the_controllers_selector_and_labels() {
        let spec = json!({"backoffLimit": 3,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
            "template": {"metadata": {"labels": {"app": "reindex", "controller-uid": "u1",
                "batch.kubernetes.io/job-name": "reindex", "job-name": "reindex"}},
                "spec": {"restartPolicy": "Never"}}});
        let labels = json!({"app": "reindex", "job-name": "reindex"});
        let j = rerun_job("shop", "reindex-rerun-a", &spec, &labels, None);
        assert!(j["spec"]["selector"].is_null());
        assert_eq!(
            j["spec"]["template"]["metadata"]["labels"],
            json!({"app": "reindex"})
        );
        assert_eq!(j["metadata"]["labels"], json!({"app": "reindex"}));
        assert_eq!(j["spec"]["backoffLimit"], 3);
        assert_eq!(
            j["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
            "manual"
        );
    }

    #[test]
    fn three_failed_attempts_count_as_failing() {
        let mut j = JobInfo {
            failed: 2,
            backoff_limit: 6,
            active: 1,
            ..JobInfo::default()
        };
        assert!(!j.failing());
        j.failed = 3;
        assert!(j.failing());
        assert_eq!(j.attempts(), "failed 3/6");
        assert_eq!(j.state(), "Running");
    }
}
