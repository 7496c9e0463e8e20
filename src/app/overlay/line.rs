//! The `:` command line and the `/` filter prompt: one line of text, completion on `:`.

use crossterm::event::KeyEvent;

use crate::command::overlay::OverlayAction;
use crate::command::{Command, CompletionContext, complete};
use crate::event::Level;

use super::{App, LineInput, Overlay, typed_char};

impl App {
    pub(super) fn command_line_key(
        &mut self,
        key: KeyEvent,
        bound: Option<OverlayAction>,
        mut input: LineInput,
    ) -> Option<Overlay> {
        match bound {
            Some(OverlayAction::Cancel) => None,
            Some(OverlayAction::Submit) => {
                let line = input.text.trim().to_string();
                if !line.is_empty() {
                    match Command::parse(&line) {
                        Ok(cmd) => self.run_command(cmd),
                        Err(e) => self.flash(Level::Crit, e.to_string()),
                    }
                }
                // The command may have opened an overlay of its own (a confirmation).
                self.overlay.take()
            }
            Some(OverlayAction::Complete) => {
                self.complete(&mut input);
                Some(Overlay::CommandLine(input))
            }
            _ => {
                edit_line(&mut input, &key, bound);
                Some(Overlay::CommandLine(input))
            }
        }
    }

    pub(super) fn filter_key(
        &mut self,
        key: KeyEvent,
        bound: Option<OverlayAction>,
        mut input: LineInput,
    ) -> Option<Overlay> {
        match bound {
            Some(OverlayAction::Cancel) => None,
            Some(OverlayAction::Submit) => {
                let text = input.text.trim().to_string();
                self.set_filter(&text);
                None
            }
            _ => {
                edit_line(&mut input, &key, bound);
                Some(Overlay::Filter(input))
            }
        }
    }

    fn complete(&self, input: &mut LineInput) {
        match input.chosen {
            // Tab again cycles through the same completions.
            Some(i) if !input.completions.is_empty() => {
                let next = (i + 1) % input.completions.len();
                input.text = input.completions[next].clone();
                input.chosen = Some(next);
            }
            _ => {
                let ctx = CompletionContext {
                    deployments: self.pods.deployment_names(),
                    kill_switches: self.kill_switches.iter().map(|k| k.name.clone()).collect(),
                    pods: self.pods.pod_names(),
                    rollouts: self.pods.rollout_names(),
                };
                input.completions = complete(&input.text, &ctx);
                match input.completions.as_slice() {
                    [] => {}
                    [only] => {
                        input.text = format!("{only} ");
                        input.completions.clear();
                    }
                    all => {
                        // Like a shell: first the common prefix, then cycle through the choices.
                        let common = common_prefix(all);
                        if common.len() > input.text.len() {
                            input.text = common;
                        } else {
                            input.text = all[0].clone();
                            input.chosen = Some(0);
                        }
                    }
                }
            }
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some((first, rest)) = words.split_first() else {
        return String::new();
    };
    // Compared by characters, so the prefix never ends inside one.
    let mut end = first.len();
    for w in rest {
        end = end.min(
            first
                .char_indices()
                .zip(w.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8()),
        );
    }
    first.get(..end).unwrap_or_default().to_string()
}

fn edit_line(input: &mut LineInput, key: &KeyEvent, bound: Option<OverlayAction>) {
    match bound {
        Some(OverlayAction::Clear) => input.text.clear(),
        Some(OverlayAction::DeleteWord) => {
            let kept = input.text.trim_end();
            // `rfind` answers a char boundary; the space is one byte.
            let cut = kept.rfind(' ').map_or(0, |i| i + 1);
            input.text.truncate(cut);
        }
        Some(OverlayAction::Delete) => {
            input.text.pop();
        }
        _ => match typed_char(key) {
            Some(c) => input.text.push(c),
            None => return,
        },
    }
    input.completions.clear();
    input.chosen = None;
}

#[cfg(test)]
mod tests {
    #[test]
    fn common_prefix_stops_at_characters() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::common_prefix(&w(&["rollback", "role"])), "rol");
        assert_eq!(super::common_prefix(&w(&["note é1", "note è2"])), "note ");
        assert_eq!(super::common_prefix(&w(&["a"])), "a");
        assert_eq!(super::common_prefix(&[]), "");
    }
}
