//! The spare: the next segment file, made ready off the append path.
//!
//! Creating a segment costs a `fallocate`, an `fdatasync` and a directory sync. In the eager modes the
//! background sealer is usually in the middle of a whole segment's `fdatasync` when a roll happens,
//! and the roll's own syncs would queue behind it and stall the appender for tens of milliseconds. So
//! a background task (on the shared pool, `workers.rs`) creates the *next* segment file ahead of
//! time: `{id}.seg` with its length allocated (twice the active segment's, up to `segment_bytes`),
//! all zero (no header yet), its length and name durable. A roll then only writes the header and the
//! first mark into page 0 of the spare (unless a large record needs more room than it has), without
//! syncing, and asks for the next spare, whose task first makes that header durable (while the
//! segment holds little data yet). The sealer makes sure of the header before it marks the previous
//! segment sealed (see `seal.rs`). Spares and seals are separate tasks so that neither step waits
//! behind a whole segment's seal.
//!
//! Crash safety (details in `docs/format.md` §8.2): a spare that was never used is a newest segment
//! with no header and a zero data area, which open deletes like an interrupted creation. A spare that
//! was rolled into but whose header was lost (power cut before it was synced) has no header but
//! may hold frames; its predecessor then has no SEALED mark, and open deletes it too, because none of
//! its records was ever reported durable. The numbers it may have handed out are covered by the skip
//! that every unclean eager recovery makes (§8.5 step 7).

use crate::error::Result;
use crate::handoff::{SpareFile, SpareRequest};
use crate::segment::{segment_name, Segment};
use crate::state::Inner;
use shardlog_storage::CondvarExt as _;
use shardlog_storage::StorageFile;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

impl Inner {
    /// Asks the spare task to serve `request`, starting it if none runs. Called under the writer
    /// lock; with no pool thread to run the task, this thread runs it.
    pub(crate) fn request_spare(&self, request: SpareRequest) {
        if !self.spare.request(request) {
            return;
        }
        let me = self.me.clone();
        if let Err(task) = crate::workers::spawn(Box::new(move || serve_spares(&me))) {
            task();
        }
    }
}

/// The spare task: serves requests until none is left.
fn serve_spares(inner: &Weak<Inner>) {
    let Some(strong) = inner.upgrade() else {
        return;
    };
    while let Some(request) = strong.spare.next_request() {
        match strong.prepare_roll(&request.active) {
            Ok(()) if request.make_file => {
                // Sized for the segment after `active` once that is full.
                let end = request.active.header.capacity_bytes;
                strong.make_spare(request.next_id, strong.opts.next_capacity(Some(end), 0));
            }
            Ok(()) => {}
            Err(e) => {
                strong.poison(&e);
                strong.spare.settle(SpareFile::None);
            }
        }
    }
}

impl Inner {
    /// Makes everything about `active` durable that must be before a segment file may follow it:
    /// the mark open wrote, and its header if it was made from a spare.
    fn prepare_roll(&self, active: &Segment) -> Result<()> {
        if self.open_mark_pending.load(Ordering::Acquire) || !active.header_durable() {
            active.file()?.sync()?;
            active.set_header_durable(true);
            self.open_mark_pending.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// Creates the spare file of segment `id`, of `capacity` bytes, unless one is ready or the log
    /// is stopping. A failure leaves no spare (the next roll creates its segment in line and
    /// reports the error there).
    fn make_spare(&self, id: u64, capacity: u64) {
        let stopping = self.closed.load(Ordering::Acquire) || self.poisoned.load(Ordering::Acquire);
        if stopping || self.spare.has_file() {
            self.spare.settle(SpareFile::None);
            return;
        }
        match self.create_spare_file(id, capacity) {
            Ok(()) => self.spare.settle(SpareFile::Ready(id)),
            Err(e) => {
                tracing::warn!(
                    file = %self.storage.path(&segment_name(id)).display(),
                    error = %e,
                    "creating a spare segment failed; the next roll creates its segment in line"
                );
                self.spare.settle(SpareFile::None);
                self.abandon_segment(id);
            }
        }
    }

    fn create_spare_file(&self, id: u64, capacity: u64) -> Result<()> {
        let file = self.storage.create(&segment_name(id), capacity)?;
        // Length first, then the name: a spare must never be lost or shortened once a roll used it.
        file.sync()?;
        self.storage.sync_dir()?;
        Ok(())
    }

    /// Takes the spare if it is the file of segment `id`, waiting if the spare task is about to
    /// make it. `None` means: create the segment in line.
    pub fn take_spare(&self, id: u64) -> Option<Arc<dyn StorageFile>> {
        let mut s = self.spare.lock();
        loop {
            match std::mem::take(&mut s.file) {
                SpareFile::Ready(spare_id) if spare_id == id => {
                    drop(s);
                    return self.open_spare(id);
                }
                SpareFile::Expected => {
                    s.file = SpareFile::Expected;
                    s = self.spare.cv.wait_on(s);
                }
                SpareFile::Ready(stale) => {
                    drop(s);
                    // Not the next segment (cannot happen while only the spare task makes spares
                    // and only the writer takes them); a stale file would block the name.
                    self.abandon_segment(stale);
                    return None;
                }
                SpareFile::None => return None,
            }
        }
    }

    /// Opens the ready spare of segment `id`. If that fails (out of descriptors, say), the spare
    /// is removed and the roll creates its segment in line, which reports the error.
    fn open_spare(&self, id: u64) -> Option<Arc<dyn StorageFile>> {
        match self.storage.open(&segment_name(id)) {
            Ok(file) => Some(file),
            Err(e) => {
                tracing::warn!(
                    file = %self.storage.path(&segment_name(id)).display(),
                    error = %e,
                    "opening the spare segment failed; the roll creates its segment in line"
                );
                self.abandon_segment(id);
                None
            }
        }
    }

    /// Removes an unused spare file (on close: the next open would otherwise delete it).
    pub fn discard_spare(&self) -> Result<()> {
        let taken = std::mem::take(&mut self.spare.lock().file);
        if let SpareFile::Ready(id) = taken {
            self.storage.remove(&segment_name(id))?;
            self.storage.sync_dir()?;
        }
        Ok(())
    }
}
