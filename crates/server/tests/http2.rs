//! HTTP/2 beside HTTP/1.1 on one port: a client that opens with the HTTP/2 preface (h2c with prior
//! knowledge, as the Java SDK and the KCL do against a plain endpoint) is served the same API, and
//! SubscribeToShard streams multiplex on one connection with their events in the request's
//! protocol (CBOR events for a CBOR request).

#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use ciborium::Value as Cbor;
use common::{drain_messages, TestServer};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use shardlog_server::ServerOptions;
use std::net::SocketAddr;
use std::time::Duration;

type Client = SendRequest<Full<Bytes>>;

const CBOR: &str = "application/x-amz-cbor-1.1";

/// One HTTP/2 connection with prior knowledge (no upgrade, no TLS).
async fn h2c(addr: SocketAddr) -> Client {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

fn request(op: &str, content_type: &str, body: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post("http://localhost/")
        .header("x-amz-target", format!("Kinesis_20131202.{op}"))
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn map(members: &[(&str, Cbor)]) -> Cbor {
    Cbor::Map(
        members
            .iter()
            .map(|(k, v)| (Cbor::Text((*k).into()), v.clone()))
            .collect(),
    )
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn member<'a>(v: &'a Cbor, name: &str) -> &'a Cbor {
    let Cbor::Map(members) = v else {
        panic!("{name} of a non-map: {v:?}")
    };
    members
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {v:?}"))
}

fn cbor_bytes(v: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

/// A CBOR call as the Java SDK makes it; the answer must come over HTTP/2.
async fn cbor_call(client: &mut Client, op: &str, input: Cbor) -> (u16, Cbor) {
    let response = client
        .send_request(request(op, CBOR, cbor_bytes(&input)))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let value = if body.is_empty() {
        Cbor::Null
    } else {
        ciborium::de::from_reader(&body[..]).unwrap()
    };
    (status, value)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn h2c_serves_json_and_cbor_beside_http1_on_the_same_port() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    runtime().block_on(async {
        let mut client = h2c(s.addr).await;
        let listed = client
            .send_request(request(
                "ListStreams",
                "application/x-amz-json-1.1",
                b"{}".to_vec(),
            ))
            .await
            .unwrap();
        assert_eq!(
            (listed.version(), listed.status().as_u16()),
            (Version::HTTP_2, 200)
        );
        let body = listed.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["StreamNames"], json!(["s"]));

        let data = vec![0u8, 0x9f, 0xff, b'x'];
        let put = map(&[
            ("StreamName", text("s")),
            ("PartitionKey", text("k")),
            ("Data", Cbor::Bytes(data.clone())),
        ]);
        let (status, put) = cbor_call(&mut client, "PutRecord", put).await;
        assert_eq!(status, 200, "{put:?}");
        let sequence = member(&put, "SequenceNumber")
            .as_text()
            .unwrap()
            .to_string();

        let iterator = map(&[
            ("StreamName", text("s")),
            ("ShardId", text("shardId-000000000000")),
            ("ShardIteratorType", text("TRIM_HORIZON")),
        ]);
        let (_, it) = cbor_call(&mut client, "GetShardIterator", iterator).await;
        let get = map(&[("ShardIterator", member(&it, "ShardIterator").clone())]);
        let (status, got) = cbor_call(&mut client, "GetRecords", get).await;
        assert_eq!(status, 200, "{got:?}");
        let Cbor::Array(records) = member(&got, "Records") else {
            panic!("{got:?}")
        };
        assert_eq!(records.len(), 1);
        // A blob is a CBOR byte string, never base64 text.
        assert_eq!(member(&records[0], "Data"), &Cbor::Bytes(data));
        assert_eq!(member(&records[0], "SequenceNumber"), &text(&sequence));
    });
    // HTTP/1.1 on the same port is unchanged.
    let summary = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(
        summary["StreamDescriptionSummary"]["StreamStatus"],
        "ACTIVE"
    );
    s.stop();
}

/// The first hash key of shard `i` of a stream of 4 even shards.
fn hash_key_of_shard(i: u128) -> String {
    (i << 126).to_string()
}

#[test]
fn subscriptions_multiplex_on_one_connection_with_cbor_events() {
    const SHARDS: u128 = 4;
    const PER_SHARD: usize = 3;
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), ServerOptions::default());
    s.ok(
        "CreateStream",
        json!({"StreamName": "s", "ShardCount": SHARDS}),
    );
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
    let consumer = s.ok(
        "RegisterStreamConsumer",
        json!({"StreamARN": arn, "ConsumerName": "fan-out"}),
    );
    let consumer = consumer["Consumer"]["ConsumerARN"]
        .as_str()
        .unwrap()
        .to_string();
    runtime().block_on(async {
        let mut client = h2c(s.addr).await;
        let mut readers = Vec::new();
        for shard in 0..SHARDS {
            let input = map(&[
                ("ConsumerARN", text(&consumer)),
                ("ShardId", text(&format!("shardId-{shard:012}"))),
                ("StartingPosition", map(&[("Type", text("TRIM_HORIZON"))])),
            ]);
            let response = client
                .send_request(request("SubscribeToShard", CBOR, cbor_bytes(&input)))
                .await
                .unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            assert_eq!(response.status(), 200);
            readers.push(tokio::spawn(read_events(response.into_body(), PER_SHARD)));
        }
        // Puts go over the same connection while the four subscriptions are open on it.
        for n in 0..PER_SHARD {
            for shard in 0..SHARDS {
                let put = map(&[
                    ("StreamName", text("s")),
                    ("PartitionKey", text("k")),
                    ("ExplicitHashKey", text(&hash_key_of_shard(shard))),
                    ("Data", Cbor::Bytes(format!("{shard}/{n}").into_bytes())),
                ]);
                let (status, answer) = cbor_call(&mut client, "PutRecord", put).await;
                assert_eq!(status, 200, "{answer:?}");
            }
        }
        for (shard, reader) in readers.into_iter().enumerate() {
            let got = tokio::time::timeout(Duration::from_secs(30), reader)
                .await
                .expect("records within 30 s")
                .unwrap();
            let want: Vec<Vec<u8>> = (0..PER_SHARD)
                .map(|n| format!("{shard}/{n}").into_bytes())
                .collect();
            assert_eq!(got, want, "shard {shard}");
        }
    });
    s.stop();
}

/// Reads a subscription's event stream until `want` records arrived: the first message must be
/// the initial response, every payload CBOR, every record's data a byte string.
async fn read_events(mut body: hyper::body::Incoming, want: usize) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut seen = 0;
    let mut records = Vec::new();
    while records.len() < want {
        let frame = body.frame().await.expect("the stream ended early").unwrap();
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        buf.extend_from_slice(&chunk);
        for m in drain_messages(&mut buf) {
            assert_eq!(m.header(":message-type"), "event", "{:?}", m.headers);
            assert_eq!(m.header(":content-type"), CBOR);
            let event: Cbor = ciborium::de::from_reader(&m.payload[..]).unwrap();
            if seen == 0 {
                assert_eq!(m.header(":event-type"), "initial-response");
                assert_eq!(event, Cbor::Map(Vec::new()));
            } else {
                assert_eq!(m.header(":event-type"), "SubscribeToShardEvent");
                let Cbor::Array(batch) = member(&event, "Records") else {
                    panic!("{event:?}")
                };
                for record in batch {
                    match member(record, "Data") {
                        Cbor::Bytes(data) => records.push(data.clone()),
                        other => panic!("Data as {other:?}"),
                    }
                }
                assert!(member(&event, "ContinuationSequenceNumber").is_text());
                assert!(member(&event, "MillisBehindLatest").is_integer());
            }
            seen += 1;
        }
    }
    records
}

fn opt_member<'a>(v: &'a Cbor, name: &str) -> Option<&'a Cbor> {
    let Cbor::Map(members) = v else { return None };
    members
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
}

/// What one subscription delivered: records, the last continuation, and the children once the
/// shard ended (each with its parents).
#[derive(Default)]
struct Delivered {
    records: Vec<Vec<u8>>,
    continuation: Option<String>,
    children: Option<Vec<(String, Vec<String>)>>,
}

/// A `ChildShards` entry: the child's id and its parents' ids.
fn child_and_parents(child: &Cbor) -> (String, Vec<String>) {
    let parents = match member(child, "ParentShards") {
        Cbor::Array(p) => p.iter().map(|p| p.as_text().unwrap().to_string()).collect(),
        other => panic!("ParentShards as {other:?}"),
    };
    (
        member(child, "ShardId").as_text().unwrap().to_string(),
        parents,
    )
}

/// One SubscribeToShard call over `client` in CBOR, read to its end (lifetime or shard end).
async fn subscribe_once(
    client: &mut Client,
    consumer: &str,
    shard: &str,
    after: Option<&str>,
) -> Delivered {
    let position = match after {
        Some(seq) => map(&[
            ("Type", text("AFTER_SEQUENCE_NUMBER")),
            ("SequenceNumber", text(seq)),
        ]),
        None => map(&[("Type", text("TRIM_HORIZON"))]),
    };
    let input = map(&[
        ("ConsumerARN", text(consumer)),
        ("ShardId", text(shard)),
        ("StartingPosition", position),
    ]);
    let response = client
        .send_request(request("SubscribeToShard", CBOR, cbor_bytes(&input)))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "subscribing to {shard}");
    let mut body = response.into_body();
    let (mut buf, mut out) = (Vec::new(), Delivered::default());
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame.unwrap().into_data() else {
            continue;
        };
        buf.extend_from_slice(&chunk);
        for m in drain_messages(&mut buf) {
            if m.header(":event-type") != "SubscribeToShardEvent" {
                continue;
            }
            let event: Cbor = ciborium::de::from_reader(&m.payload[..]).unwrap();
            if let Some(Cbor::Array(records)) = opt_member(&event, "Records") {
                for r in records {
                    out.records
                        .push(member(r, "Data").as_bytes().unwrap().clone());
                }
            }
            out.continuation = opt_member(&event, "ContinuationSequenceNumber")
                .and_then(Cbor::as_text)
                .map(str::to_string);
            if let Some(Cbor::Array(children)) = opt_member(&event, "ChildShards") {
                if !children.is_empty() {
                    out.children = Some(children.iter().map(child_and_parents).collect());
                }
            }
        }
    }
    out
}

/// A KCL-shaped fan-out consumer over HTTP/2 and CBOR: it resubscribes after its last continuation
/// when a subscription ends, and reads a child only after all its parents ended. Through a split
/// and a merge while several producers write as fast as the shards take records, it sees every
/// acknowledged record exactly once.
#[test]
fn a_fan_out_consumer_sees_every_record_once_through_a_split_and_a_merge() {
    fan_out_through_a_split_and_a_merge(false);
}

/// The same over TLS, ALPN `h2`, as the KCL connects to AWS.
#[test]
fn a_fan_out_consumer_over_tls_sees_every_record_once_through_a_split_and_a_merge() {
    fan_out_through_a_split_and_a_merge(true);
}

/// An HTTP/2 connection over TLS (ALPN `h2`) trusting only `cert`.
#[allow(deprecated)] // ring's provider, as the server uses it
async fn h2_tls(addr: SocketAddr, cert: &std::path::Path) -> Client {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_file(cert).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

async fn connect(addr: SocketAddr, cert: Option<&std::path::Path>) -> Client {
    match cert {
        Some(cert) => h2_tls(addr, cert).await,
        None => h2c(addr).await,
    }
}

/// A JSON call over HTTP/2 that must succeed.
async fn json_ok(client: &mut Client, op: &str, body: serde_json::Value) -> serde_json::Value {
    let json = "application/x-amz-json-1.1";
    let response = client
        .send_request(request(op, json, body.to_string().into_bytes()))
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 200, "{op}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
}

/// Producers in the fan-out test.
const PRODUCERS: usize = 4;
/// Records per PutRecords call of each producer.
const BATCH: usize = 50;

/// Puts batches of `p-<producer>-<n>` records until `stop`, retrying the records a call did not
/// take (throttling), and adds every acknowledged record to `produced`.
async fn produce(
    mut client: Client,
    p: usize,
    produced: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut next = 0u64;
    while !stop.load(Ordering::Acquire) || !pending.is_empty() {
        while pending.len() < BATCH && !stop.load(Ordering::Acquire) {
            pending.push(format!("p{p}-{next}").into_bytes());
            next += 1;
        }
        let entries: Vec<_> = pending
            .iter()
            .map(|d| json!({"PartitionKey": String::from_utf8_lossy(d), "Data": base64_of(d)}))
            .collect();
        let body = json!({"StreamName": "s", "Records": entries});
        let answer = json_ok(&mut client, "PutRecords", body).await;
        let results = answer["Records"].as_array().expect("Records");
        assert_eq!(results.len(), pending.len());
        let mut retry = Vec::new();
        for (data, result) in pending.drain(..).zip(results) {
            match result["ErrorCode"].as_str() {
                None => produced.lock().unwrap().push(data),
                Some("ProvisionedThroughputExceededException") => retry.push(data),
                Some(code) => panic!("PutRecords: {code}: {result}"),
            }
        }
        if !retry.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pending = retry;
    }
}

fn fan_out_through_a_split_and_a_merge(tls: bool) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let made =
        tls.then(|| shardlog_server::TlsConfig::self_signed_in(dir.path().join("tls")).unwrap());
    let cert = made.as_ref().map(|m| m.cert_path.clone());
    let opts = ServerOptions {
        // Just over the 5 s a consumer must wait before it subscribes to a shard again.
        subscription_lifetime: Duration::from_millis(5_200),
        tls: made.map(|m| m.config),
        ..ServerOptions::default()
    };
    let s = TestServer::start(dir.path(), opts);
    let addr = s.addr;
    let (seen, ended, produced) = runtime().block_on(async move {
        let cert = cert.as_deref();
        let mut client = connect(addr, cert).await;
        json_ok(
            &mut client,
            "CreateStream",
            json!({"StreamName": "s", "ShardCount": 1}),
        )
        .await;
        let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
        let consumer = json_ok(
            &mut client,
            "RegisterStreamConsumer",
            json!({"StreamARN": arn, "ConsumerName": "kcl"}),
        )
        .await;
        let consumer = consumer["Consumer"]["ConsumerARN"]
            .as_str()
            .unwrap()
            .to_string();
        let (produced, stop) = (
            Arc::new(Mutex::new(Vec::new())),
            Arc::new(AtomicBool::new(false)),
        );
        // Producers on connections of their own, as fast as the shard takes them: PutRecords
        // batches, and only acknowledged records count (throttled ones are retried, as the KPL
        // does).
        let mut producers = Vec::new();
        for p in 0..PRODUCERS {
            let client = connect(addr, cert).await;
            producers.push(tokio::spawn(produce(
                client,
                p,
                produced.clone(),
                stop.clone(),
            )));
        }
        let reshaper = {
            let stop = stop.clone();
            let mut client = connect(addr, cert).await;
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(800)).await;
                let split = json!({"StreamName": "s", "ShardToSplit": "shardId-000000000000",
                    "NewStartingHashKey": (1u128 << 127).to_string()});
                json_ok(&mut client, "SplitShard", split).await;
                tokio::time::sleep(Duration::from_millis(1_500)).await;
                let merge = json!({"StreamName": "s", "ShardToMerge": "shardId-000000000001",
                    "AdjacentShardToMerge": "shardId-000000000002"});
                json_ok(&mut client, "MergeShards", merge).await;
                tokio::time::sleep(Duration::from_millis(800)).await;
                stop.store(true, Ordering::Release);
            })
        };
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut ended: Vec<String> = Vec::new();
        let mut waiting: Vec<(String, Vec<String>)> = vec![("shardId-000000000000".into(), vec![])];
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        'shards: while let Some(i) = waiting
            .iter()
            .position(|(_, parents)| parents.iter().all(|p| ended.contains(p)))
        {
            let (shard, _) = waiting.remove(i);
            let mut after: Option<String> = None;
            loop {
                let got = subscribe_once(&mut client, &consumer, &shard, after.as_deref()).await;
                seen.extend(got.records);
                after = got.continuation.or(after);
                if let Some(children) = got.children {
                    for child in children {
                        if !waiting.iter().any(|(id, _)| *id == child.0) {
                            waiting.push(child);
                        }
                    }
                    ended.push(shard.clone());
                    break;
                }
                let done =
                    stop.load(Ordering::Acquire) && seen.len() >= produced.lock().unwrap().len();
                if done || std::time::Instant::now() > deadline {
                    break 'shards;
                }
            }
        }
        for producer in producers {
            producer.await.unwrap();
        }
        reshaper.await.unwrap();
        let produced = produced.lock().unwrap().clone();
        (seen, ended, produced)
    });
    // Parents ended in order: the split shard, then both halves at the merge.
    assert_eq!(
        ended,
        [
            "shardId-000000000000",
            "shardId-000000000001",
            "shardId-000000000002"
        ]
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a record was delivered twice");
    let mut want = produced.clone();
    want.sort();
    assert_eq!(
        unique,
        want,
        "{} produced, {} seen",
        produced.len(),
        seen.len()
    );
    // Four producers for about three seconds against one shard, then two, then one.
    println!(
        "{} records from {PRODUCERS} producers, each seen once",
        produced.len()
    );
    assert!(
        produced.len() > 1_000,
        "only {} records produced",
        produced.len()
    );
    s.stop();
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
