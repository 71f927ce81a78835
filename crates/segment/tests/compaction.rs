//! Compaction: merged segments keep every record and number; a power cut at any operation of a merge
//! leaves either the old run or the merged segment, never a mix, never a loss.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Durability, Fault, LogOptions, ShardLog, SimDisk};
use std::sync::Arc;

fn small() -> LogOptions {
    LogOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::Sync,
        log_id: 4,
        ..LogOptions::default()
    }
}

fn big() -> LogOptions {
    LogOptions {
        segment_bytes: 128 * 1024,
        ..small()
    }
}

type Image = Vec<(u64, u64, Vec<u8>, Vec<u8>)>;

fn image(log: &ShardLog) -> Image {
    let batch = log.read(0, usize::MAX, usize::MAX).unwrap();
    batch
        .records
        .into_iter()
        .map(|r| (r.seq, r.timestamp_ms, r.key, r.data))
        .collect()
}

/// A log of several small sealed segments (16 KiB), reopened with 128 KiB segments.
fn fragmented(seed: u64) -> (SimDisk, Image) {
    let disk = SimDisk::new(seed);
    let log = ShardLog::open(Arc::new(disk.clone()), small()).unwrap();
    for i in 0..60u64 {
        log.append(
            format!("k{i}"),
            vec![(i % 200) as u8; 700 + (i as usize % 5) * 100],
        )
        .unwrap();
    }
    assert!(log.segment_count() >= 4);
    let img = image(&log);
    log.close().unwrap();
    (disk, img)
}

fn sealed_ids(log: &ShardLog) -> Vec<u64> {
    log.segments()
        .iter()
        .filter(|s| !s.active)
        .map(|s| s.id)
        .collect()
}

#[test]
fn a_merge_keeps_every_record_and_number_and_survives_reopen() {
    let (disk, img) = fragmented(1);
    let log = ShardLog::open(Arc::new(disk.clone()), big()).unwrap();
    let ids = sealed_ids(&log);
    let before = log.segment_count();
    let merged = log.compact(&ids).unwrap();
    assert_eq!(merged, *ids.last().unwrap());
    assert_eq!(log.segment_count(), before - ids.len() + 1);
    assert_eq!(image(&log), img);
    for (seq, _, _, data) in img.iter().step_by(7) {
        assert_eq!(
            &log.read(*seq, 1, 0).unwrap().records[0].data,
            data,
            "point read of {seq}"
        );
    }
    let next = log.append(b"k", b"after").unwrap();
    log.close().unwrap();
    let log = ShardLog::open(Arc::new(disk), big()).unwrap();
    let mut again = image(&log);
    assert_eq!(again.pop().unwrap().0, next);
    assert_eq!(again, img);
    // Refused: the active segment, a single segment, or a run that does not fit.
    assert!(log.compact(&[merged]).is_err());
    let active = log.segments().last().unwrap().id;
    assert!(log.compact(&[merged, active]).is_err());
}

#[test]
fn a_merge_that_does_not_fit_is_refused() {
    let (disk, _) = fragmented(2);
    let log = ShardLog::open(Arc::new(disk), small()).unwrap();
    let ids = sealed_ids(&log);
    assert!(
        log.compact(&ids).is_err(),
        "16 KiB segments of ~12 KiB each cannot merge into 16 KiB"
    );
}

#[test]
fn power_cuts_during_a_merge() {
    let total = {
        let (disk, _) = fragmented(3);
        let log = ShardLog::open(Arc::new(disk.clone()), big()).unwrap();
        let start = disk.ops();
        log.compact(&sealed_ids(&log)).unwrap();
        disk.ops() - start
    };
    let mut cuts = 0;
    for at in 0..total {
        for pattern in 0..6u64 {
            let (disk, img) = fragmented(3);
            let log = ShardLog::open(Arc::new(disk.clone()), big()).unwrap();
            let ids = sealed_ids(&log);
            disk.set_fault(Fault::PowerCut {
                at_op: disk.ops() + at,
            });
            let _ = log.compact(&ids);
            disk.cut_power();
            drop(log);
            let crashed = disk.crash(at * 16 + pattern);
            let log = ShardLog::open(Arc::new(crashed.clone()), big())
                .unwrap_or_else(|e| panic!("op {at} pattern {pattern}: reopen failed: {e}"));
            assert_eq!(
                image(&log),
                img,
                "op {at} pattern {pattern}: records changed"
            );
            // Recovering twice gives the same log, and the merge can be retried.
            log.close().unwrap();
            let log = ShardLog::open(Arc::new(crashed), big()).unwrap();
            assert_eq!(image(&log), img);
            let ids = sealed_ids(&log);
            if ids.len() >= 2 {
                log.compact(&ids).unwrap();
                assert_eq!(image(&log), img);
            }
            cuts += 1;
        }
    }
    println!("{cuts} power cuts over {total} operations of a merge");
}
