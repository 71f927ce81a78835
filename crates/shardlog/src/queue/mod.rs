//! Queues on a stream (Kinesis `CreateQueue`, `ReceiveQueueRecords`, ...): per-record delivery of a
//! stream's records to any number of consumer instances, with acknowledgements, visibility
//! timeouts and dead letters.
//!
//! A queue is a registered consumer of one on-demand stream (it counts against
//! [`MAX_CONSUMERS_PER_STREAM`](crate::MAX_CONSUMERS_PER_STREAM)). Its definition lives in the
//! catalog with the stream's; its delivery state (per shard a cursor, the records in flight and the
//! dead letters) lives in the store's checkpoint file (`state.rs`, `docs/format.md`), and every call
//! that changes it returns only after the change is committed there; concurrent calls share
//! commits (`commit.rs`). The records themselves stay in the stream: a record that retention drops
//! leaves the queue with it.
//!
//! ```
//! use shardlog::{CreateQueue, CreateStream, PutEntry, QueueStartingPosition, Store, StreamMode};
//! use std::time::Duration;
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), Default::default())?;
//! store.create_stream_with("orders", CreateStream { shard_count: 2, mode: StreamMode::OnDemand, ..Default::default() })?;
//! let q = store.create_queue(CreateQueue::new("billing", "orders").starting_at(QueueStartingPosition::TrimHorizon))?;
//! store.put_record("orders", PutEntry::new("order-1", b"paid"))?;
//!
//! let got = store.receive_queue_records(&q.queue_arn, 10, Duration::from_secs(1))?;
//! assert_eq!(got[0].record.data, b"paid"[..]);
//! let handles: Vec<&str> = got.iter().map(|r| r.receipt_handle.as_str()).collect();
//! let acked = store.acknowledge_queue_records(&q.queue_arn, &handles)?;
//! assert!(acked.failed.is_empty());
//! assert!(store.try_receive_queue_records(&q.queue_arn, 10, None)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ack;
mod commit;
mod control;
mod dead;
mod handle;
mod phase;
mod receive;
mod state;

use crate::get::Record;
use serde::{Deserialize, Serialize};
use shardlog_storage::MutexExt as _;
use state::{Keys, ShardDelivery};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex};

/// Visibility timeout of a queue created without one, in seconds (as in Kinesis).
pub const DEFAULT_VISIBILITY_TIMEOUT_SECONDS: u32 = 30;
/// Largest visibility timeout, in seconds (12 hours, the model's `VisibilityTimeoutSeconds`).
pub const MAX_VISIBILITY_TIMEOUT_SECONDS: u32 = 43_200;
/// Receives before a record becomes a dead letter, for a queue created without a
/// [`DeadLetterConfiguration`].
pub const DEFAULT_MAX_RECEIVE_COUNT: u32 = 6;
/// Largest `MaxReceiveCount`.
pub const MAX_RECEIVE_COUNT: u32 = 1_000;
/// Most records one receive returns, and most entries of one acknowledge, visibility or restore
/// call.
pub const MAX_QUEUE_BATCH: usize = 10;
/// Longest wait of one receive (the model's `WaitTimeSeconds` is 1–20).
pub const MAX_WAIT_TIME: std::time::Duration = std::time::Duration::from_secs(20);

/// Where a queue starts delivering (`QueueStartingPosition`).
///
/// ```
/// assert_eq!(shardlog::QueueStartingPosition::default(), shardlog::QueueStartingPosition::Latest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum QueueStartingPosition {
    /// The oldest record the stream holds.
    TrimHorizon,
    /// Records written after the queue was created (the default).
    #[default]
    Latest,
    /// Records that arrived at or after this time, ms since the epoch.
    AtTimestamp(u64),
}

/// Whether records become dead letters (`DeadLetterConfiguration.TargetType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeadLetterTarget {
    /// `BUILT_IN`: after `MaxReceiveCount` receives without an acknowledgement a record becomes a
    /// dead letter of the same queue.
    BuiltIn,
    /// `NONE`: an unacknowledged record is redelivered until acknowledged or dropped by retention.
    None,
}

/// A queue's dead-letter handling.
///
/// ```
/// let d = shardlog::DeadLetterConfiguration::built_in(3);
/// assert_eq!(d.max_receive_count, Some(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterConfiguration {
    /// `BUILT_IN` or `NONE`.
    pub target_type: DeadLetterTarget,
    /// Receives before a record becomes a dead letter, 1–1,000; required with `BUILT_IN`, absent
    /// with `NONE`.
    pub max_receive_count: Option<u32>,
}

impl DeadLetterConfiguration {
    /// `BUILT_IN` with this `MaxReceiveCount`.
    pub fn built_in(max_receive_count: u32) -> Self {
        DeadLetterConfiguration {
            target_type: DeadLetterTarget::BuiltIn,
            max_receive_count: Some(max_receive_count),
        }
    }

    /// `NONE`: no dead letters.
    pub fn none() -> Self {
        DeadLetterConfiguration {
            target_type: DeadLetterTarget::None,
            max_receive_count: None,
        }
    }
}

/// A queue's attributes (`QueueAttributes`); `None` fields keep their default on create and their
/// value on update.
///
/// ```
/// let a = shardlog::QueueAttributes { visibility_timeout_seconds: Some(60), ..Default::default() };
/// assert!(a.dead_letter_configuration.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueAttributes {
    /// Seconds a received record stays invisible, 0–43,200 (default 30).
    pub visibility_timeout_seconds: Option<u32>,
    /// Dead-letter handling (default `BUILT_IN` with `MaxReceiveCount` 6).
    pub dead_letter_configuration: Option<DeadLetterConfiguration>,
}

/// A request to create a queue (`CreateQueue`).
///
/// ```
/// use shardlog::{CreateQueue, QueueStartingPosition};
/// let req = CreateQueue::new("billing", "orders").starting_at(QueueStartingPosition::TrimHorizon);
/// assert_eq!(req.stream, "orders");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateQueue {
    /// 1–128 characters of `[a-zA-Z0-9_.-]`, unique in the store.
    pub queue_name: String,
    /// The stream: its name or ARN. It must be on-demand.
    pub stream: String,
    /// Where delivery begins (default `LATEST`).
    pub starting_position: QueueStartingPosition,
    /// Visibility timeout and dead-letter handling.
    pub attributes: QueueAttributes,
    /// Tags (at most 200).
    pub tags: BTreeMap<String, String>,
}

impl CreateQueue {
    /// A queue on `stream` with the default position and attributes.
    pub fn new(queue_name: &str, stream: &str) -> Self {
        CreateQueue {
            queue_name: queue_name.to_string(),
            stream: stream.to_string(),
            starting_position: QueueStartingPosition::default(),
            attributes: QueueAttributes::default(),
            tags: BTreeMap::new(),
        }
    }

    /// The same request starting at `position`.
    pub fn starting_at(mut self, position: QueueStartingPosition) -> Self {
        self.starting_position = position;
        self
    }

    /// The same request with `attributes`.
    pub fn with_attributes(mut self, attributes: QueueAttributes) -> Self {
        self.attributes = attributes;
        self
    }
}

/// A queue's state (`QueueStatus`). Queues are created, updated and deleted at once, so they are
/// `ACTIVE` at once unless [`StoreOptions::state_delay`](crate::StoreOptions::state_delay) asks
/// for the other states, as AWS reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStatus {
    /// Being created.
    Creating,
    /// Delivering.
    Active,
    /// Being updated.
    Updating,
    /// Being deleted.
    Deleting,
}

impl QueueStatus {
    /// The wire name (`ACTIVE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            QueueStatus::Creating => "CREATING",
            QueueStatus::Active => "ACTIVE",
            QueueStatus::Updating => "UPDATING",
            QueueStatus::Deleting => "DELETING",
        }
    }
}

/// A queue (`QueueDescription`), with every attribute resolved to its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDescription {
    /// The queue's name.
    pub queue_name: String,
    /// `arn:aws:kinesis:<region>:<account>:queue/<id>`; the id is generated at creation.
    pub queue_arn: String,
    /// See [`QueueStatus`].
    pub queue_status: QueueStatus,
    /// Creation time, ms since the epoch.
    pub queue_creation_timestamp_ms: u64,
    /// The stream's name.
    pub stream_name: String,
    /// The stream's ARN.
    pub stream_arn: String,
    /// The stream's creation time, ms since the epoch.
    pub stream_creation_timestamp_ms: u64,
    /// Where delivery began.
    pub starting_position: QueueStartingPosition,
    /// Seconds a received record stays invisible.
    pub visibility_timeout_seconds: u32,
    /// Dead-letter handling.
    pub dead_letter_configuration: DeadLetterConfiguration,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// One queue in [`Store::list_queues`](crate::Store::list_queues) (`QueueSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSummary {
    /// The queue's name.
    pub queue_name: String,
    /// Its ARN.
    pub queue_arn: String,
    /// See [`QueueStatus`].
    pub queue_status: QueueStatus,
    /// Creation time, ms since the epoch.
    pub queue_creation_timestamp_ms: u64,
    /// The stream's ARN.
    pub stream_arn: String,
    /// The stream's creation time, ms since the epoch.
    pub stream_creation_timestamp_ms: u64,
}

/// A received record (`QueueRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRecord {
    /// Names this delivery; pass it to acknowledge the record or change its visibility.
    pub receipt_handle: String,
    /// The record's id in the queue: its sequence number's digits.
    pub record_id: String,
    /// The stream record (sequence number, partition key, data, arrival time).
    pub record: Record,
    /// The first receive of the record, ms since the epoch.
    pub first_receive_timestamp_ms: u64,
    /// Receives of the record, this one included, since it entered the queue or was restored.
    pub receive_count: u32,
}

/// A receive request (`ReceiveQueueRecords`, `ReceiveDeadLetterQueueRecords`).
///
/// ```
/// let r = shardlog::ReceiveQueueRecords::default();
/// assert_eq!((r.limit, r.visibility_timeout_seconds), (10, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveQueueRecords {
    /// Most records to return, 1–10 (default 10).
    pub limit: usize,
    /// How long to wait for a visible record, at most [`MAX_WAIT_TIME`] (default none).
    pub wait: std::time::Duration,
    /// Overrides the queue's visibility timeout for these records, 0–43,200 s.
    pub visibility_timeout_seconds: Option<u32>,
}

impl Default for ReceiveQueueRecords {
    fn default() -> Self {
        ReceiveQueueRecords {
            limit: MAX_QUEUE_BATCH,
            wait: std::time::Duration::ZERO,
            visibility_timeout_seconds: None,
        }
    }
}

/// An entry of a batch call that failed (`...ErrorEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntryFailure {
    /// The handle as given.
    pub receipt_handle: String,
    /// `InvalidArgumentException` (a handle that is not one, or no longer names the current
    /// delivery) or `ResourceNotFoundException` (its record left the queue).
    pub error_code: &'static str,
    /// Why.
    pub error_message: String,
}

/// The answer of a batch call: which handles took effect and which failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueBatchOutput {
    /// Handles that took effect, in request order.
    pub successful: Vec<String>,
    /// Handles that did not, in request order.
    pub failed: Vec<QueueEntryFailure>,
}

/// A queue as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueueMeta {
    pub name: String,
    /// The resource id of its ARN.
    pub id: String,
    /// Unique in the store (drawn from the catalog's incarnation counter): names its delivery
    /// state and its receipt handles.
    pub incarnation: u32,
    pub created_ms: u64,
    pub start: QueueStartingPosition,
    /// The first counter to deliver of each shard that existed at creation; later shards start at
    /// their beginning.
    pub starts: BTreeMap<u32, u64>,
    pub visibility_timeout_s: u32,
    /// `Some(MaxReceiveCount)` for `BUILT_IN`, `None` for `NONE`.
    pub max_receive_count: Option<u32>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The store's queues at run time: delivery state loaded on first use, and the group committer.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    live: Mutex<HashMap<u32, Arc<Live>>>,
    committer: commit::Committer,
    /// `UPDATING` and `DELETING` queues (`StoreOptions::state_delay`).
    phases: phase::Phases,
    /// The state of deleted queues was swept since the store opened.
    swept: std::sync::atomic::AtomicBool,
}

/// One queue's delivery state in memory; changed only under `delivery`, and on disk in the same
/// order through the committer.
#[derive(Debug)]
pub(crate) struct Live {
    keys: Keys,
    delivery: Mutex<Delivery>,
    /// Signalled when records become visible by a call (visibility 0, restore).
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Delivery {
    shards: BTreeMap<u32, ShardDelivery>,
    /// Round-robin turn over shards.
    turn: usize,
    /// The queue was deleted: nothing more is written for it.
    gone: bool,
}

impl Registry {
    /// Checkpoint-file commits of queue state so far.
    pub fn commits(&self) -> u64 {
        self.committer.commits()
    }

    fn drop_live(&self, incarnation: u32) -> Option<Arc<Live>> {
        self.live.locked().remove(&incarnation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_meta_round_trips_through_the_catalog_encoding() {
        let m = QueueMeta {
            name: "q".into(),
            id: "abc".into(),
            incarnation: 4,
            created_ms: 9,
            start: QueueStartingPosition::AtTimestamp(7),
            starts: BTreeMap::from([(0, 3)]),
            visibility_timeout_s: 30,
            max_receive_count: Some(6),
            tags: BTreeMap::new(),
        };
        let s = serde_json::to_string(&m).unwrap_or_default();
        let back: Option<QueueMeta> = serde_json::from_str(&s).ok();
        assert_eq!(back, Some(m));
    }
}
