//! The log pane's bounded ring buffer, filter and scroll position; reading a single line
//! (its level, a repeated timestamp, terminal safety) is in `reading.rs`.

mod reading;

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;
use regex::Regex;

use crate::event::LogLine;

pub use reading::{LogLevel, leading_stamp, level_of, sanitize};

/// Lines at one instant a new line is compared with for a repeat, at most.
const SAME_INSTANT_SCAN: usize = 64;

/// A log line as kept: text made safe for the terminal, level read once.
#[derive(Debug, Clone)]
pub struct StoredLine {
    pub seq: u64,
    pub at: Timestamp,
    pub pod: String,
    pub container: String,
    pub text: String,
    pub level: LogLevel,
    /// Colour slot of the pod, stable for the pod's lifetime.
    pub pod_slot: usize,
    /// Whether the active filter keeps this line.
    pub kept: bool,
    /// Bytes at the start of `text` that repeat the API timestamp (hidden unless raw).
    pub stamp: usize,
    /// A gap marker the tail inserted, not a line the container wrote.
    pub marker: bool,
}

impl StoredLine {
    /// The text to show: without its own leading timestamp when that says what `at` says.
    pub fn shown(&self, raw: bool) -> &str {
        if raw {
            &self.text
        } else {
            self.text.get(self.stamp..).unwrap_or(&self.text)
        }
    }
}

/// An include or exclude regex over log text.
#[derive(Debug, Clone)]
pub struct LogFilter {
    pub source: String,
    pub regex: Regex,
    pub exclude: bool,
}

impl LogFilter {
    /// Parses `regex` or `!regex`.
    pub fn parse(text: &str) -> Result<LogFilter, String> {
        let (exclude, pattern) = match text.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, text),
        };
        let regex =
            Regex::new(pattern).map_err(|e| format!("bad filter regex `{pattern}`: {e}"))?;
        Ok(LogFilter {
            source: text.to_string(),
            regex,
            exclude,
        })
    }

    /// Whether the filter keeps a line. Gap markers stay: they say where evidence is missing.
    pub fn keeps(&self, line: &StoredLine) -> bool {
        line.marker || self.regex.is_match(&line.text) != self.exclude
    }
}

/// A bounded, filterable log tail: memory stays flat however long the incident lasts.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<StoredLine>,
    capacity: usize,
    next_seq: u64,
    /// Lines pushed out of the ring to make room.
    pub evicted: u64,
    /// Lines a source could not deliver (back-pressure), as reported to us.
    pub dropped: u64,
    filter: Option<LogFilter>,
    /// Sequence numbers of the lines the filter keeps, oldest first.
    matches: VecDeque<u64>,
    /// Follow the tail; when false, `scroll` lines up from the bottom stay put.
    pub follow: bool,
    /// Rows from the bottom of the (filtered) view.
    pub scroll: usize,
    /// Lines shown around each filter match, like `grep -C`.
    pub context: usize,
    pub wrap: bool,
    /// Show lines as written, with their own leading timestamps.
    pub raw: bool,
    pod_slots: BTreeMap<String, usize>,
    /// The farthest a late line has been inserted from the end, so lookups by sequence
    /// number know how far a line may sit from its slot.
    max_shift: usize,
}

impl LogBuffer {
    /// An empty buffer keeping at most `capacity` lines.
    pub fn new(capacity: usize) -> Self {
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            next_seq: 0,
            evicted: 0,
            dropped: 0,
            filter: None,
            matches: VecDeque::new(),
            follow: true,
            scroll: 0,
            context: 0,
            wrap: false,
            raw: false,
            pod_slots: BTreeMap::new(),
            max_shift: 0,
        }
    }

    /// Adds a line, evicting the oldest when full.
    pub fn push(&mut self, line: LogLine) {
        self.insert(line, false);
    }

    /// Adds a gap marker at `at`, in timestamp order with the lines around it.
    pub fn push_marker(&mut self, at: Timestamp, pod: &str, container: &str, text: &str) {
        let line = LogLine {
            at,
            pod: pod.to_string(),
            container: container.to_string(),
            text: text.to_string(),
        };
        self.insert(line, true);
    }

    /// A line as kept, without its place: text capped and made safe, level and colour slot
    /// read.
    fn stored(&mut self, mut line: LogLine, marker: bool) -> StoredLine {
        // Every source's lines pass here (kube tails, Loki, drills, replays): none is kept longer.
        crate::text::cap_in_place(&mut line.text, crate::text::MAX_LOG_LINE);
        let next_slot = self.pod_slots.len();
        let pod_slot = *self.pod_slots.entry(line.pod.clone()).or_insert(next_slot);
        if self.pod_slots.len() > 4096 {
            // Pods come and go for days; forget colours rather than grow without bound.
            self.pod_slots.clear();
        }
        let text = sanitize(&line.text);
        let stamp = if marker {
            0
        } else {
            leading_stamp(&text, line.at)
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        StoredLine {
            kept: false,
            seq,
            at: line.at,
            level: if marker {
                LogLevel::Warn
            } else {
                level_of(&text[stamp..])
            },
            stamp,
            marker,
            pod: line.pod,
            container: line.container,
            text,
            pod_slot,
        }
    }

    fn insert(&mut self, line: LogLine, marker: bool) {
        // A line no newer than the newest held may be one shown already: a tail that starts
        // a little before its history ends, or the other backend's copy when Loki and the pod
        // tail hand over (either way round). The same instant, pod and text is not shown
        // twice. Lines in order cost one comparison; the same-instant scan is bounded.
        if !marker
            && self.lines.back().is_some_and(|newest| line.at <= newest.at)
            && self
                .lines
                .iter()
                .rev()
                .skip_while(|l| l.at > line.at)
                .take_while(|l| l.at == line.at)
                .take(SAME_INSTANT_SCAN)
                .any(|l| !l.marker && l.pod == line.pod && l.text == sanitize(&line.text))
        {
            return;
        }
        if self.lines.len() == self.capacity
            && let Some(old) = self.lines.pop_front()
        {
            self.evicted += 1;
            if self.matches.front() == Some(&old.seq) {
                self.matches.pop_front();
            }
        }
        let mut stored = self.stored(line, marker);
        if let Some(f) = &self.filter
            && f.keeps(&stored)
        {
            stored.kept = true;
            self.matches.push_back(stored.seq);
            if !self.follow {
                self.scroll += 1;
            }
        } else if self.filter.is_none() && !self.follow {
            self.scroll += 1;
        }
        // Keep timestamp order across pods: sources deliver in order per container, so a late
        // line sinks only past the few lines that came after it.
        let pos = self
            .lines
            .iter()
            .rev()
            .take_while(|l| l.at > stored.at)
            .count();
        if pos == 0 {
            self.lines.push_back(stored);
        } else {
            let at = self.lines.len() - pos;
            self.max_shift = self.max_shift.max(pos);
            let kept = stored.kept;
            let seq = stored.seq;
            self.lines.insert(at, stored);
            if kept {
                // Matches are in view order: the new one goes before the kept lines after it.
                let later = self.lines.range(at + 1..).filter(|l| l.kept).count();
                self.matches.pop_back();
                self.matches.insert(self.matches.len() - later, seq);
            }
        }
    }

    /// Merges a page of history (oldest first) with the lines held, in timestamp order,
    /// exact repeats skipped; a view scrolled up keeps its rows from the bottom, so older
    /// lines come in above it. One sort for the page,
    /// not one walk per line: 5,000 older lines cost what sorting them costs.
    pub fn merge_history(&mut self, lines: Vec<LogLine>) {
        let mut fresh: Vec<StoredLine> = lines.into_iter().map(|l| self.stored(l, false)).collect();
        fresh.sort_by_key(|l| l.at);
        let old: Vec<StoredLine> = std::mem::take(&mut self.lines).into();
        let mut merged: Vec<StoredLine> = Vec::with_capacity(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        loop {
            let take_old = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.at <= y.at,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let next = if take_old { a.next() } else { b.next() };
            let Some(next) = next else { break };
            let repeat = !take_old
                && merged
                    .iter()
                    .rev()
                    .take_while(|l| l.at == next.at)
                    .chain(a.peek().filter(|l| l.at == next.at))
                    .any(|l| !l.marker && l.pod == next.pod && l.text == next.text);
            if !repeat {
                merged.push(next);
            }
        }
        if merged.len() > self.capacity {
            let extra = merged.len() - self.capacity;
            merged.drain(..extra);
            self.evicted += extra as u64;
        }
        for (i, l) in merged.iter_mut().enumerate() {
            l.seq = i as u64;
        }
        self.next_seq = merged.len() as u64;
        self.max_shift = 0;
        self.lines = merged.into();
        self.rebuild_matches();
    }

    /// The row (in the filtered view) of the first line at or after `at`.
    pub fn row_at(&self, at: Timestamp) -> Option<usize> {
        (0..self.visible_len()).find(|i| self.visible(*i).is_some_and(|l| l.at >= at))
    }

    /// Scrolls so the first line at or after `at` is near the bottom, with `after` lines
    /// below it; stops following.
    pub fn show_time(&mut self, at: Timestamp, after: usize) -> bool {
        let Some(row) = self.row_at(at) else {
            return false;
        };
        let len = self.visible_len();
        self.scroll = len.saturating_sub(row + 1 + after);
        self.follow = self.scroll == 0;
        true
    }

    /// The oldest line held.
    pub fn oldest(&self) -> Option<Timestamp> {
        self.lines.iter().find(|l| !l.marker).map(|l| l.at)
    }

    /// Sets or clears the filter.
    pub fn set_filter(&mut self, filter: Option<LogFilter>) {
        self.filter = filter;
        self.scroll = 0;
        self.rebuild_matches();
    }

    /// The active filter's text.
    pub fn filter(&self) -> Option<&LogFilter> {
        self.filter.as_ref()
    }

    fn rebuild_matches(&mut self) {
        self.matches.clear();
        for l in &mut self.lines {
            l.kept = self.filter.as_ref().is_some_and(|f| f.keeps(l));
            if l.kept {
                self.matches.push_back(l.seq);
            }
        }
    }

    /// Number of lines in view (after the filter).
    pub fn visible_len(&self) -> usize {
        if self.filter.is_some() {
            self.matches.len()
        } else {
            self.lines.len()
        }
    }

    /// Lines stored in the ring.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn by_seq(&self, seq: u64) -> Option<&StoredLine> {
        let first = self.lines.front()?.seq;
        // Out-of-order inserts shift a line by at most `max_shift` places; look near its slot.
        let guess = seq.saturating_sub(first) as usize;
        let reach = self.max_shift + 64;
        let lo = guess.saturating_sub(reach);
        let hi = (guess + reach).min(self.lines.len());
        self.lines.range(lo..hi).find(|l| l.seq == seq)
    }

    /// The visible line at `index` of the filtered view, oldest first.
    pub fn visible(&self, index: usize) -> Option<&StoredLine> {
        if self.filter.is_some() {
            self.by_seq(*self.matches.get(index)?)
        } else {
            self.lines.get(index)
        }
    }

    /// Where a line sits in the ring.
    fn position_of(&self, seq: u64) -> Option<usize> {
        let first = self.lines.front()?.seq;
        let guess = seq.saturating_sub(first) as usize;
        let reach = self.max_shift + 64;
        let lo = guess.saturating_sub(reach);
        let hi = (guess + reach).min(self.lines.len());
        (lo..hi).find(|i| self.lines[*i].seq == seq)
    }

    /// The window of `height` visible lines that ends `scroll` lines above the bottom.
    pub fn window(&self, height: usize) -> Vec<&StoredLine> {
        if self.filter.is_some() && self.context > 0 {
            return self.window_with_context(height);
        }
        let len = self.visible_len();
        let end = len.saturating_sub(self.scroll.min(len));
        let start = end.saturating_sub(height);
        (start..end).filter_map(|i| self.visible(i)).collect()
    }

    /// Matches with `context` lines around each, newest last; `scroll` counts matches.
    fn window_with_context(&self, height: usize) -> Vec<&StoredLine> {
        let mut shown = std::collections::BTreeSet::new();
        let end = self.matches.len().saturating_sub(self.scroll);
        for seq in self.matches.range(..end).rev() {
            let Some(pos) = self.position_of(*seq) else {
                continue;
            };
            let lo = pos.saturating_sub(self.context);
            let hi = (pos + self.context).min(self.lines.len().saturating_sub(1));
            shown.extend(lo..=hi);
            if shown.len() >= height {
                break;
            }
        }
        let skip = shown.len().saturating_sub(height);
        shown
            .into_iter()
            .skip(skip)
            .filter_map(|i| self.lines.get(i))
            .collect()
    }

    /// Scrolls up (positive) or down (negative); reaching the bottom resumes following.
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.visible_len();
        let s = (self.scroll as isize + delta).clamp(0, max as isize) as usize;
        self.scroll = s;
        self.follow = s == 0;
    }

    /// Moves the view so that the next error line below the current bottom is at the bottom.
    pub fn jump_to_next_error(&mut self) -> bool {
        let len = self.visible_len();
        let bottom = len.saturating_sub(self.scroll);
        // Search below the current bottom first, then wrap to the oldest line.
        let order = (bottom..len).chain(0..bottom.min(len));
        for i in order {
            if self.visible(i).is_some_and(|l| l.level == LogLevel::Error) {
                self.scroll = len - (i + 1);
                self.follow = self.scroll == 0;
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn line(sec: i64, pod: &str, text: &str) -> LogLine {
        LogLine {
            at: Timestamp::from_second(1_700_000_000 + sec).unwrap(),
            pod: pod.into(),
            container: "main".into(),
            text: text.into(),
        }
    }

    #[test]
    fn ring_stays_bounded_and_counts_evictions() {
        let mut b = LogBuffer::new(100);
        for i in 0..1000 {
            b.push(line(i, "p", "INFO ok"));
        }
        assert_eq!(b.len(), 100);
        assert_eq!(b.evicted, 900);
        assert_eq!(b.window(3).last().unwrap().seq, 999);
    }

    #[test]
    fn merges_late_lines_in_timestamp_order() {
        let mut b = LogBuffer::new(10);
        b.push(line(1, "a", "one"));
        b.push(line(3, "a", "three"));
        b.push(line(2, "b", "two"));
        let texts: Vec<&str> = b.window(10).iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "two", "three"]);
    }

    #[test]
    fn filter_includes_excludes_and_follows_new_lines() {
        let mut b = LogBuffer::new(100);
        b.push(line(1, "a", "ERROR boom"));
        b.push(line(2, "a", "INFO fine"));
        b.set_filter(Some(LogFilter::parse("boom|bang").unwrap()));
        assert_eq!(b.visible_len(), 1);
        b.push(line(3, "a", "ERROR bang"));
        assert_eq!(b.visible_len(), 2);
        b.set_filter(Some(LogFilter::parse("!ERROR").unwrap()));
        assert_eq!(
            b.window(10)
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>(),
            ["INFO fine"]
        );
        assert!(LogFilter::parse("(").is_err());
    }

    #[test]
    fn late_lines_far_back_stay_visible_through_a_filter() {
        let mut b = LogBuffer::new(10_000);
        b.set_filter(Some(LogFilter::parse("ERROR").unwrap()));
        // 30 pods hand over 40 lines each in turn: pod p's line n is at n*30 + p.
        for p in 0..30 {
            for n in 0..40 {
                let text = if n % 3 == 0 { "ERROR x" } else { "INFO y" };
                b.push(line(n * 30 + p, &format!("pod{p}"), text));
            }
        }
        let shown: Vec<Timestamp> = b.window(10_000).iter().map(|l| l.at).collect();
        assert_eq!(shown.len(), 30 * 14);
        assert!(shown.windows(2).all(|w| w[0] <= w[1]), "in timestamp order");
        assert!(b.window(10_000).iter().all(|l| l.text == "ERROR x"));
    }

    #[test]
    fn context_shows_lines_around_each_match() {
        let mut b = LogBuffer::new(100);
        for i in 0..20 {
            b.push(line(
                i,
                "a",
                if i == 5 || i == 15 {
                    "ERROR x"
                } else {
                    "INFO y"
                },
            ));
        }
        b.set_filter(Some(LogFilter::parse("ERROR").unwrap()));
        b.context = 2;
        let seqs: Vec<u64> = b.window(50).iter().map(|l| l.seq).collect();
        assert_eq!(seqs, [3, 4, 5, 6, 7, 13, 14, 15, 16, 17]);
        let last: Vec<u64> = b.window(3).iter().map(|l| l.seq).collect();
        assert_eq!(last, [15, 16, 17]);
    }

    #[test]
    fn a_stored_line_is_shown_without_its_repeated_timestamp() {
        let at: Timestamp = "2026-11-22T18:57:02.512Z".parse().unwrap();
        let mut b = LogBuffer::new(10);
        b.push(LogLine {
            at,
            pod: "p".into(),
            container: "c".into(),
            text: "2026-11-22T18:57:02.512Z ERROR boom".into(),
        });
        let l = b.window(1)[0];
        assert_eq!(l.shown(false), "ERROR boom");
        assert_eq!(l.shown(true), "2026-11-22T18:57:02.512Z ERROR boom");
        assert_eq!(l.level, LogLevel::Error);
    }

    #[test]
    fn gap_markers_sit_in_time_order_and_survive_filters() {
        let mut b = LogBuffer::new(10);
        b.push(line(1, "a", "INFO one"));
        b.push(line(5, "a", "INFO five"));
        b.push_marker(
            line(3, "a", "").at,
            "a",
            "main",
            "a: no logs 00:00:03–00:00:04, reconnected",
        );
        let texts: Vec<&str> = b.window(10).iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[1], "a: no logs 00:00:03–00:00:04, reconnected");
        b.set_filter(Some(LogFilter::parse("five").unwrap()));
        assert_eq!(b.visible_len(), 2);
        assert!(b.window(10)[0].marker);
    }

    #[test]
    fn jumps_to_errors_and_scrolling_stops_following() {
        let mut b = LogBuffer::new(100);
        for i in 0..10 {
            b.push(line(i, "a", if i == 3 { "ERROR x" } else { "INFO y" }));
        }
        assert!(b.jump_to_next_error());
        assert_eq!(b.window(1)[0].text, "ERROR x");
        assert!(!b.follow);
        b.push(line(11, "a", "INFO z"));
        assert_eq!(
            b.window(1)[0].text,
            "ERROR x",
            "the view stays put while not following"
        );
        b.scroll_by(-100);
        assert!(b.follow);
    }
}
