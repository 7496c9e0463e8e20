//! Keymaps: keys bound to command lines, built-in presets laid under the user's file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::error::{FileError, FileErrors};
use super::preset::{self, Preset};
use crate::command::Command;
use crate::command::overlay::{OverlayAction, SECTIONS, Section};

/// The built-in keymaps, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// A key with its modifiers, normalised so that `K` and `shift-k` are one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// The key codes sitrep binds, in an orderable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    Insert,
}

impl Key {
    /// The key a terminal event stands for, if sitrep can bind it.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeOrd::BackTab,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `ctrl-c`, `shift-tab`, `K`, `space`, `pgdown`, `f1`...
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                let c = if shift { c.to_ascii_uppercase() } else { c };
                KeyCodeOrd::Char(c)
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCodeOrd::Char(' '),
                "enter" | "return" => KeyCodeOrd::Enter,
                "esc" | "escape" => KeyCodeOrd::Esc,
                "tab" if shift => KeyCodeOrd::BackTab,
                "tab" => KeyCodeOrd::Tab,
                "backtab" => KeyCodeOrd::BackTab,
                "backspace" => KeyCodeOrd::Backspace,
                "up" => KeyCodeOrd::Up,
                "down" => KeyCodeOrd::Down,
                "left" => KeyCodeOrd::Left,
                "right" => KeyCodeOrd::Right,
                "pgup" | "pageup" => KeyCodeOrd::PageUp,
                "pgdown" | "pagedown" => KeyCodeOrd::PageDown,
                "home" => KeyCodeOrd::Home,
                "end" => KeyCodeOrd::End,
                "delete" | "del" => KeyCodeOrd::Delete,
                "insert" => KeyCodeOrd::Insert,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCodeOrd::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "unknown key `{s}`: use a character, or ctrl-/alt-/shift- with space, enter, \
                         esc, tab, backspace, up, down, left, right, pgup, pgdown, home, end, delete, f1-f12"
                    ));
                }
            },
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::Enter => f.write_str("enter"),
            KeyCodeOrd::Esc => f.write_str("esc"),
            KeyCodeOrd::Tab => f.write_str("tab"),
            KeyCodeOrd::BackTab => f.write_str("shift-tab"),
            KeyCodeOrd::Backspace => f.write_str("backspace"),
            KeyCodeOrd::Up => f.write_str("up"),
            KeyCodeOrd::Down => f.write_str("down"),
            KeyCodeOrd::Left => f.write_str("left"),
            KeyCodeOrd::Right => f.write_str("right"),
            KeyCodeOrd::PageUp => f.write_str("pgup"),
            KeyCodeOrd::PageDown => f.write_str("pgdown"),
            KeyCodeOrd::Home => f.write_str("home"),
            KeyCodeOrd::End => f.write_str("end"),
            KeyCodeOrd::Delete => f.write_str("delete"),
            KeyCodeOrd::Insert => f.write_str("insert"),
        }
    }
}

type Table = BTreeMap<Spanned<String>, Spanned<String>>;

/// A keymap file as written: `[keys]` for the cockpit, one section per overlay.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeymapFile {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    keys: Table,
    #[serde(default)]
    help: Table,
    #[serde(default)]
    output: Table,
    #[serde(default)]
    quit: Table,
    #[serde(default)]
    confirm: Table,
    #[serde(default)]
    menu: Table,
    #[serde(default)]
    editor: Table,
    #[serde(default)]
    line: Table,
}

impl KeymapFile {
    fn section(&self, s: Section) -> &Table {
        match s {
            Section::Help => &self.help,
            Section::Output => &self.output,
            Section::Quit => &self.quit,
            Section::Confirm => &self.confirm,
            Section::Menu => &self.menu,
            Section::Editor => &self.editor,
            Section::Line => &self.line,
        }
    }
}

/// A resolved keymap: each key bound to a parsed command and the line it was written as,
/// and each overlay's keys bound to that overlay's actions.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub name: String,
    bindings: BTreeMap<Key, (Command, String)>,
    overlays: BTreeMap<Section, BTreeMap<Key, OverlayAction>>,
}

impl Keymap {
    /// The command bound to a key.
    pub fn lookup(&self, key: &Key) -> Option<&Command> {
        self.bindings.get(key).map(|(c, _)| c)
    }

    /// Every binding, for the help overlay: key and the command line it runs.
    pub fn bindings(&self) -> impl Iterator<Item = (&Key, &str)> {
        self.bindings
            .iter()
            .map(|(k, (_, line))| (k, line.as_str()))
    }

    /// The keys bound to a command line, for hints (`R` for `rollback`).
    pub fn keys_for(&self, line: &str) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .bindings
            .iter()
            .filter(|(_, (_, l))| l == line)
            .map(|(k, _)| *k)
            .collect();
        // Plain keys first: `q` is the hint for quit, not `ctrl-c`.
        keys.sort_by_key(|k| (k.ctrl || k.alt, *k));
        keys
    }

    /// What `key` does in the overlay of `section`.
    pub fn overlay_action(&self, section: Section, key: &Key) -> Option<OverlayAction> {
        self.overlays.get(&section)?.get(key).copied()
    }

    /// Every binding of an overlay section, for help.
    pub fn overlay_bindings(
        &self,
        section: Section,
    ) -> impl Iterator<Item = (&Key, OverlayAction)> {
        self.overlays
            .get(&section)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, a)| (k, *a)))
    }

    /// The keys bound to `action` in `section`, plain keys first.
    pub fn overlay_keys(&self, section: Section, action: OverlayAction) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .overlay_bindings(section)
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect();
        // Characters before named keys, `y` before `Y`, modified keys last.
        keys.sort_by_key(|k| {
            let upper = matches!(k.code, KeyCodeOrd::Char(c) if c.is_uppercase());
            (
                k.ctrl || k.alt,
                !matches!(k.code, KeyCodeOrd::Char(_)),
                upper,
                *k,
            )
        });
        keys
    }

    /// An overlay's hint from its live bindings: `y/enter confirm   n/esc cancel`. Actions
    /// with no key are left out, so the hint never promises a key that does nothing.
    pub fn hint(&self, section: Section, parts: &[(OverlayAction, &str)]) -> String {
        self.hint_where(section, parts, |_| true)
    }

    /// [`Keymap::hint`] with only the keys `keep` accepts (no characters while a name is
    /// typed, say). `Y` is left out beside `y`: one spelling is enough for a hint.
    pub fn hint_where(
        &self,
        section: Section,
        parts: &[(OverlayAction, &str)],
        keep: impl Fn(&Key) -> bool,
    ) -> String {
        parts
            .iter()
            .filter_map(|(action, label)| {
                let keys = self.overlay_keys(section, *action);
                let shown: Vec<String> = keys
                    .iter()
                    .filter(|k| keep(k))
                    .filter(|k| match k.code {
                        KeyCodeOrd::Char(c) if c.is_uppercase() => !keys.iter().any(|o| {
                            o.code == KeyCodeOrd::Char(c.to_ascii_lowercase())
                                && (o.ctrl, o.alt) == (k.ctrl, k.alt)
                        }),
                        _ => true,
                    })
                    .map(Key::to_string)
                    .collect();
                (!shown.is_empty()).then(|| format!("{} {label}", shown.join("/")))
            })
            .collect::<Vec<_>>()
            .join("   ")
    }

    /// Whether a key types a character (no ctrl or alt).
    pub fn is_char(key: &Key) -> bool {
        matches!(key.code, KeyCodeOrd::Char(_)) && !key.ctrl && !key.alt
    }

    /// Binds each kill switch's own key (from the config) to `kill-switch NAME`, so it is
    /// parsed once and listed in help like any other key. A key that does not parse or is
    /// already bound is left out: `sitrep check` and start-up report those.
    pub fn bind_kill_switches(&mut self, switches: &[crate::config::kube::KillSwitchConfig]) {
        for ks in switches {
            let Some(Ok(key)) = ks.key.as_deref().map(Key::parse) else {
                continue;
            };
            if self.bindings.contains_key(&key) {
                continue;
            }
            let cmd = Command::KillSwitch {
                name: Some(ks.name.clone()),
                on: None,
            };
            self.bindings
                .insert(key, (cmd, format!("kill-switch {}", ks.name)));
        }
    }

    /// Loads `spec` (a built-in name or a path), laying the user's file of the same name
    /// from `user_dir` over a built-in.
    pub fn load(spec: &str, user_dir: Option<&Path>) -> Result<Keymap, FileErrors> {
        preset::load(spec, user_dir)
    }

    /// Reads a keymap file's `text` as if loaded from `path`.
    pub fn from_text(path: &Path, text: &str) -> Result<Keymap, FileErrors> {
        preset::from_text(path, text)
    }
}

impl Preset for Keymap {
    const KIND: &'static str = "keymap";
    const BUILTIN: &'static [(&'static str, &'static str)] = BUILTIN;
    type File = KeymapFile;

    fn inherits(file: &KeymapFile) -> Option<&Spanned<String>> {
        file.inherits.as_ref()
    }

    fn empty() -> Keymap {
        Keymap {
            name: String::new(),
            bindings: BTreeMap::new(),
            overlays: BTreeMap::new(),
        }
    }

    fn apply(&mut self, path: &Path, text: &str, file: &KeymapFile) -> Result<(), FileErrors> {
        apply(self, path, text, file)
    }

    fn finish(&mut self, name: String, _path: &Path, _text: &str) -> Result<(), FileErrors> {
        self.name = name;
        Ok(())
    }
}

fn apply(map: &mut Keymap, path: &Path, text: &str, file: &KeymapFile) -> Result<(), FileErrors> {
    let mut errors = Vec::new();
    // Two spellings of one key in one file (`K` and `shift-k`) would silently shadow each other.
    let mut seen: BTreeMap<Key, &Spanned<String>> = BTreeMap::new();
    for (key_text, line) in &file.keys {
        let key = match Key::parse(key_text.get_ref()) {
            Ok(k) => k,
            Err(msg) => {
                errors.push(FileError::at(path, text, Some(key_text.span()), msg));
                continue;
            }
        };
        if let Some(first) = seen.insert(key, key_text) {
            errors.push(FileError::at(
                path,
                text,
                Some(key_text.span()),
                format!(
                    "duplicate binding: `{}` is the same key as `{}` (line {})",
                    key_text.get_ref(),
                    first.get_ref(),
                    super::error::line_of(text, first.span().start)
                ),
            ));
            continue;
        }
        let line_text = line.get_ref().trim();
        if line_text.is_empty() || line_text == "none" {
            map.bindings.remove(&key);
            continue;
        }
        match Command::parse(line_text) {
            Ok(cmd) => {
                map.bindings.insert(key, (cmd, line_text.to_string()));
            }
            Err(e) => errors.push(FileError::at(
                path,
                text,
                Some(line.span()),
                format!("`{}` = `{line_text}`: {e}", key_text.get_ref()),
            )),
        }
    }
    for spec in SECTIONS {
        let table = file.section(spec.section);
        let map = map.overlays.entry(spec.section).or_default();
        apply_section(map, spec.section, path, text, table, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FileErrors(errors))
    }
}

/// Lays one overlay section's keys over `map`, with the same checks as `[keys]`.
fn apply_section(
    map: &mut BTreeMap<Key, OverlayAction>,
    section: Section,
    path: &Path,
    text: &str,
    table: &Table,
    errors: &mut Vec<FileError>,
) {
    let mut seen: BTreeMap<Key, &Spanned<String>> = BTreeMap::new();
    for (key_text, action) in table {
        let key = match Key::parse(key_text.get_ref()) {
            Ok(k) => k,
            Err(msg) => {
                errors.push(FileError::at(path, text, Some(key_text.span()), msg));
                continue;
            }
        };
        if let Some(first) = seen.insert(key, key_text) {
            errors.push(FileError::at(
                path,
                text,
                Some(key_text.span()),
                format!(
                    "duplicate binding in [{section}]: `{}` is the same key as `{}` (line {})",
                    key_text.get_ref(),
                    first.get_ref(),
                    super::error::line_of(text, first.span().start)
                ),
            ));
            continue;
        }
        let name = action.get_ref().trim();
        if name.is_empty() || name == "none" {
            map.remove(&key);
            continue;
        }
        match section.action(name) {
            Ok(a) => {
                map.insert(key, a);
            }
            Err(e) => errors.push(FileError::at(
                path,
                text,
                Some(action.span()),
                format!("[{section}] `{}` = `{name}`: {e}", key_text.get_ref()),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::command::{FocusTarget, Pane};

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn builtins_load_and_bind_the_documented_keys() {
        let m = Keymap::load("default", None).unwrap();
        for (k, line) in [
            ("?", "help"),
            ("q", "quit"),
            ("tab", "focus next"),
            ("shift-tab", "focus prev"),
            ("z", "zoom"),
            (":", "command-line"),
            ("n", "note"),
            ("a", "ack"),
            ("space", "check"),
            ("K", "kill-switch"),
            ("R", "rollback"),
            ("/", "filter"),
            ("p", "toggle-pause"),
            ("e", "next-error"),
            ("F", "first-error"),
        ] {
            assert_eq!(
                m.lookup(&key(k)),
                Some(&Command::parse(line).unwrap()),
                "{k}"
            );
        }
        let vim = Keymap::load("vim", None).unwrap();
        assert_eq!(vim.lookup(&key("j")), Some(&Command::Down));
        assert_eq!(
            vim.lookup(&key("?")),
            Some(&Command::Help),
            "vim inherits the default keys"
        );
    }

    #[test]
    fn key_spellings_normalise() {
        assert_eq!(key("K"), key("shift-k"));
        assert_eq!(key("shift-tab"), key("backtab"));
        assert_eq!(key("ctrl-c").to_string(), "ctrl-c");
        assert_eq!(key("space").to_string(), "space");
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn errors_name_file_line_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(
            &path,
            "[keys]\nx = \"explode\"\n\"K\" = \"help\"\n\"shift-k\" = \"zoom\"\n",
        )
        .unwrap();
        let e = Keymap::load(path.to_str().unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("keys.toml:2: `x` = `explode`: unknown command `explode`"),
            "{e}"
        );
        assert!(
            e.contains("keys.toml:4: duplicate binding: `shift-k` is the same key as `K` (line 3)"),
            "{e}"
        );
        std::fs::write(&path, "[keys]\nx = \"help\"\nx = \"zoom\"\n").unwrap();
        let e = Keymap::load(path.to_str().unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("keys.toml:3:"), "{e}");
    }

    #[test]
    fn user_file_overrides_key_by_key_and_can_unbind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keymaps")).unwrap();
        std::fs::write(
            dir.path().join("keymaps/default.toml"),
            "[keys]\nz = \"focus logs\"\nq = \"\"\n",
        )
        .unwrap();
        let m = Keymap::load("default", Some(dir.path())).unwrap();
        assert_eq!(
            m.lookup(&key("z")),
            Some(&Command::Focus(FocusTarget::Pane(Pane::Logs)))
        );
        assert_eq!(m.lookup(&key("q")), None);
        assert_eq!(m.lookup(&key("?")), Some(&Command::Help));
    }

    #[test]
    fn overlay_sections_bind_rebind_and_are_checked() {
        use crate::command::overlay::{OverlayAction as A, Section};
        let m = Keymap::load("default", None).unwrap();
        assert_eq!(m.overlay_action(Section::Confirm, &key("y")), Some(A::Yes));
        assert_eq!(m.overlay_action(Section::Quit, &key("q")), Some(A::Yes));
        assert_eq!(m.overlay_action(Section::Menu, &key("j")), Some(A::Down));
        assert_eq!(
            m.overlay_action(Section::Line, &key("tab")),
            Some(A::Complete)
        );
        let vim = Keymap::load("vim", None).unwrap();
        assert_eq!(
            vim.overlay_action(Section::Editor, &key("ctrl-s")),
            Some(A::Submit),
            "sections are inherited"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(
            &path,
            "inherits = \"default\"\n[confirm]\ny = \"\"\no = \"yes\"\n",
        )
        .unwrap();
        let m = Keymap::load(path.to_str().unwrap(), None).unwrap();
        assert_eq!(m.overlay_action(Section::Confirm, &key("y")), None);
        assert_eq!(m.overlay_action(Section::Confirm, &key("o")), Some(A::Yes));
        assert_eq!(
            m.hint(Section::Confirm, &[(A::Yes, "confirm"), (A::No, "cancel")]),
            "o/Y/enter confirm   n/esc cancel"
        );
        std::fs::write(
            &path,
            "[menu]\nx = \"explode\"\n\"K\" = \"up\"\n\"shift-k\" = \"down\"\n",
        )
        .unwrap();
        let e = Keymap::load(path.to_str().unwrap(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("keys.toml:2: [menu] `x` = `explode`: unknown [menu] action `explode`; one of: up, down, pick, close"),
            "{e}"
        );
        assert!(
            e.contains("keys.toml:4: duplicate binding in [menu]"),
            "{e}"
        );
        std::fs::write(&path, "[bogus]\nx = \"up\"\n").unwrap();
        assert!(Keymap::load(path.to_str().unwrap(), None).is_err());
    }
}
