//! The typed request and response structures of the Kinesis stream operations, derived by
//! `crates/server/model/derive.py` from botocore 1.44.18 (`service-2.json`, API 2013-12-02).
//! Do not edit: run the script.
//!
//! Members keep the model's names on the wire and its order; optional members are `Option`s.
//! Blobs are base64 text in JSON and byte strings in CBOR ([`Blob`]), timestamps epoch seconds
//! in JSON and tag-1 milliseconds in CBOR ([`Timestamp`]). [`Valid`] holds the model's
//! constraints of every request structure: the fast check of a decoded request.
//! [`EncodedSize`] estimates an answer's encoded length, so its buffer is allocated once.
#![allow(dead_code, clippy::all)]

use super::validate;
use super::wire::{self, Blob, EncodedSize, Timestamp, Valid};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The operations these types serve.
pub(crate) const OPERATIONS: &[&str] = &[
    "AcknowledgeDeadLetterQueueRecords",
    "AcknowledgeQueueRecords",
    "AddTagsToStream",
    "CreateChannel",
    "CreateQueue",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteChannel",
    "DeleteQueue",
    "DeleteResourcePolicy",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "DescribeAccountSettings",
    "DescribeChannel",
    "DescribeLimits",
    "DescribeQueue",
    "DescribeStream",
    "DescribeStreamConsumer",
    "DescribeStreamSummary",
    "DisableEnhancedMonitoring",
    "EnableEnhancedMonitoring",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "IncreaseStreamRetentionPeriod",
    "ListChannels",
    "ListQueues",
    "ListShards",
    "ListStreamConsumers",
    "ListStreams",
    "ListTagsForResource",
    "ListTagsForStream",
    "MergeShards",
    "PutRecord",
    "PutRecords",
    "PutResourcePolicy",
    "ReceiveDeadLetterQueueRecords",
    "ReceiveQueueRecords",
    "RegisterStreamConsumer",
    "RemoveTagsFromStream",
    "RestoreDeadLetterQueueRecords",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "SubscribeToShard",
    "TagResource",
    "UntagResource",
    "UpdateAccountSettings",
    "UpdateChannel",
    "UpdateDeadLetterQueueRecordsVisibility",
    "UpdateMaxRecordSize",
    "UpdateQueue",
    "UpdateQueueRecordsVisibility",
    "UpdateShardCount",
    "UpdateStreamMode",
    "UpdateStreamRecordDistributionStrategy",
    "UpdateStreamWarmThroughput",
];

/// The model's `AcknowledgeDeadLetterQueueRecordsErrorEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeDeadLetterQueueRecordsErrorEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    #[serde(
        rename = "ErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
}

/// The model's `AcknowledgeDeadLetterQueueRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeDeadLetterQueueRecordsInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "Entries", deserialize_with = "wire::list::<_, _, 10>")]
    pub entries: Vec<AcknowledgeDeadLetterQueueRecordsRequestEntry>,
}

/// The model's `AcknowledgeDeadLetterQueueRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeDeadLetterQueueRecordsOutput {
    #[serde(rename = "Successful", deserialize_with = "wire::list::<_, _, 10000>")]
    pub successful: Vec<AcknowledgeDeadLetterQueueRecordsResultEntry>,
    #[serde(rename = "Failed", deserialize_with = "wire::list::<_, _, 10000>")]
    pub failed: Vec<AcknowledgeDeadLetterQueueRecordsErrorEntry>,
}

/// The model's `AcknowledgeDeadLetterQueueRecordsRequestEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeDeadLetterQueueRecordsRequestEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `AcknowledgeDeadLetterQueueRecordsResultEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeDeadLetterQueueRecordsResultEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `AcknowledgeQueueRecordsErrorEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeQueueRecordsErrorEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    #[serde(
        rename = "ErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
}

/// The model's `AcknowledgeQueueRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeQueueRecordsInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "Entries", deserialize_with = "wire::list::<_, _, 10>")]
    pub entries: Vec<AcknowledgeQueueRecordsRequestEntry>,
}

/// The model's `AcknowledgeQueueRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeQueueRecordsOutput {
    #[serde(rename = "Successful", deserialize_with = "wire::list::<_, _, 10000>")]
    pub successful: Vec<AcknowledgeQueueRecordsResultEntry>,
    #[serde(rename = "Failed", deserialize_with = "wire::list::<_, _, 10000>")]
    pub failed: Vec<AcknowledgeQueueRecordsErrorEntry>,
}

/// The model's `AcknowledgeQueueRecordsRequestEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeQueueRecordsRequestEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `AcknowledgeQueueRecordsResultEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AcknowledgeQueueRecordsResultEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `AddTagsToStreamInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AddTagsToStreamInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "Tags", deserialize_with = "wire::map::<_, _, 200>")]
    pub tags: BTreeMap<String, String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `ChannelDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelDescription {
    #[serde(rename = "ChannelName")]
    pub channel_name: String,
    #[serde(rename = "ChannelARN")]
    pub channel_arn: String,
    #[serde(rename = "ChannelId")]
    pub channel_id: String,
    #[serde(rename = "ChannelStatus")]
    pub channel_status: String,
    #[serde(
        rename = "ChannelStatusReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_status_reason: Option<String>,
    #[serde(rename = "ChannelCreationTimestamp")]
    pub channel_creation_timestamp: Timestamp,
    #[serde(rename = "ServiceExecutionRoleARN")]
    pub service_execution_role_arn: String,
    #[serde(
        rename = "StreamConfigurationList",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub stream_configuration_list: Vec<ChannelStreamDescription>,
    #[serde(
        rename = "S3DestinationConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_destination_configuration: Option<S3DestinationDescription>,
    #[serde(
        rename = "S3TablesDestinationConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_tables_destination_configuration: Option<S3TablesDestinationDescription>,
    #[serde(
        rename = "EncryptionConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_configuration: Option<ChannelEncryptionConfiguration>,
    #[serde(rename = "LoggingConfiguration")]
    pub logging_configuration: ChannelLoggingConfiguration,
}

/// The model's `ChannelEncryptionConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelEncryptionConfiguration {
    #[serde(rename = "EncryptionType")]
    pub encryption_type: String,
    #[serde(rename = "KeyId")]
    pub key_id: String,
}

/// The model's `ChannelLoggingConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelLoggingConfiguration {
    #[serde(rename = "CloudWatchLogs")]
    pub cloud_watch_logs: CloudWatchLogs,
}

/// The model's `ChannelLoggingUpdateInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelLoggingUpdateInput {
    #[serde(rename = "CloudWatchLogs")]
    pub cloud_watch_logs: CloudWatchLogsUpdateInput,
}

/// The model's `ChannelStreamConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelStreamConfiguration {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "RecordConfiguration")]
    pub record_configuration: RecordConfiguration,
}

/// The model's `ChannelStreamDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelStreamDescription {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Timestamp,
    #[serde(rename = "RecordConfiguration")]
    pub record_configuration: RecordConfiguration,
}

/// The model's `ChannelStreamIdentifier`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelStreamIdentifier {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Timestamp,
}

/// The model's `ChannelSummary`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChannelSummary {
    #[serde(rename = "ChannelName")]
    pub channel_name: String,
    #[serde(rename = "ChannelARN")]
    pub channel_arn: String,
    #[serde(rename = "ChannelId")]
    pub channel_id: String,
    #[serde(rename = "ChannelStatus")]
    pub channel_status: String,
    #[serde(
        rename = "ChannelStatusReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_status_reason: Option<String>,
    #[serde(rename = "ChannelCreationTimestamp")]
    pub channel_creation_timestamp: Timestamp,
    #[serde(rename = "ChannelDestinationType")]
    pub channel_destination_type: String,
    #[serde(rename = "Streams", deserialize_with = "wire::list::<_, _, 10000>")]
    pub streams: Vec<ChannelStreamIdentifier>,
}

/// The model's `ChildShard`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChildShard {
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(
        rename = "ParentShards",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub parent_shards: Vec<String>,
    #[serde(rename = "HashKeyRange")]
    pub hash_key_range: HashKeyRange,
}

/// The model's `CloudWatchLogs`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CloudWatchLogs {
    #[serde(rename = "Enabled")]
    pub enabled: bool,
    #[serde(
        rename = "LogGroupName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_group_name: Option<String>,
    #[serde(
        rename = "LogStreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_stream_name: Option<String>,
}

/// The model's `CloudWatchLogsUpdateInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CloudWatchLogsUpdateInput {
    #[serde(rename = "Enabled")]
    pub enabled: bool,
    #[serde(
        rename = "LogGroupName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_group_name: Option<String>,
    #[serde(
        rename = "LogStreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_stream_name: Option<String>,
}

/// The model's `Consumer`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Consumer {
    #[serde(rename = "ConsumerName")]
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    #[serde(rename = "ConsumerStatus")]
    pub consumer_status: String,
    #[serde(rename = "ConsumerCreationTimestamp")]
    pub consumer_creation_timestamp: Timestamp,
}

/// The model's `ConsumerDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConsumerDescription {
    #[serde(rename = "ConsumerName")]
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    #[serde(rename = "ConsumerStatus")]
    pub consumer_status: String,
    #[serde(rename = "ConsumerCreationTimestamp")]
    pub consumer_creation_timestamp: Timestamp,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

/// The model's `CreateChannelInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CreateChannelInput {
    #[serde(rename = "ChannelName")]
    pub channel_name: String,
    #[serde(rename = "ServiceExecutionRoleARN")]
    pub service_execution_role_arn: String,
    #[serde(
        rename = "StreamConfigurationList",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub stream_configuration_list: Vec<ChannelStreamConfiguration>,
    #[serde(
        rename = "S3DestinationConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_destination_configuration: Option<S3DestinationConfiguration>,
    #[serde(
        rename = "S3TablesDestinationConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_tables_destination_configuration: Option<S3TablesDestinationConfiguration>,
    #[serde(
        rename = "EncryptionConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_configuration: Option<ChannelEncryptionConfiguration>,
    #[serde(
        rename = "Tags",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_map::<_, _, 200>"
    )]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "LoggingConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub logging_configuration: Option<ChannelLoggingConfiguration>,
}

/// The model's `CreateChannelOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CreateChannelOutput {
    #[serde(rename = "ChannelDescription")]
    pub channel_description: ChannelDescription,
}

/// The model's `CreateQueueInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CreateQueueInput {
    #[serde(rename = "QueueName")]
    pub queue_name: String,
    #[serde(
        rename = "StreamConfigurationList",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub stream_configuration_list: Vec<QueueStreamConfiguration>,
    #[serde(
        rename = "QueueAttributes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_attributes: Option<QueueAttributes>,
    #[serde(
        rename = "Tags",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_map::<_, _, 200>"
    )]
    pub tags: Option<BTreeMap<String, String>>,
}

/// The model's `CreateQueueOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CreateQueueOutput {
    #[serde(rename = "QueueDescription")]
    pub queue_description: QueueDescription,
}

/// The model's `CreateStreamInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CreateStreamInput {
    #[serde(rename = "StreamName")]
    pub stream_name: String,
    #[serde(
        rename = "ShardCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub shard_count: Option<i64>,
    #[serde(
        rename = "StreamModeDetails",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_mode_details: Option<StreamModeDetails>,
    #[serde(
        rename = "Tags",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_map::<_, _, 200>"
    )]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "WarmThroughputMiBps",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub warm_throughput_mibps: Option<i64>,
    #[serde(
        rename = "MaxRecordSizeInKiB",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_record_size_in_kib: Option<i64>,
    #[serde(
        rename = "RecordDistributionStrategy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub record_distribution_strategy: Option<String>,
}

/// The model's `DeadLetterConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeadLetterConfiguration {
    #[serde(rename = "TargetType")]
    pub target_type: String,
    #[serde(
        rename = "MaxReceiveCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_receive_count: Option<i64>,
}

/// The model's `DeadLetterQueueS3Configuration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeadLetterQueueS3Configuration {
    #[serde(rename = "BucketARN")]
    pub bucket_arn: String,
    #[serde(rename = "ExpectedBucketOwner")]
    pub expected_bucket_owner: String,
    #[serde(
        rename = "ErrorOutputPrefix",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_output_prefix: Option<String>,
}

/// The model's `DecreaseStreamRetentionPeriodInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DecreaseStreamRetentionPeriodInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "RetentionPeriodHours", deserialize_with = "wire::int")]
    pub retention_period_hours: i64,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DeleteChannelInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeleteChannelInput {
    #[serde(rename = "ChannelARN")]
    pub channel_arn: String,
}

/// The model's `DeleteQueueInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeleteQueueInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
}

/// The model's `DeleteResourcePolicyInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeleteResourcePolicyInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DeleteStreamInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeleteStreamInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "EnforceConsumerDeletion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enforce_consumer_deletion: Option<bool>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DeregisterStreamConsumerInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeregisterStreamConsumerInput {
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(
        rename = "ConsumerName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consumer_name: Option<String>,
    #[serde(
        rename = "ConsumerARN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consumer_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DescribeAccountSettingsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeAccountSettingsInput {}

/// The model's `DescribeAccountSettingsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeAccountSettingsOutput {
    #[serde(
        rename = "MinimumThroughputBillingCommitment",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum_throughput_billing_commitment: Option<MinimumThroughputBillingCommitmentOutput>,
}

/// The model's `DescribeChannelInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeChannelInput {
    #[serde(rename = "ChannelARN")]
    pub channel_arn: String,
}

/// The model's `DescribeChannelOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeChannelOutput {
    #[serde(rename = "ChannelDescription")]
    pub channel_description: ChannelDescription,
}

/// The model's `DescribeLimitsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeLimitsInput {}

/// The model's `DescribeLimitsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeLimitsOutput {
    #[serde(rename = "ShardLimit", deserialize_with = "wire::int")]
    pub shard_limit: i64,
    #[serde(rename = "OpenShardCount", deserialize_with = "wire::int")]
    pub open_shard_count: i64,
    #[serde(rename = "OnDemandStreamCount", deserialize_with = "wire::int")]
    pub on_demand_stream_count: i64,
    #[serde(rename = "OnDemandStreamCountLimit", deserialize_with = "wire::int")]
    pub on_demand_stream_count_limit: i64,
    #[serde(
        rename = "ChannelCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub channel_count: Option<i64>,
    #[serde(
        rename = "ChannelCountLimit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub channel_count_limit: Option<i64>,
}

/// The model's `DescribeQueueInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeQueueInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
}

/// The model's `DescribeQueueOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeQueueOutput {
    #[serde(rename = "QueueDescription")]
    pub queue_description: QueueDescription,
}

/// The model's `DescribeStreamConsumerInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeStreamConsumerInput {
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(
        rename = "ConsumerName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consumer_name: Option<String>,
    #[serde(
        rename = "ConsumerARN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consumer_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DescribeStreamConsumerOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeStreamConsumerOutput {
    #[serde(rename = "ConsumerDescription")]
    pub consumer_description: ConsumerDescription,
}

/// The model's `DescribeStreamInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeStreamInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "Limit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub limit: Option<i64>,
    #[serde(
        rename = "ExclusiveStartShardId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exclusive_start_shard_id: Option<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DescribeStreamOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeStreamOutput {
    #[serde(rename = "StreamDescription")]
    pub stream_description: StreamDescription,
}

/// The model's `DescribeStreamSummaryInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeStreamSummaryInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `DescribeStreamSummaryOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DescribeStreamSummaryOutput {
    #[serde(rename = "StreamDescriptionSummary")]
    pub stream_description_summary: StreamDescriptionSummary,
}

/// The model's `DisableEnhancedMonitoringInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DisableEnhancedMonitoringInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "ShardLevelMetrics",
        deserialize_with = "wire::list::<_, _, 7>"
    )]
    pub shard_level_metrics: Vec<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `EnableEnhancedMonitoringInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EnableEnhancedMonitoringInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "ShardLevelMetrics",
        deserialize_with = "wire::list::<_, _, 7>"
    )]
    pub shard_level_metrics: Vec<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `EnhancedMetrics`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EnhancedMetrics {
    #[serde(
        rename = "ShardLevelMetrics",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 7>"
    )]
    pub shard_level_metrics: Option<Vec<String>>,
}

/// The model's `EnhancedMonitoringOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EnhancedMonitoringOutput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "CurrentShardLevelMetrics",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 7>"
    )]
    pub current_shard_level_metrics: Option<Vec<String>>,
    #[serde(
        rename = "DesiredShardLevelMetrics",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 7>"
    )]
    pub desired_shard_level_metrics: Option<Vec<String>>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
}

/// The model's `GetRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GetRecordsInput {
    #[serde(rename = "ShardIterator")]
    pub shard_iterator: String,
    #[serde(
        rename = "Limit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub limit: Option<i64>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "DryRun", default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// The model's `GetRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GetRecordsOutput {
    #[serde(rename = "Records", deserialize_with = "wire::list::<_, _, 10000>")]
    pub records: Vec<Record>,
    #[serde(
        rename = "NextShardIterator",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_shard_iterator: Option<String>,
    #[serde(
        rename = "MillisBehindLatest",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub millis_behind_latest: Option<i64>,
    #[serde(
        rename = "ChildShards",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub child_shards: Option<Vec<ChildShard>>,
}

/// The model's `GetResourcePolicyInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GetResourcePolicyInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `GetResourcePolicyOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GetResourcePolicyOutput {
    #[serde(rename = "Policy")]
    pub policy: String,
}

/// The model's `GetShardIteratorInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GetShardIteratorInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(rename = "ShardIteratorType")]
    pub shard_iterator_type: String,
    #[serde(
        rename = "StartingSequenceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub starting_sequence_number: Option<String>,
    #[serde(rename = "Timestamp", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "DryRun", default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// The model's `GetShardIteratorOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GetShardIteratorOutput {
    #[serde(
        rename = "ShardIterator",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub shard_iterator: Option<String>,
}

/// The model's `HashKeyRange`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HashKeyRange {
    #[serde(rename = "StartingHashKey")]
    pub starting_hash_key: String,
    #[serde(rename = "EndingHashKey")]
    pub ending_hash_key: String,
}

/// The model's `IncreaseStreamRetentionPeriodInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct IncreaseStreamRetentionPeriodInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "RetentionPeriodHours", deserialize_with = "wire::int")]
    pub retention_period_hours: i64,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `ListChannelsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListChannelsInput {
    #[serde(
        rename = "StreamFilter",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub stream_filter: Option<Vec<StreamFilter>>,
    #[serde(
        rename = "MaxResults",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_results: Option<i64>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The model's `ListChannelsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListChannelsOutput {
    #[serde(
        rename = "ChannelSummaries",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub channel_summaries: Vec<ChannelSummary>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The model's `ListQueuesInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListQueuesInput {
    #[serde(
        rename = "MaxResults",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_results: Option<i64>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(
        rename = "StreamFilter",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub stream_filter: Option<Vec<QueueStreamFilter>>,
}

/// The model's `ListQueuesOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListQueuesOutput {
    #[serde(
        rename = "QueueSummaries",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub queue_summaries: Vec<QueueSummary>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The model's `ListShardsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListShardsInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(
        rename = "ExclusiveStartShardId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exclusive_start_shard_id: Option<String>,
    #[serde(
        rename = "MaxResults",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_results: Option<i64>,
    #[serde(
        rename = "StreamCreationTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_creation_timestamp: Option<Timestamp>,
    #[serde(
        rename = "ShardFilter",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub shard_filter: Option<ShardFilter>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `ListShardsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListShardsOutput {
    #[serde(
        rename = "Shards",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub shards: Option<Vec<Shard>>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The model's `ListStreamConsumersInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListStreamConsumersInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(
        rename = "MaxResults",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_results: Option<i64>,
    #[serde(
        rename = "StreamCreationTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_creation_timestamp: Option<Timestamp>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `ListStreamConsumersOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListStreamConsumersOutput {
    #[serde(
        rename = "Consumers",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub consumers: Option<Vec<Consumer>>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The model's `ListStreamsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListStreamsInput {
    #[serde(
        rename = "Limit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub limit: Option<i64>,
    #[serde(
        rename = "ExclusiveStartStreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exclusive_start_stream_name: Option<String>,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The model's `ListStreamsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListStreamsOutput {
    #[serde(rename = "StreamNames", deserialize_with = "wire::list::<_, _, 10000>")]
    pub stream_names: Vec<String>,
    #[serde(rename = "HasMoreStreams")]
    pub has_more_streams: bool,
    #[serde(rename = "NextToken", default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(
        rename = "StreamSummaries",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub stream_summaries: Option<Vec<StreamSummary>>,
}

/// The model's `ListTagsForResourceInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListTagsForResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `ListTagsForResourceOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListTagsForResourceOutput {
    #[serde(
        rename = "Tags",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 200>"
    )]
    pub tags: Option<Vec<Tag>>,
}

/// The model's `ListTagsForStreamInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListTagsForStreamInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "ExclusiveStartTagKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exclusive_start_tag_key: Option<String>,
    #[serde(
        rename = "Limit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub limit: Option<i64>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `ListTagsForStreamOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListTagsForStreamOutput {
    #[serde(rename = "Tags", deserialize_with = "wire::list::<_, _, 200>")]
    pub tags: Vec<Tag>,
    #[serde(rename = "HasMoreTags")]
    pub has_more_tags: bool,
}

/// The model's `MergeShardsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MergeShardsInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "ShardToMerge")]
    pub shard_to_merge: String,
    #[serde(rename = "AdjacentShardToMerge")]
    pub adjacent_shard_to_merge: String,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `MinimumThroughputBillingCommitmentInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MinimumThroughputBillingCommitmentInput {
    #[serde(rename = "Status")]
    pub status: String,
}

/// The model's `MinimumThroughputBillingCommitmentOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MinimumThroughputBillingCommitmentOutput {
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "StartedAt", default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(rename = "EndedAt", default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(
        rename = "EarliestAllowedEndAt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub earliest_allowed_end_at: Option<Timestamp>,
}

/// The model's `PartitionField`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartitionField {
    #[serde(rename = "Transform")]
    pub transform: String,
    #[serde(rename = "SourceName")]
    pub source_name: String,
}

/// The model's `PartitionSpec`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartitionSpec {
    #[serde(
        rename = "PartitionFields",
        deserialize_with = "wire::list::<_, _, 10>"
    )]
    pub partition_fields: Vec<PartitionField>,
}

/// The model's `PutRecordInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutRecordInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "Data")]
    pub data: Blob,
    #[serde(
        rename = "PartitionKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub partition_key: Option<String>,
    #[serde(
        rename = "ExplicitHashKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub explicit_hash_key: Option<String>,
    #[serde(
        rename = "SequenceNumberForOrdering",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence_number_for_ordering: Option<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "DryRun", default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// The model's `PutRecordOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutRecordOutput {
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: String,
    #[serde(
        rename = "EncryptionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_type: Option<String>,
}

/// The model's `PutRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutRecordsInput {
    #[serde(rename = "Records", deserialize_with = "wire::list::<_, _, 500>")]
    pub records: Vec<PutRecordsRequestEntry>,
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "DryRun", default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// The model's `PutRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutRecordsOutput {
    #[serde(
        rename = "FailedRecordCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub failed_record_count: Option<i64>,
    #[serde(rename = "Records", deserialize_with = "wire::list::<_, _, 500>")]
    pub records: Vec<PutRecordsResultEntry>,
    #[serde(
        rename = "EncryptionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_type: Option<String>,
}

/// The model's `PutRecordsRequestEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutRecordsRequestEntry {
    #[serde(rename = "Data")]
    pub data: Blob,
    #[serde(
        rename = "ExplicitHashKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub explicit_hash_key: Option<String>,
    #[serde(
        rename = "PartitionKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub partition_key: Option<String>,
}

/// The model's `PutRecordsResultEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutRecordsResultEntry {
    #[serde(
        rename = "SequenceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence_number: Option<String>,
    #[serde(rename = "ShardId", default, skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    #[serde(rename = "ErrorCode", default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(
        rename = "ErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
}

/// The model's `PutResourcePolicyInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PutResourcePolicyInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "Policy")]
    pub policy: String,
}

/// The model's `QueueAttributes`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueAttributes {
    #[serde(
        rename = "VisibilityTimeoutSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub visibility_timeout_seconds: Option<i64>,
    #[serde(
        rename = "DeadLetterConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dead_letter_configuration: Option<DeadLetterConfiguration>,
}

/// The model's `QueueDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueDescription {
    #[serde(rename = "QueueName")]
    pub queue_name: String,
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "QueueStatus")]
    pub queue_status: String,
    #[serde(rename = "QueueCreationTimestamp")]
    pub queue_creation_timestamp: Timestamp,
    #[serde(
        rename = "StreamConfigurationList",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub stream_configuration_list: Vec<QueueStreamConfiguration>,
    #[serde(
        rename = "QueueAttributes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_attributes: Option<QueueAttributes>,
}

/// The model's `QueueRecord`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueRecord {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "RecordId")]
    pub record_id: String,
    #[serde(
        rename = "PartitionKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub partition_key: Option<String>,
    #[serde(rename = "Data")]
    pub data: Blob,
    #[serde(rename = "ApproximateArrivalTimestamp")]
    pub approximate_arrival_timestamp: Timestamp,
    #[serde(rename = "FirstReceiveTimestamp")]
    pub first_receive_timestamp: Timestamp,
    #[serde(rename = "ReceiveCount", deserialize_with = "wire::int")]
    pub receive_count: i64,
}

/// The model's `QueueStartingPosition`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueStartingPosition {
    #[serde(rename = "Type")]
    pub r#type: String,
    #[serde(rename = "Timestamp", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// The model's `QueueStreamConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueStreamConfiguration {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(
        rename = "StartingPosition",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub starting_position: Option<QueueStartingPosition>,
}

/// The model's `QueueStreamFilter`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueStreamFilter {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(
        rename = "StreamCreationTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_creation_timestamp: Option<Timestamp>,
}

/// The model's `QueueStreamIdentifier`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueStreamIdentifier {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Timestamp,
}

/// The model's `QueueSummary`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueueSummary {
    #[serde(rename = "QueueName")]
    pub queue_name: String,
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "QueueStatus")]
    pub queue_status: String,
    #[serde(rename = "QueueCreationTimestamp")]
    pub queue_creation_timestamp: Timestamp,
    #[serde(rename = "Streams", deserialize_with = "wire::list::<_, _, 10000>")]
    pub streams: Vec<QueueStreamIdentifier>,
}

/// The model's `ReceiveDeadLetterQueueRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReceiveDeadLetterQueueRecordsInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(
        rename = "Limit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub limit: Option<i64>,
    #[serde(
        rename = "WaitTimeSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub wait_time_seconds: Option<i64>,
    #[serde(
        rename = "VisibilityTimeoutSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub visibility_timeout_seconds: Option<i64>,
}

/// The model's `ReceiveDeadLetterQueueRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReceiveDeadLetterQueueRecordsOutput {
    #[serde(
        rename = "QueueRecords",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub queue_records: Vec<QueueRecord>,
}

/// The model's `ReceiveQueueRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReceiveQueueRecordsInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(
        rename = "Limit",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub limit: Option<i64>,
    #[serde(
        rename = "WaitTimeSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub wait_time_seconds: Option<i64>,
    #[serde(
        rename = "VisibilityTimeoutSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub visibility_timeout_seconds: Option<i64>,
}

/// The model's `ReceiveQueueRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReceiveQueueRecordsOutput {
    #[serde(
        rename = "QueueRecords",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub queue_records: Vec<QueueRecord>,
}

/// The model's `Record`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: wire::Seq,
    #[serde(
        rename = "ApproximateArrivalTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub approximate_arrival_timestamp: Option<Timestamp>,
    #[serde(rename = "Data")]
    pub data: Blob,
    #[serde(
        rename = "PartitionKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub partition_key: Option<wire::Text>,
    #[serde(
        rename = "EncryptionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_type: Option<String>,
}

/// The model's `RecordConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RecordConfiguration {
    #[serde(rename = "RecordFormatType")]
    pub record_format_type: String,
    #[serde(
        rename = "GSRSchemaARN",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gsr_schema_arn: Option<String>,
}

/// The model's `RegisterStreamConsumerInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RegisterStreamConsumerInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "ConsumerName")]
    pub consumer_name: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(
        rename = "Tags",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_map::<_, _, 200>"
    )]
    pub tags: Option<BTreeMap<String, String>>,
}

/// The model's `RegisterStreamConsumerOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RegisterStreamConsumerOutput {
    #[serde(rename = "Consumer")]
    pub consumer: Consumer,
}

/// The model's `RemoveTagsFromStreamInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RemoveTagsFromStreamInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "TagKeys", deserialize_with = "wire::list::<_, _, 50>")]
    pub tag_keys: Vec<String>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `RestoreDeadLetterQueueRecordsErrorEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RestoreDeadLetterQueueRecordsErrorEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    #[serde(
        rename = "ErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
}

/// The model's `RestoreDeadLetterQueueRecordsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RestoreDeadLetterQueueRecordsInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "Entries", deserialize_with = "wire::list::<_, _, 10>")]
    pub entries: Vec<RestoreDeadLetterQueueRecordsRequestEntry>,
}

/// The model's `RestoreDeadLetterQueueRecordsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RestoreDeadLetterQueueRecordsOutput {
    #[serde(rename = "Successful", deserialize_with = "wire::list::<_, _, 10000>")]
    pub successful: Vec<RestoreDeadLetterQueueRecordsResultEntry>,
    #[serde(rename = "Failed", deserialize_with = "wire::list::<_, _, 10000>")]
    pub failed: Vec<RestoreDeadLetterQueueRecordsErrorEntry>,
}

/// The model's `RestoreDeadLetterQueueRecordsRequestEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RestoreDeadLetterQueueRecordsRequestEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `RestoreDeadLetterQueueRecordsResultEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RestoreDeadLetterQueueRecordsResultEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `S3DestinationConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3DestinationConfiguration {
    #[serde(
        rename = "DataFreshnessInSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub data_freshness_in_seconds: Option<i64>,
    #[serde(
        rename = "DeadLetterQueueS3Configuration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dead_letter_queue_s3_configuration: Option<DeadLetterQueueS3Configuration>,
    #[serde(rename = "StorageConfiguration")]
    pub storage_configuration: S3StorageConfiguration,
}

/// The model's `S3DestinationDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3DestinationDescription {
    #[serde(rename = "DataFreshnessInSeconds", deserialize_with = "wire::int")]
    pub data_freshness_in_seconds: i64,
    #[serde(rename = "DeadLetterQueueS3Configuration")]
    pub dead_letter_queue_s3_configuration: DeadLetterQueueS3Configuration,
    #[serde(rename = "StorageConfiguration")]
    pub storage_configuration: S3StorageConfiguration,
}

/// The model's `S3DestinationUpdateInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3DestinationUpdateInput {
    #[serde(rename = "DataFreshnessInSeconds", deserialize_with = "wire::int")]
    pub data_freshness_in_seconds: i64,
}

/// The model's `S3StorageConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3StorageConfiguration {
    #[serde(rename = "BucketARN")]
    pub bucket_arn: String,
    #[serde(rename = "ExpectedBucketOwner")]
    pub expected_bucket_owner: String,
    #[serde(
        rename = "OutputKeyTemplate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_key_template: Option<String>,
    #[serde(
        rename = "StorageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_class: Option<String>,
    #[serde(rename = "CompressionType")]
    pub compression_type: String,
}

/// The model's `S3TablesConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3TablesConfiguration {
    #[serde(rename = "TableBucketARN")]
    pub table_bucket_arn: String,
    #[serde(rename = "Namespace")]
    pub namespace: String,
    #[serde(rename = "TableName")]
    pub table_name: String,
    #[serde(rename = "CompressionType")]
    pub compression_type: String,
    #[serde(
        rename = "PartitionSpec",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub partition_spec: Option<PartitionSpec>,
}

/// The model's `S3TablesDestinationConfiguration`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3TablesDestinationConfiguration {
    #[serde(
        rename = "DataFreshnessInSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub data_freshness_in_seconds: Option<i64>,
    #[serde(rename = "DeadLetterQueueS3Configuration")]
    pub dead_letter_queue_s3_configuration: DeadLetterQueueS3Configuration,
    #[serde(
        rename = "S3TablesConfigurationList",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub s3_tables_configuration_list: Vec<S3TablesConfiguration>,
}

/// The model's `S3TablesDestinationDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3TablesDestinationDescription {
    #[serde(rename = "DataFreshnessInSeconds", deserialize_with = "wire::int")]
    pub data_freshness_in_seconds: i64,
    #[serde(rename = "DeadLetterQueueS3Configuration")]
    pub dead_letter_queue_s3_configuration: DeadLetterQueueS3Configuration,
    #[serde(
        rename = "S3TablesConfigurationList",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub s3_tables_configuration_list: Vec<S3TablesConfiguration>,
}

/// The model's `S3TablesDestinationUpdateInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct S3TablesDestinationUpdateInput {
    #[serde(rename = "DataFreshnessInSeconds", deserialize_with = "wire::int")]
    pub data_freshness_in_seconds: i64,
}

/// The model's `SequenceNumberRange`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SequenceNumberRange {
    #[serde(rename = "StartingSequenceNumber")]
    pub starting_sequence_number: String,
    #[serde(
        rename = "EndingSequenceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ending_sequence_number: Option<String>,
}

/// The model's `Shard`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Shard {
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(
        rename = "ParentShardId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_shard_id: Option<String>,
    #[serde(
        rename = "AdjacentParentShardId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub adjacent_parent_shard_id: Option<String>,
    #[serde(rename = "HashKeyRange")]
    pub hash_key_range: HashKeyRange,
    #[serde(rename = "SequenceNumberRange")]
    pub sequence_number_range: SequenceNumberRange,
}

/// The model's `ShardFilter`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShardFilter {
    #[serde(rename = "Type")]
    pub r#type: String,
    #[serde(rename = "ShardId", default, skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    #[serde(rename = "Timestamp", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// The model's `SplitShardInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SplitShardInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "ShardToSplit")]
    pub shard_to_split: String,
    #[serde(rename = "NewStartingHashKey")]
    pub new_starting_hash_key: String,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `StartStreamEncryptionInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StartStreamEncryptionInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "EncryptionType")]
    pub encryption_type: String,
    #[serde(rename = "KeyId")]
    pub key_id: String,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `StartingPosition`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StartingPosition {
    #[serde(rename = "Type")]
    pub r#type: String,
    #[serde(
        rename = "SequenceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence_number: Option<String>,
    #[serde(rename = "Timestamp", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// The model's `StopStreamEncryptionInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StopStreamEncryptionInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "EncryptionType")]
    pub encryption_type: String,
    #[serde(rename = "KeyId")]
    pub key_id: String,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `StreamDescription`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamDescription {
    #[serde(rename = "StreamName")]
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamStatus")]
    pub stream_status: String,
    #[serde(
        rename = "StreamModeDetails",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_mode_details: Option<StreamModeDetails>,
    #[serde(rename = "Shards", deserialize_with = "wire::list::<_, _, 10000>")]
    pub shards: Vec<Shard>,
    #[serde(rename = "HasMoreShards")]
    pub has_more_shards: bool,
    #[serde(rename = "RetentionPeriodHours", deserialize_with = "wire::int")]
    pub retention_period_hours: i64,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Timestamp,
    #[serde(
        rename = "EnhancedMonitoring",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub enhanced_monitoring: Vec<EnhancedMetrics>,
    #[serde(
        rename = "EncryptionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_type: Option<String>,
    #[serde(rename = "KeyId", default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// The model's `StreamDescriptionSummary`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamDescriptionSummary {
    #[serde(rename = "StreamName")]
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "StreamStatus")]
    pub stream_status: String,
    #[serde(
        rename = "StreamModeDetails",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_mode_details: Option<StreamModeDetails>,
    #[serde(rename = "RetentionPeriodHours", deserialize_with = "wire::int")]
    pub retention_period_hours: i64,
    #[serde(rename = "StreamCreationTimestamp")]
    pub stream_creation_timestamp: Timestamp,
    #[serde(
        rename = "EnhancedMonitoring",
        deserialize_with = "wire::list::<_, _, 10000>"
    )]
    pub enhanced_monitoring: Vec<EnhancedMetrics>,
    #[serde(
        rename = "EncryptionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_type: Option<String>,
    #[serde(rename = "KeyId", default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(rename = "OpenShardCount", deserialize_with = "wire::int")]
    pub open_shard_count: i64,
    #[serde(
        rename = "ConsumerCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub consumer_count: Option<i64>,
    #[serde(
        rename = "WarmThroughput",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub warm_throughput: Option<WarmThroughputObject>,
    #[serde(
        rename = "MaxRecordSizeInKiB",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub max_record_size_in_kib: Option<i64>,
    #[serde(
        rename = "ChannelCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub channel_count: Option<i64>,
    #[serde(
        rename = "RecordDistributionStrategy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub record_distribution_strategy: Option<String>,
    #[serde(
        rename = "QueueCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub queue_count: Option<i64>,
}

/// The model's `StreamFilter`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamFilter {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(
        rename = "StreamCreationTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_creation_timestamp: Option<Timestamp>,
}

/// The model's `StreamModeDetails`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamModeDetails {
    #[serde(rename = "StreamMode")]
    pub stream_mode: String,
}

/// The model's `StreamSummary`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamSummary {
    #[serde(rename = "StreamName")]
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamStatus")]
    pub stream_status: String,
    #[serde(
        rename = "StreamModeDetails",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_mode_details: Option<StreamModeDetails>,
    #[serde(
        rename = "StreamCreationTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_creation_timestamp: Option<Timestamp>,
}

/// The model's `SubscribeToShardEvent`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SubscribeToShardEvent {
    #[serde(rename = "Records", deserialize_with = "wire::list::<_, _, 10000>")]
    pub records: Vec<Record>,
    #[serde(
        rename = "ContinuationSequenceNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub continuation_sequence_number: Option<String>,
    #[serde(rename = "MillisBehindLatest", deserialize_with = "wire::int")]
    pub millis_behind_latest: i64,
    #[serde(
        rename = "ChildShards",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_list::<_, _, 10000>"
    )]
    pub child_shards: Option<Vec<ChildShard>>,
}

/// The model's `SubscribeToShardInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SubscribeToShardInput {
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "ShardId")]
    pub shard_id: String,
    #[serde(rename = "StartingPosition")]
    pub starting_position: StartingPosition,
    #[serde(rename = "DryRun", default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// The model's `Tag`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The model's `TagResourceInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TagResourceInput {
    #[serde(rename = "Tags", deserialize_with = "wire::map::<_, _, 200>")]
    pub tags: BTreeMap<String, String>,
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `UntagResourceInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UntagResourceInput {
    #[serde(rename = "TagKeys", deserialize_with = "wire::list::<_, _, 50>")]
    pub tag_keys: Vec<String>,
    #[serde(rename = "ResourceARN")]
    pub resource_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `UpdateAccountSettingsInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateAccountSettingsInput {
    #[serde(rename = "MinimumThroughputBillingCommitment")]
    pub minimum_throughput_billing_commitment: MinimumThroughputBillingCommitmentInput,
}

/// The model's `UpdateAccountSettingsOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateAccountSettingsOutput {
    #[serde(
        rename = "MinimumThroughputBillingCommitment",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum_throughput_billing_commitment: Option<MinimumThroughputBillingCommitmentOutput>,
}

/// The model's `UpdateChannelInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateChannelInput {
    #[serde(rename = "ChannelARN")]
    pub channel_arn: String,
    #[serde(
        rename = "S3DestinationConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_destination_configuration: Option<S3DestinationUpdateInput>,
    #[serde(
        rename = "S3TablesDestinationConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_tables_destination_configuration: Option<S3TablesDestinationUpdateInput>,
    #[serde(
        rename = "LoggingConfiguration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub logging_configuration: Option<ChannelLoggingUpdateInput>,
}

/// The model's `UpdateChannelOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateChannelOutput {
    #[serde(rename = "ChannelDescription")]
    pub channel_description: ChannelDescription,
}

/// The model's `UpdateDeadLetterQueueRecordsVisibilityErrorEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateDeadLetterQueueRecordsVisibilityErrorEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    #[serde(
        rename = "ErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
}

/// The model's `UpdateDeadLetterQueueRecordsVisibilityInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateDeadLetterQueueRecordsVisibilityInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "Entries", deserialize_with = "wire::list::<_, _, 10>")]
    pub entries: Vec<UpdateDeadLetterQueueRecordsVisibilityRequestEntry>,
}

/// The model's `UpdateDeadLetterQueueRecordsVisibilityOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateDeadLetterQueueRecordsVisibilityOutput {
    #[serde(rename = "Successful", deserialize_with = "wire::list::<_, _, 10000>")]
    pub successful: Vec<UpdateDeadLetterQueueRecordsVisibilityResultEntry>,
    #[serde(rename = "Failed", deserialize_with = "wire::list::<_, _, 10000>")]
    pub failed: Vec<UpdateDeadLetterQueueRecordsVisibilityErrorEntry>,
}

/// The model's `UpdateDeadLetterQueueRecordsVisibilityRequestEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateDeadLetterQueueRecordsVisibilityRequestEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "VisibilityTimeoutSeconds", deserialize_with = "wire::int")]
    pub visibility_timeout_seconds: i64,
}

/// The model's `UpdateDeadLetterQueueRecordsVisibilityResultEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateDeadLetterQueueRecordsVisibilityResultEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `UpdateMaxRecordSizeInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateMaxRecordSizeInput {
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "MaxRecordSizeInKiB", deserialize_with = "wire::int")]
    pub max_record_size_in_kib: i64,
}

/// The model's `UpdateQueueInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "QueueAttributes")]
    pub queue_attributes: QueueAttributes,
}

/// The model's `UpdateQueueOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueOutput {
    #[serde(rename = "QueueDescription")]
    pub queue_description: QueueDescription,
}

/// The model's `UpdateQueueRecordsVisibilityErrorEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueRecordsVisibilityErrorEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    #[serde(
        rename = "ErrorMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
}

/// The model's `UpdateQueueRecordsVisibilityInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueRecordsVisibilityInput {
    #[serde(rename = "QueueARN")]
    pub queue_arn: String,
    #[serde(rename = "Entries", deserialize_with = "wire::list::<_, _, 10>")]
    pub entries: Vec<UpdateQueueRecordsVisibilityRequestEntry>,
}

/// The model's `UpdateQueueRecordsVisibilityOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueRecordsVisibilityOutput {
    #[serde(rename = "Successful", deserialize_with = "wire::list::<_, _, 10000>")]
    pub successful: Vec<UpdateQueueRecordsVisibilityResultEntry>,
    #[serde(rename = "Failed", deserialize_with = "wire::list::<_, _, 10000>")]
    pub failed: Vec<UpdateQueueRecordsVisibilityErrorEntry>,
}

/// The model's `UpdateQueueRecordsVisibilityRequestEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueRecordsVisibilityRequestEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
    #[serde(rename = "VisibilityTimeoutSeconds", deserialize_with = "wire::int")]
    pub visibility_timeout_seconds: i64,
}

/// The model's `UpdateQueueRecordsVisibilityResultEntry`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateQueueRecordsVisibilityResultEntry {
    #[serde(rename = "ReceiptHandle")]
    pub receipt_handle: String,
}

/// The model's `UpdateShardCountInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateShardCountInput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "TargetShardCount", deserialize_with = "wire::int")]
    pub target_shard_count: i64,
    #[serde(rename = "ScalingType")]
    pub scaling_type: String,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The model's `UpdateShardCountOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateShardCountOutput {
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "CurrentShardCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub current_shard_count: Option<i64>,
    #[serde(
        rename = "TargetShardCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub target_shard_count: Option<i64>,
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
}

/// The model's `UpdateStreamModeInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateStreamModeInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "StreamModeDetails")]
    pub stream_mode_details: StreamModeDetails,
    #[serde(
        rename = "WarmThroughputMiBps",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub warm_throughput_mibps: Option<i64>,
}

/// The model's `UpdateStreamRecordDistributionStrategyInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateStreamRecordDistributionStrategyInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "RecordDistributionStrategy")]
    pub record_distribution_strategy: String,
}

/// The model's `UpdateStreamWarmThroughputInput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateStreamWarmThroughputInput {
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(rename = "StreamId", default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(rename = "WarmThroughputMiBps", deserialize_with = "wire::int")]
    pub warm_throughput_mibps: i64,
}

/// The model's `UpdateStreamWarmThroughputOutput`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct UpdateStreamWarmThroughputOutput {
    #[serde(rename = "StreamARN", default, skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    #[serde(
        rename = "StreamName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stream_name: Option<String>,
    #[serde(
        rename = "WarmThroughput",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub warm_throughput: Option<WarmThroughputObject>,
}

/// The model's `WarmThroughputObject`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WarmThroughputObject {
    #[serde(
        rename = "TargetMiBps",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub target_mibps: Option<i64>,
    #[serde(
        rename = "CurrentMiBps",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int"
    )]
    pub current_mibps: Option<i64>,
}

impl Valid for AcknowledgeDeadLetterQueueRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn, entries, ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && wire::count(entries.len(), 1, 10)
            && entries.iter().all(|x| x.valid())
    }
}

impl Valid for AcknowledgeDeadLetterQueueRecordsRequestEntry {
    fn valid(&self) -> bool {
        let Self { receipt_handle, .. } = self;
        wire::text(receipt_handle, 1, 1024, None)
    }
}

impl Valid for AcknowledgeQueueRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn, entries, ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && wire::count(entries.len(), 1, 10)
            && entries.iter().all(|x| x.valid())
    }
}

impl Valid for AcknowledgeQueueRecordsRequestEntry {
    fn valid(&self) -> bool {
        let Self { receipt_handle, .. } = self;
        wire::text(receipt_handle, 1, 1024, None)
    }
}

impl Valid for AddTagsToStreamInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            tags,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::count(tags.len(), 1, 200)
            && tags
                .iter()
                .all(|(k, x)| wire::text(k, 1, 128, None) && wire::text(x, 0, 256, None))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for CreateChannelInput {
    fn valid(&self) -> bool {
        let Self {
            channel_name,
            service_execution_role_arn,
            stream_configuration_list,
            s3_destination_configuration,
            s3_tables_destination_configuration,
            encryption_configuration,
            tags,
            logging_configuration,
            ..
        } = self;
        wire::text(channel_name, 1, 128, Some(validate::is_name))
            && wire::text(
                service_execution_role_arn,
                1,
                512,
                Some(validate::is_role_arn),
            )
            && wire::count(stream_configuration_list.len(), 1, 10000)
            && stream_configuration_list.iter().all(|x| x.valid())
            && s3_destination_configuration
                .as_ref()
                .is_none_or(|v| v.valid())
            && s3_tables_destination_configuration
                .as_ref()
                .is_none_or(|v| v.valid())
            && encryption_configuration.as_ref().is_none_or(|v| v.valid())
            && tags.as_ref().is_none_or(|v| {
                wire::count(v.len(), 1, 200)
                    && v.iter()
                        .all(|(k, x)| wire::text(k, 1, 128, None) && wire::text(x, 0, 256, None))
            })
            && logging_configuration.as_ref().is_none_or(|v| v.valid())
    }
}

impl Valid for ChannelEncryptionConfiguration {
    fn valid(&self) -> bool {
        let Self {
            encryption_type,
            key_id,
            ..
        } = self;
        wire::one_of(encryption_type, &["KMS"]) && wire::text(key_id, 1, 2048, None)
    }
}

impl Valid for ChannelLoggingConfiguration {
    fn valid(&self) -> bool {
        let Self {
            cloud_watch_logs, ..
        } = self;
        cloud_watch_logs.valid()
    }
}

impl Valid for ChannelStreamConfiguration {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            record_configuration,
            ..
        } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
            && record_configuration.valid()
    }
}

impl Valid for CloudWatchLogs {
    fn valid(&self) -> bool {
        let Self {
            log_group_name,
            log_stream_name,
            ..
        } = self;
        log_group_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 512, Some(validate::is_log_group)))
            && log_stream_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 512, Some(validate::is_log_stream)))
    }
}

impl Valid for CreateQueueInput {
    fn valid(&self) -> bool {
        let Self {
            queue_name,
            stream_configuration_list,
            queue_attributes,
            tags,
            ..
        } = self;
        wire::text(queue_name, 1, 128, Some(validate::is_name))
            && wire::count(stream_configuration_list.len(), 1, 10000)
            && stream_configuration_list.iter().all(|x| x.valid())
            && queue_attributes.as_ref().is_none_or(|v| v.valid())
            && tags.as_ref().is_none_or(|v| {
                wire::count(v.len(), 1, 200)
                    && v.iter()
                        .all(|(k, x)| wire::text(k, 1, 128, None) && wire::text(x, 0, 256, None))
            })
    }
}

impl Valid for CreateStreamInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            shard_count,
            stream_mode_details,
            tags,
            warm_throughput_mibps,
            max_record_size_in_kib,
            record_distribution_strategy,
            ..
        } = self;
        wire::text(stream_name, 1, 128, Some(validate::is_name))
            && shard_count
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), None))
            && stream_mode_details.as_ref().is_none_or(|v| v.valid())
            && tags.as_ref().is_none_or(|v| {
                wire::count(v.len(), 1, 200)
                    && v.iter()
                        .all(|(k, x)| wire::text(k, 1, 128, None) && wire::text(x, 0, 256, None))
            })
            && warm_throughput_mibps
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(0), None))
            && max_record_size_in_kib
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1024), Some(10240)))
            && record_distribution_strategy
                .as_ref()
                .is_none_or(|v| wire::one_of(v, &["AUTO", "USER_PARTITION_KEY"]))
    }
}

impl Valid for DecreaseStreamRetentionPeriodInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DeleteChannelInput {
    fn valid(&self) -> bool {
        let Self { channel_arn, .. } = self;
        wire::text(channel_arn, 1, 2048, Some(validate::is_channel_arn))
    }
}

impl Valid for DeleteQueueInput {
    fn valid(&self) -> bool {
        let Self { queue_arn, .. } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
    }
}

impl Valid for DeleteResourcePolicyInput {
    fn valid(&self) -> bool {
        let Self {
            resource_arn,
            stream_id,
            ..
        } = self;
        wire::text(resource_arn, 1, 2048, Some(validate::is_resource_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DeleteStreamInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DeregisterStreamConsumerInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            consumer_name,
            consumer_arn,
            stream_id,
            ..
        } = self;
        stream_arn
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && consumer_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && consumer_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_consumer_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DescribeAccountSettingsInput {
    fn valid(&self) -> bool {
        true
    }
}

impl Valid for DescribeChannelInput {
    fn valid(&self) -> bool {
        let Self { channel_arn, .. } = self;
        wire::text(channel_arn, 1, 2048, Some(validate::is_channel_arn))
    }
}

impl Valid for DescribeLimitsInput {
    fn valid(&self) -> bool {
        true
    }
}

impl Valid for DescribeQueueInput {
    fn valid(&self) -> bool {
        let Self { queue_arn, .. } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
    }
}

impl Valid for DescribeStreamConsumerInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            consumer_name,
            consumer_arn,
            stream_id,
            ..
        } = self;
        stream_arn
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && consumer_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && consumer_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_consumer_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DescribeStreamInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            limit,
            exclusive_start_shard_id,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && limit
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && exclusive_start_shard_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DescribeStreamSummaryInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for DisableEnhancedMonitoringInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            shard_level_metrics,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::count(shard_level_metrics.len(), 1, 7)
            && shard_level_metrics.iter().all(|x| {
                wire::one_of(
                    x,
                    &[
                        "IncomingBytes",
                        "IncomingRecords",
                        "OutgoingBytes",
                        "OutgoingRecords",
                        "WriteProvisionedThroughputExceeded",
                        "ReadProvisionedThroughputExceeded",
                        "IteratorAgeMilliseconds",
                        "ALL",
                    ],
                )
            })
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for EnableEnhancedMonitoringInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            shard_level_metrics,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::count(shard_level_metrics.len(), 1, 7)
            && shard_level_metrics.iter().all(|x| {
                wire::one_of(
                    x,
                    &[
                        "IncomingBytes",
                        "IncomingRecords",
                        "OutgoingBytes",
                        "OutgoingRecords",
                        "WriteProvisionedThroughputExceeded",
                        "ReadProvisionedThroughputExceeded",
                        "IteratorAgeMilliseconds",
                        "ALL",
                    ],
                )
            })
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for GetRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            shard_iterator,
            limit,
            stream_arn,
            stream_id,
            ..
        } = self;
        wire::text(shard_iterator, 1, 512, None)
            && limit
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for GetResourcePolicyInput {
    fn valid(&self) -> bool {
        let Self {
            resource_arn,
            stream_id,
            ..
        } = self;
        wire::text(resource_arn, 1, 2048, Some(validate::is_resource_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for GetShardIteratorInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            shard_id,
            shard_iterator_type,
            starting_sequence_number,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::text(shard_id, 1, 128, Some(validate::is_name))
            && wire::one_of(
                shard_iterator_type,
                &[
                    "AT_SEQUENCE_NUMBER",
                    "AFTER_SEQUENCE_NUMBER",
                    "TRIM_HORIZON",
                    "LATEST",
                    "AT_TIMESTAMP",
                ],
            )
            && starting_sequence_number
                .as_ref()
                .is_none_or(|v| wire::text(v, 0, usize::MAX, Some(validate::is_sequence_number)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for IncreaseStreamRetentionPeriodInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for ListChannelsInput {
    fn valid(&self) -> bool {
        let Self {
            stream_filter,
            max_results,
            next_token,
            ..
        } = self;
        stream_filter
            .as_ref()
            .is_none_or(|v| wire::count(v.len(), 1, 10000) && v.iter().all(|x| x.valid()))
            && max_results
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && next_token
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 1048576, None))
    }
}

impl Valid for ListQueuesInput {
    fn valid(&self) -> bool {
        let Self {
            max_results,
            next_token,
            stream_filter,
            ..
        } = self;
        max_results
            .as_ref()
            .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && next_token
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 1048576, None))
            && stream_filter
                .as_ref()
                .is_none_or(|v| wire::count(v.len(), 1, 10000) && v.iter().all(|x| x.valid()))
    }
}

impl Valid for ListShardsInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            next_token,
            exclusive_start_shard_id,
            max_results,
            shard_filter,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && next_token
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 1048576, None))
            && exclusive_start_shard_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && max_results
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && shard_filter.as_ref().is_none_or(|v| v.valid())
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for ListStreamConsumersInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            next_token,
            max_results,
            stream_id,
            ..
        } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
            && next_token
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 1048576, None))
            && max_results
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for ListStreamsInput {
    fn valid(&self) -> bool {
        let Self {
            limit,
            exclusive_start_stream_name,
            next_token,
            ..
        } = self;
        limit
            .as_ref()
            .is_none_or(|v| wire::within(*v, Some(1), Some(10000)))
            && exclusive_start_stream_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && next_token
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 1048576, None))
    }
}

impl Valid for ListTagsForResourceInput {
    fn valid(&self) -> bool {
        let Self {
            resource_arn,
            stream_id,
            ..
        } = self;
        wire::text(resource_arn, 1, 2048, Some(validate::is_resource_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for ListTagsForStreamInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            exclusive_start_tag_key,
            limit,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && exclusive_start_tag_key
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, None))
            && limit
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(50)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for MergeShardsInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            shard_to_merge,
            adjacent_shard_to_merge,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::text(shard_to_merge, 1, 128, Some(validate::is_name))
            && wire::text(adjacent_shard_to_merge, 1, 128, Some(validate::is_name))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for PutRecordInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            data,
            partition_key,
            explicit_hash_key,
            sequence_number_for_ordering,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::size(data, 10485760)
            && partition_key
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 256, None))
            && explicit_hash_key
                .as_ref()
                .is_none_or(|v| wire::text(v, 0, usize::MAX, Some(validate::is_hash_key)))
            && sequence_number_for_ordering
                .as_ref()
                .is_none_or(|v| wire::text(v, 0, usize::MAX, Some(validate::is_sequence_number)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for PutRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            records,
            stream_name,
            stream_arn,
            stream_id,
            ..
        } = self;
        wire::count(records.len(), 1, 500)
            && records.iter().all(|x| x.valid())
            && stream_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for PutRecordsRequestEntry {
    fn valid(&self) -> bool {
        let Self {
            data,
            explicit_hash_key,
            partition_key,
            ..
        } = self;
        wire::size(data, 10485760)
            && explicit_hash_key
                .as_ref()
                .is_none_or(|v| wire::text(v, 0, usize::MAX, Some(validate::is_hash_key)))
            && partition_key
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 256, None))
    }
}

impl Valid for PutResourcePolicyInput {
    fn valid(&self) -> bool {
        let Self {
            resource_arn,
            stream_id,
            ..
        } = self;
        wire::text(resource_arn, 1, 2048, Some(validate::is_resource_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for QueueAttributes {
    fn valid(&self) -> bool {
        let Self {
            visibility_timeout_seconds,
            dead_letter_configuration,
            ..
        } = self;
        visibility_timeout_seconds
            .as_ref()
            .is_none_or(|v| wire::within(*v, Some(0), Some(43200)))
            && dead_letter_configuration.as_ref().is_none_or(|v| v.valid())
    }
}

impl Valid for DeadLetterConfiguration {
    fn valid(&self) -> bool {
        let Self {
            target_type,
            max_receive_count,
            ..
        } = self;
        wire::one_of(target_type, &["BUILT_IN", "NONE"])
            && max_receive_count
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(1000)))
    }
}

impl Valid for QueueStreamConfiguration {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            starting_position,
            ..
        } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
            && starting_position.as_ref().is_none_or(|v| v.valid())
    }
}

impl Valid for QueueStartingPosition {
    fn valid(&self) -> bool {
        let Self { r#type, .. } = self;
        wire::one_of(r#type, &["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"])
    }
}

impl Valid for QueueStreamFilter {
    fn valid(&self) -> bool {
        let Self { stream_arn, .. } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
    }
}

impl Valid for ReceiveDeadLetterQueueRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn,
            limit,
            wait_time_seconds,
            visibility_timeout_seconds,
            ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && limit
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10)))
            && wait_time_seconds
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(20)))
            && visibility_timeout_seconds
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(0), Some(43200)))
    }
}

impl Valid for ReceiveQueueRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn,
            limit,
            wait_time_seconds,
            visibility_timeout_seconds,
            ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && limit
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(10)))
            && wait_time_seconds
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(1), Some(20)))
            && visibility_timeout_seconds
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(0), Some(43200)))
    }
}

impl Valid for RecordConfiguration {
    fn valid(&self) -> bool {
        let Self {
            record_format_type,
            gsr_schema_arn,
            ..
        } = self;
        wire::one_of(
            record_format_type,
            &["GSR_JSON", "JSON", "STRING", "BYTE_ARRAY"],
        ) && gsr_schema_arn
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 512, Some(validate::is_gsr_schema_arn)))
    }
}

impl Valid for RegisterStreamConsumerInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            consumer_name,
            stream_id,
            tags,
            ..
        } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
            && wire::text(consumer_name, 1, 128, Some(validate::is_name))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
            && tags.as_ref().is_none_or(|v| {
                wire::count(v.len(), 1, 200)
                    && v.iter()
                        .all(|(k, x)| wire::text(k, 1, 128, None) && wire::text(x, 0, 256, None))
            })
    }
}

impl Valid for RemoveTagsFromStreamInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            tag_keys,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::count(tag_keys.len(), 1, 50)
            && tag_keys.iter().all(|x| wire::text(x, 1, 128, None))
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for RestoreDeadLetterQueueRecordsInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn, entries, ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && wire::count(entries.len(), 1, 10)
            && entries.iter().all(|x| x.valid())
    }
}

impl Valid for RestoreDeadLetterQueueRecordsRequestEntry {
    fn valid(&self) -> bool {
        let Self { receipt_handle, .. } = self;
        wire::text(receipt_handle, 1, 1024, None)
    }
}

impl Valid for S3DestinationConfiguration {
    fn valid(&self) -> bool {
        let Self {
            dead_letter_queue_s3_configuration,
            storage_configuration,
            ..
        } = self;
        dead_letter_queue_s3_configuration
            .as_ref()
            .is_none_or(|v| v.valid())
            && storage_configuration.valid()
    }
}

impl Valid for DeadLetterQueueS3Configuration {
    fn valid(&self) -> bool {
        let Self {
            bucket_arn,
            expected_bucket_owner,
            error_output_prefix,
            ..
        } = self;
        wire::text(bucket_arn, 1, 2048, Some(validate::is_bucket_arn))
            && wire::text(expected_bucket_owner, 12, 12, Some(validate::is_account))
            && error_output_prefix
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 512, Some(validate::is_error_prefix)))
    }
}

impl Valid for S3StorageConfiguration {
    fn valid(&self) -> bool {
        let Self {
            bucket_arn,
            expected_bucket_owner,
            output_key_template,
            storage_class,
            compression_type,
            ..
        } = self;
        wire::text(bucket_arn, 1, 2048, Some(validate::is_bucket_arn))
            && wire::text(expected_bucket_owner, 12, 12, Some(validate::is_account))
            && output_key_template
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 1024, Some(validate::is_key_template)))
            && storage_class
                .as_ref()
                .is_none_or(|v| wire::one_of(v, &["STANDARD", "INTELLIGENT_TIERING", "GLACIER_IR"]))
            && wire::one_of(compression_type, &["NONE", "GZIP", "ZSTD"])
    }
}

impl Valid for S3TablesDestinationConfiguration {
    fn valid(&self) -> bool {
        let Self {
            dead_letter_queue_s3_configuration,
            s3_tables_configuration_list,
            ..
        } = self;
        dead_letter_queue_s3_configuration.valid()
            && wire::count(s3_tables_configuration_list.len(), 1, 10000)
            && s3_tables_configuration_list.iter().all(|x| x.valid())
    }
}

impl Valid for S3TablesConfiguration {
    fn valid(&self) -> bool {
        let Self {
            table_bucket_arn,
            namespace,
            table_name,
            compression_type,
            partition_spec,
            ..
        } = self;
        wire::text(
            table_bucket_arn,
            1,
            2048,
            Some(validate::is_table_bucket_arn),
        ) && wire::text(namespace, 1, 255, Some(validate::is_lower_name))
            && wire::text(table_name, 1, 255, Some(validate::is_lower_name))
            && wire::one_of(compression_type, &["NONE", "ZSTD", "SNAPPY"])
            && partition_spec.as_ref().is_none_or(|v| v.valid())
    }
}

impl Valid for PartitionSpec {
    fn valid(&self) -> bool {
        let Self {
            partition_fields, ..
        } = self;
        wire::count(partition_fields.len(), 1, 10) && partition_fields.iter().all(|x| x.valid())
    }
}

impl Valid for PartitionField {
    fn valid(&self) -> bool {
        let Self {
            transform,
            source_name,
            ..
        } = self;
        wire::one_of(transform, &["TIME_HOUR"])
            && wire::text(source_name, 1, 255, Some(validate::is_partition_source))
    }
}

impl Valid for ShardFilter {
    fn valid(&self) -> bool {
        let Self {
            r#type, shard_id, ..
        } = self;
        wire::one_of(
            r#type,
            &[
                "AFTER_SHARD_ID",
                "AT_TRIM_HORIZON",
                "FROM_TRIM_HORIZON",
                "AT_LATEST",
                "AT_TIMESTAMP",
                "FROM_TIMESTAMP",
            ],
        ) && shard_id
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
    }
}

impl Valid for SplitShardInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            shard_to_split,
            new_starting_hash_key,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::text(shard_to_split, 1, 128, Some(validate::is_name))
            && wire::text(
                new_starting_hash_key,
                0,
                usize::MAX,
                Some(validate::is_hash_key),
            )
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for StartStreamEncryptionInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            encryption_type,
            key_id,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::one_of(encryption_type, &["NONE", "KMS"])
            && wire::text(key_id, 1, 2048, None)
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for StopStreamEncryptionInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            encryption_type,
            key_id,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::one_of(encryption_type, &["NONE", "KMS"])
            && wire::text(key_id, 1, 2048, None)
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for StreamFilter {
    fn valid(&self) -> bool {
        let Self { stream_arn, .. } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
    }
}

impl Valid for StreamModeDetails {
    fn valid(&self) -> bool {
        let Self { stream_mode, .. } = self;
        wire::one_of(stream_mode, &["PROVISIONED", "ON_DEMAND"])
    }
}

impl Valid for SubscribeToShardInput {
    fn valid(&self) -> bool {
        let Self {
            consumer_arn,
            stream_id,
            shard_id,
            starting_position,
            ..
        } = self;
        wire::text(consumer_arn, 1, 2048, Some(validate::is_consumer_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
            && wire::text(shard_id, 1, 128, Some(validate::is_name))
            && starting_position.valid()
    }
}

impl Valid for StartingPosition {
    fn valid(&self) -> bool {
        let Self {
            r#type,
            sequence_number,
            ..
        } = self;
        wire::one_of(
            r#type,
            &[
                "AT_SEQUENCE_NUMBER",
                "AFTER_SEQUENCE_NUMBER",
                "TRIM_HORIZON",
                "LATEST",
                "AT_TIMESTAMP",
            ],
        ) && sequence_number
            .as_ref()
            .is_none_or(|v| wire::text(v, 0, usize::MAX, Some(validate::is_sequence_number)))
    }
}

impl Valid for TagResourceInput {
    fn valid(&self) -> bool {
        let Self {
            tags,
            resource_arn,
            stream_id,
            ..
        } = self;
        wire::count(tags.len(), 1, 200)
            && tags
                .iter()
                .all(|(k, x)| wire::text(k, 1, 128, None) && wire::text(x, 0, 256, None))
            && wire::text(resource_arn, 1, 2048, Some(validate::is_resource_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for UntagResourceInput {
    fn valid(&self) -> bool {
        let Self {
            tag_keys,
            resource_arn,
            stream_id,
            ..
        } = self;
        wire::count(tag_keys.len(), 1, 50)
            && tag_keys.iter().all(|x| wire::text(x, 1, 128, None))
            && wire::text(resource_arn, 1, 2048, Some(validate::is_resource_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for UpdateAccountSettingsInput {
    fn valid(&self) -> bool {
        let Self {
            minimum_throughput_billing_commitment,
            ..
        } = self;
        minimum_throughput_billing_commitment.valid()
    }
}

impl Valid for MinimumThroughputBillingCommitmentInput {
    fn valid(&self) -> bool {
        let Self { status, .. } = self;
        wire::one_of(status, &["ENABLED", "DISABLED"])
    }
}

impl Valid for UpdateChannelInput {
    fn valid(&self) -> bool {
        let Self {
            channel_arn,
            s3_destination_configuration,
            s3_tables_destination_configuration,
            logging_configuration,
            ..
        } = self;
        wire::text(channel_arn, 1, 2048, Some(validate::is_channel_arn))
            && s3_destination_configuration
                .as_ref()
                .is_none_or(|v| v.valid())
            && s3_tables_destination_configuration
                .as_ref()
                .is_none_or(|v| v.valid())
            && logging_configuration.as_ref().is_none_or(|v| v.valid())
    }
}

impl Valid for ChannelLoggingUpdateInput {
    fn valid(&self) -> bool {
        let Self {
            cloud_watch_logs, ..
        } = self;
        cloud_watch_logs.valid()
    }
}

impl Valid for CloudWatchLogsUpdateInput {
    fn valid(&self) -> bool {
        let Self {
            log_group_name,
            log_stream_name,
            ..
        } = self;
        log_group_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 512, Some(validate::is_log_group)))
            && log_stream_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 512, Some(validate::is_log_stream)))
    }
}

impl Valid for S3DestinationUpdateInput {
    fn valid(&self) -> bool {
        true
    }
}

impl Valid for S3TablesDestinationUpdateInput {
    fn valid(&self) -> bool {
        true
    }
}

impl Valid for UpdateDeadLetterQueueRecordsVisibilityInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn, entries, ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && wire::count(entries.len(), 1, 10)
            && entries.iter().all(|x| x.valid())
    }
}

impl Valid for UpdateDeadLetterQueueRecordsVisibilityRequestEntry {
    fn valid(&self) -> bool {
        let Self {
            receipt_handle,
            visibility_timeout_seconds,
            ..
        } = self;
        wire::text(receipt_handle, 1, 1024, None)
            && wire::within(*visibility_timeout_seconds, Some(0), Some(43200))
    }
}

impl Valid for UpdateMaxRecordSizeInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            stream_id,
            max_record_size_in_kib,
            ..
        } = self;
        stream_arn
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
            && wire::within(*max_record_size_in_kib, Some(1024), Some(10240))
    }
}

impl Valid for UpdateQueueInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn,
            queue_attributes,
            ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn)) && queue_attributes.valid()
    }
}

impl Valid for UpdateQueueRecordsVisibilityInput {
    fn valid(&self) -> bool {
        let Self {
            queue_arn, entries, ..
        } = self;
        wire::text(queue_arn, 1, 2048, Some(validate::is_queue_arn))
            && wire::count(entries.len(), 1, 10)
            && entries.iter().all(|x| x.valid())
    }
}

impl Valid for UpdateQueueRecordsVisibilityRequestEntry {
    fn valid(&self) -> bool {
        let Self {
            receipt_handle,
            visibility_timeout_seconds,
            ..
        } = self;
        wire::text(receipt_handle, 1, 1024, None)
            && wire::within(*visibility_timeout_seconds, Some(0), Some(43200))
    }
}

impl Valid for UpdateShardCountInput {
    fn valid(&self) -> bool {
        let Self {
            stream_name,
            target_shard_count,
            scaling_type,
            stream_arn,
            stream_id,
            ..
        } = self;
        stream_name
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && wire::within(*target_shard_count, Some(1), None)
            && wire::one_of(scaling_type, &["UNIFORM_SCALING"])
            && stream_arn
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
    }
}

impl Valid for UpdateStreamModeInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            stream_id,
            stream_mode_details,
            warm_throughput_mibps,
            ..
        } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
            && stream_mode_details.valid()
            && warm_throughput_mibps
                .as_ref()
                .is_none_or(|v| wire::within(*v, Some(0), None))
    }
}

impl Valid for UpdateStreamRecordDistributionStrategyInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            stream_id,
            record_distribution_strategy,
            ..
        } = self;
        wire::text(stream_arn, 1, 2048, Some(validate::is_stream_arn))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
            && wire::one_of(
                record_distribution_strategy,
                &["AUTO", "USER_PARTITION_KEY"],
            )
    }
}

impl Valid for UpdateStreamWarmThroughputInput {
    fn valid(&self) -> bool {
        let Self {
            stream_arn,
            stream_name,
            stream_id,
            warm_throughput_mibps,
            ..
        } = self;
        stream_arn
            .as_ref()
            .is_none_or(|v| wire::text(v, 1, 2048, Some(validate::is_stream_arn)))
            && stream_name
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 128, Some(validate::is_name)))
            && stream_id
                .as_ref()
                .is_none_or(|v| wire::text(v, 1, 24, Some(validate::is_stream_id)))
            && wire::within(*warm_throughput_mibps, Some(0), None)
    }
}

impl EncodedSize for AcknowledgeDeadLetterQueueRecordsErrorEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 13
            + self.error_code.encoded_size()
            + 16
            + self.error_message.encoded_size()
    }
}

impl EncodedSize for AcknowledgeDeadLetterQueueRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size() + 11 + self.entries.encoded_size()
    }
}

impl EncodedSize for AcknowledgeDeadLetterQueueRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.successful.encoded_size() + 10 + self.failed.encoded_size()
    }
}

impl EncodedSize for AcknowledgeDeadLetterQueueRecordsRequestEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for AcknowledgeDeadLetterQueueRecordsResultEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for AcknowledgeQueueRecordsErrorEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 13
            + self.error_code.encoded_size()
            + 16
            + self.error_message.encoded_size()
    }
}

impl EncodedSize for AcknowledgeQueueRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size() + 11 + self.entries.encoded_size()
    }
}

impl EncodedSize for AcknowledgeQueueRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.successful.encoded_size() + 10 + self.failed.encoded_size()
    }
}

impl EncodedSize for AcknowledgeQueueRecordsRequestEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for AcknowledgeQueueRecordsResultEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for AddTagsToStreamInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 8
            + self.tags.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for ChannelDescription {
    fn encoded_size(&self) -> usize {
        2 + 15
            + self.channel_name.encoded_size()
            + 14
            + self.channel_arn.encoded_size()
            + 13
            + self.channel_id.encoded_size()
            + 17
            + self.channel_status.encoded_size()
            + 23
            + self.channel_status_reason.encoded_size()
            + 28
            + self.channel_creation_timestamp.encoded_size()
            + 27
            + self.service_execution_role_arn.encoded_size()
            + 27
            + self.stream_configuration_list.encoded_size()
            + 30
            + self.s3_destination_configuration.encoded_size()
            + 36
            + self.s3_tables_destination_configuration.encoded_size()
            + 27
            + self.encryption_configuration.encoded_size()
            + 24
            + self.logging_configuration.encoded_size()
    }
}

impl EncodedSize for ChannelEncryptionConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 18 + self.encryption_type.encoded_size() + 9 + self.key_id.encoded_size()
    }
}

impl EncodedSize for ChannelLoggingConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 18 + self.cloud_watch_logs.encoded_size()
    }
}

impl EncodedSize for ChannelLoggingUpdateInput {
    fn encoded_size(&self) -> usize {
        2 + 18 + self.cloud_watch_logs.encoded_size()
    }
}

impl EncodedSize for ChannelStreamConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.stream_arn.encoded_size() + 23 + self.record_configuration.encoded_size()
    }
}

impl EncodedSize for ChannelStreamDescription {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 27
            + self.stream_creation_timestamp.encoded_size()
            + 23
            + self.record_configuration.encoded_size()
    }
}

impl EncodedSize for ChannelStreamIdentifier {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.stream_arn.encoded_size() + 27 + self.stream_creation_timestamp.encoded_size()
    }
}

impl EncodedSize for ChannelSummary {
    fn encoded_size(&self) -> usize {
        2 + 15
            + self.channel_name.encoded_size()
            + 14
            + self.channel_arn.encoded_size()
            + 13
            + self.channel_id.encoded_size()
            + 17
            + self.channel_status.encoded_size()
            + 23
            + self.channel_status_reason.encoded_size()
            + 28
            + self.channel_creation_timestamp.encoded_size()
            + 26
            + self.channel_destination_type.encoded_size()
            + 11
            + self.streams.encoded_size()
    }
}

impl EncodedSize for ChildShard {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.shard_id.encoded_size()
            + 16
            + self.parent_shards.encoded_size()
            + 16
            + self.hash_key_range.encoded_size()
    }
}

impl EncodedSize for CloudWatchLogs {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.enabled.encoded_size()
            + 16
            + self.log_group_name.encoded_size()
            + 17
            + self.log_stream_name.encoded_size()
    }
}

impl EncodedSize for CloudWatchLogsUpdateInput {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.enabled.encoded_size()
            + 16
            + self.log_group_name.encoded_size()
            + 17
            + self.log_stream_name.encoded_size()
    }
}

impl EncodedSize for Consumer {
    fn encoded_size(&self) -> usize {
        2 + 16
            + self.consumer_name.encoded_size()
            + 15
            + self.consumer_arn.encoded_size()
            + 18
            + self.consumer_status.encoded_size()
            + 29
            + self.consumer_creation_timestamp.encoded_size()
    }
}

impl EncodedSize for ConsumerDescription {
    fn encoded_size(&self) -> usize {
        2 + 16
            + self.consumer_name.encoded_size()
            + 15
            + self.consumer_arn.encoded_size()
            + 18
            + self.consumer_status.encoded_size()
            + 29
            + self.consumer_creation_timestamp.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
    }
}

impl EncodedSize for CreateChannelInput {
    fn encoded_size(&self) -> usize {
        2 + 15
            + self.channel_name.encoded_size()
            + 27
            + self.service_execution_role_arn.encoded_size()
            + 27
            + self.stream_configuration_list.encoded_size()
            + 30
            + self.s3_destination_configuration.encoded_size()
            + 36
            + self.s3_tables_destination_configuration.encoded_size()
            + 27
            + self.encryption_configuration.encoded_size()
            + 8
            + self.tags.encoded_size()
            + 24
            + self.logging_configuration.encoded_size()
    }
}

impl EncodedSize for CreateChannelOutput {
    fn encoded_size(&self) -> usize {
        2 + 22 + self.channel_description.encoded_size()
    }
}

impl EncodedSize for CreateQueueInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.queue_name.encoded_size()
            + 27
            + self.stream_configuration_list.encoded_size()
            + 19
            + self.queue_attributes.encoded_size()
            + 8
            + self.tags.encoded_size()
    }
}

impl EncodedSize for CreateQueueOutput {
    fn encoded_size(&self) -> usize {
        2 + 20 + self.queue_description.encoded_size()
    }
}

impl EncodedSize for CreateStreamInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 14
            + self.shard_count.encoded_size()
            + 21
            + self.stream_mode_details.encoded_size()
            + 8
            + self.tags.encoded_size()
            + 23
            + self.warm_throughput_mibps.encoded_size()
            + 22
            + self.max_record_size_in_kib.encoded_size()
            + 30
            + self.record_distribution_strategy.encoded_size()
    }
}

impl EncodedSize for DeadLetterConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.target_type.encoded_size() + 19 + self.max_receive_count.encoded_size()
    }
}

impl EncodedSize for DeadLetterQueueS3Configuration {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.bucket_arn.encoded_size()
            + 23
            + self.expected_bucket_owner.encoded_size()
            + 21
            + self.error_output_prefix.encoded_size()
    }
}

impl EncodedSize for DecreaseStreamRetentionPeriodInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 24
            + self.retention_period_hours.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DeleteChannelInput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.channel_arn.encoded_size()
    }
}

impl EncodedSize for DeleteQueueInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size()
    }
}

impl EncodedSize for DeleteResourcePolicyInput {
    fn encoded_size(&self) -> usize {
        2 + 15 + self.resource_arn.encoded_size() + 12 + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DeleteStreamInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 27
            + self.enforce_consumer_deletion.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DeregisterStreamConsumerInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 16
            + self.consumer_name.encoded_size()
            + 15
            + self.consumer_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DescribeAccountSettingsInput {
    fn encoded_size(&self) -> usize {
        2
    }
}

impl EncodedSize for DescribeAccountSettingsOutput {
    fn encoded_size(&self) -> usize {
        2 + 38 + self.minimum_throughput_billing_commitment.encoded_size()
    }
}

impl EncodedSize for DescribeChannelInput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.channel_arn.encoded_size()
    }
}

impl EncodedSize for DescribeChannelOutput {
    fn encoded_size(&self) -> usize {
        2 + 22 + self.channel_description.encoded_size()
    }
}

impl EncodedSize for DescribeLimitsInput {
    fn encoded_size(&self) -> usize {
        2
    }
}

impl EncodedSize for DescribeLimitsOutput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.shard_limit.encoded_size()
            + 18
            + self.open_shard_count.encoded_size()
            + 23
            + self.on_demand_stream_count.encoded_size()
            + 28
            + self.on_demand_stream_count_limit.encoded_size()
            + 16
            + self.channel_count.encoded_size()
            + 21
            + self.channel_count_limit.encoded_size()
    }
}

impl EncodedSize for DescribeQueueInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size()
    }
}

impl EncodedSize for DescribeQueueOutput {
    fn encoded_size(&self) -> usize {
        2 + 20 + self.queue_description.encoded_size()
    }
}

impl EncodedSize for DescribeStreamConsumerInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 16
            + self.consumer_name.encoded_size()
            + 15
            + self.consumer_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DescribeStreamConsumerOutput {
    fn encoded_size(&self) -> usize {
        2 + 23 + self.consumer_description.encoded_size()
    }
}

impl EncodedSize for DescribeStreamInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 9
            + self.limit.encoded_size()
            + 25
            + self.exclusive_start_shard_id.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DescribeStreamOutput {
    fn encoded_size(&self) -> usize {
        2 + 21 + self.stream_description.encoded_size()
    }
}

impl EncodedSize for DescribeStreamSummaryInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for DescribeStreamSummaryOutput {
    fn encoded_size(&self) -> usize {
        2 + 28 + self.stream_description_summary.encoded_size()
    }
}

impl EncodedSize for DisableEnhancedMonitoringInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 21
            + self.shard_level_metrics.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for EnableEnhancedMonitoringInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 21
            + self.shard_level_metrics.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for EnhancedMetrics {
    fn encoded_size(&self) -> usize {
        2 + 21 + self.shard_level_metrics.encoded_size()
    }
}

impl EncodedSize for EnhancedMonitoringOutput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 28
            + self.current_shard_level_metrics.encoded_size()
            + 28
            + self.desired_shard_level_metrics.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
    }
}

impl EncodedSize for GetRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.shard_iterator.encoded_size()
            + 9
            + self.limit.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 10
            + self.dry_run.encoded_size()
    }
}

impl EncodedSize for GetRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.records.encoded_size()
            + 21
            + self.next_shard_iterator.encoded_size()
            + 22
            + self.millis_behind_latest.encoded_size()
            + 15
            + self.child_shards.encoded_size()
    }
}

impl EncodedSize for GetResourcePolicyInput {
    fn encoded_size(&self) -> usize {
        2 + 15 + self.resource_arn.encoded_size() + 12 + self.stream_id.encoded_size()
    }
}

impl EncodedSize for GetResourcePolicyOutput {
    fn encoded_size(&self) -> usize {
        2 + 10 + self.policy.encoded_size()
    }
}

impl EncodedSize for GetShardIteratorInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 11
            + self.shard_id.encoded_size()
            + 21
            + self.shard_iterator_type.encoded_size()
            + 26
            + self.starting_sequence_number.encoded_size()
            + 13
            + self.timestamp.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 10
            + self.dry_run.encoded_size()
    }
}

impl EncodedSize for GetShardIteratorOutput {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.shard_iterator.encoded_size()
    }
}

impl EncodedSize for HashKeyRange {
    fn encoded_size(&self) -> usize {
        2 + 19 + self.starting_hash_key.encoded_size() + 17 + self.ending_hash_key.encoded_size()
    }
}

impl EncodedSize for IncreaseStreamRetentionPeriodInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 24
            + self.retention_period_hours.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for ListChannelsInput {
    fn encoded_size(&self) -> usize {
        2 + 16
            + self.stream_filter.encoded_size()
            + 14
            + self.max_results.encoded_size()
            + 13
            + self.next_token.encoded_size()
    }
}

impl EncodedSize for ListChannelsOutput {
    fn encoded_size(&self) -> usize {
        2 + 20 + self.channel_summaries.encoded_size() + 13 + self.next_token.encoded_size()
    }
}

impl EncodedSize for ListQueuesInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.max_results.encoded_size()
            + 13
            + self.next_token.encoded_size()
            + 16
            + self.stream_filter.encoded_size()
    }
}

impl EncodedSize for ListQueuesOutput {
    fn encoded_size(&self) -> usize {
        2 + 18 + self.queue_summaries.encoded_size() + 13 + self.next_token.encoded_size()
    }
}

impl EncodedSize for ListShardsInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 13
            + self.next_token.encoded_size()
            + 25
            + self.exclusive_start_shard_id.encoded_size()
            + 14
            + self.max_results.encoded_size()
            + 27
            + self.stream_creation_timestamp.encoded_size()
            + 15
            + self.shard_filter.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for ListShardsOutput {
    fn encoded_size(&self) -> usize {
        2 + 10 + self.shards.encoded_size() + 13 + self.next_token.encoded_size()
    }
}

impl EncodedSize for ListStreamConsumersInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 13
            + self.next_token.encoded_size()
            + 14
            + self.max_results.encoded_size()
            + 27
            + self.stream_creation_timestamp.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for ListStreamConsumersOutput {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.consumers.encoded_size() + 13 + self.next_token.encoded_size()
    }
}

impl EncodedSize for ListStreamsInput {
    fn encoded_size(&self) -> usize {
        2 + 9
            + self.limit.encoded_size()
            + 28
            + self.exclusive_start_stream_name.encoded_size()
            + 13
            + self.next_token.encoded_size()
    }
}

impl EncodedSize for ListStreamsOutput {
    fn encoded_size(&self) -> usize {
        2 + 15
            + self.stream_names.encoded_size()
            + 18
            + self.has_more_streams.encoded_size()
            + 13
            + self.next_token.encoded_size()
            + 19
            + self.stream_summaries.encoded_size()
    }
}

impl EncodedSize for ListTagsForResourceInput {
    fn encoded_size(&self) -> usize {
        2 + 15 + self.resource_arn.encoded_size() + 12 + self.stream_id.encoded_size()
    }
}

impl EncodedSize for ListTagsForResourceOutput {
    fn encoded_size(&self) -> usize {
        2 + 8 + self.tags.encoded_size()
    }
}

impl EncodedSize for ListTagsForStreamInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 24
            + self.exclusive_start_tag_key.encoded_size()
            + 9
            + self.limit.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for ListTagsForStreamOutput {
    fn encoded_size(&self) -> usize {
        2 + 8 + self.tags.encoded_size() + 15 + self.has_more_tags.encoded_size()
    }
}

impl EncodedSize for MergeShardsInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 16
            + self.shard_to_merge.encoded_size()
            + 24
            + self.adjacent_shard_to_merge.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for MinimumThroughputBillingCommitmentInput {
    fn encoded_size(&self) -> usize {
        2 + 10 + self.status.encoded_size()
    }
}

impl EncodedSize for MinimumThroughputBillingCommitmentOutput {
    fn encoded_size(&self) -> usize {
        2 + 10
            + self.status.encoded_size()
            + 13
            + self.started_at.encoded_size()
            + 11
            + self.ended_at.encoded_size()
            + 24
            + self.earliest_allowed_end_at.encoded_size()
    }
}

impl EncodedSize for PartitionField {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.transform.encoded_size() + 14 + self.source_name.encoded_size()
    }
}

impl EncodedSize for PartitionSpec {
    fn encoded_size(&self) -> usize {
        2 + 19 + self.partition_fields.encoded_size()
    }
}

impl EncodedSize for PutRecordInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 8
            + self.data.encoded_size()
            + 16
            + self.partition_key.encoded_size()
            + 19
            + self.explicit_hash_key.encoded_size()
            + 29
            + self.sequence_number_for_ordering.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 10
            + self.dry_run.encoded_size()
    }
}

impl EncodedSize for PutRecordOutput {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.shard_id.encoded_size()
            + 18
            + self.sequence_number.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
    }
}

impl EncodedSize for PutRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.records.encoded_size()
            + 14
            + self.stream_name.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 10
            + self.dry_run.encoded_size()
    }
}

impl EncodedSize for PutRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 21
            + self.failed_record_count.encoded_size()
            + 11
            + self.records.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
    }
}

impl EncodedSize for PutRecordsRequestEntry {
    fn encoded_size(&self) -> usize {
        2 + 8
            + self.data.encoded_size()
            + 19
            + self.explicit_hash_key.encoded_size()
            + 16
            + self.partition_key.encoded_size()
    }
}

impl EncodedSize for PutRecordsResultEntry {
    fn encoded_size(&self) -> usize {
        2 + 18
            + self.sequence_number.encoded_size()
            + 11
            + self.shard_id.encoded_size()
            + 13
            + self.error_code.encoded_size()
            + 16
            + self.error_message.encoded_size()
    }
}

impl EncodedSize for PutResourcePolicyInput {
    fn encoded_size(&self) -> usize {
        2 + 15
            + self.resource_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 10
            + self.policy.encoded_size()
    }
}

impl EncodedSize for QueueAttributes {
    fn encoded_size(&self) -> usize {
        2 + 28
            + self.visibility_timeout_seconds.encoded_size()
            + 27
            + self.dead_letter_configuration.encoded_size()
    }
}

impl EncodedSize for QueueDescription {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.queue_name.encoded_size()
            + 12
            + self.queue_arn.encoded_size()
            + 15
            + self.queue_status.encoded_size()
            + 26
            + self.queue_creation_timestamp.encoded_size()
            + 27
            + self.stream_configuration_list.encoded_size()
            + 19
            + self.queue_attributes.encoded_size()
    }
}

impl EncodedSize for QueueRecord {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 12
            + self.record_id.encoded_size()
            + 16
            + self.partition_key.encoded_size()
            + 8
            + self.data.encoded_size()
            + 31
            + self.approximate_arrival_timestamp.encoded_size()
            + 25
            + self.first_receive_timestamp.encoded_size()
            + 16
            + self.receive_count.encoded_size()
    }
}

impl EncodedSize for QueueStartingPosition {
    fn encoded_size(&self) -> usize {
        2 + 8 + self.r#type.encoded_size() + 13 + self.timestamp.encoded_size()
    }
}

impl EncodedSize for QueueStreamConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.stream_arn.encoded_size() + 20 + self.starting_position.encoded_size()
    }
}

impl EncodedSize for QueueStreamFilter {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.stream_arn.encoded_size() + 27 + self.stream_creation_timestamp.encoded_size()
    }
}

impl EncodedSize for QueueStreamIdentifier {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.stream_arn.encoded_size() + 27 + self.stream_creation_timestamp.encoded_size()
    }
}

impl EncodedSize for QueueSummary {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.queue_name.encoded_size()
            + 12
            + self.queue_arn.encoded_size()
            + 15
            + self.queue_status.encoded_size()
            + 26
            + self.queue_creation_timestamp.encoded_size()
            + 11
            + self.streams.encoded_size()
    }
}

impl EncodedSize for ReceiveDeadLetterQueueRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 12
            + self.queue_arn.encoded_size()
            + 9
            + self.limit.encoded_size()
            + 19
            + self.wait_time_seconds.encoded_size()
            + 28
            + self.visibility_timeout_seconds.encoded_size()
    }
}

impl EncodedSize for ReceiveDeadLetterQueueRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 16 + self.queue_records.encoded_size()
    }
}

impl EncodedSize for ReceiveQueueRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 12
            + self.queue_arn.encoded_size()
            + 9
            + self.limit.encoded_size()
            + 19
            + self.wait_time_seconds.encoded_size()
            + 28
            + self.visibility_timeout_seconds.encoded_size()
    }
}

impl EncodedSize for ReceiveQueueRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 16 + self.queue_records.encoded_size()
    }
}

impl EncodedSize for Record {
    fn encoded_size(&self) -> usize {
        2 + 18
            + self.sequence_number.encoded_size()
            + 31
            + self.approximate_arrival_timestamp.encoded_size()
            + 8
            + self.data.encoded_size()
            + 16
            + self.partition_key.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
    }
}

impl EncodedSize for RecordConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 20 + self.record_format_type.encoded_size() + 16 + self.gsr_schema_arn.encoded_size()
    }
}

impl EncodedSize for RegisterStreamConsumerInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 16
            + self.consumer_name.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 8
            + self.tags.encoded_size()
    }
}

impl EncodedSize for RegisterStreamConsumerOutput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.consumer.encoded_size()
    }
}

impl EncodedSize for RemoveTagsFromStreamInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 11
            + self.tag_keys.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for RestoreDeadLetterQueueRecordsErrorEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 13
            + self.error_code.encoded_size()
            + 16
            + self.error_message.encoded_size()
    }
}

impl EncodedSize for RestoreDeadLetterQueueRecordsInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size() + 11 + self.entries.encoded_size()
    }
}

impl EncodedSize for RestoreDeadLetterQueueRecordsOutput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.successful.encoded_size() + 10 + self.failed.encoded_size()
    }
}

impl EncodedSize for RestoreDeadLetterQueueRecordsRequestEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for RestoreDeadLetterQueueRecordsResultEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for S3DestinationConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 26
            + self.data_freshness_in_seconds.encoded_size()
            + 34
            + self.dead_letter_queue_s3_configuration.encoded_size()
            + 24
            + self.storage_configuration.encoded_size()
    }
}

impl EncodedSize for S3DestinationDescription {
    fn encoded_size(&self) -> usize {
        2 + 26
            + self.data_freshness_in_seconds.encoded_size()
            + 34
            + self.dead_letter_queue_s3_configuration.encoded_size()
            + 24
            + self.storage_configuration.encoded_size()
    }
}

impl EncodedSize for S3DestinationUpdateInput {
    fn encoded_size(&self) -> usize {
        2 + 26 + self.data_freshness_in_seconds.encoded_size()
    }
}

impl EncodedSize for S3StorageConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.bucket_arn.encoded_size()
            + 23
            + self.expected_bucket_owner.encoded_size()
            + 21
            + self.output_key_template.encoded_size()
            + 16
            + self.storage_class.encoded_size()
            + 19
            + self.compression_type.encoded_size()
    }
}

impl EncodedSize for S3TablesConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 18
            + self.table_bucket_arn.encoded_size()
            + 13
            + self.namespace.encoded_size()
            + 13
            + self.table_name.encoded_size()
            + 19
            + self.compression_type.encoded_size()
            + 17
            + self.partition_spec.encoded_size()
    }
}

impl EncodedSize for S3TablesDestinationConfiguration {
    fn encoded_size(&self) -> usize {
        2 + 26
            + self.data_freshness_in_seconds.encoded_size()
            + 34
            + self.dead_letter_queue_s3_configuration.encoded_size()
            + 29
            + self.s3_tables_configuration_list.encoded_size()
    }
}

impl EncodedSize for S3TablesDestinationDescription {
    fn encoded_size(&self) -> usize {
        2 + 26
            + self.data_freshness_in_seconds.encoded_size()
            + 34
            + self.dead_letter_queue_s3_configuration.encoded_size()
            + 29
            + self.s3_tables_configuration_list.encoded_size()
    }
}

impl EncodedSize for S3TablesDestinationUpdateInput {
    fn encoded_size(&self) -> usize {
        2 + 26 + self.data_freshness_in_seconds.encoded_size()
    }
}

impl EncodedSize for SequenceNumberRange {
    fn encoded_size(&self) -> usize {
        2 + 26
            + self.starting_sequence_number.encoded_size()
            + 24
            + self.ending_sequence_number.encoded_size()
    }
}

impl EncodedSize for Shard {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.shard_id.encoded_size()
            + 17
            + self.parent_shard_id.encoded_size()
            + 25
            + self.adjacent_parent_shard_id.encoded_size()
            + 16
            + self.hash_key_range.encoded_size()
            + 23
            + self.sequence_number_range.encoded_size()
    }
}

impl EncodedSize for ShardFilter {
    fn encoded_size(&self) -> usize {
        2 + 8
            + self.r#type.encoded_size()
            + 11
            + self.shard_id.encoded_size()
            + 13
            + self.timestamp.encoded_size()
    }
}

impl EncodedSize for SplitShardInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 16
            + self.shard_to_split.encoded_size()
            + 22
            + self.new_starting_hash_key.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for StartStreamEncryptionInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
            + 9
            + self.key_id.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for StartingPosition {
    fn encoded_size(&self) -> usize {
        2 + 8
            + self.r#type.encoded_size()
            + 18
            + self.sequence_number.encoded_size()
            + 13
            + self.timestamp.encoded_size()
    }
}

impl EncodedSize for StopStreamEncryptionInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
            + 9
            + self.key_id.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for StreamDescription {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 16
            + self.stream_status.encoded_size()
            + 21
            + self.stream_mode_details.encoded_size()
            + 10
            + self.shards.encoded_size()
            + 17
            + self.has_more_shards.encoded_size()
            + 24
            + self.retention_period_hours.encoded_size()
            + 27
            + self.stream_creation_timestamp.encoded_size()
            + 22
            + self.enhanced_monitoring.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
            + 9
            + self.key_id.encoded_size()
    }
}

impl EncodedSize for StreamDescriptionSummary {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 16
            + self.stream_status.encoded_size()
            + 21
            + self.stream_mode_details.encoded_size()
            + 24
            + self.retention_period_hours.encoded_size()
            + 27
            + self.stream_creation_timestamp.encoded_size()
            + 22
            + self.enhanced_monitoring.encoded_size()
            + 18
            + self.encryption_type.encoded_size()
            + 9
            + self.key_id.encoded_size()
            + 18
            + self.open_shard_count.encoded_size()
            + 17
            + self.consumer_count.encoded_size()
            + 18
            + self.warm_throughput.encoded_size()
            + 22
            + self.max_record_size_in_kib.encoded_size()
            + 16
            + self.channel_count.encoded_size()
            + 30
            + self.record_distribution_strategy.encoded_size()
            + 14
            + self.queue_count.encoded_size()
    }
}

impl EncodedSize for StreamFilter {
    fn encoded_size(&self) -> usize {
        2 + 13 + self.stream_arn.encoded_size() + 27 + self.stream_creation_timestamp.encoded_size()
    }
}

impl EncodedSize for StreamModeDetails {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.stream_mode.encoded_size()
    }
}

impl EncodedSize for StreamSummary {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 16
            + self.stream_status.encoded_size()
            + 21
            + self.stream_mode_details.encoded_size()
            + 27
            + self.stream_creation_timestamp.encoded_size()
    }
}

impl EncodedSize for SubscribeToShardEvent {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.records.encoded_size()
            + 30
            + self.continuation_sequence_number.encoded_size()
            + 22
            + self.millis_behind_latest.encoded_size()
            + 15
            + self.child_shards.encoded_size()
    }
}

impl EncodedSize for SubscribeToShardInput {
    fn encoded_size(&self) -> usize {
        2 + 15
            + self.consumer_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 11
            + self.shard_id.encoded_size()
            + 20
            + self.starting_position.encoded_size()
            + 10
            + self.dry_run.encoded_size()
    }
}

impl EncodedSize for Tag {
    fn encoded_size(&self) -> usize {
        2 + 7 + self.key.encoded_size() + 9 + self.value.encoded_size()
    }
}

impl EncodedSize for TagResourceInput {
    fn encoded_size(&self) -> usize {
        2 + 8
            + self.tags.encoded_size()
            + 15
            + self.resource_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for UntagResourceInput {
    fn encoded_size(&self) -> usize {
        2 + 11
            + self.tag_keys.encoded_size()
            + 15
            + self.resource_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for UpdateAccountSettingsInput {
    fn encoded_size(&self) -> usize {
        2 + 38 + self.minimum_throughput_billing_commitment.encoded_size()
    }
}

impl EncodedSize for UpdateAccountSettingsOutput {
    fn encoded_size(&self) -> usize {
        2 + 38 + self.minimum_throughput_billing_commitment.encoded_size()
    }
}

impl EncodedSize for UpdateChannelInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.channel_arn.encoded_size()
            + 30
            + self.s3_destination_configuration.encoded_size()
            + 36
            + self.s3_tables_destination_configuration.encoded_size()
            + 24
            + self.logging_configuration.encoded_size()
    }
}

impl EncodedSize for UpdateChannelOutput {
    fn encoded_size(&self) -> usize {
        2 + 22 + self.channel_description.encoded_size()
    }
}

impl EncodedSize for UpdateDeadLetterQueueRecordsVisibilityErrorEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 13
            + self.error_code.encoded_size()
            + 16
            + self.error_message.encoded_size()
    }
}

impl EncodedSize for UpdateDeadLetterQueueRecordsVisibilityInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size() + 11 + self.entries.encoded_size()
    }
}

impl EncodedSize for UpdateDeadLetterQueueRecordsVisibilityOutput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.successful.encoded_size() + 10 + self.failed.encoded_size()
    }
}

impl EncodedSize for UpdateDeadLetterQueueRecordsVisibilityRequestEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 28
            + self.visibility_timeout_seconds.encoded_size()
    }
}

impl EncodedSize for UpdateDeadLetterQueueRecordsVisibilityResultEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for UpdateMaxRecordSizeInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 22
            + self.max_record_size_in_kib.encoded_size()
    }
}

impl EncodedSize for UpdateQueueInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size() + 19 + self.queue_attributes.encoded_size()
    }
}

impl EncodedSize for UpdateQueueOutput {
    fn encoded_size(&self) -> usize {
        2 + 20 + self.queue_description.encoded_size()
    }
}

impl EncodedSize for UpdateQueueRecordsVisibilityErrorEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 13
            + self.error_code.encoded_size()
            + 16
            + self.error_message.encoded_size()
    }
}

impl EncodedSize for UpdateQueueRecordsVisibilityInput {
    fn encoded_size(&self) -> usize {
        2 + 12 + self.queue_arn.encoded_size() + 11 + self.entries.encoded_size()
    }
}

impl EncodedSize for UpdateQueueRecordsVisibilityOutput {
    fn encoded_size(&self) -> usize {
        2 + 14 + self.successful.encoded_size() + 10 + self.failed.encoded_size()
    }
}

impl EncodedSize for UpdateQueueRecordsVisibilityRequestEntry {
    fn encoded_size(&self) -> usize {
        2 + 17
            + self.receipt_handle.encoded_size()
            + 28
            + self.visibility_timeout_seconds.encoded_size()
    }
}

impl EncodedSize for UpdateQueueRecordsVisibilityResultEntry {
    fn encoded_size(&self) -> usize {
        2 + 17 + self.receipt_handle.encoded_size()
    }
}

impl EncodedSize for UpdateShardCountInput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 20
            + self.target_shard_count.encoded_size()
            + 15
            + self.scaling_type.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
    }
}

impl EncodedSize for UpdateShardCountOutput {
    fn encoded_size(&self) -> usize {
        2 + 14
            + self.stream_name.encoded_size()
            + 21
            + self.current_shard_count.encoded_size()
            + 20
            + self.target_shard_count.encoded_size()
            + 13
            + self.stream_arn.encoded_size()
    }
}

impl EncodedSize for UpdateStreamModeInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 21
            + self.stream_mode_details.encoded_size()
            + 23
            + self.warm_throughput_mibps.encoded_size()
    }
}

impl EncodedSize for UpdateStreamRecordDistributionStrategyInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 30
            + self.record_distribution_strategy.encoded_size()
    }
}

impl EncodedSize for UpdateStreamWarmThroughputInput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 14
            + self.stream_name.encoded_size()
            + 12
            + self.stream_id.encoded_size()
            + 23
            + self.warm_throughput_mibps.encoded_size()
    }
}

impl EncodedSize for UpdateStreamWarmThroughputOutput {
    fn encoded_size(&self) -> usize {
        2 + 13
            + self.stream_arn.encoded_size()
            + 14
            + self.stream_name.encoded_size()
            + 18
            + self.warm_throughput.encoded_size()
    }
}

impl EncodedSize for WarmThroughputObject {
    fn encoded_size(&self) -> usize {
        2 + 15 + self.target_mibps.encoded_size() + 16 + self.current_mibps.encoded_size()
    }
}
