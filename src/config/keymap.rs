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

/// A keymap file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeymapFile {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// A resolved keymap: each key bound to a parsed command and the line it was written as.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub name: String,
    bindings: BTreeMap<Key, (Command, String)>,
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

    /// Loads `spec` (a built-in name or a path), laying the user's file of the same name
    /// from `user_dir` over a built-in.
    pub fn load(spec: &str, user_dir: Option<&Path>) -> Result<Keymap, FileErrors> {
        preset::load(spec, user_dir)
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
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FileErrors(errors))
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
}
