//! Reads share the segment's memory: a read allocates per call, not per record, and the records it
//! returns stay valid after their files are deleted and the log is closed.
#![allow(clippy::unwrap_used)]

use shardlog_segment::{Durability, LogOptions, ShardLog};
use shardlog_storage::{FsStorage, Storage};
use std::sync::Arc;

fn opts() -> LogOptions {
    LogOptions {
        segment_bytes: 128 * 1024,
        durability: Durability::Sync,
        ..LogOptions::default()
    }
}

fn payload(seq: u64) -> Vec<u8> {
    format!("payload-{seq:06}-").repeat(6).into_bytes()
}

/// A closed and reopened log of `n` records over several segments, all of them mapped.
fn sealed_log(dir: &std::path::Path, n: u64) -> (Arc<dyn Storage>, ShardLog) {
    let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(dir).unwrap());
    let log = ShardLog::open(storage.clone(), opts()).unwrap();
    let batch: Vec<(String, Vec<u8>)> = (0..n).map(|s| (format!("key-{s}"), payload(s))).collect();
    for chunk in batch.chunks(500) {
        log.append_batch(chunk).unwrap();
    }
    log.close().unwrap();
    let log = ShardLog::open(storage.clone(), opts()).unwrap();
    (storage, log)
}

#[test]
fn a_read_allocates_per_call_not_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = sealed_log(dir.path(), 5_000);
    assert!(log.segment_count() >= 4, "{} segments", log.segment_count());
    // Warm up: the first read of a segment may open its file and load its index.
    assert_eq!(log.read(0, 5_000, usize::MAX).unwrap().records.len(), 5_000);

    let mut batch = None;
    let info = allocation_counter::measure(|| batch = Some(log.read(0, 5_000, usize::MAX)));
    let records = batch.unwrap().unwrap().records;
    assert_eq!(records.len(), 5_000);
    // The records vector grows by doubling (13 times for 5,000), plus one shared region per
    // segment: nothing per record (a copying read makes two allocations per record).
    assert!(
        info.count_total < 64,
        "{} allocations for 5,000 records",
        info.count_total
    );
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.data, payload(i as u64));
        assert_eq!(r.key, format!("key-{i}").into_bytes());
    }
}

#[test]
fn records_outlive_their_deleted_files_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (_, log) = sealed_log(dir.path(), 3_000);
    let records = log.read(0, 3_000, usize::MAX).unwrap().records;
    let dropped = log.drop_segments_before(2_500).unwrap();
    assert!(dropped >= 2, "{dropped} segments dropped");
    log.close().unwrap();
    drop(log);
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(left > 0);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.data, payload(i as u64), "record {i}");
    }
}
