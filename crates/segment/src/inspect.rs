//! Read-only dumps of one segment file for operators (`shardlog inspect segment`): its header, both
//! mark slots, its `.idx` file, and its records, decoded by the same code open and reads use.
//!
//! ```
//! use shardlog_segment::{inspect::dump_segment, LogOptions, ShardLog};
//! use shardlog_storage::FsStorage;
//! use std::sync::Arc;
//!
//! let dir = tempfile::tempdir()?;
//! let log = ShardLog::open(Arc::new(FsStorage::open(dir.path())?), LogOptions::default())?;
//! log.append_batch(&[("k", "one"), ("k", "two")])?;
//! let dump = dump_segment(&dir.path().join("00000000000000000001.seg"), 1, 10)?;
//! assert_eq!(dump.records.len(), 1);
//! assert_eq!(dump.records[0].data, b"two");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::codec::{decode_frame, FrameError, FRAME_HEADER_LEN};
use crate::header::{Mark, SegmentHeader, DATA_START, MARK_LEN, MARK_OFFSETS};
use crate::index::IndexFile;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The segment header's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderFields {
    /// Log the segment belongs to.
    pub log_id: u64,
    /// Segment id.
    pub segment_id: u64,
    /// Predecessor's id (0 for none).
    pub prev_segment_id: u64,
    /// First sequence number the segment may hold.
    pub base_seq: u64,
    /// Capacity in bytes.
    pub capacity_bytes: u64,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: u64,
}

/// One valid mark slot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MarkFields {
    /// Slot (0 or 1).
    pub slot: usize,
    /// Mark counter.
    pub counter: u64,
    /// Bytes durable when the mark was written.
    pub durable_end: u64,
    /// Next sequence number after those bytes.
    pub next_seq: u64,
    /// Timestamp of the last frame in them.
    pub last_ts_ms: u64,
    /// Flags as words: `clean`, `eager`, `sealed`.
    pub flags: Vec<&'static str>,
    /// End claimed by the last group commit (0: none).
    pub claim_end: u64,
    /// Next number claimed by the last group commit (0: none).
    pub claim_next: u64,
}

/// One index entry: a frame's first number, offset and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexEntryFields {
    /// First sequence number of the frame.
    pub seq: u64,
    /// Byte offset of the frame.
    pub offset: u64,
    /// The frame's timestamp.
    pub timestamp_ms: u64,
}

/// The `.idx` file beside a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexFields {
    /// End of the last frame.
    pub data_end: u64,
    /// Number after the last frame.
    pub next_seq: u64,
    /// First RECORDS frame's timestamp.
    pub first_ts_ms: u64,
    /// Last frame's timestamp.
    pub last_ts_ms: u64,
    /// The entries.
    pub entries: Vec<IndexEntryFields>,
}

/// One record with the offset of its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DumpedRecord {
    /// Byte offset of the frame holding the record.
    pub frame_offset: u64,
    /// Sequence number.
    pub seq: u64,
    /// Arrival time, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Partition key.
    pub key: Vec<u8>,
    /// Data blob.
    pub data: Vec<u8>,
}

/// What [`dump_segment`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentDump {
    /// File length.
    pub file_bytes: u64,
    /// The header, or why it does not decode.
    pub header: Result<HeaderFields, String>,
    /// Each slot's valid mark (`None`: empty or invalid).
    pub marks: [Option<MarkFields>; 2],
    /// The `.idx` beside the segment: `None` if there is none, else its fields or why it does not
    /// decode.
    pub index: Option<Result<IndexFields, String>>,
    /// Records from the requested number on, at most the requested count.
    pub records: Vec<DumpedRecord>,
    /// Skip frames met (offset, next number).
    pub skips: Vec<(u64, u64)>,
    /// End of the valid frames (where the scan stopped).
    pub data_end: u64,
    /// Why the scan stopped before the limit, if not at zeroed space: (offset, reason).
    pub stop: Option<(u64, String)>,
}

/// Reads segment file `path` (and its `.idx` beside it) without changing anything and returns its
/// header, marks, index and up to `limit` records with numbers `>= from`. Never panics on any file
/// contents; an I/O error is the only error.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("x.seg"), b"not a segment")?;
/// let dump = shardlog_segment::inspect::dump_segment(&dir.path().join("x.seg"), 0, 10)?;
/// assert!(dump.header.is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn dump_segment(path: &Path, from: u64, limit: usize) -> std::io::Result<SegmentDump> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut page = vec![0u8; DATA_START.min(len) as usize];
    file.read_exact_at(&mut page, 0)?;
    let header = SegmentHeader::decode(&page);
    let mut dump = SegmentDump {
        file_bytes: len,
        header: header.clone().map(|h| HeaderFields {
            log_id: h.log_id,
            segment_id: h.segment_id,
            prev_segment_id: h.prev_segment_id,
            base_seq: h.base_seq,
            capacity_bytes: h.capacity_bytes,
            created_ms: h.created_ms,
        }),
        marks: [None, None],
        index: read_index(path)?,
        records: Vec::new(),
        skips: Vec::new(),
        data_end: DATA_START,
        stop: None,
    };
    let Ok(h) = header else {
        return Ok(dump);
    };
    let seed = crate::codec::segment_seed(h.log_id, h.segment_id);
    for (slot, &at) in MARK_OFFSETS.iter().enumerate() {
        let bytes = page.get(at as usize..at as usize + MARK_LEN).unwrap_or(&[]);
        dump.marks[slot] = Mark::decode(bytes, seed).map(|m| MarkFields {
            slot,
            counter: m.counter,
            durable_end: m.durable_end,
            next_seq: m.next_seq,
            last_ts_ms: m.last_ts_ms,
            flags: crate::verify::flag_words(m.flags),
            claim_end: m.claim_end,
            claim_next: m.claim_next,
        });
    }
    // Start at the index entry at or before `from` when the index checks out for it.
    let mut pos = DATA_START;
    if let Some(Ok(idx)) = &dump.index {
        if let Some(e) = idx.entries.iter().rev().find(|e| e.seq <= from) {
            pos = e.offset;
        }
    }
    let mut buf = Vec::new();
    while pos + FRAME_HEADER_LEN as u64 <= len && dump.records.len() < limit {
        let mut head = [0u8; FRAME_HEADER_LEN];
        file.read_exact_at(&mut head, pos)?;
        let flen = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
        let want = flen.clamp(FRAME_HEADER_LEN as u64, len - pos) as usize;
        buf.resize(want, 0);
        file.read_exact_at(&mut buf, pos)?;
        let frame = match decode_frame(&buf, seed) {
            Ok(f) => f,
            Err(FrameError::Empty) => break,
            Err(e) => {
                dump.stop = Some((pos, e.to_string()));
                break;
            }
        };
        if frame.is_skip() {
            dump.skips.push((pos, frame.first_seq()));
        }
        for r in frame.records().filter(|r| r.seq >= from) {
            if dump.records.len() >= limit {
                break;
            }
            dump.records.push(DumpedRecord {
                frame_offset: pos,
                seq: r.seq,
                timestamp_ms: r.timestamp_ms,
                key: r.key.to_vec(),
                data: r.data.to_vec(),
            });
        }
        pos += frame.stride() as u64;
        dump.data_end = pos;
    }
    Ok(dump)
}

fn read_index(seg: &Path) -> std::io::Result<Option<Result<IndexFields, String>>> {
    let path = seg.with_extension("idx");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(IndexFile::decode(&bytes).map(|i| {
        IndexFields {
            data_end: i.data_end,
            next_seq: i.next_seq,
            first_ts_ms: i.first_ts_ms,
            last_ts_ms: i.last_ts_ms,
            entries: i
                .index
                .entries
                .iter()
                .map(|e| IndexEntryFields {
                    seq: e.seq,
                    offset: e.offset,
                    timestamp_ms: e.timestamp_ms,
                })
                .collect(),
        }
    })))
}
