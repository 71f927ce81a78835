//! Criterion benches of `shardlog-segment` on real files: append (100 B and 1 KiB records, batches
//! of 1 and 500, durability `None` and `Sync`), sequential read with CRC verification, random
//! single-record reads by sequence number, and reopen time.
//!
//! Short measurement times keep `cargo bench -p shardlog-benches -- --test` (one iteration each)
//! quick for CI. The `segment-compare` binary gives the full comparison with the raw floor and peers.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shardlog_benches::{batches, ours, random_seqs, Payloads};
use shardlog_segment::{Durability, ShardLog};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
/// Segment size used by every bench (the log's default).
const SEGMENT: u64 = 64 * MIB;
/// The append benches start a fresh log after this many bytes so a long run cannot fill the disk.
const RESET_BYTES: u64 = 512 * MIB;

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("shardlog-bench-")
        .tempdir_in(std::env::temp_dir())
        .expect("create a temporary directory")
}

fn open(dir: &Path, durability: Durability) -> ShardLog {
    ours::open(dir, &ours::options(SEGMENT, durability)).expect("open the log")
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    for size in [100usize, 1024] {
        let payloads = Payloads::new(size);
        for batch in [1usize, 500] {
            // A pool of distinct batches to cycle through.
            let records = payloads.records(0, batch * 64);
            let pool = batches(&records, batch);
            for (name, durability) in [("none", Durability::None), ("sync", Durability::Sync)] {
                group.throughput(Throughput::Bytes((size * batch) as u64));
                let id = BenchmarkId::new(format!("{size}B/{name}"), format!("batch{batch}"));
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        let per_batch = (size * batch) as u64;
                        let mut elapsed = Duration::ZERO;
                        let mut done = 0u64;
                        while done < iters {
                            // A fresh log per chunk of RESET_BYTES; only the appends are timed.
                            let dir = tempdir();
                            let log = open(dir.path(), durability);
                            let chunk = (iters - done).min((RESET_BYTES / per_batch).max(1));
                            let start = Instant::now();
                            for i in 0..chunk {
                                let recs = pool[(done + i) as usize % pool.len()];
                                black_box(log.append_batch(recs).expect("append"));
                            }
                            elapsed += start.elapsed();
                            done += chunk;
                            log.close().expect("close");
                        }
                        elapsed
                    });
                });
            }
        }
    }
    group.finish();
}

/// A closed log of `n` records of `size` bytes in a temporary directory.
fn build_shard(n: usize, size: usize) -> tempfile::TempDir {
    let dir = tempdir();
    let log = open(dir.path(), Durability::None);
    let payloads = Payloads::new(size);
    for from in (0..n).step_by(500) {
        log.append_batch(&payloads.records(from, 500.min(n - from)))
            .expect("append");
    }
    log.close().expect("close");
    dir
}

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group("read");
    for (size, n) in [(100usize, 1_000_000usize), (1024, 100_000)] {
        let dir = build_shard(n, size);
        let log = open(dir.path(), Durability::None);
        group.throughput(Throughput::Bytes((size * n) as u64));
        group.bench_function(BenchmarkId::new("scan_crc", format!("{size}B")), |b| {
            b.iter(|| {
                let (_, totals) = ours::scan_all(&log).expect("scan");
                assert_eq!(totals.records, n as u64);
                black_box(totals)
            });
        });
        log.close().expect("close");
    }
    group.finish();
}

fn seek(c: &mut Criterion) {
    let n = 1_000_000usize;
    let dir = build_shard(n, 100);
    let log = open(dir.path(), Durability::None);
    // Map every page once, as a long-running reader would have.
    ours::scan_all(&log).expect("warm-up scan");
    let seqs = random_seqs(n as u64, 1 << 16, 7);
    let mut group = c.benchmark_group("seek");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("read_one/1M_x_100B", |b| {
        b.iter(|| {
            let seq = seqs[i % seqs.len()];
            i += 1;
            let batch = log.read(seq, 1, 0).expect("read");
            assert_eq!(batch.records.first().map(|r| r.seq), Some(seq));
            black_box(batch)
        });
    });
    group.finish();
    log.close().expect("close");
}

fn reopen(c: &mut Criterion) {
    let (n, size) = (256 * 1024usize, 1024usize);
    let dir = build_shard(n, size);
    let mut group = c.benchmark_group("reopen");
    group.throughput(Throughput::Bytes((n * size) as u64));
    group.bench_function("clean/256MiB_x_1KiB", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let log = open(dir.path(), Durability::None);
                elapsed += start.elapsed();
                log.close().expect("close");
            }
            elapsed
        });
    });
    group.finish();
}

/// The bench group (in a private module: `criterion_group!` generates an undocumented `pub fn`).
mod group {
    use super::*;
    criterion_group! {
        name = benches;
        config = config();
        targets = append, read, seek, reopen
    }
}
criterion_main!(group::benches);
