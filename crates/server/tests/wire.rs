//! Issue 15, wire fidelity: answers a client can hold next to AWS's.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestServer;
use serde_json::{json, Value};
use shardlog_server::ServerOptions;

fn server() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    (dir, s)
}

fn records_after(s: &TestServer, stream: &str, shard: &str, after: &str) -> Vec<Value> {
    let it = s.ok(
        "GetShardIterator",
        json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}),
    );
    let got = s.ok(
        "GetRecords",
        json!({"ShardIterator": it["ShardIterator"], "Limit": 100}),
    );
    got["Records"].as_array().unwrap().clone()
}

/// The user's report: one shard, one record, an iterator AFTER the shard's StartingSequenceNumber;
/// GetRecords answered nothing because the start number was the record's own.
#[test]
fn get_records_after_the_starting_sequence_number_returns_the_first_record() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let put = s.ok(
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": "k", "Data": "Zmlyc3Q="}),
    );
    let shards = s.ok("ListShards", json!({"StreamName": "s"}));
    let shard = &shards["Shards"][0];
    let start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
        .as_str()
        .unwrap();
    let first = put["SequenceNumber"].as_str().unwrap();
    assert!(
        start.len() == 56 && first.len() == 56 && start < first,
        "start {start}, first record {first}"
    );
    let got = records_after(&s, "s", shard["ShardId"].as_str().unwrap(), start);
    let numbers: Vec<&str> = got
        .iter()
        .map(|r| r["SequenceNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [first]);
    assert_eq!(got[0]["Data"], "Zmlyc3Q=");
}

/// The stream settings AWS keeps: set, shown in DescribeStream(Summary), and kept across a restart.
#[test]
fn monitoring_encryption_and_record_size_are_kept_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 2}));
    let on = s.ok(
        "EnableEnhancedMonitoring",
        json!({"StreamName": "s", "ShardLevelMetrics": ["IncomingBytes", "OutgoingRecords"]}),
    );
    assert_eq!(on["CurrentShardLevelMetrics"], json!([]));
    assert_eq!(
        on["DesiredShardLevelMetrics"],
        json!(["IncomingBytes", "OutgoingRecords"])
    );
    let off = s.ok(
        "DisableEnhancedMonitoring",
        json!({"StreamName": "s", "ShardLevelMetrics": ["IncomingBytes"]}),
    );
    assert_eq!(off["DesiredShardLevelMetrics"], json!(["OutgoingRecords"]));
    assert!(off["StreamARN"].as_str().unwrap().ends_with(":stream/s"));
    s.ok(
        "StartStreamEncryption",
        json!({"StreamName": "s", "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}),
    );
    // As on AWS, writes and the records read back say KMS once the stream has a key (found by
    // the AWS SDK for Rust check: both said NONE).
    let put = s.ok(
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": "k", "Data": "AA==", "ExplicitHashKey": "0"}),
    );
    assert_eq!(put["EncryptionType"], "KMS");
    let puts = s.ok(
        "PutRecords",
        json!({"StreamName": "s", "Records": [{"PartitionKey": "k", "Data": "AA==", "ExplicitHashKey": "0"}]}),
    );
    assert_eq!(puts["EncryptionType"], "KMS");
    let it = s.ok(
        "GetShardIterator",
        json!({"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
    );
    let got = s.ok("GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
    assert_eq!(got["Records"][0]["EncryptionType"], "KMS");
    let (status, kind, message) = s.err(
        "StartStreamEncryption",
        json!({"StreamName": "s", "EncryptionType": "NONE", "KeyId": "k"}),
    );
    assert_eq!(
        (status, kind.as_str()),
        (400, "InvalidArgumentException"),
        "{message}"
    );
    let (status, kind, _) = s.err(
        "EnableEnhancedMonitoring",
        json!({"StreamName": "s", "ShardLevelMetrics": ["Bogus"]}),
    );
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    s.ok(
        "UpdateMaxRecordSize",
        json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "MaxRecordSizeInKiB": 2048}),
    );
    s.stop();

    let s = TestServer::start(dir.path(), ServerOptions::default());
    let d = s.ok("DescribeStream", json!({"StreamName": "s"}))["StreamDescription"].clone();
    assert_eq!(
        d["EnhancedMonitoring"],
        json!([{"ShardLevelMetrics": ["OutgoingRecords"]}])
    );
    assert_eq!(
        (d["EncryptionType"].as_str(), d["KeyId"].as_str()),
        (Some("KMS"), Some("alias/aws/kinesis"))
    );
    let sum = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}))["StreamDescriptionSummary"]
        .clone();
    assert_eq!(sum["MaxRecordSizeInKiB"], 2048);
    // 1.5 MiB passes now; 2 MiB + 1 does not.
    use base64::Engine as _;
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![1u8; n]);
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": "k", "Data": b64(3 << 19)}),
    );
    let (status, kind, _) = s.err(
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": "k", "Data": b64((2 << 20) + 1)}),
    );
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    s.ok(
        "StopStreamEncryption",
        json!({"StreamName": "s", "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}),
    );
    let d = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(d["StreamDescriptionSummary"]["EncryptionType"], "NONE");
    assert!(d["StreamDescriptionSummary"].get("KeyId").is_none());
}

/// Tags and policies by ARN, for streams and consumers; limits; account settings.
#[test]
fn tags_policies_limits_and_account_settings_by_arn() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 3}));
    let stream = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    let consumer = s.ok(
        "RegisterStreamConsumer",
        json!({"StreamARN": stream, "ConsumerName": "app"}),
    )["Consumer"]["ConsumerARN"]
        .as_str()
        .unwrap()
        .to_string();
    for arn in [stream, consumer.as_str()] {
        s.ok(
            "TagResource",
            json!({"ResourceARN": arn, "Tags": {"team": "data", "env": "test"}}),
        );
        s.ok(
            "UntagResource",
            json!({"ResourceARN": arn, "TagKeys": ["env"]}),
        );
        let tags = s.ok("ListTagsForResource", json!({"ResourceARN": arn}));
        assert_eq!(
            tags["Tags"],
            json!([{"Key": "team", "Value": "data"}]),
            "{arn}"
        );
        let empty = s.ok("GetResourcePolicy", json!({"ResourceARN": arn}));
        assert_eq!(empty["Policy"], "{}");
        let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
        s.ok(
            "PutResourcePolicy",
            json!({"ResourceARN": arn, "Policy": policy}),
        );
        assert_eq!(
            s.ok("GetResourcePolicy", json!({"ResourceARN": arn}))["Policy"],
            policy
        );
        let (status, kind, _) = s.err(
            "PutResourcePolicy",
            json!({"ResourceARN": arn, "Policy": "not json"}),
        );
        assert_eq!((status, kind.as_str()), (400, "InvalidArgumentException"));
        s.ok("DeleteResourcePolicy", json!({"ResourceARN": arn}));
        assert_eq!(
            s.ok("GetResourcePolicy", json!({"ResourceARN": arn}))["Policy"],
            "{}"
        );
    }
    // The stream's tags are the ones ListTagsForStream shows.
    let by_stream = s.ok("ListTagsForStream", json!({"StreamName": "s"}));
    assert_eq!(by_stream["Tags"], json!([{"Key": "team", "Value": "data"}]));
    let (status, kind, _) = s.err(
        "ListTagsForResource",
        json!({"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/nope"}),
    );
    assert_eq!((status, kind.as_str()), (400, "ResourceNotFoundException"));
    let (status, kind, _) = s.err(
        "ListTagsForResource",
        json!({"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:table/t"}),
    );
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));

    let limits = s.ok("DescribeLimits", json!({}));
    assert_eq!(
        (
            limits["OpenShardCount"].as_u64(),
            limits["OnDemandStreamCount"].as_u64()
        ),
        (Some(3), Some(0))
    );
    assert!(limits["ShardLimit"].as_u64().unwrap() >= 3);

    assert_eq!(s.ok("DescribeAccountSettings", json!({})), json!({}));
    let on = s.ok(
        "UpdateAccountSettings",
        json!({"MinimumThroughputBillingCommitment": {"Status": "ENABLED"}}),
    );
    assert_eq!(
        on["MinimumThroughputBillingCommitment"]["Status"],
        "ENABLED"
    );
    let off = s.ok(
        "UpdateAccountSettings",
        json!({"MinimumThroughputBillingCommitment": {"Status": "DISABLED"}}),
    );
    assert_eq!(
        off["MinimumThroughputBillingCommitment"]["Status"],
        "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    );
    assert_eq!(s.ok("DescribeAccountSettings", json!({})), off);
}

/// Warm throughput and the record distribution strategy exist on on-demand streams only.
#[test]
fn warm_throughput_and_distribution_strategy_on_on_demand_streams() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "p", "ShardCount": 1}));
    s.ok(
        "CreateStream",
        json!({"StreamName": "od", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}),
    );
    let (status, kind, _) = s.err(
        "UpdateStreamWarmThroughput",
        json!({"StreamName": "p", "WarmThroughputMiBps": 10}),
    );
    assert_eq!((status, kind.as_str()), (400, "InvalidArgumentException"));
    let warm = s.ok(
        "UpdateStreamWarmThroughput",
        json!({"StreamName": "od", "WarmThroughputMiBps": 10}),
    );
    assert_eq!(warm["WarmThroughput"]["TargetMiBps"], 10);
    s.ok(
        "UpdateStreamRecordDistributionStrategy",
        json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/od", "RecordDistributionStrategy": "USER_PARTITION_KEY"}),
    );
    let sum = s.ok("DescribeStreamSummary", json!({"StreamName": "od"}))
        ["StreamDescriptionSummary"]
        .clone();
    assert_eq!(sum["WarmThroughput"]["TargetMiBps"], 10);
    assert_eq!(sum["RecordDistributionStrategy"], "USER_PARTITION_KEY");
    assert_eq!(s.ok("DescribeLimits", json!({}))["OnDemandStreamCount"], 1);

    // CreateStream and UpdateStreamMode take the warm throughput too; a stream switched to
    // provisioned drops both on-demand settings (found by the AWS SDK check).
    let summary = |name: &str| {
        s.ok("DescribeStreamSummary", json!({"StreamName": name}))["StreamDescriptionSummary"]
            .clone()
    };
    s.ok(
        "CreateStream",
        json!({"StreamName": "warm", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "WarmThroughputMiBps": 30}),
    );
    assert_eq!(summary("warm")["WarmThroughput"]["TargetMiBps"], 30);
    let p_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/p";
    s.ok(
        "UpdateStreamMode",
        json!({"StreamARN": p_arn, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "WarmThroughputMiBps": 20}),
    );
    assert_eq!(summary("p")["WarmThroughput"]["TargetMiBps"], 20);
    s.ok(
        "UpdateStreamRecordDistributionStrategy",
        json!({"StreamARN": p_arn, "RecordDistributionStrategy": "AUTO"}),
    );
    s.ok(
        "UpdateStreamMode",
        json!({"StreamARN": p_arn, "StreamModeDetails": {"StreamMode": "PROVISIONED"}}),
    );
    let back = summary("p");
    assert!(back.get("WarmThroughput").is_none(), "{back}");
    assert_ne!(
        back.get("RecordDistributionStrategy"),
        Some(&json!("AUTO")),
        "{back}"
    );
}

/// ListStreams answers at most 100 streams per call, whatever Limit asks, as AWS does.
#[test]
fn list_streams_pages_by_at_most_one_hundred() {
    let dir = tempfile::tempdir().unwrap();
    // Small segments: 101 streams of the default 64 MiB would reserve 6 GiB.
    let store_opts = shardlog::StoreOptions {
        segment_bytes: 64 << 10,
        ..shardlog::StoreOptions::default()
    };
    let s = TestServer::start_with(dir.path(), store_opts, ServerOptions::default());
    for i in 0..101 {
        s.ok(
            "CreateStream",
            json!({"StreamName": format!("s{i:03}"), "ShardCount": 1}),
        );
    }
    let first = s.ok("ListStreams", json!({"Limit": 1000}));
    assert_eq!(first["StreamNames"].as_array().unwrap().len(), 100);
    assert_eq!(first["HasMoreStreams"], true);
    let rest = s.ok(
        "ListStreams",
        json!({"Limit": 1000, "ExclusiveStartStreamName": "s099"}),
    );
    assert_eq!(rest["StreamNames"], json!(["s100"]));
    assert_eq!(rest["HasMoreStreams"], false);
}

/// Error bodies as AWS writes them: `Message` in a SerializationException, no text member for an
/// unknown operation or an unreadable body.
#[test]
fn error_bodies_have_aws_members() {
    let (_dir, s) = server();
    let json = "application/x-amz-json-1.1";
    let body = |target: &str, payload: &[u8]| {
        let (status, _, bytes) = s.raw(
            "POST",
            &[("X-Amz-Target", target), ("Content-Type", json)],
            payload,
        );
        (status, serde_json::from_slice::<Value>(&bytes).unwrap())
    };
    assert_eq!(
        body("Kinesis_20131202.Frobnicate", b"{}"),
        (400, json!({"__type": "UnknownOperationException"}))
    );
    assert_eq!(
        body("Kinesis_20131202.ListStreams", b"{not json"),
        (400, json!({"__type": "SerializationException"}))
    );
    assert_eq!(
        body("Kinesis_20131202.ListStreams", b""),
        (400, json!({"__type": "SerializationException"}))
    );
    assert_eq!(
        body(
            "Kinesis_20131202.CreateStream",
            br#"{"StreamName":"s","StreamModeDetails":"ON_DEMAND"}"#
        ),
        (
            400,
            json!({"__type": "SerializationException", "Message": "Expected null"})
        )
    );
}

/// ListStreamConsumers pages with a NextToken that belongs to its stream and expires after five
/// minutes, as AWS's does.
#[test]
fn consumer_next_tokens_page_and_expire() {
    use base64::Engine as _;
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    s.ok("CreateStream", json!({"StreamName": "t", "ShardCount": 1}));
    let arn = |name: &str| format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}");
    for c in ["a", "b", "c"] {
        s.ok(
            "RegisterStreamConsumer",
            json!({"StreamARN": arn("s"), "ConsumerName": c}),
        );
    }
    let first = s.ok(
        "ListStreamConsumers",
        json!({"StreamARN": arn("s"), "MaxResults": 2}),
    );
    let token = first["NextToken"].as_str().unwrap().to_string();
    let rest = s.ok(
        "ListStreamConsumers",
        json!({"StreamARN": arn("s"), "NextToken": token}),
    );
    let names: Vec<&str> = rest["Consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ConsumerName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c"]);
    let (_, kind, _) = s.err(
        "ListStreamConsumers",
        json!({"StreamARN": arn("t"), "NextToken": token}),
    );
    assert_eq!(
        kind, "InvalidArgumentException",
        "a token of another stream"
    );
    let old = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"s": "s", "k": 2, "i": 1_000}).to_string());
    let (status, kind, message) = s.err(
        "ListStreamConsumers",
        json!({"StreamARN": arn("s"), "NextToken": old}),
    );
    assert_eq!(
        (status, kind.as_str()),
        (400, "ExpiredNextTokenException"),
        "{message}"
    );
}

/// The events of one SubscribeToShard call (the server ends it after its lifetime).
fn subscribe(s: &TestServer, request: Value) -> Vec<(String, Value)> {
    let (status, _, body) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.SubscribeToShard"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        request.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let mut rest = &body[..];
    let mut events = Vec::new();
    while !rest.is_empty() {
        let (headers, payload, used) = shardlog_server::eventstream::decode(rest).unwrap();
        let kind = headers
            .iter()
            .find(|(name, _)| name == ":event-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        events.push((kind, serde_json::from_slice(payload).unwrap_or(Value::Null)));
        rest = &rest[used..];
    }
    events
}

/// A fan-out consumer that resubscribes AFTER_SEQUENCE_NUMBER the continuation of an empty shard
/// gets the shard's first record (before the fix the continuation was that record's number).
#[test]
fn resubscribing_after_an_empty_shards_continuation_delivers_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ServerOptions {
        subscription_lifetime: std::time::Duration::from_millis(600),
        ..ServerOptions::default()
    };
    let s = TestServer::start(dir.path(), opts);
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let consumer = |name: &str| {
        let c = s.ok(
            "RegisterStreamConsumer",
            json!({"StreamARN": arn, "ConsumerName": name}),
        );
        c["Consumer"]["ConsumerARN"].as_str().unwrap().to_string()
    };
    // Two consumers, so the second subscription is not within five seconds of the first.
    let (first, second) = (consumer("c1"), consumer("c2"));
    let events = subscribe(
        &s,
        json!({"ConsumerARN": first, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "TRIM_HORIZON"}}),
    );
    let (_, last) = events
        .iter()
        .rev()
        .find(|(kind, _)| kind == "SubscribeToShardEvent")
        .unwrap();
    assert_eq!(last["Records"], json!([]));
    let continuation = last["ContinuationSequenceNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let put = s.ok(
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": "k", "Data": "Zmlyc3Q="}),
    );
    let events = subscribe(
        &s,
        json!({"ConsumerARN": second, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": continuation}}),
    );
    let delivered: Vec<&Value> = events
        .iter()
        .filter(|(kind, _)| kind == "SubscribeToShardEvent")
        .flat_map(|(_, e)| e["Records"].as_array().unwrap().iter())
        .collect();
    assert_eq!(delivered.len(), 1, "{events:?}");
    assert_eq!(delivered[0]["SequenceNumber"], put["SequenceNumber"]);
}

/// An `AUTO` stream takes records without a partition key and answers them without one; any
/// other stream refuses them as Kinesis did when the key was required.
#[test]
fn auto_distribution_takes_and_returns_records_without_keys() {
    let (_dir, s) = server();
    s.ok(
        "CreateStream",
        json!({"StreamName": "auto", "ShardCount": 2, "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
               "RecordDistributionStrategy": "AUTO"}),
    );
    s.ok(
        "CreateStream",
        json!({"StreamName": "keyed", "ShardCount": 1}),
    );
    let (status, kind, message) =
        s.err("PutRecord", json!({"StreamName": "keyed", "Data": "AA=="}));
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    assert_eq!(message, "1 validation error detected: Value null at 'partitionKey' failed to satisfy constraint: Member must not be null");

    let put = s.ok("PutRecord", json!({"StreamName": "auto", "Data": "AA=="}));
    let out = s.ok(
        "PutRecords",
        json!({"StreamName": "auto", "Records": [{"Data": "AQ=="}, {"Data": "Ag==", "PartitionKey": "k"}, {"Data": "Aw=="}]}),
    );
    assert_eq!(out["FailedRecordCount"], 0);
    let mut shards_used: Vec<&str> = out["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ShardId"].as_str().unwrap())
        .chain([put["ShardId"].as_str().unwrap()])
        .collect();
    shards_used.sort_unstable();
    assert_eq!(
        shards_used,
        [
            "shardId-000000000000",
            "shardId-000000000000",
            "shardId-000000000001",
            "shardId-000000000001"
        ]
    );
    let mut keys = Vec::new();
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let it = s.ok(
            "GetShardIterator",
            json!({"StreamName": "auto", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        );
        let got = s.ok("GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
        for r in got["Records"].as_array().unwrap() {
            keys.push(r.get("PartitionKey").cloned());
        }
    }
    let with_key = keys.iter().filter(|k| k.is_some()).count();
    assert_eq!((keys.len(), with_key), (4, 1), "{keys:?}");
    let (status, kind, _) = s.err(
        "PutRecord",
        json!({"StreamName": "auto", "Data": "AA==", "SequenceNumberForOrdering": put["SequenceNumber"]}),
    );
    assert_eq!((status, kind.as_str()), (400, "InvalidArgumentException"));
}

/// ARNs name the configured account and the region the request was signed for (else the
/// configured one); messages name the account.
#[test]
fn arns_carry_the_account_and_the_requests_region() {
    let dir = tempfile::tempdir().unwrap();
    let store_opts = shardlog::StoreOptions {
        account_id: "123456789012".into(),
        region: "eu-central-1".into(),
        ..Default::default()
    };
    let s = TestServer::start_with(dir.path(), store_opts, ServerOptions::default());
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let arn = |v: &Value| v["StreamDescriptionSummary"]["StreamARN"].clone();
    let unsigned = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(
        arn(&unsigned),
        "arn:aws:kinesis:eu-central-1:123456789012:stream/s"
    );
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20261206/ap-south-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
    let (status, _, body) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.DescribeStreamSummary"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", auth),
        ],
        br#"{"StreamName":"s"}"#,
    );
    assert_eq!(status, 200);
    let signed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        arn(&signed),
        "arn:aws:kinesis:ap-south-1:123456789012:stream/s"
    );
    // An ARN from any region names the stream by its name.
    let consumer = s.ok(
        "RegisterStreamConsumer",
        json!({"StreamARN": "arn:aws:kinesis:us-west-2:123456789012:stream/s", "ConsumerName": "c"}),
    );
    let consumer_arn = consumer["Consumer"]["ConsumerARN"].as_str().unwrap();
    assert!(
        consumer_arn.starts_with("arn:aws:kinesis:eu-central-1:123456789012:stream/s/consumer/c:"),
        "{consumer_arn}"
    );
    let (status, kind, message) = s.err("DescribeStream", json!({"StreamName": "gone"}));
    assert_eq!((status, kind.as_str()), (400, "ResourceNotFoundException"));
    assert_eq!(message, "Stream gone under account 123456789012 not found.");
}

/// AWS's order: the body is parsed before the target is looked up.
#[test]
fn a_body_is_parsed_before_the_target_is_looked_up() {
    let (_dir, s) = server();
    let call = |target: &str, body: &[u8]| {
        let (status, _, bytes) = s.raw(
            "POST",
            &[
                ("X-Amz-Target", target),
                ("Content-Type", "application/x-amz-json-1.1"),
            ],
            body,
        );
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        (status, v["__type"].as_str().unwrap().to_string())
    };
    let unparsable = call("Kinesis_20131202.NoSuchThing", b"{");
    assert_eq!(unparsable, (400, "SerializationException".to_string()));
    let unknown = call("Kinesis_20131202.NoSuchThing", b"{}");
    assert_eq!(unknown, (400, "UnknownOperationException".to_string()));
}

/// Issue 16's report: a request signed an hour earlier was served. Now a signature is good for 15
/// minutes either side of the store's clock, and a large body is not read before the
/// `Authorization` header passed the checks that need no body.
#[test]
fn signatures_expire_and_large_bodies_wait_for_authorization() {
    let dir = tempfile::tempdir().unwrap();
    let now_ms = 1_796_558_400_000; // 2026-12-06T12:00:00Z
    let store_opts = shardlog::StoreOptions {
        clock: shardlog::Clock::manual(now_ms),
        ..Default::default()
    };
    let opts = ServerOptions {
        credentials: Some(shardlog_server::Credentials::new("AKID", "secret")),
        ..ServerOptions::default()
    };
    let s = TestServer::start_with(dir.path(), store_opts, opts);
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=1234";
    let (status, _, body) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.ListStreams"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Date", "20261206T110000Z"),
            ("Authorization", auth),
        ],
        b"{}",
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 400);
    assert_eq!(v["__type"], "InvalidSignatureException");
    assert_eq!(
        v["message"],
        "Signature expired: 20261206T110000Z is now earlier than 20261206T114500Z (20261206T120000Z - 15 min.)"
    );

    // 8 MiB announced, none sent: the answer comes without waiting for it.
    let mut conn = std::net::TcpStream::connect(s.addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\nContent-Type: application/x-amz-json-1.1\r\n\r\n",
        s.addr,
        8 << 20
    );
    std::io::Write::write_all(&mut conn, head.as_bytes()).unwrap();
    let (status, _, body) = common::read_response(&mut conn);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, v["__type"].as_str().unwrap()),
        (403, "MissingAuthenticationTokenException")
    );
}

/// A browser's requests (with `Origin`) get AWS's CORS answers: a preflight is allowed what it
/// asks, and every answer names `*` and exposes the request id and error headers.
#[test]
fn cors_as_aws_answers_it() {
    let (_dir, s) = server();
    let (status, headers, body) = s.raw(
        "OPTIONS",
        &[
            ("Origin", "https://example.com"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type,x-amz-target",
            ),
        ],
        b"",
    );
    let get = |headers: &[(String, String)], name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!((status, body.len()), (200, 0));
    assert_eq!(
        get(&headers, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(
        get(&headers, "access-control-allow-methods").as_deref(),
        Some("POST")
    );
    assert_eq!(
        get(&headers, "access-control-allow-headers").as_deref(),
        Some("content-type,x-amz-target")
    );
    assert_eq!(
        get(&headers, "access-control-max-age").as_deref(),
        Some("172800")
    );
    let (status, headers, _) = s.raw(
        "POST",
        &[
            ("Origin", "https://example.com"),
            ("X-Amz-Target", "Kinesis_20131202.ListStreams"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        b"{}",
    );
    assert_eq!(status, 200);
    assert_eq!(
        get(&headers, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert!(get(&headers, "access-control-expose-headers")
        .unwrap()
        .starts_with("x-amzn-RequestId,x-amzn-ErrorType"));
    // Without Origin, no CORS headers.
    let (_, headers, _) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.ListStreams"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        b"{}",
    );
    assert_eq!(get(&headers, "access-control-allow-origin"), None);
}
