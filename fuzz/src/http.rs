//! `http_request`: raw bytes of HTTP/1.1 requests sent over a TCP socket to a real
//! `shardlog_server::Server` bound to 127.0.0.1:0, serving a fresh store on the simulated disk.
//!
//! Everything the server does with a request is exercised: hyper's request parsing, routing,
//! `X-Amz-Target` and `Content-Type` handling, `Content-Length` and chunked bodies with the body
//! limit, SigV4 `Authorization`, the lease protocol, the operations and SubscribeToShard.
//!
//! Input: byte 0 holds flags (bit 0: the server checks SigV4 signatures, made with
//! [`ACCESS_KEY_ID`] and [`SECRET`]); the rest is written to the socket as it is.
//!
//! Checks: no panic (the server's tasks catch panics, so a panic shows up as a 500 or as a
//! connection closed without an answer, and both fail); the server either answers with a
//! well-formed HTTP/1.x response (status line, headers, a body framed by `Content-Length`,
//! chunked encoding or the end of the connection; a JSON, CBOR or event-stream body that decodes,
//! errors with an AWS type) or closes the connection, within [`HANG_LIMIT`]; no answer is a 5xx,
//! since nothing a client sends is the server's failure (the one exception is hyper's own 505 for
//! an HTTP version it does not speak); a good request on a new connection still gets its answer;
//! the server shuts down cleanly.

use crate::sigv4::{Request as SigRequest, Signer};
use serde_json::Value;
use shardlog::{Clock, PutEntry, Store, StoreOptions};
use shardlog_server::{eventstream, Credentials, Server, ServerOptions};
use shardlog_storage::SimDisk;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Access key id the server checks signatures against in signing mode.
pub const ACCESS_KEY_ID: &str = "AKID";
/// Its secret.
pub const SECRET: &str = "secret";
/// The store's clock (fixed, so consumer ARNs and timestamps are the same on every run).
pub const NOW_MS: u64 = 1_790_000_000_000;
/// The ARN of consumer `c` of stream `s`, registered at [`NOW_MS`].
pub const CONSUMER_ARN: &str =
    "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1790000000";
/// Body limit of the server under test (small, so 413 is reachable).
pub const MAX_BODY: usize = 64 << 10;
/// How long to wait for an answer to a request that looks complete before closing the sending
/// side (the server may be waiting for bytes the input does not have).
const ANSWER_WAIT: Duration = Duration::from_millis(300);
/// The longest the server may take to answer or close once the client has stopped sending.
pub const HANG_LIMIT: Duration = Duration::from_secs(5);
/// Largest response read.
const MAX_RESPONSE: usize = 1 << 20;

/// One runtime for every input: building a multi-threaded runtime per input costs more than the
/// request.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("a tokio runtime: {e}"))
    })
}

/// A store with stream `s` (two shards, one record) and its consumer `c`.
fn store() -> Store {
    let opts = StoreOptions {
        retention_interval: None,
        clock: Clock::manual(NOW_MS),
        // Small segments: the default 64 MiB ones cost tens of milliseconds to allocate.
        segment_bytes: 64 << 10,
        ..StoreOptions::default()
    };
    let store = Store::open_with_storage(Arc::new(SimDisk::new(13)), opts)
        .unwrap_or_else(|e| panic!("a fresh simulated store must open: {e}"));
    store
        .create_stream("s", 2)
        .unwrap_or_else(|e| panic!("stream creation on a fresh store: {e}"));
    store
        .put_record("s", PutEntry::new("k", b"v"))
        .unwrap_or_else(|e| panic!("a put on a fresh store: {e}"));
    let consumer = store
        .register_consumer("s", "c")
        .unwrap_or_else(|e| panic!("consumer registration on a fresh store: {e}"));
    assert_eq!(
        consumer.arn, CONSUMER_ARN,
        "the fixed clock gives a fixed ARN"
    );
    store
}

/// A server running on [`runtime`] until [`Running::stop`].
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    fn start(store: Store, signing: bool) -> Running {
        let opts = ServerOptions {
            max_body_bytes: MAX_BODY,
            credentials: signing.then(|| Credentials::new(ACCESS_KEY_ID, SECRET)),
            // A subscription ends right after its initial response: the check reads whole answers.
            subscription_lifetime: Duration::ZERO,
            shutdown_grace: HANG_LIMIT,
            ..ServerOptions::default()
        };
        let rt = runtime();
        let server = rt
            .block_on(Server::bind("127.0.0.1:0", store, opts))
            .unwrap_or_else(|e| panic!("binding 127.0.0.1:0: {e}"));
        let addr = server
            .local_addr()
            .unwrap_or_else(|e| panic!("the bound address: {e}"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = rt.spawn(server.run(async {
            let _ = stopped.await;
        }));
        Running { addr, stop, task }
    }

    /// Shuts down; fails if that takes longer than the grace period plus a margin.
    fn stop(self) {
        let _ = self.stop.send(());
        let limit = HANG_LIMIT + Duration::from_secs(5);
        let done = runtime().block_on(async { tokio::time::timeout(limit, self.task).await });
        match done {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("the server stopped with an error: {e}"),
            Ok(Err(e)) => panic!("the server task failed: {e}"),
            Err(_) => panic!("the server did not stop within {limit:?}"),
        }
    }
}

/// Runs the `http_request` checks on one input.
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs the `http_request` checks on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let Some((&flags, request)) = data.split_first() else {
        return;
    };
    let signing = flags & 1 == 1;
    let store = store();
    let server = Running::start(store.clone(), signing);
    let answer = exchange(server.addr, request);
    if let Some(resp) = &answer.response {
        check_response(resp, request, strict);
    }
    good_request_answers(server.addr, signing);
    server.stop();
    if let Err(e) = store.close() {
        panic!("the store does not close after the server stopped: {e}");
    }
}

/// What came back on the connection.
#[derive(Debug)]
struct Answer {
    /// The first response, if one arrived whole.
    response: Option<Response>,
}

/// One parsed response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` on a new connection and reads the first answer.
fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    let _ = s.set_nodelay(true);
    let _ = s.set_write_timeout(Some(HANG_LIMIT));
    // The server may answer and close before it has read everything (a 413, a parse error):
    // a failed write is not a failure, what it answered is checked below.
    let _ = s.write_all(request);
    let mut closed_ours = false;
    if expects_more(request) {
        let _ = s.shutdown(Shutdown::Write);
        closed_ours = true;
    }
    let started = Instant::now();
    let mut buf = Vec::new();
    let head_request = request.starts_with(b"HEAD ");
    loop {
        match parse_response(&buf, head_request) {
            Parsed::Complete(resp) => {
                return Answer {
                    response: Some(resp),
                }
            }
            Parsed::Invalid(why) => panic!(
                "the server answered a malformed response ({why}): {:?}",
                String::from_utf8_lossy(&buf)
            ),
            Parsed::Partial => {}
        }
        let waited = started.elapsed();
        if waited >= HANG_LIMIT {
            panic!(
                "the server neither answered nor closed within {HANG_LIMIT:?}; got {:?}",
                String::from_utf8_lossy(&buf)
            );
        }
        let wait = if closed_ours {
            HANG_LIMIT - waited
        } else {
            ANSWER_WAIT
        };
        let _ = s.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        let mut chunk = [0u8; 16 << 10];
        match s.read(&mut chunk) {
            Ok(0) => return closed(&buf, head_request, closed_ours),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                assert!(
                    buf.len() <= MAX_RESPONSE,
                    "an answer over {MAX_RESPONSE} bytes"
                );
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                // Nothing yet: the server waits for the rest of a request we think complete.
                if !closed_ours {
                    let _ = s.shutdown(Shutdown::Write);
                    closed_ours = true;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Reset by the server: it closed, possibly with unread input.
            Err(_) => return closed(&buf, head_request, closed_ours),
        }
    }
}

/// The connection ended: fine with nothing received; a response must be whole, except for a
/// body cut because we closed our side while it was streaming.
fn closed(buf: &[u8], head_request: bool, closed_ours: bool) -> Answer {
    if buf.is_empty() {
        return Answer { response: None };
    }
    match parse_response_at_eof(buf, head_request) {
        Ok(resp) => Answer {
            response: Some(resp),
        },
        Err(why) if closed_ours && why == "body cut short" => Answer { response: None },
        Err(why) => panic!(
            "the connection closed on a partial or malformed response ({why}): {:?}",
            String::from_utf8_lossy(buf)
        ),
    }
}

/// Whether the request bytes end before the request does (so the server waits for more):
/// headers not finished, or fewer body bytes than `Content-Length`, or an unfinished chunked body.
pub fn expects_more(request: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(request) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return true,
        Err(_) => return false,
    };
    let rest = &request[head_len..];
    let value = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    if value("transfer-encoding").is_some_and(|te| te.ends_with("chunked")) {
        return matches!(dechunk(rest), Chunked::Partial);
    }
    match value("content-length").map(|v| v.parse::<usize>()) {
        Some(Ok(n)) => rest.len() < n,
        _ => false,
    }
}

/// A chunked body: decoded with the bytes it took, unfinished, or malformed.
#[derive(Debug)]
pub enum Chunked {
    /// The body and the length of its encoding (trailers included).
    Complete(Vec<u8>, usize),
    /// More bytes needed.
    Partial,
    /// Not chunked encoding.
    Invalid,
}

/// Decodes a chunked body from the front of `buf` (RFC 9112 §7.1).
pub fn dechunk(buf: &[u8]) -> Chunked {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (start, size) = match httparse::parse_chunk_size(&buf[at..]) {
            Ok(httparse::Status::Complete(v)) => v,
            Ok(httparse::Status::Partial) => return Chunked::Partial,
            Err(_) => return Chunked::Invalid,
        };
        at += start;
        let Ok(size) = usize::try_from(size) else {
            return Chunked::Invalid;
        };
        if size == 0 {
            return trailers(buf, at, body);
        }
        let Some(end) = at
            .checked_add(size)
            .filter(|e| e.saturating_add(2) <= buf.len())
        else {
            return Chunked::Partial;
        };
        body.extend_from_slice(&buf[at..end]);
        if &buf[end..end + 2] != b"\r\n" {
            return Chunked::Invalid;
        }
        at = end + 2;
    }
}

/// The trailer section after the last chunk: header lines up to an empty line.
fn trailers(buf: &[u8], mut at: usize, body: Vec<u8>) -> Chunked {
    loop {
        let Some(eol) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
            return Chunked::Partial;
        };
        if eol == 0 {
            return Chunked::Complete(body, at + 2);
        }
        at += eol + 2;
    }
}

/// A response read so far.
enum Parsed {
    Complete(Response),
    Partial,
    Invalid(String),
}

/// Parses the first final response in `buf` (interim 1xx responses are skipped).
fn parse_response(buf: &[u8], head_request: bool) -> Parsed {
    let mut buf = buf;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        let head_len = match resp.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Parsed::Partial,
            Err(e) => return Parsed::Invalid(format!("status line or headers: {e}")),
        };
        let status = resp.code.unwrap_or_default();
        if resp.version != Some(1) && resp.version != Some(0) {
            return Parsed::Invalid(format!("version {:?}", resp.version));
        }
        let headers: Vec<(String, String)> = resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let rest = &buf[head_len..];
        if (100..200).contains(&status) {
            buf = rest;
            continue;
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let body = if head_request || status == 204 || status == 304 {
            Ok(Some(Vec::new()))
        } else if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
            match dechunk(rest) {
                Chunked::Complete(body, _) => Ok(Some(body)),
                Chunked::Partial => Ok(None),
                Chunked::Invalid => Err("a malformed chunked body".to_string()),
            }
        } else if let Some(len) = header("content-length") {
            match len.trim().parse::<usize>() {
                Ok(n) if rest.len() >= n => Ok(Some(rest[..n].to_vec())),
                Ok(_) => Ok(None),
                Err(_) => Err(format!("Content-Length {len:?}")),
            }
        } else {
            Ok(None) // delimited by the end of the connection
        };
        return match body {
            Ok(Some(body)) => Parsed::Complete(Response {
                status,
                headers,
                body,
            }),
            Ok(None) => Parsed::Partial,
            Err(why) => Parsed::Invalid(why),
        };
    }
}

/// Parses a response that the end of the connection finished.
fn parse_response_at_eof(buf: &[u8], head_request: bool) -> Result<Response, String> {
    match parse_response(buf, head_request) {
        Parsed::Complete(r) => Ok(r),
        Parsed::Invalid(why) => Err(why),
        Parsed::Partial => {
            // Complete only if the body runs to the end of the connection: no length, not chunked.
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut headers);
            let Ok(httparse::Status::Complete(n)) = resp.parse(buf) else {
                return Err("the status line and headers were cut short".into());
            };
            let framed = resp.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("content-length")
                    || h.name.eq_ignore_ascii_case("transfer-encoding")
            });
            if framed || resp.code.is_some_and(|c| c < 200) {
                return Err("body cut short".into());
            }
            Ok(Response {
                status: resp.code.unwrap_or_default(),
                headers: resp
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect(),
                body: buf[n..].to_vec(),
            })
        }
    }
}

/// The HTTP version of a request line (`HTTP/x.y` at its end), if it has one.
fn request_version(request: &[u8]) -> Option<&[u8]> {
    let line_end = request.windows(2).position(|w| w == b"\r\n")?;
    let line = &request[..line_end];
    let at = line.iter().rposition(|&b| b == b' ')?;
    Some(&line[at + 1..])
}

/// A response is sound: no 5xx, and a body in the format its `Content-Type` names.
fn check_response(resp: &Response, request: &[u8], strict: bool) {
    let body = String::from_utf8_lossy(&resp.body);
    if resp.status == 500 && !strict {
        let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        if crate::known::open_bug(&v) {
            return;
        }
    }
    if resp.status == 505 {
        let version = request_version(request).unwrap_or_default();
        assert!(
            version != b"HTTP/1.1" && version != b"HTTP/1.0",
            "505 for a request line of version {:?}",
            String::from_utf8_lossy(version)
        );
        return;
    }
    assert!(
        resp.status < 500,
        "the server answered {} to a client's request: {body}",
        resp.status
    );
    let content_type = resp.header("content-type").unwrap_or_default();
    match content_type {
        "application/x-amz-json-1.1" => check_json(resp),
        "application/x-amz-cbor-1.1" => {
            let decodes = resp.body.is_empty()
                || ciborium::de::from_reader::<ciborium::Value, _>(resp.body.as_slice()).is_ok();
            assert!(
                decodes,
                "a CBOR answer that does not decode ({})",
                resp.status
            );
        }
        "application/vnd.amazon.eventstream" => check_event_stream(resp),
        _ => {}
    }
}

/// A JSON body parses; an error names its type, the same as `x-amzn-ErrorType`.
fn check_json(resp: &Response) {
    if resp.body.is_empty() {
        return;
    }
    let v: Value = serde_json::from_slice(&resp.body).unwrap_or_else(|e| {
        panic!(
            "a JSON answer that does not parse ({e}): {}",
            String::from_utf8_lossy(&resp.body)
        )
    });
    if resp.status >= 400 {
        let kind = v["__type"].as_str().unwrap_or_default();
        assert!(!kind.is_empty(), "an error without __type: {v}");
        if let Some(header) = resp.header("x-amzn-errortype") {
            assert_eq!(header, kind, "x-amzn-ErrorType and __type differ");
        }
    }
}

/// A SubscribeToShard answer: event-stream frames, the first the initial response.
fn check_event_stream(resp: &Response) {
    assert_eq!(
        resp.status, 200,
        "an event stream with status {}",
        resp.status
    );
    let mut rest = resp.body.as_slice();
    let mut first = true;
    while !rest.is_empty() {
        let Some((headers, _, used)) = eventstream::decode(rest) else {
            panic!("an event-stream answer with a frame that does not decode")
        };
        if first {
            let event = headers.iter().find(|(n, _)| n == ":event-type");
            assert_eq!(
                event.map(|(_, v)| v.as_str()),
                Some("initial-response"),
                "the first frame"
            );
            first = false;
        }
        rest = &rest[used..];
    }
}

/// The request every check ends with: `DescribeStreamSummary` of stream `s`, signed when the
/// server checks signatures.
pub fn good_request(signing: bool) -> Vec<u8> {
    let body = br#"{"StreamName":"s"}"#.to_vec();
    let mut req = SigRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("Host".into(), "127.0.0.1".into()),
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            (
                "X-Amz-Target".into(),
                "Kinesis_20131202.DescribeStreamSummary".into(),
            ),
        ],
        body,
    };
    if signing {
        signer().sign(
            &mut req,
            &["host", "content-type", "x-amz-target"],
            "20260921T141320Z",
        );
    }
    to_wire(&req)
}

/// The reference signer with the server's credentials.
pub fn signer() -> Signer {
    Signer {
        key_id: ACCESS_KEY_ID.into(),
        secret: SECRET.into(),
        date: "20260921".into(),
        region: "us-east-1".into(),
        service: "kinesis".into(),
        separator: ", ",
    }
}

/// A request as HTTP/1.1 bytes, with `Content-Length` and `Connection: close`.
pub fn to_wire(req: &SigRequest) -> Vec<u8> {
    let target = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    let mut out = format!("{} {target} HTTP/1.1\r\n", req.method);
    for (n, v) in &req.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        req.body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&req.body);
    bytes
}

/// A good request on a new connection is answered with 200 and the stream's summary.
fn good_request_answers(addr: SocketAddr, signing: bool) {
    let answer = exchange(addr, &good_request(signing));
    let Some(resp) = answer.response else {
        panic!("the server closed the connection on a good request")
    };
    let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    assert_eq!(resp.status, 200, "a good request afterwards: {v}");
    assert_eq!(
        v["StreamDescriptionSummary"]["StreamName"], "s",
        "a good request afterwards: {v}"
    );
}

/// Seeds: one request per kind of path through the server, unsigned and signed.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let json = "application/x-amz-json-1.1";
    let kinesis = |op: &str, ct: &str, body: &[u8]| -> SigRequest {
        SigRequest {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: vec![
                ("Host".into(), "127.0.0.1:4567".into()),
                ("Content-Type".into(), ct.into()),
                ("X-Amz-Target".into(), format!("Kinesis_20131202.{op}")),
            ],
            body: body.to_vec(),
        }
    };
    let mut cbor = Vec::new();
    let describe = ciborium::Value::Map(vec![("StreamName".into(), "s".into())]);
    if ciborium::ser::into_writer(&describe, &mut cbor).is_err() {
        cbor.clear();
    }
    let subscribe = format!(
        r#"{{"ConsumerARN":"{CONSUMER_ARN}","ShardId":"shardId-000000000000","StartingPosition":{{"Type":"TRIM_HORIZON"}}}}"#
    );
    let cases: Vec<(&str, SigRequest)> = vec![
        ("list-streams", kinesis("ListStreams", json, b"{}")),
        (
            "put-record",
            kinesis(
                "PutRecord",
                json,
                br#"{"StreamName":"s","Data":"aGk=","PartitionKey":"k"}"#,
            ),
        ),
        (
            "describe-cbor",
            kinesis("DescribeStream", "application/x-amz-cbor-1.1", &cbor),
        ),
        (
            "subscribe",
            kinesis("SubscribeToShard", json, subscribe.as_bytes()),
        ),
        ("unknown-target", kinesis("Frobnicate", json, b"{}")),
        (
            "unknown-content-type",
            kinesis("ListStreams", "text/plain", b"{}"),
        ),
        (
            "bad-json",
            kinesis("CreateStream", json, b"{\"StreamName\":"),
        ),
        (
            "lease-describe",
            SigRequest {
                headers: vec![
                    ("Content-Type".into(), json.into()),
                    (
                        "X-Amz-Target".into(),
                        "ShardlogLeases_20261206.DescribeLeaseTable".into(),
                    ),
                ],
                ..kinesis("", json, b"{}")
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, req) in &cases {
        out.push((name.to_string(), [&[0u8][..], &to_wire(req)].concat()));
    }
    for (name, req) in cases.into_iter().take(4) {
        let mut req = req;
        signer().sign(
            &mut req,
            &["host", "content-type", "x-amz-target"],
            "20260921T141320Z",
        );
        out.push((
            format!("signed-{name}"),
            [&[1u8][..], &to_wire(&req)].concat(),
        ));
    }
    let raw: [(&str, &[u8]); 7] = [
        ("metrics", b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("get-root", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("head", b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"),
        (
            "chunked",
            b"POST / HTTP/1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        ),
        (
            "too-large",
            b"POST / HTTP/1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 99999999\r\n\r\n{}",
        ),
        (
            "short-body",
            b"POST / HTTP/1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{}",
        ),
        (
            "pipelined",
            b"POST / HTTP/1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 2\r\n\r\n{}GET /metrics HTTP/1.1\r\n\r\n",
        ),
    ];
    for (name, bytes) in raw {
        out.push((name.to_string(), [&[0u8][..], bytes].concat()));
    }
    out.push((
        "unsigned-to-signing-server".into(),
        [&[1u8][..], raw[3].1].concat(),
    ));
    out
}
