//! What the identity sitrep runs as may do, and what it loses when it may not: the verbs
//! sitrep uses, each with the panes and actions that need it, so a 403 or a denied access
//! review becomes "deployments: forbidden for viewer in snapbuilder; revisions and rollback
//! unavailable" before the operator tries, not a silent empty pane.

use serde::{Deserialize, Serialize};

/// One verb on one resource that sitrep uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub verb: &'static str,
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The resource, with a subresource after `/` (`pods/log`).
    pub resource: &'static str,
    /// Whether it is asked for at cluster scope (nodes).
    pub cluster: bool,
    /// What it serves, for the check's table.
    pub serves: &'static str,
}

const fn need(
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    serves: &'static str,
) -> Need {
    Need {
        verb,
        group,
        resource,
        cluster: false,
        serves,
    }
}

/// Every verb sitrep's sources and executor send, in the order `sitrep check` lists them.
pub const NEEDS: &[Need] = &[
    need("list", "", "pods", "pods pane"),
    need("watch", "", "pods", "pods pane"),
    need("get", "", "pods/log", "logs pane"),
    need("list", "apps", "deployments", "pods pane: workloads"),
    need("watch", "apps", "deployments", "pods pane: workloads"),
    need("list", "apps", "replicasets", "revisions, rollback dialog"),
    need("watch", "apps", "replicasets", "revisions, rollback dialog"),
    need("list", "", "events", "events"),
    Need {
        cluster: true,
        ..need("list", "", "nodes", "GPU capacity")
    },
    Need {
        cluster: true,
        ..need("watch", "", "nodes", "GPU capacity")
    },
    need(
        "update",
        "apps",
        "deployments",
        "rollback, env kill switches",
    ),
    need(
        "patch",
        "apps",
        "deployments",
        "restart, scale kill switches",
    ),
    need("patch", "apps", "deployments/scale", "scale"),
    need("get", "", "configmaps", "configmap kill switches: state"),
    need("patch", "", "configmaps", "configmap kill switches"),
    need("create", "", "pods/eviction", "drain"),
    need("delete", "", "pods", "delete-pod"),
];

/// A 403 a watch, list or log stream met: what is forbidden, for whom, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forbidden {
    /// The resource (`deployments`, `pods/log`, `nodes`).
    pub resource: String,
    pub verb: String,
    /// The user the API server named (`viewer`); empty when it did not say.
    pub user: String,
    /// The namespace; empty at cluster scope.
    pub namespace: String,
}

impl Forbidden {
    /// Reads the API server's own 403 message: `deployments.apps is forbidden: User "viewer"
    /// cannot list resource "deployments" in API group "apps" in the namespace "snapbuilder"`.
    pub fn from_message(message: &str) -> Option<Forbidden> {
        let quoted = |after: &str| {
            let rest = message.split_once(after)?.1;
            let rest = rest.strip_prefix('"')?;
            Some(rest.split_once('"')?.0.to_string())
        };
        let user = quoted("User ")?;
        let verb = message
            .split_once(&format!("User \"{user}\" cannot "))?
            .1
            .split_whitespace()
            .next()?
            .to_string();
        Some(Forbidden {
            resource: quoted("resource ")?,
            verb,
            user,
            namespace: quoted("in the namespace ").unwrap_or_default(),
        })
    }

    /// What the cockpit cannot show or do because of it.
    pub fn unavailable(&self) -> &'static str {
        unavailable(&self.resource)
    }

    /// `deployments: forbidden for viewer in snapbuilder; revisions and rollback unavailable`.
    pub fn describe(&self) -> String {
        let who = if self.user.is_empty() {
            String::new()
        } else {
            format!(" for {}", self.user)
        };
        let place = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" in {}", self.namespace)
        };
        format!(
            "{}: {} forbidden{who}{place}; {}",
            self.resource,
            self.verb,
            self.unavailable()
        )
    }
}

/// What is lost without a resource.
pub fn unavailable(resource: &str) -> &'static str {
    match resource {
        "pods" => "pods and their logs unavailable",
        "pods/log" => "logs unavailable",
        "deployments" => "workloads, revisions and rollback unavailable",
        "replicasets" => "revisions and rollback unavailable",
        "nodes" => "GPU capacity unavailable",
        "events" => "events unavailable",
        "configmaps" => "configmap kill switches unavailable",
        "deployments/scale" => "scale unavailable",
        "pods/eviction" => "drain unavailable",
        _ => "unavailable",
    }
}

/// The answer to one access review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub verb: String,
    pub group: String,
    pub resource: String,
    /// The namespace asked about; empty at cluster scope.
    pub namespace: String,
    /// `None` when the review itself failed.
    pub allowed: Option<bool>,
    /// The API server's reason, or why the review failed.
    pub reason: String,
}

/// What the identity may do, as the API server answered at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReport {
    /// The user the API server says we are.
    pub user: String,
    pub checks: Vec<Access>,
}

impl AccessReport {
    /// Whether `verb` on `resource` in `namespace` was denied (an unanswered review is not).
    pub fn denied(&self, verb: &str, resource: &str, namespace: &str) -> bool {
        self.checks.iter().any(|c| {
            c.verb == verb
                && c.resource == resource
                && (c.namespace == namespace || c.namespace.is_empty())
                && c.allowed == Some(false)
        })
    }

    /// The table `sitrep check` prints: verb, resource, namespace, yes/no, what it serves.
    pub fn table(&self) -> String {
        let mut out = format!("Kubernetes access as {}:\n", self.user);
        out.push_str(&format!(
            "  {:<7} {:<28} {:<16} {:<8} serves\n",
            "verb", "resource", "namespace", "allowed"
        ));
        for c in &self.checks {
            let resource = if c.group.is_empty() {
                c.resource.clone()
            } else {
                format!("{}.{}", c.resource, c.group)
            };
            let allowed = match c.allowed {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "unknown",
            };
            let ns = if c.namespace.is_empty() {
                "(cluster)"
            } else {
                &c.namespace
            };
            let serves = NEEDS
                .iter()
                .find(|n| n.verb == c.verb && n.resource == c.resource)
                .map_or("", |n| n.serves);
            let extra = match c.allowed {
                None => format!(" ({})", c.reason),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {:<7} {resource:<28} {ns:<16} {allowed:<8} {serves}{extra}\n",
                c.verb
            ));
        }
        out
    }

    /// Denied checks, one line each: `rollback unavailable: viewer may not update deployments in acme`.
    pub fn denials(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.allowed == Some(false))
            .map(|c| {
                let ns = if c.namespace.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", c.namespace)
                };
                let serves = NEEDS
                    .iter()
                    .find(|n| n.verb == c.verb && n.resource == c.resource)
                    .map_or("", |n| n.serves);
                format!(
                    "{} may not {} {}{ns} ({serves})",
                    self.user, c.verb, c.resource
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_servers_own_403_says_what_for_whom_and_where() {
        let f = Forbidden::from_message(
            "deployments.apps is forbidden: User \"viewer\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"snapbuilder\"",
        )
        .unwrap_or_else(|| panic!("unread"));
        assert_eq!(
            f.describe(),
            "deployments: list forbidden for viewer in snapbuilder; workloads, revisions and rollback unavailable"
        );
        let nodes = Forbidden::from_message(
            "nodes is forbidden: User \"viewer\" cannot watch resource \"nodes\" in API group \"\" at the cluster scope",
        )
        .unwrap_or_else(|| panic!("unread"));
        assert_eq!(
            (nodes.verb.as_str(), nodes.namespace.as_str()),
            ("watch", "")
        );
        assert!(Forbidden::from_message("connection refused").is_none());
    }
}
