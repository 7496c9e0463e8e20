//! The runbook checklist: which section answers the incident, which steps are done.

use std::collections::BTreeSet;

use crate::event::{Action, Level};
use crate::journal::Kind;
use crate::runbook::{AlertRef, MatchRule, Runbook, Step, match_alert, placeholders};

use super::{App, Effect, LineInput, Overlay};

/// The runbooks loaded, the section on screen and the operator's ticks.
#[derive(Debug, Clone)]
pub struct Checklist {
    pub books: Vec<Runbook>,
    /// Book and section on screen.
    pub book: usize,
    pub section: usize,
    /// Which rule put this section on screen.
    pub rule: String,
    /// The operator picked the section: alerts no longer move it.
    pub pinned: bool,
    /// Index of the selected step among the section's steps.
    pub cursor: usize,
    /// Steps whose state differs from what the runbook file says: (book, section, group, step).
    toggled: BTreeSet<(usize, usize, usize, usize)>,
    /// A step whose change was asked for with `x`: ticked when the change succeeds.
    pub pending: Option<super::native_step::PendingStep>,
    /// Steps whose criterion holds, and since when (a self-verifying step ticks once it
    /// has held for its duration).
    pub holding: std::collections::BTreeMap<super::suggest::StepKey, jiff::Timestamp>,
    /// The measurable criteria of the section on screen, read once per section.
    pub criteria: Option<SectionCriteria>,
}

/// A section (book, section) and its steps' criteria: (group, step, criterion).
pub type SectionCriteria = (
    (usize, usize),
    Vec<(usize, usize, crate::runbook::criterion::Criterion)>,
);

impl Checklist {
    /// A checklist over `books`, showing the first section with steps.
    pub fn new(books: Vec<Runbook>) -> Option<Checklist> {
        let (book, section) = books.iter().enumerate().find_map(|(b, rb)| {
            rb.sections
                .iter()
                .position(|s| s.groups.iter().any(|g| !g.steps.is_empty()))
                .map(|s| (b, s))
        })?;
        Some(Checklist {
            books,
            book,
            section,
            rule: "first section".into(),
            pinned: false,
            cursor: 0,
            toggled: BTreeSet::new(),
            pending: None,
            holding: Default::default(),
            criteria: None,
        })
    }

    /// The section on screen.
    pub fn current(&self) -> Option<&crate::runbook::Section> {
        self.books.get(self.book)?.sections.get(self.section)
    }

    /// (group, step) of every step of the section on screen, in order.
    pub fn steps(&self) -> Vec<(usize, usize)> {
        self.current()
            .map(|s| {
                s.groups
                    .iter()
                    .enumerate()
                    .flat_map(|(g, grp)| (0..grp.steps.len()).map(move |i| (g, i)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a step of the section on screen is ticked.
    pub fn is_checked(&self, group: usize, step: usize) -> bool {
        let file = self
            .current()
            .and_then(|s| s.groups.get(group)?.steps.get(step))
            .is_some_and(|s| s.checked);
        file != self
            .toggled
            .contains(&(self.book, self.section, group, step))
    }

    /// Ticks a step of any section (not unticking one already done); its journal text
    /// (`Section › step`) when it was not ticked before.
    pub fn tick(&mut self, key: (usize, usize, usize, usize)) -> Option<String> {
        let (b, s, g, i) = key;
        let section = self.books.get(b)?.sections.get(s)?;
        let step = section.groups.get(g)?.steps.get(i)?;
        let ticked = step.checked != self.toggled.contains(&key);
        if ticked {
            return None;
        }
        let text = format!("{} › {}", section.title, step.text);
        if step.checked {
            self.toggled.remove(&key);
        } else {
            self.toggled.insert(key);
        }
        Some(text)
    }

    /// The selected step.
    pub fn selected(&self) -> Option<(usize, usize, &Step)> {
        let (g, i) = *self.steps().get(self.cursor)?;
        let step = self.current()?.groups.get(g)?.steps.get(i)?;
        Some((g, i, step))
    }

    /// Done and total steps of the section on screen.
    pub fn progress(&self) -> (usize, usize) {
        let steps = self.steps();
        let done = steps
            .iter()
            .filter(|(g, i)| self.is_checked(*g, *i))
            .count();
        (done, steps.len())
    }

    /// The best section for an alert over every book: explicit rules before fuzzy ones.
    pub fn answer(
        &self,
        alert: &AlertRef,
        mapping: &std::collections::BTreeMap<String, String>,
    ) -> Option<(usize, usize, String)> {
        let mut best: Option<(usize, usize, String, f32)> = None;
        for (b, rb) in self.books.iter().enumerate() {
            let Some(m) = match_alert(rb, alert, mapping) else {
                continue;
            };
            let rank = match &m.rule {
                MatchRule::RunbookUrl => 3.0,
                MatchRule::Config => 2.0,
                MatchRule::Fuzzy { score, .. } => *score,
            };
            if best.as_ref().is_none_or(|(_, _, _, r)| rank > *r) {
                best = Some((b, m.section, m.rule.to_string(), rank));
            }
        }
        best.map(|(b, s, rule, _)| (b, s, rule))
    }

    /// The (book, section) a config names: `file.md#anchor`, a title or an anchor.
    pub fn find(&self, target: &str) -> Option<(usize, usize)> {
        self.books
            .iter()
            .enumerate()
            .find_map(|(b, rb)| crate::runbook::find_section(rb, target).map(|s| (b, s)))
    }

    fn show(&mut self, book: usize, section: usize, rule: String) {
        if (self.book, self.section) != (book, section) {
            self.cursor = 0;
        }
        self.book = book;
        self.section = section;
        self.rule = rule;
    }

    /// Every (book, section) that has steps, in order, for `section next|prev`.
    fn sections_with_steps(&self) -> Vec<(usize, usize)> {
        self.books
            .iter()
            .enumerate()
            .flat_map(|(b, rb)| {
                rb.sections
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.groups.iter().any(|g| !g.steps.is_empty()))
                    .map(move |(s, _)| (b, s))
            })
            .collect()
    }
}

impl App {
    /// Matches a newly firing alert to a runbook section and shows it unless the operator
    /// pinned another.
    pub(super) fn match_runbook(&mut self, alert_index: usize) {
        let Some(checklist) = &self.checklist else {
            return;
        };
        let Some(a) = self.alerts.get(alert_index) else {
            return;
        };
        let alert = AlertRef {
            name: &a.status.name,
            summary: &a.status.summary,
            runbook_url: a.status.runbook_url.as_deref(),
        };
        // The alert's service names its runbook section: that wins over matching.
        let by_service =
            super::services::service_for_alert(&self.config.services, &self.pods, &a.status)
                .service()
                .and_then(|s| {
                    let (b, sec) = checklist.find(s.runbook.as_ref()?.get_ref())?;
                    Some((b, sec, format!("service {}", s.name())))
                });
        let found = by_service.or_else(|| checklist.answer(&alert, &self.config.runbooks.map));
        let label = found.as_ref().and_then(|(b, s, rule)| {
            let title = &checklist.books.get(*b)?.sections.get(*s)?.title;
            Some((*b, *s, format!("{title} ({rule})")))
        });
        if let Some(a) = self.alerts.list.get_mut(alert_index) {
            a.runbook = label.as_ref().map(|(b, s, text)| (*b, *s, text.clone()));
        }
        if let (Some(c), Some((b, s, rule))) = (&mut self.checklist, found)
            && !c.pinned
        {
            let name = self
                .alerts
                .get(alert_index)
                .map(|a| a.status.name.clone())
                .unwrap_or_default();
            c.show(b, s, format!("{name}: {rule}"));
        }
    }

    /// `section next|prev|<title or anchor>`: the operator picks the section.
    pub(super) fn pick_section(&mut self, which: &str) {
        let Some(c) = &mut self.checklist else {
            self.flash(Level::Warn, "no runbook loaded");
            return;
        };
        let all = c.sections_with_steps();
        let here = all
            .iter()
            .position(|p| *p == (c.book, c.section))
            .unwrap_or(0);
        let target = match which {
            "next" => all.get((here + 1) % all.len().max(1)).copied(),
            "prev" => all
                .get((here + all.len().max(1) - 1) % all.len().max(1))
                .copied(),
            "auto" => {
                c.pinned = false;
                let selected = self.alerts.selected;
                self.match_runbook(selected);
                return;
            }
            name => {
                let wanted = name.trim_start_matches('#').to_lowercase();
                c.books.iter().enumerate().find_map(|(b, rb)| {
                    rb.sections
                        .iter()
                        .position(|s| s.anchor == wanted || s.title.to_lowercase() == wanted)
                        .map(|s| (b, s))
                })
            }
        };
        match target {
            Some((b, s)) => {
                c.pinned = true;
                c.show(b, s, "picked by the operator".into());
            }
            None => {
                let msg = format!("no runbook section `{which}`");
                self.flash(Level::Crit, msg);
            }
        }
    }

    pub(super) fn move_runbook_cursor(&mut self, delta: isize) {
        if let Some(c) = &mut self.checklist {
            let len = c.steps().len();
            if len > 0 {
                c.cursor = (c.cursor as isize)
                    .saturating_add(delta)
                    .clamp(0, len as isize - 1) as usize;
            }
        }
    }

    pub(super) fn toggle_step(&mut self) {
        let Some(c) = &mut self.checklist else {
            self.flash(Level::Warn, "no runbook loaded");
            return;
        };
        let Some((g, i, step)) = c.selected() else {
            self.flash(Level::Warn, "this section has no steps");
            return;
        };
        let text = step.text.clone();
        let title = c.current().map(|s| s.title.clone()).unwrap_or_default();
        let key = (c.book, c.section, g, i);
        if !c.toggled.remove(&key) {
            c.toggled.insert(key);
        }
        let kind = if c.is_checked(g, i) {
            Kind::StepTicked
        } else {
            Kind::StepUnticked
        };
        if c.steps().len() > c.cursor + 1 && kind == Kind::StepTicked {
            c.cursor += 1;
        }
        self.journal(kind, format!("{title} › {text}"), None);
    }

    fn selected_commands(&mut self) -> Option<Vec<String>> {
        let Some((_, _, step)) = self.checklist.as_ref().and_then(|c| c.selected()) else {
            self.flash(Level::Warn, "no runbook step selected");
            return None;
        };
        if step.commands.is_empty() {
            self.flash(Level::Warn, "this step has no command");
            return None;
        }
        Some(step.commands.clone())
    }

    pub(super) fn copy_step_command(&mut self) {
        if let Some(cmds) = self.selected_commands() {
            let n = cmds.len();
            self.emit(Effect::Clipboard(cmds.join("\n")));
            self.flash(
                Level::Ok,
                format!(
                    "copied {n} command{} to the clipboard",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
    }

    /// Asks to run a shell command; one with placeholders goes to the command line to be filled.
    pub(super) fn run_shell(&mut self, command: String) {
        if self.read_only {
            self.flash(Level::Warn, "read-only: sitrep runs no commands");
            return;
        }
        let holes = placeholders(&command);
        if let Some(first) = holes.first() {
            let name = command[first.clone()].to_string();
            self.overlay = Some(Overlay::CommandLine(LineInput {
                text: format!("run {command}"),
                ..LineInput::default()
            }));
            self.flash(Level::Warn, format!("fill in {name} first, then enter"));
            return;
        }
        self.confirm(Action::Shell { command });
    }
}
