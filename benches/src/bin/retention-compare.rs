//! Retention pass cost and its effect on concurrent appends, side by side in one run.
//!
//! 1. A shard of 10,000 sealed segments: the time of a retention pass with 0, 100 and 1,000 expired
//!    segments (file operations are proportional to the expired segments only; that is counted
//!    exactly by `crates/retention/tests/ops.rs`).
//! 2. Appends (put_records of 500 x 1 KiB, durability None) to one stream for a few seconds alone,
//!    then with a thread running retention passes back to back over another stream of 10,000
//!    segments that expire gradually. Goal: at most 10 % fewer appends per second.
//!
//! Usage: `cargo run --release -p shardlog-benches --bin retention-compare -- [--dir PATH] [--segments N] [--seconds S]`

use shardlog::{PutEntry, Store, StoreOptions};
use shardlog_segment::{Clock, Durability};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

const HOUR: u64 = 3_600_000;
const T0: u64 = 1_700_000_000_000;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn options(clock: &Clock) -> StoreOptions {
    StoreOptions {
        durability: Durability::None,
        segment_bytes: 16 * 1024,
        clock: clock.clone(),
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// Fills `stream` (one shard) with `segments` segments of one 9 KiB record each, one minute apart.
fn fill(store: &Store, clock: &Clock, stream: &str, segments: u64) {
    store.create_stream(stream, 1).expect("create");
    let data = vec![7u8; 9 * 1024];
    for i in 0..segments {
        clock.set(T0 + i * 60_000);
        store
            .put_record(stream, PutEntry::new("k", &data))
            .expect("put");
    }
}

fn appends_per_sec(store: &Store, stream: &str, seconds: f64, stop: &AtomicBool) -> f64 {
    let data = vec![1u8; 1024];
    let keys: Vec<String> = (0..500).map(|i| format!("key-{i}")).collect();
    let entries: Vec<_> = keys.iter().map(|k| PutEntry::new(k, &data)).collect();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        store.put_records(stream, &entries).expect("put_records");
        n += 500;
    }
    stop.store(true, Ordering::Release);
    n as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let segments: u64 = arg("--segments")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let seconds: f64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let base = arg("--dir")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("shardlog-retention-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let clock = Clock::manual(T0);
    let store = Store::open(&dir, options(&clock)).expect("open");

    // 1. Pass time over `segments` segments.
    fill(&store, &clock, "big", segments);
    println!("| retention pass over {segments} segments | expired | dropped | pass time |");
    println!("|---|---|---|---|");
    let mut expired = 0u64;
    for more in [0u64, 100, 1000] {
        expired += more;
        let now = if expired == 0 {
            T0 + 24 * HOUR - 1
        } else {
            T0 + 24 * HOUR + (expired - 1) * 60_000
        };
        clock.set(now);
        let t = Instant::now();
        let report = store.enforce_retention().expect("pass");
        println!(
            "| | {more} | {} | {:.2} ms |",
            report.segments_dropped,
            t.elapsed().as_secs_f64() * 1e3
        );
    }

    // 2. Appends to a store of its own (default 64 MiB segments) alone, then during back-to-back
    //    passes over the big stream, then alone again; let writeback settle first.
    let hot_dir = dir.join("hot");
    let hot = Store::open(
        &hot_dir,
        StoreOptions {
            segment_bytes: 64 << 20,
            ..options(&clock)
        },
    )
    .expect("open hot");
    hot.create_stream("hot", 1).expect("create");
    // sync(1) flushes the fill's dirty pages so both phases start equal.
    let _ = std::process::Command::new("sync").status();
    let never = AtomicBool::new(false);
    let warm = appends_per_sec(&hot, "hot", seconds / 2.0, &never);
    let _ = warm;
    let never = AtomicBool::new(false);
    let alone_1 = appends_per_sec(&hot, "hot", seconds, &never);
    let stop = Arc::new(AtomicBool::new(false));
    let passes = {
        let (store, clock, stop) = (store.clone(), clock.clone(), stop.clone());
        std::thread::spawn(move || {
            let (mut n, mut dropped) = (0u64, 0usize);
            let mut minute = expired;
            while !stop.load(Ordering::Acquire) {
                minute += 5;
                clock.set(T0 + 24 * HOUR + minute * 60_000);
                dropped += store
                    .enforce_retention()
                    .map(|r| r.segments_dropped)
                    .unwrap_or(0);
                n += 1;
            }
            (n, dropped)
        })
    };
    let during = appends_per_sec(&hot, "hot", seconds, &stop);
    let (n, dropped) = passes.join().expect("pass thread");
    let never = AtomicBool::new(false);
    let alone_2 = appends_per_sec(&hot, "hot", seconds, &never);
    let alone = (alone_1 + alone_2) / 2.0;
    let ratio = during / alone;
    println!();
    println!("| appends (500 x 1 KiB, durability None) | records/s |");
    println!("|---|---|");
    println!("| alone (mean of before and after: {alone_1:.0}, {alone_2:.0}) | {alone:.0} |");
    println!("| during {n} retention passes ({dropped} segments dropped) | {during:.0} |");
    println!(
        "| ratio | {ratio:.3} (goal >= 0.90: {}) |",
        if ratio >= 0.9 { "met" } else { "missed" }
    );
    drop(hot);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
