//! TLS on the API port: a self-signed certificate made for the test, a rustls client that trusts
//! exactly that certificate, and ALPN choosing HTTP/2 or HTTP/1.1. A plain-text client gets no
//! HTTP answer, and a client that never finishes its handshake is dropped after the header
//! timeout while others are served.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use bytes::Bytes;
use common::{closed_by_server, drain_messages, TestServer};
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use shardlog_server::{ServerOptions, TlsConfig};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_rustls::client::TlsStream;

type H2 = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

const JSON: &str = "application/x-amz-json-1.1";

/// A TLS server on a fresh store, its certificate made in `<data dir>/tls` as `shardlog serve
/// --tls` makes it.
struct TlsServer {
    server: TestServer,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

fn start(opts: ServerOptions) -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let made = TlsConfig::self_signed_in(dir.path().join("tls")).unwrap();
    let opts = ServerOptions {
        tls: Some(made.config),
        ..opts
    };
    TlsServer {
        server: TestServer::start(dir.path(), opts),
        cert: made.cert_path,
        _dir: dir,
    }
}

/// A client that trusts only `cert` and offers `alpn`.
#[allow(deprecated)] // ring's provider: see `tls.rs` in the server
fn client_config(cert: &Path, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(cert).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// A TLS connection to `addr` for `name`, checking that ALPN agreed on `expect`.
async fn connect(
    addr: SocketAddr,
    cert: &Path,
    name: &'static str,
    alpn: &[&[u8]],
    expect: &[u8],
) -> TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(client_config(cert, alpn));
    let tls = connector
        .connect(ServerName::try_from(name).unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(expect));
    tls
}

/// An HTTP/2 connection over TLS, ALPN `h2`.
async fn h2(addr: SocketAddr, cert: &Path) -> H2 {
    let tls = connect(addr, cert, "localhost", &[b"h2", b"http/1.1"], b"h2").await;
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

fn request(op: &str, body: &Value) -> Request<Full<Bytes>> {
    Request::post("https://localhost/")
        .header("host", "localhost")
        .header("x-amz-target", format!("Kinesis_20131202.{op}"))
        .header("content-type", JSON)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// A JSON call over HTTP/2 that must succeed.
async fn call(client: &mut H2, op: &str, body: Value) -> Value {
    let response = client.send_request(request(op, &body)).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    assert_eq!(status, 200, "{op}: {value}");
    value
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `/metrics` over TLS and HTTP/1.1.
async fn metrics(addr: SocketAddr, cert: &Path) -> String {
    let tls = connect(addr, cert, "localhost", &[b"http/1.1"], b"http/1.1").await;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let get = Request::get("/metrics")
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = send.send_request(get).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

fn handshake_failures(metrics: &str, reason: &str) -> u64 {
    let prefix = format!("shardlog_tls_handshake_failures_total{{reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {metrics}"))
        .parse()
        .unwrap()
}

#[test]
fn alpn_h2_serves_the_api_over_http2() {
    let s = start(ServerOptions::default());
    runtime().block_on(async {
        let mut client = h2(s.server.addr, &s.cert).await;
        call(
            &mut client,
            "CreateStream",
            json!({"StreamName": "s", "ShardCount": 1}),
        )
        .await;
        let listed = call(&mut client, "ListStreams", json!({})).await;
        assert_eq!(listed["StreamNames"], json!(["s"]));
        let data = base64::engine::general_purpose::STANDARD.encode(b"over tls");
        let put = json!({"StreamName": "s", "PartitionKey": "k", "Data": data});
        let put = call(&mut client, "PutRecord", put).await;
        let iterator = json!({
            "StreamName": "s",
            "ShardId": "shardId-000000000000",
            "ShardIteratorType": "TRIM_HORIZON",
        });
        let it = call(&mut client, "GetShardIterator", iterator).await;
        let got = call(
            &mut client,
            "GetRecords",
            json!({"ShardIterator": it["ShardIterator"]}),
        )
        .await;
        let records = got["Records"].as_array().unwrap();
        assert_eq!(records.len(), 1, "{got}");
        assert_eq!(records[0]["Data"], json!(data));
        assert_eq!(records[0]["SequenceNumber"], put["SequenceNumber"]);
    });
}

#[test]
fn alpn_http1_serves_http1_and_the_certificate_names_127_0_0_1() {
    let s = start(ServerOptions::default());
    runtime().block_on(async {
        for name in ["localhost", "127.0.0.1"] {
            let tls = connect(s.server.addr, &s.cert, name, &[b"http/1.1"], b"http/1.1").await;
            let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .unwrap();
            tokio::spawn(conn);
            let response = send
                .send_request(request("ListStreams", &json!({})))
                .await
                .unwrap();
            assert_eq!(
                (response.version(), response.status().as_u16()),
                (Version::HTTP_11, 200)
            );
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["StreamNames"], json!([]));
        }
    });
}

#[test]
fn plain_http_gets_no_http_answer_and_the_server_goes_on() {
    let s = start(ServerOptions::default());
    let mut plain = std::net::TcpStream::connect(s.server.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let ask = "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}";
    plain.write_all(ask.as_bytes()).unwrap();
    let got = closed_by_server(&mut plain);
    assert!(
        !got.windows(5).any(|w| w == b"HTTP/"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    // At most a TLS alert record (content type 21), never a plain answer.
    assert!(got.is_empty() || got[0] == 21, "{got:?}");
    runtime().block_on(async {
        let mut client = h2(s.server.addr, &s.cert).await;
        call(&mut client, "ListStreams", json!({})).await;
        let metrics = metrics(s.server.addr, &s.cert).await;
        assert_eq!(handshake_failures(&metrics, "error"), 1);
        assert_eq!(handshake_failures(&metrics, "timeout"), 0);
    });
}

#[test]
fn a_client_that_never_finishes_its_handshake_is_dropped_while_others_are_served() {
    let timeout = Duration::from_millis(400);
    let s = start(ServerOptions {
        header_read_timeout: timeout,
        ..ServerOptions::default()
    });
    let open = |bytes: &[u8]| {
        let mut c = std::net::TcpStream::connect(s.server.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(bytes).unwrap();
        c
    };
    let started = Instant::now();
    // One sends nothing; one starts a handshake record (512 bytes announced) and stalls.
    let mut silent = open(b"");
    let mut stalled = open(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
    runtime().block_on(async {
        let mut client = h2(s.server.addr, &s.cert).await;
        for _ in 0..5 {
            let t = Instant::now();
            call(&mut client, "ListStreams", json!({})).await;
            assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        }
    });
    for c in [&mut silent, &mut stalled] {
        assert!(closed_by_server(c).is_empty());
    }
    let took = started.elapsed();
    assert!(
        took >= timeout && took < Duration::from_secs(5),
        "closed after {took:?}"
    );
    runtime().block_on(async {
        let metrics = metrics(s.server.addr, &s.cert).await;
        assert_eq!(handshake_failures(&metrics, "timeout"), 2);
    });
}

#[test]
fn a_tls_connection_holds_its_slot_under_the_cap_until_it_closes() {
    let s = start(ServerOptions {
        max_connections: 1,
        ..ServerOptions::default()
    });
    runtime().block_on(async {
        let mut first = h2(s.server.addr, &s.cert).await;
        call(&mut first, "ListStreams", json!({})).await;
        // The cap is reached: the next connection is closed before its handshake.
        let tcp = tokio::net::TcpStream::connect(s.server.addr).await.unwrap();
        let connector = tokio_rustls::TlsConnector::from(client_config(&s.cert, &[b"h2"]));
        let refused = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await;
        assert!(refused.is_err());
        drop(first);
        // Once the first connection is gone, its slot is free again.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let tcp = tokio::net::TcpStream::connect(s.server.addr).await.unwrap();
            let connector = tokio_rustls::TlsConnector::from(client_config(&s.cert, &[b"h2"]));
            let name = ServerName::try_from("localhost").unwrap();
            if connector.connect(name, tcp).await.is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "the slot was not freed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn subscribe_to_shard_streams_events_over_tls_and_h2() {
    let s = start(ServerOptions::default());
    runtime().block_on(async {
        let mut client = h2(s.server.addr, &s.cert).await;
        call(
            &mut client,
            "CreateStream",
            json!({"StreamName": "s", "ShardCount": 1}),
        )
        .await;
        let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
        let consumer = call(
            &mut client,
            "RegisterStreamConsumer",
            json!({"StreamARN": arn, "ConsumerName": "tls"}),
        )
        .await;
        let subscribe = json!({
            "ConsumerARN": consumer["Consumer"]["ConsumerARN"],
            "ShardId": "shardId-000000000000",
            "StartingPosition": {"Type": "TRIM_HORIZON"},
        });
        let response = client
            .send_request(request("SubscribeToShard", &subscribe))
            .await
            .unwrap();
        assert_eq!(
            (response.version(), response.status().as_u16()),
            (Version::HTTP_2, 200)
        );
        let reader = tokio::spawn(read_events(response.into_body(), 1));
        let data = base64::engine::general_purpose::STANDARD.encode(b"event");
        let put = json!({"StreamName": "s", "PartitionKey": "k", "Data": data});
        call(&mut client, "PutRecord", put).await;
        let got = tokio::time::timeout(Duration::from_secs(30), reader)
            .await
            .expect("the record within 30 s")
            .unwrap();
        assert_eq!(got, [b"event".to_vec()]);
    });
}

/// Reads a subscription's event stream until `want` records arrived: the first message must be
/// the initial response, every payload JSON.
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
            let event: Value = serde_json::from_slice(&m.payload).unwrap();
            if seen == 0 {
                assert_eq!(m.header(":event-type"), "initial-response");
                assert_eq!(event, json!({}));
            } else {
                assert_eq!(m.header(":event-type"), "SubscribeToShardEvent");
                for record in event["Records"].as_array().unwrap() {
                    let data = record["Data"].as_str().unwrap();
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .unwrap();
                    records.push(data);
                }
                assert!(event["ContinuationSequenceNumber"].is_string());
            }
            seen += 1;
        }
    }
    records
}

/// A client that completes its handshake and then sends nothing is closed after the header
/// timeout, as a silent plain-text connection is.
#[test]
fn a_client_silent_after_its_handshake_is_closed() {
    let timeout = Duration::from_millis(400);
    let s = start(ServerOptions {
        header_read_timeout: timeout,
        ..ServerOptions::default()
    });
    runtime().block_on(async {
        use tokio::io::AsyncReadExt as _;
        let started = Instant::now();
        let mut tls = connect(s.server.addr, &s.cert, "localhost", &[b"h2"], b"h2").await;
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await;
        // EOF, a reset or a TLS close: anything but waiting.
        assert!(read.is_ok(), "still open after 10 s");
        let took = started.elapsed();
        assert!(
            took >= timeout && took < Duration::from_secs(5),
            "closed after {took:?}"
        );
    });
}
