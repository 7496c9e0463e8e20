//! Shell commands out of fenced blocks and step text.
//!
//! Runbooks write commands three ways: lines of a shell block, a command after a label
//! (`Check pods: kubectl get pods`), and code spans. Each becomes one runnable string.

/// Commands of a shell block that share one leading comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandGroup {
    /// The comment lines above the commands, `#` removed; empty when there were none.
    pub comment: String,
    /// One entry per command, continuation lines joined.
    pub commands: Vec<String>,
}

/// Languages whose fenced blocks hold shell commands.
const SHELL_LANGS: &[&str] = &[
    "bash",
    "sh",
    "shell",
    "zsh",
    "console",
    "shell-session",
    "shellsession",
    "terminal",
    "fish",
    "ksh",
    "cmd",
    "powershell",
    "ps1",
    "pwsh",
];

/// Programs whose name at the start of text marks it as a command, not prose.
const KNOWN_PROGRAMS: &[&str] = &[
    "kubectl",
    "k",
    "helm",
    "curl",
    "wget",
    "systemctl",
    "journalctl",
    "docker",
    "podman",
    "crictl",
    "nvidia-smi",
    "dcgmi",
    "git",
    "ssh",
    "scp",
    "psql",
    "mysql",
    "redis-cli",
    "aws",
    "gcloud",
    "az",
    "jq",
    "yq",
    "grep",
    "rg",
    "tail",
    "head",
    "cat",
    "less",
    "watch",
    "make",
    "cargo",
    "python",
    "python3",
    "pip",
    "npm",
    "go",
    "terraform",
    "ansible",
    "ansible-playbook",
    "sudo",
    "kill",
    "pkill",
    "ps",
    "top",
    "htop",
    "df",
    "du",
    "free",
    "ls",
    "cd",
    "rm",
    "mv",
    "cp",
    "mkdir",
    "chmod",
    "export",
    "echo",
    "dig",
    "nslookup",
    "ping",
    "traceroute",
    "nc",
    "openssl",
    "promtool",
    "amtool",
    "logcli",
    "stern",
    "k9s",
    "argocd",
    "flux",
    "kustomize",
    "istioctl",
    "linkerd",
    "vault",
    "consul",
    "nomad",
    "etcdctl",
    "sysctl",
    "dmesg",
    "lsof",
    "netstat",
    "ss",
    "iptables",
    "tcpdump",
    "awk",
    "sed",
    "find",
    "xargs",
    "sort",
    "uniq",
    "wc",
    "tar",
    "gzip",
    "rsync",
    "sitrep",
    "snapctl",
    "mc",
    "gsutil",
    "s3cmd",
    "nvcc",
    "ip",
    "service",
    "reboot",
    "shutdown",
    "timeout",
    "env",
    "time",
    "bash",
    "sh",
    "source",
    ".",
];

/// Whether a fenced block's info string names a shell language.
pub fn is_shell_lang(info: &str) -> bool {
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    SHELL_LANGS.contains(&lang.as_str())
}

/// Whether an untagged block reads as shell: every non-blank line is a comment, a prompt
/// line, a continuation, or starts with a known program.
pub fn looks_like_shell(code: &str) -> bool {
    let mut any = false;
    let mut continued = false;
    for line in code.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let this_continued = continued;
        continued = t.ends_with('\\') || t.ends_with('|') || t.ends_with("&&");
        if this_continued || t.starts_with('#') {
            continue;
        }
        let t = t.strip_prefix("$ ").unwrap_or(t);
        if !starts_with_program(t) {
            return false;
        }
        any = true;
    }
    any
}

/// Whether text begins with a known program name (`kubectl ...`, `./fix.sh`).
pub fn starts_with_program(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    if first.starts_with("./") && first.len() > 2 {
        return true;
    }
    // `VAR=value cmd` is a command when cmd is.
    if let Some((name, _)) = first.split_once('=')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        let rest = text.trim_start()[first.len()..].trim_start();
        return !rest.is_empty() && starts_with_program(rest);
    }
    KNOWN_PROGRAMS.contains(&first) && (first.len() > 1 || text.trim().len() > 2)
}

/// Splits a shell block into commands grouped by the comment above them.
///
/// Comments stay as the group's description, `\`, `|`, `&&`, `||` continuations and open
/// quotes join lines, a heredoc body stays with its command, and in console transcripts
/// (any `$ ` prompt) only prompt lines count, the rest being output.
pub fn shell_commands(code: &str) -> Vec<CommandGroup> {
    let console = code.lines().any(|l| l.trim_start().starts_with("$ "));
    let mut groups: Vec<CommandGroup> = Vec::new();
    let mut cur = CommandGroup::default();
    let mut pending: Option<String> = None;
    let mut heredoc: Option<String> = None;
    let mut open_quote: Option<char> = None;

    for raw in code.lines() {
        if let Some(pending_cmd) = pending.as_mut() {
            if let Some(end) = &heredoc {
                pending_cmd.push('\n');
                pending_cmd.push_str(raw);
                if raw.trim() == end {
                    heredoc = None;
                    cur.commands.push(std::mem::take(pending_cmd));
                    pending = None;
                }
                continue;
            }
            if open_quote.is_some() {
                pending_cmd.push('\n');
                pending_cmd.push_str(raw);
                open_quote = scan_quotes(raw, open_quote);
                if open_quote.is_none() && !continues(pending_cmd) {
                    finish(&mut cur, &mut pending, &mut heredoc);
                }
                continue;
            }
            // A continuation line: `\` is dropped, `|`/`&&` kept.
            let t = raw.trim();
            let t = if console {
                t.strip_prefix("> ").unwrap_or(t)
            } else {
                t
            };
            if pending_cmd.ends_with('\\') {
                pending_cmd.pop();
                let trimmed_len = pending_cmd.trim_end().len();
                pending_cmd.truncate(trimmed_len);
            }
            if !t.is_empty() {
                pending_cmd.push(' ');
                pending_cmd.push_str(t);
            }
            open_quote = scan_quotes(t, None);
            if open_quote.is_none() && !continues(pending_cmd) {
                finish(&mut cur, &mut pending, &mut heredoc);
            }
            continue;
        }

        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let cmd = if console {
            match t.strip_prefix("$ ").or_else(|| t.strip_prefix("# $ ")) {
                Some(c) => c.trim(),
                None if t == "$" => continue,
                None => {
                    // Comments still describe; anything else is output.
                    if let Some(c) = t.strip_prefix("# ") {
                        start_comment(&mut groups, &mut cur, c);
                    }
                    continue;
                }
            }
        } else if let Some(c) = t.strip_prefix('#') {
            if !c.starts_with('!') {
                start_comment(&mut groups, &mut cur, c.trim());
            }
            continue;
        } else {
            t
        };
        if cmd.is_empty() {
            continue;
        }
        pending = Some(cmd.to_string());
        heredoc = heredoc_end(cmd);
        if heredoc.is_some() {
            continue;
        }
        open_quote = scan_quotes(cmd, None);
        if open_quote.is_none() && !continues(cmd) {
            finish(&mut cur, &mut pending, &mut heredoc);
        }
    }
    if let Some(mut p) = pending.take() {
        // A dangling `\` at the end of the block is a typo, not part of the command.
        if p.ends_with('\\') {
            p.pop();
            let len = p.trim_end().len();
            p.truncate(len);
        }
        cur.commands.push(p);
    }
    if !cur.comment.is_empty() || !cur.commands.is_empty() {
        groups.push(cur);
    }
    groups
}

fn finish(cur: &mut CommandGroup, pending: &mut Option<String>, heredoc: &mut Option<String>) {
    if let Some(p) = pending.take() {
        cur.commands.push(p);
    }
    *heredoc = None;
}

/// Comment lines directly after commands start a new group; consecutive ones join.
fn start_comment(groups: &mut Vec<CommandGroup>, cur: &mut CommandGroup, text: &str) {
    if !cur.commands.is_empty() {
        groups.push(std::mem::take(cur));
    }
    if text.is_empty() {
        return;
    }
    if !cur.comment.is_empty() {
        cur.comment.push(' ');
    }
    cur.comment.push_str(text);
}

fn continues(cmd: &str) -> bool {
    let t = cmd.trim_end();
    t.ends_with('\\') || t.ends_with('|') || t.ends_with("&&") || t.ends_with("||")
}

/// Quote state after scanning `s`, starting inside `open` (if any).
fn scan_quotes(s: &str, open: Option<char>) -> Option<char> {
    let mut state = open;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (state, c) {
            (None, '#') => break,
            (None, '\'' | '"') => state = Some(c),
            (None, '\\') | (Some('"'), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => state = None,
            _ => {}
        }
    }
    state
}

/// The terminator word of a heredoc started on this line (`<<EOF`, `<<-'EOF'`).
fn heredoc_end(cmd: &str) -> Option<String> {
    let at = cmd.find("<<")?;
    let rest = &cmd[at + 2..];
    if rest.starts_with('<') {
        return None; // a here-string `<<<`
    }
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Whether a code span reads as a command to run rather than a name or a value.
pub fn code_span_is_command(code: &str) -> bool {
    let t = code.trim();
    if t.is_empty() {
        return false;
    }
    let t = t.strip_prefix("$ ").unwrap_or(t);
    if starts_with_program(t) && t.contains(' ') {
        return true;
    }
    // `[command or UI path]`, `<rollback command>`: a command still to be written.
    let inner = t
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .or_else(|| t.strip_prefix('<').and_then(|s| s.strip_suffix('>')));
    inner.is_some_and(|s| s.to_ascii_lowercase().contains("command"))
}

/// A command written after a label in plain text: `Check pods: kubectl -n app get pods`.
pub fn command_after_label(text: &str) -> Option<&str> {
    for sep in [": ", " → ", " -> ", " — ", " - "] {
        if let Some((_, rest)) = text.split_once(sep) {
            let rest = rest.trim();
            if !rest.contains('`') && starts_with_program(rest) && rest.contains(' ') {
                return Some(rest);
            }
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cmds(code: &str) -> Vec<String> {
        shell_commands(code)
            .into_iter()
            .flat_map(|g| g.commands)
            .collect()
    }

    #[test]
    fn one_command_per_line_with_comments_as_groups() {
        let g = shell_commands(
            "# list pods\nkubectl get pods\n\n# and nodes\nkubectl get nodes\nkubectl top nodes\n",
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].comment, "list pods");
        assert_eq!(g[0].commands, ["kubectl get pods"]);
        assert_eq!(g[1].comment, "and nodes");
        assert_eq!(g[1].commands, ["kubectl get nodes", "kubectl top nodes"]);
    }

    #[test]
    fn backslash_continuations_join() {
        let c = cmds("curl -X POST http://x/y \\\n  -H 'A: b' \\\n  -d '{}'\necho done\n");
        assert_eq!(
            c,
            ["curl -X POST http://x/y -H 'A: b' -d '{}'", "echo done"]
        );
    }

    #[test]
    fn pipes_and_open_quotes_join() {
        assert_eq!(
            cmds("kubectl get pods |\n  grep Crash\n"),
            ["kubectl get pods | grep Crash"]
        );
        let c = cmds("kubectl patch x -p '{\n  \"a\": 1\n}'\nls\n");
        assert_eq!(c, ["kubectl patch x -p '{\n  \"a\": 1\n}'", "ls"]);
    }

    #[test]
    fn heredoc_stays_with_its_command() {
        let c = cmds("cat <<EOF | kubectl apply -f -\nkind: X\n# not a comment\nEOF\nls\n");
        assert_eq!(
            c,
            [
                "cat <<EOF | kubectl apply -f -\nkind: X\n# not a comment\nEOF",
                "ls"
            ]
        );
    }

    #[test]
    fn console_blocks_keep_prompt_lines_only() {
        let c = cmds("$ kubectl get pods\nNAME READY\napp-1 1/1\n$ kubectl top pods\n");
        assert_eq!(c, ["kubectl get pods", "kubectl top pods"]);
    }

    #[test]
    fn comment_only_and_empty_blocks() {
        let g = shell_commands("# [Deployment commands]\n");
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].comment, "[Deployment commands]");
        assert!(g[0].commands.is_empty());
        assert!(shell_commands("").is_empty());
        assert_eq!(cmds("#!/bin/bash\nset -e\n"), ["set -e"]);
    }

    #[test]
    fn dangling_backslash_at_end() {
        assert_eq!(cmds("kubectl get pods \\"), ["kubectl get pods"]);
    }

    #[test]
    fn shell_detection() {
        assert!(is_shell_lang("bash"));
        assert!(is_shell_lang("Shell {.numberLines}"));
        assert!(!is_shell_lang("yaml"));
        assert!(looks_like_shell("# check\nkubectl get pods\n"));
        assert!(!looks_like_shell("Users -> LB -> API\n"));
        assert!(!looks_like_shell("# only a comment\n"));
    }

    #[test]
    fn code_spans_and_labels() {
        assert!(code_span_is_command("kubectl -n app get pods"));
        assert!(code_span_is_command("[command or UI path]"));
        assert!(!code_span_is_command("/health"));
        assert!(!code_span_is_command("MODEL_API_KEY"));
        assert!(!code_span_is_command("kubectl"));
        assert!(code_span_is_command("FOO=1 ./fix.sh now"));
        assert_eq!(
            command_after_label("Check pods: kubectl -n app get pods"),
            Some("kubectl -n app get pods")
        );
        assert_eq!(command_after_label("Severity: critical"), None);
    }
}
