//! Keeping secrets out of recordings.
//!
//! Two layers. The header's copy of the configuration drops every value that can hold a
//! credential (header maps, HTTP kill-switch bodies, anything named like a token, password,
//! key or cookie). And every record is scrubbed, as serialized, of the secret values
//! themselves: the bearer tokens and passwords the config points at, its header values,
//! kill-switch HTTP headers and bodies, and the kubeconfig's tokens, passwords and client
//! keys, so a secret that leaks into an error text or a preview still never reaches disk.

use crate::config::Config;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Values shorter than this are not scrubbed: they would blank common words.
const MIN_SECRET: usize = 6;

/// Scrubs known secret values from serialized records.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another goes whole.
    secrets: Vec<Vec<u8>>,
}

impl Redactor {
    /// A redactor for these values (short and duplicate ones are ignored).
    pub fn new(values: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        for v in values {
            let v = v.trim().to_string();
            if v.len() < MIN_SECRET {
                continue;
            }
            // As it appears raw, and as JSON writes it inside a string.
            let json = serde_json::to_string(&v).unwrap_or_default();
            let escaped = json.trim_matches('"').to_string();
            for form in [v, escaped] {
                if !secrets.iter().any(|s| s == form.as_bytes()) {
                    secrets.push(form.into_bytes());
                }
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// How many secret forms it scrubs.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Whether it scrubs nothing.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `bytes` with every secret replaced by [`REDACTED`].
    pub fn scrub(&self, bytes: Vec<u8>) -> Vec<u8> {
        let mut out = bytes;
        for s in &self.secrets {
            if find(&out, s).is_none() {
                continue;
            }
            let mut next = Vec::with_capacity(out.len());
            let mut rest = &out[..];
            while let Some(i) = find(rest, s) {
                next.extend_from_slice(&rest[..i]);
                next.extend_from_slice(REDACTED.as_bytes());
                rest = &rest[i + s.len()..];
            }
            next.extend_from_slice(rest);
            out = next;
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)
        {
            None => return None,
            Some(p) => {
                i += p;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// Every secret value the config leads to: tokens and passwords (read from their variables
/// and files), header values, HTTP kill switches' headers and bodies.
pub fn config_secrets(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let read_file = |p: &std::path::Path| std::fs::read_to_string(p).ok();
    // Loki's credentials too; its tenant is a name, not a secret, and scrubbing it would
    // blank that word in every recorded log line.
    let loki = config.loki.as_ref().map(|l| crate::config::Endpoint {
        headers: Default::default(),
        ..l.endpoint()
    });
    for ep in [&config.prometheus, &config.alertmanager, &loki]
        .into_iter()
        .flatten()
    {
        if let Some(v) = ep
            .bearer_token_env
            .as_deref()
            .and_then(|k| std::env::var(k).ok())
        {
            out.push(v);
        }
        if let Some(v) = ep.bearer_token_file.as_deref().and_then(read_file) {
            out.push(v);
        }
        if let Some(b) = &ep.basic {
            if let Some(v) = b
                .password_env
                .as_deref()
                .and_then(|k| std::env::var(k).ok())
            {
                out.push(v);
            }
            if let Some(v) = b.password_file.as_deref().and_then(read_file) {
                out.push(v);
            }
        }
        out.extend(ep.headers.values().cloned());
    }
    for ks in &config.kill_switches {
        for call in [&ks.on, &ks.off].into_iter().flatten() {
            out.extend(call.headers.values().cloned());
            if !call.body.trim().is_empty() {
                out.push(call.body.clone());
            }
        }
    }
    out
}

/// The secrets of the kubeconfig files in use (`$KUBECONFIG`, else `~/.kube/config`):
/// tokens, passwords and client keys, read line by line so no YAML is needed.
pub fn kubeconfig_secrets() -> Vec<String> {
    let paths: Vec<std::path::PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => std::env::split_paths(&v).collect(),
        _ => std::env::var_os("HOME")
            .map(|h| vec![std::path::PathBuf::from(h).join(".kube/config")])
            .unwrap_or_default(),
    };
    kubeconfig_secrets_in(&paths)
}

/// The secrets of these kubeconfig files.
pub fn kubeconfig_secrets_in(paths: &[std::path::PathBuf]) -> Vec<String> {
    let keys = [
        "token",
        "password",
        "client-key-data",
        "id-token",
        "refresh-token",
        "access-token",
        "client-secret",
    ];
    let mut out = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim().trim_start_matches("- ").trim();
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let k = k.trim().trim_matches('"');
            if keys.contains(&k) {
                let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                if !v.is_empty() {
                    out.push(v.to_string());
                }
            }
        }
    }
    out
}

/// The config as JSON for the header, with every value that can hold a secret dropped.
pub fn config_for_header(path: Option<&std::path::Path>) -> serde_json::Value {
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return serde_json::Value::Null;
    };
    let Ok(value) = toml::from_str::<toml::Value>(&text) else {
        return serde_json::Value::Null;
    };
    let mut json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    scrub_value(&mut json);
    json
}

fn secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "token",
        "password",
        "secret",
        "cookie",
        "authorization",
        "key_data",
        "headers",
        "body",
    ]
    .iter()
    .any(|s| k.contains(s))
        && !k.ends_with("_env")
        && !k.ends_with("_file")
}

fn scrub_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if secret_key(k) {
                    *v = serde_json::Value::String(REDACTED.into());
                } else {
                    scrub_value(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(scrub_value),
        serde_json::Value::String(s) => {
            // Credentials in URLs: `https://user:pass@host` keeps only the host.
            *s = strip_userinfo(s);
        }
        _ => {}
    }
}

/// A URL without `user:password@`.
pub fn strip_userinfo(s: &str) -> String {
    if let Some((scheme, rest)) = s.split_once("://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if let Some((_, host)) = authority.rsplit_once('@') {
            return format!("{scheme}://{REDACTED}@{host}{path}");
        }
    }
    s.to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_wherever_they_appear() {
        let r = Redactor::new(["s3cr3t-token".to_string(), "ab".to_string()]);
        let out = r.scrub(br#"{"e":"Bearer s3cr3t-token failed; s3cr3t-token","ab":1}"#.to_vec());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"e":"Bearer [redacted] failed; [redacted]","ab":1}"#
        );
    }

    #[test]
    fn json_escaped_secrets_go_too() {
        let r = Redactor::new([r#"pa"ss\word"#.to_string()]);
        let json = serde_json::to_vec(&serde_json::json!({ "x": r#"pa"ss\word"# })).unwrap();
        assert!(!String::from_utf8(r.scrub(json)).unwrap().contains("ss"));
    }

    #[test]
    fn the_header_config_drops_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            r#"[prometheus]
url = "https://bob:hunter22@prom:9090"
bearer_token_env = "PROM_TOKEN"
headers = { Authorization = "Bearer abcdef" }
[[kill_switches]]
name = "strict"
kind = "http"
on = { url = "http://flags/on", body = "{\"key\":\"k-123456\"}", headers = { Cookie = "sid=xyz" } }
"#,
        )
        .unwrap();
        let v = config_for_header(Some(&p)).to_string();
        for gone in ["hunter22", "abcdef", "k-123456", "sid=xyz"] {
            assert!(!v.contains(gone), "{gone} in {v}");
        }
        assert!(v.contains("PROM_TOKEN") && v.contains("prom:9090"), "{v}");
    }

    #[test]
    fn lokis_credentials_are_secrets_and_its_tenant_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "l0ki-pass").unwrap();
        let text = format!(
            "[loki]\nurl = \"http://loki:3100\"\ntenant = \"platform\"\nbasic = {{ username = \"ops\", password_file = {:?} }}\n",
            p.display().to_string()
        );
        let c = Config::parse(std::path::Path::new("c.toml"), &text).unwrap();
        let secrets = config_secrets(&c);
        assert!(secrets.iter().any(|s| s == "l0ki-pass"), "{secrets:?}");
        assert!(!secrets.iter().any(|s| s == "platform"), "{secrets:?}");
    }

    #[test]
    fn kubeconfig_tokens_and_keys_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kc");
        std::fs::write(
            &p,
            "users:\n- name: u\n  user:\n    token: tok-abcdef123\n    client-key-data: S0VZS0VZS0VZ\n",
        )
        .unwrap();
        let found = kubeconfig_secrets_in(&[p]);
        assert_eq!(found, vec!["tok-abcdef123", "S0VZS0VZS0VZ"]);
    }
}
