//! What keys do inside overlays. Each overlay is a section of the keymap (`[confirm]`,
//! `[menu]`, `[editor]`, ...) binding keys to the actions listed here, so overlay keys are
//! rebindable, listed in help, and the hints an overlay shows come from its live bindings.

use std::fmt;

/// A keymap section: the overlay its keys work in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Help,
    Output,
    Quit,
    Confirm,
    Menu,
    Editor,
    Line,
}

/// What a key does inside an overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OverlayAction {
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
    Yes,
    No,
    Pick,
    Submit,
    Cancel,
    Complete,
    Clear,
    DeleteWord,
    Delete,
    /// Put the overlay's text on the clipboard.
    Copy,
}

/// One section as the keymap file and help know it.
#[derive(Debug, Clone, Copy)]
pub struct SectionSpec {
    pub section: Section,
    /// The TOML table name: `[confirm]`.
    pub name: &'static str,
    pub about: &'static str,
    /// The actions keys can be bound to here: action, its name, what it does.
    pub actions: &'static [(OverlayAction, &'static str, &'static str)],
}

use OverlayAction as A;

const PAGER: &[(OverlayAction, &str, &str)] = &[
    (A::Close, "close", "close it"),
    (A::Up, "up", "scroll up a line"),
    (A::Down, "down", "scroll down a line"),
    (A::PageUp, "page-up", "scroll up a page"),
    (A::PageDown, "page-down", "scroll down a page"),
];

/// A command's output (a describe view, a shell command's): the pager, and copying it.
const OUTPUT: &[(OverlayAction, &str, &str)] = &[
    (A::Close, "close", "close it"),
    (A::Up, "up", "scroll up a line"),
    (A::Down, "down", "scroll down a line"),
    (A::PageUp, "page-up", "scroll up a page"),
    (A::PageDown, "page-down", "scroll down a page"),
    (A::Copy, "copy", "copy all of it (OSC 52)"),
];

/// Every overlay section, in the order help lists them.
pub const SECTIONS: &[SectionSpec] = &[
    SectionSpec {
        section: Section::Help,
        name: "help",
        about: "the help overlay",
        actions: PAGER,
    },
    SectionSpec {
        section: Section::Output,
        name: "output",
        about: "a command's output",
        actions: OUTPUT,
    },
    SectionSpec {
        section: Section::Quit,
        name: "quit",
        about: "the quit question (any unbound key stays)",
        actions: &[(A::Yes, "yes", "quit"), (A::No, "no", "stay")],
    },
    SectionSpec {
        section: Section::Confirm,
        name: "confirm",
        about: "a world-changing action's confirmation (when a name must be typed, characters type it)",
        actions: &[
            (A::Yes, "yes", "confirm"),
            (A::No, "no", "cancel"),
            (A::Delete, "delete", "delete the last typed character"),
        ],
    },
    SectionSpec {
        section: Section::Menu,
        name: "menu",
        about: "the kill-switch menu, the rollback dialog and the target pick list",
        actions: &[
            (A::Up, "up", "select the previous entry"),
            (A::Down, "down", "select the next entry"),
            (A::Pick, "pick", "pick the selected entry (asks first)"),
            (A::Close, "close", "close the menu"),
        ],
    },
    SectionSpec {
        section: Section::Editor,
        name: "editor",
        about: "the note and status update editor (other keys edit)",
        actions: &[
            (A::Submit, "submit", "add the note, post the update"),
            (A::Cancel, "cancel", "close (a note is kept as a draft)"),
        ],
    },
    SectionSpec {
        section: Section::Line,
        name: "line",
        about: "the `:` command line and the `/` filter prompt (characters type)",
        actions: &[
            (A::Submit, "submit", "run the command, set the filter"),
            (A::Cancel, "cancel", "close without running"),
            (
                A::Complete,
                "complete",
                "complete the name or argument (again: the next choice)",
            ),
            (A::Clear, "clear", "clear the line"),
            (A::DeleteWord, "delete-word", "delete the last word"),
            (A::Delete, "delete", "delete the last character"),
        ],
    },
];

impl Section {
    /// This section's entry in [`SECTIONS`].
    pub fn spec(self) -> &'static SectionSpec {
        // Every section has an entry; the test below holds the table to it.
        SECTIONS
            .iter()
            .find(|s| s.section == self)
            .unwrap_or(&SECTIONS[0])
    }

    /// The section called `name` in a keymap file.
    pub fn named(name: &str) -> Option<Section> {
        SECTIONS.iter().find(|s| s.name == name).map(|s| s.section)
    }

    /// Parses an action name valid in this section; the error lists the valid ones.
    pub fn action(self, name: &str) -> Result<OverlayAction, String> {
        let spec = self.spec();
        spec.actions
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
            .ok_or_else(|| {
                let names: Vec<&str> = spec.actions.iter().map(|(_, n, _)| *n).collect();
                format!(
                    "unknown [{}] action `{name}`; one of: {}",
                    spec.name,
                    names.join(", ")
                )
            })
    }

    /// The name of `action` in this section.
    pub fn action_name(self, action: OverlayAction) -> &'static str {
        self.spec()
            .actions
            .iter()
            .find(|(a, _, _)| *a == action)
            .map_or("?", |(_, n, _)| n)
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec().name)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_section_has_one_entry_and_its_actions_parse() {
        for s in [
            Section::Help,
            Section::Output,
            Section::Quit,
            Section::Confirm,
            Section::Menu,
            Section::Editor,
            Section::Line,
        ] {
            assert_eq!(SECTIONS.iter().filter(|x| x.section == s).count(), 1);
            assert_eq!(s.spec().section, s);
            assert_eq!(Section::named(s.spec().name), Some(s));
            for (a, name, _) in s.spec().actions {
                assert_eq!(s.action(name), Ok(*a));
                assert_eq!(s.action_name(*a), *name);
            }
        }
        let e = Section::Menu
            .action("explode")
            .expect_err("not a menu action");
        assert!(e.contains("one of: up, down, pick, close"), "{e}");
    }
}
