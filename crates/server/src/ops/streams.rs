//! Stream lifecycle: create, delete, describe, list, retention, tags, capacity mode.

use super::{ident, int, mode_details, stream_header, stream_of, tag, typed, Operation};
use crate::error::ApiError;
use crate::shapes;
use crate::validate::{
    limit, opt, req, Shape, ANY_INT, BOOL, NATURAL_INT, NEXT_TOKEN, POSITIVE_INT, STREAM_ARN,
    STREAM_MODE_DETAILS, STREAM_NAME, TAG_KEY, TAG_MAP,
};
use crate::wire::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use shardlog::{CreateStream, Store, StreamMode};

/// Shards an on-demand stream starts with, as Kinesis provisions about four shards' capacity.
const ON_DEMAND_SHARDS: u32 = 4;
/// Most shards DescribeStream returns per call.
const DESCRIBE_PAGE: usize = 100;
/// Most streams ListStreams returns per call.
const LIST_PAGE: usize = 100;

pub(super) const CREATE_STREAM: Operation = Operation {
    name: "CreateStream",
    input: &[
        req("StreamName", &STREAM_NAME),
        opt("ShardCount", &POSITIVE_INT),
        opt("StreamModeDetails", &STREAM_MODE_DETAILS),
        opt("Tags", &TAG_MAP),
        opt("WarmThroughputMiBps", &NATURAL_INT),
        opt(
            "MaxRecordSizeInKiB",
            &Shape::Int {
                min: Some(1024),
                max: Some(10240),
            },
        ),
        opt(
            "RecordDistributionStrategy",
            &Shape::Enum(&["AUTO", "USER_PARTITION_KEY"]),
        ),
    ],
    handler: typed!(create_stream),
};

fn create_stream(store: &Store, i: shapes::CreateStreamInput) -> Result<(), ApiError> {
    let mode = i
        .stream_mode_details
        .as_ref()
        .map_or(StreamMode::Provisioned, mode_of);
    let shard_count = match (i.shard_count, mode) {
        (Some(n), _) => u32::try_from(n).unwrap_or(u32::MAX),
        (None, StreamMode::OnDemand) => ON_DEMAND_SHARDS,
        (None, _) => {
            return Err(ApiError::new(
                "ValidationException",
                "1 validation error detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null",
            ))
        }
    };
    store.create_stream_with(
        &i.stream_name,
        CreateStream {
            shard_count,
            mode,
            tags: i.tags.unwrap_or_default(),
            max_record_size_kib: i.max_record_size_in_kib.and_then(|k| u32::try_from(k).ok()),
            record_distribution: i.record_distribution_strategy,
            warm_throughput_mibps: i
                .warm_throughput_mibps
                .filter(|_| mode == StreamMode::OnDemand)
                .map(|w| u32::try_from(w).unwrap_or(u32::MAX)),
        },
    )?;
    Ok(())
}

pub(super) const DELETE_STREAM: Operation = Operation {
    name: "DeleteStream",
    input: &[
        ident!(),
        opt("EnforceConsumerDeletion", &BOOL),
        ident!(arn),
        ident!(id),
    ],
    handler: typed!(delete_stream),
};

fn delete_stream(store: &Store, i: shapes::DeleteStreamInput) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let enforce = i.enforce_consumer_deletion.unwrap_or(false);
    if !enforce && !store.consumers(&name)?.is_empty() {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!(
                "Stream {name} under account {} has registered consumers; set EnforceConsumerDeletion to delete it.", store.account_id()
            ),
        ));
    }
    store.delete_stream(&name)?;
    Ok(())
}

pub(super) const DESCRIBE_STREAM: Operation = Operation {
    name: "DescribeStream",
    input: &[
        ident!(),
        opt("Limit", &limit(10_000)),
        opt("ExclusiveStartShardId", &crate::validate::SHARD_ID),
        ident!(arn),
        ident!(id),
    ],
    handler: typed!(describe_stream),
};

fn describe_stream(
    store: &Store,
    i: shapes::DescribeStreamInput,
) -> Result<shapes::DescribeStreamOutput, ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let d = store.describe_stream(&name)?;
    let after = match &i.exclusive_start_shard_id {
        Some(id) => Some(id.parse::<shardlog::ShardId>()?),
        None => None,
    };
    let page = usize::try_from(i.limit.unwrap_or(100))
        .unwrap_or(DESCRIBE_PAGE)
        .min(DESCRIBE_PAGE);
    let remaining: Vec<_> = d
        .shards
        .iter()
        .filter(|s| after.is_none_or(|a| s.shard_id > a))
        .collect();
    let shards = remaining
        .iter()
        .take(page)
        .map(|s| super::shards::shard(s))
        .collect();
    let h = stream_header(&d);
    Ok(shapes::DescribeStreamOutput {
        stream_description: shapes::StreamDescription {
            stream_name: h.stream_name,
            stream_arn: h.stream_arn,
            stream_status: h.stream_status,
            stream_mode_details: h.stream_mode_details,
            shards,
            has_more_shards: remaining.len() > page,
            retention_period_hours: h.retention_period_hours,
            stream_creation_timestamp: h.stream_creation_timestamp,
            enhanced_monitoring: h.enhanced_monitoring,
            encryption_type: h.encryption_type,
            key_id: h.key_id,
        },
    })
}

pub(super) const DESCRIBE_STREAM_SUMMARY: Operation = Operation {
    name: "DescribeStreamSummary",
    input: &[ident!(), ident!(arn), ident!(id)],
    handler: typed!(describe_stream_summary),
};

fn describe_stream_summary(
    store: &Store,
    i: shapes::DescribeStreamSummaryInput,
) -> Result<shapes::DescribeStreamSummaryOutput, ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let d = store.describe_stream(&name)?;
    let warm = d
        .settings
        .warm_throughput_mibps
        .map(|mibps| shapes::WarmThroughputObject {
            target_mibps: Some(mibps.into()),
            current_mibps: Some(mibps.into()),
        });
    Ok(shapes::DescribeStreamSummaryOutput {
        stream_description_summary: shapes::StreamDescriptionSummary {
            open_shard_count: int(d.open_shard_count),
            consumer_count: Some(int(d.consumer_count)),
            warm_throughput: warm,
            max_record_size_in_kib: Some(int(d.settings.max_record_bytes() / 1024)),
            record_distribution_strategy: d.settings.record_distribution.clone(),
            ..stream_header(&d)
        },
    })
}

pub(super) const LIST_STREAMS: Operation = Operation {
    name: "ListStreams",
    input: &[
        opt("Limit", &limit(10_000)),
        opt("ExclusiveStartStreamName", &STREAM_NAME),
        opt("NextToken", &NEXT_TOKEN),
    ],
    handler: typed!(list_streams),
};

fn list_streams(
    store: &Store,
    i: shapes::ListStreamsInput,
) -> Result<shapes::ListStreamsOutput, ApiError> {
    let after = match &i.next_token {
        Some(token) => Some(decode_list_token(token)?),
        None => i.exclusive_start_stream_name,
    };
    // As on AWS: a Limit above 100 still answers at most 100 streams.
    let page = usize::try_from(i.limit.unwrap_or(100))
        .unwrap_or(LIST_PAGE)
        .min(LIST_PAGE);
    let names: Vec<String> = store
        .list_streams()
        .into_iter()
        .filter(|n| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let more = names.len() > page;
    let names = &names[..names.len().min(page)];
    let mut summaries = Vec::with_capacity(names.len());
    for name in names {
        // A stream deleted since the listing is simply left out.
        if let Ok(d) = store.describe_stream(name) {
            summaries.push(shapes::StreamSummary {
                stream_name: d.name,
                stream_arn: d.arn,
                stream_status: d.status.into(),
                stream_mode_details: Some(mode_details(d.mode)),
                stream_creation_timestamp: Some(Timestamp(d.created_ms)),
            });
        }
    }
    let next_token = match (more, names.last()) {
        (true, Some(last)) => Some(URL_SAFE_NO_PAD.encode(last)),
        _ => None,
    };
    Ok(shapes::ListStreamsOutput {
        stream_names: names.to_vec(),
        has_more_streams: more,
        next_token,
        stream_summaries: Some(summaries),
    })
}

fn decode_list_token(token: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::invalid(format!("Invalid NextToken: {token}")))
}

pub(super) const INCREASE_RETENTION: Operation = Operation {
    name: "IncreaseStreamRetentionPeriod",
    input: &[
        ident!(),
        req("RetentionPeriodHours", &ANY_INT),
        ident!(arn),
        ident!(id),
    ],
    handler: typed!(increase_retention),
};

fn increase_retention(
    store: &Store,
    i: shapes::IncreaseStreamRetentionPeriodInput,
) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    store.increase_retention_period(&name, hours(i.retention_period_hours))?;
    Ok(())
}

pub(super) const DECREASE_RETENTION: Operation = Operation {
    name: "DecreaseStreamRetentionPeriod",
    input: &[
        ident!(),
        req("RetentionPeriodHours", &ANY_INT),
        ident!(arn),
        ident!(id),
    ],
    handler: typed!(decrease_retention),
};

fn decrease_retention(
    store: &Store,
    i: shapes::DecreaseStreamRetentionPeriodInput,
) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    store.decrease_retention_period(&name, hours(i.retention_period_hours))?;
    Ok(())
}

fn hours(h: i64) -> u32 {
    u32::try_from(h.max(0)).unwrap_or(u32::MAX)
}

pub(super) const ADD_TAGS: Operation = Operation {
    name: "AddTagsToStream",
    input: &[ident!(), req("Tags", &TAG_MAP), ident!(arn), ident!(id)],
    handler: typed!(add_tags),
};

fn add_tags(store: &Store, i: shapes::AddTagsToStreamInput) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    store.add_tags(&name, &i.tags)?;
    Ok(())
}

pub(super) const REMOVE_TAGS: Operation = Operation {
    name: "RemoveTagsFromStream",
    input: &[
        ident!(),
        req(
            "TagKeys",
            &Shape::List {
                min: 1,
                max: 50,
                member: &TAG_KEY,
            },
        ),
        ident!(arn),
        ident!(id),
    ],
    handler: typed!(remove_tags),
};

fn remove_tags(store: &Store, i: shapes::RemoveTagsFromStreamInput) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    store.remove_tags(&name, &i.tag_keys)?;
    Ok(())
}

pub(super) const LIST_TAGS: Operation = Operation {
    name: "ListTagsForStream",
    input: &[
        ident!(),
        opt("ExclusiveStartTagKey", &TAG_KEY),
        opt("Limit", &limit(50)),
        ident!(arn),
        ident!(id),
    ],
    handler: typed!(list_tags),
};

fn list_tags(
    store: &Store,
    i: shapes::ListTagsForStreamInput,
) -> Result<shapes::ListTagsForStreamOutput, ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let tags = store.list_tags(&name)?;
    let after = i.exclusive_start_tag_key.as_deref();
    let page = usize::try_from(i.limit.unwrap_or(50)).unwrap_or(50);
    let rest: Vec<_> = tags
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| k.as_str() > a))
        .collect();
    let has_more_tags = rest.len() > page;
    Ok(shapes::ListTagsForStreamOutput {
        tags: rest.into_iter().take(page).map(tag).collect(),
        has_more_tags,
    })
}

pub(super) const UPDATE_STREAM_MODE: Operation = Operation {
    name: "UpdateStreamMode",
    input: &[
        req("StreamARN", &STREAM_ARN),
        ident!(id),
        req("StreamModeDetails", &STREAM_MODE_DETAILS),
        opt("WarmThroughputMiBps", &NATURAL_INT),
    ],
    handler: typed!(update_stream_mode),
};

/// UpdateStreamMode names its stream by ARN only.
fn update_stream_mode(store: &Store, i: shapes::UpdateStreamModeInput) -> Result<(), ApiError> {
    let name = stream_of(None, Some(&i.stream_arn))?;
    let warm = i
        .warm_throughput_mibps
        .map(|w| u32::try_from(w).unwrap_or(u32::MAX));
    store.set_stream_mode(&name, mode_of(&i.stream_mode_details), warm)?;
    Ok(())
}

fn mode_of(details: &shapes::StreamModeDetails) -> StreamMode {
    match details.stream_mode.as_str() {
        "ON_DEMAND" => StreamMode::OnDemand,
        _ => StreamMode::Provisioned,
    }
}
