//! shardlog: Amazon Kinesis Data Streams as an embeddable, durable, log-structured storage engine.
//!
//! A [`Store`] owns a data directory of streams. Each stream splits the 128-bit hash-key space into
//! shards; each shard is a durable append-only log ([`shardlog_segment::ShardLog`]). Producers
//! [`put_records`](Store::put_records); consumers read with shard iterators
//! ([`get_shard_iterator`](Store::get_shard_iterator), [`get_records`](Store::get_records)) or get
//! records pushed ([`subscribe`](Store::subscribe)); resharding splits and merges shards while every
//! partition key's sequence numbers keep rising.
//!
//! ```
//! use shardlog::{PutEntry, StartingPosition, Store, StoreOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), StoreOptions::default())?;
//! store.create_stream("clickstream", 4)?;
//! let events = [PutEntry::new("user-1", b"click"), PutEntry::new("user-1", b"purchase")];
//! let out = store.put_records("clickstream", &events)?;
//! let first = out.records[0].as_ref().map_err(|f| f.error_message.clone())?;
//! let it = store.get_shard_iterator("clickstream", first.shard_id, StartingPosition::TrimHorizon)?;
//! let got = store.get_records(&it, 10)?;
//! assert_eq!(got.records.iter().map(|r| &r.data[..]).collect::<Vec<_>>(), [&b"click"[..], b"purchase"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod account;
pub mod backup;
mod catalog;
mod channel;
pub mod consumer;
mod consumers;
mod error;
mod get;
mod hashkey;
pub mod inspect;
mod iterator;
mod lifecycle;
mod limits;
mod names;
mod ondemand;
mod open;
mod phase;
mod put;
mod queue;
pub mod repair;
mod reshard;
mod retention;
mod retention_clock;
mod seqnum;
mod settings;
mod state;
mod stats;
mod store;
mod streams;
mod subscribe;
pub mod verify;

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use account::AccountLimits;
pub use catalog::StreamMode;
pub use channel::{
    BucketDirectories, ChannelDescription, ChannelLogging, ChannelProgress, ChannelStatus,
    Compression, CreateChannel, DeadLetterS3, ObjectSink, RecordFormat, S3Destination,
    UpdateChannel, DEFAULT_DATA_FRESHNESS_SECONDS, MAX_OBJECT_BYTES,
};
pub use consumers::{RegisteredConsumer, MAX_CONSUMERS_PER_STREAM};
pub use error::{Error, Result};
pub use get::{
    ChildShard, GetRecordsOutput, Record, StartingPosition, MAX_GET_BYTES, MAX_GET_RECORDS,
};
pub use hashkey::{hash_key, MAX_HASH_KEY};
pub use iterator::ITERATOR_TTL_MS;
pub use limits::ShardLimits;
pub use names::{stream_arn, validate_stream_name, ShardId, MAX_PARTITION_KEY_CHARS};
pub use names::{DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
pub use put::{
    PutEntry, PutFailure, PutRecordsOutput, PutResult, MAX_PUT_RECORDS, MAX_PUT_RECORDS_BYTES,
    MAX_RECORD_DATA, MAX_RECORD_DATA_LIMIT,
};
pub use queue::{
    CreateQueue, DeadLetterConfiguration, DeadLetterTarget, QueueAttributes, QueueBatchOutput,
    QueueDescription, QueueEntryFailure, QueueRecord, QueueStartingPosition, QueueStatus,
    QueueSummary, ReceiveQueueRecords, DEFAULT_MAX_RECEIVE_COUNT,
    DEFAULT_VISIBILITY_TIMEOUT_SECONDS, MAX_QUEUE_BATCH, MAX_RECEIVE_COUNT,
    MAX_VISIBILITY_TIMEOUT_SECONDS, MAX_WAIT_TIME,
};
pub use retention::RetentionReport;
pub use seqnum::SequenceNumber;
pub use settings::{
    AccountSettings, Commitment, ConsumerSettings, StreamSettings, MAX_RECORD_SIZE_KIB, MAX_TAGS,
    METRIC_NAMES, ON_DEMAND_STREAM_LIMIT, SHARD_LEVEL_METRICS,
};
pub use shardlog_segment::{Clock, Durability, OpenSegments, DEFAULT_OPEN_SEGMENTS};
pub use stats::ShardStatistics;
pub use store::{Store, StoreOptions};
pub use streams::{
    CreateStream, ShardDescription, StreamDescription, MAX_RETENTION_HOURS, MIN_RETENTION_HOURS,
};
pub use subscribe::{Subscription, SubscriptionEvent};
