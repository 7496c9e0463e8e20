//! How the cluster commands' arguments parse (describe, delete-pod, cordon, uncordon, drain, hpa-min,
//! job-rerun, cronjob-suspend, cronjob-resume, rollout-abort, rollout-promote, canary-zero).

use super::parse::{Args, err};
use super::{Command, CommandError};
use crate::cluster::rollouts::RolloutOp;

fn one_name(a: &Args<'_>) -> Result<Option<String>, CommandError> {
    match a.words.as_slice() {
        [] => Ok(None),
        [name] => Ok(Some((*name).to_string())),
        _ => a.usage(),
    }
}

pub(super) fn describe(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::Describe)
}

pub(super) fn delete_pod(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::DeletePod)
}

pub(super) fn cordon(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::Cordon)
}

pub(super) fn uncordon(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::Uncordon)
}

pub(super) fn drain(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::Drain)
}

pub(super) fn job_rerun(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::JobRerun)
}

pub(super) fn cronjob_suspend(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::CronJobSuspend)
}

pub(super) fn rollout_abort(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(|n| Command::Rollout(RolloutOp::Abort, n))
}

pub(super) fn rollout_promote(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(|n| Command::Rollout(RolloutOp::Promote, n))
}

pub(super) fn canary_zero(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(|n| Command::Rollout(RolloutOp::CanaryZero, n))
}

pub(super) fn cronjob_resume(a: &Args<'_>) -> Result<Command, CommandError> {
    one_name(a).map(Command::CronJobResume)
}

pub(super) fn hpa_min(a: &Args<'_>) -> Result<Command, CommandError> {
    let [hpa, min] = a.words.as_slice() else {
        return a.usage();
    };
    match min.parse::<u32>() {
        Ok(m) if m >= 1 => Ok(Command::HpaMin {
            hpa: (*hpa).to_string(),
            min: m,
        }),
        _ => err(format!(
            "replicas must be a whole number of 1 or more, got `{min}`"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::super::Command;

    #[test]
    fn cluster_commands_parse() {
        assert_eq!(
            Command::parse("drain gpu-node-1"),
            Ok(Command::Drain(Some("gpu-node-1".into())))
        );
        assert_eq!(Command::parse("cordon"), Ok(Command::Cordon(None)));
        assert_eq!(
            Command::parse("hpa-min web 4"),
            Ok(Command::HpaMin {
                hpa: "web".into(),
                min: 4
            })
        );
        assert!(Command::parse("hpa-min web 0").is_err());
        assert!(Command::parse("drain a b").is_err());
        assert_eq!(Command::parse("delete-pod"), Ok(Command::DeletePod(None)));
        assert_eq!(
            Command::parse("delete-pod web-7d9c-x2b4q"),
            Ok(Command::DeletePod(Some("web-7d9c-x2b4q".into())))
        );
        let e = Command::parse("delete-pod a b").expect_err("two pods");
        assert!(e.0.contains("usage: delete-pod [pod]"), "{e}");
        assert!(Command::parse("events now").is_err());
    }
}
