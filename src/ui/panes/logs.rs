//! The merged log tail: a colour per pod, level colours, filter, follow and wrap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::app::logs::LogLevel;
use crate::ui::{format, truncate};

/// The logs pane's title facts: count, filter, follow, drops.
pub fn title(app: &App) -> String {
    let l = &app.logs;
    let mut parts = Vec::new();
    // Loki reads every pod of the workload through its selector; the pod tail's count of
    // streams says nothing then.
    let from_loki = app
        .log_source
        .status
        .as_ref()
        .is_some_and(|s| s.backend == "loki");
    if from_loki && let Some(t) = &app.pods.tailing {
        let seen = app
            .pods
            .workloads
            .contains_key(&crate::app::state::WorkloadKey::new(
                &t.namespace,
                &t.workload,
            ));
        parts.push(match (&t.pod, &t.service) {
            (Some(pod), _) => format!("pod {pod}"),
            // No workload of it is seen (no cluster): Loki reads the service as a whole.
            (None, Some(service)) if !seen => format!("service {service}: all pods"),
            (None, _) => format!("{}: all pods", t.workload),
        });
    } else if let Some(tail) = app.pods.tail.describe() {
        parts.push(tail);
    } else if app.caps.log_tailer {
        parts.push("not tailing: select a workload".into());
    }
    parts.extend(app.log_source.describe());
    parts.push(format!("{} lines", l.visible_len()));
    if let Some(f) = l.filter() {
        parts.push(format!("filter /{}/", f.source));
        if l.context > 0 {
            parts.push(format!("±{}", l.context));
        }
    }
    parts.push(if l.follow {
        "following".into()
    } else {
        format!("paused ↑{}", l.scroll)
    });
    if l.wrap {
        parts.push("wrap".into());
    }
    if l.raw {
        parts.push("raw".into());
    }
    if l.dropped > 0 {
        parts.push(format!("{} dropped", l.dropped));
    }
    parts.join(" · ")
}

/// Draws the lines that fit.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let area = super::forbidden::notes(frame, area, app, crate::command::Pane::Logs);
    let theme = &app.theme;
    if app.logs.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no log lines yet", theme.fg("muted"))),
            area,
        );
        return;
    }
    let width = area.width as usize;
    let lines: Vec<Line> = app
        .logs
        .window(area.height as usize)
        .into_iter()
        .map(|l| {
            if l.marker {
                // A gap in the evidence: across the pane, never cut off by the pod column.
                let text = format!("── {} ──", l.text);
                return Line::from(Span::styled(
                    truncate(&text, width),
                    theme.fg("warn").add_modifier(Modifier::BOLD),
                ));
            }
            let pod_style = Style::default().fg(theme.pod_color(l.pod_slot));
            let context_line =
                app.logs.context > 0 && app.logs.filter().is_some_and(|f| !f.keeps(l));
            let text_style = match l.level {
                LogLevel::Error => theme.fg("crit").add_modifier(Modifier::BOLD),
                LogLevel::Warn => theme.fg("warn"),
                LogLevel::Debug => theme.fg("muted"),
                LogLevel::Info => theme.fg("text"),
            };
            // Context lines around matches are dimmed, so the matches stand out.
            let text_style = if context_line {
                theme.fg("muted")
            } else {
                text_style
            };
            let pod = short_pod(&l.pod);
            let prefix = format!("{} {pod:<14} ", format::time_of_day(l.at));
            let rest = width.saturating_sub(prefix.chars().count());
            let shown = l.shown(app.logs.raw);
            let text = if app.logs.wrap {
                shown.to_string()
            } else {
                truncate(shown, rest)
            };
            Line::from(vec![
                Span::styled(prefix, pod_style),
                Span::styled(text, text_style),
            ])
        })
        .collect();
    let mut p = Paragraph::new(lines);
    if app.logs.wrap {
        // Wrapped lines take more rows: show the newest ones by scrolling past the overflow.
        p = p.wrap(Wrap { trim: false });
        let rows = p.line_count(area.width) as u16;
        p = p.scroll((rows.saturating_sub(area.height), 0));
    }
    frame.render_widget(p, area);
}

/// The distinguishing tail of a pod name: `serving-7c9f-x2b4k` → `7c9f-x2b4k`.
fn short_pod(name: &str) -> String {
    let parts: Vec<&str> = name.rsplitn(3, '-').collect();
    let short = match parts.as_slice() {
        [suffix, hash, _] => format!("{hash}-{suffix}"),
        _ => name.to_string(),
    };
    truncate(&short, 14)
}
