//! A log of many segments opens and serves reads holding only a bounded number of them open: one
//! file descriptor and one mapping per open segment, so without the bound a store with long
//! retention runs into `ulimit -n` and `vm.max_map_count`.
//!
//! `SHARDLOG_MANY_SEGMENTS=100000` runs the same check at the size of the issue (about 1.6 GB of
//! segment files and a few minutes); the default is CI-sized. Alone in its test binary, so the
//! process-wide descriptor and mapping counts are this test's.

#![allow(clippy::unwrap_used)]

use shardlog_segment::{Durability, LogOptions, OpenSegments, ShardLog, MIN_SEGMENT_BYTES};
use shardlog_storage::FsStorage;
use std::sync::Arc;
use std::time::Instant;

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

#[test]
fn a_log_of_many_segments_opens_and_reads_within_a_bounded_set_of_open_files() {
    let segments: u64 = std::env::var("SHARDLOG_MANY_SEGMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    const CAPACITY: usize = 16;
    // Three records of a little under a third of a segment each fill one segment.
    let data = vec![7u8; (MIN_SEGMENT_BYTES as usize - 256) / 3 - 64];
    let dir = tempfile::tempdir().unwrap();
    let opts = || LogOptions {
        segment_bytes: MIN_SEGMENT_BYTES,
        durability: Durability::None,
        open_segments: OpenSegments::new(CAPACITY),
        ..LogOptions::default()
    };
    let storage = || -> Arc<FsStorage> { Arc::new(FsStorage::open(dir.path()).unwrap()) };
    let started = Instant::now();
    {
        let log = ShardLog::open(storage(), opts()).unwrap();
        while (log.segments().len() as u64) < segments {
            let batch: Vec<(&[u8], &[u8])> = (0..300).map(|_| (&b"k"[..], &data[..])).collect();
            log.append_batch(&batch).unwrap();
        }
        log.close().unwrap();
    }
    let created = started.elapsed();
    let (fds, maps) = (count("/proc/self/fd"), mappings());

    let started = Instant::now();
    let opts = opts();
    let open = opts.open_segments.clone();
    let log = ShardLog::open(storage(), opts).unwrap();
    let opened = started.elapsed();
    let held = count("/proc/self/fd").saturating_sub(fds);
    assert!(
        open.len() <= CAPACITY,
        "{} sealed segments open",
        open.len()
    );
    // The active segment, perhaps a spare, the directory and the lock: a handful beyond the set.
    assert!(
        held <= CAPACITY + 8,
        "{held} descriptors held after opening {segments} segments"
    );

    let started = Instant::now();
    let (mut next, mut records) = (0u64, 0u64);
    loop {
        let batch = log.read(next, 1000, 4 << 20).unwrap();
        let Some(last) = batch.records.last() else {
            break;
        };
        for r in &batch.records {
            assert_eq!(r.data, data);
        }
        records += batch.records.len() as u64;
        next = last.seq + 1;
    }
    let read = started.elapsed();
    assert_eq!(records, log.next_seq());
    let held = count("/proc/self/fd").saturating_sub(fds);
    let mapped = mappings().saturating_sub(maps);
    assert!(
        open.len() <= CAPACITY,
        "{} sealed segments open",
        open.len()
    );
    assert!(
        held <= CAPACITY + 8,
        "{held} descriptors held after reading every segment"
    );
    assert!(
        mapped <= CAPACITY + 8,
        "{mapped} more mappings after reading every segment"
    );
    println!(
        "{} segments, {records} records: created in {created:.1?}, opened in {opened:.1?}, read in \
         {read:.1?}; {held} descriptors and {mapped} mappings more than before the open \
         ({CAPACITY} sealed segments kept open)",
        log.segments().len()
    );
    log.close().unwrap();
}
