//! Retention for shardlog: data expires after a per-stream window of 24 hours to 365 days.
//!
//! Policy is separated from mechanism. A policy ([`policy`]) is a pure function from a snapshot of a
//! stream's segments plus `now` to a [`Decision`] per shard; it touches no disk and is tested without
//! one. The executor ([`apply`]) carries a decision out through
//! [`ShardLog::drop_segments_before`](shardlog_segment::ShardLog::drop_segments_before), which persists
//! the new start of the log first and only then unlinks files, so a crash at any moment loses nothing
//! that should be kept and never leaves a gap in the middle of a shard.
//!
//! ```
//! use shardlog_retention::{policy, Decision, RetentionPeriod, ShardView};
//! use shardlog_segment::SegmentInfo;
//! let seg = |base, next, last_ts_ms, active| SegmentInfo {
//!     id: base + 1, base_seq: base, next_seq: next, first_ts_ms: last_ts_ms, last_ts_ms: last_ts_ms,
//!     data_bytes: 100, file_bytes: 4096, active,
//! };
//! let hour = 3_600_000;
//! let shard = ShardView { segments: vec![seg(0, 10, 0, false), seg(10, 20, 30 * hour, true)], closed_ms: None };
//! let decisions = policy::choose(&[shard], RetentionPeriod::hours(24)?, None, 26 * hour);
//! assert_eq!(decisions, vec![Decision::DropBefore(10)]);
//! # Ok::<(), shardlog_retention::Error>(())
//! ```

pub mod policy;

use shardlog_segment::{SegmentInfo, ShardLog};
use shardlog_storage::crashpoint::{self, CrashPoint};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A retention period outside 24..=8760 hours.
    #[error("retention period {hours} hours is outside 24..=8760 hours")]
    OutOfRange {
        /// The requested period.
        hours: u32,
    },
    /// The shard log refused the change.
    #[error(transparent)]
    Storage(#[from] shardlog_segment::Error),
}

/// A stream's retention period: 24 hours to 365 days.
///
/// ```
/// use shardlog_retention::RetentionPeriod;
/// assert_eq!(RetentionPeriod::hours(168).unwrap().as_millis(), 7 * 24 * 3_600_000);
/// assert!(RetentionPeriod::hours(23).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetentionPeriod(u32);

impl RetentionPeriod {
    /// Shortest period, 24 hours.
    pub const MIN_HOURS: u32 = 24;
    /// Longest period, 8,760 hours (365 days).
    pub const MAX_HOURS: u32 = 8_760;
    /// The default, 24 hours.
    pub const DEFAULT: RetentionPeriod = RetentionPeriod(24);

    /// A period of `hours`, which must lie in 24..=8760.
    pub fn hours(hours: u32) -> Result<Self, Error> {
        if (Self::MIN_HOURS..=Self::MAX_HOURS).contains(&hours) {
            Ok(RetentionPeriod(hours))
        } else {
            Err(Error::OutOfRange { hours })
        }
    }

    /// The period in hours.
    pub fn as_hours(self) -> u32 {
        self.0
    }

    /// The period in milliseconds.
    pub fn as_millis(self) -> u64 {
        u64::from(self.0) * 3_600_000
    }
}

/// One shard as the policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardView {
    /// Its segments, oldest first (from [`ShardLog::segments`]).
    pub segments: Vec<SegmentInfo>,
    /// When a reshard closed it, if it is closed.
    pub closed_ms: Option<u64>,
}

/// What to do with one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing.
    Keep,
    /// Drop the oldest segments whose records all have sequence numbers below this.
    DropBefore(u64),
    /// The shard is closed and all its data expired: remove it from the catalog and the disk.
    RemoveShard,
}

/// What [`apply`] and [`apply_merges`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Segment files deleted.
    pub segments_dropped: usize,
    /// Merges carried out.
    pub merges: usize,
}

/// Carries out a [`Decision::DropBefore`] on a shard's log (the other decisions need the engine's
/// catalog and are its to apply). File operations happen only for expired segments.
///
/// ```
/// use shardlog_retention::{apply, Decision};
/// use shardlog_segment::{LogOptions, ShardLog};
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
/// log.append(b"k", b"old").unwrap();
/// let done = apply(&log, Decision::DropBefore(1)).unwrap();
/// assert_eq!(done.segments_dropped, 1);
/// assert_eq!(log.start_seq(), 1);
/// ```
pub fn apply(log: &ShardLog, decision: Decision) -> Result<Applied, Error> {
    match decision {
        Decision::DropBefore(seq) => Ok(Applied {
            segments_dropped: log.drop_segments_before(seq)?,
            merges: 0,
        }),
        Decision::Keep | Decision::RemoveShard => Ok(Applied::default()),
    }
}

/// Merges runs of small sealed segments (from [`policy::merges`]); a run that changed meanwhile (for
/// example because retention dropped part of it) is skipped, not an error.
///
/// ```
/// use shardlog_retention::apply_merges;
/// use shardlog_segment::{LogOptions, ShardLog};
/// use shardlog_storage::SimDisk;
/// use std::sync::Arc;
/// let log = ShardLog::open(Arc::new(SimDisk::new(1)), LogOptions::default()).unwrap();
/// assert_eq!(apply_merges(&log, &[]).unwrap().merges, 0);
/// ```
pub fn apply_merges(log: &ShardLog, runs: &[Vec<u64>]) -> Result<Applied, Error> {
    let mut done = Applied::default();
    for run in runs {
        // A pass is cut short between merges as often as inside one.
        crashpoint::hit(CrashPoint::RetentionBetweenMerges);
        match log.compact(run) {
            Ok(_) => {
                done.merges += 1;
                done.segments_dropped += run.len() - 1;
            }
            Err(shardlog_segment::Error::InvalidOptions(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}
