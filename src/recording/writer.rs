//! Writing a recording: records gather in a block, a block goes to disk whole (frame and
//! contents in one write), and a keyframe follows every so often.
//!
//! A block is written when it holds [`WriterOptions::block_bytes`] or has been open for
//! [`WriterOptions::block_age`], so a `kill -9` loses at most that last moment, and the file
//! always reads back to its last complete block. The file is fsynced every
//! [`WriterOptions::sync_every`] and when the writer finishes, for power cuts.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use super::format::{self, BlockFrame, BlockKind, FileHeader, MAGIC, Record};
use super::keyframes::StateFold;
use super::redact::Redactor;

/// How a writer batches, indexes and bounds a recording.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Raw bytes gathered before a block is written.
    pub block_bytes: usize,
    /// Longest a block stays open before it is written, however small.
    pub block_age: Duration,
    /// Recorded time between keyframes.
    pub keyframe_every: SignedDuration,
    /// Longest time between fsyncs.
    pub sync_every: Duration,
    /// Largest the file may grow; past it nothing more is recorded and a notice says so.
    pub max_bytes: u64,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            block_bytes: 64 << 10,
            block_age: Duration::from_secs(1),
            keyframe_every: SignedDuration::from_mins(1),
            sync_every: Duration::from_secs(5),
            max_bytes: 4 << 30,
        }
    }
}

/// What became of a record handed to [`Writer::append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// It is in the recording (or in the block about to be written).
    Kept,
    /// The size limit was reached just now; this record and all after it are not kept.
    LimitReached,
    /// The limit was reached earlier.
    Dropped,
}

/// An open recording being written.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    file: File,
    opts: WriterOptions,
    redactor: Redactor,
    raw: Vec<u8>,
    count: u32,
    first_us: i64,
    last_us: i64,
    has_action: bool,
    opened: Instant,
    fold: StateFold,
    last_keyframe: Option<Timestamp>,
    written: u64,
    full: bool,
    last_sync: Instant,
    records: u64,
}

impl Writer {
    /// Creates the recording at `path` (never overwriting one) and writes its header and,
    /// when `fold` holds anything, a first keyframe of the state before the first record.
    pub fn create(
        path: &Path,
        header: &FileHeader,
        fold: StateFold,
        redactor: Redactor,
        opts: WriterOptions,
    ) -> io::Result<Writer> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = File::options().write(true).create_new(true).open(path)?;
        let json = redactor.scrub(serde_json::to_vec(header).map_err(io::Error::other)?);
        let mut head = Vec::with_capacity(json.len() + 20);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&header.format.to_le_bytes());
        head.extend_from_slice(&(json.len() as u32).to_le_bytes());
        head.extend_from_slice(&json);
        let crc = crc32fast::hash(&head[8..]);
        head.extend_from_slice(&crc.to_le_bytes());
        file.write_all(&head)?;
        file.sync_all()?;
        let mut w = Writer {
            path: path.to_path_buf(),
            file,
            opts,
            redactor,
            raw: Vec::new(),
            count: 0,
            first_us: 0,
            last_us: 0,
            has_action: false,
            opened: Instant::now(),
            fold,
            last_keyframe: None,
            written: head.len() as u64,
            full: false,
            last_sync: Instant::now(),
            records: 0,
        };
        if let Some(now) = w.fold.now() {
            w.write_keyframe(now)?;
        }
        Ok(w)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.written
    }

    /// Records kept so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Whether the size limit has been reached.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Adds a record; it reaches the disk with its block.
    pub fn append(&mut self, rec: &Record) -> io::Result<Appended> {
        if self.full {
            return Ok(Appended::Dropped);
        }
        let at = rec.at();
        let due = self
            .last_keyframe
            .is_none_or(|k| at.duration_since(k) >= self.opts.keyframe_every);
        if due && matches!(rec, Record::Observed { .. } | Record::Tick { .. }) {
            self.flush()?;
            if let Some(now) = self.fold.now() {
                self.write_keyframe(now)?;
            } else {
                self.last_keyframe = Some(at);
            }
            if self.full {
                return Ok(Appended::LimitReached);
            }
        }
        let json = self.encode(rec)?;
        self.push(&json, at, rec.is_operator_action());
        self.fold.apply(rec);
        self.records += 1;
        if self.raw.len() >= self.opts.block_bytes {
            self.flush()?;
            if self.full {
                return Ok(Appended::LimitReached);
            }
        }
        Ok(Appended::Kept)
    }

    /// Writes the open block if it is old enough, and fsyncs when one is due; call it
    /// now and then when records are few.
    pub fn tick(&mut self) -> io::Result<bool> {
        let was_full = self.full;
        if self.count > 0 && self.opened.elapsed() >= self.opts.block_age {
            self.flush()?;
        }
        if self.last_sync.elapsed() >= self.opts.sync_every {
            self.file.sync_data()?;
            self.last_sync = Instant::now();
        }
        Ok(!was_full && self.full)
    }

    /// Writes the open block, then fsyncs: everything appended is on disk.
    pub fn finish(mut self) -> io::Result<StateFold> {
        self.flush()?;
        self.file.sync_all()?;
        Ok(self.fold)
    }

    fn encode(&self, rec: &Record) -> io::Result<Vec<u8>> {
        let json = serde_json::to_vec(rec).map_err(io::Error::other)?;
        Ok(if self.redactor.is_empty() {
            json
        } else {
            self.redactor.scrub(json)
        })
    }

    fn push(&mut self, json: &[u8], at: Timestamp, action: bool) {
        let us = format::to_us(at);
        if self.count == 0 {
            self.first_us = us;
            self.last_us = us;
            self.opened = Instant::now();
        }
        self.first_us = self.first_us.min(us);
        self.last_us = self.last_us.max(us);
        self.count += 1;
        self.has_action |= action;
        self.raw
            .extend_from_slice(&(json.len() as u32).to_le_bytes());
        self.raw.extend_from_slice(json);
    }

    /// Writes the open block, if any.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let kind = if self.has_action {
            BlockKind::Action
        } else {
            BlockKind::Data
        };
        let raw = std::mem::take(&mut self.raw);
        let (count, first, last) = (self.count, self.first_us, self.last_us);
        self.count = 0;
        self.has_action = false;
        self.write_block(kind, &raw, count, first, last)
    }

    fn write_keyframe(&mut self, now: Timestamp) -> io::Result<()> {
        let snapshot = self.fold.snapshot();
        self.last_keyframe = Some(now);
        if snapshot.is_empty() {
            return Ok(());
        }
        let mut raw = Vec::new();
        for r in &snapshot {
            let json = self.encode(r)?;
            raw.extend_from_slice(&(json.len() as u32).to_le_bytes());
            raw.extend_from_slice(&json);
        }
        // A keyframe stands at the moment it was taken: the reader seeks by that time.
        let at = format::to_us(now);
        self.write_block(BlockKind::Keyframe, &raw, snapshot.len() as u32, at, at)
    }

    fn write_block(
        &mut self,
        kind: BlockKind,
        raw: &[u8],
        count: u32,
        first_us: i64,
        last_us: i64,
    ) -> io::Result<()> {
        let stored = format::compress(raw);
        let frame = BlockFrame {
            kind,
            raw_len: raw.len() as u32,
            stored_len: stored.len() as u32,
            count,
            first_us,
            last_us,
            crc: crc32fast::hash(&stored),
        };
        let size = (format::BLOCK_HEADER + stored.len()) as u64;
        if self.written + size > self.opts.max_bytes {
            self.full = true;
            return self.write_limit_notice(first_us);
        }
        let mut buf = Vec::with_capacity(size as usize);
        buf.extend_from_slice(&frame.encode());
        buf.extend_from_slice(&stored);
        // One write for frame and contents: a crash leaves a block whole or cut at the end.
        self.file.write_all(&buf)?;
        self.written += size;
        Ok(())
    }

    /// The last block of a full recording: a notice saying where it stopped and why.
    fn write_limit_notice(&mut self, at_us: i64) -> io::Result<()> {
        let rec = Record::Notice {
            at: format::from_us(at_us),
            text: format!(
                "the recording reached its size limit of {} bytes here; nothing after this was recorded",
                self.opts.max_bytes
            ),
        };
        let json = serde_json::to_vec(&rec).map_err(io::Error::other)?;
        let mut raw = (json.len() as u32).to_le_bytes().to_vec();
        raw.extend_from_slice(&json);
        let stored = format::compress(&raw);
        let frame = BlockFrame {
            kind: BlockKind::Data,
            raw_len: raw.len() as u32,
            stored_len: stored.len() as u32,
            count: 1,
            first_us: at_us,
            last_us: at_us,
            crc: crc32fast::hash(&stored),
        };
        let mut buf = frame.encode().to_vec();
        buf.extend_from_slice(&stored);
        self.file.write_all(&buf)?;
        self.written += buf.len() as u64;
        self.file.sync_data()
    }
}
