//! The README's keys and commands, written from the command table and a keymap, so the
//! documentation cannot drift from what sitrep does (a test compares them).

use super::COMMANDS;
use super::overlay::SECTIONS;
use crate::config::Keymap;

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn code(s: &str) -> String {
    format!("`{}`", cell(s))
}

/// The keys table: each command line with every key bound to it, in table order.
pub fn keys_markdown(keymap: &Keymap) -> String {
    let mut rows: Vec<(usize, crate::config::keymap::Key, String)> = Vec::new();
    for (_, line) in keymap.bindings() {
        if rows.iter().any(|(_, _, l)| l == line) {
            continue;
        }
        let name = line.split_whitespace().next().unwrap_or("");
        let order = COMMANDS
            .iter()
            .position(|c| c.names().any(|n| n == name))
            .unwrap_or(usize::MAX);
        if let Some(first) = keymap.keys_for(line).first() {
            rows.push((order, *first, line.to_string()));
        }
    }
    // Table order, then by key, so `focus` reads 1, 2, 3...
    rows.sort();
    let mut out = String::from("| key | command | does |\n|---|---|---|\n");
    for (order, _, line) in rows {
        let help = COMMANDS.get(order).map_or("", |c| c.help);
        let keys: Vec<String> = keymap
            .keys_for(&line)
            .iter()
            .map(|k| code(&k.to_string()))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            keys.join(", "),
            code(&line),
            cell(help)
        ));
    }
    out
}

/// The overlay keys table: each section's actions and the keys bound to them.
pub fn overlay_keys_markdown(keymap: &Keymap) -> String {
    let mut out = String::from("| overlay | keys | action | does |\n|---|---|---|---|\n");
    for spec in SECTIONS {
        for (action, name, help) in spec.actions {
            let keys: Vec<String> = keymap
                .overlay_keys(spec.section, *action)
                .iter()
                .map(|k| code(&k.to_string()))
                .collect();
            if keys.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "| `[{}]` | {} | `{name}` | {} |\n",
                spec.name,
                keys.join(", "),
                cell(help)
            ));
        }
    }
    out
}

/// The commands table: names and aliases, arguments, what each does, and whether it
/// changes the world.
pub fn commands_markdown() -> String {
    let mut out = String::from("| command | arguments | does |\n|---|---|---|\n");
    for c in COMMANDS {
        let names: Vec<String> = c.names().map(code).collect();
        let args = if c.args.is_empty() {
            String::new()
        } else {
            code(c.args)
        };
        let world = if c.world_changing {
            " (changes the world: asks first)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {} | {args} | {}{world} |\n",
            names.join(", "),
            cell(c.help)
        ));
    }
    out
}

/// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in `doc`.
pub fn splice(doc: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let a = doc.find(&begin)? + begin.len();
    let b = a + doc.get(a..)?.find(&end)?;
    Some(format!("{}{body}{}", doc.get(..a)?, doc.get(b..)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Fails when the README's generated blocks and the table drift apart. With
    /// `SITREP_WRITE_README=1` it writes the blocks instead.
    #[test]
    fn the_readme_blocks_match_the_command_table_and_default_keymap() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let keymap = Keymap::load("default", None).expect("the default keymap");
        let mut want = readme.clone();
        for (name, body) in [
            ("keys", keys_markdown(&keymap)),
            ("overlay-keys", overlay_keys_markdown(&keymap)),
            ("commands", commands_markdown()),
        ] {
            want = splice(&want, name, &body)
                .unwrap_or_else(|| panic!("README.md lacks the <!-- {name}:begin/end --> block"));
        }
        if std::env::var_os("SITREP_WRITE_README").is_some() {
            std::fs::write(path, &want).expect("README.md written");
            return;
        }
        assert!(
            want == readme,
            "README.md's keys or commands differ from the command table; \
             run `SITREP_WRITE_README=1 cargo test --lib command::reference` to rewrite them"
        );
    }

    #[test]
    fn every_command_and_alias_is_in_the_commands_table() {
        let md = commands_markdown();
        for c in COMMANDS {
            for n in c.names() {
                assert!(md.contains(&format!("`{n}`")), "{n}");
            }
        }
        assert_eq!(
            splice("a<!-- x:begin -->\nold<!-- x:end -->b", "x", "new\n").as_deref(),
            Some("a<!-- x:begin -->\nnew\n<!-- x:end -->b")
        );
    }
}
