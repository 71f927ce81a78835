//! What a stream keeps for the Kinesis API beside its records: settings that AWS stores and
//! reports, stored and reported here the same way, durable in the catalog.
//!
//! None of them changes how records are kept: a KMS key does not encrypt the files, a resource
//! policy is not enforced, and enhanced monitoring turns on no extra metrics (`shardlog serve`'s
//! metrics are always on). They exist so that code written for AWS runs unchanged.

use crate::catalog::StreamMode;
use crate::error::{Error, Result};
use crate::names::ACCOUNT;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The shard-level metrics of enhanced monitoring, in AWS's order (`ALL` stands for all of them).
pub const SHARD_LEVEL_METRICS: [&str; 7] = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
];

/// On-demand streams an account may have, as AWS's default quota.
pub const ON_DEMAND_STREAM_LIMIT: usize = 50;

/// A stream's settings beyond its records.
///
/// ```
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// store.create_stream("s", 1)?;
/// let s = store.update_stream_settings("s", |s| {
///     s.kms_key_id = Some("alias/aws/kinesis".into());
///     Ok(())
/// })?;
/// assert_eq!(store.describe_stream("s")?.settings, s);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StreamSettings {
    /// Enabled shard-level metrics, in [`SHARD_LEVEL_METRICS`] order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shard_level_metrics: Vec<String>,
    /// The KMS key of `StartStreamEncryption` (`EncryptionType` `KMS`); `None`: `NONE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The resource policy of `PutResourcePolicy` (JSON text), stored and returned, not enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The warm throughput target of `UpdateStreamWarmThroughput`, MiB/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput_mibps: Option<u32>,
    /// `USER_PARTITION_KEY` or `AUTO` (`UpdateStreamRecordDistributionStrategy`); `None` until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_distribution: Option<String>,
    /// The largest data blob a put may carry, KiB (`UpdateMaxRecordSize`, CreateStream's
    /// `MaxRecordSizeInKiB`): 1,024 (the default) to 10,240.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_record_size_kib: Option<u32>,
}

/// The range of a stream's largest record, KiB, as on AWS.
pub const MAX_RECORD_SIZE_KIB: std::ops::RangeInclusive<u32> = 1024..=10240;

impl StreamSettings {
    /// The largest data blob a put may carry, bytes.
    ///
    /// ```
    /// assert_eq!(shardlog::StreamSettings::default().max_record_bytes(), 1 << 20);
    /// ```
    pub fn max_record_bytes(&self) -> usize {
        let kib = self
            .max_record_size_kib
            .unwrap_or(*MAX_RECORD_SIZE_KIB.start());
        usize::try_from(kib)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024)
    }

    /// Sets (`Some`) or removes (`None`) the resource policy; it must be a JSON object.
    ///
    /// ```
    /// let mut s = shardlog::StreamSettings::default();
    /// assert!(s.set_policy(Some("[1]".into())).is_err());
    /// s.set_policy(Some(r#"{"Version":"2012-10-17"}"#.into()))?;
    /// assert!(s.policy.is_some());
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn set_policy(&mut self, policy: Option<String>) -> Result<()> {
        check_policy(policy.as_deref())?;
        self.policy = policy;
        Ok(())
    }

    /// Turns `metrics` on (`on`) or off; `ALL` names every metric. Returns the metrics enabled
    /// before, as `EnableEnhancedMonitoring` reports them.
    ///
    /// ```
    /// let mut s = shardlog::StreamSettings::default();
    /// s.set_metrics(&["ALL".to_string()], true)?;
    /// let before = s.set_metrics(&["IncomingBytes".to_string()], false)?;
    /// assert_eq!((before.len(), s.shard_level_metrics.len()), (7, 6));
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn set_metrics(&mut self, metrics: &[String], on: bool) -> Result<Vec<String>> {
        let before = self.shard_level_metrics.clone();
        let named = |m: &str| metrics.iter().any(|x| x == m || x == "ALL");
        if let Some(bad) = metrics
            .iter()
            .find(|m| *m != "ALL" && !SHARD_LEVEL_METRICS.contains(&m.as_str()))
        {
            return Err(Error::InvalidArgument(format!(
                "{bad} is not a shard-level metric."
            )));
        }
        self.shard_level_metrics = SHARD_LEVEL_METRICS
            .iter()
            .filter(|m| {
                let enabled = before.iter().any(|b| b == *m);
                if on {
                    enabled || named(m)
                } else {
                    enabled && !named(m)
                }
            })
            .map(|m| m.to_string())
            .collect();
        Ok(before)
    }
}

/// What `DescribeLimits` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountLimits {
    /// Most open shards the store allows ([`StoreOptions::max_shards`](crate::StoreOptions::max_shards)).
    pub shard_limit: usize,
    /// Open shards of every stream.
    pub open_shard_count: usize,
    /// Streams in on-demand mode.
    pub on_demand_stream_count: usize,
    /// [`ON_DEMAND_STREAM_LIMIT`].
    pub on_demand_stream_count_limit: usize,
}

impl Store {
    /// Changes a stream's settings in one durable catalog update; returns them as stored.
    pub fn update_stream_settings(
        &self,
        name: &str,
        change: impl FnOnce(&mut StreamSettings) -> Result<()>,
    ) -> Result<StreamSettings> {
        let mut after = StreamSettings::default();
        self.update_meta(name, |meta| {
            change(&mut meta.settings)?;
            after = meta.settings.clone();
            Ok(())
        })?;
        Ok(after)
    }

    /// The account's shard quota and usage (`DescribeLimits`).
    ///
    /// ```
    /// use shardlog::{Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), StoreOptions::default())?;
    /// store.create_stream("s", 3)?;
    /// let limits = store.describe_limits()?;
    /// assert_eq!((limits.shard_limit, limits.open_shard_count), (10_000, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_limits(&self) -> Result<AccountLimits> {
        let catalog = self.inner.lock_catalog()?;
        let streams = catalog.streams.values();
        Ok(AccountLimits {
            shard_limit: self.inner.opts.max_shards,
            open_shard_count: streams.clone().map(|s| s.open_shards().count()).sum(),
            on_demand_stream_count: streams.filter(|s| s.mode == StreamMode::OnDemand).count(),
            on_demand_stream_count_limit: ON_DEMAND_STREAM_LIMIT,
        })
    }
}

/// Refuses a policy that is not a JSON object (a policy document always is one).
fn check_policy(policy: Option<&str>) -> Result<()> {
    match policy.map(serde_json::from_str::<serde_json::Value>) {
        None | Some(Ok(serde_json::Value::Object(_))) => Ok(()),
        Some(_) => Err(Error::InvalidArgument(
            "Policy document is not a valid JSON object.".into(),
        )),
    }
}

/// What a registered consumer keeps for the Kinesis API: its tags and its resource policy.
///
/// ```
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// store.create_stream("s", 1)?;
/// store.register_consumer("s", "app")?;
/// store.update_consumer_settings("s", "app", |c| {
///     c.tags.insert("team".into(), "data".into());
///     Ok(())
/// })?;
/// assert_eq!(store.consumer_settings("s", "app")?.tags["team"], "data");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsumerSettings {
    /// Tags (`TagResource` on the consumer's ARN).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The resource policy (JSON text), stored and returned, not enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl ConsumerSettings {
    /// Sets (`Some`) or removes (`None`) the resource policy; it must be a JSON object.
    ///
    /// ```
    /// let mut c = shardlog::ConsumerSettings::default();
    /// assert!(c.set_policy(Some("not json".into())).is_err());
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn set_policy(&mut self, policy: Option<String>) -> Result<()> {
        check_policy(policy.as_deref())?;
        self.policy = policy;
        Ok(())
    }

    /// Adds tags (checked as `AddTagsToStream` checks them), at most [`MAX_TAGS`] in all;
    /// `consumer` names the consumer in the error.
    ///
    /// ```
    /// let mut c = shardlog::ConsumerSettings::default();
    /// c.add_tags("app", &[("team".to_string(), "data".to_string())].into())?;
    /// assert_eq!(c.tags.len(), 1);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn add_tags(&mut self, consumer: &str, more: &BTreeMap<String, String>) -> Result<()> {
        for (k, v) in more {
            crate::streams::check_tag(k, v)?;
        }
        let mut merged = self.tags.clone();
        merged.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
        if merged.len() > MAX_TAGS {
            return Err(Error::InvalidArgument(format!(
                "Failed to add tags to consumer {consumer} under account {ACCOUNT} because a given consumer cannot have more than {MAX_TAGS} tags."
            )));
        }
        self.tags = merged;
        Ok(())
    }
}

impl Store {
    /// A registered consumer's settings.
    pub fn consumer_settings(&self, stream: &str, consumer: &str) -> Result<ConsumerSettings> {
        let s = self.inner.stream(stream)?;
        let state = s.read();
        state
            .meta
            .consumers
            .iter()
            .find(|c| c.name == consumer)
            .map(|c| c.settings.clone())
            .ok_or_else(|| crate::consumers::consumer_not_found(stream, consumer))
    }

    /// Changes a registered consumer's settings in one durable catalog update.
    pub fn update_consumer_settings(
        &self,
        stream: &str,
        consumer: &str,
        change: impl FnOnce(&mut ConsumerSettings) -> Result<()>,
    ) -> Result<ConsumerSettings> {
        let mut after = ConsumerSettings::default();
        self.update_meta(stream, |meta| {
            let c = meta
                .consumers
                .iter_mut()
                .find(|c| c.name == consumer)
                .ok_or_else(|| crate::consumers::consumer_not_found(stream, consumer))?;
            change(&mut c.settings)?;
            after = c.settings.clone();
            Ok(())
        })?;
        Ok(after)
    }
}

/// Most tags a stream or consumer carries, as on AWS.
pub const MAX_TAGS: usize = 50;

/// Account-wide settings (`UpdateAccountSettings`): AWS's minimum throughput billing commitment,
/// stored and reported. There is no bill here; the times follow AWS's rules so code that shows
/// them can be tested.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountSettings {
    /// The commitment, once one was ever enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Commitment>,
}

/// A minimum throughput billing commitment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Commitment {
    /// When it was enabled, ms since the Unix epoch.
    pub started_ms: u64,
    /// When it ends or ended; `None` while it runs.
    pub ended_ms: Option<u64>,
    /// The earliest end a disable can choose: 24 hours after the start.
    pub earliest_allowed_end_ms: u64,
}

/// How long a commitment runs at least.
const COMMITMENT_MIN_MS: u64 = 24 * 3_600_000;

impl Commitment {
    /// `ENABLED`, `ENABLED_UNTIL_EARLIEST_ALLOWED_END` or `DISABLED` at `now_ms`.
    pub fn status(&self, now_ms: u64) -> &'static str {
        match self.ended_ms {
            None => "ENABLED",
            Some(end) if now_ms < end => "ENABLED_UNTIL_EARLIEST_ALLOWED_END",
            Some(_) => "DISABLED",
        }
    }
}

impl Store {
    /// The account's settings and the store's clock now (for [`Commitment::status`]).
    pub fn account_settings(&self) -> Result<(AccountSettings, u64)> {
        let catalog = self.inner.lock_catalog()?;
        Ok((catalog.account.clone(), self.inner.now_ms()))
    }

    /// Enables or disables the minimum throughput billing commitment, durably. Enabling a running
    /// one changes nothing; disabling ends it at once, or at its earliest allowed end.
    ///
    /// ```
    /// use shardlog::{Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), StoreOptions::default())?;
    /// let (settings, now) = store.set_throughput_commitment(true)?;
    /// assert_eq!(settings.commitment.map(|c| c.status(now)), Some("ENABLED"));
    /// let (settings, now) = store.set_throughput_commitment(false)?;
    /// assert_eq!(settings.commitment.map(|c| c.status(now)), Some("ENABLED_UNTIL_EARLIEST_ALLOWED_END"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_throughput_commitment(&self, enabled: bool) -> Result<(AccountSettings, u64)> {
        let mut catalog = self.inner.lock_catalog()?;
        let now_ms = self.inner.now_ms();
        let mut next = (*catalog).clone();
        let current = next
            .account
            .commitment
            .filter(|c| c.status(now_ms) != "DISABLED");
        next.account.commitment = match (enabled, current) {
            (true, Some(c)) if c.ended_ms.is_none() => Some(c),
            (true, _) => Some(Commitment {
                started_ms: now_ms,
                ended_ms: None,
                earliest_allowed_end_ms: now_ms.saturating_add(COMMITMENT_MIN_MS),
            }),
            (false, Some(c)) => Some(Commitment {
                ended_ms: Some(c.ended_ms.unwrap_or(c.earliest_allowed_end_ms.max(now_ms))),
                ..c
            }),
            (false, None) => next.account.commitment,
        };
        let settings = next.account.clone();
        catalog.commit(next)?;
        Ok((settings, now_ms))
    }
}

impl Store {
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
