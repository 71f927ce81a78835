//! Opening a store (the catalog, the stream directories, every shard's log, the background
//! retention pass) and closing it.

use crate::catalog::{shard_dir_name, Catalog, StreamMeta};
use crate::error::{Error, Result};
use crate::lifecycle::Lifecycle;
use crate::limits::Limiter;
use crate::retention::{newest_known_ms, spawn_retention};
use crate::retention_clock::RetentionClock;
use crate::stats::ShardStats;
use crate::store::{Shard, Store, StoreInner, StoreOptions, Stream, StreamState};
use rayon::prelude::*;
use shardlog_segment::{LogOptions, ShardLog};
use shardlog_storage::MutexExt as _;
use shardlog_storage::{FsStorage, Storage};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, RwLock};

impl Store {
    /// Opens (or creates) the store in `dir`, taking an exclusive lock on it: a second process gets
    /// [`Error::Locked`].
    pub fn open(dir: impl AsRef<Path>, opts: StoreOptions) -> Result<Store> {
        Store::open_with_storage(Arc::new(FsStorage::open(dir)?), opts)
    }

    /// Opens a store on any [`Storage`] (for example a simulated disk), taking its `LOCK` as
    /// [`Store::open`] does.
    pub fn open_with_storage(root: Arc<dyn Storage>, opts: StoreOptions) -> Result<Store> {
        crate::names::validate_account_id(&opts.account_id)?;
        crate::names::validate_region(&opts.region)?;
        let started = std::time::Instant::now();
        let lock = match root.lock("LOCK") {
            Ok(lock) => lock,
            Err(shardlog_storage::Error::Locked { mut path }) => {
                path.pop(); // the store's directory, not its LOCK file
                return Err(Error::Locked(path));
            }
            Err(e) => return Err(e.into()),
        };
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
                tracing::info!(dir = %root.path("").display(), "created a new store");
                c
            }
        };
        let streams_dir = root.subdir("streams")?;
        let present = remove_orphans(&*streams_dir, &catalog)?;
        let metas: Vec<StreamMeta> = catalog.streams.values().cloned().collect();
        let opened: Vec<Result<Arc<Stream>>> = metas
            .into_par_iter()
            .map(|meta| open_stream(&streams_dir, &present, &opts, meta))
            .collect();
        let mut streams = BTreeMap::new();
        for stream in opened {
            let stream = stream?;
            streams.insert(stream.name.clone(), stream);
        }
        tracing::info!(
            dir = %root.path("").display(),
            streams = streams.len(),
            shards = streams.values().map(|s| s.read().shards.len()).sum::<usize>(),
            took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "store opened"
        );
        let channels = catalog.channels;
        let inner = StoreInner {
            secret: catalog.secret_bytes(),
            root,
            streams_dir,
            retention_clock: RetentionClock::new(
                opts.retention_clock_step,
                &opts.clock,
                newest_known_ms(streams.values()),
            ),
            opts,
            life: Lifecycle::default(),
            catalog: Mutex::new(catalog),
            streams: RwLock::new(streams),
            stopping: std::sync::atomic::AtomicBool::new(false),
            retention_thread: Mutex::new(None),
            leases: Mutex::new(None),
            queues: Default::default(),
            channels: crate::channel::Registry::new(channels),
            lock: Mutex::new(Some(lock)),
            deleting: Default::default(),
        };
        let inner = Arc::new(inner);
        if let Some(every) = inner.opts.retention_interval {
            let handle = spawn_retention(Arc::downgrade(&inner), every);
            *inner.retention_thread.locked() = handle;
        }
        let store = Store {
            inner,
            region: None,
        };
        // Channels resume delivery where they left off, a batch cut short by a crash first. A
        // checkpoint file that cannot be read fails the channel calls, not the open.
        match store.channel_map().map(|m| m.by_id.is_empty()) {
            Ok(false) => store.ensure_delivery_thread(),
            Ok(true) => {}
            Err(e) => {
                tracing::error!(error = %e, "channels could not be loaded; they do not deliver until the store is reopened")
            }
        }
        Ok(store)
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
        let thread = inner.retention_thread.locked().take();
        if let Some(t) = thread {
            t.thread().unpark();
            // The retention thread never closes the store, so this never joins the caller itself.
            let _ = t.join();
        }
        let thread = inner.channels.thread.locked().take();
        if let Some(t) = thread {
            t.thread().unpark();
            let _ = t.join();
        }
        // A control-plane change in flight finishes first (it holds the catalog).
        drop(inner.catalog.locked());
        // What the channels hold is delivered before the shards close.
        let mut first_error = self.delivery_pass(true).err();
        let streams: Vec<Arc<Stream>> = inner.read_streams().values().cloned().collect();
        let shards: Vec<Arc<Shard>> = streams
            .iter()
            .flat_map(|stream| stream.read().shards.values().cloned().collect::<Vec<_>>())
            .collect();
        // Every close ends in an fdatasync: on the pool sized for concurrent flushes they overlap
        // (10,000 shards closed one after the other took seconds).
        let close = |shard: &Arc<Shard>| shard.log.close().err();
        let errors: Vec<_> =
            crate::put::on_flush_pool(|| shards.par_iter().filter_map(close).collect());
        if let Some(e) = errors.into_iter().next() {
            first_error.get_or_insert(Error::from(e));
        }
        drop(inner.leases.locked().take());
        drop(inner.lock.locked().take());
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

/// Removes stream directories the catalog does not know (a create or delete that a crash cut
/// short); returns the names left.
fn remove_orphans(streams_dir: &dyn Storage, catalog: &Catalog) -> Result<BTreeSet<String>> {
    let known: BTreeSet<String> = catalog.streams.values().map(StreamMeta::dir_name).collect();
    prune(streams_dir, &known)
}

/// Removes every entry of `dir` that `keep` does not name (a directory with everything in it, or
/// a stray file): leftovers of a create, delete or reshard that a crash cut short, which no catalog
/// names. Syncs `dir` if anything went. Returns the names left, so that the caller need not list
/// `dir` again (once per stream or shard, that made opening many of them quadratic).
fn prune(dir: &dyn Storage, keep: &BTreeSet<String>) -> Result<BTreeSet<String>> {
    let mut removed = false;
    let mut left = BTreeSet::new();
    for name in dir.list()? {
        if keep.contains(&name) {
            left.insert(name);
        } else {
            dir.remove_dir(&name).or_else(|_| dir.remove(&name))?;
            tracing::warn!(
                path = %dir.path(&name).display(),
                "removed a leftover the catalog does not name (a create, delete or reshard cut short)"
            );
            removed = true;
        }
    }
    if removed {
        dir.sync_dir()?;
    }
    Ok(left)
}

pub(crate) fn log_options(opts: &StoreOptions, incarnation: u32, index: u32) -> LogOptions {
    LogOptions {
        log_id: (u64::from(incarnation) << 32) | u64::from(index),
        segment_bytes: opts.segment_bytes,
        durability: opts.durability,
        clock: opts.clock.clone(),
        open_segments: opts.open_segments.clone(),
        ..LogOptions::default()
    }
}

/// Opens a shard's log. An existing shard (named by the catalog) must already have one, or
/// numbering would silently restart: `existing` holds the stream directory's names, listed once
/// by the caller (a stream of 10,000 shards would otherwise list 10,000 names per shard); `None`
/// for a new shard.
pub(crate) fn open_shard(
    existing: Option<&BTreeSet<String>>,
    dir: &dyn Storage,
    opts: &StoreOptions,
    incarnation: u32,
    index: u32,
) -> Result<Arc<Shard>> {
    let name = shard_dir_name(index);
    if existing.is_some_and(|names| !names.contains(&name)) {
        return Err(missing(dir, &name));
    }
    let shard_dir = dir.subdir(&name)?;
    if existing.is_some() && !shard_dir.list()?.iter().any(|n| n == "log.meta") {
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
        waiters: std::sync::atomic::AtomicUsize::new(0),
        hot: Mutex::new(crate::ondemand::HotWindow::default()),
    }))
}

/// Makes the directory of a shard being created (by `create_stream` or a reshard) and its first
/// segment, so the first puts to the new shard do not create and sync a file in line.
pub(crate) fn new_shard(
    dir: &dyn Storage,
    opts: &StoreOptions,
    incarnation: u32,
    index: u32,
) -> Result<Arc<Shard>> {
    let shard = open_shard(None, dir, opts, incarnation, index)?;
    shard.log.start_active()?;
    Ok(shard)
}

fn missing(dir: &dyn Storage, name: &str) -> Error {
    Error::CorruptCatalog {
        file: dir.path(name),
        reason:
            "the catalog names this shard but its files are missing; refusing to start it empty"
                .into(),
    }
}

/// Opens a stream the catalog names; `present` holds the names in `streams_dir`.
fn open_stream(
    streams_dir: &Arc<dyn Storage>,
    present: &BTreeSet<String>,
    opts: &StoreOptions,
    meta: StreamMeta,
) -> Result<Arc<Stream>> {
    if !present.contains(&meta.dir_name()) {
        return Err(missing(&**streams_dir, &meta.dir_name()));
    }
    let dir = streams_dir.subdir(&meta.dir_name())?;
    let known: BTreeSet<String> = meta
        .shards
        .iter()
        .map(|s| shard_dir_name(s.index))
        .collect();
    let listed = prune(&*dir, &known)?;
    let shards = meta
        .shards
        .par_iter()
        .map(|s| open_shard(Some(&listed), &*dir, opts, meta.incarnation, s.index))
        .collect::<Result<Vec<_>>>()?;
    let shards = shards.into_iter().map(|s| (s.index, s)).collect();
    Ok(Arc::new(Stream {
        name: meta.name.clone(),
        incarnation: meta.incarnation,
        dir,
        state: RwLock::new(StreamState::new(meta, shards)),
        retention: Mutex::new(()),
        spread: Default::default(),
        transition: Default::default(),
    }))
}
