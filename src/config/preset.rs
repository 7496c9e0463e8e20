//! Presets compiled in, files laid over them: the one loading mechanism of themes and keymaps.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;

use super::error::{FileError, FileErrors};

/// Something built from a compiled-in TOML preset and user files laid over it key by key.
pub(crate) trait Preset: Sized {
    /// `theme` or `keymap`, for messages and the user's subdirectory (`themes/`, `keymaps/`).
    const KIND: &'static str;
    /// The compiled-in presets, by name.
    const BUILTIN: &'static [(&'static str, &'static str)];
    /// The file's schema.
    type File: DeserializeOwned;

    /// The preset a file builds on.
    fn inherits(file: &Self::File) -> Option<&Spanned<String>>;
    /// A value with nothing set, for files that inherit nothing.
    fn empty() -> Self;
    /// Lays a file's keys over `self`.
    fn apply(&mut self, path: &Path, text: &str, file: &Self::File) -> Result<(), FileErrors>;
    /// Names the result and checks it is complete.
    fn finish(&mut self, name: String, path: &Path, text: &str) -> Result<(), FileErrors>;
}

/// Loads `spec`: a path to a file of the user's own, or a built-in name with the user's file
/// of that name from `user_dir` laid over it.
pub(crate) fn load<P: Preset>(spec: &str, user_dir: Option<&Path>) -> Result<P, FileErrors> {
    if spec.contains('/') || spec.ends_with(".toml") {
        let path = PathBuf::from(spec);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| FileError::at(&path, "", None, format!("cannot read {}: {e}", P::KIND)))?;
        return resolve(&path, &text, 0);
    }
    let mut value = builtin::<P>(spec, 0)?;
    if let Some(dir) = user_dir {
        let path = dir
            .join(format!("{}s", P::KIND))
            .join(format!("{spec}.toml"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let file = parse::<P>(&path, &text)?;
            value.apply(&path, &text, &file)?;
        }
    }
    Ok(value)
}

/// Reads a user's file from its text alone, as if loaded by path.
pub(crate) fn from_text<P: Preset>(path: &Path, text: &str) -> Result<P, FileErrors> {
    resolve(path, text, 0)
}

fn builtin<P: Preset>(name: &str, depth: usize) -> Result<P, FileErrors> {
    let Some((_, text)) = P::BUILTIN.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = P::BUILTIN.iter().map(|(n, _)| *n).collect();
        return Err(FileError {
            file: PathBuf::from(name),
            line: None,
            message: format!(
                "no such {} `{name}`; built-in {}s: {}",
                P::KIND,
                P::KIND,
                names.join(", ")
            ),
        }
        .into());
    };
    let path = PathBuf::from(format!("builtin:{}s/{name}.toml", P::KIND));
    resolve(&path, text, depth)
}

fn parse<P: Preset>(path: &Path, text: &str) -> Result<P::File, FileErrors> {
    toml::from_str(text).map_err(|e| FileError::from_toml(path, text, &e).into())
}

fn resolve<P: Preset>(path: &Path, text: &str, depth: usize) -> Result<P, FileErrors> {
    let file = parse::<P>(path, text)?;
    let mut value = match P::inherits(&file) {
        Some(base) if depth < 4 => builtin::<P>(base.get_ref(), depth + 1).map_err(|e| {
            if P::BUILTIN.iter().any(|(n, _)| n == base.get_ref()) {
                e
            } else {
                let msg = format!("inherits unknown {} `{}`", P::KIND, base.get_ref());
                FileError::at(path, text, Some(base.span()), msg).into()
            }
        })?,
        Some(base) => {
            let msg = format!("{}s inherit too deeply", P::KIND);
            return Err(FileError::at(path, text, Some(base.span()), msg).into());
        }
        None => P::empty(),
    };
    value.apply(path, text, &file)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    value.finish(name, path, text)?;
    Ok(value)
}
