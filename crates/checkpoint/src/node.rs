//! In-memory B-tree nodes: what a page decodes to, and what a write transaction edits.
//!
//! A node's `size` is the number of body bytes its page encoding takes (see `page.rs`); every
//! node that is written fits in [`PAGE_BODY`]. Splits pick the most balanced split point whose two
//! halves both fit; that point exists because one entry never exceeds half a body
//! (`MAX_LEAF_ENTRY <= PAGE_BODY / 2`, asserted at compile time in `format.rs`), and an overflowing
//! node exceeds a body by at most one entry.

use crate::format::{
    PageRef, BRANCH_ENTRY_OVERHEAD, BRANCH_FIRST_CHILD, LEAF_ENTRY_OVERHEAD, PAGE_BODY,
};
use std::sync::Arc;
/// A node below this many body bytes is merged with a sibling when the two fit in one page.
pub(crate) const UNDERFLOW_BYTES: usize = PAGE_BODY / 4;

/// An immutable key or value. Shared, so that copying a node for a copy-on-write edit costs a
/// reference count per entry rather than an allocation and a copy.
pub(crate) type Bytes = Arc<[u8]>;

/// A reference from a parent (or the transaction root) to a child node.
#[derive(Clone, Debug)]
pub(crate) enum Child {
    /// A committed page: its number and the checksum it must have.
    Page(PageRef),
    /// A node changed by the current write transaction and not written yet.
    Dirty(Arc<Node>),
}

/// A decoded or edited node.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Keys with values.
    Leaf(Leaf),
    /// Separator keys with children.
    Branch(Branch),
}

impl Node {
    /// Body bytes of the page encoding.
    pub(crate) fn size(&self) -> usize {
        match self {
            Node::Leaf(l) => l.size_bytes,
            Node::Branch(b) => b.size_bytes,
        }
    }
}

/// A leaf: entries sorted by key, keys unique.
#[derive(Clone, Debug, Default)]
pub(crate) struct Leaf {
    pub(crate) entries: Vec<(Bytes, Bytes)>,
    pub(crate) size_bytes: usize,
}

/// Body bytes of a leaf entry.
pub(crate) fn leaf_entry_size(key: &[u8], value: &[u8]) -> usize {
    LEAF_ENTRY_OVERHEAD + key.len() + value.len()
}

/// Body bytes of a branch entry (separator key plus child reference).
pub(crate) fn branch_entry_size(key: &[u8]) -> usize {
    BRANCH_ENTRY_OVERHEAD + key.len()
}

impl Leaf {
    /// Builds a leaf from sorted entries.
    pub(crate) fn from_entries(entries: Vec<(Bytes, Bytes)>) -> Leaf {
        let size = entries.iter().map(|(k, v)| leaf_entry_size(k, v)).sum();
        Leaf {
            entries,
            size_bytes: size,
        }
    }

    /// Position of `key`, or where it would go.
    pub(crate) fn find(&self, key: &[u8]) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// Inserts or replaces; returns the previous value.
    pub(crate) fn upsert(&mut self, key: &[u8], value: &[u8]) -> Option<Vec<u8>> {
        match self.find(key) {
            Ok(i) => {
                let slot = self.entries.get_mut(i)?;
                self.size_bytes = self.size_bytes + value.len() - slot.1.len();
                Some(std::mem::replace(&mut slot.1, Bytes::from(value)).to_vec())
            }
            Err(i) => {
                self.size_bytes += leaf_entry_size(key, value);
                self.entries
                    .insert(i, (Bytes::from(key), Bytes::from(value)));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let i = self.find(key).ok()?;
        let (k, v) = self.entries.remove(i);
        self.size_bytes -= leaf_entry_size(&k, &v);
        Some(v.to_vec())
    }

    /// Splits an overflowing leaf: `self` keeps the lower half, the upper half and its first key
    /// (the separator) are returned.
    pub(crate) fn split(&mut self) -> (Bytes, Leaf) {
        let sizes: Vec<usize> = self
            .entries
            .iter()
            .map(|(k, v)| leaf_entry_size(k, v))
            .collect();
        let k = best_split(&sizes, 0, false);
        let right = Leaf::from_entries(self.entries.split_off(k));
        self.size_bytes -= right.size_bytes;
        let sep = right
            .entries
            .first()
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| Bytes::from(&[][..]));
        (sep, right)
    }
}

/// A branch: `children[i]` holds the keys in `keys[i-1]..keys[i]` (open ends at the edges), so
/// `children.len() == keys.len() + 1`. Keys are strictly increasing.
#[derive(Clone, Debug)]
pub(crate) struct Branch {
    pub(crate) keys: Vec<Bytes>,
    pub(crate) children: Vec<Child>,
    pub(crate) size_bytes: usize,
}

impl Branch {
    /// A branch over `children` separated by `keys`.
    pub(crate) fn new(keys: Vec<Bytes>, children: Vec<Child>) -> Branch {
        let size = BRANCH_FIRST_CHILD + keys.iter().map(|k| branch_entry_size(k)).sum::<usize>();
        Branch {
            keys,
            children,
            size_bytes: size,
        }
    }

    /// Index of the child whose key range holds `key`.
    pub(crate) fn child_index(&self, key: &[u8]) -> usize {
        self.keys.partition_point(|k| **k <= *key)
    }

    /// Records that child `idx` split: `right` follows it, separated by `sep`.
    pub(crate) fn insert_split(&mut self, idx: usize, sep: Bytes, right: Child) {
        self.size_bytes += branch_entry_size(&sep);
        self.keys.insert(idx, sep);
        self.children.insert(idx + 1, right);
    }

    /// Splits an overflowing branch: `self` keeps the lower keys, the middle key moves up and is
    /// returned with the upper branch.
    pub(crate) fn split(&mut self) -> (Bytes, Branch) {
        let sizes: Vec<usize> = self.keys.iter().map(|k| branch_entry_size(k)).collect();
        let m = best_split(&sizes, BRANCH_FIRST_CHILD, true);
        let right_keys = self.keys.split_off(m + 1);
        let up = self.keys.pop().unwrap_or_else(|| Bytes::from(&[][..]));
        let right_children = self.children.split_off(m + 1);
        let right = Branch::new(right_keys, right_children);
        self.size_bytes = BRANCH_FIRST_CHILD
            + self
                .keys
                .iter()
                .map(|k| branch_entry_size(k))
                .sum::<usize>();
        (up, right)
    }

    /// Size of the branch that merging `self`, `sep` and `right` would give.
    pub(crate) fn merged_size(&self, sep: &[u8], right: &Branch) -> usize {
        self.size_bytes + branch_entry_size(sep) + right.size_bytes - BRANCH_FIRST_CHILD
    }
}

/// Chooses a split point over entries of the given encoded sizes, each half also paying `base`.
///
/// Without `middle_moves_up` (leaves) the result `k` in `1..n` splits into `..k` and `k..`; with it
/// (branches) the result `m` in `0..n` splits into `..m` and `m+1..`, entry `m` moving up. Among the
/// points whose halves both fit in a page body, the one with the smaller larger half wins; if none
/// fits (impossible for nodes that overflow by at most one entry) the middle is returned.
fn best_split(sizes: &[usize], base: usize, middle_moves_up: bool) -> usize {
    let n = sizes.len();
    let total: usize = sizes.iter().sum();
    let (lo, hi) = if middle_moves_up { (0, n) } else { (1, n) };
    let mut best: Option<(usize, usize)> = None;
    let mut prefix = 0usize;
    for (i, &s) in sizes.iter().enumerate() {
        if i >= lo && i < hi {
            let left = base + prefix;
            let right = if middle_moves_up {
                base + total - prefix - s
            } else {
                base + total - prefix
            };
            let worst = left.max(right);
            if left <= PAGE_BODY && right <= PAGE_BODY && best.is_none_or(|(_, w)| worst < w) {
                best = Some((i, worst));
            }
        }
        prefix += s;
    }
    best.map_or((n / 2).max(lo).min(hi.saturating_sub(1)), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::format::{MAX_KEY_LEN, MAX_VALUE_LEN};

    #[test]
    fn leaf_split_of_largest_entries_fits() {
        let mut leaf = Leaf::default();
        for i in 0..3u8 {
            leaf.upsert(&vec![i; MAX_KEY_LEN], &vec![i; MAX_VALUE_LEN]);
        }
        assert!(leaf.size_bytes > PAGE_BODY);
        let (sep, right) = leaf.split();
        assert!(leaf.size_bytes <= PAGE_BODY && right.size_bytes <= PAGE_BODY);
        assert_eq!(sep, right.entries[0].0.clone());
        assert!(!leaf.entries.is_empty());
    }

    #[test]
    fn branch_split_moves_middle_up() {
        let keys: Vec<Bytes> = (0..20u8).map(|i| Bytes::from(vec![i; 300])).collect();
        let children = (0..21u64)
            .map(|p| {
                Child::Page(PageRef {
                    page: p + 1,
                    crc: 0,
                    txn: 1,
                })
            })
            .collect();
        let mut b = Branch::new(keys, children);
        assert!(b.size_bytes > PAGE_BODY);
        let (up, right) = b.split();
        assert!(b.size_bytes <= PAGE_BODY && right.size_bytes <= PAGE_BODY);
        assert_eq!(b.children.len(), b.keys.len() + 1);
        assert_eq!(right.children.len(), right.keys.len() + 1);
        assert!(b.keys.last().unwrap() < &up && up < right.keys[0]);
    }
}
