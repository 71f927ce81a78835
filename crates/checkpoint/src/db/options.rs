//! What a `Db` is opened with ([`Options`]) and what it reports ([`DbInfo`], [`VerifyReport`]).

use super::*;

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
    pub log_capacity_bytes: u64,
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
