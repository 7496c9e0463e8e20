//! One runbook's text to findings: queries from blocks, code spans, monitoring headings
//! and curl lines; facts from commands; numbers from prose. Whatever looks relevant but
//! cannot be placed is recorded as skipped, with the reason.

use super::commands::{add_switch, command, flag_name};
use super::findings::{Findings, Origin, SwitchKind};
use super::promql::{self, Verdict};
use super::prose;
use super::scan::{self, Prose, Scanned};
use crate::runbook::{is_shell_lang, looks_like_shell, shell_commands, starts_with_program};

/// Fenced-block languages that hold PromQL.
const PROMQL_LANGS: &[&str] = &["promql", "prometheus", "pql", "metricsql"];

/// Reads one runbook's text into `f`; `file` is how origins name it.
pub fn extract(file: &str, text: &str, f: &mut Findings) {
    let s = scan::scan(text);
    let (first_query, first_skip, first_threshold, first_switch) = (
        f.queries.len(),
        f.skipped.len(),
        f.thresholds.len(),
        f.switches.len(),
    );
    let at = |line| Origin {
        file: file.to_string(),
        line,
    };
    for fence in &s.fences {
        let heading = s.heading_text(fence.heading).to_string();
        if PROMQL_LANGS.contains(&fence.lang.as_str()) {
            promql_block(
                f,
                &fence.body,
                fence.first_line,
                &heading,
                file,
                "a promql block",
            );
        } else if is_shell_lang(&fence.lang)
            || (fence.lang.is_empty() && looks_like_shell(&fence.body))
        {
            let mut cursor = 0;
            for group in shell_commands(&fence.body) {
                for cmd in group.commands {
                    let line = line_in(&fence.body, &cmd, &mut cursor) + fence.first_line;
                    command(f, &cmd, at(line), None);
                }
            }
        } else if fence.lang.is_empty() {
            if s.monitoring(fence.heading) {
                promql_block(
                    f,
                    &fence.body,
                    fence.first_line,
                    &heading,
                    file,
                    "a code block under a monitoring heading",
                );
            } else if let Verdict::Query(info) = promql::classify(&fence.body) {
                let line = fence.first_line;
                f.add_query(
                    &fence.body,
                    None,
                    &heading,
                    at(line),
                    "an untagged code block",
                    info,
                );
            }
        }
    }

    let prose_at = |line: usize| s.prose.iter().find(|p| p.line == line);
    for code in &s.codes {
        let origin = at(code.line);
        let t = code.text.trim();
        let line = prose_at(code.line);
        if starts_with_program(t) {
            command(f, t, origin, line.and_then(switch_name));
            continue;
        }
        let alert_table = line.is_some_and(|p| {
            p.header
                .as_ref()
                .and_then(|h| h.first())
                .is_some_and(|h| h.to_ascii_lowercase().contains("alert"))
                && scan::cells(&p.text).first().is_some_and(|c| c == t)
        });
        if alert_table {
            continue;
        }
        let monitoring = s.monitoring(code.heading);
        let heading = s.heading_text(code.heading);
        // A label names the code only when the code comes right after it.
        let label = line.and_then(|p| {
            let l = label_of(&p.text)?;
            // What follows the colon: the label was trimmed, so its length is no offset.
            let (_, after) = p.text.split_once(':')?;
            after.trim_start().starts_with(t).then_some(l)
        });
        match promql::classify(t) {
            Verdict::Query(info) => f.add_query(t, label, heading, origin, "inline code", info),
            Verdict::BareMetric => {
                let context = line.map_or("", |p| p.text.as_str()).to_ascii_lowercase();
                let says_metric = [
                    "metric",
                    "panel",
                    "dcgm",
                    "prometheus",
                    "promql",
                    "grafana",
                    "query",
                    "dashboard",
                    "graph",
                ]
                .iter()
                .any(|w| context.contains(w));
                if monitoring || says_metric {
                    f.add_query(
                        t,
                        label,
                        heading,
                        origin,
                        "inline code (a metric name)",
                        promql::info(t),
                    );
                } else {
                    f.skip(
                        origin,
                        t,
                        "a bare name that parses as a metric, but nothing around it says it is one",
                    );
                }
            }
            Verdict::NotAQuery if monitoring => {
                f.skip(
                    origin,
                    t,
                    "under a monitoring heading, but reads as a name or number, not a query",
                );
            }
            Verdict::Invalid(e) if monitoring || looks_like_promql(t) => {
                f.skip(origin, t, format!("not PromQL: {e}"));
            }
            _ => {}
        }
    }

    for p in &s.prose {
        prose_line(f, &s, p, file);
    }
    // Blocks, code spans and prose were read in three passes: put this file's finds back
    // in document order.
    f.queries[first_query..].sort_by_key(|q| q.origins[0].0.line);
    f.skipped[first_skip..].sort_by_key(|s| s.origin.line);
    f.thresholds[first_threshold..].sort_by_key(|t| t.0.line);
    f.switches[first_switch..].sort_by_key(|s| s.origin.line);
}

/// A name for a kill switch from its table row's first cell, in a kill-switch table.
fn switch_name(p: &Prose) -> Option<String> {
    let header = p.header.as_ref()?;
    let first = header.first()?.to_ascii_lowercase();
    if !(first.contains("switch") || first.contains("flag") || first.contains("kill")) {
        return None;
    }
    let name = scan::cells(&p.text).into_iter().next()?;
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    ok.then_some(name)
}

/// Characters that make a failed parse worth reporting: the text meant to be a query.
fn looks_like_promql(t: &str) -> bool {
    let has_call = t.contains('(') && t.contains(')');
    let has_selector = t.contains('{') && t.contains('}') && !t.starts_with('{');
    let has_range = t.contains('[') && t.contains(']') && !t.contains(' ');
    (has_call || has_selector || has_range) && !t.contains("://") && !t.starts_with('/')
}

/// The label of `Label: rest`, when the label is short words.
fn label_of(text: &str) -> Option<String> {
    let (label, rest) = text.split_once(':')?;
    let label = label.trim();
    let words = label.split_whitespace().count();
    (!rest.trim().is_empty()
        && (1..=6).contains(&words)
        && !label.contains(['(', '{', '[', '`', '=', '|']))
    .then(|| label.to_string())
}

/// The 0-based line of `body` where `cmd` starts, searching from `cursor`.
fn line_in(body: &str, cmd: &str, cursor: &mut usize) -> usize {
    let first = cmd.lines().next().unwrap_or("").trim();
    let first = first.strip_suffix('\\').unwrap_or(first).trim();
    let probe: String = first.chars().take(40).collect();
    let lines: Vec<&str> = body.lines().collect();
    let found = (*cursor..lines.len()).find(|&i| lines[i].contains(probe.as_str()));
    match found {
        Some(i) => {
            *cursor = i + 1;
            i
        }
        None => *cursor,
    }
}

/// A block of PromQL: one multi-line query, or queries separated by blank lines, or one
/// per line; `#` comments name the query after them.
fn promql_block(
    f: &mut Findings,
    body: &str,
    first_line: usize,
    heading: &str,
    file: &str,
    how: &'static str,
) {
    let at = |line| Origin {
        file: file.to_string(),
        line,
    };
    // (first line, comment above, lines)
    let mut chunks: Vec<(usize, Option<String>, Vec<&str>)> = Vec::new();
    let mut comment: Option<String> = None;
    let mut cur: Option<(usize, Option<String>, Vec<&str>)> = None;
    for (i, line) in body.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            chunks.extend(cur.take());
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            chunks.extend(cur.take());
            comment = Some(c.trim().to_string());
            continue;
        }
        match cur.as_mut() {
            Some((_, _, lines)) => lines.push(line),
            None => cur = Some((first_line + i, comment.take(), vec![line])),
        }
    }
    chunks.extend(cur);
    for (line, name, lines) in chunks {
        let whole = lines.join("\n");
        match promql::classify(&whole) {
            Verdict::Query(info) => f.add_query(&whole, name, heading, at(line), how, info),
            Verdict::BareMetric => {
                f.add_query(&whole, name, heading, at(line), how, promql::info(&whole))
            }
            verdict if lines.len() > 1 => {
                // Maybe one query per line.
                for (k, l) in lines.iter().enumerate() {
                    let name = if k == 0 { name.clone() } else { None };
                    match promql::classify(l) {
                        Verdict::Query(info) => {
                            f.add_query(l, name, heading, at(line + k), how, info)
                        }
                        Verdict::BareMetric => {
                            f.add_query(l, name, heading, at(line + k), how, promql::info(l))
                        }
                        Verdict::NotAQuery => f.skip(
                            at(line + k),
                            l,
                            "in a PromQL block, but a name or number, not a query",
                        ),
                        Verdict::Invalid(e) => {
                            let _ = &verdict;
                            f.skip(
                                at(line + k),
                                l,
                                format!("in a PromQL block, but not PromQL: {e}"),
                            );
                        }
                    }
                }
            }
            Verdict::NotAQuery => f.skip(
                at(line),
                &whole,
                "in a PromQL block, but a name or number, not a query",
            ),
            Verdict::Invalid(e) => f.skip(
                at(line),
                &whole,
                format!("in a PromQL block, but not PromQL: {e}"),
            ),
        }
    }
}

/// Thresholds in a table row: the first cell says what, the column header how severe;
/// "normal" or "target" columns are not alert thresholds.
fn table_thresholds(header: &[String], row: &str) -> Vec<prose::Threshold> {
    let cells = scan::cells(row);
    let Some(what) = cells.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, cell) in cells.iter().enumerate().skip(1) {
        let h = header
            .get(i)
            .map_or(String::new(), |h| h.to_ascii_lowercase());
        if [
            "normal",
            "healthy",
            "baseline",
            "target",
            "expected",
            "objective",
        ]
        .iter()
        .any(|w| h.contains(w))
        {
            continue;
        }
        let severity = if h.contains("crit") || h.contains("page") {
            Some("critical".to_string())
        } else if h.contains("warn") {
            Some("warning".to_string())
        } else {
            prose::severities(&h).first().map(|s| format!("SEV{s}"))
        };
        for mut t in prose::thresholds(&format!("{what} {cell}")) {
            if t.severity.is_none() {
                t.severity = severity.clone();
            }
            t.text = format!(
                "{what}: {cell} ({})",
                header.get(i).map_or("", |h| h.as_str())
            );
            out.push(t);
        }
    }
    out
}

/// Numbers, intervals, flags and commands in one line of prose.
fn prose_line(f: &mut Findings, s: &Scanned, p: &Prose, file: &str) {
    let origin = Origin {
        file: file.to_string(),
        line: p.line,
    };
    let heading = s.heading_text(p.heading);
    // A query written as plain text under a monitoring heading.
    if s.monitoring(p.heading) && !p.raw.contains('`') && !p.table {
        let (label, candidate) = match label_of(&p.text) {
            Some(l) => (
                Some(l.clone()),
                p.text[l.len()..].trim_start_matches(':').trim().to_string(),
            ),
            None => (None, p.text.clone()),
        };
        match promql::classify(&candidate) {
            Verdict::Query(info) => {
                f.add_query(
                    &candidate,
                    label,
                    heading,
                    origin,
                    "a line under a monitoring heading",
                    info,
                );
                return;
            }
            Verdict::BareMetric => {
                let info = promql::info(&candidate);
                f.add_query(
                    &candidate,
                    label,
                    heading,
                    origin,
                    "a line under a monitoring heading",
                    info,
                );
                return;
            }
            Verdict::NotAQuery => {
                f.skip(
                    origin.clone(),
                    &p.text,
                    "under a monitoring heading, but reads as a name or number, not a query",
                );
            }
            Verdict::Invalid(e) => {
                f.skip(
                    origin.clone(),
                    &p.text,
                    format!("under a monitoring heading, but not PromQL: {e}"),
                );
            }
        }
    }
    // A command written without backticks after a label: `Confirm: kubectl describe ...`.
    let after_label = label_of(&p.raw).map_or(p.raw.as_str(), |l| {
        p.raw[l.len()..].trim_start_matches(':').trim()
    });
    if !after_label.starts_with('`') && starts_with_program(after_label) && !p.table {
        command(f, after_label, origin.clone(), None);
    }

    let thresholds = match &p.header {
        Some(header) => table_thresholds(header, &p.text),
        None => prose::thresholds(&p.text),
    };
    if !thresholds.is_empty() {
        if let Some(why) = prose::not_a_threshold(&p.text) {
            f.skip(origin.clone(), &p.text, why);
        } else {
            for t in thresholds {
                f.thresholds.push((origin.clone(), t));
            }
        }
    }
    if let Some(slo) = prose::slo(&p.text) {
        f.slos.push((origin.clone(), slo));
    }
    for (every, sevs) in prose::update_intervals(&p.text) {
        f.updates.push((origin.clone(), every, sevs));
    }
    if let Some(header) = &p.header
        && let Some(col) = header
            .iter()
            .position(|h| h.to_ascii_lowercase().contains("escalat"))
    {
        let cells = scan::cells(&p.text);
        let who = cells.first().cloned().unwrap_or_default();
        let cell = cells.get(col).cloned().unwrap_or_default();
        match prose::cell_duration(&cell) {
            Some(after) => f.escalations.push((
                origin.clone(),
                prose::EscalationStep {
                    to: who,
                    after,
                    severities: prose::severities(&cell),
                },
            )),
            None if !cell.trim_matches(['—', '-', ' ']).is_empty() => {
                f.skip(
                    origin.clone(),
                    &p.text,
                    format!("escalation `{cell}` has no time to escalate after"),
                );
            }
            None => {}
        }
    } else if let Some(step) = prose::escalation(&p.text) {
        f.escalations.push((origin.clone(), step));
    }
    let flags = prose::flags(&p.text);
    for flag in &flags {
        match (&flag.configmap, prose::inverse(&flag.value)) {
            (Some(cm), Some(off)) => add_switch(
                f,
                flag_name(&flag.key),
                SwitchKind::Configmap {
                    namespace: None,
                    configmap: cm.clone(),
                    key: flag.key.clone(),
                    on: flag.value.clone(),
                    off,
                },
                &origin,
            ),
            (None, _) => f.skip(
                origin.clone(),
                &p.text,
                format!(
                    "says to set {}={}, but not in which ConfigMap or deployment",
                    flag.key, flag.value
                ),
            ),
            (Some(_), None) => f.skip(
                origin.clone(),
                &p.text,
                format!(
                    "sets {}={}, but there is no obvious value that turns it back",
                    flag.key, flag.value
                ),
            ),
        }
    }
    if flags.is_empty() && !p.raw.contains('`') && prose::is_fallback_instruction(&p.text) {
        f.skip(
            origin,
            &p.text,
            "a fallback or scale-down instruction with no flag or command sitrep can perform",
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(md: &str) -> Findings {
        let mut f = Findings::default();
        extract("rb.md", md, &mut f);
        f
    }

    #[test]
    fn promql_blocks_split_into_named_queries() {
        let f = run(
            "# X\n\n```promql\n# p95 latency\nhistogram_quantile(0.95,\n  sum by (le) (rate(x_bucket[5m])))\n\n# errors\nsum(rate(e_total[5m]))\nnot promql at all(\n```\n",
        );
        let names: Vec<_> = f
            .queries
            .iter()
            .map(|q| q.name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(names, ["p95 latency", "errors"]);
        assert_eq!(f.queries[0].origins[0].0.line, 5);
        assert!(
            f.queries[0].query.contains('\n'),
            "verbatim, multi-line kept"
        );
        assert_eq!(f.queries[1].origins[0].0.line, 9);
        assert_eq!(f.skipped.len(), 1);
        assert_eq!(f.skipped[0].origin.line, 10);
        assert!(f.skipped[0].why.contains("not PromQL"), "{:?}", f.skipped);
    }

    #[test]
    fn inline_names_are_not_queries_but_inline_queries_are() {
        let f = run(
            "# X\n\nRestart `snapbuilder-serving` when `sum(rate(errors_total[5m])) > 3` and `OOMKilled`.\nThe Grafana panel `DCGM_FI_DEV_GPU_TEMP` shows it.\n",
        );
        let qs: Vec<_> = f.queries.iter().map(|q| q.query.as_str()).collect();
        assert_eq!(
            qs,
            ["sum(rate(errors_total[5m])) > 3", "DCGM_FI_DEV_GPU_TEMP"]
        );
        // A metric name is taken where the line speaks of a panel or metric, not elsewhere.
        let f = run("# X\n\nFlip `MODERATION_STRICT` when needed.\n");
        assert!(f.queries.is_empty());
        assert!(f.skipped[0].why.contains("bare name"));
    }

    #[test]
    fn monitoring_heading_lines_and_curl_queries() {
        let f = run(
            "# X\n\n## Monitoring queries\n\n- Error ratio: sum(rate(e_total[5m])) / sum(rate(r_total[5m]))\n- Queue depth: queue depth is high\n\n## Checks\n\n```bash\ncurl -s 'http://prom:9090/api/v1/query?query=up%7Bjob%3D%22api%22%7D%20%3D%3D%200'\ncurl -fsS https://api.example.com/healthz\n```\n",
        );
        assert_eq!(f.queries[0].name.as_deref(), Some("Error ratio"));
        assert_eq!(f.queries[1].query, "up{job=\"api\"} == 0");
        assert_eq!(f.queries[1].origins[0].0.line, 11);
        assert_eq!(f.prometheus[0].0, "http://prom:9090");
        assert_eq!(f.health[0].0, "https://api.example.com/healthz");
        assert_eq!(f.skipped[0].origin.line, 6);
        assert!(f.skipped[0].why.contains("not PromQL"));
    }

    #[test]
    fn table_thresholds_take_severity_from_the_header_and_skip_normal_ranges() {
        let f = run(
            "# X\n\n| Metric | Normal | Warning | Critical |\n|---|---|---|---|\n| Latency p99 | < 2s | > 5s | > 10s |\n\n| Alert | Meaning |\n|---|---|\n| `high_latency` | slow |\n\n## Metrics\n\nSee `up{job=\"x\"}`.\n",
        );
        let t: Vec<(f64, Option<&str>, Option<f64>)> = f
            .thresholds
            .iter()
            .map(|(_, t)| (t.value, t.severity.as_deref(), t.quantile))
            .collect();
        assert_eq!(
            t,
            [
                (5000.0, Some("warning"), Some(0.99)),
                (10000.0, Some("critical"), Some(0.99))
            ]
        );
        let q: Vec<&str> = f.queries.iter().map(|q| q.query.as_str()).collect();
        assert_eq!(
            q,
            ["up{job=\"x\"}"],
            "an alert name in an alerts table is not a metric"
        );
    }

    #[test]
    fn commands_give_kubernetes_facts_and_switches() {
        let f = run(
            "# X\n\n| Switch | Flip it |\n|---|---|\n| `strict` | `kubectl -n s patch configmap flags --type merge -p '{\"data\":{\"STRICT\":\"true\"}}'` |\n\n- Last resort: kubectl -n s scale deployment/web --replicas=0\n- `kubectl -n s logs deploy/web | grep x`\n",
        );
        assert_eq!(f.namespaces[0].0, "s");
        assert_eq!(f.switches[0].name, "strict");
        assert_eq!(f.switches[1].name, "web-to-zero");
        assert_eq!(f.switches[1].origin.line, 7);
        assert!(
            f.skipped
                .iter()
                .any(|s| s.origin.line == 8 && s.why.contains("pipe")),
            "{:?}",
            f.skipped
        );
    }
}
