//! `shardlog channel` end to end: create, deliver and the status line, on a store the command
//! opens itself and on one a running `shardlog serve` holds (through its control socket).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{put_over_http, start_server};
use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn shardlog(data_dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "shardlog {args:?}: {out:?}");
    out
}

/// The one channel's progress, from `channel status --json`.
fn status(data_dir: &Path) -> Value {
    let out = shardlog(data_dir, &["channel", "status", "--json"], b"");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    serde_json::from_str(lines[0]).unwrap()
}

/// A store with an on-demand stream `s`, a JSON channel `archive` on it, and `n` records put.
fn store_with_waiting_records(dir: &Path, n: usize) {
    shardlog(
        dir,
        &["create-stream", "s", "--shards", "2", "--on-demand"],
        b"",
    );
    shardlog(
        dir,
        &[
            "channel", "create", "archive", "--stream", "s", "--bucket", "lake",
        ],
        b"",
    );
    let lines: String = (0..n).map(|i| format!("{{\"n\":{i}}}\n")).collect();
    shardlog(dir, &["put", "s"], lines.as_bytes());
}

#[test]
fn status_counts_what_waits_and_what_was_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    store_with_waiting_records(&data, 40);
    // `put` closed the store, which delivered what the channel held: nothing waits.
    let s = status(&data);
    assert_eq!(s["records_delivered"], 40, "{s}");
    assert_eq!(s["behind"], 0, "{s}");
    assert!(s["objects_written"].as_u64().unwrap() >= 1, "{s}");
    assert!(s["last_delivery_ms"].as_u64().is_some(), "{s}");
    assert_eq!(s["oldest_waiting_ms"], Value::Null, "{s}");
    let line = shardlog(&data, &["channel", "status", "archive"], b"").stdout;
    let line = String::from_utf8(line).unwrap();
    assert!(
        line.starts_with("archive ACTIVE: delivered 40 records")
            && line.contains("nothing waiting"),
        "{line}"
    );
    let missing = Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(&data)
        .args(["channel", "status", "nope"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn status_of_a_served_store_comes_through_its_control_socket() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    store_with_waiting_records(&data, 10);
    let (server, addr) = start_server(&data);
    // Put through the server: the records wait for the channel's 300 s freshness.
    assert!(put_over_http(&addr, "s", 5));
    let s = status(&data);
    assert_eq!(s["records_delivered"], 10, "{s}");
    assert_eq!(s["behind"], 5, "{s}");
    assert!(s["oldest_waiting_ms"].as_u64().is_some(), "{s}");
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let mut server = server;
    assert!(server.wait().unwrap().success());
    // The server's close delivered the five (as dead letters: they are not JSON); the command
    // opens the store itself again.
    let s = status(&data);
    assert_eq!(
        (&s["records_delivered"], &s["behind"]),
        (&Value::from(15), &Value::from(0)),
        "{s}"
    );
}
