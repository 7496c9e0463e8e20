//! The postmortem as one self-contained HTML page: inline CSS, inline SVG charts, no
//! external assets. Every piece of text is escaped.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::doc::{Block, Doc, trim_float};
use super::{Report, Series};

const STYLE: &str = "\
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{font-size:1.7rem;margin-bottom:.5rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
.banner{background:#fff3cd;border:2px solid #d39e00;padding:.6rem 1rem;font-weight:700;font-size:1.1rem}
.prompt{color:#57606a;font-style:italic}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td:first-child{white-space:nowrap}
ul.fields{list-style:none;padding:0}ul.fields li{margin:.1rem 0}
figure{margin:1rem 0}ol.markers{color:#8250df;font-size:.9rem;margin:.2rem 0}figcaption{font-weight:600}svg{max-width:100%;height:auto;background:#fff}
";

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped, with line breaks kept.
fn esc_lines(text: &str) -> String {
    esc(text).replace("\r\n", "\n").replace('\n', "<br>")
}

fn block(b: &Block, r: &Report<'_>, out: &mut String) {
    match b {
        Block::Banner(text) => {
            let _ = writeln!(out, "<p class=\"banner\">{}</p>", esc(text));
        }
        Block::Fields(fields) => {
            out.push_str("<ul class=\"fields\">\n");
            for (k, v) in fields {
                let _ = writeln!(out, "<li><b>{}:</b> {}</li>", esc(k), esc_lines(v));
            }
            out.push_str("</ul>\n");
        }
        Block::Para(text) => {
            let _ = writeln!(out, "<p>{}</p>", esc_lines(text));
        }
        Block::Prompt(text) => {
            let _ = writeln!(out, "<p class=\"prompt\">{}</p>", esc_lines(text));
        }
        Block::Table(rows) => {
            let Some((head, body)) = rows.split_first() else {
                return;
            };
            out.push_str("<table>\n<tr>");
            for cell in head {
                let _ = write!(out, "<th>{}</th>", esc(cell));
            }
            out.push_str("</tr>\n");
            for row in body {
                out.push_str("<tr>");
                for cell in row {
                    let _ = write!(out, "<td>{}</td>", esc_lines(cell));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
        }
        Block::List(items) => {
            out.push_str("<ul>\n");
            for item in items {
                let _ = writeln!(out, "<li>{}</li>", esc_lines(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Subheading(text) => {
            let _ = writeln!(out, "<h3>{}</h3>", esc(text));
        }
        Block::Charts => {
            for series in r.series {
                out.push_str(&chart(series, r));
            }
        }
    }
}

/// Renders the document with the report's series charted.
pub(crate) fn render(doc: &Doc, r: &Report<'_>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&doc.title),
        esc(&doc.title)
    );
    for b in &doc.intro {
        block(b, r, &mut out);
    }
    for section in &doc.sections {
        let _ = writeln!(out, "<h2>{}</h2>", esc(section.title));
        for b in &section.blocks {
            block(b, r, &mut out);
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

const W: f64 = 760.0;
const H: f64 = 260.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;

/// One series over the incident window (padded a little on both sides), with the window
/// shaded, the threshold dashed and a labelled vertical marker at every action.
fn chart(series: &Series, r: &Report<'_>) -> String {
    let span = r.ended_at.duration_since(r.started_at);
    let pad = SignedDuration::from_secs((span.as_secs() / 10).max(300));
    let t0 = r.started_at.checked_sub(pad).unwrap_or(r.started_at);
    let t1 = r.ended_at.checked_add(pad).unwrap_or(r.ended_at);
    let mut points: Vec<(Timestamp, f64)> = series
        .points
        .iter()
        .copied()
        .filter(|(t, v)| *t >= t0 && *t <= t1 && v.is_finite())
        .collect();
    points.sort_by_key(|(t, _)| *t);
    let top = points
        .iter()
        .map(|(_, v)| *v)
        .chain(series.threshold)
        .fold(0.0_f64, f64::max);
    let ymax = if top > 0.0 { top * 1.1 } else { 1.0 };
    let total = t1.duration_since(t0).as_secs_f64().max(1.0);
    let x = |t: Timestamp| LEFT + (W - LEFT - RIGHT) * t.duration_since(t0).as_secs_f64() / total;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v / ymax);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<figure>\n<figcaption>{} ({})</figcaption>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" \
         font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"{}\">",
        esc(&series.name),
        esc(&series.unit),
        esc(&series.name)
    );
    let (wx0, wx1) = (x(r.started_at), x(r.ended_at));
    let _ = writeln!(
        svg,
        "<rect x=\"{wx0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fdecea\"><title>incident window</title></rect>",
        (wx1 - wx0).max(0.0),
        H - TOP - BOTTOM
    );
    // Axes and labels.
    let _ = writeln!(
        svg,
        "<path d=\"M{LEFT} {TOP}V{:.1}H{:.1}\" fill=\"none\" stroke=\"#57606a\"/>",
        H - BOTTOM,
        W - RIGHT
    );
    for v in [0.0, ymax / 2.0, ymax] {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y(v) + 4.0,
            trim_float(v)
        );
    }
    for (t, anchor) in [
        (t0, "start"),
        (r.started_at, "middle"),
        (r.ended_at, "middle"),
        (t1, "end"),
    ] {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            x(t),
            H - BOTTOM + 16.0,
            t.strftime("%H:%M")
        );
    }
    if let Some(th) = series.threshold {
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{yt:.1}\" x2=\"{:.1}\" y2=\"{yt:.1}\" stroke=\"#cf222e\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#cf222e\">threshold {}</text>",
            W - RIGHT,
            W - RIGHT - 2.0,
            y(th) - 4.0,
            trim_float(th),
            yt = y(th)
        );
    }
    if !points.is_empty() {
        let coords: Vec<String> = points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>",
            coords.join(" ")
        );
    } else {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">no samples in this window</text>",
            W / 2.0,
            H / 2.0
        );
    }
    // Markers carry a number (staggered so close ones stay legible); the legend under the
    // chart says what each one was.
    let mut legend = String::new();
    let shown = r
        .actions
        .iter()
        .map(|a| a.entry)
        .filter(|e| e.at >= t0 && e.at <= t1);
    for (i, e) in shown.enumerate() {
        let n = i + 1;
        let mx = x(e.at);
        let mut label = e.kind.label().to_string();
        if let Some(o) = e.outcome {
            let _ = write!(label, " [{o}]");
        }
        let what = esc(&format!(
            "{} {label}: {}",
            e.at.strftime("%H:%M:%S"),
            e.text
        ));
        let _ = writeln!(
            svg,
            "<g><title>{what}</title><line x1=\"{mx:.1}\" y1=\"{TOP}\" x2=\"{mx:.1}\" y2=\"{:.1}\" stroke=\"#8250df\" stroke-width=\"1.5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#8250df\" font-weight=\"700\">{n}</text></g>",
            H - BOTTOM,
            mx + 2.0,
            TOP + 12.0 + 13.0 * (i % 4) as f64,
        );
        let _ = writeln!(
            legend,
            "<li>{}</li>",
            esc_lines(&format!(
                "{} {label}: {}",
                e.at.strftime("%H:%M:%S"),
                e.text
            ))
        );
    }
    svg.push_str("</svg>\n");
    if !legend.is_empty() {
        let _ = write!(svg, "<ol class=\"markers\">\n{legend}</ol>\n");
    }
    svg.push_str("</figure>\n");
    svg
}
