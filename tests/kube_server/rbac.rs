//! Identities and RBAC rules, as kube-apiserver's RBAC authorizer applies them: a user with
//! rules may do only what a rule allows (403 with the apiserver's own Status otherwise);
//! SelfSubjectRulesReview lists a user's rules in a namespace and SelfSubjectAccessReview
//! answers one verb, both allowed to every authenticated user (`system:basic-user`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Body, Route, respond, status};

/// One rule of a Role (namespaced) or ClusterRole (cluster-wide when `namespace` is `None`).
#[derive(Debug, Clone)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub groups: Vec<String>,
    /// Resources, subresources as `pods/log`; `*` matches all.
    pub resources: Vec<String>,
    /// The namespace the binding grants it in; `None`: every namespace and cluster scope.
    pub namespace: Option<String>,
}

impl Rule {
    fn allows(&self, verb: &str, group: &str, resource: &str, namespace: &str) -> bool {
        let any = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        any(&self.verbs, verb)
            && any(&self.groups, group)
            && any(&self.resources, resource)
            && self.namespace.as_deref().is_none_or(|ns| ns == namespace)
    }
}

/// Users' rules. A user with none is judged by the older `readers` set.
#[derive(Debug, Clone, Default)]
pub struct Rbac {
    pub rules: BTreeMap<String, Vec<Rule>>,
}

impl Rbac {
    /// Grants `user` the verbs on `resources` of `group` in `namespace` (`None`: everywhere).
    pub fn grant(
        &mut self,
        user: &str,
        verbs: &[&str],
        group: &str,
        resources: &[&str],
        namespace: Option<&str>,
    ) {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        self.rules.entry(user.into()).or_default().push(Rule {
            verbs: s(verbs),
            groups: vec![group.into()],
            resources: s(resources),
            namespace: namespace.map(str::to_string),
        });
    }

    /// Whether `user` may; `None` when the user has no rules here.
    pub fn allows(
        &self,
        user: &str,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
    ) -> Option<bool> {
        let rules = self.rules.get(user)?;
        Some(
            rules
                .iter()
                .any(|r| r.allows(verb, group, resource, namespace)),
        )
    }
}

/// The resource a route names, with its subresource: `pods/log`.
fn resource_of(r: &Route) -> String {
    match &r.sub {
        Some(sub) => format!("{}/{sub}", r.resource),
        None => r.resource.clone(),
    }
}

/// Answers the access reviews, and 403s what the user's rules do not allow; `None` lets the
/// request through.
pub fn gate(
    rbac: &Rbac,
    r: &Route,
    verb: &str,
    user: &str,
    body: &str,
) -> Option<hyper::Response<Body>> {
    match r.resource.as_str() {
        "selfsubjectrulesreviews" => return Some(rules_review(rbac, user, body)),
        "selfsubjectaccessreviews" => return Some(access_review(rbac, user, body)),
        "selfsubjectreviews" => return None,
        _ => {}
    }
    match rbac.allows(user, verb, &r.group, &resource_of(r), &r.namespace) {
        Some(false) => Some(forbidden(r, verb, user)),
        _ => None,
    }
}

/// The apiserver's 403: `deployments.apps is forbidden: User "viewer" cannot list resource
/// "deployments" in API group "apps" in the namespace "acme"` (a name, when the request has
/// one, after the resource; "at the cluster scope" without a namespace).
pub fn forbidden(r: &Route, verb: &str, user: &str) -> hyper::Response<Body> {
    let word = if r.group.is_empty() {
        r.resource.clone()
    } else {
        format!("{}.{}", r.resource, r.group)
    };
    let name = r
        .name
        .as_ref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    let scope = if r.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", r.namespace)
    };
    let msg = format!(
        "{word}{name} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
        resource_of(r),
        r.group
    );
    let mut details = json!({"kind": r.resource});
    if let Some(n) = &r.name {
        details["name"] = json!(n);
    }
    if !r.group.is_empty() {
        details["group"] = json!(r.group);
    }
    status(403, "Forbidden", &msg, Some(details))
}

fn rules_review(rbac: &Rbac, user: &str, body: &str) -> hyper::Response<Body> {
    let input: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let ns = input["spec"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    // Every authenticated user may review itself and ask who it is.
    let mut rules = vec![
        json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}),
        json!({"verbs": ["create"], "apiGroups": ["authentication.k8s.io"],
            "resources": ["selfsubjectreviews"]}),
    ];
    for r in rbac.rules.get(user).into_iter().flatten() {
        if r.namespace.as_deref().is_none_or(|n| n == ns) {
            rules.push(json!({"verbs": r.verbs, "apiGroups": r.groups, "resources": r.resources}));
        }
    }
    respond(
        201,
        &json!({"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": null}, "spec": {"namespace": ns},
            "status": {"resourceRules": rules,
                "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/version"]}],
                "incomplete": false}}),
    )
}

fn access_review(rbac: &Rbac, user: &str, body: &str) -> hyper::Response<Body> {
    let input: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let a = &input["spec"]["resourceAttributes"];
    let field = |k: &str| a[k].as_str().unwrap_or("").to_string();
    let resource = match field("subresource").as_str() {
        "" => field("resource"),
        sub => format!("{}/{sub}", field("resource")),
    };
    let allowed = rbac
        .allows(
            user,
            &field("verb"),
            &field("group"),
            &resource,
            &field("namespace"),
        )
        .unwrap_or(true);
    let mut st = json!({"allowed": allowed});
    if allowed {
        st["reason"] = json!(format!("RBAC: allowed for User \"{user}\""));
    }
    respond(
        201,
        &json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": null}, "spec": input["spec"], "status": st}),
    )
}
