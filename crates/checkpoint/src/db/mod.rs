//! The database: one copy-on-write B-tree file with two commit slots and a redo log.
//!
//! A commit whose changes fit in the rest of the log region appends one record there and syncs once
//! (`log.rs`): one small write to pages that are already allocated, the cheapest durable write the
//! disk has. Its changes stay in memory as dirty nodes on top of the last tree commit; readers see
//! them through the [`View`]. The first commit after open, and any commit that does not fit, is a
//! *tree commit*: it writes the whole in-memory tree back and starts a new log epoch.
//!
//! Tree commit protocol (one `fdatasync`; `docs/format.md`, "Checkpoint file", has the crash-case
//! table):
//! 1. encode every changed tree page and the new free-list chain into pages that the current commit
//!    does not reference (free pages whose freeing commit is not newer than the current commit and
//!    the oldest live reader, or new pages past the page count);
//! 2. if the file is too short, grow it first: copy the committed pages into `<name>.grow`, fsync,
//!    rename over `<name>`, fsync the directory (rare: the file doubles);
//! 3. write the new pages and the commit record into the slot that does *not* hold the current
//!    commit, then one `fdatasync`. The commit is durable; readers started after this see it.
//!
//! The pages and the slot may reach the disk in any order, so a valid slot alone does not prove a
//! commit. Every reference records the checksum and the writing transaction of its target (a Merkle
//! tree rooted in the slot), so open re-reads exactly the pages the newest commit wrote — the
//! references carrying its transaction id, from the root and the free-list head down — and if one
//! fails, the commit was torn and open falls back to the other slot. That commit is intact: a page
//! freed by commit `f` is reused only by commits after `f`, whose fallback (`f` or later) does not
//! reference it.
//!
//! Any I/O error from step 2 on poisons the database ([`Error::Poisoned`]): the page cache state is
//! unknown after a failed write or sync, so nothing is retried; reopening recovers the last commit.

use crate::error::{Error, Result};
use crate::format::{
    self, Commit, PageRef, SlotState, FREE_PER_PAGE, MAX_KEY_LEN, MAX_LOG_PAGES, MAX_PAGES,
    MAX_VALUE_LEN, PAGE_SIZE, SECTOR,
};
use crate::log::{self, LogOp, RecordBuf};
use crate::node::{Child, Node};
use crate::pager::{Pager, Src};
use crate::tree::{self, RangeIter, TreeEdit};
use shardlog_storage::crashpoint::{self, CrashPoint};
use shardlog_storage::MutexExt as _;
use shardlog_storage::{not_found_is_none, remove_if_exists, Lock, Storage, StorageFile};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::ops::{Bound, RangeBounds};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Pages copied per read/write while growing or backing up (256 KiB).
const COPY_PAGES: u64 = 64;
/// Contiguous new pages written with one call at most (1 MiB).
const WRITE_RUN_PAGES: usize = 256;

mod check;
mod options;
mod read;
mod recover;
mod write;

pub use check::{check_file, FileCheck, SlotSummary};
pub use options::{DbInfo, Options, VerifyReport};
pub use read::{Range, ReadTxn};
use recover::{create_fresh, recover, replay_log, rewrite_all, Recovered};
pub use write::WriteTxn;
use write::{flush, write_pages, Alloc, Encoded};

/// A crash-safe, copy-on-write B-tree in one file, with snapshot reads and one writer at a time.
///
/// Keys are 1..=[`MAX_KEY_LEN`] bytes, values up to [`MAX_VALUE_LEN`] bytes, both ordered as byte
/// strings. Readers never block the writer and see the commit that was current when they started.
///
/// ```
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
///
/// let disk = SimDisk::new(7);
/// let db = Db::open(Arc::new(disk.clone()), "checkpoints.db")?;
/// let mut tx = db.write()?;
/// tx.insert(b"shard-1", b"seq 42")?;
/// tx.insert(b"shard-2", b"seq 17")?;
/// tx.commit()?;
///
/// let snap = db.read()?;
/// assert_eq!(snap.get(b"shard-1")?, Some(b"seq 42".to_vec()));
/// let keys: Vec<Vec<u8>> = snap.iter().map(|r| r.map(|(k, _)| k)).collect::<Result<_, _>>()?;
/// assert_eq!(keys, vec![b"shard-1".to_vec(), b"shard-2".to_vec()]);
///
/// // A power cut at any moment keeps the last commit.
/// drop((snap, db));
/// let db = Db::open(Arc::new(disk.crash(1)), "checkpoints.db")?;
/// assert_eq!(db.read()?.get(b"shard-2")?, Some(b"seq 17".to_vec()));
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
#[derive(Debug)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    storage: Arc<dyn Storage>,
    name: String,
    pager: Pager,
    shared: Mutex<Shared>,
    writer: Mutex<Writer>,
    poisoned: AtomicBool,
    slot_fallback: Option<String>,
    /// Opened by [`Db::open_read_only`] or [`check_file`]: writes are refused.
    read_only: bool,
    _lock: Option<Lock>,
}

/// What readers need: the current tree commit, the newest state on top of it, the file holding
/// both, and the live snapshots.
#[derive(Debug)]
struct Shared {
    commit: Commit,
    view: View,
    file: Arc<dyn StorageFile>,
    /// Live read snapshots by commit id.
    readers: BTreeMap<u64, usize>,
}

/// The newest committed state: the tree commit with the log records since applied in memory.
#[derive(Debug, Clone)]
struct View {
    /// Id of the newest commit.
    txn: u64,
    root: Option<Child>,
    height: u32,
    entries: u64,
    /// Bytes of the log the commits since the tree commit take.
    log_bytes: u64,
}

impl View {
    fn of(txn: u64, edit: &TreeEdit, log_bytes: u64) -> View {
        View {
            txn,
            root: edit.root.clone(),
            height: edit.height,
            entries: edit.entries,
            log_bytes,
        }
    }
}

/// The writer's state, guarded by the writer lock.
#[derive(Debug)]
struct Writer {
    /// The newest state as an edit of the tree commit: `freed` lists the committed pages the log
    /// records replaced (freed by the next tree commit).
    edit: TreeEdit,
    /// Id of the newest commit.
    txn: u64,
    /// Bytes of the log region the current epoch uses.
    log_end: u64,
    /// The next commit must be a tree commit. Set on open: a process appends only to a log epoch it
    /// started, so bytes a crashed process left past the end can never be read as records.
    rotate: bool,
    /// Pages of the log region a tree commit allocates when the file has none.
    log_pages: u64,
    file: Arc<dyn StorageFile>,
    file_pages: u64,
    /// Slot (0 or 1) holding the current commit; the next commit goes to the other.
    slot: usize,
    /// Free pages no reader can see.
    reusable: BTreeSet<u64>,
    /// Pages freed by recent commits, with the id of the freeing commit, oldest first.
    pending: VecDeque<(u64, Vec<u64>)>,
    /// Free-list pages of the current commit (freed by the next one).
    chain: Vec<u64>,
}

impl Inner {
    fn shared(&self) -> MutexGuard<'_, Shared> {
        // `Shared` is replaced field by field under the lock and never left half-written.
        self.shared.locked()
    }

    fn check_poison(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::Poisoned);
        }
        Ok(())
    }

    fn path(&self) -> PathBuf {
        self.pager.path().clone()
    }
}

fn grow_name(name: &str) -> String {
    format!("{name}.grow")
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.contains('\0') || name == "." || name == ".." {
        return Err(Error::InvalidArgument(format!(
            "bad database file name {name:?}"
        )));
    }
    Ok(())
}

/// Takes the lock `<name>.lock` beside the file: one writer per file, across processes.
fn lock_for(storage: &dyn Storage, name: &str) -> Result<Option<Lock>> {
    match storage.lock(&format!("{name}.lock")) {
        Ok(lock) => Ok(Some(lock)),
        Err(shardlog_storage::Error::Locked { path }) => Err(Error::Locked { path }),
        Err(e) => Err(e.into()),
    }
}

/// Copies pages `from..to` of `src` to the same place in `dst`.
fn copy_pages(src: &dyn StorageFile, dst: &dyn StorageFile, from: u64, to: u64) -> Result<()> {
    let mut page = from;
    while page < to {
        let n = COPY_PAGES.min(to - page);
        let mut buf = vec![0u8; n as usize * PAGE_SIZE];
        src.read_at(format::page_offset(page), &mut buf)?;
        dst.write_at(format::page_offset(page), &buf)?;
        page += n;
    }
    Ok(())
}

impl Db {
    /// Opens (or creates) the database file `name` in `storage` with default [`Options`].
    ///
    /// Recovery: the valid commit slot with the higher transaction id wins if the pages that commit
    /// wrote check out, else the other slot's commit (see [`DbInfo::slot_fallback`]); a leftover
    /// `<name>.grow` from an interrupted growth or backup is removed.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::FsStorage;
    /// use std::sync::Arc;
    /// let dir = tempfile::tempdir().unwrap();
    /// let db = Db::open(Arc::new(FsStorage::open(dir.path())?), "checkpoints.db")?;
    /// // A second writer is refused while the first holds the lock.
    /// let again = Db::open(Arc::new(FsStorage::open(dir.path())?), "checkpoints.db");
    /// assert!(matches!(again, Err(shardlog_checkpoint::Error::Locked { .. })));
    /// # drop(db);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn open(storage: Arc<dyn Storage>, name: &str) -> Result<Db> {
        Db::open_with(storage, name, Options::default())
    }

    /// Opens (or creates) `name` with `options`.
    ///
    /// ```
    /// use shardlog_checkpoint::{Db, Options};
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let opts = Options { initial_pages: 4, verify_on_open: true, ..Options::default() };
    /// let db = Db::open_with(Arc::new(SimDisk::new(1)), "c.db", opts)?;
    /// assert_eq!(db.info().file_pages, 4);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn open_with(storage: Arc<dyn Storage>, name: &str, options: Options) -> Result<Db> {
        options.validate()?;
        check_name(name)?;
        let lock = if options.lock_file {
            lock_for(&*storage, name)?
        } else {
            None
        };
        remove_if_exists(&*storage, &grow_name(name))?;
        let file = match not_found_is_none(storage.open(name))? {
            Some(file) => file,
            None => create_fresh(&*storage, name, options.initial_pages)?,
        };
        // A process killed before its sync may have left a commit or log record in the page cache
        // only. Make it durable before trusting it: the first tree commit overwrites the other slot,
        // and a power cut then must not find the one this open chose gone. The file is written
        // again first: after a failed sync Linux keeps the bytes in the cache but marks them clean,
        // so a plain sync would not write them (a checkpoint file is small; this costs one pass).
        rewrite_all(&*file)?;
        file.sync()?;
        // The same for its name: a failed directory sync may have left the rename that created
        // the file in the cache only.
        storage.sync_dir()?;
        let pager = Pager::new(storage.path(name), options.cache_pages);
        let Recovered {
            commit,
            slot,
            slot_fallback,
            chain,
            reusable,
        } = recover(&pager, &*file)?;
        // After a fallback the dropped commit's epoch may have overwritten the start of this one's
        // log: its surviving records are not damage, and are not replayed.
        let strict = slot_fallback.is_none();
        let (edit, txn, log_end) = replay_log(&pager, &*file, &commit, strict)?;
        let file_pages = file.len() / PAGE_SIZE as u64;
        let inner = Inner {
            storage,
            name: name.to_string(),
            pager,
            shared: Mutex::new(Shared {
                commit,
                view: View::of(txn, &edit, log_end),
                file: file.clone(),
                readers: BTreeMap::new(),
            }),
            writer: Mutex::new(Writer {
                edit,
                txn,
                log_end,
                rotate: true,
                log_pages: options.log_pages,
                file,
                file_pages,
                slot,
                reusable,
                pending: VecDeque::new(),
                chain,
            }),
            poisoned: AtomicBool::new(false),
            slot_fallback,
            read_only: false,
            _lock: lock,
        };
        let db = Db {
            inner: Arc::new(inner),
        };
        if options.verify_on_open {
            db.verify()?;
        }
        Ok(db)
    }

    /// A read snapshot of the current commit. It never blocks the writer; pages it can see are not
    /// reused until it is dropped.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// let before = db.read()?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"k", b"v")?;
    /// tx.commit()?;
    /// assert_eq!(before.get(b"k")?, None); // the snapshot does not move
    /// assert_eq!(db.read()?.get(b"k")?, Some(b"v".to_vec()));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn read(&self) -> Result<ReadTxn> {
        self.inner.check_poison()?;
        let mut s = self.inner.shared();
        let commit = s.commit;
        let view = s.view.clone();
        let file = s.file.clone();
        *s.readers.entry(commit.txn).or_default() += 1;
        drop(s);
        Ok(ReadTxn {
            inner: self.inner.clone(),
            file,
            commit,
            view,
        })
    }

    /// Starts the write transaction, waiting while another one is open (so calling it again on a
    /// thread that still holds a [`WriteTxn`] deadlocks). Dropping it without [`WriteTxn::commit`]
    /// discards its changes.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"k", b"v")?;
    /// drop(tx); // rolled back
    /// assert!(db.read()?.is_empty());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn write(&self) -> Result<WriteTxn<'_>> {
        if self.inner.read_only {
            return Err(Error::InvalidArgument(
                "the database was opened read-only".into(),
            ));
        }
        self.inner.check_poison()?;
        let w = self.inner.writer.locked();
        self.inner.check_poison()?;
        let base = self.inner.shared().commit;
        let edit = TreeEdit {
            root: w.edit.root.clone(),
            height: w.edit.height,
            entries: w.edit.entries,
            freed: Vec::new(),
        };
        Ok(WriteTxn {
            db: self,
            w,
            base,
            edit,
            record: RecordBuf::new(),
        })
    }

    /// The state of the current commit.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert_eq!(db.info().txn, 1);
    /// assert!(db.info().slot_fallback.is_none());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn info(&self) -> DbInfo {
        let (commit, view, file_pages) = {
            let s = self.inner.shared();
            (s.commit, s.view.clone(), s.file.len() / PAGE_SIZE as u64)
        };
        DbInfo {
            txn: view.txn,
            tree_txn: commit.txn,
            log_bytes: view.log_bytes,
            log_capacity_bytes: commit.log_pages * PAGE_SIZE as u64,
            entries: view.entries,
            height: view.height,
            page_count: commit.page_count,
            file_pages,
            free_pages: commit.free_count,
            slot_fallback: self.inner.slot_fallback.clone(),
        }
    }

    /// Checks every page of the current commit: checksums, tree shape and key order, and that every
    /// page below the page count is exactly one of tree page, free-list page or free page.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// for i in 0..500u32 {
    ///     tx.insert(&i.to_le_bytes(), &[7u8; 100])?;
    /// }
    /// tx.commit()?;
    /// assert_eq!(db.verify()?.entries, 500);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn verify(&self) -> Result<VerifyReport> {
        self.read()?.verify()
    }

    /// Writes a consistent copy of the newest commit to `name` in `dest`, while the database stays
    /// in use (readers and the writer go on). The copy is a compact file holding the snapshot's
    /// entries as one tree commit, written to `<name>.grow`, synced, and renamed into place, so
    /// `dest` holds either its old `name` or the complete copy.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"k", b"v")?;
    /// tx.commit()?;
    /// let backup = SimDisk::new(2);
    /// db.backup_to(&backup, "copy.db")?;
    /// let copy = Db::open(Arc::new(backup), "copy.db")?;
    /// assert_eq!(copy.read()?.get(b"k")?, Some(b"v".to_vec()));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn backup_to(&self, dest: &dyn Storage, name: &str) -> Result<()> {
        check_name(name)?;
        if dest.path(name) == self.inner.path() {
            return Err(Error::InvalidArgument(
                "backup target is the database file itself".into(),
            ));
        }
        let _lock = lock_for(dest, name)?;
        let snap = self.read()?;
        // The snapshot's entries, in key order, into a tree of dirty nodes; then one tree commit of
        // a new file. (The log region is not copied: a writer may be reusing it for a newer epoch.)
        let mut edit = TreeEdit::default();
        for entry in snap.iter() {
            let (k, v) = entry?;
            tree::insert(snap.src(), &mut edit, &k, &v)?;
        }
        let txn = snap.view.txn;
        let mut reusable = BTreeSet::new();
        let mut alloc = Alloc {
            reusable: &mut reusable,
            run: VecDeque::new(),
            page_count: 1,
        };
        let mut out = Encoded::default();
        let root = match edit.root.take() {
            Some(c) => Some(flush(c, &mut alloc, txn, &mut out)?),
            None => None,
        };
        let commit = Commit {
            txn,
            root,
            height: edit.height,
            page_count: alloc.page_count,
            entries: edit.entries,
            ..Commit::empty()
        };
        let tmp = grow_name(name);
        remove_if_exists(dest, &tmp)?;
        let file = dest.create(&tmp, commit.page_count * PAGE_SIZE as u64)?;
        write_pages(&*file, out.pages)?;
        file.write_at(0, &format::encode_slot(&commit, 0))?;
        file.sync()?;
        drop(file);
        dest.rename(&tmp, name)?;
        dest.sync_dir()?;
        Ok(())
    }

    /// The path of the database file (as the storage names it).
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert!(db.path().ends_with("c.db"));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn path(&self) -> PathBuf {
        self.inner.path()
    }
}

#[cfg(test)]
mod crafted {
    //! Files with valid checksums but hostile structure: nothing panics or loops, reads fail with
    //! `Error::Corrupt`, and `verify` names the problem.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::node::{Branch, Leaf};
    use shardlog_storage::SimDisk;

    fn leaf(keys: &[&[u8]]) -> Node {
        Node::Leaf(Leaf::from_entries(
            keys.iter()
                .map(|k| ((*k).into(), b"v"[..].into()))
                .collect(),
        ))
    }

    /// Writes `nodes` (page number, node built from already written children) and a slot.
    fn file(pages: &[(u64, Node)], root: u64, height: u32, entries: u64) -> SimDisk {
        let count = pages.iter().map(|(p, _)| *p).max().unwrap_or(0) + 1;
        let mut img = vec![0u8; count as usize * PAGE_SIZE];
        let mut crcs = std::collections::HashMap::new();
        for (p, node) in pages {
            let (buf, crc) = crate::page::encode_node(node, *p, 1).unwrap();
            img[*p as usize * PAGE_SIZE..][..PAGE_SIZE].copy_from_slice(&buf);
            crcs.insert(*p, crc);
        }
        let commit = Commit {
            txn: 2,
            root: Some(PageRef {
                page: root,
                crc: crcs[&root],
                txn: 1,
            }),
            height,
            page_count: count,
            free_head: None,
            free_count: 0,
            entries,
            log_start: 0,
            log_pages: 0,
            log_salt: 0,
        };
        img[..SECTOR].copy_from_slice(&format::encode_slot(&commit, 0));
        let disk = SimDisk::new(1);
        disk.put_file("c.db", &img);
        disk
    }

    fn branch(keys: &[&[u8]], children: &[(u64, &Node)]) -> Node {
        let kids = children
            .iter()
            .map(|(p, n)| {
                Child::Page(PageRef {
                    page: *p,
                    crc: crate::page::encode_node(n, *p, 1).unwrap().1,
                    txn: 1,
                })
            })
            .collect();
        Node::Branch(Branch::new(
            keys.iter().map(|k| (*k).into()).collect(),
            kids,
        ))
    }

    fn check_all_fail(disk: &SimDisk, what: &str) {
        let db = Db::open(Arc::new(disk.clone()), "c.db").unwrap();
        let e = db.verify().unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{what}: {e}");
        let snap = db.read().unwrap();
        let _ = snap.get(b"a");
        let _ = snap.get(b"zzz");
        let _: Vec<_> = snap.iter().collect();
        let mut tx = db.write().unwrap();
        let _ = tx.insert(b"q", b"1");
        let _ = tx.remove(b"a");
        let _: Vec<_> = tx.range::<&[u8]>(..).collect();
    }

    #[test]
    fn wrong_height_is_corruption() {
        let l = leaf(&[b"a", b"b"]);
        let disk = file(&[(1, l.clone())], 1, 2, 2);
        check_all_fail(&disk, "leaf above the bottom");
        let db = Db::open(Arc::new(disk), "c.db").unwrap();
        assert!(matches!(
            db.read().unwrap().get(b"a"),
            Err(Error::Corrupt { offset: 4096, .. })
        ));
        let b = branch(&[b"m"], &[(1, &l), (2, &l)]);
        let disk = file(&[(1, l.clone()), (2, l.clone()), (3, b)], 3, 1, 4);
        check_all_fail(&disk, "branch at the bottom");
    }

    #[test]
    fn shared_children_and_misplaced_keys_are_found_by_verify() {
        let l = leaf(&[b"a", b"b"]);
        let b = branch(&[b"m"], &[(1, &l), (1, &l)]);
        let disk = file(&[(1, l.clone()), (2, b)], 2, 2, 4);
        check_all_fail(&disk, "page referenced twice");
        let low = leaf(&[b"a"]);
        let high = leaf(&[b"c"]); // belongs left of "m", not right
        let b = branch(&[b"m"], &[(1, &low), (2, &high)]);
        let disk = file(&[(1, low), (2, high), (3, b)], 3, 2, 2);
        check_all_fail(&disk, "key outside its parent's range");
    }

    #[test]
    fn scans_over_shared_pages_fail_instead_of_repeating() {
        // Two children naming the same leaf: the scan reports it instead of yielding "a" twice.
        let l = leaf(&[b"a", b"b"]);
        let b = branch(&[b"m"], &[(1, &l), (1, &l)]);
        let db = Db::open(Arc::new(file(&[(1, l.clone()), (2, b)], 2, 2, 4)), "c.db").unwrap();
        let got: Vec<_> = db.read().unwrap().iter().collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(got[2], Err(Error::Corrupt { offset: 4096, .. })));
        // A chain of branches whose 150 children all name the next page above an empty leaf: a
        // naive scan visits the leaf 150^4 times; this one stops after the file's page count.
        let keys: Vec<Vec<u8>> = (1..150u8).map(|k| vec![k]).collect();
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let mut pages = vec![(5, leaf(&[]))];
        for p in (1..5).rev() {
            let child = pages.last().unwrap().1.clone();
            let kids = vec![(p + 1, &child); 150];
            pages.push((p, branch(&keys, &kids)));
        }
        let db = Db::open(Arc::new(file(&pages, 1, 5, 0)), "c.db").unwrap();
        let got: Vec<_> = db.read().unwrap().iter().collect();
        assert!(matches!(got[..], [Err(Error::Corrupt { .. })]), "{got:?}");
        // Two inserts through different children copy (and free) the shared page twice: the commit
        // reports the damage (not an internal error) and the database stays usable.
        let mut tx = db.write().unwrap();
        tx.insert(&[0], b"x").unwrap();
        tx.insert(&[250], b"y").unwrap();
        let e = tx.commit().unwrap_err();
        assert!(matches!(e, Error::Corrupt { offset: 8192, .. }), "{e}");
        assert!(db.read().is_ok());
    }

    #[test]
    fn a_write_over_a_tree_page_listed_free_reports_corruption() {
        // Page 1 is the root leaf and also listed by the free-list page 2.
        let l = leaf(&[b"a"]);
        let disk = file(&[(1, l)], 1, 1, 1);
        let mut img = disk.file_bytes("c.db").unwrap();
        img.resize(3 * PAGE_SIZE, 0);
        // The free list belongs to the commit (transaction 2) that names it.
        let (free, free_crc) = format::encode_free(&[1], None, 2, 2).unwrap();
        img[2 * PAGE_SIZE..].copy_from_slice(&free);
        let SlotState::Valid(mut commit) = format::decode_slot(&img[..SECTOR], 0) else {
            panic!("slot 0 of the crafted file")
        };
        commit.page_count = 3;
        commit.free_head = Some(PageRef {
            page: 2,
            crc: free_crc,
            txn: 2,
        });
        commit.free_count = 1;
        img[..SECTOR].copy_from_slice(&format::encode_slot(&commit, 0));
        disk.put_file("c.db", &img);
        let db = Db::open(Arc::new(disk), "c.db").unwrap();
        assert!(matches!(db.verify(), Err(Error::Corrupt { .. })));
        let mut tx = db.write().unwrap();
        tx.insert(b"b", b"1").unwrap();
        let e = tx.commit().unwrap_err();
        assert!(matches!(e, Error::Corrupt { offset: 4096, .. }), "{e}");
        assert_eq!(db.read().unwrap().get(b"a").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn entry_count_mismatch_is_found_by_verify() {
        let l = leaf(&[b"a", b"b"]);
        let disk = file(&[(1, l)], 1, 1, 5);
        check_all_fail(&disk, "entry count");
    }
}
