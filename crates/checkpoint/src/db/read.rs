//! Read transactions: snapshots of one commit, point lookups, ranges and verification.

use super::*;

/// Converts a range over key-like values into owned byte bounds.
pub(super) fn owned_bounds<K: AsRef<[u8]>>(
    range: &impl RangeBounds<K>,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let own = |b: Bound<&K>| match b {
        Bound::Included(k) => Bound::Included(k.as_ref().to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.as_ref().to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    };
    (own(range.start_bound()), own(range.end_bound()))
}

pub(super) fn as_slice_bound(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
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
    pub(super) it: RangeIter<'a>,
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

pub(super) fn range_over<'a, K: AsRef<[u8]>>(
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
    pub(super) inner: Arc<Inner>,
    pub(super) file: Arc<dyn StorageFile>,
    /// The tree commit the view builds on (its pages stay unreused while this snapshot lives).
    pub(super) commit: Commit,
    pub(super) view: View,
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
    pub(super) fn src(&self) -> Src<'_> {
        Src {
            pager: &self.inner.pager,
            file: &*self.file,
            page_count: self.commit.page_count,
        }
    }

    pub(super) fn root(&self) -> Option<&Child> {
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
    pub(super) fn verify_view(&self, tree_entries: u64) -> Result<u64> {
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
