//! `request_parse`: arbitrary bytes as Kinesis request bodies, in JSON or CBOR, through the
//! server's path after the headers (decode, validate against the model, run, encode) against a
//! store on the simulated disk.
//!
//! Input: byte 0 picks the operation, byte 1 the content type, the rest is the body.
//! Checks: no panic; an answer decodes in the encoding it was asked in; an error is a client
//! error (400) with an AWS type name, never an internal failure (there are no disk faults here, so
//! a 500 means the server mishandled the input); the store still answers afterwards.

use crate::input::Input;
use shardlog::{PutEntry, Store, StoreOptions};
use shardlog_storage::SimDisk;
use std::sync::Arc;

/// The content types tried: JSON, CBOR, and one the server does not know (treated as JSON).
pub const CONTENT_TYPES: [&str; 3] = [
    "application/x-amz-json-1.1",
    "application/x-amz-cbor-1.1",
    "text/plain",
];

/// A store with one stream of two shards holding a record, so operations find something.
fn store() -> Store {
    let opts = StoreOptions {
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open_with_storage(Arc::new(SimDisk::new(7)), opts)
        .unwrap_or_else(|e| panic!("a fresh simulated store must open: {e}"));
    store
        .create_stream("s", 2)
        .unwrap_or_else(|e| panic!("stream creation on a fresh store: {e}"));
    store
        .put_record("s", PutEntry::new("k", b"v"))
        .unwrap_or_else(|e| panic!("a put on a fresh store: {e}"));
    store
}

/// Runs the `request_parse` checks on one input.
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs the `request_parse` checks on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs here
    let names = shardlog_server::operation_names();
    let mut r = Input::new(data);
    let op = names[usize::from(r.byte()) % names.len()];
    let content_type = CONTENT_TYPES[usize::from(r.byte()) % CONTENT_TYPES.len()];
    let body = r.rest();
    let store = store();
    match shardlog_server::answer(&store, op, content_type, body) {
        Ok(out) => {
            // Operations without output answer an empty body in either encoding.
            let decodes = out.is_empty()
                || if content_type.contains("cbor") {
                    ciborium::de::from_reader::<ciborium::Value, _>(out.as_slice()).is_ok()
                } else {
                    serde_json::from_slice::<serde_json::Value>(&out).is_ok()
                };
            assert!(
                decodes,
                "{op}: the answer does not decode as {content_type}"
            );
        }
        Err(e) => {
            assert!(!e.kind.is_empty(), "{op}: an error without a type");
            assert_eq!(
                e.status, 400,
                "{op}: internal failure for a bad request: {} {}",
                e.kind, e.message
            );
        }
    }
    // Whatever the request did, the store still works.
    if let Err(e) = store
        .list_streams()
        .first()
        .map_or(Ok(()), |s| store.describe_stream(s).map(drop))
    {
        panic!("{op}: the store stopped answering after the request: {e}");
    }
}

/// Seed bodies: one valid JSON request per operation, plus a few CBOR ones.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let names = shardlog_server::operation_names();
    let body = |op: &str| -> serde_json::Value {
        let s0 = "shardId-000000000000";
        match op {
            "CreateStream" => serde_json::json!({"StreamName": "t", "ShardCount": 2}),
            "ListStreams" => serde_json::json!({"Limit": 5}),
            "ListShards" => {
                serde_json::json!({"StreamName": "s", "ShardFilter": {"Type": "AT_LATEST"}})
            }
            "PutRecord" => {
                serde_json::json!({"StreamName": "s", "Data": "aGk=", "PartitionKey": "k"})
            }
            "PutRecords" => {
                serde_json::json!({"StreamName": "s", "Records": [{"Data": "aGk=", "PartitionKey": "k"}, {"Data": "", "PartitionKey": "k2", "ExplicitHashKey": "7"}]})
            }
            "GetShardIterator" => {
                serde_json::json!({"StreamName": "s", "ShardId": s0, "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": "1"})
            }
            "GetRecords" => serde_json::json!({"ShardIterator": "AAAA", "Limit": 10}),
            "SplitShard" => {
                serde_json::json!({"StreamName": "s", "ShardToSplit": s0, "NewStartingHashKey": "1000"})
            }
            "MergeShards" => {
                serde_json::json!({"StreamName": "s", "ShardToMerge": s0, "AdjacentShardToMerge": "shardId-000000000001"})
            }
            "UpdateShardCount" => {
                serde_json::json!({"StreamName": "s", "TargetShardCount": 3, "ScalingType": "UNIFORM_SCALING"})
            }
            "IncreaseStreamRetentionPeriod" | "DecreaseStreamRetentionPeriod" => {
                serde_json::json!({"StreamName": "s", "RetentionPeriodHours": 48})
            }
            "AddTagsToStream" => serde_json::json!({"StreamName": "s", "Tags": {"team": "a"}}),
            "RemoveTagsFromStream" => serde_json::json!({"StreamName": "s", "TagKeys": ["team"]}),
            "UpdateStreamMode" => {
                serde_json::json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
            }
            "RegisterStreamConsumer" => {
                serde_json::json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "ConsumerName": "c"})
            }
            "ListStreamConsumers" => {
                serde_json::json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s"})
            }
            "DescribeStreamConsumer" | "DeregisterStreamConsumer" => {
                serde_json::json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "ConsumerName": "c"})
            }
            _ => serde_json::json!({"StreamName": "s"}),
        }
    };
    let mut out = Vec::new();
    for (i, op) in names.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { continue };
        let json = serde_json::to_vec(&body(op)).unwrap_or_default();
        out.push((format!("{op}-json"), [&[index, 0][..], &json].concat()));
        if matches!(*op, "PutRecords" | "GetShardIterator" | "CreateStream") {
            let mut cbor = Vec::new();
            let value = body(op);
            if ciborium::ser::into_writer(&value, &mut cbor).is_ok() {
                out.push((format!("{op}-cbor"), [&[index, 1][..], &cbor].concat()));
            }
        }
    }
    out
}
