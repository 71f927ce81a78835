//! Segment sizes: a log's segments start at `FIRST_SEGMENT_BYTES` and double as they fill, up to
//! `segment_bytes`, so an idle shard costs a small file; a record larger than the next size gets a
//! segment that fits it; a reopened log keeps growing from its newest segment; a ready spare holds
//! no file descriptor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Durability, LogOptions, SegmentInfo, ShardLog, FIRST_SEGMENT_BYTES};
use shardlog_storage::{FsStorage, SimDisk, Storage};
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

/// Appends 1000-byte records until the active segment is the 2 MiB one (the first that gets a
/// spare) and past its half; returns how many.
fn fill_to_first_spare(log: &ShardLog) -> usize {
    let mut n = 0;
    loop {
        let segs = log.segments();
        if let Some(active) = segs.last() {
            if active.file_bytes == 2 << 20 && active.data_bytes > (1 << 20) + 4096 {
                return n;
            }
        }
        log.append(format!("k{n}"), vec![1u8; 1000]).unwrap();
        n += 1;
    }
}

#[test]
fn a_record_larger_than_the_spare_gets_a_segment_that_fits() {
    // `None` makes a spare (of 4 MiB) once the 2 MiB segment is half full.
    let opts = LogOptions {
        segment_bytes: 16 << 20,
        ..opts(Durability::None)
    };
    let disk = SimDisk::new(2);
    let log = ShardLog::open(Arc::new(disk.clone()), opts.clone()).unwrap();
    let n = fill_to_first_spare(&log);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while segment_files(&disk) < 5 {
        assert!(std::time::Instant::now() < deadline, "no spare was made");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let big = vec![2u8; 5 << 20];
    let seq = log.append(b"big", &big).unwrap();
    let segs = log.segments();
    assert_eq!(segs.len(), 5, "{segs:?}");
    // 5 MiB plus headers needs more than the 4 MiB spare: whole pages that hold it.
    let last = segs.last().unwrap().file_bytes;
    assert!(last > 5 << 20 && last < 6 << 20, "{segs:?}");
    assert_eq!(last % 4096, 0);
    assert_eq!(
        log.read(seq, 1, usize::MAX).unwrap().records[0].data,
        big[..]
    );
    log.close().unwrap();
    // The spare that was too small is gone, not left for the next open to find.
    assert_eq!(segment_files(&disk), 5);
    let log = ShardLog::open(Arc::new(disk), opts).unwrap();
    assert_eq!(
        log.read(0, usize::MAX, usize::MAX).unwrap().records.len(),
        n + 1
    );
}

/// Below 2 MiB a roll makes its segment in line: shards that each hold a little make no spares.
#[test]
fn small_segments_get_no_spare() {
    let disk = SimDisk::new(5);
    let log = ShardLog::open(Arc::new(disk.clone()), opts(Durability::None)).unwrap();
    for i in 0..200 {
        log.append(format!("k{i}"), vec![1u8; 1000]).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(log.segment_count(), 1);
    assert_eq!(segment_files(&disk), 1, "a spare for a 256 KiB segment");
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

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A ready spare is a durable file, not an open one: 10,000 shards filling at once must not hold
/// two descriptors each. (Counts this process's descriptors: no other test in this binary opens
/// real files.)
#[test]
fn a_ready_spare_holds_no_descriptor() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(FsStorage::open(dir.path()).unwrap());
    let log = ShardLog::open(storage.clone(), opts(Durability::None)).unwrap();
    log.append(b"k", b"first").unwrap();
    let before = open_descriptors();
    let n = fill_to_first_spare(&log);
    let seg_files = || {
        storage
            .list()
            .unwrap()
            .iter()
            .filter(|n| n.ends_with(".seg"))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seg_files() < 5 {
        assert!(std::time::Instant::now() < deadline, "no spare was made");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(log.segment_count(), 4, "the spare is not a segment yet");
    // Sealed segments stay open too (a bounded set): only the spare must not add one. The file
    // appears before the spare task has synced and closed it (and a seal may hold the
    // directory open a moment): wait for that, not forever.
    while open_descriptors() != before + 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} descriptors, want {}",
            open_descriptors(),
            before + 3
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // The roll opens it, and it holds what is written next.
    for i in 0..1500 {
        log.append(format!("m{i}"), vec![5u8; 1000]).unwrap();
    }
    assert_eq!(log.segment_count(), 5);
    assert_eq!(
        log.read(0, usize::MAX, usize::MAX).unwrap().records.len(),
        n + 1501
    );
}
