//! A server on an ephemeral port and a minimal blocking HTTP/1.1 client for the tests.

#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use shardlog::{Store, StoreOptions};
use shardlog_server::{Server, ServerOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

pub struct TestServer {
    pub addr: SocketAddr,
    /// The metrics listener's address, when `ServerOptions::metrics_bind` asked for one.
    #[allow(dead_code)]
    pub metrics_addr: Option<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Opens the store in `dir` and serves it until [`TestServer::stop`] (or drop).
    pub fn start(dir: &Path, opts: ServerOptions) -> TestServer {
        TestServer::start_with(dir, StoreOptions::default(), opts)
    }

    /// [`TestServer::start`] with the store's options too (small segments for many streams).
    pub fn start_with(dir: &Path, store_opts: StoreOptions, opts: ServerOptions) -> TestServer {
        let store = Store::open(dir, store_opts).unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let server = Server::bind("127.0.0.1:0", store.clone(), opts)
                    .await
                    .unwrap();
                addr_tx
                    .send((server.local_addr().unwrap(), server.metrics_addr()))
                    .unwrap();
                server
                    .run(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
            drop(rt);
            store.close().unwrap();
        });
        let (addr, metrics_addr) = addr_rx.recv().unwrap();
        TestServer {
            addr,
            metrics_addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Shuts down gracefully and waits until the store is closed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    /// Calls an operation with a JSON body; returns the status and the parsed body (`Null` if
    /// empty).
    pub fn call(&self, op: &str, body: Value) -> (u16, Value) {
        let (status, _, bytes) = self.raw(
            "POST",
            &[
                ("X-Amz-Target", &format!("Kinesis_20131202.{op}")),
                ("Content-Type", "application/x-amz-json-1.1"),
            ],
            body.to_string().as_bytes(),
        );
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, v)
    }

    /// Calls an operation that must succeed.
    pub fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }

    /// Calls an operation that must fail; returns `(status, __type, message)`.
    pub fn err(&self, op: &str, body: Value) -> (u16, String, String) {
        let (status, v) = self.call(op, body);
        assert_ne!(status, 200, "{op} succeeded: {v}");
        let kind = v["__type"].as_str().unwrap().to_string();
        // AWS writes `Message` in a SerializationException, `message` elsewhere.
        let text = v.get("message").or_else(|| v.get("Message"));
        let message = text.and_then(Value::as_str).unwrap_or_default().to_string();
        (status, kind, message)
    }

    /// One request on its own connection; returns status, headers (lower-case names) and the body
    /// (de-chunked).
    pub fn raw(
        &self,
        method: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        let mut req = format!(
            "{method} / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        read_response(&mut s)
    }

    /// One AWS CBOR 1.1 call (as the Java SDK and the KPL make them); returns the status and the
    /// decoded answer, after checking the answer is CBOR too.
    #[allow(dead_code)]
    pub fn cbor(&self, op: &str, v: ciborium::Value) -> (u16, ciborium::Value) {
        let mut body = Vec::new();
        ciborium::ser::into_writer(&v, &mut body).unwrap();
        let (status, headers, out) = self.raw(
            "POST",
            &[
                ("X-Amz-Target", &format!("Kinesis_20131202.{op}")),
                ("Content-Type", "application/x-amz-cbor-1.1"),
            ],
            &body,
        );
        assert!(headers.contains(&("content-type".into(), "application/x-amz-cbor-1.1".into())));
        (status, ciborium::de::from_reader(&out[..]).unwrap())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let (status, _, body) = read_response(&mut s);
        (status, String::from_utf8(body).unwrap())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub fn read_response(s: &mut TcpStream) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(all[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = all[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(&body) } else { body };
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// Waits until the server closes `c` (EOF or reset), returning what it sent first.
pub fn closed_by_server(c: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

/// One event-stream message: its string headers and payload.
pub struct Message {
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// A header's value, or "" when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Takes every complete event-stream message off the front of `buf`.
pub fn drain_messages(buf: &mut Vec<u8>) -> Vec<Message> {
    let mut out = Vec::new();
    while let Some((headers, payload, used)) = shardlog_server::eventstream::decode(buf) {
        out.push(Message {
            headers,
            payload: payload.to_vec(),
        });
        buf.drain(..used);
    }
    out
}

/// The member `key` of a decoded CBOR map (panics if there is none).
#[allow(dead_code)]
pub fn cbor_field(m: &ciborium::Value, key: &str) -> ciborium::Value {
    m.as_map()
        .unwrap()
        .iter()
        .find(|(n, _)| n.as_text() == Some(key))
        .unwrap()
        .1
        .clone()
}
