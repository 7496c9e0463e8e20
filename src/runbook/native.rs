//! Runbook commands sitrep carries out itself instead of handing them to a shell.
//!
//! A runbook's `kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving` is the
//! same change as sitrep's own `rollback`, but run through `sh -c` it skips every safety
//! sitrep has: no dry run, no exact target, no verdict. [`recognise`] reads a command as
//! shell words and, when it is one of the changes sitrep knows, says which action and on
//! exactly which object (namespace from `-n`, name from the resource argument).
//!
//! Only plain commands are read. A pipe, a substitution, a variable, a command list, a
//! redirection, a flag sitrep does not carry out or a second target changes what the
//! command does in ways sitrep should not guess at: such commands keep the shell path, and
//! the reason says why.

use std::ops::Range;

use serde::Serialize;

/// One change sitrep knows how to make, with its target as the runbook wrote it (names
/// may still hold placeholders such as `<pod-name>` until [`NativeStep::fill`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Native {
    /// `kubectl rollout undo deployment/X [--to-revision=N]`.
    Rollback {
        deployment: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        revision: Option<String>,
    },
    /// `kubectl rollout restart deployment/X`.
    Restart { deployment: String },
    /// `kubectl scale deployment/X --replicas=N`.
    Scale {
        deployment: String,
        replicas: String,
    },
    /// `kubectl set env deployment/X KEY=VALUE`: a kill switch of kind `env`.
    SetEnv {
        deployment: String,
        key: String,
        value: String,
    },
    /// `kubectl patch configmap X -p '{"data":{"KEY":"VALUE"}}'`: a kill switch of kind
    /// `configmap`.
    ConfigMapSet {
        configmap: String,
        key: String,
        value: String,
    },
    /// `kubectl delete pod X`.
    DeletePod { pod: String },
    /// `kubectl cordon NODE`.
    Cordon { node: String },
    /// `kubectl uncordon NODE`.
    Uncordon { node: String },
    /// `kubectl drain NODE`.
    Drain { node: String },
    /// `kubectl argo rollouts abort NAME`.
    RolloutAbort { rollout: String },
    /// `kubectl argo rollouts promote NAME`.
    RolloutPromote { rollout: String },
}

/// A recognised command: the change and the namespace it names (`None`: kubectl's
/// default, the cockpit's namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NativeStep {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(flatten)]
    pub action: Native,
}

/// What sitrep does with one runbook command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recognised {
    /// Carried out by sitrep's own executor, after the usual confirmation.
    Native(NativeStep),
    /// Left to the shell (with its own confirmation); why it is not native.
    Shell(String),
}

impl Native {
    /// The name of the kind of change, as `sitrep runbook --json` and the cockpit say it.
    pub fn name(&self) -> &'static str {
        match self {
            Native::Rollback { .. } => "rollback",
            Native::Restart { .. } => "restart",
            Native::Scale { .. } => "scale",
            Native::SetEnv { .. } => "set-env",
            Native::ConfigMapSet { .. } => "configmap-set",
            Native::DeletePod { .. } => "delete-pod",
            Native::Cordon { .. } => "cordon",
            Native::Uncordon { .. } => "uncordon",
            Native::Drain { .. } => "drain",
            Native::RolloutAbort { .. } => "rollout-abort",
            Native::RolloutPromote { .. } => "rollout-promote",
        }
    }

    /// The object the change touches, as `kind/name`.
    pub fn target(&self) -> String {
        match self {
            Native::Rollback { deployment, .. }
            | Native::Restart { deployment }
            | Native::Scale { deployment, .. }
            | Native::SetEnv { deployment, .. } => format!("deployment/{deployment}"),
            Native::ConfigMapSet { configmap, .. } => format!("configmap/{configmap}"),
            Native::DeletePod { pod } => format!("pod/{pod}"),
            Native::Cordon { node } | Native::Uncordon { node } | Native::Drain { node } => {
                format!("node/{node}")
            }
            Native::RolloutAbort { rollout } | Native::RolloutPromote { rollout } => {
                format!("rollout/{rollout}")
            }
        }
    }

    /// The sitrep command line that makes this change (`rollback web 2`), for the kinds a
    /// command of sitrep's own makes; `None` for `set env` and ConfigMap keys, which go
    /// through the kill switch configured for them.
    pub fn command_line(&self) -> Option<String> {
        Some(match self {
            Native::Rollback {
                deployment,
                revision: Some(r),
            } => format!("rollback {deployment} {r}"),
            Native::Rollback {
                deployment,
                revision: None,
            } => format!("rollback {deployment}"),
            Native::Restart { deployment } => format!("restart {deployment}"),
            Native::Scale {
                deployment,
                replicas,
            } => format!("scale {deployment} {replicas}"),
            Native::DeletePod { pod } => format!("delete-pod {pod}"),
            Native::Cordon { node } => format!("cordon {node}"),
            Native::Uncordon { node } => format!("uncordon {node}"),
            Native::Drain { node } => format!("drain {node}"),
            Native::RolloutAbort { rollout } => format!("rollout-abort {rollout}"),
            Native::RolloutPromote { rollout } => format!("rollout-promote {rollout}"),
            Native::SetEnv { .. } | Native::ConfigMapSet { .. } => return None,
        })
    }

    /// Why this build of sitrep cannot make the change itself: its command is not in the
    /// command table (cordon and drain come with the cluster views).
    pub fn unavailable(&self) -> Option<String> {
        let line = self.command_line()?;
        let name = line.split_whitespace().next().unwrap_or("");
        crate::command::lookup(name)
            .is_none()
            .then(|| format!("sitrep has no `{name}` command to do it"))
    }

    fn fields_mut(&mut self) -> Vec<&mut String> {
        match self {
            Native::Rollback {
                deployment,
                revision,
            } => {
                let mut v = vec![deployment];
                v.extend(revision.as_mut());
                v
            }
            Native::Restart { deployment } => vec![deployment],
            Native::Scale {
                deployment,
                replicas,
            } => vec![deployment, replicas],
            Native::SetEnv {
                deployment,
                key,
                value,
            } => vec![deployment, key, value],
            Native::ConfigMapSet {
                configmap,
                key,
                value,
            } => vec![configmap, key, value],
            Native::DeletePod { pod } => vec![pod],
            Native::Cordon { node } | Native::Uncordon { node } | Native::Drain { node } => {
                vec![node]
            }
            Native::RolloutAbort { rollout } | Native::RolloutPromote { rollout } => vec![rollout],
        }
    }
}

impl NativeStep {
    /// Placeholders still in the target (`<pod-name>`, `<stable-revision>`), in order.
    pub fn placeholders(&self) -> Vec<String> {
        let mut me = self.clone();
        let mut out: Vec<String> = Vec::new();
        let ns = me.namespace.clone();
        for f in me
            .action
            .fields_mut()
            .into_iter()
            .map(|f| f.clone())
            .chain(ns)
        {
            for r in super::placeholders(&f) {
                let p = f[r].to_string();
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The step with every placeholder `fill` knows replaced by its value.
    pub fn fill(&self, fill: &dyn Fn(&str) -> Option<String>) -> NativeStep {
        let mut me = self.clone();
        let sub = |s: &mut String| {
            let ranges: Vec<Range<usize>> = super::placeholders(s);
            for r in ranges.into_iter().rev() {
                if let Some(v) = fill(&s[r.clone()]) {
                    s.replace_range(r, &v);
                }
            }
        };
        for f in me.action.fields_mut() {
            sub(f);
        }
        if let Some(ns) = me.namespace.as_mut() {
            sub(ns);
        }
        me
    }
}

/// Reads one runbook command (continuation lines joined) and says whether sitrep carries
/// it out itself, and as what.
pub fn recognise(command: &str) -> Recognised {
    let shell = |why: &str| Recognised::Shell(why.to_string());
    let command = command.trim();
    let command = command.strip_prefix("$ ").unwrap_or(command).trim();
    if command.contains('\n') {
        return shell("a command over several lines");
    }
    if let Some(why) = crate::init::shell::hazard(command) {
        return Recognised::Shell(why);
    }
    // Placeholders may hold spaces (`{{ namespace }}`): one word each while splitting.
    let holes = super::placeholders(command);
    let kept: Vec<String> = holes
        .iter()
        .map(|r| command[r.clone()].to_string())
        .collect();
    let mut text = command.to_string();
    for (i, r) in holes.into_iter().enumerate().rev() {
        text.replace_range(r, &format!("\u{1}{i}\u{1}"));
    }
    // Between markers, every other part is a placeholder's index.
    let restore = |w: &str| -> String {
        w.split('\u{1}')
            .enumerate()
            .map(|(i, part)| match i % 2 {
                0 => part,
                _ => part
                    .parse::<usize>()
                    .ok()
                    .and_then(|k| kept.get(k))
                    .map_or("", String::as_str),
            })
            .collect()
    };
    if let Some(var) = variable(&text) {
        return Recognised::Shell(format!("a shell variable `{var}`"));
    }
    let words: Vec<String> = crate::init::shell::split(&text)
        .iter()
        .map(|w| restore(w))
        .collect();
    let Some(program) = words.first() else {
        return shell("an empty command");
    };
    if !matches!(program.as_str(), "kubectl" | "k" | "oc") {
        return Recognised::Shell(format!("`{program}` is not kubectl"));
    }
    kubectl(&words[1..])
}

/// An unquoted or double-quoted `$NAME` / `${NAME}`: a value the shell fills in.
fn variable(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match (quote, c) {
            (Some(b'\''), b'\'') => quote = None,
            (Some(b'\''), _) => {}
            (_, b'\\') => i += 1,
            (Some(b'"'), b'"') => quote = None,
            (None, b'\'' | b'"') => quote = Some(c),
            (_, b'$') => {
                let rest = &text[i + 1..];
                let name: String = rest
                    .trim_start_matches('{')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    return Some(format!("${name}"));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// kubectl's arguments: flags (with their values) and positional words.
struct Args {
    flags: Vec<(String, String)>,
    words: Vec<String>,
}

/// Flags that take the next word as their value.
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--to-revision",
    "--replicas",
    "-p",
    "--patch",
    "--type",
    "--context",
    "--cluster",
    "--kubeconfig",
    "-l",
    "--selector",
    "-c",
    "--containers",
    "-o",
    "--output",
    "--grace-period",
    "--timeout",
    "--dry-run",
];

fn args(raw: &[String]) -> Args {
    let mut flags = Vec::new();
    let mut words = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let a = &raw[i];
        if let Some((k, v)) = a.split_once('=').filter(|_| a.starts_with('-')) {
            flags.push((k.to_string(), v.to_string()));
        } else if VALUE_FLAGS.contains(&a.as_str()) {
            flags.push((a.clone(), raw.get(i + 1).cloned().unwrap_or_default()));
            i += 1;
        } else if let Some(v) = a
            .strip_prefix("-n")
            .filter(|v| !v.is_empty() && !a.starts_with("--"))
        {
            flags.push(("-n".into(), v.to_string()));
        } else if a.starts_with('-') && a.len() > 1 {
            flags.push((a.clone(), String::new()));
        } else {
            words.push(a.clone());
        }
        i += 1;
    }
    Args { flags, words }
}

impl Args {
    fn flag(&self, names: &[&str]) -> Option<&str> {
        self.flags
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_str())
    }

    /// The first flag outside `allowed` (and the namespace), if any.
    fn stray(&self, allowed: &[&str]) -> Option<&str> {
        self.flags
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !["-n", "--namespace"].contains(k) && !allowed.contains(k))
    }
}

/// The one object of `kind` named by the words after the verb: `deployment/x`,
/// `deployment x`, `deploy/x`, `deployment.apps/x`.
fn one_target(words: &[String], kinds: &[&str]) -> Result<String, String> {
    let kind_of = |k: &str| {
        let k = k.to_ascii_lowercase();
        let k = k.split('.').next().unwrap_or("").to_string();
        kinds.contains(&k.as_str())
    };
    let mut names = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        match w.split_once('/') {
            Some((k, name)) if kind_of(k) => names.push(name.to_string()),
            Some((k, _)) => return Err(format!("`{k}` is not a {}", kinds[0])),
            None if kind_of(w) => {
                names.extend(words.get(i + 1..).unwrap_or_default().iter().cloned());
                break;
            }
            None => return Err(format!("`{w}` is not a {}", kinds[0])),
        }
        i += 1;
    }
    match names.as_slice() {
        [one] if !one.is_empty() => Ok(one.clone()),
        [] | [_] => Err(format!("no {} named", kinds[0])),
        _ => Err(format!("more than one {}: {}", kinds[0], names.join(", "))),
    }
}

const DEPLOYMENT: &[&str] = &["deployment", "deployments", "deploy"];
const POD: &[&str] = &["pod", "pods", "po"];
const CONFIGMAP: &[&str] = &["configmap", "configmaps", "cm"];
const NODE: &[&str] = &["node", "nodes", "no"];

fn kubectl(raw: &[String]) -> Recognised {
    let a = args(raw);
    if let Some(v) = a.flag(&["--dry-run"]) {
        return Recognised::Shell(format!("`--dry-run={v}` changes nothing"));
    }
    if let Some(f) = a.flag(&["--context", "--cluster", "--kubeconfig"]) {
        let _ = f;
        return Recognised::Shell("it names its own cluster or kubeconfig".into());
    }
    let namespace = a
        .flag(&["-n", "--namespace"])
        .map(str::to_string)
        .filter(|n| !n.is_empty());
    if a.flags
        .iter()
        .any(|(k, _)| k == "-A" || k == "--all-namespaces")
    {
        return Recognised::Shell("it acts in every namespace".into());
    }
    let verb: Vec<&str> = a.words.iter().map(String::as_str).collect();
    let step = |action: Native| {
        Recognised::Native(NativeStep {
            namespace: namespace.clone(),
            action,
        })
    };
    let stray = |allowed: &[&str]| {
        a.stray(allowed)
            .map(|f| Recognised::Shell(format!("`{f}` is not a flag sitrep carries out")))
    };
    let target =
        |from: usize, kinds: &[&str]| one_target(&a.words[from.min(a.words.len())..], kinds);
    match verb.as_slice() {
        ["rollout", "undo", ..] => {
            if let Some(s) = stray(&["--to-revision"]) {
                return s;
            }
            match target(2, DEPLOYMENT) {
                Ok(deployment) => step(Native::Rollback {
                    deployment,
                    revision: a.flag(&["--to-revision"]).map(str::to_string),
                }),
                Err(e) => Recognised::Shell(e),
            }
        }
        ["rollout", "restart", ..] => {
            if let Some(s) = stray(&[]) {
                return s;
            }
            match target(2, DEPLOYMENT) {
                Ok(deployment) => step(Native::Restart { deployment }),
                Err(e) => Recognised::Shell(e),
            }
        }
        ["scale", ..] => {
            if let Some(s) = stray(&["--replicas"]) {
                return s;
            }
            let Some(replicas) = a.flag(&["--replicas"]) else {
                return Recognised::Shell("`scale` without `--replicas`".into());
            };
            match target(1, DEPLOYMENT) {
                Ok(deployment) => step(Native::Scale {
                    deployment,
                    replicas: replicas.to_string(),
                }),
                Err(e) => Recognised::Shell(e),
            }
        }
        ["set", "env", rest @ ..] => {
            if let Some(s) = stray(&[]) {
                return s;
            }
            let (sets, objects): (Vec<&&str>, Vec<&&str>) = rest
                .iter()
                .partition(|w| w.contains('=') && !w.contains('/'));
            let objects: Vec<String> = objects.iter().map(|w| w.to_string()).collect();
            let deployment = match one_target(&objects, DEPLOYMENT) {
                Ok(d) => d,
                Err(e) => return Recognised::Shell(e),
            };
            match sets.as_slice() {
                [kv] => {
                    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
                    step(Native::SetEnv {
                        deployment,
                        key: key.to_string(),
                        value: value.to_string(),
                    })
                }
                [] => Recognised::Shell("`set env` without KEY=VALUE".into()),
                _ => Recognised::Shell("`set env` of more than one variable".into()),
            }
        }
        ["patch", ..] => {
            if let Some(s) = stray(&["-p", "--patch", "--type"]) {
                return s;
            }
            if a.flag(&["--type"]).is_some_and(|t| t == "json") {
                return Recognised::Shell("a JSON patch (`--type json`)".into());
            }
            let configmap = match target(1, CONFIGMAP) {
                Ok(c) => c,
                Err(e) => return Recognised::Shell(e),
            };
            let Some(patch) = a.flag(&["-p", "--patch"]) else {
                return Recognised::Shell("`patch` without `-p`".into());
            };
            match configmap_data(patch).as_deref() {
                Some([(key, value)]) => step(Native::ConfigMapSet {
                    configmap,
                    key: key.clone(),
                    value: value.clone(),
                }),
                Some([]) | None => {
                    Recognised::Shell("a patch that sets no string under `data`".into())
                }
                Some(_) => Recognised::Shell("a patch of more than one ConfigMap key".into()),
            }
        }
        ["argo", "rollouts", op @ ("abort" | "promote"), ..] => {
            if let Some(s) = stray(&[]) {
                return s;
            }
            match &a.words[3..] {
                [name] if !name.contains('/') => step(if *op == "abort" {
                    Native::RolloutAbort {
                        rollout: name.clone(),
                    }
                } else {
                    Native::RolloutPromote {
                        rollout: name.clone(),
                    }
                }),
                [] => Recognised::Shell("it names no rollout".into()),
                _ => Recognised::Shell(format!("not one rollout: {}", a.words[3..].join(" "))),
            }
        }
        ["delete", ..] => {
            if let Some(s) = stray(&[]) {
                return s;
            }
            match target(1, POD) {
                Ok(pod) => step(Native::DeletePod { pod }),
                Err(e) => Recognised::Shell(e),
            }
        }
        ["cordon", ..] => {
            if let Some(s) = stray(&[]) {
                return s;
            }
            match node_target(&a.words[1..]) {
                Ok(node) => step(Native::Cordon { node }),
                Err(e) => Recognised::Shell(e),
            }
        }
        ["uncordon", ..] => {
            if let Some(s) = stray(&[]) {
                return s;
            }
            match node_target(&a.words[1..]) {
                Ok(node) => step(Native::Uncordon { node }),
                Err(e) => Recognised::Shell(e),
            }
        }
        ["drain", ..] => {
            // What a native drain does anyway: skip DaemonSet pods, evict emptyDir pods.
            if let Some(s) = stray(&[
                "--ignore-daemonsets",
                "--delete-emptydir-data",
                "--delete-local-data",
            ]) {
                return s;
            }
            match node_target(&a.words[1..]) {
                Ok(node) => step(Native::Drain { node }),
                Err(e) => Recognised::Shell(e),
            }
        }
        [verb, ..] => Recognised::Shell(format!("`kubectl {verb}` is not a change sitrep makes")),
        [] => Recognised::Shell("kubectl without a verb".into()),
    }
}

/// `cordon NODE` / `cordon node/NODE`.
fn node_target(words: &[String]) -> Result<String, String> {
    match words {
        [one] if !one.contains('/') => Ok(one.clone()),
        // `cordon a b`: kubectl takes several nodes; sitrep acts on exactly one.
        [first, _, ..]
            if !NODE.contains(&first.as_str()) && words.iter().all(|w| !w.contains('/')) =>
        {
            Err(format!("more than one node: {}", words.join(", ")))
        }
        _ => one_target(words, NODE),
    }
}

/// The string values under `data` of a merge patch; `None` when it is not JSON.
fn configmap_data(patch: &str) -> Option<Vec<(String, String)>> {
    let v = serde_json::from_str::<serde_json::Value>(patch).ok()?;
    let data = v.get("data")?.as_object()?;
    if v.as_object().is_some_and(|o| o.len() > 1) {
        return Some(Vec::new());
    }
    Some(
        data.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn native(cmd: &str) -> NativeStep {
        match recognise(cmd) {
            Recognised::Native(n) => n,
            Recognised::Shell(why) => panic!("{cmd}: shell: {why}"),
        }
    }

    fn ns(n: &str) -> Option<String> {
        Some(n.to_string())
    }

    #[test]
    fn every_recognised_command_maps_to_its_action_and_exact_target() {
        let cases: Vec<(&str, Option<String>, Native)> = vec![
            (
                "kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving",
                ns("snapbuilder"),
                Native::Rollback {
                    deployment: "snapbuilder-serving".into(),
                    revision: None,
                },
            ),
            (
                "kubectl rollout undo deploy web --to-revision=3 --namespace=shop",
                ns("shop"),
                Native::Rollback {
                    deployment: "web".into(),
                    revision: Some("3".into()),
                },
            ),
            (
                "kubectl rollout undo deployment.apps/web --to-revision 2",
                None,
                Native::Rollback {
                    deployment: "web".into(),
                    revision: Some("2".into()),
                },
            ),
            (
                "$ kubectl -nshop rollout restart deployment/api",
                ns("shop"),
                Native::Restart {
                    deployment: "api".into(),
                },
            ),
            (
                "kubectl -n snapbuilder scale deployment/snapbuilder-serving --replicas=0",
                ns("snapbuilder"),
                Native::Scale {
                    deployment: "snapbuilder-serving".into(),
                    replicas: "0".into(),
                },
            ),
            (
                "k scale --replicas 6 deployments api",
                None,
                Native::Scale {
                    deployment: "api".into(),
                    replicas: "6".into(),
                },
            ),
            (
                "kubectl -n s set env deployment/web FALLBACK=on",
                ns("s"),
                Native::SetEnv {
                    deployment: "web".into(),
                    key: "FALLBACK".into(),
                    value: "on".into(),
                },
            ),
            (
                r#"kubectl -n snapbuilder patch configmap snapbuilder-flags --type merge -p '{"data":{"MODERATION_STRICT":"true"}}'"#,
                ns("snapbuilder"),
                Native::ConfigMapSet {
                    configmap: "snapbuilder-flags".into(),
                    key: "MODERATION_STRICT".into(),
                    value: "true".into(),
                },
            ),
            (
                r#"kubectl patch cm/flags -p "{\"data\":{\"ai_enabled\":\"false\"}}""#,
                None,
                Native::ConfigMapSet {
                    configmap: "flags".into(),
                    key: "ai_enabled".into(),
                    value: "false".into(),
                },
            ),
            (
                "kubectl -n snapbuilder delete pod snapbuilder-serving-7d9c-abcde",
                ns("snapbuilder"),
                Native::DeletePod {
                    pod: "snapbuilder-serving-7d9c-abcde".into(),
                },
            ),
            (
                "kubectl delete pods/x",
                None,
                Native::DeletePod { pod: "x".into() },
            ),
            (
                "kubectl cordon gpu-node-3",
                None,
                Native::Cordon {
                    node: "gpu-node-3".into(),
                },
            ),
            (
                "kubectl uncordon node/gpu-node-3",
                None,
                Native::Uncordon {
                    node: "gpu-node-3".into(),
                },
            ),
            (
                "kubectl drain gpu-node-3 --ignore-daemonsets --delete-emptydir-data",
                None,
                Native::Drain {
                    node: "gpu-node-3".into(),
                },
            ),
        ];
        for (cmd, namespace, action) in cases {
            let n = native(cmd);
            assert_eq!(n.namespace, namespace, "{cmd}");
            assert_eq!(n.action, action, "{cmd}");
        }
    }

    #[test]
    fn placeholders_are_kept_then_filled() {
        let n = native("kubectl -n snapbuilder delete pod <pod-name>");
        assert_eq!(n.placeholders(), ["<pod-name>"]);
        let n = native(
            "kubectl -n {{ namespace }} rollout undo deployment/snapbuilder-serving --to-revision=<stable-revision>",
        );
        assert_eq!(n.placeholders(), ["<stable-revision>", "{{ namespace }}"]);
        let filled = n.fill(&|p| match p {
            "<stable-revision>" => Some("2".into()),
            _ => None,
        });
        assert_eq!(
            filled.action,
            Native::Rollback {
                deployment: "snapbuilder-serving".into(),
                revision: Some("2".into())
            }
        );
        assert_eq!(filled.placeholders(), ["{{ namespace }}"]);
        let n =
            native("kubectl -n snapbuilder scale deployment/snapbuilder-serving --replicas=<n>");
        assert_eq!(n.placeholders(), ["<n>"]);
    }

    #[test]
    fn bad_shapes_keep_the_shell_path_with_the_reason() {
        for (cmd, why) in [
            ("kubectl rollout undo deployment/a | tee log", "pipe"),
            (
                "kubectl rollout undo deployment/$(cat name)",
                "substitution",
            ),
            ("kubectl rollout undo deployment/`cat name`", "backtick"),
            (
                "kubectl rollout undo deployment/a && kubectl get pods",
                "&&",
            ),
            ("kubectl rollout undo deployment/a; ls", ";"),
            ("kubectl scale deployment/$DEPLOY --replicas=0", "variable"),
            ("kubectl scale deployment/\"${D}\" --replicas=0", "variable"),
            (
                "kubectl rollout undo deployment/a b",
                "`b` is not a deployment",
            ),
            (
                "kubectl rollout undo deployment/a deployment/b",
                "more than one",
            ),
            ("kubectl rollout undo", "no deployment"),
            ("kubectl rollout undo statefulset/db", "not a deployment"),
            ("kubectl scale deployment/a", "without `--replicas`"),
            (
                "kubectl scale deployment/a --replicas=2 --current-replicas=3",
                "--current-replicas",
            ),
            ("kubectl delete pod a b", "more than one"),
            ("kubectl delete deployment a", "not a pod"),
            ("kubectl delete pod a --force", "--force"),
            ("kubectl drain n --force", "--force"),
            ("kubectl cordon a b", "more than one"),
            ("kubectl uncordon pod/a", "not a node"),
            ("kubectl cordon -l pool=gpu", "`-l` is not a flag"),
            (
                "kubectl rollout undo deployment/a --dry-run=client",
                "changes nothing",
            ),
            (
                "kubectl --context prod rollout restart deployment/a",
                "own cluster",
            ),
            ("kubectl delete pods --all -A", "every namespace"),
            (
                "kubectl set env deployment/a A=1 B=2",
                "more than one variable",
            ),
            (
                r#"kubectl patch configmap f -p '{"data":{"a":"1","b":"2"}}'"#,
                "more than one",
            ),
            (
                r#"kubectl patch configmap f --type json -p '[]'"#,
                "JSON patch",
            ),
            (
                r#"kubectl patch deployment f -p '{"spec":{}}'"#,
                "not a configmap",
            ),
            ("kubectl get pods -l app=x", "not a change"),
            (
                "kubectl -n snapbuilder rollout history deployment/x",
                "not a change",
            ),
            ("helm rollback web 3", "not kubectl"),
            ("", "empty"),
        ] {
            match recognise(cmd) {
                Recognised::Shell(r) => assert!(r.contains(why), "{cmd}: {r}"),
                Recognised::Native(n) => panic!("{cmd} was recognised as {n:?}"),
            }
        }
        // Quoted `$` and `|` are data, not shell.
        native(r#"kubectl patch configmap f -p '{"data":{"PRICE":"$5|x"}}'"#);
    }

    #[test]
    fn argo_rollouts_abort_and_promote_are_native_on_one_rollout() {
        let n = native("kubectl -n shop argo rollouts abort checkout");
        assert_eq!(n.namespace, ns("shop"));
        assert_eq!(
            n.action,
            Native::RolloutAbort {
                rollout: "checkout".into()
            }
        );
        assert_eq!(
            n.action.command_line().as_deref(),
            Some("rollout-abort checkout")
        );
        assert_eq!(n.action.target(), "rollout/checkout");
        assert_eq!(n.action.unavailable(), None, "the command table has it");
        let n = native("kubectl argo rollouts promote <rollout>");
        assert_eq!(n.action.name(), "rollout-promote");
        assert_eq!(n.placeholders(), ["<rollout>"]);
        for (cmd, why) in [
            ("kubectl argo rollouts abort", "it names no rollout"),
            ("kubectl argo rollouts promote a b", "not one rollout: a b"),
            (
                "kubectl argo rollouts promote checkout --full",
                "`--full` is not a flag sitrep carries out",
            ),
        ] {
            assert_eq!(recognise(cmd), Recognised::Shell(why.into()), "{cmd}");
        }
    }
}
