//! What the writer hands to the log's background threads: full segments to seal, and requests for
//! the next segment file (the spare). Plain queues under a lock, with no knowledge of the log, so
//! the log's state (`state.rs`) can hold them and the threads (`seal.rs`, `spare.rs`) serve them.

use crate::segment::{Segment, Tip};
use shardlog_storage::{CondvarExt as _, MutexExt as _, StorageFile};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A full segment waiting to be sealed.
#[derive(Debug)]
pub(crate) struct SealJob {
    pub seg: Arc<Segment>,
    pub tip: Tip,
    /// The segment after it, if it was made from a spare and its header may not be durable yet.
    pub next: Option<Arc<Segment>>,
}

/// The queue of the background sealer.
#[derive(Debug, Default)]
pub(crate) struct Sealer {
    pub(crate) state: Mutex<SealState>,
    pub(crate) cv: Condvar,
}

#[derive(Debug, Default)]
pub(crate) struct SealState {
    pub(crate) queue: VecDeque<SealJob>,
    pub(crate) enqueued: u64,
    pub(crate) done: u64,
    pub(crate) stop: bool,
}

impl Sealer {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SealState> {
        self.state.locked()
    }

    pub(crate) fn push(&self, job: SealJob) {
        let mut s = self.lock();
        s.queue.push_back(job);
        s.enqueued += 1;
        self.cv.notify_all();
    }

    /// Jobs queued so far.
    pub(crate) fn enqueued(&self) -> u64 {
        self.lock().enqueued
    }

    pub(crate) fn stop(&self) {
        self.lock().stop = true;
        self.cv.notify_all();
    }
}

/// The spare file slot of a log, and the requests to its thread.
#[derive(Debug, Default)]
pub(crate) struct SpareSlot {
    pub(crate) state: Mutex<SpareState>,
    pub(crate) cv: Condvar,
}

#[derive(Debug, Default)]
pub(crate) struct SpareState {
    pub(crate) file: SpareFile,
    /// The active segment and the id of the segment after it, from the latest roll (or the open).
    pub(crate) request: Option<(Arc<Segment>, u64)>,
    pub(crate) stop: bool,
}

#[derive(Debug, Default)]
pub(crate) enum SpareFile {
    #[default]
    None,
    /// The spare thread was asked for a spare and will make one (or give up) soon.
    Expected,
    /// The file of this segment id is allocated and durable.
    Ready(u64, Arc<dyn StorageFile>),
}

impl SpareSlot {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SpareState> {
        self.state.locked()
    }

    /// Asks the spare thread to make `active`'s header durable and the file of segment `next_id`.
    /// Called under the writer lock, so the writer cannot move on before the spare thread answers.
    pub(crate) fn request(&self, active: Arc<Segment>, next_id: u64) {
        let mut s = self.lock();
        if s.stop {
            return;
        }
        s.request = Some((active, next_id));
        if matches!(s.file, SpareFile::None) {
            s.file = SpareFile::Expected;
        }
        self.cv.notify_all();
    }

    /// Stops the spare thread after its current step; rolls create their segments in line from now.
    pub(crate) fn stop(&self) {
        let mut s = self.lock();
        s.stop = true;
        if matches!(s.file, SpareFile::Expected) {
            s.file = SpareFile::None;
        }
        self.cv.notify_all();
    }

    /// Waits for a request; `None` once stopped.
    pub(crate) fn next_request(&self) -> Option<(Arc<Segment>, u64)> {
        let mut s = self.lock();
        while s.request.is_none() && !s.stop {
            s = self.cv.wait_on(s);
        }
        if s.stop {
            return None;
        }
        s.request.take()
    }

    pub(crate) fn has_file(&self) -> bool {
        matches!(self.lock().file, SpareFile::Ready(..))
    }

    /// Ends an expected spare: `file` (ready) or nothing.
    pub(crate) fn settle(&self, file: SpareFile) {
        let mut s = self.lock();
        if !matches!(s.file, SpareFile::Ready(..)) {
            s.file = file;
        }
        self.cv.notify_all();
    }
}
