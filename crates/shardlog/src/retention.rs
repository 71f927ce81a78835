//! Retention in the engine: retention periods (Kinesis rules), passes over every shard, and the
//! background thread that runs them.

use crate::catalog::StreamMeta;
use crate::error::{Error, Result};
use crate::store::{Store, StoreInner, Stream};
use rayon::prelude::*;
use shardlog_retention::{apply, apply_merges, policy, Decision, RetentionPeriod, ShardView};
use shardlog_storage::crashpoint::{self, CrashPoint};
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
    /// How far behind the wall clock this pass's `now` was held, in milliseconds: non-zero only
    /// when the wall clock ran ahead of the time that really passed (see
    /// [`StoreOptions::retention_clock_step`](crate::StoreOptions::retention_clock_step)).
    pub clock_held_back_ms: u64,
}

impl Store {
    /// Raises a stream's retention period (Kinesis `IncreaseStreamRetentionPeriod`): the new value must
    /// be at least the current one and at most 8,760 hours.
    pub fn increase_retention_period(&self, name: &str, hours: u32) -> Result<()> {
        self.updating(name, || self.update_retention(name, |meta| {
            let current = meta.retention_hours;
            if hours < current {
                return Err(Error::InvalidArgument(format!(
                    "Requested retention period ({hours} hours) for stream {name} can not be shorter than existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
                )));
            }
            meta.retention_hours = check_hours(hours)?.as_hours();
            Ok(())
        }))
    }

    /// Lowers a stream's retention period (Kinesis `DecreaseStreamRetentionPeriod`): the new value must
    /// be at most the current one and at least 24 hours. Data older than the new period goes at the
    /// next retention pass.
    pub fn decrease_retention_period(&self, name: &str, hours: u32) -> Result<()> {
        self.updating(name, || self.update_retention(name, |meta| {
            let current = meta.retention_hours;
            if hours > current {
                return Err(Error::InvalidArgument(format!(
                    "Requested retention period ({hours} hours) for stream {name} can not be longer than existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
                )));
            }
            meta.retention_hours = check_hours(hours)?.as_hours();
            Ok(())
        }))
    }

    /// Caps the bytes a stream keeps on disk (`None`: no cap, the default); the oldest segments go
    /// first at the next pass, never an open shard's active segment.
    pub fn set_size_cap(&self, name: &str, bytes: Option<u64>) -> Result<()> {
        self.update_retention(name, |meta| {
            meta.size_cap_bytes = bytes;
            Ok(())
        })
    }

    /// Changes a stream's retention settings between passes: a pass in progress on the stream
    /// finishes first, and the next one sees the new settings.
    fn update_retention(
        &self,
        name: &str,
        change: impl FnOnce(&mut StreamMeta) -> Result<()>,
    ) -> Result<()> {
        let stream = self.inner.stream(name)?;
        let _pass = stream.lock_retention();
        self.update_stream_meta(&stream, change)
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
        let _admitted = self.inner.life.admit()?;
        let streams: Vec<Arc<Stream>> = self.inner.read_streams().values().cloned().collect();
        let time = self.inner.retention_clock.pass_time(&self.inner.opts.clock);
        let mut report = RetentionReport {
            clock_held_back_ms: time.held_back_ms,
            ..RetentionReport::default()
        };
        for stream in streams {
            crashpoint::hit(CrashPoint::RetentionBetweenShards);
            let plan = self.decide(&stream, time.now_ms);
            let r = self.carry_out(&stream, plan)?;
            report.segments_dropped += r.segments_dropped;
            report.shards_removed += r.shards_removed;
            report.merges += r.merges;
        }
        Ok(report)
    }

    /// What a pass would do to `stream` at `now`.
    fn decide(&self, stream: &Stream, now: u64) -> Plan {
        let state = stream.read();
        let shards: Vec<_> = state
            .meta
            .shards
            .iter()
            .filter_map(|m| Some((m.clone(), state.shards.get(&m.index)?.clone())))
            .collect();
        let (retention_hours, size_cap_bytes) =
            (state.meta.retention_hours, state.meta.size_cap_bytes);
        drop(state);
        let views: Vec<ShardView> = shards
            .iter()
            .map(|(m, s)| ShardView {
                segments: s.log.segments(),
                closed_ms: m.closed.map(|c| c.at_ms),
            })
            .collect();
        let period = RetentionPeriod::hours(retention_hours).unwrap_or(RetentionPeriod::DEFAULT);
        let decisions = policy::choose(&views, period, size_cap_bytes, now);
        Plan {
            now,
            retention_hours,
            size_cap_bytes,
            shards: shards.into_iter().map(|(_, s)| s).zip(decisions).collect(),
        }
    }

    /// Carries out a plan: expiry, then compaction of what is left, then removal of expired shards.
    /// Holds the stream's retention lock throughout, so passes over one stream never overlap and
    /// retention settings change only between them; a plan made from settings changed since is
    /// made again first.
    fn carry_out(&self, stream: &Arc<Stream>, plan: Plan) -> Result<RetentionReport> {
        let _pass = stream.lock_retention();
        if !self.inner.is_current(stream) {
            // Deleted (and maybe created again) since the plan was made: nothing of it is ours.
            return Ok(RetentionReport::default());
        }
        let current = {
            let meta = &stream.read().meta;
            (meta.retention_hours, meta.size_cap_bytes)
        };
        let plan = if current == (plan.retention_hours, plan.size_cap_bytes) {
            plan
        } else {
            self.decide(stream, plan.now)
        };
        let segment_bytes = self.inner.opts.segment_bytes;
        let applied: Vec<Result<shardlog_retention::Applied>> = plan
            .shards
            .par_iter()
            .map(|(shard, d)| {
                let before = file_bytes(&shard.log);
                let mut done = apply(&shard.log, *d).map_err(retention_error)?;
                if done.segments_dropped > 0 {
                    tracing::info!(
                        stream = %stream.name,
                        shard = shard.index,
                        segments = done.segments_dropped,
                        bytes = before.saturating_sub(file_bytes(&shard.log)),
                        "retention expired segments"
                    );
                }
                if *d != Decision::RemoveShard {
                    // Compaction after expiry, on what is left.
                    let view = ShardView {
                        segments: shard.log.segments(),
                        closed_ms: None,
                    };
                    let runs = policy::merges(&view, segment_bytes);
                    let merged = apply_merges(&shard.log, &runs).map_err(retention_error)?;
                    if merged.merges > 0 {
                        tracing::debug!(
                            stream = %stream.name,
                            shard = shard.index,
                            merges = merged.merges,
                            segments = merged.segments_dropped,
                            "retention merged small segments"
                        );
                    }
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
        let doomed: Vec<u32> = plan
            .shards
            .iter()
            .filter(|(_, d)| *d == Decision::RemoveShard)
            .map(|(s, _)| s.index)
            .collect();
        if !doomed.is_empty() {
            report.shards_removed = self.remove_shards(stream, &doomed)?;
            tracing::info!(
                stream = %stream.name,
                shards = report.shards_removed,
                "retention removed expired closed shards"
            );
        }
        Ok(report)
    }

    /// Removes expired closed shards of this incarnation of the stream: the catalog forgets them
    /// first, then their files go. Only shards the catalog update dropped are removed.
    fn remove_shards(&self, stream: &Arc<Stream>, doomed: &[u32]) -> Result<usize> {
        let mut catalog = self.inner.lock_catalog()?;
        let Some(current) = catalog
            .streams
            .get(&stream.name)
            .filter(|m| m.incarnation == stream.incarnation)
        else {
            return Ok(0);
        };
        let mut meta = current.clone();
        let removed: Vec<u32> = meta
            .shards
            .iter()
            .filter(|s| doomed.contains(&s.index) && s.closed.is_some())
            .map(|s| s.index)
            .collect();
        if removed.is_empty() {
            return Ok(0);
        }
        meta.shards.retain(|s| !removed.contains(&s.index));
        let mut next = (*catalog).clone();
        next.streams.insert(stream.name.clone(), meta.clone());
        catalog.commit(next)?;
        {
            let mut state = stream.write();
            for i in &removed {
                state.shards.remove(i);
            }
            state.meta = meta;
            state.rebuild_routes();
        }
        // The directories belong to this incarnation only (`<name>.<incarnation>`), and the catalog
        // lock keeps a delete of the stream from removing them under us.
        for i in &removed {
            stream
                .dir
                .remove_dir(&crate::catalog::shard_dir_name(*i))
                .map_err(Error::from)?;
        }
        stream.dir.sync_dir()?;
        Ok(removed.len())
    }
}

/// A pass's decisions for one stream, and the catalog entry they were made from.
struct Plan {
    /// The pass's `now`.
    now: u64,
    /// The settings the decisions were made with.
    retention_hours: u32,
    size_cap_bytes: Option<u64>,
    shards: Vec<(Arc<crate::store::Shard>, Decision)>,
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
        other => Error::InvalidArgument(other.to_string()),
    }
}

/// Bytes of a shard's segment files on disk.
fn file_bytes(log: &shardlog_segment::ShardLog) -> u64 {
    log.segments().iter().map(|s| s.file_bytes).sum()
}

/// The newest wall-clock time the store has recorded: its newest record, shard or stream.
pub(crate) fn newest_known_ms<'a>(streams: impl Iterator<Item = &'a Arc<Stream>>) -> u64 {
    let mut newest = 0;
    for stream in streams {
        let state = stream.read();
        newest = newest.max(state.meta.created_ms);
        for m in &state.meta.shards {
            newest = newest
                .max(m.created_ms)
                .max(m.closed.map_or(0, |c| c.at_ms));
        }
        for shard in state.shards.values() {
            let last = shard.log.segments().iter().map(|s| s.last_ts_ms).max();
            newest = newest.max(last.unwrap_or(0));
        }
    }
    newest
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
            let started = std::time::Instant::now();
            let pass = Store {
                inner,
                region: None,
            }
            .enforce_retention();
            match pass {
                Ok(r) if r.segments_dropped > 0 || r.shards_removed > 0 || r.merges > 0 => {
                    tracing::info!(
                        segments = r.segments_dropped,
                        shards = r.shards_removed,
                        merges = r.merges,
                        clock_held_back_ms = r.clock_held_back_ms,
                        took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                        "retention pass done"
                    );
                }
                Ok(r) => tracing::debug!(
                    clock_held_back_ms = r.clock_held_back_ms,
                    took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "retention pass found nothing to do"
                ),
                Err(Error::Closed) => {}
                Err(e) => tracing::warn!(error = %e, "retention pass failed; retried at the next"),
            }
        })
        .ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{PutEntry, ShardId, StartingPosition, StoreOptions};
    use shardlog_segment::{Clock, Durability};
    use shardlog_storage::SimDisk;

    const HOUR: u64 = 3_600_000;
    const T0: u64 = 1_700_000_000_000;

    fn store(clock: &Clock) -> Store {
        let opts = StoreOptions {
            segment_bytes: 16 * 1024,
            durability: Durability::None,
            clock: clock.clone(),
            retention_interval: None,
            ..StoreOptions::default()
        };
        Store::open_with_storage(Arc::new(SimDisk::new(3)), opts).unwrap()
    }

    fn fill(store: &Store, stream: &str, n: usize) {
        let data = vec![5u8; 1000];
        for _ in 0..n {
            store.put_record(stream, PutEntry::new("k", &data)).unwrap();
        }
    }

    fn count(store: &Store, stream: &str, shard: u32) -> usize {
        let mut it = store
            .get_shard_iterator(stream, ShardId(shard), StartingPosition::TrimHorizon)
            .unwrap();
        let mut n = 0;
        loop {
            let got = store.get_records(&it, 10_000).unwrap();
            if got.records.is_empty() {
                return n;
            }
            n += got.records.len();
            match got.next_shard_iterator {
                Some(next) => it = next,
                None => return n,
            }
        }
    }

    /// Issue 13.3: a pass decided to remove stream `s`'s expired closed shard 0; before it carried
    /// that out, `s` was deleted and created again and the new `s` split its shard 0. The pass must
    /// not touch the new stream.
    #[test]
    fn a_pass_never_removes_shards_of_a_stream_created_again_meanwhile() {
        let clock = Clock::manual(T0);
        let store = store(&clock);
        store.create_stream("s", 1).unwrap();
        fill(&store, "s", 40);
        store.split_shard("s", ShardId(0), 1u128 << 127).unwrap();
        clock.set(T0 + 30 * HOUR);
        let old = store.inner.stream("s").unwrap();
        let plan = store.decide(&old, T0 + 30 * HOUR);
        assert!(plan.shards.iter().any(|(_, d)| *d == Decision::RemoveShard));

        store.delete_stream("s").unwrap();
        store.create_stream("s", 1).unwrap();
        fill(&store, "s", 40);
        store.split_shard("s", ShardId(0), 1u128 << 127).unwrap();
        let report = store.carry_out(&old, plan).unwrap();

        assert_eq!(report.shards_removed, 0);
        assert_eq!(store.describe_stream("s").unwrap().shards.len(), 3);
        assert_eq!(count(&store, "s", 0), 40, "the new stream lost its shard 0");
    }

    /// Issue 13.4: a pass decided with a 24-hour period; an IncreaseStreamRetentionPeriod to 48 hours
    /// was acknowledged before the pass carried the decision out. Data the new period keeps stays.
    #[test]
    fn a_retention_increase_during_a_pass_protects_what_it_keeps() {
        let clock = Clock::manual(T0);
        let store = store(&clock);
        store.create_stream("s", 1).unwrap();
        fill(&store, "s", 60);
        clock.set(T0 + 30 * HOUR);
        fill(&store, "s", 1);
        let s = store.inner.stream("s").unwrap();
        let plan = store.decide(&s, T0 + 30 * HOUR);
        assert!(plan
            .shards
            .iter()
            .any(|(_, d)| matches!(d, Decision::DropBefore(_))));

        store.increase_retention_period("s", 48).unwrap();
        let report = store.carry_out(&s, plan).unwrap();

        assert_eq!(report.segments_dropped, 0);
        assert_eq!(
            count(&store, "s", 0),
            61,
            "records inside the new period were dropped"
        );
    }
}
