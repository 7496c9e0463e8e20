//! `delete-pod`: which pod it means, what its confirmation says will happen to it (an owner
//! replaces it, or a bare pod is gone for good), and whether it took effect.

use crate::event::{Action, Level, PodStatus};

use crate::app::App;
use crate::app::state::{PodRow, WorkloadKey};
use crate::app::verify::Verification;

/// Who will replace a pod once it is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Replacer {
    /// A ReplicaSet, and the deployment it belongs to.
    ReplicaSet { name: String, deployment: String },
    /// Another controller (a StatefulSet, a Job...), as the pod's owner names it.
    Controller(String),
    /// Nothing: a bare pod.
    Nobody,
}

/// Who replaces `p` (in workload `w`), from what the pods pane knows: the kube source names
/// a bare pod's workload after the pod itself.
pub(crate) fn replacer(p: &PodStatus, has_deployment: bool) -> Replacer {
    if p.workload == p.name || p.workload.is_empty() {
        return Replacer::Nobody;
    }
    if has_deployment {
        // A ReplicaSet's pods are `<replicaset>-<suffix>`.
        let name = p
            .name
            .rsplit_once('-')
            .map_or(p.workload.clone(), |(rs, _)| rs.to_string());
        return Replacer::ReplicaSet {
            name,
            deployment: p.workload.clone(),
        };
    }
    Replacer::Controller(p.workload.clone())
}

impl App {
    /// The pod a command names, or the one selected in the pods pane; with its workload.
    fn resolve_pod(&self, name: Option<String>) -> Result<(WorkloadKey, &PodStatus), String> {
        let Some(name) = name else {
            return match self.pods.rows().nth(self.pods.selected) {
                Some(PodRow::Pod(k, p)) => Ok((k.clone(), p)),
                _ => Err("select a pod in the pods pane first, or name it".into()),
            };
        };
        let (ns, name) = match name.split_once('/') {
            Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
            None => (None, name),
        };
        let found: Vec<(&WorkloadKey, &PodStatus)> = self
            .pods
            .workloads
            .iter()
            .filter(|(k, _)| ns.as_ref().is_none_or(|ns| *ns == k.namespace))
            .filter_map(|(k, w)| w.pods.get(&name).map(|p| (k, p)))
            .collect();
        match found.as_slice() {
            [(k, p)] => Ok(((*k).clone(), p)),
            [] => Err(format!("no pod `{name}` is watched")),
            many => Err(format!(
                "pod `{name}` is in {} namespaces: say which, e.g. `{}/{name}`",
                many.len(),
                many[0].0.namespace
            )),
        }
    }

    /// `delete-pod [pod]`: the confirmation for exactly that pod, in its namespace.
    pub(crate) fn delete_pod_command(&mut self, name: Option<String>) {
        let (key, pod) = match self.resolve_pod(name) {
            Ok((k, p)) => (k, p.name.clone()),
            Err(e) => {
                self.flash(Level::Warn, e);
                return;
            }
        };
        let action = Action::DeletePod {
            pod,
            place: self.place_of(&key),
        };
        if let Some(why) = self.access.blocked(&action) {
            self.flash(Level::Warn, why);
            return;
        }
        self.confirm(action);
    }

    /// The confirmation's lines for deleting `pod`: what replaces it, or that nothing will.
    pub(crate) fn describe_delete_pod(&self, action: &Action) -> Result<Vec<String>, String> {
        let Action::DeletePod { pod, place } = action else {
            return Err("not a pod deletion".into());
        };
        let what = place.object("pod", pod);
        if !place.context.is_empty() && place.context != self.caps.context {
            return Err(format!(
                "{what} is not in this cockpit's context {}",
                self.caps.context
            ));
        }
        let (key, p) = self
            .pods
            .workloads
            .iter()
            .filter(|(k, _)| k.namespace == place.namespace)
            .find_map(|(k, w)| w.pods.get(pod).map(|p| (k, p)))
            .ok_or_else(|| format!("no {what} is watched"))?;
        let has_deployment = self.pods.deployment(key).is_some();
        let mut lines = vec![format!("Delete {what}")];
        let state = match &p.reason {
            Some(r) => format!("{} ({r})", p.phase),
            None => p.phase.clone(),
        };
        lines.push(format!(
            "  now {state}, {} restarts, on node {}",
            p.restarts,
            if p.node.is_empty() { "-" } else { &p.node }
        ));
        match replacer(p, has_deployment) {
            Replacer::ReplicaSet { name, deployment } => lines.push(format!(
                "ReplicaSet {name} will create a replacement (deployment {deployment})."
            )),
            Replacer::Controller(owner) => {
                lines.push(format!("Its controller {owner} will create a replacement."))
            }
            Replacer::Nobody => {
                lines.push("⚠ BARE POD: nothing owns it. It will be GONE FOR GOOD;".into());
                lines.push("  nothing will recreate it. Recreate it by hand if needed.".into());
            }
        }
        lines.push("Only this pod (its UID now) is deleted, never a newer one of its name.".into());
        Ok(lines)
    }

    /// Whether a pod deletion shows in the state: the pod is gone and, when a deployment
    /// owns it, every replica is ready again.
    pub(crate) fn delete_pod_settled(&self, v: &Verification) -> Option<String> {
        let Action::DeletePod { pod, place } = &v.action else {
            return None;
        };
        let still = self
            .pods
            .workloads
            .iter()
            .any(|(k, w)| k.namespace == place.namespace && w.pods.contains_key(pod));
        if still {
            return None;
        }
        let Some(d) = v.deployment.as_ref().and_then(|k| self.pods.deployment(k)) else {
            return Some(format!("{pod} is gone"));
        };
        let w = v
            .deployment
            .as_ref()
            .and_then(|k| self.pods.workloads.get(k))?;
        let ready = w.pods.values().filter(|p| p.ready).count() as u32;
        (ready >= d.replicas && d.ready >= d.replicas).then(|| {
            format!(
                "{pod} is gone; {} ready {}/{} with its replacement",
                d.name, d.ready, d.replicas
            )
        })
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic)]
mod tests {
    use super::{Replacer, replacer};
    use crate::app::Overlay;
    use crate::app::sample::drill_app;
    use crate::command::{Command, Pane};
    use crate::event::{Action, Observation, PodStatus};

    fn pod(name: &str, workload: &str) -> PodStatus {
        PodStatus {
            namespace: "snapbuilder".into(),
            name: name.into(),
            workload: workload.into(),
            revision: 1,
            phase: "Running".into(),
            reason: None,
            ready: true,
            restarts: 0,
            last_termination: None,
            node: "gpu-node-1".into(),
            created: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn who_replaces_a_pod() {
        assert_eq!(
            replacer(
                &pod("snapbuilder-serving-7d9c-x2b4q", "snapbuilder-serving"),
                true
            ),
            Replacer::ReplicaSet {
                name: "snapbuilder-serving-7d9c".into(),
                deployment: "snapbuilder-serving".into()
            }
        );
        assert_eq!(
            replacer(&pod("db-0", "db"), false),
            Replacer::Controller("db".into())
        );
        assert_eq!(replacer(&pod("debug", "debug"), false), Replacer::Nobody);
    }

    fn confirm_lines(app: &crate::app::App) -> (Action, Vec<String>, Option<String>) {
        match &app.overlay {
            Some(Overlay::Confirm {
                action,
                lines,
                typed_required,
                ..
            }) => (action.clone(), lines.clone(), typed_required.clone()),
            other => panic!("no confirmation: {other:?}"),
        }
    }

    #[test]
    fn an_owned_pod_says_who_replaces_it() {
        let mut app = drill_app(60);
        let name = app
            .pods
            .pod_names()
            .into_iter()
            .find(|n| n.starts_with("snapbuilder-serving"))
            .expect("a serving pod");
        app.run(Command::DeletePod(Some(name.clone())));
        let (action, lines, _) = confirm_lines(&app);
        let Action::DeletePod { pod, place } = &action else {
            panic!("{action:?}");
        };
        assert_eq!(pod, &name);
        assert_eq!(place.namespace, "snapbuilder");
        assert!(!place.context.is_empty(), "the action names its cluster");
        let rs = name.rsplit_once('-').expect("suffix").0;
        let text = lines.join("\n");
        assert!(
            text.contains(&format!("ReplicaSet {rs} will create a replacement")),
            "{text}"
        );
        assert!(!text.contains("GONE FOR GOOD"), "{text}");
    }

    #[test]
    fn a_bare_pod_is_gone_for_good_and_says_so() {
        let mut app = drill_app(60);
        app.observe(Observation::Pod(pod("debug-shell", "debug-shell")));
        app.run(Command::DeletePod(Some("snapbuilder/debug-shell".into())));
        let (_, lines, _) = confirm_lines(&app);
        let text = lines.join("\n");
        assert!(text.contains("BARE POD"), "{text}");
        assert!(text.contains("GONE FOR GOOD"), "{text}");
        assert!(!text.contains("will create a replacement"), "{text}");
    }

    #[test]
    fn without_a_name_it_deletes_the_selected_pod_and_unknown_names_are_refused() {
        let mut app = drill_app(60);
        app.focus = Pane::Pods;
        app.run(Command::DeletePod(None));
        assert!(app.overlay.is_none(), "a workload row is not a pod");
        app.run(Command::Down);
        app.run(Command::DeletePod(None));
        let (action, _, _) = confirm_lines(&app);
        assert!(matches!(action, Action::DeletePod { .. }), "{action:?}");
        app.overlay = None;
        app.run(Command::DeletePod(Some("nope".into())));
        assert!(app.overlay.is_none());
    }

    #[test]
    fn denied_by_the_access_review_it_is_greyed_out_before_it_is_tried() {
        let mut app = drill_app(60);
        app.access.report = Some(crate::access::AccessReport {
            user: "viewer".into(),
            checks: vec![crate::access::Access {
                verb: "delete".into(),
                group: String::new(),
                resource: "pods".into(),
                namespace: "snapbuilder".into(),
                allowed: Some(false),
                reason: String::new(),
            }],
        });
        let name = app.pods.pod_names().into_iter().next().expect("a pod");
        app.run(Command::DeletePod(Some(name)));
        assert!(
            app.overlay.is_none(),
            "no confirmation for a forbidden delete"
        );
        let flash = app.flash.as_ref().expect("says why").text.clone();
        assert!(
            flash.contains("delete-pod unavailable: viewer may not delete pods in snapbuilder"),
            "{flash}"
        );
        assert!(
            app.access
                .help_lines()
                .iter()
                .any(|l| l.contains("may not delete pods") && l.contains("delete-pod")),
            "help says so too"
        );
    }

    #[test]
    fn it_worked_once_the_pod_is_gone_and_its_deployment_is_ready_again() {
        let mut app = drill_app(60);
        let name = app
            .pods
            .pod_names()
            .into_iter()
            .find(|n| n.starts_with("snapbuilder-ingest"))
            .expect("an ingest pod");
        let action = Action::DeletePod {
            pod: name.clone(),
            place: crate::event::Place::new(app.caps.context.clone(), "snapbuilder"),
        };
        app.update(crate::event::Event::ActionDone(
            crate::event::ActionReport {
                action,
                outcome: crate::event::ActionOutcome::Ok,
                detail: "deleted".into(),
                revisions: None,
            },
        ));
        let v = app.verifying.clone().expect("watched for its effect");
        assert_eq!(
            v.deployment.as_ref().map(|k| k.name.as_str()),
            Some("snapbuilder-ingest")
        );
        assert_eq!(app.delete_pod_settled(&v), None, "the pod is still there");
        app.observe(Observation::PodGone {
            namespace: "snapbuilder".into(),
            name: name.clone(),
        });
        let key = v.deployment.clone().expect("a deployment");
        let d = app.pods.deployment(&key).expect("deployment").clone();
        let ready = app.pods.workloads[&key]
            .pods
            .values()
            .filter(|p| p.ready)
            .count() as u32;
        if ready < d.replicas {
            assert_eq!(app.delete_pod_settled(&v), None, "no replacement ready yet");
            let mut replacement = pod("snapbuilder-ingest-5c4d-newpd", "snapbuilder-ingest");
            replacement.revision = d.revision;
            app.observe(Observation::Pod(replacement));
        }
        let verdict = app.delete_pod_settled(&v).expect("settled");
        assert!(verdict.contains(&format!("{name} is gone")), "{verdict}");
    }

    #[test]
    fn at_sev1_the_pod_name_must_be_typed() {
        let mut app = drill_app(60);
        app.run(Command::Severity(1));
        let name = app.pods.pod_names().into_iter().next().expect("a pod");
        app.run(Command::DeletePod(Some(name.clone())));
        let (_, _, typed) = confirm_lines(&app);
        assert_eq!(typed, Some(name));
    }
}
