//! One segment file: creation, the published state readers rely on, and the frame scan.

use crate::codec::{decode_frame, encode_skip, segment_seed, Frame, FRAME_HEADER_LEN};
use crate::error::{Error, Result};
use crate::header::{Mark, SegmentHeader, DATA_START, HEADER_LEN, MARK_LEN, MARK_OFFSETS};
use crate::index::{IndexEntry, IndexFile, SparseIndex};
use crate::open_files::{OpenSegments, Slot};
use shardlog_storage::{MutexExt as _, RwLockExt as _};
use shardlog_storage::{Storage, StorageFile};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Bytes read per `pread` when scanning.
const SCAN_CHUNK: usize = 1 << 20;

/// File name of segment `id`.
pub(crate) fn segment_name(id: u64) -> String {
    format!("{id:020}.seg")
}

/// File name of segment `id`'s index.
pub(crate) fn index_name(id: u64) -> String {
    format!("{id:020}.idx")
}

/// Parses a segment file name back to its id.
pub(crate) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|id| (1..crate::header::MAX_SEGMENT_ID).contains(id))
}

/// Published end of a segment: frames below `end` are complete and visible to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Tip {
    pub end: u64,
    pub next_seq: u64,
    pub last_ts_ms: u64,
}

/// An open segment shared by the writer and readers.
#[derive(Debug)]
pub(crate) struct Segment {
    pub header: SegmentHeader,
    pub name: String,
    pub seed: u32,
    /// The file's path, for errors (the file itself may be closed).
    pub path: std::path::PathBuf,
    /// The open file; `None` only while a parked segment is closed (see [`Segment::park`]).
    file: Arc<Slot>,
    /// How a parked segment reopens its file: set once, when the sealed segment is parked.
    parked: OnceLock<Parked>,
    index: RwLock<SparseIndex>,
    end: AtomicU64,
    next_seq: AtomicU64,
    last_ts_ms: AtomicU64,
    first_ts_ms: AtomicU64,
    /// Durable state and mark counter; touched only by the one thread holding sync leadership.
    pub durable: std::sync::Mutex<(Tip, u64)>,
    /// Set once the segment carries its sealed mark.
    sealed: std::sync::atomic::AtomicBool,
    /// False while the header of a segment made from a spare may exist only in the page cache.
    header_durable: std::sync::atomic::AtomicBool,
    /// The data end that this segment's index file on disk describes (a clean close wrote it, or
    /// the open read it); 0 when none is known.
    index_file_end: AtomicU64,
}

/// Where a parked segment's file comes from when it was closed, and the set that closes it.
#[derive(Debug)]
struct Parked {
    storage: Arc<dyn Storage>,
    open: OpenSegments,
    key: u64,
    /// Set once the file's name is about to name another file: never closed from then on.
    pinned: std::sync::atomic::AtomicBool,
}

impl Drop for Segment {
    fn drop(&mut self) {
        if let Some(p) = self.parked.get() {
            p.open.forget(p.key);
        }
    }
}

impl Segment {
    pub fn new(header: SegmentHeader, file: Arc<dyn StorageFile>, index: SparseIndex) -> Self {
        Segment {
            name: segment_name(header.segment_id),
            seed: segment_seed(header.log_id, header.segment_id),
            path: file.path(),
            end: AtomicU64::new(DATA_START),
            next_seq: AtomicU64::new(header.base_seq),
            last_ts_ms: AtomicU64::new(0),
            first_ts_ms: AtomicU64::new(u64::MAX),
            durable: std::sync::Mutex::new((Tip::default(), 0)),
            sealed: std::sync::atomic::AtomicBool::new(false),
            header_durable: std::sync::atomic::AtomicBool::new(true),
            index_file_end: AtomicU64::new(0),
            header,
            file: Arc::new(std::sync::Mutex::new(Some(file))),
            parked: OnceLock::new(),
            index: RwLock::new(index),
        }
    }

    /// The segment's file, reopened if it is a parked segment that was closed. The `Arc` keeps the
    /// file (and its mapping) open for as long as the caller holds it.
    pub fn file(&self) -> Result<Arc<dyn StorageFile>> {
        let open = self.file.locked().clone();
        let Some(parked) = self.parked.get() else {
            // Only `OpenSegments` closes a file, and only of a parked segment.
            return Ok(open.expect("a segment that was never parked is never closed"));
        };
        let pinned = || parked.pinned.load(Ordering::Acquire);
        if let Some(file) = open {
            parked.open.touch(parked.key);
            return Ok(file);
        }
        if pinned() {
            // Closed by an eviction that raced with `pin`: the name now belongs to another file.
            return Err(Error::corrupt(
                self.path.clone(),
                0,
                "segment was replaced by a merge while it was read; read again",
            ));
        }
        let file = parked.storage.open(&self.name)?;
        // Sealed: everything up to the published end is immutable and may be read through the map.
        file.seal_below(DATA_START, self.tip().end);
        let file = self.file.locked().get_or_insert(file).clone();
        parked.open.admit(parked.key, Arc::downgrade(&self.file));
        if pinned() {
            parked.open.forget(parked.key);
        }
        Ok(file)
    }

    /// Keeps this segment's file open until the segment is dropped: called before its name is
    /// given to another file (a merged segment takes the name of its run's last segment), so
    /// readers still holding this segment read the old file, not the new one.
    pub fn pin(&self) -> Result<()> {
        let Some(parked) = self.parked.get() else {
            return Ok(()); // never closed
        };
        let file = self.file()?;
        parked.pinned.store(true, Ordering::Release);
        parked.open.forget(parked.key);
        self.file.locked().get_or_insert(file);
        Ok(())
    }

    /// Lets `open` close this sealed segment's file when it is not among the most recently used,
    /// to be reopened from `storage` on the next read.
    pub fn park(&self, storage: &Arc<dyn Storage>, open: &OpenSegments) {
        // A closed and reopened descriptor would not report an earlier failed writeback, so only
        // a sealed segment, whose every byte was synced before its sealed mark, may be closed.
        assert!(self.is_sealed(), "parking unsealed segment {}", self.name);
        let key = open.new_key();
        let parked = Parked {
            storage: storage.clone(),
            open: open.clone(),
            key,
            pinned: std::sync::atomic::AtomicBool::new(false),
        };
        if self.parked.set(parked).is_ok() {
            open.admit(key, Arc::downgrade(&self.file));
        }
    }

    pub fn id(&self) -> u64 {
        self.header.segment_id
    }

    pub fn is_sealed(&self) -> bool {
        self.sealed.load(Ordering::Acquire)
    }

    pub fn set_sealed(&self) {
        self.sealed.store(true, Ordering::Release);
    }

    pub fn header_durable(&self) -> bool {
        self.header_durable.load(Ordering::Acquire)
    }

    pub fn set_header_durable(&self, durable: bool) {
        self.header_durable.store(durable, Ordering::Release);
    }

    /// Makes frames up to `tip.end` visible. Never moves backwards.
    pub fn publish(&self, tip: Tip, first_ts_ms: u64) {
        // What readers may see lies inside the data area; the published end never moves back.
        assert!(
            (DATA_START..=self.header.capacity_bytes).contains(&tip.end),
            "published end {} outside the data area of a {}-byte segment",
            tip.end,
            self.header.capacity_bytes
        );
        // A closed parked segment applies the published end when it reopens.
        if let Some(file) = &*self.file.locked() {
            file.seal_below(DATA_START, tip.end);
        }
        self.first_ts_ms.fetch_min(first_ts_ms, Ordering::AcqRel);
        self.last_ts_ms.fetch_max(tip.last_ts_ms, Ordering::AcqRel);
        self.next_seq.fetch_max(tip.next_seq, Ordering::AcqRel);
        self.end.fetch_max(tip.end, Ordering::Release);
    }

    /// What readers may see now.
    pub fn tip(&self) -> Tip {
        let end = self.end.load(Ordering::Acquire);
        Tip {
            end,
            next_seq: self.next_seq.load(Ordering::Acquire),
            last_ts_ms: self.last_ts_ms.load(Ordering::Acquire),
        }
    }

    /// Arrival time of the first record, or `u64::MAX` when the segment holds none.
    pub fn first_ts_ms(&self) -> u64 {
        self.first_ts_ms.load(Ordering::Acquire)
    }

    pub fn index(&self) -> RwLockReadGuard<'_, SparseIndex> {
        self.index.reading()
    }

    pub fn index_mut(&self) -> RwLockWriteGuard<'_, SparseIndex> {
        self.index.writing()
    }

    /// The data end the index file on disk describes; 0 when none is known.
    pub fn index_file_end(&self) -> u64 {
        self.index_file_end.load(Ordering::Acquire)
    }

    /// Records that the index file on disk now describes the data up to `end`.
    pub fn set_index_file_end(&self, end: u64) {
        self.index_file_end.store(end, Ordering::Release);
    }

    pub fn durable_state(&self) -> std::sync::MutexGuard<'_, (Tip, u64)> {
        self.durable.locked()
    }

    /// Writes a mark into its slot (not synced).
    pub fn write_mark(&self, mark: &Mark) -> Result<()> {
        let offset = MARK_OFFSETS[mark.slot()];
        Ok(self.file()?.write_at(offset, &mark.encode(self.seed))?)
    }

    /// The index side file for this segment as sealed at `tip`.
    pub fn index_file(&self, tip: Tip) -> IndexFile {
        let first = self.first_ts_ms();
        IndexFile {
            log_id: self.header.log_id,
            segment_id: self.id(),
            base_seq: self.header.base_seq,
            data_end: tip.end,
            next_seq: tip.next_seq,
            first_ts_ms: if first == u64::MAX {
                tip.last_ts_ms
            } else {
                first
            },
            last_ts_ms: tip.last_ts_ms,
            index: SparseIndex {
                entries: (self.index().entries.iter())
                    .take_while(|e| e.offset < tip.end)
                    .copied()
                    .collect(),
            },
        }
    }
}

/// Creates, initialises and syncs a new segment file (not yet the directory).
pub(crate) fn create_segment(
    storage: &dyn Storage,
    header: SegmentHeader,
    initial: Mark,
) -> Result<Arc<Segment>> {
    let file = storage.create(&segment_name(header.segment_id), header.capacity_bytes)?;
    let seg = init_segment(file, header, initial)?;
    seg.file()?.sync()?;
    Ok(seg)
}

/// Writes the header and the first mark into page 0 of an all-zero file (one write, not synced) and
/// returns the empty, published segment.
pub(crate) fn init_segment(
    file: Arc<dyn StorageFile>,
    header: SegmentHeader,
    initial: Mark,
) -> Result<Arc<Segment>> {
    let seg = Segment::new(header, file, SparseIndex::default());
    let mark_at = MARK_OFFSETS[initial.slot()] as usize;
    let mut page = vec![0u8; mark_at + MARK_LEN];
    page[..HEADER_LEN].copy_from_slice(&header.encode());
    page[mark_at..].copy_from_slice(&initial.encode(seg.seed));
    seg.file()?.write_at(0, &page)?;
    let tip = Tip {
        end: DATA_START,
        next_seq: header.base_seq,
        last_ts_ms: initial.last_ts_ms,
    };
    *seg.durable_state() = (tip, initial.counter);
    seg.publish(tip, u64::MAX);
    Ok(Arc::new(seg))
}

/// What a scan of a segment's frames found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    pub tip: Tip,
    pub first_ts_ms: u64,
    pub index: SparseIndex,
    /// The first invalid frame: its offset and why, or `None` if the scan reached `limit`.
    pub stop: Option<(u64, String)>,
}

/// Scans frames from the start of the data area, checking checksums, sequence continuity and time
/// order, up to the first invalid frame or the end of the file.
pub(crate) fn scan(file: &dyn StorageFile, header: &SegmentHeader) -> Result<Scan> {
    scan_to(file, header, file.len())
}

/// [`scan`], but reading nothing at or after `limit` (at most the file length). The caller knows that
/// the file reads as zeros from `limit` on, where a scan would stop anyway.
pub(crate) fn scan_to(file: &dyn StorageFile, header: &SegmentHeader, limit: u64) -> Result<Scan> {
    let seed = segment_seed(header.log_id, header.segment_id);
    let limit = limit.min(file.len());
    let mut out = Scan {
        tip: Tip {
            end: DATA_START,
            next_seq: header.base_seq,
            last_ts_ms: 0,
        },
        first_ts_ms: u64::MAX,
        ..Scan::default()
    };
    let mut buf = Vec::new();
    let mut buf_start = DATA_START;
    loop {
        let offset = out.tip.end;
        if offset + FRAME_HEADER_LEN as u64 > limit {
            return Ok(out);
        }
        let rel = (offset - buf_start) as usize;
        let frame = match buf.get(rel..).map(|b| decode_frame(b, seed)) {
            Some(Ok(frame)) => frame,
            Some(Err(crate::codec::FrameError::Truncated)) | None => {
                // The frame may continue past what is buffered: read more from its start.
                let want = frame_len_hint(file, offset)?.max(SCAN_CHUNK) as u64;
                let len = want.min(limit - offset) as usize;
                if buf_start == offset && buf.len() >= len {
                    let reason = crate::codec::FrameError::Truncated.to_string();
                    out.stop = Some((offset, reason));
                    return Ok(out);
                }
                buf.resize(len, 0);
                file.read_at(offset, &mut buf)?;
                buf_start = offset;
                continue;
            }
            Some(Err(e)) => {
                out.stop = Some((offset, e.to_string()));
                return Ok(out);
            }
        };
        if let Err(reason) = accept(&mut out, &frame, offset, limit) {
            out.stop = Some((offset, reason));
            return Ok(out);
        }
    }
}

/// The length field at `offset`, to size the read of a large frame.
fn frame_len_hint(file: &dyn StorageFile, offset: u64) -> Result<usize> {
    let mut head = [0u8; 4];
    if offset + 4 > file.len() {
        return Ok(0);
    }
    file.read_at(offset, &mut head)?;
    Ok(u32::from_le_bytes(head) as usize + crate::codec::FRAME_ALIGN)
}

/// Checks that `frame` continues the scan and folds it in.
fn accept(out: &mut Scan, frame: &Frame<'_>, offset: u64, limit: u64) -> Result<(), String> {
    let tip = &mut out.tip;
    if frame.is_skip() {
        if frame.first_seq() < tip.next_seq {
            return Err(format!(
                "skip frame moves sequence back to {}",
                frame.first_seq()
            ));
        }
    } else if frame.first_seq() != tip.next_seq {
        return Err(format!(
            "frame starts at sequence {}, expected {}",
            frame.first_seq(),
            tip.next_seq
        ));
    }
    if frame.timestamp_ms() < tip.last_ts_ms {
        return Err("frame timestamp earlier than the previous frame".into());
    }
    let end = offset + frame.stride() as u64;
    if end > limit || frame.next_seq() >= crate::header::MAX_SEQ {
        return Err("frame runs past the end of the segment".into());
    }
    if !frame.is_skip() {
        out.index.observe(IndexEntry {
            seq: frame.first_seq(),
            offset,
            timestamp_ms: frame.timestamp_ms(),
        });
        out.first_ts_ms = out.first_ts_ms.min(frame.timestamp_ms());
    }
    tip.next_seq = frame.next_seq();
    tip.last_ts_ms = frame.timestamp_ms();
    tip.end = end;
    Ok(())
}

/// Offset one past the last non-zero byte at or after `from`, or `from` if all are zero.
pub(crate) fn last_nonzero_end(file: &dyn StorageFile, from: u64) -> Result<u64> {
    let mut buf = vec![0u8; SCAN_CHUNK];
    let mut found = from;
    let mut offset = from;
    let end = file.zero_from(from)?.min(file.len());
    while offset < end {
        let len = (end - offset).min(SCAN_CHUNK as u64) as usize;
        let chunk = &mut buf[..len];
        file.read_at(offset, chunk)?;
        // OR-reducing fixed blocks vectorises; only a dirty block is searched byte by byte.
        let dirty = chunk
            .chunks(4096)
            .rposition(|b| b.iter().fold(0u8, |acc, &x| acc | x) != 0);
        if let Some(block) = dirty {
            let base = block * 4096;
            let within = chunk[base..].iter().rposition(|&b| b != 0).unwrap_or(0);
            found = offset + (base + within) as u64 + 1;
        }
        offset += len as u64;
    }
    Ok(found)
}

/// Zero-fills `[from, to)` (not synced): cutting a torn tail without shrinking a mapped file.
pub(crate) fn zero_fill(file: &dyn StorageFile, from: u64, to: u64) -> Result<()> {
    let zeros = vec![0u8; SCAN_CHUNK];
    let mut offset = from;
    while offset < to {
        let len = (to - offset).min(SCAN_CHUNK as u64) as usize;
        file.write_at(offset, &zeros[..len])?;
        offset += len as u64;
    }
    Ok(())
}

/// Writes `[from, to)` again with the bytes it holds (not synced). A failed `fdatasync` may have
/// left bytes in the page cache that no later sync writes (Linux marks those pages clean): writing
/// them again makes them dirty, so that the next sync really makes them durable.
pub(crate) fn rewrite(file: &dyn StorageFile, from: u64, to: u64) -> Result<()> {
    let mut buf = vec![0u8; SCAN_CHUNK];
    let mut offset = from;
    while offset < to {
        let len = (to - offset).min(SCAN_CHUNK as u64) as usize;
        file.read_at(offset, &mut buf[..len])?;
        file.write_at(offset, &buf[..len])?;
        offset += len as u64;
    }
    Ok(())
}

/// Encodes a skip frame to `next_seq` for the segment.
pub(crate) fn skip_frame(seg: &Segment, next_seq: u64, ts: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    encode_skip(&mut buf, seg.seed, next_seq, ts);
    buf
}

/// Checks a decoded index file against its segment's header and the chain.
pub(crate) fn check_index(
    idx: &IndexFile,
    header: &SegmentHeader,
    file: &dyn StorageFile,
) -> Result<(), String> {
    if idx.log_id != header.log_id
        || idx.segment_id != header.segment_id
        || idx.base_seq != header.base_seq
    {
        return Err("index belongs to another segment".into());
    }
    if idx.data_end < DATA_START || idx.data_end > file.len() {
        return Err("index data end outside the segment".into());
    }
    Ok(())
}

/// Reads and decodes the whole frame at `offset` (below `end`), returning its sequence range; used to
/// spot-check an index file against the bytes it describes.
pub(crate) fn frame_at(seg: &Segment, offset: u64, end: u64) -> Result<(u64, u64), String> {
    let avail = end.saturating_sub(offset);
    let mut head = [0u8; FRAME_HEADER_LEN];
    if avail < FRAME_HEADER_LEN as u64 {
        return Err("frame header past the data end".into());
    }
    let file = seg.file().map_err(|e| e.to_string())?;
    file.read_at(offset, &mut head).map_err(|e| e.to_string())?;
    let len = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
    if len < FRAME_HEADER_LEN as u64 || len > avail {
        return Err("frame length past the data end".into());
    }
    let mut buf = vec![0u8; len as usize];
    file.read_at(offset, &mut buf).map_err(|e| e.to_string())?;
    let frame = decode_frame(&buf, seg.seed).map_err(|e| e.to_string())?;
    Ok((frame.first_seq(), frame.next_seq()))
}

/// Converts a scan stop into the corruption error.
pub(crate) fn corruption(file: &dyn StorageFile, offset: u64, reason: &str) -> Error {
    Error::corrupt(file.path(), offset, reason)
}
