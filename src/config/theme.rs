//! Colour themes: built-in presets compiled in, user files laid over them key by key.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::error::{FileError, FileErrors};
use super::preset::{self, Preset};

/// The built-in themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// Every colour role a theme sets, and what it colours.
pub const ROLES: &[(&str, &str)] = &[
    ("background", "screen background"),
    ("text", "ordinary text"),
    ("muted", "secondary text, ages, units"),
    ("border", "pane borders"),
    ("border_focused", "the focused pane's border"),
    ("title", "pane titles"),
    ("selection", "background of the selected row"),
    ("ok", "healthy values"),
    ("warn", "values past a warning threshold"),
    ("crit", "values past a critical threshold"),
    ("info", "informational marks"),
    ("accent", "keys, commands, highlights"),
    ("banner_live", "background of the LIVE banner"),
    ("banner_drill", "background of the DRILL banner"),
    ("banner_text", "text on the banner"),
    ("placeholder", "placeholders in runbook commands"),
];

/// A theme file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThemeFile {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    colors: BTreeMap<Spanned<String>, Spanned<String>>,
    pod_palette: Option<Vec<Spanned<String>>>,
}

/// A resolved theme: one colour per role, and the colours logs give to pods.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    colors: BTreeMap<&'static str, Color>,
    pub pod_palette: Vec<Color>,
    /// No colours at all (NO_COLOR): only bold, reverse and underline mark things.
    pub monochrome: bool,
}

impl Theme {
    /// The colour of a role; `Reset` for a monochrome theme.
    pub fn color(&self, role: &str) -> Color {
        if self.monochrome {
            return Color::Reset;
        }
        self.colors.get(role).copied().unwrap_or(Color::Reset)
    }

    /// Plain foreground style of a role.
    pub fn fg(&self, role: &str) -> Style {
        Style::default().fg(self.color(role))
    }

    /// The style of the selected row, visible even without colours.
    pub fn selected(&self) -> Style {
        if self.monochrome {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.color("selection"))
                .add_modifier(Modifier::BOLD)
        }
    }

    /// The colour of pod number `i` in the logs.
    pub fn pod_color(&self, i: usize) -> Color {
        if self.monochrome || self.pod_palette.is_empty() {
            Color::Reset
        } else {
            self.pod_palette[i % self.pod_palette.len()]
        }
    }

    /// Loads `spec` (a built-in name or a path), laying the user's file of the same name
    /// from `user_dir` over a built-in, and strips colours when `no_color` is set.
    pub fn load(spec: &str, user_dir: Option<&Path>, no_color: bool) -> Result<Theme, FileErrors> {
        let mut theme: Theme = preset::load(spec, user_dir)?;
        theme.monochrome = no_color;
        Ok(theme)
    }

    /// Reads a theme file's `text` as if loaded from `path`.
    pub fn from_text(path: &Path, text: &str) -> Result<Theme, FileErrors> {
        preset::from_text(path, text)
    }
}

impl Preset for Theme {
    const KIND: &'static str = "theme";
    const BUILTIN: &'static [(&'static str, &'static str)] = BUILTIN;
    type File = ThemeFile;

    fn inherits(file: &ThemeFile) -> Option<&Spanned<String>> {
        file.inherits.as_ref()
    }

    fn empty() -> Theme {
        Theme {
            name: String::new(),
            colors: BTreeMap::new(),
            pod_palette: Vec::new(),
            monochrome: false,
        }
    }

    fn apply(&mut self, path: &Path, text: &str, file: &ThemeFile) -> Result<(), FileErrors> {
        apply(self, path, text, file)
    }

    fn finish(&mut self, name: String, path: &Path, text: &str) -> Result<(), FileErrors> {
        self.name = name;
        let missing: Vec<&str> = ROLES
            .iter()
            .map(|(r, _)| *r)
            .filter(|r| !self.colors.contains_key(r))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let msg = format!(
            "theme sets no colour for: {} (or add `inherits = \"dark\"`)",
            missing.join(", ")
        );
        Err(FileError::at(path, text, None, msg).into())
    }
}

fn apply(theme: &mut Theme, path: &Path, text: &str, file: &ThemeFile) -> Result<(), FileErrors> {
    let mut errors = Vec::new();
    for (role, value) in &file.colors {
        let Some((known, _)) = ROLES.iter().find(|(r, _)| r == role.get_ref()) else {
            let roles: Vec<&str> = ROLES.iter().map(|(r, _)| *r).collect();
            errors.push(FileError::at(
                path,
                text,
                Some(role.span()),
                format!(
                    "unknown colour role `{}`; roles: {}",
                    role.get_ref(),
                    roles.join(", ")
                ),
            ));
            continue;
        };
        match parse_color(value.get_ref()) {
            Ok(c) => {
                theme.colors.insert(known, c);
            }
            Err(msg) => errors.push(FileError::at(path, text, Some(value.span()), msg)),
        }
    }
    if let Some(palette) = &file.pod_palette {
        let mut colors = Vec::new();
        for v in palette {
            match parse_color(v.get_ref()) {
                Ok(c) => colors.push(c),
                Err(msg) => errors.push(FileError::at(path, text, Some(v.span()), msg)),
            }
        }
        theme.pod_palette = colors;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FileErrors(errors))
    }
}

/// Parses a colour: a name (`red`, `light-blue`, `reset`), `#rrggbb`, or a 0-255 index.
pub fn parse_color(s: &str) -> Result<Color, String> {
    let bad = || {
        format!(
            "bad colour `{s}`: use a name (black, red, green, yellow, blue, magenta, cyan, gray, \
             dark-gray, light-red, ..., white, reset), #rrggbb, or an index 0-255"
        )
    };
    if let Some(hex) = s.strip_prefix('#')
        && (hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(bad());
    }
    Color::from_str(s).map_err(|_| bad())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads_and_sets_every_role() {
        for (name, _) in BUILTIN {
            let t = Theme::load(name, None, false).unwrap();
            for (role, _) in ROLES {
                assert!(t.colors.contains_key(role), "{name} lacks {role}");
            }
            assert!(!t.pod_palette.is_empty(), "{name} has no pod palette");
        }
    }

    #[test]
    fn bad_colour_names_file_line_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(
            &path,
            "inherits = \"dark\"\n[colors]\ntext = \"white\"\ncrit = \"reddish\"\n",
        )
        .unwrap();
        let e = Theme::load(path.to_str().unwrap(), None, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mine.toml:4: bad colour `reddish`"), "{e}");
    }

    #[test]
    fn unknown_role_and_malformed_toml_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.toml");
        std::fs::write(
            &path,
            "inherits = \"dark\"\n[colors]\nbackgrund = \"black\"\n",
        )
        .unwrap();
        let e = Theme::load(path.to_str().unwrap(), None, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.toml:3: unknown colour role `backgrund`"),
            "{e}"
        );
        std::fs::write(&path, "[colors\ntext = 1\n").unwrap();
        let e = Theme::load(path.to_str().unwrap(), None, false)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&format!("{}:1:", path.display())), "{e}");
    }

    #[test]
    fn user_file_overrides_builtin_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/dark.toml"),
            "[colors]\ncrit = \"#ff00ff\"\n",
        )
        .unwrap();
        let t = Theme::load("dark", Some(dir.path()), false).unwrap();
        assert_eq!(t.color("crit"), Color::Rgb(255, 0, 255));
        let base = Theme::load("dark", None, false).unwrap();
        assert_eq!(t.color("ok"), base.color("ok"));
    }

    #[test]
    fn no_color_strips_every_colour() {
        let t = Theme::load("dark", None, true).unwrap();
        assert_eq!(t.color("crit"), Color::Reset);
        assert!(t.selected().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn unknown_builtin_lists_the_choices() {
        let e = Theme::load("solarized", None, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("built-in themes: dark, light, high-contrast, colorblind"),
            "{e}"
        );
    }
}
