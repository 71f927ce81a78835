//! Online backup of a whole store ([`Store::backup`]) and its restore ([`restore`]).
//!
//! A backup is a data directory (docs/format.md, "Backup directory"): the catalog as it was when
//! the backup started, every shard it names copied by [`ShardLog::backup_to`] (sealed segments
//! hard-linked or copied, the active segment up to its durable point), the lease table through
//! [`Db::backup_to`](shardlog_checkpoint::Db::backup_to), and the catalog written last. A
//! directory without a catalog is an unfinished backup, and [`restore`] refuses it.
//!
//! ```
//! use shardlog::{PutEntry, Store, StoreOptions};
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path().join("live"), StoreOptions::default())?;
//! store.create_stream("clicks", 2)?;
//! store.put_record("clicks", PutEntry::new("user-1", b"click"))?;
//! store.backup(&dir.path().join("bak"), &|_| {})?;
//! shardlog::backup::restore(&dir.path().join("bak"), &dir.path().join("restored"), &|_| {})?;
//! let restored = Store::open(dir.path().join("restored"), StoreOptions::default())?;
//! assert_eq!(restored.describe_stream("clicks")?.shards.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`ShardLog::backup_to`]: shardlog_segment::ShardLog::backup_to

use crate::catalog::{shard_dir_name, Catalog, CATALOG_NAME};
use crate::error::{Error, Result};
use crate::store::{Shard, Store};
use crate::verify::LEASES_NAME;
use rayon::prelude::*;
use shardlog_storage::{FsStorage, MutexExt as _, Storage};
use std::path::Path;
use std::sync::Arc;

/// What [`Store::backup`] or [`restore`] wrote.
///
/// ```
/// let r = shardlog::backup::BackupReport::default();
/// assert_eq!(r.shards, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct BackupReport {
    /// Streams in the backup's catalog.
    pub streams: usize,
    /// Shards, open and closed.
    pub shards: usize,
    /// Segment files.
    pub segments: usize,
    /// Segment files hard-linked instead of copied.
    pub linked: usize,
    /// Bytes of data copied or linked.
    pub bytes: u64,
    /// Whether the lease table was copied.
    pub leases: bool,
}

impl Store {
    /// Writes a consistent backup of the whole store into `dest` (which must not exist or be an
    /// empty directory) while producers keep writing. The backup holds the streams and shards of
    /// the catalog as it was when the call started (a reshard or stream creation during the backup
    /// is not in it) and, for every one of those shards, every record acknowledged before the call
    /// started, followed by perhaps some later ones: a prefix of the shard with no gap. Sealed
    /// segments are hard-linked when `dest` is on the same file system, else copied. The catalog
    /// is written last: a directory without one is an unfinished backup. `progress` is called with
    /// the bytes of each piece written. A stream deleted during the backup may make it fail (and no
    /// catalog is written then); run it again.
    ///
    /// ```
    /// use shardlog::{PutEntry, Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path().join("live"), StoreOptions::default())?;
    /// store.create_stream("s", 1)?;
    /// store.put_record("s", PutEntry::new("k", b"v"))?;
    /// let report = store.backup(&dir.path().join("bak"), &|_| {})?;
    /// assert_eq!((report.streams, report.shards), (1, 1));
    /// assert!(dir.path().join("bak/catalog").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn backup(&self, dest: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<BackupReport> {
        require_empty(dest, "backup target")?;
        let root = FsStorage::open(dest)?;
        // The catalog and the shards it names, taken together under the catalog lock: every
        // change of either holds it, so they agree. Shards made later are not in the backup.
        let (catalog, shards) = {
            let catalog = self.inner.catalog.locked();
            let streams = self.inner.read_streams();
            let mut shards: Vec<(String, u32, Arc<Shard>)> = Vec::new();
            for meta in catalog.streams.values() {
                let stream = streams.get(&meta.name).ok_or_else(|| {
                    Error::Internal(format!("stream {} is in the catalog only", meta.name))
                })?;
                let state = stream.read();
                for s in &meta.shards {
                    let shard = state.shards.get(&s.index).ok_or_else(|| {
                        Error::Internal(format!("shard {} of {} is not open", s.index, meta.name))
                    })?;
                    shards.push((meta.dir_name(), s.index, shard.clone()));
                }
            }
            (catalog.clone(), shards)
        };
        let streams_dir = root.subdir("streams")?;
        let mut report = BackupReport {
            streams: catalog.streams.len(),
            shards: shards.len(),
            ..BackupReport::default()
        };
        let stream_dirs = catalog
            .streams
            .values()
            .map(|m| Ok((m.dir_name(), streams_dir.subdir(&m.dir_name())?)))
            .collect::<Result<std::collections::BTreeMap<_, _>>>()?;
        let done = shards
            .par_iter()
            .map(|(stream_dir, index, shard)| {
                let dir = stream_dirs[stream_dir].subdir(&shard_dir_name(*index))?;
                Ok(shard.log.backup_to(&*dir, true, progress)?)
            })
            .collect::<Result<Vec<_>>>()?;
        for d in &done {
            report.segments += d.segments;
            report.linked += d.linked;
            report.bytes += d.bytes;
        }
        let leases = self.inner.leases.locked().clone();
        let leases = match leases {
            Some(db) => Some(db),
            None if self.inner.root.list()?.iter().any(|n| n == LEASES_NAME) => Some(Arc::new(
                shardlog_checkpoint::Db::open_read_only(self.inner.root.clone(), LEASES_NAME)?,
            )),
            None => None,
        };
        if let Some(db) = leases {
            db.backup_to(&root, LEASES_NAME)?;
            report.leases = true;
        }
        // Each shard directory was synced by its copy and each directory's creation by `subdir`;
        // the catalog's rename is synced by its write. It goes last: it completes the backup.
        catalog.store(&root)?;
        Ok(report)
    }
}

/// Copies the finished backup `src` into `dest`, a new data directory (it must not exist or be an
/// empty directory: a live or used store is never overwritten), syncing every file and directory,
/// the catalog last (so a restore cut short leaves a directory that `Store::open` refuses). Refuses
/// a backup without a catalog (unfinished) or one that lacks a shard its catalog names.
/// `progress` is called with the bytes of each file copied.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("half"))?; // no catalog: not a finished backup
/// let e = shardlog::backup::restore(&dir.path().join("half"), &dir.path().join("new"), &|_| {});
/// assert!(e.unwrap_err().to_string().contains("not a finished backup"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn restore(src: &Path, dest: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<BackupReport> {
    let catalog = finished_backup(src)?;
    require_empty(dest, "restore target")?;
    let root = FsStorage::open(dest)?;
    let streams_dir = root.subdir("streams")?;
    let mut report = BackupReport {
        streams: catalog.streams.len(),
        ..BackupReport::default()
    };
    let mut shard_dirs = Vec::new();
    for m in catalog.streams.values() {
        let sdir = streams_dir.subdir(&m.dir_name())?;
        for s in &m.shards {
            let from = src
                .join("streams")
                .join(m.dir_name())
                .join(shard_dir_name(s.index));
            shard_dirs.push((from, sdir.subdir(&shard_dir_name(s.index))?));
        }
    }
    report.shards = shard_dirs.len();
    let copied = shard_dirs
        .par_iter()
        .map(|(from, to)| {
            let mut n = (0usize, 0u64);
            for name in FsStorage::open(from)?.list()? {
                if name.ends_with(".tmp") {
                    continue;
                }
                n.0 += usize::from(name.ends_with(".seg"));
                n.1 += copy_file(&from.join(&name), &**to, &name, progress)?;
            }
            to.sync_dir()?;
            Ok(n)
        })
        .collect::<Result<Vec<_>>>()?;
    report.segments = copied.iter().map(|c| c.0).sum();
    report.bytes = copied.iter().map(|c| c.1).sum();
    if src.join(LEASES_NAME).is_file() {
        report.bytes += copy_file(&src.join(LEASES_NAME), &root, LEASES_NAME, progress)?;
        report.leases = true;
    }
    root.sync_dir()?;
    catalog.store(&root)?;
    Ok(report)
}

/// The catalog of the finished backup `src`, checked against the shard directories it names.
fn finished_backup(src: &Path) -> Result<Catalog> {
    let unfinished = |why: String| {
        Error::InvalidArgument(format!(
            "{} is not a finished backup ({why}): it was interrupted or is not a backup; take a \
             new one",
            src.display()
        ))
    };
    if !src.is_dir() {
        return Err(unfinished("no such directory".into()));
    }
    let bytes = match std::fs::read(src.join(CATALOG_NAME)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(unfinished("no catalog, which a backup writes last".into()))
        }
        Err(e) => {
            return Err(shardlog_storage::Error::io("read", src.join(CATALOG_NAME), e).into())
        }
    };
    let catalog = Catalog::decode(&bytes).map_err(|reason| Error::CorruptCatalog {
        file: src.join(CATALOG_NAME),
        reason,
    })?;
    for m in catalog.streams.values() {
        for s in &m.shards {
            let dir = src
                .join("streams")
                .join(m.dir_name())
                .join(shard_dir_name(s.index));
            if !dir.join("log.meta").is_file() {
                return Err(unfinished(format!("{} is missing", dir.display())));
            }
        }
    }
    Ok(catalog)
}

/// Refuses a `path` that exists and is not an empty directory.
fn require_empty(path: &Path, what: &str) -> Result<()> {
    match std::fs::read_dir(path) {
        Ok(mut d) => match d.next() {
            None => Ok(()),
            Some(_) => Err(Error::InvalidArgument(format!(
                "{what} {} is not empty: refusing to overwrite it (a live or used store is never \
                 overwritten); name a new directory",
                path.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::InvalidArgument(format!(
            "{what} {} cannot be used: {e}",
            path.display()
        ))),
    }
}

/// Copies the file `from` into `dest` as `name` (allocated, written, synced) and returns its length.
fn copy_file(
    from: &Path,
    dest: &dyn Storage,
    name: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    use std::io::Read as _;
    let io = |op, e| Error::from(shardlog_storage::Error::io(op, from, e));
    let mut src = std::fs::File::open(from).map_err(|e| io("open", e))?;
    let len = src.metadata().map_err(|e| io("stat", e))?.len();
    let to = dest.create(name, len)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    loop {
        let n = src.read(&mut buf).map_err(|e| io("read", e))?;
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|&b| b != 0) {
            to.write_at(at, &buf[..n])?;
        }
        progress(n as u64);
        at += n as u64;
    }
    to.sync()?;
    Ok(len)
}
