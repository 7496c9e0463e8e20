//! Runbook reading and alert matching against the bundled runbooks.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sitrep::runbook::cli::{RunbookArgs, match_output};
use sitrep::runbook::{AlertRef, MatchRule, Runbook, load, match_alert, placeholders, render};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/runbooks")
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(assets())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    v.sort();
    v
}

/// Golden JSON per bundled runbook; `UPDATE_GOLDEN=1 cargo test` rewrites them.
#[test]
fn bundled_runbooks_match_golden_json_and_load_cleanly() {
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/runbooks");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let files = samples();
    assert!(files.len() >= 5, "expected 5+ sample runbooks");
    for path in files {
        // Relative paths keep file names in warnings stable across machines.
        let rel = Path::new("assets/runbooks").join(path.file_name().unwrap());
        let rb = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)).unwrap();
        assert!(
            rb.warnings.is_empty(),
            "{}: {:?}",
            rel.display(),
            rb.warnings
        );
        let json = render::json(&rb) + "\n";
        let golden = golden_dir.join(path.with_extension("json").file_name().unwrap());
        if update {
            std::fs::write(&golden, &json).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", golden.display()));
        assert_eq!(
            json,
            want,
            "{} differs from {}",
            rel.display(),
            golden.display()
        );
    }
}

fn snapbuilder() -> Runbook {
    load(&assets().join("snapbuilder.md")).unwrap()
}

fn args(alert: &str) -> RunbookArgs {
    RunbookArgs {
        file: assets().join("snapbuilder.md"),
        alert: Some(alert.to_string()),
        ..RunbookArgs::default()
    }
}

#[test]
fn snapbuilder_answers_high_error_rate_with_the_rollback() {
    let rb = snapbuilder();
    let a = AlertRef {
        name: "HighErrorRate",
        summary: "5xx above 3% on snapbuilder-serving",
        runbook_url: None,
    };
    let m = match_alert(&rb, &a, &BTreeMap::new()).unwrap();
    let s = &rb.sections[m.section];
    assert_eq!(s.title, "HighErrorRate: 5xx above 3%");
    assert!(
        matches!(m.rule, MatchRule::Fuzzy { score, .. } if score >= 0.8),
        "{}",
        m.rule
    );
    let actions = s
        .groups
        .iter()
        .find(|g| g.title == "Immediate actions")
        .unwrap();
    let cmds: Vec<&str> = actions
        .steps
        .iter()
        .flat_map(|st| &st.commands)
        .map(String::as_str)
        .collect();
    assert!(cmds.contains(&"kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving"));
    assert!(
        cmds.contains(&"kubectl -n snapbuilder rollout history deployment/snapbuilder-serving")
    );
}

#[test]
fn match_rule_runbook_url_with_anchor() {
    let mut a = args("SomethingElse");
    a.runbook_url = Some(
        "https://git.example.com/ml/runbooks/blob/main/snapbuilder.md#gpu-hot-or-xid-errors".into(),
    );
    let out = match_output(&snapbuilder(), &a, "SomethingElse").unwrap();
    assert_eq!(out, "GPU hot or XID errors\nrule: runbook_url\n");
    // An anchor in a linked file.
    a.runbook_url =
        Some("https://git.example.com/ml/runbooks/blob/main/ingest.md#queue-backlog".into());
    let out = match_output(&snapbuilder(), &a, "SomethingElse").unwrap();
    assert_eq!(out, "Queue backlog\nrule: runbook_url\n");
}

#[test]
fn match_rule_config_mapping() {
    let mut a = args("SnapbuilderSaturated");
    a.map = vec![(
        "SnapbuilderSaturated".into(),
        "HighLatency: p95 above 350 ms".into(),
    )];
    let out = match_output(&snapbuilder(), &a, "SnapbuilderSaturated").unwrap();
    assert_eq!(out, "HighLatency: p95 above 350 ms\nrule: config\n");
    a.map = vec![("SnapbuilderSaturated".into(), "#kill-switches".into())];
    let out = match_output(&snapbuilder(), &a, "SnapbuilderSaturated").unwrap();
    assert_eq!(out, "Kill switches\nrule: config\n");
}

#[test]
fn match_rule_fuzzy_with_synonyms() {
    let rb = snapbuilder();
    let cases = [
        ("HighLatency", "HighLatency: p95 above 350 ms"),
        (
            "SnapbuilderResponseTimeHigh",
            "HighLatency: p95 above 350 ms",
        ),
        ("KubePodCrashLooping", "Pods crash-looping (OOMKilled)"),
        ("ContainerOOMKilled", "Pods crash-looping (OOMKilled)"),
        ("GPUXidErrors", "GPU hot or XID errors"),
        ("DCGMGpuTemperatureHigh", "GPU hot or XID errors"),
        ("snapbuilder_http_5xx_ratio", "HighErrorRate: 5xx above 3%"),
        ("IngestQueueBacklog", "Queue backlog"),
    ];
    for (alert, want) in cases {
        let out = match_output(&rb, &args(alert), alert).unwrap_or_else(|e| panic!("{alert}: {e}"));
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(want), "{alert}");
        let rule = lines.next().unwrap();
        assert!(rule.starts_with("rule: fuzzy ("), "{alert}: {rule}");
        assert!(rule.contains("score "), "{rule}");
    }
    let out = match_output(
        &rb,
        &args("SnapbuilderSlowResponses"),
        "SnapbuilderSlowResponses",
    )
    .unwrap();
    assert!(out.contains("rule: fuzzy (slow ~ latency"), "{out}");
}

#[test]
fn match_rule_none_gives_a_clear_message() {
    let err = match_output(
        &snapbuilder(),
        &args("CertificateExpiresSoon"),
        "CertificateExpiresSoon",
    )
    .unwrap_err();
    assert!(err.contains("CertificateExpiresSoon"), "{err}");
    assert!(err.contains("snapbuilder.md"), "{err}");
}

#[test]
fn placeholders_in_bundled_commands_are_found() {
    let rb = snapbuilder();
    let cmd = rb
        .sections
        .iter()
        .flat_map(|s| &s.groups)
        .flat_map(|g| &g.steps)
        .flat_map(|st| &st.commands)
        .find(|c| c.contains("nvidia-smi --query-gpu"))
        .unwrap();
    let found: Vec<&str> = placeholders(cmd).into_iter().map(|r| &cmd[r]).collect();
    assert_eq!(found, ["<serving-pod>"]);
}

#[test]
fn outline_shows_groups_steps_commands_and_tables() {
    let out = render::outline(&snapbuilder());
    assert!(out.starts_with("snapbuilder on-call runbook\n"));
    assert!(out.contains("  ## HighErrorRate: 5xx above 3%  (#higherrorrate-5xx-above-3)\n"));
    assert!(out.contains("    Immediate actions:\n"));
    assert!(out.contains(
        "          $ kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving\n"
    ));
    assert!(out.contains("    [x] Keep this runbook next to the code (it is)\n"));
    assert!(out.contains("| `moderation-strict` |"));
}

/// Extra check against real-world runbooks kept outside the repo (../shared).
#[test]
fn shared_real_world_samples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/runbook-samples");
    if !dir.is_dir() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let ops = load(&dir.join("archbuilder-ops.md")).unwrap();
    assert!(ops.warnings.is_empty(), "{:?}", ops.warnings);
    let down = ops
        .sections
        .iter()
        .find(|s| s.title == "Service Down")
        .unwrap();
    assert_eq!((down.level, down.anchor.as_str()), (2, "service-down"));
    let groups: Vec<&str> = down.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(
        groups,
        [
            "Symptoms",
            "Immediate Actions",
            "Troubleshooting Steps",
            "Recovery Actions",
            "Prevention"
        ]
    );
    let first = &down.groups[1].steps[0];
    assert_eq!(first.text, "Check Service Status");
    assert_eq!(first.commands.len(), 3);
    assert_eq!(first.commands[0], "kubectl get pods -l app=archbuilder-ai");
    // A block with one comment per command becomes sub-steps.
    let deps = down.groups[1]
        .steps
        .iter()
        .position(|s| s.text == "Check Dependencies")
        .unwrap();
    let sub = &down.groups[1].steps[deps + 1];
    assert_eq!((sub.text.as_str(), sub.depth), ("Check database", 1));
    // Continuation lines are joined into one command.
    let ai = ops
        .sections
        .iter()
        .find(|s| s.title == "AI Model Failure")
        .unwrap();
    let test_cmd = ai
        .groups
        .iter()
        .flat_map(|g| &g.steps)
        .flat_map(|s| &s.commands)
        .find(|c| c.starts_with("curl -X POST"))
        .unwrap();
    assert!(
        test_cmd.contains("-H \"Content-Type: application/json\" -d '"),
        "{test_cmd}"
    );
    let m = match_alert(
        &ops,
        &AlertRef {
            name: "HighLatency",
            summary: "",
            runbook_url: None,
        },
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(ops.sections[m.section].title, "High Response Time");

    let tpl = load(&dir.join("runbook-template.md")).unwrap();
    let err = tpl
        .sections
        .iter()
        .find(|s| s.title == "Issue: High Error Rate")
        .unwrap();
    let groups: Vec<&str> = err.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(groups, ["Symptoms", "Diagnosis", "Resolution"]);
    assert_eq!(err.groups[1].steps[0].text, "Check recent errors");
    assert_eq!(err.groups[1].steps[0].commands, ["[log query command]"]);
    let ks = tpl
        .sections
        .iter()
        .find(|s| s.title == "Kill Switches")
        .unwrap();
    assert_eq!(
        ks.tables[0].header,
        ["Switch", "What It Does", "How to Activate"]
    );
    let daily = tpl
        .sections
        .iter()
        .find(|s| s.title == "Daily Checks")
        .unwrap();
    assert_eq!(daily.groups[0].steps.len(), 4);
    let pre = tpl
        .sections
        .iter()
        .find(|s| s.title == "Pre-deployment")
        .unwrap();
    assert_eq!(
        (pre.level, pre.path.last().map(String::as_str)),
        (4, Some("Deployments"))
    );
    let m = match_alert(
        &tpl,
        &AlertRef {
            name: "high_error_rate",
            summary: "",
            runbook_url: None,
        },
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(tpl.sections[m.section].title, "Issue: High Error Rate");
}
