//! Reading a recording back: the header, an index of its blocks, and records in order or
//! from any moment (through the keyframe before it).
//!
//! Opening checks the header and every block's checksums. What cannot be read in the
//! header is an error naming the file and the byte; damage after it (a tail cut by a
//! crash, a block with flipped bytes) is reported as [`Damage`] and skipped, so everything
//! before it still plays.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::format::{
    self, BLOCK_HEADER, BlockFrame, BlockKind, FORMAT_VERSION, FileHeader, MAGIC, MAX_HEADER,
    Record,
};

/// Why a file cannot be read as a recording at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingError {
    pub path: PathBuf,
    /// Where in the file the trouble is.
    pub offset: u64,
    pub what: String,
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: byte {}: {}",
            self.path.display(),
            self.offset,
            self.what
        )
    }
}

impl std::error::Error for RecordingError {}

/// A part of the file that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Where the damage starts.
    pub offset: u64,
    pub what: String,
    /// Bytes skipped from there.
    pub skipped: u64,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte {}: {}; {} bytes skipped",
            self.offset, self.what, self.skipped
        )
    }
}

/// Where a block is and what its frame says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMeta {
    /// Offset of the frame.
    pub offset: u64,
    pub frame: BlockFrame,
}

/// An open recording.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    file: File,
    header: FileHeader,
    blocks: Vec<BlockMeta>,
    damage: Vec<Damage>,
    len: u64,
}

/// Where sequential reading stands.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    next_block: usize,
    pending: VecDeque<Record>,
}

impl Cursor {
    /// The index of the next block to read.
    pub fn next_block(&self) -> usize {
        self.next_block
    }
}

impl Reader {
    /// Opens `path`, checking the header and every block.
    pub fn open(path: &Path) -> Result<Reader, RecordingError> {
        Reader::open_with(path, true)
    }

    /// Opens `path` reading only the header and the block frames (for listings).
    pub fn open_frames(path: &Path) -> Result<Reader, RecordingError> {
        Reader::open_with(path, false)
    }

    fn open_with(path: &Path, verify: bool) -> Result<Reader, RecordingError> {
        let err = |offset: u64, what: String| RecordingError {
            path: path.to_path_buf(),
            offset,
            what,
        };
        let mut file = File::open(path).map_err(|e| err(0, format!("cannot open: {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| err(0, format!("cannot read: {e}")))?
            .len();
        if len == 0 {
            return Err(err(0, "the file is empty, not a sitrep recording".into()));
        }
        let mut head = [0u8; 16];
        let got = read_up_to(&mut file, &mut head).map_err(|e| err(0, e.to_string()))?;
        let n = got.min(MAGIC.len());
        if head[..n] != MAGIC[..n] {
            return Err(err(
                0,
                "not a sitrep recording (it does not start with SITREPRC)".into(),
            ));
        }
        if got < 16 {
            return Err(err(
                got as u64,
                format!("the file ends inside the header ({len} bytes)"),
            ));
        }
        let version = format::u32_at(&head, 8);
        if version > FORMAT_VERSION {
            return Err(err(
                8,
                format!(
                    "recording format version {version} is newer than this sitrep reads \
                     (up to {FORMAT_VERSION}); a newer sitrep wrote it"
                ),
            ));
        }
        if version == 0 {
            return Err(err(8, "recording format version 0 does not exist".into()));
        }
        let hlen = format::u32_at(&head, 12);
        if hlen > MAX_HEADER {
            return Err(err(12, format!("header length {hlen} is not believable")));
        }
        let data_start = 16 + hlen as u64 + 4;
        if len < data_start {
            return Err(err(
                len,
                format!("the file ends inside the header, which needs {data_start} bytes"),
            ));
        }
        let mut json = vec![0u8; hlen as usize + 4];
        file.read_exact(&mut json)
            .map_err(|e| err(16, e.to_string()))?;
        let crc = format::u32_at(&json, hlen as usize);
        json.truncate(hlen as usize);
        let mut hashed = head[8..16].to_vec();
        hashed.extend_from_slice(&json);
        if crc32fast::hash(&hashed) != crc {
            return Err(err(
                16,
                "header checksum mismatch: the header is damaged".into(),
            ));
        }
        let header: FileHeader = serde_json::from_slice(&json)
            .map_err(|e| err(16, format!("header cannot be read: {e}")))?;
        let mut reader = Reader {
            path: path.to_path_buf(),
            file,
            header,
            blocks: Vec::new(),
            damage: Vec::new(),
            len,
        };
        reader
            .scan(data_start, verify)
            .map_err(|e| err(data_start, e.to_string()))?;
        Ok(reader)
    }

    /// Walks the blocks from `pos`, indexing the good ones and noting the damage.
    fn scan(&mut self, mut pos: u64, verify: bool) -> std::io::Result<()> {
        let mut frame = [0u8; BLOCK_HEADER];
        while pos < self.len {
            if self.len - pos < BLOCK_HEADER as u64 {
                self.damage.push(Damage {
                    offset: pos,
                    what: "the file ends inside a block frame (cut short, by a crash?)".into(),
                    skipped: self.len - pos,
                });
                break;
            }
            self.file.seek(SeekFrom::Start(pos))?;
            self.file.read_exact(&mut frame)?;
            let f = match BlockFrame::decode(&frame) {
                Ok(f) => f,
                Err(why) => {
                    let next = self.resync(pos + 1)?;
                    let to = next.unwrap_or(self.len);
                    self.damage.push(Damage {
                        offset: pos,
                        what: why.to_string(),
                        skipped: to - pos,
                    });
                    pos = to;
                    continue;
                }
            };
            let end = pos + BLOCK_HEADER as u64 + f.stored_len as u64;
            if end > self.len {
                self.damage.push(Damage {
                    offset: pos,
                    what: format!(
                        "the last block is cut short: it needs {} bytes, the file has {}",
                        end - pos,
                        self.len - pos
                    ),
                    skipped: self.len - pos,
                });
                break;
            }
            if verify {
                let mut stored = vec![0u8; f.stored_len as usize];
                self.file.read_exact(&mut stored)?;
                if crc32fast::hash(&stored) != f.crc {
                    self.damage.push(Damage {
                        offset: pos,
                        what: format!(
                            "block contents checksum mismatch ({} records, {}–{})",
                            f.count,
                            clock(f.first()),
                            clock(f.last())
                        ),
                        skipped: end - pos,
                    });
                    pos = end;
                    continue;
                }
            }
            self.blocks.push(BlockMeta {
                offset: pos,
                frame: f,
            });
            pos = end;
        }
        Ok(())
    }

    /// The offset of the next readable frame at or after `from`, if any.
    fn resync(&mut self, from: u64) -> std::io::Result<Option<u64>> {
        const CHUNK: usize = 1 << 20;
        let mut at = from;
        let mut buf = vec![0u8; CHUNK + BLOCK_HEADER];
        while at + BLOCK_HEADER as u64 <= self.len {
            self.file.seek(SeekFrom::Start(at))?;
            let n = read_up_to(&mut self.file, &mut buf)?;
            if n < BLOCK_HEADER {
                break;
            }
            for i in 0..=n - BLOCK_HEADER {
                if &buf[i..i + 3] == b"SRB" {
                    let mut fr = [0u8; BLOCK_HEADER];
                    fr.copy_from_slice(&buf[i..i + BLOCK_HEADER]);
                    if BlockFrame::decode(&fr).is_ok() {
                        return Ok(Some(at + i as u64));
                    }
                }
            }
            at += (n - BLOCK_HEADER + 1) as u64;
        }
        Ok(None)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file says about itself.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The good blocks, in file order.
    pub fn blocks(&self) -> &[BlockMeta] {
        &self.blocks
    }

    /// What was skipped.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// The file's size.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no block could be read.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The earliest recorded time.
    pub fn start(&self) -> Option<Timestamp> {
        self.blocks.iter().map(|b| b.frame.first()).min()
    }

    /// The latest recorded time.
    pub fn end(&self) -> Option<Timestamp> {
        self.blocks.iter().map(|b| b.frame.last()).max()
    }

    /// One line on what was skipped, for a banner; `None` when the file is whole.
    pub fn damage_banner(&self) -> Option<String> {
        let first = self.damage.first()?;
        let skipped: u64 = self.damage.iter().map(|d| d.skipped).sum();
        let more = match self.damage.len() {
            1 => String::new(),
            n => format!(" (and {} more damaged places)", n - 1),
        };
        Some(format!(
            "{}: damaged at byte {}: {}{more}; {skipped} bytes skipped, the rest plays",
            self.path.display(),
            first.offset,
            first.what
        ))
    }

    /// The records of block `i`.
    pub fn read_block(&mut self, i: usize) -> Result<Vec<Record>, RecordingError> {
        let Some(meta) = self.blocks.get(i).copied() else {
            return Ok(Vec::new());
        };
        let err = |what: String| RecordingError {
            path: self.path.clone(),
            offset: meta.offset,
            what,
        };
        let mut stored = vec![0u8; meta.frame.stored_len as usize];
        self.file
            .seek(SeekFrom::Start(meta.offset + BLOCK_HEADER as u64))
            .and_then(|_| self.file.read_exact(&mut stored))
            .map_err(|e| err(format!("cannot read the block: {e}")))?;
        if crc32fast::hash(&stored) != meta.frame.crc {
            return Err(err("block contents checksum mismatch".into()));
        }
        let raw = format::decompress(&stored, meta.frame.raw_len).map_err(err)?;
        format::split_records(&raw).map_err(err)
    }

    /// A cursor at the start: the state before the first record, then every record.
    pub fn cursor(&self) -> Cursor {
        Cursor::default()
    }

    /// The next record in order, skipping keyframes past the first block (their state is
    /// what the records before them built already).
    pub fn next(&mut self, cur: &mut Cursor) -> Result<Option<Record>, RecordingError> {
        loop {
            if let Some(r) = cur.pending.pop_front() {
                return Ok(Some(r));
            }
            let i = cur.next_block;
            let Some(meta) = self.blocks.get(i) else {
                return Ok(None);
            };
            cur.next_block += 1;
            if meta.frame.kind == BlockKind::Keyframe && i > 0 {
                continue;
            }
            cur.pending = self.read_block(i)?.into();
        }
    }

    /// The records that bring a cockpit to moment `t` (the last keyframe at or before it
    /// and every record after that up to `t`), and a cursor at the first record after `t`.
    pub fn seek(&mut self, t: Timestamp) -> Result<(Vec<Record>, Cursor), RecordingError> {
        let key = self
            .blocks
            .iter()
            .rposition(|b| b.frame.kind == BlockKind::Keyframe && b.frame.first() <= t);
        let mut burst = Vec::new();
        let start = match key {
            Some(k) => {
                burst = self.read_block(k)?;
                k + 1
            }
            None => 0,
        };
        let mut cur = Cursor {
            next_block: start,
            pending: VecDeque::new(),
        };
        while let Some(meta) = self.blocks.get(cur.next_block) {
            if meta.frame.first() > t {
                break;
            }
            let i = cur.next_block;
            cur.next_block += 1;
            if meta.frame.kind == BlockKind::Keyframe && i > 0 {
                continue;
            }
            let recs = self.read_block(i)?;
            let split = recs.iter().position(|r| r.at() > t).unwrap_or(recs.len());
            let mut recs = recs;
            cur.pending = recs.split_off(split).into();
            burst.extend(recs);
            if !cur.pending.is_empty() {
                break;
            }
        }
        Ok((burst, cur))
    }

    /// The time of the first action of the operator after `t`, if there is one.
    pub fn next_action_after(&mut self, t: Timestamp) -> Result<Option<Timestamp>, RecordingError> {
        let candidates: Vec<usize> = self
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.frame.kind == BlockKind::Action && b.frame.last() > t)
            .map(|(i, _)| i)
            .collect();
        for i in candidates {
            let found = self
                .read_block(i)?
                .into_iter()
                .find(|r| r.at() > t && r.is_operator_action())
                .map(|r| r.at());
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Every action of the original responder: command lines and journal entries by people.
    pub fn actions(&mut self) -> Result<Vec<Record>, RecordingError> {
        let idx: Vec<usize> = self
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.frame.kind == BlockKind::Action)
            .map(|(i, _)| i)
            .collect();
        let mut out = Vec::new();
        for i in idx {
            out.extend(
                self.read_block(i)?
                    .into_iter()
                    .filter(Record::is_operator_action),
            );
        }
        Ok(out)
    }
}

fn clock(t: Timestamp) -> String {
    t.strftime("%H:%M:%S").to_string()
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
