//! What differs between live, drill and replay, handed to the cockpit when it is built.
//! `App` asks these, never the mode: a new mode is a new [`Capabilities`] value.

/// Which world the cockpit is plugged into; it names the banner and builds the
/// [`Capabilities`] the mode starts with.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// A real cluster and monitoring stack.
    Live { context: String, namespace: String },
    /// A scripted incident on a simulated cluster.
    Drill { name: String, speed: f64 },
    /// A recorded incident played back.
    Replay { file: String, speed: f64 },
}

impl Mode {
    /// The banner text: `LIVE ctx/ns`, `DRILL name ×10`, `REPLAY file ×2`.
    pub fn banner(&self) -> String {
        match self {
            Mode::Live { context, namespace } => format!("LIVE {context}/{namespace}"),
            Mode::Drill { name, speed } => format!("DRILL {name} ×{}", fmt_speed(*speed)),
            Mode::Replay { file, speed } => format!("REPLAY {file} ×{}", fmt_speed(*speed)),
        }
    }
}

fn fmt_speed(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

/// What the confirmation says about where a change lands, when that is not the real world.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Under a cluster action or kill switch.
    pub cluster: Option<String>,
    /// Under a silence.
    pub silences: Option<String>,
    /// Under a shell command.
    pub shell: Option<String>,
}

/// Everything the cockpit may do differently in one mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// The banner: `LIVE ctx/ns`, `DRILL name ×10`.
    pub banner: String,
    /// The theme colour behind the banner.
    pub banner_role: &'static str,
    /// The confirmation's placeholder while the executor's dry run is asked for; `None`
    /// when this mode's executor answers no previews.
    pub preview_pending: Option<String>,
    /// Whether world-changing commands can run at all (a read-only replay says no).
    pub can_change_world: bool,
    /// Whether the clock can be paused (a simulated clock can, the wall clock cannot).
    pub pausable_clock: bool,
    /// Whether the journal is a drill journal: `[DRILL]` headings and lines, status updates
    /// marked, and the incident ends when the cockpit quits.
    pub drill_journal: bool,
    /// Whether a log tailer takes orders, so selecting a pod retargets the logs pane.
    pub log_tailer: bool,
    /// Whether a log store answers history: scrolling past the top asks for older lines,
    /// `logs-at` asks for a moment, and the `/` filter is offered to it.
    pub log_history: bool,
    /// What confirmations add about where changes land.
    pub notes: Notes,
    /// Whether a replay engine takes transport commands (pause, seek, speed).
    pub replay_transport: bool,
    /// The cluster actions land in: the kubeconfig context live, [`SANDBOX_CONTEXT`] for the
    /// simulated one. Every action names it, and an executor refuses any other.
    pub context: String,
}

/// The context of the simulated cluster of drills and replays.
pub const SANDBOX_CONTEXT: &str = "sandbox";

/// The live placeholder until the API server's dry run answers.
pub const SERVER_DRY_RUN_PENDING: &str = "Server dry run (dryRun=All): asking the API server…";
/// The simulated world's placeholder until the sandbox's dry run answers.
pub const SANDBOX_DRY_RUN_PENDING: &str = "Sandbox dry run (simulated cluster): asking…";

impl Capabilities {
    /// A live cockpit on a real cluster and monitoring stack.
    pub fn live(context: &str, namespace: &str) -> Capabilities {
        Capabilities {
            banner: Mode::Live {
                context: context.into(),
                namespace: namespace.into(),
            }
            .banner(),
            banner_role: "banner_live",
            preview_pending: Some(SERVER_DRY_RUN_PENDING.into()),
            can_change_world: true,
            pausable_clock: false,
            drill_journal: false,
            log_tailer: true,
            log_history: false,
            notes: Notes::default(),
            replay_transport: false,
            context: context.into(),
        }
    }

    /// A drill on the simulated world: the sandbox answers previews and actions.
    pub fn drill(name: &str, speed: f64) -> Capabilities {
        Capabilities {
            banner: Mode::Drill {
                name: name.into(),
                speed,
            }
            .banner(),
            banner_role: "banner_drill",
            preview_pending: Some(SANDBOX_DRY_RUN_PENDING.into()),
            can_change_world: true,
            pausable_clock: true,
            drill_journal: true,
            // The drill engine sends every pod's lines; there is no tailer to retarget.
            log_tailer: false,
            log_history: false,
            notes: Notes {
                cluster: Some("Only the simulated cluster changes.".into()),
                silences: Some("Only the simulated Alertmanager changes.".into()),
                shell: Some("In a drill the command is echoed to the timeline, never run.".into()),
            },
            replay_transport: false,
            context: SANDBOX_CONTEXT.into(),
        }
    }

    /// A recording played back: like a drill, on a world built from the recording.
    pub fn replay(file: &str, speed: f64) -> Capabilities {
        Capabilities {
            banner: Mode::Replay {
                file: file.into(),
                speed,
            }
            .banner(),
            replay_transport: true,
            notes: Notes {
                cluster: Some(
                    "A replay changes nothing: the recording plays on as it happened.".into(),
                ),
                silences: Some(
                    "A replay changes nothing: the recording plays on as it happened.".into(),
                ),
                shell: Some("In a replay the command is echoed to the timeline, never run.".into()),
            },
            ..Capabilities::drill("", speed)
        }
    }
}

impl From<Mode> for Capabilities {
    fn from(mode: Mode) -> Capabilities {
        match mode {
            Mode::Live { context, namespace } => Capabilities::live(&context, &namespace),
            Mode::Drill { name, speed } => Capabilities::drill(&name, speed),
            Mode::Replay { file, speed } => Capabilities::replay(&file, speed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_builds_its_capabilities_and_banner() {
        let live = Capabilities::from(Mode::Live {
            context: "prod".into(),
            namespace: "shop".into(),
        });
        assert_eq!(live.banner, "LIVE prod/shop");
        assert!(!live.drill_journal && !live.pausable_clock && live.log_tailer);
        let drill = Capabilities::from(Mode::Drill {
            name: "x".into(),
            speed: 2.5,
        });
        assert_eq!(drill.banner, "DRILL x ×2.5");
        assert!(drill.drill_journal && drill.pausable_clock && drill.preview_pending.is_some());
        let replay = Capabilities::replay("inc.rec", 2.0);
        assert_eq!(replay.banner, "REPLAY inc.rec ×2");
        assert!(replay.drill_journal && replay.replay_transport);
        assert!(!drill.replay_transport && !live.replay_transport);
    }
}
