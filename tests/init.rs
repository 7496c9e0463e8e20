//! `sitrep init --from-runbook`: the bundled runbooks and odd shapes written for these tests
//! become drafts that load, with what was found and what was skipped where they belong.
#![allow(clippy::expect_used)] // a test that cannot read its fixture should fail loudly

mod promstack;

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use sitrep::config::Config;
use sitrep::init::{Findings, draft, draft_text};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/runbooks-init").join(name)
}

/// The draft of `paths`, its findings, and the config it loads as.
fn init(paths: &[PathBuf]) -> (Findings, String, Vec<String>, Config) {
    let (f, d) = draft(paths).unwrap_or_else(|e| panic!("init {paths:?}: {e:#}"));
    let c = Config::parse(Path::new("draft.toml"), &d.text)
        .unwrap_or_else(|e| panic!("the draft does not load: {e}\n{}", d.text));
    (f, d.text, d.contradictions, c)
}

fn skipped(f: &Findings) -> Vec<(usize, String)> {
    f.skipped
        .iter()
        .map(|s| (s.origin.line, s.why.clone()))
        .collect()
}

#[test]
fn every_bundled_runbook_drafts_a_config_that_loads() {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(root().join("assets/runbooks")).expect("assets/runbooks") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let (_, text, _, c) = init(std::slice::from_ref(&path));
            assert_eq!(c.runbooks.paths, std::slice::from_ref(&path), "{text}");
            all.push(path);
        }
    }
    assert!(all.len() >= 5);
    let (_, _, _, c) = init(&all);
    assert_eq!(c.runbooks.paths, all);
}

#[test]
fn snapbuilder_runbook_gives_its_switches_namespace_and_skips() {
    let (f, text, _, c) = init(&[root().join("assets/runbooks/snapbuilder.md")]);
    // The kill-switch table: names from its first column, values from the kubectl patches.
    let names: Vec<&str> = c.kill_switches.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "moderation-strict",
            "ai-disabled",
            "training-paused",
            "block-traffic"
        ]
    );
    let strict = &c.kill_switches[0];
    assert_eq!(strict.configmap.as_deref(), Some("snapbuilder-flags"));
    assert_eq!(strict.data_key.as_deref(), Some("MODERATION_STRICT"));
    assert_eq!(
        (strict.on_value.as_deref(), strict.off_value.as_deref()),
        (Some("true"), Some("false"))
    );
    assert_eq!(c.kill_switches[3].replicas, Some(0));
    assert_eq!(
        c.kill_switches[3].deployment.as_deref(),
        Some("snapbuilder-serving")
    );
    let k = c.kubernetes.as_ref().expect("[kubernetes]");
    assert_eq!(k.namespaces, ["snapbuilder"]);
    assert_eq!(k.label_selector.as_deref(), Some("app=snapbuilder-serving"));
    // The runbook has no PromQL besides the DCGM metric names it calls panels and metrics;
    // deployment names such as `snapbuilder-serving` parse as PromQL but are not queries.
    let queries: Vec<&str> = c.signals.iter().map(|s| s.query.as_str()).collect();
    assert_eq!(
        queries,
        [
            "DCGM_FI_DEV_FB_USED",
            "DCGM_FI_DEV_GPU_TEMP",
            "DCGM_FI_DEV_POWER_USAGE"
        ]
    );
    // "a GPU above 85 °C" lands on the temperature metric.
    assert_eq!(c.signals[1].crit, Some(85.0));
    // Thresholds with no query stay commented, never with a made-up query.
    assert!(
        text.contains("# No query in the runbooks for p95 latency")
            && text.contains("# crit = 350"),
        "{text}"
    );
    let skips = skipped(&f);
    assert!(
        skips.contains(&(95, "command not read: a shell pipe".into())),
        "{skips:?}"
    );
    assert!(
        skips.contains(&(79, "a recovery criterion, not an alert threshold".into())),
        "{skips:?}"
    );
    assert!(text.contains("snapbuilder.md:95: `kubectl -n snapbuilder logs"));
    // The contacts table's "Escalate after" column.
    let esc: Vec<(&str, String)> = c
        .incident
        .escalate
        .iter()
        .map(|e| (e.to.as_str(), e.after.to_string()))
        .collect();
    assert_eq!(esc[0], ("Secondary on-call", "15m".to_string()));
    assert_eq!(esc[1], ("GPU fleet", "30m".to_string()));
}

#[test]
fn queries_in_lists_blocks_inline_and_curl_with_thresholds_from_prose() {
    let (f, text, contradictions, c) = init(&[fixture("queries.md")]);
    assert!(contradictions.is_empty(), "{contradictions:?}");
    let by_name = |n: &str| {
        c.signals
            .iter()
            .find(|s| s.name == n)
            .unwrap_or_else(|| panic!("no signal {n}:\n{text}"))
    };
    let p95 = by_name("p95 latency");
    assert_eq!(
        p95.query,
        "histogram_quantile(0.95,\n  sum by (le) (rate(http_request_duration_seconds_bucket{job=\"checkout\"}[5m])))",
        "verbatim, line breaks kept"
    );
    assert_eq!(p95.unit, "seconds");
    // "p95 > 350ms ... SEV2" and "p95 above 2s ... SEV1", in the signal's seconds.
    assert_eq!((p95.warn, p95.crit), (Some(0.35), Some(2.0)));
    let errors = by_name("Error ratio");
    assert_eq!(errors.unit, "ratio");
    assert_eq!((errors.warn, errors.crit), (Some(0.01), Some(0.05)));
    assert_eq!(
        by_name("Request rate").query,
        "sum(rate(http_requests_total{job=\"checkout\"}[5m]))"
    );
    assert_eq!(
        by_name("checkout_queue_depth").query,
        "max(checkout_queue_depth) > 1000"
    );
    // URL-decoded from the curl line.
    assert_eq!(by_name("up").query, "up{job=\"checkout\"} == 0");
    assert_eq!(
        c.prometheus_url(),
        Some("http://prometheus.monitoring:9090")
    );
    assert_eq!(c.health[0].url, "https://checkout.example.com/healthz");
    assert_eq!(
        c.kubernetes.as_ref().map(|k| k.namespaces.clone()),
        Some(vec!["shop".to_string()])
    );
    let kinds: Vec<(&str, Option<&str>)> = c
        .kill_switches
        .iter()
        .map(|k| {
            (
                k.name.as_str(),
                k.deployment.as_deref().or(k.configmap.as_deref()),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("checkout-fallback", Some("checkout-flags")),
            ("checkout-api-to-zero", Some("checkout-api")),
        ]
    );
    assert_eq!(
        c.incident.update_interval(1).map(|d| d.as_secs()),
        Some(1800)
    );
    assert_eq!(
        c.incident.update_interval(2).map(|d| d.as_secs()),
        Some(3600)
    );
    assert_eq!(c.incident.escalate[0].to, "payments team");
    assert_eq!(c.incident.escalate[0].severities, [1, 2]);
    // The SLO target is kept, commented, since the runbook gives no error-ratio query.
    assert!(
        text.contains("# objective = 99.5") && text.contains("# window = \"30d\""),
        "{text}"
    );
    // Every signal says where it came from.
    assert!(text.contains("# a promql block at "), "{text}");
    assert!(
        text.contains("# the query= of a Prometheus API call at "),
        "{text}"
    );
    assert!(f.skipped.is_empty(), "{:?}", f.skipped);
}

#[test]
fn no_queries_at_all_is_a_draft_with_no_signals() {
    let (f, text, _, c) = init(&[fixture("no-queries.md")]);
    assert!(c.signals.is_empty());
    assert!(f.skipped.is_empty(), "{:?}", f.skipped);
    assert!(text.contains("name no Prometheus"), "{text}");
}

#[test]
fn what_is_not_promql_is_skipped_with_the_parsers_reason_never_taken() {
    let (f, text, _, c) = init(&[fixture("not-promql.md")]);
    assert!(c.signals.is_empty(), "{text}");
    let skips = skipped(&f);
    let why = |line: usize| {
        skips.iter().find(|(l, _)| *l == line).map_or_else(
            || panic!("nothing skipped at line {line}: {skips:?}"),
            |s| s.1.clone(),
        )
    };
    assert!(why(5).contains("under a monitoring heading, but not PromQL"));
    assert!(why(6).contains("unclosed left parenthesis"));
    assert!(why(9).contains("in a PromQL block, but not PromQL"));
    assert!(
        why(18).contains("nothing around it says it is one"),
        "{skips:?}"
    );
    assert!(why(21).contains("the query= of a Prometheus API call is not PromQL"));
    // Names that parse as PromQL outside any query context are not even mentioned.
    assert!(!text.contains("`dw-loader`"), "{text}");
}

#[test]
fn contradictory_thresholds_are_reported_and_left_unset() {
    let (_, text, contradictions, c) = init(&[fixture("contradictory.md")]);
    assert_eq!(c.signals.len(), 1);
    assert_eq!(c.signals[0].unit, "ms");
    assert_eq!((c.signals[0].warn, c.signals[0].crit), (None, None));
    assert_eq!(contradictions.len(), 2, "{contradictions:?}");
    assert!(
        contradictions[0].contains("contradictory.md:12")
            && contradictions[0].contains("disagree (300 vs 500)")
    );
    assert!(contradictions[1].contains("some say above, some below"));
    assert_eq!(text.matches("# CONTRADICTORY").count(), 2, "{text}");
}

#[test]
fn pipes_substitutions_and_lists_are_skipped_and_say_why() {
    let (f, _, _, c) = init(&[fixture("shell.md")]);
    let skips = skipped(&f);
    let expect = [
        (4, "a shell pipe"),
        (5, "a `$(...)` command substitution"),
        (6, "a shell redirection"),
        (7, "an `&&` command list"),
        (8, "a backtick command substitution"),
    ];
    for (line, why) in expect {
        assert!(
            skips.contains(&(line, format!("command not read: {why}"))),
            "line {line}: {skips:?}"
        );
    }
    // The one simple command is read.
    assert_eq!(
        c.kubernetes.map(|k| k.namespaces),
        Some(vec!["jobs".to_string()])
    );
    assert_eq!(f.deployments[0].0, "worker");
    assert_eq!(f.deployments[0].1.line, 9);
}

fn sitrep(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .current_dir(root())
        .env("SITREP_CONFIG_DIR", dir)
        .output()
        .expect("sitrep runs")
}

#[test]
fn output_file_is_refused_when_present_unless_forced_and_passes_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("config.toml");
    let out_s = out.to_str().expect("utf-8 path");
    let rb = "assets/runbooks/snapbuilder.md";
    let first = sitrep(&["init", "--from-runbook", rb, "-o", out_s], dir.path());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(first.stdout.is_empty(), "the draft goes to the file only");
    let written = std::fs::read_to_string(&out).expect("draft written");
    let check = sitrep(&["check", "--config", out_s], dir.path());
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    std::fs::write(&out, "# mine\n").expect("write");
    let again = sitrep(&["init", "--from-runbook", rb, "-o", out_s], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "# mine\n");
    let forced = sitrep(
        &["init", "--from-runbook", rb, "-o", out_s, "--force"],
        dir.path(),
    );
    assert!(forced.status.success());
    assert_eq!(std::fs::read_to_string(&out).expect("read"), written);
    let files = std::fs::read_dir(dir.path()).expect("dir").count();
    assert_eq!(files, 1, "no temporary file left behind");
    // A runbook that cannot be read is an error naming it, not a panic.
    let missing = sitrep(&["init", "--from-runbook", "no/such.md"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such.md"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_sends_every_drafted_query_to_a_reachable_prometheus() {
    let _serial = promstack::serial().await;
    let stack = promstack::Stack::start(false).await;
    let out = stack.dir.path().join("draft.toml");
    let out_s = out.to_str().expect("utf-8 path");
    let q = fixture("queries.md");
    let made = sitrep(
        &[
            "init",
            "--from-runbook",
            q.to_str().expect("utf-8"),
            "-o",
            out_s,
        ],
        stack.dir.path(),
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let check = sitrep(
        &[
            "check",
            "--config",
            out_s,
            "--prometheus",
            &stack.prometheus,
        ],
        stack.dir.path(),
    );
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // The same check does fail on a query Prometheus rejects, so the pass above means something.
    let text = std::fs::read_to_string(&out).expect("draft");
    let broken = text.replace(
        "max(checkout_queue_depth) > 1000",
        "max(checkout_queue_depth) > ",
    );
    std::fs::write(&out, broken).expect("write");
    let check = sitrep(
        &[
            "check",
            "--config",
            out_s,
            "--prometheus",
            &stack.prometheus,
        ],
        stack.dir.path(),
    );
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// Real-world runbooks beside the repository, when present; a fresh clone has none.
#[test]
fn shared_runbook_samples_draft_without_panics_when_present() {
    let dir = root().join("../shared/runbook-samples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "md") {
            init(&[p]);
            n += 1;
        }
    }
    eprintln!("{n} shared runbook samples drafted");
}

/// Pieces runbooks are made of, the odd ones included.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("## Monitoring queries\n".to_string()),
        Just("```promql\n".to_string()),
        Just("```bash\n".to_string()),
        Just("```\n".to_string()),
        Just("| Switch | Flip it |\n|---|---|\n".to_string()),
        Just("- p95 > 350ms for 5 minutes -> SEV2\n".to_string()),
        Just("- Error rate < 3 % (warning)\n".to_string()),
        Just("Availability SLO: 99.5% monthly\n".to_string()),
        Just("Post an update every 30 minutes for SEV1\n".to_string()),
        Just("Set FLAG_X=true in the flags ConfigMap\n".to_string()),
        Just("kubectl -n a scale deployment/b --replicas=0 | tee x\n".to_string()),
        Just("curl 'http://p:9090/api/v1/query?query=sum(rate(x%5B5m%5D))'\n".to_string()),
        Just("`sum(rate(x[5m]))` `a-b` `'it''s'` \"quoted\"\n".to_string()),
        Just("sum by (le) (rate(x_bucket{a=\"b\"}[5m]))\n".to_string()),
        Just(
            "Query: `up{job=\"{{service}}\"} == 0` or `up{job=\"{{ .Values.job }}\"} == 0`\n"
                .to_string()
        ),
        "[ -~]{0,40}\n",
        "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the runbook holds, init never panics and its draft always loads.
    #[test]
    fn any_runbook_gives_a_draft_that_loads(parts in proptest::collection::vec(fragment(), 0..30)) {
        let text = parts.concat();
        let (_, d) = draft_text("rb.md", &text).map_err(|e| TestCaseError::fail(format!("{e:#}\n{text}")))?;
        prop_assert!(d.text.contains("[runbooks]"));
    }
}
