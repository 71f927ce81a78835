//! A lease this worker holds, shared by the coordinator (which renews it) and the shard's thread
//! (which checkpoints under it). Both bump the lease counter, so both go through one mutex.

use super::lease::LeaseKey;
use crate::names::ShardId;
use shardlog_storage::MutexExt as _;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One held lease.
#[derive(Debug)]
pub(crate) struct HeldLease {
    pub key: LeaseKey,
    pub shard: ShardId,
    failover: Duration,
    state: Mutex<HeldState>,
}

/// The part that changes: guarded so a renewal and a checkpoint never race on the counter.
#[derive(Debug)]
pub(crate) struct HeldState {
    /// The counter our last successful write produced: the fence for the next one.
    pub counter: u64,
    /// When the last successful renewal was *sent*. Taking the time before the write keeps our
    /// own view of the lease's end no later than any other worker's.
    pub renewed_at: Instant,
    /// A conditional write failed: someone else moved the lease.
    pub lost: bool,
}

impl HeldState {
    /// Whether writes under this lease are still allowed.
    pub fn is_held(&self, failover: Duration) -> bool {
        !self.lost && self.renewed_at.elapsed() < failover
    }
}

impl HeldLease {
    /// A lease just taken with `counter`, at `taken_at`.
    pub fn new(
        key: LeaseKey,
        shard: ShardId,
        counter: u64,
        taken_at: Instant,
        failover: Duration,
    ) -> Self {
        let state = HeldState {
            counter,
            renewed_at: taken_at,
            lost: false,
        };
        HeldLease {
            key,
            shard,
            failover,
            state: Mutex::new(state),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, HeldState> {
        self.state.locked()
    }

    pub fn failover(&self) -> Duration {
        self.failover
    }

    pub fn is_held(&self) -> bool {
        self.lock().is_held(self.failover)
    }
}
