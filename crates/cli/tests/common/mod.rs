//! What several CLI test binaries share: a `shardlog serve` child and a PutRecords over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

/// Starts `shardlog serve` on `dir` and an ephemeral port; returns the child and its address. The
/// server's stderr is drained on a thread so that it never blocks on a full pipe.
pub fn start_server(dir: &Path) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut server = Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = stderr
        .by_ref()
        .map(|l| l.unwrap())
        .find_map(|l| {
            l.split("http://")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        })
        .expect("a listening line");
    std::thread::spawn(move || stderr.for_each(drop));
    (server, addr)
}

/// Puts `n` records into `stream` with one unsigned PutRecords over HTTP/1.1; true if answered 200.
pub fn put_over_http(addr: &str, stream: &str, n: usize) -> bool {
    use std::io::{Read as _, Write as _};
    let records: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"Data":"cmVjb3Jk","PartitionKey":"k{i}"}}"#))
        .collect();
    let body = format!(
        r#"{{"StreamName":"{stream}","Records":[{}]}}"#,
        records.join(",")
    );
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let Ok(mut conn) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let mut answer = String::new();
    conn.write_all(request.as_bytes()).is_ok()
        && conn.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}
