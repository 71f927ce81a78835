//! The `shardlog` binary end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn shardlog(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn create_put_get_describe_split() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "clicks", "--shards", "2"], "").0);
    let events: String = (0..30)
        .map(|i| {
            format!(
                "{{\"userId\":\"user-{}\",\"eventType\":\"click\",\"n\":{i}}}\n",
                i % 3
            )
        })
        .collect();
    let (ok, out, err) = shardlog(d, &["put", "clicks", "--key-field", "userId"], &events);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "put 30 record(s) into clicks; 0 failed");
    let mut total = 0;
    for shard in ["0", "shardId-000000000001"] {
        let (ok, out, err) = shardlog(d, &["get", "clicks", shard], "");
        assert!(ok, "{err}");
        for line in out.lines() {
            let cols: Vec<&str> = line.splitn(3, '\t').collect();
            assert!(cols[0].parse::<shardlog::SequenceNumber>().is_ok());
            assert!(cols[1].starts_with("user-"));
            assert!(cols[2].contains(cols[1]));
            total += 1;
        }
    }
    assert_eq!(total, 30);
    let (ok, out, _) = shardlog(d, &["describe", "clicks"], "");
    assert!(ok);
    assert_eq!(out.lines().count(), 3);
    let (ok, out, err) = shardlog(d, &["split", "clicks", "0", "1000"], "");
    assert!(ok, "{err}");
    assert!(out.contains("into shardId-000000000002 and shardId-000000000003"));
    let (ok, out, _) = shardlog(d, &["get", "clicks", "0", "--limit", "100000"], "");
    assert!(ok);
    assert!(
        out.contains("# end of closed shard; child shardId-000000000002"),
        "{out}"
    );
    assert_eq!(shardlog(d, &["list"], "").1.trim(), "clicks");
}

#[test]
fn errors_are_one_line_with_a_failing_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (args, msg) in [
        (vec!["create-stream", "bad/name"], "validation error"),
        (
            vec!["describe", "missing"],
            "Stream missing under account 000000000000 not found.",
        ),
        (vec!["get", "missing", "0"], "not found"),
    ] {
        let (ok, _, err) = shardlog(d, &args, "");
        assert!(!ok, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains(msg), "{err}");
    }
}

#[test]
fn a_second_process_is_refused_while_one_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "s"], "").0);
    let spawn_tail = || {
        Command::new(env!("CARGO_BIN_EXE_shardlog"))
            .arg("--data-dir")
            .arg(d)
            .args(["tail", "s", "0", "--type", "latest"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut tail = spawn_tail();
    let mut refused = None;
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        // Our own probe may have held the lock when the tail started: start it again then.
        if tail.try_wait().unwrap().is_some() {
            tail = spawn_tail();
            continue;
        }
        let (ok, _, err) = shardlog(d, &["list"], "");
        if !ok {
            refused = Some(err);
            break;
        }
    }
    tail.kill().unwrap();
    tail.wait().unwrap();
    let err = refused.expect("the second process was never refused");
    assert!(err.contains("in use by another process"), "{err}");
    assert!(
        shardlog(d, &["list"], "").0,
        "the lock is released when the holder dies"
    );
}

#[test]
fn leases_lists_applications_owners_and_checkpoints() {
    use shardlog::consumer::{Checkpoint, LeaseKey, LeaseOp, LeaseOptions, NewLease};
    let dir = tempfile::tempdir().unwrap();
    let seq = {
        let store = shardlog::Store::open(dir.path(), shardlog::StoreOptions::default()).unwrap();
        store.create_stream("clicks", 1).unwrap();
        let put = store
            .put_record("clicks", shardlog::PutEntry::new("k", b"v"))
            .unwrap();
        let table = store.lease_table(LeaseOptions::default()).unwrap();
        for app in ["billing", "audit"] {
            let key = LeaseKey::new(app, "clicks", "shardId-000000000000");
            let l = table.create_if_absent(&key, NewLease::default()).unwrap();
            if app == "billing" {
                let l = table
                    .change(&key, l.counter, LeaseOp::take("host-a", 1))
                    .unwrap();
                let cp = Checkpoint::sequence(&put.sequence_number.to_string(), 0);
                table
                    .change(&key, l.counter, LeaseOp::checkpoint(cp))
                    .unwrap();
            }
        }
        store.close().unwrap();
        put.sequence_number.to_string()
    };
    let (ok, out, err) = shardlog(dir.path(), &["leases", "--history"], "");
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("application\tstream\tshard\towner"));
    assert!(
        lines[1].starts_with("audit\tclicks\tshardId-000000000000\t-\t0\tTRIM_HORIZON"),
        "{out}"
    );
    let billing = format!("billing\tclicks\tshardId-000000000000\thost-a\t2\t{seq}\t0\t");
    assert!(lines[2].starts_with(&billing), "{out}");
    assert_eq!(lines[3], format!("  #0\tcounter 2\thost-a\t{seq}"));
    let (ok, out, _) = shardlog(dir.path(), &["leases", "--application", "audit"], "");
    assert!(ok && out.lines().count() == 2, "{out}");
}

/// Issue 13.2, as a new user met it: with the catalog moved aside, `shardlog list` exited 0 and
/// deleted every stream's files. Now it fails, names the file, says what to do, and deletes nothing.
#[test]
fn a_missing_catalog_is_an_error_that_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "clicks", "--shards", "2"], "").0);
    let (ok, _, err) = shardlog(d, &["put", "clicks"], "one\ntwo\n");
    assert!(ok, "{err}");
    let size = |p: &std::path::Path| {
        fn walk(p: &std::path::Path) -> u64 {
            std::fs::read_dir(p)
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    let m = e.metadata().unwrap();
                    if m.is_dir() {
                        walk(&e.path())
                    } else {
                        m.len()
                    }
                })
                .sum()
        }
        walk(p)
    };
    let before = size(&d.join("streams"));
    std::fs::rename(d.join("catalog"), d.join("catalog.moved")).unwrap();
    let (ok, _, err) = shardlog(d, &["list"], "");
    assert!(!ok);
    assert!(err.contains("catalog") && err.contains("missing"), "{err}");
    assert_eq!(size(&d.join("streams")), before);
}

/// Starts `serve` with `args` on an ephemeral port and returns its stderr lines up to the one that
/// says where it listens; the server is killed then.
fn serve_until_listening(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let done = line.contains("listening on");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

#[test]
fn serve_tls_makes_a_self_signed_certificate_once_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cert = d.join("tls").join("cert.pem");
    let first = serve_until_listening(d, &["--tls"]).join("\n");
    assert!(first.contains("(made)"), "{first}");
    assert!(
        first.contains(&format!("AWS_CA_BUNDLE={}", cert.display())),
        "{first}"
    );
    assert!(first.contains("listening on https://127.0.0.1:"), "{first}");
    let made = std::fs::read(&cert).unwrap();
    let again = serve_until_listening(d, &["--tls"]).join("\n");
    assert!(again.contains("(reused)"), "{again}");
    assert_eq!(std::fs::read(&cert).unwrap(), made);
    // The same files given explicitly; without TLS flags the server is plain HTTP.
    let key = d.join("tls").join("key.pem");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let given = serve_until_listening(d, &["--tls-cert", cert, "--tls-key", key]).join("\n");
    assert!(given.contains("listening on https://"), "{given}");
    let plain = serve_until_listening(d, &[]).join("\n");
    assert!(plain.contains("listening on http://"), "{plain}");
    // A bad file is named in a one-line error.
    let (ok, _, err) = shardlog(d, &["serve", "--tls-cert", key, "--tls-key", key], "");
    assert!(!ok);
    assert!(
        err.starts_with("error: ") && err.contains("key.pem") && err.contains("no certificate"),
        "{err}"
    );
}
