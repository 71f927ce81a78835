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
use shardlog_storage::{Lock, Storage, StorageFile};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::ops::{Bound, RangeBounds};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Pages copied per read/write while growing or backing up (256 KiB).
const COPY_PAGES: u64 = 64;
/// Contiguous new pages written with one call at most (1 MiB).
const WRITE_RUN_PAGES: usize = 256;

/// Options of a [`Db`].
///
/// ```
/// use shardlog_checkpoint::Options;
/// let opts = Options { initial_pages: 16, ..Options::default() };
/// assert!(opts.validate().is_ok());
/// assert!(Options { initial_pages: 1, ..Options::default() }.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Pages (4 KiB each) a new file is created with. The file doubles when it runs out.
    /// Default: 64 (256 KiB). At least 2.
    pub initial_pages: u64,
    /// Pages of the redo-log region a tree commit allocates when the file has none. A commit whose
    /// changes fit in the rest of the region costs one small write and one `fdatasync`; when the
    /// region is full, the next commit writes the tree back. 0 turns the log off (every commit is a
    /// tree commit). A file keeps the region it has. Default: 256 (1 MiB).
    pub log_pages: u64,
    /// Decoded pages kept in memory. Default: 4096 (about 16 MiB at most).
    pub cache_pages: usize,
    /// Check every page of the current commit (checksums, order, free-space accounting) on open.
    /// Default: false ([`Db::verify`] does the same on demand).
    pub verify_on_open: bool,
    /// Hold an exclusive `flock` on `<dir>/<name>.lock` while the database is open, when the storage
    /// names real paths (the parent of [`Storage::path`] is an existing directory). Default: true.
    pub lock_file: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            initial_pages: 64,
            log_pages: 256,
            cache_pages: 4096,
            verify_on_open: false,
            lock_file: true,
        }
    }
}

impl Options {
    /// Rejects out-of-range values.
    ///
    /// ```
    /// assert!(shardlog_checkpoint::Options::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.initial_pages < 2 || self.initial_pages > MAX_PAGES {
            return Err(Error::InvalidOptions(format!(
                "initial_pages {} outside 2..={MAX_PAGES}",
                self.initial_pages
            )));
        }
        if self.log_pages > MAX_LOG_PAGES {
            return Err(Error::InvalidOptions(format!(
                "log_pages {} above {MAX_LOG_PAGES}",
                self.log_pages
            )));
        }
        Ok(())
    }
}

/// What [`Db::info`] reports.
///
/// ```
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
/// assert_eq!(db.info().entries, 0);
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DbInfo {
    /// Id of the newest commit (a tree commit or a log record).
    pub txn: u64,
    /// Id of the newest tree commit (the one the commit slot names).
    pub tree_txn: u64,
    /// Bytes of the redo log holding commits made since the newest tree commit.
    pub log_bytes: u64,
    /// Bytes of the redo-log region (0 when the file has none yet).
    pub log_capacity: u64,
    /// Keys stored.
    pub entries: u64,
    /// Tree height (0 when empty).
    pub height: u32,
    /// Pages in use or free (the high-water mark, page 0 included).
    pub page_count: u64,
    /// Pages the file has room for.
    pub file_pages: u64,
    /// Pages listed as free.
    pub free_pages: u64,
    /// Set when open found one commit slot invalid, or the newest commit incomplete (torn by a crash
    /// before its sync), and used the other slot: which and why.
    pub slot_fallback: Option<String>,
}

/// What [`Db::verify`] found in a consistent file.
///
/// ```
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
/// let report = db.verify()?;
/// let accounted = report.tree_pages + report.free_list_pages + report.free_pages + report.log_pages;
/// assert_eq!(accounted + 1, report.page_count);
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Newest commit of the snapshot checked.
    pub txn: u64,
    /// Keys found in the snapshot (the tree commit's, then the log records' changes applied).
    pub entries: u64,
    /// Tree pages.
    pub tree_pages: u64,
    /// Pages of the free-list chain.
    pub free_list_pages: u64,
    /// Pages listed free.
    pub free_pages: u64,
    /// Pages of the redo-log region.
    pub log_pages: u64,
    /// Page count of the commit.
    pub page_count: u64,
}

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

fn remove_if_exists(storage: &dyn Storage, name: &str) -> Result<()> {
    shardlog_storage::remove_if_exists(storage, name)?;
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
        let file = match storage.open(name) {
            Ok(file) => file,
            Err(e) => {
                let e = Error::from(e);
                if !e.is_not_found() {
                    return Err(e);
                }
                create_fresh(&*storage, name, options.initial_pages)?
            }
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
            log_capacity: commit.log_pages * PAGE_SIZE as u64,
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

/// Writes every byte of `file` again with what it holds (not synced), so that the next sync
/// writes whatever the page cache shows, including bytes a failed sync left marked clean.
fn rewrite_all(file: &dyn StorageFile) -> Result<()> {
    const CHUNK: u64 = 1 << 20;
    let len = file.len();
    let mut buf = vec![0u8; CHUNK.min(len) as usize];
    let mut offset = 0;
    while offset < len {
        let n = (len - offset).min(CHUNK) as usize;
        let chunk = &mut buf[..n];
        file.read_at(offset, chunk)?;
        file.write_at(offset, chunk)?;
        offset += n as u64;
    }
    Ok(())
}

/// Creates a new file through `<name>.grow`: empty commit in slot 0, sync, rename, sync directory.
fn create_fresh(storage: &dyn Storage, name: &str, pages: u64) -> Result<Arc<dyn StorageFile>> {
    let tmp = grow_name(name);
    let file = storage.create(&tmp, pages * PAGE_SIZE as u64)?;
    file.write_at(0, &format::encode_slot(&Commit::empty(), 0))?;
    file.sync()?;
    drop(file);
    storage.rename(&tmp, name)?;
    storage.sync_dir()?;
    Ok(storage.open(name)?)
}

/// The commit open settled on, with its free pages.
struct Recovered {
    commit: Commit,
    slot: usize,
    slot_fallback: Option<String>,
    /// Free-list pages of the commit.
    chain: Vec<u64>,
    /// Pages listed free.
    reusable: BTreeSet<u64>,
}

/// Picks the current commit: the valid slot with the higher transaction id whose own pages check
/// out, else the other valid slot (the newer commit was torn by a crash before its `fdatasync`).
fn recover(pager: &Pager, file: &dyn StorageFile) -> Result<Recovered> {
    let (slots, mut note) = read_slots(pager, file)?;
    let mut first_error = None;
    for (i, &(slot, commit)) in slots.iter().enumerate() {
        match load_commit(pager, file, &commit) {
            Ok((chain, reusable)) => {
                return Ok(Recovered {
                    commit,
                    slot,
                    slot_fallback: note,
                    chain,
                    reusable,
                })
            }
            // A torn newest commit falls back; the older one was durable before the newer was
            // written, so damage there is reported.
            Err(e @ Error::Corrupt { .. }) if i + 1 < slots.len() => {
                note = Some(format!(
                    "commit {} in slot {slot} (byte {}) is incomplete ({e}); using the previous \
                     commit",
                    commit.txn,
                    format::slot_offset(slot)
                ));
                first_error = Some(e);
            }
            Err(e) => return Err(first_error.unwrap_or(e)),
        }
    }
    Err(first_error.unwrap_or_else(|| Error::Internal("no commit slot to recover".into())))
}

/// Checks the pages commit `c` wrote itself and loads its free list: `(chain pages, free pages)`.
fn load_commit(
    pager: &Pager,
    file: &dyn StorageFile,
    c: &Commit,
) -> Result<(Vec<u64>, BTreeSet<u64>)> {
    check_own_pages(pager, file, c)?;
    let (chain, listed) = pager.load_free_list(file, c.free_head, c.page_count)?;
    let path = pager.path();
    let bad = |reason: String| {
        let offset = c.free_head.map_or(0, |r| format::page_offset(r.page));
        Error::corrupt(path, offset, reason)
    };
    if listed.len() as u64 != c.free_count {
        return Err(bad(format!(
            "free list holds {} pages, the commit record says {}",
            listed.len(),
            c.free_count
        )));
    }
    let reusable = format::check_free_set(&listed, c.page_count).map_err(bad)?;
    if let Some(p) = chain.iter().find(|p| reusable.contains(p)) {
        return Err(bad(format!("free-list page {p} also listed as free")));
    }
    let log = c.log_range();
    let in_log = reusable.range(log.clone()).next();
    if let Some(p) = in_log.or_else(|| chain.iter().find(|p| log.contains(p))) {
        return Err(bad(format!("page {p} of the log region is also free")));
    }
    Ok((chain, reusable))
}

/// Applies the log records of commit `c`'s epoch to its tree: the newest state as an edit, the id of
/// the newest commit, and the log bytes in use.
fn replay_log(
    pager: &Pager,
    file: &dyn StorageFile,
    c: &Commit,
    strict: bool,
) -> Result<(TreeEdit, u64, u64)> {
    let mut edit = TreeEdit::committed(c);
    if c.log_pages == 0 {
        return Ok((edit, c.txn, 0));
    }
    let start = format::page_offset(c.log_start);
    let mut region = vec![0u8; c.log_pages as usize * PAGE_SIZE];
    file.read_at(start, &mut region)?;
    let replay = log::read(&region, epoch_of(c), strict)
        .map_err(|(at, reason)| Error::corrupt(pager.path(), start + at as u64, reason))?;
    let src = Src {
        pager,
        file,
        page_count: c.page_count,
    };
    let mut txn = c.txn;
    for record in replay.records {
        for op in record.ops {
            match op {
                LogOp::Insert(k, v) => tree::insert(src, &mut edit, &k, &v).map(drop)?,
                LogOp::Remove(k) => tree::remove(src, &mut edit, &k).map(drop)?,
            }
        }
        txn = record.txn;
    }
    Ok((edit, txn, replay.end as u64))
}

/// The log epoch tree commit `c` starts.
fn epoch_of(c: &Commit) -> log::Epoch {
    log::Epoch {
        txn: c.txn,
        salt: c.log_salt,
    }
}

/// Reads every tree page that commit `c` wrote (the references carrying its transaction id, from
/// the root down) and checks it against its reference. Pages of older commits are not read: they
/// were durable before `c` was written, and no commit since has overwritten them.
fn check_own_pages(pager: &Pager, file: &dyn StorageFile, c: &Commit) -> Result<()> {
    let mut stack: Vec<(PageRef, u32)> = c
        .root
        .filter(|r| r.txn == c.txn)
        .map(|r| (r, 1))
        .into_iter()
        .collect();
    while let Some((r, depth)) = stack.pop() {
        let node = pager.load(file, r, c.page_count)?;
        match (&*node, depth < c.height) {
            (Node::Branch(b), true) => {
                for child in &b.children {
                    if let Child::Page(cr) = child {
                        if cr.txn == c.txn {
                            stack.push((*cr, depth + 1));
                        }
                    }
                }
            }
            (Node::Leaf(_), false) => {}
            _ => {
                return Err(Error::corrupt(
                    pager.path(),
                    format::page_offset(r.page),
                    format!(
                        "node at depth {depth} of a tree of height {} has the wrong kind",
                        c.height
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// Valid commit slots as (slot index, commit), newest first.
type ValidSlots = Vec<(usize, Commit)>;

/// Reads both commit slots: the valid ones, newest first, and a note if one is damaged.
fn read_slots(pager: &Pager, file: &dyn StorageFile) -> Result<(ValidSlots, Option<String>)> {
    let path = pager.path();
    let len = file.len();
    if len < PAGE_SIZE as u64 || len % PAGE_SIZE as u64 != 0 {
        return Err(Error::corrupt(
            path,
            len,
            format!("file length {len} is not a positive multiple of {PAGE_SIZE}"),
        ));
    }
    let mut head = [0u8; 2 * SECTOR];
    file.read_at(0, &mut head)?;
    let states: Vec<SlotState> = head
        .chunks_exact(SECTOR)
        .enumerate()
        .map(|(i, s)| format::decode_slot(s, i))
        .collect();
    for (i, s) in states.iter().enumerate() {
        if let SlotState::Unsupported(reason) = s {
            return Err(Error::Foreign {
                file: path.clone(),
                reason: format!(
                    "commit slot {i} (byte {}): {reason}",
                    format::slot_offset(i)
                ),
            });
        }
    }
    let mut valid: Vec<(usize, Commit)> = states
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            SlotState::Valid(c) => Some((i, *c)),
            _ => None,
        })
        .collect();
    valid.sort_by_key(|(i, c)| (std::cmp::Reverse(c.txn), *i));
    let Some(&(slot, commit)) = valid.first() else {
        let describe = |i: usize| match states.get(i) {
            Some(SlotState::Invalid(r)) => r.clone(),
            Some(SlotState::Empty) => "never written".into(),
            _ => "unreadable".into(),
        };
        let reason = format!(
            "no valid commit slot (slot 0: {}; slot 1: {})",
            describe(0),
            describe(1)
        );
        let foreign = states.iter().all(|s| match s {
            SlotState::Empty => true,
            SlotState::Invalid(r) => r == "bad magic",
            _ => false,
        });
        return Err(if foreign {
            Error::Foreign {
                file: path.clone(),
                reason,
            }
        } else {
            Error::corrupt(path, 0, reason)
        });
    };
    // Growth is durable before a commit uses it, so no slot names pages past the end: the file was
    // truncated.
    let file_pages = len / PAGE_SIZE as u64;
    if commit.page_count > file_pages {
        return Err(Error::corrupt(
            path,
            format::slot_offset(slot),
            format!(
                "commit {} names {} pages but the file has {file_pages}",
                commit.txn, commit.page_count
            ),
        ));
    }
    let other = 1 - slot;
    let fallback = match states.get(other) {
        Some(SlotState::Invalid(reason)) => Some(format!(
            "commit slot {other} (byte {}) is invalid ({reason}); using slot {slot} (transaction {})",
            format::slot_offset(other),
            commit.txn
        )),
        _ => None,
    };
    Ok((valid, fallback))
}

/// Converts a range over key-like values into owned byte bounds.
fn owned_bounds<K: AsRef<[u8]>>(range: &impl RangeBounds<K>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let own = |b: Bound<&K>| match b {
        Bound::Included(k) => Bound::Included(k.as_ref().to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.as_ref().to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    };
    (own(range.start_bound()), own(range.end_bound()))
}

fn as_slice_bound(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// An ordered scan, yielding `(key, value)` pairs; after an error it yields nothing more.
///
/// ```
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
/// let mut tx = db.write()?;
/// for k in [b"a", b"b", b"c", b"d"] {
///     tx.insert(k, b"")?;
/// }
/// let keys: Vec<_> = tx.range(&b"b"[..]..&b"d"[..]).map(|r| r.map(|(k, _)| k)).collect::<Result<_, _>>()?;
/// assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
pub struct Range<'a> {
    it: RangeIter<'a>,
}

impl std::fmt::Debug for Range<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Range").finish_non_exhaustive()
    }
}

impl Iterator for Range<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;
    fn next(&mut self) -> Option<Self::Item> {
        self.it.next()
    }
}

fn range_over<'a, K: AsRef<[u8]>>(
    src: Src<'a>,
    root: Option<&Child>,
    height: u32,
    range: impl RangeBounds<K>,
) -> Range<'a> {
    let (start, end) = owned_bounds(&range);
    Range {
        it: RangeIter::new(src, root, height, as_slice_bound(&start), end),
    }
}

/// A read snapshot: the commit that was current when [`Db::read`] was called.
///
/// ```
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
/// let snap = db.read()?;
/// assert_eq!(snap.len(), 0);
/// assert_eq!(snap.txn_id(), 1);
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadTxn {
    inner: Arc<Inner>,
    file: Arc<dyn StorageFile>,
    /// The tree commit the view builds on (its pages stay unreused while this snapshot lives).
    commit: Commit,
    view: View,
}

impl Drop for ReadTxn {
    fn drop(&mut self) {
        let mut s = self.inner.shared();
        if let Some(n) = s.readers.get_mut(&self.commit.txn) {
            *n -= 1;
            if *n == 0 {
                s.readers.remove(&self.commit.txn);
            }
        }
    }
}

impl ReadTxn {
    fn src(&self) -> Src<'_> {
        Src {
            pager: &self.inner.pager,
            file: &*self.file,
            page_count: self.commit.page_count,
        }
    }

    fn root(&self) -> Option<&Child> {
        self.view.root.as_ref()
    }

    /// The value of `key`, if present.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert_eq!(db.read()?.get(b"missing")?, None);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        tree::get(self.src(), self.root(), self.view.height, key)
    }

    /// Entries with keys in `range`, in key order.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"a1", b"x")?;
    /// tx.insert(b"b1", b"y")?;
    /// tx.commit()?;
    /// let snap = db.read()?;
    /// assert_eq!(snap.range(&b"b"[..]..).count(), 1);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn range<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Range<'_> {
        range_over(self.src(), self.root(), self.view.height, range)
    }

    /// All entries in key order.
    ///
    /// ```
    /// use shardlog_checkpoint::Db;
    /// use shardlog_storage::SimDisk;
    /// use std::sync::Arc;
    /// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert_eq!(db.read()?.iter().count(), 0);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn iter(&self) -> Range<'_> {
        self.range::<&[u8]>(..)
    }

    /// Number of keys.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert_eq!(db.read()?.len(), 0);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.view.entries
    }

    /// True when there are no keys.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert!(db.read()?.is_empty());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.view.entries == 0
    }

    /// Id of the commit this snapshot reads.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"k", b"v")?;
    /// tx.commit()?;
    /// assert_eq!(db.read()?.txn_id(), 2);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn txn_id(&self) -> u64 {
        self.view.txn
    }

    /// Checks every page of the tree commit this snapshot builds on, reading each from the file (not
    /// the cache), and the log region's place among them; see [`Db::verify`].
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert_eq!(db.read()?.verify()?.tree_pages, 0);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn verify(&self) -> Result<VerifyReport> {
        let c = &self.commit;
        let pager = &self.inner.pager;
        let path = pager.path();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut entries = 0u64;
        // (page, depth, lower bound inclusive, upper bound exclusive)
        type Item = (PageRef, u32, Option<Vec<u8>>, Option<Vec<u8>>);
        let mut stack: Vec<Item> = c.root.map(|r| (r, 1, None, None)).into_iter().collect();
        while let Some((r, depth, lo, hi)) = stack.pop() {
            let offset = format::page_offset(r.page);
            if !seen.insert(r.page) {
                return Err(Error::corrupt(
                    path,
                    offset,
                    format!("page {} referenced twice", r.page),
                ));
            }
            let (buf, h) = pager.read_checked(&*self.file, r, c.page_count)?;
            let node =
                crate::page::decode_node(&buf, &h).map_err(|e| Error::corrupt(path, offset, e))?;
            let out_of_bounds = |k: &[u8]| {
                lo.as_deref().is_some_and(|lo| k < lo) || hi.as_deref().is_some_and(|hi| k >= hi)
            };
            match (node, depth == c.height) {
                (Node::Leaf(l), true) => {
                    if l.entries.iter().any(|(k, _)| out_of_bounds(k)) {
                        return Err(Error::corrupt(
                            path,
                            offset,
                            "leaf key outside its parent's range",
                        ));
                    }
                    entries += l.entries.len() as u64;
                }
                (Node::Branch(b), false) => {
                    if b.keys.iter().any(|k| out_of_bounds(k)) {
                        return Err(Error::corrupt(
                            path,
                            offset,
                            "branch key outside its parent's range",
                        ));
                    }
                    for (i, child) in b.children.iter().enumerate() {
                        let Child::Page(cr) = child else { continue };
                        let clo = if i == 0 {
                            lo.clone()
                        } else {
                            b.keys.get(i - 1).map(|k| k.to_vec())
                        };
                        let chi = b.keys.get(i).map(|k| k.to_vec()).or_else(|| hi.clone());
                        stack.push((*cr, depth + 1, clo, chi));
                    }
                }
                _ => {
                    return Err(Error::corrupt(
                        path,
                        offset,
                        format!(
                            "node at depth {depth} of a tree of height {} has the wrong kind",
                            c.height
                        ),
                    ))
                }
            }
        }
        if entries != c.entries {
            return Err(Error::corrupt(
                path,
                format::slot_offset(0),
                format!(
                    "tree holds {entries} keys, the commit record says {}",
                    c.entries
                ),
            ));
        }
        let (chain, listed) = pager.load_free_list(&*self.file, c.free_head, c.page_count)?;
        let tree_pages = seen.len() as u64;
        for p in c.log_range() {
            if !seen.insert(p) {
                return Err(Error::corrupt(
                    path,
                    format::page_offset(p),
                    format!("page {p} of the log region is also a tree page"),
                ));
            }
        }
        for &p in chain.iter().chain(listed.iter()) {
            if p == 0 || p >= c.page_count || !seen.insert(p) {
                return Err(Error::corrupt(
                    path,
                    format::page_offset(p),
                    format!(
                        "page {p} is free or a free-list page but also in use, or listed twice"
                    ),
                ));
            }
        }
        if seen.len() as u64 + 1 != c.page_count {
            return Err(Error::corrupt(
                path,
                format::page_offset(c.page_count),
                format!(
                    "{} of the {} pages are neither in the tree nor free (leaked)",
                    c.page_count.saturating_sub(1 + seen.len() as u64),
                    c.page_count
                ),
            ));
        }
        let entries = self.verify_view(entries)?;
        Ok(VerifyReport {
            txn: self.view.txn,
            entries,
            tree_pages,
            free_list_pages: chain.len() as u64,
            free_pages: listed.len() as u64,
            log_pages: c.log_pages,
            page_count: c.page_count,
        })
    }
}

impl ReadTxn {
    /// Scans the commits of the log epoch on top of the checked tree (keys in order, the count the
    /// view keeps) and returns the number of keys; `tree_entries` when there are none.
    fn verify_view(&self, tree_entries: u64) -> Result<u64> {
        if self.view.txn == self.commit.txn {
            return Ok(tree_entries);
        }
        let mut count = 0u64;
        let mut last: Option<Vec<u8>> = None;
        for entry in self.iter() {
            let (k, _) = entry?;
            if last.as_ref().is_some_and(|l| *l >= k) {
                return Err(Error::Internal("snapshot scan out of key order".into()));
            }
            last = Some(k);
            count += 1;
        }
        if count != self.view.entries {
            return Err(Error::Internal(format!(
                "snapshot holds {count} keys but counts {}",
                self.view.entries
            )));
        }
        Ok(count)
    }
}

/// The write transaction; at most one exists at a time per [`Db`].
///
/// ```
/// use shardlog_checkpoint::Db;
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let db = Db::open(Arc::new(SimDisk::new(1)), "c.db")?;
/// let mut tx = db.write()?;
/// assert_eq!(tx.insert(b"k", b"1")?, None);
/// assert_eq!(tx.insert(b"k", b"2")?, Some(b"1".to_vec()));
/// assert_eq!(tx.get(b"k")?, Some(b"2".to_vec()));
/// assert_eq!(tx.remove(b"k")?, Some(b"2".to_vec()));
/// tx.commit()?;
/// # Ok::<(), shardlog_checkpoint::Error>(())
/// ```
pub struct WriteTxn<'db> {
    db: &'db Db,
    w: MutexGuard<'db, Writer>,
    /// The tree commit the newest state builds on.
    base: Commit,
    edit: TreeEdit,
    /// The changes, in order: the log record this transaction appends.
    record: RecordBuf,
}

impl std::fmt::Debug for WriteTxn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("base_txn", &self.base.txn)
            .field("record_bytes", &self.record.len())
            .finish_non_exhaustive()
    }
}

/// Hands out page numbers: a reserved run of consecutive free pages first, then free pages (lowest
/// first), then new pages at the end.
struct Alloc<'a> {
    reusable: &'a mut BTreeSet<u64>,
    /// Consecutive free pages set aside for this commit, lowest first.
    run: VecDeque<u64>,
    page_count: u64,
}

impl Alloc<'_> {
    /// Sets aside the lowest run of `n` consecutive free pages, if there is one, so that a commit's
    /// pages go to the disk as one write: `fdatasync` costs per request, not per byte.
    fn reserve_run(&mut self, n: usize) {
        let (mut start, mut len) = (0u64, 0usize);
        for &p in self.reusable.iter() {
            if len > 0 && p == start + len as u64 {
                len += 1;
            } else {
                (start, len) = (p, 1);
            }
            if len >= n {
                self.run = (start..start + n as u64).collect();
                for p in &self.run {
                    self.reusable.remove(p);
                }
                return;
            }
        }
    }

    /// Free pages not handed out, reserved or not.
    fn free_len(&self) -> usize {
        self.reusable.len() + self.run.len()
    }

    /// Returns the unused part of the reserved run to the free pages.
    fn release(&mut self) {
        self.reusable.extend(self.run.drain(..));
    }

    fn page(&mut self) -> Result<u64> {
        if let Some(p) = self.run.pop_front() {
            return Ok(p);
        }
        if let Some(p) = self.reusable.pop_first() {
            return Ok(p);
        }
        if self.page_count >= MAX_PAGES {
            return Err(Error::InvalidArgument(format!(
                "the checkpoint file reached its limit of {MAX_PAGES} pages"
            )));
        }
        self.page_count += 1;
        Ok(self.page_count - 1)
    }
}

/// Output of the encoding phase of a commit.
#[derive(Default)]
struct Encoded {
    pages: Vec<(u64, Vec<u8>)>,
    nodes: Vec<(PageRef, Arc<Node>)>,
}

/// Number of dirty nodes at and below `child` (the pages a commit of the tree will write).
fn count_dirty(child: &Child) -> usize {
    match child {
        Child::Page(_) => 0,
        Child::Dirty(node) => match &**node {
            Node::Leaf(_) => 1,
            Node::Branch(b) => 1 + b.children.iter().map(count_dirty).sum::<usize>(),
        },
    }
}

/// Allocates and encodes the dirty part of the tree below `child`, children first.
fn flush(child: Child, alloc: &mut Alloc<'_>, txn: u64, out: &mut Encoded) -> Result<PageRef> {
    let arc = match child {
        Child::Page(r) => return Ok(r),
        Child::Dirty(arc) => arc,
    };
    let mut node = Arc::try_unwrap(arc).unwrap_or_else(|a| (*a).clone());
    if let Node::Branch(b) = &mut node {
        for c in b.children.iter_mut() {
            let taken = std::mem::replace(c, Child::Page(PageRef::NONE));
            *c = Child::Page(flush(taken, alloc, txn, out)?);
        }
    }
    let page = alloc.page()?;
    let (buf, crc) = crate::page::encode_node(&node, page, txn).map_err(Error::Internal)?;
    out.pages.push((page, buf));
    let r = PageRef { page, crc, txn };
    out.nodes.push((r, Arc::new(node)));
    Ok(r)
}

/// Writes pages, coalescing runs of consecutive page numbers (a lone page is written as it is).
fn write_pages(file: &dyn StorageFile, mut pages: Vec<(u64, Vec<u8>)>) -> Result<()> {
    pages.sort_unstable_by_key(|(p, _)| *p);
    let mut rest = pages.as_slice();
    while let Some(((first, buf), _)) = rest.split_first() {
        let len = rest
            .iter()
            .zip(*first..)
            .take(WRITE_RUN_PAGES)
            .take_while(|((p, _), want)| p == want)
            .count();
        let (run, tail) = rest.split_at(len.max(1));
        if run.len() == 1 {
            file.write_at(format::page_offset(*first), buf)?;
        } else {
            let joined = run
                .iter()
                .map(|(_, b)| b.as_slice())
                .collect::<Vec<_>>()
                .concat();
            file.write_at(format::page_offset(*first), &joined)?;
        }
        rest = tail;
    }
    Ok(())
}

impl WriteTxn<'_> {
    fn src(&self) -> Src<'_> {
        Src {
            pager: &self.db.inner.pager,
            file: &*self.w.file,
            page_count: self.base.page_count,
        }
    }

    /// The value of `key` as this transaction sees it.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"k", b"v")?;
    /// assert_eq!(tx.get(b"k")?, Some(b"v".to_vec()));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        tree::get(self.src(), self.edit.root.as_ref(), self.edit.height, key)
    }

    /// Inserts or replaces `key`; returns the previous value. Keys must be 1..=[`MAX_KEY_LEN`] bytes,
    /// values at most [`MAX_VALUE_LEN`] bytes.
    ///
    /// ```
    /// # use shardlog_checkpoint::{Db, Error};
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// assert!(matches!(tx.insert(b"k", &[0u8; 2000]), Err(Error::ValueTooLarge { .. })));
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::ValueTooLarge {
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        self.db.inner.check_poison()?;
        let src = Src {
            pager: &self.db.inner.pager,
            file: &*self.w.file,
            page_count: self.base.page_count,
        };
        let old = tree::insert(src, &mut self.edit, key, value)?;
        self.record.insert(key, value);
        Ok(old)
    }

    /// Removes `key`; returns its value if it was present.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// assert_eq!(tx.remove(b"nothing")?, None);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn remove(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Ok(None);
        }
        self.db.inner.check_poison()?;
        let src = Src {
            pager: &self.db.inner.pager,
            file: &*self.w.file,
            page_count: self.base.page_count,
        };
        let old = tree::remove(src, &mut self.edit, key)?;
        if old.is_some() {
            self.record.remove(key);
        }
        Ok(old)
    }

    /// Entries with keys in `range`, in key order, as this transaction sees them.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"a", b"1")?;
    /// assert_eq!(tx.range::<&[u8]>(..).count(), 1);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn range<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Range<'_> {
        range_over(self.src(), self.edit.root.as_ref(), self.edit.height, range)
    }

    /// Number of keys as this transaction sees them.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"a", b"1")?;
    /// assert_eq!(tx.len(), 1);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.edit.entries
    }

    /// True when the transaction sees no keys.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// assert!(db.write()?.is_empty());
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.edit.entries == 0
    }

    /// Makes the changes durable (see the module documentation for the protocol): as one record
    /// appended to the redo log when it fits, else as a tree commit. A transaction without changes
    /// writes nothing. On an I/O error the database is poisoned and the commit may or may not have
    /// become durable: reopen to find out.
    ///
    /// ```
    /// # use shardlog_checkpoint::Db;
    /// # use shardlog_storage::SimDisk;
    /// # let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "c.db")?;
    /// let mut tx = db.write()?;
    /// tx.insert(b"a", b"1")?;
    /// tx.commit()?;
    /// assert_eq!(db.info().txn, 2);
    /// # Ok::<(), shardlog_checkpoint::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<()> {
        self.db.inner.check_poison()?;
        if self.record.is_empty() {
            return Ok(());
        }
        self.check_freed_pages()?;
        let result = if self.fits_log() {
            self.commit_log()
        } else {
            self.commit_tree()
        };
        if result.is_err() {
            self.db.inner.poisoned.store(true, Ordering::Release);
        }
        result
    }

    /// Checks the committed pages the edit copied (and frees) against the rest of the file before
    /// anything is written, so the database stays usable. In a sound file each was reached through
    /// one parent and is not free; a damaged file (Db::verify reports it) can break either, and
    /// committing would then list a page as free twice or hand out a page that is still in use.
    fn check_freed_pages(&self) -> Result<()> {
        let w = &*self.w;
        let mut seen = HashSet::with_capacity(self.edit.freed.len());
        let twice = self.edit.freed.iter().find(|&&p| !seen.insert(p));
        // Pages replaced by earlier commits of this log epoch were freed already.
        let twice = twice.or_else(|| self.edit.freed.iter().find(|p| w.edit.freed.contains(p)));
        // Look the few freed pages up in the free sets, not the other way round (`pending` lists
        // are sorted when they are pushed).
        let is_free = |p: &u64| {
            w.reusable.contains(p)
                || w.chain.contains(p)
                || w.pending
                    .iter()
                    .any(|(_, pages)| pages.binary_search(p).is_ok())
        };
        let problem = match twice {
            Some(&p) => Some((p, "is referenced twice in the tree")),
            None => self
                .edit
                .freed
                .iter()
                .find(|p| is_free(p))
                .map(|&p| (p, "is in the tree and also free")),
        };
        match problem {
            Some((page, what)) => Err(Error::corrupt(
                self.db.inner.path(),
                format::page_offset(page),
                format!("page {page} {what} (Db::verify reports the damage)"),
            )),
            None => Ok(()),
        }
    }

    /// True when this transaction's record fits in the rest of the log region of an epoch this
    /// process started.
    fn fits_log(&self) -> bool {
        let len = self.record.len() as u64;
        let capacity = self.base.log_pages * PAGE_SIZE as u64;
        !self.w.rotate && self.w.log_end + len <= capacity
    }

    /// Appends the changes to the log and syncs: one write, one `fdatasync`.
    fn commit_log(&mut self) -> Result<()> {
        let inner = &*self.db.inner;
        let w = &mut *self.w;
        let txn = w.txn + 1;
        let record = self.record.finish(epoch_of(&self.base), txn);
        let offset = format::page_offset(self.base.log_start) + w.log_end;
        w.file.write_at(offset, record)?;
        // The record is written but not synced: a crash keeps it or ends the log before it.
        crashpoint::hit(CrashPoint::CheckpointLogWritten);
        w.file.sync()?;
        w.txn = txn;
        w.log_end += record.len() as u64;
        let edit = std::mem::take(&mut self.edit);
        w.edit.freed.extend(edit.freed);
        w.edit.root = edit.root;
        w.edit.height = edit.height;
        w.edit.entries = edit.entries;
        let old = std::mem::replace(&mut inner.shared().view, View::of(txn, &w.edit, w.log_end));
        // The previous view's copies of the changed nodes are freed outside the readers' lock.
        drop(old);
        Ok(())
    }

    /// Writes the whole in-memory tree back (the changes of the log epoch and of this transaction),
    /// then starts a new log epoch.
    fn commit_tree(&mut self) -> Result<()> {
        let inner = &*self.db.inner;
        let txn = self.w.txn + 1; // below 2^62: one more than a slot's or a record's id
        let oldest_reader = inner.shared().readers.keys().next().copied();
        let w = &mut *self.w;
        // Pages freed by commit F are in the trees of commits < F only: reusable once no reader and
        // not the current commit (the crash fallback) is older than F.
        let limit = oldest_reader.map_or(self.base.txn, |r| r.min(self.base.txn));
        while w.pending.front().is_some_and(|(f, _)| *f <= limit) {
            if let Some((_, pages)) = w.pending.pop_front() {
                w.reusable.extend(pages);
            }
        }

        let mut alloc = Alloc {
            reusable: &mut w.reusable,
            run: VecDeque::new(),
            page_count: self.base.page_count,
        };
        let mut out = Encoded::default();
        let (log_start, log_pages) = allocate_log(&self.base, w.log_pages, &mut alloc, &mut out)?;
        // The usual commit: the changed nodes plus a free list as long as the last one.
        let dirty = self.edit.root.as_ref().map_or(0, count_dirty);
        alloc.reserve_run(dirty + w.chain.len().max(1));
        // Drop the writer's handles on the dirty nodes so that `flush` can take them over.
        w.edit.root = None;
        let root = match self.edit.root.take() {
            Some(c) => Some(flush(c, &mut alloc, txn, &mut out)?),
            None => None,
        };

        // The new free list: everything free after this commit, including the pages this commit
        // and the log epoch stopped using and the old free-list pages (none reusable before the
        // next commit).
        let mut freed_now = std::mem::take(&mut w.edit.freed);
        freed_now.append(&mut self.edit.freed);
        freed_now.extend(w.chain.iter().copied());
        let pending_count: usize = w.pending.iter().map(|(_, p)| p.len()).sum();
        let mut chain = Vec::new();
        while chain.len() * FREE_PER_PAGE < alloc.free_len() + pending_count + freed_now.len() {
            chain.push(alloc.page()?);
        }
        alloc.release();
        let page_count = alloc.page_count;
        let mut all_free: Vec<u64> = w
            .reusable
            .iter()
            .copied()
            .chain(w.pending.iter().flat_map(|(_, p)| p.iter().copied()))
            .chain(freed_now.iter().copied())
            .collect();
        all_free.sort_unstable();
        let mut next: Option<PageRef> = None;
        for (i, &page) in chain.iter().enumerate().rev() {
            let lo = (i * FREE_PER_PAGE).min(all_free.len());
            let hi = ((i + 1) * FREE_PER_PAGE).min(all_free.len());
            let part = all_free.get(lo..hi).unwrap_or(&[]);
            let (buf, crc) = format::encode_free(part, next, page, txn).map_err(Error::Internal)?;
            out.pages.push((page, buf));
            next = Some(PageRef { page, crc, txn });
        }
        let commit = Commit {
            txn,
            root,
            height: self.edit.height,
            page_count,
            free_head: next,
            free_count: all_free.len() as u64,
            entries: self.edit.entries,
            log_start,
            log_pages,
            log_salt: log::new_salt(self.base.log_salt),
        };
        check_allocation(&out, &all_free, &commit)?;

        if commit.page_count > w.file_pages {
            grow(inner, w, self.base.page_count, commit.page_count)?;
        }
        // Pages and slot in one sync: open checks the pages this commit wrote before trusting it.
        write_pages(&*w.file, out.pages)?;
        // Pages written, slot not yet: a crash keeps the current commit.
        crashpoint::hit(CrashPoint::CheckpointPagesWritten);
        let slot = 1 - w.slot;
        w.file.write_at(
            format::slot_offset(slot),
            &format::encode_slot(&commit, slot),
        )?;
        // The slot is written but not synced: a crash keeps either commit.
        crashpoint::hit(CrashPoint::CheckpointSlotWritten);
        w.file.sync()?;

        for (r, node) in out.nodes {
            inner.pager.remember(r, node);
        }
        w.edit = TreeEdit::committed(&commit);
        w.txn = txn;
        w.log_end = 0;
        w.rotate = false;
        {
            let mut s = inner.shared();
            s.commit = commit;
            s.view = View::of(txn, &w.edit, 0);
            s.file = w.file.clone();
        }
        w.slot = slot;
        w.chain = chain;
        freed_now.sort_unstable();
        w.pending.push_back((txn, freed_now));
        Ok(())
    }
}

/// The log region of the commit after `base`: `base`'s own, or `want` new pages at the end of the
/// file, written with zeros by this commit (so that appends never allocate blocks).
fn allocate_log(
    base: &Commit,
    want: u64,
    alloc: &mut Alloc<'_>,
    out: &mut Encoded,
) -> Result<(u64, u64)> {
    if base.log_pages > 0 || want == 0 {
        return Ok((base.log_start, base.log_pages));
    }
    let start = alloc.page_count;
    if start.saturating_add(want) > MAX_PAGES {
        return Err(Error::InvalidArgument(format!(
            "the checkpoint file reached its limit of {MAX_PAGES} pages"
        )));
    }
    alloc.page_count += want;
    out.pages
        .extend((start..start + want).map(|p| (p, vec![0u8; PAGE_SIZE])));
    Ok((start, want))
}

/// Checks, before anything is written, that the new pages avoid the free list and each other and lie
/// below the page count.
fn check_allocation(out: &Encoded, all_free: &[u64], commit: &Commit) -> Result<()> {
    let mut written = HashSet::with_capacity(out.pages.len());
    for (p, _) in &out.pages {
        if *p == 0 || *p >= commit.page_count || !written.insert(*p) {
            return Err(Error::Internal(format!(
                "page {p} allocated twice or out of range"
            )));
        }
    }
    // `all_free` is sorted: look the few written pages up in it, not the other way round.
    if let Some(p) = written.iter().find(|p| all_free.binary_search(p).is_ok()) {
        return Err(Error::Internal(format!("page {p} both written and free")));
    }
    if all_free.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(Error::Internal("a page freed twice".into()));
    }
    Ok(())
}

/// Grows the file to hold at least `needed` pages: copies the committed pages `0..committed` into
/// `<name>.grow`, syncs it, renames it over `<name>` and syncs the directory. Readers keep the old
/// file, which is no longer written.
fn grow(inner: &Inner, w: &mut Writer, committed: u64, needed: u64) -> Result<()> {
    let pages = needed
        .max(w.file_pages.saturating_mul(2))
        .min(MAX_PAGES)
        .max(needed);
    let tmp = grow_name(&inner.name);
    let storage = &*inner.storage;
    remove_if_exists(storage, &tmp)?;
    let file = storage.create(&tmp, pages * PAGE_SIZE as u64)?;
    copy_pages(&*w.file, &*file, 0, committed)?;
    file.sync()?;
    storage.rename(&tmp, &inner.name)?;
    storage.sync_dir()?;
    w.file = file;
    w.file_pages = pages;
    Ok(())
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
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
