//! The Kinesis service model's operations and input shapes, derived by
//! `crates/server/model/derive.py` from botocore 1.44.18 (`service-2.json`, API 2013-12-02).
//! Do not edit: run the script. Tests hold every operation table of the server to it.
#![allow(dead_code)]

/// A shape of the model: what a request member may hold.
#[derive(Debug)]
pub(crate) enum ModelShape {
    Structure(&'static [ModelMember]),
    List {
        min: Option<i64>,
        max: Option<i64>,
        member: &'static ModelShape,
    },
    Map {
        min: Option<i64>,
        max: Option<i64>,
        key: &'static ModelShape,
        value: &'static ModelShape,
    },
    Enum(&'static [&'static str]),
    String {
        min: Option<i64>,
        max: Option<i64>,
        pattern: Option<&'static str>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Blob {
        max: Option<i64>,
    },
    Boolean,
    Timestamp,
}

/// A member of a structure, in the model's order.
#[derive(Debug)]
pub(crate) struct ModelMember {
    pub name: &'static str,
    pub required: bool,
    pub shape: &'static ModelShape,
}

/// An operation and its input shape.
#[derive(Debug)]
pub(crate) struct ModelOperation {
    pub name: &'static str,
    pub input: Option<&'static ModelShape>,
}

/// The botocore release the tables come from.
pub(crate) const BOTOCORE_VERSION: &str = "1.44.18";

/// Every operation of the model, by name.
pub(crate) const OPERATIONS: &[ModelOperation] = &[
    ModelOperation {
        name: "AcknowledgeDeadLetterQueueRecords",
        input: Some(&S_ACKNOWLEDGE_DEAD_LETTER_QUEUE_RECORDS_INPUT),
    },
    ModelOperation {
        name: "AcknowledgeQueueRecords",
        input: Some(&S_ACKNOWLEDGE_QUEUE_RECORDS_INPUT),
    },
    ModelOperation {
        name: "AddTagsToStream",
        input: Some(&S_ADD_TAGS_TO_STREAM_INPUT),
    },
    ModelOperation {
        name: "CreateChannel",
        input: Some(&S_CREATE_CHANNEL_INPUT),
    },
    ModelOperation {
        name: "CreateQueue",
        input: Some(&S_CREATE_QUEUE_INPUT),
    },
    ModelOperation {
        name: "CreateStream",
        input: Some(&S_CREATE_STREAM_INPUT),
    },
    ModelOperation {
        name: "DecreaseStreamRetentionPeriod",
        input: Some(&S_DECREASE_STREAM_RETENTION_PERIOD_INPUT),
    },
    ModelOperation {
        name: "DeleteChannel",
        input: Some(&S_DELETE_CHANNEL_INPUT),
    },
    ModelOperation {
        name: "DeleteQueue",
        input: Some(&S_DELETE_QUEUE_INPUT),
    },
    ModelOperation {
        name: "DeleteResourcePolicy",
        input: Some(&S_DELETE_RESOURCE_POLICY_INPUT),
    },
    ModelOperation {
        name: "DeleteStream",
        input: Some(&S_DELETE_STREAM_INPUT),
    },
    ModelOperation {
        name: "DeregisterStreamConsumer",
        input: Some(&S_DEREGISTER_STREAM_CONSUMER_INPUT),
    },
    ModelOperation {
        name: "DescribeAccountSettings",
        input: Some(&S_DESCRIBE_ACCOUNT_SETTINGS_INPUT),
    },
    ModelOperation {
        name: "DescribeChannel",
        input: Some(&S_DESCRIBE_CHANNEL_INPUT),
    },
    ModelOperation {
        name: "DescribeLimits",
        input: Some(&S_DESCRIBE_LIMITS_INPUT),
    },
    ModelOperation {
        name: "DescribeQueue",
        input: Some(&S_DESCRIBE_QUEUE_INPUT),
    },
    ModelOperation {
        name: "DescribeStream",
        input: Some(&S_DESCRIBE_STREAM_INPUT),
    },
    ModelOperation {
        name: "DescribeStreamConsumer",
        input: Some(&S_DESCRIBE_STREAM_CONSUMER_INPUT),
    },
    ModelOperation {
        name: "DescribeStreamSummary",
        input: Some(&S_DESCRIBE_STREAM_SUMMARY_INPUT),
    },
    ModelOperation {
        name: "DisableEnhancedMonitoring",
        input: Some(&S_DISABLE_ENHANCED_MONITORING_INPUT),
    },
    ModelOperation {
        name: "EnableEnhancedMonitoring",
        input: Some(&S_ENABLE_ENHANCED_MONITORING_INPUT),
    },
    ModelOperation {
        name: "GetRecords",
        input: Some(&S_GET_RECORDS_INPUT),
    },
    ModelOperation {
        name: "GetResourcePolicy",
        input: Some(&S_GET_RESOURCE_POLICY_INPUT),
    },
    ModelOperation {
        name: "GetShardIterator",
        input: Some(&S_GET_SHARD_ITERATOR_INPUT),
    },
    ModelOperation {
        name: "IncreaseStreamRetentionPeriod",
        input: Some(&S_INCREASE_STREAM_RETENTION_PERIOD_INPUT),
    },
    ModelOperation {
        name: "ListChannels",
        input: Some(&S_LIST_CHANNELS_INPUT),
    },
    ModelOperation {
        name: "ListQueues",
        input: Some(&S_LIST_QUEUES_INPUT),
    },
    ModelOperation {
        name: "ListShards",
        input: Some(&S_LIST_SHARDS_INPUT),
    },
    ModelOperation {
        name: "ListStreamConsumers",
        input: Some(&S_LIST_STREAM_CONSUMERS_INPUT),
    },
    ModelOperation {
        name: "ListStreams",
        input: Some(&S_LIST_STREAMS_INPUT),
    },
    ModelOperation {
        name: "ListTagsForResource",
        input: Some(&S_LIST_TAGS_FOR_RESOURCE_INPUT),
    },
    ModelOperation {
        name: "ListTagsForStream",
        input: Some(&S_LIST_TAGS_FOR_STREAM_INPUT),
    },
    ModelOperation {
        name: "MergeShards",
        input: Some(&S_MERGE_SHARDS_INPUT),
    },
    ModelOperation {
        name: "PutRecord",
        input: Some(&S_PUT_RECORD_INPUT),
    },
    ModelOperation {
        name: "PutRecords",
        input: Some(&S_PUT_RECORDS_INPUT),
    },
    ModelOperation {
        name: "PutResourcePolicy",
        input: Some(&S_PUT_RESOURCE_POLICY_INPUT),
    },
    ModelOperation {
        name: "ReceiveDeadLetterQueueRecords",
        input: Some(&S_RECEIVE_DEAD_LETTER_QUEUE_RECORDS_INPUT),
    },
    ModelOperation {
        name: "ReceiveQueueRecords",
        input: Some(&S_RECEIVE_QUEUE_RECORDS_INPUT),
    },
    ModelOperation {
        name: "RegisterStreamConsumer",
        input: Some(&S_REGISTER_STREAM_CONSUMER_INPUT),
    },
    ModelOperation {
        name: "RemoveTagsFromStream",
        input: Some(&S_REMOVE_TAGS_FROM_STREAM_INPUT),
    },
    ModelOperation {
        name: "RestoreDeadLetterQueueRecords",
        input: Some(&S_RESTORE_DEAD_LETTER_QUEUE_RECORDS_INPUT),
    },
    ModelOperation {
        name: "SplitShard",
        input: Some(&S_SPLIT_SHARD_INPUT),
    },
    ModelOperation {
        name: "StartStreamEncryption",
        input: Some(&S_START_STREAM_ENCRYPTION_INPUT),
    },
    ModelOperation {
        name: "StopStreamEncryption",
        input: Some(&S_STOP_STREAM_ENCRYPTION_INPUT),
    },
    ModelOperation {
        name: "SubscribeToShard",
        input: Some(&S_SUBSCRIBE_TO_SHARD_INPUT),
    },
    ModelOperation {
        name: "TagResource",
        input: Some(&S_TAG_RESOURCE_INPUT),
    },
    ModelOperation {
        name: "UntagResource",
        input: Some(&S_UNTAG_RESOURCE_INPUT),
    },
    ModelOperation {
        name: "UpdateAccountSettings",
        input: Some(&S_UPDATE_ACCOUNT_SETTINGS_INPUT),
    },
    ModelOperation {
        name: "UpdateChannel",
        input: Some(&S_UPDATE_CHANNEL_INPUT),
    },
    ModelOperation {
        name: "UpdateDeadLetterQueueRecordsVisibility",
        input: Some(&S_UPDATE_DEAD_LETTER_QUEUE_RECORDS_VISIBILITY_INPUT),
    },
    ModelOperation {
        name: "UpdateMaxRecordSize",
        input: Some(&S_UPDATE_MAX_RECORD_SIZE_INPUT),
    },
    ModelOperation {
        name: "UpdateQueue",
        input: Some(&S_UPDATE_QUEUE_INPUT),
    },
    ModelOperation {
        name: "UpdateQueueRecordsVisibility",
        input: Some(&S_UPDATE_QUEUE_RECORDS_VISIBILITY_INPUT),
    },
    ModelOperation {
        name: "UpdateShardCount",
        input: Some(&S_UPDATE_SHARD_COUNT_INPUT),
    },
    ModelOperation {
        name: "UpdateStreamMode",
        input: Some(&S_UPDATE_STREAM_MODE_INPUT),
    },
    ModelOperation {
        name: "UpdateStreamRecordDistributionStrategy",
        input: Some(&S_UPDATE_STREAM_RECORD_DISTRIBUTION_STRATEGY_INPUT),
    },
    ModelOperation {
        name: "UpdateStreamWarmThroughput",
        input: Some(&S_UPDATE_STREAM_WARM_THROUGHPUT_INPUT),
    },
];

const S_QUEUE_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: Some("arn:aws.*:kinesis:.*:\\d{12}:queue/\\S+"),
};
const S_RECEIPT_HANDLE: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(1024),
    pattern: None,
};
const S_ACKNOWLEDGE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY: ModelShape =
    ModelShape::Structure(&[ModelMember {
        name: "ReceiptHandle",
        required: true,
        shape: &S_RECEIPT_HANDLE,
    }]);
const S_ACKNOWLEDGE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10),
    member: &S_ACKNOWLEDGE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY,
};
const S_ACKNOWLEDGE_DEAD_LETTER_QUEUE_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Entries",
        required: true,
        shape: &S_ACKNOWLEDGE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY_LIST,
    },
]);
const S_ACKNOWLEDGE_QUEUE_RECORDS_REQUEST_ENTRY: ModelShape =
    ModelShape::Structure(&[ModelMember {
        name: "ReceiptHandle",
        required: true,
        shape: &S_RECEIPT_HANDLE,
    }]);
const S_ACKNOWLEDGE_QUEUE_RECORDS_REQUEST_ENTRY_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10),
    member: &S_ACKNOWLEDGE_QUEUE_RECORDS_REQUEST_ENTRY,
};
const S_ACKNOWLEDGE_QUEUE_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Entries",
        required: true,
        shape: &S_ACKNOWLEDGE_QUEUE_RECORDS_REQUEST_ENTRY_LIST,
    },
]);
const S_STREAM_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(128),
    pattern: Some("[a-zA-Z0-9_.-]+"),
};
const S_TAG_KEY: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(128),
    pattern: None,
};
const S_TAG_VALUE: ModelShape = ModelShape::String {
    min: Some(0),
    max: Some(256),
    pattern: None,
};
const S_TAG_MAP: ModelShape = ModelShape::Map {
    min: Some(1),
    max: Some(200),
    key: &S_TAG_KEY,
    value: &S_TAG_VALUE,
};
const S_STREAM_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: Some("arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"),
};
const S_STREAM_ID: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(24),
    pattern: Some("[a-z0-9]{20}-[a-z0-9]{3}"),
};
const S_ADD_TAGS_TO_STREAM_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "Tags",
        required: true,
        shape: &S_TAG_MAP,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_CHANNEL_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(128),
    pattern: Some("[a-zA-Z0-9_.-]+"),
};
const S_ROLE_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(512),
    pattern: Some("arn:aws[-a-z0-9]*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+"),
};
const S_RECORD_FORMAT_TYPE: ModelShape =
    ModelShape::Enum(&["GSR_JSON", "JSON", "STRING", "BYTE_ARRAY"]);
const S_G_S_R_SCHEMA_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(512),
    pattern: Some(
        "arn:aws[-a-z0-9]*:glue:[-a-z0-9]+:\\d{12}:schema/[-a-zA-Z0-9_$#.]+/[-a-zA-Z0-9_$#.]+",
    ),
};
const S_RECORD_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "RecordFormatType",
        required: true,
        shape: &S_RECORD_FORMAT_TYPE,
    },
    ModelMember {
        name: "GSRSchemaARN",
        required: false,
        shape: &S_G_S_R_SCHEMA_A_R_N,
    },
]);
const S_CHANNEL_STREAM_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "RecordConfiguration",
        required: true,
        shape: &S_RECORD_CONFIGURATION,
    },
]);
const S_CHANNEL_STREAM_CONFIGURATION_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10000),
    member: &S_CHANNEL_STREAM_CONFIGURATION,
};
const S_DATA_FRESHNESS_IN_SECONDS: ModelShape = ModelShape::Integer {
    min: None,
    max: None,
};
const S_BUCKET_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: Some("arn:aws[-a-z0-9]*:s3:::[a-z0-9._-]{3,63}"),
};
const S_EXPECTED_BUCKET_OWNER: ModelShape = ModelShape::String {
    min: Some(12),
    max: Some(12),
    pattern: Some("\\d{12}"),
};
const S_S3_ERROR_OUTPUT_PREFIX: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(512),
    pattern: Some("[0-9A-Za-z!\\-_'.*()\\/]+"),
};
const S_DEAD_LETTER_QUEUE_S3_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "BucketARN",
        required: true,
        shape: &S_BUCKET_A_R_N,
    },
    ModelMember {
        name: "ExpectedBucketOwner",
        required: true,
        shape: &S_EXPECTED_BUCKET_OWNER,
    },
    ModelMember {
        name: "ErrorOutputPrefix",
        required: false,
        shape: &S_S3_ERROR_OUTPUT_PREFIX,
    },
]);
const S_S3_OUTPUT_KEY_TEMPLATE: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(1024),
    pattern: Some("[0-9A-Za-z!\\-_'.*()\\/=:{}]+"),
};
const S_S3_STORAGE_CLASS: ModelShape =
    ModelShape::Enum(&["STANDARD", "INTELLIGENT_TIERING", "GLACIER_IR"]);
const S_S3_COMPRESSION_TYPE: ModelShape = ModelShape::Enum(&["NONE", "GZIP", "ZSTD"]);
const S_S3_STORAGE_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "BucketARN",
        required: true,
        shape: &S_BUCKET_A_R_N,
    },
    ModelMember {
        name: "ExpectedBucketOwner",
        required: true,
        shape: &S_EXPECTED_BUCKET_OWNER,
    },
    ModelMember {
        name: "OutputKeyTemplate",
        required: false,
        shape: &S_S3_OUTPUT_KEY_TEMPLATE,
    },
    ModelMember {
        name: "StorageClass",
        required: false,
        shape: &S_S3_STORAGE_CLASS,
    },
    ModelMember {
        name: "CompressionType",
        required: true,
        shape: &S_S3_COMPRESSION_TYPE,
    },
]);
const S_S3_DESTINATION_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "DataFreshnessInSeconds",
        required: false,
        shape: &S_DATA_FRESHNESS_IN_SECONDS,
    },
    ModelMember {
        name: "DeadLetterQueueS3Configuration",
        required: false,
        shape: &S_DEAD_LETTER_QUEUE_S3_CONFIGURATION,
    },
    ModelMember {
        name: "StorageConfiguration",
        required: true,
        shape: &S_S3_STORAGE_CONFIGURATION,
    },
]);
const S_TABLE_BUCKET_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: Some("arn:aws[-a-z0-9]*:s3tables:[-a-z0-9]+:\\d{12}:bucket/[a-z0-9_-]{3,63}"),
};
const S_S3_TABLES_NAMESPACE: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(255),
    pattern: Some("[0-9a-z_]+"),
};
const S_S3_TABLES_TABLE_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(255),
    pattern: Some("[0-9a-z_]+"),
};
const S_S3_TABLES_COMPRESSION_TYPE: ModelShape = ModelShape::Enum(&["NONE", "ZSTD", "SNAPPY"]);
const S_PARTITION_TRANSFORM: ModelShape = ModelShape::Enum(&["TIME_HOUR"]);
const S_PARTITION_SOURCE_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(255),
    pattern: Some("[a-zA-Z0-9\\.\\_]+"),
};
const S_PARTITION_FIELD: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Transform",
        required: true,
        shape: &S_PARTITION_TRANSFORM,
    },
    ModelMember {
        name: "SourceName",
        required: true,
        shape: &S_PARTITION_SOURCE_NAME,
    },
]);
const S_PARTITION_FIELD_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10),
    member: &S_PARTITION_FIELD,
};
const S_PARTITION_SPEC: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "PartitionFields",
    required: true,
    shape: &S_PARTITION_FIELD_LIST,
}]);
const S_S3_TABLES_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "TableBucketARN",
        required: true,
        shape: &S_TABLE_BUCKET_A_R_N,
    },
    ModelMember {
        name: "Namespace",
        required: true,
        shape: &S_S3_TABLES_NAMESPACE,
    },
    ModelMember {
        name: "TableName",
        required: true,
        shape: &S_S3_TABLES_TABLE_NAME,
    },
    ModelMember {
        name: "CompressionType",
        required: true,
        shape: &S_S3_TABLES_COMPRESSION_TYPE,
    },
    ModelMember {
        name: "PartitionSpec",
        required: false,
        shape: &S_PARTITION_SPEC,
    },
]);
const S_S3_TABLES_CONFIGURATION_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10000),
    member: &S_S3_TABLES_CONFIGURATION,
};
const S_S3_TABLES_DESTINATION_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "DataFreshnessInSeconds",
        required: false,
        shape: &S_DATA_FRESHNESS_IN_SECONDS,
    },
    ModelMember {
        name: "DeadLetterQueueS3Configuration",
        required: true,
        shape: &S_DEAD_LETTER_QUEUE_S3_CONFIGURATION,
    },
    ModelMember {
        name: "S3TablesConfigurationList",
        required: true,
        shape: &S_S3_TABLES_CONFIGURATION_LIST,
    },
]);
const S_CHANNEL_ENCRYPTION_TYPE: ModelShape = ModelShape::Enum(&["KMS"]);
const S_KEY_ID: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: None,
};
const S_CHANNEL_ENCRYPTION_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "EncryptionType",
        required: true,
        shape: &S_CHANNEL_ENCRYPTION_TYPE,
    },
    ModelMember {
        name: "KeyId",
        required: true,
        shape: &S_KEY_ID,
    },
]);
const S_BOOLEAN_OBJECT: ModelShape = ModelShape::Boolean;
const S_CLOUD_WATCH_LOG_GROUP_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(512),
    pattern: Some("[\\.\\-_/#A-Za-z0-9]+"),
};
const S_CLOUD_WATCH_LOG_STREAM_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(512),
    pattern: Some("[^:*]*"),
};
const S_CLOUD_WATCH_LOGS: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Enabled",
        required: true,
        shape: &S_BOOLEAN_OBJECT,
    },
    ModelMember {
        name: "LogGroupName",
        required: false,
        shape: &S_CLOUD_WATCH_LOG_GROUP_NAME,
    },
    ModelMember {
        name: "LogStreamName",
        required: false,
        shape: &S_CLOUD_WATCH_LOG_STREAM_NAME,
    },
]);
const S_CHANNEL_LOGGING_CONFIGURATION: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "CloudWatchLogs",
    required: true,
    shape: &S_CLOUD_WATCH_LOGS,
}]);
const S_CREATE_CHANNEL_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ChannelName",
        required: true,
        shape: &S_CHANNEL_NAME,
    },
    ModelMember {
        name: "ServiceExecutionRoleARN",
        required: true,
        shape: &S_ROLE_A_R_N,
    },
    ModelMember {
        name: "StreamConfigurationList",
        required: true,
        shape: &S_CHANNEL_STREAM_CONFIGURATION_LIST,
    },
    ModelMember {
        name: "S3DestinationConfiguration",
        required: false,
        shape: &S_S3_DESTINATION_CONFIGURATION,
    },
    ModelMember {
        name: "S3TablesDestinationConfiguration",
        required: false,
        shape: &S_S3_TABLES_DESTINATION_CONFIGURATION,
    },
    ModelMember {
        name: "EncryptionConfiguration",
        required: false,
        shape: &S_CHANNEL_ENCRYPTION_CONFIGURATION,
    },
    ModelMember {
        name: "Tags",
        required: false,
        shape: &S_TAG_MAP,
    },
    ModelMember {
        name: "LoggingConfiguration",
        required: false,
        shape: &S_CHANNEL_LOGGING_CONFIGURATION,
    },
]);
const S_QUEUE_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(128),
    pattern: Some("[a-zA-Z0-9_.-]+"),
};
const S_QUEUE_STARTING_POSITION_TYPE: ModelShape =
    ModelShape::Enum(&["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]);
const S_TIMESTAMP: ModelShape = ModelShape::Timestamp;
const S_QUEUE_STARTING_POSITION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Type",
        required: true,
        shape: &S_QUEUE_STARTING_POSITION_TYPE,
    },
    ModelMember {
        name: "Timestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
]);
const S_QUEUE_STREAM_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StartingPosition",
        required: false,
        shape: &S_QUEUE_STARTING_POSITION,
    },
]);
const S_QUEUE_STREAM_CONFIGURATION_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10000),
    member: &S_QUEUE_STREAM_CONFIGURATION,
};
const S_VISIBILITY_TIMEOUT_SECONDS: ModelShape = ModelShape::Integer {
    min: Some(0),
    max: Some(43200),
};
const S_TARGET_TYPE: ModelShape = ModelShape::Enum(&["BUILT_IN", "NONE"]);
const S_MAX_RECEIVE_COUNT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(1000),
};
const S_DEAD_LETTER_CONFIGURATION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "TargetType",
        required: true,
        shape: &S_TARGET_TYPE,
    },
    ModelMember {
        name: "MaxReceiveCount",
        required: false,
        shape: &S_MAX_RECEIVE_COUNT,
    },
]);
const S_QUEUE_ATTRIBUTES: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "VisibilityTimeoutSeconds",
        required: false,
        shape: &S_VISIBILITY_TIMEOUT_SECONDS,
    },
    ModelMember {
        name: "DeadLetterConfiguration",
        required: false,
        shape: &S_DEAD_LETTER_CONFIGURATION,
    },
]);
const S_CREATE_QUEUE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueName",
        required: true,
        shape: &S_QUEUE_NAME,
    },
    ModelMember {
        name: "StreamConfigurationList",
        required: true,
        shape: &S_QUEUE_STREAM_CONFIGURATION_LIST,
    },
    ModelMember {
        name: "QueueAttributes",
        required: false,
        shape: &S_QUEUE_ATTRIBUTES,
    },
    ModelMember {
        name: "Tags",
        required: false,
        shape: &S_TAG_MAP,
    },
]);
const S_POSITIVE_INTEGER_OBJECT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: None,
};
const S_STREAM_MODE: ModelShape = ModelShape::Enum(&["PROVISIONED", "ON_DEMAND"]);
const S_STREAM_MODE_DETAILS: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "StreamMode",
    required: true,
    shape: &S_STREAM_MODE,
}]);
const S_NATURAL_INTEGER_OBJECT: ModelShape = ModelShape::Integer {
    min: Some(0),
    max: None,
};
const S_MAX_RECORD_SIZE_IN_KI_B: ModelShape = ModelShape::Integer {
    min: Some(1024),
    max: Some(10240),
};
const S_RECORD_DISTRIBUTION_STRATEGY: ModelShape =
    ModelShape::Enum(&["AUTO", "USER_PARTITION_KEY"]);
const S_CREATE_STREAM_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: true,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ShardCount",
        required: false,
        shape: &S_POSITIVE_INTEGER_OBJECT,
    },
    ModelMember {
        name: "StreamModeDetails",
        required: false,
        shape: &S_STREAM_MODE_DETAILS,
    },
    ModelMember {
        name: "Tags",
        required: false,
        shape: &S_TAG_MAP,
    },
    ModelMember {
        name: "WarmThroughputMiBps",
        required: false,
        shape: &S_NATURAL_INTEGER_OBJECT,
    },
    ModelMember {
        name: "MaxRecordSizeInKiB",
        required: false,
        shape: &S_MAX_RECORD_SIZE_IN_KI_B,
    },
    ModelMember {
        name: "RecordDistributionStrategy",
        required: false,
        shape: &S_RECORD_DISTRIBUTION_STRATEGY,
    },
]);
const S_RETENTION_PERIOD_HOURS: ModelShape = ModelShape::Integer {
    min: None,
    max: None,
};
const S_DECREASE_STREAM_RETENTION_PERIOD_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "RetentionPeriodHours",
        required: true,
        shape: &S_RETENTION_PERIOD_HOURS,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_CHANNEL_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: Some("arn:aws.*:kinesis:.*:\\d{12}:channel/\\S+"),
};
const S_DELETE_CHANNEL_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "ChannelARN",
    required: true,
    shape: &S_CHANNEL_A_R_N,
}]);
const S_DELETE_QUEUE_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "QueueARN",
    required: true,
    shape: &S_QUEUE_A_R_N,
}]);
const S_RESOURCE_A_R_N: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(2048),
    pattern: Some("arn:aws.*:kinesis:.*:\\d{12}:.*(stream|channel|queue)/\\S+"),
};
const S_DELETE_RESOURCE_POLICY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ResourceARN",
        required: true,
        shape: &S_RESOURCE_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_DELETE_STREAM_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "EnforceConsumerDeletion",
        required: false,
        shape: &S_BOOLEAN_OBJECT,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_CONSUMER_NAME: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(128),
    pattern: Some("[a-zA-Z0-9_.-]+"),
};
const S_CONSUMER_A_R_N: ModelShape = ModelShape::String { min: Some(1), max: Some(2048), pattern: Some("^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+") };
const S_DEREGISTER_STREAM_CONSUMER_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "ConsumerName",
        required: false,
        shape: &S_CONSUMER_NAME,
    },
    ModelMember {
        name: "ConsumerARN",
        required: false,
        shape: &S_CONSUMER_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_DESCRIBE_ACCOUNT_SETTINGS_INPUT: ModelShape = ModelShape::Structure(&[]);
const S_DESCRIBE_CHANNEL_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "ChannelARN",
    required: true,
    shape: &S_CHANNEL_A_R_N,
}]);
const S_DESCRIBE_LIMITS_INPUT: ModelShape = ModelShape::Structure(&[]);
const S_DESCRIBE_QUEUE_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "QueueARN",
    required: true,
    shape: &S_QUEUE_A_R_N,
}]);
const S_DESCRIBE_STREAM_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_SHARD_ID: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(128),
    pattern: Some("[a-zA-Z0-9_.-]+"),
};
const S_DESCRIBE_STREAM_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "Limit",
        required: false,
        shape: &S_DESCRIBE_STREAM_INPUT_LIMIT,
    },
    ModelMember {
        name: "ExclusiveStartShardId",
        required: false,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_DESCRIBE_STREAM_CONSUMER_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "ConsumerName",
        required: false,
        shape: &S_CONSUMER_NAME,
    },
    ModelMember {
        name: "ConsumerARN",
        required: false,
        shape: &S_CONSUMER_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_DESCRIBE_STREAM_SUMMARY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_METRICS_NAME: ModelShape = ModelShape::Enum(&[
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
]);
const S_METRICS_NAME_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(7),
    member: &S_METRICS_NAME,
};
const S_DISABLE_ENHANCED_MONITORING_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ShardLevelMetrics",
        required: true,
        shape: &S_METRICS_NAME_LIST,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_ENABLE_ENHANCED_MONITORING_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ShardLevelMetrics",
        required: true,
        shape: &S_METRICS_NAME_LIST,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_SHARD_ITERATOR: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(512),
    pattern: None,
};
const S_GET_RECORDS_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_GET_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ShardIterator",
        required: true,
        shape: &S_SHARD_ITERATOR,
    },
    ModelMember {
        name: "Limit",
        required: false,
        shape: &S_GET_RECORDS_INPUT_LIMIT,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "DryRun",
        required: false,
        shape: &S_BOOLEAN_OBJECT,
    },
]);
const S_GET_RESOURCE_POLICY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ResourceARN",
        required: true,
        shape: &S_RESOURCE_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_SHARD_ITERATOR_TYPE: ModelShape = ModelShape::Enum(&[
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
]);
const S_SEQUENCE_NUMBER: ModelShape = ModelShape::String {
    min: None,
    max: None,
    pattern: Some("^(0|([1-9]\\d{0,128}))$"),
};
const S_GET_SHARD_ITERATOR_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ShardId",
        required: true,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "ShardIteratorType",
        required: true,
        shape: &S_SHARD_ITERATOR_TYPE,
    },
    ModelMember {
        name: "StartingSequenceNumber",
        required: false,
        shape: &S_SEQUENCE_NUMBER,
    },
    ModelMember {
        name: "Timestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "DryRun",
        required: false,
        shape: &S_BOOLEAN_OBJECT,
    },
]);
const S_INCREASE_STREAM_RETENTION_PERIOD_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "RetentionPeriodHours",
        required: true,
        shape: &S_RETENTION_PERIOD_HOURS,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_STREAM_FILTER: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamCreationTimestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
]);
const S_STREAM_FILTER_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10000),
    member: &S_STREAM_FILTER,
};
const S_LIST_CHANNELS_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_NEXT_TOKEN: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(1048576),
    pattern: None,
};
const S_LIST_CHANNELS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamFilter",
        required: false,
        shape: &S_STREAM_FILTER_LIST,
    },
    ModelMember {
        name: "MaxResults",
        required: false,
        shape: &S_LIST_CHANNELS_INPUT_LIMIT,
    },
    ModelMember {
        name: "NextToken",
        required: false,
        shape: &S_NEXT_TOKEN,
    },
]);
const S_LIST_QUEUES_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_QUEUE_STREAM_FILTER: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamCreationTimestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
]);
const S_QUEUE_STREAM_FILTER_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10000),
    member: &S_QUEUE_STREAM_FILTER,
};
const S_LIST_QUEUES_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "MaxResults",
        required: false,
        shape: &S_LIST_QUEUES_INPUT_LIMIT,
    },
    ModelMember {
        name: "NextToken",
        required: false,
        shape: &S_NEXT_TOKEN,
    },
    ModelMember {
        name: "StreamFilter",
        required: false,
        shape: &S_QUEUE_STREAM_FILTER_LIST,
    },
]);
const S_LIST_SHARDS_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_SHARD_FILTER_TYPE: ModelShape = ModelShape::Enum(&[
    "AFTER_SHARD_ID",
    "AT_TRIM_HORIZON",
    "FROM_TRIM_HORIZON",
    "AT_LATEST",
    "AT_TIMESTAMP",
    "FROM_TIMESTAMP",
]);
const S_SHARD_FILTER: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Type",
        required: true,
        shape: &S_SHARD_FILTER_TYPE,
    },
    ModelMember {
        name: "ShardId",
        required: false,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "Timestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
]);
const S_LIST_SHARDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "NextToken",
        required: false,
        shape: &S_NEXT_TOKEN,
    },
    ModelMember {
        name: "ExclusiveStartShardId",
        required: false,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "MaxResults",
        required: false,
        shape: &S_LIST_SHARDS_INPUT_LIMIT,
    },
    ModelMember {
        name: "StreamCreationTimestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
    ModelMember {
        name: "ShardFilter",
        required: false,
        shape: &S_SHARD_FILTER,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_LIST_STREAM_CONSUMERS_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_LIST_STREAM_CONSUMERS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "NextToken",
        required: false,
        shape: &S_NEXT_TOKEN,
    },
    ModelMember {
        name: "MaxResults",
        required: false,
        shape: &S_LIST_STREAM_CONSUMERS_INPUT_LIMIT,
    },
    ModelMember {
        name: "StreamCreationTimestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_LIST_STREAMS_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10000),
};
const S_LIST_STREAMS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Limit",
        required: false,
        shape: &S_LIST_STREAMS_INPUT_LIMIT,
    },
    ModelMember {
        name: "ExclusiveStartStreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "NextToken",
        required: false,
        shape: &S_NEXT_TOKEN,
    },
]);
const S_LIST_TAGS_FOR_RESOURCE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ResourceARN",
        required: true,
        shape: &S_RESOURCE_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_LIST_TAGS_FOR_STREAM_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(50),
};
const S_LIST_TAGS_FOR_STREAM_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ExclusiveStartTagKey",
        required: false,
        shape: &S_TAG_KEY,
    },
    ModelMember {
        name: "Limit",
        required: false,
        shape: &S_LIST_TAGS_FOR_STREAM_INPUT_LIMIT,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_MERGE_SHARDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ShardToMerge",
        required: true,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "AdjacentShardToMerge",
        required: true,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_DATA: ModelShape = ModelShape::Blob {
    max: Some(10485760),
};
const S_PARTITION_KEY: ModelShape = ModelShape::String {
    min: Some(1),
    max: Some(256),
    pattern: None,
};
const S_HASH_KEY: ModelShape = ModelShape::String {
    min: None,
    max: None,
    pattern: Some("^(0|([1-9]\\d{0,38}))$"),
};
const S_PUT_RECORD_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "Data",
        required: true,
        shape: &S_DATA,
    },
    ModelMember {
        name: "PartitionKey",
        required: false,
        shape: &S_PARTITION_KEY,
    },
    ModelMember {
        name: "ExplicitHashKey",
        required: false,
        shape: &S_HASH_KEY,
    },
    ModelMember {
        name: "SequenceNumberForOrdering",
        required: false,
        shape: &S_SEQUENCE_NUMBER,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "DryRun",
        required: false,
        shape: &S_BOOLEAN_OBJECT,
    },
]);
const S_PUT_RECORDS_REQUEST_ENTRY: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Data",
        required: true,
        shape: &S_DATA,
    },
    ModelMember {
        name: "ExplicitHashKey",
        required: false,
        shape: &S_HASH_KEY,
    },
    ModelMember {
        name: "PartitionKey",
        required: false,
        shape: &S_PARTITION_KEY,
    },
]);
const S_PUT_RECORDS_REQUEST_ENTRY_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(500),
    member: &S_PUT_RECORDS_REQUEST_ENTRY,
};
const S_PUT_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Records",
        required: true,
        shape: &S_PUT_RECORDS_REQUEST_ENTRY_LIST,
    },
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "DryRun",
        required: false,
        shape: &S_BOOLEAN_OBJECT,
    },
]);
const S_POLICY: ModelShape = ModelShape::String {
    min: None,
    max: None,
    pattern: None,
};
const S_PUT_RESOURCE_POLICY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ResourceARN",
        required: true,
        shape: &S_RESOURCE_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "Policy",
        required: true,
        shape: &S_POLICY,
    },
]);
const S_RECEIVE_QUEUE_RECORDS_INPUT_LIMIT: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(10),
};
const S_RECEIVE_QUEUE_RECORDS_WAIT_TIME_SECONDS: ModelShape = ModelShape::Integer {
    min: Some(1),
    max: Some(20),
};
const S_RECEIVE_DEAD_LETTER_QUEUE_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Limit",
        required: false,
        shape: &S_RECEIVE_QUEUE_RECORDS_INPUT_LIMIT,
    },
    ModelMember {
        name: "WaitTimeSeconds",
        required: false,
        shape: &S_RECEIVE_QUEUE_RECORDS_WAIT_TIME_SECONDS,
    },
    ModelMember {
        name: "VisibilityTimeoutSeconds",
        required: false,
        shape: &S_VISIBILITY_TIMEOUT_SECONDS,
    },
]);
const S_RECEIVE_QUEUE_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Limit",
        required: false,
        shape: &S_RECEIVE_QUEUE_RECORDS_INPUT_LIMIT,
    },
    ModelMember {
        name: "WaitTimeSeconds",
        required: false,
        shape: &S_RECEIVE_QUEUE_RECORDS_WAIT_TIME_SECONDS,
    },
    ModelMember {
        name: "VisibilityTimeoutSeconds",
        required: false,
        shape: &S_VISIBILITY_TIMEOUT_SECONDS,
    },
]);
const S_REGISTER_STREAM_CONSUMER_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "ConsumerName",
        required: true,
        shape: &S_CONSUMER_NAME,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "Tags",
        required: false,
        shape: &S_TAG_MAP,
    },
]);
const S_TAG_KEY_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(50),
    member: &S_TAG_KEY,
};
const S_REMOVE_TAGS_FROM_STREAM_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "TagKeys",
        required: true,
        shape: &S_TAG_KEY_LIST,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_RESTORE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY: ModelShape =
    ModelShape::Structure(&[ModelMember {
        name: "ReceiptHandle",
        required: true,
        shape: &S_RECEIPT_HANDLE,
    }]);
const S_RESTORE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10),
    member: &S_RESTORE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY,
};
const S_RESTORE_DEAD_LETTER_QUEUE_RECORDS_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Entries",
        required: true,
        shape: &S_RESTORE_DEAD_LETTER_QUEUE_RECORDS_REQUEST_ENTRY_LIST,
    },
]);
const S_SPLIT_SHARD_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "ShardToSplit",
        required: true,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "NewStartingHashKey",
        required: true,
        shape: &S_HASH_KEY,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_ENCRYPTION_TYPE: ModelShape = ModelShape::Enum(&["NONE", "KMS"]);
const S_START_STREAM_ENCRYPTION_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "EncryptionType",
        required: true,
        shape: &S_ENCRYPTION_TYPE,
    },
    ModelMember {
        name: "KeyId",
        required: true,
        shape: &S_KEY_ID,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_STOP_STREAM_ENCRYPTION_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "EncryptionType",
        required: true,
        shape: &S_ENCRYPTION_TYPE,
    },
    ModelMember {
        name: "KeyId",
        required: true,
        shape: &S_KEY_ID,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_STARTING_POSITION: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Type",
        required: true,
        shape: &S_SHARD_ITERATOR_TYPE,
    },
    ModelMember {
        name: "SequenceNumber",
        required: false,
        shape: &S_SEQUENCE_NUMBER,
    },
    ModelMember {
        name: "Timestamp",
        required: false,
        shape: &S_TIMESTAMP,
    },
]);
const S_SUBSCRIBE_TO_SHARD_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ConsumerARN",
        required: true,
        shape: &S_CONSUMER_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "ShardId",
        required: true,
        shape: &S_SHARD_ID,
    },
    ModelMember {
        name: "StartingPosition",
        required: true,
        shape: &S_STARTING_POSITION,
    },
    ModelMember {
        name: "DryRun",
        required: false,
        shape: &S_BOOLEAN_OBJECT,
    },
]);
const S_TAG_RESOURCE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Tags",
        required: true,
        shape: &S_TAG_MAP,
    },
    ModelMember {
        name: "ResourceARN",
        required: true,
        shape: &S_RESOURCE_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_UNTAG_RESOURCE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "TagKeys",
        required: true,
        shape: &S_TAG_KEY_LIST,
    },
    ModelMember {
        name: "ResourceARN",
        required: true,
        shape: &S_RESOURCE_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_MINIMUM_THROUGHPUT_BILLING_COMMITMENT_INPUT_STATUS: ModelShape =
    ModelShape::Enum(&["ENABLED", "DISABLED"]);
const S_MINIMUM_THROUGHPUT_BILLING_COMMITMENT_INPUT: ModelShape =
    ModelShape::Structure(&[ModelMember {
        name: "Status",
        required: true,
        shape: &S_MINIMUM_THROUGHPUT_BILLING_COMMITMENT_INPUT_STATUS,
    }]);
const S_UPDATE_ACCOUNT_SETTINGS_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "MinimumThroughputBillingCommitment",
    required: true,
    shape: &S_MINIMUM_THROUGHPUT_BILLING_COMMITMENT_INPUT,
}]);
const S_S3_DESTINATION_UPDATE_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "DataFreshnessInSeconds",
    required: true,
    shape: &S_DATA_FRESHNESS_IN_SECONDS,
}]);
const S_S3_TABLES_DESTINATION_UPDATE_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "DataFreshnessInSeconds",
    required: true,
    shape: &S_DATA_FRESHNESS_IN_SECONDS,
}]);
const S_CLOUD_WATCH_LOGS_UPDATE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "Enabled",
        required: true,
        shape: &S_BOOLEAN_OBJECT,
    },
    ModelMember {
        name: "LogGroupName",
        required: false,
        shape: &S_CLOUD_WATCH_LOG_GROUP_NAME,
    },
    ModelMember {
        name: "LogStreamName",
        required: false,
        shape: &S_CLOUD_WATCH_LOG_STREAM_NAME,
    },
]);
const S_CHANNEL_LOGGING_UPDATE_INPUT: ModelShape = ModelShape::Structure(&[ModelMember {
    name: "CloudWatchLogs",
    required: true,
    shape: &S_CLOUD_WATCH_LOGS_UPDATE_INPUT,
}]);
const S_UPDATE_CHANNEL_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ChannelARN",
        required: true,
        shape: &S_CHANNEL_A_R_N,
    },
    ModelMember {
        name: "S3DestinationConfiguration",
        required: false,
        shape: &S_S3_DESTINATION_UPDATE_INPUT,
    },
    ModelMember {
        name: "S3TablesDestinationConfiguration",
        required: false,
        shape: &S_S3_TABLES_DESTINATION_UPDATE_INPUT,
    },
    ModelMember {
        name: "LoggingConfiguration",
        required: false,
        shape: &S_CHANNEL_LOGGING_UPDATE_INPUT,
    },
]);
const S_UPDATE_DEAD_LETTER_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY: ModelShape =
    ModelShape::Structure(&[
        ModelMember {
            name: "ReceiptHandle",
            required: true,
            shape: &S_RECEIPT_HANDLE,
        },
        ModelMember {
            name: "VisibilityTimeoutSeconds",
            required: true,
            shape: &S_VISIBILITY_TIMEOUT_SECONDS,
        },
    ]);
const S_UPDATE_DEAD_LETTER_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY_LIST: ModelShape =
    ModelShape::List {
        min: Some(1),
        max: Some(10),
        member: &S_UPDATE_DEAD_LETTER_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY,
    };
const S_UPDATE_DEAD_LETTER_QUEUE_RECORDS_VISIBILITY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Entries",
        required: true,
        shape: &S_UPDATE_DEAD_LETTER_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY_LIST,
    },
]);
const S_UPDATE_MAX_RECORD_SIZE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "MaxRecordSizeInKiB",
        required: true,
        shape: &S_MAX_RECORD_SIZE_IN_KI_B,
    },
]);
const S_UPDATE_QUEUE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "QueueAttributes",
        required: true,
        shape: &S_QUEUE_ATTRIBUTES,
    },
]);
const S_UPDATE_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "ReceiptHandle",
        required: true,
        shape: &S_RECEIPT_HANDLE,
    },
    ModelMember {
        name: "VisibilityTimeoutSeconds",
        required: true,
        shape: &S_VISIBILITY_TIMEOUT_SECONDS,
    },
]);
const S_UPDATE_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY_LIST: ModelShape = ModelShape::List {
    min: Some(1),
    max: Some(10),
    member: &S_UPDATE_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY,
};
const S_UPDATE_QUEUE_RECORDS_VISIBILITY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "QueueARN",
        required: true,
        shape: &S_QUEUE_A_R_N,
    },
    ModelMember {
        name: "Entries",
        required: true,
        shape: &S_UPDATE_QUEUE_RECORDS_VISIBILITY_REQUEST_ENTRY_LIST,
    },
]);
const S_SCALING_TYPE: ModelShape = ModelShape::Enum(&["UNIFORM_SCALING"]);
const S_UPDATE_SHARD_COUNT_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "TargetShardCount",
        required: true,
        shape: &S_POSITIVE_INTEGER_OBJECT,
    },
    ModelMember {
        name: "ScalingType",
        required: true,
        shape: &S_SCALING_TYPE,
    },
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
]);
const S_UPDATE_STREAM_MODE_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "StreamModeDetails",
        required: true,
        shape: &S_STREAM_MODE_DETAILS,
    },
    ModelMember {
        name: "WarmThroughputMiBps",
        required: false,
        shape: &S_NATURAL_INTEGER_OBJECT,
    },
]);
const S_UPDATE_STREAM_RECORD_DISTRIBUTION_STRATEGY_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: true,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "RecordDistributionStrategy",
        required: true,
        shape: &S_RECORD_DISTRIBUTION_STRATEGY,
    },
]);
const S_UPDATE_STREAM_WARM_THROUGHPUT_INPUT: ModelShape = ModelShape::Structure(&[
    ModelMember {
        name: "StreamARN",
        required: false,
        shape: &S_STREAM_A_R_N,
    },
    ModelMember {
        name: "StreamName",
        required: false,
        shape: &S_STREAM_NAME,
    },
    ModelMember {
        name: "StreamId",
        required: false,
        shape: &S_STREAM_ID,
    },
    ModelMember {
        name: "WarmThroughputMiBps",
        required: true,
        shape: &S_NATURAL_INTEGER_OBJECT,
    },
]);
