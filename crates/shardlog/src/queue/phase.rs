//! Queue status as AWS reports it. `CreateQueue`, `UpdateQueue` and `DeleteQueue` are
//! asynchronous there: a queue is `CREATING`, `UPDATING` or `DELETING` for a while, and code
//! written for AWS waits for `ACTIVE`. With [`StoreOptions::state_delay`](crate::StoreOptions) a
//! queue passes through those states for that long, as streams do (`crate::phase`); without it
//! (the default) every change is done, and the queue `ACTIVE`, when the call returns.
//!
//! Like the streams' phases these are not durable: each change is committed before its phase
//! begins. `CREATING` is derived from the creation time, so it also holds across a reopen.

use super::{QueueDescription, QueueMeta, QueueStatus};
use crate::error::{Error, Result};
use crate::store::Store;
use shardlog_storage::MutexExt as _;
use std::collections::HashMap;
use std::sync::Mutex;

/// The phases that are not derived from the catalog.
#[derive(Debug, Default)]
pub(crate) struct Phases {
    /// Queues `UPDATING` until a time (store clock, ms), by incarnation.
    updating: Mutex<HashMap<u32, u64>>,
    /// Deleted queues still reported as `DELETING`, by id.
    deleting: crate::phase::Deleting<QueueDescription>,
}

impl Store {
    /// The queue's status now.
    pub(super) fn queue_status(&self, q: &QueueMeta) -> QueueStatus {
        let now = self.inner.now_ms();
        if now < q.created_ms.saturating_add(self.delay_ms()) {
            return QueueStatus::Creating;
        }
        let mut updating = self.inner.queues.phases.updating.locked();
        match updating.get(&q.incarnation) {
            Some(until) if now < *until => QueueStatus::Updating,
            Some(_) => {
                updating.remove(&q.incarnation);
                QueueStatus::Active
            }
            None => QueueStatus::Active,
        }
    }

    /// Refuses a change of a queue that is not `ACTIVE` (`ResourceInUseException`).
    pub(super) fn check_queue_active(&self, q: &QueueMeta) -> Result<()> {
        match self.queue_status(q) {
            QueueStatus::Active => Ok(()),
            status => Err(Error::ResourceInUse(format!(
                "Queue {} under account {} not ACTIVE, instead in state {}",
                q.name,
                self.account_id(),
                status.as_str()
            ))),
        }
    }

    /// Marks a queue `UPDATING` for the delay (nothing without one).
    pub(super) fn begin_queue_update(&self, q: &QueueMeta) {
        let delay = self.delay_ms();
        if delay > 0 {
            let until = self.inner.now_ms().saturating_add(delay);
            self.inner
                .queues
                .phases
                .updating
                .locked()
                .insert(q.incarnation, until);
        }
    }

    /// Keeps a deleted queue visible as `DELETING` for the delay (nothing without one).
    pub(super) fn report_queue_deleting(&self, mut description: QueueDescription, id: &str) {
        let delay = self.delay_ms();
        if delay > 0 {
            description.queue_status = QueueStatus::Deleting;
            let until = self.inner.now_ms().saturating_add(delay);
            let deleting = &self.inner.queues.phases.deleting;
            deleting.insert(id.to_string(), description, until);
        }
    }

    /// The deleted queues still `DELETING` now (and forgets the others).
    pub(super) fn deleting_queues(&self) -> Vec<QueueDescription> {
        let now = self.inner.now_ms();
        self.inner.queues.phases.deleting.at(now)
    }

    /// The deleted queue `id` if it is still `DELETING`.
    pub(super) fn deleting_queue(&self, id: &str) -> Option<QueueDescription> {
        let now = self.inner.now_ms();
        self.inner.queues.phases.deleting.get(id, now)
    }
}
