//! Issue 16, clients that misbehave: slow headers, slow bodies, idle connections and floods are cut
//! off by timeouts and caps, and a well-behaved client is still served while they run.
#![allow(clippy::unwrap_used)]

mod common;

use common::{closed_by_server, TestServer};
use serde_json::{json, Value};
use shardlog_server::ServerOptions;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A generous bound for a well-behaved call while abuse runs (a loaded CI machine included).
const SERVED_WITHIN: Duration = Duration::from_secs(5);

fn server(opts: ServerOptions) -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(dir.path(), opts);
    (dir, s)
}

/// Connects and sends `bytes`, leaving the connection open.
fn open(s: &TestServer, bytes: &[u8]) -> TcpStream {
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(bytes).unwrap();
    c
}

/// A put and a read by a client that behaves, timed.
fn well_behaved(s: &TestServer, i: usize) -> Duration {
    let t = Instant::now();
    s.ok(
        "PutRecord",
        json!({"StreamName": "s", "PartitionKey": format!("k{i}"), "Data": "AA=="}),
    );
    s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    t.elapsed()
}

#[test]
fn half_sent_headers_are_cut_off_while_others_are_served() {
    let (_dir, s) = server(ServerOptions {
        header_read_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    });
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let start = Instant::now();
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| open(&s, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar"))
        .collect();
    for i in 0..20 {
        let took = well_behaved(&s, i);
        assert!(
            took < SERVED_WITHIN,
            "a call took {took:?} during the abuse"
        );
    }
    for c in &mut slow {
        closed_by_server(c);
    }
    // Closed by the header timeout, not at the end of the test.
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    let records = s.ok("DescribeStreamSummary", json!({"StreamName": "s"}));
    assert_eq!(records["StreamDescriptionSummary"]["OpenShardCount"], 1);
}

#[test]
fn idle_kept_alive_connections_are_closed() {
    let (_dir, s) = server(ServerOptions {
        header_read_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    });
    let request = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}";
    let mut c = open(&s, request.as_bytes());
    // One answer, then the connection idles and is closed.
    let got = closed_by_server(&mut c);
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

/// A client that connects and sends nothing at all (HTTP/1.1 and HTTP/2 are told apart by the
/// first bytes, which hyper waits for without a timer) is closed after the header timeout too.
#[test]
fn silent_connections_are_closed() {
    let (_dir, s) = server(ServerOptions {
        header_read_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    });
    let start = Instant::now();
    let mut silent: Vec<TcpStream> = (0..50).map(|_| open(&s, b"")).collect();
    for c in &mut silent {
        assert!(closed_by_server(c).is_empty());
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    s.ok("ListStreams", json!({}));
}

#[test]
fn a_slow_body_is_answered_408_and_holds_its_slot_only_until_then() {
    let (_dir, s) = server(ServerOptions {
        body_read_timeout: Duration::from_millis(500),
        max_in_flight: 1,
        ..ServerOptions::default()
    });
    let head = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{\"Lim";
    let mut slow = open(&s, head.as_bytes());
    std::thread::sleep(Duration::from_millis(100));
    // The only slot is taken by the slow body: 503, which the SDKs retry.
    let (status, v) = s.call("ListStreams", json!({}));
    assert_eq!(
        (status, v["__type"].as_str()),
        (503, Some("ServiceUnavailableException"))
    );
    let answer = closed_by_server(&mut slow);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("RequestTimeoutException"), "{text}");
    let (status, _) = s.call("ListStreams", json!({}));
    assert_eq!(status, 200);
}

#[test]
fn connections_beyond_the_cap_are_closed_at_once_and_counted() {
    let (_dir, s) = server(ServerOptions {
        max_connections: 16,
        header_read_timeout: Duration::from_secs(2),
        ..ServerOptions::default()
    });
    let idle: Vec<TcpStream> = (0..16).map(|_| open(&s, b"")).collect();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    let mut extra = open(&s, b"");
    closed_by_server(&mut extra);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // The idle ones time out, and the server serves again.
    drop(idle);
    std::thread::sleep(Duration::from_millis(2500));
    let (status, metrics) = s.get("/metrics");
    assert_eq!(status, 200);
    let refused: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("shardlog_connections_refused_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(refused >= 1, "{metrics}");
    let (status, v): (u16, Value) = s.call("ListStreams", json!({}));
    assert_eq!(status, 200, "{v}");
}

/// With credentials the API port serves nothing unsigned, `/metrics` included; a separate
/// listener (`metrics_bind`, for a scraper on loopback) serves the metrics alone.
#[test]
fn with_credentials_metrics_are_only_on_their_own_listener() {
    let (_dir, s) = server(ServerOptions {
        credentials: Some(shardlog_server::Credentials::new("AKID", "secret")),
        metrics_bind: Some("127.0.0.1:0".parse().unwrap()),
        ..ServerOptions::default()
    });
    let (status, body) = s.get("/metrics");
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("shardlog_"), "{body}");
    let metrics = s.metrics_addr.unwrap();
    let mut c = TcpStream::connect(metrics).unwrap();
    c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (status, _, body) = common::read_response(&mut c);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("shardlog_connections_refused_total"));
    let mut c = TcpStream::connect(metrics).unwrap();
    let put = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 2\r\n\r\n{}";
    c.write_all(put.as_bytes()).unwrap();
    let (status, _, _) = common::read_response(&mut c);
    assert_eq!(status, 404, "the metrics listener serves nothing else");
}

/// Sends a SubscribeToShard request and reads the answer's head only; returns the connection
/// (still streaming) and the status.
fn subscribe_raw(s: &TestServer, consumer: &str, shard: &str) -> (TcpStream, u16, String) {
    let body = json!({"ConsumerARN": consumer, "ShardId": shard, "StartingPosition": {"Type": "TRIM_HORIZON"}})
        .to_string();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: Kinesis_20131202.SubscribeToShard\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut c = open(s, head.as_bytes());
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(c.read(&mut byte).unwrap(), 1, "closed before the head");
        got.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&got).to_string();
    let status = text[9..12].parse().unwrap();
    if status != 200 {
        let mut rest = Vec::new();
        let _ = c.read_to_end(&mut rest);
        return (c, status, String::from_utf8_lossy(&rest).to_string());
    }
    (c, status, text)
}

fn consumer(s: &TestServer, shards: u32) -> String {
    s.ok(
        "CreateStream",
        json!({"StreamName": "s", "ShardCount": shards}),
    );
    let c = s.ok(
        "RegisterStreamConsumer",
        json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "ConsumerName": "c"}),
    );
    c["Consumer"]["ConsumerARN"].as_str().unwrap().to_string()
}

/// `1`, `01` and `shardId-000000000001` name one shard: a second subscription under another
/// spelling is refused like any other within five seconds; and the total is capped.
#[test]
fn subscriptions_are_one_per_consumer_and_shard_and_capped_in_total() {
    let (_dir, s) = server(ServerOptions {
        max_subscriptions: 2,
        ..ServerOptions::default()
    });
    let arn = consumer(&s, 3);
    let (_first, status, _) = subscribe_raw(&s, &arn, "shardId-000000000001");
    assert_eq!(status, 200);
    for spelling in ["1", "01", "shard-1"] {
        let (_, status, body) = subscribe_raw(&s, &arn, spelling);
        assert_eq!(status, 400, "{spelling}: {body}");
        assert!(
            body.contains("ResourceInUseException"),
            "{spelling}: {body}"
        );
    }
    let (_second, status, _) = subscribe_raw(&s, &arn, "0");
    assert_eq!(status, 200);
    let (_, status, body) = subscribe_raw(&s, &arn, "2");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("LimitExceededException"), "{body}");
}

/// A subscriber that stops reading is dropped after the stall timeout: its slot (and its
/// buffered events) are freed, and writers never waited for it.
#[test]
fn a_subscriber_that_stops_reading_is_dropped() {
    let (_dir, s) = server(ServerOptions {
        max_subscriptions: 1,
        subscriber_stall_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    });
    let arn = consumer(&s, 2);
    let (stalled, status, _) = subscribe_raw(&s, &arn, "0");
    assert_eq!(status, 200);
    // Far more than socket buffers hold, all to shard 0; the writer is never held up.
    let data = base64_of(&vec![7u8; 1 << 20]);
    let records: Vec<Value> = (0..4)
        .map(|_| json!({"Data": data, "PartitionKey": "a", "ExplicitHashKey": "0"}))
        .collect();
    for _ in 0..12 {
        let t = Instant::now();
        let out = s.ok("PutRecords", json!({"StreamName": "s", "Records": records}));
        assert_eq!(out["FailedRecordCount"], 0);
        assert!(t.elapsed() < SERVED_WITHIN, "{:?}", t.elapsed());
    }
    // The stalled one is dropped; the only slot serves another shard.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_c, status, body) = subscribe_raw(&s, &arn, "1");
        if status == 200 {
            break;
        }
        assert!(body.contains("LimitExceededException"), "{body}");
        assert!(
            Instant::now() < deadline,
            "the stalled subscriber kept its slot"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(stalled);
}

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A minimal SigV4 signer (AWS's documented algorithm) for the replay tests.
mod signer {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Headers of a POST to `/` signed over `signed` (lower-case names, sorted) at `amz_date`.
    pub fn sign(
        headers: &[(&str, &str)],
        signed: &[&str],
        body: &[u8],
        amz_date: &str,
    ) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        all.push(("X-Amz-Date".into(), amz_date.into()));
        let value = |name: &str| {
            all.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let canonical_headers: String = signed
            .iter()
            .map(|n| format!("{n}:{}\n", value(n)))
            .collect();
        let signed_list = signed.join(";");
        let canonical = format!(
            "POST\n/\n\n{canonical_headers}\n{signed_list}\n{}",
            hex(&Sha256::digest(body))
        );
        let day = &amz_date[..8];
        let scope = format!("{day}/us-east-1/kinesis/aws4_request");
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(b"AWS4secret", day.as_bytes());
        for part in ["us-east-1", "kinesis", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        all.push((
            "Authorization".into(),
            format!("AWS4-HMAC-SHA256 Credential=AKID/{scope}, SignedHeaders={signed_list}, Signature={signature}"),
        ));
        all
    }
}

/// A correctly signed request is served; replayed 16 minutes later, or re-targeted at another
/// operation, it is refused, and nothing changes (issue 16's report: both were served).
#[test]
fn captured_signatures_cannot_be_replayed_late_or_re_targeted() {
    let dir = tempfile::tempdir().unwrap();
    let start_ms = 1_796_558_400_000; // 2026-12-06T12:00:00Z
    let clock = shardlog::Clock::manual(start_ms);
    let store_opts = shardlog::StoreOptions {
        clock: clock.clone(),
        ..Default::default()
    };
    let opts = ServerOptions {
        credentials: Some(shardlog_server::Credentials::new("AKID", "secret")),
        ..ServerOptions::default()
    };
    let s = TestServer::start_with(dir.path(), store_opts, opts);
    let body = br#"{"StreamName":"s","ShardCount":1}"#;
    let host = s.addr.to_string();
    let base = [
        ("Host", host.as_str()),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "Kinesis_20131202.CreateStream"),
    ];
    let all = ["content-type", "host", "x-amz-date", "x-amz-target"];
    let send = |headers: &[(String, String)]| {
        // `raw` adds its own Host: send these as the only headers (ours carry Host).
        let mut c = TcpStream::connect(s.addr).unwrap();
        let mut req = format!(
            "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        c.write_all(req.as_bytes()).unwrap();
        c.write_all(body).unwrap();
        let (status, _, bytes) = common::read_response(&mut c);
        let v: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, v)
    };
    let signed = signer::sign(&base, &all, body, "20261206T120000Z");
    let (status, v) = send(&signed);
    assert_eq!(status, 200, "{v}");

    // The same bytes as another operation: the target is signed, so the signature fails.
    let mut retargeted = signed.clone();
    for (n, v) in &mut retargeted {
        if n == "X-Amz-Target" {
            *v = "Kinesis_20131202.DeleteStream".into();
        }
    }
    let (status, v) = send(&retargeted);
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );
    // A signature that leaves the target out is refused whatever it covers.
    let untargeted = signer::sign(&base, &all[..3], body, "20261206T120000Z");
    let (status, v) = send(&untargeted);
    assert_eq!(
        (status, v["message"].as_str()),
        (
            400,
            Some("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
        )
    );
    // Replayed 16 minutes later.
    clock.set(start_ms + 16 * 60_000);
    let (status, v) = send(&signed);
    assert_eq!(status, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired: 20261206T120000Z"),
        "{v}"
    );
    // The stream was created once and never deleted.
    let fresh = signer::sign(
        &[
            ("Host", host.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "Kinesis_20131202.CreateStream"),
        ],
        &all,
        body,
        "20261206T121600Z",
    );
    let (status, v) = send(&fresh);
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("ResourceInUseException")),
        "{v}"
    );
}

/// One kind of abuse: started on threads that run until `stop` is set.
type Abuse = fn(&TestServer, &std::sync::atomic::AtomicBool);

fn idle_connections(s: &TestServer, stop: &std::sync::atomic::AtomicBool) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let held: Vec<TcpStream> = (0..300)
            .filter_map(|_| TcpStream::connect(s.addr).ok())
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    }
}

fn half_headers(s: &TestServer, stop: &std::sync::atomic::AtomicBool) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let held: Vec<TcpStream> = (0..300)
            .filter_map(|_| {
                let mut c = TcpStream::connect(s.addr).ok()?;
                c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar")
                    .ok()?;
                Some(c)
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    }
}

fn slow_bodies(s: &TestServer, stop: &std::sync::atomic::AtomicBool) {
    let head = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n{";
    let mut held: Vec<TcpStream> = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        while held.len() < 50 {
            let Ok(mut c) = TcpStream::connect(s.addr) else {
                break;
            };
            if c.write_all(head.as_bytes()).is_err() {
                break;
            }
            held.push(c);
        }
        // A byte now and then: never enough, never idle long enough for a read timeout alone.
        held.retain_mut(|c| c.write_all(b" ").is_ok());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn oversized_and_nested_bodies(s: &TestServer, stop: &std::sync::atomic::AtomicBool) {
    let nested_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut many_cbor = vec![0x9a, 0x00, 0x40, 0x00, 0x00];
    many_cbor.resize(5 + (4 << 20), 0x01);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let huge = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 100000000\r\n\r\n";
        if let Ok(mut c) = TcpStream::connect(s.addr) {
            let _ = c.write_all(huge.as_bytes());
        }
        let _ = s.raw(
            "POST",
            &[
                ("X-Amz-Target", "Kinesis_20131202.PutRecords"),
                ("Content-Type", "application/x-amz-json-1.1"),
            ],
            nested_json.as_bytes(),
        );
        let _ = s.raw(
            "POST",
            &[
                ("X-Amz-Target", "Kinesis_20131202.PutRecords"),
                ("Content-Type", "application/x-amz-cbor-1.1"),
            ],
            &many_cbor,
        );
    }
}

fn connection_flood(s: &TestServer, stop: &std::sync::atomic::AtomicBool) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        for _ in 0..100 {
            drop(TcpStream::connect(s.addr));
        }
    }
}

fn subscription_flood(s: &TestServer, stop: &std::sync::atomic::AtomicBool) {
    let arn = s.ok(
        "DescribeStreamConsumer",
        json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "ConsumerName": "flood"}),
    )["ConsumerDescription"]["ConsumerARN"]
        .as_str()
        .unwrap()
        .to_string();
    let mut held = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        for shard in 0..4 {
            let body = json!({"ConsumerARN": arn, "ShardId": shard.to_string(), "StartingPosition": {"Type": "TRIM_HORIZON"}}).to_string();
            let head = format!(
                "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.SubscribeToShard\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if let Ok(mut c) = TcpStream::connect(s.addr) {
                // Never read: the server must drop these, not hold their events forever.
                let _ = c.write_all(head.as_bytes());
                held.push(c);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        if held.len() > 200 {
            held.clear();
        }
    }
}

/// Issue 16's table: under each abuse a well-behaved client's puts are served within a bound, and
/// every acknowledged record is there afterwards.
#[test]
fn well_behaved_clients_are_served_through_every_abuse() {
    let (_dir, s) = server(ServerOptions {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        subscriber_stall_timeout: Duration::from_millis(500),
        ..ServerOptions::default()
    });
    s.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 4}));
    s.ok(
        "RegisterStreamConsumer",
        json!({"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "ConsumerName": "flood"}),
    );
    let abuses: [(&str, Abuse); 6] = [
        ("300 idle connections, renewed", idle_connections),
        ("300 half-sent headers, renewed", half_headers),
        ("50 slow bodies (a byte per 100 ms)", slow_bodies),
        (
            "100 MB declared, 100k-deep JSON, 4 Mi-item CBOR",
            oversized_and_nested_bodies,
        ),
        ("connect-and-close flood", connection_flood),
        ("subscriptions never read", subscription_flood),
    ];
    let mut acked = 0usize;
    println!("| abuse | puts | p99 | max | records lost |\n|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, abuse) in abuses {
        let stop = std::sync::atomic::AtomicBool::new(false);
        let mut took = std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| abuse(&s, &stop));
            }
            std::thread::sleep(Duration::from_millis(300));
            let took: Vec<Duration> = (0..60)
                .map(|i| {
                    let t = Instant::now();
                    s.ok(
                        "PutRecord",
                        json!({"StreamName": "s", "PartitionKey": format!("{name}{i}"), "Data": "AA=="}),
                    );
                    t.elapsed()
                })
                .collect();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            took
        });
        acked += took.len();
        took.sort();
        let p99 = took[took.len() * 99 / 100 - 1];
        let max = took[took.len() - 1];
        assert!(max < SERVED_WITHIN, "{name}: a put took {max:?}");
        rows.push((name, took.len(), p99, max));
    }
    let mut stored = 0;
    for shard in 0..4 {
        let it = s.ok(
            "GetShardIterator",
            json!({"StreamName": "s", "ShardId": shard.to_string(), "ShardIteratorType": "TRIM_HORIZON"}),
        );
        let got = s.ok("GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
        stored += got["Records"].as_array().unwrap().len();
    }
    assert_eq!(stored, acked, "acknowledged records lost");
    for (name, puts, p99, max) in rows {
        println!(
            "| {name} | {puts} | {:.1} ms | {:.1} ms | 0 |",
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }
}

/// Issue 19.4: the control socket answers malformed or unknown commands with a 4xx and a reason,
/// reads no more than its body cap, and still serves a good backup afterwards.
#[cfg(unix)]
#[test]
fn control_socket_refuses_bad_commands_and_serves_a_good_one() {
    use std::os::unix::net::UnixStream;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("control.sock");
    let opts = ServerOptions {
        control_socket: Some(socket.clone()),
        ..ServerOptions::default()
    };
    let server = TestServer::start(&dir.path().join("data"), opts);
    server.ok("CreateStream", json!({"StreamName": "s", "ShardCount": 1}));
    let ask = |method: &str, path: &str, body: &str| {
        let mut c = UnixStream::connect(&socket).unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        c.write_all(req.as_bytes()).unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        answer
    };
    let cases = [
        ("GET", "/backup", "", "405", "use POST /backup"),
        ("POST", "/restore", "", "404", "unknown command"),
        (
            "POST",
            "/backup",
            "{",
            "400",
            "expected {\\\"destination\\\": PATH}",
        ),
        (
            "POST",
            "/backup",
            r#"{"destination":"rel/dir"}"#,
            "400",
            "must be an absolute path",
        ),
    ];
    for (method, path, body, status, reason) in cases {
        let answer = ask(method, path, body);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        assert!(answer.contains(reason), "{method} {path}: {answer}");
    }
    let huge = format!(r#"{{"destination":"/{}"}}"#, "x".repeat(100 << 10));
    assert!(ask("POST", "/backup", &huge).starts_with("HTTP/1.1 400"));
    let dest = dir.path().join("bak");
    let report = shardlog_server::backup_through(&socket, &dest, &|_| {}).unwrap();
    assert_eq!((report.streams, report.shards), (1, 1));
    assert!(dest.join("catalog").exists());
    // The server's own reason reaches the caller: the destination is now used.
    let e = shardlog_server::backup_through(&socket, &dest, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    server.stop();
    assert!(!socket.exists());
}
