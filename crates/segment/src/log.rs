//! [`ShardLog`]: the chain of one shard's segments, its writer and group commit.

use crate::codec::{
    align, encode_frame, record_len, FRAME_ALIGN, FRAME_HEADER_LEN, FRAME_TARGET_LEN, MAX_KEY_LEN,
};
use crate::error::{Error, Result};
use crate::handoff::{SealJob, SpareRequest};
use crate::header::{Mark, SegmentHeader, DATA_START, MARK_CLEAN, MARK_EAGER};
use crate::index::IndexEntry;
use crate::options::Durability;
use crate::segment::{create_segment, index_name, init_segment, Segment, Tip};
use crate::state::{Inner, Writer};
use shardlog_storage::crashpoint::{self, CrashPoint};
use shardlog_storage::{write_file_atomic, StorageFile};
use shardlog_storage::{CondvarExt as _, MutexExt as _};
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One segment as retention sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The segment's id (its file name).
    pub id: u64,
    /// First sequence number it may hold.
    pub base_seq: u64,
    /// One past its last visible sequence number (equal to `base_seq` when it holds none).
    pub next_seq: u64,
    /// Arrival time of its first record (ms since the epoch).
    pub first_ts_ms: u64,
    /// Arrival time of its newest record (ms since the epoch).
    pub last_ts_ms: u64,
    /// Bytes of frames it holds.
    pub data_bytes: u64,
    /// Bytes the file occupies (it is preallocated).
    pub file_bytes: u64,
    /// True for the segment appends go to.
    pub active: bool,
}

/// The append-only log of one shard: a chain of segment files in one [`Storage`].
///
/// One writer at a time appends (calls are serialised internally); any number of threads read
/// concurrently and never see a record before it is published: under [`Durability::Sync`] that is when
/// it is durable, otherwise when it is written.
///
/// ```
/// use shardlog_segment::{LogOptions, Position, ShardLog};
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
/// let seqs = log.append_batch(&[("user-1", "click"), ("user-2", "view")]).unwrap();
/// assert_eq!(seqs, 0..2);
/// let from = log.seek(Position::Oldest).unwrap();
/// let batch = log.read(from, 100, 1 << 20).unwrap();
/// assert_eq!(batch.records[1].data, b"view"[..]);
/// assert_eq!(batch.next, 2);
/// ```
#[derive(Debug)]
pub struct ShardLog {
    pub(crate) inner: Arc<Inner>,
    threads: Mutex<Threads>,
}

/// The smallest active segment for which the eager modes make a spare (see `spare_due`).
const SPARE_FROM_BYTES: u64 = 2 << 20;

/// The log's own background thread (the `Interval` flusher), taken (and joined) by the first close.
/// Sealing and spares run as tasks on the shared pool (`workers.rs`).
#[derive(Debug, Default)]
struct Threads {
    flusher: Option<JoinHandle<()>>,
}

impl ShardLog {
    /// Starts the background work the durability mode needs. Under `Interval` a missing flusher
    /// would silently break the promise, so failing to start it fails the open.
    pub(crate) fn from_inner(inner: Arc<Inner>) -> Result<Self> {
        let flusher = match inner.opts.durability {
            Durability::Interval(every) => {
                Some(spawn_flusher(Arc::downgrade(&inner), every).map_err(|e| {
                    shardlog_storage::Error::io("spawn flusher thread", inner.storage.path(""), e)
                })?)
            }
            _ => None,
        };
        if inner.opts.durability == Durability::Sync {
            // Rolls create their segments in line and seal in line.
            inner.spare.stop();
        } else {
            inner.background_seal.store(true, Ordering::Release);
            // The spare task syncs the mark open left unsynced (so the first append need not), and
            // makes the first spare if one is due already.
            let mut w = inner.lock_writer();
            if let Some(active) = w.active.clone() {
                let make_file = inner.spare_due(&w, &active);
                w.spare_asked = make_file;
                inner.request_spare(SpareRequest {
                    active,
                    next_id: w.next_segment_id,
                    make_file,
                });
            }
        }
        Ok(ShardLog {
            inner,
            threads: Mutex::new(Threads { flusher }),
        })
    }

    /// Appends one record and returns its sequence number.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// assert_eq!(log.append(b"key", b"data").unwrap(), 0);
    /// assert_eq!(log.append(b"key", b"more").unwrap(), 1);
    /// ```
    pub fn append(&self, key: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> Result<u64> {
        Ok(self.append_batch(&[(key, data)])?.start)
    }

    /// Appends records in order and returns their sequence numbers (`first..next`).
    ///
    /// Returns once the records are durable as the [`Durability`] mode promises. The batch is not
    /// atomic: after a crash a prefix of an unacknowledged batch may survive.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// let seqs = log.append_batch(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]).unwrap();
    /// assert_eq!(seqs, 0..3);
    /// ```
    pub fn append_batch<K: AsRef<[u8]>, D: AsRef<[u8]>>(
        &self,
        records: &[(K, D)],
    ) -> Result<Range<u64>> {
        self.inner.check_writable()?;
        self.inner.check_sizes(records)?;
        let range = {
            let mut w = self.inner.lock_writer();
            self.inner.check_writable()?;
            self.inner.write_locked(&mut w, records)?
        };
        if self.inner.opts.durability == Durability::Sync && !range.is_empty() {
            self.inner.wait_durable(range.end)?;
        }
        Ok(range)
    }

    /// Creates the segment appends go to if the log has none yet (a new log makes it at its first
    /// append), so that the first append does not wait for a file to be created and synced.
    /// Returns whether it made one.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// assert!(log.start_active().unwrap());
    /// assert!(!log.start_active().unwrap());
    /// assert_eq!(log.append(b"key", b"data").unwrap(), 0);
    /// ```
    pub fn start_active(&self) -> Result<bool> {
        self.inner.check_writable()?;
        let mut w = self.inner.lock_writer();
        self.inner.check_writable()?;
        if w.active.is_some() {
            return Ok(false);
        }
        let capacity = self.inner.next_capacity(&w, 0);
        self.inner.start_segment(&mut w, capacity)?;
        Ok(true)
    }

    /// Makes every record appended so far durable (a no-op for records that already are).
    ///
    /// ```
    /// # use shardlog_segment::{Durability, LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let opts = LogOptions { durability: Durability::None, ..LogOptions::default() };
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), opts).unwrap();
    /// log.append(b"k", b"v").unwrap();
    /// log.sync().unwrap();
    /// ```
    pub fn sync(&self) -> Result<()> {
        let target = self.inner.lock_writer().next_seq;
        self.inner.wait_durable(target)
    }

    /// The oldest sequence number still stored (records below it were dropped by retention).
    pub fn start_seq(&self) -> u64 {
        let chain = self.inner.read_chain();
        let first = chain.segments.first().map(|s| s.header.base_seq);
        first.map_or(self.next_seq(), |base| base.max(chain.start_seq))
    }

    /// One past the newest visible sequence number: where a reader at the tip continues.
    pub fn next_seq(&self) -> u64 {
        self.inner.visible_next.load(Ordering::Acquire)
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.inner.read_chain().segments.len()
    }

    /// What each segment holds, oldest first: the snapshot retention policies decide on.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// log.append(b"k", b"v").unwrap();
    /// let segs = log.segments();
    /// assert_eq!((segs[0].base_seq, segs[0].next_seq, segs[0].active), (0, 1, true));
    /// ```
    pub fn segments(&self) -> Vec<SegmentInfo> {
        let active = self.inner.lock_writer().active.as_ref().map(|s| s.id());
        let chain = self.inner.read_chain();
        chain
            .segments
            .iter()
            .map(|s| {
                let tip = s.tip();
                SegmentInfo {
                    id: s.id(),
                    base_seq: s.header.base_seq,
                    next_seq: tip.next_seq,
                    first_ts_ms: s.first_ts_ms().min(tip.last_ts_ms),
                    last_ts_ms: tip.last_ts_ms,
                    data_bytes: tip.end.saturating_sub(crate::header::DATA_START),
                    file_bytes: s.header.capacity_bytes,
                    active: Some(s.id()) == active,
                }
            })
            .collect()
    }

    /// True once an I/O failure stopped the log from accepting writes.
    pub fn is_poisoned(&self) -> bool {
        self.inner.poisoned.load(Ordering::Acquire)
    }

    /// Syncs everything, marks the log as cleanly closed and stops its background work.
    ///
    /// Dropping a log closes it too but cannot report errors. Once closed, appends fail with
    /// [`Error::Closed`]; reads of what was published keep working. Closing again only repeats the
    /// final sync.
    pub fn close(&self) -> Result<()> {
        self.stop_threads();
        self.inner.close()
    }

    fn stop_threads(&self) {
        self.inner.closed.store(true, Ordering::Release);
        let flusher = self.threads.locked().flusher.take();
        if let Some(handle) = flusher {
            handle.thread().unpark();
            let _ = handle.join();
        }
        // The sealer's task finishes its queue before it stops.
        let _ = self.inner.wait_sealed();
        self.inner.background_seal.store(false, Ordering::Release);
        // Returns once no spare task runs for this log.
        self.inner.spare.stop();
        // An unused spare would only be deleted by the next open; a failure here costs nothing more.
        let _ = self.inner.discard_spare();
    }
}

impl Drop for ShardLog {
    fn drop(&mut self) {
        let running = self
            .threads
            .get_mut()
            .map_or(true, |threads| threads.flusher.is_some());
        if running || !self.inner.closed.load(Ordering::Acquire) {
            self.stop_threads();
            let _ = self.inner.close();
        }
    }
}

fn spawn_flusher(
    inner: std::sync::Weak<Inner>,
    every: std::time::Duration,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("shardlog-flush".into())
        .spawn(move || loop {
            std::thread::park_timeout(every);
            let Some(inner) = inner.upgrade() else { return };
            if inner.closed.load(Ordering::Acquire) || inner.poisoned.load(Ordering::Acquire) {
                return;
            }
            let target = inner.lock_writer().next_seq;
            // A failure poisons the log; appenders see it on their next call.
            let _ = inner.wait_durable(target);
        })
}

impl Inner {
    fn check_sizes<K: AsRef<[u8]>, D: AsRef<[u8]>>(&self, records: &[(K, D)]) -> Result<()> {
        let max = self.opts.max_record_bytes();
        for (key, data) in records {
            let (key, data) = (key.as_ref(), data.as_ref());
            let size = (key.len() + data.len()) as u64;
            if key.len() > MAX_KEY_LEN || size > max {
                return Err(Error::RecordTooLarge {
                    size_bytes: size,
                    max_bytes: max,
                });
            }
        }
        Ok(())
    }

    /// Encodes and writes `records` under the writer lock; publishes them unless durability is `Sync`.
    fn write_locked<K: AsRef<[u8]>, D: AsRef<[u8]>>(
        &self,
        w: &mut Writer,
        records: &[(K, D)],
    ) -> Result<Range<u64>> {
        self.settle_open_mark(w)?;
        let ts_ms = self.opts.clock.now_ms().max(w.last_ts_ms);
        let first = w.next_seq;
        if first.saturating_add(records.len() as u64) >= crate::header::MAX_SEQ {
            return Err(Error::SequenceExhausted);
        }
        let mut rest = records;
        while let Some((key, data)) = rest.first() {
            let need = align(FRAME_HEADER_LEN + record_len(key.as_ref(), data.as_ref())) as u64;
            let seg = self.ensure_room(w, need)?;
            let taken = self.write_frames(w, &seg, rest, ts_ms)?;
            rest = rest.get(taken..).unwrap_or_default();
            self.ask_for_spare(w, &seg);
        }
        if self.eager() {
            if let Some(seg) = &w.active {
                self.publish(seg, w.tip(), w.first_ts_ms);
            }
        }
        Ok(first..w.next_seq)
    }

    /// Asks for the next segment's file once one is due (`spare_due`).
    fn ask_for_spare(&self, w: &mut Writer, seg: &Arc<Segment>) {
        if w.spare_asked || !self.eager() || !self.spare_due(w, seg) {
            return;
        }
        w.spare_asked = true;
        self.request_spare(SpareRequest {
            active: seg.clone(),
            next_id: w.next_segment_id,
            make_file: true,
        });
    }

    /// True once the writer has filled half of `seg` (the active segment), if `seg` has grown to
    /// [`SPARE_FROM_BYTES`] or to `segment_bytes`: early enough for the spare to be ready at the
    /// roll, late enough that an idle shard keeps no second file. Before that a roll creates its
    /// segment in line: its syncs are short (the seal before it is of a small segment), and
    /// 10,000 shards that each hold a little would otherwise each make a file they may not use.
    pub(crate) fn spare_due(&self, w: &Writer, seg: &Segment) -> bool {
        let capacity = seg.header.capacity_bytes;
        capacity >= SPARE_FROM_BYTES.min(self.opts.segment_bytes) && w.write_end >= capacity / 2
    }

    /// Makes the mark open wrote durable, before the first new frame: a crash must never find new
    /// frames after a CLEAN mark (recovery would not look past the mark, and would hand out their
    /// numbers again).
    pub fn settle_open_mark(&self, w: &Writer) -> Result<()> {
        if !self.open_mark_pending.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(seg) = &w.active {
            seg.file()?.sync().inspect_err(|e| self.poison(e))?;
        }
        self.open_mark_pending.store(false, Ordering::Release);
        Ok(())
    }

    /// Writes as many of `records` as fit in the active segment, in frames of about
    /// [`FRAME_TARGET_LEN`], with one `pwrite`. Returns how many were written.
    fn write_frames<K: AsRef<[u8]>, D: AsRef<[u8]>>(
        &self,
        w: &mut Writer,
        seg: &Segment,
        records: &[(K, D)],
        ts_ms: u64,
    ) -> Result<usize> {
        // The writer appends whole aligned frames inside the data area of its segment; recovery's
        // scan and the readers rely on both (paired with the checks in `publish` and `Segment::tip`).
        assert!(
            w.write_end >= DATA_START && w.write_end % FRAME_ALIGN as u64 == 0,
            "write position {} is not a frame boundary of the data area",
            w.write_end
        );
        let space = (seg.header.capacity_bytes.saturating_sub(w.write_end)) as usize;
        let mut buf = std::mem::take(&mut w.buf);
        buf.clear();
        let mut taken = 0;
        let mut seq = w.next_seq;
        let mut entries = Vec::new();
        while taken < records.len() {
            let n = frame_group(&records[taken..], space - buf.len());
            if n == 0 {
                break;
            }
            entries.push(IndexEntry {
                seq,
                offset: w.write_end + buf.len() as u64,
                timestamp_ms: ts_ms,
            });
            encode_frame(&mut buf, seg.seed, seq, ts_ms, &records[taken..taken + n]);
            taken += n;
            seq += n as u64;
        }
        assert!(
            w.write_end + buf.len() as u64 <= seg.header.capacity_bytes,
            "frames past the segment's capacity"
        );
        assert_eq!(
            seq - w.next_seq,
            taken as u64,
            "one sequence number per record"
        );
        if let Err(e) = seg.file()?.write_at(w.write_end, &buf) {
            // A partial write may be on disk: nothing may be acknowledged after it.
            self.poison(&e);
            w.buf = buf;
            return Err(e.into());
        }
        {
            let mut index = seg.index_mut();
            entries.into_iter().for_each(|e| index.observe(e));
        }
        w.write_end += buf.len() as u64;
        w.next_seq = seq;
        w.last_ts_ms = ts_ms;
        w.first_ts_ms = w.first_ts_ms.min(ts_ms);
        w.buf = buf;
        Ok(taken)
    }

    /// Returns the active segment with at least `need` bytes free, rolling to a new one if needed.
    fn ensure_room(&self, w: &mut Writer, need: u64) -> Result<Arc<Segment>> {
        if let Some(seg) = &w.active {
            if seg.header.capacity_bytes.saturating_sub(w.write_end) >= need {
                return Ok(seg.clone());
            }
        }
        self.roll(w, need)
    }

    /// Seals the active segment and starts the next one, with room for a frame of `need` bytes: in
    /// the spare the spare task made ahead of time if there is one large enough (no sync on the
    /// append path), else in a segment created in line.
    fn roll(&self, w: &mut Writer, need: u64) -> Result<Arc<Segment>> {
        let capacity = self.next_capacity(w, need);
        if let Some(file) = self.take_spare(w.next_segment_id) {
            if file.len() < capacity {
                // Made for a segment that filled up; this roll needs more (a large record).
                drop(file);
                self.abandon_segment(w.next_segment_id);
            } else {
                let seg = self.adopt_spare(w, file)?;
                self.seal_active(w, Some(seg.clone()))?;
                self.activate(w, seg.clone());
                // Its header was written without a sync: the spare task makes it durable.
                self.request_spare(SpareRequest {
                    active: seg.clone(),
                    next_id: w.next_segment_id,
                    make_file: false,
                });
                return Ok(seg);
            }
        }
        if let Some(active) = w.active.clone() {
            // A segment file after the active one may exist only once the active one's header is
            // durable (recovery relies on it: see `spare.rs`).
            if !active.header_durable() {
                active.file()?.sync().inspect_err(|e| self.poison(e))?;
                active.set_header_durable(true);
            }
        }
        self.seal_active(w, None)?;
        self.start_segment(w, capacity)
    }

    /// The capacity of the segment after the newest one (see [`LogOptions::next_capacity`]).
    ///
    /// [`LogOptions::next_capacity`]: crate::LogOptions::next_capacity
    pub(crate) fn next_capacity(&self, w: &Writer, need: u64) -> u64 {
        let prev_end = match &w.active {
            Some(_) => Some(w.write_end),
            None => self.read_chain().segments.last().map(|s| s.tip().end),
        };
        self.opts.next_capacity(prev_end, need)
    }

    /// Seals the active segment (in line, or queued for the background sealer) and leaves no active
    /// segment. `next` is the segment that follows it if that one was made from a spare: its header
    /// is made durable before this segment is marked sealed.
    pub fn seal_active(&self, w: &mut Writer, next: Option<Arc<Segment>>) -> Result<()> {
        let Some(seg) = w.active.take() else {
            return Ok(());
        };
        let tip = w.tip();
        let job = SealJob { seg, tip, next };
        if self.background_seal.load(Ordering::Acquire) {
            // Eager modes: the records are visible already; the seal makes them durable later.
            self.publish(&job.seg, tip, w.first_ts_ms);
            self.seal_later(job);
            return Ok(());
        }
        // Sync: records waiting for their group commit become visible only once durable.
        self.seal_now(&job).inspect_err(|e| self.poison(e))?;
        self.publish(&job.seg, tip, w.first_ts_ms);
        Ok(())
    }

    /// The header of the segment of `capacity_bytes` that starts at the writer's position.
    fn next_header(&self, w: &Writer, capacity_bytes: u64) -> (SegmentHeader, Mark) {
        let prev = self.read_chain().segments.last().map_or(0, |s| s.id());
        let header = SegmentHeader {
            log_id: self.opts.log_id,
            segment_id: w.next_segment_id,
            prev_segment_id: prev,
            base_seq: w.next_seq,
            capacity_bytes,
            created_ms: self.opts.clock.now_ms(),
        };
        let mark = Mark {
            counter: 0,
            durable_end: DATA_START,
            next_seq: w.next_seq,
            last_ts_ms: w.last_ts_ms,
            flags: if self.eager() { MARK_EAGER } else { 0 },
            claim_end: 0,
            claim_next: 0,
        };
        (header, mark)
    }

    /// Turns the spare file into the next segment by writing its header, without a sync: the spare
    /// thread syncs it right after the roll, and the sealer makes sure of it before it marks the
    /// segment before it sealed. With no segment before it (every segment was
    /// dropped) there is nothing that could tell recovery about a lost header, so it is synced now.
    fn adopt_spare(&self, w: &Writer, file: Arc<dyn StorageFile>) -> Result<Arc<Segment>> {
        let (header, mark) = self.next_header(w, file.len());
        let adopted = init_segment(file, header, mark).and_then(|seg| {
            if w.active.is_none() {
                seg.file()?.sync()?;
            } else {
                seg.set_header_durable(false);
            }
            Ok(seg)
        });
        adopted.inspect_err(|_| self.abandon_segment(header.segment_id))
    }

    /// Creates the next segment, of `capacity_bytes`, and makes it durable (file and directory)
    /// before any record uses it.
    pub fn start_segment(&self, w: &mut Writer, capacity_bytes: u64) -> Result<Arc<Segment>> {
        let (header, mark) = self.next_header(w, capacity_bytes);
        let created = create_segment(&*self.storage, header, mark).and_then(|seg| {
            crashpoint::hit(CrashPoint::SegmentCreated);
            self.storage.sync_dir()?;
            Ok(seg)
        });
        let seg = match created {
            Ok(seg) => seg,
            Err(e) => {
                self.abandon_segment(header.segment_id);
                return Err(e);
            }
        };
        self.activate(w, seg.clone());
        Ok(seg)
    }

    /// Makes `seg` the segment appends go to.
    fn activate(&self, w: &mut Writer, seg: Arc<Segment>) {
        w.next_segment_id = w.next_segment_id.saturating_add(1);
        w.active = Some(seg.clone());
        w.spare_asked = false;
        w.write_end = DATA_START;
        w.first_ts_ms = u64::MAX;
        self.write_chain().segments.push(seg);
    }

    /// Removes a segment whose creation failed, so a later append can retry (for example after a full
    /// disk gained space). If even that fails, the directory state is unknown: poison.
    pub fn abandon_segment(&self, id: u64) {
        let name = crate::segment::segment_name(id);
        let exists = self.storage.list().map(|names| names.contains(&name));
        let cleaned = match exists {
            Ok(true) => self
                .storage
                .remove(&name)
                .and_then(|()| self.storage.sync_dir()),
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = cleaned {
            self.poison(&e);
        }
    }

    pub fn publish(&self, seg: &Segment, tip: Tip, first_ts_ms: u64) {
        // Numbers become visible only once the bytes holding them are published (readers stop at
        // `visible_next`, paired with the frame checks in `write_frames`).
        assert!(
            tip.next_seq >= seg.header.base_seq,
            "a tip below its segment's first number"
        );
        seg.publish(tip, first_ts_ms);
        self.visible_next.fetch_max(tip.next_seq, Ordering::AcqRel);
    }

    /// Waits until every sequence number below `target` is durable, leading a group sync if no other
    /// thread is.
    pub fn wait_durable(&self, target: u64) -> Result<()> {
        let mut st = self.lock_sync();
        loop {
            if self.poisoned.load(Ordering::Acquire) {
                return Err(Error::Poisoned);
            }
            if st.durable_next >= target {
                return Ok(());
            }
            if st.leader {
                st = self.sync_cv.wait_on(st);
                continue;
            }
            st.leader = true;
            drop(st);
            let result = self.sync_active(0);
            st = self.lock_sync();
            st.leader = false;
            match result {
                Ok(next) => st.durable_next = st.durable_next.max(next),
                Err(e) => {
                    self.poison(&e);
                    return Err(e);
                }
            }
            self.sync_cv.notify_all();
        }
    }

    /// One group commit: writes the previous durable mark, syncs the active segment, publishes.
    /// Called only by the sync leader. Returns the next sequence number now durable.
    fn sync_active(&self, extra_flags: u32) -> Result<u64> {
        let (seg, tip, first_ts_ms, seals) = {
            let w = self.lock_writer();
            // Segments sealed in the background before this tip are counted under the same lock
            // that queues them, so "durable below n" covers every earlier segment too.
            let seals = self.sealer.enqueued();
            match &w.active {
                Some(seg) => (seg.clone(), w.tip(), w.first_ts_ms, seals),
                None => {
                    let next = w.next_seq;
                    drop(w);
                    self.wait_sealed_to(seals)?;
                    return Ok(next);
                }
            }
        };
        self.wait_sealed_to(seals)?;
        let mut durable = seg.durable_state();
        let (prev, counter) = *durable;
        if seg.is_sealed() || (prev == tip && extra_flags == 0) {
            // A roll sealed this segment meanwhile: its seal made everything durable.
            return Ok(tip.next_seq);
        }
        // The mark names the previous sync's end: it is already on disk, whatever this sync does.
        let marked = if extra_flags & MARK_CLEAN != 0 {
            tip
        } else {
            prev
        };
        let mark = Mark {
            counter: counter.saturating_add(1),
            durable_end: marked.end.max(DATA_START),
            next_seq: marked.next_seq,
            last_ts_ms: marked.last_ts_ms,
            flags: extra_flags | if self.eager() { MARK_EAGER } else { 0 },
            // Recovery must know how far this sync reached even if it cannot know that it finished.
            claim_end: tip.end,
            claim_next: tip.next_seq,
        };
        // A log opened after a clean close and closed with nothing new has its data durable and
        // the index file of this very end on disk: only the clean mark is left to write. (With
        // 10,000 shards, rewriting each index file made such a close take seconds.)
        let index_current = prev == tip && seg.index_file_end() == tip.end;
        if extra_flags & MARK_CLEAN != 0 && !index_current {
            seg.file()?.sync()?;
            // So that the next open need not scan this segment (a cache: a failure costs a scan).
            let idx = seg.index_file(tip).encode();
            if write_file_atomic(&*self.storage, &index_name(seg.id()), &idx).is_ok() {
                seg.set_index_file_end(tip.end);
            }
        }
        seg.write_mark(&mark)?;
        seg.file()?.sync()?;
        *durable = (tip, mark.counter);
        drop(durable);
        self.publish(&seg, tip, first_ts_ms);
        Ok(tip.next_seq)
    }

    /// Final sync with a clean mark. Idempotent.
    pub fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::Poisoned);
        }
        let mut st = self.lock_sync();
        while st.leader {
            st = self.sync_cv.wait_on(st);
        }
        st.leader = true;
        drop(st);
        let result = self.sync_active(MARK_CLEAN);
        let mut st = self.lock_sync();
        st.leader = false;
        match &result {
            Ok(next) => st.durable_next = st.durable_next.max(*next),
            Err(e) => self.poison(e),
        }
        self.sync_cv.notify_all();
        result.map(|_| ())
    }
}

/// How many of `records` go into the next frame, given `space` bytes.
fn frame_group<K: AsRef<[u8]>, D: AsRef<[u8]>>(records: &[(K, D)], space: usize) -> usize {
    let mut len = FRAME_HEADER_LEN;
    let mut n = 0;
    for (key, data) in records.iter().take(u16::MAX as usize) {
        let add = record_len(key.as_ref(), data.as_ref());
        let fits_target = n == 0 || len + add <= FRAME_TARGET_LEN;
        if !fits_target || align(len + add) > space {
            break;
        }
        len += add;
        n += 1;
    }
    n
}
