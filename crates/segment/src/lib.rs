//! Durable, append-only segment storage for one shard of a shardlog stream.
//!
//! A [`ShardLog`] is a chain of preallocated segment files. Records get sequence numbers that are
//! strictly increasing and never reused, also across crashes and after every segment was deleted.
//! Appends are durable as the chosen [`Durability`] says; concurrent appenders share syncs. Readers
//! find a record by sequence number or arrival time through a sparse index and never see bytes past
//! the published end. Recovery cuts a torn tail and reports any other damage with file and offset.
//!
//! All I/O goes through `shardlog_storage::Storage`, implemented by `FsStorage` (real files) and
//! `SimDisk` (a simulated disk for power-cut and I/O-error tests).
//!
//! ```
//! use shardlog_segment::{LogOptions, Position, ShardLog};
//! use shardlog_storage::FsStorage;
//! use std::sync::Arc;
//!
//! let dir = tempfile::tempdir()?;
//! let log = ShardLog::open(Arc::new(FsStorage::open(dir.path())?), LogOptions::default())?;
//! let seqs = log.append_batch(&[("user-7", "click"), ("user-7", "purchase")])?;
//! let batch = log.read(seqs.start, 10, 1 << 20)?;
//! assert_eq!(batch.records[1].data, b"purchase"[..]);
//! assert_eq!(log.seek(Position::Latest)?, seqs.end);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backup;
pub mod codec;
mod compact;
mod error;
mod handoff;
mod header;
mod index;
pub mod inspect;
mod log;
mod meta;
mod open_files;
mod options;
mod read;
mod recovery;
pub mod repair;
mod seal;
mod segment;
mod spare;
mod state;
mod trim;
pub mod verify;
mod workers;

/// The side-file decoders, reachable for the fuzz targets in `fuzz/` (not a supported API).
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::index::{IndexEntry, IndexFile, SparseIndex};
    pub use crate::meta::LogMeta;
}

pub use backup::ShardBackup;
pub use error::{Error, Result};

pub use log::{SegmentInfo, ShardLog};
pub use open_files::{OpenSegments, DEFAULT_OPEN_SEGMENTS};
pub use options::{
    Clock, Durability, LogOptions, RecoveryMode, FIRST_SEGMENT_BYTES, MAX_SEGMENT_BYTES,
    MIN_SEGMENT_BYTES,
};
pub use read::{Position, ReadBatch, Record, SharedRecord};
pub use workers::background_threads;
