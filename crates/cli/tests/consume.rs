//! Consumer workers in separate processes share a stream served by `shardlog serve`: one is
//! killed (SIGKILL) and its shards move to the others; a reshard during the run keeps each
//! partition key's order; every record is delivered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use shardlog::consumer::{LeaseStore, RemoteLeases};
use shardlog::PutEntry;
use shardlog_client::KinesisClient;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FAILOVER_MS: u64 = 1_000;

/// A child process killed when dropped, so a failing test leaves nothing behind.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn terminate(mut self) -> bool {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let t0 = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status.success();
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "pid {pid} did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn shardlog(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shardlog"));
    c.args(args).stdin(Stdio::null());
    c
}

fn serve(dir: &std::path::Path) -> (Proc, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let failover = FAILOVER_MS.to_string();
    let child = shardlog(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "serve",
        "--bind",
        &addr,
        "--lease-failover-ms",
        &failover,
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let t0 = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (Proc(child), format!("http://{addr}"))
}

/// One printed delivery: (worker, shard, data).
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

fn consume(endpoint: &str, worker: &str, log: &Log) -> Proc {
    let mut child = shardlog(&[
        "consume",
        "s",
        "--application",
        "app",
        "--worker-id",
        worker,
        "--endpoint",
        endpoint,
        "--checkpoint-every",
        "5",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let out = child.stdout.take().unwrap();
    let (log, worker) = (log.clone(), worker.to_string());
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let parts: Vec<&str> = line.splitn(4, '\t').collect();
            if let [shard, _seq, _key, data] = parts[..] {
                log.lock()
                    .unwrap()
                    .push((worker.clone(), shard.to_string(), data.to_string()));
            }
        }
    });
    Proc(child)
}

fn delivered(log: &Log) -> BTreeSet<String> {
    log.lock()
        .unwrap()
        .iter()
        .map(|(_, _, d)| d.clone())
        .collect()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !done() {
        assert!(
            t0.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    t0.elapsed()
}

fn put_round(client: &KinesisClient, round: usize, sent: &mut BTreeSet<String>) {
    let rows: Vec<(String, String)> = (0..12)
        .map(|k| (format!("key-{k}"), format!("key-{k}/{round:05}")))
        .collect();
    let entries: Vec<PutEntry> = rows
        .iter()
        .map(|(k, d)| PutEntry::new(k, d.as_bytes()))
        .collect();
    let out = client.put_records("s", &entries).unwrap();
    assert_eq!(out.failed_record_count, 0);
    sent.extend(rows.into_iter().map(|(_, d)| d));
}

#[test]
fn workers_in_separate_processes_share_shards_survive_a_kill_and_a_reshard() {
    let dir = tempfile::tempdir().unwrap();
    let (server, endpoint) = serve(dir.path());
    let client = KinesisClient::new(&endpoint).unwrap();
    client.create_stream("s", 4).unwrap();
    let leases = RemoteLeases::connect(client.clone()).unwrap();
    assert_eq!(leases.lease_duration_ms(), FAILOVER_MS);
    let log: Log = Arc::default();
    let mut workers: BTreeMap<&str, Proc> = ["w0", "w1", "w2"]
        .into_iter()
        .map(|w| (w, consume(&endpoint, w, &log)))
        .collect();
    let mut sent = BTreeSet::new();
    for round in 0..10 {
        put_round(&client, round, &mut sent);
    }
    wait_until(
        "the first rounds delivered",
        Duration::from_secs(60),
        || delivered(&log) == sent,
    );
    wait_until(
        "every worker holding a lease",
        Duration::from_secs(60),
        || {
            let owners: BTreeSet<String> = leases
                .list("app", "s")
                .unwrap()
                .into_iter()
                .filter_map(|l| l.owner)
                .collect();
            owners.len() == 3
        },
    );
    // SIGKILL one worker: no shutdown, no release.
    drop(workers.remove("w1"));
    let killed = Instant::now();
    for round in 10..16 {
        put_round(&client, round, &mut sent);
    }
    client.update_shard_count("s", 6).unwrap();
    for round in 16..22 {
        put_round(&client, round, &mut sent);
    }
    let moved = wait_until("w1's leases to move", Duration::from_secs(60), || {
        leases
            .list("app", "s")
            .unwrap()
            .iter()
            .all(|l| l.owner.as_deref() != Some("w1"))
    });
    let moved = moved.max(killed.elapsed());
    client.update_shard_count("s", 3).unwrap();
    for round in 22..30 {
        put_round(&client, round, &mut sent);
    }
    wait_until("every record delivered", Duration::from_secs(90), || {
        delivered(&log) == sent
    });
    eprintln!(
        "failover {FAILOVER_MS} ms: w1's leases moved {} ms after the kill",
        moved.as_millis()
    );
    assert!(
        moved < Duration::from_millis(FAILOVER_MS * 3 + 2_000),
        "{moved:?}"
    );
    // Per partition key, first deliveries come in write order (redeliveries repeat older ones).
    let mut next: BTreeMap<String, u32> = BTreeMap::new();
    for (worker, shard, data) in log.lock().unwrap().iter() {
        let (key, n) = data.split_once('/').unwrap();
        let n: u32 = n.parse().unwrap();
        let expected = next.entry(key.to_string()).or_insert(0);
        assert!(
            n <= *expected,
            "{key}: record {n} delivered by {worker} from {shard} before {expected}"
        );
        if n == *expected {
            *expected += 1;
        }
    }
    assert!(next.values().all(|&n| n == 30), "{next:?}");
    // The survivors and the server stop cleanly on SIGTERM.
    for (_, w) in workers {
        assert!(w.terminate(), "a worker exited with an error");
    }
    assert!(server.terminate(), "the server exited with an error");
}
