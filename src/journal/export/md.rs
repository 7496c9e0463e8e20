//! The postmortem as Markdown (CommonMark with GitHub tables).

use super::doc::{Block, Doc};

/// Escapes what Markdown would otherwise interpret (emphasis, links, raw HTML, table
/// pipes) and keeps multi-line text inside its list item or table cell.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn table(rows: &[Vec<String>], out: &mut String) {
    let Some((head, body)) = rows.split_first() else {
        return;
    };
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells
            .iter()
            .map(|c| if c.is_empty() { " ".into() } else { esc(c) })
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(head));
    out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
    for row in body {
        out.push_str(&line(row));
    }
}

fn block(b: &Block, out: &mut String) {
    match b {
        Block::Banner(text) => out.push_str(&format!("> **{}**\n", esc(text))),
        Block::Fields(fields) => {
            for (k, v) in fields {
                out.push_str(&format!("- **{}:** {}\n", esc(k), esc(v)));
            }
        }
        Block::Para(text) => out.push_str(&format!("{}\n", esc(text))),
        Block::Prompt(text) => out.push_str(&format!("_{}_\n", esc(text))),
        Block::Table(rows) => table(rows, out),
        Block::List(items) => {
            for item in items {
                out.push_str(&format!("- {}\n", esc(item)));
            }
        }
        Block::Subheading(text) => out.push_str(&format!("### {}\n", esc(text))),
        Block::Charts => out.push_str("_Charts are in the HTML export._\n"),
    }
}

/// Renders the document.
pub(crate) fn render(doc: &Doc) -> String {
    let mut out = format!("# {}\n", esc(&doc.title));
    for b in &doc.intro {
        out.push('\n');
        block(b, &mut out);
    }
    for section in &doc.sections {
        out.push_str(&format!("\n## {}\n", section.title));
        for b in &section.blocks {
            out.push('\n');
            block(b, &mut out);
        }
    }
    out
}
