//! [`Store`]: one process's handle on a data directory of streams.

use crate::catalog::{shard_dir_name, Catalog, CatalogTxn, ShardMeta, StreamMeta};
use crate::error::{Error, Result};
use crate::lifecycle::Lifecycle;
use crate::limits::{Limiter, ShardLimits};
use crate::names::{stream_not_found, ShardId};
use crate::retention_clock::RetentionClock;
use crate::stats::ShardStats;
use rayon::prelude::*;
use shardlog_segment::{Clock, Durability, FsStorage, LogOptions, ShardLog, Storage};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::Path;
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
/// assert_eq!(out.records[0].data, b"click");
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
}

#[derive(Debug)]
pub(crate) struct StoreInner {
    pub root: Arc<dyn Storage>,
    pub streams_dir: Arc<dyn Storage>,
    pub opts: StoreOptions,
    /// Running, stopped by a failed catalog write, or closed.
    pub life: Lifecycle,
    /// Serialises control-plane changes; holds the durable catalog.
    catalog: Mutex<Catalog>,
    pub streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    pub secret: Vec<u8>,
    /// Set when the store is going away: background threads stop.
    pub stopping: std::sync::atomic::AtomicBool,
    retention_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The `now` of retention passes.
    pub retention_clock: RetentionClock,
    /// The consumer lease file, opened on first use.
    pub leases: Mutex<Option<Arc<shardlog_checkpoint::Db>>>,
    /// The exclusive lock on the data directory, released by `close`.
    lock: Mutex<Option<File>>,
}

impl Drop for StoreInner {
    fn drop(&mut self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(t) = self
            .retention_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
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
    /// Write rate, for on-demand streams.
    pub hot: Mutex<crate::ondemand::HotWindow>,
}

impl Shard {
    pub fn notify(&self) {
        let mut generation = self.signal.0.lock().unwrap_or_else(|e| e.into_inner());
        *generation += 1;
        self.signal.1.notify_all();
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

    pub fn shard(&self, id: ShardId, stream: &str) -> Result<(&ShardMeta, &Arc<Shard>)> {
        let meta = self.meta.shard(id.0);
        let shard = self.shards.get(&id.0);
        meta.zip(shard)
            .ok_or_else(|| crate::names::shard_not_found(id, stream))
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`, taking an exclusive lock on it: a second process gets
    /// [`Error::Locked`].
    pub fn open(dir: impl AsRef<Path>, opts: StoreOptions) -> Result<Store> {
        let dir = dir.as_ref();
        let storage = FsStorage::open(dir)?;
        let lock = lock_dir(dir)?;
        Store::open_inner(Arc::new(storage), opts, Some(lock))
    }

    /// Opens a store on any [`Storage`] (for example a simulated disk). The caller guarantees that no
    /// one else uses it.
    pub fn open_with_storage(storage: Arc<dyn Storage>, opts: StoreOptions) -> Result<Store> {
        Store::open_inner(storage, opts, None)
    }

    fn open_inner(root: Arc<dyn Storage>, opts: StoreOptions, lock: Option<File>) -> Result<Store> {
        let catalog = match Catalog::load(&*root)? {
            Some(c) => c,
            None => {
                refuse_without_catalog(&*root)?;
                let mut secret = [0u8; 32];
                getrandom::getrandom(&mut secret).map_err(|e| {
                    Error::InvalidArgument(format!("no randomness for the store key: {e}"))
                })?;
                let c = Catalog::new(secret);
                c.store(&*root)?;
                c
            }
        };
        let streams_dir = root.subdir("streams")?;
        remove_orphans(&*streams_dir, &catalog)?;
        let metas: Vec<StreamMeta> = catalog.streams.values().cloned().collect();
        let opened: Vec<Result<Arc<Stream>>> = metas
            .into_par_iter()
            .map(|meta| open_stream(&streams_dir, &opts, meta))
            .collect();
        let mut streams = BTreeMap::new();
        for stream in opened {
            let stream = stream?;
            streams.insert(stream.name.clone(), stream);
        }
        let inner = StoreInner {
            secret: catalog.secret_bytes(),
            root,
            streams_dir,
            retention_clock: RetentionClock::new(
                opts.retention_clock_step,
                &opts.clock,
                crate::retention::newest_known_ms(streams.values()),
            ),
            opts,
            life: Lifecycle::default(),
            catalog: Mutex::new(catalog),
            streams: RwLock::new(streams),
            stopping: std::sync::atomic::AtomicBool::new(false),
            retention_thread: Mutex::new(None),
            leases: Mutex::new(None),
            lock: Mutex::new(lock),
        };
        let inner = Arc::new(inner);
        if let Some(every) = inner.opts.retention_interval {
            let handle = crate::retention::spawn_retention(Arc::downgrade(&inner), every);
            *inner
                .retention_thread
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = handle;
        }
        Ok(Store { inner })
    }

    /// Closes the store for every handle on it: waits for the writes in flight, stops the background
    /// retention thread, syncs and closes every shard log (each with its clean-close mark), and
    /// releases the directory's lock, so that another process (or another `Store::open` in this one)
    /// can open it. Afterwards every change fails with [`Error::Closed`]; reads of what the store
    /// held keep working. Returns the first error met; the close still goes on through every shard.
    /// Dropping the last handle does the same without reporting errors.
    ///
    /// ```
    /// use shardlog::{Error, PutEntry, Store, StoreOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    /// store.create_stream("s", 1).unwrap();
    /// let other_handle = store.clone();
    /// store.close().unwrap();
    /// assert!(matches!(other_handle.put_record("s", PutEntry::new("k", b"x")), Err(Error::Closed)));
    /// // The lock is released although a handle is still alive.
    /// let again = Store::open(dir.path(), StoreOptions::default()).unwrap();
    /// assert_eq!(again.list_streams(), vec!["s"]);
    /// ```
    pub fn close(&self) -> Result<()> {
        let inner = &self.inner;
        if !inner.life.close() {
            return Ok(());
        }
        inner
            .stopping
            .store(true, std::sync::atomic::Ordering::Release);
        let thread = inner
            .retention_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(t) = thread {
            t.thread().unpark();
            // The retention thread never closes the store, so this never joins the caller itself.
            let _ = t.join();
        }
        // A control-plane change in flight finishes first (it holds the catalog).
        drop(inner.catalog.lock().unwrap_or_else(|e| e.into_inner()));
        let streams: Vec<Arc<Stream>> = inner.read_streams().values().cloned().collect();
        let mut first_error = None;
        for stream in streams {
            let shards: Vec<Arc<Shard>> = stream.read().shards.values().cloned().collect();
            for shard in shards {
                if let Err(e) = shard.log.close() {
                    first_error.get_or_insert(Error::from(e));
                }
            }
        }
        drop(
            inner
                .leases
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
        drop(inner.lock.lock().unwrap_or_else(|e| e.into_inner()).take());
        first_error.map_or(Ok(()), Err)
    }
}

/// A store without a catalog is new only if it holds no stream data: otherwise the catalog was
/// lost, and starting afresh would delete every stream as a leftover.
fn refuse_without_catalog(root: &dyn Storage) -> Result<()> {
    if !root.list()?.iter().any(|n| n == "streams") {
        return Ok(());
    }
    let found = root.subdir("streams")?.list()?;
    if found.is_empty() {
        return Ok(());
    }
    Err(Error::CorruptCatalog {
        file: root.path(crate::catalog::CATALOG_NAME),
        reason: format!(
            "the file is missing, but {} holds {} stream director{} ({}); refusing to start an empty store over them. Restore the catalog (from a backup, or put back the file that was moved), or move {} aside to start an empty store",
            root.path("streams").display(),
            found.len(),
            if found.len() == 1 { "y" } else { "ies" },
            found.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
            root.path("streams").display(),
        ),
    })
}

fn lock_dir(dir: &Path) -> Result<File> {
    use fs2::FileExt as _;
    let path = dir.join("LOCK");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| shardlog_segment::Error::Io {
            op: "open",
            path: path.clone(),
            source: e,
        })?;
    file.try_lock_exclusive()
        .map_err(|_| Error::Locked(dir.to_path_buf()))?;
    Ok(file)
}

/// Removes stream directories the catalog does not know: a create or delete that a crash cut short.
fn remove_orphans(streams_dir: &dyn Storage, catalog: &Catalog) -> Result<()> {
    let known: Vec<String> = catalog.streams.values().map(StreamMeta::dir_name).collect();
    let mut removed = false;
    for name in streams_dir.list()? {
        if !known.contains(&name) {
            // A stray file goes too; only a directory goes with remove_dir.
            streams_dir
                .remove_dir(&name)
                .or_else(|_| streams_dir.remove(&name))?;
            removed = true;
        }
    }
    if removed {
        streams_dir.sync_dir()?;
    }
    Ok(())
}

pub(crate) fn log_options(opts: &StoreOptions, incarnation: u32, index: u32) -> LogOptions {
    LogOptions {
        log_id: (u64::from(incarnation) << 32) | u64::from(index),
        segment_bytes: opts.segment_bytes,
        durability: opts.durability,
        clock: opts.clock.clone(),
        ..LogOptions::default()
    }
}

/// Opens a shard's log; `existing` shards (named by the catalog) must already have one, or numbering
/// would silently restart.
pub(crate) fn open_shard(
    existing: bool,
    dir: &dyn Storage,
    opts: &StoreOptions,
    incarnation: u32,
    index: u32,
) -> Result<Arc<Shard>> {
    let name = shard_dir_name(index);
    if existing && !dir.list()?.contains(&name) {
        return Err(missing(dir, &name));
    }
    let shard_dir = dir.subdir(&name)?;
    if existing && !shard_dir.list()?.iter().any(|n| n == "log.meta") {
        return Err(missing(&*shard_dir, "log.meta"));
    }
    let log = ShardLog::open(shard_dir, log_options(opts, incarnation, index))?;
    Ok(Arc::new(Shard {
        index,
        log,
        stats: ShardStats::default(),
        limiter: opts
            .limits
            .map(|l| Mutex::new(Limiter::new(l, opts.clock.now_ms()))),
        signal: (Mutex::new(0), Condvar::new()),
        hot: Mutex::new(crate::ondemand::HotWindow::default()),
    }))
}

fn missing(dir: &dyn Storage, name: &str) -> Error {
    Error::CorruptCatalog {
        file: dir.path(name),
        reason:
            "the catalog names this shard but its files are missing; refusing to start it empty"
                .into(),
    }
}

fn open_stream(
    streams_dir: &Arc<dyn Storage>,
    opts: &StoreOptions,
    meta: StreamMeta,
) -> Result<Arc<Stream>> {
    if !streams_dir.list()?.contains(&meta.dir_name()) {
        return Err(missing(&**streams_dir, &meta.dir_name()));
    }
    let dir = streams_dir.subdir(&meta.dir_name())?;
    let known: Vec<String> = meta
        .shards
        .iter()
        .map(|s| shard_dir_name(s.index))
        .collect();
    let mut removed = false;
    for name in dir.list()? {
        if !known.contains(&name) {
            dir.remove_dir(&name).or_else(|_| dir.remove(&name))?;
            removed = true;
        }
    }
    if removed {
        dir.sync_dir()?;
    }
    let shards = meta
        .shards
        .par_iter()
        .map(|s| open_shard(true, &*dir, opts, meta.incarnation, s.index))
        .collect::<Result<Vec<_>>>()?;
    let shards = shards.into_iter().map(|s| (s.index, s)).collect();
    Ok(Arc::new(Stream {
        name: meta.name.clone(),
        incarnation: meta.incarnation,
        dir,
        state: RwLock::new(StreamState::new(meta, shards)),
        retention: Mutex::new(()),
    }))
}

impl StoreInner {
    pub fn read_streams(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_streams(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the catalog for a control-plane change; refused once the store stopped or closed.
    pub fn lock_catalog(&self) -> Result<CatalogTxn<'_>> {
        let catalog = self.catalog.lock().unwrap_or_else(|e| e.into_inner());
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
            .ok_or_else(|| stream_not_found(name))
    }

    pub fn now_ms(&self) -> u64 {
        self.opts.clock.now_ms()
    }
}

impl Stream {
    pub fn read(&self) -> RwLockReadGuard<'_, StreamState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, StreamState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lock_retention(&self) -> MutexGuard<'_, ()> {
        self.retention.lock().unwrap_or_else(|e| e.into_inner())
    }
}
