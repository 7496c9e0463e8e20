//! sitrep on the test server: its `[kubernetes]` config and connection as one of the
//! server's users, and a live cockpit on that connection, as every kube test sets them up.

use std::path::Path;

use sitrep::app::{App, Mode};
use sitrep::config::kube::KubernetesConfig;
use sitrep::config::{Config, Keymap, Theme};
use sitrep::sources::kube::Connection;

use super::KubeServer;

impl KubeServer {
    /// `[kubernetes]` reaching this server as `user` (its kubeconfig written into `dir`),
    /// with the other keys as the TOML `keys` gives them.
    pub fn kube_config(&self, dir: &Path, user: &str, keys: &str) -> KubernetesConfig {
        KubernetesConfig {
            kubeconfig: Some(self.kubeconfig(dir, user)),
            ..toml::from_str(keys).unwrap()
        }
    }

    /// sitrep connected to this server as `user`, every other key at its default.
    pub async fn connect(&self, dir: &Path, user: &str) -> Connection {
        sitrep::sources::kube::connect(&self.kube_config(dir, user, ""))
            .await
            .unwrap()
    }

    /// The requests that change something (other than who-am-I reviews), in order.
    pub fn writes(&self) -> Vec<super::Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.contains("selfsubject"))
            .collect()
    }
}

/// A live cockpit on `conn` for operator `op`, with the built-in keymap and dark theme.
pub fn live_app(conn: &Connection, config: Config) -> App {
    App::new(
        Mode::Live {
            context: conn.context.clone(),
            namespace: conn.namespaces_label(),
        },
        config,
        Keymap::load("default", None).unwrap(),
        Theme::load("dark", None, true).unwrap(),
        "op".into(),
        jiff::Timestamp::now(),
    )
}
