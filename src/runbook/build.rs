//! Second pass: the block tree to sections, groups and steps.
//!
//! Headings always open sections. Labels that are not headings (a bold line, a short
//! line followed by a list, a bold list item with nested actions) open sections too,
//! unless they name a checklist part (Symptoms, Diagnosis, ...), in which case they open
//! a group, or unless a group is already open, where they are just a step with sub-steps.

use super::blocks::{Block, Doc, Inline, Item};
use super::commands::{
    code_span_is_command, command_after_label, is_shell_lang, looks_like_shell, shell_commands,
};
use super::model::{Group, Runbook, Section, Step};
use super::text::Slugger;

/// Labels that name a part of a section's checklist rather than a section of their own.
const GROUP_LABELS: &[&str] = &[
    "symptoms",
    "symptom",
    "signs",
    "indicators",
    "what you see",
    "impact",
    "diagnosis",
    "diagnose",
    "diagnostics",
    "investigation",
    "investigate",
    "triage",
    "checks",
    "immediate actions",
    "immediate action",
    "immediate steps",
    "immediate response",
    "first steps",
    "first response",
    "actions",
    "steps",
    "procedure",
    "troubleshooting",
    "troubleshooting steps",
    "resolution",
    "resolve",
    "remediation",
    "mitigation",
    "mitigate",
    "recovery",
    "recovery actions",
    "recovery steps",
    "recovery procedure",
    "verification",
    "verify",
    "validation",
    "prevention",
    "preventive measures",
    "likely causes",
    "possible causes",
    "probable causes",
    "common causes",
    "causes",
    "cause",
    "root cause",
    "escalation",
    "escalate",
    "follow-up",
    "follow up",
    "followup",
    "next steps",
    "what to do",
    "how to fix",
    "fix",
    "workaround",
];

/// Whether a label names a checklist group (case, a trailing colon and a parenthetical
/// ignored: `Immediate Actions (first 5 min):`).
pub fn is_group_label(label: &str) -> bool {
    let l = label.split('(').next().unwrap_or("");
    let l = l.trim().trim_end_matches(':').trim().to_lowercase();
    GROUP_LABELS.contains(&l.as_str())
}

/// A short standalone line that can title what follows it.
fn is_label_line(inline: &Inline) -> bool {
    let t = inline.text.trim();
    inline.lines <= 1
        && !t.is_empty()
        && t.chars().count() <= 60
        && t.split_whitespace().count() <= 8
        && !t.ends_with(['.', '!', '?', ';', ','])
}

fn label_text(s: &str) -> String {
    s.trim().trim_end_matches(':').trim().to_string()
}

struct Builder {
    sections: Vec<Section>,
    stack: Vec<usize>,
    slugger: Slugger,
    lone_h1: bool,
}

/// Builds the runbook from the block tree. Returns it with the link destinations.
pub fn build(doc: Doc) -> Runbook {
    let h1s = doc
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Heading { level: 1, .. }))
        .count();
    let mut b = Builder {
        sections: Vec::new(),
        stack: Vec::new(),
        slugger: Slugger::default(),
        lone_h1: h1s == 1,
    };
    b.blocks(&doc.blocks);

    // Inferred sections take anchors only after every real heading has its own, so a
    // label never shifts the anchor a `runbook_url` points at.
    for s in &mut b.sections {
        if s.inferred {
            s.anchor = b.slugger.anchor(&s.title);
        }
    }
    let title = doc
        .front_matter
        .as_deref()
        .and_then(front_matter_title)
        .or_else(|| {
            b.sections
                .iter()
                .find(|s| s.level == 1 && !s.inferred)
                .or_else(|| b.sections.iter().find(|s| !s.inferred))
                .map(|s| s.title.clone())
        })
        .unwrap_or_default();
    Runbook {
        title,
        sections: b.sections,
        warnings: doc.warnings,
        path: None,
    }
}

fn front_matter_title(fm: &str) -> Option<String> {
    fm.lines().find_map(|l| {
        let v = l
            .strip_prefix("title:")
            .or_else(|| l.strip_prefix("title ="))?;
        let v = v.trim().trim_matches(['"', '\'']).trim();
        (!v.is_empty()).then(|| v.to_string())
    })
}

impl Builder {
    fn blocks(&mut self, blocks: &[Block]) {
        let mut i = 0;
        while i < blocks.len() {
            let next = blocks.get(i + 1);
            let prev = i.checked_sub(1).and_then(|p| blocks.get(p));
            let consumed_next = match &blocks[i] {
                Block::Heading { level, inline } => {
                    self.heading(*level, &inline.text);
                    false
                }
                Block::Para(inline) => self.para(inline, next),
                Block::List { ordered, items } => {
                    self.list(items, *ordered, 0);
                    false
                }
                Block::Code { info, text } => {
                    let attach = matches!(prev, Some(Block::List { .. }))
                        && self.last_step().is_some_and(|s| s.text.ends_with(':'));
                    self.code(info, text, attach, 0);
                    false
                }
                Block::Table(t) => {
                    let s = self.current();
                    self.sections[s].tables.push(t.clone());
                    false
                }
            };
            i += if consumed_next { 2 } else { 1 };
        }
    }

    fn heading(&mut self, level: u8, title: &str) {
        let anchor = self.slugger.anchor(title);
        if is_group_label(title) {
            let mut keep = self.stack.len();
            while keep > 0 && self.sections[self.stack[keep - 1]].level >= level {
                keep -= 1;
            }
            if let Some(&top) = self.stack[..keep].last() {
                let is_title = self.lone_h1 && self.sections[top].level == 1;
                if !is_title {
                    self.stack.truncate(keep);
                    self.open_group(top, title);
                    return;
                }
            }
        }
        while let Some(&top) = self.stack.last() {
            if self.sections[top].level >= level {
                self.stack.pop();
            } else {
                break;
            }
        }
        self.push_section(title, level, anchor, false);
    }

    fn push_section(&mut self, title: &str, level: u8, anchor: String, inferred: bool) -> usize {
        let path = self
            .stack
            .iter()
            .map(|&i| self.sections[i].title.clone())
            .collect();
        self.sections.push(Section {
            title: title.to_string(),
            level,
            anchor,
            path,
            inferred,
            ..Section::default()
        });
        let idx = self.sections.len() - 1;
        self.stack.push(idx);
        idx
    }

    /// A section opened by a label outside lists sits one below the nearest heading.
    fn push_inferred(&mut self, title: &str) {
        while let Some(&top) = self.stack.last() {
            if self.sections[top].inferred {
                self.stack.pop();
            } else {
                break;
            }
        }
        let level = self
            .stack
            .last()
            .map_or(1, |&t| self.sections[t].level.saturating_add(1));
        self.push_section(title, level, String::new(), true);
    }

    /// The section content goes to, opening an untitled one for text before any heading.
    fn current(&mut self) -> usize {
        if let Some(&top) = self.stack.last() {
            return top;
        }
        self.push_section("(untitled)", 1, String::new(), true)
    }

    fn open_group(&mut self, section: usize, title: &str) {
        self.sections[section].groups.push(Group {
            title: label_text(title),
            steps: Vec::new(),
        });
    }

    /// Whether the current section has a labelled group open, in which case labels are
    /// steps with sub-steps rather than new sections.
    fn in_group(&self) -> bool {
        self.stack
            .last()
            .and_then(|&s| self.sections[s].groups.last())
            .is_some_and(|g| !g.title.is_empty())
    }

    fn push_step(&mut self, step: Step) {
        let s = self.current();
        let groups = &mut self.sections[s].groups;
        if groups.is_empty() {
            groups.push(Group::default());
        }
        if let Some(g) = groups.last_mut() {
            g.steps.push(step);
        }
    }

    fn last_step(&self) -> Option<&Step> {
        let &s = self.stack.last()?;
        self.sections[s].groups.last()?.steps.last()
    }

    fn last_step_mut(&mut self) -> Option<&mut Step> {
        let &s = self.stack.last()?;
        self.sections[s].groups.last_mut()?.steps.last_mut()
    }

    fn note(&mut self, text: &str) {
        let s = self.current();
        self.sections[s].notes.push(text.to_string());
    }

    /// Handles a paragraph; returns true when it also consumed the next block.
    fn para(&mut self, inline: &Inline, next: Option<&Block>) -> bool {
        let text = inline.text.trim();
        let next_list = matches!(next, Some(Block::List { .. }));

        if inline.all_strong() && text.chars().count() <= 80 && !text.ends_with('.') {
            let label = label_text(inline.strong_prefix.as_deref().unwrap_or(text));
            return self.label(&label, next);
        }
        if let Some((label, rest)) = inline.bold_label()
            && is_group_label(&label)
        {
            let s = self.current();
            self.open_group(s, &label);
            if !rest.is_empty() {
                self.push_step(step_from_inline(&rest, &inline.codes, None, 0));
            }
            return false;
        }
        if next_list && is_label_line(inline) {
            return self.label(&label_text(text), next);
        }
        let next_is_shell =
            matches!(next, Some(Block::Code { info, text }) if is_shell(info, text));
        if next_is_shell && (is_label_line(inline) || text.ends_with(':')) {
            self.push_step(step_from_inline(text, &inline.codes, None, 0));
            if let Some(Block::Code { info, text }) = next {
                self.code(info, text, true, 0);
            }
            return true;
        }
        // Prose that mentions a command stays prose; a line that hands one over
        // (`Restart it: `kubectl ...``) is a step.
        let ends_with_command = inline.lines <= 1
            && inline.codes.last().is_some_and(|c| code_span_is_command(c))
            && text.trim_end_matches('.').ends_with('`');
        let has_command = ends_with_command || command_after_label(text).is_some();
        if has_command {
            self.push_step(step_from_inline(text, &inline.codes, None, 0));
        } else {
            self.note(text);
        }
        false
    }

    /// A label outside a list: a group, a step heading sub-steps, or a section.
    fn label(&mut self, label: &str, next: Option<&Block>) -> bool {
        if is_group_label(label) {
            let s = self.current();
            self.open_group(s, label);
            return false;
        }
        if self.in_group() {
            self.push_step(step_from_inline(label, &[], None, 0));
            match next {
                Some(Block::List { ordered, items }) => {
                    self.list(items, *ordered, 1);
                    return true;
                }
                Some(Block::Code { info, text }) => {
                    self.code(info, text, true, 0);
                    return true;
                }
                _ => return false,
            }
        }
        self.push_inferred(label);
        false
    }

    fn list(&mut self, items: &[Item], ordered: bool, depth: u8) {
        for item in items {
            self.item(item, ordered, depth);
        }
    }

    fn item(&mut self, item: &Item, ordered: bool, depth: u8) {
        let has_sublist = item
            .children
            .iter()
            .any(|b| matches!(b, Block::List { .. }));
        let label = (!ordered && has_sublist && item.checked.is_none())
            .then(|| item_label(&item.inline))
            .flatten();
        if let Some((label, desc)) = label {
            if is_group_label(&label) {
                let s = self.current();
                self.open_group(s, &label);
                if !desc.is_empty() {
                    self.push_step(step_from_inline(&desc, &item.inline.codes, None, 0));
                }
                self.children(&item.children, 0);
                return;
            }
            if !self.in_group() {
                let parent = self.current();
                let saved = self.stack.len();
                let level = self.sections[parent].level.saturating_add(1);
                let s = self.push_section(&label, level, String::new(), true);
                if !desc.is_empty() {
                    self.sections[s].notes.push(desc);
                }
                self.children(&item.children, 0);
                self.stack.truncate(saved);
                return;
            }
        }
        let text = item.inline.text.trim();
        self.push_step(step_from_inline(
            text,
            &item.inline.codes,
            item.checked,
            depth,
        ));
        self.children(&item.children, depth.saturating_add(1));
    }

    fn children(&mut self, blocks: &[Block], depth: u8) {
        for b in blocks {
            match b {
                Block::List { ordered, items } => self.list(items, *ordered, depth),
                Block::Code { info, text } => {
                    let attach = self.last_step().is_some();
                    self.code(info, text, attach, depth.saturating_sub(1));
                }
                Block::Para(inline) => {
                    let has_cmd = inline.codes.iter().any(|c| code_span_is_command(c));
                    if let Some(step) = self.last_step_mut() {
                        step.text.push('\n');
                        step.text.push_str(inline.text.trim());
                        if has_cmd {
                            step.commands.extend(
                                inline
                                    .codes
                                    .iter()
                                    .filter(|c| code_span_is_command(c))
                                    .cloned(),
                            );
                        }
                    }
                }
                Block::Table(t) => {
                    let s = self.current();
                    self.sections[s].tables.push(t.clone());
                }
                Block::Heading { inline, .. } => self.note(&inline.text),
            }
        }
    }

    /// A code block: shell commands attach to the step before it (`attach`) or become
    /// steps of their own; other code is kept as a note.
    fn code(&mut self, info: &str, text: &str, attach: bool, depth: u8) {
        if !is_shell(info, text) {
            let t = text.trim_end();
            if !t.is_empty() {
                self.note(t);
            }
            return;
        }
        let groups = shell_commands(text);
        let mut groups = groups.into_iter().peekable();
        if attach && let Some(step) = self.last_step_mut() {
            let sub_depth = step.depth.saturating_add(1);
            let single = groups.len() == 1;
            if let Some(first) = groups.peek()
                && (first.comment.is_empty() || (single && !first.commands.is_empty()))
                && let Some(first) = groups.next()
            {
                let mut cmds = first.commands;
                if !first.comment.is_empty()
                    && let Some(c) = cmds.first_mut()
                {
                    c.push_str("  # ");
                    c.push_str(&first.comment);
                }
                step.commands.extend(cmds);
            }
            for g in groups {
                self.push_step(step_of_group(g, sub_depth));
            }
            return;
        }
        for g in groups {
            self.push_step(step_of_group(g, depth));
        }
    }
}

/// Whether a code block holds shell commands: by its language, or by its look when it
/// has none.
fn is_shell(info: &str, text: &str) -> bool {
    if info.is_empty() {
        looks_like_shell(text)
    } else {
        is_shell_lang(info)
    }
}

/// The label of a list item that titles a nested list: a bold lead (`**Errors**: ...`) or
/// a short line ending with a colon (`Serving high latency:`).
fn item_label(inline: &Inline) -> Option<(String, String)> {
    if let Some((label, desc)) = inline.bold_label()
        && label.chars().count() <= 60
        && label.split_whitespace().count() <= 8
    {
        return Some((label, desc));
    }
    let t = inline.text.trim();
    (t.ends_with(':') && is_label_line(inline)).then(|| (label_text(t), String::new()))
}

fn step_from_inline(text: &str, codes: &[String], checked: Option<bool>, depth: u8) -> Step {
    let mut commands: Vec<String> = codes
        .iter()
        .filter(|c| code_span_is_command(c))
        .map(|c| c.trim().trim_start_matches("$ ").to_string())
        .collect();
    if commands.is_empty()
        && let Some(c) = command_after_label(text)
    {
        commands.push(c.to_string());
    }
    Step {
        text: text.to_string(),
        commands,
        checked: checked.unwrap_or(false),
        depth,
    }
}

/// A shell block's command group as a step of its own: its comment says what it does.
fn step_of_group(g: super::commands::CommandGroup, depth: u8) -> Step {
    let text = if g.comment.is_empty() {
        g.commands.first().cloned().unwrap_or_default()
    } else {
        g.comment
    };
    Step {
        text,
        commands: g.commands,
        checked: false,
        depth,
    }
}
