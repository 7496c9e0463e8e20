//! The postmortem's runbook adherence section: steps done, skipped and done out of order,
//! and when, from the journal's ticks against the bundled demo runbook.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

use sitrep::journal::{ExportOptions, Format, export, parse};
use sitrep::runbook::adherence::section_steps;

const JOURNAL: &str = "\
## INC-20261202-0100 · HighErrorRate: snapbuilder-serving returns more than 3% 5xx

- opened at: 2026-12-02T01:00:00Z
- mode: LIVE prod/snapbuilder
- severity: SEV2
- opened by: sitrep

- 2026-12-02T01:00:00Z · sitrep · alert-fired · HighErrorRate: 5xx rate 5.2% > 3.0%
- 2026-12-02T01:01:00Z · alice · step-ticked · HighErrorRate: 5xx above 3% › 5xx ratio on the Serving overview dashboard above 3%
- 2026-12-02T01:02:00Z · alice · step-ticked · HighErrorRate: 5xx above 3% › If the errors started with that revision, roll back:
- 2026-12-02T01:02:30Z · alice · step-ticked · HighErrorRate: 5xx above 3% › Check the rollout history; note the revision that went out last:
- 2026-12-02T01:13:00Z · sitrep · step-ticked · HighErrorRate: 5xx above 3% › 5xx ratio back under 1% for 10 minutes · verified: 5xx rate 0.3% < 1% for 10m at 01:13
- 2026-12-02T01:14:00Z · alice · status · resolved (was mitigating)
";

fn options() -> ExportOptions {
    let rb = sitrep::runbook::parse(include_str!("../assets/runbooks/snapbuilder.md"));
    ExportOptions {
        runbook_steps: section_steps(&rb),
        ..ExportOptions::default()
    }
}

#[test]
fn the_postmortem_says_which_steps_were_done_skipped_and_out_of_order() {
    let parsed = parse(JOURNAL);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let inc = &parsed.incidents[0];
    let md = export(inc, Format::Md, &[], &options());
    let at = md.find("## Runbook adherence").expect("the section");
    let section = &md[at..md[at..]
        .find("## Action items")
        .map_or(md.len(), |e| at + e)];
    assert!(
        section.contains("### HighErrorRate: 5xx above 3%"),
        "{section}"
    );
    assert!(
        section.contains("4 of 12 steps done, 6 skipped, 1 out of order."),
        "{section}"
    );
    // Markdown escapes `#` and `<` in table cells.
    for want in [
        "| Users report \"generation failed\" in \\#snapbuilder-help | skipped | - | - |",
        "| Check the rollout history; note the revision that went out last: | out of order | 01:02:30 | alice |",
        "| 5xx ratio back under 1% for 10 minutes | done (verified: 5xx rate 0.3% \\< 1% for 10m at 01:13) | 01:13:00 | sitrep |",
        "| Post the revision you rolled back to in \\#incident | not reached | - | - |",
    ] {
        assert!(section.contains(want), "{want}\n{section}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&export(inc, Format::Json, &[], &options())).unwrap();
    let a = &json["runbook_adherence"][0];
    assert_eq!(a["section"], "HighErrorRate: 5xx above 3%");
    assert_eq!(a["out_of_order"], 1);
    assert_eq!(a["runbook_known"], true);
}
