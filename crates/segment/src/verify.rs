//! Read-only checks of a shard log directory, for operators (`shardlog verify`).
//!
//! [`verify_shard`] reads every file of one log directory with plain reads (no lock, no mapping,
//! nothing written) and returns what it found damaged, each finding named by file and byte offset,
//! with what it means and what to do. It checks the same rules open does (`docs/format.md` §4–§8):
//! `log.meta`, every segment header and the chain between them, both mark slots, every frame's
//! checksum, sequence-number continuity and time order, and each `.idx` file against the frames.
//!
//! It can run while a process has the log open and appends: it reads a segment's marks before its
//! frames, and a damaged or half-written frame after the newest segment's durable mark is what a
//! concurrent append (or a torn write, which open cuts) looks like, not damage. Only a frame in the
//! last group commit that no torn write can leave (no all-zero 512-byte sector) is reported there,
//! as open does.
//!
//! ```
//! use shardlog_segment::{verify::verify_shard, LogOptions, ShardLog};
//! use shardlog_storage::FsStorage;
//! use std::sync::Arc;
//!
//! let dir = tempfile::tempdir()?;
//! let log = ShardLog::open(Arc::new(FsStorage::open(dir.path())?), LogOptions::default())?;
//! log.append_batch(&[("k", "v")])?;
//! let check = verify_shard(dir.path(), &|_bytes| {})?;
//! assert!(check.findings.is_empty());
//! assert_eq!(check.segments[0].records, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::codec::{decode_frame, FrameError, FRAME_HEADER_LEN};
use crate::header::{
    Mark, SegmentHeader, DATA_START, MARK_CLEAN, MARK_EAGER, MARK_LEN, MARK_OFFSETS, MARK_SEALED,
    MAX_SEQ,
};
use crate::index::{IndexEntry, IndexFile, SparseIndex};
use crate::meta::{LogMeta, META_NAME};
use crate::segment::{index_name, parse_segment_name};
use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The unit a power cut writes whole.
const SECTOR: u64 = 512;
/// Bytes read per call while scanning frames.
const CHUNK: u64 = 8 << 20;
/// Offset of the first index entry in a `.idx` file.
const IDX_ENTRIES_AT: u64 = 88;
/// Bytes of one index entry.
const IDX_ENTRY_LEN: u64 = 24;

/// What kind of damage a [`Finding`] reports.
///
/// ```
/// use shardlog_segment::verify::DamageKind;
/// assert_eq!(DamageKind::Frame.as_str(), "frame");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DamageKind {
    /// A file could not be read (I/O error, permissions).
    Unreadable,
    /// `log.meta` is missing (with segments present) or fails its checks.
    LogMeta,
    /// A segment header fails its checks or does not match the log, its name or its file.
    SegmentHeader,
    /// The chain of segments is broken: a segment is missing, or one does not follow the one before.
    Chain,
    /// A mark slot is damaged, or the newest mark names bytes outside the segment.
    Mark,
    /// A frame fails its checks (checksum, length, kind, records) where acknowledged data lies.
    Frame,
    /// A frame breaks sequence-number continuity.
    SequenceOrder,
    /// A frame goes back in time.
    TimeOrder,
    /// A `.idx` file is damaged or disagrees with the segment's frames.
    Index,
    /// A sealed segment has no `.idx` file.
    MissingIndex,
}

impl DamageKind {
    /// A stable lower-case name (used in `--json` output).
    pub fn as_str(self) -> &'static str {
        match self {
            DamageKind::Unreadable => "unreadable",
            DamageKind::LogMeta => "log-meta",
            DamageKind::SegmentHeader => "segment-header",
            DamageKind::Chain => "chain",
            DamageKind::Mark => "mark",
            DamageKind::Frame => "frame",
            DamageKind::SequenceOrder => "sequence-order",
            DamageKind::TimeOrder => "time-order",
            DamageKind::Index => "index",
            DamageKind::MissingIndex => "missing-index",
        }
    }
}

/// One piece of damage: where, what it means, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The damaged file.
    pub file: PathBuf,
    /// Byte offset of the damaged structure in `file`.
    pub offset: u64,
    /// What kind of damage.
    pub kind: DamageKind,
    /// What failed and what it means for the data.
    pub meaning: String,
    /// What the operator can do.
    pub advice: String,
}

/// What [`verify_shard`] learned about one live segment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentSummary {
    /// Segment id.
    pub id: u64,
    /// The `.seg` file.
    pub file: PathBuf,
    /// File length (the preallocated capacity).
    pub capacity_bytes: u64,
    /// End of the valid frames the scan found.
    pub data_end: u64,
    /// First sequence number the segment may hold.
    pub base_seq: u64,
    /// Number after the last valid frame.
    pub next_seq: u64,
    /// Records in the valid frames.
    pub records: u64,
    /// Timestamp of the first RECORDS frame, if any.
    pub first_ts_ms: Option<u64>,
    /// Timestamp of the last frame, if any.
    pub last_ts_ms: Option<u64>,
    /// `durable_end` of the newest valid mark (4096 if none).
    pub durable_end: u64,
    /// Flags of the newest valid mark as words (`clean`, `eager`, `sealed`).
    pub mark_flags: Vec<&'static str>,
}

/// The result of [`verify_shard`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShardCheck {
    /// Damage found, in file order. Empty when the shard is sound.
    pub findings: Vec<Finding>,
    /// Live segments, oldest first.
    pub segments: Vec<SegmentSummary>,
    /// Bytes read.
    pub bytes_read: u64,
}

/// Reads and checks every file of the shard log in `dir`, calling `progress` with the bytes of each
/// read. Never writes, locks or maps anything. Fails only if `dir` itself cannot be listed; damage
/// (unreadable files included) is returned as findings.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let check = shardlog_segment::verify::verify_shard(dir.path(), &|_| {})?;
/// assert!(check.findings.is_empty() && check.segments.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_shard(dir: &Path, progress: &(dyn Fn(u64) + Sync)) -> std::io::Result<ShardCheck> {
    let mut v = Walker {
        dir,
        progress,
        out: ShardCheck::default(),
    };
    v.walk()?;
    Ok(v.out)
}

struct Walker<'a> {
    dir: &'a Path,
    progress: &'a (dyn Fn(u64) + Sync),
    out: ShardCheck,
}

/// A live segment after its header checked out.
struct Live {
    id: u64,
    path: PathBuf,
    file: File,
    header: SegmentHeader,
    len: u64,
}

const RESTORE: &str = "open refuses this shard: restore the shard directory from a backup, or \
                       copy it aside and ask for help with the bytes at this offset";

impl Walker<'_> {
    fn find(&mut self, file: &Path, offset: u64, kind: DamageKind, meaning: String, advice: &str) {
        self.out.findings.push(Finding {
            file: file.to_path_buf(),
            offset,
            kind,
            meaning,
            advice: advice.to_string(),
        });
    }

    /// Reports that `what` in `file` (at `offset`) could not be read.
    fn unreadable(&mut self, file: &Path, offset: u64, what: &str, e: &std::io::Error) {
        let advice = if offset == 0 {
            "check the disk and the file's permissions"
        } else {
            "check the disk"
        };
        let meaning = format!("{what} cannot be read: {e}");
        self.find(file, offset, DamageKind::Unreadable, meaning, advice);
    }

    fn read(&mut self, file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        file.read_exact_at(buf, offset)?;
        self.out.bytes_read += buf.len() as u64;
        (self.progress)(buf.len() as u64);
        Ok(())
    }

    fn read_meta(&mut self) -> Option<LogMeta> {
        let path = self.dir.join(META_NAME);
        match std::fs::read(&path) {
            Ok(b) => {
                self.out.bytes_read += b.len() as u64;
                match LogMeta::decode(&b) {
                    Ok(m) => Some(m),
                    Err(reason) => {
                        let meaning = format!("log.meta fails its check ({reason})");
                        self.find(&path, 0, DamageKind::LogMeta, meaning, RESTORE);
                        None
                    }
                }
            }
            Err(e) => {
                if e.kind() != ErrorKind::NotFound {
                    self.unreadable(&path, 0, "log.meta", &e);
                }
                None
            }
        }
    }

    fn walk(&mut self) -> std::io::Result<()> {
        let mut ids: Vec<u64> = Vec::new();
        for entry in std::fs::read_dir(self.dir)? {
            let name = entry?.file_name();
            if let Some(id) = name.to_str().and_then(parse_segment_name) {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        let meta_path = self.dir.join(META_NAME);
        let meta_exists = meta_path.exists();
        let Some(meta) = self.read_meta() else {
            if !ids.is_empty() && !meta_exists {
                let meaning = format!(
                    "log.meta is missing but {} segment file(s) exist: the log's identity and trim \
                     horizon are lost",
                    ids.len()
                );
                self.find(&meta_path, 0, DamageKind::LogMeta, meaning, RESTORE);
            }
            return Ok(());
        };
        let live_ids: Vec<u64> = ids
            .into_iter()
            .filter(|&id| id >= meta.first_live_segment)
            .collect();
        let mut found: Vec<Live> = Vec::new();
        let n = live_ids.len();
        for (i, &id) in live_ids.iter().enumerate() {
            let newest = i + 1 == n;
            let Some(live) = self.open_segment(id, newest, &meta, found.last())? else {
                continue;
            };
            // A merged segment names the segment before its run: the run's older segments still on
            // disk are leftovers of an interrupted compaction (open deletes them), not damage.
            while found
                .last()
                .is_some_and(|f| f.id > live.header.prev_segment_id && f.id < live.id)
            {
                found.pop();
                self.out.segments.pop();
            }
            if found.is_empty() && id != meta.first_live_segment {
                let meaning = format!(
                    "the log starts at segment {} but the first segment file is {id}: a segment \
                     file is missing, with its records",
                    meta.first_live_segment
                );
                self.find(&live.path, 0, DamageKind::Chain, meaning, RESTORE);
            }
            if let Some(prev) = found.last() {
                if live.header.prev_segment_id != prev.id {
                    let meaning = format!(
                        "segment {id} names segment {} as its predecessor, but the file before it is \
                         segment {}: a segment is missing or foreign",
                        live.header.prev_segment_id, prev.id
                    );
                    let path = live.path.clone();
                    self.find(&path, 32, DamageKind::Chain, meaning, RESTORE);
                }
            }
            found.push(live);
            self.out.segments.push(SegmentSummary {
                id,
                file: PathBuf::new(),
                capacity_bytes: 0,
                data_end: 0,
                base_seq: 0,
                next_seq: 0,
                records: 0,
                first_ts_ms: None,
                last_ts_ms: None,
                durable_end: 0,
                mark_flags: Vec::new(),
            });
        }
        let count = found.len();
        let mut missing_idx = Vec::new();
        for (i, seg) in found.iter().enumerate() {
            let newest = i + 1 == count;
            let next_base = found.get(i + 1).map(|f| f.header.base_seq);
            let summary = self.check_segment(seg, newest, next_base, &mut missing_idx)?;
            if let Some(slot) = self.out.segments.get_mut(i) {
                *slot = summary;
            }
        }
        // A seal writes the index right after its mark; look again before calling one missing.
        for (path, id) in missing_idx {
            if !path.exists() {
                let meaning = format!(
                    "sealed segment {id} has no index file: reads of it scan from its start until \
                     the next open rebuilds it"
                );
                self.find(&path, 0, DamageKind::MissingIndex, meaning, "harmless for the data: the next open of the store rebuilds the index file from the segment");
            }
        }
        Ok(())
    }

    /// Opens segment `id` and checks its header; `None` if it is to be skipped.
    fn open_segment(
        &mut self,
        id: u64,
        newest: bool,
        meta: &LogMeta,
        prev: Option<&Live>,
    ) -> std::io::Result<Option<Live>> {
        let path = self.dir.join(crate::segment::segment_name(id));
        let file = match File::open(&path) {
            Ok(f) => f,
            // Retention or a merge removed it since the listing.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                self.unreadable(&path, 0, "segment file", &e);
                return Ok(None);
            }
        };
        let len = file.metadata()?.len();
        let mut page = vec![0u8; DATA_START.min(len) as usize];
        if let Err(e) = self.read(&file, 0, &mut page) {
            self.unreadable(&path, 0, "segment header", &e);
            return Ok(None);
        }
        let header = match SegmentHeader::decode(&page) {
            Ok(h) => h,
            Err(reason) => {
                if newest && self.untouched(&file, len)? {
                    // An unused spare or a creation cut short: open deletes it.
                    return Ok(None);
                }
                let meaning = format!(
                    "segment header fails its check ({reason}); its records cannot be trusted"
                );
                self.find(&path, 0, DamageKind::SegmentHeader, meaning, RESTORE);
                return Ok(None);
            }
        };
        let mut wrong = Vec::new();
        if header.log_id != meta.log_id {
            wrong.push(format!(
                "log id {} (log.meta says {})",
                header.log_id, meta.log_id
            ));
        }
        if header.segment_id != id {
            wrong.push(format!(
                "segment id {} in a file named {id}",
                header.segment_id
            ));
        }
        if header.capacity_bytes != len || len <= DATA_START {
            wrong.push(format!(
                "capacity {} but the file has {len} bytes",
                header.capacity_bytes
            ));
        }
        if let Some(p) = prev {
            if header.base_seq < p.header.base_seq {
                wrong.push(format!(
                    "base sequence number {} below the previous segment's {}",
                    header.base_seq, p.header.base_seq
                ));
            }
        }
        if !wrong.is_empty() {
            let meaning = format!("segment header does not belong here: {}", wrong.join("; "));
            self.find(&path, 0, DamageKind::SegmentHeader, meaning, RESTORE);
            return Ok(None);
        }
        Ok(Some(Live {
            id,
            path,
            file,
            header,
            len,
        }))
    }

    /// True if the data area's first 4 KiB is zero (or absent): the segment never held a frame.
    fn untouched(&mut self, file: &File, len: u64) -> std::io::Result<bool> {
        if len <= DATA_START {
            return Ok(true);
        }
        let mut buf = vec![0u8; (len - DATA_START).min(4096) as usize];
        self.read(file, DATA_START, &mut buf)?;
        Ok(buf.iter().all(|&b| b == 0))
    }

    /// Reads both mark slots; a non-zero slot that fails its check twice is reported.
    fn marks(&mut self, seg: &Live, seed: u32) -> std::io::Result<Option<Mark>> {
        let mut newest = None;
        for (slot, &at) in MARK_OFFSETS.iter().enumerate() {
            let mut b = [0u8; MARK_LEN];
            self.read(&seg.file, at, &mut b)?;
            let mut mark = Mark::decode(&b, seed);
            if mark.is_none() && b.iter().any(|&x| x != 0) {
                // A writer may be replacing this slot right now: read it again.
                std::thread::sleep(std::time::Duration::from_millis(20));
                self.read(&seg.file, at, &mut b)?;
                mark = Mark::decode(&b, seed);
                if mark.is_none() && b.iter().any(|&x| x != 0) {
                    let meaning = format!(
                        "mark slot {slot} fails its check: a mark write torn by a crash, or damage; \
                         open uses the other slot"
                    );
                    self.find(&seg.path, at, DamageKind::Mark, meaning, "no data is lost by this alone; the next open of the store writes a fresh mark");
                }
            }
            newest = Mark::newest(newest, mark);
        }
        Ok(newest)
    }

    fn check_segment(
        &mut self,
        seg: &Live,
        newest: bool,
        next_base: Option<u64>,
        missing_idx: &mut Vec<(PathBuf, u64)>,
    ) -> std::io::Result<SegmentSummary> {
        let seed = crate::codec::segment_seed(seg.header.log_id, seg.id);
        let mut mark = self.marks(seg, seed)?;
        if let Some(m) = mark.filter(|m| !(DATA_START..=seg.len).contains(&m.durable_end)) {
            let meaning = format!(
                "the newest mark (counter {}) names durable end {} outside the data area \
                 {DATA_START}..={}; open treats the segment as having no mark",
                m.counter, m.durable_end, seg.len
            );
            self.find(
                &seg.path,
                MARK_OFFSETS[m.slot()],
                DamageKind::Mark,
                meaning,
                "open keeps the frames that check out; back up the shard first",
            );
            mark = None;
        }
        let durable_end = mark.map_or(DATA_START, |m| m.durable_end);
        let claimed_end = mark.map_or(DATA_START, |m| m.claimed_end());
        let scan = self.scan(seg, seed)?;
        let mut summary = SegmentSummary {
            id: seg.id,
            file: seg.path.clone(),
            capacity_bytes: seg.len,
            data_end: scan.end,
            base_seq: seg.header.base_seq,
            next_seq: scan.next_seq,
            records: scan.records,
            first_ts_ms: scan.first_ts,
            last_ts_ms: scan.last_ts,
            durable_end,
            mark_flags: mark.map(|m| flag_words(m.flags)).unwrap_or_default(),
        };
        summary.data_end = scan.end;
        let complete = next_base.is_none_or(|b| b == scan.next_seq);
        if let Some((offset, kind, reason)) = scan.stop.clone() {
            let acknowledged = offset < durable_end
                || (offset < claimed_end && !self.torn_shape(seg, offset, claimed_end)?)
                || (!newest && !complete && mark.is_some_and(|m| m.flags & MARK_SEALED != 0));
            if acknowledged {
                let where_ = if offset < durable_end {
                    format!("before the durable mark at byte {durable_end}")
                } else if offset < claimed_end {
                    format!(
                        "in the last group commit ({durable_end}..{claimed_end}) with no zeroed \
                         sector, so not a torn write"
                    )
                } else {
                    "in a sealed segment".to_string()
                };
                let meaning = format!(
                    "{reason} {where_}: records from sequence number {} on in this segment are \
                     damaged (acknowledged data)",
                    scan.next_seq
                );
                let advice = if newest {
                    "open fails; back up the shard directory, then either restore it from a backup \
                     or open the log with RecoveryMode::TruncateNewestSegment, which keeps the \
                     records before this offset and drops the rest"
                } else {
                    RESTORE
                };
                self.find(&seg.path, offset, kind, meaning, advice);
            } else if !newest && !complete {
                let meaning = format!(
                    "{reason}: this segment was never sealed (its tail is torn by a crash), so open \
                     ends the log here and deletes the later segments, whose records were never \
                     reported durable"
                );
                self.find(&seg.path, offset, kind, meaning, "back up the shard directory before opening the store if those later records matter");
            }
        } else if scan.end < durable_end {
            let meaning = format!(
                "frames end at byte {} but the durable mark says {durable_end}: acknowledged records \
                 from sequence number {} on are missing (zeroed)",
                scan.end, scan.next_seq
            );
            let advice = if newest {
                "open fails; restore the shard from a backup, or open the log with \
                 RecoveryMode::TruncateNewestSegment to keep the records before this offset"
            } else {
                RESTORE
            };
            self.find(&seg.path, scan.end, DamageKind::Frame, meaning, advice);
        }
        if !newest && scan.stop.is_none() && !complete {
            if let Some(b) = next_base {
                let meaning = format!(
                    "segment ends at sequence number {} but the next segment starts at {b}: records \
                     are missing between them",
                    scan.next_seq
                );
                self.find(&seg.path, scan.end, DamageKind::Chain, meaning, RESTORE);
            }
        }
        self.check_index(seg, newest, mark, &scan, missing_idx)?;
        Ok(summary)
    }

    /// True if the frame at `offset` has an all-zero 512-byte sector piece below `claimed_end`.
    fn torn_shape(&mut self, seg: &Live, offset: u64, claimed_end: u64) -> std::io::Result<bool> {
        let end = claimed_end.min(seg.len);
        if offset >= end {
            return Ok(true);
        }
        let mut head = [0u8; FRAME_HEADER_LEN];
        let head_len = (end - offset).min(FRAME_HEADER_LEN as u64) as usize;
        self.read(&seg.file, offset, &mut head[..head_len])?;
        let len = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
        let end = if len >= FRAME_HEADER_LEN as u64 && offset + len <= end {
            offset + len
        } else {
            end
        };
        let mut at = offset;
        let mut piece = vec![0u8; SECTOR as usize];
        while at < end {
            let to = (at / SECTOR + 1).saturating_mul(SECTOR).min(end);
            let buf = &mut piece[..(to - at) as usize];
            self.read(&seg.file, at, buf)?;
            if buf.iter().all(|&b| b == 0) {
                return Ok(true);
            }
            at = to;
        }
        Ok(false)
    }

    /// Scans frames from the data start; stops at the first that does not decode or follow.
    fn scan(&mut self, seg: &Live, seed: u32) -> std::io::Result<Scan> {
        let mut s = Scan {
            end: DATA_START,
            next_seq: seg.header.base_seq,
            records: 0,
            first_ts: None,
            last_ts: None,
            stop: None,
            index: SparseIndex::default(),
        };
        let mut win = Window::default();
        let mut pos = DATA_START;
        while pos + FRAME_HEADER_LEN as u64 <= seg.len {
            let head = match win.get(self, &seg.file, seg.len, pos, FRAME_HEADER_LEN) {
                Ok(h) => h,
                Err(e) => {
                    self.unreadable(&seg.path, pos, "the segment", &e);
                    break;
                }
            };
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as u64;
            let want = len.clamp(FRAME_HEADER_LEN as u64, seg.len - pos) as usize;
            let bytes = match win.get(self, &seg.file, seg.len, pos, want) {
                Ok(b) => b,
                Err(e) => {
                    self.unreadable(&seg.path, pos, "the segment", &e);
                    break;
                }
            };
            let frame = match decode_frame(bytes, seed) {
                Ok(f) => f,
                Err(FrameError::Empty) => break,
                Err(e) => {
                    s.stop = Some((pos, DamageKind::Frame, format!("{e} at byte {pos}")));
                    break;
                }
            };
            let ts = frame.timestamp_ms();
            let order = if frame.is_skip() {
                frame.first_seq() >= s.next_seq
            } else {
                frame.first_seq() == s.next_seq
            };
            if !order || frame.next_seq() >= MAX_SEQ {
                let reason = format!(
                    "frame at byte {pos} starts at sequence number {}, expected {}",
                    frame.first_seq(),
                    s.next_seq
                );
                s.stop = Some((pos, DamageKind::SequenceOrder, reason));
                break;
            }
            if s.last_ts.is_some_and(|last| ts < last) {
                let reason = format!(
                    "frame at byte {pos} has timestamp {ts}, before the previous frame's {}",
                    s.last_ts.unwrap_or(0)
                );
                s.stop = Some((pos, DamageKind::TimeOrder, reason));
                break;
            }
            if !frame.is_skip() {
                s.index.observe(IndexEntry {
                    seq: frame.first_seq(),
                    offset: pos,
                    timestamp_ms: ts,
                });
                s.first_ts.get_or_insert(ts);
                s.records += frame.count() as u64;
            }
            s.last_ts = Some(ts);
            s.next_seq = frame.next_seq().max(s.next_seq);
            pos += frame.stride() as u64;
            s.end = pos;
        }
        Ok(s)
    }

    fn check_index(
        &mut self,
        seg: &Live,
        newest: bool,
        mark: Option<Mark>,
        scan: &Scan,
        missing_idx: &mut Vec<(PathBuf, u64)>,
    ) -> std::io::Result<()> {
        let path = self.dir.join(index_name(seg.id));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if !newest && mark.is_some_and(|m| m.flags & MARK_SEALED != 0) {
                    missing_idx.push((path, seg.id));
                }
                return Ok(());
            }
            Err(e) => {
                self.unreadable(&path, 0, "index file", &e);
                return Ok(());
            }
        };
        self.out.bytes_read += bytes.len() as u64;
        const REBUILD: &str = "no record is lost: delete this index file and the next open of the \
                               store rebuilds it from the segment (until then reads that meet it \
                               rebuild the index in memory)";
        let idx = match IndexFile::decode(&bytes) {
            Ok(i) => i,
            Err(reason) => {
                let meaning = format!("index file fails its check ({reason})");
                self.find(&path, 0, DamageKind::Index, meaning, REBUILD);
                return Ok(());
            }
        };
        // The newest segment's index is written by a clean close and trusted only while it names
        // exactly the clean mark; once the log appended again it is stale, not damaged.
        if newest {
            let trusted = mark.is_some_and(|m| {
                m.flags & MARK_CLEAN != 0
                    && m.durable_end == idx.data_end
                    && m.next_seq == idx.next_seq
            });
            if !trusted {
                return Ok(());
            }
        }
        let mut wrong = Vec::new();
        if idx.log_id != seg.header.log_id || idx.segment_id != seg.id {
            wrong.push((0, "names another log or segment".to_string()));
        }
        if idx.base_seq != seg.header.base_seq {
            wrong.push((
                32,
                format!(
                    "base sequence number {} but the segment header says {}",
                    idx.base_seq, seg.header.base_seq
                ),
            ));
        }
        if scan.stop.is_none() && (idx.data_end != scan.end || idx.next_seq != scan.next_seq) {
            wrong.push((
                40,
                format!(
                    "says the frames end at byte {} before number {}, the segment's end at byte {} \
                     before number {}",
                    idx.data_end, idx.next_seq, scan.end, scan.next_seq
                ),
            ));
        }
        let starts = &scan.index.entries;
        for (i, e) in idx.index.entries.iter().enumerate() {
            if e.offset >= scan.end && scan.stop.is_some() {
                break;
            }
            let hit = starts.binary_search_by_key(&e.offset, |x| x.offset).ok();
            let ok = hit
                .and_then(|h| starts.get(h))
                .is_some_and(|x| x.seq == e.seq && x.timestamp_ms == e.timestamp_ms)
                || self.frame_starts_at(seg, e)?;
            if !ok {
                wrong.push((
                    IDX_ENTRIES_AT + IDX_ENTRY_LEN * i as u64,
                    format!(
                        "entry {i} names sequence number {} at byte {} of the segment, where no \
                         frame with that number starts",
                        e.seq, e.offset
                    ),
                ));
                break;
            }
        }
        if let Some((offset, reason)) = wrong.into_iter().next() {
            let meaning = format!("index file disagrees with segment {}: {reason}", seg.id);
            self.find(&path, offset, DamageKind::Index, meaning, REBUILD);
        }
        Ok(())
    }

    /// True if a valid frame starting at the entry's offset carries the entry's number and time
    /// (entries the sparse scan skipped, e.g. of a merged segment indexed differently).
    fn frame_starts_at(&mut self, seg: &Live, e: &IndexEntry) -> std::io::Result<bool> {
        if e.offset < DATA_START || e.offset + FRAME_HEADER_LEN as u64 > seg.len {
            return Ok(false);
        }
        let mut head = [0u8; FRAME_HEADER_LEN];
        self.read(&seg.file, e.offset, &mut head)?;
        let len = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
        if len < FRAME_HEADER_LEN as u64 || e.offset + len > seg.len {
            return Ok(false);
        }
        let mut buf = vec![0u8; len as usize];
        self.read(&seg.file, e.offset, &mut buf)?;
        let seed = crate::codec::segment_seed(seg.header.log_id, seg.id);
        Ok(decode_frame(&buf, seed).is_ok_and(|f| {
            !f.is_skip() && f.first_seq() == e.seq && f.timestamp_ms() == e.timestamp_ms
        }))
    }
}

pub(crate) fn flag_words(flags: u32) -> Vec<&'static str> {
    [
        (MARK_CLEAN, "clean"),
        (MARK_EAGER, "eager"),
        (MARK_SEALED, "sealed"),
    ]
    .into_iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, w)| w)
    .collect()
}

pub(crate) struct Scan {
    pub(crate) end: u64,
    pub(crate) next_seq: u64,
    records: u64,
    pub(crate) first_ts: Option<u64>,
    pub(crate) last_ts: Option<u64>,
    /// Where and why the scan stopped before an all-zero header.
    pub(crate) stop: Option<(u64, DamageKind, String)>,
    /// Every RECORDS frame start the index rule would keep.
    pub(crate) index: SparseIndex,
}

/// For `repair`: the header, the newest valid mark (`None` if none or out of range) and the frame
/// scan of the segment file at `path`; `None` if its header does not decode.
pub(crate) fn scan_segment(
    path: &Path,
) -> std::io::Result<Option<(SegmentHeader, Option<Mark>, Scan)>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut w = Walker {
        dir,
        progress: &|_| {},
        out: ShardCheck::default(),
    };
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut page = vec![0u8; DATA_START.min(len) as usize];
    w.read(&file, 0, &mut page)?;
    let Ok(header) = SegmentHeader::decode(&page) else {
        return Ok(None);
    };
    let live = Live {
        id: header.segment_id,
        path: path.to_path_buf(),
        file,
        header,
        len,
    };
    let seed = crate::codec::segment_seed(header.log_id, header.segment_id);
    let mark = w
        .marks(&live, seed)?
        .filter(|m| (DATA_START..=len).contains(&m.durable_end));
    let scan = w.scan(&live, seed)?;
    Ok(Some((header, mark, scan)))
}

/// A window of file bytes `start..start + buf.len()`, refilled in reads that double from 64 KiB up
/// to [`CHUNK`] (a mostly empty newest segment is not read far past its frames).
#[derive(Default)]
struct Window {
    start: u64,
    buf: Vec<u8>,
    chunk: u64,
}

impl Window {
    fn get(
        &mut self,
        w: &mut Walker<'_>,
        file: &File,
        file_len: u64,
        at: u64,
        len: usize,
    ) -> std::io::Result<&[u8]> {
        let end = at + len as u64;
        if at < self.start || end > self.start + self.buf.len() as u64 {
            self.chunk = (self.chunk * 2).clamp(64 << 10, CHUNK);
            let n = (len as u64).max(self.chunk).min(file_len - at);
            self.buf.resize(n as usize, 0);
            self.start = at;
            w.read(file, at, &mut self.buf)?;
        }
        let from = (at - self.start) as usize;
        self.buf
            .get(from..from + len)
            .ok_or_else(|| std::io::Error::other("read past the window"))
    }
}
