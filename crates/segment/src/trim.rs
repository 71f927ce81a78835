//! Dropping old segments: the mechanism retention uses.

use crate::error::Result;
use crate::log::ShardLog;
use crate::meta::{LogMeta, META_NAME};
use crate::segment::index_name;
use shardlog_storage::crashpoint::{self, CrashPoint};
use shardlog_storage::write_file_atomic;
use std::sync::Arc;

impl ShardLog {
    /// Deletes the oldest segments whose records all have sequence numbers below `seq`, and returns how
    /// many were deleted. The new start of the log is made durable first; only then are the files
    /// unlinked and the directory synced, so a crash in between leaves files that the next open
    /// deletes, never a gap. Readers holding a dropped segment finish reading it.
    ///
    /// If every record is below `seq` the newest segment goes too; numbering continues after the last
    /// record, also across a reopen.
    ///
    /// ```
    /// # use shardlog_segment::{LogOptions, ShardLog};
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
    /// log.append_batch(&[(b"k", b"a"), (b"k", b"b")]).unwrap();
    /// assert_eq!(log.drop_segments_before(2).unwrap(), 1);
    /// assert_eq!(log.start_seq(), 2);
    /// assert_eq!(log.append(b"k", b"c").unwrap(), 2);
    /// ```
    pub fn drop_segments_before(&self, seq: u64) -> Result<usize> {
        let inner = &self.inner;
        let mut w = inner.lock_writer();
        if w.active.is_some() && w.next_seq <= seq {
            inner.seal_active(&mut w, None)?;
        }
        let doomed: Vec<_> = {
            let chain = inner.read_chain();
            let live_active = w.active.as_ref().map(|s| s.id());
            chain
                .segments
                .iter()
                .take_while(|s| Some(s.id()) != live_active && s.tip().next_seq <= seq)
                .cloned()
                .collect()
        };
        let Some(last) = doomed.last() else {
            return Ok(0);
        };
        let kept_first = inner
            .read_chain()
            .segments
            .get(doomed.len())
            .map(|s| s.id());
        let meta = LogMeta {
            start_seq: w.meta.start_seq.max(last.tip().next_seq),
            next_seq_floor: w.meta.next_seq_floor.max(w.next_seq),
            first_live_segment: kept_first.unwrap_or(w.next_segment_id),
            ..w.meta
        };
        write_file_atomic(&*inner.storage, META_NAME, &meta.encode())?;
        crashpoint::hit(CrashPoint::DropAfterMeta);
        w.meta = meta;
        {
            let mut chain = inner.write_chain();
            chain.segments.drain(..doomed.len());
            chain.start_seq = meta.start_seq;
        }
        drop(w);
        remove_files(&*inner.storage, &doomed)?;
        Ok(doomed.len())
    }
}

fn remove_files(
    storage: &dyn shardlog_storage::Storage,
    doomed: &[Arc<crate::segment::Segment>],
) -> Result<()> {
    let names = storage.list()?;
    for seg in doomed {
        storage.remove(&seg.name)?;
        crashpoint::hit(CrashPoint::DropBetweenUnlinks);
        let idx = index_name(seg.id());
        if names.contains(&idx) {
            storage.remove(&idx)?;
        }
    }
    crashpoint::hit(CrashPoint::DropBeforeDirFsync);
    Ok(storage.sync_dir()?)
}
