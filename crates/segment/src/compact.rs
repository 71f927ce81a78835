//! Compaction: merging a run of small sealed segments into one, without changing any record's
//! sequence number.
//!
//! Restarts, idle rolls and low-volume shards leave many small preallocated segments. A merge copies
//! the run's frames (re-checksummed for the new segment's identity) into a new file that takes the id
//! of the run's last segment, makes it complete and sealed, and then swaps it in:
//!
//! 1. write `merge-<n>-<last>.seg.cmp` fully, sealed mark last; fsync it and the directory;
//! 2. rename it over `<last>.seg` and fsync the directory: the commit point;
//! 3. if the run started the log, move `first_live_segment` in `log.meta` to the new segment;
//! 4. unlink the older segments of the run (and their index files), fsync the directory.
//!
//! A crash before 2 leaves a `.cmp` file that open deletes. A crash after 2 leaves the older segments
//! of the run behind the merged one: its header names the segment before the run as its predecessor,
//! so open recognises them as covered leftovers and deletes them.
//!
//! Merges of one log are serialised (a merge holds the log's compaction lock from choosing its run
//! to deleting the leftovers), and each has a temporary file of its own: a merge never removes or
//! renames a file another merge wrote.

use crate::codec::{decode_frame, encode_frame, encode_skip};
use crate::error::{Error, Result};
use crate::header::{Mark, SegmentHeader, DATA_START, MARK_EAGER, MARK_SEALED};
use crate::index::{IndexEntry, SparseIndex};
use crate::log::ShardLog;
use crate::meta::META_NAME;
use crate::segment::{index_name, segment_name, Segment, Tip};
use shardlog_storage::crashpoint::{self, CrashPoint};
use shardlog_storage::{write_file_atomic, Storage};
use std::sync::Arc;

/// Suffix of a merged segment before it is committed.
pub(crate) const COMPACT_SUFFIX: &str = ".cmp";

impl ShardLog {
    /// Merges the consecutive sealed segments `ids` (oldest first, at least two, not the active one)
    /// into one segment holding all their records under the same sequence numbers. Returns the id of
    /// the merged segment. Readers see no change except fewer files.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let disk = Arc::new(SimDisk::new(1));
    /// let small = LogOptions { segment_bytes: 16 * 1024, ..LogOptions::default() };
    /// let log = ShardLog::open(disk.clone(), small).unwrap();
    /// for i in 0..30u8 {
    ///     log.append(b"k", [i; 1000]).unwrap();
    /// }
    /// log.close().unwrap();
    /// // Reopened with larger segments, the small sealed ones can be merged.
    /// let log = ShardLog::open(disk, LogOptions { segment_bytes: 1 << 20, ..LogOptions::default() }).unwrap();
    /// let sealed: Vec<u64> = log.segments().iter().filter(|s| !s.active).map(|s| s.id).collect();
    /// log.compact(&sealed).unwrap();
    /// assert_eq!(log.segment_count(), 2);
    /// assert_eq!(log.read(0, 100, usize::MAX).unwrap().records.len(), 30);
    /// ```
    pub fn compact(&self, ids: &[u64]) -> Result<u64> {
        // One merge at a time per log: a second merge of the same run would otherwise race the
        // first one's commit, and a merge of an overlapping run would copy segments the first one
        // is about to replace.
        let mut compaction = self.inner.lock_compaction();
        let run = self.run_of(ids)?;
        let tmp = temp_name(&mut compaction, &run)?;
        let (merged, tip) = self.write_merged(&run, &tmp)?;
        self.swap_in(&run, merged, tip, &tmp)
    }

    /// The segments named by `ids`, checked to be a run of sealed segments that fits in one segment.
    fn run_of(&self, ids: &[u64]) -> Result<Vec<Arc<Segment>>> {
        let active = self.inner.lock_writer().active.as_ref().map(|s| s.id());
        let chain = self.inner.read_chain();
        let start = ids
            .first()
            .and_then(|first| chain.segments.iter().position(|s| s.id() == *first));
        let run: Vec<Arc<Segment>> = start
            .map(|i| {
                chain
                    .segments
                    .iter()
                    .skip(i)
                    .take(ids.len())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let same = run.len() == ids.len() && run.iter().zip(ids).all(|(s, id)| s.id() == *id);
        let bytes: u64 = run.iter().map(|s| s.tip().end - DATA_START).sum();
        let room = self.inner.opts.segment_bytes - DATA_START;
        if ids.len() < 2
            || !same
            || run.iter().any(|s| Some(s.id()) == active || !s.is_sealed())
            || bytes > room
        {
            return Err(Error::InvalidOptions(format!(
                "segments {ids:?} are not a run of at least two sealed segments fitting in one segment"
            )));
        }
        Ok(run)
    }

    /// Writes the merged segment as the temporary file `tmp`, complete, sealed and durable.
    fn write_merged(&self, run: &[Arc<Segment>], tmp: &str) -> Result<(Arc<Segment>, Tip)> {
        let (first, last) = match (run.first(), run.last()) {
            (Some(f), Some(l)) => (f, l),
            _ => return Err(Error::InvalidOptions("empty run".into())),
        };
        let storage = &*self.inner.storage;
        // Sealed, it never grows: its file holds the run's frames and no preallocated tail.
        let bytes: u64 = run.iter().map(|s| s.tip().end - DATA_START).sum();
        let capacity_bytes = crate::options::whole_pages(bytes).max(crate::MIN_SEGMENT_BYTES);
        let header = SegmentHeader {
            segment_id: last.id(),
            prev_segment_id: first.header.prev_segment_id,
            base_seq: first.header.base_seq,
            capacity_bytes,
            created_ms: self.inner.opts.clock.now_ms(),
            ..first.header
        };
        // A name no other merge uses (see `temp_name`): creating it never replaces a file.
        let file = storage.create(tmp, header.capacity_bytes)?;
        file.write_at(0, &header.encode())?;
        let merged = Segment::new(header, file, SparseIndex::default());
        let mut index = SparseIndex::default();
        let mut end = DATA_START;
        let mut tip = Tip {
            end,
            next_seq: header.base_seq,
            last_ts_ms: 0,
        };
        let mut first_ts_ms = u64::MAX;
        for seg in run {
            let bytes = read_data(seg)?;
            let mut out = Vec::with_capacity(bytes.len());
            let mut pos = 0;
            while pos < bytes.len() {
                let frame = decode_frame(&bytes[pos..], seg.seed).map_err(|e| {
                    Error::corrupt(seg.path.clone(), DATA_START + pos as u64, e.to_string())
                })?;
                let at = end + out.len() as u64;
                if frame.is_skip() {
                    encode_skip(
                        &mut out,
                        merged.seed,
                        frame.first_seq(),
                        frame.timestamp_ms(),
                    );
                } else {
                    index.observe(IndexEntry {
                        seq: frame.first_seq(),
                        offset: at,
                        timestamp_ms: frame.timestamp_ms(),
                    });
                    first_ts_ms = first_ts_ms.min(frame.timestamp_ms());
                    let records: Vec<(&[u8], &[u8])> =
                        frame.records().map(|r| (r.key, r.data)).collect();
                    encode_frame(
                        &mut out,
                        merged.seed,
                        frame.first_seq(),
                        frame.timestamp_ms(),
                        &records,
                    );
                }
                tip.next_seq = frame.next_seq();
                tip.last_ts_ms = frame.timestamp_ms();
                pos += frame.stride();
            }
            if end + out.len() as u64 > capacity_bytes {
                // Frames re-encoded as they were read keep their length; these did not.
                return Err(Error::corrupt(
                    seg.path.clone(),
                    DATA_START,
                    "its frames grew when merged".to_string(),
                ));
            }
            merged.file()?.write_at(end, &out)?;
            end += out.len() as u64;
        }
        tip.end = end;
        let mark = Mark {
            counter: 1,
            durable_end: end,
            next_seq: tip.next_seq,
            last_ts_ms: tip.last_ts_ms,
            flags: MARK_SEALED | if self.inner.eager() { MARK_EAGER } else { 0 },
            claim_end: 0,
            claim_next: 0,
        };
        merged.file()?.sync()?;
        merged.write_mark(&mark)?;
        merged.file()?.sync()?;
        storage.sync_dir()?;
        *merged.index_mut() = index;
        merged.publish(tip, first_ts_ms);
        *merged.durable_state() = (tip, mark.counter);
        merged.set_sealed();
        Ok((Arc::new(merged), tip))
    }

    /// Commits the merged segment in place of the run, then deletes the run's older files.
    fn swap_in(
        &self,
        run: &[Arc<Segment>],
        merged: Arc<Segment>,
        tip: Tip,
        tmp: &str,
    ) -> Result<u64> {
        let storage = &*self.inner.storage;
        let last_id = merged.id();
        let mut w = self.inner.lock_writer();
        // Retention may have dropped part of the run meanwhile: then give up the merge.
        let still_there = {
            let chain = self.inner.read_chain();
            let i = chain.segments.iter().position(|s| Arc::ptr_eq(s, &run[0]));
            i.is_some_and(|i| {
                run.iter()
                    .enumerate()
                    .all(|(k, s)| chain.segments.get(i + k).is_some_and(|c| Arc::ptr_eq(c, s)))
            })
        };
        if !still_there {
            drop(w);
            storage.remove(tmp)?;
            storage.sync_dir()?;
            return Err(Error::InvalidOptions(
                "the segments changed during the merge".into(),
            ));
        }
        // Readers may still hold the run's last segment, whose name the merged file takes.
        if let Some(last) = run.last() {
            last.pin()?;
        }
        let swap = storage
            .rename(tmp, &segment_name(last_id))
            .and_then(|()| storage.sync_dir());
        if let Err(e) = swap {
            // The directory is in an unknown state: stop writing, let recovery sort it out.
            self.inner.poison(&e);
            return Err(e.into());
        }
        crashpoint::hit(CrashPoint::CompactionAfterSwap);
        if run
            .first()
            .is_some_and(|s| s.id() == w.meta.first_live_segment)
        {
            let meta = crate::meta::LogMeta {
                first_live_segment: last_id,
                ..w.meta
            };
            write_file_atomic(storage, META_NAME, &meta.encode())?;
            w.meta = meta;
        }
        {
            let mut chain = self.inner.write_chain();
            if let Some(i) = chain.segments.iter().position(|s| Arc::ptr_eq(s, &run[0])) {
                chain.segments.splice(i..i + run.len(), [merged.clone()]);
            }
        }
        drop(w);
        merged.park(&self.inner.storage, &self.inner.opts.open_segments);
        remove_leftovers(
            storage,
            run.iter().map(|s| s.id()).filter(|id| *id != last_id),
        )?;
        let _ = write_file_atomic(
            storage,
            &index_name(last_id),
            &merged.index_file(tip).encode(),
        );
        Ok(last_id)
    }
}

/// The temporary file of a merge: `merge-<n>-<last segment>.seg.cmp`, numbered per log so that no
/// two merges of one process share a name, and deleted by recovery at open (as every `.cmp` is), so
/// no file of an earlier process is ever reused.
fn temp_name(state: &mut crate::state::Compaction, run: &[Arc<Segment>]) -> Result<String> {
    let last = run
        .last()
        .ok_or_else(|| Error::InvalidOptions("empty run".into()))?;
    state.next_temp += 1;
    Ok(format!(
        "merge-{}-{}{COMPACT_SUFFIX}",
        state.next_temp,
        segment_name(last.id())
    ))
}

/// Reads a sealed segment's frames.
fn read_data(seg: &Segment) -> Result<Vec<u8>> {
    let end = seg.tip().end;
    let mut buf = vec![0u8; (end - DATA_START) as usize];
    seg.file()?.read_at(DATA_START, &mut buf)?;
    Ok(buf)
}

/// Deletes covered segments (and their index files), newest first with a directory sync after each:
/// whenever a crash interrupts, what is left of the run is its oldest part, each segment still
/// following the one before it, all of it covered by the merged segment.
pub(crate) fn remove_leftovers(
    storage: &dyn Storage,
    ids: impl Iterator<Item = u64>,
) -> Result<()> {
    let names = storage.list()?;
    let mut ids: Vec<u64> = ids.collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    for id in ids {
        for name in [index_name(id), segment_name(id)] {
            if names.contains(&name) {
                storage.remove(&name)?;
            }
        }
        storage.sync_dir()?;
    }
    Ok(())
}
