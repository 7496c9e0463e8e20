//! The incident header: mode banner, incident, severity, status, clocks.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::ui::format;

/// Draws the two header lines.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let banner_bg = theme.color(app.caps.banner_role);
    let banner = Style::default()
        .bg(banner_bg)
        .fg(theme.color("banner_text"))
        .add_modifier(
            Modifier::BOLD
                | if theme.monochrome {
                    Modifier::REVERSED
                } else {
                    Modifier::empty()
                },
        );
    let mut first = vec![Span::styled(format!(" {} ", app.caps.banner), banner)];
    if app.paused {
        first.push(Span::raw(" "));
        first.push(Span::styled(
            " PAUSED ",
            theme
                .fg("warn")
                .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
    }
    if let Some(rec) = &app.recorder {
        use crate::recording::recorder::RecorderState;
        let (text, role) = match &rec.state {
            RecorderState::LeadUp { lead_up } => (
                format!(" ● REC lead-up {} ", format::age(*lead_up)),
                "muted",
            ),
            RecorderState::Recording { .. } => (" ● REC ".to_string(), "crit"),
            RecorderState::Full { .. } => (" REC FULL ".to_string(), "warn"),
            RecorderState::Failed(_) => (" REC FAILED ".to_string(), "warn"),
        };
        first.push(Span::raw(" "));
        first.push(Span::styled(
            text,
            theme.fg(role).add_modifier(Modifier::BOLD),
        ));
        if rec.dropped > 0 {
            first.push(Span::styled(
                format!("{} unrecorded ", rec.dropped),
                theme.fg("warn"),
            ));
        }
    }
    if app.read_only {
        first.push(Span::styled(
            " read-only ",
            theme.fg("info").add_modifier(Modifier::BOLD),
        ));
    }
    let mut second = vec![Span::styled(
        format!(" {} UTC", app.now.strftime("%Y-%m-%d %H:%M:%S")),
        theme.fg("muted"),
    )];
    match &app.incident {
        Some(inc) => {
            let sev_role = match inc.severity {
                1 | 2 => "crit",
                3 => "warn",
                _ => "info",
            };
            first.push(Span::raw(" "));
            first.push(Span::styled(
                inc.id.clone(),
                theme.fg("accent").add_modifier(Modifier::BOLD),
            ));
            first.push(Span::styled(" · ", theme.fg("muted")));
            first.push(Span::styled(
                format!("SEV{}", inc.severity),
                theme.fg(sev_role).add_modifier(Modifier::BOLD),
            ));
            first.push(Span::styled(" · ", theme.fg("muted")));
            first.push(Span::styled(
                inc.status.as_str(),
                theme.fg("text").add_modifier(Modifier::BOLD),
            ));
            first.push(Span::styled(" · ", theme.fg("muted")));
            first.push(Span::styled(inc.title.clone(), theme.fg("text")));
            second.push(Span::styled("  elapsed ", theme.fg("muted")));
            second.push(Span::styled(
                format::clock(app.now.duration_since(inc.opened_at)),
                theme.fg("text").add_modifier(Modifier::BOLD),
            ));
            second.push(Span::styled("  ack ", theme.fg("muted")));
            second.push(match inc.acked_at {
                Some(t) => Span::styled(
                    format!("+{}", format::age(t.duration_since(inc.opened_at))),
                    theme.fg("ok"),
                ),
                None => Span::styled("waiting", theme.fg("warn")),
            });
            for d in app.deadlines().iter().take(2) {
                let left = d.due.duration_since(app.now);
                let (text, role) = if left.is_negative() {
                    (
                        format!("{} overdue {}", d.label, format::age(-left)),
                        "crit",
                    )
                } else {
                    let role = if left <= app.warn_before() {
                        "warn"
                    } else {
                        "muted"
                    };
                    (format!("{} in {}", d.label, format::age(left)), role)
                };
                let prefix = match d.kind {
                    crate::app::clocks::DeadlineKind::StatusUpdate => "  ",
                    crate::app::clocks::DeadlineKind::Escalation => "  escalate → ",
                };
                second.push(Span::styled(prefix, theme.fg("muted")));
                second.push(Span::styled(
                    text,
                    theme.fg(role).add_modifier(Modifier::BOLD),
                ));
            }
            for (role, who) in &inc.roles {
                second.push(Span::styled(format!("  {role} "), theme.fg("muted")));
                second.push(Span::styled(who.clone(), theme.fg("accent")));
            }
            if let Some(t) = inc.mitigated_at {
                second.push(Span::styled("  mitigated ", theme.fg("muted")));
                second.push(Span::styled(
                    format!("+{}", format::age(t.duration_since(inc.opened_at))),
                    theme.fg("ok"),
                ));
            }
        }
        None => {
            first.push(Span::styled("  no incident open", theme.fg("muted")));
        }
    }
    if let Some(v) = &app.verifying {
        second.push(Span::styled(
            format!(
                "  watching {} {}",
                v.action.command_line(),
                crate::app::verify::since(app.now.duration_since(v.started))
            ),
            theme.fg("info"),
        ));
    } else if let Some(v) = &app.verdict {
        let role = if v.contains("recovered") {
            "ok"
        } else {
            "warn"
        };
        second.push(Span::styled(format!("  {v}"), theme.fg(role)));
    }
    if let Some(crate::app::state::SourceError {
        source: src,
        error: err,
        since,
    }) = app.source_errors.first()
    {
        second.push(Span::styled(
            format!("  {src} stale since {}: {err}", format::time_of_day(*since)),
            theme.fg("crit"),
        ));
    }
    if let Some(why) = &app.journal_failing {
        // First on the line: what is on screen may not be on disk yet.
        second.insert(
            0,
            Span::styled(
                format!(" JOURNAL FAILING: {why} "),
                theme
                    .fg("crit")
                    .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
        );
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}
