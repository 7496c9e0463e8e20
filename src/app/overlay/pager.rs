//! Scrolling overlays: help and a command's output. The quit question lives in the
//! dispatcher: it has one action.

use crate::command::overlay::OverlayAction;

/// The scroll position after a key, or `None` when the key closes the pager.
pub(super) fn scroll(scroll: u16, bound: Option<OverlayAction>) -> Option<u16> {
    Some(match bound {
        Some(OverlayAction::Close) => return None,
        Some(OverlayAction::Down) => scroll.saturating_add(1),
        Some(OverlayAction::Up) => scroll.saturating_sub(1),
        Some(OverlayAction::PageDown) => scroll.saturating_add(10),
        Some(OverlayAction::PageUp) => scroll.saturating_sub(10),
        _ => scroll,
    })
}
