//! Reading: positions, point lookups through the sparse index, and scans.

use crate::codec::{decode_frame, FrameError, RecordRef};
use crate::error::{Error, Result};
use crate::header::DATA_START;
use crate::log::ShardLog;
use crate::segment::Segment;
use bytes::Bytes;
use shardlog_storage::StorageFile;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Bytes fetched per `pread` when a segment has no memory map (simulated disks).
const READ_CHUNK: u64 = 256 * 1024;

/// Where a reader starts, as a shard iterator type names it.
///
/// ```
/// use shardlog_segment::Position;
/// let p = Position::AfterSeq(41);
/// assert_ne!(p, Position::AtSeq(41));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The oldest record still stored (`TRIM_HORIZON`).
    Oldest,
    /// Just after the newest record (`LATEST`).
    Latest,
    /// The record with this sequence number, or the next one after it (`AT_SEQUENCE_NUMBER`).
    AtSeq(u64),
    /// The first record after this sequence number (`AFTER_SEQUENCE_NUMBER`).
    AfterSeq(u64),
    /// The first record that arrived at or after this time, in ms since the epoch (`AT_TIMESTAMP`).
    AtTimestamp(u64),
}

/// A record read from a log. Its key and data share the memory they were read from (the segment's
/// mapping, or one buffer per read where there is none): reading a record allocates nothing, and the
/// memory stays valid for as long as any record of it is held.
///
/// ```
/// use bytes::Bytes;
/// use shardlog_segment::Record;
/// let r = Record { seq: 1, timestamp_ms: 2, key: Bytes::from_static(b"k"), data: Bytes::from_static(b"d") };
/// assert_eq!(r.data, b"d"[..]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Sequence number.
    pub seq: u64,
    /// Arrival time in ms since the epoch.
    pub timestamp_ms: u64,
    /// Partition key.
    pub key: Bytes,
    /// Data blob.
    pub data: Bytes,
}

/// A record as [`ShardLog::read_with`] hands it over: borrowed from the loaded region of its
/// segment, whose parts [`share`](SharedRecord::share) turns into [`Bytes`] without copying.
#[derive(Debug, Clone, Copy)]
pub struct SharedRecord<'a> {
    region: &'a Bytes,
    /// The record, borrowed.
    pub record: RecordRef<'a>,
}

impl SharedRecord<'_> {
    /// `part` (the record's key or data, or a piece of them) as bytes sharing the region.
    pub fn share(&self, part: &[u8]) -> Bytes {
        self.region.slice_ref(part)
    }
}

impl From<SharedRecord<'_>> for Record {
    fn from(r: SharedRecord<'_>) -> Self {
        Record {
            seq: r.record.seq,
            timestamp_ms: r.record.timestamp_ms,
            key: r.share(r.record.key),
            data: r.share(r.record.data),
        }
    }
}

/// Records returned by [`ShardLog::read`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadBatch {
    /// The records, in sequence order.
    pub records: Vec<Record>,
    /// Where the next read continues.
    pub next: u64,
}

impl ShardLog {
    /// Resolves a position to the sequence number a reader starts from.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, Position, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// log.append_batch(&[(b"k", b"a"), (b"k", b"b")]).unwrap();
    /// assert_eq!(log.seek(Position::Latest).unwrap(), 2);
    /// assert_eq!(log.seek(Position::AfterSeq(0)).unwrap(), 1);
    /// ```
    pub fn seek(&self, position: Position) -> Result<u64> {
        Ok(match position {
            Position::Oldest => self.start_seq(),
            Position::Latest => self.next_seq(),
            Position::AtSeq(seq) => seq,
            Position::AfterSeq(seq) => seq.saturating_add(1),
            Position::AtTimestamp(ts) => self.seek_time(ts)?,
        })
    }

    fn seek_time(&self, ts: u64) -> Result<u64> {
        let segments = self.inner.read_chain().segments.clone();
        let i = segments.partition_point(|s| s.tip().last_ts_ms < ts);
        let Some(seg) = segments.get(i) else {
            return Ok(self.next_seq());
        };
        let tip = seg.tip();
        let from = seg.index().floor_time(ts).filter(|e| e.offset < tip.end);
        let mut found = None;
        let mut check = EntryCheck::new(from.map(|e| e.seq));
        let start = from.map_or(DATA_START, |e| e.offset);
        for_each_frame(seg, start, tip.end, &mut |_, frame| {
            if check.fails(frame) {
                return ControlFlow::Break(());
            }
            if !frame.is_skip() && frame.timestamp_ms() >= ts {
                found = Some(frame.first_seq());
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        check.result(seg, start)?;
        Ok(found.unwrap_or(tip.next_seq).max(self.start_seq()))
    }

    /// Reads up to `max_records` records (and about `max_bytes` of data, at least one record) starting
    /// at sequence number `from`. A `from` below the oldest stored record starts at the oldest.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// log.append_batch(&[(b"k", b"a"), (b"k", b"b"), (b"k", b"c")]).unwrap();
    /// let batch = log.read(1, 1, 1 << 20).unwrap();
    /// assert_eq!((batch.records[0].seq, batch.next), (1, 2));
    /// ```
    pub fn read(&self, from: u64, max_records: usize, max_bytes: usize) -> Result<ReadBatch> {
        let (records, next) = self.read_with(from, max_records, max_bytes, |r| Record::from(r))?;
        Ok(ReadBatch { records, next })
    }

    /// [`ShardLog::read`], turning each record into a `T` with `map` as soon as its frame is
    /// verified, while its bytes are still in the CPU's cache, and taking from it only what `map`
    /// shares. Returns the `T`s and where the next read continues.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// log.append_batch(&[("k", "a"), ("k", "bb")]).unwrap();
    /// let (lens, next) = log.read_with(0, 10, 1 << 20, |r| r.record.data.len()).unwrap();
    /// assert_eq!((lens, next), (vec![1, 2], 2));
    /// ```
    pub fn read_with<T>(
        &self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
        mut map: impl FnMut(SharedRecord<'_>) -> T,
    ) -> Result<(Vec<T>, u64)> {
        // Room for a typical answer up front: fewer moves of a vector of thousands of records.
        let mut out = Vec::with_capacity(max_records.min(1024));
        let mut bytes = 0usize;
        let mut last = None;
        let cursor = self.walk(from, |region, r| {
            if !out.is_empty() && bytes + r.data.len() > max_bytes {
                return ControlFlow::Break(());
            }
            bytes += r.data.len();
            last = Some(r.seq);
            out.push(map(SharedRecord { region, record: r }));
            // Stop right after the last wanted record, so the next frame is not even decoded.
            if out.len() >= max_records {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        let next = last.map_or(cursor, |seq| cursor.max(seq + 1));
        Ok((out, next))
    }

    /// Visits records from sequence number `from` in order, without copying them, until `visit` breaks
    /// or the published end is reached. Returns the sequence number after the last record visited.
    /// Every frame's checksum is verified before its records are visited.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// use std::ops::ControlFlow;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// log.append_batch(&[("k", "a"), ("k", "bb")]).unwrap();
    /// let mut total = 0;
    /// let next = log.scan(0, |r| { total += r.data.len(); ControlFlow::Continue(()) }).unwrap();
    /// assert_eq!((total, next), (3, 2));
    /// ```
    pub fn scan<F>(&self, from: u64, mut visit: F) -> Result<u64>
    where
        F: FnMut(RecordRef<'_>) -> ControlFlow<()>,
    {
        self.walk(from, |_, r| visit(r))
    }

    /// [`ShardLog::scan`], also handing each record the loaded region it borrows from.
    fn walk<F>(&self, from: u64, mut visit: F) -> Result<u64>
    where
        F: FnMut(&Bytes, RecordRef<'_>) -> ControlFlow<()>,
    {
        let mut cursor = from.max(self.start_seq());
        let mut repaired = None;
        while let Some(seg) = self.segment_for(cursor) {
            let tip = seg.tip();
            let entry = seg.index().floor_seq(cursor).filter(|e| e.offset < tip.end);
            let start = entry.map_or(DATA_START, |e| e.offset);
            let mut check = EntryCheck::new(entry.map(|e| e.seq));
            let mut stopped = false;
            for_each_frame(&seg, start, tip.end, &mut |region, frame| {
                if check.fails(frame) {
                    return ControlFlow::Break(());
                }
                if frame.next_seq() <= cursor {
                    cursor = cursor.max(frame.next_seq());
                    return ControlFlow::Continue(());
                }
                let from = cursor;
                for rec in frame.records().filter(|r| r.seq >= from) {
                    if visit(region, rec).is_break() {
                        stopped = true;
                        return ControlFlow::Break(());
                    }
                    cursor = rec.seq + 1;
                }
                cursor = cursor.max(frame.next_seq());
                ControlFlow::Continue(())
            })?;
            if check.mismatch.is_some() && repaired != Some(seg.id()) {
                // A wrong index entry: rebuild the index from the frames and read this segment again.
                repaired = Some(seg.id());
                reindex(&seg)?;
                continue;
            }
            check.result(&seg, start)?;
            if stopped || cursor < tip.next_seq || self.is_last(&seg) {
                break;
            }
        }
        Ok(cursor)
    }

    /// The segment holding `seq` (the last one whose base is at or below it).
    fn segment_for(&self, seq: u64) -> Option<Arc<Segment>> {
        let chain = self.inner.read_chain();
        let i = chain.segments.partition_point(|s| s.header.base_seq <= seq);
        chain.segments.get(i.checked_sub(1)?).cloned()
    }

    fn is_last(&self, seg: &Segment) -> bool {
        self.inner
            .read_chain()
            .segments
            .last()
            .is_none_or(|s| s.id() == seg.id())
    }
}

/// Replaces a segment's in-memory index with one rebuilt from its frames.
fn reindex(seg: &Segment) -> Result<()> {
    let mut index = seg.index_mut();
    let tip = seg.tip();
    let scanned = crate::segment::scan(&*seg.file()?, &seg.header)?;
    if scanned.tip.end < tip.end {
        let (offset, reason) = scanned
            .stop
            .unwrap_or((scanned.tip.end, "frames end early".into()));
        return Err(Error::corrupt(seg.path.clone(), offset, reason));
    }
    *index = scanned.index;
    Ok(())
}

/// Checks that the frame an index entry points at really starts at the entry's sequence number:
/// the index is a cache, and a wrong entry must be an error, never a silently skipped record.
struct EntryCheck {
    expected: Option<u64>,
    mismatch: Option<(u64, u64)>,
}

impl EntryCheck {
    fn new(expected: Option<u64>) -> Self {
        EntryCheck {
            expected,
            mismatch: None,
        }
    }

    /// True (and remembered) if `frame` is the first frame and does not match.
    fn fails(&mut self, frame: &crate::codec::Frame<'_>) -> bool {
        match self.expected.take() {
            Some(seq) if seq != frame.first_seq() => {
                self.mismatch = Some((seq, frame.first_seq()));
                true
            }
            _ => false,
        }
    }

    fn result(&self, seg: &Segment, offset: u64) -> Result<()> {
        match self.mismatch {
            Some((want, got)) => Err(Error::corrupt(
                seg.path.clone(),
                offset,
                format!("index entry names sequence {want} but the frame there starts at {got}"),
            )),
            None => Ok(()),
        }
    }
}

/// Calls `f` for each verified frame in `[from, end)` of a segment, with the loaded region the frame
/// borrows from.
fn for_each_frame(
    seg: &Segment,
    from: u64,
    end: u64,
    f: &mut dyn FnMut(&Bytes, &crate::codec::Frame<'_>) -> ControlFlow<()>,
) -> Result<()> {
    let file = seg.file()?;
    let mut offset = from;
    let mut want = READ_CHUNK;
    while offset < end {
        let (len, mut ahead) = match file.view(offset, (end - offset) as usize) {
            Some(_) => (end - offset, Some(Prefetch::new(offset, end))),
            None => ((end - offset).min(want), None),
        };
        let region = load(&file, offset, len)?;
        let mut pos = 0usize;
        while pos < region.len() {
            if let Some(ahead) = ahead.as_mut() {
                // The frame's length first, then the whole frame (a frame can outgrow a window).
                let at = offset + pos as u64;
                ahead.reach(&*file, at, at + 4);
                ahead.reach(&*file, at, at + frame_len(&region[pos..]) as u64 + 8);
            }
            match decode_frame(&region[pos..], seg.seed) {
                Ok(frame) => {
                    if f(&region, &frame).is_break() {
                        return Ok(());
                    }
                    pos += frame.stride();
                }
                // The frame continues past what was loaded: load again from its start.
                Err(FrameError::Truncated) if offset + len < end => {
                    want = READ_CHUNK.max(frame_len(&region[pos..]) as u64 + 8);
                    break;
                }
                Err(e) => {
                    let at = offset + pos as u64;
                    return Err(Error::corrupt(seg.path.clone(), at, e.to_string()));
                }
            }
        }
        offset += pos as u64;
    }
    Ok(())
}

/// The first window a reader of a mapped range maps ahead of itself; every window doubles, up to
/// [`WINDOW_MAX`], so a short read touches little and a long scan goes in large steps.
const WINDOW_FIRST: u64 = 512 * 1024;
const WINDOW_MAX: u64 = 4 * 1024 * 1024;

/// Keeps a reader of a mapped range supplied: the window just ahead of it mapped, and the kernel
/// reading the window after that, never past the range's end. The mapping has no read-around of its
/// own (see `FsStorage`), because past the records lies preallocated space that read-around would
/// zero-fill page by page.
struct Prefetch {
    /// Mapped below this offset.
    mapped: u64,
    /// Asked of the kernel below this offset.
    asked: u64,
    /// The size of the last window mapped; 0 before the first.
    window: u64,
    end: u64,
}

impl Prefetch {
    fn new(from: u64, end: u64) -> Self {
        Prefetch {
            mapped: from,
            asked: from,
            window: 0,
            end,
        }
    }

    /// Called with the reader at `at` about to read up to `need`: once `need` is not mapped or no
    /// more than half the last window is mapped ahead of the reader, maps the next window (twice
    /// as large, and at least up to `need`) and asks for the one after that.
    fn reach(&mut self, file: &dyn StorageFile, at: u64, need: u64) {
        let ahead = self.mapped.saturating_sub(at);
        if self.mapped >= self.end || (need <= self.mapped && ahead > self.window / 2) {
            return;
        }
        self.window = match self.window {
            0 => WINDOW_FIRST,
            last => (last * 2).min(WINDOW_MAX),
        };
        let map_to = at.saturating_add(self.window).max(need).min(self.end);
        let ask_to = map_to.saturating_add(self.window).min(self.end);
        if ask_to > self.asked {
            let from = self.asked.max(self.mapped);
            file.read_ahead(from, (ask_to - from) as usize);
            self.asked = ask_to;
        }
        file.populate(self.mapped, (map_to - self.mapped) as usize);
        self.mapped = map_to;
    }
}

fn frame_len(bytes: &[u8]) -> usize {
    bytes
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// `len` bytes of `file` at `offset`: a view of its mapping where the range is sealed (no copy; the
/// region holds the file, and with it the mapping, open), else one buffer read with `pread`.
fn load(file: &Arc<dyn StorageFile>, offset: u64, len: u64) -> Result<Bytes> {
    let len = usize::try_from(len)
        .map_err(|_| Error::corrupt(file.path(), offset, "region too large"))?;
    if file.view(offset, len).is_some() {
        let region = Bytes::from_owner(Mapped {
            file: Arc::clone(file),
            offset,
            len,
        });
        // A sealed range stays sealed, so the view cannot fail the second time; if it ever did,
        // the region would be empty and the bytes are read below instead.
        if region.len() == len {
            return Ok(region);
        }
    }
    let mut buf = vec![0u8; len];
    file.read_at(offset, &mut buf)?;
    Ok(Bytes::from(buf))
}

/// A sealed range of a mapped file, owned by the [`Bytes`] that share it.
struct Mapped {
    file: Arc<dyn StorageFile>,
    offset: u64,
    len: usize,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        // `Bytes::from_owner` calls this once; `load` checks the length it got.
        self.file.view(self.offset, self.len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A file that only records the hints it is given, as `[start, end)` ranges.
    #[derive(Debug, Default)]
    struct Hints {
        asked: Mutex<Vec<(u64, u64)>>,
        mapped: Mutex<Vec<(u64, u64)>>,
    }

    impl StorageFile for Hints {
        fn len(&self) -> u64 {
            u64::MAX
        }
        fn read_at(&self, _: u64, _: &mut [u8]) -> shardlog_storage::Result<()> {
            unreachable!("hints only")
        }
        fn write_at(&self, _: u64, _: &[u8]) -> shardlog_storage::Result<()> {
            unreachable!("hints only")
        }
        fn sync(&self) -> shardlog_storage::Result<()> {
            unreachable!("hints only")
        }
        fn seal_below(&self, _: u64, _: u64) {}
        fn view(&self, _: u64, _: usize) -> Option<&[u8]> {
            None
        }
        fn path(&self) -> std::path::PathBuf {
            "hints".into()
        }
        fn read_ahead(&self, offset: u64, len: usize) {
            self.asked
                .lock()
                .unwrap()
                .push((offset, offset + len as u64));
        }
        fn populate(&self, offset: u64, len: usize) {
            self.mapped
                .lock()
                .unwrap()
                .push((offset, offset + len as u64));
        }
    }

    /// Asserts that `ranges` follow one another without gaps from `from`, and returns their end.
    fn contiguous(ranges: &[(u64, u64)], from: u64) -> u64 {
        ranges.iter().fold(from, |at, &(start, end)| {
            assert_eq!(start, at, "a gap or an overlap in {ranges:?}");
            assert!(end > start, "an empty hint in {ranges:?}");
            end
        })
    }

    /// Reads `[from, end)` in steps of `frame` bytes the way `for_each_frame` does, checking before
    /// each step that the bytes about to be read are mapped and that no hint passes `end` (past
    /// it lies preallocated space the kernel would zero-fill).
    fn scan(from: u64, end: u64, frame: u64) -> Hints {
        let file = Hints::default();
        let mut ahead = Prefetch::new(from, end);
        let mut at = from;
        while at < end {
            ahead.reach(&file, at, at + 4);
            ahead.reach(&file, at, at + frame);
            let mapped_to = contiguous(&file.mapped.lock().unwrap(), from);
            let asked_to = contiguous(&file.asked.lock().unwrap(), from);
            assert!(
                mapped_to >= (at + frame).min(end),
                "reading {at}+{frame} unmapped"
            );
            assert!(
                asked_to >= mapped_to,
                "mapped {mapped_to} before asking for it"
            );
            assert!(
                asked_to <= end,
                "asked up to {asked_to}, past the end {end}"
            );
            at += frame;
        }
        file
    }

    #[test]
    fn prefetch_keeps_ahead_of_a_scan_and_never_passes_its_end() {
        for (from, end, frame) in [
            (4096, 4096 + 100 * 1024, 1024),
            (4096, 64 << 20, 31 * 1024),
            (1 << 20, 9 << 20, 300),
            (0, 3 * WINDOW_MAX + 1, WINDOW_MAX / 2),
        ] {
            let hints = scan(from, end, frame);
            let mapped = hints.mapped.lock().unwrap();
            let asked = hints.asked.lock().unwrap();
            assert_eq!(contiguous(&mapped, from), end);
            assert_eq!(contiguous(&asked, from), end);
            // Windows grow: a long scan is a few large hints, not one per frame.
            let most = 8 + 2 * (end - from) / WINDOW_MAX;
            assert!(
                mapped.len() as u64 <= most,
                "{} hints for {end}",
                mapped.len()
            );
        }
    }

    #[test]
    fn a_short_read_asks_for_two_first_windows_and_maps_one() {
        let file = Hints::default();
        let mut ahead = Prefetch::new(8192, 64 << 20);
        ahead.reach(&file, 8192, 8192 + 4);
        ahead.reach(&file, 8192, 8192 + 1024);
        ahead.reach(&file, 8192 + 1024, 8192 + 4096);
        assert_eq!(*file.mapped.lock().unwrap(), [(8192, 8192 + WINDOW_FIRST)]);
        assert_eq!(
            *file.asked.lock().unwrap(),
            [(8192, 8192 + 2 * WINDOW_FIRST)]
        );
    }
}
