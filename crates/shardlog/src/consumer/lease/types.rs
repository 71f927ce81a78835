//! What a lease is: its key, its record, its checkpoint, and the table's options.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies a lease: the consuming application, the stream, and the shard id.
///
/// ```
/// use shardlog::consumer::LeaseKey;
/// let key = LeaseKey::new("app", "clicks", "shardId-000000000003");
/// assert_eq!(key.to_string(), "app/clicks/shardId-000000000003");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LeaseKey {
    /// The consumer application (KCL: the lease table's name).
    pub application: String,
    /// The stream.
    pub stream: String,
    /// The shard id.
    pub shard_id: String,
}

impl LeaseKey {
    /// Builds a key.
    ///
    /// ```
    /// let key = shardlog::consumer::LeaseKey::new("a", "s", "shard-1");
    /// assert_eq!(key.stream, "s");
    /// ```
    pub fn new(application: &str, stream: &str, shard_id: &str) -> LeaseKey {
        LeaseKey {
            application: application.to_string(),
            stream: stream.to_string(),
            shard_id: shard_id.to_string(),
        }
    }
}

impl fmt::Display for LeaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.application, self.stream, self.shard_id)
    }
}

/// Where a consumer resumes: a sequence number or one of the KCL sentinels.
///
/// ```
/// use shardlog::consumer::Checkpoint;
/// let c = Checkpoint::sequence("4959033827", 2);
/// assert!(matches!(c, Checkpoint::SequenceNumber { sub_sequence_number: 2, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CheckpointWire", try_from = "CheckpointWire")]
pub enum Checkpoint {
    /// After this record (and sub-record of an aggregated record).
    SequenceNumber {
        /// Decimal sequence number, without leading zeros.
        sequence_number: String,
        /// Sub-sequence number inside an aggregated record (0 otherwise).
        sub_sequence_number: u64,
    },
    /// From the oldest record still retained.
    TrimHorizon,
    /// From records arriving after the consumer starts.
    Latest,
    /// From the first record at or after this arrival time (ms since the Unix epoch).
    AtTimestamp(u64),
    /// The shard was read to its end; its children may start.
    ShardEnd,
}

impl Checkpoint {
    /// A [`Checkpoint::SequenceNumber`].
    ///
    /// ```
    /// let c = shardlog::consumer::Checkpoint::sequence("17", 0);
    /// assert_ne!(c, shardlog::consumer::Checkpoint::Latest);
    /// ```
    pub fn sequence(sequence_number: &str, sub_sequence_number: u64) -> Checkpoint {
        Checkpoint::SequenceNumber {
            sequence_number: sequence_number.to_string(),
            sub_sequence_number,
        }
    }
}

/// A checkpoint as the lease protocol writes it (`docs/format.md`, "Lease protocol").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CheckpointWire {
    /// A decimal sequence number, or `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END`.
    value: String,
    #[serde(default)]
    sub_sequence_number: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp_ms: Option<u64>,
}

impl From<Checkpoint> for CheckpointWire {
    fn from(c: Checkpoint) -> Self {
        let (value, sub_sequence_number, timestamp_ms) = match c {
            Checkpoint::SequenceNumber {
                sequence_number,
                sub_sequence_number,
            } => (sequence_number, sub_sequence_number, None),
            Checkpoint::TrimHorizon => ("TRIM_HORIZON".into(), 0, None),
            Checkpoint::Latest => ("LATEST".into(), 0, None),
            Checkpoint::AtTimestamp(t) => ("AT_TIMESTAMP".into(), 0, Some(t)),
            Checkpoint::ShardEnd => ("SHARD_END".into(), 0, None),
        };
        CheckpointWire {
            value,
            sub_sequence_number,
            timestamp_ms,
        }
    }
}

impl TryFrom<CheckpointWire> for Checkpoint {
    type Error = Error;
    fn try_from(c: CheckpointWire) -> Result<Self, Error> {
        let bad = |what: String| Error::Validation(format!("lease request: {what}"));
        Ok(match c.value.as_str() {
            "TRIM_HORIZON" => Checkpoint::TrimHorizon,
            "LATEST" => Checkpoint::Latest,
            "SHARD_END" => Checkpoint::ShardEnd,
            "AT_TIMESTAMP" => Checkpoint::AtTimestamp(
                c.timestamp_ms
                    .ok_or_else(|| bad("AT_TIMESTAMP needs TimestampMs".into()))?,
            ),
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Checkpoint::sequence(digits, c.sub_sequence_number)
            }
            other => {
                return Err(bad(format!(
                    "checkpoint {other:?} is neither a sequence number nor a sentinel"
                )))
            }
        })
    }
}

/// The hash-key range of a shard, inclusive at both ends.
///
/// ```
/// let all = shardlog::consumer::HashKeyRange::default();
/// assert_eq!((all.start, all.end), (0, u128::MAX));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashKeyRange {
    /// First hash key.
    pub start: u128,
    /// Last hash key.
    pub end: u128,
}

impl Default for HashKeyRange {
    fn default() -> Self {
        HashKeyRange {
            start: 0,
            end: u128::MAX,
        }
    }
}

/// One lease as stored.
///
/// ```
/// use shardlog::consumer::{LeaseKey, LeaseTable, NewLease};
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// let lease = table.create_if_absent(&LeaseKey::new("a", "s", "shard-0"), NewLease::default())?;
/// assert_eq!(lease.owner, None);
/// assert_eq!(lease.counter, 0);
/// assert_eq!(lease.expires_at_ms(10_000), 10_000);
/// # Ok::<(), shardlog::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The lease's key.
    pub key: LeaseKey,
    /// The worker holding the lease; `None` when unassigned.
    pub owner: Option<String>,
    /// Bumped by every change; the optimistic-concurrency fence.
    pub counter: u64,
    /// Where the next owner resumes.
    pub checkpoint: Checkpoint,
    /// A prepared (two-phase) checkpoint, if any.
    pub pending_checkpoint: Option<Checkpoint>,
    /// Owner changes since the last checkpoint.
    pub owner_switches_since_checkpoint: u64,
    /// Parent shard ids (one after a split, two after a merge, none for an original shard).
    pub parent_shard_ids: Vec<String>,
    /// Child shard ids, filled in at the shard's end.
    pub child_shard_ids: Vec<String>,
    /// The shard's hash-key range.
    pub hash_key_range: HashKeyRange,
    /// Wall-clock time (ms since the Unix epoch) of the last take or renewal; 0 if never held.
    pub last_renewal_ms: u64,
    /// Checkpoints ever recorded for this lease (the next history index).
    pub checkpoints_recorded: u64,
}

impl Lease {
    /// Wall-clock time at which the lease lapses if not renewed (`last_renewal_ms + duration`).
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// # let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.change(&key, l.counter, LeaseOp::take("w", 100))?;
    /// assert_eq!(l.expires_at_ms(50), 150);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn expires_at_ms(&self, lease_duration_ms: u64) -> u64 {
        self.last_renewal_ms.saturating_add(lease_duration_ms)
    }
}

/// What a new lease starts with.
///
/// ```
/// use shardlog::consumer::{Checkpoint, NewLease};
/// let child = NewLease { parent_shard_ids: vec!["shard-0".into()], ..NewLease::default() };
/// assert_eq!(child.checkpoint, Checkpoint::TrimHorizon);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLease {
    /// Initial position. Default: [`Checkpoint::TrimHorizon`].
    pub checkpoint: Checkpoint,
    /// Parent shard ids. Default: none.
    pub parent_shard_ids: Vec<String>,
    /// Hash-key range. Default: the whole space.
    pub hash_key_range: HashKeyRange,
}

impl Default for NewLease {
    fn default() -> Self {
        NewLease {
            checkpoint: Checkpoint::TrimHorizon,
            parent_shard_ids: Vec::new(),
            hash_key_range: HashKeyRange::default(),
        }
    }
}

/// Options of a [`LeaseTable`].
///
/// ```
/// use shardlog::consumer::LeaseOptions;
/// let o = LeaseOptions::default();
/// assert_eq!((o.history_len, o.lease_duration_ms, o.takeover_margin_ms), (10, 10_000, 1_000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseOptions {
    /// Checkpoint values kept per lease. Default: 10. 0 keeps none.
    pub history_len: u64,
    /// How long a lease stays held after its last renewal (KCL `failoverTimeMillis`). Default: 10,000.
    pub lease_duration_ms: u64,
    /// Extra wait before `take` may grab a lease another worker held (clock skew, restarts).
    /// Default: 1,000.
    pub takeover_margin_ms: u64,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions {
            history_len: 10,
            lease_duration_ms: 10_000,
            takeover_margin_ms: 1_000,
        }
    }
}

/// One recorded checkpoint.
///
/// ```
/// # use shardlog::consumer::*;
/// # use shardlog_checkpoint::Db;
/// # use shardlog_storage::SimDisk;
/// # use std::sync::Arc;
/// # let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// # let key = LeaseKey::new("a", "s", "x");
/// let l = table.create_if_absent(&key, NewLease::default())?;
/// table.change(&key, l.counter, LeaseOp::checkpoint(Checkpoint::sequence("5", 0)))?;
/// let h = table.history(&key)?;
/// assert_eq!(h[0].counter, 1);
/// assert_eq!(h[0].checkpoint, Checkpoint::sequence("5", 0));
/// # Ok::<(), shardlog::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// History index (0 for the lease's first checkpoint).
    pub index: u64,
    /// The lease counter after the checkpoint was written.
    pub counter: u64,
    /// The owner at the time.
    pub owner: Option<String>,
    /// The value.
    pub checkpoint: Checkpoint,
}
