//! Settings AWS keeps beside a stream's records, kept and reported the same way: limits, enhanced
//! monitoring, encryption, tags and resource policies by ARN. None of them changes how records are
//! stored (see `shardlog::StreamSettings`).

use super::{
    ident, resolve_consumer_arn, seconds, str_of, stream_from_arn, stream_of_value, Handler,
    Operation,
};
use crate::error::ApiError;
use crate::validate::{req, Pattern, Shape, TAG_KEY, TAG_MAP};
use serde_json::{json, Value};
use shardlog::Store;
use std::collections::BTreeMap;

pub(super) const DESCRIBE_LIMITS: Operation = Operation {
    name: "DescribeLimits",
    input: &[],
    handler: Handler::Value(describe_limits),
};

fn describe_limits(store: &Store, _: &Value) -> Result<Value, ApiError> {
    let l = store.describe_limits()?;
    Ok(json!({
        "ShardLimit": l.shard_limit,
        "OpenShardCount": l.open_shard_count,
        "OnDemandStreamCount": l.on_demand_stream_count,
        "OnDemandStreamCountLimit": l.on_demand_stream_count_limit,
    }))
}

const METRICS: Shape = Shape::List {
    min: 1,
    max: 7,
    member: &Shape::Enum(&shardlog::METRIC_NAMES),
};

pub(super) const ENABLE_ENHANCED_MONITORING: Operation = Operation {
    name: "EnableEnhancedMonitoring",
    input: &[
        ident!(),
        req("ShardLevelMetrics", &METRICS),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(|store, input| monitoring(store, input, true)),
};

pub(super) const DISABLE_ENHANCED_MONITORING: Operation = Operation {
    name: "DisableEnhancedMonitoring",
    input: ENABLE_ENHANCED_MONITORING.input,
    handler: Handler::Value(|store, input| monitoring(store, input, false)),
};

fn monitoring(store: &Store, input: &Value, on: bool) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    let metrics = strings(input, "ShardLevelMetrics");
    let mut before = Vec::new();
    let after = store.update_stream_settings(&name, |s| {
        before = s.set_metrics(&metrics, on)?;
        Ok(())
    })?;
    Ok(json!({
        "StreamName": name,
        "CurrentShardLevelMetrics": before,
        "DesiredShardLevelMetrics": after.shard_level_metrics,
        "StreamARN": store.stream_arn(&name),
    }))
}

const ENCRYPTION_TYPE: Shape = Shape::Enum(&["NONE", "KMS"]);
const KEY_ID: Shape = Shape::Str {
    min: 1,
    max: 2048,
    pattern: None,
};

pub(super) const START_STREAM_ENCRYPTION: Operation = Operation {
    name: "StartStreamEncryption",
    input: &[
        ident!(),
        req("EncryptionType", &ENCRYPTION_TYPE),
        req("KeyId", &KEY_ID),
        ident!(arn),
        ident!(id),
    ],
    handler: Handler::Value(|store, input| encryption(store, input, true)),
};

pub(super) const STOP_STREAM_ENCRYPTION: Operation = Operation {
    name: "StopStreamEncryption",
    input: START_STREAM_ENCRYPTION.input,
    handler: Handler::Value(|store, input| encryption(store, input, false)),
};

/// Records the KMS key (start) or clears it (stop). Only `KMS` is a type a stream can be
/// encrypted with; the data files are not encrypted by this (docs/operations.md says so).
fn encryption(store: &Store, input: &Value, start: bool) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    if str_of(input, "EncryptionType") != Some("KMS") {
        return Err(ApiError::invalid(
            "Encryption type NONE is not valid. Valid encryption type: KMS.",
        ));
    }
    let key = str_of(input, "KeyId").unwrap_or_default().to_string();
    store.update_stream_settings(&name, |s| {
        s.kms_key_id = start.then_some(key);
        Ok(())
    })?;
    Ok(Value::Null)
}

/// The model's `ResourceARN`: a stream, consumer, channel or queue ARN.
const RESOURCE_ARN: Shape = Shape::Str {
    min: 1,
    max: 2048,
    pattern: Some(Pattern {
        text: "arn:aws.*:kinesis:.*:\\d{12}:.*(stream|channel|queue)/\\S+",
        matches: crate::validate::is_resource_arn,
    }),
};

const STREAM_ID_MEMBER: crate::validate::Member = ident!(id);

/// A resource an ARN names.
enum Resource {
    Stream(String),
    Consumer { stream: String, name: String },
}

fn resource_of(store: &Store, input: &Value) -> Result<Resource, ApiError> {
    let arn = str_of(input, "ResourceARN").unwrap_or_default();
    if arn.contains("/consumer/") {
        let (stream, consumer) = resolve_consumer_arn(store, arn)?;
        return Ok(Resource::Consumer {
            stream,
            name: consumer.name,
        });
    }
    match arn.contains(":stream/") {
        true => Ok(Resource::Stream(stream_from_arn(arn).to_string())),
        false => Err(ApiError::not_found(format!(
            "Resource {arn} under account {} not found.",
            store.account_id()
        ))),
    }
}

pub(super) const TAG_RESOURCE: Operation = Operation {
    name: "TagResource",
    input: &[
        req("Tags", &TAG_MAP),
        req("ResourceARN", &RESOURCE_ARN),
        STREAM_ID_MEMBER,
    ],
    handler: Handler::Value(tag_resource),
};

fn tag_resource(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let tags: BTreeMap<String, String> = input
        .get("Tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    match resource_of(store, input)? {
        Resource::Stream(name) => store.add_tags(&name, &tags)?,
        Resource::Consumer { stream, name } => {
            store.update_consumer_settings(&stream, &name, |c| {
                c.add_tags(&name, store.account_id(), &tags)
            })?;
        }
    }
    Ok(Value::Null)
}

pub(super) const UNTAG_RESOURCE: Operation = Operation {
    name: "UntagResource",
    input: &[
        req(
            "TagKeys",
            &Shape::List {
                min: 1,
                max: 50,
                member: &TAG_KEY,
            },
        ),
        req("ResourceARN", &RESOURCE_ARN),
        STREAM_ID_MEMBER,
    ],
    handler: Handler::Value(untag_resource),
};

fn untag_resource(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let keys = strings(input, "TagKeys");
    match resource_of(store, input)? {
        Resource::Stream(name) => store.remove_tags(&name, &keys)?,
        Resource::Consumer { stream, name } => {
            store.update_consumer_settings(&stream, &name, |c| {
                keys.iter().for_each(|k| {
                    c.tags.remove(k);
                });
                Ok(())
            })?;
        }
    }
    Ok(Value::Null)
}

pub(super) const LIST_TAGS_FOR_RESOURCE: Operation = Operation {
    name: "ListTagsForResource",
    input: &[req("ResourceARN", &RESOURCE_ARN), STREAM_ID_MEMBER],
    handler: Handler::Value(list_tags_for_resource),
};

fn list_tags_for_resource(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let tags = match resource_of(store, input)? {
        Resource::Stream(name) => store.list_tags(&name)?,
        Resource::Consumer { stream, name } => store.consumer_settings(&stream, &name)?.tags,
    };
    let tags: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}

const POLICY: Shape = Shape::Str {
    min: 0,
    max: usize::MAX,
    pattern: None,
};

pub(super) const PUT_RESOURCE_POLICY: Operation = Operation {
    name: "PutResourcePolicy",
    input: &[
        req("ResourceARN", &RESOURCE_ARN),
        STREAM_ID_MEMBER,
        req("Policy", &POLICY),
    ],
    handler: Handler::Value(put_resource_policy),
};

fn put_resource_policy(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let policy = str_of(input, "Policy").unwrap_or_default().to_string();
    set_policy(store, input, Some(policy))?;
    Ok(Value::Null)
}

pub(super) const GET_RESOURCE_POLICY: Operation = Operation {
    name: "GetResourcePolicy",
    input: &[req("ResourceARN", &RESOURCE_ARN), STREAM_ID_MEMBER],
    handler: Handler::Value(get_resource_policy),
};

/// A resource without a policy answers the empty policy `{}`.
fn get_resource_policy(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let policy = match resource_of(store, input)? {
        Resource::Stream(name) => store.describe_stream(&name)?.settings.policy,
        Resource::Consumer { stream, name } => store.consumer_settings(&stream, &name)?.policy,
    };
    Ok(json!({ "Policy": policy.unwrap_or_else(|| "{}".into()) }))
}

pub(super) const DELETE_RESOURCE_POLICY: Operation = Operation {
    name: "DeleteResourcePolicy",
    input: GET_RESOURCE_POLICY.input,
    handler: Handler::Value(|store, input| {
        set_policy(store, input, None)?;
        Ok(Value::Null)
    }),
};

fn set_policy(store: &Store, input: &Value, policy: Option<String>) -> Result<(), ApiError> {
    match resource_of(store, input)? {
        Resource::Stream(name) => {
            store.update_stream_settings(&name, |s| s.set_policy(policy))?;
        }
        Resource::Consumer { stream, name } => {
            store.update_consumer_settings(&stream, &name, |c| c.set_policy(policy))?;
        }
    }
    Ok(())
}

pub(super) const DESCRIBE_ACCOUNT_SETTINGS: Operation = Operation {
    name: "DescribeAccountSettings",
    input: &[],
    handler: Handler::Value(|store, _| {
        let (settings, now_ms) = store.account_settings()?;
        Ok(account_json(&settings, now_ms))
    }),
};

pub(super) const UPDATE_ACCOUNT_SETTINGS: Operation = Operation {
    name: "UpdateAccountSettings",
    input: &[req(
        "MinimumThroughputBillingCommitment",
        &Shape::Struct(&[req("Status", &Shape::Enum(&["ENABLED", "DISABLED"]))]),
    )],
    handler: Handler::Value(|store, input| {
        let status = input["MinimumThroughputBillingCommitment"]["Status"].as_str();
        let (settings, now_ms) = store.set_throughput_commitment(status == Some("ENABLED"))?;
        Ok(account_json(&settings, now_ms))
    }),
};

fn account_json(settings: &shardlog::AccountSettings, now_ms: u64) -> Value {
    let Some(c) = settings.commitment else {
        return json!({});
    };
    let mut commitment = json!({
        "Status": c.status(now_ms),
        "StartedAt": seconds(c.started_ms),
        "EarliestAllowedEndAt": seconds(c.earliest_allowed_end_ms),
    });
    if let Some(end) = c.ended_ms {
        commitment["EndedAt"] = seconds(end);
    }
    json!({ "MinimumThroughputBillingCommitment": commitment })
}

pub(super) const UPDATE_STREAM_WARM_THROUGHPUT: Operation = Operation {
    name: "UpdateStreamWarmThroughput",
    input: &[
        ident!(arn),
        ident!(),
        ident!(id),
        req("WarmThroughputMiBps", &crate::validate::NATURAL_INT),
    ],
    handler: Handler::Value(update_warm_throughput),
};

/// Stores the target; on AWS only on-demand streams have warm throughput.
fn update_warm_throughput(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    let target = super::int_of(input, "WarmThroughputMiBps").unwrap_or_default();
    let target = u32::try_from(target).unwrap_or(u32::MAX);
    on_demand_only(store, &name, "UpdateStreamWarmThroughput")?;
    store.update_stream_settings(&name, |s| {
        s.warm_throughput_mibps = Some(target);
        Ok(())
    })?;
    Ok(json!({
        "StreamARN": store.stream_arn(&name),
        "StreamName": name,
        "WarmThroughput": {"TargetMiBps": target, "CurrentMiBps": target},
    }))
}

pub(super) const UPDATE_STREAM_RECORD_DISTRIBUTION_STRATEGY: Operation = Operation {
    name: "UpdateStreamRecordDistributionStrategy",
    input: &[
        req("StreamARN", &crate::validate::STREAM_ARN),
        ident!(id),
        req(
            "RecordDistributionStrategy",
            &Shape::Enum(&["AUTO", "USER_PARTITION_KEY"]),
        ),
    ],
    handler: Handler::Value(update_record_distribution),
};

fn update_record_distribution(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let name = stream_of_value(input)?;
    let strategy = str_of(input, "RecordDistributionStrategy").unwrap_or_default();
    on_demand_only(store, &name, "UpdateStreamRecordDistributionStrategy")?;
    store.update_stream_settings(&name, |s| {
        s.record_distribution = Some(strategy.to_string());
        Ok(())
    })?;
    Ok(Value::Null)
}

fn on_demand_only(store: &Store, name: &str, operation: &str) -> Result<(), ApiError> {
    if store.describe_stream(name)?.mode != shardlog::StreamMode::OnDemand {
        return Err(ApiError::invalid(format!(
            "{operation} is only supported for streams in ON_DEMAND mode. Stream {name} under account {} is in PROVISIONED mode.", store.account_id()
        )));
    }
    Ok(())
}

pub(super) const UPDATE_MAX_RECORD_SIZE: Operation = Operation {
    name: "UpdateMaxRecordSize",
    input: &[
        ident!(arn),
        ident!(id),
        req(
            "MaxRecordSizeInKiB",
            &Shape::Int {
                min: Some(1024),
                max: Some(10240),
            },
        ),
    ],
    handler: Handler::Value(|store, input| {
        let name = stream_of_value(input)?;
        let kib = super::int_of(input, "MaxRecordSizeInKiB").unwrap_or_default();
        store.update_max_record_size(&name, u32::try_from(kib).unwrap_or(u32::MAX))?;
        Ok(Value::Null)
    }),
};

/// The strings of a (validated) list member.
fn strings(input: &Value, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::validate::is_resource_arn;

    #[test]
    fn resource_arns_follow_the_models_pattern() {
        for ok in [
            "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1700000000",
            "arn:aws-cn:kinesis::123456789012:channel/x",
            "arn:aws:kinesis:eu-west-1:123456789012:queue/q",
        ] {
            assert!(is_resource_arn(ok), "{ok}");
        }
        for bad in [
            "arn:aws:kinesis:us-east-1:12345678901:stream/s",
            "arn:aws:kinesis:123456789012:stream/s",
            "arn:aws:sqs:us-east-1:123456789012:stream/s",
            "arn:aws:kinesis:us-east-1:123456789012:stream/",
            "arn:aws:kinesis:us-east-1:123456789012:stream/a b",
            "arn:aws:kinesis:us-east-1:123456789012:table/t",
        ] {
            assert!(!is_resource_arn(bad), "{bad}");
        }
    }
}
