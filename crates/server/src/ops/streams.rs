//! Stream lifecycle: create, delete, describe, list, retention, tags, capacity mode.

use super::{
    bool_of, ident, int_of, mode_name, seconds, str_of, stream_header, stream_of_value, Handler,
    Operation,
};
use crate::error::ApiError;
use crate::validate::{
    limit, opt, req, Shape, ANY_INT, BOOL, NATURAL_INT, NEXT_TOKEN, POSITIVE_INT, STREAM_ARN,
    STREAM_MODE_DETAILS, STREAM_NAME, TAG_KEY, TAG_MAP,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use shardlog::{CreateStream, Store, StreamMode};
use std::collections::BTreeMap;

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
    handler: Handler::Value(create_stream),
};

fn create_stream(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let name = str_of(input, "StreamName").unwrap_or_default();
    let mode = mode_of(input).unwrap_or(StreamMode::Provisioned);
    let shard_count = match (int_of(input, "ShardCount"), mode) {
        (Some(n), _) => u32::try_from(n).unwrap_or(u32::MAX),
        (None, StreamMode::OnDemand) => ON_DEMAND_SHARDS,
        (None, _) => {
            return Err(ApiError::new(
                "ValidationException",
                "1 validation error detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null",
            ))
        }
    };
    let tags = tags_of(input);
    store.create_stream_with(
        name,
        CreateStream {
            shard_count,
            mode,
            tags,
            max_record_size_kib: int_of(input, "MaxRecordSizeInKiB")
                .and_then(|k| u32::try_from(k).ok()),
            record_distribution: str_of(input, "RecordDistributionStrategy").map(str::to_string),
        },
    )?;
    Ok(Value::Null)
}

pub(super) const DELETE_STREAM: Operation = Operation {
    name: "DeleteStream",
    input: &[
        ident!(),
        opt("EnforceConsumerDeletion", &BOOL),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(delete_stream),
};

fn delete_stream(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    if !bool_of(input, "EnforceConsumerDeletion") && !store.consumers(&name)?.is_empty() {
        return Err(ApiError::new(
            "ResourceInUseException",
            format!(
                "Stream {name} under account {} has registered consumers; set EnforceConsumerDeletion to delete it.", store.account_id()
            ),
        ));
    }
    store.delete_stream(&name)?;
    Ok(Value::Null)
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
    handler: Handler::Value(describe_stream),
};

fn describe_stream(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let d = store.describe_stream(&stream_of_value(input)?)?;
    let after = match str_of(input, "ExclusiveStartShardId") {
        Some(id) => Some(id.parse::<shardlog::ShardId>()?),
        None => None,
    };
    let page = usize::try_from(int_of(input, "Limit").unwrap_or(100))
        .unwrap_or(DESCRIBE_PAGE)
        .min(DESCRIBE_PAGE);
    let remaining: Vec<_> = d
        .shards
        .iter()
        .filter(|s| after.is_none_or(|a| s.shard_id > a))
        .collect();
    let shards: Vec<Value> = remaining
        .iter()
        .take(page)
        .map(|s| super::shards::shard_json(s))
        .collect();
    let mut out = stream_header(&d);
    out.insert("Shards".into(), Value::Array(shards));
    out.insert("HasMoreShards".into(), Value::Bool(remaining.len() > page));
    Ok(json!({ "StreamDescription": out }))
}

pub(super) const DESCRIBE_STREAM_SUMMARY: Operation = Operation {
    name: "DescribeStreamSummary",
    input: &[ident!(), ident!(arn), ident!(id)],
    handler: Handler::Value(describe_stream_summary),
};

fn describe_stream_summary(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    let d = store.describe_stream(&name)?;
    let mut out = stream_header(&d);
    out.insert("OpenShardCount".into(), json!(d.open_shard_count));
    out.insert("ConsumerCount".into(), json!(d.consumer_count));
    if let Some(mibps) = d.settings.warm_throughput_mibps {
        let warm = json!({"TargetMiBps": mibps, "CurrentMiBps": mibps});
        out.insert("WarmThroughput".into(), warm);
    }
    let max_kib = d.settings.max_record_bytes() / 1024;
    out.insert("MaxRecordSizeInKiB".into(), json!(max_kib));
    if let Some(strategy) = &d.settings.record_distribution {
        out.insert("RecordDistributionStrategy".into(), json!(strategy));
    }
    Ok(json!({ "StreamDescriptionSummary": out }))
}

pub(super) const LIST_STREAMS: Operation = Operation {
    name: "ListStreams",
    input: &[
        opt("Limit", &limit(10_000)),
        opt("ExclusiveStartStreamName", &STREAM_NAME),
        opt("NextToken", &NEXT_TOKEN),
    ],
    handler: Handler::Value(list_streams),
};

fn list_streams(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let after = match str_of(input, "NextToken") {
        Some(token) => Some(decode_list_token(token)?),
        None => str_of(input, "ExclusiveStartStreamName").map(str::to_string),
    };
    // As on AWS: a Limit above 100 still answers at most 100 streams.
    let page = usize::try_from(int_of(input, "Limit").unwrap_or(100))
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
            summaries.push(json!({
                "StreamName": d.name,
                "StreamARN": d.arn,
                "StreamStatus": d.status,
                "StreamModeDetails": {"StreamMode": mode_name(d.mode)},
                "StreamCreationTimestamp": seconds(d.created_ms),
            }));
        }
    }
    let mut out = json!({
        "StreamNames": names,
        "HasMoreStreams": more,
        "StreamSummaries": summaries,
    });
    if let (true, Some(last)) = (more, names.last()) {
        out["NextToken"] = Value::String(URL_SAFE_NO_PAD.encode(last));
    }
    Ok(out)
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
    handler: Handler::Value(increase_retention),
};

fn increase_retention(store: &Store, input: &Value) -> Result<Value, ApiError> {
    store.increase_retention_period(&stream_of_value(input)?, hours_of(input))?;
    Ok(Value::Null)
}

pub(super) const DECREASE_RETENTION: Operation = Operation {
    name: "DecreaseStreamRetentionPeriod",
    input: &[
        ident!(),
        req("RetentionPeriodHours", &ANY_INT),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(decrease_retention),
};

fn decrease_retention(store: &Store, input: &Value) -> Result<Value, ApiError> {
    store.decrease_retention_period(&stream_of_value(input)?, hours_of(input))?;
    Ok(Value::Null)
}

fn hours_of(input: &Value) -> u32 {
    let h = int_of(input, "RetentionPeriodHours").unwrap_or(0);
    u32::try_from(h.max(0)).unwrap_or(u32::MAX)
}

pub(super) const ADD_TAGS: Operation = Operation {
    name: "AddTagsToStream",
    input: &[ident!(), req("Tags", &TAG_MAP), ident!(arn), ident!(id)],
    handler: Handler::Value(add_tags),
};

fn add_tags(store: &Store, input: &Value) -> Result<Value, ApiError> {
    store.add_tags(&stream_of_value(input)?, &tags_of(input))?;
    Ok(Value::Null)
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
    handler: Handler::Value(remove_tags),
};

fn remove_tags(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let keys: Vec<String> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    store.remove_tags(&stream_of_value(input)?, &keys)?;
    Ok(Value::Null)
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
    handler: Handler::Value(list_tags),
};

fn list_tags(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let tags = store.list_tags(&stream_of_value(input)?)?;
    let after = str_of(input, "ExclusiveStartTagKey");
    let page = usize::try_from(int_of(input, "Limit").unwrap_or(50)).unwrap_or(50);
    let rest: Vec<_> = tags
        .iter()
        .filter(|(k, _)| after.is_none_or(|a| k.as_str() > a))
        .collect();
    let listed: Vec<Value> = rest
        .iter()
        .take(page)
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": listed, "HasMoreTags": rest.len() > page}))
}

pub(super) const UPDATE_STREAM_MODE: Operation = Operation {
    name: "UpdateStreamMode",
    input: &[
        req("StreamARN", &STREAM_ARN),
        ident!(id),
        req("StreamModeDetails", &STREAM_MODE_DETAILS),
        opt("WarmThroughputMiBps", &NATURAL_INT),
    ],
    handler: Handler::Value(update_stream_mode),
};

fn update_stream_mode(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    let mode = mode_of(input).unwrap_or(StreamMode::Provisioned);
    store.set_stream_mode(&name, mode)?;
    Ok(Value::Null)
}

fn mode_of(input: &Value) -> Option<StreamMode> {
    match input
        .get("StreamModeDetails")?
        .get("StreamMode")?
        .as_str()?
    {
        "ON_DEMAND" => Some(StreamMode::OnDemand),
        _ => Some(StreamMode::Provisioned),
    }
}

fn tags_of(input: &Value) -> BTreeMap<String, String> {
    input
        .get("Tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}
