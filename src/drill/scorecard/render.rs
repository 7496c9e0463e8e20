//! The scorecard written out: Markdown for people, JSON for scripts, and the files the
//! cockpit keeps them in.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::Scorecard;

impl Scorecard {
    /// The scorecard as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The scorecard as Markdown: what the overlay shows, for the drill's file.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let verdict = if self.passed { "PASSED" } else { "NOT PASSED" };
        md.push_str(&format!(
            "# Drill scorecard: {}\n\n{}\n\n",
            self.drill, self.title
        ));
        md.push_str(&format!(
            "Ended: {} after {} · score {}/{} ({}%) · pass at {}%: **{verdict}**\n\n",
            self.end.as_str(),
            self.duration,
            self.points,
            self.max,
            self.percent,
            self.pass
        ));
        md.push_str("## Times (from the first alert)\n\n");
        md.push_str(&format!(
            "- to acknowledge: {}\n- to the first correct action: {}\n- to mitigation: {}\n\n",
            self.times.to_acknowledge, self.times.to_first_correct_action, self.times.to_mitigation
        ));
        if let Some(c) = &self.original {
            md.push_str("## Side by side with the original responder\n\n");
            md.push_str("| from the first alert | yours | original |\n|---|---|---|\n");
            for r in &c.rows {
                md.push_str(&format!(
                    "| {} | {} | {} |\n",
                    r.measure, r.yours, r.original
                ));
            }
            md.push_str("\nThe original responder's actions:\n\n");
            if c.original_actions.is_empty() {
                md.push_str("None.\n");
            }
            for (at, cmd) in &c.original_actions {
                md.push_str(&format!("- {at} `{cmd}`\n"));
            }
            md.push('\n');
        }
        md.push_str("## Reference path and yours\n\n");
        md.push_str(
            "| reference | by | yours | at | result | points |\n|---|---|---|---|---|---|\n",
        );
        for r in &self.reference {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                cell(&r.step),
                r.by,
                cell(r.yours.as_deref().unwrap_or("—")),
                r.at.as_deref().unwrap_or("—"),
                r.result,
                r.points
            ));
        }
        md.push('\n');
        for r in self.reference.iter().filter(|r| !r.why.is_empty()) {
            md.push_str(&format!("- `{}`: {}\n", r.step, r.why));
        }
        md.push_str("\n## Your actions\n\n");
        if self.actions.is_empty() {
            md.push_str("None.\n");
        }
        for a in &self.actions {
            md.push_str(&format!(
                "- {} `{}`: **{}**, {}\n",
                a.at, a.command, a.verdict, a.note
            ));
        }
        if let Some(rb) = &self.runbook {
            md.push_str(&format!(
                "\n## Runbook: {}\n\n{} of {} steps done, {} skipped, {} out of order\n\n",
                rb.section, rb.done, rb.total, rb.skipped, rb.out_of_order
            ));
            for s in &rb.steps {
                let mark = if s.state == "done" || s.state == "out_of_order" {
                    "x"
                } else {
                    " "
                };
                md.push_str(&format!(
                    "- [{mark}] {} ({})\n",
                    s.text,
                    s.state.replace('_', " ")
                ));
            }
        }
        md.push_str("\n## Score\n\n");
        for l in &self.lines {
            md.push_str(&format!("- {l}\n"));
        }
        md
    }

    /// The two files this scorecard is written to in `dir`, for a drill ended at `at`.
    pub fn file_names(&self, dir: &Path, at: Timestamp) -> (PathBuf, PathBuf) {
        let stamp = at.strftime("%Y%m%d-%H%M%S");
        let base = format!("scorecard-{}-{stamp}", self.drill);
        (
            dir.join(format!("{base}.md")),
            dir.join(format!("{base}.json")),
        )
    }

    /// Writes the Markdown and JSON files named in `files`.
    pub fn write(&self) -> std::io::Result<()> {
        for f in &self.files {
            let path = Path::new(f);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let text = if f.ends_with(".json") {
                self.to_json()
            } else {
                self.to_markdown()
            };
            std::fs::write(path, text)?;
        }
        Ok(())
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}
