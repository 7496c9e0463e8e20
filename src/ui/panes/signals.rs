//! Signals: value against thresholds, a gauge and a sparkline per signal.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use crate::app::App;
use jiff::Timestamp;

use crate::app::state::SignalState;
use crate::event::{Direction, Level, SloStatus};
use crate::ui::{format, level_role, truncate};

use super::{changes, health};

/// Draws every signal (value; sparkline with change marks; SLO burn pairs when there is
/// room), then the health probes' strip.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let health_rows = u16::from(!app.health.is_empty());
    let area = Rect {
        height: area.height.saturating_sub(health_rows),
        ..area
    };
    if health_rows > 0 {
        let strip = Rect::new(area.x, area.bottom(), area.width, 1);
        frame.render_widget(
            Paragraph::new(health::strip(app, area.width as usize)),
            strip,
        );
    }
    if app.signals.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no signals yet", theme.fg("muted"))),
            area,
        );
        return;
    }
    let slos = app.signals.iter().filter(|s| s.slo.is_some()).count();
    let two_rows = area.height as usize >= app.signals.len() * 2;
    let three_rows = area.height as usize >= app.signals.len() * 2 + slos;
    let changes = changes::marks(app);
    // The selected alert's service, resolved once for every row.
    let service = app.selected_service_config();
    let mut y = area.y;
    for s in &app.signals {
        if y >= area.bottom() {
            break;
        }
        let row = Rect::new(area.x, y, area.width, 1);
        let budget = if three_rows { None } else { s.slo.as_ref() };
        frame.render_widget(
            Paragraph::new(value_line(
                app,
                s,
                budget,
                area.width as usize,
                service.is_some_and(|svc| svc.has_signal(&s.def.name)),
            )),
            row,
        );
        y += 1;
        if two_rows && y < area.bottom() {
            let row = Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1);
            match &s.stale {
                Some((error, since)) => frame.render_widget(
                    Paragraph::new(Span::styled(
                        truncate(
                            &format!("stale since {}: {error}", format::time_of_day(*since)),
                            row.width as usize,
                        ),
                        theme.fg("crit"),
                    )),
                    row,
                ),
                None => match &s.no_data {
                    Some(query) => frame.render_widget(
                        Paragraph::new(Span::styled(
                            truncate(&format!("no data: {query}"), row.width as usize),
                            theme.fg("muted"),
                        )),
                        row,
                    ),
                    None => draw_sparkline(frame, row, app, s, &changes),
                },
            }
            y += 1;
        }
        if three_rows
            && y < area.bottom()
            && let Some(slo) = &s.slo
        {
            let row = Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1);
            frame.render_widget(Paragraph::new(burn_line(app, slo)), row);
            y += 1;
        }
    }
}

/// `budget 42%` and its colour: red when spent, amber under a quarter.
fn budget_text(slo: &SloStatus) -> (String, &'static str) {
    let role = match slo.budget_left {
        Some(b) if b <= 0.0 => "crit",
        Some(b) if b < 0.25 => "warn",
        Some(_) => "ok",
        None => "muted",
    };
    let left = slo
        .budget_left
        .map_or("?".into(), |b| format!("{:.0}%", b * 100.0));
    (format!("budget {left}"), role)
}

/// `budget 42% · 1h/5m 15.1×/16.0× ▲ · 6h/30m 2.0×/2.2× ...`, firing pairs in red.
fn burn_line(app: &App, slo: &SloStatus) -> Line<'static> {
    let theme = &app.theme;
    let rate = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.1}×"));
    let (text, role) = budget_text(slo);
    let mut spans = vec![Span::styled(
        format!("{text} of {}%/{} · ", slo.objective, slo.window),
        theme.fg(role),
    )];
    for b in &slo.burn {
        let style = if b.firing {
            theme.fg("crit").add_modifier(Modifier::BOLD)
        } else {
            theme.fg("muted")
        };
        spans.push(Span::styled(
            format!(
                "{}/{} {}/{}{} ",
                b.long,
                b.short,
                rate(b.long_rate),
                rate(b.short_rate),
                if b.firing {
                    format!(" >{}× ▲", b.factor)
                } else {
                    String::new()
                }
            ),
            style,
        ));
    }
    Line::from(spans)
}

/// The value, its gauge, then the thresholds; or, for an SLO signal without a burn row of
/// its own, the error budget left, which matters more.
fn value_line(
    app: &App,
    s: &SignalState,
    budget: Option<&SloStatus>,
    width: usize,
    ours: bool,
) -> Line<'static> {
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
    } else if s.no_data.is_some() {
        "no data".to_string()
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
    let budget = budget.map(budget_text);
    // The budget, when shown, takes room from a long name rather than being cut off.
    let extra = budget.as_ref().map_or(0, |(t, _)| t.chars().count() + 1);
    let name_w = width
        .saturating_sub(value.chars().count().max(9) + gauge_w + 5 + extra)
        .min(24);
    // The selected alert's service names this signal: a marker and the accent colour.
    let (mark, name_style) = if ours {
        ("▸", theme.fg("accent").add_modifier(Modifier::BOLD))
    } else {
        (" ", theme.fg("text"))
    };
    let mut spans = vec![
        Span::styled(format!("{icon}{mark}"), style),
        Span::styled(
            format!("{:<name_w$}", truncate(&s.def.name, name_w)),
            name_style,
        ),
        Span::styled(format!(" {value:>9} "), style.add_modifier(Modifier::BOLD)),
        Span::styled(gauge(s, gauge_w), style),
    ];
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if let Some((text, role)) = budget {
        if width > used + text.chars().count() + 1 {
            spans.push(Span::styled(format!(" {text}"), theme.fg(role)));
        }
    } else if width > used + threshold.chars().count() {
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

/// Columns of the sparkline: each a time span and the last value in it. Live series are
/// laid over the last hour (one column per `hour / width`); drills show their last samples.
fn columns(app: &App, s: &SignalState, width: usize) -> Vec<(Timestamp, Option<f64>)> {
    if width == 0 {
        return Vec::new();
    }
    if !s.series_fed {
        let start = s.history.len().saturating_sub(width);
        return s
            .history
            .iter()
            .skip(start)
            .map(|(t, v)| (*t, Some(*v)))
            .collect();
    }
    let span = crate::sources::prometheus::SPARK_SPAN.as_secs_f64();
    let bucket = span / width as f64;
    let start = app.now.as_second() as f64 - span;
    let mut cols: Vec<(Timestamp, Option<f64>)> = (0..width)
        .map(|i| {
            let t = start + bucket * i as f64;
            (Timestamp::from_second(t as i64).unwrap_or(app.now), None)
        })
        .collect();
    for (t, v) in &s.history {
        let i = ((t.as_second() as f64 - start) / bucket).floor();
        if i >= 0.0 && (i as usize) < width {
            cols[i as usize].1 = Some(*v);
        }
    }
    cols
}

fn draw_sparkline(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    s: &SignalState,
    marks: &[(Timestamp, char, String)],
) {
    let cols = columns(app, s, area.width as usize);
    let values = || cols.iter().filter_map(|(_, v)| *v);
    let lo = values().fold(f64::INFINITY, f64::min);
    let hi = values().chain(s.def.crit).fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return;
    }
    let floor = lo.min(hi) * 0.9;
    let span = (hi - floor).max(f64::EPSILON);
    let data: Vec<Option<u64>> = cols
        .iter()
        .map(|(_, v)| v.map(|v| (((v - floor) / span) * 100.0).round() as u64 + 1))
        .collect();
    let level = s.level();
    frame.render_widget(
        Sparkline::default()
            .data(data)
            .max(100)
            .absent_value_symbol(" ")
            .style(app.theme.fg(level_role(level))),
        area,
    );
    // Changes land on the column whose time span holds them, so cause lines up with effect.
    let Some(first) = cols.first() else {
        return;
    };
    for (at, mark, _) in marks {
        if *at < first.0 || *at > app.now {
            continue;
        }
        let col = cols.iter().rposition(|(t, _)| t <= at).unwrap_or(0);
        let x = area.x + col as u16;
        if let Some(cell) = frame.buffer_mut().cell_mut((x, area.y)) {
            cell.set_char(*mark)
                .set_style(app.theme.fg("info").add_modifier(Modifier::BOLD));
        }
    }
    // In a replay, the original responder's actions: a hollow ring, dim and italic as
    // their timeline rows are, so they are never taken for a change or for the trainee.
    let ghost = app
        .theme
        .fg("muted")
        .add_modifier(Modifier::ITALIC | Modifier::DIM);
    for e in &app.replay.ghosts {
        if e.at < first.0 || e.at > app.now {
            continue;
        }
        let col = cols.iter().rposition(|(t, _)| *t <= e.at).unwrap_or(0);
        let x = area.x + col as u16;
        if let Some(cell) = frame.buffer_mut().cell_mut((x, area.y)) {
            cell.set_char(GHOST).set_style(ghost);
        }
    }
}

/// The mark of an original responder's action on a sparkline.
pub const GHOST: char = '◌';

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::{Event, Observation, SignalDef};
    use crate::journal::{Entry, Kind};
    use crate::replay::ReplayEvent;

    #[test]
    fn a_replay_marks_the_original_responders_actions_on_the_sparklines() {
        let start = Timestamp::from_second(1_795_000_000).unwrap();
        let at = |s: i64| start + jiff::SignedDuration::from_secs(s);
        let mut app = App::new(
            crate::app::Mode::Replay {
                file: "INC-1.sitrec".into(),
                speed: 1.0,
            },
            crate::config::Config::default(),
            crate::config::Keymap::load("default", None).unwrap(),
            crate::config::Theme::load("dark", None, false).unwrap(),
            "trainee".into(),
            start,
        );
        app.update(Event::Observed(
            start,
            Observation::SignalDefined(SignalDef {
                name: "5xx rate".into(),
                unit: "percent".into(),
                ..Default::default()
            }),
        ));
        for i in 0..40 {
            app.update(Event::Observed(
                at(i),
                Observation::Signal {
                    name: "5xx rate".into(),
                    value: Some(i as f64),
                },
            ));
        }
        let sparkline_row = |app: &App| {
            let backend = ratatui::backend::TestBackend::new(120, 40);
            let Ok(mut terminal) = ratatui::Terminal::new(backend);
            let Ok(_) = terminal.draw(|f| draw(f, ratatui::layout::Rect::new(0, 0, 40, 4), app));
            let buf = terminal.backend().buffer().clone();
            (0..40u16).map(|x| buf[(x, 1)].clone()).collect::<Vec<_>>()
        };
        assert!(!sparkline_row(&app).iter().any(|c| c.symbol() == "◌"));
        let mut ack = Entry::new(at(20), "bob", Kind::Ack, "HighErrorRate".to_string());
        ack.outcome = None;
        app.update(Event::Replay(ReplayEvent::Ghost(ack)));
        let row = sparkline_row(&app);
        let marked: Vec<_> = row.iter().filter(|c| c.symbol() == "◌").collect();
        assert_eq!(marked.len(), 1, "one ghost, one mark");
        assert!(
            marked[0]
                .modifier
                .contains(Modifier::ITALIC | Modifier::DIM)
        );
        // Its column is the sample at the ghost's time (the sparkline starts at +2s).
        let x = row.iter().position(|c| c.symbol() == "◌").unwrap();
        assert_eq!(x, 2 + 20 - 2);
    }
}
