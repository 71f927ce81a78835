//! Channels (`shardlog::Store::create_channel` and its kin): CreateChannel, DescribeChannel,
//! ListChannels, UpdateChannel, DeleteChannel.
//!
//! A channel is created, updated and deleted before the call returns, so it is `ACTIVE` from the
//! first answer on (AWS passes through `CREATING`). Only general-purpose bucket destinations are
//! served; Apache Iceberg tables on S3 Tables are refused with `InvalidArgumentException`.

use super::{stream_from_arn, typed, Operation};
use crate::error::ApiError;
use crate::shapes;
use crate::validate::{
    limit, opt, req, Pattern, Shape, NEXT_TOKEN, STREAM_ARN, TAG_MAP, TIMESTAMP,
};
use crate::wire::Timestamp;
use shardlog::{
    ChannelDescription, ChannelLogging, Compression, CreateChannel, DeadLetterS3, RecordFormat,
    S3Destination, Store, UpdateChannel,
};

const fn text(min: usize, max: usize, pattern: Option<Pattern>) -> Shape {
    Shape::Str { min, max, pattern }
}

const fn pattern(text: &'static str, matches: fn(&str) -> bool) -> Option<Pattern> {
    Some(Pattern { text, matches })
}

use crate::validate as v;

const CHANNEL_NAME: Shape = crate::validate::STREAM_NAME;
const CHANNEL_ARN: Shape = text(
    1,
    2048,
    pattern(
        r"arn:aws.*:kinesis:.*:\d{12}:channel/\S+",
        v::is_channel_arn,
    ),
);
const ROLE_ARN: Shape = text(
    1,
    512,
    pattern(
        r"arn:aws[-a-z0-9]*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+",
        v::is_role_arn,
    ),
);
const BUCKET_ARN: Shape = text(
    1,
    2048,
    pattern(
        r"arn:aws[-a-z0-9]*:s3:::[a-z0-9._-]{3,63}",
        v::is_bucket_arn,
    ),
);
const OWNER: Shape = text(12, 12, pattern(r"\d{12}", v::is_account));
const GSR_ARN: Shape = text(
    1,
    512,
    pattern(
        r"arn:aws[-a-z0-9]*:glue:[-a-z0-9]+:\d{12}:schema/[-a-zA-Z0-9_$#.]+/[-a-zA-Z0-9_$#.]+",
        v::is_gsr_schema_arn,
    ),
);
const FRESHNESS: Shape = Shape::Int {
    min: None,
    max: None,
};
const DEAD_LETTER: Shape = Shape::Struct(&[
    req("BucketARN", &BUCKET_ARN),
    req("ExpectedBucketOwner", &OWNER),
    opt(
        "ErrorOutputPrefix",
        &text(
            1,
            512,
            pattern(r"[0-9A-Za-z!\-_'.*()\/]+", v::is_error_prefix),
        ),
    ),
]);
const STORAGE: Shape = Shape::Struct(&[
    req("BucketARN", &BUCKET_ARN),
    req("ExpectedBucketOwner", &OWNER),
    opt(
        "OutputKeyTemplate",
        &text(
            1,
            1024,
            pattern(r"[0-9A-Za-z!\-_'.*()\/=:{}]+", v::is_key_template),
        ),
    ),
    opt(
        "StorageClass",
        &Shape::Enum(&["STANDARD", "INTELLIGENT_TIERING", "GLACIER_IR"]),
    ),
    req("CompressionType", &Shape::Enum(&["NONE", "GZIP", "ZSTD"])),
]);
const LOWER_NAME: Shape = text(1, 255, pattern("[0-9a-z_]+", v::is_lower_name));
const TABLES: Shape = Shape::Struct(&[
    opt("DataFreshnessInSeconds", &FRESHNESS),
    req("DeadLetterQueueS3Configuration", &DEAD_LETTER),
    req(
        "S3TablesConfigurationList",
        &Shape::List {
            min: 1,
            max: 10_000,
            member: &Shape::Struct(&[
                req(
                    "TableBucketARN",
                    &text(
                        1,
                        2048,
                        pattern(
                            r"arn:aws[-a-z0-9]*:s3tables:[-a-z0-9]+:\d{12}:bucket/[a-z0-9_-]{3,63}",
                            v::is_table_bucket_arn,
                        ),
                    ),
                ),
                req("Namespace", &LOWER_NAME),
                req("TableName", &LOWER_NAME),
                req("CompressionType", &Shape::Enum(&["NONE", "ZSTD", "SNAPPY"])),
                opt(
                    "PartitionSpec",
                    &Shape::Struct(&[req(
                        "PartitionFields",
                        &Shape::List {
                            min: 1,
                            max: 10,
                            member: &Shape::Struct(&[
                                req("Transform", &Shape::Enum(&["TIME_HOUR"])),
                                req(
                                    "SourceName",
                                    &text(
                                        1,
                                        255,
                                        pattern(r"[a-zA-Z0-9\.\_]+", v::is_partition_source),
                                    ),
                                ),
                            ]),
                        },
                    )]),
                ),
            ]),
        },
    ),
]);
const LOG_GROUP: Shape = text(1, 512, pattern(r"[\.\-_/#A-Za-z0-9]+", v::is_log_group));
const LOG_STREAM: Shape = text(1, 512, pattern("[^:*]*", v::is_log_stream));
const LOGGING: Shape = Shape::Struct(&[req(
    "CloudWatchLogs",
    &Shape::Struct(&[
        req("Enabled", &Shape::Bool),
        opt("LogGroupName", &LOG_GROUP),
        opt("LogStreamName", &LOG_STREAM),
    ]),
)]);
const FRESHNESS_UPDATE: Shape = Shape::Struct(&[req("DataFreshnessInSeconds", &FRESHNESS)]);

pub(super) const CREATE: Operation = Operation {
    name: "CreateChannel",
    input: &[
        req("ChannelName", &CHANNEL_NAME),
        req("ServiceExecutionRoleARN", &ROLE_ARN),
        req(
            "StreamConfigurationList",
            &Shape::List {
                min: 1,
                max: 10_000,
                member: &Shape::Struct(&[
                    req("StreamARN", &STREAM_ARN),
                    req(
                        "RecordConfiguration",
                        &Shape::Struct(&[
                            req(
                                "RecordFormatType",
                                &Shape::Enum(&["GSR_JSON", "JSON", "STRING", "BYTE_ARRAY"]),
                            ),
                            opt("GSRSchemaARN", &GSR_ARN),
                        ]),
                    ),
                ]),
            },
        ),
        opt(
            "S3DestinationConfiguration",
            &Shape::Struct(&[
                opt("DataFreshnessInSeconds", &FRESHNESS),
                opt("DeadLetterQueueS3Configuration", &DEAD_LETTER),
                req("StorageConfiguration", &STORAGE),
            ]),
        ),
        opt("S3TablesDestinationConfiguration", &TABLES),
        opt(
            "EncryptionConfiguration",
            &Shape::Struct(&[
                req("EncryptionType", &Shape::Enum(&["KMS"])),
                req("KeyId", &text(1, 2048, None)),
            ]),
        ),
        opt("Tags", &TAG_MAP),
        opt("LoggingConfiguration", &LOGGING),
    ],
    handler: typed!(create),
};

fn create(
    store: &Store,
    i: shapes::CreateChannelInput,
) -> Result<shapes::CreateChannelOutput, ApiError> {
    let s3 = match (i.s3_destination_configuration, i.s3_tables_destination_configuration) {
        (Some(s3), None) => s3,
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                "S3TablesDestinationConfiguration (Apache Iceberg tables on Amazon S3 Tables) is not supported by this server yet; use S3DestinationConfiguration.",
            ))
        }
        _ => {
            return Err(ApiError::invalid(
                "You must specify either S3DestinationConfiguration or S3TablesDestinationConfiguration, but not both.",
            ))
        }
    };
    let [config] = i.stream_configuration_list.as_slice() else {
        return Err(ApiError::invalid(
            "StreamConfigurationList must name exactly one stream: a channel reads one stream.",
        ));
    };
    let storage = s3.storage_configuration;
    let mut req = CreateChannel::new(
        &i.channel_name,
        stream_from_arn(&config.stream_arn),
        &storage.bucket_arn,
    );
    req.record_format = record_format(&config.record_configuration.record_format_type);
    req.service_execution_role_arn = i.service_execution_role_arn;
    req.destination = S3Destination {
        bucket_arn: storage.bucket_arn,
        expected_bucket_owner: storage.expected_bucket_owner,
        output_key_template: storage.output_key_template,
        storage_class: storage.storage_class,
        compression: compression(&storage.compression_type),
        data_freshness_seconds: s3.data_freshness_in_seconds.map(freshness),
        dead_letter: s3.dead_letter_queue_s3_configuration.map(|d| DeadLetterS3 {
            bucket_arn: d.bucket_arn,
            expected_bucket_owner: d.expected_bucket_owner,
            error_output_prefix: d.error_output_prefix,
        }),
    };
    req.encryption_key_id = i.encryption_configuration.map(|e| e.key_id);
    req.logging = i
        .logging_configuration
        .map(|l| logging(l.cloud_watch_logs))
        .unwrap_or_default();
    req.tags = i.tags.unwrap_or_default();
    Ok(shapes::CreateChannelOutput {
        channel_description: description(store.create_channel(req)?),
    })
}

pub(super) const DESCRIBE: Operation = Operation {
    name: "DescribeChannel",
    input: &[req("ChannelARN", &CHANNEL_ARN)],
    handler: typed!(describe),
};

fn describe(
    store: &Store,
    i: shapes::DescribeChannelInput,
) -> Result<shapes::DescribeChannelOutput, ApiError> {
    Ok(shapes::DescribeChannelOutput {
        channel_description: description(store.describe_channel(&i.channel_arn)?),
    })
}

pub(super) const LIST: Operation = Operation {
    name: "ListChannels",
    input: &[
        opt(
            "StreamFilter",
            &Shape::List {
                min: 1,
                max: 10_000,
                member: &Shape::Struct(&[
                    req("StreamARN", &STREAM_ARN),
                    opt("StreamCreationTimestamp", &TIMESTAMP),
                ]),
            },
        ),
        opt("MaxResults", &limit(10_000)),
        opt("NextToken", &NEXT_TOKEN),
    ],
    handler: typed!(list),
};

/// Most channels one ListChannels page holds, whatever MaxResults asks.
const PAGE: usize = 100;

fn list(
    store: &Store,
    i: shapes::ListChannelsInput,
) -> Result<shapes::ListChannelsOutput, ApiError> {
    let mut all = match &i.stream_filter {
        None => store.list_channels(None)?,
        Some(filters) => {
            let mut out = Vec::new();
            for f in filters {
                let found = store.list_channels(Some(stream_from_arn(&f.stream_arn)))?;
                out.extend(found.into_iter().filter(|c| {
                    f.stream_creation_timestamp
                        .is_none_or(|t| t.0 / 1000 == c.stream_created_ms / 1000)
                }));
            }
            out
        }
    };
    all.sort_by(|a, b| a.channel_name.cmp(&b.channel_name));
    all.dedup_by(|a, b| a.channel_arn == b.channel_arn);
    let skip = match &i.next_token {
        Some(t) => super::queues::decode_token(t)?,
        None => 0,
    };
    let page = usize::try_from(i.max_results.unwrap_or(100))
        .unwrap_or(PAGE)
        .min(PAGE);
    let channel_summaries = all
        .iter()
        .skip(skip)
        .take(page)
        .map(|c| shapes::ChannelSummary {
            channel_name: c.channel_name.clone(),
            channel_arn: c.channel_arn.clone(),
            channel_id: c.channel_id.clone(),
            channel_status: c.status.as_str().into(),
            channel_status_reason: c.status_reason.clone(),
            channel_creation_timestamp: Timestamp(c.created_ms),
            channel_destination_type: "S3".into(),
            streams: vec![shapes::ChannelStreamIdentifier {
                stream_arn: c.stream_arn.clone(),
                stream_creation_timestamp: Timestamp(c.stream_created_ms),
            }],
        })
        .collect();
    let next_token =
        (skip.saturating_add(page) < all.len()).then(|| super::queues::encode_token(skip + page));
    Ok(shapes::ListChannelsOutput {
        channel_summaries,
        next_token,
    })
}

pub(super) const UPDATE: Operation = Operation {
    name: "UpdateChannel",
    input: &[
        req("ChannelARN", &CHANNEL_ARN),
        opt("S3DestinationConfiguration", &FRESHNESS_UPDATE),
        opt("S3TablesDestinationConfiguration", &FRESHNESS_UPDATE),
        opt("LoggingConfiguration", &LOGGING),
    ],
    handler: typed!(update),
};

fn update(
    store: &Store,
    i: shapes::UpdateChannelInput,
) -> Result<shapes::UpdateChannelOutput, ApiError> {
    if i.s3_tables_destination_configuration.is_some() {
        store.describe_channel(&i.channel_arn)?;
        return Err(ApiError::invalid(
            "S3TablesDestinationConfiguration cannot be updated on a channel that delivers to a general purpose Amazon S3 bucket.",
        ));
    }
    let change = UpdateChannel {
        data_freshness_seconds: i
            .s3_destination_configuration
            .map(|d| freshness(d.data_freshness_in_seconds)),
        logging: i.logging_configuration.map(|l| ChannelLogging {
            enabled: l.cloud_watch_logs.enabled,
            log_group_name: l.cloud_watch_logs.log_group_name,
            log_stream_name: l.cloud_watch_logs.log_stream_name,
        }),
    };
    Ok(shapes::UpdateChannelOutput {
        channel_description: description(store.update_channel(&i.channel_arn, change)?),
    })
}

pub(super) const DELETE: Operation = Operation {
    name: "DeleteChannel",
    input: &[req("ChannelARN", &CHANNEL_ARN)],
    handler: typed!(delete),
};

fn delete(store: &Store, i: shapes::DeleteChannelInput) -> Result<(), ApiError> {
    store.delete_channel(&i.channel_arn)?;
    Ok(())
}

/// The model's integer as the engine's seconds (out-of-range values are refused by the engine).
fn freshness(s: i64) -> u32 {
    u32::try_from(s).unwrap_or(if s < 0 { 0 } else { u32::MAX })
}

fn record_format(s: &str) -> RecordFormat {
    match s {
        "STRING" => RecordFormat::String,
        "BYTE_ARRAY" => RecordFormat::ByteArray,
        "GSR_JSON" => RecordFormat::GsrJson,
        _ => RecordFormat::Json,
    }
}

fn compression(s: &str) -> Compression {
    match s {
        "GZIP" => Compression::Gzip,
        "ZSTD" => Compression::Zstd,
        _ => Compression::None,
    }
}

fn logging(l: shapes::CloudWatchLogs) -> ChannelLogging {
    ChannelLogging {
        enabled: l.enabled,
        log_group_name: l.log_group_name,
        log_stream_name: l.log_stream_name,
    }
}

fn description(c: ChannelDescription) -> shapes::ChannelDescription {
    let d = c.destination;
    let dead = d.dead_letter.unwrap_or_else(|| DeadLetterS3 {
        bucket_arn: d.bucket_arn.clone(),
        expected_bucket_owner: d.expected_bucket_owner.clone(),
        error_output_prefix: None,
    });
    shapes::ChannelDescription {
        channel_name: c.channel_name,
        channel_arn: c.channel_arn,
        channel_id: c.channel_id,
        channel_status: c.status.as_str().into(),
        channel_status_reason: c.status_reason,
        channel_creation_timestamp: Timestamp(c.created_ms),
        service_execution_role_arn: c.service_execution_role_arn,
        stream_configuration_list: vec![shapes::ChannelStreamDescription {
            stream_arn: c.stream_arn,
            stream_creation_timestamp: Timestamp(c.stream_created_ms),
            record_configuration: shapes::RecordConfiguration {
                record_format_type: c.record_format.as_str().into(),
                gsr_schema_arn: None,
            },
        }],
        s3_destination_configuration: Some(shapes::S3DestinationDescription {
            data_freshness_in_seconds: i64::from(
                d.data_freshness_seconds
                    .unwrap_or(shardlog::DEFAULT_DATA_FRESHNESS_SECONDS),
            ),
            dead_letter_queue_s3_configuration: shapes::DeadLetterQueueS3Configuration {
                bucket_arn: dead.bucket_arn,
                expected_bucket_owner: dead.expected_bucket_owner,
                error_output_prefix: dead.error_output_prefix,
            },
            storage_configuration: shapes::S3StorageConfiguration {
                bucket_arn: d.bucket_arn,
                expected_bucket_owner: d.expected_bucket_owner,
                output_key_template: d.output_key_template,
                storage_class: d.storage_class,
                compression_type: d.compression.as_str().into(),
            },
        }),
        s3_tables_destination_configuration: None,
        encryption_configuration: c.encryption_key_id.map(|key_id| {
            shapes::ChannelEncryptionConfiguration {
                encryption_type: "KMS".into(),
                key_id,
            }
        }),
        logging_configuration: shapes::ChannelLoggingConfiguration {
            cloud_watch_logs: shapes::CloudWatchLogs {
                enabled: c.logging.enabled,
                log_group_name: c.logging.log_group_name,
                log_stream_name: c.logging.log_stream_name,
            },
        },
    }
}
