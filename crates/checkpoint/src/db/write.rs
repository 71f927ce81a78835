//! The single write transaction: copy-on-write edits, page allocation, and the commit (a redo-log
//! record or a tree commit, one `fdatasync` either way).

use super::read::range_over;
use super::recover::epoch_of;
use super::*;

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
    pub(super) db: &'db Db,
    pub(super) w: MutexGuard<'db, Writer>,
    /// The tree commit the newest state builds on.
    pub(super) base: Commit,
    pub(super) edit: TreeEdit,
    /// The changes, in order: the log record this transaction appends.
    pub(super) record: RecordBuf,
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
pub(super) struct Alloc<'a> {
    pub(super) reusable: &'a mut BTreeSet<u64>,
    /// Consecutive free pages set aside for this commit, lowest first.
    pub(super) run: VecDeque<u64>,
    pub(super) page_count: u64,
}

impl Alloc<'_> {
    /// Sets aside the lowest run of `n` consecutive free pages, if there is one, so that a commit's
    /// pages go to the disk as one write: `fdatasync` costs per request, not per byte.
    pub(super) fn reserve_run(&mut self, n: usize) {
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
    pub(super) fn free_len(&self) -> usize {
        self.reusable.len() + self.run.len()
    }

    /// Returns the unused part of the reserved run to the free pages.
    pub(super) fn release(&mut self) {
        self.reusable.extend(self.run.drain(..));
    }

    pub(super) fn page(&mut self) -> Result<u64> {
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
pub(super) struct Encoded {
    pub(super) pages: Vec<(u64, Vec<u8>)>,
    pub(super) nodes: Vec<(PageRef, Arc<Node>)>,
}

/// Number of dirty nodes at and below `child` (the pages a commit of the tree will write).
pub(super) fn count_dirty(child: &Child) -> usize {
    match child {
        Child::Page(_) => 0,
        Child::Dirty(node) => match &**node {
            Node::Leaf(_) => 1,
            Node::Branch(b) => 1 + b.children.iter().map(count_dirty).sum::<usize>(),
        },
    }
}

/// Allocates and encodes the dirty part of the tree below `child`, children first.
pub(super) fn flush(
    child: Child,
    alloc: &mut Alloc<'_>,
    txn: u64,
    out: &mut Encoded,
) -> Result<PageRef> {
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
pub(super) fn write_pages(file: &dyn StorageFile, mut pages: Vec<(u64, Vec<u8>)>) -> Result<()> {
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
    pub(super) fn src(&self) -> Src<'_> {
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
    pub(super) fn check_freed_pages(&self) -> Result<()> {
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
    pub(super) fn fits_log(&self) -> bool {
        let len = self.record.len() as u64;
        let capacity = self.base.log_pages * PAGE_SIZE as u64;
        !self.w.rotate && self.w.log_end + len <= capacity
    }

    /// Appends the changes to the log and syncs: one write, one `fdatasync`.
    pub(super) fn commit_log(&mut self) -> Result<()> {
        let inner = &*self.db.inner;
        let w = &mut *self.w;
        let txn = w.txn + 1;
        let record = self.record.finish(epoch_of(&self.base), txn);
        // The record extends the log epoch of the tree commit it was built on and stays inside its
        // region (paired with `fits_log`, which chose this path, and with `replay_log`, which reads
        // records only up to the region's end).
        assert!(
            txn > self.base.txn,
            "a log record older than its tree commit"
        );
        assert!(
            w.log_end + record.len() as u64 <= self.base.log_pages * PAGE_SIZE as u64,
            "a log record past the log region"
        );
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
    pub(super) fn commit_tree(&mut self) -> Result<()> {
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
pub(super) fn allocate_log(
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
pub(super) fn check_allocation(out: &Encoded, all_free: &[u64], commit: &Commit) -> Result<()> {
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
pub(super) fn grow(inner: &Inner, w: &mut Writer, committed: u64, needed: u64) -> Result<()> {
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

pub(super) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}
