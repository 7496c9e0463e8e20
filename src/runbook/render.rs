//! Text and JSON views of a runbook, for `sitrep runbook FILE`.

use std::fmt::Write as _;

use super::model::{Runbook, Table};

/// The runbook as an indented outline: sections, groups, `[ ]`/`[x]` steps, `$ ` commands
/// and tables.
pub fn outline(rb: &Runbook) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        if rb.title.is_empty() {
            "(untitled runbook)"
        } else {
            &rb.title
        }
    );
    for s in &rb.sections {
        let indent = "  ".repeat(usize::from(s.level.saturating_sub(1)));
        let marks = "#".repeat(usize::from(s.level.max(1)));
        let from = s
            .source
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|f| format!("  [{}]", f.to_string_lossy()))
            .unwrap_or_default();
        let _ = writeln!(out, "{indent}{marks} {}  (#{}){from}", s.title, s.anchor);
        for n in &s.notes {
            for line in n.lines() {
                let _ = writeln!(out, "{indent}  | {line}");
            }
        }
        for g in &s.groups {
            let mut step_indent = format!("{indent}  ");
            if !g.title.is_empty() {
                let _ = writeln!(out, "{indent}  {}:", g.title);
                step_indent.push_str("  ");
            }
            for st in &g.steps {
                let pad = format!("{step_indent}{}", "  ".repeat(usize::from(st.depth)));
                let mark = if st.checked { "[x]" } else { "[ ]" };
                let mut lines = st.text.lines();
                let _ = writeln!(out, "{pad}{mark} {}", lines.next().unwrap_or(""));
                for more in lines {
                    let _ = writeln!(out, "{pad}    {more}");
                }
                for c in &st.commands {
                    let mut cl = c.lines();
                    let _ = writeln!(out, "{pad}    $ {}", cl.next().unwrap_or(""));
                    for more in cl {
                        let _ = writeln!(out, "{pad}      {more}");
                    }
                }
            }
        }
        for t in &s.tables {
            table(&mut out, t, &format!("{indent}  "));
        }
    }
    for w in &rb.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn table(out: &mut String, t: &Table, indent: &str) {
    let cols = t
        .rows
        .iter()
        .map(Vec::len)
        .chain(std::iter::once(t.header.len()))
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in std::iter::once(&t.header).chain(&t.rows) {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |out: &mut String, row: &[String]| {
        let cells: Vec<String> = (0..cols)
            .map(|i| {
                let c = row.get(i).map_or("", String::as_str);
                format!("{c:<w$}", w = widths[i])
            })
            .collect();
        let _ = writeln!(out, "{indent}| {} |", cells.join(" | "));
    };
    line(out, &t.header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{indent}|-{}-|", rule.join("-|-"));
    for r in &t.rows {
        line(out, r);
    }
}

/// The runbook as pretty JSON (`source` and `path` left out).
pub fn json(rb: &Runbook) -> String {
    serde_json::to_string_pretty(rb).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The runbook as pretty JSON with, for each step, what sitrep does with each of its
/// commands: `"native": true` and the action and target it maps to, or `"native": false`
/// and why the command keeps the shell path.
pub fn json_with_actions(rb: &Runbook) -> String {
    let Ok(mut v) = serde_json::to_value(rb) else {
        return json(rb);
    };
    let steps = v
        .get_mut("sections")
        .and_then(|s| s.as_array_mut())
        .into_iter()
        .flatten()
        .filter_map(|s| s.get_mut("groups")?.as_array_mut())
        .flatten()
        .filter_map(|g| g.get_mut("steps")?.as_array_mut())
        .flatten();
    for step in steps {
        let commands: Vec<String> = step
            .get("commands")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        let actions: Vec<serde_json::Value> = commands.iter().map(|c| command_json(c)).collect();
        if let Some(obj) = step.as_object_mut() {
            obj.insert("actions".into(), serde_json::Value::Array(actions));
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn command_json(command: &str) -> serde_json::Value {
    use super::native::{Native, Recognised, recognise};
    match recognise(command) {
        Recognised::Native(n) if n.action.unavailable().is_some() => serde_json::json!({
            "command": command,
            "native": false,
            "reason": n.action.unavailable(),
        }),
        Recognised::Native(n) => {
            let mut obj = serde_json::json!({
                "command": command,
                "native": true,
                "target": n.action.target(),
            });
            if let Some(line) = n.action.command_line() {
                obj["sitrep"] = line.into();
            }
            if let (Some(o), Ok(serde_json::Value::Object(fields))) =
                (obj.as_object_mut(), serde_json::to_value(&n))
            {
                o.extend(fields);
                let holes = n.placeholders();
                if !holes.is_empty() {
                    o.insert("placeholders".into(), serde_json::json!(holes));
                }
                if matches!(
                    n.action,
                    Native::SetEnv { .. } | Native::ConfigMapSet { .. }
                ) {
                    o.insert(
                        "via".into(),
                        "the kill switch configured for this key (none: the shell)".into(),
                    );
                }
            }
            obj
        }
        Recognised::Shell(why) => serde_json::json!({
            "command": command,
            "native": false,
            "reason": why,
        }),
    }
}
