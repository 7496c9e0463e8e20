//! `sitrep check` for `[loki]`: every configured selector's labels asked of Loki's labels
//! API, so a selector that parses but can never match (a label Loki has not seen, a value
//! no stream carries) is found before the incident, not during it.

use std::ops::Range;

use jiff::{SignedDuration, Timestamp};

use super::Loki;
use super::selector::{Op, Selector};
use crate::config::ServiceConfig;
use crate::config::loki::LokiConfig;

/// How far back labels are looked for.
const LOOK_BACK: SignedDuration = SignedDuration::from_hours(24);

/// A problem, at the span of the selector it is about (when the file names it).
pub type Problem = (Option<Range<usize>>, String);

/// The selectors of `[loki]` and of each service's `loki` checked against Loki; nothing
/// when `[loki]` has no URL.
pub async fn check_selectors(config: &LokiConfig, services: &[ServiceConfig]) -> Vec<Problem> {
    if config.url().is_none() {
        return Vec::new();
    }
    let loki = match Loki::new(config) {
        Ok(l) => l,
        Err(e) => return vec![(None, format!("loki: {e}"))],
    };
    let (end, start) = (Timestamp::now(), Timestamp::now() - LOOK_BACK);
    // As with Prometheus: an unreachable Loki leaves the selectors unchecked, not wrong.
    let labels = match loki.labels(start, end).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(error = %e, "loki unreachable; selectors not checked");
            return Vec::new();
        }
    };
    let mut problems = Vec::new();
    let mut selectors = vec![("loki.selector".to_string(), &config.selector)];
    for (name, w) in &config.workloads {
        if let Some(s) = &w.selector {
            selectors.push((format!("loki.workloads.{name}.selector"), s));
        }
    }
    for s in services {
        if let Some(sel) = s.loki_selector() {
            selectors.push((format!("service `{}`: loki.selector", s.name()), sel));
        }
    }
    for (what, spanned) in selectors {
        let template = spanned.get_ref();
        let span = Some(spanned.span()).filter(|s| s.end > s.start);
        // Placeholders stand for names only known at run time: their values are not asked.
        let Ok(sel) = Selector::expand(template, "\u{0}", "\u{0}") else {
            continue;
        };
        for m in &sel.matchers {
            if !labels.contains(&m.label) {
                problems.push((
                    span.clone(),
                    format!(
                        "{what}: label `{}` is unknown to Loki (labels of the last 24h: {})",
                        m.label,
                        labels.join(", ")
                    ),
                ));
                continue;
            }
            if m.op != Op::Eq || m.value.contains('\u{0}') {
                continue;
            }
            match loki.label_values(&m.label, start, end).await {
                Ok(values) if !values.contains(&m.value) => problems.push((
                    span.clone(),
                    format!(
                        "{what}: no stream of the last 24h has {}=\"{}\"",
                        m.label, m.value
                    ),
                )),
                Ok(_) => {}
                Err(e) => problems.push((span.clone(), format!("{what}: {e}"))),
            }
        }
    }
    problems
}

/// [`check_selectors`] on a runtime of its own, for `sitrep check`.
pub fn check_selectors_blocking(config: &LokiConfig, services: &[ServiceConfig]) -> Vec<Problem> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(check_selectors(config, services)),
        Err(_) => Vec::new(),
    }
}
