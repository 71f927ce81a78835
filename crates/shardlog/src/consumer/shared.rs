//! The state a worker's threads share: its configuration, the record source and lease table, the
//! leases it holds, and the stop signals.

use super::config::WorkerConfig;
use super::held::HeldLease;
use super::leases::LeaseStore;
use super::processor::RecordProcessor;
use super::source::RecordSource;
use crate::error::Error;
use crate::names::ShardId;
use shardlog_storage::MutexExt as _;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Builds a processor for each shard a worker starts.
pub(crate) type Factory = Box<dyn Fn() -> Box<dyn RecordProcessor> + Send + Sync>;

/// What the worker's threads share.
pub(crate) struct Shared {
    pub config: WorkerConfig,
    pub source: Arc<dyn RecordSource>,
    pub table: Arc<dyn LeaseStore>,
    pub factory: Factory,
    pub failover: Duration,
    /// Leases held, by shard id.
    pub held: Mutex<BTreeMap<String, Arc<HeldLease>>>,
    /// Milliseconds behind the newest record, per shard being read.
    pub lag: Mutex<BTreeMap<ShardId, u64>>,
    /// The most recent failure a background thread could not report to a caller.
    pub last_error: Mutex<Option<String>>,
    /// Graceful shutdown asked for.
    pub stopping: AtomicBool,
    /// Stop at once, writing nothing more (what a killed process does).
    pub abandoned: AtomicBool,
    pub wake: (Mutex<()>, Condvar),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.locked()
}

impl Shared {
    pub fn held(&self) -> MutexGuard<'_, BTreeMap<String, Arc<HeldLease>>> {
        lock(&self.held)
    }

    pub fn lag(&self) -> MutexGuard<'_, BTreeMap<ShardId, u64>> {
        lock(&self.lag)
    }

    pub fn report(&self, what: &str, e: &Error) {
        *lock(&self.last_error) = Some(format!("{what}: {e}"));
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    pub fn abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Acquire)
    }

    /// Sleeps up to `d`, waking early when the worker is told to stop.
    pub fn sleep(&self, d: Duration) {
        let guard = lock(&self.wake.0);
        if self.stopping() || self.abandoned() {
            return;
        }
        let _unused = self.wake.1.wait_timeout(guard, d);
    }

    pub fn wake_all(&self) {
        let _guard = lock(&self.wake.0);
        self.wake.1.notify_all();
    }
}
