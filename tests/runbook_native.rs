//! `sitrep runbook FILE --json`: which commands of the bundled and sample runbooks sitrep
//! carries out itself, and which keep the shell path.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed set-up should stop the test loudly

use std::path::Path;

use sitrep::runbook::native::{Native, Recognised, recognise};
use sitrep::runbook::{load, render};

fn actions(json: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    for s in v["sections"].as_array().unwrap() {
        for g in s["groups"].as_array().unwrap() {
            for st in g["steps"].as_array().unwrap() {
                out.extend(st["actions"].as_array().unwrap().iter().cloned());
            }
        }
    }
    out
}

#[test]
fn the_demo_runbook_says_for_each_command_whether_it_is_native() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/runbooks/snapbuilder.md");
    let rb = load(&path).unwrap();
    let all = actions(&render::json_with_actions(&rb));
    let commands: usize = rb
        .sections
        .iter()
        .flat_map(|s| &s.groups)
        .flat_map(|g| &g.steps)
        .map(|s| s.commands.len())
        .sum();
    assert_eq!(all.len(), commands, "one answer per command");
    let undo = all
        .iter()
        .find(|a| {
            a["command"] == "kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving"
        })
        .expect("the rollback step");
    assert_eq!(undo["native"], true);
    assert_eq!(undo["action"], "rollback");
    assert_eq!(undo["namespace"], "snapbuilder");
    assert_eq!(undo["target"], "deployment/snapbuilder-serving");
    assert_eq!(undo["sitrep"], "rollback snapbuilder-serving");
    let scale = all
        .iter()
        .find(|a| a["action"] == "scale")
        .expect("a scale step");
    assert_eq!(scale["placeholders"][0], "<n>");
    let history = all
        .iter()
        .find(|a| a["command"].as_str().unwrap().contains("rollout history"))
        .expect("the history step");
    assert_eq!(history["native"], false);
    assert!(history["reason"].as_str().unwrap().contains("not a change"));
    // A pipe keeps the shell path and says so.
    assert!(
        all.iter()
            .any(|a| a["native"] == false && a["reason"].as_str().unwrap_or("").contains("pipe"))
    );
}

/// The real-world samples beside the project, when present: no command panics, and every
/// rollback, restart and scale they hold is read as native with a named deployment.
#[test]
fn the_shared_samples_read_without_surprises() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/runbook-samples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut native = 0;
    for e in entries {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let Ok(rb) = load(&path) else { continue };
        for st in rb
            .sections
            .iter()
            .flat_map(|s| &s.groups)
            .flat_map(|g| &g.steps)
        {
            for c in &st.commands {
                if let Recognised::Native(n) = recognise(c) {
                    native += 1;
                    if let Native::Rollback { deployment, .. }
                    | Native::Restart { deployment }
                    | Native::Scale { deployment, .. } = &n.action
                    {
                        assert!(!deployment.is_empty(), "{c}");
                    }
                }
            }
        }
    }
    eprintln!("{native} native commands in the samples");
}

/// `sitrep runbook FILE --json` on a runbook whose steps cordon, uncordon, drain and delete a
/// pod: each shown as native, with the sitrep command that carries it out.
#[test]
fn node_and_pod_steps_are_native_in_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nodes.md");
    std::fs::write(
        &path,
        "# GPU node trouble\n\n## Alert: GpuNodeUnhealthy\n\n\
         1. Keep new pods off it: `kubectl cordon <node>`\n\
         2. Move its pods away: `kubectl drain <node> --ignore-daemonsets --delete-emptydir-data`\n\
         3. Replace the stuck pod: `kubectl -n snapbuilder delete pod <pod-name>`\n\
         4. Once fixed: `kubectl uncordon gpu-node-3`\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .arg("runbook")
        .arg(&path)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = actions(&String::from_utf8(out.stdout).unwrap());
    let find = |action: &str| {
        all.iter()
            .find(|a| a["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in {all:?}"))
            .clone()
    };
    let cordon = find("cordon");
    assert_eq!(cordon["native"], true);
    assert_eq!(cordon["target"], "node/<node>");
    assert_eq!(cordon["placeholders"][0], "<node>");
    let drain = find("drain");
    assert_eq!(drain["native"], true);
    assert_eq!(drain["sitrep"], "drain <node>");
    let uncordon = find("uncordon");
    assert_eq!(uncordon["native"], true);
    assert_eq!(uncordon["sitrep"], "uncordon gpu-node-3");
    assert_eq!(uncordon["target"], "node/gpu-node-3");
    let delete = find("delete-pod");
    assert_eq!(delete["native"], true);
    assert_eq!(delete["sitrep"], "delete-pod <pod-name>");
    assert_eq!(delete["target"], "pod/<pod-name>");
    assert_eq!(delete["placeholders"][0], "<pod-name>");
}
