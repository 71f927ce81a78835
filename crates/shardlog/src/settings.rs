//! What a stream, a consumer and the account keep for the Kinesis API beside the records: settings
//! that AWS stores and reports, stored and reported here the same way, durable in the catalog. The
//! types and their rules live here; the `Store` calls that change them live with their owners
//! (`streams.rs`, `consumers.rs`, `account.rs`).
//!
//! None of them changes how records are kept: a KMS key does not encrypt the files and a resource
//! policy is not enforced. They exist so that code written for AWS runs unchanged. Enhanced
//! monitoring's shard-level metrics add the per-shard `kinesis_*` series to `shardlog serve`'s
//! `/metrics` (the per-stream ones and the engine's `shardlog_shard_*` series are always on).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The names `EnableEnhancedMonitoring` takes, in AWS's order: the shard-level metrics, then `ALL`,
/// which stands for all of them.
pub const METRIC_NAMES: [&str; 8] = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
];

/// The shard-level metrics: [`METRIC_NAMES`] without `ALL`.
pub const SHARD_LEVEL_METRICS: &[&str] = METRIC_NAMES.split_at(METRIC_NAMES.len() - 1).0;

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

    /// True when the stream places records itself (`RecordDistributionStrategy` `AUTO`): partition
    /// keys become optional and are ignored for placement, as are explicit hash keys.
    ///
    /// ```
    /// let mut s = shardlog::StreamSettings::default();
    /// assert!(!s.distributes_records());
    /// s.record_distribution = Some("AUTO".into());
    /// assert!(s.distributes_records());
    /// ```
    pub fn distributes_records(&self) -> bool {
        self.record_distribution.as_deref() == Some("AUTO")
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
    /// c.add_tags("app", "000000000000", &[("team".to_string(), "data".to_string())].into())?;
    /// assert_eq!(c.tags.len(), 1);
    /// # Ok::<(), shardlog::Error>(())
    /// ```
    pub fn add_tags(
        &mut self,
        consumer: &str,
        account: &str,
        more: &BTreeMap<String, String>,
    ) -> Result<()> {
        merge_tags("consumer", consumer, account, &mut self.tags, more)
    }
}

/// Adds `more` to the tags of the `kind` (stream or consumer) `name`: each checked as
/// `AddTagsToStream` checks it, at most [`MAX_TAGS`] in all, nothing changed on a refusal.
pub(crate) fn merge_tags(
    kind: &str,
    name: &str,
    account: &str,
    tags: &mut BTreeMap<String, String>,
    more: &BTreeMap<String, String>,
) -> Result<()> {
    for (k, v) in more {
        crate::names::check_tag(k, v)?;
    }
    let mut merged = tags.clone();
    merged.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
    if merged.len() > MAX_TAGS {
        return Err(Error::InvalidArgument(format!(
            "Failed to add tags to {kind} {name} under account {account} because a given {kind} cannot have more than {MAX_TAGS} tags."
        )));
    }
    *tags = merged;
    Ok(())
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
