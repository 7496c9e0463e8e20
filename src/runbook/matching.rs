//! Choosing the runbook section that answers a firing alert.
//!
//! Rules in order: the alert's `runbook_url` (file and `#anchor`), the configured
//! alertname → section mapping, then a fuzzy match of the alert's name and summary to
//! section titles that knows the near-synonyms runbooks use.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::model::Runbook;
use super::synonyms::{CONCEPTS, STOPWORDS};
use super::text::slug;

/// A firing alert, as much of it as matching needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertRef<'a> {
    /// `alertname`.
    pub name: &'a str,
    /// The `summary` annotation (may be empty).
    pub summary: &'a str,
    /// The `runbook_url` annotation.
    pub runbook_url: Option<&'a str>,
}

/// Which rule chose a section.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchRule {
    /// The alert's `runbook_url` named the file and anchor.
    RunbookUrl,
    /// The configured alertname → section mapping.
    Config,
    /// Words of the alert matched words of the title.
    Fuzzy {
        /// 0..=1; matches below [`FUZZY_THRESHOLD`] are not reported.
        score: f32,
        /// The matched words, `alert word ~ title word` where they differ.
        why: String,
    },
}

impl fmt::Display for MatchRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchRule::RunbookUrl => f.write_str("runbook_url"),
            MatchRule::Config => f.write_str("config"),
            MatchRule::Fuzzy { score, why } => write!(f, "fuzzy ({why}, score {score:.2})"),
        }
    }
}

/// The chosen section (an index into `Runbook::sections`) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index into `Runbook::sections`.
    pub section: usize,
    /// The rule that chose it.
    pub rule: MatchRule,
}

/// Lowest fuzzy score accepted.
pub const FUZZY_THRESHOLD: f32 = 0.5;

/// Picks the section of `rb` that answers `alert`, or `None`.
pub fn match_alert(
    rb: &Runbook,
    alert: &AlertRef,
    mapping: &BTreeMap<String, String>,
) -> Option<Match> {
    if let Some(url) = alert.runbook_url
        && let Some(section) = by_url(rb, url)
    {
        return Some(Match {
            section,
            rule: MatchRule::RunbookUrl,
        });
    }
    if let Some(target) = mapping.get(alert.name)
        && let Some(section) = by_title_or_anchor(rb, target)
    {
        return Some(Match {
            section,
            rule: MatchRule::Config,
        });
    }
    fuzzy(rb, alert)
}

/// The section a `runbook_url` points at. The file part must name the runbook's file or
/// one it links to (any file when the runbook was parsed from a string); without an
/// anchor the URL names a linked file's first section, or nothing more specific than
/// the runbook itself, and the later rules decide.
fn by_url(rb: &Runbook, url: &str) -> Option<usize> {
    let (file_part, anchor) = match url.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (url, None),
    };
    let file_part = file_part.split('?').next().unwrap_or("");
    let file_name = file_part.rsplit('/').next().unwrap_or("");
    let named = file_name.to_ascii_lowercase().ends_with(".md");
    let main_name = rb.path.as_deref().and_then(file_name_of);
    let in_file = |i: usize| -> bool {
        if !named {
            return true;
        }
        let src = rb.sections[i].source.as_deref().and_then(file_name_of);
        match src.or(main_name) {
            Some(n) => n.eq_ignore_ascii_case(file_name),
            None => true,
        }
    };
    match anchor {
        Some(a) => {
            let a = percent_decode(a);
            let a = a.strip_prefix("user-content-").unwrap_or(&a).to_lowercase();
            (0..rb.sections.len()).find(|&i| in_file(i) && rb.sections[i].anchor == a)
        }
        None if named => {
            (0..rb.sections.len()).find(|&i| rb.sections[i].source.is_some() && in_file(i))
        }
        None => None,
    }
}

fn file_name_of(p: &Path) -> Option<&str> {
    p.file_name()?.to_str()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The section a config names: `file.md#anchor` (the file must be this runbook's or one it
/// links to), a section title (case-insensitive) or an anchor (`#` optional).
pub fn find_section(rb: &Runbook, target: &str) -> Option<usize> {
    let file = target.split('#').next().unwrap_or("");
    if file.to_ascii_lowercase().ends_with(".md") {
        by_url(rb, target)
    } else {
        by_title_or_anchor(rb, target)
    }
}

/// A mapping target: a section title (case-insensitive) or an anchor (`#` optional).
fn by_title_or_anchor(rb: &Runbook, target: &str) -> Option<usize> {
    let t = target.trim();
    let anchor = t.strip_prefix('#').unwrap_or(t);
    rb.sections
        .iter()
        .position(|s| s.title.trim().eq_ignore_ascii_case(t))
        .or_else(|| rb.find_anchor(anchor))
        .or_else(|| rb.find_anchor(&slug(t)))
}

/// A term of an alert or a title, with the words that produced it.
#[derive(Debug, Clone)]
struct Term {
    key: String,
    word: String,
}

/// Splits CamelCase, snake_case and punctuation into lowercase words.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p))
            && !cur.is_empty()
        {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(char::is_lowercase))
                || (prev.is_uppercase() && c.is_ascii_digit())
                || (prev.is_ascii_digit() && c.is_uppercase());
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter().map(|w| w.to_lowercase()).collect()
}

fn terms(s: &str) -> Vec<Term> {
    let w = words(s);
    let mut out = Vec::new();
    let mut i = 0;
    'outer: while i < w.len() {
        for n in (1..=3).rev() {
            if i + n > w.len() {
                continue;
            }
            let phrase = w[i..i + n].join(" ");
            if let Some((_, keys)) = CONCEPTS.iter().find(|(p, _)| *p == phrase) {
                for k in *keys {
                    out.push(Term {
                        key: (*k).to_string(),
                        word: phrase.clone(),
                    });
                }
                i += n;
                continue 'outer;
            }
        }
        let word = &w[i];
        i += 1;
        if word.len() < 2
            || STOPWORDS.contains(&word.as_str())
            || word.chars().all(|c| c.is_ascii_digit())
        {
            continue;
        }
        out.push(Term {
            key: stem(word),
            word: word.clone(),
        });
    }
    out
}

fn stem(w: &str) -> String {
    let w = w.strip_suffix("ing").filter(|s| s.len() > 3).unwrap_or(w);
    let w = w
        .strip_suffix('s')
        .filter(|s| s.len() > 2 && !s.ends_with('s'))
        .unwrap_or(w);
    w.to_string()
}

fn dedup(ts: Vec<Term>) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    for t in ts {
        if !out.iter().any(|o| o.key == t.key) {
            out.push(t);
        }
    }
    out
}

/// Scores every section title against the alert; the best above the threshold wins,
/// ties going to the section with more steps, then the earlier one.
fn fuzzy(rb: &Runbook, alert: &AlertRef) -> Option<Match> {
    let name = dedup(terms(alert.name));
    let summary: Vec<Term> = dedup(terms(alert.summary))
        .into_iter()
        .filter(|t| !name.iter().any(|n| n.key == t.key))
        .collect();
    if name.is_empty() && summary.is_empty() {
        return None;
    }
    let titles: Vec<Vec<Term>> = rb.sections.iter().map(|s| dedup(terms(&s.title))).collect();
    // A word no title has, or only the document's own title (often the product name),
    // cannot tell sections apart, so it counts little against coverage.
    let weight = |t: &Term| {
        let telling = titles
            .iter()
            .zip(&rb.sections)
            .filter(|(_, s)| s.level > 1)
            .any(|(ts, _)| ts.iter().any(|x| x.key == t.key));
        if telling { 1.0 } else { 0.2 }
    };
    let total = |ts: &[Term]| ts.iter().map(weight).sum::<f32>();
    let (name_total, sum_total) = (total(&name), total(&summary));
    let mut best: Option<(f32, usize, usize, String)> = None;
    for (i, title) in titles.iter().enumerate() {
        if title.is_empty() {
            continue;
        }
        let hit = |t: &Term| title.iter().find(|x| x.key == t.key);
        let name_hits: Vec<(&Term, &Term)> =
            name.iter().filter_map(|t| hit(t).map(|h| (t, h))).collect();
        let sum_hits: Vec<(&Term, &Term)> = summary
            .iter()
            .filter_map(|t| hit(t).map(|h| (t, h)))
            .collect();
        if name_hits.is_empty() && (sum_hits.is_empty() || !name.is_empty()) && sum_hits.len() < 2 {
            continue;
        }
        let covered = |hits: &[(&Term, &Term)], total: f32| {
            if total > 0.0 {
                hits.iter().map(|(t, _)| weight(t)).sum::<f32>() / total
            } else {
                0.0
            }
        };
        let name_cov = covered(&name_hits, name_total);
        let sum_cov = covered(&sum_hits, sum_total);
        let mut title_hit_keys: Vec<&str> = name_hits
            .iter()
            .chain(&sum_hits)
            .map(|(_, h)| h.key.as_str())
            .collect();
        title_hit_keys.dedup();
        let precision = title_hit_keys.len() as f32 / title.len() as f32;
        let score = if name.is_empty() {
            0.8 * sum_cov + 0.2 * precision
        } else {
            0.7 * name_cov + 0.1 * sum_cov + 0.2 * precision
        };
        let steps = rb.step_count(i);
        let better = match &best {
            None => true,
            Some((bs, bsteps, _, _)) => {
                score > *bs + 1e-6 || ((score - *bs).abs() <= 1e-6 && steps > *bsteps)
            }
        };
        if better {
            let why = name_hits
                .iter()
                .chain(&sum_hits)
                .map(|(a, t)| {
                    if a.word == t.word {
                        a.word.clone()
                    } else {
                        format!("{} ~ {}", a.word, t.word)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            best = Some((score, steps, i, why));
        }
    }
    let (score, _, section, why) = best?;
    (score >= FUZZY_THRESHOLD).then(|| Match {
        section,
        rule: MatchRule::Fuzzy {
            score: (score * 100.0).round() / 100.0,
            why,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::runbook::parse;

    #[test]
    fn splits_names() {
        assert_eq!(words("HighErrorRate"), ["high", "error", "rate"]);
        assert_eq!(words("GPUXidErrors"), ["gpu", "xid", "errors"]);
        assert_eq!(
            words("KubePodCrashLooping"),
            ["kube", "pod", "crash", "looping"]
        );
        assert_eq!(
            words("snapbuilder_http_5xx_ratio"),
            ["snapbuilder", "http", "5xx", "ratio"]
        );
        assert_eq!(words("OOMKilled"), ["oom", "killed"]);
        assert_eq!(words("HTTP5xxHigh"), ["http", "5xx", "high"]);
        assert_eq!(words("p95-latency"), ["p95", "latency"]);
    }

    fn rb() -> Runbook {
        parse(
            "# Svc\n\n## Errors (5xx) after a rollout\n\n- undo\n\n## Slow responses / response time\n\n- scale\n\n## Pods crash-looping\n\n- look\n\n## GPU XID errors or running hot\n\n- drain\n\n## Contacts\n",
        )
    }

    #[test]
    fn fuzzy_synonyms() {
        let rb = rb();
        let m = |name: &str, summary: &str| {
            let a = AlertRef {
                name,
                summary,
                runbook_url: None,
            };
            match_alert(&rb, &a, &BTreeMap::new())
                .map(|m| (rb.sections[m.section].title.clone(), m.rule))
        };
        let (t, rule) = m("HighErrorRate", "").unwrap();
        assert_eq!(t, "Errors (5xx) after a rollout");
        assert!(matches!(rule, MatchRule::Fuzzy { .. }));
        assert_eq!(
            m("HighLatency", "").unwrap().0,
            "Slow responses / response time"
        );
        let (_, rule) = m("HighLatency", "").unwrap();
        assert!(
            rule.to_string().starts_with("fuzzy (latency ~ slow"),
            "{rule}"
        );
        assert_eq!(
            m("KubePodCrashLooping", "").unwrap().0,
            "Pods crash-looping"
        );
        assert_eq!(m("PodOOMKilled", "").unwrap().0, "Pods crash-looping");
        assert_eq!(
            m("GPUXidErrors", "").unwrap().0,
            "GPU XID errors or running hot"
        );
        assert_eq!(
            m("GpuTemperatureHigh", "").unwrap().0,
            "GPU XID errors or running hot"
        );
        assert_eq!(m("CertificateExpiry", ""), None);
        assert_eq!(m("Watchdog", ""), None);
    }

    #[test]
    fn url_then_config_then_fuzzy() {
        let mut rb = rb();
        rb.path = Some("runbooks/svc.md".into());
        let mut map = BTreeMap::new();
        map.insert("HighErrorRate".to_string(), "Contacts".to_string());
        let a = AlertRef {
            name: "HighErrorRate",
            summary: "",
            runbook_url: Some("https://git.example/runbooks/svc.md#pods-crash-looping"),
        };
        let m = match_alert(&rb, &a, &map).unwrap();
        assert_eq!((m.section, m.rule), (3, MatchRule::RunbookUrl));
        // A URL into another file does not match here; the mapping decides.
        let a = AlertRef {
            runbook_url: Some("https://x/other.md#pods-crash-looping"),
            ..a
        };
        let m = match_alert(&rb, &a, &map).unwrap();
        assert_eq!((m.section, m.rule), (5, MatchRule::Config));
        map.insert(
            "HighErrorRate".to_string(),
            "#slow-responses--response-time".to_string(),
        );
        assert_eq!(match_alert(&rb, &a, &map).unwrap().section, 2);
        map.insert("HighErrorRate".to_string(), "No such section".to_string());
        assert!(matches!(
            match_alert(&rb, &a, &map).unwrap().rule,
            MatchRule::Fuzzy { .. }
        ));
    }

    #[test]
    fn rule_display() {
        let r = MatchRule::Fuzzy {
            score: 0.833,
            why: "latency ~ response time".into(),
        };
        assert_eq!(r.to_string(), "fuzzy (latency ~ response time, score 0.83)");
        assert_eq!(MatchRule::RunbookUrl.to_string(), "runbook_url");
        assert_eq!(percent_decode("a%20b"), "a b");
    }
}
