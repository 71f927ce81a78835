//! A retention pass over a shard of 10,000 segments costs file operations in proportion to the
//! expired segments only: the decision is made on the in-memory snapshot, and only expired segments
//! are touched. Counted on the simulated disk, where every storage call is one operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_retention::{apply, policy, RetentionPeriod, ShardView};
use shardlog_segment::{Clock, Durability, LogOptions, ShardLog};
use shardlog_storage::SimDisk;
use std::sync::Arc;

const SEGMENTS: u64 = 10_000;

#[test]
fn file_operations_scale_with_expired_segments_only() {
    let clock = Clock::manual(0);
    let disk = SimDisk::new(1);
    let opts = LogOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::None,
        clock: clock.clone(),
        ..LogOptions::default()
    };
    let log = ShardLog::open(Arc::new(disk.clone()), opts).unwrap();
    // One 9 KiB record per segment, one simulated minute apart.
    let data = vec![1u8; 9 * 1024];
    for i in 0..SEGMENTS {
        clock.set(i * 60_000);
        log.append(b"k", &data).unwrap();
    }
    log.sync().unwrap();
    assert!(log.segment_count() as u64 >= SEGMENTS - 1);
    let period = RetentionPeriod::hours(24).unwrap();
    let mut expired_total = 0u64;
    let mut samples = Vec::new();
    for expire in [0u64, 10, 100, 1000] {
        // Move `now` so that `expire` more segments' newest records fall out of the window.
        expired_total += expire;
        // Segment i's newest record arrived at minute i: exactly `expired_total` of them are out.
        let now = match expired_total {
            0 => period.as_millis() - 1,
            k => period.as_millis() + (k - 1) * 60_000,
        };
        clock.set(now);
        let view = ShardView {
            segments: log.segments(),
            closed_ms: None,
        };
        let before = disk.ops();
        let decision = policy::choose(&[view], period, None, clock.now_ms())[0];
        let done = apply(&log, decision).unwrap();
        let ops = disk.ops() - before;
        samples.push((done.segments_dropped as u64, ops));
    }
    println!("dropped segments -> file operations: {samples:?}");
    assert_eq!(
        samples[0],
        (0, 0),
        "a pass with nothing expired touches no file"
    );
    assert_eq!(
        samples.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![0, 10, 100, 1000]
    );
    for &(dropped, ops) in &samples[1..] {
        assert!(dropped > 0);
        // A constant for the log.meta update plus a few operations per dropped segment, whatever the
        // 10,000 segments around them.
        assert!(
            ops <= 20 + 3 * dropped,
            "{dropped} segments dropped with {ops} operations"
        );
    }
}
