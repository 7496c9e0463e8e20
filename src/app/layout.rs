//! Where each pane goes. Pure, so mouse hit-testing uses exactly what was drawn.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::App;
use crate::command::Pane;

/// Screen regions for one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    /// The pane tabs, shown when the screen is too small for every pane.
    pub tabs: Option<Rect>,
    pub panes: Vec<(Pane, Rect)>,
    pub status: Rect,
}

/// Whether every pane fits at once.
pub fn is_wide(area: Rect) -> bool {
    area.width >= 120 && area.height >= 32
}

/// Lays out the screen for `app` in `area`.
pub fn areas(area: Rect, app: &App) -> Areas {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if app.zoom {
        return Areas {
            header,
            tabs: None,
            panes: vec![(app.focus, body)],
            status,
        };
    }
    if !is_wide(area) {
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        // Small screens keep the signals in view: they are what tells whether it is getting better.
        let signal_rows = (app.signals.len() as u16 + 2).min(body.height / 3);
        if app.focus != Pane::Signals && signal_rows >= 3 && body.height >= 12 {
            let [sig, rest] =
                Layout::vertical([Constraint::Length(signal_rows), Constraint::Min(1)]).areas(body);
            return Areas {
                header,
                tabs: Some(tabs),
                panes: vec![(Pane::Signals, sig), (app.focus, rest)],
                status,
            };
        }
        return Areas {
            header,
            tabs: Some(tabs),
            panes: vec![(app.focus, body)],
            status,
        };
    }
    let [left, middle, right] = Layout::horizontal([
        Constraint::Percentage(30),
        Constraint::Percentage(40),
        Constraint::Percentage(30),
    ])
    .areas(body);
    let signals_h = (app.signals.len() as u16 * 2 + 2).clamp(6, left.height / 2);
    let [signals, alerts] =
        Layout::vertical([Constraint::Length(signals_h), Constraint::Min(4)]).areas(left);
    let [pods, logs] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(middle);
    let gpus_h = (app.gpus.len() as u16 + 3).clamp(5, right.height / 4);
    let [gpus, runbook, timeline] = Layout::vertical([
        Constraint::Length(gpus_h),
        Constraint::Percentage(55),
        Constraint::Min(5),
    ])
    .areas(right);
    Areas {
        header,
        tabs: None,
        panes: vec![
            (Pane::Signals, signals),
            (Pane::Alerts, alerts),
            (Pane::Pods, pods),
            (Pane::Logs, logs),
            (Pane::Gpus, gpus),
            (Pane::Runbook, runbook),
            (Pane::Timeline, timeline),
        ],
        status,
    }
}

/// The pane under a screen position, or the tab there in compact mode.
pub fn pane_at(app: &App, column: u16, row: u16) -> Option<Pane> {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let a = areas(area, app);
    let pos = ratatui::layout::Position { x: column, y: row };
    if let Some(tabs) = a.tabs
        && tabs.contains(pos)
    {
        return tab_at(tabs, column);
    }
    a.panes
        .iter()
        .find(|(_, r)| r.contains(pos))
        .map(|(p, _)| *p)
}

/// Tab labels as drawn: ` 1 signals ` and so on.
pub fn tab_labels() -> Vec<String> {
    Pane::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| format!(" {} {} ", i + 1, p.name()))
        .collect()
}

fn tab_at(tabs: Rect, column: u16) -> Option<Pane> {
    let mut x = tabs.x;
    for (label, pane) in tab_labels().iter().zip(Pane::ALL) {
        let w = label.chars().count() as u16;
        if column >= x && column < x + w {
            return Some(pane);
        }
        x += w + 1;
    }
    None
}
