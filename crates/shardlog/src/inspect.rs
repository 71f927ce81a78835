//! Read-only summary of a data directory for operators (`shardlog inspect`): streams, shards and
//! their lineage, segments, sizes, record times, retention, consumers and leases. Takes no lock and
//! writes nothing. Times come from the segments' index files and marks (no scan), so a figure of a
//! segment without them is left out.
//!
//! ```
//! use shardlog::{Store, StoreOptions};
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), StoreOptions::default())?;
//! store.create_stream("clicks", 1)?;
//! let summary = shardlog::inspect::summarize(dir.path())?;
//! assert_eq!(summary.streams[0].name, "clicks");
//! assert_eq!(summary.streams[0].shards.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::consumer::{Lease, LeaseOptions, LeaseTable};
use crate::error::{Error, Result};
use crate::names::ShardId;
use crate::verify::{dir_bytes, load_catalog, LEASES_NAME};
use shardlog_segment::inspect::dump_segment;
use std::path::Path;
use std::sync::Arc;

/// A store's summary.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreSummary {
    /// Streams in the catalog, by name.
    pub streams: Vec<StreamSummary>,
    /// Leases in the lease table (empty if it does not exist).
    pub leases: Vec<Lease>,
    /// Why the lease table could not be read, if it exists and could not.
    pub leases_error: Option<String>,
}

/// One stream.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamSummary {
    /// Name.
    pub name: String,
    /// Incarnation (the directory is `<name>.<incarnation>`).
    pub incarnation: u32,
    /// `Provisioned` or `OnDemand`.
    pub mode: String,
    /// Retention period in hours.
    pub retention_hours: u32,
    /// Cap on the stream's bytes, if set.
    pub size_cap_bytes: Option<u64>,
    /// Registered enhanced fan-out consumers.
    pub consumers: Vec<String>,
    /// Shards, open and closed.
    pub shards: Vec<ShardSummary>,
}

/// One shard.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShardSummary {
    /// Shard id, e.g. `shardId-000000000000`.
    pub id: String,
    /// Parent shard id.
    pub parent: Option<String>,
    /// Adjacent parent shard id (merges).
    pub adjacent_parent: Option<String>,
    /// Child shard ids.
    pub children: Vec<String>,
    /// Closed by a reshard.
    pub closed: bool,
    /// Hash-key range, inclusive.
    pub hash_range: (u128, u128),
    /// Segment files.
    pub segments: usize,
    /// Bytes of its files.
    pub bytes: u64,
    /// Oldest record time (ms since the epoch), if known without a scan.
    pub oldest_ms: Option<u64>,
    /// Newest record time (ms since the epoch), if known without a scan.
    pub newest_ms: Option<u64>,
}

/// Summarizes the data directory `dir` without changing anything.
pub fn summarize(dir: &Path) -> Result<StoreSummary> {
    let (catalog, finding) = load_catalog(dir)?;
    if let Some(f) = finding {
        return Err(Error::CorruptCatalog {
            file: f.file,
            reason: f.meaning,
        });
    }
    let mut out = StoreSummary {
        streams: Vec::new(),
        leases: Vec::new(),
        leases_error: None,
    };
    for m in catalog.iter().flat_map(|c| c.streams.values()) {
        let sdir = dir.join("streams").join(m.dir_name());
        let id = |i: u32| ShardId(i).to_string();
        let shards = m
            .shards
            .iter()
            .map(|s| {
                let shard_dir = sdir.join(crate::catalog::shard_dir_name(s.index));
                let (segments, oldest_ms, newest_ms) = segment_times(&shard_dir);
                ShardSummary {
                    id: id(s.index),
                    parent: s.parent.map(id),
                    adjacent_parent: s.adjacent_parent.map(id),
                    children: m.children_of(s.index).map(|c| id(c.index)).collect(),
                    closed: s.closed.is_some(),
                    hash_range: (s.start_hash, s.end_hash),
                    segments,
                    bytes: dir_bytes(&shard_dir),
                    oldest_ms,
                    newest_ms,
                }
            })
            .collect();
        out.streams.push(StreamSummary {
            name: m.name.clone(),
            incarnation: m.incarnation,
            mode: format!("{:?}", m.mode),
            retention_hours: m.retention_hours,
            size_cap_bytes: m.size_cap_bytes,
            consumers: m.consumers.iter().map(|c| c.name.clone()).collect(),
            shards,
        });
    }
    if dir.join(LEASES_NAME).exists() {
        match read_leases(dir) {
            Ok(l) => out.leases = l,
            Err(e) => out.leases_error = Some(e.to_string()),
        }
    }
    Ok(out)
}

fn read_leases(dir: &Path) -> Result<Vec<Lease>> {
    let storage = shardlog_storage::FsStorage::open(dir)
        .map_err(|e| Error::Storage(shardlog_segment::Error::Storage(e)))?;
    let db = shardlog_checkpoint::Db::open_read_only(Arc::new(storage), LEASES_NAME)?;
    let table = LeaseTable::new(Arc::new(db), LeaseOptions::default())?;
    let mut all = Vec::new();
    for app in table.applications()? {
        all.extend(table.list(&app)?);
    }
    Ok(all)
}

/// (segment files, oldest record time, newest record time) of a shard directory, from the first
/// segment's first frame and the newest segment's index or newest mark.
fn segment_times(dir: &Path) -> (usize, Option<u64>, Option<u64>) {
    let mut segs: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| Some(e.ok()?.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "seg"))
                .collect()
        })
        .unwrap_or_default();
    segs.sort();
    let oldest = segs
        .first()
        .and_then(|p| dump_segment(p, 0, 1).ok())
        .and_then(|d| d.records.first().map(|r| r.timestamp_ms));
    let newest = segs
        .last()
        .and_then(|p| dump_segment(p, u64::MAX, 0).ok())
        .and_then(|d| {
            let from_idx = d.index.and_then(|i| i.ok()).map(|i| i.last_ts_ms);
            let from_mark = d.marks.iter().flatten().map(|m| m.last_ts_ms).max();
            from_idx.max(from_mark)
        });
    (segs.len(), oldest, newest.or(oldest))
}
