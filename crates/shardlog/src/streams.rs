//! Stream lifecycle: create, delete, describe, list, tags, retention period, statistics.

use crate::catalog::{ShardMeta, StreamMeta, StreamMode};
use crate::error::{Error, Result};
use crate::hashkey::even_ranges;
use crate::names::{stream_not_found, validate_stream_name, ShardId};
use crate::open::new_shard;
use crate::seqnum::SequenceNumber;
use crate::settings::{merge_tags, StreamSettings, MAX_RECORD_SIZE_KIB};
use crate::stats::ShardStatistics;
use crate::store::{Store, StoreInner, Stream, StreamState};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Retention bounds in hours (24 hours to 365 days).
pub const MIN_RETENTION_HOURS: u32 = 24;
/// Longest retention, 365 days.
pub const MAX_RETENTION_HOURS: u32 = 8_760;
/// Largest counter, used as the upper bound of a closed shard's sequence range, as Kinesis does.
const END_COUNTER: u64 = u64::MAX >> 1;

/// How to create a stream.
///
/// ```
/// use shardlog::{CreateStream, StreamMode};
/// let req = CreateStream { shard_count: 4, ..CreateStream::default() };
/// assert_eq!(req.mode, StreamMode::Provisioned);
/// ```
#[derive(Debug, Clone)]
pub struct CreateStream {
    /// Number of shards, splitting the hash-key space evenly.
    pub shard_count: u32,
    /// Capacity mode.
    pub mode: StreamMode,
    /// Tags to attach.
    pub tags: BTreeMap<String, String>,
    /// The largest data blob a put may carry, KiB (default 1,024; see
    /// [`Store::update_max_record_size`]).
    pub max_record_size_kib: Option<u32>,
    /// `AUTO` or `USER_PARTITION_KEY` (stored and reported).
    pub record_distribution: Option<String>,
    /// Warm throughput of an on-demand stream, MiB/s (stored and reported).
    pub warm_throughput_mibps: Option<u32>,
}

impl Default for CreateStream {
    fn default() -> Self {
        CreateStream {
            shard_count: 1,
            mode: StreamMode::Provisioned,
            tags: BTreeMap::new(),
            max_record_size_kib: None,
            record_distribution: None,
            warm_throughput_mibps: None,
        }
    }
}

/// A shard as `DescribeStream` and `ListShards` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardDescription {
    /// The shard's id.
    pub shard_id: ShardId,
    /// The shard it was split from, or the first of the two it was merged from.
    pub parent_shard_id: Option<ShardId>,
    /// The second parent of a merge.
    pub adjacent_parent_shard_id: Option<ShardId>,
    /// First hash key, inclusive.
    pub starting_hash_key: u128,
    /// Last hash key, inclusive.
    pub ending_hash_key: u128,
    /// A number at or below the shard's first record.
    pub starting_sequence_number: SequenceNumber,
    /// Set once the shard is closed: an upper bound of its numbers.
    pub ending_sequence_number: Option<SequenceNumber>,
    /// When the shard was created (ms since the epoch).
    pub created_ms: u64,
    /// When a reshard closed it.
    pub closed_ms: Option<u64>,
}

/// What `DescribeStream` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDescription {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Always `"ACTIVE"`: every change is applied before the call returns.
    pub status: &'static str,
    /// Capacity mode.
    pub mode: StreamMode,
    /// Retention period in hours.
    pub retention_hours: u32,
    /// Creation time (ms since the epoch).
    pub created_ms: u64,
    /// Every shard still within retention, in creation order.
    pub shards: Vec<ShardDescription>,
    /// Number of open shards.
    pub open_shard_count: usize,
    /// Settings kept for the Kinesis API ([`Store::update_stream_settings`]).
    pub settings: StreamSettings,
    /// Registered consumers.
    pub consumer_count: usize,
}

impl Store {
    /// Creates a stream with `shard_count` shards splitting the hash-key space evenly.
    pub fn create_stream(&self, name: &str, shard_count: u32) -> Result<()> {
        self.create_stream_with(
            name,
            CreateStream {
                shard_count,
                ..CreateStream::default()
            },
        )
    }

    /// Creates a stream. Shard directories are made first and the catalog last, so a crash in
    /// between leaves only directories that the next open removes.
    pub fn create_stream_with(&self, name: &str, req: CreateStream) -> Result<()> {
        validate_stream_name(name)?;
        let inner = &self.inner;
        if req.shard_count == 0 {
            return Err(Error::Validation(
                "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1".into(),
            ));
        }
        if let Some(kib) = req.max_record_size_kib {
            self.check_max_record_size(kib)?;
        }
        let mut catalog = inner.lock_catalog()?;
        let deleting = inner.deleting.get(name, inner.now_ms()).is_some();
        if catalog.streams.contains_key(name) || deleting {
            let account = self.account_id();
            return Err(Error::ResourceInUse(format!(
                "Stream {name} under account {account} already exists."
            )));
        }
        inner.check_shard_quota(&catalog, req.shard_count as usize)?;
        let now = inner.now_ms();
        let incarnation = catalog.next_incarnation;
        let shards = even_ranges(req.shard_count)
            .into_iter()
            .enumerate()
            .map(|(i, (start_hash, end_hash))| ShardMeta {
                index: i as u32,
                start_hash,
                end_hash,
                parent: None,
                adjacent_parent: None,
                created_ms: now,
                closed: None,
            })
            .collect();
        let meta = StreamMeta {
            name: name.to_string(),
            incarnation,
            created_ms: now,
            mode: req.mode,
            retention_hours: MIN_RETENTION_HOURS,
            tags: req.tags,
            shards,
            next_shard_index: req.shard_count,
            size_cap_bytes: None,
            consumers: Vec::new(),
            queues: Vec::new(),
            settings: StreamSettings {
                max_record_size_kib: req.max_record_size_kib,
                record_distribution: req.record_distribution,
                warm_throughput_mibps: req.warm_throughput_mibps,
                ..StreamSettings::default()
            },
        };
        let dir = inner.streams_dir.subdir(&meta.dir_name())?;
        // In parallel on the pool sized for concurrent flushes: each shard's directory, meta file
        // and first segment cost a few syncs, and the device serves concurrent syncs far better
        // than one after another (or two at a time, on two cores).
        let shards = crate::put::on_flush_pool(|| {
            meta.shards
                .par_iter()
                .map(|s| {
                    new_shard(&*dir, &inner.opts, incarnation, s.index).map(|sh| (s.index, sh))
                })
                .collect::<Result<BTreeMap<_, _>>>()
        })?;
        dir.sync_dir()?;
        let mut next = (*catalog).clone();
        next.next_incarnation += 1;
        next.streams.insert(name.to_string(), meta.clone());
        catalog.commit(next)?;
        let stream = Arc::new(Stream {
            name: name.to_string(),
            incarnation,
            dir,
            state: RwLock::new(StreamState::new(meta, shards)),
            retention: std::sync::Mutex::new(()),
            spread: Default::default(),
            transition: Default::default(),
        });
        self.begin_phase(&stream, crate::phase::Phase::Creating);
        inner.write_streams().insert(name.to_string(), stream);
        Ok(())
    }

    /// Deletes a stream and its data. The catalog forgets it first; its files go after, and a crash in
    /// between leaves files that the next open removes.
    pub fn delete_stream(&self, name: &str) -> Result<()> {
        self.check_active(name)?;
        let inner = &self.inner;
        let mut catalog = inner.lock_catalog()?;
        let meta = catalog
            .streams
            .get(name)
            .cloned()
            .ok_or_else(|| stream_not_found(name, self.account_id()))?;
        self.refuse_if_channels(name)?;
        let mut next = (*catalog).clone();
        next.streams.remove(name);
        catalog.commit(next)?;
        let stream = inner.write_streams().remove(name);
        drop(stream);
        inner.streams_dir.remove_dir(&meta.dir_name())?;
        inner.streams_dir.sync_dir()?;
        self.forget_stream_queues(&meta);
        self.report_deleting(describe(&meta, self.stream_arn(name)));
        Ok(())
    }

    /// Names of all streams, sorted (with those still `DELETING`, see
    /// [`StoreOptions::state_delay`](crate::StoreOptions::state_delay)).
    pub fn list_streams(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.read_streams().keys().cloned().collect();
        let deleting = self.inner.deleting.at(self.inner.now_ms());
        if !deleting.is_empty() {
            names.extend(deleting.into_iter().map(|d| d.name));
            names.sort_unstable();
            names.dedup();
        }
        names
    }

    /// Describes a stream and its shards.
    pub fn describe_stream(&self, name: &str) -> Result<StreamDescription> {
        let stream = match self.inner.stream(name) {
            Ok(stream) => stream,
            Err(e) => {
                let deleting = self.inner.deleting.get(name, self.inner.now_ms());
                return deleting.ok_or(e);
            }
        };
        let state = stream.read();
        let mut d = describe(&state.meta, self.stream_arn(name));
        d.status = self.status_of(&stream);
        Ok(d)
    }

    /// A stream's settings (what [`Store::describe_stream`] reports in `settings`, without building
    /// the shard list).
    pub fn stream_settings(&self, name: &str) -> Result<StreamSettings> {
        Ok(self.inner.stream(name)?.read().meta.settings.clone())
    }

    /// Adds or overwrites tags (at most 50 per stream).
    pub fn add_tags(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<()> {
        self.update_meta(name, |meta| {
            merge_tags("stream", name, self.account_id(), &mut meta.tags, tags)
        })
    }

    /// Removes tags; keys that do not exist are ignored.
    pub fn remove_tags(&self, name: &str, keys: &[String]) -> Result<()> {
        self.update_meta(name, |meta| {
            keys.iter().for_each(|k| {
                meta.tags.remove(k);
            });
            Ok(())
        })
    }

    /// Switches a stream's capacity mode (Kinesis `UpdateStreamMode`), with the warm throughput an
    /// on-demand stream is given (MiB/s, stored and reported). On-demand streams split hot shards
    /// themselves and refuse manual resharding; provisioned streams keep their shards as they are
    /// and drop the settings only on-demand streams have (warm throughput, `AUTO` distribution).
    ///
    /// ```
    /// use shardlog::{Store, StoreOptions, StreamMode};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    /// store.create_stream("s", 1).unwrap();
    /// store.set_stream_mode("s", StreamMode::OnDemand, Some(20)).unwrap();
    /// let d = store.describe_stream("s").unwrap();
    /// assert_eq!((d.mode, d.settings.warm_throughput_mibps), (StreamMode::OnDemand, Some(20)));
    /// store.set_stream_mode("s", StreamMode::Provisioned, None).unwrap();
    /// assert_eq!(store.describe_stream("s").unwrap().settings.warm_throughput_mibps, None);
    /// ```
    pub fn set_stream_mode(
        &self,
        name: &str,
        mode: StreamMode,
        warm_throughput_mibps: Option<u32>,
    ) -> Result<()> {
        self.updating(name, || {
            self.update_meta(name, |meta| {
                meta.mode = mode;
                let s = &mut meta.settings;
                match mode {
                    StreamMode::OnDemand => {
                        s.warm_throughput_mibps = warm_throughput_mibps.or(s.warm_throughput_mibps);
                    }
                    _ => {
                        s.warm_throughput_mibps = None;
                        s.record_distribution = None;
                    }
                }
                Ok(())
            })
        })
    }

    /// The stream's tags, sorted by key.
    pub fn list_tags(&self, name: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.inner.stream(name)?.read().meta.tags.clone())
    }

    /// The segments of one shard, oldest first (for inspection and retention tests).
    pub fn segments_of(
        &self,
        name: &str,
        shard: ShardId,
    ) -> Result<Vec<shardlog_segment::SegmentInfo>> {
        let stream = self.inner.stream(name)?;
        let state = stream.read();
        let (_, handle) = state.shard(shard, name, self.account_id())?;
        Ok(handle.log.segments())
    }

    /// Statistics of every shard of a stream, in shard order.
    pub fn shard_statistics(&self, name: &str) -> Result<Vec<(ShardId, ShardStatistics)>> {
        let stream = self.inner.stream(name)?;
        let state = stream.read();
        Ok(state
            .shards
            .values()
            .map(|s| (ShardId(s.index), s.stats.snapshot()))
            .collect())
    }

    /// Applies `change` to a stream's catalog entry durably, then to the live stream.
    pub(crate) fn update_meta(
        &self,
        name: &str,
        change: impl FnOnce(&mut StreamMeta) -> Result<()>,
    ) -> Result<()> {
        let stream = self.inner.stream(name)?;
        self.update_stream_meta(&stream, change)
    }

    /// [`Store::update_meta`] on this incarnation of the stream: not found if it was deleted since.
    pub(crate) fn update_stream_meta(
        &self,
        stream: &Arc<Stream>,
        change: impl FnOnce(&mut StreamMeta) -> Result<()>,
    ) -> Result<()> {
        let inner = &self.inner;
        let mut catalog = inner.lock_catalog()?;
        if !inner.is_current(stream) {
            return Err(stream_not_found(&stream.name, self.account_id()));
        }
        let mut state = stream.write();
        let mut meta = state.meta.clone();
        change(&mut meta)?;
        let mut next = (*catalog).clone();
        next.streams.insert(stream.name.clone(), meta.clone());
        catalog.commit(next)?;
        state.meta = meta;
        state.rebuild_routes();
        Ok(())
    }
}

impl StoreInner {
    /// True while `stream` is the live incarnation of its name.
    pub fn is_current(&self, stream: &Arc<Stream>) -> bool {
        self.read_streams()
            .get(&stream.name)
            .is_some_and(|live| Arc::ptr_eq(live, stream))
    }

    /// Checks the shard quota against the catalog (the caller holds its lock).
    pub fn check_shard_quota(&self, catalog: &crate::catalog::Catalog, more: usize) -> Result<()> {
        // As on AWS, closed shards (kept until retention drops them) do not count.
        let current: usize = catalog
            .streams
            .values()
            .map(|s| s.open_shards().count())
            .sum();
        if current + more > self.opts.max_shards {
            return Err(Error::LimitExceeded(format!(
                "This request would exceed the shard limit for the account {} in {}. Current shard count for the account: {current}. Limit: {}. Number of additional shards that would have resulted from this request: {more}.",
                self.opts.account_id,
                self.opts.region,
                self.opts.max_shards
            )));
        }
        Ok(())
    }
}

pub(crate) fn describe(meta: &StreamMeta, arn: String) -> StreamDescription {
    let shards = meta
        .shards
        .iter()
        .map(|s| describe_shard(meta, s))
        .collect();
    StreamDescription {
        name: meta.name.clone(),
        arn,
        status: "ACTIVE",
        mode: meta.mode,
        retention_hours: meta.retention_hours,
        created_ms: meta.created_ms,
        shards,
        open_shard_count: meta.open_shards().count(),
        settings: meta.settings.clone(),
        consumer_count: meta.consumers.len(),
    }
}

pub(crate) fn describe_shard(meta: &StreamMeta, s: &ShardMeta) -> ShardDescription {
    ShardDescription {
        shard_id: ShardId(s.index),
        parent_shard_id: s.parent.map(ShardId),
        adjacent_parent_shard_id: s.adjacent_parent.map(ShardId),
        starting_hash_key: s.start_hash,
        ending_hash_key: s.end_hash,
        starting_sequence_number: SequenceNumber::before(meta.incarnation, s.index, 0),
        ending_sequence_number: s
            .closed
            .map(|_| SequenceNumber::new(meta.incarnation, s.index, END_COUNTER)),
        created_ms: s.created_ms,
        closed_ms: s.closed.map(|c| c.at_ms),
    }
}

impl Store {
    /// Changes a stream's settings in one durable catalog update; returns them as stored.
    pub fn update_stream_settings(
        &self,
        name: &str,
        change: impl FnOnce(&mut StreamSettings) -> Result<()>,
    ) -> Result<StreamSettings> {
        self.check_active(name)?;
        let mut before = StreamSettings::default();
        let mut after = StreamSettings::default();
        self.update_meta(name, |meta| {
            before = meta.settings.clone();
            change(&mut meta.settings)?;
            after = meta.settings.clone();
            Ok(())
        })?;
        // A resource policy is kept beside the stream; every other setting is the stream's own
        // configuration, whose change AWS reports as UPDATING.
        before.policy.clone_from(&after.policy);
        if before != after {
            if let Ok(stream) = self.inner.stream(name) {
                self.begin_phase(&stream, crate::phase::Phase::Updating);
            }
        }
        Ok(after)
    }

    /// Sets the largest data blob a put to the stream may carry (`UpdateMaxRecordSize`).
    ///
    /// ```
    /// use shardlog::{PutEntry, Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), StoreOptions::default())?;
    /// store.create_stream("s", 1)?;
    /// let big = vec![7u8; 2 << 20];
    /// assert!(store.put_record("s", PutEntry::new("k", &big)).is_err());
    /// store.update_max_record_size("s", 4096)?;
    /// store.put_record("s", PutEntry::new("k", &big))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_max_record_size(&self, name: &str, kib: u32) -> Result<()> {
        self.check_max_record_size(kib)?;
        self.update_stream_settings(name, |s| {
            s.max_record_size_kib = Some(kib);
            Ok(())
        })
        .map(drop)
    }

    /// Refuses a record size outside [`MAX_RECORD_SIZE_KIB`] or beyond what the store's segments
    /// hold (a record and the longest partition key must fit in one segment).
    pub(crate) fn check_max_record_size(&self, kib: u32) -> Result<()> {
        if !MAX_RECORD_SIZE_KIB.contains(&kib) {
            return Err(Error::InvalidArgument(format!(
                "MaxRecordSizeInKiB {kib} is outside {}..={}.",
                MAX_RECORD_SIZE_KIB.start(),
                MAX_RECORD_SIZE_KIB.end()
            )));
        }
        let opts = crate::open::log_options(&self.inner.opts, 0, 0);
        // The longest partition key: 256 characters of up to 4 bytes each.
        let need = u64::from(kib) * 1024 + 256 * 4;
        if need > opts.max_record_bytes() {
            return Err(Error::InvalidArgument(format!(
                "MaxRecordSizeInKiB {kib} does not fit this store's segments of {} bytes (records of at most {} bytes).",
                self.inner.opts.segment_bytes,
                opts.max_record_bytes()
            )));
        }
        Ok(())
    }
}
