//! The worker: configuration, the handle an application keeps, and the state its threads share.

use super::config::WorkerConfig;
use super::coordinator::Coordinator;
use super::leases::LeaseStore;
use super::processor::RecordProcessor;
use super::shared::Shared;
use super::source::RecordSource;
use crate::error::{Error, Result};
use crate::names::ShardId;
use shardlog_storage::MutexExt as _;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

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
///         self.0.lock().unwrap().extend(input.records.iter().map(|r| r.data.to_vec()));
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
        self.shared.last_error.locked().clone()
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
