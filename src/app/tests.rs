//! `App::update`: events in, state and effects out.

#![allow(clippy::expect_used)]

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};

use super::sample::drill_app;
use super::{App, Effect, Overlay};
use crate::command::{Command, Pane, Status};
use crate::event::{Action, ActionOutcome, ActionReport, AlertState, Event};
use crate::journal::{Kind, Outcome};

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Event::Input(TermEvent::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Event::Input(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn entries(effects: &[Effect]) -> Vec<(Kind, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::JournalAppend { entry, .. } => Some((entry.kind, entry.text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_critical_alert_opens_a_drill_incident_and_is_journaled() {
    let app = drill_app(120);
    let inc = app
        .incident
        .as_ref()
        .expect("HighErrorRate opened an incident");
    assert!(inc.title.starts_with("HighErrorRate"), "{}", inc.title);
    assert_eq!(inc.severity, 2);
    let kinds: Vec<Kind> = app.timeline.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&Kind::AlertFired));
    let fired = app
        .timeline
        .iter()
        .find(|e| e.kind == Kind::AlertFired)
        .map(|e| e.text.as_str());
    assert!(
        fired.is_some_and(|t| t.contains("> 3.0%")),
        "value and threshold: {fired:?}"
    );
    assert!(
        app.alerts
            .iter()
            .any(|a| a.status.name == "HighErrorRate" && a.status.state == AlertState::Firing)
    );
}

#[test]
fn ack_marks_the_alert_and_the_incident_once() {
    let mut app = drill_app(120);
    app.focus = Pane::Alerts;
    let effects = key(&mut app, KeyCode::Char('a'));
    let name = app.alerts[0].status.name.clone();
    assert_eq!(entries(&effects), [(Kind::Ack, name)]);
    assert!(app.alerts[0].acked);
    assert!(app.incident.as_ref().and_then(|i| i.acked_at).is_some());
    assert!(
        entries(&key(&mut app, KeyCode::Char('a'))).is_empty(),
        "a second ack writes nothing"
    );
}

#[test]
fn rollback_asks_first_and_says_what_changes() {
    let mut app = drill_app(120);
    let effects = app.run(Command::parse("rollback snapbuilder-serving").unwrap_or(Command::Help));
    assert_eq!(
        effects,
        [Effect::Preview(action_of("snapbuilder-serving"))],
        "nothing happens before the operator says yes, but the sandbox is asked for a dry run"
    );
    let Some(Overlay::Confirm { lines, action, .. }) = &app.overlay else {
        panic!("no confirmation: {:?}", app.overlay);
    };
    assert_eq!(
        action,
        &Action::Rollback {
            deployment: "snapbuilder-serving".into(),
            revision: None,
            place: sandbox(),
        }
    );
    let text = lines.join("\n");
    assert!(
        text.contains("from revision 3 (registry.snapbuilder.internal/serving:1.9.0)"),
        "{text}"
    );
    assert!(
        text.contains("to revision 2 (registry.snapbuilder.internal/serving:1.8.2)"),
        "{text}"
    );
    assert!(text.contains("4 pods will be replaced"), "{text}");
    assert!(
        text.contains("Pod template changes:\n  - serving: image registry.snapbuilder.internal/serving:1.9.0\n  + serving: image registry.snapbuilder.internal/serving:1.8.2"),
        "{text}"
    );
    assert!(text.contains("Signals now: "), "{text}");
    assert!(
        text.contains("Only the simulated cluster changes."),
        "{text}"
    );
    // The drill's incident is SEV2: the deployment's name is typed, as live.
    typed(&mut app, "snapbuilder-serving");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(effects, [Effect::Execute(action_of("snapbuilder-serving"))]);
    assert!(app.overlay.is_none());
}

fn action_of(d: &str) -> Action {
    Action::Rollback {
        deployment: d.into(),
        revision: None,
        place: sandbox(),
    }
}

/// Where the bundled drill's deployments are.
fn sandbox() -> crate::event::Place {
    crate::event::Place::new(crate::app::capabilities::SANDBOX_CONTEXT, "snapbuilder")
}

#[test]
fn cancelling_changes_nothing() {
    let mut app = drill_app(120);
    app.run(Command::Restart {
        deployment: Some("snapbuilder-ingest".into()),
    });
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })));
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.overlay.is_none());
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.starts_with("cancelled"))
    );
}

#[test]
fn bad_targets_are_refused_with_the_choices() {
    let mut app = drill_app(120);
    app.run(Command::Rollback {
        deployment: Some("nope".into()),
        revision: None,
    });
    assert!(app.overlay.is_none());
    let flash = app.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(
        flash.contains("no deployment `nope`; known: snapbuilder-ingest, snapbuilder-serving"),
        "{flash}"
    );
    app.run(Command::Rollback {
        deployment: Some("snapbuilder-serving".into()),
        revision: Some(9),
    });
    let flash = app.flash.clone().map(|f| f.text).unwrap_or_default();
    assert!(
        flash.contains("has no revision 9; kept: 3, 2, 1"),
        "{flash}"
    );
}

#[test]
fn read_only_refuses_every_world_changing_command() {
    let mut app = drill_app(60);
    app.read_only = true;
    for line in [
        "rollback snapbuilder-serving",
        "restart snapbuilder-ingest",
        "scale snapbuilder-ingest 3",
        "kill-switch ai-disabled on",
        "delete-pod snapbuilder-serving-7d9c-x2b4q",
        "delete-pod",
    ] {
        let cmd = Command::parse(line).unwrap_or(Command::Help);
        assert!(app.run(cmd).is_empty(), "{line}");
        assert!(app.overlay.is_none(), "{line}");
    }
}

#[test]
fn an_action_report_is_journaled_with_its_outcome() {
    let mut app = drill_app(120);
    let effects = app.update(Event::ActionDone(ActionReport {
        action: action_of("snapbuilder-serving"),
        outcome: ActionOutcome::Ok,
        detail: "rolled back from revision 3 to revision 2".into(),
        revisions: Some((3, 2)),
    }));
    let appended: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::JournalAppend { entry, .. } => Some(entry.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(appended[0].kind, Kind::Rollback);
    assert_eq!(
        appended[0].text,
        "deployment/snapbuilder-serving in snapbuilder on sandbox from 3 to 2"
    );
    assert_eq!(
        appended[0].rollback_value().map(|r| r.to),
        Some("2".to_string())
    );
    assert_eq!(appended[0].outcome, Some(Outcome::Ok));
    assert_eq!(appended[0].actor, "alice");
    assert_eq!(appended[1].kind, Kind::Status);
    assert_eq!(appended[1].status_value(), Some(Status::Mitigating));
    assert_eq!(
        app.incident.as_ref().map(|i| i.status),
        Some(Status::Mitigating)
    );
    let failed = app.update(Event::ActionDone(ActionReport {
        action: Action::Restart {
            deployment: "x".into(),
            place: sandbox(),
        },
        outcome: ActionOutcome::Refused,
        detail: "forbidden".into(),
        revisions: None,
    }));
    assert_eq!(
        entries(&failed),
        [(
            Kind::Command,
            "restart x (deployment snapbuilder/x in context sandbox): forbidden".to_string()
        )]
    );
}

#[test]
fn keys_follow_the_keymap() {
    let mut app = drill_app(10);
    key(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    key(&mut app, KeyCode::Esc);
    let focus = app.focus;
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, focus.next());
    app.update(Event::Input(TermEvent::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    ))));
    assert_eq!(app.focus, focus);
    key(&mut app, KeyCode::Char('z'));
    assert!(app.zoom);
    key(&mut app, KeyCode::Char('q'));
    assert!(matches!(app.overlay, Some(Overlay::QuitConfirm)));
    assert_eq!(key(&mut app, KeyCode::Char('y')), [Effect::Quit]);
}

#[test]
fn key_releases_are_ignored() {
    let mut app = drill_app(10);
    let mut release = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    app.update(Event::Input(TermEvent::Key(release)));
    assert!(app.overlay.is_none());
}

#[test]
fn the_command_line_completes_and_runs() {
    let mut app = drill_app(10);
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "sev");
    key(&mut app, KeyCode::Tab);
    let Some(Overlay::CommandLine(input)) = &app.overlay else {
        panic!("no command line")
    };
    assert_eq!(input.text, "severity ");
    typed(&mut app, "1");
    let effects = key(&mut app, KeyCode::Enter);
    // No incident yet at ten seconds in: setting a severity opens one.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::JournalBegin(h) if h.severity == 1 && h.drill))
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "status monitoring");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        entries(&effects),
        [(Kind::Status, "monitoring (was investigating)".to_string())]
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "bogus");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("unknown command `bogus`"))
    );
}

#[test]
fn notes_are_written_in_the_editor_and_drafts_survive_esc() {
    let mut app = drill_app(120);
    key(&mut app, KeyCode::Char('n'));
    typed(&mut app, "rev 3 doubled the KV cache");
    key(&mut app, KeyCode::Enter);
    typed(&mut app, "rolling back");
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    key(&mut app, KeyCode::Char('n'));
    let effects = ctrl(&mut app, 's');
    assert_eq!(
        entries(&effects),
        [(
            Kind::Note,
            "rev 3 doubled the KV cache\nrolling back".to_string()
        )]
    );
}

#[test]
fn pause_only_in_simulated_modes() {
    let mut app = drill_app(10);
    assert_eq!(key(&mut app, KeyCode::Char('p')), [Effect::SetPaused(true)]);
    assert_eq!(
        key(&mut app, KeyCode::Char('p')),
        [Effect::SetPaused(false)]
    );
    app.caps = crate::app::Capabilities::live("c", "n");
    assert!(key(&mut app, KeyCode::Char('p')).is_empty());
}

#[test]
fn the_log_filter_prompt_sets_a_regex() {
    let mut app = drill_app(120);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "CUDA");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, Pane::Logs);
    let shown = app.logs.window(50);
    assert!(!shown.is_empty() && shown.iter().all(|l| l.text.contains("CUDA")));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "(");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("bad filter regex"))
    );
}

#[test]
fn a_click_focuses_the_pane_under_it() {
    let mut app = drill_app(10);
    app.update(Event::Input(TermEvent::Resize(200, 60)));
    let click = |column, row| {
        Event::Input(TermEvent::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    };
    app.update(click(100, 50));
    assert_eq!(app.focus, Pane::Logs);
    app.update(click(5, 4));
    assert_eq!(app.focus, Pane::Signals);
}

#[test]
fn kill_switch_menu_flips_after_confirmation() {
    let mut app = drill_app(10);
    key(&mut app, KeyCode::Char('K'));
    assert!(matches!(app.overlay, Some(Overlay::KillSwitchMenu { .. })));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Confirm { lines, .. }) = &app.overlay else {
        panic!("no confirmation")
    };
    assert!(
        lines[0].contains("Kill switch ai-disabled: off → on"),
        "{lines:?}"
    );
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        [Effect::Execute(Action::KillSwitch {
            name: "ai-disabled".into(),
            on: true
        })]
    );
}

#[test]
fn status_update_is_drafted_posted_copied_and_journaled() {
    let mut app = drill_app(120);
    key(&mut app, KeyCode::Char('U'));
    let Some(Overlay::Note(editor, super::NotePurpose::StatusUpdate)) = &app.overlay else {
        panic!("no status update editor: {:?}", app.overlay);
    };
    assert!(editor.lines()[0].contains("[SEV2] HighErrorRate"));
    let effects = ctrl(&mut app, 's');
    let copied = effects.iter().find_map(|e| match e {
        Effect::Clipboard(t) => Some(t.clone()),
        _ => None,
    });
    assert!(copied.is_some_and(|t| t.starts_with("[DRILL] [SEV2]")));
    let posted = entries(&effects);
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].0, Kind::StatusUpdate);
    assert!(app.incident.as_ref().and_then(|i| i.last_update).is_some());
}

#[test]
fn roles_are_journaled_and_shown() {
    let mut app = drill_app(120);
    let effects = app.run(Command::parse("role ic alice").unwrap_or(Command::Help));
    assert_eq!(entries(&effects), [(Kind::Role, "ic alice".to_string())]);
    let roles = &app
        .incident
        .as_ref()
        .map(|i| i.roles.clone())
        .unwrap_or_default();
    assert_eq!(
        roles.get(&crate::journal::Role::Ic).map(String::as_str),
        Some("alice")
    );
    assert!(Command::parse("role boss bob").is_err());
}

#[test]
fn the_timeline_filters_by_kind() {
    let mut app = drill_app(120);
    app.run(Command::parse("timeline alert-fired").unwrap_or(Command::Help));
    assert_eq!(app.timeline.filter, Some(Kind::AlertFired));
    key(&mut app, KeyCode::Char('T'));
    assert_ne!(
        app.timeline.filter,
        Some(Kind::AlertFired),
        "T moves to the next kind"
    );
    app.run(Command::parse("timeline all").unwrap_or(Command::Help));
    assert_eq!(app.timeline.filter, None);
    assert!(Command::parse("timeline nonsense").is_err_and(|e| e.0.contains("alert-fired")));
}

#[test]
fn runbook_follows_the_alert_and_ticks_are_journaled() {
    let mut app = drill_app(120);
    let section = app
        .checklist
        .as_ref()
        .and_then(|c| c.current())
        .map(|s| s.title.clone());
    assert_eq!(section.as_deref(), Some("HighErrorRate: 5xx above 3%"));
    let rule = app
        .checklist
        .as_ref()
        .map(|c| c.rule.clone())
        .unwrap_or_default();
    assert!(rule.contains("runbook_url"), "{rule}");
    app.focus = Pane::Runbook;
    let effects = key(&mut app, KeyCode::Char(' '));
    assert_eq!(
        entries(&effects),
        [(
            Kind::StepTicked,
            "HighErrorRate: 5xx above 3% › 5xx ratio on the Serving overview dashboard above 3%"
                .to_string()
        )]
    );
    key(&mut app, KeyCode::Up);
    let effects = key(&mut app, KeyCode::Char(' '));
    assert_eq!(entries(&effects)[0].0, Kind::StepUnticked);
    // `c` copies the step's command; steps without one say so.
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    let effects = key(&mut app, KeyCode::Char('c'));
    assert!(
        effects.contains(&Effect::Clipboard(
            "kubectl -n snapbuilder rollout undo deployment/snapbuilder-serving".into()
        )),
        "{effects:?}"
    );
    key(&mut app, KeyCode::Char(']'));
    assert!(
        app.checklist.as_ref().is_some_and(|c| c.pinned),
        "picking a section pins it"
    );
}

#[test]
fn running_a_command_with_placeholders_asks_to_fill_them() {
    let mut app = drill_app(120);
    app.run(Command::Run(Some(
        "kubectl -n snapbuilder describe pod <pod-name>".into(),
    )));
    let Some(Overlay::CommandLine(input)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(
        input.text,
        "run kubectl -n snapbuilder describe pod <pod-name>"
    );
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("fill in <pod-name> first"))
    );
    app.overlay = None;
    app.run(Command::Run(Some("kubectl -n snapbuilder get pods".into())));
    let Some(Overlay::Confirm { lines, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(
        lines
            .iter()
            .any(|l| l.contains("echoed to the timeline, never run"))
    );
    app.read_only = true;
    app.overlay = None;
    app.run(Command::Run(None));
    assert!(app.overlay.is_none());
}

#[test]
fn a_restarted_cockpit_resumes_the_open_incident() {
    let text = "\
## INC-20261122-0412 · Checkout returns 5xx

- opened at: 2026-11-22T04:12:03Z
- mode: LIVE prod/checkout
- severity: SEV2
- opened by: alice

- 2026-11-22T04:12:03Z · alice · opened · Checkout returns 5xx
- 2026-11-22T04:13:00Z · alice · ack · HighErrorRate
- 2026-11-22T04:14:00Z · alice · severity · SEV1 (was SEV2)
- 2026-11-22T04:15:00Z · alice · role · ic alice
- 2026-11-22T04:16:00Z · alice · status · identified (was investigating)
- 2026-11-22T04:20:00Z · alice · status-update · [SEV1] checkout down
";
    let parsed = crate::journal::parse(text);
    let inc = parsed.open_incident().expect("open incident");
    let mut app = drill_app(0);
    app.resume_from(inc);
    let state = app.incident.clone().expect("resumed");
    assert_eq!(state.id, "INC-20261122-0412");
    assert_eq!(state.severity, 1);
    assert_eq!(state.status, Status::Identified);
    assert!(state.acked_at.is_some());
    assert_eq!(
        state
            .roles
            .get(&crate::journal::Role::Ic)
            .map(String::as_str),
        Some("alice")
    );
    assert_eq!(
        state.last_update.map(|t| t.to_string()),
        Some("2026-11-22T04:20:00Z".into())
    );
    assert_eq!(app.timeline.len(), 6);
    // New entries go to the resumed incident, not a new one.
    let effects = app.run(Command::Note(Some("still here".into())));
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, Effect::JournalBegin(_)))
    );
    assert!(
        matches!(&effects[0], Effect::JournalAppend { incident, .. } if incident == "INC-20261122-0412")
    );
}

#[test]
fn live_confirmations_ask_for_a_server_dry_run_and_show_its_answer() {
    let mut app = drill_app(10);
    app.caps = crate::app::Capabilities::live("c", "n");
    let effects = app.run(Command::KillSwitch {
        name: Some("ai-disabled".into()),
        on: Some(true),
    });
    let action = Action::KillSwitch {
        name: "ai-disabled".into(),
        on: true,
    };
    assert_eq!(effects, [Effect::Preview(action.clone())]);
    let lines = |app: &App| match &app.overlay {
        Some(Overlay::Confirm { lines, .. }) => lines.clone(),
        _ => panic!("no confirmation"),
    };
    assert!(
        lines(&app)
            .last()
            .is_some_and(|l| l.contains("asking the API server"))
    );
    // An answer for another action is ignored.
    let other = Action::Restart {
        deployment: "x".into(),
        place: sandbox(),
    };
    app.update(Event::Previewed(other, Ok(vec!["wrong".into()])));
    assert!(!lines(&app).iter().any(|l| l == "wrong"));
    app.update(Event::Previewed(
        action.clone(),
        Err("Server dry run (dryRun=All) as viewer: forbidden".into()),
    ));
    let shown = lines(&app);
    assert!(!shown.iter().any(|l| l.contains("asking the API server")));
    assert!(
        shown.last().is_some_and(|l| l.contains("⚠ Server dry run")),
        "{shown:?}"
    );
}

#[test]
fn live_selection_picks_what_the_logs_pane_tails() {
    let mut app = drill_app(10);
    app.caps = crate::app::Capabilities::live("c", "n");
    app.focus = Pane::Pods;
    app.pods.selected = 0;
    let first = app.pods.selected_target();
    assert!(first.as_ref().is_some_and(|t| t.pod.is_none()));
    let effects = app.run(Command::Down);
    let tails: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::TailLogs(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(tails.len(), 1, "{effects:?}");
    assert_eq!(
        Some(&tails[0].workload),
        first.as_ref().map(|t| &t.workload)
    );
    assert!(tails[0].pod.is_some(), "a pod row tails that pod");
    assert!(app.logs.is_empty(), "the old selection's lines are gone");
    // Selecting the same row again does not restart the tail.
    app.retarget_logs();
    let now = app.now;
    assert!(app.update(Event::Tick(now)).is_empty());
}

mod verdicts {
    use super::*;
    use crate::event::{DeploymentStatus, Observation, SignalDef};

    fn live_app() -> App {
        let mut app = drill_app(0);
        app.caps = crate::app::Capabilities::live("c", "shop");
        app.signals.clear();
        app
    }

    fn web(replicas: u32, ready: u32, revision: u64) -> Observation {
        Observation::Deployment(DeploymentStatus {
            namespace: "shop".into(),
            name: "web".into(),
            revision,
            replicas,
            ready,
            updated: ready,
            available: ready,
            image: "web:1".into(),
            history: Vec::new(),
            gpu: false,
            problems: Vec::new(),
            labels: Default::default(),
        })
    }

    fn at(app: &App, secs: i64) -> jiff::Timestamp {
        app.now + jiff::SignedDuration::from_secs(secs)
    }

    fn verdicts(effects: &[Effect]) -> Vec<String> {
        entries(effects)
            .into_iter()
            .filter(|(k, _)| *k == Kind::Verdict)
            .map(|(_, t)| t)
            .collect()
    }

    fn done(app: &mut App, action: Action) {
        app.update(Event::ActionDone(ActionReport {
            action,
            outcome: ActionOutcome::Ok,
            detail: "ok".into(),
            revisions: None,
        }));
    }

    #[test]
    fn recovery_of_the_bad_signals_is_journaled_with_the_time_and_values() {
        let mut app = live_app();
        let t0 = app.now;
        app.update(Event::Observed(
            t0,
            Observation::SignalDefined(SignalDef {
                name: "5xx".into(),
                unit: "percent".into(),
                warn: Some(1.0),
                crit: Some(3.0),
                direction: Default::default(),
            }),
        ));
        let signal = |v| Observation::Signal {
            name: "5xx".into(),
            value: Some(v),
        };
        app.update(Event::Observed(t0, signal(4.1)));
        app.update(Event::Observed(t0, web(3, 3, 2)));
        done(
            &mut app,
            Action::Rollback {
                deployment: "web".into(),
                revision: None,
                place: crate::event::Place::new("c", "shop"),
            },
        );
        assert!(app.verifying.is_some());
        let still_bad = app.update(Event::Observed(at(&app, 60), signal(3.5)));
        assert!(verdicts(&still_bad).is_empty());
        let t = t0 + jiff::SignedDuration::from_secs(130);
        let effects = app.update(Event::Observed(t, signal(0.3)));
        let v = verdicts(&effects);
        assert_eq!(v.len(), 1, "{effects:?}");
        assert!(
            v[0].ends_with("recovered at T+2m10s (5xx 4.1% → 0.3%)"),
            "{}",
            v[0]
        );
        assert!(app.verifying.is_none());
        assert_eq!(app.verdict.as_deref(), v[0].strip_prefix("worked "));
    }

    #[test]
    fn without_recovery_the_verdict_is_no_effect_after_the_period() {
        let mut app = live_app();
        let t0 = app.now;
        app.update(Event::Observed(t0, web(3, 1, 4)));
        done(
            &mut app,
            Action::Restart {
                deployment: "web".into(),
                place: crate::event::Place::new("c", "shop"),
            },
        );
        assert!(verdicts(&app.update(Event::Tick(at(&app, 299)))).is_empty());
        let effects = app.update(Event::Tick(t0 + jiff::SignedDuration::from_secs(301)));
        let v = verdicts(&effects);
        assert_eq!(
            v,
            ["did-not-work restart web: no effect after 5m (web ready 1/3)"]
        );
    }

    #[test]
    fn without_bad_signals_readiness_of_the_scaled_deployment_decides() {
        let mut app = live_app();
        let t0 = app.now;
        app.update(Event::Observed(t0, web(3, 3, 4)));
        done(
            &mut app,
            Action::Scale {
                deployment: "web".into(),
                replicas: 5,
                place: crate::event::Place::new("c", "shop"),
            },
        );
        // Same state as before the change: not evidence of anything yet.
        assert!(verdicts(&app.update(Event::Observed(at(&app, 5), web(3, 3, 4)))).is_empty());
        assert!(verdicts(&app.update(Event::Observed(at(&app, 10), web(5, 4, 4)))).is_empty());
        let v = verdicts(&app.update(Event::Observed(at(&app, 10), web(5, 5, 4))));
        assert_eq!(
            v,
            ["worked scale web 5: recovered at T+25s (shop/web ready 3/3 → 5/5 at revision 4)"]
        );
    }
}

#[test]
fn a_kill_switch_that_went_through_shows_its_new_state_at_once() {
    let mut app = drill_app(10);
    let name = app.kill_switches[0].name.clone();
    let was = app.kill_switches[0].on.unwrap_or(false);
    app.update(Event::ActionDone(ActionReport {
        action: Action::KillSwitch {
            name: name.clone(),
            on: !was,
        },
        outcome: ActionOutcome::Ok,
        detail: "done".into(),
        revisions: None,
    }));
    assert_eq!(app.kill_switches[0].on, Some(!was));
    app.update(Event::ActionDone(ActionReport {
        action: Action::KillSwitch { name, on: was },
        outcome: ActionOutcome::Refused,
        detail: "forbidden".into(),
        revisions: None,
    }));
    assert_eq!(
        app.kill_switches[0].on,
        Some(!was),
        "a refusal changes nothing"
    );
}

#[test]
fn a_kill_switch_key_from_the_config_asks_to_flip_it() {
    let text = "[[kill_switches]]\nname = \"ai-disabled\"\ndescription = \"d\"\nkey = \"m\"\nkind = \"configmap\"\nconfigmap = \"f\"\ndata_key = \"ai_enabled\"\non_value = \"false\"\noff_value = \"true\"\n";
    let config =
        crate::config::Config::parse(std::path::Path::new("c.toml"), text).unwrap_or_default();
    let mut app = super::sample::drill_app_with(config, 10);
    // Parsed once, when the cockpit was built, and listed with the other keys.
    let bound: Vec<String> = app
        .keymap
        .bindings()
        .filter(|(k, _)| k.to_string() == "m")
        .map(|(_, line)| line.to_string())
        .collect();
    assert_eq!(bound, ["kill-switch ai-disabled"]);
    key(&mut app, KeyCode::Char('m'));
    let Some(Overlay::Confirm { action, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(
        action,
        &Action::KillSwitch {
            name: "ai-disabled".into(),
            on: true
        }
    );
}

#[test]
fn the_sparkline_width_follows_the_layout() {
    let mut app = drill_app(10);
    let effects = app.update(Event::Input(TermEvent::Resize(200, 60)));
    let width = effects.iter().find_map(|e| match e {
        Effect::SparkWidth(w) => Some(*w),
        _ => None,
    });
    assert!(width.is_some_and(|w| w > 40 && w < 60), "{effects:?}");
    assert!(
        !app.update(Event::Input(TermEvent::Resize(200, 60)))
            .iter()
            .any(|e| matches!(e, Effect::SparkWidth(_))),
        "told once"
    );
    key(&mut app, KeyCode::Char('1'));
    let zoomed = key(&mut app, KeyCode::Char('z'));
    assert!(
        zoomed
            .iter()
            .any(|e| matches!(e, Effect::SparkWidth(w) if *w > 150)),
        "{zoomed:?}"
    );
}

/// A drill trains the cockpit used live: capabilities, not the mode, decide.
mod drills_confirm_as_live {
    use super::*;
    use crate::app::sample::{drill_pair, feed};

    fn confirm_lines(app: &App) -> Vec<String> {
        match &app.overlay {
            Some(Overlay::Confirm { lines, .. }) => lines.clone(),
            other => panic!("no confirmation: {other:?}"),
        }
    }

    #[test]
    fn a_sev2_drill_asks_for_the_typed_name() {
        let mut app = drill_app(120);
        assert_eq!(app.incident.as_ref().map(|i| i.severity), Some(2));
        app.run(Command::Restart {
            deployment: Some("snapbuilder-ingest".into()),
        });
        let Some(Overlay::Confirm { typed_required, .. }) = &app.overlay else {
            panic!("no confirmation")
        };
        assert_eq!(typed_required.as_deref(), Some("snapbuilder-ingest"));
        // `y` types, it does not confirm; a wrong name and enter do nothing.
        assert!(key(&mut app, KeyCode::Char('y')).is_empty());
        assert!(key(&mut app, KeyCode::Enter).is_empty());
        assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })));
        key(&mut app, KeyCode::Backspace);
        typed(&mut app, "snapbuilder-ingest");
        assert_eq!(
            key(&mut app, KeyCode::Enter),
            [Effect::Execute(Action::Restart {
                deployment: "snapbuilder-ingest".into(),
                place: sandbox(),
            })]
        );
        // At SEV3 a plain yes is enough.
        app.run(Command::Severity(3));
        app.run(Command::Restart {
            deployment: Some("snapbuilder-ingest".into()),
        });
        assert!(
            key(&mut app, KeyCode::Char('y'))
                .iter()
                .any(|e| matches!(e, Effect::Execute(_)))
        );
    }

    #[test]
    fn the_sandbox_answers_the_dry_run_in_the_shape_of_the_api_server() {
        let (mut app, world) = drill_pair(crate::config::Config::default(), 120);
        let action = action_of("snapbuilder-serving");
        let effects = app.run(Command::Rollback {
            deployment: Some("snapbuilder-serving".into()),
            revision: None,
        });
        assert_eq!(effects, [Effect::Preview(action.clone())]);
        assert!(
            confirm_lines(&app)
                .last()
                .is_some_and(|l| l.contains("Sandbox dry run (simulated cluster): asking"))
        );
        let answer = world.preview(&action);
        app.update(Event::Previewed(action.clone(), answer));
        let lines = confirm_lines(&app);
        let tail = lines[lines.len() - 3..].join("\n");
        assert_eq!(
            tail,
            "Sandbox dry run (simulated cluster): accepted\n  \
             rolled back from revision 3 to revision 2 (registry.snapbuilder.internal/serving:1.8.2), now revision 4\n  \
             pods touched: 4"
        );
        // The dry run changed nothing in the world.
        assert!(world.preview(&action).is_ok());
        let refused = world.preview(&Action::Rollback {
            deployment: "nope".into(),
            revision: None,
            place: Default::default(),
        });
        assert_eq!(
            refused,
            Err("Sandbox dry run (simulated cluster): deployment nope not found".into())
        );
    }

    #[test]
    fn did_it_work_runs_in_drills_too() {
        let (mut app, mut world) = drill_pair(crate::config::Config::default(), 120);
        let action = action_of("snapbuilder-serving");
        let applied = world.apply(&action).expect("the rollback applies");
        let mut effects = feed(&mut app, world.now(), applied.observations);
        let report = Event::ActionDone(ActionReport {
            action: action.clone(),
            outcome: ActionOutcome::Ok,
            detail: applied.detail,
            revisions: applied.revisions,
        });
        for e in app.update(report) {
            crate::app::sample::answer(&mut app, e, &mut effects);
        }
        assert!(app.verifying.is_some(), "the rollback is being watched");
        for _ in 0..120 {
            let obs = world.step();
            feed(&mut app, world.now(), obs);
        }
        let verdicts: Vec<&str> = app
            .timeline
            .iter()
            .filter(|e| e.kind == Kind::Verdict)
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            verdicts
                .iter()
                .any(|v| v.starts_with("worked rollback snapbuilder-serving: recovered at T+")),
            "{verdicts:?}"
        );
        assert!(app.verifying.is_none());
    }

    #[test]
    fn adding_a_mode_is_building_capabilities() {
        let mut caps = crate::app::Capabilities::replay("incident.rec", 4.0);
        caps.can_change_world = false;
        let mut app = drill_app(10);
        app.caps = caps;
        assert!(
            app.run(Command::Rollback {
                deployment: Some("snapbuilder-serving".into()),
                revision: None,
            })
            .is_empty()
        );
        assert!(app.overlay.is_none());
        assert_eq!(key(&mut app, KeyCode::Char('p')), [Effect::SetPaused(true)]);
        let screen = crate::ui::render_text(&app, 120, 32);
        assert!(screen.contains("REPLAY incident.rec ×4"), "{screen}");
    }
}

#[test]
fn an_alert_selects_its_service_and_r_offers_its_deployment() {
    let mut app = drill_app(120);
    app.focus = Pane::Alerts;
    let at = app
        .alerts
        .iter()
        .position(|a| a.status.name == "HighErrorRate")
        .expect("HighErrorRate fires");
    app.run(Command::Top);
    for _ in 0..at {
        app.run(Command::Down);
    }
    let serving = crate::app::state::WorkloadKey::new("snapbuilder", "snapbuilder-serving");
    assert_eq!(
        app.pods.selected_workload(),
        Some(&serving),
        "the pods pane follows"
    );
    key(&mut app, KeyCode::Char('R'));
    let Some(Overlay::RollbackDialog { deployment, .. }) = &app.overlay else {
        panic!("no rollback dialog: {:?} {:?}", app.overlay, app.flash);
    };
    assert_eq!(
        deployment, &serving,
        "not the first deployment of the pods pane"
    );

    // An alert whose labels name no workload is said to be so, never the first one.
    app.overlay = None;
    let mut stray = app.alerts[at].status.clone();
    stray.name = "Stray".into();
    stray.summary = "something else".into();
    stray.labels = [("service".to_string(), "billing".to_string())].into();
    let now = app.now;
    app.update(Event::Observed(
        now,
        crate::event::Observation::Alert(stray),
    ));
    let stray_at = app
        .alerts
        .iter()
        .position(|a| a.status.name == "Stray")
        .expect("shown");
    app.run(Command::Top);
    for _ in 0..stray_at {
        app.run(Command::Down);
    }
    key(&mut app, KeyCode::Char('R'));
    assert!(app.overlay.is_none());
    let flash = app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert_eq!(
        flash,
        "no deployment for this alert: labels service=billing"
    );
}

mod rollouts {
    use super::*;
    use crate::cluster::rollouts::RolloutStatus;
    use crate::event::Observation;

    fn checkout(step: u32, aborted: bool) -> Observation {
        let o = serde_json::json!({
            "metadata": {"name": "checkout-canary", "namespace": "shop"},
            "spec": {"replicas": 4,
                "template": {"metadata": {"labels": {"app": "checkout"}},
                    "spec": {"containers": [{"name": "app", "image": "registry.local/checkout:2.1.0"}]}},
                "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}]}}},
            "status": {"currentStepIndex": step, "stableRS": "7d9c4b6f8", "currentPodHash": "5f6b8c9d7",
                "readyReplicas": 4, "abort": aborted}
        });
        Observation::Rollout(RolloutStatus::from_json(&o).expect("a rollout"))
    }

    #[test]
    fn a_rollout_shows_beside_the_deployments_and_goes_when_deleted() {
        let mut app = drill_app(0);
        let now = app.now;
        app.update(Event::Observed(now, checkout(1, false)));
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(
            screen
                .contains("checkout-canary 4/4 ready rollout canary 20% · step 1/3 · stable 7d9c"),
            "{screen}"
        );
        app.update(Event::Observed(now, checkout(1, true)));
        let screen = crate::ui::render_text(&app, 200, 60);
        assert!(screen.contains("rollout canary 0% · step 1/3"), "{screen}");
        let key = crate::app::state::WorkloadKey::new("shop", "checkout-canary");
        let r = app.pods.workloads[&key]
            .rollout
            .clone()
            .expect("its rollout");
        assert_eq!(
            r.summary(),
            "canary 0% · step 1/3 · stable 7d9c4b6f8 / canary 5f6b8c9d7 · aborted"
        );
        // The describe view shows its steps.
        app.pods.select_workload(&key);
        app.run(Command::Describe(None));
        match &app.overlay {
            Some(Overlay::Output { title, text, .. }) => {
                assert_eq!(title, "describe rollout checkout-canary");
                assert!(text.contains("▶ 2. pause (until promoted)"), "{text}");
            }
            other => panic!("no describe view: {other:?}"),
        }
        // Its labels match services and alerts as a deployment's do.
        let labels = app.pods.workloads[&key]
            .labels()
            .cloned()
            .unwrap_or_default();
        assert_eq!(labels.get("app").map(String::as_str), Some("checkout"));
        app.update(Event::Observed(
            now,
            Observation::RolloutGone {
                namespace: "shop".into(),
                name: "checkout-canary".into(),
            },
        ));
        assert!(!app.pods.workloads.contains_key(&key));
    }
}
