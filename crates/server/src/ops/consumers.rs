//! Registered consumers: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
//! DeregisterStreamConsumer.

use super::{ident, stream_from_arn, typed, Operation};
use crate::error::ApiError;
use crate::shapes;
use crate::validate::{
    limit, opt, req, CONSUMER_ARN, CONSUMER_NAME, NEXT_TOKEN, STREAM_ARN, TAG_MAP, TIMESTAMP,
};
use crate::wire::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use shardlog::{RegisteredConsumer, Store};

pub(super) const REGISTER: Operation = Operation {
    name: "RegisterStreamConsumer",
    input: &[
        req("StreamARN", &STREAM_ARN),
        req("ConsumerName", &CONSUMER_NAME),
        ident!(id),
        opt("Tags", &TAG_MAP),
    ],
    handler: typed!(register),
};

fn register(
    store: &Store,
    i: shapes::RegisterStreamConsumerInput,
) -> Result<shapes::RegisterStreamConsumerOutput, ApiError> {
    let stream = stream_from_arn(&i.stream_arn);
    let c = store.register_consumer(stream, &i.consumer_name)?;
    Ok(shapes::RegisterStreamConsumerOutput {
        consumer: consumer(&c),
    })
}

pub(super) const DESCRIBE: Operation = Operation {
    name: "DescribeStreamConsumer",
    input: &[
        opt("StreamARN", &STREAM_ARN),
        opt("ConsumerName", &CONSUMER_NAME),
        opt("ConsumerARN", &CONSUMER_ARN),
        ident!(id),
    ],
    handler: typed!(describe),
};

fn describe(
    store: &Store,
    i: shapes::DescribeStreamConsumerInput,
) -> Result<shapes::DescribeStreamConsumerOutput, ApiError> {
    let (_, c) = named_consumer(
        store,
        i.consumer_arn.as_deref(),
        i.stream_arn.as_deref(),
        i.consumer_name.as_deref(),
    )?;
    Ok(shapes::DescribeStreamConsumerOutput {
        consumer_description: shapes::ConsumerDescription {
            consumer_name: c.name,
            consumer_arn: c.arn,
            consumer_status: ACTIVE.into(),
            consumer_creation_timestamp: Timestamp(c.created_ms),
            stream_arn: c.stream_arn,
        },
    })
}

pub(super) const LIST: Operation = Operation {
    name: "ListStreamConsumers",
    input: &[
        req("StreamARN", &STREAM_ARN),
        opt("NextToken", &NEXT_TOKEN),
        opt("MaxResults", &limit(10_000)),
        opt("StreamCreationTimestamp", &TIMESTAMP),
        ident!(id),
    ],
    handler: typed!(list),
};

fn list(
    store: &Store,
    i: shapes::ListStreamConsumersInput,
) -> Result<shapes::ListStreamConsumersOutput, ApiError> {
    let stream = stream_from_arn(&i.stream_arn);
    let all = store.consumers(stream)?;
    let skip = match &i.next_token {
        Some(t) => decode_token(t, stream)?,
        None => 0,
    };
    // As on AWS: at most 100 consumers per page, whatever MaxResults asks.
    let page = usize::try_from(i.max_results.unwrap_or(100))
        .unwrap_or(100)
        .min(100);
    let listed = all.iter().skip(skip).take(page).map(consumer).collect();
    let next_token =
        (skip.saturating_add(page) < all.len()).then(|| encode_token(stream, skip + page));
    Ok(shapes::ListStreamConsumersOutput {
        consumers: Some(listed),
        next_token,
    })
}

/// The NextToken of a consumer listing: the stream, how many consumers came before, and when it
/// was issued, as base64url JSON (it expires as AWS's do; it carries no secret).
fn encode_token(stream: &str, skip: usize) -> String {
    let body = json!({"s": stream, "k": skip, "i": super::shards::now_ms()});
    URL_SAFE_NO_PAD.encode(body.to_string())
}

fn decode_token(token: &str, stream: &str) -> Result<usize, ApiError> {
    let invalid = || ApiError::invalid(format!("Invalid NextToken: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if v.get("s").and_then(Value::as_str) != Some(stream) {
        return Err(invalid());
    }
    let num = |k: &str| v.get(k).and_then(Value::as_u64).ok_or_else(invalid);
    super::shards::check_token_age(num("i")?)?;
    usize::try_from(num("k")?).map_err(|_| invalid())
}

pub(super) const DEREGISTER: Operation = Operation {
    name: "DeregisterStreamConsumer",
    input: &[
        opt("StreamARN", &STREAM_ARN),
        opt("ConsumerName", &CONSUMER_NAME),
        opt("ConsumerARN", &CONSUMER_ARN),
        ident!(id),
    ],
    handler: typed!(deregister),
};

fn deregister(store: &Store, i: shapes::DeregisterStreamConsumerInput) -> Result<(), ApiError> {
    let (stream, c) = named_consumer(
        store,
        i.consumer_arn.as_deref(),
        i.stream_arn.as_deref(),
        i.consumer_name.as_deref(),
    )?;
    store.deregister_consumer(&stream, &c.name)?;
    Ok(())
}

/// The consumer named by `ConsumerARN`, or by `StreamARN` plus `ConsumerName`.
fn named_consumer(
    store: &Store,
    consumer_arn: Option<&str>,
    stream_arn: Option<&str>,
    name: Option<&str>,
) -> Result<(String, RegisteredConsumer), ApiError> {
    if let Some(arn) = consumer_arn {
        return resolve_consumer_arn(store, arn);
    }
    match (stream_arn, name) {
        (Some(stream_arn), Some(name)) => {
            let stream = stream_from_arn(stream_arn);
            Ok((stream.to_string(), store.consumer(stream, name)?))
        }
        _ => Err(ApiError::invalid(
            "Either ConsumerARN or both ConsumerName and StreamARN should be provided.",
        )),
    }
}

/// The stream and consumer a (validated) consumer ARN names; the registration time in the ARN must
/// match, so an ARN of a deregistered and re-registered consumer is not found.
pub(crate) fn resolve_consumer_arn(
    store: &Store,
    arn: &str,
) -> Result<(String, RegisteredConsumer), ApiError> {
    let not_found = || {
        ApiError::not_found(format!(
            "Consumer {arn} under account {} not found.",
            store.account_id()
        ))
    };
    let (head, _) = arn.rsplit_once(':').ok_or_else(not_found)?;
    let (stream_part, name) = head.rsplit_once("/consumer/").ok_or_else(not_found)?;
    let stream = stream_part
        .rsplit_once("stream/")
        .map(|(_, s)| s)
        .ok_or_else(not_found)?;
    let consumer = store.consumer(stream, name).map_err(|_| not_found())?;
    if consumer.arn != arn {
        return Err(not_found());
    }
    Ok((stream.to_string(), consumer))
}

/// A registered consumer's status: registration completes before the call returns.
const ACTIVE: &str = "ACTIVE";

/// A consumer as RegisterStreamConsumer and ListStreamConsumers show it.
fn consumer(c: &RegisteredConsumer) -> shapes::Consumer {
    shapes::Consumer {
        consumer_name: c.name.clone(),
        consumer_arn: c.arn.clone(),
        consumer_status: ACTIVE.into(),
        consumer_creation_timestamp: Timestamp(c.created_ms),
    }
}
