//! The data plane: PutRecord, PutRecords, GetShardIterator, GetRecords.

use super::shards::parse_shard;
use super::{ident, stream_of, typed, Operation};
use crate::error::ApiError;
use crate::shapes;
use crate::validate::{
    limit, opt, req, Shape, BOOL, DATA, HASH_KEY, ITERATOR_TYPE, PARTITION_KEY, SEQUENCE_NUMBER,
    SHARD_ID, SHARD_ITERATOR, STREAM_ARN, TIMESTAMP,
};
use crate::wire::{Blob, Seq, Timestamp};
use shardlog::{
    ChildShard, PutEntry, Record, SequenceNumber, ShardId, StartingPosition, Store, MAX_GET_RECORDS,
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
    handler: typed!(put_record),
};

fn put_record(
    store: &Store,
    i: shapes::PutRecordInput,
) -> Result<shapes::PutRecordOutput, ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let mut entry = entry(
        i.partition_key.as_deref(),
        i.explicit_hash_key.as_deref(),
        &i.data,
    );
    if let Some(n) = &i.sequence_number_for_ordering {
        entry = entry.with_ordering_after(n);
    }
    let put = store.put_record(&stream, entry)?;
    Ok(shapes::PutRecordOutput {
        shard_id: put.shard_id.to_string(),
        sequence_number: put.sequence_number.to_string(),
        encryption_type: Some(encryption_type(store, &stream).into()),
    })
}

const PUT_ENTRY: Shape = Shape::Struct(&[
    req("Data", &DATA),
    opt("ExplicitHashKey", &HASH_KEY),
    opt("PartitionKey", &PARTITION_KEY),
]);

/// A record to write. The partition key is optional in the model since streams can place records
/// themselves (`RecordDistributionStrategy` `AUTO`); the engine refuses a record without one on
/// any other stream, with the message Kinesis gave when the model required it.
fn entry<'a>(key: Option<&'a str>, hash_key: Option<&'a str>, data: &'a Blob) -> PutEntry<'a> {
    let e = match key {
        Some(key) => PutEntry::new(key, &data.0),
        None => PutEntry::unkeyed(&data.0),
    };
    match hash_key {
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
    handler: typed!(put_records),
};

fn put_records(
    store: &Store,
    i: shapes::PutRecordsInput,
) -> Result<shapes::PutRecordsOutput, ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let entries: Vec<PutEntry<'_>> = i
        .records
        .iter()
        .map(|r| {
            entry(
                r.partition_key.as_deref(),
                r.explicit_hash_key.as_deref(),
                &r.data,
            )
        })
        .collect();
    let out = store.put_records(&stream, &entries)?;
    let records = out
        .records
        .into_iter()
        .map(|r| match r {
            Ok(p) => shapes::PutRecordsResultEntry {
                sequence_number: Some(p.sequence_number.to_string()),
                shard_id: Some(p.shard_id.to_string()),
                ..Default::default()
            },
            Err(f) => shapes::PutRecordsResultEntry {
                error_code: Some(f.error_code.to_string()),
                error_message: Some(f.error_message),
                ..Default::default()
            },
        })
        .collect();
    Ok(shapes::PutRecordsOutput {
        failed_record_count: Some(i64::try_from(out.failed_record_count).unwrap_or(i64::MAX)),
        records,
        encryption_type: Some(encryption_type(store, &stream).into()),
    })
}

/// What a put answers as `EncryptionType`: `KMS` once the stream has a key (the files are not
/// encrypted; see `StreamSettings`), `NONE` otherwise, as Kinesis answers for the stream's setting.
fn encryption_type(store: &Store, stream: &str) -> &'static str {
    match store.stream_settings(stream) {
        Ok(s) if s.kms_key_id.is_some() => "KMS",
        _ => "NONE",
    }
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
    handler: typed!(get_shard_iterator),
};

fn get_shard_iterator(
    store: &Store,
    i: shapes::GetShardIteratorInput,
) -> Result<shapes::GetShardIteratorOutput, ApiError> {
    let stream = stream_of(i.stream_name.as_deref(), i.stream_arn.as_deref())?;
    let shard = parse_shard(store, &i.shard_id, &stream)?;
    let position = starting_position(
        &i.shard_iterator_type,
        i.starting_sequence_number.as_deref(),
        i.timestamp.map(|t| t.0),
        (store.account_id(), &stream, shard),
    )?;
    let it = store.get_shard_iterator(&stream, shard, position)?;
    Ok(shapes::GetShardIteratorOutput {
        shard_iterator: Some(it),
    })
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
    handler: typed!(get_records),
};

fn get_records(
    store: &Store,
    i: shapes::GetRecordsInput,
) -> Result<shapes::GetRecordsOutput, ApiError> {
    let limit = i.limit.map_or(MAX_GET_RECORDS, |n| {
        usize::try_from(n).unwrap_or(MAX_GET_RECORDS)
    });
    let out = store.get_records(&i.shard_iterator, limit)?;
    let kms = out.kms_encrypted;
    Ok(shapes::GetRecordsOutput {
        records: out.records.into_iter().map(|r| record(r, kms)).collect(),
        next_shard_iterator: out.next_shard_iterator,
        millis_behind_latest: Some(i64::try_from(out.millis_behind_latest).unwrap_or(i64::MAX)),
        child_shards: (!out.child_shards.is_empty()).then(|| children(&out.child_shards)),
    })
}

/// A record as GetRecords and SubscribeToShard events carry it; its data and key move, not copy.
/// A record written without a key (an `AUTO` stream) has none, as on Kinesis.
pub(crate) fn record(r: Record, kms_encrypted: bool) -> shapes::Record {
    shapes::Record {
        sequence_number: Seq(r.sequence_number),
        approximate_arrival_timestamp: Some(Timestamp(r.approximate_arrival_timestamp_ms)),
        data: Blob(r.data),
        partition_key: (!r.partition_key.is_empty()).then_some(r.partition_key),
        encryption_type: kms_encrypted.then(|| "KMS".into()),
    }
}

/// `ChildShards` as GetRecords and SubscribeToShard events carry them.
pub(crate) fn children(children: &[ChildShard]) -> Vec<shapes::ChildShard> {
    children
        .iter()
        .map(|c| shapes::ChildShard {
            shard_id: c.shard_id.to_string(),
            parent_shards: c.parent_shards.iter().map(ToString::to_string).collect(),
            hash_key_range: shapes::HashKeyRange {
                starting_hash_key: c.hash_key_range.0.to_string(),
                ending_hash_key: c.hash_key_range.1.to_string(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Encoding;
    use serde_json::{json, Value};

    /// The JSON answer fits the buffer sized for it (one allocation), without oversizing it much.
    #[test]
    fn get_records_answers_are_sized_before_they_are_written() {
        use crate::wire::EncodedSize as _;
        let records = (0..1_000u64)
            .map(|n| {
                let r = Record {
                    sequence_number: SequenceNumber::new(1, 3, n),
                    partition_key: format!("key-{n}").into(),
                    data: vec![n as u8; 1 + (n as usize * 7) % 1024].into(),
                    approximate_arrival_timestamp_ms: 1_700_000_000_123 + n,
                };
                record(r, n % 2 == 0)
            })
            .collect();
        let out = shapes::GetRecordsOutput {
            records,
            next_shard_iterator: Some("AAAA".repeat(64)),
            millis_behind_latest: Some(12_345),
            child_shards: None,
        };
        let json = Encoding::Json.encode_sized(&out);
        let estimate = out.encoded_size();
        assert!(estimate >= json.len(), "{estimate} < {}", json.len());
        assert!(
            estimate <= json.len() * 5 / 4,
            "{estimate} vs {}",
            json.len()
        );
        assert_eq!(json, Encoding::Json.encode(&out));
        assert!(Encoding::Cbor.encode_sized(&out).len() <= estimate);
    }

    /// Records go from the engine into the answer's bytes without a copy or an allocation of
    /// their own: the key and data are shared, the number is formatted on the stack, and each
    /// answer is written into one buffer.
    #[test]
    fn get_records_answers_allocate_per_answer_not_per_record() {
        let data = bytes::Bytes::from(vec![7u8; 1_000 * 100]);
        let records: Vec<Record> = (0..1_000u64)
            .map(|n| Record {
                sequence_number: SequenceNumber::new(1, 3, n),
                partition_key: "user-42".into(),
                data: data.slice(n as usize * 100..(n as usize + 1) * 100),
                approximate_arrival_timestamp_ms: 1_700_000_000_123 + n,
            })
            .collect();
        for encoding in [Encoding::Json, Encoding::Cbor] {
            let records = records.clone();
            let mut body = Vec::new();
            let info = allocation_counter::measure(|| {
                let out = shapes::GetRecordsOutput {
                    records: records.into_iter().map(|r| record(r, false)).collect(),
                    millis_behind_latest: Some(0),
                    ..Default::default()
                };
                body = encoding.encode_sized(&out);
            });
            assert!(body.len() > 100_000, "{encoding:?}: {} bytes", body.len());
            assert!(
                info.count_total < 20,
                "{encoding:?}: {} allocations for 1,000 records",
                info.count_total
            );
        }
    }

    #[test]
    fn get_records_answers_in_each_protocol() {
        let r = |n: u64, data: &[u8], key: &str| {
            record(
                Record {
                    sequence_number: SequenceNumber::new(1, 0, n),
                    partition_key: key.into(),
                    data: data.to_vec().into(),
                    approximate_arrival_timestamp_ms: 1_700_000_000_123 + n,
                },
                n == 1,
            )
        };
        let out = shapes::GetRecordsOutput {
            records: vec![
                r(0, b"", "k"),
                r(1, &[0, 255, 7], ""),
                r(2, b"x", "q\"\u{1}é"),
            ],
            next_shard_iterator: Some("abc".into()),
            millis_behind_latest: Some(7),
            child_shards: Some(children(&[ChildShard {
                shard_id: ShardId(2),
                parent_shards: vec![ShardId(0), ShardId(1)],
                hash_key_range: (0, u128::MAX),
            }])),
        };
        let json: Value = serde_json::from_slice(&Encoding::Json.encode(&out)).unwrap();
        let seq = |n| SequenceNumber::new(1, 0, n).to_string();
        assert_eq!(
            json,
            json!({
                "Records": [
                    {"SequenceNumber": seq(0), "ApproximateArrivalTimestamp": 1_700_000_000.123, "Data": "", "PartitionKey": "k"},
                    {"SequenceNumber": seq(1), "ApproximateArrivalTimestamp": 1_700_000_000.124, "Data": "AP8H", "EncryptionType": "KMS"},
                    {"SequenceNumber": seq(2), "ApproximateArrivalTimestamp": 1_700_000_000.125, "Data": "eA==", "PartitionKey": "q\"\u{1}é"},
                ],
                "NextShardIterator": "abc",
                "MillisBehindLatest": 7,
                "ChildShards": [{"ShardId": "shardId-000000000002", "ParentShards": ["shardId-000000000000", "shardId-000000000001"],
                    "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": u128::MAX.to_string()}}],
            })
        );
        // CBOR carries the data as byte strings and the arrival time as tag 1 milliseconds.
        let cbor: ciborium::Value =
            ciborium::de::from_reader(&Encoding::Cbor.encode(&out)[..]).unwrap();
        let records = cbor.as_map().unwrap()[0].1.as_array().unwrap();
        let second = records[1].as_map().unwrap();
        assert!(second.contains(&("Data".into(), ciborium::Value::Bytes(vec![0, 255, 7]))));
        assert!(second.contains(&(
            "ApproximateArrivalTimestamp".into(),
            ciborium::Value::Tag(1, Box::new(1_700_000_000_124u64.into()))
        )));
        let back: shapes::GetRecordsOutput =
            ciborium::de::from_reader(&Encoding::Cbor.encode(&out)[..]).unwrap();
        assert_eq!(back, out);
    }
}
