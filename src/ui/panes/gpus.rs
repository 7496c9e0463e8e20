//! GPUs: hottest and fullest first, with thresholds for temperature, memory and XID errors.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use ratatui::text::Line;

use crate::app::App;
use crate::app::logs::sanitize;
use crate::event::GpuStatus;
use crate::gpu::xid;
use crate::ui::{format, truncate};

/// One line per GPU with an XID (meaning → action, pod), then the selected GPU's pod.
fn notes(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let gpus = sorted(app);
    let mut out = Vec::new();
    for g in gpus.iter().filter(|g| g.xid.is_some()) {
        let code = g.xid.unwrap_or(0);
        let what = xid::lookup(code).map_or_else(
            || "not in the XID catalog: see NVIDIA's XID documentation".to_string(),
            |x| format!("{} → {}", x.meaning, x.action),
        );
        let pod = g
            .pod
            .as_deref()
            .map(|p| format!(" · pod {}", sanitize(p)))
            .unwrap_or_default();
        let text = format!("{}/{} XID {code}: {what}{pod}", sanitize(&g.host), g.index);
        out.push(Line::from(Span::styled(
            truncate(&text, width),
            theme.fg("crit"),
        )));
        // The XIDs that call for it: the node's drain is one command away.
        if let Some(hint) = crate::app::App::gpu_drain_suggestion(&sanitize(&g.host), g.xid) {
            out.push(Line::from(Span::styled(
                truncate(&format!("  {hint}"), width),
                theme.fg("warn"),
            )));
        }
    }
    if app.focus == crate::command::Pane::Gpus
        && let Some(g) = gpus.get(app.gpus.selected)
        && g.xid.is_none()
        && let Some(pod) = &g.pod
    {
        let text = format!(
            "{}/{} {} · pod {}",
            sanitize(&g.host),
            g.index,
            sanitize(&g.model),
            sanitize(pod)
        );
        out.push(Line::from(Span::styled(
            truncate(&text, width),
            theme.fg("muted"),
        )));
    }
    out
}

/// GPUs in the order the pane lists them: hottest, then fullest.
pub fn sorted(app: &App) -> Vec<&GpuStatus> {
    let mut gpus: Vec<&GpuStatus> = app.gpus.values().collect();
    gpus.sort_by(|a, b| {
        let t = |g: &GpuStatus| g.temp_c.unwrap_or(f64::NEG_INFINITY);
        t(b).total_cmp(&t(a))
            .then(mem_frac(b).total_cmp(&mem_frac(a)))
    });
    gpus
}

fn mem_frac(g: &GpuStatus) -> f64 {
    match (g.mem_used_mib, g.mem_total_mib) {
        (Some(u), Some(t)) if t > 0.0 => u / t,
        _ => 0.0,
    }
}

/// Draws one row per GPU.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let area = super::forbidden::notes(frame, area, app, crate::command::Pane::Gpus);
    let theme = &app.theme;
    if app.gpus.is_empty() {
        // Without DCGM metrics, what the cluster says about its GPU nodes is still worth seeing.
        let lines: Vec<ratatui::text::Line> = if app.gpus.nodes.is_empty() {
            vec![Span::styled("no GPUs reported", theme.fg("muted")).into()]
        } else {
            app.gpus
                .nodes
                .iter()
                .map(|(node, (cap, alloc))| {
                    let role = if alloc < cap { "warn" } else { "ok" };
                    ratatui::text::Line::from(vec![
                        Span::styled(format!("{node:<24} "), theme.fg("text")),
                        Span::styled(
                            format!("{alloc}/{cap} nvidia.com/gpu allocatable"),
                            theme.fg(role),
                        ),
                    ])
                })
                .collect()
        };
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let cfg = &app.config.gpus;
    let (temp_warn, temp_crit, mem_warn, mem_crit) =
        (cfg.temp_warn, cfg.temp_crit, cfg.mem_warn, cfg.mem_crit);
    // Below the table: what each XID means and what to do, and who uses the GPU.
    let notes = notes(app, area.width as usize);
    let note_rows = notes.len().min(area.height as usize / 2);
    let table_area = Rect {
        height: area.height - note_rows as u16,
        ..area
    };
    if note_rows > 0 {
        let notes_area = Rect::new(area.x, table_area.bottom(), area.width, note_rows as u16);
        frame.render_widget(Paragraph::new(notes[..note_rows].to_vec()), notes_area);
    }
    let area = table_area;
    let height = area.height.saturating_sub(1) as usize;
    let columns = match area.width {
        50.. => 6,
        42..50 => 5,
        _ => 4,
    };
    let offset = app.gpus.selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = sorted(app)
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, g)| {
            let temp_role = match g.temp_c {
                Some(t) if t >= temp_crit => "crit",
                Some(t) if t >= temp_warn => "warn",
                Some(_) => "ok",
                None => "muted",
            };
            let frac = mem_frac(g);
            let mem_role = if frac >= mem_crit {
                "crit"
            } else if frac >= mem_warn {
                "warn"
            } else {
                "ok"
            };
            let mem = match (g.mem_used_mib, g.mem_total_mib) {
                (Some(u), Some(t)) => format!(
                    "{:.0}/{:.0}G {:>3.0}%",
                    u / 1024.0,
                    t / 1024.0,
                    frac * 100.0
                ),
                _ => "N/A".into(),
            };
            let xid = match g.xid {
                Some(x) => Cell::from(Span::styled(
                    format!("XID {x}"),
                    theme.fg("crit").add_modifier(Modifier::BOLD),
                )),
                None => Cell::from(Span::styled("-", theme.fg("muted"))),
            };
            let mut cells = vec![
                Cell::from(Span::styled(
                    format!("{}/{}", g.host, g.index),
                    theme.fg("text"),
                )),
                Cell::from(Span::styled(
                    format::value(g.util, "percent"),
                    theme.fg("text"),
                )),
                Cell::from(Span::styled(mem, theme.fg(mem_role))),
                Cell::from(Span::styled(
                    g.temp_c.map_or("N/A".into(), |t| format!("{t:.0}°C")),
                    theme.fg(temp_role).add_modifier(Modifier::BOLD),
                )),
                xid,
                Cell::from(Span::styled(
                    g.power_w.map_or("N/A".into(), |p| format!("{p:.0}W")),
                    theme.fg("muted"),
                )),
            ];
            // Narrow panes drop power first, then XID, so memory and temperature stay readable.
            cells.truncate(columns);
            let row = Row::new(cells);
            if i == app.gpus.selected && app.focus == crate::command::Pane::Gpus {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(["gpu", "util", "memory", "temp", "xid", "power"][..columns].to_vec())
        .style(theme.fg("muted"));
    let widths = [
        Constraint::Min(12),
        Constraint::Length(4),
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(6),
        Constraint::Length(5),
    ];
    let table = Table::new(rows, widths[..columns].to_vec())
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, area);
}
