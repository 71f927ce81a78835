//! Many logs in one process share a bounded set of background threads: a log's sealing and spare
//! files run as tasks on a pool, not on threads of its own, so the thread count does not grow with
//! the number of logs (it did: two threads per log, and the process ran out of mappings at 8,184).
//! Its own test binary, so that no other test's threads are counted.
#![allow(clippy::unwrap_used)]

use shardlog_segment::{background_threads, Durability, LogOptions, Position, ShardLog};
use shardlog_storage::{FsStorage, Storage};
use std::sync::Arc;

const LOGS: usize = 200;
/// The pool's cap; more than this would mean threads per log again.
const MAX_POOL_THREADS: usize = 64;

fn threads_of_this_process() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn two_hundred_rolling_logs_share_a_bounded_pool() {
    let dir = tempfile::tempdir().unwrap();
    let before = threads_of_this_process();
    let opts = LogOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::None,
        ..LogOptions::default()
    };
    let logs: Vec<ShardLog> = (0..LOGS)
        .map(|i| {
            let path = dir.path().join(format!("log-{i}"));
            std::fs::create_dir(&path).unwrap();
            let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(&path).unwrap());
            ShardLog::open(storage, opts.clone()).unwrap()
        })
        .collect();
    // Each log rolls a few times: seals and spares for every one of them.
    let data = vec![7u8; 1000];
    for round in 0..40u32 {
        for log in &logs {
            log.append(round.to_le_bytes(), &data).unwrap();
        }
        let threads = threads_of_this_process();
        assert!(
            threads <= before + MAX_POOL_THREADS,
            "{threads} threads with {LOGS} logs (round {round}), {before} before"
        );
    }
    assert!(background_threads() <= MAX_POOL_THREADS);
    for log in &logs {
        assert!(log.segment_count() >= 3, "{} segments", log.segment_count());
        let batch = log
            .read(log.seek(Position::Oldest).unwrap(), 100, 1 << 20)
            .unwrap();
        assert_eq!(batch.records.len(), 40);
        log.close().unwrap();
    }
}
