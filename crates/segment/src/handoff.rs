//! What the writer hands to the log's background work: full segments to seal, and requests for the
//! next segment file (the spare). Plain queues under a lock, with no knowledge of the log, so the
//! log's state (`state.rs`) can hold them and the tasks of `seal.rs` and `spare.rs` serve them on
//! the shared pool (`workers.rs`). Each queue says whether a task is serving it (`running`), so
//! that a log has at most one task of each kind and its work stays in order.

use crate::segment::{Segment, Tip};
use shardlog_storage::{CondvarExt as _, MutexExt as _};
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
    /// A task is draining the queue.
    pub(crate) running: bool,
}

impl Sealer {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SealState> {
        self.state.locked()
    }

    /// Queues `job`; true if no task is draining the queue, so the caller must start one.
    pub(crate) fn push(&self, job: SealJob) -> bool {
        let mut s = self.lock();
        s.queue.push_back(job);
        s.enqueued += 1;
        self.cv.notify_all();
        !std::mem::replace(&mut s.running, true)
    }

    /// The next job for the draining task; `None` (and the task ends) once the queue is empty.
    pub(crate) fn next_job(&self) -> Option<SealJob> {
        let mut s = self.lock();
        let job = s.queue.pop_front();
        if job.is_none() {
            s.running = false;
        }
        job
    }

    /// Jobs queued so far.
    pub(crate) fn enqueued(&self) -> u64 {
        self.lock().enqueued
    }
}

/// The spare file slot of a log, and the requests to its task.
#[derive(Debug, Default)]
pub(crate) struct SpareSlot {
    pub(crate) state: Mutex<SpareState>,
    pub(crate) cv: Condvar,
}

#[derive(Debug, Default)]
pub(crate) struct SpareState {
    pub(crate) file: SpareFile,
    /// The latest request (a roll's, the open's, or the active segment's half mark).
    pub(crate) request: Option<SpareRequest>,
    pub(crate) stop: bool,
    /// A task is serving the requests.
    pub(crate) running: bool,
}

/// What the spare task is asked to do for the active segment.
#[derive(Debug)]
pub(crate) struct SpareRequest {
    /// Make its header (and the mark open wrote) durable.
    pub active: Arc<Segment>,
    /// The id of the segment after it.
    pub next_id: u64,
    /// Also create that segment's file. Asked for only once the active segment is half full, so a
    /// shard that is not written to keeps no file beyond its active segment.
    pub make_file: bool,
}

#[derive(Debug, Default)]
pub(crate) enum SpareFile {
    #[default]
    None,
    /// The spare task was asked for a spare and will make one (or give up) soon.
    Expected,
    /// The file of this segment id is allocated and durable. It is not kept open: a store of
    /// 10,000 shards filling at once would otherwise hold two descriptors per shard.
    Ready(u64),
}

impl SpareSlot {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SpareState> {
        self.state.locked()
    }

    /// Asks for `request` to be served (merged with one still pending for the same segment). Called
    /// under the writer lock, so the writer cannot move on before the request is served. True if no
    /// task serves the requests, so the caller must start one.
    pub(crate) fn request(&self, mut request: SpareRequest) -> bool {
        let mut s = self.lock();
        if s.stop {
            return false;
        }
        if let Some(pending) = &s.request {
            if pending.next_id == request.next_id {
                request.make_file |= pending.make_file;
            }
        }
        if request.make_file && matches!(s.file, SpareFile::None) {
            s.file = SpareFile::Expected;
        }
        s.request = Some(request);
        self.cv.notify_all();
        !std::mem::replace(&mut s.running, true)
    }

    /// Stops serving requests after the current step; rolls create their segments in line from now.
    /// Returns once no task serves the slot any more.
    pub(crate) fn stop(&self) {
        let mut s = self.lock();
        s.stop = true;
        if matches!(s.file, SpareFile::Expected) {
            s.file = SpareFile::None;
        }
        self.cv.notify_all();
        while s.running {
            s = self.cv.wait_on(s);
        }
    }

    /// The next request for the serving task; `None` (and the task ends) once there is none or the
    /// slot is stopped.
    pub(crate) fn next_request(&self) -> Option<SpareRequest> {
        let mut s = self.lock();
        let request = if s.stop { None } else { s.request.take() };
        if request.is_none() {
            s.running = false;
            self.cv.notify_all();
        }
        request
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
