//! The data plane: PutRecord, PutRecords, GetShardIterator, GetRecords.

use super::shards::parse_shard;
use super::{ident, int_of, seconds, str_of, stream_of, ts_of, Handler, Operation};
use crate::codec::Encoding;
use crate::error::ApiError;
use crate::validate::{
    limit, opt, req, Shape, BOOL, DATA, HASH_KEY, ITERATOR_TYPE, PARTITION_KEY, SEQUENCE_NUMBER,
    SHARD_ID, SHARD_ITERATOR, STREAM_ARN, TIMESTAMP,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use shardlog::{
    ChildShard, GetRecordsOutput, PutEntry, Record, SequenceNumber, ShardId, StartingPosition,
    Store, MAX_GET_RECORDS,
};

pub(super) const PUT_RECORD: Operation = Operation {
    name: "PutRecord",
    input: &[
        ident!(),
        req("Data", &DATA),
        opt("PartitionKey", &PARTITION_KEY),
        opt("ExplicitHashKey", &HASH_KEY),
        opt("SequenceNumberForOrdering", &SEQUENCE_NUMBER),
        ident!(arn),
        ident!(id),
        opt("DryRun", &BOOL),
    ],
    handler: Handler::Value(put_record),
};

fn put_record(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_of(input)?;
    let data = blob(input)?;
    let mut entry = entry(input, &data);
    if let Some(n) = str_of(input, "SequenceNumberForOrdering") {
        entry = entry.with_ordering_after(n);
    }
    let put = store.put_record(&stream, entry)?;
    Ok(json!({
        "ShardId": put.shard_id.to_string(),
        "SequenceNumber": put.sequence_number.to_string(),
        "EncryptionType": encryption_type(store, &stream),
    }))
}

const PUT_ENTRY: Shape = Shape::Struct(&[
    req("Data", &DATA),
    opt("ExplicitHashKey", &HASH_KEY),
    opt("PartitionKey", &PARTITION_KEY),
]);

/// A record to write. The partition key is optional in the model since streams can place records
/// themselves (`RecordDistributionStrategy` `AUTO`); the engine refuses a record without one on
/// any other stream, with the message Kinesis gave when the model required it.
fn entry<'a>(item: &'a Value, data: &'a [u8]) -> PutEntry<'a> {
    let e = match str_of(item, "PartitionKey") {
        Some(key) => PutEntry::new(key, data),
        None => PutEntry::unkeyed(data),
    };
    match str_of(item, "ExplicitHashKey") {
        Some(h) => e.with_explicit_hash_key(h),
        None => e,
    }
}

pub(super) const PUT_RECORDS: Operation = Operation {
    name: "PutRecords",
    input: &[
        req(
            "Records",
            &Shape::List {
                min: 1,
                max: shardlog::MAX_PUT_RECORDS,
                member: &PUT_ENTRY,
            },
        ),
        ident!(),
        ident!(arn),
        ident!(id),
        opt("DryRun", &BOOL),
    ],
    handler: Handler::Value(put_records),
};

fn put_records(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_of(input)?;
    let items = input
        .get("Records")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let data = items.iter().map(blob).collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<PutEntry<'_>> = items
        .iter()
        .zip(&data)
        .map(|(item, data)| entry(item, data))
        .collect();
    let out = store.put_records(&stream, &entries)?;
    let records: Vec<Value> = out
        .records
        .iter()
        .map(|r| match r {
            Ok(p) => json!({
                "SequenceNumber": p.sequence_number.to_string(),
                "ShardId": p.shard_id.to_string(),
            }),
            Err(f) => json!({"ErrorCode": f.error_code, "ErrorMessage": f.error_message}),
        })
        .collect();
    Ok(json!({
        "FailedRecordCount": out.failed_record_count,
        "Records": records,
        "EncryptionType": encryption_type(store, &stream),
    }))
}

/// What a put answers as `EncryptionType`: `KMS` once the stream has a key (the files are not
/// encrypted; see `StreamSettings`), `NONE` otherwise, as Kinesis answers for the stream's setting.
fn encryption_type(store: &Store, stream: &str) -> &'static str {
    match store.stream_settings(stream) {
        Ok(s) if s.kms_key_id.is_some() => "KMS",
        _ => "NONE",
    }
}

fn blob(v: &Value) -> Result<Vec<u8>, ApiError> {
    let text = str_of(v, "Data").unwrap_or_default();
    STANDARD.decode(text).map_err(|e| {
        ApiError::serialization(format!("'{text}' can not be converted to a Blob: {e}"))
    })
}

pub(super) const GET_SHARD_ITERATOR: Operation = Operation {
    name: "GetShardIterator",
    input: &[
        ident!(),
        req("ShardId", &SHARD_ID),
        req("ShardIteratorType", &ITERATOR_TYPE),
        opt("StartingSequenceNumber", &SEQUENCE_NUMBER),
        opt("Timestamp", &TIMESTAMP),
        ident!(arn),
        ident!(id),
        opt("DryRun", &BOOL),
    ],
    handler: Handler::Value(get_shard_iterator),
};

fn get_shard_iterator(store: &Store, input: &Value) -> Result<Value, ApiError> {
    let stream = stream_of(input)?;
    let shard = parse_shard(store, str_of(input, "ShardId").unwrap_or_default(), &stream)?;
    let position = starting_position(
        str_of(input, "ShardIteratorType").unwrap_or_default(),
        str_of(input, "StartingSequenceNumber"),
        ts_of(input, "Timestamp")?,
        (store.account_id(), &stream, shard),
    )?;
    let it = store.get_shard_iterator(&stream, shard, position)?;
    Ok(json!({ "ShardIterator": it }))
}

/// Builds a starting position from an iterator type and its arguments (GetShardIterator and
/// SubscribeToShard share the rules and the messages).
pub(crate) fn starting_position(
    kind: &str,
    sequence: Option<&str>,
    timestamp_ms: Option<u64>,
    (account, stream, shard): (&str, &str, ShardId),
) -> Result<StartingPosition, ApiError> {
    let by_sequence = matches!(kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER");
    let mismatch = |also: &str| {
        ApiError::invalid(format!(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {kind} and {also}."
        ))
    };
    let seq = match (by_sequence, sequence) {
        (true, None) => return Err(mismatch("no StartingSequenceNumber")),
        (false, Some(_)) if kind != "AT_TIMESTAMP" => {
            return Err(mismatch("also a StartingSequenceNumber"))
        }
        (true, Some(s)) => Some(s.parse::<SequenceNumber>().map_err(|_| {
            ApiError::invalid(format!(
                "StartingSequenceNumber {s} used in GetShardIterator on shard {shard} in stream {stream} under account {account} is invalid."
            ))
        })?),
        _ => None,
    };
    Ok(match (kind, seq) {
        ("AT_SEQUENCE_NUMBER", Some(s)) => StartingPosition::AtSequenceNumber(s),
        ("AFTER_SEQUENCE_NUMBER", Some(s)) => StartingPosition::AfterSequenceNumber(s),
        ("LATEST", _) => StartingPosition::Latest,
        ("AT_TIMESTAMP", _) => StartingPosition::AtTimestamp(timestamp_ms.ok_or_else(|| {
            ApiError::invalid(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.",
            )
        })?),
        _ => StartingPosition::TrimHorizon,
    })
}

pub(super) const GET_RECORDS: Operation = Operation {
    name: "GetRecords",
    input: &[
        req("ShardIterator", &SHARD_ITERATOR),
        opt("Limit", &limit(MAX_GET_RECORDS as i64)),
        opt("StreamARN", &STREAM_ARN),
        ident!(id),
        opt("DryRun", &BOOL),
    ],
    handler: Handler::Encoded(get_records),
};

fn get_records(store: &Store, input: &Value, encoding: Encoding) -> Result<Vec<u8>, ApiError> {
    let it = str_of(input, "ShardIterator").unwrap_or_default();
    let limit = int_of(input, "Limit").map_or(MAX_GET_RECORDS, |n| {
        usize::try_from(n).unwrap_or(MAX_GET_RECORDS)
    });
    let out = store.get_records(it, limit)?;
    Ok(match encoding {
        Encoding::Json => get_records_json(&out),
        Encoding::Cbor => encoding.encode(&get_records_value(&out)),
    })
}

fn get_records_value(out: &GetRecordsOutput) -> Value {
    let records = out.records.iter().map(|r| {
        let mut v = record_json(r);
        if out.kms_encrypted {
            v["EncryptionType"] = json!("KMS");
        }
        v
    });
    let mut v = json!({
        "Records": records.collect::<Vec<_>>(),
        "MillisBehindLatest": out.millis_behind_latest,
    });
    if let Some(next) = &out.next_shard_iterator {
        v["NextShardIterator"] = json!(next);
    }
    if !out.child_shards.is_empty() {
        v["ChildShards"] = children_json(&out.child_shards);
    }
    v
}

/// Writes the JSON body straight into one buffer: base64 needs no escaping and each record costs
/// no intermediate values. Produces the same document as encoding [`get_records_value`].
fn get_records_json(out: &GetRecordsOutput) -> Vec<u8> {
    let data: usize = out.records.iter().map(|r| r.data.len() * 4 / 3 + 160).sum();
    let mut b = Vec::with_capacity(data + 256);
    b.extend_from_slice(b"{\"Records\":[");
    for (i, r) in out.records.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        b.extend_from_slice(b"{\"SequenceNumber\":\"");
        b.extend_from_slice(r.sequence_number.to_string().as_bytes());
        b.extend_from_slice(b"\",\"ApproximateArrivalTimestamp\":");
        let _ = serde_json::to_writer(&mut b, &seconds(r.approximate_arrival_timestamp_ms));
        b.extend_from_slice(b",\"Data\":\"");
        let start = b.len();
        b.resize(
            start + base64::encoded_len(r.data.len(), true).unwrap_or(0),
            0,
        );
        let written = STANDARD.encode_slice(&r.data, &mut b[start..]).unwrap_or(0);
        b.truncate(start + written);
        b.push(b'"');
        if out.kms_encrypted {
            b.extend_from_slice(b",\"EncryptionType\":\"KMS\"");
        }
        // A record written without a key (an `AUTO` stream) has none, as on Kinesis.
        if !r.partition_key.is_empty() {
            b.extend_from_slice(b",\"PartitionKey\":");
            let _ = serde_json::to_writer(&mut b, &r.partition_key);
        }
        b.push(b'}');
    }
    b.extend_from_slice(b"],\"MillisBehindLatest\":");
    b.extend_from_slice(out.millis_behind_latest.to_string().as_bytes());
    if let Some(next) = &out.next_shard_iterator {
        b.extend_from_slice(b",\"NextShardIterator\":");
        let _ = serde_json::to_writer(&mut b, next);
    }
    if !out.child_shards.is_empty() {
        b.extend_from_slice(b",\"ChildShards\":");
        let _ = serde_json::to_writer(&mut b, &children_json(&out.child_shards));
    }
    b.push(b'}');
    b
}

/// A record as GetRecords and SubscribeToShard events carry it.
pub(crate) fn record_json(r: &Record) -> Value {
    let mut v = json!({
        "SequenceNumber": r.sequence_number.to_string(),
        "ApproximateArrivalTimestamp": seconds(r.approximate_arrival_timestamp_ms),
        "Data": STANDARD.encode(&r.data),
    });
    if !r.partition_key.is_empty() {
        v["PartitionKey"] = Value::String(r.partition_key.clone());
    }
    v
}

/// `ChildShards` as GetRecords and SubscribeToShard events carry them.
pub(crate) fn children_json(children: &[ChildShard]) -> Value {
    children
        .iter()
        .map(|c| {
            json!({
                "ShardId": c.shard_id.to_string(),
                "ParentShards": c.parent_shards.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "HashKeyRange": {
                    "StartingHashKey": c.hash_key_range.0.to_string(),
                    "EndingHashKey": c.hash_key_range.1.to_string(),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shardlog::ShardId;

    #[test]
    fn direct_json_matches_the_value_encoding() {
        let record = |n: u64, data: &[u8], key: &str| Record {
            sequence_number: SequenceNumber::new(1, 0, n),
            partition_key: key.into(),
            data: data.to_vec(),
            approximate_arrival_timestamp_ms: 1_700_000_000_123 + n,
        };
        let mut out = GetRecordsOutput {
            records: vec![
                record(0, b"", "k"),
                record(1, &[0, 255, 7], "quote\"and\\slash\u{1}é"),
            ],
            next_shard_iterator: Some("abc".into()),
            millis_behind_latest: 7,
            child_shards: Vec::new(),
            kms_encrypted: false,
        };
        let same = |out: &GetRecordsOutput| {
            let direct: Value = serde_json::from_slice(&get_records_json(out)).unwrap();
            assert_eq!(direct, get_records_value(out));
        };
        same(&out);
        out.kms_encrypted = true;
        same(&out);
        out.next_shard_iterator = None;
        out.records.clear();
        out.child_shards = vec![ChildShard {
            shard_id: ShardId(2),
            parent_shards: vec![ShardId(0), ShardId(1)],
            hash_key_range: (0, u128::MAX),
        }];
        same(&out);
    }
}
