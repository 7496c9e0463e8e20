//! The bytes of a recording: the file header, block frames and the records inside them.
//!
//! ```text
//! file   := magic "SITREPRC" · u32 format version · u32 header length N · N bytes of
//!           header JSON · u32 CRC-32 of the bytes from the version to the end of the JSON
//!           · block*
//! block  := "SRB" · kind (b'D' data, b'J' data holding an operator's entry or command,
//!           b'K' keyframe) · u32 raw length · u32 stored length · u32 record count
//!           · i64 first time (µs) · i64 last time (µs) · u32 CRC-32 of the stored bytes
//!           · u32 CRC-32 of the 36 bytes before it · stored bytes (zstd of the raw bytes)
//! raw    := (u32 length · record JSON)*
//! ```
//!
//! Integers are little-endian. Every block is checksummed twice: its frame (so a reader
//! can trust the lengths) and its contents, so a torn or flipped write damages one block
//! and never what comes before it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::{Action, ActionReport, Observation};

/// The first eight bytes of every recording.
pub const MAGIC: &[u8; 8] = b"SITREPRC";
/// The format this sitrep writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes of a block frame before its contents.
pub const BLOCK_HEADER: usize = 40;
/// A block never holds more than this many raw bytes; a frame claiming more is damage.
pub const MAX_BLOCK: u32 = 64 << 20;
/// A header never takes more than this; a file claiming more is not a recording.
pub const MAX_HEADER: u32 = 16 << 20;

/// What the file says about itself, written once at its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHeader {
    /// The format version of the blocks that follow.
    pub format: u32,
    /// The sitrep that wrote it.
    pub sitrep_version: String,
    /// When the file was created (the lead-up starts earlier).
    pub created_at: Timestamp,
    /// The incident the recording belongs to.
    pub incident: Option<IncidentInfo>,
    /// The mode banner of the cockpit that recorded (`LIVE ctx/ns`).
    pub mode: String,
    /// Where the observations came from (URLs without credentials, contexts).
    pub sources: Vec<String>,
    /// The configuration, secrets removed.
    pub config: serde_json::Value,
    /// Seconds of lead-up kept before the incident opened.
    #[serde(deserialize_with = "crate::config::limits::lead_up_seconds")]
    pub lead_up_seconds: u64,
}

/// The incident a recording is named after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentInfo {
    pub id: String,
    pub title: String,
    pub opened_at: Timestamp,
}

/// One thing that reached the cockpit, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "snake_case")]
pub enum Record {
    /// An observation from a source.
    Observed { at: Timestamp, obs: Observation },
    /// The cockpit's clock moved on.
    Tick { at: Timestamp },
    /// The operator confirmed an action.
    Command { at: Timestamp, action: Action },
    /// The dry run shown in the confirmation of an action.
    Preview {
        at: Timestamp,
        action: Action,
        result: Result<Vec<String>, String>,
    },
    /// How a confirmed action ended.
    Outcome { at: Timestamp, report: ActionReport },
    /// A journal entry made durable, as its INCIDENTS.md line (without `[DRILL]` markers).
    Journal { at: Timestamp, line: String },
    /// Something the recorder itself has to say: the lead-up began, records were dropped,
    /// the size limit was reached.
    Notice { at: Timestamp, text: String },
    /// The cockpit pointed the log tail at a workload or pod (the logs pane's title).
    Tail { at: Timestamp, tail: TailInfo },
}

/// What the live log tail was told to follow, and why, as the logs pane's title tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TailInfo {
    pub namespace: String,
    pub workload: String,
    /// One pod, or the whole workload when `None`.
    pub pod: Option<String>,
    /// The pods followed, most interesting first.
    pub pods: Vec<String>,
    /// How many pods the target had.
    pub total: usize,
    /// What came first when not every pod fit.
    pub why: Option<String>,
    /// The operator chose it (else a firing alert did).
    pub by_operator: bool,
}

impl Record {
    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Observed { at, .. }
            | Record::Tick { at }
            | Record::Command { at, .. }
            | Record::Preview { at, .. }
            | Record::Outcome { at, .. }
            | Record::Journal { at, .. }
            | Record::Notice { at, .. }
            | Record::Tail { at, .. } => *at,
        }
    }

    /// An action of the original responder: a command, or a journal entry by a person.
    pub fn is_operator_action(&self) -> bool {
        match self {
            Record::Command { .. } => true,
            Record::Journal { line, .. } => operator_entry(line).is_some(),
            _ => false,
        }
    }
}

/// The entry of a journal line when a person wrote it (not sitrep, not the heading's own).
pub fn operator_entry(line: &str) -> Option<crate::journal::Entry> {
    journal_entry(line).filter(|e| {
        e.actor != "sitrep"
            && !matches!(
                e.kind,
                crate::journal::Kind::Opened | crate::journal::Kind::Drill
            )
    })
}

/// The journal entry a [`Record::Journal`] line holds.
pub fn journal_entry(line: &str) -> Option<crate::journal::Entry> {
    crate::journal::parse_entry_line(line).ok().map(|l| l.entry)
}

/// The kinds of block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Records in the order they arrived.
    Data,
    /// Data that holds at least one action of the operator (for "next action").
    Action,
    /// A snapshot of the state so far: replaying it alone rebuilds every pane.
    Keyframe,
}

impl BlockKind {
    pub(crate) fn byte(self) -> u8 {
        match self {
            BlockKind::Data => b'D',
            BlockKind::Action => b'J',
            BlockKind::Keyframe => b'K',
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<BlockKind> {
        match b {
            b'D' => Some(BlockKind::Data),
            b'J' => Some(BlockKind::Action),
            b'K' => Some(BlockKind::Keyframe),
            _ => None,
        }
    }
}

/// A block's frame, as written before its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockFrame {
    pub kind: BlockKind,
    pub raw_len: u32,
    pub stored_len: u32,
    pub count: u32,
    pub first_us: i64,
    pub last_us: i64,
    pub crc: u32,
}

impl BlockFrame {
    /// The 40 bytes of the frame.
    pub fn encode(&self) -> [u8; BLOCK_HEADER] {
        let mut b = [0u8; BLOCK_HEADER];
        b[0..3].copy_from_slice(b"SRB");
        b[3] = self.kind.byte();
        b[4..8].copy_from_slice(&self.raw_len.to_le_bytes());
        b[8..12].copy_from_slice(&self.stored_len.to_le_bytes());
        b[12..16].copy_from_slice(&self.count.to_le_bytes());
        b[16..24].copy_from_slice(&self.first_us.to_le_bytes());
        b[24..32].copy_from_slice(&self.last_us.to_le_bytes());
        b[32..36].copy_from_slice(&self.crc.to_le_bytes());
        let own = crc32fast::hash(&b[0..36]);
        b[36..40].copy_from_slice(&own.to_le_bytes());
        b
    }

    /// Reads a frame; `Err` says what is wrong with it.
    pub fn decode(b: &[u8; BLOCK_HEADER]) -> Result<BlockFrame, &'static str> {
        if &b[0..3] != b"SRB" {
            return Err("no block starts here");
        }
        let own = u32_at(b, 36);
        if crc32fast::hash(&b[0..36]) != own {
            return Err("block frame checksum mismatch");
        }
        let kind = BlockKind::from_byte(b[3]).ok_or("unknown block kind")?;
        let frame = BlockFrame {
            kind,
            raw_len: u32_at(b, 4),
            stored_len: u32_at(b, 8),
            count: u32_at(b, 12),
            first_us: i64_at(b, 16),
            last_us: i64_at(b, 24),
            crc: u32_at(b, 32),
        };
        if frame.raw_len > MAX_BLOCK || frame.stored_len > MAX_BLOCK {
            return Err("block larger than any sitrep writes");
        }
        Ok(frame)
    }

    /// The first record's time.
    pub fn first(&self) -> Timestamp {
        from_us(self.first_us)
    }

    /// The last record's time.
    pub fn last(&self) -> Timestamp {
        from_us(self.last_us)
    }
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    i64::from_le_bytes(x)
}

/// Microseconds since the epoch.
pub fn to_us(t: Timestamp) -> i64 {
    // Sub-microsecond digits are dropped; recordings never need them.
    t.as_microsecond()
}

/// The time `us` microseconds after the epoch (clamped to jiff's range).
pub fn from_us(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// zstd's level: fast, and about half the size LZ4 gives on log lines.
const LEVEL: i32 = 3;

/// Raw bytes of records → the stored bytes of a block.
pub fn compress(raw: &[u8]) -> Vec<u8> {
    // Compressing memory to memory fails only on allocation failure.
    zstd::bulk::compress(raw, LEVEL).unwrap_or_default()
}

/// Stored bytes → raw bytes; `Err` when they do not decompress to `raw_len` bytes.
pub fn decompress(stored: &[u8], raw_len: u32) -> Result<Vec<u8>, String> {
    let raw = zstd::bulk::decompress(stored, raw_len as usize).map_err(|e| e.to_string())?;
    if raw.len() != raw_len as usize {
        return Err(format!(
            "decompressed to {} bytes, the frame says {raw_len}",
            raw.len()
        ));
    }
    Ok(raw)
}

/// Splits a block's raw bytes into records.
pub fn split_records(raw: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < raw.len() {
        if raw.len() - at < 4 {
            return Err(format!("record length cut at raw byte {at}"));
        }
        let len = u32_at(raw, at) as usize;
        at += 4;
        let Some(body) = raw.get(at..at + len) else {
            return Err(format!("record at raw byte {at} runs past the block"));
        };
        let rec: Record = serde_json::from_slice(body)
            .map_err(|e| format!("record at raw byte {at} cannot be read: {e}"))?;
        out.push(rec);
        at += len;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_catch_flips() {
        let f = BlockFrame {
            kind: BlockKind::Keyframe,
            raw_len: 10,
            stored_len: 7,
            count: 2,
            first_us: 1_795_000_000_000_000,
            last_us: 1_795_000_001_000_000,
            crc: 42,
        };
        let mut b = f.encode();
        assert_eq!(BlockFrame::decode(&b).unwrap(), f);
        b[13] ^= 0x10;
        assert_eq!(
            BlockFrame::decode(&b).unwrap_err(),
            "block frame checksum mismatch"
        );
    }

    #[test]
    fn observations_holding_lists_or_plain_values_round_trip_through_json() {
        // An internally tagged variant holding a list or a bool cannot be written as such:
        // each of these once made the recorder fail.
        use crate::cluster::{ClusterAction, HpaInfo, KubeEvent, NodeInfo};
        let at = Timestamp::from_second(1_795_000_000).unwrap();
        let event = KubeEvent {
            uid: "u1".into(),
            namespace: "shop".into(),
            kind: "Pod".into(),
            name: "web-1".into(),
            reason: "BackOff".into(),
            note: "back-off restarting".into(),
            warning: true,
            count: 3,
            first: at,
            last: at,
            source: "kubelet".into(),
        };
        let hpa = HpaInfo {
            namespace: "shop".into(),
            name: "web".into(),
            target_kind: "Deployment".into(),
            target: "web".into(),
            min: 2,
            max: 6,
            current: 2,
            desired: 3,
            problem: None,
            last_scale: None,
        };
        let recs = vec![
            Record::Observed {
                at,
                obs: Observation::KubeEvents(vec![event]),
            },
            Record::Observed {
                at,
                obs: Observation::KubeEventsGone(vec!["u0".into()]),
            },
            Record::Observed {
                at,
                obs: Observation::Nodes(vec![NodeInfo {
                    name: "node-1".into(),
                    ..NodeInfo::default()
                }]),
            },
            Record::Observed {
                at,
                obs: Observation::Hpas(vec![hpa]),
            },
            Record::Observed {
                at,
                obs: Observation::Logs(Vec::new()),
            },
            Record::Observed {
                at,
                obs: Observation::LogGaps(Vec::new()),
            },
            Record::Observed {
                at,
                obs: Observation::LogsDropped(7),
            },
            Record::Observed {
                at,
                obs: Observation::Silences(Vec::new()),
            },
            Record::Observed {
                at,
                obs: Observation::GpuList(Vec::new()),
            },
            Record::Observed {
                at,
                obs: Observation::ClockPaused(true),
            },
            Record::Command {
                at,
                action: Action::Cluster(ClusterAction::Drain {
                    node: "node-1".into(),
                }),
            },
        ];
        for r in &recs {
            let j = serde_json::to_vec(r).unwrap();
            let back: Record = serde_json::from_slice(&j).unwrap();
            assert_eq!(&back, r);
        }
    }

    #[test]
    fn records_round_trip_through_json() {
        let at = Timestamp::from_second(1_795_000_000).unwrap();
        let recs = vec![
            Record::Tick { at },
            Record::Observed {
                at,
                obs: Observation::Signal {
                    name: "5xx".into(),
                    value: Some(0.04),
                },
            },
            Record::Preview {
                at,
                action: Action::Restart {
                    deployment: "web".into(),
                    place: crate::event::Place::new("prod", "shop"),
                },
                result: Err("forbidden".into()),
            },
        ];
        let mut raw = Vec::new();
        for r in &recs {
            let j = serde_json::to_vec(r).unwrap();
            raw.extend_from_slice(&(j.len() as u32).to_le_bytes());
            raw.extend_from_slice(&j);
        }
        let stored = compress(&raw);
        let back = split_records(&decompress(&stored, raw.len() as u32).unwrap()).unwrap();
        assert_eq!(back, recs);
    }
}
