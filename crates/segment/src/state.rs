//! The shared state of one shard's log: what the writer, readers, group commit and the background
//! tasks all see. `log.rs` holds the append path over it, `seal.rs` and `spare.rs` the background
//! work, `recovery.rs` builds it.

use crate::error::{Error, Result};
use crate::handoff::{Sealer, SpareSlot};
use crate::meta::LogMeta;
use crate::options::{Durability, LogOptions};
use crate::segment::{Segment, Tip};
use shardlog_storage::{MutexExt as _, RwLockExt as _, Storage};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

#[derive(Debug)]
pub(crate) struct Inner {
    /// This log, for the background tasks it starts (they must not keep it alive).
    pub me: Weak<Inner>,
    pub storage: Arc<dyn Storage>,
    pub opts: LogOptions,
    pub chain: RwLock<Chain>,
    pub writer: Mutex<Writer>,
    pub sync: Mutex<SyncState>,
    pub sync_cv: Condvar,
    pub poisoned: AtomicBool,
    pub closed: AtomicBool,
    /// Sequence numbers below this are visible to readers.
    pub visible_next: AtomicU64,
    /// Full segments waiting for the background sealer (eager durability modes only).
    pub sealer: Sealer,
    /// True when full segments are sealed in the background (eager modes, until close).
    pub background_seal: AtomicBool,
    /// The next segment file, created ahead of time by the spare task (`spare.rs`).
    pub spare: SpareSlot,
    /// Open wrote the "open, unclean" mark of the active segment but did not sync it yet.
    pub open_mark_pending: AtomicBool,
    /// Held for the whole of a merge: two merges of one log never run at once.
    pub compaction: Mutex<Compaction>,
}

/// State of the log's merges, behind [`Inner::compaction`].
#[derive(Debug, Default)]
pub(crate) struct Compaction {
    /// Numbers the temporary files of this log's merges, so that no two ever share a name.
    pub next_temp: u64,
}

/// The segments readers can see, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub segments: Vec<Arc<Segment>>,
    pub start_seq: u64,
}

#[derive(Debug)]
pub(crate) struct Writer {
    pub active: Option<Arc<Segment>>,
    pub write_end: u64,
    pub next_seq: u64,
    pub last_ts_ms: u64,
    pub first_ts_ms: u64,
    pub next_segment_id: u64,
    pub meta: LogMeta,
    pub buf: Vec<u8>,
    /// The spare after the active segment was asked for (it is half full).
    pub spare_asked: bool,
}

#[derive(Debug, Default)]
pub(crate) struct SyncState {
    /// Every sequence number below this is durable.
    pub durable_next: u64,
    pub leader: bool,
}

impl Inner {
    pub fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.locked()
    }

    pub fn lock_compaction(&self) -> MutexGuard<'_, Compaction> {
        self.compaction.locked()
    }

    pub fn lock_sync(&self) -> MutexGuard<'_, SyncState> {
        self.sync.locked()
    }

    pub fn read_chain(&self) -> RwLockReadGuard<'_, Chain> {
        self.chain.reading()
    }

    pub fn write_chain(&self) -> RwLockWriteGuard<'_, Chain> {
        self.chain.writing()
    }

    pub fn check_writable(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::Poisoned);
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Latches the log into the failed state (rule: never retry after a failed write or sync),
    /// saying why in the log the first time.
    pub fn poison(&self, why: &dyn std::fmt::Display) {
        if !self.poisoned.swap(true, Ordering::AcqRel) {
            tracing::error!(
                dir = %self.storage.path("").display(),
                error = %why,
                "a write or sync failed: the shard log refuses writes until it is reopened (fail-stop)"
            );
        }
        self.sync_cv.notify_all();
    }

    pub fn eager(&self) -> bool {
        self.opts.durability != Durability::Sync
    }
}

impl Writer {
    pub fn tip(&self) -> Tip {
        Tip {
            end: self.write_end,
            next_seq: self.next_seq,
            last_ts_ms: self.last_ts_ms,
        }
    }
}
