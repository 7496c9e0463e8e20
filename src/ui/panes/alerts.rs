//! Alerts: firing first, worst first, with acks and the runbook section that answers them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::logs::sanitize;
use crate::event::AlertState;
use crate::ui::{format, truncate};

/// Draws the alert list; the selected alert also shows its summary and runbook match.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let width = area.width as usize;
    let mut lines = Vec::new();
    if let Some(crate::app::state::SourceError { error, since, .. }) =
        app.source_errors.get("alerts")
    {
        lines.push(Line::from(Span::styled(
            truncate(
                &format!(
                    "stale since {}: {}",
                    format::time_of_day(*since),
                    sanitize(error)
                ),
                width,
            ),
            theme.fg("crit"),
        )));
    }
    if app.alerts.is_empty() {
        lines.push(Line::from(Span::styled("nothing firing", theme.fg("ok"))));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    for (i, a) in app.alerts.iter().enumerate() {
        let firing = a.status.state == AlertState::Firing;
        let sev_role = match a.status.severity.as_str() {
            "critical" | "page" => "crit",
            "warning" => "warn",
            _ => "info",
        };
        let state_style = if firing {
            theme.fg(sev_role).add_modifier(Modifier::BOLD)
        } else {
            theme.fg("muted")
        };
        let since = format::age(app.now.duration_since(a.status.since));
        let silenced = app.silence_of(a).is_some();
        let ack = if silenced {
            "~"
        } else if a.acked {
            "✓"
        } else if firing {
            "!"
        } else {
            " "
        };
        let mut spans = vec![
            Span::styled(
                format!("{ack} "),
                if a.acked {
                    theme.fg("ok")
                } else {
                    theme.fg("warn")
                },
            ),
            Span::styled(format!("{:<9}", a.status.state.as_str()), state_style),
            Span::styled(
                format!("{} ", sanitize(&a.status.name)),
                if firing {
                    theme.fg("text").add_modifier(Modifier::BOLD)
                } else {
                    theme.fg("muted")
                },
            ),
            Span::styled(format!("{} ", a.status.severity), theme.fg(sev_role)),
            Span::styled(since, theme.fg("muted")),
        ];
        if silenced {
            spans.push(Span::styled(" silenced", theme.fg("muted")));
        }
        if i == app.alerts.selected {
            spans = spans
                .into_iter()
                .map(|s| s.patch_style(theme.selected()))
                .collect();
        }
        lines.push(Line::from(spans));
        if i == app.alerts.selected || area.height as usize >= app.alerts.len() * 2 {
            let detail = if a.status.detail.is_empty() {
                sanitize(&a.status.summary)
            } else {
                format!(
                    "{} ({})",
                    sanitize(&a.status.summary),
                    sanitize(&a.status.detail)
                )
            };
            lines.push(Line::from(Span::styled(
                format!("    {}", truncate(&detail, width.saturating_sub(4))),
                theme.fg("muted"),
            )));
            if i == app.alerts.selected
                && let Some(found) = app.selected_service()
            {
                // Which service (and so which workloads) this alert selects, or why none:
                // never silently the first one.
                let none = found.workloads().is_empty();
                let shown = found.service().is_some() || none;
                if shown {
                    lines.push(Line::from(Span::styled(
                        format!(
                            "    {}",
                            truncate(
                                &sanitize(&found.describe(&a.status)),
                                width.saturating_sub(4)
                            )
                        ),
                        theme.fg(if none { "warn" } else { "info" }),
                    )));
                }
            }
            if i == app.alerts.selected {
                // Every other alert keeps its row; what is left may list more changes.
                let room = (area.height as usize).saturating_sub(app.alerts.len() * 2 + 6);
                lines.extend(super::alert_fix::lines(app, i, width, room));
            }
            if i == app.alerts.selected && !a.status.description.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!(
                        "    {}",
                        truncate(&sanitize(&a.status.description), width.saturating_sub(4))
                    ),
                    theme.fg("muted"),
                )));
            }
            if i == app.alerts.selected
                && a.runbook.is_none()
                && let Some(url) = &a.status.runbook_url
            {
                lines.push(Line::from(Span::styled(
                    format!(
                        "    runbook: {}",
                        truncate(&sanitize(url), width.saturating_sub(13))
                    ),
                    theme.fg("info"),
                )));
            }
            if i == app.alerts.selected
                && let Some((_, _, rule)) = &a.runbook
            {
                lines.push(Line::from(Span::styled(
                    format!("    runbook: {}", truncate(rule, width.saturating_sub(13))),
                    theme.fg("info"),
                )));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
