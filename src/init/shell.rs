//! What a runbook's shell command tells about the service: namespaces, deployments and
//! selectors from kubectl, kill-switch candidates from scale-to-zero, `set env` and
//! ConfigMap patches, health URLs and Prometheus queries from curl.
//!
//! Only simple commands are read. A pipe, a substitution, a redirection or a command list
//! changes what the command means in ways a draft should not guess at, so such commands
//! are skipped with the reason.

/// What one command says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    pub namespaces: Vec<String>,
    pub deployments: Vec<String>,
    pub selectors: Vec<String>,
    /// `kubectl scale deployment/X --replicas=0`.
    pub scale_to_zero: Option<(Option<String>, String)>,
    /// `kubectl set env deployment/X KEY=VALUE`: (namespace, deployment, key, value).
    pub env_sets: Vec<(Option<String>, String, String, String)>,
    /// `kubectl patch configmap X -p '{"data":{...}}'`: (namespace, configmap, key, value).
    pub configmap_sets: Vec<(Option<String>, String, String, String)>,
    /// URLs curl fetches that are not Prometheus API calls.
    pub urls: Vec<String>,
    /// Prometheus HTTP API calls: (base URL, the decoded `query=`).
    pub prom_queries: Vec<(String, String)>,
}

/// Why a command was not read, or what it says.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A kubectl or curl command read fully.
    Read(Facts),
    /// Not read; the reason.
    Skipped(String),
}

/// Reads one command (continuation lines already joined).
pub fn read(command: &str) -> Reading {
    let command = command.trim();
    let command = command.strip_prefix("$ ").unwrap_or(command);
    if let Some(why) = hazard(command) {
        return Reading::Skipped(why);
    }
    let words = split(command);
    // `VAR=value cmd`, `sudo cmd`: look at the program itself.
    let mut i = 0;
    while i < words.len()
        && (words[i] == "sudo" || (words[i].contains('=') && !words[i].starts_with('-')))
    {
        i += 1;
    }
    let Some(program) = words.get(i) else {
        return Reading::Skipped("an empty command".into());
    };
    let args = &words[i + 1..];
    match program.as_str() {
        "kubectl" | "k" | "oc" => kubectl(args),
        "curl" => curl(args),
        other => Reading::Skipped(format!(
            "`{other}` is neither kubectl nor curl; nothing to place"
        )),
    }
}

/// The first shell construct that makes a command more than a simple command, if any.
pub fn hazard(command: &str) -> Option<String> {
    // Placeholders such as `<pod-name>` are gaps to fill, not redirections.
    let mut text = command.to_string();
    for r in crate::runbook::placeholders(command).into_iter().rev() {
        text.replace_range(r, "PLACEHOLDER");
    }
    let b = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match (quote, c) {
            (_, b'\\') if quote != Some(b'\'') => {
                i += 2;
                continue;
            }
            (Some(q), _) if c == q => quote = None,
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(b'\''), _) => {}
            (_, b'`') => return Some("a backtick command substitution".into()),
            (_, b'$') if next == Some(b'(') => {
                return Some("a `$(...)` command substitution".into());
            }
            (None, b'|') if next == Some(b'|') => return Some("an `||` command list".into()),
            (None, b'|') => return Some("a shell pipe".into()),
            (None, b'&') if next == Some(b'&') => return Some("an `&&` command list".into()),
            (None, b'&') => return Some("a background `&`".into()),
            (None, b';') => return Some("a `;` command list".into()),
            (None, b'<') if next == Some(b'<') => return Some("a heredoc".into()),
            (None, b'<' | b'>') => return Some("a shell redirection".into()),
            _ => {}
        }
        i += 1;
    }
    quote.map(|_| "an unclosed quote".into())
}

/// Shell words: whitespace-separated, quotes removed, backslash escapes kept literal.
pub fn split(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), _) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn is_placeholder(s: &str) -> bool {
    !crate::runbook::placeholders(s).is_empty()
}

/// kubectl flags that take a value as the next word.
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-l",
    "--selector",
    "-p",
    "--patch",
    "--type",
    "-o",
    "--output",
    "-c",
    "--container",
    "--context",
    "--replicas",
    "--to-revision",
    "--since",
    "--tail",
    "-f",
    "--filename",
    "--image",
    "--field-selector",
    "--timeout",
];

fn kubectl(args: &[String]) -> Reading {
    let mut facts = Facts::default();
    let mut flags: Vec<(String, String)> = Vec::new();
    let mut positional: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            break;
        }
        if let Some((k, v)) = a.split_once('=').filter(|_| a.starts_with('-')) {
            flags.push((k.to_string(), v.to_string()));
        } else if VALUE_FLAGS.contains(&a.as_str()) {
            flags.push((a.clone(), args.get(i + 1).cloned().unwrap_or_default()));
            i += 1;
        } else if let Some(v) = a
            .strip_prefix("-n")
            .filter(|v| !v.is_empty() && !a.starts_with("--"))
        {
            flags.push(("-n".into(), v.to_string()));
        } else if let Some(v) = a
            .strip_prefix("-l")
            .filter(|v| !v.is_empty() && !a.starts_with("--"))
        {
            flags.push(("-l".into(), v.to_string()));
        } else if !a.starts_with('-') {
            positional.push(a.clone());
        }
        i += 1;
    }
    let flag = |names: &[&str]| {
        flags
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    let namespace = flag(&["-n", "--namespace"]).filter(|n| !is_placeholder(n) && !n.is_empty());
    if let Some(ns) = &namespace {
        facts.namespaces.push(ns.clone());
    }
    if let Some(sel) = flag(&["-l", "--selector"]).filter(|s| !is_placeholder(s) && !s.is_empty()) {
        facts.selectors.push(sel);
    }
    // Resources: `deployment/x`, or `deployment x`.
    let mut configmaps = Vec::new();
    let mut k = 0;
    while k < positional.len() {
        let p = &positional[k];
        let (kind, name) = match p.split_once('/') {
            Some((kind, name)) => (kind.to_string(), Some(name.to_string())),
            None => (p.clone(), positional.get(k + 1).cloned()),
        };
        let kind = kind.to_ascii_lowercase();
        let kind = kind.split('.').next().unwrap_or("");
        let name = name.filter(|n| !n.is_empty() && !is_placeholder(n) && !n.contains('='));
        match (kind, name) {
            ("deployment" | "deployments" | "deploy", Some(n)) => {
                if !facts.deployments.contains(&n) {
                    facts.deployments.push(n);
                }
                if !p.contains('/') {
                    k += 1;
                }
            }
            ("configmap" | "configmaps" | "cm", Some(n)) => {
                configmaps.push(n);
                if !p.contains('/') {
                    k += 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    let verb = positional.first().map(String::as_str).unwrap_or("");
    let sub = positional.get(1).map(String::as_str).unwrap_or("");
    if verb == "scale"
        && flag(&["--replicas"]).as_deref() == Some("0")
        && let Some(d) = facts.deployments.first()
    {
        facts.scale_to_zero = Some((namespace.clone(), d.clone()));
    }
    if verb == "set"
        && sub == "env"
        && let Some(d) = facts.deployments.first().cloned()
    {
        for p in positional.iter().skip(2) {
            if let Some((key, value)) = p.split_once('=')
                && is_env_name(key)
                && !is_placeholder(value)
            {
                facts
                    .env_sets
                    .push((namespace.clone(), d.clone(), key.into(), value.into()));
            }
        }
    }
    if verb == "patch"
        && let Some(cm) = configmaps.first()
        && let Some(patch) = flag(&["-p", "--patch"])
    {
        for (key, value) in configmap_data(&patch) {
            facts
                .configmap_sets
                .push((namespace.clone(), cm.clone(), key, value));
        }
    }
    Reading::Read(facts)
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// The string values under `data` of a merge patch.
fn configmap_data(patch: &str) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(patch) else {
        return Vec::new();
    };
    let Some(data) = v.get("data").and_then(|d| d.as_object()) else {
        return Vec::new();
    };
    data.iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}

fn curl(args: &[String]) -> Reading {
    let mut facts = Facts::default();
    let mut urls = Vec::new();
    let mut data_query = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if ["--data-urlencode", "-d", "--data", "--data-raw"].contains(&a.as_str()) {
            if let Some(v) = args.get(i + 1)
                && let Some(q) = v.strip_prefix("query=")
            {
                // --data-urlencode encodes for us; -d sends it as written.
                data_query = Some(if a == "--data-urlencode" {
                    q.to_string()
                } else {
                    percent_decode(q)
                });
            }
            i += 1;
        } else if a.starts_with("http://") || a.starts_with("https://") {
            urls.push(a.clone());
        }
        i += 1;
    }
    if urls.is_empty() {
        return Reading::Skipped("a curl command without an http(s) URL".into());
    }
    for url in urls {
        let (base, query) = url.split_once('?').unwrap_or((&url, ""));
        let api = ["/api/v1/query_range", "/api/v1/query"]
            .iter()
            .find_map(|p| base.strip_suffix(p));
        match api {
            Some(root) => {
                let from_url = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("query=").map(percent_decode));
                if let Some(q) = from_url.or_else(|| data_query.clone()) {
                    facts.prom_queries.push((root.to_string(), q));
                }
            }
            None => facts.urls.push(url.clone()),
        }
    }
    Reading::Read(facts)
}

/// URL-decodes a query-string value: `%XX` and `+` for space; bad escapes kept as written.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |x: Option<&u8>| x.and_then(|x| (*x as char).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                if let (Some(h), Some(l)) = (hex(b.get(i + 1)), hex(b.get(i + 2))) {
                    // Two hex digits are at most 255.
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn facts(cmd: &str) -> Facts {
        match read(cmd) {
            Reading::Read(f) => f,
            Reading::Skipped(why) => panic!("{cmd}: skipped: {why}"),
        }
    }

    #[test]
    fn kubectl_namespaces_deployments_and_selectors() {
        let f = facts("kubectl -n snap get pods -l app=snap-serving -w");
        assert_eq!(f.namespaces, ["snap"]);
        assert_eq!(f.selectors, ["app=snap-serving"]);
        let f = facts("kubectl --namespace=db rollout undo deployment/api --to-revision=3");
        assert_eq!(f.namespaces, ["db"]);
        assert_eq!(f.deployments, ["api"]);
        let f = facts("kubectl get deployment web -o jsonpath='{.spec}'");
        assert_eq!(f.deployments, ["web"]);
        let f = facts("kubectl -n x exec <serving-pod> -- nvidia-smi");
        assert_eq!(f.namespaces, ["x"]);
    }

    #[test]
    fn kill_switch_candidates() {
        let f = facts("kubectl -n s scale deployment/web --replicas=0");
        assert_eq!(f.scale_to_zero, Some((Some("s".into()), "web".into())));
        assert_eq!(
            facts("kubectl scale deploy web --replicas=3").scale_to_zero,
            None
        );
        let f = facts("kubectl -n s set env deployment/web FALLBACK=on");
        assert_eq!(
            f.env_sets,
            [(
                Some("s".into()),
                "web".into(),
                "FALLBACK".into(),
                "on".into()
            )]
        );
        let f = facts(
            r#"kubectl -n s patch configmap flags --type merge -p '{"data":{"STRICT":"true"}}'"#,
        );
        assert_eq!(
            f.configmap_sets,
            [(
                Some("s".into()),
                "flags".into(),
                "STRICT".into(),
                "true".into()
            )]
        );
    }

    #[test]
    fn pipes_substitutions_and_lists_are_skipped_with_the_reason() {
        for (cmd, why) in [
            ("kubectl logs x | grep err", "pipe"),
            (
                "kubectl delete pod $(kubectl get pods -o name)",
                "substitution",
            ),
            ("kubectl get pods `cat ns`", "backtick"),
            ("kubectl get pods > out.txt", "redirection"),
            ("kubectl a && kubectl b", "&&"),
            ("kubectl a; kubectl b", ";"),
            ("kubectl apply -f - <<EOF", "heredoc"),
            ("kubectl get pods -l 'app=x", "unclosed"),
            ("psql -c 'SELECT 1'", "neither kubectl nor curl"),
        ] {
            match read(cmd) {
                Reading::Skipped(r) => assert!(r.contains(why), "{cmd}: {r}"),
                Reading::Read(_) => panic!("{cmd} was read"),
            }
        }
        // Quoted pipes are data, not pipes.
        facts("kubectl get pods -o jsonpath='{.items[*]}|x'");
    }

    #[test]
    fn curl_health_urls_and_prometheus_queries_url_decoded() {
        let f = facts("curl -fsS https://api.example.com/healthz");
        assert_eq!(f.urls, ["https://api.example.com/healthz"]);
        let f = facts(
            "curl -s 'http://prom:9090/api/v1/query?query=sum(rate(http_requests_total%7Bstatus%3D~%225..%22%7D%5B5m%5D))&time=1'",
        );
        assert_eq!(
            f.prom_queries,
            [(
                "http://prom:9090".into(),
                r#"sum(rate(http_requests_total{status=~"5.."}[5m]))"#.into()
            )]
        );
        let f = facts(
            "curl -G http://prom:9090/api/v1/query --data-urlencode 'query=up{job=\"a\"} == 0'",
        );
        assert_eq!(f.prom_queries[0].1, "up{job=\"a\"} == 0");
        assert_eq!(percent_decode("a+b%2"), "a b%2");
    }
}
