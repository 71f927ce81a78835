//! Sealing full segments: data sync, a "sealed" mark, and the index side file.
//!
//! Under `Durability::Sync` a segment is sealed in line when it fills up (its records are already
//! durable, so that costs little). Under the eager modes the fdatasync of a whole segment would stall
//! the appender for tens of milliseconds, so a task on the shared pool (`workers.rs`) seals in roll
//! order while appends continue in the next segment. Until a segment carries its sealed mark, recovery treats damage at its
//! tail as a torn tail and cuts the log there (dropping the later segments and skipping past their
//! sequence numbers), which keeps the surviving records a prefix of what was written.

use crate::error::Result;
use crate::handoff::SealJob;
use crate::header::{Mark, MARK_EAGER, MARK_SEALED};
use crate::segment::index_name;
use crate::state::Inner;
use shardlog_storage::write_file_atomic;
use shardlog_storage::CondvarExt as _;
use std::sync::Weak;

impl Inner {
    /// Makes the header of the segment after `job`'s durable, if it may not be yet. Recovery relies
    /// on the order: a segment carries a SEALED mark only once its successor's header is durable.
    pub fn sync_next_header(&self, job: &SealJob) -> Result<()> {
        match &job.next {
            Some(next) if !next.header_durable() => {
                next.file()?.sync()?;
                next.set_header_durable(true);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Makes a full segment durable, marks it sealed and writes its index file.
    pub fn seal_now(&self, job: &SealJob) -> Result<()> {
        let seg = &job.seg;
        {
            let mut durable = seg.durable_state();
            seg.file()?.sync()?;
            // Usually done by the spare task long ago; the SEALED mark must come after it.
            self.sync_next_header(job)?;
            let mark = Mark {
                counter: durable.1.saturating_add(1),
                durable_end: job.tip.end,
                next_seq: job.tip.next_seq,
                last_ts_ms: job.tip.last_ts_ms,
                flags: MARK_SEALED | if self.eager() { MARK_EAGER } else { 0 },
                claim_end: 0,
                claim_next: 0,
            };
            seg.write_mark(&mark)?;
            seg.file()?.sync()?;
            *durable = (job.tip, mark.counter);
            seg.set_sealed();
            seg.park(&self.storage, &self.opts.open_segments);
        }
        tracing::debug!(
            dir = %self.storage.path("").display(),
            segment = seg.id(),
            next_seq = job.tip.next_seq,
            bytes = job.tip.end,
            "sealed a full segment"
        );
        {
            let mut st = self.lock_sync();
            st.durable_next = st.durable_next.max(job.tip.next_seq);
        }
        self.sync_cv.notify_all();
        // The index file is a cache: if it cannot be written, the next open rebuilds it.
        if let Err(e) = write_file_atomic(
            &*self.storage,
            &index_name(seg.id()),
            &seg.index_file(job.tip).encode(),
        ) {
            tracing::warn!(
                file = %self.storage.path(&index_name(seg.id())).display(),
                error = %e,
                "writing a sealed segment's index failed; the next open rebuilds it"
            );
        }
        Ok(())
    }

    /// Waits until every segment handed to the background sealer so far is sealed.
    pub fn wait_sealed(&self) -> Result<()> {
        let target = self.sealer.enqueued();
        self.wait_sealed_to(target)
    }

    /// Waits until the first `target` queued segments are sealed.
    pub fn wait_sealed_to(&self, target: u64) -> Result<()> {
        let mut s = self.sealer.lock();
        while s.done < target {
            if self.poisoned.load(std::sync::atomic::Ordering::Acquire) {
                return Err(crate::Error::Poisoned);
            }
            s = self.sealer.cv.wait_on(s);
        }
        Ok(())
    }
}

impl Inner {
    /// Queues a full segment for the background sealer, starting its task if none runs. With no
    /// pool thread to run it, this thread seals the queue itself.
    pub(crate) fn seal_later(&self, job: SealJob) {
        if !self.sealer.push(job) {
            return;
        }
        let me = self.me.clone();
        if let Err(task) = crate::workers::spawn(Box::new(move || seal_queue(&me))) {
            task();
        }
    }
}

/// The sealer's task: seals the queued segments in roll order until the queue is empty.
fn seal_queue(inner: &Weak<Inner>) {
    let Some(strong) = inner.upgrade() else {
        return;
    };
    while let Some(job) = strong.sealer.next_job() {
        if let Err(e) = strong.seal_now(&job) {
            tracing::error!(
                segment = job.seg.id(),
                error = %e,
                "sealing a full segment failed"
            );
            strong.poison(&e);
        }
        let mut s = strong.sealer.lock();
        s.done += 1;
        strong.sealer.cv.notify_all();
    }
}
