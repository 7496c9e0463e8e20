//! First pass: pulldown-cmark events to a small block tree.
//!
//! The tree keeps only what the checklist builder needs (headings, paragraphs with their
//! bold labels, lists, code, tables) and is built without recursion, so hostile nesting
//! cannot overflow the stack: containers deeper than [`MAX_DEPTH`] are dropped with a
//! warning.

use pulldown_cmark::{CodeBlockKind, Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

use super::model::Table;

/// Deepest container nesting (lists, items, quotes) kept.
pub const MAX_DEPTH: usize = 32;

/// Inline content of a paragraph, heading, item or cell, flattened to text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inline {
    /// Text with markup removed; code spans kept in backticks.
    pub text: String,
    /// Number of source lines (soft and hard breaks + 1).
    pub lines: usize,
    /// Contents of the code spans.
    pub codes: Vec<String>,
    /// The text of a leading bold span (`**Symptoms:** ...`), if the inline starts with one.
    pub strong_prefix: Option<String>,
    strong_depth: usize,
    strong_start: Option<usize>,
    strong_done: bool,
}

impl Inline {
    fn push(&mut self, s: &str) {
        if self.strong_depth == 0 && !s.trim().is_empty() {
            self.strong_done = true;
        }
        self.text.push_str(s);
    }

    /// The whole inline is one bold span (an optional colon outside it allowed).
    pub fn all_strong(&self) -> bool {
        self.strong_prefix.as_deref().is_some_and(|p| {
            let rest = self.text.trim()[p.len().min(self.text.trim().len())..].trim();
            !p.trim().is_empty() && (rest.is_empty() || rest == ":")
        })
    }

    /// Label and the rest of the text when the inline starts with a bold label:
    /// `**High latency**: p95 > 2s` gives `("High latency", "p95 > 2s")`.
    pub fn bold_label(&self) -> Option<(String, String)> {
        let p = self.strong_prefix.as_deref()?;
        let t = self.text.trim();
        let rest = t.get(p.len()..)?.trim_start();
        let label = p.trim().trim_end_matches(':').trim();
        if label.is_empty() {
            return None;
        }
        let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
        let rest = rest
            .strip_prefix("—")
            .or_else(|| rest.strip_prefix("- "))
            .unwrap_or(rest)
            .trim();
        Some((label.to_string(), rest.to_string()))
    }
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `#`..`######` or setext heading.
    Heading { level: u8, inline: Inline },
    /// A paragraph.
    Para(Inline),
    /// A list; `ordered` for numbered lists.
    List { ordered: bool, items: Vec<Item> },
    /// A fenced or indented code block.
    Code { info: String, text: String },
    /// A table.
    Table(Table),
}

/// A list item: its first paragraph and what is nested under it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// Task-list state; `None` for plain items.
    pub checked: Option<bool>,
    /// The item's own text.
    pub inline: Inline,
    /// Everything after the first paragraph: more paragraphs, code, nested lists.
    pub children: Vec<Block>,
}

/// What the first pass produces.
#[derive(Debug, Default)]
pub struct Doc {
    /// Top-level blocks (block quotes are transparent).
    pub blocks: Vec<Block>,
    /// Link destinations in document order.
    pub links: Vec<String>,
    /// Raw front matter, if any.
    pub front_matter: Option<String>,
    /// Problems noticed.
    pub warnings: Vec<String>,
}

enum Frame {
    Root(Vec<Block>),
    List {
        ordered: bool,
        items: Vec<Item>,
    },
    Item(Item, bool),
    Quote,
    Leaf(Inline),
    Heading(u8, Inline),
    Code {
        info: String,
        text: String,
        start: usize,
        fenced: bool,
    },
    Table {
        table: Table,
        row: Vec<String>,
        in_head: bool,
    },
    Cell(Inline),
    Skip,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
}

/// Reads `markdown` into blocks. Never panics; oddities become warnings.
pub fn read(markdown: &str) -> Doc {
    let mut doc = Doc::default();
    let mut stack: Vec<Frame> = vec![Frame::Root(Vec::new())];
    let mut depth = 0usize;
    let mut skip = 0usize;
    let mut dropped_deep = false;
    let mut in_meta = false;
    let mut meta = String::new();

    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        if skip > 0 {
            match event {
                Event::Start(_) => skip += 1,
                Event::End(_) => skip -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(tag) => {
                let frame = match tag {
                    Tag::List(_) | Tag::Item | Tag::BlockQuote(_) if depth >= MAX_DEPTH => {
                        dropped_deep = true;
                        skip = 1;
                        continue;
                    }
                    Tag::List(first) => {
                        depth += 1;
                        Frame::List {
                            ordered: first.is_some(),
                            items: Vec::new(),
                        }
                    }
                    Tag::Item => {
                        depth += 1;
                        Frame::Item(Item::default(), false)
                    }
                    Tag::BlockQuote(_) => {
                        depth += 1;
                        Frame::Quote
                    }
                    Tag::Paragraph => Frame::Leaf(Inline::default()),
                    Tag::Heading { level, .. } => Frame::Heading(level as u8, Inline::default()),
                    Tag::CodeBlock(kind) => {
                        let (info, fenced) = match kind {
                            CodeBlockKind::Fenced(info) => (info.to_string(), true),
                            CodeBlockKind::Indented => (String::new(), false),
                        };
                        Frame::Code {
                            info,
                            text: String::new(),
                            start: range.start,
                            fenced,
                        }
                    }
                    Tag::Table(_) => Frame::Table {
                        table: Table::default(),
                        row: Vec::new(),
                        in_head: false,
                    },
                    Tag::TableHead => {
                        if let Some(Frame::Table { in_head, .. }) = stack.last_mut() {
                            *in_head = true;
                        }
                        continue;
                    }
                    Tag::TableRow => continue,
                    Tag::TableCell => Frame::Cell(Inline::default()),
                    Tag::MetadataBlock(_) => {
                        in_meta = true;
                        continue;
                    }
                    Tag::Strong => {
                        if let Some(inline) = current_inline(&mut stack) {
                            if inline.strong_depth == 0
                                && !inline.strong_done
                                && inline.strong_start.is_none()
                            {
                                inline.strong_start = Some(inline.text.trim_start().len());
                            }
                            inline.strong_depth += 1;
                        }
                        continue;
                    }
                    Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                        doc.links.push(dest_url.to_string());
                        continue;
                    }
                    Tag::HtmlBlock => Frame::Skip,
                    Tag::FootnoteDefinition(_) => Frame::Quote,
                    _ => continue,
                };
                stack.push(frame);
            }
            Event::End(end) => match end {
                TagEnd::Strong => {
                    if let Some(inline) = current_inline(&mut stack) {
                        inline.strong_depth = inline.strong_depth.saturating_sub(1);
                        if inline.strong_depth == 0
                            && let Some(start) = inline.strong_start
                            && inline.strong_prefix.is_none()
                        {
                            let t = inline.text.trim_start();
                            inline.strong_prefix = t.get(start..).map(str::to_string);
                            inline.strong_done = true;
                        }
                    }
                }
                TagEnd::MetadataBlock(kind) => {
                    in_meta = false;
                    if kind == MetadataBlockKind::YamlStyle || doc.front_matter.is_none() {
                        doc.front_matter = Some(std::mem::take(&mut meta));
                    }
                }
                TagEnd::TableHead | TagEnd::TableRow => {
                    if let Some(Frame::Table {
                        table,
                        row,
                        in_head,
                    }) = stack.last_mut()
                    {
                        let cells = std::mem::take(row);
                        if *in_head {
                            table.header = cells;
                            *in_head = false;
                        } else {
                            table.rows.push(cells);
                        }
                    }
                }
                TagEnd::Emphasis
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::DefinitionList
                | TagEnd::DefinitionListTitle
                | TagEnd::DefinitionListDefinition => {}
                _ => close(
                    &mut stack,
                    &mut depth,
                    markdown,
                    range.end,
                    &mut doc.warnings,
                ),
            },
            Event::Text(t) => {
                if in_meta {
                    meta.push_str(&t);
                } else if let Some(Frame::Code { text, .. }) = stack.last_mut() {
                    text.push_str(&t);
                } else if let Some(inline) = current_inline(&mut stack) {
                    inline.push(&t);
                } else if let Some(Frame::Item(item, _)) = stack.last_mut() {
                    tight_text(item).push(&t);
                }
            }
            Event::Code(c) => {
                let target = match stack.last_mut() {
                    Some(Frame::Item(item, _)) => Some(tight_text(item)),
                    _ => current_inline(&mut stack),
                };
                if let Some(inline) = target {
                    inline.push("`");
                    inline.push(&c);
                    inline.push("`");
                    inline.codes.push(c.to_string());
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                let target = match stack.last_mut() {
                    Some(Frame::Item(item, _)) => Some(tight_text(item)),
                    _ => current_inline(&mut stack),
                };
                if let Some(inline) = target {
                    inline.text.push(if matches!(event, Event::HardBreak) {
                        '\n'
                    } else {
                        ' '
                    });
                    inline.lines += 1;
                }
            }
            Event::TaskListMarker(done) => {
                if let Some(Frame::Item(item, _)) = stack.last_mut() {
                    item.checked = Some(done);
                }
            }
            Event::InlineHtml(h) => {
                // `<br>` separates, other HTML tags are dropped, and `<pod-name>` is a
                // placeholder that CommonMark happens to read as a tag.
                let target = match stack.last_mut() {
                    Some(Frame::Item(item, _)) => Some(tight_text(item)),
                    _ => current_inline(&mut stack),
                };
                if let Some(inline) = target {
                    if h.to_ascii_lowercase().starts_with("<br") {
                        inline.text.push(' ');
                    } else if !is_html_tag(&h) {
                        inline.push(&h);
                    }
                }
            }
            Event::Rule
            | Event::Html(_)
            | Event::FootnoteReference(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => {}
        }
    }
    while stack.len() > 1 {
        close(
            &mut stack,
            &mut depth,
            markdown,
            markdown.len(),
            &mut doc.warnings,
        );
    }
    if dropped_deep {
        doc.warnings.push(format!(
            "lists or quotes nested deeper than {MAX_DEPTH} levels were left out"
        ));
    }
    if let Some(Frame::Root(blocks)) = stack.pop() {
        doc.blocks = blocks;
    }
    doc
}

/// The inline being filled: the innermost paragraph, heading or cell, or the text of the
/// item directly on top.
fn current_inline(stack: &mut [Frame]) -> Option<&mut Inline> {
    match stack.last_mut()? {
        Frame::Leaf(i) | Frame::Heading(_, i) | Frame::Cell(i) => Some(i),
        Frame::Item(item, false) => Some(&mut item.inline),
        _ => None,
    }
}

fn close(
    stack: &mut Vec<Frame>,
    depth: &mut usize,
    src: &str,
    end: usize,
    warnings: &mut Vec<String>,
) {
    let Some(frame) = stack.pop() else { return };
    let block = match frame {
        Frame::Root(blocks) => {
            // Never pop the root: put it back.
            stack.push(Frame::Root(blocks));
            return;
        }
        Frame::List { ordered, items } => {
            *depth = depth.saturating_sub(1);
            Some(Block::List { ordered, items })
        }
        Frame::Item(mut item, _) => {
            *depth = depth.saturating_sub(1);
            item.inline.text = item.inline.text.trim().to_string();
            if let Some(Frame::List { items, .. }) = stack.last_mut() {
                items.push(item);
            }
            return;
        }
        Frame::Quote => {
            *depth = depth.saturating_sub(1);
            return;
        }
        Frame::Leaf(mut inline) => {
            inline.lines += 1;
            inline.text = inline.text.trim().to_string();
            // The first paragraph of an item is the item's own text.
            if let Some(Frame::Item(item, seen_para)) = stack.last_mut()
                && !*seen_para
                && item.children.is_empty()
            {
                *seen_para = true;
                let mut merged = std::mem::take(&mut item.inline);
                if merged.text.trim().is_empty() {
                    merged = inline;
                } else {
                    merged.text.push(' ');
                    merged.text.push_str(&inline.text);
                }
                item.inline = merged;
                return;
            }
            (!inline.text.is_empty()).then_some(Block::Para(inline))
        }
        Frame::Heading(level, mut inline) => {
            inline.lines = 1;
            inline.text = inline.text.trim().to_string();
            Some(Block::Heading { level, inline })
        }
        Frame::Code {
            info,
            text,
            start,
            fenced,
        } => {
            if fenced && !closes_fence(src.get(start..end.min(src.len())).unwrap_or("")) {
                let line = src.get(..start).map_or(0, |s| s.matches('\n').count()) + 1;
                warnings.push(format!(
                    "line {line}: code fence is never closed; the rest of the file was read as code"
                ));
            }
            Some(Block::Code {
                info: info.trim().to_string(),
                text,
            })
        }
        Frame::Table { table, .. } => Some(Block::Table(table)),
        Frame::Cell(inline) => {
            if let Some(Frame::Table { row, .. }) = stack.last_mut() {
                row.push(inline.text.trim().to_string());
            }
            return;
        }
        Frame::Skip => None,
    };
    let Some(block) = block else { return };
    push_block(stack, block);
}

/// Where loose text of a tight item goes: the item's own text until something is nested
/// under it, then a paragraph after the nested block.
fn tight_text(item: &mut Item) -> &mut Inline {
    if item.children.is_empty() {
        return &mut item.inline;
    }
    if !matches!(item.children.last(), Some(Block::Para(_))) {
        item.children.push(Block::Para(Inline::default()));
    }
    match item.children.last_mut() {
        Some(Block::Para(p)) => p,
        _ => &mut item.inline,
    }
}

/// HTML that means markup, as opposed to a `<placeholder>` in angle brackets.
fn is_html_tag(h: &str) -> bool {
    const TAGS: &[&str] = &[
        "a", "abbr", "b", "br", "code", "del", "details", "div", "em", "hr", "i", "img", "ins",
        "kbd", "mark", "p", "pre", "s", "small", "span", "strong", "sub", "summary", "sup",
        "table", "td", "th", "tr", "u", "ul", "ol", "li", "font", "center",
    ];
    let t = h.trim();
    if t.starts_with("<!--") || t.starts_with("</") || t.starts_with("<!") || t.starts_with("<?") {
        return true;
    }
    let name: String = t
        .trim_start_matches('<')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    TAGS.contains(&name.as_str())
}

/// Adds a finished block to the nearest container (quotes are transparent).
fn push_block(stack: &mut [Frame], block: Block) {
    for frame in stack.iter_mut().rev() {
        match frame {
            Frame::Root(blocks) => {
                blocks.push(block);
                return;
            }
            Frame::Item(item, seen) => {
                *seen = true;
                item.children.push(block);
                return;
            }
            _ => {}
        }
    }
}

/// Whether a fenced block's source ends with a closing fence.
fn closes_fence(block: &str) -> bool {
    let first = block.trim_start();
    let fence_char = match first.chars().next() {
        Some(c @ ('`' | '~')) => c,
        _ => return true,
    };
    let open_len = first.chars().take_while(|&c| c == fence_char).count();
    let body = block.trim_end_matches(['\n', '\r']);
    let Some((before, last)) = body.rsplit_once('\n') else {
        return false;
    };
    let _ = before;
    let last = last.trim();
    last.len() >= open_len && last.chars().all(|c| c == fence_char)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bold_labels() {
        let d =
            read("**Symptoms:** error rate > 5%\n\n**Title**\n\n- **High latency**: p95 > 2s\n");
        let Block::Para(p) = &d.blocks[0] else {
            panic!()
        };
        assert_eq!(
            p.bold_label(),
            Some(("Symptoms".into(), "error rate > 5%".into()))
        );
        assert!(!p.all_strong());
        let Block::Para(p) = &d.blocks[1] else {
            panic!()
        };
        assert!(p.all_strong());
        let Block::List { items, .. } = &d.blocks[2] else {
            panic!()
        };
        assert_eq!(
            items[0].inline.bold_label(),
            Some(("High latency".into(), "p95 > 2s".into()))
        );
    }

    #[test]
    fn items_tasks_code_and_tables() {
        let md = "- [x] done\n- [ ] todo `kubectl get pods`\n  ```bash\n  ls\n  ```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        let d = read(md);
        let Block::List { items, .. } = &d.blocks[0] else {
            panic!()
        };
        assert_eq!(items[0].checked, Some(true));
        assert_eq!(items[1].inline.text, "todo `kubectl get pods`");
        assert_eq!(items[1].inline.codes, ["kubectl get pods"]);
        assert!(matches!(&items[1].children[0], Block::Code { info, .. } if info == "bash"));
        let Block::Table(t) = &d.blocks[1] else {
            panic!()
        };
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(t.rows, [vec!["1".to_string(), "2".to_string()]]);
    }

    #[test]
    fn front_matter_and_unclosed_fence() {
        let d = read("---\ntitle: X\n---\n# H\n\n```bash\nls\n");
        assert_eq!(d.front_matter.as_deref(), Some("title: X\n"));
        assert!(d.warnings[0].contains("line 6"), "{:?}", d.warnings);
        let closed = read("```\nls\n```\n");
        assert!(closed.warnings.is_empty());
    }

    #[test]
    fn deep_nesting_is_cut_with_a_warning() {
        let md: String = (0..200)
            .map(|i| format!("{}- x{i}\n", "  ".repeat(i)))
            .collect();
        let d = read(&md);
        assert!(d.warnings.iter().any(|w| w.contains("nested deeper")));
        let quotes = ">".repeat(10_000) + " hi\n";
        let d = read(&quotes);
        assert!(d.warnings.iter().any(|w| w.contains("nested deeper")));
    }
}
