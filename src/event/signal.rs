//! A signal's definition and how bad its value is.

use serde::{Deserialize, Serialize};

/// Whether a signal is bad when it is high or when it is low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Values above the thresholds are bad (latency, error rate).
    #[default]
    Above,
    /// Values below the thresholds are bad (availability, throughput).
    Below,
}

/// A signal's name, unit and thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SignalDef {
    /// Name shown in the signals pane.
    pub name: String,
    /// Unit of the values: `ms`, `percent`, `ratio`, `seconds`, `bytes`, `count`.
    pub unit: String,
    /// Value past which the signal is in warning.
    pub warn: Option<f64>,
    /// Value past which the signal is critical.
    pub crit: Option<f64>,
    /// Which side of the thresholds is bad.
    #[serde(default)]
    pub direction: Direction,
}

/// The health of a value against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No value, or no thresholds to judge it by.
    Unknown,
    /// Within thresholds.
    Ok,
    /// Past the warning threshold.
    Warn,
    /// Past the critical threshold.
    Crit,
}

impl SignalDef {
    /// Judges a value against this signal's thresholds.
    pub fn level(&self, value: Option<f64>) -> Level {
        let Some(v) = value else {
            return Level::Unknown;
        };
        let past = |t: Option<f64>| match (t, self.direction) {
            (Some(t), Direction::Above) => v > t,
            (Some(t), Direction::Below) => v < t,
            (None, _) => false,
        };
        if past(self.crit) {
            Level::Crit
        } else if past(self.warn) {
            Level::Warn
        } else {
            Level::Ok
        }
    }
}
