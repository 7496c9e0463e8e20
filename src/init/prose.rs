//! Numbers in the runbook's prose: thresholds and severities, SLO targets, status-update
//! and escalation intervals, and feature flags the operator is told to flip.
//!
//! These are English, not PromQL, so regular expressions read them; each match keeps the
//! words it came from so the draft can quote them.
//!
//! Every pattern here is a literal, compiled once and exercised by the tests below, so the
//! `expect` on compiling one cannot fail at run time.
#![allow(clippy::expect_used)]

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use crate::config::PromDuration;

/// What a number is about, from the words around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Latency,
    Errors,
    Availability,
    Temperature,
    Memory,
    Other,
}

impl Subject {
    /// Reads the subject from words: `p95`, `latency`, `5xx`, `error`, `availability`, ...
    pub fn of(text: &str) -> Subject {
        let t = text.to_ascii_lowercase();
        let has = |ws: &[&str]| ws.iter().any(|w| t.contains(w));
        if has(&["availab", "success rate", "uptime"]) {
            Subject::Availability
        } else if has(&["5xx", "error", "fail", "5..", "status=~\"5"]) {
            Subject::Errors
        } else if has(&[
            "latency",
            "p50",
            "p90",
            "p95",
            "p99",
            "duration",
            "quantile",
            "response time",
        ]) {
            Subject::Latency
        } else if has(&["temp", "°c", "thermal"]) {
            Subject::Temperature
        } else if has(&["memory", "fb_used", "oom"]) {
            Subject::Memory
        } else {
            Subject::Other
        }
    }

    /// The name the draft uses.
    pub fn label(self) -> &'static str {
        match self {
            Subject::Latency => "latency",
            Subject::Errors => "error rate",
            Subject::Availability => "availability",
            Subject::Temperature => "temperature",
            Subject::Memory => "memory",
            Subject::Other => "other",
        }
    }
}

/// The unit a threshold was written in, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds (seconds are converted).
    Ms,
    Percent,
    Celsius,
    /// No unit written.
    Plain,
}

/// "p95 > 350ms for 5 minutes -> SEV2".
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub subject: Subject,
    /// The percentile for latency (`p95` is 0.95).
    pub quantile: Option<f64>,
    /// True for "above": high is bad.
    pub above: bool,
    /// In `unit`: seconds already converted to milliseconds.
    pub value: f64,
    pub unit: Unit,
    pub duration: Option<PromDuration>,
    /// `SEV2`, `critical`, `page`... as written, upper-cased for SEVn.
    pub severity: Option<String>,
    /// The words as written, for the draft's comment.
    pub text: String,
}

static THRESHOLD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?P<op> >=|<=|≥|≤|>|<|\babove\b|\bbelow\b|\bover\b|\bunder\b|\bexceeds?\b
          |\bmore\ than\b|\bless\ than\b|\bgreater\ than\b|\bhigher\ than\b|\blower\ than\b)
        \s*~?\s*
        (?P<num>\d+(?:\.\d+)?)
        \s*
        (?P<unit>ms\b|milliseconds?\b|s\b|secs?\b|seconds?\b|%|percent\b|°\s?c\b|degrees\b)?",
    )
    .expect("threshold regex is valid")
});

static FOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:for|over|during)\s+(?:(?:the\s+)?(?:last|past)\s+)?(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b")
        .expect("for regex is valid")
});

static SEVERITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(SEV\s?-?[1-4]|P[1-4]|critical|warning|page|ticket)\b")
        .expect("severity regex is valid")
});

static QUANTILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bp(50|75|90|95|99|999)\b").expect("quantile regex is valid")
});

/// Parses `5 minutes`, `10m`, `1 hour`.
pub fn duration(n: &str, unit: &str) -> Option<PromDuration> {
    let n: u64 = n.parse().ok()?;
    let u = unit.to_ascii_lowercase();
    let secs = match u.chars().next()? {
        's' => n,
        'm' => n * 60,
        'h' => n * 3600,
        'd' => n * 86_400,
        _ => return None,
    };
    (secs > 0).then(|| PromDuration(Duration::from_secs(secs)))
}

/// Why a line that has a comparison is not an alert threshold, if it is not one.
pub fn not_a_threshold(line: &str) -> Option<&'static str> {
    let t = line.to_ascii_lowercase();
    if [
        "back under",
        "back below",
        "back above",
        "back to",
        "recovered",
        "stays under",
        "stays below",
    ]
    .iter()
    .any(|w| t.contains(w))
    {
        return Some("a recovery criterion, not an alert threshold");
    }
    None
}

/// Every threshold in one prose line.
pub fn thresholds(line: &str) -> Vec<Threshold> {
    let mut out = Vec::new();
    let subject = Subject::of(line);
    let quantile = QUANTILE
        .captures(line)
        .and_then(|c| format!("0.{}", &c[1]).parse::<f64>().ok());
    for c in THRESHOLD.captures_iter(line) {
        let Some(m) = c.get(0) else { continue };
        let Ok(mut value) = c["num"].parse::<f64>() else {
            continue;
        };
        let op = c["op"].to_ascii_lowercase();
        let above = !matches!(
            op.as_str(),
            "<" | "<=" | "≤" | "below" | "under" | "less than" | "lower than"
        );
        let unit_text = c
            .name("unit")
            .map(|u| u.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        let unit = match unit_text.as_str() {
            "ms" | "millisecond" | "milliseconds" => Unit::Ms,
            "s" | "sec" | "secs" | "second" | "seconds" => {
                value *= 1000.0;
                Unit::Ms
            }
            "%" | "percent" => Unit::Percent,
            "" => Unit::Plain,
            _ => Unit::Celsius,
        };
        // A bare number with no unit and no subject is prose ("more than 2 replicas").
        if unit == Unit::Plain && subject == Subject::Other {
            continue;
        }
        let after = &line[m.end()..];
        let duration = FOR.captures(after).and_then(|d| duration(&d[1], &d[2]));
        let severity = SEVERITY.captures(after).map(|s| {
            let s = s[1].to_string();
            if s.to_ascii_lowercase().starts_with("sev") {
                format!("SEV{}", s.chars().last().unwrap_or('?'))
            } else {
                s.to_ascii_lowercase()
            }
        });
        // The unit says more than the words around it ("a GPU above 85 °C, or XID errors").
        let subject = match (unit, subject) {
            (Unit::Celsius, _) => Subject::Temperature,
            (Unit::Ms, Subject::Other | Subject::Errors) => Subject::Latency,
            (_, s) => s,
        };
        out.push(Threshold {
            subject,
            quantile: (subject == Subject::Latency).then_some(quantile).flatten(),
            above,
            value,
            unit,
            duration,
            severity,
            text: line.trim().to_string(),
        });
    }
    out
}

/// "Availability SLO: 99.5% monthly".
#[derive(Debug, Clone, PartialEq)]
pub struct SloTarget {
    pub subject: Subject,
    pub objective: f64,
    pub window: PromDuration,
    /// The window was not written; 30 days assumed.
    pub window_assumed: bool,
    pub text: String,
}

static SLO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \bSLO\b[^0-9%\n]{0,30}?(?P<a>\d{1,2}(?:\.\d+)?)\s*%
        | (?P<b>\d{1,2}(?:\.\d+)?)\s*%\s+(?:[a-z-]+\s+){0,2}SLO\b",
    )
    .expect("slo regex is valid")
});

static WINDOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:(?P<word>monthly|weekly|quarterly|daily|per\ month|per\ week|a\ month|per\ quarter)
        |(?:over|per|in|across)\ (?:a\ |the\ )?(?:rolling\ )?(?P<n>\d+)[\ -]?(?P<u>days?|d|weeks?|w)\b
        |\b(?P<n2>\d+)d\b)",
    )
    .expect("window regex is valid")
});

/// The SLO target in a line, if there is one.
pub fn slo(line: &str) -> Option<SloTarget> {
    let c = SLO.captures(line)?;
    let objective: f64 = c.name("a").or(c.name("b"))?.as_str().parse().ok()?;
    let (window, assumed) = match WINDOW.captures(line) {
        Some(w) => {
            let days = if let Some(word) = w.name("word") {
                match word.as_str().to_ascii_lowercase().as_str() {
                    "weekly" | "per week" => 7,
                    "quarterly" | "per quarter" => 90,
                    "daily" => 1,
                    _ => 30,
                }
            } else {
                let n: u64 = w
                    .name("n")
                    .or(w.name("n2"))
                    .and_then(|n| n.as_str().parse().ok())
                    .unwrap_or(30);
                let week = w.name("u").is_some_and(|u| u.as_str().starts_with('w'));
                if week { n * 7 } else { n }
            };
            (days.max(1), false)
        }
        None => (30, true),
    };
    Some(SloTarget {
        subject: Subject::of(line),
        objective,
        window: PromDuration(Duration::from_secs(window * 86_400)),
        window_assumed: assumed,
        text: line.trim().to_string(),
    })
}

static UPDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\bevery\s+(?:(?P<n>\d+)\s*)?(?P<u>minutes?|mins?|m|hours?|hrs?|h)\b
        (?:\s+(?:for|at|during)\s+(?P<sevs>SEV\s?-?[1-4](?:\s*(?:,|and|or|/)\s*SEV\s?-?[1-4])*))?",
    )
    .expect("update regex is valid")
});

static SEVS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bSEV\s?-?([1-4])\b").expect("sevs regex is valid"));

/// Severities (1-4) a line names.
pub fn severities(line: &str) -> Vec<u8> {
    let mut v: Vec<u8> = SEVS
        .captures_iter(line)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// "update every 30 minutes for SEV1 and every hour for SEV2": each interval with the
/// severities it is for (those of the whole line when it gives one interval).
pub fn update_intervals(line: &str) -> Vec<(PromDuration, Vec<u8>)> {
    let t = line.to_ascii_lowercase();
    if !t.contains("update") {
        return Vec::new();
    }
    let found: Vec<_> = UPDATE.captures_iter(line).collect();
    let single = found.len() == 1;
    found
        .iter()
        .filter_map(|c| {
            let n = c.name("n").map_or("1", |n| n.as_str());
            let sevs = match c.name("sevs") {
                Some(s) => severities(s.as_str()),
                None if single => severities(line),
                None => Vec::new(),
            };
            Some((duration(n, &c["u"])?, sevs))
        })
        .collect()
}

/// "If still slow after 15 minutes, page the secondary".
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationStep {
    pub to: String,
    pub after: PromDuration,
    pub severities: Vec<u8>,
}

static ESCALATE_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:escalate\ to|page|call|notify|bring\ in)\s+(?:the\s+)?(?P<to>[a-z][a-z0-9\ -]{1,40}?)\s*(?:\b(?:after|if|when|in|within|for|at)\b|[.,;:()]|$)",
    )
    .expect("escalation regex is valid")
});

static AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:after|in|within|for)\s+(\d+)\s*(m|mins?|minutes?|h|hours?)\b")
        .expect("after regex is valid")
});

/// An escalation in prose, when the line says whom and when.
pub fn escalation(line: &str) -> Option<EscalationStep> {
    let t = line.to_ascii_lowercase();
    if !(t.contains("escalat") || t.contains("page ") || t.contains("notify")) {
        return None;
    }
    let to = ESCALATE_TO.captures(line)?["to"].trim().to_string();
    let after = AFTER.captures(line).and_then(|c| duration(&c[1], &c[2]))?;
    Some(EscalationStep {
        to,
        after,
        severities: severities(line),
    })
}

/// A duration in a table cell: "15 min", "30 min, or at once for XID 79".
pub fn cell_duration(cell: &str) -> Option<PromDuration> {
    static CELL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(\d+)\s*(m|mins?|minutes?|h|hours?)\b").expect("cell regex is valid")
    });
    CELL.captures(cell).and_then(|c| duration(&c[1], &c[2]))
}

/// `FLAG=value` the line tells the operator to set.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub key: String,
    pub value: String,
    /// A ConfigMap the line names, if any.
    pub configmap: Option<String>,
}

static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<k>[A-Z][A-Z0-9_]{2,})\s*=\s*(?P<v>true|false|on|off|yes|no|enabled|disabled|0|1)\b")
        .expect("flag regex is valid")
});

static VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(set|flip|toggle|enable|disable|turn|switch|change)\b")
        .expect("verb regex is valid")
});

static CONFIGMAP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\b(?P<a>[a-z0-9][a-z0-9.-]*)\s+config\s?map\b|\bconfig\s?map\s+(?P<b>[a-z0-9][a-z0-9.-]*))")
        .expect("configmap regex is valid")
});

/// Flags an instruction tells the operator to set (`set MODERATION_STRICT=true`).
pub fn flags(line: &str) -> Vec<Flag> {
    if !VERB.is_match(line) {
        return Vec::new();
    }
    let configmap = CONFIGMAP.captures(line).and_then(|c| {
        c.name("a")
            .or(c.name("b"))
            .map(|m| m.as_str().to_string())
            .filter(|n| !["the", "a", "its", "this", "that"].contains(&n.as_str()))
    });
    FLAG.captures_iter(line)
        .filter(|c| c["k"].chars().all(|ch| !ch.is_ascii_lowercase()))
        .map(|c| Flag {
            key: c["k"].to_string(),
            value: c["v"].to_string(),
            configmap: configmap.clone(),
        })
        .collect()
}

/// The value that turns a flag back: `true`/`false`, `on`/`off`, `1`/`0`, ...
pub fn inverse(value: &str) -> Option<String> {
    let pairs = [
        ("true", "false"),
        ("on", "off"),
        ("yes", "no"),
        ("enabled", "disabled"),
        ("1", "0"),
    ];
    let v = value.to_ascii_lowercase();
    pairs.iter().find_map(|(a, b)| {
        if v == *a {
            Some(b.to_string())
        } else if v == *b {
            Some(a.to_string())
        } else {
            None
        }
    })
}

/// A fallback or scale-down instruction with nothing sitrep can flip in it.
pub fn is_fallback_instruction(line: &str) -> bool {
    let t = line.to_ascii_lowercase();
    (t.contains("fallback")
        || t.contains("fail over to")
        || t.contains("scale to zero")
        || t.contains("scale it to 0"))
        && VERB.is_match(line)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_with_units_durations_and_severities() {
        let t = &thresholds("p95 > 350ms for 5 minutes -> SEV2")[0];
        assert_eq!(
            (t.subject, t.quantile, t.above, t.value, t.unit),
            (Subject::Latency, Some(0.95), true, 350.0, Unit::Ms)
        );
        assert_eq!(t.duration.unwrap().to_string(), "5m");
        assert_eq!(t.severity.as_deref(), Some("SEV2"));
        let t = &thresholds("Error rate > 5%")[0];
        assert_eq!(
            (t.subject, t.value, t.unit),
            (Subject::Errors, 5.0, Unit::Percent)
        );
        assert_eq!(t.duration, None);
        assert_eq!(t.severity, None);
        // Odd spellings.
        assert_eq!(thresholds("p99 latency above 2s")[0].value, 2000.0);
        assert_eq!(thresholds("p99 latency above 350 ms")[0].value, 350.0);
        assert_eq!(
            thresholds("5xx ratio over 3 % (warning)")[0]
                .severity
                .as_deref(),
            Some("warning")
        );
        let t = &thresholds("availability below 99.5% for 10m: SEV1")[0];
        assert!(!t.above);
        assert_eq!(t.duration.unwrap().to_string(), "10m");
        assert!(thresholds("run more than 2 replicas").is_empty());
        let t = &thresholds("a GPU above 85 °C, or XID errors")[0];
        assert_eq!(
            (t.subject, t.unit, t.value),
            (Subject::Temperature, Unit::Celsius, 85.0)
        );
        assert_eq!(
            not_a_threshold("5xx ratio back under 1% for 10 minutes"),
            Some("a recovery criterion, not an alert threshold")
        );
    }

    #[test]
    fn slo_targets_and_windows() {
        let s = slo("Availability SLO: 99.5% monthly").unwrap();
        assert_eq!((s.subject, s.objective), (Subject::Availability, 99.5));
        assert_eq!(s.window.to_string(), "30d");
        assert!(!s.window_assumed);
        let s = slo("99.9% availability SLO over a rolling 28 days").unwrap();
        assert_eq!(
            (s.objective, s.window.to_string()),
            (99.9, "4w".to_string())
        );
        assert!(slo("Latency SLO: 99%").unwrap().window_assumed);
        assert!(slo("no target here").is_none());
    }

    #[test]
    fn intervals_and_escalations() {
        let (d, sevs) =
            update_intervals("Post a status update every 30 minutes for SEV1")[0].clone();
        assert_eq!((d.to_string(), sevs), ("30m".to_string(), vec![1]));
        assert_eq!(
            update_intervals("updates every hour")[0].0.to_string(),
            "1h"
        );
        let two =
            update_intervals("Post an update every 30 minutes for SEV1 and every hour for SEV2.");
        let two: Vec<(String, Vec<u8>)> =
            two.into_iter().map(|(d, s)| (d.to_string(), s)).collect();
        assert_eq!(
            two,
            [("30m".to_string(), vec![1]), ("1h".to_string(), vec![2])]
        );
        assert!(update_intervals("the cron runs every 5 minutes").is_empty());
        let e = escalation("If still slow after 15 minutes, page the secondary").unwrap();
        assert_eq!(
            (e.to.as_str(), e.after.to_string()),
            ("secondary", "15m".to_string())
        );
        let e = escalation("Escalate to the database team after 1 hour (SEV1, SEV2)").unwrap();
        assert_eq!((e.to.as_str(), e.severities), ("database team", vec![1, 2]));
        assert!(
            escalation("page the secondary").is_none(),
            "no time: not placed"
        );
        assert_eq!(
            cell_duration("30 min, or at once").unwrap().to_string(),
            "30m"
        );
    }

    #[test]
    fn flags_to_flip() {
        let f = flags("Set MODERATION_STRICT=true in the snapbuilder-flags ConfigMap");
        assert_eq!(f[0].key, "MODERATION_STRICT");
        assert_eq!(f[0].value, "true");
        assert_eq!(f[0].configmap.as_deref(), Some("snapbuilder-flags"));
        assert!(flags("MODERATION_STRICT=true is the default").is_empty());
        assert_eq!(inverse("On").as_deref(), Some("off"));
        assert_eq!(inverse("strict"), None);
    }
}
