//! The S3 sink against a recording HTTP listener (what the sink sends, and what it makes of the
//! answers), and against nothing at all. The sink against a real S3-compatible service (moto's)
//! is in `crates/server/tests/clients/kinesis_channels.py --s3`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{Error, ObjectSink};
use shardlog_objects::{S3Config, S3Sink};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// One request as the listener saw it.
#[derive(Debug)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Listens on a free port; answers every request with `status` and sends what it saw.
fn listener(status: &'static str) -> (String, mpsc::Receiver<Seen>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            while let Some(seen) = read_request(&mut r) {
                if tx.send(seen).is_err() {
                    return;
                }
                let answer =
                    format!("HTTP/1.1 {status}\r\nETag: \"e\"\r\nContent-Length: 0\r\n\r\n");
                if conn.write_all(answer.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    (url, rx)
}

fn read_request(r: &mut impl BufRead) -> Option<Seen> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        line: line.trim_end().to_string(),
        headers,
        body,
    })
}

fn config(endpoint: String) -> S3Config {
    S3Config {
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some("secret".into()),
    }
}

#[test]
fn an_object_is_one_signed_path_style_put_of_its_bytes() {
    let (url, seen) = listener("200 OK");
    let sink = S3Sink::new(config(url.clone())).unwrap();
    assert_eq!(sink.name(), format!("S3 at {url}"));
    let body = b"{\"n\":1}\n{\"n\":2}\n";
    sink.put_object("lake", "kinesis-channel/c/id/2026/12/07/c-x.json", body)
        .unwrap();
    let got = seen.recv().unwrap();
    assert_eq!(
        got.line,
        "PUT /lake/kinesis-channel/c/id/2026/12/07/c-x.json HTTP/1.1"
    );
    assert_eq!(got.body, body);
    let auth = got
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && auth.contains("/us-east-1/s3/aws4_request"),
        "{auth}"
    );
}

#[test]
fn a_refused_put_is_unavailable_with_the_object_named() {
    let (url, _seen) = listener("403 Forbidden");
    let sink = S3Sink::new(config(url)).unwrap();
    match sink.put_object("lake", "a/b.json", b"x\n") {
        Err(Error::Unavailable(m)) => assert!(m.contains("s3://lake/a/b.json"), "{m}"),
        other => panic!("want Unavailable, got {other:?}"),
    }
}

#[test]
fn a_service_that_is_not_there_is_unavailable_and_the_sink_drops_inside_a_runtime() {
    // A port nothing listens on: bound, then let go.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = S3Sink::new(config(format!("http://127.0.0.1:{port}"))).unwrap();
    let e = sink.put_object("lake", "k.json", b"x\n").unwrap_err();
    assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
    // A store may be dropped on a runtime's thread (the server's): no panic.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async move { drop(sink) });
}
