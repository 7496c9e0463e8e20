//! The timeline pane's state: the incident's entries as the journal confirmed them (a ring
//! buffer: the file keeps everything, memory keeps the newest), the kind shown, the selection.

use std::collections::VecDeque;
use std::ops::Deref;

use crate::command::TimelineFilter;
use crate::journal::{Entry, Kind};

/// Most timeline entries kept in memory; the journal file keeps them all.
pub const TIMELINE_CAP: usize = 10_000;

/// The timeline's entries, which kind it shows, and the selected entry.
#[derive(Debug, Clone, Default)]
pub struct TimelinePane {
    pub entries: VecDeque<Entry>,
    /// Among the shown entries; `None` follows the newest.
    pub selected: Option<usize>,
    /// Only entries of this kind are shown.
    pub filter: Option<Kind>,
}

/// The pane reads as its entries: `app.timeline.iter()`, `app.timeline.len()`.
impl Deref for TimelinePane {
    type Target = VecDeque<Entry>;
    fn deref(&self) -> &VecDeque<Entry> {
        &self.entries
    }
}

impl TimelinePane {
    /// Appends an entry, dropping the oldest when full.
    pub fn push(&mut self, entry: Entry) {
        if self.entries.len() == TIMELINE_CAP {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Starts again from `entries`, keeping the newest that fit.
    pub fn replace(&mut self, entries: &[Entry]) {
        let skip = entries.len().saturating_sub(TIMELINE_CAP);
        self.entries = entries[skip..].iter().cloned().collect();
        self.selected = None;
    }

    /// The entries the filter lets through, oldest first.
    pub fn shown(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| self.filter.is_none_or(|k| e.kind == k))
    }

    /// `timeline all|next|<kind>`; `next` cycles through the kinds present, then back to all.
    pub fn set_filter(&mut self, which: TimelineFilter) {
        self.filter = match which {
            TimelineFilter::All => None,
            TimelineFilter::Only(k) => Some(k),
            TimelineFilter::Next => {
                let mut kinds: Vec<Kind> = self.entries.iter().map(|e| e.kind).collect();
                kinds.sort();
                kinds.dedup();
                match self.filter.and_then(|k| kinds.iter().position(|x| *x == k)) {
                    Some(i) => kinds.get(i + 1).copied(),
                    None => kinds.first().copied(),
                }
            }
        };
        self.selected = None;
    }

    /// Moves the selection by `delta` among the shown entries, from the newest if none.
    pub fn select_by(&mut self, delta: isize) {
        let len = self.shown().count();
        let cur = self.selected.unwrap_or(len.saturating_sub(1));
        self.selected = Some(super::step(cur, len, delta));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_entries() {
        let mut t = TimelinePane::default();
        let at = jiff::Timestamp::UNIX_EPOCH;
        for i in 0..TIMELINE_CAP + 5 {
            t.push(Entry {
                at,
                actor: "a".into(),
                kind: Kind::Note,
                text: i.to_string(),
                outcome: None,
            });
        }
        assert_eq!(t.len(), TIMELINE_CAP);
        assert_eq!(t.front().map(|e| e.text.as_str()), Some("5"));
        assert_eq!(
            t.back().map(|e| e.text.clone()),
            Some((TIMELINE_CAP + 4).to_string())
        );
    }
}
