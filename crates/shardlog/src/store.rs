//! [`Store`]: one process's handle on a data directory of streams.

use crate::catalog::{Catalog, CatalogTxn, ShardMeta, StreamMeta};
use crate::error::Result;
use crate::lifecycle::Lifecycle;
use crate::limits::{Limiter, ShardLimits};
use crate::names::{stream_not_found, ShardId};
use crate::retention_clock::RetentionClock;
use crate::stats::ShardStats;
use shardlog_segment::{Clock, Durability, LogOptions, OpenSegments, ShardLog};
use shardlog_storage::{Lock, Storage};
use shardlog_storage::{MutexExt as _, RwLockExt as _};
use std::collections::BTreeMap;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Options of a [`Store`].
///
/// ```
/// use shardlog::StoreOptions;
/// use shardlog_segment::Durability;
/// let opts = StoreOptions { durability: Durability::None, ..StoreOptions::default() };
/// assert_eq!(opts.max_shards, 10_000);
/// ```
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// When appends are durable. Default: [`Durability::Sync`] (every acknowledged put is on disk).
    pub durability: Durability,
    /// Size of each segment file. Default: 64 MiB.
    pub segment_bytes: u64,
    /// Per-shard throughput limits as Kinesis enforces them; `None` (the default) for no limits.
    pub limits: Option<ShardLimits>,
    /// Largest number of open and closed shards in the store. Default: 10,000.
    pub max_shards: usize,
    /// Source of arrival timestamps and iterator ages, and of `now` for retention. Default: the
    /// system clock.
    pub clock: Clock,
    /// How often the background retention pass runs; `None` for no background pass (call
    /// [`Store::enforce_retention`] instead). Default: every 60 seconds.
    pub retention_interval: Option<std::time::Duration>,
    /// How far a retention pass's `now` may run ahead of the time that really passed (by the
    /// monotonic clock) since the previous pass, or since the newest time the store has recorded
    /// when it was opened. A wall clock stepped forward by a day then expires data an hour per pass
    /// instead of all at once. Default: one hour.
    pub retention_clock_step: std::time::Duration,
    /// The account the store answers as, in ARNs and messages: 12 digits. Default:
    /// [`DEFAULT_ACCOUNT_ID`](crate::DEFAULT_ACCOUNT_ID).
    pub account_id: String,
    /// The region of ARNs, unless a call names its own ([`Store::in_region`]). Default:
    /// [`DEFAULT_REGION`](crate::DEFAULT_REGION).
    pub region: String,
    /// How long a stream stays `CREATING`, `UPDATING` (after a reshard or a change of its retention,
    /// mode or settings) or `DELETING`, as AWS's do, for testing code that waits for `ACTIVE`.
    /// The change itself is done and durable at once. Default: zero (always `ACTIVE`).
    pub state_delay: std::time::Duration,
    /// The sealed segments of all shards kept open at once (a file descriptor and a mapping
    /// each); the rest are opened when read. Active segments stay open regardless. Default: a set
    /// of [`DEFAULT_OPEN_SEGMENTS`](crate::DEFAULT_OPEN_SEGMENTS) for this store alone.
    pub open_segments: OpenSegments,
    /// Most records in flight (received and neither acknowledged nor expired) per queue; a
    /// receive then returns only records whose visibility expired, and none from the stream,
    /// until acknowledgements make room. Default: 120,000, the AWS quota.
    pub max_in_flight_per_queue: usize,
    /// Where channels write their objects; `None` (the default): bucket directories under
    /// `channels/` in the data directory (`arn:aws:s3:::b` is `channels/b/`).
    pub channel_sink: Option<Arc<dyn crate::ObjectSink>>,
    /// How often the delivery thread looks for channel records to deliver; `None` for no thread
    /// (call [`Store::deliver_channels`] instead). Default: every second.
    pub channel_interval: Option<std::time::Duration>,
    /// Overrides every channel's data freshness (which is 300–900 s), for tests and demos that
    /// cannot wait minutes. Default: `None`.
    pub channel_freshness: Option<std::time::Duration>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Sync,
            segment_bytes: LogOptions::default().segment_bytes,
            limits: None,
            max_shards: 10_000,
            clock: Clock::System,
            retention_interval: Some(std::time::Duration::from_secs(60)),
            retention_clock_step: std::time::Duration::from_secs(3600),
            account_id: crate::names::DEFAULT_ACCOUNT_ID.to_string(),
            region: crate::names::DEFAULT_REGION.to_string(),
            state_delay: std::time::Duration::ZERO,
            open_segments: OpenSegments::default(),
            max_in_flight_per_queue: 120_000,
            channel_sink: None,
            channel_interval: Some(std::time::Duration::from_secs(1)),
            channel_freshness: None,
        }
    }
}

/// A store of streams in one data directory, owned by one process.
///
/// ```
/// use shardlog::{PutEntry, StartingPosition, Store, StoreOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
/// store.create_stream("clicks", 2).unwrap();
/// let put = store.put_record("clicks", PutEntry::new("user-1", b"click")).unwrap();
/// let it = store.get_shard_iterator("clicks", put.shard_id, StartingPosition::TrimHorizon).unwrap();
/// let out = store.get_records(&it, 100).unwrap();
/// assert_eq!(out.records[0].data, b"click"[..]);
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
    /// The region ARNs name for calls through this handle; `None`: the store's.
    pub(crate) region: Option<Arc<str>>,
}

impl Store {
    /// The account the store answers as.
    pub fn account_id(&self) -> &str {
        &self.inner.opts.account_id
    }

    /// The region this handle's ARNs name.
    pub fn region(&self) -> &str {
        self.region.as_deref().unwrap_or(&self.inner.opts.region)
    }

    /// A handle on the same store whose answers name `region` in ARNs, as a Kinesis endpoint of
    /// that region would (the server passes the region a request was signed for). Streams are
    /// the same in every region; an ARN given to a call is read by its resource name.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = shardlog::Store::open(dir.path(), Default::default())?;
    /// store.create_stream("s", 1)?;
    /// let eu = store.in_region("eu-west-1")?;
    /// assert_eq!(eu.describe_stream("s")?.arn, "arn:aws:kinesis:eu-west-1:000000000000:stream/s");
    /// assert!(store.describe_stream("s")?.arn.contains(":us-east-1:"));
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn in_region(&self, region: &str) -> Result<Store> {
        crate::names::validate_region(region)?;
        Ok(Store {
            inner: self.inner.clone(),
            region: Some(region.into()),
        })
    }

    /// The store's clock ([`StoreOptions::clock`]), ms since the epoch.
    pub fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }

    /// The ARN of a stream, in this handle's region.
    pub fn stream_arn(&self, name: &str) -> String {
        crate::names::stream_arn(self.region(), self.account_id(), name)
    }
}

#[derive(Debug)]
pub(crate) struct StoreInner {
    pub root: Arc<dyn Storage>,
    pub streams_dir: Arc<dyn Storage>,
    pub opts: StoreOptions,
    /// Running, stopped by a failed catalog write, or closed.
    pub life: Lifecycle,
    /// Serialises control-plane changes; holds the durable catalog.
    pub catalog: Mutex<Catalog>,
    pub streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    pub secret: Vec<u8>,
    /// Set when the store is going away: background threads stop.
    pub stopping: std::sync::atomic::AtomicBool,
    pub retention_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The `now` of retention passes.
    pub retention_clock: RetentionClock,
    /// The consumer lease file, opened on first use.
    pub leases: Mutex<Option<Arc<shardlog_checkpoint::Db>>>,
    /// Queues' delivery state in memory and their group committer.
    pub queues: crate::queue::Registry,
    /// Channels, their delivery state and the delivery thread.
    pub channels: crate::channel::Registry,
    /// The exclusive lock on the data directory, released by `close`.
    pub lock: Mutex<Option<Lock>>,
    /// Deleted streams still reported as `DELETING` ([`StoreOptions::state_delay`]).
    pub deleting: crate::phase::Deleting<crate::streams::StreamDescription>,
}

impl Drop for StoreInner {
    fn drop(&mut self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(t) = self.retention_thread.locked().take() {
            t.thread().unpark();
        }
        if let Some(t) = self.channels.thread.locked().take() {
            t.thread().unpark();
        }
    }
}

/// A live stream: its catalog entry and open shard logs.
#[derive(Debug)]
pub(crate) struct Stream {
    pub name: String,
    pub incarnation: u32,
    pub dir: Arc<dyn Storage>,
    pub state: RwLock<StreamState>,
    /// Held by a retention pass while it changes the stream and by changes of its retention
    /// settings: a pass never acts on a period or size cap that is no longer current.
    pub retention: Mutex<()>,
    /// The next shard, round robin, for records of an `AUTO` distribution stream.
    pub spread: std::sync::atomic::AtomicU64,
    /// The `CREATING` or `UPDATING` phase it is in, if any ([`StoreOptions::state_delay`]).
    pub transition: crate::phase::Transition,
}

#[derive(Debug)]
pub(crate) struct StreamState {
    pub meta: StreamMeta,
    pub shards: BTreeMap<u32, Arc<Shard>>,
    /// Open shards by starting hash key: the routing table.
    pub routes: Vec<(u128, u128, Arc<Shard>)>,
}

/// One shard's log and its live counters.
#[derive(Debug)]
pub(crate) struct Shard {
    pub index: u32,
    pub log: ShardLog,
    pub stats: ShardStats,
    pub limiter: Option<Mutex<Limiter>>,
    /// Bumped and broadcast after every append, for push subscribers.
    pub signal: (Mutex<u64>, Condvar),
    /// Subscribers asleep on `signal`; changed and read only under its mutex.
    pub waiters: std::sync::atomic::AtomicUsize,
    /// Write rate, for on-demand streams.
    pub hot: Mutex<crate::ondemand::HotWindow>,
}

impl Shard {
    /// Wakes the subscribers waiting for this shard's next append. A waiter registers under the
    /// signal's mutex before it sleeps and this reads the count under the same mutex, so skipping
    /// the wake-up with no waiter loses none; it spares every put one system call per shard
    /// (`futex_wake` was 30% of a put's samples with 5,000 shards, none of them subscribed).
    pub fn notify(&self) {
        let mut generation = self.signal.0.locked();
        *generation += 1;
        if self.waiters.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            self.signal.1.notify_all();
        }
    }
}

impl StreamState {
    pub fn new(meta: StreamMeta, shards: BTreeMap<u32, Arc<Shard>>) -> Self {
        let mut state = StreamState {
            meta,
            shards,
            routes: Vec::new(),
        };
        state.rebuild_routes();
        state
    }

    pub fn rebuild_routes(&mut self) {
        let mut routes: Vec<_> = self
            .meta
            .open_shards()
            .filter_map(|m| Some((m.start_hash, m.end_hash, self.shards.get(&m.index)?.clone())))
            .collect();
        routes.sort_by_key(|r| r.0);
        self.routes = routes;
    }

    /// The open shard whose range holds `hash`.
    pub fn route(&self, hash: u128) -> Option<&Arc<Shard>> {
        let i = self.routes.partition_point(|r| r.0 <= hash);
        let (_, end, shard) = self.routes.get(i.checked_sub(1)?)?;
        (hash <= *end).then_some(shard)
    }

    pub fn shard(
        &self,
        id: ShardId,
        stream: &str,
        account: &str,
    ) -> Result<(&ShardMeta, &Arc<Shard>)> {
        let meta = self.meta.shard(id.0);
        let shard = self.shards.get(&id.0);
        meta.zip(shard)
            .ok_or_else(|| crate::names::shard_not_found(id, stream, account))
    }
}

impl StoreInner {
    pub fn read_streams(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.reading()
    }

    pub fn write_streams(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.writing()
    }

    /// Locks the catalog for a control-plane change; refused once the store stopped or closed.
    pub fn lock_catalog(&self) -> Result<CatalogTxn<'_>> {
        let catalog = self.catalog.locked();
        self.life.check()?;
        Ok(CatalogTxn {
            catalog,
            root: &*self.root,
            life: &self.life,
        })
    }

    pub fn stream(&self, name: &str) -> Result<Arc<Stream>> {
        self.read_streams()
            .get(name)
            .cloned()
            .ok_or_else(|| stream_not_found(name, &self.opts.account_id))
    }

    pub fn now_ms(&self) -> u64 {
        self.opts.clock.now_ms()
    }
}

impl Stream {
    pub fn read(&self) -> RwLockReadGuard<'_, StreamState> {
        self.state.reading()
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, StreamState> {
        self.state.writing()
    }

    pub fn lock_retention(&self) -> MutexGuard<'_, ()> {
        self.retention.locked()
    }
}
