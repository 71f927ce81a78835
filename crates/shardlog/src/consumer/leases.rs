//! Where a worker keeps its leases.
//!
//! [`LeaseTable`] (a local B-tree file) is the usual answer; workers in other processes reach the
//! same table through a server, with a client that implements [`LeaseStore`] too. The trait holds
//! exactly the conditional writes the coordinator and the checkpointer make.

use super::lease::{Checkpoint, Lease, LeaseKey, LeaseTable, NewLease};
use crate::error::{Error, Result};

/// The lease operations a [`Worker`](super::Worker) makes. Every write is conditional on the
/// lease counter the caller last saw; a mismatch is an
/// [`Error::LeaseConflict`].
///
/// ```
/// use shardlog::consumer::{LeaseKey, LeaseStore, NewLease};
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// let table = store.lease_table(Default::default())?;
/// let key = LeaseKey::new("app", "s", "shardId-000000000000");
/// let lease = LeaseStore::create_if_absent(&table, &key, NewLease::default())?;
/// let lease = LeaseStore::take(&table, &key, lease.counter, "w1", 1_000, false)?;
/// assert_eq!(LeaseStore::list(&table, "app", "s")?, [lease]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait LeaseStore: Send + Sync + 'static {
    /// How long a lease stays held after its last renewal: the workers' failover time.
    fn lease_duration_ms(&self) -> u64;

    /// Every lease of `application` on `stream`.
    fn list(&self, application: &str, stream: &str) -> Result<Vec<Lease>>;

    /// One lease.
    fn get(&self, key: &LeaseKey) -> Result<Option<Lease>>;

    /// Creates the lease unless it exists; returns it as stored.
    fn create_if_absent(&self, key: &LeaseKey, new: NewLease) -> Result<Lease>;

    /// Takes the lease for `owner` (`steal`: even though its holder keeps renewing it).
    fn take(
        &self,
        key: &LeaseKey,
        expected: u64,
        owner: &str,
        now_ms: u64,
        steal: bool,
    ) -> Result<Lease>;

    /// Renews several leases in one durable write; one result per lease, in order.
    fn renew(&self, leases: &[(LeaseKey, u64)], now_ms: u64) -> Result<Vec<Result<Lease>>>;

    /// Records a checkpoint.
    fn checkpoint(&self, key: &LeaseKey, expected: u64, checkpoint: Checkpoint) -> Result<Lease>;

    /// Records the shard's children, at its end.
    fn set_children(&self, key: &LeaseKey, expected: u64, children: Vec<String>) -> Result<Lease>;

    /// Clears the owner so another worker can take the lease at once.
    fn evict(&self, key: &LeaseKey, expected: u64) -> Result<Lease>;
}

/// Whether `e` says the lease moved under us (another worker changed or deleted it).
pub(crate) fn lease_moved(e: &Error) -> bool {
    matches!(
        e,
        Error::LeaseLost(_) | Error::LeaseConflict { .. } | Error::LeaseNotFound { .. }
    )
}

/// Whether `e` says a take lost a race or the lease is still held: try again next pass.
pub(crate) fn take_refused(e: &Error) -> bool {
    lease_moved(e) || matches!(e, Error::LeaseHeld { .. })
}

impl LeaseStore for LeaseTable {
    fn lease_duration_ms(&self) -> u64 {
        self.options().lease_duration_ms
    }

    fn list(&self, application: &str, stream: &str) -> Result<Vec<Lease>> {
        let mut leases = LeaseTable::list(self, application)?;
        leases.retain(|l| l.key.stream == stream);
        Ok(leases)
    }

    fn get(&self, key: &LeaseKey) -> Result<Option<Lease>> {
        LeaseTable::get(self, key)
    }

    fn create_if_absent(&self, key: &LeaseKey, new: NewLease) -> Result<Lease> {
        LeaseTable::create_if_absent(self, key, new)
    }

    fn take(
        &self,
        key: &LeaseKey,
        expected: u64,
        owner: &str,
        now_ms: u64,
        steal: bool,
    ) -> Result<Lease> {
        if steal {
            LeaseTable::steal(self, key, expected, owner, now_ms)
        } else {
            LeaseTable::take(self, key, expected, owner, now_ms)
        }
    }

    fn renew(&self, leases: &[(LeaseKey, u64)], now_ms: u64) -> Result<Vec<Result<Lease>>> {
        let mut batch = self.batch();
        for (key, expected) in leases {
            batch.renew(key, *expected, now_ms);
        }
        batch.commit()
    }

    fn checkpoint(&self, key: &LeaseKey, expected: u64, checkpoint: Checkpoint) -> Result<Lease> {
        LeaseTable::checkpoint(self, key, expected, checkpoint)
    }

    fn set_children(&self, key: &LeaseKey, expected: u64, children: Vec<String>) -> Result<Lease> {
        LeaseTable::update(self, key, expected, move |l| l.child_shard_ids = children)
    }

    fn evict(&self, key: &LeaseKey, expected: u64) -> Result<Lease> {
        LeaseTable::evict(self, key, expected)
    }
}
