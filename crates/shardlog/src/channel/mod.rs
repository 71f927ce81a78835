//! Channels (Kinesis `CreateChannel`, `DescribeChannel`, ...): exactly-once delivery of a stream's
//! records to object storage.
//!
//! A channel is a durable consumer of one on-demand stream. Its definition and its progress (per
//! shard the first record not yet delivered, and the range of the object being written) live in
//! the store's checkpoint file (`state.rs`, `docs/format.md` "Channel state"). One background
//! thread per store (`deliver.rs`) reads every channel's shards, children after parents, buffers
//! records up to the channel's data-freshness interval or [`MAX_OBJECT_BYTES`], converts them to the
//! record format (`render.rs`), compresses them and writes one object per batch and shard to the
//! store's [`ObjectSink`] (`sink.rs`). By default a bucket ARN `arn:aws:s3:::bucket` is the
//! directory `channels/bucket/` in the data directory and an object key its path below
//! ([`BucketDirectories`]); [`StoreOptions::channel_sink`](crate::StoreOptions::channel_sink) names
//! another sink, such as an S3 service.
//!
//! Every record is delivered exactly once: an object's name is derived from its shard and the
//! sequence numbers of its first and last record, the range is committed before the object is
//! written and the progress after it is in place, so a write redone after a crash replaces the
//! same object (`docs/durability.md`, "Channels").
//!
//! ```
//! use shardlog::{CreateChannel, CreateStream, PutEntry, Store, StoreOptions, StreamMode};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path(), StoreOptions::default())?;
//! store.create_stream_with("orders", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
//! let c = store.create_channel(CreateChannel::new("archive", "orders", "arn:aws:s3:::lake"))?;
//! store.put_record("orders", PutEntry::new("order-1", br#"{"id":1}"#))?;
//! assert_eq!(store.deliver_channels()?, 1);
//! // channels/lake/kinesis-channel/archive/<id>/<yyyy>/<MM>/<dd>/<HH>/archive-<id>-...json
//! let bucket = dir.path().join("channels/lake/kinesis-channel/archive").join(&c.channel_id);
//! assert!(bucket.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod control;
mod deliver;
mod key;
mod phase;
mod progress;
mod render;
mod sink;
mod state;

pub(crate) use deliver::{spawn_delivery, Registry};
pub use progress::ChannelProgress;
pub use sink::{BucketDirectories, ObjectSink};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Data freshness of a channel created without one, in seconds (as in Kinesis).
pub const DEFAULT_DATA_FRESHNESS_SECONDS: u32 = 300;
/// Largest object a channel writes from one shard, in bytes of records before compression: a
/// batch is delivered once it is this large, whatever its age.
pub const MAX_OBJECT_BYTES: usize = 64 << 20;

/// How the records of a stream are read and written (`RecordFormatType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordFormat {
    /// Each record is a JSON value; written one per line (records that are not JSON go to the
    /// dead-letter location).
    Json,
    /// Each record is UTF-8 text; written one per line (records that are not UTF-8 go to the
    /// dead-letter location).
    String,
    /// Records are written as they are, one after the other.
    ByteArray,
    /// JSON checked against an AWS Glue Schema Registry schema: only for table destinations,
    /// refused for buckets (as by Kinesis).
    GsrJson,
}

impl RecordFormat {
    /// The wire name (`JSON`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordFormat::Json => "JSON",
            RecordFormat::String => "STRING",
            RecordFormat::ByteArray => "BYTE_ARRAY",
            RecordFormat::GsrJson => "GSR_JSON",
        }
    }
}

/// How objects are compressed (`S3CompressionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Compression {
    /// As they are.
    #[default]
    None,
    /// gzip (`.gz`).
    Gzip,
    /// Zstandard (`.zst`).
    Zstd,
}

impl Compression {
    /// The wire name (`NONE`, `GZIP`, `ZSTD`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "NONE",
            Compression::Gzip => "GZIP",
            Compression::Zstd => "ZSTD",
        }
    }
}

/// Where records that cannot be converted go (`DeadLetterQueueS3Configuration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterS3 {
    /// `arn:aws:s3:::<bucket>`.
    pub bucket_arn: String,
    /// The 12-digit account said to own the bucket (kept, not checked: there are no owners here).
    pub expected_bucket_owner: String,
    /// Key prefix of dead-letter objects; default `kinesis-channel-errors/`.
    pub error_output_prefix: Option<String>,
}

/// Delivery to a general-purpose bucket (`S3DestinationConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Destination {
    /// `arn:aws:s3:::<bucket>`.
    pub bucket_arn: String,
    /// The 12-digit account said to own the bucket.
    pub expected_bucket_owner: String,
    /// Object key template (`!{channel-name}`, `!{yyyy}`, ...); `None` for Kinesis' default.
    pub output_key_template: Option<String>,
    /// `STANDARD`, `INTELLIGENT_TIERING` or `GLACIER_IR`: kept and reported, no effect here.
    pub storage_class: Option<String>,
    /// Compression of objects.
    pub compression: Compression,
    /// Most seconds a record waits before delivery, 300–900 (default 300).
    pub data_freshness_seconds: Option<u32>,
    /// Where records that cannot be converted go; `None`: the destination bucket, prefix
    /// `kinesis-channel-errors/`.
    pub dead_letter: Option<DeadLetterS3>,
}

impl S3Destination {
    /// The bucket of `bucket_arn`, uncompressed, default template and freshness.
    pub fn new(bucket_arn: &str) -> Self {
        S3Destination {
            bucket_arn: bucket_arn.to_string(),
            expected_bucket_owner: crate::DEFAULT_ACCOUNT_ID.to_string(),
            output_key_template: None,
            storage_class: None,
            compression: Compression::None,
            data_freshness_seconds: None,
            dead_letter: None,
        }
    }
}

/// A channel's CloudWatch Logs settings (`ChannelLoggingConfiguration`): kept and reported, not
/// acted on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelLogging {
    /// Whether logging is on.
    pub enabled: bool,
    /// The log group.
    pub log_group_name: Option<String>,
    /// The log stream.
    pub log_stream_name: Option<String>,
}

/// A request to create a channel (`CreateChannel`).
///
/// ```
/// use shardlog::{Compression, CreateChannel, RecordFormat};
/// let mut req = CreateChannel::new("archive", "orders", "arn:aws:s3:::lake");
/// req.record_format = RecordFormat::String;
/// req.destination.compression = Compression::Zstd;
/// assert_eq!(req.destination.bucket_arn, "arn:aws:s3:::lake");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateChannel {
    /// 1–128 characters of `[a-zA-Z0-9_.-]`, unique in the store.
    pub channel_name: String,
    /// The stream: its name or ARN. It must be on-demand.
    pub stream: String,
    /// The format of the stream's records.
    pub record_format: RecordFormat,
    /// The role Kinesis would assume to write (kept, not used).
    pub service_execution_role_arn: String,
    /// Where and how objects are written.
    pub destination: S3Destination,
    /// The KMS key of `EncryptionConfiguration` (kept, not used).
    pub encryption_key_id: Option<String>,
    /// CloudWatch Logs settings (kept, not used).
    pub logging: ChannelLogging,
    /// Tags (at most 200).
    pub tags: BTreeMap<String, String>,
}

impl CreateChannel {
    /// A JSON channel on `stream` delivering to the bucket of `bucket_arn` with the defaults.
    pub fn new(channel_name: &str, stream: &str, bucket_arn: &str) -> Self {
        CreateChannel {
            channel_name: channel_name.to_string(),
            stream: stream.to_string(),
            record_format: RecordFormat::Json,
            service_execution_role_arn: format!(
                "arn:aws:iam::{}:role/shardlog-channel",
                crate::DEFAULT_ACCOUNT_ID
            ),
            destination: S3Destination::new(bucket_arn),
            encryption_key_id: None,
            logging: ChannelLogging::default(),
            tags: BTreeMap::new(),
        }
    }
}

/// A change to a channel (`UpdateChannel`); `None` fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateChannel {
    /// New data freshness, 300–900 seconds.
    pub data_freshness_seconds: Option<u32>,
    /// New logging settings.
    pub logging: Option<ChannelLogging>,
}

/// A channel's state (`ChannelStatus`). Without a state delay the engine creates, updates and
/// deletes channels at once, so it reports `ACTIVE` (or `FAILED` while delivery fails); with
/// [`StoreOptions::state_delay`](crate::StoreOptions) it passes through the other states as AWS
/// does (`phase.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelStatus {
    /// Being created.
    Creating,
    /// Delivering.
    Active,
    /// Being updated.
    Updating,
    /// Being deleted.
    Deleting,
    /// Delivery stopped; see the reason.
    Failed,
}

impl ChannelStatus {
    /// The wire name (`ACTIVE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Creating => "CREATING",
            ChannelStatus::Active => "ACTIVE",
            ChannelStatus::Updating => "UPDATING",
            ChannelStatus::Deleting => "DELETING",
            ChannelStatus::Failed => "FAILED",
        }
    }
}

/// A channel (`ChannelDescription`), with every default resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelDescription {
    /// The channel's name.
    pub channel_name: String,
    /// `arn:aws:kinesis:<region>:<account>:channel/<id>`.
    pub channel_arn: String,
    /// 32 hex digits, drawn at creation.
    pub channel_id: String,
    /// [`ChannelStatus::Active`], or [`ChannelStatus::Failed`] with a reason.
    pub status: ChannelStatus,
    /// Why delivery failed, if it did.
    pub status_reason: Option<String>,
    /// Creation time, ms since the epoch.
    pub created_ms: u64,
    /// The role given at creation.
    pub service_execution_role_arn: String,
    /// The stream's name.
    pub stream_name: String,
    /// The stream's ARN.
    pub stream_arn: String,
    /// The stream's creation time, ms since the epoch.
    pub stream_created_ms: u64,
    /// The format of the stream's records.
    pub record_format: RecordFormat,
    /// The destination, with the freshness, template and dead-letter location resolved.
    pub destination: S3Destination,
    /// The KMS key given at creation.
    pub encryption_key_id: Option<String>,
    /// CloudWatch Logs settings.
    pub logging: ChannelLogging,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// A channel as the checkpoint file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChannelDef {
    pub name: String,
    pub id: String,
    pub created_ms: u64,
    pub role_arn: String,
    pub stream: String,
    pub stream_incarnation: u32,
    pub format: RecordFormat,
    /// Resolved: freshness, template and dead-letter location set.
    pub destination: S3Destination,
    pub encryption_key_id: Option<String>,
    pub logging: ChannelLogging,
    pub tags: BTreeMap<String, String>,
    /// The first counter to deliver of each shard that existed at creation (its tip then); later
    /// shards start at their beginning.
    pub starts: BTreeMap<u32, u64>,
    /// The [`ObjectSink::name`] of the store's sink when the channel was made (absent in
    /// definitions written before sinks had names: the data directory's buckets). The channel
    /// delivers only through a sink of this name.
    #[serde(default = "sink::default_name")]
    pub sink: String,
    /// When the channel is `ACTIVE` (store clock, ms): its creation plus the store's state delay
    /// then. Until then it is `CREATING`, and records that arrive before it are not delivered.
    /// Absent (0) in definitions written before it existed.
    #[serde(default)]
    pub active_ms: u64,
}
