//! Issue 20, queues on the wire: the 12 queue operations over JSON and CBOR against a server on an
//! ephemeral port, with the model's validation, AWS's errors, long polling and tags.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestServer;
use serde_json::{json, Value};
use shardlog_server::ServerOptions;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn server() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    (dir, s)
}

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// An on-demand stream `s`; its ARN.
fn on_demand(s: &TestServer) -> String {
    s.ok(
        "CreateStream",
        json!({"StreamName": "s", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}),
    );
    s.ok("DescribeStreamSummary", json!({"StreamName": "s"}))["StreamDescriptionSummary"]
        ["StreamARN"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A queue on `stream_arn` from its start, with these attributes; its ARN.
fn queue(s: &TestServer, name: &str, stream_arn: &str, attributes: Value) -> String {
    let out = s.ok(
        "CreateQueue",
        json!({
            "QueueName": name,
            "StreamConfigurationList": [{"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}],
            "QueueAttributes": attributes,
        }),
    );
    out["QueueDescription"]["QueueARN"]
        .as_str()
        .unwrap()
        .to_string()
}

fn put(s: &TestServer, data: &str) {
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(data.as_bytes()), "PartitionKey": data}),
    );
}

fn records(v: &Value) -> Vec<Value> {
    v["QueueRecords"].as_array().unwrap().clone()
}

fn handle(r: &Value) -> String {
    r["ReceiptHandle"].as_str().unwrap().to_string()
}

fn entries(handles: &[String]) -> Value {
    Value::Array(
        handles
            .iter()
            .map(|h| json!({ "ReceiptHandle": h }))
            .collect(),
    )
}

fn successful(v: &Value) -> Vec<String> {
    v["Successful"]
        .as_array()
        .unwrap()
        .iter()
        .map(handle)
        .collect()
}

#[test]
fn every_queue_operation_over_json() {
    let (_dir, s) = server();
    let stream_arn = on_demand(&s);
    let created = s.ok(
        "CreateQueue",
        json!({
            "QueueName": "billing",
            "StreamConfigurationList": [{"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}],
            "QueueAttributes": {"VisibilityTimeoutSeconds": 60, "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 2}},
            "Tags": {"team": "payments"},
        }),
    );
    let d = &created["QueueDescription"];
    let arn = d["QueueARN"].as_str().unwrap().to_string();
    assert!(
        arn.starts_with("arn:aws:kinesis:us-east-1:000000000000:queue/"),
        "{arn}"
    );
    assert_eq!(d["QueueName"], "billing");
    // Created before the call returns: ACTIVE at once (AWS passes through CREATING).
    assert_eq!(d["QueueStatus"], "ACTIVE");
    assert!(d["QueueCreationTimestamp"].as_f64().unwrap() > 1.7e9);
    assert_eq!(
        d["StreamConfigurationList"],
        json!([{"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}])
    );
    assert_eq!(
        d["QueueAttributes"],
        json!({"VisibilityTimeoutSeconds": 60, "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 2}})
    );

    let described = s.ok("DescribeQueue", json!({"QueueARN": arn}));
    assert_eq!(&described["QueueDescription"], d);
    let listed = s.ok("ListQueues", json!({}));
    let summary = &listed["QueueSummaries"][0];
    assert_eq!(
        (
            &summary["QueueName"],
            &summary["QueueARN"],
            &summary["QueueStatus"]
        ),
        (&json!("billing"), &json!(arn), &json!("ACTIVE"))
    );
    assert_eq!(summary["Streams"][0]["StreamARN"], json!(stream_arn));
    assert!(listed.get("NextToken").is_none());
    let filtered = s.ok(
        "ListQueues",
        json!({"StreamFilter": [{"StreamARN": stream_arn}]}),
    );
    assert_eq!(filtered["QueueSummaries"].as_array().unwrap().len(), 1);

    let updated = s.ok(
        "UpdateQueue",
        json!({"QueueARN": arn, "QueueAttributes": {"VisibilityTimeoutSeconds": 30}}),
    );
    assert_eq!(
        updated["QueueDescription"]["QueueAttributes"],
        json!({"VisibilityTimeoutSeconds": 30, "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 2}})
    );

    for d in ["a", "b", "c"] {
        put(&s, d);
    }
    let two = records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn, "Limit": 2})));
    assert_eq!(two.len(), 2);
    let rest = records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn})));
    assert_eq!(rest.len(), 1);
    let mut seen = BTreeSet::new();
    for r in two.iter().chain(&rest) {
        assert_eq!(r["ReceiveCount"], 1);
        assert!(r["RecordId"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
        assert!(r["FirstReceiveTimestamp"].as_f64().unwrap() > 1.7e9);
        assert!(r["ApproximateArrivalTimestamp"].as_f64().unwrap() > 1.7e9);
        // The key is the data in this test.
        assert_eq!(
            r["Data"],
            json!(b64(r["PartitionKey"].as_str().unwrap().as_bytes()))
        );
        seen.insert(r["PartitionKey"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, BTreeSet::from(["a".into(), "b".into(), "c".into()]));
    // Everything is in flight.
    assert!(records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn}))).is_empty());

    let acked: Vec<String> = two.iter().map(handle).collect();
    let ack = s.ok(
        "AcknowledgeQueueRecords",
        json!({"QueueARN": arn, "Entries": entries(&acked)}),
    );
    assert_eq!(successful(&ack), acked);
    assert_eq!(ack["Failed"], json!([]));
    // A second acknowledgement of the same delivery fails, entry by entry.
    let again = s.ok(
        "AcknowledgeQueueRecords",
        json!({"QueueARN": arn, "Entries": entries(&acked[..1])}),
    );
    assert!(successful(&again).is_empty());
    assert_eq!(again["Failed"][0]["ReceiptHandle"], json!(acked[0]));
    assert!(again["Failed"][0]["ErrorCode"]
        .as_str()
        .unwrap()
        .ends_with("Exception"));
    assert!(again["Failed"][0]["ErrorMessage"].is_string());

    // The third: visible again at once, received a second time, then a dead letter (MaxReceiveCount 2).
    let third = handle(&rest[0]);
    let visible = |h: &str, op: &str| {
        let out = s.ok(
            op,
            json!({"QueueARN": arn, "Entries": [{"ReceiptHandle": h, "VisibilityTimeoutSeconds": 0}]}),
        );
        assert_eq!(successful(&out), [h.to_string()], "{op}: {out}");
    };
    visible(&third, "UpdateQueueRecordsVisibility");
    let second = records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn})));
    assert_eq!(second[0]["ReceiveCount"], 2);
    visible(&handle(&second[0]), "UpdateQueueRecordsVisibility");
    assert!(records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn}))).is_empty());

    let dead = records(&s.ok("ReceiveDeadLetterQueueRecords", json!({"QueueARN": arn})));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["PartitionKey"], rest[0]["PartitionKey"]);
    visible(&handle(&dead[0]), "UpdateDeadLetterQueueRecordsVisibility");
    let dead = records(&s.ok(
        "ReceiveDeadLetterQueueRecords",
        json!({"QueueARN": arn, "Limit": 1}),
    ));
    let restored = s.ok(
        "RestoreDeadLetterQueueRecords",
        json!({"QueueARN": arn, "Entries": entries(&[handle(&dead[0])])}),
    );
    assert_eq!(successful(&restored), [handle(&dead[0])]);
    let back = records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn})));
    assert_eq!(back[0]["PartitionKey"], rest[0]["PartitionKey"]);
    assert_eq!(back[0]["ReceiveCount"], 1);

    // Dead again, then acknowledged among the dead letters.
    visible(&handle(&back[0]), "UpdateQueueRecordsVisibility");
    let once_more = records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn})));
    visible(&handle(&once_more[0]), "UpdateQueueRecordsVisibility");
    // The next receive finds it received MaxReceiveCount times and makes it a dead letter.
    assert!(records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn}))).is_empty());
    let dead = records(&s.ok("ReceiveDeadLetterQueueRecords", json!({"QueueARN": arn})));
    let done = s.ok(
        "AcknowledgeDeadLetterQueueRecords",
        json!({"QueueARN": arn, "Entries": entries(&[handle(&dead[0])])}),
    );
    assert_eq!(successful(&done), [handle(&dead[0])]);
    assert!(records(&s.ok("ReceiveDeadLetterQueueRecords", json!({"QueueARN": arn}))).is_empty());
    assert!(records(&s.ok("ReceiveQueueRecords", json!({"QueueARN": arn}))).is_empty());

    assert_eq!(
        s.call("DeleteQueue", json!({"QueueARN": arn})),
        (200, Value::Null)
    );
    let (status, kind, _) = s.err("DescribeQueue", json!({"QueueARN": arn}));
    assert_eq!((status, kind.as_str()), (400, "ResourceNotFoundException"));
    assert_eq!(
        s.err("ReceiveQueueRecords", json!({"QueueARN": arn})).1,
        "ResourceNotFoundException"
    );
    assert_eq!(s.ok("ListQueues", json!({}))["QueueSummaries"], json!([]));
}

#[test]
fn list_queues_pages() {
    let (_dir, s) = server();
    let stream_arn = on_demand(&s);
    for name in ["q1", "q2", "q3"] {
        queue(&s, name, &stream_arn, json!({}));
    }
    let first = s.ok("ListQueues", json!({"MaxResults": 2}));
    let names = |v: &Value| -> Vec<String> {
        v["QueueSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["QueueName"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&first), ["q1", "q2"]);
    let token = first["NextToken"].as_str().unwrap();
    let second = s.ok("ListQueues", json!({"NextToken": token}));
    assert_eq!(names(&second), ["q3"]);
    assert!(second.get("NextToken").is_none());
    assert_eq!(
        s.err("ListQueues", json!({"NextToken": "garbage"})).1,
        "InvalidArgumentException"
    );
}

#[test]
fn validation_errors_follow_the_model() {
    let (_dir, s) = server();
    let stream_arn = on_demand(&s);
    let arn = queue(&s, "q", &stream_arn, json!({}));
    let (status, kind, message) = s.err(
        "ReceiveQueueRecords",
        json!({"QueueARN": arn, "VisibilityTimeoutSeconds": 43_201}),
    );
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    assert_eq!(
        message,
        "1 validation error detected: Value '43201' at 'visibilityTimeoutSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"
    );
    let (_, kind, message) = s.err(
        "ReceiveQueueRecords",
        json!({"QueueARN": arn, "WaitTimeSeconds": 21, "Limit": 11}),
    );
    assert_eq!(kind, "ValidationException");
    assert!(
        message.starts_with("2 validation errors detected: "),
        "{message}"
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("h{i}")).collect();
    let (_, kind, message) = s.err(
        "AcknowledgeQueueRecords",
        json!({"QueueARN": arn, "Entries": entries(&eleven)}),
    );
    assert_eq!(kind, "ValidationException");
    assert!(
        message.contains("at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10"),
        "{message}"
    );
    let (_, kind, message) = s.err(
        "UpdateQueueRecordsVisibility",
        json!({"QueueARN": arn, "Entries": [{"ReceiptHandle": "h", "VisibilityTimeoutSeconds": -1}]}),
    );
    assert_eq!(kind, "ValidationException");
    assert!(message.contains("visibilityTimeoutSeconds"), "{message}");
    let (_, kind, _) = s.err(
        "CreateQueue",
        json!({"QueueName": "bad name", "StreamConfigurationList": [{"StreamARN": stream_arn}],
               "QueueAttributes": {"DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 0}}}),
    );
    assert_eq!(kind, "ValidationException");
    // A stream ARN where a queue ARN belongs.
    let (_, kind, message) = s.err("DescribeQueue", json!({"QueueARN": stream_arn}));
    assert_eq!(kind, "ValidationException");
    assert!(message.contains("queueARN"), "{message}");
    // Handles that are not handles fail entry by entry.
    let out = s.ok(
        "AcknowledgeQueueRecords",
        json!({"QueueARN": arn, "Entries": entries(&["forged".into()])}),
    );
    assert_eq!(out["Failed"][0]["ErrorCode"], "InvalidArgumentException");
    // BUILT_IN needs MaxReceiveCount; NONE takes none.
    let (_, kind, _) = s.err(
        "UpdateQueue",
        json!({"QueueARN": arn, "QueueAttributes": {"DeadLetterConfiguration": {"TargetType": "BUILT_IN"}}}),
    );
    assert_eq!(kind, "InvalidArgumentException");
    let (_, kind, _) = s.err(
        "CreateQueue",
        json!({"QueueName": "q2", "StreamConfigurationList": [{"StreamARN": stream_arn, "StartingPosition": {"Type": "AT_TIMESTAMP"}}]}),
    );
    assert_eq!(kind, "InvalidArgumentException");
    let (_, kind, _) = s.err(
        "CreateQueue",
        json!({"QueueName": "q", "StreamConfigurationList": [{"StreamARN": stream_arn}]}),
    );
    assert_eq!(kind, "ResourceInUseException");
    let missing = format!("{}nope", &arn[..arn.rfind('/').unwrap() + 1]);
    assert_eq!(
        s.err("DescribeQueue", json!({"QueueARN": missing})).1,
        "ResourceNotFoundException"
    );
}

#[test]
fn queues_are_refused_on_provisioned_streams() {
    let (_dir, s) = server();
    s.ok("CreateStream", json!({"StreamName": "p", "ShardCount": 1}));
    let arn = s.ok("DescribeStreamSummary", json!({"StreamName": "p"}))["StreamDescriptionSummary"]
        ["StreamARN"]
        .clone();
    let (status, kind, message) = s.err(
        "CreateQueue",
        json!({"QueueName": "q", "StreamConfigurationList": [{"StreamARN": arn}]}),
    );
    assert_eq!((status, kind.as_str()), (400, "InvalidArgumentException"));
    assert!(message.contains("on-demand"), "{message}");
    let stream_arn = arn.as_str().unwrap().replace("/p", "/absent");
    assert_eq!(
        s.err(
            "CreateQueue",
            json!({"QueueName": "q", "StreamConfigurationList": [{"StreamARN": stream_arn}]}),
        )
        .1,
        "ResourceNotFoundException"
    );
}

#[test]
fn a_long_poll_returns_as_soon_as_a_record_arrives() {
    let (_dir, s) = server();
    let stream_arn = on_demand(&s);
    let arn = queue(&s, "q", &stream_arn, json!({}));
    // Nothing to receive: the whole wait, then an empty answer.
    let started = Instant::now();
    assert!(records(&s.ok(
        "ReceiveQueueRecords",
        json!({"QueueARN": arn, "WaitTimeSeconds": 1})
    ))
    .is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );

    let s = std::sync::Arc::new(s);
    // Many waiting receives at once, and a record put while they wait: the puts are answered at
    // once (the waits hold no thread), and one receive gets the record long before its wait ends.
    let waiting: Vec<_> = (0..24)
        .map(|_| {
            let (s, arn) = (s.clone(), arn.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let got = records(&s.ok(
                    "ReceiveQueueRecords",
                    json!({"QueueARN": arn, "WaitTimeSeconds": 4}),
                ));
                (got, started.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let put_started = Instant::now();
    put(&s, "late");
    assert!(
        put_started.elapsed() < Duration::from_secs(1),
        "{:?}",
        put_started.elapsed()
    );
    let answers: Vec<_> = waiting.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<_> = answers.iter().filter(|(got, _)| !got.is_empty()).collect();
    assert_eq!(winners.len(), 1, "one receive gets the one record");
    assert_eq!(winners[0].0[0]["Data"], json!(b64(b"late")));
    assert!(winners[0].1 < Duration::from_secs(2), "{:?}", winners[0].1);
    for (got, took) in &answers {
        if got.is_empty() {
            assert!(*took >= Duration::from_millis(3_900), "{took:?}");
        }
    }
}

#[test]
fn receive_and_acknowledge_over_cbor() {
    use ciborium::value::Value as Cbor;
    let (_dir, s) = server();
    let stream_arn = on_demand(&s);
    let arn = queue(&s, "q", &stream_arn, json!({}));
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "Data": b64(&[0, 1, 2, 255]), "PartitionKey": "k"}),
    );
    let cbor = |op: &str, v: Cbor| s.cbor(op, v);
    let text = |t: &str| Cbor::Text(t.into());
    let field = common::cbor_field;
    let (status, out) = cbor(
        "ReceiveQueueRecords",
        Cbor::Map(vec![
            (text("QueueARN"), text(&arn)),
            (text("Limit"), Cbor::Integer(10.into())),
            (text("WaitTimeSeconds"), Cbor::Integer(1.into())),
        ]),
    );
    assert_eq!(status, 200);
    let record = field(&out, "QueueRecords").as_array().unwrap()[0].clone();
    assert_eq!(field(&record, "Data"), Cbor::Bytes(vec![0, 1, 2, 255]));
    assert_eq!(field(&record, "ReceiveCount"), Cbor::Integer(1.into()));
    let Cbor::Tag(1, ms) = field(&record, "FirstReceiveTimestamp") else {
        panic!("no tag 1")
    };
    assert!(i128::from(ms.as_integer().unwrap()) > 1_700_000_000_000);
    let h = field(&record, "ReceiptHandle");
    let (status, out) = cbor(
        "AcknowledgeQueueRecords",
        Cbor::Map(vec![
            (text("QueueARN"), text(&arn)),
            (
                text("Entries"),
                Cbor::Array(vec![Cbor::Map(vec![(text("ReceiptHandle"), h.clone())])]),
            ),
        ]),
    );
    assert_eq!(status, 200);
    let ok = field(&out, "Successful").as_array().unwrap()[0].clone();
    assert_eq!(field(&ok, "ReceiptHandle"), h);
    assert_eq!(field(&out, "Failed"), Cbor::Array(vec![]));
    let (_, out) = cbor(
        "ReceiveQueueRecords",
        Cbor::Map(vec![(text("QueueARN"), text(&arn))]),
    );
    assert_eq!(field(&out, "QueueRecords"), Cbor::Array(vec![]));
    let (status, e) = cbor(
        "ReceiveQueueRecords",
        Cbor::Map(vec![
            (text("QueueARN"), text(&arn)),
            (text("Limit"), Cbor::Integer(0.into())),
        ]),
    );
    assert_eq!(status, 400);
    assert_eq!(field(&e, "__type"), text("ValidationException"));
}

#[test]
fn tags_on_a_queue() {
    let (_dir, s) = server();
    let stream_arn = on_demand(&s);
    let created = s.ok(
        "CreateQueue",
        json!({"QueueName": "q", "StreamConfigurationList": [{"StreamARN": stream_arn}], "Tags": {"a": "1"}}),
    );
    let arn = created["QueueDescription"]["QueueARN"]
        .as_str()
        .unwrap()
        .to_string();
    let tags =
        |s: &TestServer| s.ok("ListTagsForResource", json!({"ResourceARN": arn}))["Tags"].clone();
    assert_eq!(tags(&s), json!([{"Key": "a", "Value": "1"}]));
    s.ok(
        "TagResource",
        json!({"ResourceARN": arn, "Tags": {"b": "2", "c": "3"}}),
    );
    assert_eq!(
        tags(&s),
        json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}])
    );
    s.ok(
        "UntagResource",
        json!({"ResourceARN": arn, "TagKeys": ["a", "c", "absent"]}),
    );
    assert_eq!(tags(&s), json!([{"Key": "b", "Value": "2"}]));
    // The stream's tags are its own.
    assert_eq!(
        s.ok("ListTagsForResource", json!({"ResourceARN": stream_arn}))["Tags"],
        json!([])
    );
    let too_many: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    assert_eq!(
        s.err("TagResource", json!({"ResourceARN": arn, "Tags": too_many}))
            .1,
        "InvalidArgumentException"
    );
    s.ok("DeleteQueue", json!({"QueueARN": arn}));
    assert_eq!(
        s.err("ListTagsForResource", json!({"ResourceARN": arn})).1,
        "ResourceNotFoundException"
    );
}

/// With `--state-delay-ms` a queue is `CREATING` in CreateQueue's answer and delivers nothing
/// until it is `ACTIVE`; an UpdateQueue meanwhile is `ResourceInUseException`; a deleted queue is
/// `DELETING` before it is gone.
#[test]
fn queue_states_follow_the_state_delay() {
    let dir = tempfile::tempdir().unwrap();
    let store_opts = shardlog::StoreOptions {
        state_delay: Duration::from_millis(300),
        ..shardlog::StoreOptions::default()
    };
    let s = TestServer::start_with(dir.path(), store_opts, ServerOptions::default());
    let stream = on_demand(&s);
    std::thread::sleep(Duration::from_millis(350));
    let created = s.ok(
        "CreateQueue",
        json!({"QueueName": "q", "StreamConfigurationList": [{"StreamARN": stream, "StartingPosition": {"Type": "TRIM_HORIZON"}}]}),
    );
    assert_eq!(created["QueueDescription"]["QueueStatus"], "CREATING");
    let arn = created["QueueDescription"]["QueueARN"]
        .as_str()
        .unwrap()
        .to_string();
    let describe = || {
        s.ok("DescribeQueue", json!({"QueueARN": arn}))["QueueDescription"]["QueueStatus"].clone()
    };
    assert_eq!(describe(), "CREATING");
    put(&s, "one");
    let got = s.ok("ReceiveQueueRecords", json!({"QueueARN": arn, "Limit": 10}));
    assert!(records(&got).is_empty(), "{got}");
    let (status, kind, _) = s.err(
        "UpdateQueue",
        json!({"QueueARN": arn, "QueueAttributes": {"VisibilityTimeoutSeconds": 60}}),
    );
    assert_eq!((status, kind.as_str()), (400, "ResourceInUseException"));
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(describe(), "ACTIVE");
    let got = s.ok("ReceiveQueueRecords", json!({"QueueARN": arn, "Limit": 10}));
    assert_eq!(records(&got).len(), 1);
    s.ok("DeleteQueue", json!({"QueueARN": arn}));
    assert_eq!(describe(), "DELETING");
    std::thread::sleep(Duration::from_millis(350));
    let (status, kind, _) = s.err("DescribeQueue", json!({"QueueARN": arn}));
    assert_eq!((status, kind.as_str()), (400, "ResourceNotFoundException"));
}
