//! Why a fault is present, and what the operator's actions do to it: the rules the simulated
//! world applies beyond "the faulty image runs". Pure functions of the scenario, the drill
//! clock and the actions taken, so the world calls them and tests read them alone.

use jiff::SignedDuration;
use serde::Deserialize;

use super::scenario::{FaultSpec, Scenario};
use crate::event::{Action, GpuStatus};

/// An action that scales a fault's symptoms without removing its cause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modifier {
    /// A command-line prefix: `scale snapbuilder-serving`.
    pub action: String,
    /// How far the signals move from their baseline compared with the fault alone:
    /// below 1 eases the symptoms, above 1 worsens them (0 to 10).
    pub factor: f64,
    /// How long the change lasts after the action; for good when absent.
    #[serde(default, with = "opt_duration")]
    pub lasts: Option<SignedDuration>,
}

mod opt_duration {
    use jiff::SignedDuration;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SignedDuration>, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<SignedDuration>().map(Some).map_err(|e| {
            serde::de::Error::custom(format!(
                "bad duration `{s}` (write e.g. 90s, 2m, 1h 30m): {e}"
            ))
        })
    }
}

/// The position a `kill-switch NAME on|off` prefix asks for, if it is one.
fn switch_prefix(prefix: &str) -> Option<(&str, bool)> {
    let mut words = prefix.split_whitespace();
    if words.next()? != "kill-switch" {
        return None;
    }
    let name = words.next()?;
    let on = match words.next()? {
        "on" => true,
        "off" => false,
        _ => return None,
    };
    Some((name, on))
}

/// Whether a fault's cause is present at `t`.
///
/// `image` is the current image of the fault's deployment; `switch` answers a kill switch's
/// position by name; `actions` are the operator's, with their drill times.
pub fn present(
    f: &FaultSpec,
    t: SignedDuration,
    image: Option<&str>,
    switch: impl Fn(&str) -> Option<bool>,
    actions: &[(SignedDuration, Action)],
) -> bool {
    let by_image = f.image.as_deref().is_none_or(|i| image == Some(i));
    let started = f.start.is_none_or(|s| t >= s);
    by_image && started && !cured(f, switch, actions)
}

fn cured(
    f: &FaultSpec,
    switch: impl Fn(&str) -> Option<bool>,
    actions: &[(SignedDuration, Action)],
) -> bool {
    let since = f.start.unwrap_or(SignedDuration::ZERO);
    f.cured_by.iter().any(|cure| match switch_prefix(cure) {
        Some((name, on)) => switch(name) == Some(on),
        None => actions
            .iter()
            .any(|(at, a)| *at >= since && a.command_line().starts_with(cure.as_str())),
    })
}

/// How strongly a fault's symptoms show at `t`, as a factor on its signal targets.
pub fn factor(f: &FaultSpec, t: SignedDuration, actions: &[(SignedDuration, Action)]) -> f64 {
    f.changed_by
        .iter()
        .filter_map(|m| {
            // The latest matching action decides, so scaling twice does not compound.
            let (at, _) = actions
                .iter()
                .rev()
                .find(|(at, a)| *at <= t && a.command_line().starts_with(m.action.as_str()))?;
            let live = m.lasts.is_none_or(|l| t - *at < l);
            live.then_some(m.factor)
        })
        .product()
}

/// Nodes cordoned and drained by a kill switch that is on.
pub fn drained(scenario: &Scenario, switches: &[bool]) -> Vec<String> {
    scenario
        .kill_switches
        .iter()
        .zip(switches)
        .filter(|(_, on)| **on)
        .filter_map(|(k, _)| k.drain.clone())
        .collect()
}

/// A node for a new pod: the preferred one unless it is drained, else one of those that are
/// not, spread by the preferred node's place in the list.
pub fn schedule<'a>(preferred: &'a str, nodes: &'a [String], drained: &[String]) -> &'a str {
    if !drained.iter().any(|d| d == preferred) {
        return preferred;
    }
    let open: Vec<&String> = nodes.iter().filter(|n| !drained.contains(n)).collect();
    let at = nodes.iter().position(|n| n == preferred).unwrap_or(0);
    open.get(at % open.len().max(1))
        .map_or(preferred, |n| n.as_str())
}

/// A GPU on a drained node: nothing runs on it, it idles and cools.
pub fn idle(g: &mut GpuStatus) {
    g.util = Some(0.0);
    g.mem_used_mib = Some(0.0);
    g.temp_c = g.temp_c.map(|t| (t - 24.0).max(30.0));
    g.power_w = Some(58.0);
    g.pod = None;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fault(extra: &str) -> FaultSpec {
        let text = format!(
            "[drill]\nname='x'\ntitle='x'\nnamespace='n'\n[[deployments]]\nname='api'\nreplicas=1\nnodes=['a']\n\
             [[deployments.revisions]]\nimage='i:1'\nage='1h'\n[[faults]]\nname='f'\ndeployment='api'\n\
             ramp='10s'\nrecover='10s'\n{extra}\n"
        );
        let s = Scenario::parse(Path::new("t.toml"), &text).unwrap();
        s.faults[0].clone()
    }

    fn ks(on: bool) -> Action {
        Action::KillSwitch {
            name: "fallback".into(),
            on,
        }
    }

    #[test]
    fn a_timed_fault_starts_and_a_kill_switch_cures_it_while_on() {
        let f = fault("start='30s'\ncured_by=['kill-switch fallback on']");
        let t = SignedDuration::from_secs;
        assert!(!present(&f, t(10), Some("i:1"), |_| Some(false), &[]));
        assert!(present(&f, t(31), Some("i:1"), |_| Some(false), &[]));
        assert!(!present(&f, t(40), Some("i:1"), |_| Some(true), &[]));
        assert!(present(&f, t(50), Some("i:1"), |_| Some(false), &[]));
    }

    #[test]
    fn an_image_fault_needs_its_image_and_an_action_cure_holds() {
        let f = fault("image='i:2'\ncured_by=['restart api']");
        let t = SignedDuration::from_secs;
        assert!(!present(&f, t(5), Some("i:1"), |_| None, &[]));
        assert!(present(&f, t(5), Some("i:2"), |_| None, &[]));
        let acts = [(
            t(3),
            Action::Restart {
                deployment: "api".into(),
                place: Default::default(),
            },
        )];
        assert!(!present(&f, t(5), Some("i:2"), |_| None, &acts));
    }

    #[test]
    fn scaling_buys_time_then_the_symptoms_return() {
        let f = fault(
            "start='0s'\n[[faults.changed_by]]\naction='scale api'\nfactor=0.4\nlasts='2m'\n\
             [[faults.changed_by]]\naction='kill-switch fallback on'\nfactor=2.0",
        );
        let t = SignedDuration::from_secs;
        let scaled = [(
            t(60),
            Action::Scale {
                deployment: "api".into(),
                replicas: 8,
                place: Default::default(),
            },
        )];
        assert_eq!(factor(&f, t(30), &scaled), 1.0);
        assert_eq!(factor(&f, t(90), &scaled), 0.4);
        assert_eq!(factor(&f, t(200), &scaled), 1.0);
        assert_eq!(factor(&f, t(10), &[(t(5), ks(true))]), 2.0);
    }

    #[test]
    fn drained_nodes_are_skipped_when_scheduling() {
        let nodes = vec!["a".to_string(), "b".to_string()];
        assert_eq!(schedule("a", &nodes, &["a".into()]), "b");
        assert_eq!(schedule("b", &nodes, &["a".into()]), "b");
        assert_eq!(schedule("a", &nodes, &["a".into(), "b".into()]), "a");
    }
}
