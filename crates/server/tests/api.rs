//! The Kinesis API over real HTTP against a server on an ephemeral port.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestServer;
use serde_json::{json, Value};
use shardlog_server::ServerOptions;
use std::time::Duration;

fn server() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    (dir, s)
}

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn iterator(s: &TestServer, stream: &str, shard: &str, kind: &str, extra: Value) -> String {
    let mut req = json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": kind});
    for (k, v) in extra.as_object().unwrap() {
        req[k] = v.clone();
    }
    s.ok("GetShardIterator", req)["ShardIterator"]
        .as_str()
        .unwrap()
        .to_string()
}

fn data_of(records: &Value) -> Vec<String> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Data"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn put_and_get_through_every_iterator_type() {
    let (_dir, s) = server();
    assert_eq!(
        s.call("CreateStream", json!({"StreamName": "s", "ShardCount": 1})),
        (200, Value::Null)
    );
    let first = s.ok(
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(b"a"), "PartitionKey": "k"}),
    );
    let put = s.ok(
        "PutRecords",
        json!({"StreamName": "s", "Records": [
            {"Data": b64(b"b"), "PartitionKey": "k"},
            {"Data": b64(b"c"), "PartitionKey": "k", "ExplicitHashKey": "5"},
        ]}),
    );
    assert_eq!(put["FailedRecordCount"], 0);
    let shard = first["ShardId"].as_str().unwrap();
    let seq_a = first["SequenceNumber"].as_str().unwrap();
    let seq_b = put["Records"][0]["SequenceNumber"].as_str().unwrap();
    // 56 digits each, as AWS writes them: text order is number order.
    assert!(seq_a.len() == 56 && seq_b.len() == 56 && seq_b > seq_a);

    let all = [b64(b"a"), b64(b"b"), b64(b"c")];
    let get = |it: String| s.ok("GetRecords", json!({"ShardIterator": it}));
    let th = get(iterator(&s, "s", shard, "TRIM_HORIZON", json!({})));
    assert_eq!(data_of(&th["Records"]), all);
    assert_eq!(th["MillisBehindLatest"], 0);
    let at = get(iterator(
        &s,
        "s",
        shard,
        "AT_SEQUENCE_NUMBER",
        json!({"StartingSequenceNumber": seq_b}),
    ));
    assert_eq!(data_of(&at["Records"]), all[1..]);
    let after = get(iterator(
        &s,
        "s",
        shard,
        "AFTER_SEQUENCE_NUMBER",
        json!({"StartingSequenceNumber": seq_b}),
    ));
    assert_eq!(data_of(&after["Records"]), all[2..]);
    let ts = th["Records"][0]["ApproximateArrivalTimestamp"]
        .as_f64()
        .unwrap();
    let by_time = get(iterator(
        &s,
        "s",
        shard,
        "AT_TIMESTAMP",
        json!({"Timestamp": ts - 1.0}),
    ));
    assert_eq!(data_of(&by_time["Records"]), all);
    let latest = get(iterator(&s, "s", shard, "LATEST", json!({})));
    assert!(latest["Records"].as_array().unwrap().is_empty());
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(b"d"), "PartitionKey": "k"}),
    );
    let next = latest["NextShardIterator"].as_str().unwrap().to_string();
    assert_eq!(data_of(&get(next)["Records"]), [b64(b"d")]);
    // Limit is honoured.
    let it = iterator(&s, "s", shard, "TRIM_HORIZON", json!({}));
    let one = s.ok("GetRecords", json!({"ShardIterator": it, "Limit": 1}));
    assert_eq!(data_of(&one["Records"]), [b64(b"a")]);
}

#[test]
fn errors_have_aws_types_messages_and_statuses() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    assert_eq!(
        s.err("DescribeStream", json!({"StreamName": "nope"})),
        (
            400,
            "ResourceNotFoundException".into(),
            "Stream nope under account 000000000000 not found.".into()
        )
    );
    assert_eq!(
        s.err("CreateStream", json!({"StreamName": "s", "ShardCount": 1})),
        (
            400,
            "ResourceInUseException".into(),
            "Stream s under account 000000000000 already exists.".into()
        )
    );
    assert_eq!(
        s.err("CreateStream", json!({"StreamName": "a/b", "ShardCount": 0})),
        (
            400,
            "ValidationException".into(),
            "2 validation errors detected: Value 'a/b' at 'streamName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '0' at 'shardCount' \
             failed to satisfy constraint: Member must have value greater than or equal to 1"
                .into()
        )
    );
    assert_eq!(
        s.err("GetShardIterator", json!({"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_SEQUENCE_NUMBER"})).2,
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."
    );
    assert_eq!(
        s.err("GetShardIterator", json!({"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "SOMETIMES"})).2,
        "1 validation error detected: Value 'SOMETIMES' at 'shardIteratorType' failed to satisfy constraint: \
         Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
    );
    assert_eq!(
        s.err("GetRecords", json!({"ShardIterator": "garbage"})).1,
        "InvalidArgumentException"
    );
    assert_eq!(
        s.err(
            "PutRecord",
            json!({"StreamName": "s", "Data": "not base64!", "PartitionKey": "k"})
        )
        .1,
        "SerializationException"
    );
    assert_eq!(
        s.err("PutRecord", json!({"StreamName": 7})).1,
        "SerializationException"
    );
    assert_eq!(
        s.err("ListShards", json!({})).2,
        "Either NextToken or StreamName should be provided."
    );
    // A large record: the model allows it, the stream's 1 MiB record limit does not.
    let big = b64(&vec![0u8; (1 << 20) + 1]);
    let (_, kind, msg) = s.err(
        "PutRecord",
        json!({"StreamName": "s", "Data": big, "PartitionKey": "k"}),
    );
    assert_eq!(kind, "ValidationException");
    assert!(
        msg.contains("lim=1048577") && msg.contains("less than or equal to 1048576"),
        "{msg}"
    );
    // Protocol errors.
    let (status, _, body) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.Nope"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        b"{}",
    );
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["__type"],
        "UnknownOperationException"
    );
    let (status, _, body) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.ListStreams"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        b"{nope",
    );
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["__type"],
        "SerializationException"
    );
    assert_eq!(s.get("/").0, 403);
    // Nothing above touched the stream.
    let it = iterator(&s, "s", "shardId-000000000000", "TRIM_HORIZON", json!({}));
    assert!(s.ok("GetRecords", json!({"ShardIterator": it}))["Records"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn oversized_body_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ServerOptions {
        max_body_bytes: 1024,
        ..ServerOptions::default()
    };
    let s = TestServer::start(dir.path(), opts);
    // Declares 1 GiB and sends none of it: the answer comes without waiting for the body.
    use std::io::Write;
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1073741824\r\n\r\n";
    c.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 512];
    let n = std::io::Read::read(&mut c, &mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    // A body over the limit that is actually sent is refused as well.
    let big = format!("{{\"Limit\": 5, \"x\": \"{}\"}}", "a".repeat(4096));
    let (status, _, _) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.ListStreams"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        big.as_bytes(),
    );
    assert_eq!(status, 413);
}

#[test]
fn split_merge_child_shards_and_shard_filters() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 2}));
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": "0"}),
    );
    let split_at = (1u128 << 126).to_string();
    s.ok("SplitShard", json!({"StreamName": "s", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": split_at}));
    // The parent's reader gets its record, then ChildShards and no next iterator.
    let mut it = iterator(&s, "s", "shardId-000000000000", "TRIM_HORIZON", json!({}));
    let mut seen = Vec::new();
    let children = loop {
        let out = s.ok("GetRecords", json!({"ShardIterator": it}));
        seen.extend(data_of(&out["Records"]));
        match out["NextShardIterator"].as_str() {
            Some(next) => it = next.to_string(),
            None => break out["ChildShards"].clone(),
        }
    };
    assert_eq!(seen, [b64(b"x")]);
    let ids: Vec<&str> = children
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ShardId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["shardId-000000000002", "shardId-000000000003"]);
    assert_eq!(children[0]["ParentShards"], json!(["shardId-000000000000"]));

    s.ok("MergeShards", json!({"StreamName": "s", "ShardToMerge": "shardId-000000000002", "AdjacentShardToMerge": "shardId-000000000003"}));
    let list = |filter: Value| -> Vec<String> {
        let out = s.ok(
            "ListShards",
            json!({"StreamName": "s", "ShardFilter": filter}),
        );
        out["Shards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["ShardId"].as_str().unwrap().to_string())
            .collect()
    };
    let id = |n: u32| format!("shardId-{n:012}");
    assert_eq!(
        list(json!({"Type": "FROM_TRIM_HORIZON"})),
        (0..5).map(id).collect::<Vec<_>>()
    );
    assert_eq!(list(json!({"Type": "AT_LATEST"})), [id(1), id(4)]);
    assert_eq!(list(json!({"Type": "AT_TRIM_HORIZON"})), [id(0), id(1)]);
    assert_eq!(
        list(json!({"Type": "AFTER_SHARD_ID", "ShardId": id(2)})),
        [id(3), id(4)]
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert_eq!(
        list(json!({"Type": "AT_TIMESTAMP", "Timestamp": now + 1.0})),
        [id(1), id(4)]
    );
    assert_eq!(
        list(json!({"Type": "FROM_TIMESTAMP", "Timestamp": 0})),
        (0..5).map(id).collect::<Vec<_>>()
    );
    assert_eq!(
        s.err(
            "ListShards",
            json!({"StreamName": "s", "ShardFilter": {"Type": "AT_TIMESTAMP"}})
        )
        .1,
        "InvalidArgumentException"
    );

    // Paging: two at a time, the filter carried in the token.
    let mut got = Vec::new();
    let mut req = json!({"StreamName": "s", "MaxResults": 2});
    loop {
        let out = s.ok("ListShards", req);
        got.extend(
            out["Shards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["ShardId"].as_str().unwrap().to_string()),
        );
        match out["NextToken"].as_str() {
            Some(t) => req = json!({"NextToken": t, "MaxResults": 2}),
            None => break,
        }
    }
    assert_eq!(got, (0..5).map(id).collect::<Vec<_>>());
    assert_eq!(
        s.err("ListShards", json!({"StreamName": "s", "NextToken": "abc"}))
            .2,
        "NextToken and StreamName cannot be provided together."
    );

    let scaled = s.ok(
        "UpdateShardCount",
        json!({"StreamName": "s", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"}),
    );
    assert_eq!(
        (
            scaled["CurrentShardCount"].as_u64(),
            scaled["TargetShardCount"].as_u64()
        ),
        (Some(2), Some(4))
    );
    let summary = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(summary["StreamDescriptionSummary"]["OpenShardCount"], 4);
}

#[test]
fn retention_tags_mode_and_arns() {
    let (_dir, s) = server();
    s.ok(
        "CreateStream",
        json!({"StreamName": "s", "ShardCount": 1, "Tags": {"team": "a"}}),
    );
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    s.ok(
        "IncreaseStreamRetentionPeriod",
        json!({"StreamARN": arn, "RetentionPeriodHours": 48}),
    );
    assert_eq!(
        s.err("DecreaseStreamRetentionPeriod", json!({"StreamName": "s", "RetentionPeriodHours": 23})).2,
        "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short."
    );
    s.ok(
        "DecreaseStreamRetentionPeriod",
        json!({"StreamName": "s", "RetentionPeriodHours": 36}),
    );
    let d = s.ok("DescribeStream", json!({"StreamARN": arn}));
    assert_eq!(d["StreamDescription"]["RetentionPeriodHours"], 36);
    assert_eq!(d["StreamDescription"]["StreamARN"], arn);

    s.ok(
        "AddTagsToStream",
        json!({"StreamName": "s", "Tags": {"env": "dev", "team": "b"}}),
    );
    s.ok(
        "RemoveTagsFromStream",
        json!({"StreamName": "s", "TagKeys": ["env", "absent"]}),
    );
    let tags = s.ok("ListTagsForStream", json!({"StreamName": "s"}));
    assert_eq!(
        tags,
        json!({"Tags": [{"Key": "team", "Value": "b"}], "HasMoreTags": false})
    );
    assert_eq!(
        s.err("AddTagsToStream", json!({"StreamName": "s", "Tags": {"bad\u{0}key": "v"}})).2,
        "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @."
    );

    s.ok(
        "UpdateStreamMode",
        json!({"StreamARN": arn, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}),
    );
    let summary = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(
        summary["StreamDescriptionSummary"]["StreamModeDetails"]["StreamMode"],
        "ON_DEMAND"
    );
    assert_eq!(
        s.err(
            "SplitShard",
            json!({"StreamName": "s", "ShardToSplit": "0", "NewStartingHashKey": "100"})
        )
        .1,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "DescribeStream",
            json!({"StreamName": "t", "StreamARN": arn})
        )
        .1,
        "InvalidArgumentException"
    );
    let listed = s.ok("ListStreams", json!({}));
    assert_eq!(listed["StreamNames"], json!(["s"]));
    assert_eq!(listed["StreamSummaries"][0]["StreamARN"], arn);
    s.ok("DeleteStream", json!({"StreamARN": arn}));
    assert_eq!(s.ok("ListStreams", json!({}))["StreamNames"], json!([]));
}

#[test]
fn consumers_survive_a_restart_and_subscriptions_stream_events() {
    let dir = tempfile::tempdir().unwrap();
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    let consumer_arn = {
        let s = TestServer::start(dir.path(), ServerOptions::default());
        s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
        let c = s.ok(
            "RegisterStreamConsumer",
            json!({"StreamARN": arn, "ConsumerName": "c1"}),
        );
        assert_eq!(
            s.err(
                "RegisterStreamConsumer",
                json!({"StreamARN": arn, "ConsumerName": "c1"})
            )
            .1,
            "ResourceInUseException"
        );
        s.ok(
            "PutRecord",
            json!({"StreamName": "s", "Data": b64(b"hello"), "PartitionKey": "k"}),
        );
        s.stop();
        c["Consumer"]["ConsumerARN"].as_str().unwrap().to_string()
    };
    let opts = ServerOptions {
        subscription_lifetime: Duration::from_secs(1),
        ..ServerOptions::default()
    };
    let s = TestServer::start(dir.path(), opts);
    let listed = s.ok("ListStreamConsumers", json!({"StreamARN": arn}));
    assert_eq!(listed["Consumers"][0]["ConsumerARN"], consumer_arn.as_str());
    let described = s.ok(
        "DescribeStreamConsumer",
        json!({"ConsumerARN": consumer_arn}),
    );
    assert_eq!(described["ConsumerDescription"]["StreamARN"], arn);
    assert_eq!(
        s.err("DeleteStream", json!({"StreamName": "s"})).1,
        "ResourceInUseException",
        "a stream with consumers needs EnforceConsumerDeletion"
    );

    let req = json!({"ConsumerARN": consumer_arn, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "TRIM_HORIZON"}});
    let (status, headers, body) = s.raw(
        "POST",
        &[
            ("X-Amz-Target", "Kinesis_20131202.SubscribeToShard"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        req.to_string().as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(headers.contains(&(
        "content-type".into(),
        "application/vnd.amazon.eventstream".into()
    )));
    let mut rest = &body[..];
    let mut events = Vec::new();
    while !rest.is_empty() {
        let (h, payload, used) = shardlog_server::eventstream::decode(rest).unwrap();
        events.push((
            h[1].1.clone(),
            serde_json::from_slice::<Value>(payload).unwrap(),
        ));
        rest = &rest[used..];
    }
    assert_eq!(events[0].0, "initial-response");
    assert_eq!(events[1].0, "SubscribeToShardEvent");
    assert_eq!(data_of(&events[1].1["Records"]), [b64(b"hello")]);
    assert!(events[1].1["ContinuationSequenceNumber"].is_string());

    s.ok(
        "DeregisterStreamConsumer",
        json!({"StreamARN": arn, "ConsumerName": "c1"}),
    );
    assert_eq!(
        s.err("SubscribeToShard", req).1,
        "ResourceNotFoundException"
    );
    s.ok("DeleteStream", json!({"StreamName": "s"}));
}

#[test]
fn cbor_requests_and_responses() {
    use ciborium::value::Value as Cbor;
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let cbor = |op: &str, v: Cbor| s.cbor(op, v);
    let text = |t: &str| Cbor::Text(t.into());
    let field = common::cbor_field;
    let (status, _) = cbor(
        "PutRecord",
        Cbor::Map(vec![
            (text("StreamName"), text("s")),
            (text("Data"), Cbor::Bytes(vec![0, 1, 2, 255])),
            (text("PartitionKey"), text("k")),
        ]),
    );
    assert_eq!(status, 200);
    let (_, it) = cbor(
        "GetShardIterator",
        Cbor::Map(vec![
            (text("StreamName"), text("s")),
            (text("ShardId"), text("shardId-000000000000")),
            (text("ShardIteratorType"), text("AT_TIMESTAMP")),
            // Epoch milliseconds inside tag 1, as the Java SDK sends them.
            (
                text("Timestamp"),
                Cbor::Tag(1, Box::new(Cbor::Integer(1_000_000_000_000i64.into()))),
            ),
        ]),
    );
    let (_, out) = cbor(
        "GetRecords",
        Cbor::Map(vec![(text("ShardIterator"), field(&it, "ShardIterator"))]),
    );
    let record = field(&out, "Records").as_array().unwrap()[0].clone();
    assert_eq!(field(&record, "Data"), Cbor::Bytes(vec![0, 1, 2, 255]));
    let Cbor::Tag(1, ms) = field(&record, "ApproximateArrivalTimestamp") else {
        panic!("no tag 1")
    };
    let ms = i128::from(ms.as_integer().unwrap());
    assert!(ms > 1_700_000_000_000, "{ms} should be epoch milliseconds");
    let (status, e) = cbor(
        "DescribeStream",
        Cbor::Map(vec![(text("StreamName"), text("nope"))]),
    );
    assert_eq!(status, 400);
    assert_eq!(field(&e, "__type"), text("ResourceNotFoundException"));
}

#[test]
fn metrics_report_shards_latency_and_errors() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(b"12345"), "PartitionKey": "k"}),
    );
    s.err("DescribeStream", json!({"StreamName": "nope"}));
    let (status, text) = s.get("/metrics");
    assert_eq!(status, 200);
    for line in [
        "shardlog_shard_incoming_records_total{stream=\"s\",shard=\"shardId-000000000000\"} 1",
        "shardlog_shard_incoming_bytes_total{stream=\"s\",shard=\"shardId-000000000000\"} 6",
        "shardlog_request_duration_seconds_count{operation=\"PutRecord\"} 1",
        "shardlog_request_errors_total{operation=\"DescribeStream\",type=\"ResourceNotFoundException\"} 1",
        "shardlog_shard_write_throttled_records_total{stream=\"s\",shard=\"shardId-000000000000\"} 0",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}

/// The value of the sample `series` (name and labels) in a scrape, if it is there.
fn sample(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_have_cloudwatch_series_per_stream_and_per_shard_with_enhanced_monitoring() {
    let (_dir, s) = server();
    s.ok(
        "CreateStream",
        json!({"StreamName": "plain", "ShardCount": 2}),
    );
    s.ok(
        "CreateStream",
        json!({"StreamName": "watched", "ShardCount": 2}),
    );
    s.ok(
        "EnableEnhancedMonitoring",
        json!({"StreamName": "watched", "ShardLevelMetrics": ["ALL"]}),
    );
    for (stream, n) in [("plain", 5), ("watched", 7)] {
        let records: Vec<Value> = (0..n)
            .map(|i| json!({"Data": b64(b"abc"), "PartitionKey": format!("key-{i}")}))
            .collect();
        let out = s.ok(
            "PutRecords",
            json!({"StreamName": stream, "Records": records}),
        );
        assert_eq!(out["FailedRecordCount"], 0);
    }
    let it = s.ok(
        "GetShardIterator",
        json!({"StreamName": "watched", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
    );
    let got = s.ok("GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
    let read = got["Records"].as_array().unwrap().len() as u64;
    let (status, text) = s.get("/metrics");
    assert_eq!(status, 200);
    // Per stream: what was put, each record's bytes (data and partition key), what was read.
    let stream =
        |name: &str, stream: &str| sample(&text, &format!("{name}{{stream=\"{stream}\"}}"));
    assert_eq!(
        stream("kinesis_incoming_records_total", "plain"),
        Some(5),
        "{text}"
    );
    assert_eq!(stream("kinesis_incoming_records_total", "watched"), Some(7));
    assert_eq!(
        stream("kinesis_incoming_bytes_total", "plain"),
        Some(5 * (3 + 5))
    );
    assert_eq!(
        stream("kinesis_get_records_records_total", "watched"),
        Some(read)
    );
    assert_eq!(
        stream("kinesis_get_records_records_total", "plain"),
        Some(0)
    );
    assert_eq!(
        stream(
            "kinesis_write_provisioned_throughput_exceeded_total",
            "plain"
        ),
        Some(0)
    );
    assert!(stream("kinesis_get_records_iterator_age_milliseconds", "watched").is_some());
    // Per shard: only for the stream with enhanced monitoring, adding up to the stream's value.
    let shards = ["shardId-000000000000", "shardId-000000000001"];
    let per_shard = |name: &str, stream: &str| -> Vec<Option<u64>> {
        shards
            .iter()
            .map(|shard| {
                sample(
                    &text,
                    &format!("{name}{{stream=\"{stream}\",shard=\"{shard}\"}}"),
                )
            })
            .collect()
    };
    let watched = per_shard("kinesis_incoming_records_total", "watched");
    assert_eq!(watched.iter().map(|v| v.unwrap()).sum::<u64>(), 7, "{text}");
    let outgoing = per_shard("kinesis_outgoing_records_total", "watched");
    assert_eq!(outgoing[0], Some(read));
    assert!(per_shard("kinesis_iterator_age_milliseconds", "watched")[0].is_some());
    assert_eq!(
        per_shard("kinesis_incoming_records_total", "plain"),
        [None, None]
    );
    // Only the engine's own shardlog_shard_* series name the unmonitored stream's shards.
    assert!(text
        .lines()
        .filter(|l| l.contains("stream=\"plain\",shard="))
        .all(|l| l.starts_with("shardlog_shard_")));
    // Turning monitoring off removes the shard series at the next scrape.
    s.ok(
        "DisableEnhancedMonitoring",
        json!({"StreamName": "watched", "ShardLevelMetrics": ["ALL"]}),
    );
    let (_, text) = s.get("/metrics");
    assert!(
        !text.contains("kinesis_incoming_records_total{stream=\"watched\",shard="),
        "{text}"
    );
    assert!(text.contains("kinesis_incoming_records_total{stream=\"watched\"} 7\n"));
}

#[test]
fn sigv4_when_configured_refuses_bad_signatures_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let creds = shardlog_server::Credentials::new("AKIDLOCAL", "secret");
    let s = TestServer::start(
        dir.path(),
        ServerOptions {
            credentials: Some(creds),
            ..ServerOptions::default()
        },
    );
    let (status, kind, _) = s.err("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    assert_eq!(
        (status, kind.as_str()),
        (403, "MissingAuthenticationTokenException")
    );
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00000000000000000000000000000000000000000000000000000000deadbeef";
    let headers = [
        ("X-Amz-Target", "Kinesis_20131202.CreateStream"),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Date", "20260101T000000Z"),
        ("Authorization", auth),
    ];
    let (status, _, body) = s.raw("POST", &headers, br#"{"StreamName":"s","ShardCount":1}"#);
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["__type"],
        "InvalidSignatureException"
    );
    let other = auth.replace("AKIDLOCAL", "AKIDOTHER");
    let (_, _, body) = s.raw(
        "POST",
        &[
            headers[0],
            headers[1],
            headers[2],
            ("Authorization", &other),
        ],
        b"{}",
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["__type"],
        "UnrecognizedClientException"
    );
    s.stop();
    let store = shardlog::Store::open(dir.path(), shardlog::StoreOptions::default()).unwrap();
    assert!(
        store.list_streams().is_empty(),
        "a refused request created a stream"
    );
}

#[test]
fn shutdown_finishes_in_flight_requests_and_releases_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 4}));
    let addr = s.addr;
    // Writers keep putting while the server shuts down; every acknowledged record must be there.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0..10_000 {
                    let body = json!({"StreamName": "s", "Data": b64(format!("{w}-{i}").as_bytes()), "PartitionKey": format!("{w}")});
                    let Ok(mut c) = std::net::TcpStream::connect(addr) else { break };
                    let body = body.to_string();
                    let req = format!("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                    if std::io::Write::write_all(&mut c, req.as_bytes()).is_err() {
                        break;
                    }
                    let mut out = Vec::new();
                    if std::io::Read::read_to_end(&mut c, &mut out).is_err() || !out.starts_with(b"HTTP/1.1 200") {
                        break;
                    }
                    acked.push(format!("{w}-{i}"));
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    s.stop();
    let acked: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(!acked.is_empty());
    // The lock is released: the store opens, and holds every acknowledged record.
    let store = shardlog::Store::open(dir.path(), shardlog::StoreOptions::default()).unwrap();
    let mut stored = Vec::new();
    for shard in store.describe_stream("s").unwrap().shards {
        let it = store
            .get_shard_iterator("s", shard.shard_id, shardlog::StartingPosition::TrimHorizon)
            .unwrap();
        let out = store.get_records(&it, 10_000).unwrap();
        stored.extend(
            out.records
                .into_iter()
                .map(|r| String::from_utf8(r.data.to_vec()).unwrap()),
        );
    }
    for a in &acked {
        assert!(stored.contains(a), "acknowledged {a} was lost");
    }
}

#[test]
fn a_second_subscription_within_five_seconds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ServerOptions {
        subscription_lifetime: Duration::from_secs(2),
        ..ServerOptions::default()
    };
    let s = std::sync::Arc::new(TestServer::start(dir.path(), opts));
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let c = s.ok(
        "RegisterStreamConsumer",
        json!({"StreamARN": arn, "ConsumerName": "c"}),
    );
    let req = json!({
        "ConsumerARN": c["Consumer"]["ConsumerARN"],
        "ShardId": "shardId-000000000000",
        "StartingPosition": {"Type": "LATEST"},
    });
    let first = {
        let (s, req) = (s.clone(), req.clone());
        let headers = [
            ("X-Amz-Target", "Kinesis_20131202.SubscribeToShard"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ];
        std::thread::spawn(move || s.raw("POST", &headers, req.to_string().as_bytes()).0)
    };
    std::thread::sleep(Duration::from_millis(500));
    let (status, kind, _) = s.err("SubscribeToShard", req);
    assert_eq!((status, kind.as_str()), (400, "ResourceInUseException"));
    assert_eq!(first.join().unwrap(), 200);
    // Counted as CloudWatch's SubscribeToShard.RateExceeded.
    let (_, text) = s.get("/metrics");
    assert!(
        text.contains(
            "kinesis_subscribe_to_shard_rate_exceeded_total{stream=\"s\",consumer=\"c\"} 1\n"
        ),
        "{text}"
    );
}

/// Issue 13.7: a PutRecord that fails on the disk is AWS's server-side fault, HTTP 500
/// `InternalFailure`; before the fix it answered 400 `InvalidArgumentException`.
#[test]
fn a_put_that_fails_on_the_disk_answers_500_internal_failure() {
    use shardlog_storage::{Fault, SimDisk};
    let disk = SimDisk::new(3);
    let opts = shardlog::StoreOptions {
        retention_interval: None,
        ..shardlog::StoreOptions::default()
    };
    let store =
        shardlog::Store::open_with_storage(std::sync::Arc::new(disk.clone()), opts).unwrap();
    store.create_stream("s", 1).unwrap();
    disk.set_fault(Fault::Error {
        at_op: disk.ops(),
        forever: true,
    });
    let body = br#"{"StreamName":"s","PartitionKey":"k","Data":"eA=="}"#;
    let err = shardlog_server::answer(&store, "PutRecord", "application/x-amz-json-1.1", body)
        .unwrap_err();
    assert_eq!((err.kind, err.status), ("InternalFailure", 500), "{err:?}");
}
