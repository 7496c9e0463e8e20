//! Signals: value against thresholds, a gauge and a sparkline per signal.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::app::App;
use crate::app::state::SignalState;
use crate::event::{Direction, Level};
use crate::ui::{format, level_role, truncate};

/// Draws every signal: two rows each when there is room, one otherwise.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if app.signals.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no signals yet", theme.fg("muted"))),
            area,
        );
        return;
    }
    let two_rows = area.height as usize >= app.signals.len() * 2;
    let mut y = area.y;
    for s in &app.signals {
        if y >= area.bottom() {
            break;
        }
        let row = Rect::new(area.x, y, area.width, 1);
        frame.render_widget(Paragraph::new(value_line(app, s, area.width as usize)), row);
        y += 1;
        if two_rows && y < area.bottom() {
            let spark = Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1);
            draw_sparkline(frame, spark, app, s);
            y += 1;
        }
    }
}

fn value_line(app: &App, s: &SignalState, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let level = s.level();
    let style = theme.fg(level_role(level));
    let icon = match level {
        Level::Crit => "▲",
        Level::Warn => "△",
        Level::Ok => "●",
        Level::Unknown => "○",
    };
    let value = if s.stale.is_some() {
        "stale".to_string()
    } else {
        format::value(s.value, &s.def.unit)
    };
    let cmp = if s.def.direction == Direction::Above {
        ">"
    } else {
        "<"
    };
    let threshold = match (s.def.warn, s.def.crit) {
        (Some(w), Some(c)) => format!(
            " warn{cmp}{} crit{cmp}{}",
            format::value(Some(w), &s.def.unit),
            format::value(Some(c), &s.def.unit)
        ),
        (None, Some(c)) => format!(" crit{cmp}{}", format::value(Some(c), &s.def.unit)),
        (Some(w), None) => format!(" warn{cmp}{}", format::value(Some(w), &s.def.unit)),
        (None, None) => String::new(),
    };
    let gauge_w = 10usize;
    let name_w = width
        .saturating_sub(value.chars().count() + gauge_w + 5)
        .min(24);
    let mut spans = vec![
        Span::styled(format!("{icon} "), style),
        Span::styled(
            format!("{:<name_w$}", truncate(&s.def.name, name_w)),
            theme.fg("text"),
        ),
        Span::styled(format!(" {value:>9} "), style.add_modifier(Modifier::BOLD)),
        Span::styled(gauge(s, gauge_w), style),
    ];
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if width > used + threshold.chars().count() {
        spans.push(Span::styled(threshold, theme.fg("muted")));
    }
    Line::from(spans)
}

/// A bar of the value against 1.25× the critical threshold.
fn gauge(s: &SignalState, width: usize) -> String {
    let Some(v) = s.value else {
        return " ".repeat(width);
    };
    let full_scale = match (s.def.direction, s.def.crit, s.def.warn) {
        (Direction::Above, Some(c), _) => c * 1.25,
        (Direction::Above, None, Some(w)) => w * 1.25,
        _ => 100.0,
    };
    let frac = match s.def.direction {
        Direction::Above => v / full_scale,
        // For "bad when low" signals the bar shows how far from perfect: full is bad.
        Direction::Below => match s.def.crit {
            Some(c) if c < 100.0 => (100.0 - v) / ((100.0 - c) * 1.25),
            _ => 0.0,
        },
    };
    let filled = ((frac.clamp(0.0, 1.0)) * width as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn draw_sparkline(frame: &mut Frame, area: Rect, app: &App, s: &SignalState) {
    let width = area.width as usize;
    let start = s.history.len().saturating_sub(width);
    let points: Vec<f64> = s.history.iter().skip(start).copied().collect();
    let lo = points.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = points
        .iter()
        .copied()
        .chain(s.def.crit)
        .fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return;
    }
    let floor = lo.min(hi) * 0.9;
    let span = (hi - floor).max(f64::EPSILON);
    let data: Vec<u64> = points
        .iter()
        .map(|v| (((v - floor) / span) * 100.0).round() as u64 + 1)
        .collect();
    let level = s.level();
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .max(100)
            .style(app.theme.fg(level_role(level))),
        area,
    );
}
