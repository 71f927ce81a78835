//! The KCL-style lease table: one lease per (application, stream, shard), fenced by a counter,
//! kept in the store's checkpoint file.
//!
//!
//! Every mutating call names the counter the caller last saw; if the stored counter differs, the call
//! fails with [`Error::LeaseConflict`] and changes nothing. Each successful change bumps the counter
//! by one. Checkpoints also go into a per-lease history of the last
//! [`LeaseOptions::history_len`] values. Several changes can share one commit through
//! [`LeaseTable::batch`] (a worker renewing all its leases at once); each change in a batch is
//! checked on its own, so one conflict does not stop the others.
//!
//! The verbs are one vocabulary, [`LeaseOp`], shared by the table, its batches, the
//! [`LeaseStore`](super::LeaseStore) trait and the lease protocol.
//!
//! Durability rule 26: `take` refuses a lease that the durable record says another worker holds,
//! until `last_renewal_ms + lease_duration_ms + takeover_margin_ms` has passed on the caller's wall
//! clock ([`Error::LeaseHeld`]); this holds across restarts because the renewal time is persisted.
//! `steal` skips that check (load balancing that knowingly takes a live lease, still counter-fenced).
//!
//! Storage layout (all inside the B-tree, see `docs/format.md`): lease records under
//! `"lease\0L" ‖ esc(application) ‖ esc(stream) ‖ esc(shard)`, history entries right behind their
//! lease under `lease key ‖ "H" ‖ index (u64, big-endian byte order so that keys sort by index)`, so
//! a checkpoint (record, new history entry, dropped old entry) usually changes one leaf; and a schema
//! version under `"lease\0M"`. `esc` escapes `0x00` as `00 FF` and ends with `00 01`, which keeps
//! tuple order and makes each application's leases one key range.
//!
//! ```
//! use shardlog::consumer::{LeaseKey, LeaseOp, LeaseTable, NewLease};
//! use shardlog::Error;
//! use shardlog_checkpoint::Db;
//! use shardlog_storage::SimDisk;
//! use std::sync::Arc;
//!
//! let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "leases.db")?);
//! let table = LeaseTable::new(db, Default::default())?;
//! let key = LeaseKey::new("app", "clicks", "shardId-000000000001");
//! let seen = table.create_if_absent(&key, NewLease::default())?;
//! let mine = table.change(&key, seen.counter, LeaseOp::take("w1", 5_000))?;
//! // w2 still holds the counter it saw before w1 took the lease: its take fails.
//! assert!(matches!(table.change(&key, seen.counter, LeaseOp::steal("w2", 5_001)),
//!                  Err(Error::LeaseConflict { expected: 0, found: 1 })));
//! let mine = table.change(&key, mine.counter, LeaseOp::renew(8_000))?;
//! assert_eq!(mine.counter, 2);
//! # Ok::<(), Error>(())
//! ```

mod op;
mod record;
mod table;
mod types;

pub use op::{LeaseChange, LeaseOp};
pub use table::{LeaseBatch, LeaseTable};
pub use types::{Checkpoint, HashKeyRange, HistoryEntry, Lease, LeaseKey, LeaseOptions, NewLease};
