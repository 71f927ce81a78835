//! B-tree algorithms over committed pages and a write transaction's dirty nodes.
//!
//! All leaves are at depth `height` (the root is at depth 1); a node found at the wrong depth is
//! reported as corruption, which also bounds every descent on a damaged file. Edits are copy-on-write:
//! the first change to a committed node copies it into a dirty node and records its page as freed
//! by the transaction. An edit that fails part-way (a page failed to load) leaves the tree
//! semantically unchanged: nodes are only copied, never changed, before every load of the edit has
//! succeeded.

use crate::error::{Error, Result};
use crate::format::PAGE_BODY;
use crate::node::{branch_entry_size, Branch, Bytes, Child, Leaf, Node, UNDERFLOW_BYTES};
use crate::pager::Src;
use std::ops::Bound;
use std::sync::Arc;

/// The editable tree of a write transaction.
#[derive(Debug, Clone, Default)]
pub(crate) struct TreeEdit {
    pub(crate) root: Option<Child>,
    pub(crate) height: u32,
    pub(crate) entries: u64,
    /// Committed pages this transaction no longer references.
    pub(crate) freed: Vec<u64>,
}

impl TreeEdit {
    /// The tree of a commit, unchanged.
    pub(crate) fn committed(c: &crate::format::Commit) -> TreeEdit {
        TreeEdit {
            root: c.root.map(Child::Page),
            height: c.height,
            entries: c.entries,
            freed: Vec::new(),
        }
    }
}

fn shape(src: &Src<'_>, c: &Child, depth: u32, height: u32) -> Error {
    let mut e = src.too_deep(c);
    if let Error::Corrupt { reason, .. } = &mut e {
        *reason = format!("node at depth {depth} of a tree of height {height} has the wrong kind");
    }
    e
}

fn internal(what: &str) -> Error {
    Error::Internal(what.to_string())
}

/// Looks `key` up.
pub(crate) fn get(
    src: Src<'_>,
    root: Option<&Child>,
    height: u32,
    key: &[u8],
) -> Result<Option<Vec<u8>>> {
    let Some(mut cur) = root.cloned() else {
        return Ok(None);
    };
    for depth in 1..=height {
        let node = src.node(&cur)?;
        match (&*node, depth == height) {
            (Node::Leaf(l), true) => {
                let found = l.find(key).ok().and_then(|i| l.entries.get(i));
                return Ok(found.map(|(_, v)| v.to_vec()));
            }
            (Node::Branch(b), false) => {
                cur = b
                    .children
                    .get(b.child_index(key))
                    .cloned()
                    .ok_or_else(|| internal("branch without the child its keys route to"))?;
            }
            _ => return Err(shape(&src, &cur, depth, height)),
        }
    }
    Err(src.too_deep(&cur))
}

/// Makes `child` a dirty node (copying a committed one) and returns it for editing.
fn make_dirty<'c>(
    src: Src<'_>,
    child: &'c mut Child,
    freed: &mut Vec<u64>,
) -> Result<&'c mut Node> {
    if let Child::Page(r) = child {
        let r = *r;
        let node = src.pager.load(src.file, r, src.page_count)?;
        *child = Child::Dirty(Arc::new((*node).clone()));
        freed.push(r.page);
    }
    match child {
        Child::Dirty(n) => Ok(Arc::make_mut(n)),
        Child::Page(_) => Err(internal("dirty node expected")),
    }
}

/// A copy of `child` to name in an error: the reference itself, not another handle on a dirty node
/// (an extra handle would make the `Arc::make_mut` in `make_dirty` copy the node).
fn for_errors(child: &Child) -> Child {
    match child {
        Child::Page(r) => Child::Page(*r),
        Child::Dirty(_) => Child::Page(crate::format::PageRef::NONE),
    }
}

type Split = Option<(Bytes, Child)>;

/// Inserts or replaces; returns the previous value.
pub(crate) fn insert(
    src: Src<'_>,
    t: &mut TreeEdit,
    key: &[u8],
    value: &[u8],
) -> Result<Option<Vec<u8>>> {
    let Some(root) = t.root.as_mut() else {
        let mut leaf = Leaf::default();
        leaf.upsert(key, value);
        t.root = Some(Child::Dirty(Arc::new(Node::Leaf(leaf))));
        t.height = 1;
        t.entries += 1;
        return Ok(None);
    };
    let (old, split) = insert_rec(src, root, key, value, &mut t.freed, 1, t.height)?;
    if let Some((sep, right)) = split {
        let left = root.clone();
        let branch = Branch::new(vec![sep], vec![left, right]);
        t.root = Some(Child::Dirty(Arc::new(Node::Branch(branch))));
        t.height += 1;
    }
    if old.is_none() {
        t.entries = t.entries.saturating_add(1);
    }
    Ok(old)
}

fn insert_rec(
    src: Src<'_>,
    child: &mut Child,
    key: &[u8],
    value: &[u8],
    freed: &mut Vec<u64>,
    depth: u32,
    height: u32,
) -> Result<(Option<Vec<u8>>, Split)> {
    if depth > height {
        return Err(src.too_deep(child));
    }
    let at_bottom = depth == height;
    let here = for_errors(child);
    match make_dirty(src, child, freed)? {
        Node::Leaf(leaf) if at_bottom => {
            let old = leaf.upsert(key, value);
            let split = (leaf.size_bytes > PAGE_BODY).then(|| {
                let (sep, right) = leaf.split();
                (sep, Child::Dirty(Arc::new(Node::Leaf(right))))
            });
            Ok((old, split))
        }
        Node::Branch(b) if !at_bottom => {
            let idx = b.child_index(key);
            let c = b
                .children
                .get_mut(idx)
                .ok_or_else(|| internal("branch child out of range"))?;
            let (old, split) = insert_rec(src, c, key, value, freed, depth + 1, height)?;
            let mut up = None;
            if let Some((sep, right)) = split {
                b.insert_split(idx, sep, right);
                if b.size_bytes > PAGE_BODY {
                    let (sep, right) = b.split();
                    up = Some((sep, Child::Dirty(Arc::new(Node::Branch(right)))));
                }
            }
            Ok((old, up))
        }
        _ => Err(shape(&src, &here, depth, height)),
    }
}

/// Removes `key`; returns its value. A key that is absent changes nothing.
pub(crate) fn remove(src: Src<'_>, t: &mut TreeEdit, key: &[u8]) -> Result<Option<Vec<u8>>> {
    if get(src, t.root.as_ref(), t.height, key)?.is_none() {
        return Ok(None);
    }
    let Some(root) = t.root.as_mut() else {
        return Ok(None);
    };
    let old = remove_rec(src, root, key, &mut t.freed, 1, t.height)?;
    if old.is_some() {
        t.entries = t.entries.saturating_sub(1);
    }
    // Collapse a root branch left with one child, and an empty root leaf.
    while let Some(root) = t.root.clone() {
        let node = src.node(&root)?;
        match &*node {
            Node::Branch(b) if b.keys.is_empty() && t.height > 1 => {
                t.root = b.children.first().cloned();
                t.height -= 1;
            }
            Node::Leaf(l) if l.entries.is_empty() => {
                t.root = None;
                t.height = 0;
            }
            _ => break,
        }
        if let Child::Page(r) = root {
            t.freed.push(r.page);
        }
    }
    Ok(old)
}

fn remove_rec(
    src: Src<'_>,
    child: &mut Child,
    key: &[u8],
    freed: &mut Vec<u64>,
    depth: u32,
    height: u32,
) -> Result<Option<Vec<u8>>> {
    if depth > height {
        return Err(src.too_deep(child));
    }
    let at_bottom = depth == height;
    let here = for_errors(child);
    match make_dirty(src, child, freed)? {
        Node::Leaf(leaf) if at_bottom => Ok(leaf.remove(key)),
        Node::Branch(b) if !at_bottom => {
            let idx = b.child_index(key);
            // Load the merge partner first, so that no load can fail after the key is gone.
            let sib_idx = if idx > 0 { idx - 1 } else { idx + 1 };
            let sibling = match b.children.get(sib_idx) {
                Some(c) => Some(src.node(c)?),
                None => None,
            };
            let c = b
                .children
                .get_mut(idx)
                .ok_or_else(|| internal("branch child out of range"))?;
            let old = remove_rec(src, c, key, freed, depth + 1, height)?;
            let size = match c {
                Child::Dirty(n) => n.size(),
                Child::Page(_) => PAGE_BODY,
            };
            if let Some(sibling) = sibling.filter(|_| size < UNDERFLOW_BYTES) {
                merge(b, idx, sib_idx, &sibling, freed);
            }
            Ok(old)
        }
        _ => Err(shape(&src, &here, depth, height)),
    }
}

/// Merges child `idx` with its neighbour `sib_idx` (already loaded as `sibling`) if the two fit in one
/// page; otherwise leaves both (an underfull node is allowed).
fn merge(b: &mut Branch, idx: usize, sib_idx: usize, sibling: &Arc<Node>, freed: &mut Vec<u64>) {
    let (l, r) = (idx.min(sib_idx), idx.max(sib_idx));
    let Some(Child::Dirty(mine)) = b.children.get(idx) else {
        return;
    };
    let (left, right) = if l == idx {
        (mine.clone(), sibling.clone())
    } else {
        (sibling.clone(), mine.clone())
    };
    let Some(sep) = b.keys.get(l) else {
        return;
    };
    let merged = match (&*left, &*right) {
        (Node::Leaf(a), Node::Leaf(c)) if a.size_bytes + c.size_bytes <= PAGE_BODY => {
            let mut entries = a.entries.clone();
            entries.extend(c.entries.iter().cloned());
            Node::Leaf(Leaf::from_entries(entries))
        }
        (Node::Branch(a), Node::Branch(c)) if a.merged_size(sep, c) <= PAGE_BODY => {
            let mut keys = a.keys.clone();
            keys.push(sep.clone());
            keys.extend(c.keys.iter().cloned());
            let mut children = a.children.clone();
            children.extend(c.children.iter().cloned());
            Node::Branch(Branch::new(keys, children))
        }
        _ => return,
    };
    if let Some(Child::Page(p)) = b.children.get(sib_idx) {
        freed.push(p.page);
    }
    if let Some(slot) = b.children.get_mut(l) {
        *slot = Child::Dirty(Arc::new(merged));
    }
    b.children.remove(r);
    let sep = b.keys.remove(l);
    b.size_bytes -= branch_entry_size(&sep);
}

/// An ordered scan over `start..end` of a tree; yields `Err` once and stops on damage.
///
/// A damaged file can make branches share children (each page's checksum still valid). The scan
/// stays linear in the file anyway: it loads each committed page at most once in a sound tree, so it
/// stops with an error after more loads than the commit has pages, and it checks that each leaf's
/// keys come after the previous leaf's, so a shared leaf is reported instead of read twice.
pub(crate) struct RangeIter<'a> {
    src: Src<'a>,
    height: u32,
    /// Branches on the path to the current leaf, each with the index of the next child to visit.
    stack: Vec<(Arc<Node>, usize)>,
    leaf: Option<(Arc<Node>, usize)>,
    /// Last key of the latest non-empty leaf visited.
    leaf_last: Option<Bytes>,
    /// Committed pages the scan may still load.
    loads_left: u64,
    end: Bound<Vec<u8>>,
    pending: Option<Error>,
    done: bool,
}

impl<'a> RangeIter<'a> {
    pub(crate) fn new(
        src: Src<'a>,
        root: Option<&Child>,
        height: u32,
        start: Bound<&[u8]>,
        end: Bound<Vec<u8>>,
    ) -> RangeIter<'a> {
        let mut it = RangeIter {
            src,
            height,
            stack: Vec::new(),
            leaf: None,
            leaf_last: None,
            loads_left: src.page_count,
            end,
            pending: None,
            done: root.is_none(),
        };
        if let Some(root) = root {
            if let Err(e) = it.seek(root.clone(), start) {
                it.pending = Some(e);
            }
        }
        it
    }

    /// Loads the node `c` names, counting committed pages against the budget.
    fn load(&mut self, c: &Child) -> Result<Arc<Node>> {
        if let Child::Page(_) = c {
            if self.loads_left == 0 {
                return Err(self.src.corrupt(
                    c,
                    "a scan reached more pages than the file has (pages shared between branches)",
                ));
            }
            self.loads_left -= 1;
        }
        self.src.node(c)
    }

    /// Makes `node` (a leaf that `c` names) the current leaf; it must start after the previous one.
    fn enter_leaf(&mut self, c: &Child, node: Arc<Node>, pos: usize) -> Result<()> {
        if let Node::Leaf(l) = &*node {
            let first = l.entries.first().map(|(k, _)| k);
            if let (Some(prev), Some(first)) = (&self.leaf_last, first) {
                if first <= prev {
                    return Err(self.src.corrupt(
                        c,
                        "leaf keys not after the previous leaf's (a shared or misplaced page)",
                    ));
                }
            }
            if let Some((k, _)) = l.entries.last() {
                self.leaf_last = Some(k.clone());
            }
        }
        self.leaf = Some((node, pos));
        Ok(())
    }

    /// Descends from `cur` to the leaf position of `start`.
    fn seek(&mut self, mut cur: Child, start: Bound<&[u8]>) -> Result<()> {
        for depth in 1..=self.height {
            let node = self.load(&cur)?;
            let bottom = depth == self.height;
            match (&*node, bottom) {
                (Node::Branch(b), false) => {
                    let idx = match start {
                        Bound::Unbounded => 0,
                        Bound::Included(k) | Bound::Excluded(k) => b.child_index(k),
                    };
                    let next = b
                        .children
                        .get(idx)
                        .cloned()
                        .ok_or_else(|| internal("branch child out of range"))?;
                    self.stack.push((node.clone(), idx + 1));
                    cur = next;
                }
                (Node::Leaf(l), true) => {
                    let pos = match start {
                        Bound::Unbounded => 0,
                        Bound::Included(k) => l.find(k).unwrap_or_else(|i| i),
                        Bound::Excluded(k) => l.find(k).map_or_else(|i| i, |i| i + 1),
                    };
                    return self.enter_leaf(&cur, node.clone(), pos);
                }
                _ => return Err(shape(&self.src, &cur, depth, self.height)),
            }
        }
        Err(self.src.too_deep(&cur))
    }

    /// Moves to the first entry of the next leaf; `false` at the end of the tree.
    fn next_leaf(&mut self) -> Result<bool> {
        loop {
            let Some((node, idx)) = self.stack.last_mut() else {
                return Ok(false);
            };
            let Node::Branch(b) = &**node else {
                return Err(internal("leaf on the branch stack"));
            };
            let Some(c) = b.children.get(*idx).cloned() else {
                self.stack.pop();
                continue;
            };
            *idx += 1;
            let mut cur = c;
            loop {
                let depth = self.stack.len() as u32 + 1;
                let node = self.load(&cur)?;
                match (&*node, depth == self.height) {
                    (Node::Leaf(_), true) => {
                        self.enter_leaf(&cur, node, 0)?;
                        return Ok(true);
                    }
                    (Node::Branch(b), false) => {
                        let first = b
                            .children
                            .first()
                            .cloned()
                            .ok_or_else(|| internal("branch without children"))?;
                        self.stack.push((node.clone(), 1));
                        cur = first;
                    }
                    _ => return Err(shape(&self.src, &cur, depth, self.height)),
                }
            }
        }
    }

    fn past_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Unbounded => false,
            Bound::Included(e) => key > e.as_slice(),
            Bound::Excluded(e) => key >= e.as_slice(),
        }
    }
}

impl Iterator for RangeIter<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            self.done = true;
            return Some(Err(e));
        }
        loop {
            if self.done {
                return None;
            }
            if let Some((leaf, pos)) = &mut self.leaf {
                if let Node::Leaf(l) = &**leaf {
                    if let Some((k, v)) = l.entries.get(*pos) {
                        *pos += 1;
                        let (k, v) = (k.clone(), v.clone());
                        if self.past_end(&k) {
                            self.done = true;
                            return None;
                        }
                        return Some(Ok((k.to_vec(), v.to_vec())));
                    }
                }
                self.leaf = None;
            }
            match self.next_leaf() {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
