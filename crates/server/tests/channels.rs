//! Issue 21, channels on the wire: the five channel operations over JSON and CBOR against a server
//! on an ephemeral port, with the model's validation, AWS's errors, tags, and delivery read back
//! from the bucket directory.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestServer;
use serde_json::{json, Value};
use shardlog::StoreOptions;
use shardlog_server::ServerOptions;
use std::io::Read as _;
use std::time::{Duration, Instant};

fn server() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let store_opts = StoreOptions {
        channel_interval: Some(Duration::from_millis(20)),
        channel_freshness: Some(Duration::from_millis(100)),
        ..StoreOptions::default()
    };
    let s = TestServer::start_with(dir.path(), store_opts, ServerOptions::default());
    (dir, s)
}

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// An on-demand stream; its ARN.
fn on_demand(s: &TestServer, name: &str) -> String {
    s.ok(
        "CreateStream",
        json!({"StreamName": name, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}),
    );
    s.ok("DescribeStreamSummary", json!({"StreamName": name}))["StreamDescriptionSummary"]
        ["StreamARN"]
        .as_str()
        .unwrap()
        .to_string()
}

fn create_body(name: &str, stream_arn: &str, format: &str, compression: &str) -> Value {
    json!({
        "ChannelName": name,
        "ServiceExecutionRoleARN": "arn:aws:iam::000000000000:role/delivery",
        "StreamConfigurationList": [{"StreamARN": stream_arn, "RecordConfiguration": {"RecordFormatType": format}}],
        "S3DestinationConfiguration": {
            "StorageConfiguration": {
                "BucketARN": "arn:aws:s3:::lake",
                "ExpectedBucketOwner": "000000000000",
                "CompressionType": compression,
            },
        },
        "Tags": {"team": "data"},
    })
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn create_describe_list_update_tag_and_delete() {
    let (_dir, s) = server();
    let arn = on_demand(&s, "s");
    let out = s.ok("CreateChannel", create_body("c", &arn, "JSON", "GZIP"));
    let d = &out["ChannelDescription"];
    let channel = d["ChannelARN"].as_str().unwrap().to_string();
    assert!(channel.starts_with("arn:aws:kinesis:us-east-1:000000000000:channel/"));
    assert_eq!(d["ChannelStatus"], "ACTIVE");
    assert_eq!(d["StreamConfigurationList"][0]["StreamARN"], arn.as_str());
    assert_eq!(
        d["S3DestinationConfiguration"]["DataFreshnessInSeconds"],
        300
    );
    assert_eq!(
        d["S3DestinationConfiguration"]["DeadLetterQueueS3Configuration"]["BucketARN"],
        "arn:aws:s3:::lake"
    );
    assert_eq!(
        d["LoggingConfiguration"]["CloudWatchLogs"]["Enabled"],
        false
    );

    let described = s.ok("DescribeChannel", json!({ "ChannelARN": channel }));
    assert_eq!(described["ChannelDescription"], *d);

    let listed = s.ok(
        "ListChannels",
        json!({"StreamFilter": [{"StreamARN": arn}]}),
    );
    let summaries = listed["ChannelSummaries"].as_array().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0]["ChannelDestinationType"], "S3");
    assert_eq!(summaries[0]["Streams"][0]["StreamARN"], arn.as_str());

    let updated = s.ok(
        "UpdateChannel",
        json!({"ChannelARN": channel, "S3DestinationConfiguration": {"DataFreshnessInSeconds": 600}}),
    );
    assert_eq!(
        updated["ChannelDescription"]["S3DestinationConfiguration"]["DataFreshnessInSeconds"],
        600
    );

    let tags = s.ok("ListTagsForResource", json!({ "ResourceARN": channel }));
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "data"}]));
    s.ok(
        "TagResource",
        json!({"ResourceARN": channel, "Tags": {"env": "test"}}),
    );
    s.ok(
        "UntagResource",
        json!({"ResourceARN": channel, "TagKeys": ["team"]}),
    );
    let tags = s.ok("ListTagsForResource", json!({ "ResourceARN": channel }));
    assert_eq!(tags["Tags"], json!([{"Key": "env", "Value": "test"}]));

    let (status, kind, _) = s.err("DeleteStream", json!({"StreamName": "s"}));
    assert_eq!((status, kind.as_str()), (400, "ResourceInUseException"));
    s.ok("DeleteChannel", json!({ "ChannelARN": channel }));
    let (status, kind, _) = s.err("DescribeChannel", json!({ "ChannelARN": channel }));
    assert_eq!((status, kind.as_str()), (400, "ResourceNotFoundException"));
    s.ok("DeleteStream", json!({"StreamName": "s"}));
}

#[test]
fn refusals_follow_the_model_and_the_docs() {
    let (_dir, s) = server();
    let arn = on_demand(&s, "s");
    s.ok("CreateStream", json!({"StreamName": "p", "ShardCount": 1}));
    let mut bad_name = create_body("bad name", &arn, "JSON", "NONE");
    bad_name["ServiceExecutionRoleARN"] = json!("not-a-role");
    let (status, kind, message) = s.err("CreateChannel", bad_name);
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    assert!(
        message.starts_with("2 validation errors detected"),
        "{message}"
    );
    assert!(message.contains("'channelName'"), "{message}");

    let (_, kind, message) = s.err("CreateChannel", create_body("g", &arn, "GSR_JSON", "NONE"));
    assert_eq!(kind, "InvalidArgumentException");
    assert!(message.contains("GSR_JSON"), "{message}");

    let mut neither = create_body("n", &arn, "JSON", "NONE");
    neither
        .as_object_mut()
        .unwrap()
        .remove("S3DestinationConfiguration");
    let (_, kind, message) = s.err("CreateChannel", neither);
    assert_eq!(kind, "InvalidArgumentException");
    assert!(message.contains("but not both"), "{message}");

    let mut stale = create_body("f", &arn, "JSON", "NONE");
    stale["S3DestinationConfiguration"]["DataFreshnessInSeconds"] = json!(30);
    let (_, kind, _) = s.err("CreateChannel", stale);
    assert_eq!(kind, "InvalidArgumentException");

    let mut template = create_body("t", &arn, "JSON", "NONE");
    template["S3DestinationConfiguration"]["StorageConfiguration"]["OutputKeyTemplate"] =
        json!("x/!{nope}");
    let (_, kind, message) = s.err("CreateChannel", template);
    assert_eq!(kind, "InvalidArgumentException");
    assert!(message.contains("unknown variable"), "{message}");

    let provisioned = arn.replace("stream/s", "stream/p");
    let (_, kind, _) = s.err(
        "CreateChannel",
        create_body("p", &provisioned, "JSON", "NONE"),
    );
    assert_eq!(kind, "InvalidArgumentException");

    let missing = arn.replace("stream/s", "stream/nope");
    let (_, kind, _) = s.err("CreateChannel", create_body("m", &missing, "JSON", "NONE"));
    assert_eq!(kind, "ResourceNotFoundException");

    s.ok("CreateChannel", create_body("c", &arn, "JSON", "NONE"));
    let (_, kind, _) = s.err("CreateChannel", create_body("c", &arn, "JSON", "NONE"));
    assert_eq!(kind, "ResourceInUseException");
    let (_, kind, _) = s.err("CreateChannel", create_body("d", &arn, "JSON", "NONE"));
    assert_eq!(kind, "LimitExceededException", "one S3 channel per stream");

    let (status, kind, _) = s.err(
        "DescribeChannel",
        json!({"ChannelARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s"}),
    );
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
}

#[test]
fn records_put_over_cbor_are_delivered_to_the_bucket_directory() {
    let (dir, s) = server();
    let arn = on_demand(&s, "s");
    let out = s.ok("CreateChannel", create_body("c", &arn, "JSON", "ZSTD"));
    let id = out["ChannelDescription"]["ChannelId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = s.cbor(
        "DescribeChannel",
        ciborium::Value::Map(vec![(
            ciborium::Value::Text("ChannelARN".into()),
            ciborium::Value::Text(
                out["ChannelDescription"]["ChannelARN"]
                    .as_str()
                    .unwrap()
                    .into(),
            ),
        )]),
    );
    assert_eq!(status, 200);
    let mut want = Vec::new();
    for n in 0..20 {
        let d = format!("{{\"n\":{n}}}");
        s.ok(
            "PutRecord",
            json!({"StreamName": "s", "Data": b64(d.as_bytes()), "PartitionKey": format!("k{n}")}),
        );
        want.push(d);
    }
    let bucket = dir.path().join("channels/lake/kinesis-channel/c").join(&id);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while Instant::now() < deadline {
        let mut found = Vec::new();
        files(&bucket, &mut found);
        got = found
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "zst"))
            .flat_map(|p| {
                let mut text = String::new();
                zstd::Decoder::new(std::fs::File::open(p).unwrap())
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                text.lines().map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        if got.len() >= want.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    got.sort();
    want.sort();
    assert_eq!(got, want);
}
