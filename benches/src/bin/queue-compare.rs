//! `queue-compare`: receive + acknowledge through a queue (issue 20.6), in process, with 1, 4 and 16
//! consumer threads taking batches of 10, beside the floor measured in the same run: one 4 KiB
//! `pwrite` + `fdatasync` (what one durable acknowledgement must at least cost); and the same
//! receive/delete work against the SQS server of `moto` (a message-queue emulator users run
//! locally; in memory, so not durable) when `--moto PATH` names its `moto_server`.
//!
//! ```text
//! python3 -m venv target/moto-venv && target/moto-venv/bin/pip install 'moto[server]'
//! cargo run --release -p shardlog-benches --bin queue-compare -- [--records N (20000)] \
//!     [--consumers 1,4,16] [--moto target/moto-venv/bin/moto_server] [--moto-records N (2000)] [--dir PATH]
//! ```
//!
//! Against moto each consumer calls `ReceiveMessage` (10, no wait) then `DeleteMessageBatch` (a
//! connection per call: moto's server ends each connection after one answer), over AWS JSON 1.0, after `SendMessageBatch` filled the queue with
//! 1 KiB bodies.
//!
//! Each row: a fresh store (`Durability::Sync`) with an on-demand stream of 4 shards holding
//! `--records` records of 1 KiB, a queue at `TRIM_HORIZON`, then the consumers receive (batches of
//! 10, no wait) and acknowledge what they got until every record is acknowledged. Reported:
//! records/s acknowledged, and the p50/p99 of one `acknowledge_queue_records` call. The run fails
//! if a record is acknowledged twice or not at all. Progress goes to stderr, the table to stdout.

use serde_json::{json, Value};
use shardlog::{
    CreateQueue, CreateStream, Durability, PutEntry, QueueStartingPosition, Store, StoreOptions,
    StreamMode,
};
use shardlog_benches::report::{fdatasync_floor, loadavg, machine, today};
use shardlog_benches::{kinesis_http, percentile, Res, WorkDir};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// AWS JSON 1.0, SQS's protocol.
const SQS_JSON: &str = "application/x-amz-json-1.0";

struct Args {
    records: usize,
    consumers: Vec<usize>,
    moto: Option<std::path::PathBuf>,
    moto_records: usize,
    dir: Option<std::path::PathBuf>,
}

fn parse() -> Res<Args> {
    let mut a = Args {
        records: 20_000,
        consumers: vec![1, 4, 16],
        moto: None,
        moto_records: 2_000,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => a.records = value()?.parse()?,
            "--consumers" => {
                a.consumers = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--moto" => a.moto = Some(value()?.into()),
            "--moto-records" => a.moto_records = value()?.parse()?,
            "--dir" => a.dir = Some(value()?.into()),
            _ => return Err(format!("unknown flag {flag}; see the file's doc comment").into()),
        }
    }
    Ok(a)
}

/// What one row measured.
struct Row {
    rate: f64,
    ack_p50: Duration,
    ack_p99: Duration,
    commits: u64,
}

fn fill(store: &Store, records: usize) -> Res<()> {
    let req = CreateStream {
        shard_count: 4,
        mode: StreamMode::OnDemand,
        ..CreateStream::default()
    };
    store.create_stream_with("q", req)?;
    let data = vec![0x5Au8; 1024];
    let keys: Vec<String> = (0..records).map(|i| format!("key-{i}")).collect();
    for chunk in keys.chunks(500) {
        let entries: Vec<PutEntry<'_>> = chunk.iter().map(|k| PutEntry::new(k, &data)).collect();
        store.put_records("q", &entries)?;
    }
    Ok(())
}

fn row(root: &std::path::Path, records: usize, consumers: usize) -> Res<Row> {
    let dir = root.join(format!("c{consumers}"));
    let opts = StoreOptions {
        durability: Durability::Sync,
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(&dir, opts)?;
    fill(&store, records)?;
    let queue = store
        .create_queue(
            CreateQueue::new("bench", "q").starting_at(QueueStartingPosition::TrimHorizon),
        )?
        .queue_arn;
    let seen = Mutex::new(HashSet::with_capacity(records));
    let lat = Mutex::new(Vec::with_capacity(records / 10 + 16));
    let commits_before = store.queue_state_commits();
    let start = Instant::now();
    std::thread::scope(|scope| -> Res<()> {
        let workers: Vec<_> = (0..consumers)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    let mut idle = 0;
                    while seen.lock().map_err(|e| e.to_string())?.len() < records {
                        let got = store
                            .receive_queue_records(&queue, 10, Duration::ZERO)
                            .map_err(|e| e.to_string())?;
                        if got.is_empty() {
                            idle += 1;
                            if idle > 2_000 {
                                return Err("no records for 2,000 receives".into());
                            }
                            std::thread::yield_now();
                            continue;
                        }
                        idle = 0;
                        let handles: Vec<&str> =
                            got.iter().map(|r| r.receipt_handle.as_str()).collect();
                        let t = Instant::now();
                        let out = store
                            .acknowledge_queue_records(&queue, &handles)
                            .map_err(|e| e.to_string())?;
                        lat.lock().map_err(|e| e.to_string())?.push(t.elapsed());
                        if !out.failed.is_empty() {
                            return Err(format!("{} acknowledgements failed", out.failed.len()));
                        }
                        let mut seen = seen.lock().map_err(|e| e.to_string())?;
                        for r in &got {
                            if !seen.insert(r.record_id.clone()) {
                                return Err(format!("record {} acknowledged twice", r.record_id));
                            }
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "a consumer panicked")??;
        }
        Ok(())
    })?;
    let took = start.elapsed();
    let commits = store.queue_state_commits() - commits_before;
    store.close()?;
    std::fs::remove_dir_all(&dir)?;
    let mut lat = lat.into_inner().map_err(|e| e.to_string())?;
    lat.sort();
    Ok(Row {
        rate: records as f64 / took.as_secs_f64(),
        ack_p50: percentile(&lat, 50.0),
        ack_p99: percentile(&lat, 99.0),
        commits,
    })
}

/// The same receive/delete work against moto's SQS server: records/s deleted.
fn moto_row(server: &std::path::Path, records: usize, consumers: usize) -> Res<f64> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let child = std::process::Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut moto = kinesis_http::Server::spawned(child, addr)?;
    let result = moto_work(addr, records, consumers);
    moto.stop();
    result
}

fn moto_work(addr: std::net::SocketAddr, records: usize, consumers: usize) -> Res<f64> {
    // moto's server (Werkzeug) ends each connection after one answer: a connection per call.
    let call = |op: &str, body: Value| -> Res<Value> {
        let mut c = kinesis_http::Client::connect_to(addr, "AmazonSQS", "sqs")?;
        let bytes = c.send(op, SQS_JSON, body.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&bytes)?)
    };
    let url = call("CreateQueue", json!({"QueueName": "bench"}))?["QueueUrl"]
        .as_str()
        .ok_or("CreateQueue: no QueueUrl")?
        .to_string();
    let body = "x".repeat(1024);
    for first in (0..records).step_by(10) {
        let entries: Vec<Value> = (first..records.min(first + 10))
            .map(|i| json!({"Id": i.to_string(), "MessageBody": body}))
            .collect();
        call(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries}),
        )?;
    }
    let deleted = std::sync::atomic::AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| -> Res<()> {
        let workers: Vec<_> = (0..consumers)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    while deleted.load(std::sync::atomic::Ordering::Relaxed) < records {
                        let got = call(
                            "ReceiveMessage",
                            json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
                        )
                        .map_err(|e| e.to_string())?;
                        let handles: Vec<Value> = got["Messages"]
                            .as_array()
                            .map(|m| {
                                m.iter()
                                    .enumerate()
                                    .map(|(i, m)| json!({"Id": i.to_string(), "ReceiptHandle": m["ReceiptHandle"]}))
                                    .collect()
                            })
                            .unwrap_or_default();
                        if handles.is_empty() {
                            continue;
                        }
                        let n = handles.len();
                        call(
                            "DeleteMessageBatch",
                            json!({"QueueUrl": url, "Entries": handles}),
                        )
                        .map_err(|e| e.to_string())?;
                        deleted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "a moto consumer panicked")??;
        }
        Ok(())
    })?;
    Ok(records as f64 / start.elapsed().as_secs_f64())
}

fn main() -> Res<()> {
    let args = parse()?;
    let work = WorkDir::new(args.dir.as_deref(), "queue-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let (floor_p50, floor_p99) = fdatasync_floor(&root)?;
    let mut rows = Vec::new();
    for &c in &args.consumers {
        eprintln!("{c} consumer(s), load {}", loadavg());
        let ours = row(&root, args.records, c)?;
        let moto = match &args.moto {
            Some(server) => Some(moto_row(server, args.moto_records, c)?),
            None => None,
        };
        rows.push((c, ours, moto));
    }
    println!(
        "queue-compare, {}: {} records of 1 KiB on 4 shards, `Durability::Sync`, batches of 10; floor: 4 KiB pwrite + fdatasync p50 {:.1} µs, p99 {:.1} µs; load average {} → {}; {}",
        today(),
        args.records,
        floor_p50.as_secs_f64() * 1e6,
        floor_p99.as_secs_f64() * 1e6,
        load_before,
        loadavg(),
        machine(&root)
    );
    println!();
    println!("| Consumers | records/s | vs 1 consumer (goal at 16: ≥ 4×) | ack p50 µs | ack p50 vs fdatasync p50 (goal ≤ 1.3×) | ack p99 µs | state commits | moto SQS records/s ({} records) | vs moto (goal ≥ 10×) |", args.moto_records);
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let one = rows.first().map_or(1.0, |(_, r, _)| r.rate);
    for (c, r, moto) in &rows {
        println!(
            "| {c} | {:.0} | {:.2}× | {:.1} | {:.2}× | {:.1} | {} | {} | {} |",
            r.rate,
            r.rate / one,
            r.ack_p50.as_secs_f64() * 1e6,
            r.ack_p50.as_secs_f64() / floor_p50.as_secs_f64(),
            r.ack_p99.as_secs_f64() * 1e6,
            r.commits,
            moto.map_or("not run".into(), |m| format!("{m:.0}")),
            moto.map_or("—".into(), |m| format!("{:.1}×", r.rate / m)),
        );
    }
    Ok(())
}
