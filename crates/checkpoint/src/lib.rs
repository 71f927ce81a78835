//! A crash-safe key/value file for shardlog's durable consumer state: one copy-on-write B-tree.
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
//! The file knows nothing of what its keys mean: the consumer layer (`shardlog::consumer`) keeps
//! its lease table here, and queues and channels will keep their delivery state the same way.
//!
//! ```
//! use shardlog_checkpoint::Db;
//! use shardlog_storage::SimDisk;
//! use std::sync::Arc;
//!
//! let db = Db::open(Arc::new(SimDisk::new(1)), "checkpoints.db")?;
//! let mut tx = db.write()?;
//! tx.insert(b"app/clicks/shard-0", b"49590338271490256608559692538361571095921575989136588898")?;
//! tx.commit()?; // durable when this returns
//! assert_eq!(db.read()?.get(b"app/clicks/shard-0")?.as_deref(), Some(&b"49590338271490256608559692538361571095921575989136588898"[..]));
//! # Ok::<(), shardlog_checkpoint::Error>(())
//! ```

mod db;
mod error;
mod format;
mod log;
mod node;
mod page;
mod pager;
mod tree;

pub use db::{
    check_file, Db, DbInfo, FileCheck, Options, Range, ReadTxn, SlotSummary, VerifyReport, WriteTxn,
};
pub use error::{Error, Result};
pub use format::{MAX_KEY_LEN, MAX_VALUE_LEN};
