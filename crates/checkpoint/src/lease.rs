//! A KCL-style lease table on top of [`Db`]: one lease per (application, stream, shard), fenced by a
//! counter.
//!
//! Every mutating call names the counter the caller last saw; if the stored counter differs, the call
//! fails with [`Error::LeaseConflict`] and changes nothing. Each successful change bumps the counter
//! by one. Checkpoints also go into a per-lease history of the last
//! [`LeaseOptions::history_len`] values. Several changes can share one commit through
//! [`LeaseTable::batch`] (a worker renewing all its leases at once); each change in a batch is
//! checked on its own, so one conflict does not stop the others.
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
//! use shardlog_checkpoint::lease::{LeaseKey, LeaseTable, NewLease};
//! use shardlog_checkpoint::{Db, Error};
//! use shardlog_storage::SimDisk;
//! use std::sync::Arc;
//!
//! let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "leases.db")?);
//! let table = LeaseTable::new(db, Default::default())?;
//! let key = LeaseKey::new("app", "clicks", "shardId-000000000001");
//! let seen = table.create_if_absent(&key, NewLease::default())?;
//! let mine = table.take(&key, seen.counter, "w1", 5_000)?;
//! // w2 still holds the counter it saw before w1 took the lease: its take fails.
//! assert!(matches!(table.steal(&key, seen.counter, "w2", 5_001),
//!                  Err(Error::LeaseConflict { expected: 0, found: 1 })));
//! let mine = table.renew(&key, mine.counter, 8_000)?;
//! assert_eq!(mine.counter, 2);
//! # Ok::<(), Error>(())
//! ```

use crate::db::{Db, WriteTxn};
use crate::error::{Error, Result};
use std::fmt;
use std::sync::Arc;

const LEASE_PREFIX: &[u8] = b"lease\0L";
/// Separates a lease key from the index of one of its history entries.
const HISTORY_TAG: u8 = b'H';
const META_KEY: &[u8] = b"lease\0M";
/// Schema 2: history entries follow their lease record (schema 1 kept them under `"lease\0H"`).
const SCHEMA_VERSION: u8 = 2;
const RECORD_VERSION: u8 = 1;
/// Longest name part (application, stream, shard id, owner, parent or child id).
const MAX_NAME_LEN: usize = 160;
/// Longest sequence number (decimal digits).
const MAX_SEQUENCE_DIGITS: usize = 128;

/// Identifies a lease: the consuming application, the stream, and the shard id.
///
/// ```
/// use shardlog_checkpoint::lease::LeaseKey;
/// let key = LeaseKey::new("app", "clicks", "shardId-000000000003");
/// assert_eq!(key.to_string(), "app/clicks/shardId-000000000003");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// let key = shardlog_checkpoint::lease::LeaseKey::new("a", "s", "shard-1");
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
/// use shardlog_checkpoint::lease::Checkpoint;
/// let c = Checkpoint::sequence("4959033827", 2);
/// assert!(matches!(c, Checkpoint::SequenceNumber { sub_sequence_number: 2, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// let c = shardlog_checkpoint::lease::Checkpoint::sequence("17", 0);
    /// assert_ne!(c, shardlog_checkpoint::lease::Checkpoint::Latest);
    /// ```
    pub fn sequence(sequence_number: &str, sub_sequence_number: u64) -> Checkpoint {
        Checkpoint::SequenceNumber {
            sequence_number: sequence_number.to_string(),
            sub_sequence_number,
        }
    }
}

/// The hash-key range of a shard, inclusive at both ends.
///
/// ```
/// let all = shardlog_checkpoint::lease::HashKeyRange::default();
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
/// use shardlog_checkpoint::lease::{LeaseKey, LeaseTable, NewLease};
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// let lease = table.create_if_absent(&LeaseKey::new("a", "s", "shard-0"), NewLease::default())?;
/// assert_eq!(lease.owner, None);
/// assert_eq!(lease.counter, 0);
/// assert_eq!(lease.expires_at_ms(10_000), 10_000);
/// # Ok::<(), shardlog_checkpoint::Error>(())
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
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # use std::sync::Arc;
    /// # let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.take(&key, l.counter, "w", 100)?;
    /// assert_eq!(l.expires_at_ms(50), 150);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn expires_at_ms(&self, lease_duration_ms: u64) -> u64 {
        self.last_renewal_ms.saturating_add(lease_duration_ms)
    }
}

/// What a new lease starts with.
///
/// ```
/// use shardlog_checkpoint::lease::{Checkpoint, NewLease};
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
/// use shardlog_checkpoint::lease::LeaseOptions;
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
/// # use shardlog_checkpoint::lease::*;
/// # use shardlog_checkpoint::Db;
/// # use shardlog_storage::SimDisk;
/// # use std::sync::Arc;
/// # let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// # let key = LeaseKey::new("a", "s", "x");
/// let l = table.create_if_absent(&key, NewLease::default())?;
/// table.checkpoint(&key, l.counter, Checkpoint::sequence("5", 0))?;
/// let h = table.history(&key)?;
/// assert_eq!(h[0].counter, 1);
/// assert_eq!(h[0].checkpoint, Checkpoint::sequence("5", 0));
/// # Ok::<(), shardlog_checkpoint::Error>(())
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

/// The lease table.
///
/// ```
/// use shardlog_checkpoint::lease::{LeaseKey, LeaseTable, NewLease};
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?);
/// let table = LeaseTable::new(db, Default::default())?;
/// for shard in ["shard-0", "shard-1"] {
///     table.create_if_absent(&LeaseKey::new("app", "s", shard), NewLease::default())?;
/// }
/// assert_eq!(table.list("app")?.len(), 2);
/// assert!(table.list("other")?.is_empty());
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LeaseTable {
    db: Arc<Db>,
    options: LeaseOptions,
}

/// Changes collected to be applied in one commit.
///
/// ```
/// # use shardlog_checkpoint::lease::*;
/// # use shardlog_checkpoint::Db;
/// # use shardlog_storage::SimDisk;
/// # use std::sync::Arc;
/// # let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// let keys: Vec<LeaseKey> = (0..3).map(|i| LeaseKey::new("a", "s", &format!("shard-{i}"))).collect();
/// let mut batch = table.batch();
/// for k in &keys {
///     let l = table.create_if_absent(k, NewLease::default())?;
///     batch.take(k, l.counter, "w1", 1_000);
/// }
/// let results = batch.commit()?; // one commit for all three
/// assert!(results.iter().all(|r| r.is_ok()));
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
pub struct LeaseBatch<'t> {
    table: &'t LeaseTable,
    ops: Vec<(LeaseKey, u64, Op<'t>)>,
}

impl fmt::Debug for LeaseBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseBatch")
            .field("ops", &self.ops.len())
            .finish_non_exhaustive()
    }
}

type UpdateFn<'a> = Box<dyn FnOnce(&mut Lease) + 'a>;

enum Op<'a> {
    Take {
        owner: String,
        now_ms: u64,
        steal: bool,
    },
    Renew {
        now_ms: u64,
    },
    Evict,
    Checkpoint(Checkpoint),
    Prepare(Checkpoint),
    Update(UpdateFn<'a>),
    Delete,
}

impl<'t> LeaseBatch<'t> {
    fn push(&mut self, key: &LeaseKey, expected: u64, op: Op<'t>) -> &mut Self {
        self.ops.push((key.clone(), expected, op));
        self
    }

    /// Adds a [`LeaseTable::take`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// let key = LeaseKey::new("a", "s", "x");
    /// table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().take(&key, 0, "w", 1).commit()?;
    /// assert_eq!(r[0].as_ref().unwrap().counter, 1);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn take(&mut self, key: &LeaseKey, expected: u64, owner: &str, now_ms: u64) -> &mut Self {
        let owner = owner.to_string();
        self.push(
            key,
            expected,
            Op::Take {
                owner,
                now_ms,
                steal: false,
            },
        )
    }

    /// Adds a [`LeaseTable::steal`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().steal(&key, 0, "w", 1).commit()?;
    /// assert!(r[0].is_ok());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn steal(&mut self, key: &LeaseKey, expected: u64, owner: &str, now_ms: u64) -> &mut Self {
        let owner = owner.to_string();
        self.push(
            key,
            expected,
            Op::Take {
                owner,
                now_ms,
                steal: true,
            },
        )
    }

    /// Adds a [`LeaseTable::renew`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().renew(&key, 0, 5).renew(&key, 1, 6).commit()?;
    /// assert_eq!(r[1].as_ref().unwrap().counter, 2);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn renew(&mut self, key: &LeaseKey, expected: u64, now_ms: u64) -> &mut Self {
        self.push(key, expected, Op::Renew { now_ms })
    }

    /// Adds a [`LeaseTable::evict`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// assert!(table.batch().evict(&key, 0).commit()?[0].is_ok());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn evict(&mut self, key: &LeaseKey, expected: u64) -> &mut Self {
        self.push(key, expected, Op::Evict)
    }

    /// Adds a [`LeaseTable::checkpoint`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// assert!(table.batch().checkpoint(&key, 0, Checkpoint::ShardEnd).commit()?[0].is_ok());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn checkpoint(
        &mut self,
        key: &LeaseKey,
        expected: u64,
        checkpoint: Checkpoint,
    ) -> &mut Self {
        self.push(key, expected, Op::Checkpoint(checkpoint))
    }

    /// Adds a [`LeaseTable::prepare_checkpoint`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().prepare_checkpoint(&key, 0, Checkpoint::sequence("9", 0)).commit()?;
    /// assert!(r[0].as_ref().unwrap().pending_checkpoint.is_some());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn prepare_checkpoint(
        &mut self,
        key: &LeaseKey,
        expected: u64,
        checkpoint: Checkpoint,
    ) -> &mut Self {
        self.push(key, expected, Op::Prepare(checkpoint))
    }

    /// Adds a [`LeaseTable::update`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().update(&key, 0, |l| l.child_shard_ids = vec!["y".into()]).commit()?;
    /// assert_eq!(r[0].as_ref().unwrap().child_shard_ids, vec!["y".to_string()]);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn update(
        &mut self,
        key: &LeaseKey,
        expected: u64,
        f: impl FnOnce(&mut Lease) + 't,
    ) -> &mut Self {
        self.push(key, expected, Op::Update(Box::new(f)))
    }

    /// Adds a [`LeaseTable::delete`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// assert!(table.batch().delete(&key, 0).commit()?[0].is_ok());
    /// assert!(table.get(&key)?.is_none());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn delete(&mut self, key: &LeaseKey, expected: u64) -> &mut Self {
        self.push(key, expected, Op::Delete)
    }

    /// Applies every change in order inside one write transaction and commits once. The outer
    /// `Err` is a storage failure (nothing was committed); otherwise each change has its own result:
    /// the lease after the change, or why its condition failed (that change alone is skipped).
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::{Db, Error};
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().renew(&key, 7, 1).renew(&key, 0, 1).commit()?;
    /// assert!(matches!(r[0], Err(Error::LeaseConflict { expected: 7, found: 0 })));
    /// assert!(r[1].is_ok());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn commit(&mut self) -> Result<Vec<Result<Lease>>> {
        let ops = std::mem::take(&mut self.ops);
        let mut tx = self.table.db.write()?;
        let mut results = Vec::with_capacity(ops.len());
        for (key, expected, op) in ops {
            results.push(self.table.apply(&mut tx, &key, expected, op)?);
        }
        tx.commit()?;
        Ok(results)
    }
}

impl LeaseTable {
    /// A lease table stored in `db` (other keys of `db` stay untouched). Writes the schema version
    /// on first use and refuses a table written by an unknown version.
    ///
    /// ```
    /// use shardlog_checkpoint::lease::{LeaseOptions, LeaseTable};
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?);
    /// let opts = LeaseOptions { history_len: 3, ..LeaseOptions::default() };
    /// let table = LeaseTable::new(db, opts)?;
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn new(db: Arc<Db>, options: LeaseOptions) -> Result<LeaseTable> {
        let stored = db.read()?.get(META_KEY)?;
        match stored.as_deref() {
            Some([SCHEMA_VERSION]) => {}
            None => {
                let mut tx = db.write()?;
                if tx.get(META_KEY)?.is_none() {
                    tx.insert(META_KEY, &[SCHEMA_VERSION])?;
                }
                tx.commit()?;
            }
            Some(other) => {
                return Err(Error::Foreign {
                    file: db.path(),
                    reason: format!(
                        "lease table schema {other:?} (this build knows [{SCHEMA_VERSION}])"
                    ),
                })
            }
        }
        Ok(LeaseTable { db, options })
    }

    /// The options in force.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// assert_eq!(table.options().history_len, 10);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn options(&self) -> &LeaseOptions {
        &self.options
    }

    /// An empty batch of changes, applied in one commit by [`LeaseBatch::commit`].
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// assert!(table.batch().commit()?.is_empty());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn batch(&self) -> LeaseBatch<'_> {
        LeaseBatch {
            table: self,
            ops: Vec::new(),
        }
    }

    fn one(&self, key: &LeaseKey, expected: u64, op: Op<'_>) -> Result<Lease> {
        let mut tx = self.db.write()?;
        let result = self.apply(&mut tx, key, expected, op)?;
        tx.commit()?;
        result
    }

    /// Creates the lease unless it exists; returns the stored lease either way (check
    /// `counter`/`owner` to tell). A new lease has no owner and counter 0.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// let key = LeaseKey::new("a", "s", "x");
    /// let first = table.create_if_absent(&key, NewLease::default())?;
    /// let taken = table.take(&key, first.counter, "w", 1)?;
    /// assert_eq!(table.create_if_absent(&key, NewLease::default())?, taken);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn create_if_absent(&self, key: &LeaseKey, new: NewLease) -> Result<Lease> {
        let tree_key = lease_key(key)?;
        let mut tx = self.db.write()?;
        if let Some(bytes) = tx.get(&tree_key)? {
            return decode_lease(key, &bytes);
        }
        let lease = Lease {
            key: key.clone(),
            owner: None,
            counter: 0,
            checkpoint: new.checkpoint,
            pending_checkpoint: None,
            owner_switches_since_checkpoint: 0,
            parent_shard_ids: new.parent_shard_ids,
            child_shard_ids: Vec::new(),
            hash_key_range: new.hash_key_range,
            last_renewal_ms: 0,
            checkpoints_recorded: 0,
        };
        let bytes = encode_lease(&lease)?;
        tx.insert(&tree_key, &bytes)?;
        tx.commit()?;
        Ok(lease)
    }

    /// The lease, if it exists.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// assert!(table.get(&LeaseKey::new("a", "s", "x"))?.is_none());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn get(&self, key: &LeaseKey) -> Result<Option<Lease>> {
        let tree_key = lease_key(key)?;
        match self.db.read()?.get(&tree_key)? {
            Some(bytes) => decode_lease(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The applications that have at least one lease, in byte order.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// table.create_if_absent(&LeaseKey::new("billing", "s", "1"), NewLease::default())?;
    /// table.create_if_absent(&LeaseKey::new("audit", "s", "1"), NewLease::default())?;
    /// table.create_if_absent(&LeaseKey::new("audit", "t", "1"), NewLease::default())?;
    /// assert_eq!(table.applications()?, ["audit", "billing"]);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn applications(&self) -> Result<Vec<String>> {
        let end = prefix_end(LEASE_PREFIX);
        let snap = self.db.read()?;
        let mut out: Vec<String> = Vec::new();
        for item in snap.range(LEASE_PREFIX..end.as_slice()) {
            let (k, _) = item?;
            let Some(key) = lease_record_key(&k)? else {
                continue;
            };
            if out.last() != Some(&key.application) {
                out.push(key.application);
            }
        }
        Ok(out)
    }

    /// Every lease of `application`, ordered by stream, then shard id (as byte strings).
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// table.create_if_absent(&LeaseKey::new("a", "s", "2"), NewLease::default())?;
    /// table.create_if_absent(&LeaseKey::new("a", "s", "1"), NewLease::default())?;
    /// let ids: Vec<String> = table.list("a")?.into_iter().map(|l| l.key.shard_id).collect();
    /// assert_eq!(ids, ["1", "2"]);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn list(&self, application: &str) -> Result<Vec<Lease>> {
        check_name("application", application)?;
        let mut start = LEASE_PREFIX.to_vec();
        push_escaped(&mut start, application);
        let end = prefix_end(&start);
        let snap = self.db.read()?;
        let mut out = Vec::new();
        for item in snap.range(start.as_slice()..end.as_slice()) {
            let (k, v) = item?;
            let Some(key) = lease_record_key(&k)? else {
                continue;
            };
            out.push(decode_lease(&key, &v)?);
        }
        Ok(out)
    }

    /// Gives the lease to `owner` (counter + 1, renewal time `now_ms`; owner switches + 1 if the owner
    /// changes). Fails with [`Error::LeaseHeld`] if the durable record says another worker holds it
    /// and `last_renewal_ms + lease_duration_ms + takeover_margin_ms > now_ms` (durability rule 26).
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::{Db, Error};
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// let key = LeaseKey::new("a", "s", "x");
    /// let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.take(&key, l.counter, "w1", 1_000)?;
    /// // Held until 1,000 + 10,000 + 1,000 ms.
    /// assert!(matches!(table.take(&key, l.counter, "w2", 11_999), Err(Error::LeaseHeld { until_ms: 12_000, .. })));
    /// let l = table.take(&key, l.counter, "w2", 12_000)?;
    /// assert_eq!(l.owner_switches_since_checkpoint, 2);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn take(&self, key: &LeaseKey, expected: u64, owner: &str, now_ms: u64) -> Result<Lease> {
        let owner = owner.to_string();
        self.one(
            key,
            expected,
            Op::Take {
                owner,
                now_ms,
                steal: false,
            },
        )
    }

    /// Like [`LeaseTable::take`] but without the expiry check: takes a lease another worker may still
    /// hold (load balancing). Still fenced by the counter.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.take(&key, l.counter, "w1", 1_000)?;
    /// let l = table.steal(&key, l.counter, "w2", 1_001)?;
    /// assert_eq!(l.owner.as_deref(), Some("w2"));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn steal(&self, key: &LeaseKey, expected: u64, owner: &str, now_ms: u64) -> Result<Lease> {
        let owner = owner.to_string();
        self.one(
            key,
            expected,
            Op::Take {
                owner,
                now_ms,
                steal: true,
            },
        )
    }

    /// Renews: counter + 1, renewal time `now_ms`. Use [`LeaseBatch::renew`] to renew many leases in
    /// one commit.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.renew(&key, l.counter, 77)?;
    /// assert_eq!((l.counter, l.last_renewal_ms), (1, 77));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn renew(&self, key: &LeaseKey, expected: u64, now_ms: u64) -> Result<Lease> {
        self.one(key, expected, Op::Renew { now_ms })
    }

    /// Clears the owner (counter + 1), so any worker may take the lease at once.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.take(&key, l.counter, "w1", 1)?;
    /// let l = table.evict(&key, l.counter)?;
    /// assert_eq!(l.owner, None);
    /// assert!(table.take(&key, l.counter, "w2", 2).is_ok());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn evict(&self, key: &LeaseKey, expected: u64) -> Result<Lease> {
        self.one(key, expected, Op::Evict)
    }

    /// Records a checkpoint: sets it, clears the pending checkpoint, resets owner switches, bumps the
    /// counter and appends to the history. The caller must only name a sequence number that is
    /// already durable in the shard's log (durability rule 25).
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.checkpoint(&key, l.counter, Checkpoint::sequence("123", 0))?;
    /// assert_eq!(l.checkpoint, Checkpoint::sequence("123", 0));
    /// assert!(table.checkpoint(&key, 0, Checkpoint::ShardEnd).is_err()); // stale counter
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn checkpoint(
        &self,
        key: &LeaseKey,
        expected: u64,
        checkpoint: Checkpoint,
    ) -> Result<Lease> {
        self.one(key, expected, Op::Checkpoint(checkpoint))
    }

    /// Stores a pending (prepared, two-phase) checkpoint; counter + 1.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.prepare_checkpoint(&key, l.counter, Checkpoint::sequence("5", 1))?;
    /// assert_eq!(l.pending_checkpoint, Some(Checkpoint::sequence("5", 1)));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn prepare_checkpoint(
        &self,
        key: &LeaseKey,
        expected: u64,
        checkpoint: Checkpoint,
    ) -> Result<Lease> {
        self.one(key, expected, Op::Prepare(checkpoint))
    }

    /// Changes any fields with `f` (child shard ids, hash range, pending checkpoint, ...); the key and
    /// counter are kept from the stored lease and the counter is then bumped. A changed checkpoint
    /// goes into the history.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.update(&key, l.counter, |l| {
    ///     l.child_shard_ids = vec!["y".into(), "z".into()];
    ///     l.hash_key_range = HashKeyRange { start: 0, end: 99 };
    /// })?;
    /// assert_eq!(l.counter, 1);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn update(
        &self,
        key: &LeaseKey,
        expected: u64,
        f: impl FnOnce(&mut Lease),
    ) -> Result<Lease> {
        self.one(key, expected, Op::Update(Box::new(f)))
    }

    /// Deletes the lease and its history; returns the lease as it was.
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # let l = table.create_if_absent(&key, NewLease::default())?;
    /// table.delete(&key, l.counter)?;
    /// assert!(table.history(&key)?.is_empty());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn delete(&self, key: &LeaseKey, expected: u64) -> Result<Lease> {
        self.one(key, expected, Op::Delete)
    }

    /// The recorded checkpoints of a lease, oldest first (at most `history_len`).
    ///
    /// ```
    /// # use shardlog_checkpoint::lease::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), LeaseOptions { history_len: 2, ..Default::default() })?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// let mut l = table.create_if_absent(&key, NewLease::default())?;
    /// for seq in ["1", "2", "3"] {
    ///     l = table.checkpoint(&key, l.counter, Checkpoint::sequence(seq, 0))?;
    /// }
    /// let h: Vec<u64> = table.history(&key)?.iter().map(|e| e.index).collect();
    /// assert_eq!(h, [1, 2]);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn history(&self, key: &LeaseKey) -> Result<Vec<HistoryEntry>> {
        let prefix = history_prefix(key)?;
        let end = prefix_end(&prefix);
        let snap = self.db.read()?;
        let mut out = Vec::new();
        for item in snap.range(prefix.as_slice()..end.as_slice()) {
            let (k, v) = item?;
            let index = k
                .get(prefix.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64_from_ordered)
                .ok_or_else(|| bad(key, "history key does not parse"))?;
            out.push(decode_history(key, index, &v)?);
        }
        let keep = usize::try_from(self.options.history_len).unwrap_or(usize::MAX);
        let skip = out.len().saturating_sub(keep);
        Ok(out.split_off(skip))
    }

    /// Applies one change inside `tx`. Outer error: storage failure; inner: the change's own result.
    fn apply(
        &self,
        tx: &mut WriteTxn<'_>,
        key: &LeaseKey,
        expected: u64,
        op: Op<'_>,
    ) -> Result<Result<Lease>> {
        let tree_key = match lease_key(key) {
            Ok(k) => k,
            Err(e) => return Ok(Err(e)),
        };
        let Some(bytes) = tx.get(&tree_key)? else {
            return Ok(Err(Error::LeaseNotFound {
                key: key.to_string(),
            }));
        };
        let mut lease = match decode_lease(key, &bytes) {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        if lease.counter != expected {
            return Ok(Err(Error::LeaseConflict {
                expected,
                found: lease.counter,
            }));
        }
        let before = lease.checkpoint.clone();
        let mut record_history = false;
        match op {
            Op::Take {
                owner,
                now_ms,
                steal,
            } => {
                if let Err(e) = check_name("owner", &owner) {
                    return Ok(Err(e));
                }
                if let Some(current) = lease.owner.as_deref().filter(|o| *o != owner) {
                    let until_ms = lease
                        .last_renewal_ms
                        .saturating_add(self.options.lease_duration_ms)
                        .saturating_add(self.options.takeover_margin_ms);
                    if !steal && now_ms < until_ms {
                        return Ok(Err(Error::LeaseHeld {
                            owner: current.to_string(),
                            until_ms,
                        }));
                    }
                }
                if lease.owner.as_deref() != Some(owner.as_str()) {
                    lease.owner_switches_since_checkpoint =
                        lease.owner_switches_since_checkpoint.saturating_add(1);
                }
                lease.owner = Some(owner);
                lease.last_renewal_ms = now_ms;
            }
            Op::Renew { now_ms } => lease.last_renewal_ms = now_ms,
            Op::Evict => lease.owner = None,
            Op::Checkpoint(c) => {
                lease.checkpoint = c;
                lease.pending_checkpoint = None;
                lease.owner_switches_since_checkpoint = 0;
                record_history = true;
            }
            Op::Prepare(c) => lease.pending_checkpoint = Some(c),
            Op::Update(f) => {
                let counter = lease.counter;
                let recorded = lease.checkpoints_recorded;
                f(&mut lease);
                lease.key = key.clone();
                lease.counter = counter;
                lease.checkpoints_recorded = recorded;
                record_history = lease.checkpoint != before;
            }
            Op::Delete => {
                tx.remove(&tree_key)?;
                let prefix = history_prefix(key)?;
                let end = prefix_end(&prefix);
                let old: Vec<Vec<u8>> = tx
                    .range(prefix.as_slice()..end.as_slice())
                    .map(|r| r.map(|(k, _)| k))
                    .collect::<Result<_>>()?;
                for k in old {
                    tx.remove(&k)?;
                }
                return Ok(Ok(lease));
            }
        }
        let (Some(counter), Some(recorded)) = (
            lease.counter.checked_add(1),
            lease
                .checkpoints_recorded
                .checked_add(u64::from(record_history)),
        ) else {
            return Ok(Err(Error::InvalidArgument(format!(
                "lease {key} has used up its counter"
            ))));
        };
        lease.counter = counter;
        lease.checkpoints_recorded = recorded;
        let encoded = match encode_lease(&lease) {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        if record_history && self.options.history_len > 0 {
            let entry = encode_history(&lease);
            if let Err(e) = entry {
                return Ok(Err(e));
            }
            let index = lease.checkpoints_recorded.saturating_sub(1);
            let prefix = history_prefix(key)?;
            let mut hkey = prefix.clone();
            hkey.extend_from_slice(&u64_ordered(index));
            if let Ok(entry) = entry {
                tx.insert(&hkey, &entry)?;
            }
            // Drop entries older than the last `history_len`.
            if let Some(first_kept) = index
                .saturating_add(1)
                .checked_sub(self.options.history_len)
            {
                let mut end = prefix.clone();
                end.extend_from_slice(&u64_ordered(first_kept));
                let old: Vec<Vec<u8>> = tx
                    .range(prefix.as_slice()..end.as_slice())
                    .map(|r| r.map(|(k, _)| k))
                    .collect::<Result<_>>()?;
                for k in old {
                    tx.remove(&k)?;
                }
            }
        }
        tx.insert(&tree_key, &encoded)?;
        Ok(Ok(lease))
    }
}

fn bad(key: &LeaseKey, reason: &str) -> Error {
    Error::BadRecord {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

fn check_name(what: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(Error::InvalidArgument(format!(
            "{what} of {} bytes outside 1..={MAX_NAME_LEN}",
            s.len()
        )));
    }
    Ok(())
}

fn check_checkpoint(c: &Checkpoint) -> Result<()> {
    if let Checkpoint::SequenceNumber {
        sequence_number: s, ..
    } = c
    {
        let ok = !s.is_empty()
            && s.len() <= MAX_SEQUENCE_DIGITS
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if !ok {
            return Err(Error::InvalidArgument(format!(
                "sequence number {s:?} is not a decimal number of at most {MAX_SEQUENCE_DIGITS} digits \
                 without leading zeros"
            )));
        }
    }
    Ok(())
}

/// Big-endian bytes of `v`, so that keys sort by number.
fn u64_ordered(v: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, b) in out.iter_mut().enumerate() {
        *b = (v >> (56 - 8 * i)) as u8;
    }
    out
}

fn u64_from_ordered(b: [u8; 8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

fn push_escaped(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// The exclusive end of the key range starting with `prefix` (which ends with the terminator `00 01`).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last = last.saturating_add(1);
    }
    end
}

fn encoded_parts(prefix: &[u8], key: &LeaseKey) -> Result<Vec<u8>> {
    check_name("application", &key.application)?;
    check_name("stream", &key.stream)?;
    check_name("shard id", &key.shard_id)?;
    let mut out = prefix.to_vec();
    for part in [&key.application, &key.stream, &key.shard_id] {
        push_escaped(&mut out, part);
    }
    Ok(out)
}

fn lease_key(key: &LeaseKey) -> Result<Vec<u8>> {
    encoded_parts(LEASE_PREFIX, key)
}

fn history_prefix(key: &LeaseKey) -> Result<Vec<u8>> {
    let mut prefix = lease_key(key)?;
    prefix.push(HISTORY_TAG);
    Ok(prefix)
}

/// True for a history entry's key (a lease key followed by the tag and an 8-byte index).
fn is_history_key(k: &[u8]) -> bool {
    k.len() > 9
        && k.get(k.len() - 9) == Some(&HISTORY_TAG)
        && k.get(..k.len() - 9).and_then(parse_lease_key).is_some()
}

/// The lease a key of the lease range names: `Some` for a lease record, `None` for a history entry,
/// an error for anything else.
fn lease_record_key(k: &[u8]) -> Result<Option<LeaseKey>> {
    match parse_lease_key(k) {
        Some(key) => Ok(Some(key)),
        None if is_history_key(k) => Ok(None),
        None => Err(Error::BadRecord {
            key: String::from_utf8_lossy(k).into_owned(),
            reason: "lease key does not parse".into(),
        }),
    }
}

fn parse_lease_key(k: &[u8]) -> Option<LeaseKey> {
    let mut rest = k.strip_prefix(LEASE_PREFIX)?;
    let mut parts = Vec::with_capacity(3);
    for _ in 0..3 {
        let mut part = Vec::new();
        loop {
            let (&b, tail) = rest.split_first()?;
            rest = tail;
            if b != 0 {
                part.push(b);
                continue;
            }
            let (&esc, tail) = rest.split_first()?;
            rest = tail;
            match esc {
                0xFF => part.push(0),
                1 => break,
                _ => return None,
            }
        }
        parts.push(String::from_utf8(part).ok()?);
    }
    if !rest.is_empty() {
        return None;
    }
    let shard_id = parts.pop()?;
    let stream = parts.pop()?;
    let application = parts.pop()?;
    Some(LeaseKey {
        application,
        stream,
        shard_id,
    })
}

// ---- record encoding (version 1, little-endian) ----

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    let len =
        u16::try_from(s.len()).map_err(|_| Error::InvalidArgument("string too long".into()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) -> Result<()> {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s)?;
        }
    }
    Ok(())
}

fn put_checkpoint(out: &mut Vec<u8>, c: &Checkpoint) -> Result<()> {
    check_checkpoint(c)?;
    match c {
        Checkpoint::SequenceNumber {
            sequence_number,
            sub_sequence_number,
        } => {
            out.push(1);
            put_str(out, sequence_number)?;
            out.extend_from_slice(&sub_sequence_number.to_le_bytes());
        }
        Checkpoint::TrimHorizon => out.push(2),
        Checkpoint::Latest => out.push(3),
        Checkpoint::AtTimestamp(ms) => {
            out.push(4);
            out.extend_from_slice(&ms.to_le_bytes());
        }
        Checkpoint::ShardEnd => out.push(5),
    }
    Ok(())
}

fn put_ids(out: &mut Vec<u8>, what: &str, ids: &[String]) -> Result<()> {
    let n =
        u16::try_from(ids.len()).map_err(|_| Error::InvalidArgument(format!("too many {what}")))?;
    out.extend_from_slice(&n.to_le_bytes());
    for id in ids {
        check_name(what, id)?;
        put_str(out, id)?;
    }
    Ok(())
}

fn check_value_len(bytes: Vec<u8>) -> Result<Vec<u8>> {
    if bytes.len() > crate::MAX_VALUE_LEN {
        return Err(Error::ValueTooLarge {
            len: bytes.len(),
            max: crate::MAX_VALUE_LEN,
        });
    }
    Ok(bytes)
}

fn encode_lease(l: &Lease) -> Result<Vec<u8>> {
    if l.hash_key_range.start > l.hash_key_range.end {
        return Err(Error::InvalidArgument(format!(
            "hash-key range {}..={} is empty",
            l.hash_key_range.start, l.hash_key_range.end
        )));
    }
    let mut out = Vec::with_capacity(256);
    out.push(RECORD_VERSION);
    for v in [
        l.counter,
        l.last_renewal_ms,
        l.owner_switches_since_checkpoint,
        l.checkpoints_recorded,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&l.hash_key_range.start.to_le_bytes());
    out.extend_from_slice(&l.hash_key_range.end.to_le_bytes());
    if let Some(o) = &l.owner {
        check_name("owner", o)?;
    }
    put_opt_str(&mut out, l.owner.as_deref())?;
    put_checkpoint(&mut out, &l.checkpoint)?;
    match &l.pending_checkpoint {
        None => out.push(0),
        Some(c) => {
            out.push(1);
            put_checkpoint(&mut out, c)?;
        }
    }
    put_ids(&mut out, "parent shard id", &l.parent_shard_ids)?;
    put_ids(&mut out, "child shard id", &l.child_shard_ids)?;
    check_value_len(out)
}

fn encode_history(l: &Lease) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    out.push(RECORD_VERSION);
    out.extend_from_slice(&l.counter.to_le_bytes());
    put_opt_str(&mut out, l.owner.as_deref())?;
    put_checkpoint(&mut out, &l.checkpoint)?;
    check_value_len(out)
}

/// A bounds-checked reader of a record.
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn opt_str(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }
    fn checkpoint(&mut self) -> Option<Checkpoint> {
        Some(match self.u8()? {
            1 => Checkpoint::SequenceNumber {
                sequence_number: self.str()?,
                sub_sequence_number: self.u64()?,
            },
            2 => Checkpoint::TrimHorizon,
            3 => Checkpoint::Latest,
            4 => Checkpoint::AtTimestamp(self.u64()?),
            5 => Checkpoint::ShardEnd,
            _ => return None,
        })
    }
    fn ids(&mut self) -> Option<Vec<String>> {
        let n = self.u16()?;
        (0..n).map(|_| self.str()).collect()
    }
}

fn decode_lease(key: &LeaseKey, bytes: &[u8]) -> Result<Lease> {
    let mut r = Rd { b: bytes };
    let parse = |r: &mut Rd<'_>| -> Option<Lease> {
        if r.u8()? != RECORD_VERSION {
            return None;
        }
        let counter = r.u64()?;
        let last_renewal_ms = r.u64()?;
        let owner_switches_since_checkpoint = r.u64()?;
        let checkpoints_recorded = r.u64()?;
        let hash_key_range = HashKeyRange {
            start: r.u128()?,
            end: r.u128()?,
        };
        let owner = r.opt_str()?;
        let checkpoint = r.checkpoint()?;
        let pending_checkpoint = match r.u8()? {
            0 => None,
            1 => Some(r.checkpoint()?),
            _ => return None,
        };
        let parent_shard_ids = r.ids()?;
        let child_shard_ids = r.ids()?;
        r.b.is_empty().then_some(Lease {
            key: key.clone(),
            owner,
            counter,
            checkpoint,
            pending_checkpoint,
            owner_switches_since_checkpoint,
            parent_shard_ids,
            child_shard_ids,
            hash_key_range,
            last_renewal_ms,
            checkpoints_recorded,
        })
    };
    parse(&mut r).ok_or_else(|| {
        bad(
            key,
            "lease record does not decode (unknown version or damaged)",
        )
    })
}

fn decode_history(key: &LeaseKey, index: u64, bytes: &[u8]) -> Result<HistoryEntry> {
    let mut r = Rd { b: bytes };
    let parse = |r: &mut Rd<'_>| -> Option<HistoryEntry> {
        if r.u8()? != RECORD_VERSION {
            return None;
        }
        let counter = r.u64()?;
        let owner = r.opt_str()?;
        let checkpoint = r.checkpoint()?;
        r.b.is_empty().then_some(HistoryEntry {
            index,
            counter,
            owner,
            checkpoint,
        })
    };
    parse(&mut r).ok_or_else(|| bad(key, "history entry does not decode"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_round_trip_and_keep_tuple_order() {
        let names = ["a", "a\0", "a\0b", "ab", "b", "\0", "\u{ff}"];
        let mut keys = Vec::new();
        for a in names {
            for s in names {
                let k = LeaseKey::new(a, s, "x");
                let enc = lease_key(&k).unwrap();
                assert_eq!(parse_lease_key(&enc).unwrap(), k);
                keys.push((k, enc));
            }
        }
        let mut by_tuple = keys.clone();
        by_tuple.sort_by(|x, y| {
            (x.0.application.as_bytes(), x.0.stream.as_bytes())
                .cmp(&(y.0.application.as_bytes(), y.0.stream.as_bytes()))
        });
        keys.sort_by(|x, y| x.1.cmp(&y.1));
        assert_eq!(keys, by_tuple);
        assert_eq!(
            u64_from_ordered(u64_ordered(0x0102_0304_0506_0708)),
            0x0102_0304_0506_0708
        );
        assert!(u64_ordered(255) < u64_ordered(256));
    }

    #[test]
    fn records_round_trip_and_garbage_is_an_error() {
        let l = Lease {
            key: LeaseKey::new("a", "s", "x"),
            owner: Some("w".into()),
            counter: 9,
            checkpoint: Checkpoint::sequence("123", 4),
            pending_checkpoint: Some(Checkpoint::AtTimestamp(5)),
            owner_switches_since_checkpoint: 2,
            parent_shard_ids: vec!["p1".into(), "p2".into()],
            child_shard_ids: vec!["c".into()],
            hash_key_range: HashKeyRange {
                start: 3,
                end: u128::MAX - 1,
            },
            last_renewal_ms: 77,
            checkpoints_recorded: 3,
        };
        let enc = encode_lease(&l).unwrap();
        assert_eq!(decode_lease(&l.key, &enc).unwrap(), l);
        for cut in 0..enc.len() {
            assert!(decode_lease(&l.key, &enc[..cut]).is_err());
        }
        assert!(check_checkpoint(&Checkpoint::sequence("012", 0)).is_err());
        assert!(check_checkpoint(&Checkpoint::sequence("12a", 0)).is_err());
        assert!(check_checkpoint(&Checkpoint::sequence("0", 0)).is_ok());
    }
}
