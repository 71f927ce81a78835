//! `--log-format json` and `RUST_LOG`: log lines are JSON objects on stderr, command output stays
//! alone on stdout, and recovery after an unclean shutdown says what it found.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead as _;
use std::process::{Command, Stdio};

fn shardlog(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shardlog"));
    c.arg("--data-dir").arg(dir);
    c
}

/// Every stderr line as a JSON object (panics on a line that is not one).
fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v.is_object(), "{l}");
            v
        })
        .collect()
}

fn message(v: &serde_json::Value) -> &str {
    v["fields"]["message"].as_str().unwrap_or_default()
}

#[test]
fn json_logs_tell_where_serve_listens_and_what_recovery_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = shardlog(d)
        .args(["create-stream", "s", "--shards", "2"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success());
    // Without RUST_LOG a one-shot command logs nothing at info: a clean open is quiet.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut put = shardlog(d)
        .args(["put", "s", "--partition-key", "k"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut put.stdin.take().unwrap(), b"one\ntwo\n").unwrap();
    assert!(put.wait().unwrap().success());

    // `serve` logs at info by default: the store it opened, then where it listens.
    let mut child = shardlog(d)
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let done = message(&v) == "listening";
        seen.push(v);
        if done {
            break;
        }
    }
    // Killed, not stopped: the next open finds an unclean shutdown.
    child.kill().unwrap();
    child.wait().unwrap();
    let opened = seen
        .iter()
        .find(|v| message(v) == "store opened")
        .expect("a store opened event");
    assert_eq!(opened["level"], "INFO");
    assert_eq!(opened["fields"]["streams"], 1);
    assert_eq!(opened["fields"]["shards"], 2);
    let listening = seen.last().unwrap();
    assert_eq!(listening["level"], "INFO");
    assert_eq!(listening["target"], "shardlog_server");
    let url = listening["fields"]["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{listening}");
    assert_eq!(listening["fields"]["tls"], false);

    // A one-shot command with RUST_LOG=info: stdout is the command's output alone, stderr JSON
    // lines, and recovery names each shard it found open.
    let out = shardlog(d)
        .args(["--log-format", "json", "list"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "s\n");
    let logs = json_lines(&String::from_utf8(out.stderr).unwrap());
    let recovered: Vec<&serde_json::Value> = logs
        .iter()
        .filter(|v| message(v) == "recovered the newest segment after an unclean shutdown")
        .collect();
    // The shard written to has an active segment, left open by the kill.
    assert!(!recovered.is_empty(), "{logs:?}");
    for r in &recovered {
        assert_eq!(r["target"], "shardlog_segment::recovery");
        assert!(
            r["fields"]["file"].as_str().unwrap().ends_with(".seg"),
            "{r}"
        );
        assert!(r["fields"]["next_seq"].is_u64(), "{r}");
    }
    // Closed cleanly by `list`: the next open recovers nothing.
    let out = shardlog(d)
        .args(["--log-format", "json", "list"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let logs = json_lines(&String::from_utf8(out.stderr).unwrap());
    assert!(
        logs.iter().any(|v| message(v) == "store opened"),
        "{logs:?}"
    );
    assert!(
        !logs.iter().any(|v| message(v).starts_with("recovered")),
        "{logs:?}"
    );
}
