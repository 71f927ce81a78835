//! Online backup of one shard log: a copy of its durable prefix while appends continue.
//!
//! [`ShardLog::backup_to`] first syncs the log (every record appended before the call is durable),
//! then, under the log's merge lock (no merge renames a file meanwhile) and for an instant under the
//! writer lock, takes the chain of segments, `log.meta` and an open handle on every segment file (so
//! that a segment dropped by retention meanwhile is still read whole). It then writes, without
//! holding any lock the writer needs:
//!
//! - every sealed segment before the active one, whole (hard-linked when asked and possible: a
//!   sealed segment is never written again), with its `.idx` from the in-memory index;
//! - the active segment (or the first one whose seal has not finished) up to its durable point,
//!   with a page 0 of its own: the header and one mark naming exactly the copied bytes, as an
//!   unclean mark (not `CLEAN`, `EAGER` in the eager modes), so that opening the copy is a recovery
//!   from a crash at that point. Later segments are left out (they hold only records appended
//!   after the sync);
//! - `log.meta`, whose first live segment is the first copied one.
//!
//! Every file is synced, then the directory.

use crate::error::Result;
use crate::header::{Mark, DATA_START, MARK_EAGER, MARK_OFFSETS};
use crate::log::ShardLog;
use crate::meta::META_NAME;
use crate::segment::{index_name, Segment, Tip};
use shardlog_storage::{Storage, StorageFile};
use std::sync::Arc;

/// Bytes per read and write of a copy.
const COPY_CHUNK: usize = 1 << 20;

/// What [`ShardLog::backup_to`] wrote.
///
/// ```
/// let s = shardlog_segment::ShardBackup::default();
/// assert_eq!((s.segments, s.next_seq), (0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShardBackup {
    /// Segment files in the copy.
    pub segments: usize,
    /// Of those, hard-linked instead of copied.
    pub linked: usize,
    /// Bytes of segment data copied or linked (without preallocated space).
    pub bytes: u64,
    /// One past the last sequence number in the copy: every record below it is in it.
    pub next_seq: u64,
}

impl ShardLog {
    /// Copies the log's durable prefix into the empty storage `dest` while appends go on: every
    /// record appended before the call (and perhaps some after it) is in the copy, as a prefix of
    /// the log with no gap. Opening the copy recovers it as after a crash at that point. With
    /// `link`, sealed segments are hard-linked when both sides are real directories of one file
    /// system (else copied). `progress` is called with the bytes of each piece written.
    ///
    /// ```
    /// use shardlog_segment::{LogOptions, ShardLog};
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default())?;
    /// log.append_batch(&[("k", "a"), ("k", "b")])?;
    /// let copy = Arc::new(SimDisk::new(2));
    /// assert_eq!(log.backup_to(&*copy, false, &|_| {})?.next_seq, 2);
    /// let restored = ShardLog::open(copy, LogOptions::default())?;
    /// assert_eq!(restored.read(0, 10, 1 << 20)?.records[1].data, b"b"[..]);
    /// # Ok::<(), shardlog_segment::Error>(())
    /// ```
    pub fn backup_to(
        &self,
        dest: &dyn Storage,
        link: bool,
        progress: &dyn Fn(u64),
    ) -> Result<ShardBackup> {
        let inner = &self.inner;
        let _merges = inner.lock_compaction();
        self.sync()?;
        let (mut meta, active, segs) = {
            let w = inner.lock_writer();
            let chain = inner.read_chain();
            let mut segs: Vec<(Arc<Segment>, Arc<dyn StorageFile>)> = Vec::new();
            for s in &chain.segments {
                segs.push((s.clone(), s.file()?));
            }
            (w.meta, w.active.as_ref().map(|s| s.id()), segs)
        };
        if let Some((first, _)) = segs.first() {
            meta.first_live_segment = first.id();
        }
        let mut out = ShardBackup {
            next_seq: meta.next_seq_floor,
            ..ShardBackup::default()
        };
        let mut last_ts_ms = 0;
        let mut buf = Vec::new();
        for (seg, file) in &segs {
            out.segments += 1;
            if seg.is_sealed() && Some(seg.id()) != active {
                let tip = seg.tip();
                let linked = link
                    && std::fs::hard_link(inner.storage.path(&seg.name), dest.path(&seg.name))
                        .is_ok();
                if linked {
                    out.linked += 1;
                    progress(tip.end);
                } else {
                    // Sparse: a backup costs the bytes it holds, not each segment's capacity.
                    let to = dest.create_sparse(&seg.name, seg.header.capacity_bytes)?;
                    copy_range(&**file, &*to, 0, tip.end, &mut buf, progress)?;
                    to.sync()?;
                }
                write_new(dest, &index_name(seg.id()), &seg.index_file(tip).encode())?;
                out.bytes += tip.end;
                out.next_seq = tip.next_seq;
                last_ts_ms = tip.last_ts_ms;
                continue;
            }
            // The tail: what the last sync made durable, under a mark of its own.
            let durable = seg.durable_state().0;
            let tip = if durable.end < DATA_START {
                Tip {
                    end: DATA_START,
                    next_seq: seg.header.base_seq,
                    last_ts_ms,
                }
            } else {
                durable
            };
            let mark = Mark {
                counter: 1,
                durable_end: tip.end,
                next_seq: tip.next_seq,
                last_ts_ms: tip.last_ts_ms,
                flags: if inner.eager() { MARK_EAGER } else { 0 },
                claim_end: 0,
                claim_next: 0,
            };
            let to = dest.create_sparse(&seg.name, seg.header.capacity_bytes)?;
            to.write_at(0, &seg.header.encode())?;
            to.write_at(MARK_OFFSETS[mark.slot()], &mark.encode(seg.seed))?;
            copy_range(&**file, &*to, DATA_START, tip.end, &mut buf, progress)?;
            to.sync()?;
            out.bytes += tip.end;
            out.next_seq = tip.next_seq;
            break;
        }
        write_new(dest, META_NAME, &meta.encode())?;
        dest.sync_dir()?;
        Ok(out)
    }
}

/// Copies bytes `from..to` of `src` to the same place in `dst`.
fn copy_range(
    src: &dyn StorageFile,
    dst: &dyn StorageFile,
    from: u64,
    to: u64,
    buf: &mut Vec<u8>,
    progress: &dyn Fn(u64),
) -> Result<()> {
    let mut at = from;
    while at < to {
        let n = COPY_CHUNK.min(usize::try_from(to - at).unwrap_or(COPY_CHUNK));
        buf.resize(n, 0);
        src.read_at(at, buf)?;
        dst.write_at(at, buf)?;
        progress(n as u64);
        at += n as u64;
    }
    Ok(())
}

/// Creates `name` with `bytes` and syncs it (the directory is synced by the caller).
fn write_new(dest: &dyn Storage, name: &str, bytes: &[u8]) -> Result<()> {
    let file = dest.create(name, bytes.len() as u64)?;
    file.write_at(0, bytes)?;
    Ok(file.sync()?)
}
