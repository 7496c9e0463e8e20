//! Series from a recording: every signal the cockpit showed during the incident, for the
//! export's charts and error budget, without a `--series` file.
//!
//! A signal with an SLO becomes its error ratio (0..1, what the budget counts) with the
//! objective as a ratio: `5xx rate` in percent above its thresholds is `v / 100`; an
//! availability in percent, bad below, is `1 − v / 100`. Other signals keep their unit,
//! with their critical threshold.

use std::path::Path;

use super::Series;
use crate::event::{Direction, Observation, SignalDef};
use crate::recording::{Reader, Record, RecordingError};

struct Acc {
    def: SignalDef,
    objective: Option<f64>,
    points: Vec<(jiff::Timestamp, f64)>,
}

/// The series of every signal in the recording at `path`.
pub fn series(path: &Path) -> Result<Vec<Series>, RecordingError> {
    let mut reader = Reader::open(path)?;
    let mut cur = reader.cursor();
    let mut acc: Vec<Acc> = Vec::new();
    while let Some(rec) = reader.next(&mut cur)? {
        let Record::Observed { at, obs } = rec else {
            continue;
        };
        match obs {
            Observation::SignalDefined(def) => {
                match acc.iter_mut().find(|a| a.def.name == def.name) {
                    Some(a) => a.def = def,
                    None => acc.push(Acc {
                        def,
                        objective: None,
                        points: Vec::new(),
                    }),
                }
            }
            Observation::Signal {
                name,
                value: Some(v),
            } => {
                if let Some(a) = acc.iter_mut().find(|a| a.def.name == name) {
                    a.points.push((at, v));
                }
            }
            Observation::SignalSeries { name, points, .. } => {
                if let Some(a) = acc.iter_mut().find(|a| a.def.name == name) {
                    a.points.extend(points);
                }
            }
            Observation::Slo(slo) => {
                if let Some(a) = acc.iter_mut().find(|a| a.def.name == slo.name) {
                    a.objective = Some(slo.objective / 100.0);
                }
            }
            _ => {}
        }
    }
    Ok(acc
        .into_iter()
        .filter(|a| !a.points.is_empty())
        .map(to_series)
        .collect())
}

fn to_series(mut a: Acc) -> Series {
    a.points.sort_by_key(|(t, _)| *t);
    a.points.dedup_by_key(|(t, _)| *t);
    let error_ratio = |v: f64| -> Option<f64> {
        let ratio = match a.def.unit.as_str() {
            "percent" => v / 100.0,
            "ratio" => v,
            _ => return None,
        };
        Some(match a.def.direction {
            Direction::Above => ratio,
            Direction::Below => 1.0 - ratio,
        })
    };
    match a.objective {
        Some(objective) if error_ratio(0.0).is_some() => Series {
            name: format!("{} (error ratio)", a.def.name),
            unit: "ratio".into(),
            points: a
                .points
                .iter()
                .filter_map(|(t, v)| error_ratio(*v).map(|e| (*t, e)))
                .collect(),
            threshold: Some(1.0 - objective),
            objective: Some(objective),
        },
        _ => Series {
            name: a.def.name.clone(),
            unit: a.def.unit.clone(),
            points: a.points,
            threshold: a.def.crit,
            objective: None,
        },
    }
}
