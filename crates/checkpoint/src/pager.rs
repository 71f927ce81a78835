//! Checked page loads and a small cache of decoded nodes.
//!
//! Every page read from the file is verified three ways before it is used: its checksum, seeded with
//! its page number (a page written to or read from the wrong place fails); the checksum its parent
//! (or the commit slot) recorded for it (a stale page, left from before a lost write, fails); and a
//! structural decode (lengths, limits, key order). Cached nodes are keyed by page number and carry
//! their checksum, so a cached node is used only when the reference asks for exactly that content.

use crate::error::{Error, Result};
use crate::format::{self, PageRef, PAGE_SIZE};
use crate::node::{Child, Node};
use shardlog_storage::MutexExt as _;
use shardlog_storage::StorageFile;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Loads and caches pages of one database file.
#[derive(Debug)]
pub(crate) struct Pager {
    path: PathBuf,
    cache: Mutex<HashMap<u64, (u32, Arc<Node>)>>,
    capacity_nodes: usize,
}

impl Pager {
    pub(crate) fn new(path: PathBuf, capacity_nodes: usize) -> Pager {
        Pager {
            path,
            cache: Mutex::new(HashMap::new()),
            capacity_nodes,
        }
    }

    /// The file's path, for errors.
    pub(crate) fn path(&self) -> &PathBuf {
        &self.path
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (u32, Arc<Node>)>> {
        // The cache holds only verified, immutable nodes; a panic elsewhere cannot leave it invalid.
        self.cache.locked()
    }

    /// Remembers a node just written (its children are all page references).
    pub(crate) fn remember(&self, r: PageRef, node: Arc<Node>) {
        let mut cache = self.cache();
        if cache.len() >= self.capacity_nodes && !cache.contains_key(&r.page) {
            // Evict an arbitrary entry: the cache only saves decoding, correctness never depends on it.
            if let Some(&victim) = cache.keys().next() {
                cache.remove(&victim);
            }
        }
        if self.capacity_nodes > 0 {
            cache.insert(r.page, (r.crc, node));
        }
    }

    /// Reads and checks one page of any kind; returns its bytes and header.
    pub(crate) fn read_checked(
        &self,
        file: &dyn StorageFile,
        r: PageRef,
        page_count: u64,
    ) -> Result<(Vec<u8>, format::PageHeader)> {
        let offset = format::page_offset(r.page);
        if r.page == 0 || r.page >= page_count {
            return Err(Error::corrupt(
                &self.path,
                offset,
                format!(
                    "reference to page {} outside the {page_count} allocated pages",
                    r.page
                ),
            ));
        }
        let mut buf = vec![0u8; PAGE_SIZE];
        file.read_at(offset, &mut buf)?;
        let h =
            format::check_page(&buf, r.page).map_err(|e| Error::corrupt(&self.path, offset, e))?;
        if h.crc != r.crc || h.txn != r.txn {
            return Err(Error::corrupt(
                &self.path,
                offset,
                format!(
                    "stale page {}: its parent expects checksum {:#010x} from transaction {}, the \
                     page has {:#010x} from transaction {}",
                    r.page, r.crc, r.txn, h.crc, h.txn
                ),
            ));
        }
        Ok((buf, h))
    }

    /// Loads the tree node at `r`.
    pub(crate) fn load(
        &self,
        file: &dyn StorageFile,
        r: PageRef,
        page_count: u64,
    ) -> Result<Arc<Node>> {
        if let Some((crc, node)) = self.cache().get(&r.page) {
            if *crc == r.crc {
                return Ok(node.clone());
            }
        }
        let (buf, h) = self.read_checked(file, r, page_count)?;
        let node = crate::page::decode_node(&buf, &h)
            .map_err(|e| Error::corrupt(&self.path, format::page_offset(r.page), e))?;
        let node = Arc::new(node);
        self.remember(r, node.clone());
        Ok(node)
    }

    /// Loads a whole free-list chain starting at `head`: the pages of the chain and the pages it lists.
    pub(crate) fn load_free_list(
        &self,
        file: &dyn StorageFile,
        head: Option<PageRef>,
        page_count: u64,
    ) -> Result<(Vec<u64>, Vec<u64>)> {
        let (mut chain, mut listed) = (Vec::new(), Vec::new());
        let mut next = head;
        while let Some(r) = next {
            if chain.len() as u64 >= page_count {
                return Err(Error::corrupt(
                    &self.path,
                    format::page_offset(r.page),
                    "free-list chain longer than the file (a cycle)",
                ));
            }
            let (buf, h) = self.read_checked(file, r, page_count)?;
            let (pages, after) = format::decode_free(&buf, &h)
                .map_err(|e| Error::corrupt(&self.path, format::page_offset(r.page), e))?;
            chain.push(r.page);
            listed.extend(pages);
            next = after;
        }
        Ok((chain, listed))
    }
}

/// Where a tree's committed pages come from: the pager, the file handle of the snapshot, and the
/// page count of its commit (references at or past it are corrupt).
#[derive(Clone, Copy)]
pub(crate) struct Src<'a> {
    pub(crate) pager: &'a Pager,
    pub(crate) file: &'a dyn StorageFile,
    pub(crate) page_count: u64,
}

impl Src<'_> {
    /// The node a child reference names.
    pub(crate) fn node(&self, c: &Child) -> Result<Arc<Node>> {
        match c {
            Child::Page(r) => self.pager.load(self.file, *r, self.page_count),
            Child::Dirty(n) => Ok(n.clone()),
        }
    }

    /// A corruption error about the tree (no single page to blame: the depth bound).
    pub(crate) fn too_deep(&self, c: &Child) -> Error {
        self.corrupt(
            c,
            "tree deeper than its commit record says (a cycle or a misplaced page)",
        )
    }

    /// A corruption error located at the page `c` names (offset 0 for a dirty node).
    pub(crate) fn corrupt(&self, c: &Child, reason: impl Into<String>) -> Error {
        let offset = match c {
            Child::Page(r) => format::page_offset(r.page),
            Child::Dirty(_) => 0,
        };
        Error::corrupt(self.pager.path(), offset, reason)
    }
}
