//! Numbers, durations and times as the panes print them.

use jiff::{SignedDuration, Timestamp};

/// A value in its unit: `482 ms`, `4.1%`, `99.95%`, `1.2 GiB`.
pub fn value(v: Option<f64>, unit: &str) -> String {
    let Some(v) = v else {
        return "N/A".to_string();
    };
    if !v.is_finite() {
        return "N/A".to_string();
    }
    match unit {
        "ms" => format!("{v:.0} ms"),
        "seconds" | "s" => {
            if v < 1.0 {
                format!("{:.0} ms", v * 1000.0)
            } else {
                format!("{v:.2} s")
            }
        }
        "percent" | "%" => percent(v),
        "ratio" => percent(v * 100.0),
        "bytes" => bytes(v),
        "count" | "" => {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        }
        other => format!("{v:.2} {other}"),
    }
}

fn percent(p: f64) -> String {
    if (99.0..100.0).contains(&p) {
        format!("{p:.2}%")
    } else if p.abs() < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// Bytes in binary units.
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v.abs() >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// A short age: `45s`, `3m10s`, `2h05m`, `3d4h`.
pub fn age(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
    }
}

/// An elapsed clock: `00:04:12`, or `1d 02:03:04` past a day.
pub fn clock(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    let (days, s) = (s / 86400, s % 86400);
    let hms = format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60);
    if days > 0 {
        format!("{days}d {hms}")
    } else {
        hms
    }
}

/// Time of day in UTC: `04:12:09`.
pub fn time_of_day(t: Timestamp) -> String {
    t.strftime("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_units() {
        assert_eq!(value(Some(482.4), "ms"), "482 ms");
        assert_eq!(value(Some(4.13), "percent"), "4.1%");
        assert_eq!(value(Some(0.9995), "ratio"), "99.95%");
        assert_eq!(value(Some(0.25), "seconds"), "250 ms");
        assert_eq!(value(Some(3.0 * 1024.0 * 1024.0), "bytes"), "3.0 MiB");
        assert_eq!(value(None, "ms"), "N/A");
        assert_eq!(value(Some(f64::NAN), "ms"), "N/A");
    }

    #[test]
    fn formats_durations() {
        assert_eq!(age(SignedDuration::from_secs(190)), "3m10s");
        assert_eq!(age(SignedDuration::from_secs(7500)), "2h05m");
        assert_eq!(clock(SignedDuration::from_secs(252)), "00:04:12");
        assert_eq!(clock(SignedDuration::from_secs(90_000)), "1d 01:00:00");
    }
}
