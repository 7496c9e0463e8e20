//! Verification steps with a measurable criterion: "5xx ratio back under 1% for 10
//! minutes", "p95 latency below 250 ms", "pods Ready", "`kubectl rollout status ...`
//! reports success". The cockpit ties each to a signal or to pod state and ticks the step
//! itself once the criterion has held for its duration.

use std::sync::LazyLock;

use jiff::SignedDuration;
use regex::Regex;

/// Which side of the bound is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The value must stay below (under, less than, `<`, at most).
    Below,
    /// The value must stay above (over, more than, `>`, at least).
    Above,
}

/// What a verification step measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// A signal against a bound: `subject` names it ("5xx ratio", "p95 latency").
    Signal {
        subject: String,
        bound: Bound,
        value: f64,
        /// As written: `%`, `ms`, `s`; empty when none.
        unit: String,
    },
    /// Every pod of the service is Ready.
    PodsReady,
    /// The rollout of a deployment (or of the service's) is complete.
    RolloutDone { deployment: Option<String> },
}

/// A check and how long it must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub check: Check,
    /// As the step says ("for 10 minutes"); `None` when it does not say.
    pub hold: Option<SignedDuration>,
}

// Literal patterns, exercised by the tests below: they cannot fail at run time.
#[allow(clippy::expect_used)]
static SIGNAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        ^(?P<subject>.*?)\s*
        (?:is\s+|are\s+|stays?\s+|remains?\s+|back\s+|returns?\s+|drops?\s+|falls?\s+|goes\s+)*
        (?P<cmp>under|below|less\s+than|lower\s+than|at\s+most|<=?|≤|over|above|more\s+than|greater\s+than|higher\s+than|at\s+least|>=?|≥)
        \s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>%|ms|milliseconds?|s\b|secs?\b|seconds?)?
        ",
    )
    .expect("signal criterion regex is valid")
});

#[allow(clippy::expect_used)]
static HOLD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\bfor\s+(?:at\s+least\s+)?(?P<n>\d+)\s*(?P<u>seconds?|secs?|s|minutes?|mins?|m|hours?|h)\b",
    )
    .expect("hold regex is valid")
});

#[allow(clippy::expect_used)]
static ROLLOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)rollout\s+status\s+(?:deployment/|deploy/|deployment\s+)?(?P<d>[a-z0-9][a-z0-9.-]*)?",
    )
    .expect("rollout regex is valid")
});

/// The criterion a step states, if it states one sitrep can measure.
pub fn criterion(text: &str) -> Option<Criterion> {
    let plain = text.replace('`', "");
    let hold = HOLD.captures(&plain).and_then(|c| {
        let n: i64 = c.name("n")?.as_str().parse().ok()?;
        let u = c.name("u")?.as_str().to_ascii_lowercase();
        Some(match u.chars().next()? {
            's' => SignedDuration::from_secs(n),
            'm' => SignedDuration::from_mins(n),
            _ => SignedDuration::from_hours(n),
        })
    });
    let lower = plain.to_ascii_lowercase();
    if let Some(c) = ROLLOUT.captures(&plain)
        && (lower.contains("success") || lower.contains("complete") || lower.contains("rolled out"))
    {
        let deployment = c.name("d").map(|d| d.as_str().to_string());
        return Some(Criterion {
            check: Check::RolloutDone { deployment },
            hold,
        });
    }
    if let Some(c) = SIGNAL.captures(&plain) {
        let subject = c.name("subject").map_or("", |m| m.as_str()).trim();
        let cmp = c
            .name("cmp")
            .map_or("", |m| m.as_str())
            .to_ascii_lowercase();
        let value: f64 = c.name("value")?.as_str().parse().ok()?;
        let unit = match c.name("unit").map(|u| u.as_str().to_ascii_lowercase()) {
            Some(u) if u == "%" => "%".to_string(),
            Some(u) if u.starts_with("ms") || u.starts_with("milli") => "ms".to_string(),
            Some(u) if u.starts_with('s') => "s".to_string(),
            _ => String::new(),
        };
        let bound = if ["under", "below", "less", "lower", "at most", "<", "≤"]
            .iter()
            .any(|w| cmp.starts_with(w))
        {
            Bound::Below
        } else {
            Bound::Above
        };
        // A subject is what is measured: without one ("under 1%") there is nothing to tie.
        let subject = subject
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        if !subject.is_empty() {
            return Some(Criterion {
                check: Check::Signal {
                    subject,
                    bound,
                    value,
                    unit,
                },
                hold,
            });
        }
    }
    let ready = lower.contains("pods") && (lower.contains("ready") || lower.contains("running"));
    let negated = ["not ready", "crash", "pending", "oom"]
        .iter()
        .any(|w| lower.contains(w));
    (ready && !negated).then_some(Criterion {
        check: Check::PodsReady,
        hold,
    })
}

/// Words of a signal's name or a criterion's subject, lowercased, with the near-synonyms
/// runbooks use for the same measure folded together.
pub fn measure_words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "error" | "errors" | "5xx" | "failure" | "failures" | "failed" => "errors",
            "latency" | "p95" | "p99" | "p50" | "response" | "duration" => "latency",
            "availability" | "uptime" | "success" => "availability",
            other => other,
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sig(text: &str) -> (String, Bound, f64, String, Option<i64>) {
        let c = criterion(text).unwrap_or_else(|| panic!("no criterion in {text:?}"));
        match c.check {
            Check::Signal {
                subject,
                bound,
                value,
                unit,
            } => (subject, bound, value, unit, c.hold.map(|h| h.as_secs())),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn signal_criteria_with_bounds_units_and_durations() {
        assert_eq!(
            sig("5xx ratio back under 1% for 10 minutes"),
            ("5xx ratio".into(), Bound::Below, 1.0, "%".into(), Some(600))
        );
        assert_eq!(
            sig("p95 latency below 250 ms"),
            ("p95 latency".into(), Bound::Below, 250.0, "ms".into(), None)
        );
        assert_eq!(
            sig("Error rate < 0.5% for 5m"),
            (
                "Error rate".into(),
                Bound::Below,
                0.5,
                "%".into(),
                Some(300)
            )
        );
        assert_eq!(
            sig("Availability stays above 99.5% for at least 15 minutes"),
            (
                "Availability".into(),
                Bound::Above,
                99.5,
                "%".into(),
                Some(900)
            )
        );
        assert_eq!(
            sig("p99 latency is under 2s for 30 seconds"),
            (
                "p99 latency".into(),
                Bound::Below,
                2.0,
                "s".into(),
                Some(30)
            )
        );
    }

    #[test]
    fn pod_and_rollout_criteria() {
        assert_eq!(criterion("All pods Ready").unwrap().check, Check::PodsReady);
        assert_eq!(
            criterion("pods are Running and Ready for 2 minutes")
                .unwrap()
                .hold,
            Some(SignedDuration::from_mins(2))
        );
        assert_eq!(
            criterion(
                "`kubectl -n snapbuilder rollout status deployment/snapbuilder-serving` reports success"
            )
            .unwrap()
            .check,
            Check::RolloutDone {
                deployment: Some("snapbuilder-serving".into())
            }
        );
    }

    #[test]
    fn steps_without_a_measurable_criterion_have_none() {
        for text in [
            "Post the revision you rolled back to in #incident",
            "Check the rollout history",
            "Look for pods in CrashLoopBackOff",
            "under 1%",
            "pods not ready",
            "",
        ] {
            assert_eq!(criterion(text), None, "{text}");
        }
    }

    #[test]
    fn measures_fold_synonyms() {
        assert!(measure_words("5xx ratio").contains(&"errors".to_string()));
        assert!(measure_words("p95 latency (512 tok)").contains(&"latency".to_string()));
    }
}
