//! Retention in the engine: retention periods (Kinesis rules), passes over every shard, and the
//! background thread that runs them.

use crate::catalog::StreamMeta;
use crate::error::{Error, Result};
use crate::names::ACCOUNT;
use crate::store::{Store, StoreInner, Stream};
use rayon::prelude::*;
use shardlog_retention::{apply, apply_merges, policy, Decision, RetentionPeriod, ShardView};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// What one retention pass did.
///
/// ```
/// use shardlog::RetentionReport;
/// assert_eq!(RetentionReport::default().segments_dropped, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Segment files deleted.
    pub segments_dropped: usize,
    /// Closed shards whose data had all expired, removed from the catalog and the disk.
    pub shards_removed: usize,
    /// Runs of small sealed segments merged into one (sequence numbers unchanged).
    pub merges: usize,
}

impl Store {
    /// Raises a stream's retention period (Kinesis `IncreaseStreamRetentionPeriod`): the new value must
    /// be at least the current one and at most 8,760 hours.
    pub fn increase_retention_period(&self, name: &str, hours: u32) -> Result<()> {
        self.update_meta(name, |meta| {
            let current = meta.retention_hours;
            if hours < current {
                return Err(Error::InvalidArgument(format!(
                    "Requested retention period ({hours} hours) for stream {name} can not be shorter than existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
                )));
            }
            meta.retention_hours = check_hours(hours)?.as_hours();
            Ok(())
        })
    }

    /// Lowers a stream's retention period (Kinesis `DecreaseStreamRetentionPeriod`): the new value must
    /// be at most the current one and at least 24 hours. Data older than the new period goes at the
    /// next retention pass.
    pub fn decrease_retention_period(&self, name: &str, hours: u32) -> Result<()> {
        self.update_meta(name, |meta| {
            let current = meta.retention_hours;
            if hours > current {
                return Err(Error::InvalidArgument(format!(
                    "Requested retention period ({hours} hours) for stream {name} can not be longer than existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
                )));
            }
            meta.retention_hours = check_hours(hours)?.as_hours();
            Ok(())
        })
    }

    /// Caps the bytes a stream keeps on disk (`None`: no cap, the default); the oldest segments go
    /// first at the next pass, never an open shard's active segment.
    pub fn set_size_cap(&self, name: &str, bytes: Option<u64>) -> Result<()> {
        self.update_meta(name, |meta| {
            meta.size_cap_bytes = bytes;
            Ok(())
        })
    }

    /// Runs one retention pass over every stream now, shards in parallel.
    ///
    /// ```
    /// use shardlog::{Store, StoreOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    /// store.create_stream("s", 1).unwrap();
    /// assert_eq!(store.enforce_retention().unwrap().segments_dropped, 0);
    /// ```
    pub fn enforce_retention(&self) -> Result<RetentionReport> {
        let streams: Vec<Arc<Stream>> = self.inner.read_streams().values().cloned().collect();
        let mut report = RetentionReport::default();
        for stream in streams {
            shardlog_segment::crashpoint::hit("retention-between-shards");
            let r = self.enforce_stream(&stream)?;
            report.segments_dropped += r.segments_dropped;
            report.shards_removed += r.shards_removed;
            report.merges += r.merges;
        }
        Ok(report)
    }

    fn enforce_stream(&self, stream: &Stream) -> Result<RetentionReport> {
        let now = self.inner.now_ms();
        let (meta, shards) = {
            let state = stream.read();
            let shards: Vec<_> = state
                .meta
                .shards
                .iter()
                .filter_map(|m| Some((m.clone(), state.shards.get(&m.index)?.clone())))
                .collect();
            (state.meta.clone(), shards)
        };
        let views: Vec<ShardView> = shards
            .iter()
            .map(|(m, s)| ShardView {
                segments: s.log.segments(),
                closed_ms: m.closed.map(|c| c.at_ms),
            })
            .collect();
        let period =
            RetentionPeriod::hours(meta.retention_hours).unwrap_or(RetentionPeriod::DEFAULT);
        let decisions = policy::choose(&views, period, meta.size_cap_bytes, now);
        let segment_bytes = self.inner.opts.segment_bytes;
        let applied: Vec<Result<shardlog_retention::Applied>> = shards
            .par_iter()
            .zip(&decisions)
            .map(|((_, shard), d)| {
                let mut done = apply(&shard.log, *d).map_err(retention_error)?;
                if *d != Decision::RemoveShard {
                    // Compaction after expiry, on what is left.
                    let view = ShardView {
                        segments: shard.log.segments(),
                        closed_ms: None,
                    };
                    let runs = policy::merges(&view, segment_bytes);
                    let merged = apply_merges(&shard.log, &runs).map_err(retention_error)?;
                    done.segments_dropped += merged.segments_dropped;
                    done.merges += merged.merges;
                }
                Ok(done)
            })
            .collect();
        let mut report = RetentionReport::default();
        for a in applied {
            let a = a?;
            report.segments_dropped += a.segments_dropped;
            report.merges += a.merges;
        }
        let doomed: Vec<u32> = shards
            .iter()
            .zip(&decisions)
            .filter(|(_, d)| **d == Decision::RemoveShard)
            .map(|((m, _), _)| m.index)
            .collect();
        if !doomed.is_empty() {
            report.shards_removed = self.remove_shards(&meta, &doomed)?;
        }
        Ok(report)
    }

    /// Removes expired closed shards: the catalog forgets them first, then their files go.
    fn remove_shards(&self, meta: &StreamMeta, doomed: &[u32]) -> Result<usize> {
        let name = meta.name.clone();
        self.update_meta(&name, |m| {
            m.shards
                .retain(|s| !doomed.contains(&s.index) || s.closed.is_none());
            Ok(())
        })?;
        let stream = self.inner.stream(&name)?;
        {
            let mut state = stream.write();
            for i in doomed {
                state.shards.remove(i);
            }
        }
        for i in doomed {
            let dir = crate::catalog::shard_dir_name(*i);
            stream.dir.remove_dir(&dir).map_err(Error::from)?;
        }
        stream.dir.sync_dir()?;
        Ok(doomed.len())
    }
}

fn check_hours(hours: u32) -> Result<RetentionPeriod> {
    if hours < RetentionPeriod::MIN_HOURS {
        return Err(Error::InvalidArgument(format!(
            "Minimum allowed retention period is 24 hours. Requested retention period ({hours} hours) is too short."
        )));
    }
    RetentionPeriod::hours(hours).map_err(|_| {
        Error::InvalidArgument(format!(
            "Maximum allowed retention period is 8760 hours. Requested retention period ({hours} hours) is too long."
        ))
    })
}

fn retention_error(e: shardlog_retention::Error) -> Error {
    match e {
        shardlog_retention::Error::Storage(e) => Error::Storage(e),
        other => Error::InvalidArgument(format!("{other} (account {ACCOUNT})")),
    }
}

/// Starts the background retention thread: a pass every `every` until the store is dropped.
pub(crate) fn spawn_retention(inner: Weak<StoreInner>, every: Duration) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("shardlog-retention".into())
        .spawn(move || loop {
            std::thread::park_timeout(every);
            let Some(inner) = inner.upgrade() else { return };
            if inner.stopping.load(std::sync::atomic::Ordering::Acquire) {
                return;
            }
            // Errors are retried at the next pass; a poisoned shard reports itself to writers.
            let _ = Store { inner }.enforce_retention();
        })
        .ok()
}
