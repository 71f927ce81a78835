//! The lease verbs, said once: every counter-fenced change a worker makes to a lease.
//!
//! The local table applies them ([`LeaseTable::change`](super::LeaseTable::change), batches),
//! the [`LeaseStore`](crate::consumer::LeaseStore) trait passes them on, and the lease protocol
//! carries them as they are (serde), so a new verb is one variant here and one arm in the table.

use super::types::{Checkpoint, LeaseKey};
use serde::{Deserialize, Serialize};

/// One change of a lease, applied only if the lease's counter is still the one the caller saw.
/// Each applied change bumps the counter by one.
///
/// ```
/// use shardlog::consumer::{Checkpoint, LeaseKey, LeaseOp, LeaseTable, NewLease};
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// let key = LeaseKey::new("app", "s", "shardId-000000000000");
/// let l = table.create_if_absent(&key, NewLease::default())?;
/// let l = table.change(&key, l.counter, LeaseOp::take("w1", 1_000))?;
/// let l = table.change(&key, l.counter, LeaseOp::checkpoint(Checkpoint::sequence("7", 0)))?;
/// assert_eq!((l.owner.as_deref(), l.counter), (Some("w1"), 2));
/// // On the lease protocol a change is the same value, as JSON.
/// let json = serde_json::to_string(&LeaseOp::renew(5))?;
/// assert_eq!(json, r#"{"Type":"Renew","NowMs":5}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "Type",
    rename_all = "PascalCase",
    rename_all_fields = "PascalCase"
)]
#[non_exhaustive]
pub enum LeaseOp {
    /// Gives the lease to `owner` with renewal time `now_ms` (owner switches + 1 if the owner
    /// changes). Refused with [`Error::LeaseHeld`](crate::Error::LeaseHeld) while the durable
    /// record says another worker holds it: until `last_renewal_ms + lease_duration_ms +
    /// takeover_margin_ms` (durability rule 26).
    Take {
        /// The new holder.
        owner: String,
        /// The caller's wall clock, ms since the Unix epoch.
        now_ms: u64,
    },
    /// Like [`LeaseOp::Take`] without the expiry check: load balancing that knowingly takes a
    /// live lease, still fenced by the counter.
    Steal {
        /// The new holder.
        owner: String,
        /// The caller's wall clock, ms since the Unix epoch.
        now_ms: u64,
    },
    /// Sets the renewal time.
    Renew {
        /// The caller's wall clock, ms since the Unix epoch.
        now_ms: u64,
    },
    /// Clears the owner, so any worker may take the lease at once.
    Evict,
    /// Records a checkpoint: sets it, clears the pending one, resets owner switches and appends
    /// to the history. It must name a record that is already durable (durability rule 25).
    Checkpoint {
        /// Where the application resumes.
        checkpoint: Checkpoint,
    },
    /// Stores a pending (prepared, two-phase) checkpoint.
    PrepareCheckpoint {
        /// The prepared checkpoint.
        checkpoint: Checkpoint,
    },
    /// Records the shard's children, at its end.
    SetChildShards {
        /// The children's shard ids.
        child_shard_ids: Vec<String>,
    },
    /// Deletes the lease and its history.
    Delete,
}

impl LeaseOp {
    /// A [`LeaseOp::Take`].
    ///
    /// ```
    /// let op = shardlog::consumer::LeaseOp::take("w1", 5);
    /// assert!(matches!(op, shardlog::consumer::LeaseOp::Take { now_ms: 5, .. }));
    /// ```
    pub fn take(owner: &str, now_ms: u64) -> LeaseOp {
        LeaseOp::Take {
            owner: owner.to_string(),
            now_ms,
        }
    }

    /// A [`LeaseOp::Steal`].
    ///
    /// ```
    /// let op = shardlog::consumer::LeaseOp::steal("w2", 5);
    /// assert!(matches!(op, shardlog::consumer::LeaseOp::Steal { .. }));
    /// ```
    pub fn steal(owner: &str, now_ms: u64) -> LeaseOp {
        LeaseOp::Steal {
            owner: owner.to_string(),
            now_ms,
        }
    }

    /// A [`LeaseOp::Renew`].
    ///
    /// ```
    /// assert_eq!(shardlog::consumer::LeaseOp::renew(9), shardlog::consumer::LeaseOp::Renew { now_ms: 9 });
    /// ```
    pub fn renew(now_ms: u64) -> LeaseOp {
        LeaseOp::Renew { now_ms }
    }

    /// A [`LeaseOp::Checkpoint`].
    ///
    /// ```
    /// use shardlog::consumer::{Checkpoint, LeaseOp};
    /// assert!(matches!(LeaseOp::checkpoint(Checkpoint::ShardEnd), LeaseOp::Checkpoint { .. }));
    /// ```
    pub fn checkpoint(checkpoint: Checkpoint) -> LeaseOp {
        LeaseOp::Checkpoint { checkpoint }
    }

    /// A [`LeaseOp::PrepareCheckpoint`].
    ///
    /// ```
    /// use shardlog::consumer::{Checkpoint, LeaseOp};
    /// let op = LeaseOp::prepare_checkpoint(Checkpoint::sequence("5", 1));
    /// assert!(matches!(op, LeaseOp::PrepareCheckpoint { .. }));
    /// ```
    pub fn prepare_checkpoint(checkpoint: Checkpoint) -> LeaseOp {
        LeaseOp::PrepareCheckpoint { checkpoint }
    }

    /// A [`LeaseOp::SetChildShards`].
    ///
    /// ```
    /// let op = shardlog::consumer::LeaseOp::set_child_shards(vec!["shardId-000000000002".into()]);
    /// assert!(matches!(op, shardlog::consumer::LeaseOp::SetChildShards { .. }));
    /// ```
    pub fn set_child_shards(child_shard_ids: Vec<String>) -> LeaseOp {
        LeaseOp::SetChildShards { child_shard_ids }
    }
}

/// A [`LeaseOp`] addressed to one lease, fenced by the counter the caller last saw.
///
/// ```
/// use shardlog::consumer::{LeaseChange, LeaseKey, LeaseOp};
/// let change = LeaseChange::new(LeaseKey::new("a", "s", "x"), 3, LeaseOp::Evict);
/// assert_eq!(change.expected, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LeaseChange {
    /// The lease.
    pub key: LeaseKey,
    /// The counter the caller last saw; any other stored counter refuses the change.
    #[serde(rename = "ExpectedCounter")]
    pub expected: u64,
    /// What to change.
    pub op: LeaseOp,
}

impl LeaseChange {
    /// Builds a change.
    ///
    /// ```
    /// use shardlog::consumer::{LeaseChange, LeaseKey, LeaseOp};
    /// let c = LeaseChange::new(LeaseKey::new("a", "s", "x"), 0, LeaseOp::renew(1));
    /// assert_eq!(c.op, LeaseOp::renew(1));
    /// ```
    pub fn new(key: LeaseKey, expected: u64, op: LeaseOp) -> LeaseChange {
        LeaseChange { key, expected, op }
    }
}
