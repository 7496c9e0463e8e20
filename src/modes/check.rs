//! `sitrep check`: every config problem at once, and what the identity may do in the cluster.

use std::process::ExitCode;

use super::{kubernetes_config, setup};
use crate::cli::Global;
use crate::config::FileError;

/// What the identity may do on the configured cluster, as `sitrep check` prints it: the API
/// server's access reviews for every verb sitrep uses (a cluster that cannot be asked says so).
fn access_table(kube: &crate::config::kube::KubernetesConfig) -> String {
    let ask = async {
        let conn = crate::sources::kube::connect(kube).await?;
        let report = crate::sources::kube_access::review(&conn.client, &conn.namespaces).await;
        anyhow::Ok(report.table())
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return format!("kubernetes: cannot ask about access: {e}\n"),
    };
    match runtime
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(20), ask).await })
    {
        Ok(Ok(table)) => table,
        Ok(Err(e)) => format!("kubernetes: cannot ask about access: {e:#}\n"),
        Err(_) => "kubernetes: cannot ask about access: no answer in 20s\n".into(),
    }
}

/// `sitrep check`: validates and reports every problem as `FILE:LINE: message`.
pub fn check(global: &Global) -> anyhow::Result<ExitCode> {
    // Messages may echo a bad value (a theme name, a colour, a command): sanitised.
    let mut out = String::new();
    let code = match setup(global) {
        Ok(s) => {
            // A query Prometheus cannot parse is a config error, named by its signal.
            let problems = crate::sources::prometheus::check_queries_blocking(&s.config);
            // A selector whose labels Loki has never seen can never match.
            let loki_problems = s
                .config
                .loki
                .as_ref()
                .map(|l| {
                    crate::sources::loki::check::check_selectors_blocking(l, &s.config.services)
                })
                .unwrap_or_default();
            // Namespaces and workloads of `[[services]]` exist only on the cluster.
            let service_problems = kubernetes_config(global, &s.config)
                .map(|k| crate::sources::service_check::check_blocking(&k, &s.config.services))
                .unwrap_or_default();
            if !problems.is_empty() || !loki_problems.is_empty() || !service_problems.is_empty() {
                let file = s
                    .config_path
                    .as_ref()
                    .map_or("config".into(), |p| p.display().to_string());
                for p in problems {
                    out.push_str(&format!("{file}: {p}\n"));
                }
                let path = s.config_path.clone().unwrap_or_else(|| "config".into());
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for (span, p) in loki_problems.into_iter().chain(service_problems) {
                    out.push_str(&format!("{}\n", FileError::at(&path, &text, span, p)));
                }
                ExitCode::from(1)
            } else {
                let config = s
                    .config_path
                    .map_or("no config file (defaults)".to_string(), |p| {
                        p.display().to_string()
                    });
                out.push_str(&format!(
                    "ok: config {config}, theme {}, keymap {}\n",
                    s.theme.name, s.keymap.name
                ));
                if let Some(kube) = kubernetes_config(global, &s.config) {
                    out.push_str(&access_table(&kube));
                }
                ExitCode::SUCCESS
            }
        }
        Err(errors) => {
            for e in errors.0 {
                out.push_str(&format!("{e}\n"));
            }
            ExitCode::from(1)
        }
    };
    crate::output::print(&crate::text::Clean::of(&out))?;
    Ok(code)
}
