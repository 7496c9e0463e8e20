//! HTTP clients for live sources: timeouts, auth, CA and headers from an `Endpoint`, and
//! error text an on-call engineer can act on. Credentials never reach logs or the journal.

use std::time::Duration;

use base64::Engine;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::config::Endpoint;

/// Builds a client for `endpoint` (auth and headers sent with every request).
pub fn client(endpoint: &Endpoint) -> Result<reqwest::Client, String> {
    builder(endpoint)?.build().map_err(|e| chain(&e))
}

/// The builder [`client`] builds, for a caller that needs one more setting (HTTP/1.1 only
/// for a WebSocket upgrade).
pub fn builder(endpoint: &Endpoint) -> Result<reqwest::ClientBuilder, String> {
    let mut headers = HeaderMap::new();
    for (k, v) in &endpoint.headers {
        let name =
            HeaderName::from_bytes(k.as_bytes()).map_err(|e| format!("header `{k}`: {e}"))?;
        let value = HeaderValue::from_str(v).map_err(|e| format!("header `{k}`: {e}"))?;
        headers.insert(name, value);
    }
    if let Some(auth) = authorization(endpoint)? {
        let mut value = HeaderValue::from_str(&auth)
            .map_err(|_| "the credentials hold characters HTTP cannot carry".to_string())?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let ca: Vec<&std::path::Path> = endpoint.ca_file.iter().map(|p| p.as_path()).collect();
    Ok(base(endpoint.timeout(), &ca)?.default_headers(headers))
}

/// The one way sitrep makes an HTTP client, for every source and executor (Prometheus,
/// Alertmanager, HTTP kill switches, Loki): `timeout` per request, at most 3 s to connect,
/// the system's CAs plus those in `ca_files` (PEM bundles), and proxies from the
/// environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them).
pub fn base(
    timeout: Duration,
    ca_files: &[&std::path::Path],
) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(3)));
    for ca in ca_files {
        let pem = std::fs::read(ca).map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "ca_file {}: no PEM certificate in it",
                ca.display()
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder)
}

/// The `Authorization` header value, from an env var, a file or basic credentials.
fn authorization(endpoint: &Endpoint) -> Result<Option<String>, String> {
    let read_file = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let read_env =
        |k: &str| std::env::var(k).map_err(|_| format!("environment variable {k} is not set"));
    if let Some(var) = &endpoint.bearer_token_env {
        return Ok(Some(format!("Bearer {}", read_env(var)?.trim())));
    }
    if let Some(file) = &endpoint.bearer_token_file {
        return Ok(Some(format!("Bearer {}", read_file(file)?)));
    }
    if let Some(basic) = &endpoint.basic {
        let password = match (&basic.password_env, &basic.password_file) {
            (Some(var), _) => read_env(var)?,
            (None, Some(file)) => read_file(file)?,
            (None, None) => String::new(),
        };
        let raw = format!("{}:{password}", basic.username);
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        return Ok(Some(format!("Basic {b64}")));
    }
    Ok(None)
}

/// An error and its causes on one line: `error sending request: connection refused`.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    if out.contains("operation timed out") || out.contains("TimedOut") {
        out = format!("timed out ({out})");
    }
    // rustls says UnknownIssuer / Expired; an on-call engineer needs to know what to do.
    if out.contains("UnknownIssuer") || out.contains("self-signed") || out.contains("self signed") {
        out = format!(
            "the server's TLS certificate is not trusted (self-signed or from an unknown CA; \
             set ca_file to the CA that signed it) ({out})"
        );
    } else if out.contains("Expired") || out.contains("expired") {
        out = format!("the server's TLS certificate has expired ({out})");
    }
    out
}

/// The body of an error answer, at most [`crate::text::MAX_ERROR_BODY`] bytes of it, with
/// "… (N bytes more)" when the server sent more: a 50 MB error page is neither kept in
/// memory nor printed. Reading stops after 64 MiB; the count then says "more than".
pub async fn error_body(mut res: reqwest::Response) -> String {
    const COUNT_AT_MOST: usize = 64 << 20;
    let max = crate::text::MAX_ERROR_BODY;
    let mut kept: Vec<u8> = Vec::new();
    let mut more = 0usize;
    let mut ended = true;
    while let Ok(Some(chunk)) = res.chunk().await {
        let room = max.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..room.min(chunk.len())]);
        more += chunk.len().saturating_sub(room);
        if more > COUNT_AT_MOST {
            ended = false;
            break;
        }
    }
    let text = String::from_utf8_lossy(&kept);
    let text = text.trim();
    match (more, ended) {
        (0, _) => text.to_string(),
        (n, true) => format!("{text}… ({n} bytes more)"),
        (n, false) => format!("{text}… (more than {n} bytes more)"),
    }
}

/// A base URL joined with an API path, without doubled slashes.
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::live::BasicAuth;

    #[test]
    fn basic_auth_is_base64_of_user_and_password() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\n").unwrap();
        let e = Endpoint {
            basic: Some(BasicAuth {
                username: "ops".into(),
                password_env: None,
                password_file: Some(p),
            }),
            ..Endpoint::default()
        };
        assert_eq!(
            authorization(&e).unwrap().unwrap(),
            "Basic b3BzOnMzY3JldA=="
        );
    }

    #[test]
    fn a_missing_token_variable_is_named() {
        let e = Endpoint {
            bearer_token_env: Some("SITREP_TEST_SURELY_UNSET".into()),
            ..Endpoint::default()
        };
        assert!(
            authorization(&e)
                .unwrap_err()
                .contains("SITREP_TEST_SURELY_UNSET")
        );
    }

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(
            join("http://a:9093/", "/api/v2/alerts"),
            "http://a:9093/api/v2/alerts"
        );
    }
}
