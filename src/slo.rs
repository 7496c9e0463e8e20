//! Error-budget maths: budget left over the SLO window and the multi-window burn-rate pairs
//! of the SRE workbook (chapter 5, "Alerting on SLOs").

use crate::event::BurnPair;

/// The workbook's pairs: long window, short window, and the burn rate both must exceed.
pub const PAIRS: [(&str, &str, f64); 4] = [
    ("1h", "5m", 14.4),
    ("6h", "30m", 6.0),
    ("1d", "2h", 3.0),
    ("3d", "6h", 1.0),
];

/// Every window the pairs need, each once.
pub fn windows() -> Vec<&'static str> {
    let mut w: Vec<&str> = PAIRS.iter().flat_map(|(l, s, _)| [*l, *s]).collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// The error budget as a ratio: 0.005 for a 99.5% objective.
pub fn budget(objective_pct: f64) -> f64 {
    1.0 - objective_pct / 100.0
}

/// How fast the budget burns: 1.0 spends exactly the budget over the SLO window.
pub fn burn_rate(error_ratio: f64, objective_pct: f64) -> f64 {
    error_ratio / budget(objective_pct)
}

/// The fraction of the budget left after `error_ratio` over the whole window.
pub fn budget_left(error_ratio: f64, objective_pct: f64) -> f64 {
    1.0 - burn_rate(error_ratio, objective_pct)
}

/// One pair judged from the error ratios of its windows.
pub fn pair(
    (long, short, factor): (&str, &str, f64),
    long_err: Option<f64>,
    short_err: Option<f64>,
    objective_pct: f64,
) -> BurnPair {
    let rate = |e: Option<f64>| {
        e.filter(|e| e.is_finite())
            .map(|e| burn_rate(e, objective_pct))
    };
    let long_rate = rate(long_err);
    let short_rate = rate(short_err);
    BurnPair {
        long: long.to_string(),
        short: short.to_string(),
        factor,
        long_rate,
        short_rate,
        firing: long_rate.is_some_and(|l| l > factor) && short_rate.is_some_and(|s| s > factor),
    }
}

/// The PromQL for the error ratio over `{{window}}`, from either form of the SLO block.
pub fn error_ratio_query(slo: &crate::config::SloConfig) -> Option<String> {
    match (&slo.error_query, &slo.good_query, &slo.total_query) {
        (Some(e), _, _) => Some(e.clone()),
        (None, Some(g), Some(t)) => Some(format!("1 - (({g}) / ({t}))")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_and_burn_follow_the_workbook() {
        assert!((budget(99.5) - 0.005).abs() < 1e-12);
        // 14.4× for an hour spends 2% of a 30-day budget: 14.4 / 720 h.
        assert!((burn_rate(0.072, 99.5) - 14.4).abs() < 1e-9);
        assert!((budget_left(0.0025, 99.5) - 0.5).abs() < 1e-9);
        assert!(
            budget_left(0.01, 99.5) < 0.0,
            "overspent budgets go negative"
        );
    }

    #[test]
    fn a_pair_fires_only_when_both_windows_burn() {
        let p = pair(PAIRS[0], Some(0.08), Some(0.1), 99.5);
        assert!(p.firing);
        assert_eq!((p.long.as_str(), p.short.as_str()), ("1h", "5m"));
        // The short window has recovered: the page stops.
        assert!(!pair(PAIRS[0], Some(0.08), Some(0.01), 99.5).firing);
        assert!(!pair(PAIRS[0], None, Some(0.1), 99.5).firing);
        assert!(!pair(PAIRS[3], Some(f64::NAN), Some(0.1), 99.5).firing);
    }

    #[test]
    fn windows_are_each_listed_once() {
        assert_eq!(windows(), vec!["1d", "1h", "2h", "30m", "3d", "5m", "6h"]);
    }
}
