//! The test API server's state: objects with resource versions, the event history watches
//! replay from, a tiny deployment controller, container logs, and the requests received.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::{Value, json};

/// One change, as a watch sends it.
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub resource: String,
    pub namespace: String,
    pub kind: &'static str,
    pub object: Value,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: String,
    pub content_type: String,
    pub body: String,
}

impl Recorded {
    /// Whether the query string has `key=value`.
    pub fn has(&self, kv: &str) -> bool {
        self.query.split('&').any(|p| p == kv)
    }
}

/// (namespace, pod, container, previous instance).
pub type LogKey = (String, String, String, bool);

/// Everything the server knows.
#[derive(Debug, Default)]
pub struct State {
    pub rv: u64,
    /// (resource, namespace, name) → object.
    pub objects: BTreeMap<(String, String, String), Value>,
    pub history: Vec<Change>,
    /// Watches from a resourceVersion below this answer 410 Gone (etcd compacted).
    pub compacted_below: u64,
    /// (namespace, pod, container, previous) → lines.
    pub logs: BTreeMap<LogKey, Vec<(Timestamp, String)>>,
    pub requests: Vec<Recorded>,
    /// Bearer token → user name.
    pub tokens: BTreeMap<String, String>,
    /// Users who may only get, list and watch (and no subresources), like `view`.
    pub readers: BTreeSet<String>,
    /// Writes still to be answered with 409 Conflict.
    pub conflicts: usize,
    /// New watches are answered 503, as while an apiserver restarts.
    pub refuse_watches: bool,
    /// The status refused watches get instead of 503 (which the client retries by itself
    /// for minutes before the watcher hears of it), e.g. 500.
    pub refusal_code: Option<u16>,
    /// How long each write waits before it is answered (for timeouts).
    pub write_delay_ms: u64,
    /// How long each list request (each page) takes, as a loaded apiserver's do.
    pub list_delay_ms: u64,
    /// Log lines written into followed streams so far.
    pub log_lines_sent: u64,
    /// Users' RBAC rules (users without rules fall back to `readers`).
    pub rbac: super::rbac::Rbac,
    /// Evictions asked for: (namespace, pod, dry run).
    pub evictions: Vec<(String, String, bool)>,
}

/// Kind and apiVersion of a resource the server serves.
pub fn kind_of(resource: &str) -> (&'static str, &'static str) {
    match resource {
        "pods" => ("Pod", "v1"),
        "configmaps" => ("ConfigMap", "v1"),
        "nodes" => ("Node", "v1"),
        "namespaces" => ("Namespace", "v1"),
        "deployments" => ("Deployment", "apps/v1"),
        "replicasets" => ("ReplicaSet", "apps/v1"),
        "events" => ("Event", "events.k8s.io/v1"),
        "horizontalpodautoscalers" => ("HorizontalPodAutoscaler", "autoscaling/v2"),
        "poddisruptionbudgets" => ("PodDisruptionBudget", "policy/v1"),
        "daemonsets" => ("DaemonSet", "apps/v1"),
        "jobs" => ("Job", "batch/v1"),
        "cronjobs" => ("CronJob", "batch/v1"),
        "rollouts" => ("Rollout", "argoproj.io/v1alpha1"),
        "customresourcedefinitions" => ("CustomResourceDefinition", "apiextensions.k8s.io/v1"),
        _ => ("Unknown", "v1"),
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn labels_match(obj: &Value, selector: Option<&str>) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    sel.split(',').all(|term| {
        let (k, v) = term.split_once('=').unwrap_or((term, ""));
        let v = v.trim_start_matches('=');
        obj["metadata"]["labels"][k].as_str() == Some(v)
    })
}

impl State {
    /// Stores `object` (create or update), stamping uid, resourceVersion, generation.
    pub fn put(&mut self, resource: &str, mut object: Value) -> Value {
        let ns = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let key = (resource.to_string(), ns.clone(), name.clone());
        let (kind, api_version) = kind_of(resource);
        object["kind"] = json!(kind);
        object["apiVersion"] = json!(api_version);
        let old = self.objects.get(&key).cloned();
        let meta = &mut object["metadata"];
        if meta["uid"].is_null() {
            meta["uid"] = old.as_ref().map_or_else(
                || json!(format!("uid-{resource}-{ns}-{name}")),
                |o| o["metadata"]["uid"].clone(),
            );
        }
        if meta["creationTimestamp"].is_null() {
            meta["creationTimestamp"] = old.as_ref().map_or_else(
                || json!(Timestamp::now().to_string()),
                |o| o["metadata"]["creationTimestamp"].clone(),
            );
        }
        let generation = old
            .as_ref()
            .and_then(|o| o["metadata"]["generation"].as_i64())
            .unwrap_or(0);
        let spec_changed = old.as_ref().is_none_or(|o| o["spec"] != object["spec"]);
        object["metadata"]["generation"] = json!(if spec_changed {
            generation + 1
        } else {
            generation
        });
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let kind = if old.is_some() { "MODIFIED" } else { "ADDED" };
        self.objects.insert(key, object.clone());
        self.history.push(Change {
            rv: self.rv,
            resource: resource.into(),
            namespace: ns,
            kind,
            object: object.clone(),
        });
        object
    }

    /// Deletes an object; its watchers see DELETED.
    pub fn delete(&mut self, resource: &str, ns: &str, name: &str) -> Option<Value> {
        let mut object = self
            .objects
            .remove(&(resource.into(), ns.into(), name.into()))?;
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.history.push(Change {
            rv: self.rv,
            resource: resource.into(),
            namespace: ns.into(),
            kind: "DELETED",
            object: object.clone(),
        });
        Some(object)
    }

    pub fn get(&self, resource: &str, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(resource.into(), ns.into(), name.into()))
    }

    /// Objects of a resource in a namespace ("" for all), sorted by name.
    pub fn list(&self, resource: &str, ns: &str, selector: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((r, n, _), o)| {
                r == resource && (ns.is_empty() || n == ns) && labels_match(o, selector)
            })
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// Objects as they were at resourceVersion `at`, sorted by namespace and name, rebuilt
    /// from the history as etcd serves a consistent snapshot; `None` once compacted away.
    pub fn list_at(
        &self,
        resource: &str,
        ns: &str,
        selector: Option<&str>,
        at: u64,
    ) -> Option<Vec<Value>> {
        // The newest state is always there; older snapshots go with compaction.
        if at < self.compacted_below && at != self.rv {
            return None;
        }
        let mut objects: BTreeMap<(String, String), Value> = BTreeMap::new();
        for c in self.history.iter().take_while(|c| c.rv <= at) {
            if c.resource != resource || !(ns.is_empty() || c.namespace == ns) {
                continue;
            }
            let name = c.object["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let key = (c.namespace.clone(), name);
            if c.kind == "DELETED" {
                objects.remove(&key);
            } else {
                objects.insert(key, c.object.clone());
            }
        }
        Some(
            objects
                .into_values()
                .filter(|o| labels_match(o, selector))
                .collect(),
        )
    }

    /// Changes after `rv` a watch of (resource, ns, selector) should see.
    pub fn changes_since(
        &self,
        rv: u64,
        resource: &str,
        ns: &str,
        selector: Option<&str>,
    ) -> Vec<Change> {
        self.history
            .iter()
            .filter(|c| c.rv > rv && c.resource == resource && (ns.is_empty() || c.namespace == ns))
            .filter(|c| labels_match(&c.object, selector))
            .cloned()
            .collect()
    }

    /// What the deployment controller does after a deployment's spec changed: find or make
    /// the ReplicaSet for the template, number it as the newest revision, and (instantly,
    /// for tests) report the rollout complete.
    pub fn reconcile(&mut self, ns: &str, name: &str) {
        let Some(mut d) = self.get("deployments", ns, name).cloned() else {
            return;
        };
        let uid = d["metadata"]["uid"].clone();
        let template = d["spec"]["template"].clone();
        let owned: Vec<Value> = self
            .list("replicasets", ns, None)
            .into_iter()
            .filter(|rs| rs["metadata"]["ownerReferences"][0]["uid"] == uid)
            .collect();
        let rev = |o: &Value| {
            o["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .and_then(|r| r.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let without_hash = |t: &Value| {
            let mut t = t.clone();
            if let Some(l) = t["metadata"]["labels"].as_object_mut() {
                l.remove("pod-template-hash");
            }
            t
        };
        let max = owned.iter().map(rev).max().unwrap_or(0);
        let same = owned
            .iter()
            .find(|rs| without_hash(&rs["spec"]["template"]) == without_hash(&template));
        let replicas = d["spec"]["replicas"].clone();
        let revision = match same {
            Some(rs) if rev(rs) == max => max,
            Some(rs) => {
                let mut rs = rs.clone();
                rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
                    json!((max + 1).to_string());
                rs["spec"]["replicas"] = replicas.clone();
                self.put("replicasets", rs);
                max + 1
            }
            None => {
                let hash = format!("{:x}", fxhash(&template.to_string()) & 0xffff_ffff);
                let mut t = template.clone();
                t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
                let mut annotations =
                    json!({"deployment.kubernetes.io/revision": (max + 1).to_string()});
                if let Some(cause) =
                    d["metadata"]["annotations"]["kubernetes.io/change-cause"].as_str()
                {
                    annotations["kubernetes.io/change-cause"] = json!(cause);
                }
                self.put(
                    "replicasets",
                    json!({
                        "metadata": {"name": format!("{name}-{hash}"), "namespace": ns,
                            "labels": t["metadata"]["labels"].clone(), "annotations": annotations,
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]},
                        "spec": {"replicas": replicas, "selector": d["spec"]["selector"].clone(), "template": t}
                    }),
                );
                max + 1
            }
        };
        let n = replicas.as_i64().unwrap_or(1);
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
            json!(revision.to_string());
        d["status"] = json!({"observedGeneration": d["metadata"]["generation"], "replicas": n,
            "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n});
        self.put("deployments", d);
    }
}

/// A small stable hash for template-hash names.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
