//! The spare: the next segment file, made ready off the append path.
//!
//! Creating a segment costs a `fallocate`, an `fdatasync` and a directory sync. In the eager modes the
//! background sealer is usually in the middle of a whole segment's `fdatasync` when a roll happens,
//! and the roll's own syncs would queue behind it and stall the appender for tens of milliseconds. So
//! the sealer thread creates the *next* segment file ahead of time: `{id}.seg` with its full length
//! allocated, all zero (no header yet), its length and name durable. A roll then only writes the
//! header and the first mark into page 0 of the spare, without syncing; the sealer makes that header
//! durable before it seals the previous segment (see `seal.rs`).
//!
//! Crash safety (details in `docs/format.md` §8.2): a spare that was never used is a newest segment
//! with no header and a zero data area, which open deletes like an interrupted creation. A spare that
//! was rolled into but whose header was lost (power cut before the sealer synced it) has no header but
//! may hold frames; its predecessor then has no SEALED mark, and open deletes it too, because none of
//! its records was ever reported durable. The numbers it may have handed out are covered by the skip
//! that every unclean eager recovery makes (§8.5 step 7).

use crate::error::Result;
use crate::log::Inner;
use crate::segment::segment_name;
use crate::storage::StorageFile;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The spare file slot of a log.
#[derive(Debug, Default)]
pub(crate) struct SpareSlot {
    state: Mutex<SpareState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
enum SpareState {
    #[default]
    Empty,
    /// The sealer is creating the file of this segment id.
    Making(u64),
    /// The file of this segment id is allocated and durable.
    Ready(u64, Arc<dyn StorageFile>),
}

impl SpareSlot {
    fn lock(&self) -> MutexGuard<'_, SpareState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, state: SpareState) {
        *self.lock() = state;
        self.cv.notify_all();
    }
}

impl Inner {
    /// Creates the spare for the segment after the active one, unless it exists already or there is
    /// no active segment. Runs on the sealer thread. A failure leaves no spare (the next roll creates
    /// its segment in line and reports the error there).
    pub fn make_spare(&self) {
        let id = {
            let w = self.lock_writer();
            let mut slot = self.spare.lock();
            let stopping =
                self.closed.load(Ordering::Acquire) || self.poisoned.load(Ordering::Acquire);
            // Only once the active segment's header is durable: a file after a segment whose header
            // may still be lost would leave a hole that recovery cannot explain. The seal job that
            // syncs that header calls this again.
            let ready = w.active.as_ref().is_some_and(|a| a.header_durable());
            if stopping || !ready || !matches!(*slot, SpareState::Empty) {
                return;
            }
            *slot = SpareState::Making(w.next_segment_id);
            w.next_segment_id
        };
        let made = self.create_spare_file(id);
        match made {
            Ok(file) => self.spare.set(SpareState::Ready(id, file)),
            Err(_) => {
                self.spare.set(SpareState::Empty);
                self.abandon_segment(id);
            }
        }
    }

    fn create_spare_file(&self, id: u64) -> Result<Arc<dyn StorageFile>> {
        let file = self
            .storage
            .create(&segment_name(id), self.opts.segment_bytes)?;
        // Length first, then the name: a spare must never be lost or shortened once a roll used it.
        file.sync()?;
        self.storage.sync_dir()?;
        Ok(file)
    }

    /// Takes the spare if it is the file of segment `id`, waiting if the sealer is creating it right
    /// now. `None` means: create the segment in line.
    pub fn take_spare(&self, id: u64) -> Option<Arc<dyn StorageFile>> {
        let mut slot = self.spare.lock();
        loop {
            match std::mem::take(&mut *slot) {
                SpareState::Ready(spare_id, file) if spare_id == id => return Some(file),
                SpareState::Making(making) if making == id => {
                    *slot = SpareState::Making(making);
                    slot = self.spare.cv.wait(slot).unwrap_or_else(|e| e.into_inner());
                }
                SpareState::Ready(stale, _) => {
                    drop(slot);
                    // Not the next segment (cannot happen while only the sealer makes spares and
                    // only the writer takes them); a stale file would block the name, so remove it.
                    self.abandon_segment(stale);
                    return None;
                }
                other => {
                    *slot = other;
                    return None;
                }
            }
        }
    }

    /// Removes an unused spare file (on close: the next open would otherwise delete it).
    pub fn discard_spare(&self) -> Result<()> {
        let taken = std::mem::take(&mut *self.spare.lock());
        if let SpareState::Ready(id, file) = taken {
            drop(file);
            self.storage.remove(&segment_name(id))?;
            self.storage.sync_dir()?;
        }
        Ok(())
    }
}
