//! Criterion benches of the `shardlog` engine (`Store`) on real files: `put_records` of 500 × 1 KiB
//! (1 and 4 shards, durability `None` and `Sync`), `get_records` with limit 10,000, and the latency
//! of push delivery from `put_record` to a blocked `Subscription::next_event`.
//!
//! Short measurement times keep `cargo bench -p shardlog-benches -- --test` (one iteration each)
//! quick for CI. The `engine-compare` binary gives the full comparison with the raw floor.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shardlog::{PutEntry, ShardId, StartingPosition, Store};
use shardlog_benches::engine::{self, GET_LIMIT, STREAM};
use shardlog_benches::Payloads;
use shardlog_segment::Durability;
use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
/// Segment size used by every bench (the store's default).
const SEGMENT: u64 = 64 * MIB;
/// Data bytes per record.
const SIZE: usize = 1024;
/// Entries per `put_records` call.
const BATCH: usize = 500;
/// The put benches start a fresh store after this many bytes so a long run cannot fill the disk.
const RESET_BYTES: u64 = 512 * MIB;

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("shardlog-engine-bench-")
        .tempdir_in(std::env::temp_dir())
        .expect("create a temporary directory")
}

fn create(dir: &std::path::Path, durability: Durability, shards: u32) -> Store {
    engine::create(dir, durability, SEGMENT, shards).expect("create the store")
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

fn put_records(c: &mut Criterion) {
    let payloads = Payloads::new(SIZE);
    // A pool of distinct requests (distinct partition keys) to cycle through.
    let keys = engine::partition_keys(BATCH * 64, 1);
    let pool = engine::requests(&keys, &payloads, BATCH);
    let mut group = c.benchmark_group("engine/put_records");
    group.throughput(Throughput::Bytes((SIZE * BATCH) as u64));
    for shards in [1u32, 4] {
        for (name, durability) in [("none", Durability::None), ("sync", Durability::Sync)] {
            let id = BenchmarkId::new(format!("500x1KiB/{name}"), format!("{shards}shards"));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let per_call = (SIZE * BATCH) as u64;
                    let mut elapsed = Duration::ZERO;
                    let mut done = 0u64;
                    while done < iters {
                        // A fresh store per chunk of RESET_BYTES; only the puts are timed.
                        let dir = tempdir();
                        let store = create(dir.path(), durability, shards);
                        let chunk = (iters - done).min((RESET_BYTES / per_call).max(1));
                        let start = Instant::now();
                        for i in 0..chunk {
                            let req = &pool[(done + i) as usize % pool.len()];
                            let out = store.put_records(STREAM, req).expect("put_records");
                            assert_eq!(out.failed_record_count, 0);
                            black_box(out);
                        }
                        elapsed += start.elapsed();
                        done += chunk;
                        store.close().expect("close");
                    }
                    elapsed
                });
            });
        }
    }
    group.finish();
}

fn get_records(c: &mut Criterion) {
    let n = 100_000usize;
    let payloads = Payloads::new(SIZE);
    let keys = engine::partition_keys(n, 2);
    let dir = tempdir();
    let store = create(dir.path(), Durability::None, 1);
    engine::put_all(&store, &engine::requests(&keys, &payloads, BATCH)).expect("fill the shard");
    let mut group = c.benchmark_group("engine/get_records");
    group.throughput(Throughput::Bytes((SIZE * n) as u64));
    group.bench_function("limit10000/100k_x_1KiB", |b| {
        b.iter(|| {
            let (_, totals) = engine::read_all(&store, 1, GET_LIMIT).expect("read");
            assert_eq!(totals.records, n as u64);
            black_box(totals)
        });
    });
    group.finish();
    store.close().expect("close");
}

fn subscribe(c: &mut Criterion) {
    let payloads = Payloads::new(SIZE);
    let data = payloads.record(0).1;
    let mut group = c.benchmark_group("engine/subscribe");
    group.throughput(Throughput::Elements(1));
    for (name, durability) in [("none", Durability::None), ("sync", Durability::Sync)] {
        let dir = tempdir();
        let store = create(dir.path(), durability, 1);
        let mut sub = store
            .subscribe(STREAM, ShardId(0), StartingPosition::Latest)
            .expect("subscribe");
        let (tx, rx) = mpsc::channel::<Instant>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let subscriber = std::thread::spawn(move || loop {
            let ev = sub
                .next_event(Duration::from_millis(100))
                .expect("next_event");
            let at = Instant::now();
            for _ in &ev.records {
                tx.send(at).expect("send");
            }
            if ev.records.is_empty() && stop_rx.try_recv().is_ok() {
                return;
            }
        });
        group.bench_function(BenchmarkId::new("put_to_delivery", name), |b| {
            b.iter_custom(|iters| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iters {
                    // Let the subscriber fall asleep in next_event (not timed).
                    std::thread::sleep(Duration::from_micros(200));
                    let start = Instant::now();
                    store
                        .put_record(STREAM, PutEntry::new("k", data))
                        .expect("put_record");
                    let delivered = rx.recv_timeout(Duration::from_secs(10)).expect("delivery");
                    elapsed += delivered.saturating_duration_since(start);
                }
                elapsed
            });
        });
        stop_tx.send(()).expect("stop");
        subscriber.join().expect("subscriber");
        store.close().expect("close");
    }
    group.finish();
}

/// The bench group (in a private module: `criterion_group!` generates an undocumented `pub fn`).
mod group {
    use super::*;
    criterion_group! {
        name = benches;
        config = config();
        targets = put_records, get_records, subscribe
    }
}
criterion_main!(group::benches);
