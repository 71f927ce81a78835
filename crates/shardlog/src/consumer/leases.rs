//! Where a worker keeps its leases.
//!
//! [`LeaseTable`] (a local B-tree file) is the usual answer; workers in other processes reach the
//! same table through a server, with a client that implements [`LeaseStore`] too. The trait holds
//! the reads a worker makes and one write, a batch of [`LeaseChange`]s: the same vocabulary the
//! table applies and the lease protocol carries.

use super::lease::{Lease, LeaseChange, LeaseKey, LeaseOp, LeaseTable, NewLease};
use crate::error::{Error, Result};

/// The lease operations a [`Worker`](super::Worker) makes. Every change is conditional on the
/// lease counter the caller last saw; a mismatch is an [`Error::LeaseConflict`].
///
/// ```
/// use shardlog::consumer::{LeaseKey, LeaseOp, LeaseStore, NewLease};
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// let table = store.lease_table(Default::default())?;
/// let key = LeaseKey::new("app", "s", "shardId-000000000000");
/// let lease = LeaseStore::create_if_absent(&table, &key, NewLease::default())?;
/// let lease = LeaseStore::change(&table, &key, lease.counter, LeaseOp::take("w1", 1_000))?;
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

    /// Applies `changes` in one durable write. The outer error: nothing was written; otherwise
    /// one result per change, in order (a refused change leaves the others alone).
    fn change_all(&self, changes: Vec<LeaseChange>) -> Result<Vec<Result<Lease>>>;

    /// Applies one change.
    fn change(&self, key: &LeaseKey, expected: u64, op: LeaseOp) -> Result<Lease> {
        let change = LeaseChange::new(key.clone(), expected, op);
        let mut results = self.change_all(vec![change])?;
        match (results.pop(), results.is_empty()) {
            (Some(result), true) => result,
            _ => Err(Error::Unavailable(
                "a lease store answered one change with other than one result".into(),
            )),
        }
    }
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

    fn change_all(&self, changes: Vec<LeaseChange>) -> Result<Vec<Result<Lease>>> {
        LeaseTable::change_all(self, changes)
    }

    fn change(&self, key: &LeaseKey, expected: u64, op: LeaseOp) -> Result<Lease> {
        LeaseTable::change(self, key, expected, op)
    }
}
