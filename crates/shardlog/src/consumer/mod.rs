//! Consuming a stream the way the Kinesis Client Library does: workers share an application's
//! shards through leases, drive one [`RecordProcessor`] per shard, and checkpoint so that a
//! restarted or replacement worker resumes where the last one checkpointed.
//!
//! Leases live in a [`LeaseTable`] (the `shardlog-checkpoint` crate's copy-on-write B-tree
//! file); [`Store::lease_table`] opens the store's own, `leases.db` in its data directory.
//! Records come through [`RecordSource`], which [`Store`] implements.
//!
//! Delivery is at least once. A checkpoint is a conditional write under the lease and names only
//! a durable record, so after any crash the next owner resumes strictly after it, and nothing
//! after the last checkpoint is skipped. A parent shard is finished to `SHARD_END` before its
//! children start, which keeps every partition key's records in order across a reshard.
//!
//! See [`Worker`] for a complete example.

mod checkpointer;
mod config;
mod coordinator;
mod held;
mod lease;
mod leases;
mod plan;
mod processor;
mod remote;
mod shard;
mod shared;
mod source;
mod worker;

pub use checkpointer::Checkpointer;
pub use config::{InitialPosition, WorkerConfig};
pub use lease::{
    Checkpoint, HashKeyRange, HistoryEntry, Lease, LeaseBatch, LeaseChange, LeaseKey, LeaseOp,
    LeaseOptions, LeaseTable, NewLease,
};
pub use leases::LeaseStore;
pub use processor::{InitializationInput, ProcessRecordsInput, RecordProcessor};
pub use remote::{LeaseService, LeaseTransport, RemoteLeases, LEASE_TARGET_PREFIX};
pub use source::RecordSource;
pub use worker::Worker;

use crate::error::Result;
use crate::store::Store;

impl Store {
    /// The store's consumer lease table, in the store's checkpoint file (`leases.db` in the data
    /// directory), which is opened on first use and shared by every caller in this process.
    ///
    /// ```
    /// use shardlog::consumer::{LeaseKey, LeaseOptions};
    /// use shardlog::{Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), StoreOptions::default())?;
    /// let table = store.lease_table(LeaseOptions::default())?;
    /// assert!(table.list("app")?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lease_table(&self, options: LeaseOptions) -> Result<LeaseTable> {
        let db = self.state_file()?;
        LeaseTable::new(db, options)
    }
}
