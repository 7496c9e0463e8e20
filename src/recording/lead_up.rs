//! The recorder's lead-up: the last minutes of records before an incident opens, held in
//! memory the way the recording will hold them, as compressed blocks of JSON lines.
//!
//! Kept as records, fifteen minutes of a tail at 1,000 lines a second are 900,000 log lines
//! of three strings each, well over 100 MB; compressed they are a few MB. Records go into an
//! open block; a full block is compressed and sealed. A sealed block leaves once all its
//! records are older than the lead-up, folded into the state before it; when an incident
//! opens, the lead-up is cut exactly at its start, record by record.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

use super::format::{self, Record};
use super::keyframes::StateFold;

/// Raw bytes gathered before a block is compressed.
const BLOCK_BYTES: usize = 64 << 10;

/// A sealed block: compressed JSON lines, one record a line.
struct Block {
    /// The newest record's time in the block.
    last: Timestamp,
    raw_len: u32,
    stored: Vec<u8>,
}

/// The lead-up and the state before it.
pub(super) struct LeadUp {
    span: SignedDuration,
    max_bytes: usize,
    sealed: VecDeque<Block>,
    sealed_bytes: usize,
    /// Records not sealed yet, one JSON line each.
    open: Vec<u8>,
    open_last: Option<Timestamp>,
    newest: Option<Timestamp>,
    before: StateFold,
    /// A record that cannot be kept was logged once.
    said: bool,
}

impl LeadUp {
    /// A lead-up of `span`, holding at most about `max_bytes`.
    pub(super) fn new(span: SignedDuration, max_bytes: usize) -> LeadUp {
        LeadUp {
            span,
            max_bytes,
            sealed: VecDeque::new(),
            sealed_bytes: 0,
            open: Vec::new(),
            open_last: None,
            newest: None,
            before: StateFold::new(),
            said: false,
        }
    }

    /// Bytes held, compressed and not.
    pub(super) fn bytes(&self) -> usize {
        self.sealed_bytes + self.open.len()
    }

    /// Keeps a record; blocks that fell out of the lead-up are folded into the state before it.
    pub(super) fn push(&mut self, r: &Record) {
        let json = match serde_json::to_vec(r) {
            Ok(json) => json,
            Err(e) => {
                if !std::mem::replace(&mut self.said, true) {
                    tracing::warn!("a record of the lead-up cannot be kept: {e}");
                }
                return;
            }
        };
        let at = r.at();
        self.newest = Some(self.newest.map_or(at, |n| n.max(at)));
        self.open_last = Some(self.open_last.map_or(at, |n| n.max(at)));
        self.open.extend_from_slice(&json);
        self.open.push(b'\n');
        if self.open.len() >= BLOCK_BYTES {
            self.seal();
        }
        self.trim();
    }

    fn seal(&mut self) {
        let Some(last) = self.open_last.take() else {
            return;
        };
        let raw = std::mem::take(&mut self.open);
        let mut stored = format::compress(&raw);
        // The compressor hands back a buffer as large as the worst case.
        stored.shrink_to_fit();
        self.sealed_bytes += stored.len();
        self.sealed.push_back(Block {
            last,
            raw_len: raw.len() as u32,
            stored,
        });
    }

    fn horizon(&self) -> Option<Timestamp> {
        Some(self.newest? - self.span)
    }

    fn trim(&mut self) {
        let Some(horizon) = self.horizon() else {
            return;
        };
        while let Some(front) = self.sealed.front() {
            if front.last >= horizon && self.bytes() <= self.max_bytes {
                break;
            }
            if let Some(block) = self.sealed.pop_front() {
                self.sealed_bytes -= block.stored.len();
                for r in decode(&block) {
                    self.before.apply(&r);
                }
            }
        }
    }

    /// Empties the lead-up: the state before it and its records, oldest first. Records older
    /// than the lead-up at its start (those of its first block) go into the state before it.
    pub(super) fn take(&mut self) -> (StateFold, Vec<Record>) {
        self.seal();
        let horizon = self.horizon();
        let mut records = Vec::new();
        for block in std::mem::take(&mut self.sealed) {
            records.extend(decode(&block));
        }
        self.sealed_bytes = 0;
        self.newest = None;
        let old = horizon.map_or(0, |h| records.iter().take_while(|r| r.at() < h).count());
        for r in records.drain(..old) {
            self.before.apply(&r);
        }
        (std::mem::take(&mut self.before), records)
    }
}

/// A block's records; a line that does not read back (it always should) is skipped.
fn decode(block: &Block) -> Vec<Record> {
    let raw = match format::decompress(&block.stored, block.raw_len) {
        Ok(raw) => raw,
        Err(e) => {
            tracing::warn!("a block of the lead-up does not decompress: {e}");
            return Vec::new();
        }
    };
    raw.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::{LogLine, Observation};

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + s).unwrap()
    }

    /// A second of a busy tail: 1,000 lines in ten batches.
    fn second(s: i64) -> Vec<Record> {
        (0..10)
            .map(|b| Record::Observed {
                at: t(s),
                obs: Observation::Logs(
                    (0..100)
                        .map(|i| LogLine {
                            at: t(s),
                            pod: format!("chatty-5a5a8cfb-p{:05}", i % 50),
                            container: "app".into(),
                            text: format!(
                                "INFO request {} served in {} ms",
                                s * 1000 + b * 100 + i,
                                i * 3
                            ),
                        })
                        .collect(),
                ),
            })
            .collect()
    }

    #[test]
    fn a_busy_lead_up_is_held_compressed_and_cut_exactly_at_its_start() {
        let mut lead = LeadUp::new(SignedDuration::from_secs(60), 256 << 20);
        let mut raw = 0;
        for s in 0..=180 {
            for r in second(s) {
                raw += serde_json::to_vec(&r).unwrap().len();
                lead.push(&r);
            }
        }
        // 181,000 lines: what two minutes past the span cost was folded away, and what is
        // held is a small part of what the lines are as JSON.
        assert!(lead.sealed.len() > 1, "blocks were sealed");
        assert!(
            lead.bytes() * 10 < raw * 61 / 181,
            "held {} bytes for {} raw bytes in the span",
            lead.bytes(),
            raw * 61 / 181
        );
        let (before, records) = lead.take();
        assert_eq!(records.first().map(Record::at), Some(t(120)));
        assert_eq!(records.len(), 61 * 10, "every batch of the last 61 seconds");
        assert_eq!(records[..10], second(120)[..], "read back as they were");
        let folded = before.snapshot();
        assert!(
            folded.iter().all(|r| r.at() < t(120)),
            "the state before the lead-up is older than it"
        );
        assert!(
            !folded.is_empty(),
            "the older lines' last ones are in the fold"
        );
    }

    #[test]
    fn past_its_size_the_oldest_blocks_go_first() {
        let mut lead = LeadUp::new(SignedDuration::from_hours(1), 200 << 10);
        for s in 0..600 {
            for r in second(s) {
                lead.push(&r);
            }
        }
        assert!(
            lead.bytes() <= (200 << 10) + BLOCK_BYTES,
            "{}",
            lead.bytes()
        );
        let (_, records) = lead.take();
        assert!(records.first().unwrap().at() > t(0));
        assert_eq!(records.last().map(Record::at), Some(t(599)));
    }
}
