//! The pods pane's other views: the selected workload's Kubernetes events and the nodes;
//! and an autoscaler's facts beside its deployment. Only visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::logs::sanitize;
use crate::cluster::fmt_bytes;
use crate::ui::{format, truncate};

fn rows_in_view(selected: usize, height: usize) -> usize {
    selected.saturating_sub(height.saturating_sub(1))
}

/// The events view: newest first, warnings in the warning colour, counts and first/last seen.
pub fn draw_events(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let rows = app.shown_event_rows();
    if rows.is_empty() {
        let what = if app.cluster.warnings_only {
            "no Warning events for the selection"
        } else {
            "no events for the selection (yet)"
        };
        frame.render_widget(Paragraph::new(Span::styled(what, theme.fg("muted"))), area);
        return;
    }
    let height = area.height as usize;
    let width = area.width as usize;
    let offset = rows_in_view(app.cluster.event_selected, height);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let role = if r.warning { "warn" } else { "muted" };
            let age = format::age(app.now.duration_since(r.last));
            let first = format::age(app.now.duration_since(r.first));
            let head = format!(
                "{:>4} ×{:<3} {:<16} {}/{} ",
                age,
                r.count,
                truncate(&sanitize(&r.reason), 16),
                r.kind.to_lowercase(),
                sanitize(&r.name)
            );
            let tail = format!("{} (first {first} ago)", sanitize(&r.note));
            let room = width.saturating_sub(head.chars().count());
            let line = Line::from(vec![
                Span::styled(
                    truncate(&head, width),
                    if r.warning {
                        theme.fg(role).add_modifier(Modifier::BOLD)
                    } else {
                        theme.fg(role)
                    },
                ),
                Span::raw(truncate(&tail, room)),
            ]);
            if i == app.cluster.event_selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn pct(req: u64, alloc: u64) -> String {
    (req * 100)
        .checked_div(alloc)
        .map_or_else(|| "-".into(), |p| format!("{p}%"))
}

/// The nodes view: readiness, pressure, cordon, taints, pods, requested of allocatable.
pub fn draw_nodes(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if app.cluster.nodes.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no nodes listed (yet)", theme.fg("muted"))),
            area,
        );
        return;
    }
    let height = area.height as usize;
    let width = area.width as usize;
    let offset = rows_in_view(app.cluster.node_selected, height);
    let lines: Vec<Line> = app
        .cluster
        .nodes
        .values()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, n)| {
            let (state, role) = match n.ready {
                Some(true) if n.pressure.is_empty() => ("Ready", "ok"),
                Some(true) => ("Ready", "warn"),
                Some(false) => ("NotReady", "crit"),
                None => ("Unknown", "crit"),
            };
            let mut spans = vec![
                Span::styled(format!("{} ", sanitize(&n.name)), theme.fg("title")),
                Span::styled(
                    format!("{state} "),
                    theme.fg(role).add_modifier(Modifier::BOLD),
                ),
            ];
            if n.unschedulable {
                spans.push(Span::styled("SchedulingDisabled ", theme.fg("warn")));
            }
            for p in &n.pressure {
                spans.push(Span::styled(format!("{p} "), theme.fg("crit")));
            }
            let mut facts = format!(
                "pods {} cpu {}/{}m {} mem {}/{} {}",
                n.pods,
                n.cpu_req_m,
                n.cpu_alloc_m,
                pct(n.cpu_req_m, n.cpu_alloc_m),
                fmt_bytes(n.mem_req),
                fmt_bytes(n.mem_alloc),
                pct(n.mem_req, n.mem_alloc),
            );
            if n.gpu_alloc > 0 {
                facts.push_str(&format!(" gpu {}/{}", n.gpu_req, n.gpu_alloc));
            }
            if let Some((cpu, mem)) = app.cluster.usage.nodes.get(&n.name) {
                facts.push_str(&format!(
                    " using {} ({} cpu)",
                    crate::cluster::usage::fmt_usage(*cpu, *mem),
                    pct(*cpu, n.cpu_alloc_m)
                ));
            }
            if !n.taints.is_empty() {
                facts.push_str(&format!(" taints {}", sanitize(&n.taints.join(","))));
            }
            spans.push(Span::styled(facts, theme.fg("muted")));
            let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
            if used > width {
                let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
                spans = vec![Span::styled(truncate(&text, width), theme.fg(role))];
            }
            let line = Line::from(spans);
            if i == app.cluster.node_selected {
                line.patch_style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// `hpa 3–6 now 3 wants 4` beside a deployment an HPA scales.
pub fn hpa_span(app: &App, deployment: &crate::app::state::WorkloadKey) -> Option<Span<'static>> {
    let h = app.cluster.hpa_for(deployment)?;
    let role = if h.problem.is_some() || h.current >= h.max {
        "warn"
    } else {
        "info"
    };
    Some(Span::styled(
        format!(
            "hpa {}–{} now {} wants {} ",
            h.min, h.max, h.current, h.desired
        ),
        app.theme.fg(role),
    ))
}

/// The pods pane's title facts in the events and nodes views.
pub fn title(app: &App) -> Option<String> {
    use crate::app::cluster::PodsView;
    match app.cluster.view {
        PodsView::Pods => None,
        PodsView::Jobs => Some(super::jobs::title(app)),
        PodsView::Events => {
            let who = app
                .event_scope()
                .workload
                .map_or_else(|| "all".to_string(), |w| w.name);
            let only = if app.cluster.warnings_only {
                " · warnings only"
            } else {
                ""
            };
            Some(format!(
                "events of {} · {} rows{only}",
                sanitize(&who),
                app.shown_event_rows().len()
            ))
        }
        PodsView::Nodes => {
            let cordoned = app
                .cluster
                .nodes
                .values()
                .filter(|n| n.unschedulable)
                .count();
            Some(format!(
                "nodes · {} · {cordoned} cordoned",
                app.cluster.nodes.len()
            ))
        }
    }
}

/// `gpu 71°C 63/80G XID 79` for each GPU a pod uses, when there is room.
pub fn pod_gpus_span(app: &App, p: &crate::event::PodStatus, room: usize) -> Option<Span<'static>> {
    if room < 10 {
        return None;
    }
    let full = format!("{}/{}", p.namespace, p.name);
    let gpus: Vec<String> = app
        .gpus
        .values()
        .filter(|g| g.pod.as_deref().is_some_and(|u| u == full || u == p.name))
        // Short: the node is on the line already, and a narrow pane has little room.
        .map(|g| {
            let mut s = String::new();
            if let Some(t) = g.temp_c {
                s.push_str(&format!("{t:.0}°C "));
            }
            if let (Some(u), Some(t)) = (g.mem_used_mib, g.mem_total_mib) {
                s.push_str(&format!("{:.0}/{:.0}G", u / 1024.0, t / 1024.0));
            }
            if let Some(x) = g.xid {
                s.push_str(&format!(" XID {x}"));
            }
            s
        })
        .collect();
    if gpus.is_empty() {
        return None;
    }
    let hot = app.gpus.values().any(|g| {
        g.pod.as_deref().is_some_and(|u| u == full || u == p.name)
            && (g.xid.is_some() || g.temp_c.is_some_and(|t| t >= app.config.gpus.temp_warn))
    });
    Some(Span::styled(
        truncate(&format!("gpu {} ", sanitize(&gpus.join(", "))), room),
        app.theme.fg(if hot { "warn" } else { "muted" }),
    ))
}
