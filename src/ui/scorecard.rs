//! The scorecard overlay: a drill's result beside its reference path.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::app::App;
use crate::drill::scorecard::Scorecard;
use crate::ui::dialogs::centered;

/// Draws the scorecard on top of the panes.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, scroll: u16, quit_after: bool) {
    let Some(card) = app.drill.as_ref().and_then(|d| d.card.as_deref()) else {
        return;
    };
    let rect = centered(area, 110.min(area.width), area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    let close = if quit_after {
        "q/esc quits"
    } else {
        "esc closes"
    };
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(app.theme.fg("border_focused"))
        .title(Span::styled(
            format!(" scorecard · {} · {close} ", card.drill),
            app.theme.fg("title").add_modifier(Modifier::BOLD),
        ));
    let width = rect.width.saturating_sub(2) as usize;
    frame.render_widget(
        Paragraph::new(lines(app, card, width))
            .block(block)
            .scroll((scroll, 0)),
        rect,
    );
}

/// The scorecard as styled lines `width` columns wide.
pub fn lines(app: &App, card: &Scorecard, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let text = t.fg("text");
    let bold = text.add_modifier(Modifier::BOLD);
    let good = t.fg("ok");
    let bad = t.fg("crit");
    let warn = t.fg("warn");
    let verdict_style = |v: &str| match v {
        "done" | "expected" => good,
        "late" | "wrong" | "skipped" | "out_of_order" | "failed" => warn,
        "missing" | "worse" | "unsafe" => bad,
        _ => text,
    };
    let fit = |s: &str, w: usize| crate::ui::truncate(&crate::app::logs::sanitize(s), w);
    let mut out = vec![
        Line::from(Span::styled(fit(&card.title, width), bold)),
        Line::from(vec![
            Span::styled(
                format!(
                    "{} after {} · score {}/{} ({}%) · pass at {}%: ",
                    card.end.as_str(),
                    card.duration,
                    card.points,
                    card.max,
                    card.percent,
                    card.pass
                ),
                text,
            ),
            if card.passed {
                Span::styled("PASSED", good.add_modifier(Modifier::BOLD))
            } else {
                Span::styled("NOT PASSED", bad.add_modifier(Modifier::BOLD))
            },
        ]),
        Line::from(""),
        Line::from(Span::styled(
            format!(
                "from the first alert: acknowledged {} · first correct action {} · mitigated {}",
                card.times.to_acknowledge,
                card.times.to_first_correct_action,
                card.times.to_mitigation
            ),
            text,
        )),
        Line::from(""),
    ];
    if let Some(c) = &card.original {
        let col = width.saturating_sub(4) / 3;
        out.push(Line::from(Span::styled(
            format!(
                "{:<col$}  {:<col$}  original responder",
                "from the first alert", "yours"
            ),
            bold,
        )));
        for r in &c.rows {
            out.push(Line::from(Span::styled(
                fit(
                    &format!("{:<col$}  {:<col$}  {}", r.measure, r.yours, r.original),
                    width,
                ),
                text,
            )));
        }
        let theirs: Vec<String> = c
            .original_actions
            .iter()
            .map(|(at, cmd)| format!("{at} {cmd}"))
            .collect();
        out.push(Line::from(Span::styled(
            fit(
                &format!(
                    "the original responder did: {}",
                    if theirs.is_empty() {
                        "nothing that changed the world".to_string()
                    } else {
                        theirs.join(" · ")
                    }
                ),
                width,
            ),
            t.fg("muted"),
        )));
        out.push(Line::from(""));
    }
    // Side by side: the reference path on the left, the trainee's response on the right.
    let half = width.saturating_sub(12) / 2;
    out.push(Line::from(Span::styled(
        format!("{:<half$}  {:<half$}  result", "reference path", "yours"),
        bold,
    )));
    for r in &card.reference {
        let left = format!("{} ({})", r.step, r.by);
        let right = match (&r.yours, &r.at) {
            (Some(y), Some(at)) => format!("{y} at {at}"),
            _ => "—".into(),
        };
        out.push(Line::from(vec![
            Span::styled(format!("{:<half$}  ", fit(&left, half)), text),
            Span::styled(format!("{:<half$}  ", fit(&right, half)), text),
            Span::styled(r.result.clone(), verdict_style(&r.result)),
        ]));
        if !r.why.is_empty() {
            out.push(Line::from(Span::styled(
                format!("  {}", fit(&r.why, width.saturating_sub(2))),
                t.fg("muted"),
            )));
        }
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("your actions", bold)));
    if card.actions.is_empty() {
        out.push(Line::from(Span::styled("  none", text)));
    }
    for a in &card.actions {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<9} ", a.at), text),
            Span::styled(format!("{:<8} ", a.verdict), verdict_style(&a.verdict)),
            Span::styled(fit(&a.command, width / 2), bold),
        ]));
        out.push(Line::from(Span::styled(
            format!("            {}", fit(&a.note, width.saturating_sub(12))),
            t.fg("muted"),
        )));
    }
    if let Some(rb) = &card.runbook {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled(
            fit(
                &format!(
                    "runbook: {} · {}/{} done, {} skipped, {} out of order",
                    rb.section, rb.done, rb.total, rb.skipped, rb.out_of_order
                ),
                width,
            ),
            bold,
        )));
        for s in &rb.steps {
            let mark = match s.state.as_str() {
                "done" | "out_of_order" => "[x]",
                _ => "[ ]",
            };
            out.push(Line::from(vec![
                Span::styled(format!("  {mark} "), text),
                Span::styled(
                    format!("{:<13}", s.state.replace('_', " ")),
                    verdict_style(&s.state),
                ),
                Span::styled(fit(&s.text, width.saturating_sub(20)), text),
            ]));
        }
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("score", bold)));
    for l in &card.lines {
        let style = if l.starts_with('-') { bad } else { text };
        out.push(Line::from(Span::styled(
            format!("  {}", fit(l, width)),
            style,
        )));
    }
    for f in &card.files {
        out.push(Line::from(Span::styled(
            format!("written to {}", fit(f, width.saturating_sub(11))),
            t.fg("muted"),
        )));
    }
    out
}
