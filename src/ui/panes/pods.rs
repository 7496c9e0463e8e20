//! Pods by workload: readiness, restarts, reasons, revisions; only visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::logs::sanitize;
use crate::app::state::PodRow;
use crate::event::PodStatus;
use crate::ui::{format, truncate, truncate_left};

/// Draws the rows that fit, keeping the selected row in view.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    match app.cluster.view {
        crate::app::cluster::PodsView::Events => {
            return super::cluster::draw_events(frame, area, app);
        }
        crate::app::cluster::PodsView::Nodes => {
            return super::cluster::draw_nodes(frame, area, app);
        }
        crate::app::cluster::PodsView::Jobs => return super::jobs::draw(frame, area, app),
        crate::app::cluster::PodsView::Pods => {}
    }
    let area = super::forbidden::notes(frame, area, app, crate::command::Pane::Pods);
    let theme = &app.theme;
    let height = area.height as usize;
    if app.pods.workloads.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no workloads yet", theme.fg("muted"))),
            area,
        );
        return;
    }
    let offset = app.pods.selected.saturating_sub(height.saturating_sub(1));
    let width = area.width as usize;
    let lines: Vec<Line> = app
        .pods
        .rows()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, row)| {
            let line = match row {
                // Headings name the namespace as soon as two are shown: same names differ.
                PodRow::Workload(key, w) => workload_line(app, key, w, width),
                PodRow::Pod(_, p) => pod_line(app, p, width),
            };
            if i == app.pods.selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn workload_line(
    app: &App,
    key: &crate::app::state::WorkloadKey,
    w: &crate::app::state::Workload,
    width: usize,
) -> Line<'static> {
    // Headings name the namespace as soon as two are shown: same names differ.
    let name = if app.pods.many_namespaces() {
        key.to_string()
    } else {
        key.name.clone()
    };
    let theme = &app.theme;
    let ready = w.pods.values().filter(|p| p.ready).count();
    let mut spans = vec![Span::styled(
        format!("▾ {} ", sanitize(&name)),
        theme.fg("title").add_modifier(Modifier::BOLD),
    )];
    match &w.deployment {
        Some(d) => {
            let role = if d.ready >= d.replicas && d.updated >= d.replicas {
                "ok"
            } else if d.ready == 0 && d.replicas > 0 {
                "crit"
            } else {
                "warn"
            };
            spans.push(Span::styled(
                format!("{}/{} ready ", d.ready, d.replicas),
                theme.fg(role).add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::styled(
                format!("rev {} ", d.revision),
                theme.fg("accent"),
            ));
            if d.updated < d.replicas || d.available < d.replicas {
                let unavailable = d.replicas.saturating_sub(d.available);
                spans.push(Span::styled(
                    format!(
                        "rollout upd {} avail {} unavail {unavailable} ",
                        d.updated, d.available
                    ),
                    theme.fg("warn"),
                ));
            }
            spans.extend(super::cluster::hpa_span(app, key));
            if let Some(p) = d.problems.first() {
                spans.push(Span::styled(
                    format!("{} ", truncate(&sanitize(p), width / 3)),
                    theme.fg("crit"),
                ));
            }
            // Restarts before the image: the image is what a narrow pane can afford to cut.
            let restarts = w.restarts();
            if restarts > 0 {
                spans.push(Span::styled(format!("↻{restarts} "), theme.fg("warn")));
            }
            let image = d.image.rsplit('/').next().unwrap_or(&d.image);
            spans.push(Span::styled(
                truncate(&sanitize(image), width / 3),
                theme.fg("muted"),
            ));
        }
        None if let Some(r) = &w.rollout => {
            let role = if r.aborted || (r.ready == 0 && r.replicas > 0) {
                "crit"
            } else if r.paused() || r.canary_running() || r.ready < r.replicas {
                "warn"
            } else {
                "ok"
            };
            spans.push(Span::styled(
                format!("{}/{} ready ", r.ready, r.replicas),
                theme.fg(role).add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::styled(
                format!("rollout {} ", sanitize(&r.summary())),
                theme.fg(if r.aborted { "crit" } else { "accent" }),
            ));
            let restarts = w.restarts();
            if restarts > 0 {
                spans.push(Span::styled(format!("↻{restarts} "), theme.fg("warn")));
            }
            let image = r.image.rsplit('/').next().unwrap_or(&r.image);
            spans.push(Span::styled(
                truncate(&sanitize(image), width / 3),
                theme.fg("muted"),
            ));
        }
        None => {
            spans.push(Span::styled(
                format!("{ready}/{} ready", w.pods.len()),
                theme.fg("muted"),
            ));
            let restarts = w.restarts();
            if restarts > 0 {
                spans.push(Span::styled(format!(" ↻{restarts}"), theme.fg("warn")));
            }
        }
    }
    Line::from(spans)
}

fn pod_line(app: &App, p: &PodStatus, width: usize) -> Line<'static> {
    let mut line = pod_line_plain(app, p, width);
    // The pod's GPUs, from the DCGM series that name it, right after its restarts: on a GPU
    // pod they matter more than the revision, age and node a narrow pane then cuts.
    let at = line.spans.len().min(5);
    let used: usize = line.spans[..at]
        .iter()
        .map(|s| s.content.chars().count())
        .sum();
    if let Some(g) = super::cluster::pod_gpus_span(app, p, width.saturating_sub(used).min(40)) {
        line.spans.insert(at, g);
    }
    // What it uses now (metrics.k8s.io), after the restarts: in a narrow pane it matters
    // more than the revision, age and node it pushes off the edge.
    if let Some((cpu, mem)) = app.pod_usage(&p.namespace, &p.name)
        && width >= 60
    {
        let text = format!("{} ", crate::cluster::usage::fmt_usage(cpu, mem));
        line.spans
            .insert(at, Span::styled(text, app.theme.fg("info")));
    }
    line
}

fn pod_line_plain(app: &App, p: &PodStatus, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let (reason, role) = match (&p.reason, p.ready) {
        (Some(r), _) => {
            let role = match r.as_str() {
                "ContainerCreating" | "PodInitializing" | "Terminating" => "info",
                "Completed" => "muted",
                _ => "crit",
            };
            (r.clone(), role)
        }
        (None, true) => (p.phase.clone(), "ok"),
        (None, false) => (p.phase.clone(), "warn"),
    };
    let last = match &p.last_termination {
        Some((why, at)) => format!(
            " last {} {} ago",
            why,
            format::age(app.now.duration_since(*at))
        ),
        None => String::new(),
    };
    let name_w = width.saturating_sub(46).clamp(12, 48);
    let ready = if p.ready { "1/1" } else { "0/1" };
    let line = vec![
        Span::raw("  "),
        Span::styled(
            format!("{:<name_w$} ", truncate_left(&sanitize(&p.name), name_w)),
            theme.fg("text"),
        ),
        Span::styled(
            format!("{ready} "),
            theme.fg(if p.ready { "ok" } else { "warn" }),
        ),
        Span::styled(
            format!("{:<17}", truncate(&sanitize(&reason), 16)),
            theme.fg(role),
        ),
        Span::styled(
            format!("↻{:<3} ", p.restarts),
            if p.restarts > 0 {
                theme.fg("warn")
            } else {
                theme.fg("muted")
            },
        ),
        Span::styled(
            format!(
                "r{} {} {}",
                p.revision,
                format::age(app.now.duration_since(p.created)),
                sanitize(&p.node)
            ),
            theme.fg("muted"),
        ),
        Span::styled(last, Style::default().fg(theme.color("muted"))),
    ];
    Line::from(line)
}
