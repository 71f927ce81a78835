//! Read-only check of a whole data directory for operators (`shardlog verify`).
//!
//! [`verify_store`] reads the catalog, every shard log of every stream it names (in parallel across
//! shards, through [`shardlog_segment::verify::verify_shard`]) and the lease table's checkpoint file
//! (through [`shardlog_checkpoint::check_file`]). It takes no lock and writes nothing, so it runs
//! beside a server that has the store open.
//!
//! ```
//! use shardlog::{Store, StoreOptions};
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), StoreOptions::default())?;
//! store.create_stream("clicks", 2)?;
//! let check = shardlog::verify::verify_store(dir.path(), None, &|_| {})?;
//! assert!(check.findings.is_empty());
//! assert_eq!(check.shards, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::catalog::{shard_dir_name, Catalog, StreamMeta, CATALOG_NAME};
use crate::error::{Error, Result};
use rayon::prelude::*;
use shardlog_segment::verify::{verify_shard, DamageKind};
use std::path::{Path, PathBuf};

/// Name of the lease table's checkpoint file in the data directory.
pub(crate) const LEASES_NAME: &str = "leases.db";

/// What kind of damage a [`Finding`] reports.
///
/// ```
/// use shardlog::verify::FindingKind;
/// assert_eq!(FindingKind::Catalog.as_str(), "catalog");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// Damage inside a shard log (see [`DamageKind`]).
    Shard(DamageKind),
    /// The catalog is missing (with stream directories present) or fails its checks.
    Catalog,
    /// A shard or stream directory the catalog names is missing.
    MissingShard,
    /// The lease table's checkpoint file is damaged.
    Checkpoint,
}

impl FindingKind {
    /// A stable lower-case name (used in `--json` output).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Shard(k) => k.as_str(),
            FindingKind::Catalog => "catalog",
            FindingKind::MissingShard => "missing-shard",
            FindingKind::Checkpoint => "checkpoint",
        }
    }
}

/// One piece of damage: where, what it means, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The damaged file (or missing directory).
    pub file: PathBuf,
    /// Byte offset of the damaged structure in `file`.
    pub offset: u64,
    /// What kind of damage.
    pub kind: FindingKind,
    /// What failed and what it means for the data.
    pub meaning: String,
    /// What the operator can do.
    pub advice: String,
}

/// The result of [`verify_store`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreCheck {
    /// Damage found; empty when the store is sound.
    pub findings: Vec<Finding>,
    /// Streams checked.
    pub streams: usize,
    /// Shards checked.
    pub shards: usize,
    /// Segments checked.
    pub segments: usize,
    /// Records in the valid frames of every segment checked.
    pub records: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Whether the lease table's file exists and was checked.
    pub checked_leases: bool,
}

/// The shards [`verify_store`] will read and the bytes of their files: the total that its progress
/// calls add up to.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// # drop(shardlog::Store::open(dir.path(), Default::default())?);
/// assert_eq!(shardlog::verify::planned_bytes(dir.path(), None)?, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn planned_bytes(dir: &Path, stream: Option<&str>) -> Result<u64> {
    let (catalog, _) = load_catalog(dir)?;
    let shards = catalog
        .as_ref()
        .map(|c| shards_of(dir, c, stream))
        .unwrap_or_default();
    Ok(shards.iter().map(|(_, _, d)| dir_bytes(d)).sum())
}

/// Checks the data directory `dir` (only stream `stream` if given) without changing anything.
/// `progress` is called with bytes covered: each read, and at the end of each shard the bytes of
/// its files that needed no reading (unwritten preallocated space), so that the calls add up to
/// about [`planned_bytes`]. Damage is returned as findings; an error means the directory could not
/// be read at all or `stream` is not in the catalog.
pub fn verify_store(
    dir: &Path,
    stream: Option<&str>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<StoreCheck> {
    let mut out = StoreCheck::default();
    if !dir.is_dir() {
        return Err(io_error("open", dir, std::io::ErrorKind::NotFound.into()));
    }
    let (catalog, finding) = load_catalog(dir)?;
    out.findings.extend(finding);
    if let Some(catalog) = &catalog {
        if let Some(s) = stream {
            if !catalog.streams.contains_key(s) {
                return Err(Error::ResourceNotFound(format!(
                    "stream {s} is not in the catalog of {}",
                    dir.display()
                )));
            }
        }
        out.streams = catalog
            .streams
            .keys()
            .filter(|n| stream.is_none_or(|s| s == n.as_str()))
            .count();
        let shards = shards_of(dir, catalog, stream);
        out.shards = shards.len();
        let results: Vec<(
            PathBuf,
            std::io::Result<shardlog_segment::verify::ShardCheck>,
        )> = shards
            .par_iter()
            .map(|(_, _, shard_dir)| {
                let r = if shard_dir.is_dir() {
                    let r = verify_shard(shard_dir, progress);
                    if let Ok(c) = &r {
                        progress(dir_bytes(shard_dir).saturating_sub(c.bytes_read));
                    }
                    r
                } else {
                    Err(std::io::ErrorKind::NotFound.into())
                };
                (shard_dir.clone(), r)
            })
            .collect();
        for ((stream_name, index, _), (shard_dir, r)) in shards.iter().zip(results) {
            match r {
                Ok(c) => {
                    out.segments += c.segments.len();
                    out.records += c.segments.iter().map(|s| s.records).sum::<u64>();
                    out.bytes_read += c.bytes_read;
                    out.findings.extend(c.findings.into_iter().map(|f| Finding {
                        file: f.file,
                        offset: f.offset,
                        kind: FindingKind::Shard(f.kind),
                        meaning: f.meaning,
                        advice: f.advice,
                    }));
                }
                Err(e) => out.findings.push(Finding {
                    file: shard_dir,
                    offset: 0,
                    kind: FindingKind::MissingShard,
                    meaning: format!(
                        "shard {index} of stream {stream_name} cannot be read ({e}): the catalog \
                         names it, so the store refuses to open"
                    ),
                    advice: "restore the shard directory from a backup".into(),
                }),
            }
        }
    }
    if stream.is_none() && dir.join(LEASES_NAME).exists() {
        out.checked_leases = true;
        let storage = shardlog_storage::FsStorage::open(dir)
            .map_err(|e| Error::Storage(shardlog_segment::Error::Storage(e)))?;
        let check = shardlog_checkpoint::check_file(std::sync::Arc::new(storage), LEASES_NAME)?;
        out.bytes_read += check.file_bytes;
        progress(check.file_bytes);
        out.findings
            .extend(check.damage.into_iter().map(|(offset, reason)| {
                Finding {
                    file: dir.join(LEASES_NAME),
                    offset,
                    kind: FindingKind::Checkpoint,
                    meaning: format!("lease table: {reason}"),
                    advice: "consumer leases and checkpoints may be lost or stale: copy the file \
                         aside; opening the store recovers the last sound commit when one slot \
                         is sound, else restore leases.db from a backup (Db::backup_to)"
                        .into(),
                }
            }));
    }
    Ok(out)
}

fn io_error(op: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::Storage(shardlog_segment::Error::Storage(
        shardlog_storage::Error::io(op, path, e),
    ))
}

/// The catalog (`None` for a store without one) and a finding if it is missing or damaged.
pub(crate) fn load_catalog(dir: &Path) -> Result<(Option<Catalog>, Option<Finding>)> {
    let path = dir.join(CATALOG_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let has_streams = std::fs::read_dir(dir.join("streams"))
                .map(|mut d| d.next().is_some())
                .unwrap_or(false);
            let finding = has_streams.then(|| Finding {
                file: path,
                offset: 0,
                kind: FindingKind::Catalog,
                meaning: "the catalog is missing but streams/ holds stream directories: the \
                          store refuses to open"
                    .into(),
                advice: "restore the catalog from a backup; do not delete streams/".into(),
            });
            return Ok((None, finding));
        }
        Err(e) => return Err(io_error("read", &path, e)),
    };
    match Catalog::decode(&bytes) {
        Ok(c) => Ok((Some(c), None)),
        Err(reason) => Ok((
            None,
            Some(Finding {
                file: path,
                offset: catalog_offset(&reason),
                kind: FindingKind::Catalog,
                meaning: format!(
                    "the catalog fails its check ({reason}): stream names, shards and lineage \
                     cannot be read, so the store refuses to open and the shards were not checked"
                ),
                advice: "restore the catalog from a backup; do not delete streams/".into(),
            }),
        )),
    }
}

/// The byte the catalog check that failed looks at (header fields, or the body).
fn catalog_offset(reason: &str) -> u64 {
    if reason.contains("magic") {
        0
    } else if reason.contains("version") {
        8
    } else if reason.contains("reserved") {
        10
    } else if reason.contains("length") {
        12
    } else if reason.contains("checksum") || reason.contains("body") {
        20
    } else {
        0
    }
}

/// (stream, shard index, shard directory) of every shard of the selected streams.
pub(crate) fn shards_of(
    dir: &Path,
    catalog: &Catalog,
    stream: Option<&str>,
) -> Vec<(String, u32, PathBuf)> {
    catalog
        .streams
        .values()
        .filter(|m| stream.is_none_or(|s| s == m.name))
        .flat_map(|m: &StreamMeta| {
            let sdir = dir.join("streams").join(m.dir_name());
            m.shards
                .iter()
                .map(move |s| (m.name.clone(), s.index, sdir.join(shard_dir_name(s.index))))
        })
        .collect()
}

/// Bytes of the files directly in `dir`.
pub(crate) fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
