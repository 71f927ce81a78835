//! A crash-safe checkpoint and lease store for shardlog: one copy-on-write B-tree file.
//!
//! [`Db`] keeps byte-string keys and values in a B-tree of 4 KiB pages inside one file, reached
//! through the `Storage` trait of `shardlog-storage` (real files with `FsStorage`, or the
//! simulated disk `SimDisk` in crash tests). Every page is checksummed together with its page
//! number, and every parent records its children's checksums and the commit that wrote them, so
//! torn, misdirected and stale pages are all detected. Page 0 holds two commit slots. A small commit
//! appends one checksummed record to a redo-log region inside the file and syncs once, as cheap as
//! the disk's own floor; when the log is full (and on the first commit after open) a *tree commit*
//! writes the changed pages and the slot not in use, then syncs once. Open checks the pages the
//! newest tree commit wrote, falls back to the other slot if a crash tore it, and replays the log,
//! so a power cut at any moment leaves the last committed state. Readers get snapshots and never
//! block the single writer.
//!
//! The [`lease`] module builds a KCL-style lease table on top: counter-fenced conditional updates,
//! checkpoints with a bounded history, and batched renewals in one commit.
//!
//! ```
//! use shardlog_checkpoint::lease::{Checkpoint, LeaseKey, LeaseTable, NewLease};
//! use shardlog_checkpoint::Db;
//! use shardlog_storage::SimDisk;
//! use std::sync::Arc;
//!
//! let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "checkpoints.db")?);
//! let table = LeaseTable::new(db.clone(), Default::default())?;
//! let key = LeaseKey::new("app", "clicks", "shardId-000000000000");
//! let lease = table.create_if_absent(&key, NewLease::default())?;
//! let lease = table.take(&key, lease.counter, "worker-1", 1_000)?;
//! let lease = table.checkpoint(&key, lease.counter, Checkpoint::sequence("49590338271490256608559692538361571095921575989136588898", 0))?;
//! assert_eq!(table.history(&key)?.len(), 1);
//! assert_eq!(lease.owner.as_deref(), Some("worker-1"));
//! # Ok::<(), shardlog_checkpoint::Error>(())
//! ```

mod db;
mod error;
mod format;
pub mod lease;
mod log;
mod node;
mod page;
mod pager;
mod tree;

pub use db::{Db, DbInfo, Options, Range, ReadTxn, VerifyReport, WriteTxn};
pub use error::{Error, Result};
pub use format::{MAX_KEY_LEN, MAX_VALUE_LEN};
