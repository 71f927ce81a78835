//! Registered consumers: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
//! DeregisterStreamConsumer.

use super::{ident, int_of, seconds, str_of, stream_from_arn, Handler, Operation};
use crate::error::ApiError;
use crate::validate::{
    limit, opt, req, CONSUMER_ARN, CONSUMER_NAME, NEXT_TOKEN, STREAM_ARN, TAG_MAP, TIMESTAMP,
};
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
    handler: Handler::Value(register),
};

fn register(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_from_arn(str_of(input, "StreamARN").unwrap_or_default());
    let c = store.register_consumer(stream, str_of(input, "ConsumerName").unwrap_or_default())?;
    Ok(json!({ "Consumer": consumer_json(&c, false) }))
}

pub(super) const DESCRIBE: Operation = Operation {
    name: "DescribeStreamConsumer",
    input: &[
        opt("StreamARN", &STREAM_ARN),
        opt("ConsumerName", &CONSUMER_NAME),
        opt("ConsumerARN", &CONSUMER_ARN),
        ident!(id),
    ],
    handler: Handler::Value(describe),
};

fn describe(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let (_, c) = named_consumer(store, input)?;
    Ok(json!({ "ConsumerDescription": consumer_json(&c, true) }))
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
    handler: Handler::Value(list),
};

fn list(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_from_arn(str_of(input, "StreamARN").unwrap_or_default());
    let all = store.consumers(stream)?;
    let skip = match str_of(input, "NextToken") {
        Some(t) => decode_token(t, stream)?,
        None => 0,
    };
    // As on AWS: at most 100 consumers per page, whatever MaxResults asks.
    let page = usize::try_from(int_of(input, "MaxResults").unwrap_or(100))
        .unwrap_or(100)
        .min(100);
    let listed: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(page)
        .map(|c| consumer_json(c, false))
        .collect();
    let mut out = json!({ "Consumers": listed });
    if skip.saturating_add(page) < all.len() {
        out["NextToken"] = json!(encode_token(stream, skip + page));
    }
    Ok(out)
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
    if str_of(&v, "s") != Some(stream) {
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
    handler: Handler::Value(deregister),
};

fn deregister(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let (stream, c) = named_consumer(store, input)?;
    store.deregister_consumer(&stream, &c.name)?;
    Ok(Value::Null)
}

/// The consumer named by `ConsumerARN`, or by `StreamARN` plus `ConsumerName`.
fn named_consumer(store: &Store, input: &Value) -> Result<(String, RegisteredConsumer), ApiError> {
    if let Some(arn) = str_of(input, "ConsumerARN") {
        return resolve_consumer_arn(store, arn);
    }
    match (str_of(input, "StreamARN"), str_of(input, "ConsumerName")) {
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

fn consumer_json(c: &RegisteredConsumer, with_stream: bool) -> Value {
    let mut v = json!({
        "ConsumerName": c.name,
        "ConsumerARN": c.arn,
        "ConsumerStatus": "ACTIVE",
        "ConsumerCreationTimestamp": seconds(c.created_ms),
    });
    if with_stream {
        v["StreamARN"] = json!(c.stream_arn);
    }
    v
}
