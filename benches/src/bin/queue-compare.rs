//! `queue-compare`: receive + acknowledge through a queue (issue 20.6), in process, with 1, 4 and 16
//! consumer threads taking batches of 10, beside the floor measured in the same run: one 4 KiB
//! `pwrite` + `fdatasync` (what one durable acknowledgement must at least cost).
//!
//! ```text
//! cargo run --release -p shardlog-benches --bin queue-compare -- \
//!     [--records N (20000)] [--consumers 1,4,16] [--dir PATH]
//! ```
//!
//! Each row: a fresh store (`Durability::Sync`) with an on-demand stream of 4 shards holding
//! `--records` records of 1 KiB, a queue at `TRIM_HORIZON`, then the consumers receive (batches of
//! 10, no wait) and acknowledge what they got until every record is acknowledged. Reported:
//! records/s acknowledged, and the p50/p99 of one `acknowledge_queue_records` call. The run fails
//! if a record is acknowledged twice or not at all. Progress goes to stderr, the table to stdout.

use shardlog::{
    CreateQueue, CreateStream, Durability, PutEntry, QueueStartingPosition, Store, StoreOptions,
    StreamMode,
};
use shardlog_benches::report::{fdatasync_floor, loadavg, machine, today};
use shardlog_benches::{percentile, Res, WorkDir};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Args {
    records: usize,
    consumers: Vec<usize>,
    dir: Option<std::path::PathBuf>,
}

fn parse() -> Res<Args> {
    let mut a = Args {
        records: 20_000,
        consumers: vec![1, 4, 16],
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

fn main() -> Res<()> {
    let args = parse()?;
    let work = WorkDir::new(args.dir.as_deref(), "queue-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let (floor_p50, floor_p99) = fdatasync_floor(&root)?;
    let mut rows = Vec::new();
    for &c in &args.consumers {
        eprintln!("{c} consumer(s), load {}", loadavg());
        rows.push((c, row(&root, args.records, c)?));
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
    println!("| Consumers | records/s | vs 1 consumer | ack p50 µs | ack p50 vs fdatasync p50 (goal ≤ 1.3×) | ack p99 µs | state commits |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let one = rows.first().map_or(1.0, |(_, r)| r.rate);
    for (c, r) in &rows {
        println!(
            "| {c} | {:.0} | {:.2}× | {:.1} | {:.2}× | {:.1} | {} |",
            r.rate,
            r.rate / one,
            r.ack_p50.as_secs_f64() * 1e6,
            r.ack_p50.as_secs_f64() / floor_p50.as_secs_f64(),
            r.ack_p99.as_secs_f64() * 1e6,
            r.commits
        );
    }
    Ok(())
}
