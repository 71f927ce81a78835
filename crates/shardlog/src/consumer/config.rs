//! What a worker is told: its application, stream and name, where to start, and its timings.

use super::lease::Checkpoint;
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
/// [`lease_duration_ms`](super::lease::LeaseOptions::lease_duration_ms), so every
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
