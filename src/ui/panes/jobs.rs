//! The pods pane's jobs view: failing Jobs first with their attempts against the backoff
//! limit (three or more in the warning colour), the Failed condition's reason and the
//! failing pods; then the CronJobs with their schedule and whether they are suspended.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::jobs::JobRow;
use crate::app::logs::sanitize;
use crate::cluster::jobs::REPEATED_FAILURES;
use crate::ui::{format, truncate};

/// Draws the rows that fit, keeping the selected row in view.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let rows = app.job_rows();
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no Jobs or CronJobs (yet)", theme.fg("muted"))),
            area,
        );
        return;
    }
    let height = area.height as usize;
    let width = area.width as usize;
    let offset = app
        .cluster
        .job_selected
        .saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let spans = match r {
                JobRow::Job(j) => {
                    let role = match j.state() {
                        "Failed" => "crit",
                        "Complete" => "ok",
                        _ if j.failed > 0 => "warn",
                        _ => "info",
                    };
                    let mut spans = vec![
                        Span::styled(format!("job {} ", sanitize(&j.name)), theme.fg("title")),
                        Span::styled(
                            format!("{} ", j.state()),
                            theme.fg(role).add_modifier(Modifier::BOLD),
                        ),
                    ];
                    let repeated = j.failed >= REPEATED_FAILURES;
                    let attempts = if repeated {
                        format!("{} ≥{REPEATED_FAILURES} ", j.attempts())
                    } else {
                        format!("{} ", j.attempts())
                    };
                    spans.push(Span::styled(
                        attempts,
                        if repeated {
                            theme.fg("warn").add_modifier(Modifier::BOLD)
                        } else {
                            theme.fg("muted")
                        },
                    ));
                    if let Some((reason, _)) = &j.failed_reason {
                        spans.push(Span::styled(
                            format!("{} ", sanitize(reason)),
                            theme.fg("crit"),
                        ));
                    }
                    if j.active > 0 {
                        spans.push(Span::styled(
                            format!("active {} ", j.active),
                            theme.fg("muted"),
                        ));
                    }
                    let failed: Vec<String> = j
                        .pods
                        .iter()
                        .filter(|p| p.phase == "Failed" || p.reason.is_some())
                        .map(|p| {
                            let mut s = sanitize(&p.name);
                            if let Some(r) = &p.reason {
                                s.push_str(&format!(" {}", sanitize(r)));
                            }
                            if let Some(c) = p.exit_code {
                                s.push_str(&format!(" exit {c}"));
                            }
                            s
                        })
                        .collect();
                    if !failed.is_empty() {
                        spans.push(Span::styled(
                            format!("pods {} ", failed.join(", ")),
                            theme.fg("muted"),
                        ));
                    }
                    if let Some(t) = j.started {
                        spans.push(Span::styled(
                            format!("started {} ago", format::age(app.now.duration_since(t))),
                            theme.fg("muted"),
                        ));
                    }
                    spans
                }
                JobRow::CronJob(c) => {
                    let mut spans = vec![
                        Span::styled(format!("cronjob {} ", sanitize(&c.name)), theme.fg("title")),
                        Span::styled(format!("`{}` ", sanitize(&c.schedule)), theme.fg("accent")),
                    ];
                    if c.suspend {
                        spans.push(Span::styled(
                            "Suspended ",
                            theme.fg("warn").add_modifier(Modifier::BOLD),
                        ));
                    }
                    spans.push(Span::styled(
                        format!("active {} ", c.active),
                        theme.fg("muted"),
                    ));
                    if let Some(t) = c.last_schedule {
                        spans.push(Span::styled(
                            format!("last run {} ago ", format::age(app.now.duration_since(t))),
                            theme.fg("muted"),
                        ));
                    }
                    if let Some(t) = c.last_success {
                        spans.push(Span::styled(
                            format!(
                                "last success {} ago",
                                format::age(app.now.duration_since(t))
                            ),
                            theme.fg("muted"),
                        ));
                    }
                    spans
                }
            };
            let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
            let spans = if used > width {
                let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
                vec![Span::styled(truncate(&text, width), theme.fg("text"))]
            } else {
                spans
            };
            let line = Line::from(spans);
            if i == app.cluster.job_selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// The pods pane's title in the jobs view.
pub fn title(app: &App) -> String {
    let b = &app.cluster.batch;
    let failing = b.jobs.iter().filter(|j| j.failing()).count();
    format!(
        "jobs · {} · {failing} failing · cronjobs {}",
        b.jobs.len(),
        b.cronjobs.len()
    )
}
