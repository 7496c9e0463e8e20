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

/// Presses `c` in the cockpit, as the operator would.
pub fn key(app: &mut App, c: crossterm::event::KeyCode) -> Vec<sitrep::app::Effect> {
    app.update(sitrep::event::Event::Input(crossterm::event::Event::Key(
        crossterm::event::KeyEvent::new(c, crossterm::event::KeyModifiers::NONE),
    )))
}

/// The action a command put up for confirmation, whose dry run it asked for.
pub fn previewed(effects: &[sitrep::app::Effect]) -> sitrep::event::Action {
    effects
        .iter()
        .find_map(|e| match e {
            sitrep::app::Effect::Preview(a) => Some(a.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a confirmation with a dry run: {effects:?}"))
}

/// The live cluster executor on `conn` (nodes, jobs, rollouts, and the deployment executor
/// behind it), with no kill switches and a 5 s timeout.
pub fn cluster_executor(conn: &Connection) -> sitrep::executors::kube_nodes::ClusterExecutor {
    let timeout = std::time::Duration::from_secs(5);
    let kube = sitrep::executors::kube::KubeExecutor::new(
        conn.client.clone(),
        conn.namespaces.clone(),
        Vec::new(),
        timeout,
    );
    sitrep::executors::kube_nodes::ClusterExecutor::new(conn.client.clone(), kube, timeout, None)
}
