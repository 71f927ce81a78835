//! Settings AWS keeps beside a stream's records, kept and reported the same way: limits, enhanced
//! monitoring, encryption, tags and resource policies by ARN. None of them changes how records are
//! stored (see `shardlog::StreamSettings`).

use super::{ident, int, resolve_consumer_arn, stream_from_arn, stream_of, tag, typed, Operation};
use crate::error::ApiError;
use crate::shapes;
use crate::validate::{req, Pattern, Shape, TAG_KEY, TAG_MAP};
use crate::wire::Timestamp;
use shardlog::Store;

pub(super) const DESCRIBE_LIMITS: Operation = Operation {
    name: "DescribeLimits",
    input: &[],
    handler: typed!(describe_limits),
};

fn describe_limits(
    store: &Store,
    _: shapes::DescribeLimitsInput,
) -> Result<shapes::DescribeLimitsOutput, ApiError> {
    let l = store.describe_limits()?;
    Ok(shapes::DescribeLimitsOutput {
        shard_limit: int(l.shard_limit),
        open_shard_count: int(l.open_shard_count),
        on_demand_stream_count: int(l.on_demand_stream_count),
        on_demand_stream_count_limit: int(l.on_demand_stream_count_limit),
        ..Default::default()
    })
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
    handler: typed!(enable_monitoring),
};

pub(super) const DISABLE_ENHANCED_MONITORING: Operation = Operation {
    name: "DisableEnhancedMonitoring",
    input: ENABLE_ENHANCED_MONITORING.input,
    handler: typed!(disable_monitoring),
};

fn enable_monitoring(
    store: &Store,
    i: shapes::EnableEnhancedMonitoringInput,
) -> Result<shapes::EnhancedMonitoringOutput, ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    monitoring(store, name, &i.shard_level_metrics, true)
}

fn disable_monitoring(
    store: &Store,
    i: shapes::DisableEnhancedMonitoringInput,
) -> Result<shapes::EnhancedMonitoringOutput, ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    monitoring(store, name, &i.shard_level_metrics, false)
}

fn monitoring(
    store: &Store,
    name: String,
    metrics: &[String],
    on: bool,
) -> Result<shapes::EnhancedMonitoringOutput, ApiError> {
    let mut before = Vec::new();
    let after = store.update_stream_settings(&name, |s| {
        before = s.set_metrics(metrics, on)?;
        Ok(())
    })?;
    Ok(shapes::EnhancedMonitoringOutput {
        stream_arn: Some(store.stream_arn(&name)),
        stream_name: Some(name),
        current_shard_level_metrics: Some(before),
        desired_shard_level_metrics: Some(after.shard_level_metrics),
    })
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
    handler: typed!(start_encryption),
};

pub(super) const STOP_STREAM_ENCRYPTION: Operation = Operation {
    name: "StopStreamEncryption",
    input: START_STREAM_ENCRYPTION.input,
    handler: typed!(stop_encryption),
};

fn start_encryption(store: &Store, i: shapes::StartStreamEncryptionInput) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    encryption(store, &name, &i.encryption_type, Some(i.key_id))
}

fn stop_encryption(store: &Store, i: shapes::StopStreamEncryptionInput) -> Result<(), ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    encryption(store, &name, &i.encryption_type, None)
}

/// Records the KMS key (start) or clears it (stop: `key` is `None`). Only `KMS` is a type a
/// stream can be encrypted with; the data files are not encrypted by this (docs/operations.md
/// says so).
fn encryption(
    store: &Store,
    name: &str,
    encryption_type: &str,
    key: Option<String>,
) -> Result<(), ApiError> {
    if encryption_type != "KMS" {
        return Err(ApiError::invalid(
            "Encryption type NONE is not valid. Valid encryption type: KMS.",
        ));
    }
    store.update_stream_settings(name, |s| {
        s.kms_key_id = key;
        Ok(())
    })?;
    Ok(())
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
    Consumer {
        stream: String,
        name: String,
    },
    /// A queue, by its ARN.
    Queue(String),
    /// A channel, by its ARN.
    Channel(String),
}

fn resource_of(store: &Store, arn: &str) -> Result<Resource, ApiError> {
    if arn.contains("/consumer/") {
        let (stream, consumer) = resolve_consumer_arn(store, arn)?;
        return Ok(Resource::Consumer {
            stream,
            name: consumer.name,
        });
    }
    if crate::validate::is_queue_arn(arn) {
        return Ok(Resource::Queue(arn.to_string()));
    }
    if crate::validate::is_channel_arn(arn) {
        return Ok(Resource::Channel(arn.to_string()));
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
    handler: typed!(tag_resource),
};

fn tag_resource(store: &Store, i: shapes::TagResourceInput) -> Result<(), ApiError> {
    let tags = i.tags;
    match resource_of(store, &i.resource_arn)? {
        Resource::Stream(name) => store.add_tags(&name, &tags)?,
        Resource::Consumer { stream, name } => {
            store.update_consumer_settings(&stream, &name, |c| {
                c.add_tags(&name, store.account_id(), &tags)
            })?;
        }
        Resource::Queue(arn) => {
            store.update_queue_tags(&arn, &tags, &[])?;
        }
        Resource::Channel(arn) => {
            store.update_channel_tags(&arn, &tags, &[])?;
        }
    }
    Ok(())
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
    handler: typed!(untag_resource),
};

fn untag_resource(store: &Store, i: shapes::UntagResourceInput) -> Result<(), ApiError> {
    let keys = i.tag_keys;
    match resource_of(store, &i.resource_arn)? {
        Resource::Stream(name) => store.remove_tags(&name, &keys)?,
        Resource::Consumer { stream, name } => {
            store.update_consumer_settings(&stream, &name, |c| {
                keys.iter().for_each(|k| {
                    c.tags.remove(k);
                });
                Ok(())
            })?;
        }
        Resource::Queue(arn) => {
            store.update_queue_tags(&arn, &Default::default(), &keys)?;
        }
        Resource::Channel(arn) => {
            store.update_channel_tags(&arn, &Default::default(), &keys)?;
        }
    }
    Ok(())
}

pub(super) const LIST_TAGS_FOR_RESOURCE: Operation = Operation {
    name: "ListTagsForResource",
    input: &[req("ResourceARN", &RESOURCE_ARN), STREAM_ID_MEMBER],
    handler: typed!(list_tags_for_resource),
};

fn list_tags_for_resource(
    store: &Store,
    i: shapes::ListTagsForResourceInput,
) -> Result<shapes::ListTagsForResourceOutput, ApiError> {
    let tags = match resource_of(store, &i.resource_arn)? {
        Resource::Stream(name) => store.list_tags(&name)?,
        Resource::Consumer { stream, name } => store.consumer_settings(&stream, &name)?.tags,
        Resource::Queue(arn) => store.describe_queue(&arn)?.tags,
        Resource::Channel(arn) => store.describe_channel(&arn)?.tags,
    };
    Ok(shapes::ListTagsForResourceOutput {
        tags: Some(tags.into_iter().map(tag).collect()),
    })
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
    handler: typed!(put_resource_policy),
};

fn put_resource_policy(store: &Store, i: shapes::PutResourcePolicyInput) -> Result<(), ApiError> {
    set_policy(store, &i.resource_arn, Some(i.policy))
}

pub(super) const GET_RESOURCE_POLICY: Operation = Operation {
    name: "GetResourcePolicy",
    input: &[req("ResourceARN", &RESOURCE_ARN), STREAM_ID_MEMBER],
    handler: typed!(get_resource_policy),
};

/// A resource without a policy answers the empty policy `{}`.
fn get_resource_policy(
    store: &Store,
    i: shapes::GetResourcePolicyInput,
) -> Result<shapes::GetResourcePolicyOutput, ApiError> {
    let policy = match resource_of(store, &i.resource_arn)? {
        Resource::Stream(name) => store.describe_stream(&name)?.settings.policy,
        Resource::Consumer { stream, name } => store.consumer_settings(&stream, &name)?.policy,
        Resource::Queue(arn) => {
            store.describe_queue(&arn)?;
            None
        }
        Resource::Channel(arn) => {
            store.describe_channel(&arn)?;
            None
        }
    };
    Ok(shapes::GetResourcePolicyOutput {
        policy: policy.unwrap_or_else(|| "{}".into()),
    })
}

pub(super) const DELETE_RESOURCE_POLICY: Operation = Operation {
    name: "DeleteResourcePolicy",
    input: GET_RESOURCE_POLICY.input,
    handler: typed!(delete_resource_policy),
};

fn delete_resource_policy(
    store: &Store,
    i: shapes::DeleteResourcePolicyInput,
) -> Result<(), ApiError> {
    set_policy(store, &i.resource_arn, None)
}

fn set_policy(store: &Store, arn: &str, policy: Option<String>) -> Result<(), ApiError> {
    match resource_of(store, arn)? {
        Resource::Stream(name) => {
            store.update_stream_settings(&name, |s| s.set_policy(policy))?;
        }
        Resource::Consumer { stream, name } => {
            store.update_consumer_settings(&stream, &name, |c| c.set_policy(policy))?;
        }
        Resource::Queue(arn) => {
            store.describe_queue(&arn)?;
            return Err(ApiError::invalid(format!(
                "Resource policies are not supported on queues here: {arn}."
            )));
        }
        Resource::Channel(arn) => {
            store.describe_channel(&arn)?;
            return Err(ApiError::invalid(format!(
                "Resource policies are not supported on channels here: {arn}."
            )));
        }
    }
    Ok(())
}

pub(super) const DESCRIBE_ACCOUNT_SETTINGS: Operation = Operation {
    name: "DescribeAccountSettings",
    input: &[],
    handler: typed!(describe_account_settings),
};

fn describe_account_settings(
    store: &Store,
    _: shapes::DescribeAccountSettingsInput,
) -> Result<shapes::DescribeAccountSettingsOutput, ApiError> {
    let (settings, now_ms) = store.account_settings()?;
    Ok(shapes::DescribeAccountSettingsOutput {
        minimum_throughput_billing_commitment: commitment(&settings, now_ms),
    })
}

pub(super) const UPDATE_ACCOUNT_SETTINGS: Operation = Operation {
    name: "UpdateAccountSettings",
    input: &[req(
        "MinimumThroughputBillingCommitment",
        &Shape::Struct(&[req("Status", &Shape::Enum(&["ENABLED", "DISABLED"]))]),
    )],
    handler: typed!(update_account_settings),
};

fn update_account_settings(
    store: &Store,
    i: shapes::UpdateAccountSettingsInput,
) -> Result<shapes::UpdateAccountSettingsOutput, ApiError> {
    let enabled = i.minimum_throughput_billing_commitment.status == "ENABLED";
    let (settings, now_ms) = store.set_throughput_commitment(enabled)?;
    Ok(shapes::UpdateAccountSettingsOutput {
        minimum_throughput_billing_commitment: commitment(&settings, now_ms),
    })
}

/// The account's commitment as both account-settings operations answer it; none until one was
/// ever enabled.
fn commitment(
    settings: &shardlog::AccountSettings,
    now_ms: u64,
) -> Option<shapes::MinimumThroughputBillingCommitmentOutput> {
    let c = settings.commitment?;
    Some(shapes::MinimumThroughputBillingCommitmentOutput {
        status: c.status(now_ms).into(),
        started_at: Some(Timestamp(c.started_ms)),
        ended_at: c.ended_ms.map(Timestamp),
        earliest_allowed_end_at: Some(Timestamp(c.earliest_allowed_end_ms)),
    })
}

pub(super) const UPDATE_STREAM_WARM_THROUGHPUT: Operation = Operation {
    name: "UpdateStreamWarmThroughput",
    input: &[
        ident!(arn),
        ident!(),
        ident!(id),
        req("WarmThroughputMiBps", &crate::validate::NATURAL_INT),
    ],
    handler: typed!(update_warm_throughput),
};

/// Stores the target; on AWS only on-demand streams have warm throughput.
fn update_warm_throughput(
    store: &Store,
    i: shapes::UpdateStreamWarmThroughputInput,
) -> Result<shapes::UpdateStreamWarmThroughputOutput, ApiError> {
    let name = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let target = u32::try_from(i.warm_throughput_mibps).unwrap_or(u32::MAX);
    on_demand_only(store, &name, "UpdateStreamWarmThroughput")?;
    store.update_stream_settings(&name, |s| {
        s.warm_throughput_mibps = Some(target);
        Ok(())
    })?;
    Ok(shapes::UpdateStreamWarmThroughputOutput {
        stream_arn: Some(store.stream_arn(&name)),
        stream_name: Some(name),
        warm_throughput: Some(shapes::WarmThroughputObject {
            target_mibps: Some(target.into()),
            current_mibps: Some(target.into()),
        }),
    })
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
    handler: typed!(update_record_distribution),
};

/// UpdateStreamRecordDistributionStrategy names its stream by ARN only.
fn update_record_distribution(
    store: &Store,
    i: shapes::UpdateStreamRecordDistributionStrategyInput,
) -> Result<(), ApiError> {
    let name = stream_of(None, Some(&i.stream_arn))?;
    on_demand_only(store, &name, "UpdateStreamRecordDistributionStrategy")?;
    store.update_stream_settings(&name, |s| {
        s.record_distribution = Some(i.record_distribution_strategy);
        Ok(())
    })?;
    Ok(())
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
    handler: typed!(update_max_record_size),
};

/// UpdateMaxRecordSize names its stream by ARN only.
fn update_max_record_size(
    store: &Store,
    i: shapes::UpdateMaxRecordSizeInput,
) -> Result<(), ApiError> {
    let name = stream_of(None, i.stream_arn.as_deref())?;
    let kib = u32::try_from(i.max_record_size_in_kib).unwrap_or(u32::MAX);
    store.update_max_record_size(&name, kib)?;
    Ok(())
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
