//! A signal's `warn`, `crit` and direction from the thresholds the runbooks give for it,
//! or why they contradict each other.

use super::findings::Origin;
use super::prose::Threshold;

/// A number as TOML takes it (`350`, `0.035`).
pub fn num(v: f64) -> String {
    format!("{v}")
}

/// warn, crit and direction from thresholds, or why they contradict each other.
#[derive(Debug)]
pub struct Levels {
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    pub above: bool,
}

/// How severe a written severity is: SEV1 is 10, "critical" 15, "warning" 35; lower is worse.
fn rank(t: &Threshold) -> Option<u8> {
    let s = t.severity.as_deref()?.to_ascii_lowercase();
    let digit = s.chars().last().and_then(|c| c.to_digit(10));
    match s.as_str() {
        "critical" | "page" | "high" => Some(15),
        "warning" => Some(35),
        "ticket" | "low" => Some(45),
        _ => digit.map(|d| d as u8 * 10),
    }
}

pub fn levels(ts: &[(&Origin, &Threshold, f64)]) -> Result<Levels, String> {
    let above = ts.first().is_none_or(|t| t.1.above);
    if ts.iter().any(|t| t.1.above != above) {
        return Err("some say above, some below".into());
    }
    let same = |a: f64, b: f64| (a - b).abs() < 1e-12;
    // One value per written severity, most severe first.
    let mut ranked: Vec<(u8, f64, String)> = Vec::new();
    for (_, t, v) in ts {
        let Some(r) = rank(t) else { continue };
        match ranked.iter().find(|x| x.0 == r) {
            Some(x) if !same(x.1, *v) => {
                return Err(format!(
                    "thresholds at {} disagree ({} vs {})",
                    x.2,
                    num(x.1),
                    num(*v)
                ));
            }
            Some(_) => {}
            None => ranked.push((r, *v, t.severity.clone().unwrap_or_default())),
        }
    }
    ranked.sort_by_key(|x| x.0);
    let mut free: Vec<f64> = Vec::new();
    for (_, t, v) in ts {
        if rank(t).is_none()
            && !ranked.iter().any(|x| same(x.1, *v))
            && !free.iter().any(|x| same(*x, *v))
        {
            free.push(*v);
        }
    }
    // Milder first.
    free.sort_by(|a, b| {
        if above {
            a.total_cmp(b)
        } else {
            b.total_cmp(a)
        }
    });
    let too_many = || {
        Err(format!(
            "more thresholds than warn and crit can hold ({})",
            list(&ts.iter().map(|t| t.2).collect::<Vec<_>>())
        ))
    };
    let (warn, crit) = match (ranked.as_slice(), free.as_slice()) {
        ([], []) => (None, None),
        ([], [c]) => (None, Some(*c)),
        ([], [w, c]) => (Some(*w), Some(*c)),
        ([(r, v, _)], []) if *r <= 20 => (None, Some(*v)),
        ([(_, v, _)], []) => (Some(*v), None),
        ([(r, v, _)], [u]) if *r <= 20 => (Some(*u), Some(*v)),
        ([(_, v, _)], [u]) => (Some(*v), Some(*u)),
        ([(_, c, _), (_, w, _)], []) => (Some(*w), Some(*c)),
        _ => return too_many(),
    };
    if let (Some(w), Some(c)) = (warn, crit) {
        let milder = if above { w < c } else { w > c };
        if !milder {
            return Err(format!(
                "the warning level {} is not milder than the paging level {}",
                num(w),
                num(c)
            ));
        }
    }
    Ok(Levels { warn, crit, above })
}

fn list(v: &[f64]) -> String {
    v.iter().map(|x| num(*x)).collect::<Vec<_>>().join(" vs ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(text: &str) -> Threshold {
        super::super::prose::thresholds(text).remove(0)
    }

    #[test]
    fn levels_from_severities_and_contradictions() {
        let o = Origin {
            file: "f".into(),
            line: 1,
        };
        let a = t("p95 > 250ms (warning)");
        let b = t("p95 > 350ms -> SEV2");
        let l = levels(&[(&o, &a, 250.0), (&o, &b, 350.0)]).unwrap();
        assert_eq!((l.warn, l.crit), (Some(250.0), Some(350.0)));
        let sev1 = t("p95 > 2s -> SEV1");
        let l = levels(&[(&o, &b, 350.0), (&o, &sev1, 2000.0)]).unwrap();
        assert_eq!((l.warn, l.crit), (Some(350.0), Some(2000.0)));
        let c = t("p95 > 500ms -> SEV2");
        assert!(
            levels(&[(&o, &b, 350.0), (&o, &c, 500.0)])
                .unwrap_err()
                .contains("disagree")
        );
        let up = t("p95 > 1s");
        let down = t("p95 < 1s");
        assert!(
            levels(&[(&o, &up, 1.0), (&o, &down, 1.0)])
                .unwrap_err()
                .contains("above")
        );
        let warn_high = t("p95 > 900ms (warning)");
        assert!(
            levels(&[(&o, &warn_high, 900.0), (&o, &b, 350.0)])
                .unwrap_err()
                .contains("milder")
        );
        let two = levels(&[(&o, &t("5xx > 1%"), 1.0), (&o, &t("5xx > 3%"), 3.0)]).unwrap();
        assert_eq!((two.warn, two.crit), (Some(1.0), Some(3.0)));
    }
}
