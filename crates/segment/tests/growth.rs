//! Segment sizes: a log's segments start at `FIRST_SEGMENT_BYTES` and double as they fill, up to
//! `segment_bytes`, so an idle shard costs a small file; a record larger than the next size gets a
//! segment that fits it; a reopened log keeps growing from its newest segment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Durability, LogOptions, SegmentInfo, ShardLog, FIRST_SEGMENT_BYTES};
use shardlog_storage::{SimDisk, Storage};
use std::sync::Arc;

const KIB: u64 = 1024;

fn opts(durability: Durability) -> LogOptions {
    LogOptions {
        segment_bytes: 4 << 20,
        durability,
        log_id: 9,
        ..LogOptions::default()
    }
}

fn sizes(log: &ShardLog) -> Vec<u64> {
    log.segments().iter().map(|s| s.file_bytes).collect()
}

/// Every segment is twice the bytes its predecessor held (rounded up to a power of two), at least
/// the first size and at most `segment_bytes`.
fn assert_growth(segs: &[SegmentInfo], segment_bytes: u64) {
    for pair in segs.windows(2) {
        let held = 4096 + pair[0].data_bytes;
        let want = (2 * held)
            .next_power_of_two()
            .max(FIRST_SEGMENT_BYTES)
            .min(segment_bytes);
        assert_eq!(pair[1].file_bytes, want, "after {:?}", pair[0]);
    }
}

fn segment_files(disk: &SimDisk) -> usize {
    disk.list()
        .unwrap()
        .iter()
        .filter(|n| n.ends_with(".seg"))
        .count()
}

#[test]
fn segments_start_small_and_double_up_to_segment_bytes() {
    for durability in [Durability::Sync, Durability::None] {
        let disk = SimDisk::new(1);
        let log = ShardLog::open(Arc::new(disk.clone()), opts(durability)).unwrap();
        let data = vec![7u8; 1000];
        let mut n = 0u64;
        while log.segment_count() < 7 {
            let batch: Vec<(String, &[u8])> = (0..50)
                .map(|i| (format!("k{}", n + i), &data[..]))
                .collect();
            log.append_batch(&batch).unwrap();
            n += 50;
        }
        let got = sizes(&log);
        assert_eq!(
            got[..6],
            [
                256 * KIB,
                512 * KIB,
                1024 * KIB,
                2048 * KIB,
                4096 * KIB,
                4096 * KIB
            ],
            "{durability:?}"
        );
        assert_growth(&log.segments(), 4 << 20);
        assert_eq!(
            log.read(0, usize::MAX, usize::MAX).unwrap().records.len() as u64,
            n
        );
        log.close().unwrap();
        // No spare is left behind on close, so the files are exactly the segments.
        let log = ShardLog::open(Arc::new(disk.clone()), opts(durability)).unwrap();
        assert_eq!(segment_files(&disk), log.segment_count(), "{durability:?}");
        assert_eq!(
            log.read(0, usize::MAX, usize::MAX).unwrap().records.len() as u64,
            n
        );
    }
}

#[test]
fn a_record_larger_than_the_spare_gets_a_segment_that_fits() {
    // `None` makes a spare (of 512 KiB) once the first segment is half full.
    let disk = SimDisk::new(2);
    let log = ShardLog::open(Arc::new(disk.clone()), opts(Durability::None)).unwrap();
    for i in 0..150 {
        log.append(format!("k{i}"), vec![1u8; 1000]).unwrap();
    }
    let big = vec![2u8; 900 * 1024];
    let seq = log.append(b"big", &big).unwrap();
    let segs = log.segments();
    assert_eq!(segs.len(), 2, "{segs:?}");
    assert_eq!(segs[0].file_bytes, FIRST_SEGMENT_BYTES);
    // 900 KiB plus headers needs more than the 512 KiB spare: whole pages that hold it.
    assert!(segs[1].file_bytes > 900 * KIB && segs[1].file_bytes < 1024 * KIB);
    assert_eq!(segs[1].file_bytes % 4096, 0);
    assert_eq!(
        log.read(seq, 1, usize::MAX).unwrap().records[0].data,
        big[..]
    );
    log.close().unwrap();
    // The spare that was too small is gone, not left for the next open to find.
    assert_eq!(segment_files(&disk), 2);
    let log = ShardLog::open(Arc::new(disk), opts(Durability::None)).unwrap();
    assert_eq!(
        log.read(0, usize::MAX, usize::MAX).unwrap().records.len(),
        151
    );
}

#[test]
fn a_reopened_log_keeps_growing_from_its_newest_segment() {
    let disk = SimDisk::new(3);
    let data = vec![5u8; 1000];
    let mut n = 0u64;
    for _ in 0..6 {
        let log = ShardLog::open(Arc::new(disk.clone()), opts(Durability::Sync)).unwrap();
        for _ in 0..400 {
            log.append(format!("k{n}"), &data).unwrap();
            n += 1;
        }
        log.close().unwrap();
    }
    let log = ShardLog::open(Arc::new(disk), opts(Durability::Sync)).unwrap();
    let segs = log.segments();
    assert_growth(&segs, 4 << 20);
    // Six opens, and no segment started over at the first size.
    assert!(segs.len() >= 4, "{segs:?}");
    assert!(
        segs[1..].iter().all(|s| s.file_bytes > FIRST_SEGMENT_BYTES),
        "{segs:?}"
    );
    assert_eq!(
        log.read(0, usize::MAX, usize::MAX).unwrap().records.len() as u64,
        n
    );
}

#[test]
fn a_small_segment_bytes_is_the_only_size() {
    let opts = LogOptions {
        segment_bytes: 64 * KIB,
        ..opts(Durability::Sync)
    };
    let log = ShardLog::open(Arc::new(SimDisk::new(4)), opts).unwrap();
    for i in 0..200 {
        log.append(format!("k{i}"), vec![3u8; 1000]).unwrap();
    }
    assert!(log.segment_count() >= 3);
    assert!(
        sizes(&log).iter().all(|&b| b == 64 * KIB),
        "{:?}",
        sizes(&log)
    );
}
