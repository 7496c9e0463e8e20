//! The transport line of a replay: play state, speed, the original incident's clock and
//! how far into the recording it is.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::app::App;
use crate::ui::format;

/// Width of the progress bar.
const BAR: usize = 12;

/// The line, when the cockpit is replaying.
pub fn line(app: &App) -> Option<Line<'static>> {
    let t = app.replay.transport.as_ref()?;
    let theme = &app.theme;
    let state = if t.finished {
        "■ end"
    } else if t.paused {
        "⏸ paused"
    } else {
        "▶ playing"
    };
    let total = t.end.duration_since(t.start);
    let done = t.position.duration_since(t.start);
    let frac = if total.is_zero() {
        1.0
    } else {
        (done.as_secs_f64() / total.as_secs_f64()).clamp(0.0, 1.0)
    };
    let filled = (frac * BAR as f64).round() as usize;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled));
    let speed = if t.speed >= 1.0 {
        format!("×{}", t.speed)
    } else {
        format!("×1/{}", (1.0 / t.speed).round())
    };
    Some(Line::from(vec![
        Span::styled(
            format!(" {state} "),
            theme.fg("accent").add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("{speed} "), theme.fg("text")),
        Span::styled("original ", theme.fg("muted")),
        Span::styled(
            format!("{} UTC ", t.position.strftime("%Y-%m-%d %H:%M:%S")),
            theme.fg("text").add_modifier(Modifier::BOLD),
        ),
        Span::styled(bar, theme.fg("info")),
        Span::styled(
            format!(" {} / {} ", format::clock(done), format::clock(total)),
            theme.fg("muted"),
        ),
    ]))
}
