//! The worker: configuration, the handle an application keeps, and the state its threads share.

use super::coordinator::Coordinator;
use super::held::HeldLease;
use super::leases::LeaseStore;
use super::processor::RecordProcessor;
use super::source::RecordSource;
use crate::error::{Error, Result};
use crate::names::ShardId;
use shardlog_checkpoint::lease::Checkpoint;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Where an application with no checkpoint yet starts reading.
///
/// ```
/// use shardlog::consumer::InitialPosition;
/// assert_eq!(InitialPosition::default(), InitialPosition::Latest);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InitialPosition {
    /// From the oldest record still retained.
    TrimHorizon,
    /// From records arriving after the worker starts (the KCL's default).
    #[default]
    Latest,
    /// From the first record at or after this arrival time (ms since the Unix epoch).
    AtTimestamp(u64),
}

impl InitialPosition {
    pub(crate) fn checkpoint(self) -> Checkpoint {
        match self {
            InitialPosition::TrimHorizon => Checkpoint::TrimHorizon,
            InitialPosition::Latest => Checkpoint::Latest,
            InitialPosition::AtTimestamp(t) => Checkpoint::AtTimestamp(t),
        }
    }
}

/// How a worker runs. The failover time is the lease table's
/// [`lease_duration_ms`](shardlog_checkpoint::lease::LeaseOptions::lease_duration_ms), so every
/// worker sharing the table agrees on it.
///
/// ```
/// use shardlog::consumer::{InitialPosition, WorkerConfig};
/// let config = WorkerConfig {
///     initial_position: InitialPosition::TrimHorizon,
///     ..WorkerConfig::new("billing", "clicks", "host-a")
/// };
/// assert_eq!(config.max_leases_to_steal, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// The consuming application; workers of one application share the shards.
    pub application: String,
    /// The stream consumed.
    pub stream: String,
    /// This worker's id, unique among the application's workers.
    pub worker_id: String,
    /// Where to start shards that have no checkpoint. Default: [`InitialPosition::Latest`].
    pub initial_position: InitialPosition,
    /// Most leases stolen from a busier worker in one pass. Default: 1.
    pub max_leases_to_steal: usize,
    /// Records asked for per read. Default: 10,000.
    pub max_records: usize,
    /// Pause after a read that returned nothing. Default: 200 ms.
    pub idle_time_between_reads: Duration,
    /// When set, the worker checkpoints the newest delivered record this often by itself (after
    /// `process_records` returns), in addition to the processor's own checkpoints. Default: none.
    pub checkpoint_interval: Option<Duration>,
    /// Extra attempts when a checkpoint write fails transiently. Default: 3.
    pub checkpoint_retries: u32,
    /// How often a shard waiting on its parents looks again. Default: 500 ms.
    pub parent_poll_interval: Duration,
    /// How often the worker looks for shards that need a lease. Default: 10 s.
    pub shard_sync_interval: Duration,
}

impl WorkerConfig {
    /// Defaults for `worker_id` consuming `stream` for `application`.
    ///
    /// ```
    /// let c = shardlog::consumer::WorkerConfig::new("app", "s", "w1");
    /// assert_eq!((c.application.as_str(), c.max_records), ("app", 10_000));
    /// ```
    pub fn new(application: &str, stream: &str, worker_id: &str) -> Self {
        WorkerConfig {
            application: application.to_string(),
            stream: stream.to_string(),
            worker_id: worker_id.to_string(),
            initial_position: InitialPosition::Latest,
            max_leases_to_steal: 1,
            max_records: 10_000,
            idle_time_between_reads: Duration::from_millis(200),
            checkpoint_interval: None,
            checkpoint_retries: 3,
            parent_poll_interval: Duration::from_millis(500),
            shard_sync_interval: Duration::from_secs(10),
        }
    }
}

/// Builds a processor for each shard a worker starts.
pub(crate) type Factory = Box<dyn Fn() -> Box<dyn RecordProcessor> + Send + Sync>;

/// What the worker's threads share.
pub(crate) struct Shared {
    pub config: WorkerConfig,
    pub source: Arc<dyn RecordSource>,
    pub table: Arc<dyn LeaseStore>,
    pub factory: Factory,
    pub failover: Duration,
    /// Leases held, by shard id.
    pub held: Mutex<BTreeMap<String, Arc<HeldLease>>>,
    /// Milliseconds behind the newest record, per shard being read.
    pub lag: Mutex<BTreeMap<ShardId, u64>>,
    /// The most recent failure a background thread could not report to a caller.
    pub last_error: Mutex<Option<String>>,
    /// Graceful shutdown asked for.
    pub stopping: AtomicBool,
    /// Stop at once, writing nothing more (what a killed process does).
    pub abandoned: AtomicBool,
    wake: (Mutex<()>, Condvar),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn held(&self) -> MutexGuard<'_, BTreeMap<String, Arc<HeldLease>>> {
        lock(&self.held)
    }

    pub fn lag(&self) -> MutexGuard<'_, BTreeMap<ShardId, u64>> {
        lock(&self.lag)
    }

    pub fn report(&self, what: &str, e: &Error) {
        *lock(&self.last_error) = Some(format!("{what}: {e}"));
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    pub fn abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Acquire)
    }

    /// Sleeps up to `d`, waking early when the worker is told to stop.
    pub fn sleep(&self, d: Duration) {
        let guard = lock(&self.wake.0);
        if self.stopping() || self.abandoned() {
            return;
        }
        let _unused = self.wake.1.wait_timeout(guard, d);
    }

    fn wake_all(&self) {
        let _guard = lock(&self.wake.0);
        self.wake.1.notify_all();
    }
}

/// A consumer worker, modelled on the KCL's `Scheduler`: it keeps leases on a stream's shards
/// in a [`LeaseTable`] shared with the application's other workers, and runs one
/// [`RecordProcessor`] per held shard on its own thread.
///
/// Its coordinator renews held leases about every third of the failover time, takes leases
/// nobody renews, steals at most one per pass from a busier worker to balance, creates leases for
/// new shards, and starts a shard only after its parents reached `SHARD_END`.
///
/// ```
/// use shardlog::consumer::*;
/// use shardlog::{PutEntry, Store, StoreOptions};
/// use std::sync::{Arc, Mutex};
///
/// struct Collect(Arc<Mutex<Vec<Vec<u8>>>>);
/// impl RecordProcessor for Collect {
///     fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
///         self.0.lock().unwrap().extend(input.records.iter().map(|r| r.data.clone()));
///         cp.checkpoint().unwrap();
///     }
///     fn shard_ended(&mut self, cp: &mut Checkpointer) {
///         cp.checkpoint().unwrap();
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// store.create_stream("clicks", 2)?;
/// store.put_record("clicks", PutEntry::new("user-1", b"hello"))?;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let config = WorkerConfig {
///     initial_position: InitialPosition::TrimHorizon,
///     ..WorkerConfig::new("app", "clicks", "worker-1")
/// };
/// let sink = seen.clone();
/// let worker = Worker::start(store.clone(), store.lease_table(Default::default())?, config, move || {
///     Collect(sink.clone())
/// })?;
/// while seen.lock().unwrap().is_empty() {
///     std::thread::sleep(std::time::Duration::from_millis(10));
/// }
/// worker.shutdown()?;
/// assert_eq!(seen.lock().unwrap()[0], b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Worker {
    shared: Arc<Shared>,
    coordinator: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// Starts a worker. `factory` builds one processor per shard the worker starts.
    ///
    /// # Errors
    /// The stream does not exist, a name is not a valid lease key part, or the lease table fails.
    pub fn start<P, F>(
        source: impl RecordSource,
        table: impl LeaseStore,
        config: WorkerConfig,
        factory: F,
    ) -> Result<Worker>
    where
        P: RecordProcessor + 'static,
        F: Fn() -> P + Send + Sync + 'static,
    {
        if config.worker_id.is_empty() || config.max_records == 0 {
            return Err(Error::InvalidArgument(
                "a worker needs a non-empty worker id and max_records of at least 1".into(),
            ));
        }
        let failover = Duration::from_millis(table.lease_duration_ms());
        let shared = Arc::new(Shared {
            config,
            source: Arc::new(source),
            table: Arc::new(table),
            factory: Box::new(move || Box::new(factory())),
            failover,
            held: Mutex::new(BTreeMap::new()),
            lag: Mutex::new(BTreeMap::new()),
            last_error: Mutex::new(None),
            stopping: AtomicBool::new(false),
            abandoned: AtomicBool::new(false),
            wake: (Mutex::new(()), Condvar::new()),
        });
        // The first lease sync runs here so a missing stream or a bad name fails the call;
        // an unreachable remote store is given a few more tries first.
        let mut coordinator = Coordinator::new(Arc::clone(&shared));
        let mut attempt = 0;
        loop {
            match coordinator.sync_leases() {
                Ok(()) => break,
                Err(Error::Unavailable(_)) if attempt < 5 => {
                    attempt += 1;
                    super::checkpointer::backoff(attempt + 1);
                }
                Err(e) => return Err(e),
            }
        }
        let thread = std::thread::Builder::new()
            .name(format!("lease-coordinator-{}", shared.config.worker_id))
            .spawn(move || coordinator.run())
            .map_err(|e| Error::InvalidArgument(format!("cannot start the worker thread: {e}")))?;
        Ok(Worker {
            shared,
            coordinator: Some(thread),
        })
    }

    /// The shards this worker holds leases on right now.
    ///
    /// ```no_run
    /// # fn f(worker: &shardlog::consumer::Worker) {
    /// println!("holding {:?}", worker.held_shards());
    /// # }
    /// ```
    pub fn held_shards(&self) -> Vec<ShardId> {
        self.shared.held().values().map(|l| l.shard).collect()
    }

    /// Milliseconds each shard being read is behind its newest record (from the last read).
    ///
    /// ```no_run
    /// # fn f(worker: &shardlog::consumer::Worker) {
    /// for (shard, ms) in worker.lag() {
    ///     println!("{shard}: {ms} ms behind");
    /// }
    /// # }
    /// ```
    pub fn lag(&self) -> BTreeMap<ShardId, u64> {
        self.shared.lag().clone()
    }

    /// The most recent failure of a background thread (lease table or stream errors), if any.
    ///
    /// ```no_run
    /// # fn f(worker: &shardlog::consumer::Worker) {
    /// if let Some(e) = worker.last_error() { eprintln!("{e}"); }
    /// # }
    /// ```
    pub fn last_error(&self) -> Option<String> {
        lock(&self.shared.last_error).clone()
    }

    /// Shuts down gracefully: every processor gets `shutdown_requested` (and may checkpoint),
    /// then the worker releases its leases so other workers take them over at once.
    ///
    /// ```no_run
    /// # fn f(worker: shardlog::consumer::Worker) -> shardlog::Result<()> {
    /// worker.shutdown()?;
    /// # Ok(()) }
    /// ```
    pub fn shutdown(mut self) -> Result<()> {
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.wake_all();
        self.join();
        Ok(())
    }

    /// Stops at once without another write to the lease table and without calling the
    /// processors, as a killed process would. Its leases move to other workers once they lapse
    /// (the failover time); records after the last checkpoint are delivered again.
    ///
    /// ```no_run
    /// # fn f(worker: shardlog::consumer::Worker) {
    /// worker.abandon();
    /// # }
    /// ```
    pub fn abandon(mut self) {
        self.shared.abandoned.store(true, Ordering::Release);
        self.shared.wake_all();
        self.join();
    }

    fn join(&mut self) {
        if let Some(t) = self.coordinator.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.coordinator.is_some() {
            self.shared.stopping.store(true, Ordering::Release);
            self.shared.wake_all();
            self.join();
        }
    }
}
