//! The table's verbs: conditional, counter-fenced changes of lease records in one commit each, or
//! many in one batch.

use super::op::{LeaseChange, LeaseOp};
use super::record::*;
use super::types::*;
use crate::error::{Error, Result};
use crate::state::keys::{prefix_end, u64_from_ordered, u64_ordered};
use crate::state::Namespace;
use shardlog_checkpoint::{Db, WriteTxn};
use std::fmt;
use std::sync::Arc;

/// The lease table.
///
/// ```
/// use shardlog::consumer::{LeaseKey, LeaseTable, NewLease};
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
/// # Ok::<(), shardlog::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LeaseTable {
    ns: Namespace,
    options: LeaseOptions,
}

/// Changes collected to be applied in one commit.
///
/// ```
/// # use shardlog::consumer::*;
/// # use shardlog_checkpoint::Db;
/// # use shardlog_storage::SimDisk;
/// # use std::sync::Arc;
/// # let table = LeaseTable::new(Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
/// let keys: Vec<LeaseKey> = (0..3).map(|i| LeaseKey::new("a", "s", &format!("shard-{i}"))).collect();
/// let mut batch = table.batch();
/// for k in &keys {
///     let l = table.create_if_absent(k, NewLease::default())?;
///     batch.push(k, l.counter, LeaseOp::take("w1", 1_000));
/// }
/// let results = batch.commit()?; // one commit for all three
/// assert!(results.iter().all(|r| r.is_ok()));
/// # Ok::<(), shardlog::Error>(())
/// ```
pub struct LeaseBatch<'t> {
    table: &'t LeaseTable,
    edits: Vec<(LeaseKey, u64, Edit<'t>)>,
}

impl fmt::Debug for LeaseBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseBatch")
            .field("edits", &self.edits.len())
            .finish_non_exhaustive()
    }
}

type UpdateFn<'a> = Box<dyn FnOnce(&mut Lease) + 'a>;

/// What the table applies: a verb of the vocabulary, or (local callers only, a closure does not
/// cross processes) a free edit.
enum Edit<'a> {
    Op(LeaseOp),
    Update(UpdateFn<'a>),
}

impl<'t> LeaseBatch<'t> {
    /// Adds a change.
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// let key = LeaseKey::new("a", "s", "x");
    /// table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().push(&key, 0, LeaseOp::renew(5)).push(&key, 1, LeaseOp::renew(6)).commit()?;
    /// assert_eq!(r[1].as_ref().unwrap().counter, 2);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn push(&mut self, key: &LeaseKey, expected: u64, op: LeaseOp) -> &mut Self {
        self.edits.push((key.clone(), expected, Edit::Op(op)));
        self
    }

    /// Adds a [`LeaseTable::update`].
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().update(&key, 0, |l| l.child_shard_ids = vec!["y".into()]).commit()?;
    /// assert_eq!(r[0].as_ref().unwrap().child_shard_ids, vec!["y".to_string()]);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn update(
        &mut self,
        key: &LeaseKey,
        expected: u64,
        f: impl FnOnce(&mut Lease) + 't,
    ) -> &mut Self {
        self.edits
            .push((key.clone(), expected, Edit::Update(Box::new(f))));
        self
    }

    /// Applies every change in order inside one write transaction and commits once. The outer
    /// `Err` is a storage failure (nothing was committed); otherwise each change has its own result:
    /// the lease after the change, or why its condition failed (that change alone is skipped).
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # use shardlog::Error;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// # table.create_if_absent(&key, NewLease::default())?;
    /// let r = table.batch().push(&key, 7, LeaseOp::renew(1)).push(&key, 0, LeaseOp::renew(1)).commit()?;
    /// assert!(matches!(r[0], Err(Error::LeaseConflict { expected: 7, found: 0 })));
    /// assert!(r[1].is_ok());
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn commit(&mut self) -> Result<Vec<Result<Lease>>> {
        let edits = std::mem::take(&mut self.edits);
        let mut tx = self.table.ns.db().write()?;
        let mut results = Vec::with_capacity(edits.len());
        for (key, expected, edit) in edits {
            results.push(self.table.apply(&mut tx, &key, expected, edit)?);
        }
        assert_eq!(results.len(), results.capacity(), "one result per change");
        tx.commit()?;
        Ok(results)
    }
}

impl LeaseTable {
    /// A lease table stored in `db` (other keys of `db` stay untouched). Writes the schema version
    /// on first use and refuses a table written by an unknown version.
    ///
    /// ```
    /// use shardlog::consumer::{LeaseOptions, LeaseTable};
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?);
    /// let opts = LeaseOptions { history_len: 3, ..LeaseOptions::default() };
    /// let table = LeaseTable::new(db, opts)?;
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn new(db: Arc<Db>, options: LeaseOptions) -> Result<LeaseTable> {
        let ns = Namespace::open(db, KIND, SCHEMA_VERSION)?;
        Ok(LeaseTable { ns, options })
    }

    /// The options in force.
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// assert_eq!(table.options().history_len, 10);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn options(&self) -> &LeaseOptions {
        &self.options
    }

    /// An empty batch of changes, applied in one commit by [`LeaseBatch::commit`].
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// assert!(table.batch().commit()?.is_empty());
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn batch(&self) -> LeaseBatch<'_> {
        LeaseBatch {
            table: self,
            edits: Vec::new(),
        }
    }

    fn one(&self, key: &LeaseKey, expected: u64, edit: Edit<'_>) -> Result<Lease> {
        let mut tx = self.ns.db().write()?;
        let result = self.apply(&mut tx, key, expected, edit)?;
        tx.commit()?;
        result
    }

    /// Creates the lease unless it exists; returns the stored lease either way (check
    /// `counter`/`owner` to tell). A new lease has no owner and counter 0.
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// let key = LeaseKey::new("a", "s", "x");
    /// let first = table.create_if_absent(&key, NewLease::default())?;
    /// let taken = table.change(&key, first.counter, LeaseOp::take("w", 1))?;
    /// assert_eq!(table.create_if_absent(&key, NewLease::default())?, taken);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn create_if_absent(&self, key: &LeaseKey, new: NewLease) -> Result<Lease> {
        let tree_key = lease_key(&self.ns, key)?;
        let mut tx = self.ns.db().write()?;
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
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// assert!(table.get(&LeaseKey::new("a", "s", "x"))?.is_none());
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn get(&self, key: &LeaseKey) -> Result<Option<Lease>> {
        let tree_key = lease_key(&self.ns, key)?;
        match self.ns.db().read()?.get(&tree_key)? {
            Some(bytes) => decode_lease(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The applications that have at least one lease, in byte order.
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// table.create_if_absent(&LeaseKey::new("billing", "s", "1"), NewLease::default())?;
    /// table.create_if_absent(&LeaseKey::new("audit", "s", "1"), NewLease::default())?;
    /// table.create_if_absent(&LeaseKey::new("audit", "t", "1"), NewLease::default())?;
    /// assert_eq!(table.applications()?, ["audit", "billing"]);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn applications(&self) -> Result<Vec<String>> {
        let start = self.ns.prefix(LEASE_TAG);
        let end = prefix_end(&start);
        let snap = self.ns.db().read()?;
        let mut out: Vec<String> = Vec::new();
        for item in snap.range(start.as_slice()..end.as_slice()) {
            let (k, _) = item?;
            let Some(key) = lease_record_key(&self.ns, &k)? else {
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
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// table.create_if_absent(&LeaseKey::new("a", "s", "2"), NewLease::default())?;
    /// table.create_if_absent(&LeaseKey::new("a", "s", "1"), NewLease::default())?;
    /// let ids: Vec<String> = table.list("a")?.into_iter().map(|l| l.key.shard_id).collect();
    /// assert_eq!(ids, ["1", "2"]);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn list(&self, application: &str) -> Result<Vec<Lease>> {
        check_name("application", application)?;
        let start = application_prefix(&self.ns, application);
        let end = prefix_end(&start);
        let snap = self.ns.db().read()?;
        let mut out = Vec::new();
        for item in snap.range(start.as_slice()..end.as_slice()) {
            let (k, v) = item?;
            let Some(key) = lease_record_key(&self.ns, &k)? else {
                continue;
            };
            out.push(decode_lease(&key, &v)?);
        }
        Ok(out)
    }

    /// Applies one change in its own commit: the lease after it, or why its condition failed
    /// ([`Error::LeaseConflict`], [`Error::LeaseNotFound`], [`Error::LeaseHeld`]).
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// # use shardlog::Error;
    /// let key = LeaseKey::new("a", "s", "x");
    /// let l = table.create_if_absent(&key, NewLease::default())?;
    /// let l = table.change(&key, l.counter, LeaseOp::take("w1", 1_000))?;
    /// // Held until 1,000 + 10,000 + 1,000 ms.
    /// let early = table.change(&key, l.counter, LeaseOp::take("w2", 11_999));
    /// assert!(matches!(early, Err(Error::LeaseHeld { until_ms: 12_000, .. })));
    /// let l = table.change(&key, l.counter, LeaseOp::take("w2", 12_000))?;
    /// assert_eq!(l.owner_switches_since_checkpoint, 2);
    /// assert!(table.change(&key, 0, LeaseOp::Evict).is_err()); // stale counter
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn change(&self, key: &LeaseKey, expected: u64, op: LeaseOp) -> Result<Lease> {
        self.one(key, expected, Edit::Op(op))
    }

    /// Applies several changes in one commit; one result per change, in order (see
    /// [`LeaseBatch::commit`]).
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), Default::default())?;
    /// let key = LeaseKey::new("a", "s", "x");
    /// table.create_if_absent(&key, NewLease::default())?;
    /// let changes = vec![
    ///     LeaseChange::new(key.clone(), 0, LeaseOp::renew(1)),
    ///     LeaseChange::new(key.clone(), 0, LeaseOp::renew(2)), // the first moved the counter
    /// ];
    /// let r = table.change_all(changes)?;
    /// assert!(r[0].is_ok() && r[1].is_err());
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn change_all(&self, changes: Vec<LeaseChange>) -> Result<Vec<Result<Lease>>> {
        let mut batch = self.batch();
        for c in changes {
            batch.push(&c.key, c.expected, c.op);
        }
        batch.commit()
    }

    /// Changes any fields with `f` (child shard ids, hash range, pending checkpoint, ...); the key and
    /// counter are kept from the stored lease and the counter is then bumped. A changed checkpoint
    /// goes into the history.
    ///
    /// ```
    /// # use shardlog::consumer::*;
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
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn update(
        &self,
        key: &LeaseKey,
        expected: u64,
        f: impl FnOnce(&mut Lease),
    ) -> Result<Lease> {
        self.one(key, expected, Edit::Update(Box::new(f)))
    }

    /// The recorded checkpoints of a lease, oldest first (at most `history_len`).
    ///
    /// ```
    /// # use shardlog::consumer::*;
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let table = LeaseTable::new(std::sync::Arc::new(Db::open(std::sync::Arc::new(SimDisk::new(1)), "l.db")?), LeaseOptions { history_len: 2, ..Default::default() })?;
    /// # let key = LeaseKey::new("a", "s", "x");
    /// let mut l = table.create_if_absent(&key, NewLease::default())?;
    /// for seq in ["1", "2", "3"] {
    ///     l = table.change(&key, l.counter, LeaseOp::checkpoint(Checkpoint::sequence(seq, 0)))?;
    /// }
    /// let h: Vec<u64> = table.history(&key)?.iter().map(|e| e.index).collect();
    /// assert_eq!(h, [1, 2]);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn history(&self, key: &LeaseKey) -> Result<Vec<HistoryEntry>> {
        let prefix = history_prefix(&self.ns, key)?;
        let end = prefix_end(&prefix);
        let snap = self.ns.db().read()?;
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
        edit: Edit<'_>,
    ) -> Result<Result<Lease>> {
        let tree_key = match lease_key(&self.ns, key) {
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
        let op = match edit {
            Edit::Op(op) => op,
            Edit::Update(f) => {
                let (counter, recorded) = (lease.counter, lease.checkpoints_recorded);
                f(&mut lease);
                lease.key = key.clone();
                lease.counter = counter;
                lease.checkpoints_recorded = recorded;
                let record_history = lease.checkpoint != before;
                return self.store(tx, &tree_key, lease, record_history);
            }
        };
        let mut record_history = false;
        let steal = matches!(op, LeaseOp::Steal { .. });
        match op {
            LeaseOp::Take { owner, now_ms } | LeaseOp::Steal { owner, now_ms } => {
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
            LeaseOp::Renew { now_ms } => lease.last_renewal_ms = now_ms,
            LeaseOp::Evict => lease.owner = None,
            LeaseOp::Checkpoint { checkpoint } => {
                lease.checkpoint = checkpoint;
                lease.pending_checkpoint = None;
                lease.owner_switches_since_checkpoint = 0;
                record_history = true;
            }
            LeaseOp::PrepareCheckpoint { checkpoint } => {
                lease.pending_checkpoint = Some(checkpoint)
            }
            LeaseOp::SetChildShards { child_shard_ids } => lease.child_shard_ids = child_shard_ids,
            LeaseOp::Delete => {
                tx.remove(&tree_key)?;
                let prefix = history_prefix(&self.ns, key)?;
                remove_range(tx, &prefix, &prefix_end(&prefix))?;
                return Ok(Ok(lease));
            }
        }
        self.store(tx, &tree_key, lease, record_history)
    }

    /// Writes a changed lease: counter + 1, and a history entry if its checkpoint was recorded.
    /// Outer error: storage failure; inner: the change's own result.
    fn store(
        &self,
        tx: &mut WriteTxn<'_>,
        tree_key: &[u8],
        mut lease: Lease,
        record_history: bool,
    ) -> Result<Result<Lease>> {
        let key = &lease.key;
        let (Some(counter), Some(recorded)) = (
            lease.counter.checked_add(1),
            lease
                .checkpoints_recorded
                .checked_add(u64::from(record_history)),
        ) else {
            return Ok(Err(Error::Validation(format!(
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
            let prefix = history_prefix(&self.ns, key)?;
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
                remove_range(tx, &prefix, &end)?;
            }
        }
        tx.insert(tree_key, &encoded)?;
        Ok(Ok(lease))
    }
}

/// Removes every key in `start..end`.
fn remove_range(tx: &mut WriteTxn<'_>, start: &[u8], end: &[u8]) -> Result<()> {
    let keys: Vec<Vec<u8>> = tx
        .range(start..end)
        .map(|r| r.map(|(k, _)| k))
        .collect::<Result<_, shardlog_checkpoint::Error>>()?;
    for k in keys {
        tx.remove(&k)?;
    }
    Ok(())
}
