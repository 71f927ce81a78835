//! The `shardlog` binary end to end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::put_over_http;
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
        let done = line.contains("listening");
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
    assert!(first.contains("created=true"), "{first}");
    assert!(
        first.contains(&format!("cert={}", cert.display())),
        "{first}"
    );
    assert!(first.contains("url=https://127.0.0.1:"), "{first}");
    let made = std::fs::read(&cert).unwrap();
    let again = serve_until_listening(d, &["--tls"]).join("\n");
    assert!(again.contains("created=false"), "{again}");
    assert_eq!(std::fs::read(&cert).unwrap(), made);
    // The same files given explicitly; without TLS flags the server is plain HTTP.
    let key = d.join("tls").join("key.pem");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let given = serve_until_listening(d, &["--tls-cert", cert, "--tls-key", key]).join("\n");
    assert!(given.contains("url=https://"), "{given}");
    let plain = serve_until_listening(d, &[]).join("\n");
    assert!(plain.contains("url=http://"), "{plain}");
    // A bad file is named in a one-line error.
    let (ok, _, err) = shardlog(d, &["serve", "--tls-cert", key, "--tls-key", key], "");
    assert!(!ok);
    assert!(
        err.starts_with("error: ") && err.contains("key.pem") && err.contains("no certificate"),
        "{err}"
    );
}

/// Every file under `dir` with its bytes and modification time.
fn tree_snapshot(
    dir: &std::path::Path,
) -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let m = std::fs::metadata(&p).unwrap().modified().unwrap();
                out.push((p.clone(), std::fs::read(&p).unwrap(), m));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn exit_code(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shardlog"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn verify_exit_codes_json_and_no_file_changed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "s", "--shards", "2"], "").0);
    let lines: String = (0..100).map(|i| format!("line {i}\n")).collect();
    assert!(shardlog(d, &["put", "s", "--partition-key", "p"], &lines).0);
    let before = tree_snapshot(d);
    let (code, out) = exit_code(d, &["verify"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(": clean"), "{out}");
    let (code, out) = exit_code(d, &["verify", "--json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["clean"], true);
    assert_eq!(v["records"], 100);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(tree_snapshot(d), before, "verify changed a file");

    // Inspect reads the same store and names the records.
    let (code, out) = exit_code(d, &["inspect", "--json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["streams"][0]["shards"].as_array().unwrap().len(), 2);
    // Every record has key "p": one shard holds them all; the other's segment is empty.
    let segs: Vec<std::path::PathBuf> = ["shard-0000000000", "shard-0000000001"]
        .iter()
        .flat_map(|s| std::fs::read_dir(d.join("streams/s.1").join(s)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    assert_eq!(
        segs.len(),
        2,
        "each shard has its first segment from creation"
    );
    let mut with_records = None;
    for seg in &segs {
        let args = [
            "inspect",
            "segment",
            seg.to_str().unwrap(),
            "--limit",
            "2",
            "--json",
        ];
        let (code, out) = exit_code(d, &args);
        assert_eq!(code, Some(0));
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        if !v["records"].as_array().unwrap().is_empty() {
            with_records = Some((seg.clone(), v));
        }
    }
    let (seg, v) = with_records.expect("one segment holds the records");
    let seg_arg = seg.to_str().unwrap();
    let recs = v["records"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r["data_encoding"] == "text"));
    let (_, out) = exit_code(d, &["inspect", "segment", seg_arg, "--hex", "--limit", "1"]);
    assert!(out.contains("6c696e6520"), "{out}"); // "line " in hex
    assert_eq!(tree_snapshot(d), before, "inspect changed a file");

    // A flipped bit in the first frame: exit 1, the file and offset named.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&seg)
        .unwrap();
    use std::os::unix::fs::FileExt;
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, 4096 + 40).unwrap();
    f.write_all_at(&[b[0] ^ 1], 4096 + 40).unwrap();
    let (code, out) = exit_code(d, &["verify", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let finding = &v["findings"][0];
    assert_eq!(finding["kind"], "frame");
    assert_eq!(finding["offset"], 4096);
    assert_eq!(finding["file"], seg_arg);
    // Usage and I/O errors: exit 2.
    assert_eq!(exit_code(&d.join("missing"), &["verify"]).0, Some(2));
    assert_eq!(exit_code(d, &["verify", "--stream", "nope"]).0, Some(2));
    assert_eq!(exit_code(d, &["verify", "--bogus"]).0, Some(2));
}

/// Issue 19.1: verify runs beside a separate `shardlog serve` process that is taking writes (no
/// lock taken, nothing reported as damage), and after that server is killed.
#[test]
fn verify_is_clean_beside_a_running_server_and_after_it_is_killed() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "s", "--shards", "2"], "").0);
    let (mut server, addr) = common::start_server(d);
    let stop = AtomicBool::new(false);
    let (puts, verdicts) = std::thread::scope(|scope| {
        let producer = scope.spawn(|| {
            let mut ok = 0;
            while !stop.load(Ordering::Relaxed) {
                ok += usize::from(put_over_http(&addr, "s", 200));
            }
            ok
        });
        let verdicts: Vec<_> = (0..3)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                exit_code(d, &["verify"])
            })
            .collect();
        stop.store(true, Ordering::Relaxed);
        (producer.join().unwrap(), verdicts)
    });
    assert!(puts > 0, "no PutRecords went through");
    for (code, out) in &verdicts {
        assert_eq!(*code, Some(0), "verify beside the server: {out}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let (code, out) = exit_code(d, &["verify"]);
    assert_eq!(code, Some(0), "verify after the server was killed: {out}");
}

#[test]
fn inspect_checkpoint_prints_slots_and_escaped_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "s"], "").0);
    {
        let store = shardlog::Store::open(d, Default::default()).unwrap();
        let table = store.lease_table(Default::default()).unwrap();
        let key = shardlog::consumer::LeaseKey::new("app", "s", "shardId-000000000000");
        table.create_if_absent(&key, Default::default()).unwrap();
        drop(table);
        store.close().unwrap();
    }
    let db = d.join("leases.db");
    let (code, out) = exit_code(d, &["inspect", "checkpoint", db.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("slot 0 (byte 0)") && out.contains("(current)"),
        "{out}"
    );
    assert!(out.contains("shardId-000000000000"), "{out}");
    let (_, out) = exit_code(
        d,
        &["inspect", "checkpoint", db.to_str().unwrap(), "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["slots"].as_array().unwrap().len(), 2);
    assert!(v["damage"].as_array().unwrap().is_empty());
}

#[test]
fn repair_dry_run_exit_codes_and_a_cut_that_verifies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(shardlog(d, &["create-stream", "s", "--shards", "1"], "").0);
    let lines: String = (0..100).map(|i| format!("line {i}\n")).collect();
    assert!(shardlog(d, &["put", "s", "--partition-key", "p"], &lines).0);
    let shard = d.join("streams/s.1/shard-0000000000");
    let seg = std::fs::read_dir(&shard)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap();
    let original = {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&seg)
            .unwrap();
        let mut b = [0u8; 1];
        f.read_exact_at(&mut b, 4096 + 40).unwrap();
        f.write_all_at(&[b[0] ^ 1], 4096 + 40).unwrap();
        std::fs::read(&seg).unwrap()
    };
    let backups = tempfile::tempdir().unwrap();
    let bk = backups.path().join("b");
    let bk_arg = bk.to_str().unwrap();
    let before = tree_snapshot(d);
    let (code, out) = exit_code(d, &["repair", "--backup-dir", bk_arg]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("--cut-torn-tail") && out.contains("nothing was changed"),
        "{out}"
    );
    assert_eq!(tree_snapshot(d), before, "a dry run changed a file");
    // A used backup directory and a missing one: refused.
    std::fs::create_dir(&bk).unwrap();
    std::fs::write(bk.join("x"), b"x").unwrap();
    assert_eq!(
        exit_code(d, &["repair", "--backup-dir", bk_arg, "--cut-torn-tail"]).0,
        Some(2)
    );
    assert_eq!(exit_code(d, &["repair", "--cut-torn-tail"]).0, Some(2));
    std::fs::remove_file(bk.join("x")).unwrap();
    assert_eq!(tree_snapshot(d), before);
    let (code, out) = exit_code(
        d,
        &[
            "repair",
            "--backup-dir",
            bk_arg,
            "--cut-torn-tail",
            "--json",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["clean"], true);
    assert_eq!(v["actions"][0]["action"], "cut-torn-tail");
    assert_eq!(v["actions"][0]["lost"]["start"], 0);
    assert_eq!(v["actions"][0]["lost"]["end"], 100);
    let rel = seg.strip_prefix(d).unwrap();
    assert_eq!(std::fs::read(bk.join(rel)).unwrap(), original);
    assert_eq!(exit_code(d, &["verify"]).0, Some(0));
    // The store opens and takes new records after the lost numbers.
    assert!(shardlog(d, &["put", "s", "--partition-key", "p"], "again\n").0);
    assert_eq!(exit_code(d, &["verify"]).0, Some(0));
}

/// Issue 20: a queue from the shell: create, receive --ack, nothing left, describe, dead letters,
/// delete.
#[test]
fn queue_create_receive_ack_describe_delete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, _, err) = shardlog(d, &["create-stream", "orders", "--on-demand"], "");
    assert!(ok, "{err}");
    let (ok, out, err) = shardlog(
        d,
        &[
            "queue",
            "create",
            "billing",
            "--stream",
            "orders",
            "--start",
            "trim-horizon",
            "--max-receive-count",
            "1",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("created queue billing arn:aws:kinesis:"),
        "{out}"
    );
    let (ok, _, err) = shardlog(
        d,
        &["put", "orders", "--partition-key", "k"],
        "one\ntwo\nthree\n",
    );
    assert!(ok, "{err}");

    let (ok, out, err) = shardlog(d, &["queue", "receive", "billing", "--ack"], "");
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut data: Vec<&str> = lines.iter().map(|l| l["data"].as_str().unwrap()).collect();
    data.sort_unstable();
    assert_eq!(data, ["one", "three", "two"]);
    for l in &lines {
        assert_eq!(l["partition_key"], "k");
        assert_eq!(l["receive_count"], 1);
        assert!(l["receipt_handle"].as_str().unwrap().len() > 10);
        assert!(l["record_id"].is_string());
    }
    // Acknowledged: nothing comes back.
    let (ok, out, err) = shardlog(d, &["queue", "receive", "billing"], "");
    assert!(ok, "{err}");
    assert_eq!(out, "");

    // Received and not acknowledged, with no visibility: a dead letter (MaxReceiveCount 1).
    shardlog(d, &["put", "orders", "--partition-key", "k"], "poison\n");
    let (ok, out, _) = shardlog(
        d,
        &["queue", "receive", "billing", "--visibility-timeout", "0"],
        "",
    );
    assert!(ok && out.contains("poison"), "{out}");
    let (ok, out, _) = shardlog(d, &["queue", "receive", "billing"], "");
    assert!(ok && out.is_empty(), "{out}");
    let (ok, out, err) = shardlog(d, &["queue", "dlq", "billing", "--restore"], "");
    assert!(ok && out.contains("poison"), "{out}{err}");
    let (ok, out, err) = shardlog(
        d,
        &[
            "queue", "receive", "billing", "--loop", "--max", "1", "--ack",
        ],
        "",
    );
    assert!(ok && out.contains("poison"), "{out}{err}");

    let (ok, out, err) = shardlog(d, &["queue", "describe", "billing"], "");
    assert!(ok, "{err}");
    let desc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(desc["queue_name"], "billing");
    assert_eq!(desc["stream"], "orders");
    assert_eq!(desc["status"], "ACTIVE");
    assert_eq!(desc["starting_position"], "TRIM_HORIZON");
    assert_eq!(desc["max_receive_count"], 1);
    let arn = desc["queue_arn"].as_str().unwrap().to_string();
    let (ok, out, _) = shardlog(d, &["queue", "list"], "");
    assert!(ok);
    assert_eq!(out.trim(), format!("billing\t{arn}\torders"));

    let (ok, out, err) = shardlog(d, &["queue", "delete", &arn], "");
    assert!(ok, "{err}");
    assert!(out.starts_with("deleted queue"), "{out}");
    let (ok, out, _) = shardlog(d, &["queue", "list"], "");
    assert!(ok && out.is_empty());
    let (ok, _, err) = shardlog(d, &["queue", "describe", "billing"], "");
    assert!(!ok && err.contains("not found"), "{err}");
    // Provisioned streams have no queues.
    shardlog(d, &["create-stream", "prov"], "");
    let (ok, _, err) = shardlog(d, &["queue", "create", "q", "--stream", "prov"], "");
    assert!(!ok && err.contains("on-demand"), "{err}");
}
