//! Retention: a simulated year with a fake clock, period changes, expired shards, power cuts during
//! drops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{Error, PutEntry, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_segment::{Clock, Durability};
use shardlog_storage::{Fault, SimDisk};
use std::sync::Arc;

const HOUR: u64 = 3_600_000;
const T0: u64 = 1_700_000_000_000;

fn opts(clock: &Clock) -> StoreOptions {
    StoreOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::None,
        clock: clock.clone(),
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// Every record of the shard: (counter, arrival ms).
fn records(store: &Store, stream: &str) -> Vec<(u64, u64)> {
    let mut it = store
        .get_shard_iterator(stream, ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let mut out = Vec::new();
    loop {
        let got = store.get_records(&it, 10_000).unwrap();
        if got.records.is_empty() {
            return out;
        }
        out.extend(got.records.iter().map(|r| {
            (
                r.sequence_number.counter(),
                r.approximate_arrival_timestamp_ms,
            )
        }));
        it = got.next_shard_iterator.unwrap();
    }
}

#[test]
fn a_simulated_year_keeps_exactly_the_window() {
    let clock = Clock::manual(T0);
    let store = Store::open_with_storage(Arc::new(SimDisk::new(1)), opts(&clock)).unwrap();
    let windows = [("day", 24u32), ("week", 24 * 7), ("year", 8760)];
    for (name, hours) in windows {
        store.create_stream(name, 1).unwrap();
        store.increase_retention_period(name, hours).unwrap();
    }
    let data = vec![7u8; 150];
    let mut written = 0u64;
    let mut dropped_total = 0;
    for hour in 0..365 * 24u64 {
        clock.set(T0 + hour * HOUR);
        for (name, _) in windows {
            let entries: Vec<_> = (0..3).map(|_| PutEntry::new("k", &data)).collect();
            store.put_records(name, &entries).unwrap();
        }
        written += 3;
        if hour % 24 != 23 {
            continue;
        }
        dropped_total += store.enforce_retention().unwrap().segments_dropped;
        let now = clock.now_ms();
        for (name, hours) in windows {
            let window = u64::from(hours) * HOUR;
            let recs = records(&store, name);
            // Everything inside the window is there, in order and without a gap...
            let inside = (0..=hour).filter(|h| T0 + h * HOUR + window > now).count() as u64 * 3;
            assert!(
                recs.len() as u64 >= inside,
                "{name} hour {hour}: {} records, {inside} inside the window",
                recs.len()
            );
            assert!(
                recs.windows(2).all(|w| w[1].0 == w[0].0 + 1),
                "{name}: a gap in the middle"
            );
            assert_eq!(
                recs.last().unwrap().0 + 1,
                written,
                "{name}: the newest record is there"
            );
            // ...and nothing older than one segment's worth beyond it: no fully expired segment stays.
            let segs = store.segments_of(name, ShardId(0)).unwrap();
            assert!(
                segs.iter()
                    .all(|s| s.last_ts_ms + window > now || s.next_seq == s.base_seq),
                "{name}: an expired segment was kept"
            );
        }
    }
    assert!(
        dropped_total > 100,
        "retention dropped {dropped_total} segments over the year"
    );
    // The year stream still holds everything.
    assert_eq!(records(&store, "year").len() as u64, written);
}

#[test]
fn decreasing_the_period_drops_data_at_the_next_pass_and_numbers_keep_rising() {
    let clock = Clock::manual(T0);
    let disk = SimDisk::new(2);
    let store = Store::open_with_storage(Arc::new(disk.clone()), opts(&clock)).unwrap();
    store.create_stream("s", 1).unwrap();
    store.increase_retention_period("s", 24 * 30).unwrap();
    let data = vec![1u8; 1000];
    let mut last = None;
    for day in 0..20u64 {
        clock.set(T0 + day * 24 * HOUR);
        for _ in 0..20 {
            last = Some(
                store
                    .put_record("s", PutEntry::new("k", &data))
                    .unwrap()
                    .sequence_number,
            );
        }
    }
    assert_eq!(store.enforce_retention().unwrap().segments_dropped, 0);
    store.decrease_retention_period("s", 48).unwrap();
    let report = store.enforce_retention().unwrap();
    assert!(report.segments_dropped > 0);
    let recs = records(&store, "s");
    assert!(
        recs.iter().all(|r| r.1 + 4 * 24 * HOUR > clock.now_ms()),
        "only the last days remain"
    );
    // Everything expires; numbering continues, also after a reopen.
    clock.set(T0 + 400 * 24 * HOUR);
    store.enforce_retention().unwrap();
    assert!(records(&store, "s").is_empty());
    let next = store
        .put_record("s", PutEntry::new("k", b"x"))
        .unwrap()
        .sequence_number;
    assert!(next > last.unwrap());
    store.close().unwrap();
    let store = Store::open_with_storage(Arc::new(disk), opts(&clock)).unwrap();
    let again = store
        .put_record("s", PutEntry::new("k", b"y"))
        .unwrap()
        .sequence_number;
    assert!(again > next);
}

#[test]
fn period_changes_follow_kinesis_rules() {
    let clock = Clock::manual(T0);
    let store = Store::open_with_storage(Arc::new(SimDisk::new(3)), opts(&clock)).unwrap();
    store.create_stream("s", 1).unwrap();
    assert_eq!(store.describe_stream("s").unwrap().retention_hours, 24);
    let err = store.decrease_retention_period("s", 23).unwrap_err();
    assert_eq!(err.to_string(), "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.");
    let err = store.increase_retention_period("s", 8761).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    store.increase_retention_period("s", 24).unwrap();
    store.increase_retention_period("s", 100).unwrap();
    let err = store.increase_retention_period("s", 50).unwrap_err();
    assert_eq!(err.to_string(), "Requested retention period (50 hours) for stream s can not be shorter than existing retention period (100 hours). Use DecreaseRetentionPeriod API.");
    let err = store.decrease_retention_period("s", 200).unwrap_err();
    assert_eq!(err.to_string(), "Requested retention period (200 hours) for stream s can not be longer than existing retention period (100 hours). Use IncreaseRetentionPeriod API.");
    assert_eq!(
        store
            .increase_retention_period("nope", 48)
            .unwrap_err()
            .kind(),
        "ResourceNotFoundException"
    );
}

#[test]
fn expired_closed_shards_leave_and_old_iterators_restart_at_the_trim_horizon() {
    let clock = Clock::manual(T0);
    let store = Store::open_with_storage(Arc::new(SimDisk::new(4)), opts(&clock)).unwrap();
    store.create_stream("s", 1).unwrap();
    let data = vec![2u8; 2000];
    for _ in 0..30 {
        store.put_record("s", PutEntry::new("k", &data)).unwrap();
    }
    store.split_shard("s", ShardId(0), 1 << 127).unwrap();
    clock.set(T0 + 2 * HOUR);
    let child_put = store.put_record("s", PutEntry::new("k", b"new")).unwrap();
    clock.set(T0 + 25 * HOUR);
    let old = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let report = store.enforce_retention().unwrap();
    assert_eq!(report.shards_removed, 1, "{report:?}");
    let d = store.describe_stream("s").unwrap();
    assert_eq!(d.shards.len(), 2);
    assert!(d.shards.iter().all(|s| s.ending_sequence_number.is_none()));
    assert_eq!(
        store
            .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
            .unwrap_err()
            .kind(),
        "ResourceNotFoundException"
    );
    assert_eq!(
        store.get_records(&old, 10).unwrap_err().kind(),
        "ResourceNotFoundException"
    );
    // The child's record is still readable.
    let it = store
        .get_shard_iterator("s", child_put.shard_id, StartingPosition::TrimHorizon)
        .unwrap();
    assert_eq!(
        store.get_records(&it, 10).unwrap().records[0].data,
        b"new"[..]
    );
}

#[test]
fn an_iterator_into_dropped_segments_reads_from_the_trim_horizon() {
    let clock = Clock::manual(T0);
    let store = Store::open_with_storage(Arc::new(SimDisk::new(5)), opts(&clock)).unwrap();
    store.create_stream("s", 1).unwrap();
    let data = vec![3u8; 2000];
    let first = store.put_record("s", PutEntry::new("k", &data)).unwrap();
    for _ in 0..40 {
        store.put_record("s", PutEntry::new("k", &data)).unwrap();
    }
    clock.set(T0 + 30 * HOUR);
    let keep = store.put_record("s", PutEntry::new("k", b"fresh")).unwrap();
    let at = StartingPosition::AtSequenceNumber(first.sequence_number);
    let it = store.get_shard_iterator("s", ShardId(0), at).unwrap();
    assert!(store.enforce_retention().unwrap().segments_dropped > 0);
    let got = store.get_records(&it, 10_000).unwrap();
    let horizon = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let oldest = store.get_records(&horizon, 1).unwrap().records[0].sequence_number;
    assert!(
        oldest > first.sequence_number,
        "the first segments were dropped"
    );
    assert_eq!(
        got.records.first().unwrap().sequence_number,
        oldest,
        "reads resume at the trim horizon"
    );
    assert_eq!(
        got.records.last().unwrap().sequence_number,
        keep.sequence_number
    );
}

/// Power cuts at every operation of a retention pass: what must be kept survives, without a gap.
#[test]
fn power_cuts_during_a_retention_pass_lose_nothing_that_should_be_kept() {
    let clock = Clock::manual(T0);
    let build = |disk: &SimDisk| {
        let store = Store::open_with_storage(Arc::new(disk.clone()), opts(&clock)).unwrap();
        store.create_stream("s", 1).unwrap();
        let data = vec![4u8; 1500];
        for hour in 0..48u64 {
            clock.set(T0 + hour * HOUR);
            for _ in 0..5 {
                store.put_record("s", PutEntry::new("k", &data)).unwrap();
            }
        }
        store.close().unwrap();
    };
    let total_ops = {
        let disk = SimDisk::new(9);
        build(&disk);
        let before = disk.ops();
        let store = Store::open_with_storage(Arc::new(disk.clone()), opts(&clock)).unwrap();
        assert!(store.enforce_retention().unwrap().segments_dropped > 3);
        disk.ops() - before
    };
    let now = clock.now_ms();
    for at in 0..total_ops {
        for pattern in 0..4u64 {
            let disk = SimDisk::new(9);
            build(&disk);
            disk.set_fault(Fault::PowerCut {
                at_op: disk.ops() + at,
            });
            if let Ok(store) = Store::open_with_storage(Arc::new(disk.clone()), opts(&clock)) {
                let _ = store.enforce_retention();
            }
            disk.cut_power();
            let store =
                Store::open_with_storage(Arc::new(disk.crash(at * 4 + pattern)), opts(&clock))
                    .unwrap_or_else(|e| panic!("op {at}: reopen failed: {e}"));
            let recs = records(&store, "s");
            assert!(
                recs.windows(2).all(|w| w[1].0 == w[0].0 + 1),
                "op {at}: a gap in the middle"
            );
            assert_eq!(
                recs.last().map(|r| r.0),
                Some(48 * 5 - 1),
                "op {at}: newest record lost"
            );
            let inside = (0..48u64)
                .filter(|h| T0 + h * HOUR + 24 * HOUR > now)
                .count()
                * 5;
            assert!(
                recs.len() >= inside,
                "op {at}: records inside the window lost"
            );
            // A second pass after recovery finishes the job.
            store.enforce_retention().unwrap();
        }
    }
}

#[test]
fn small_segments_left_by_a_smaller_segment_size_are_merged() {
    let clock = Clock::manual(T0);
    let disk = SimDisk::new(11);
    let store = Store::open_with_storage(Arc::new(disk.clone()), opts(&clock)).unwrap();
    store.create_stream("s", 1).unwrap();
    let data = vec![5u8; 900];
    for _ in 0..100 {
        store.put_record("s", PutEntry::new("k", &data)).unwrap();
    }
    let before = records(&store, "s");
    let segments = store.segments_of("s", ShardId(0)).unwrap().len();
    store.close().unwrap();
    let bigger = StoreOptions {
        segment_bytes: 256 * 1024,
        ..opts(&clock)
    };
    let store = Store::open_with_storage(Arc::new(disk), bigger).unwrap();
    let report = store.enforce_retention().unwrap();
    assert!(report.merges >= 1, "{report:?}");
    let after = store.segments_of("s", ShardId(0)).unwrap().len();
    assert!(after < segments / 2, "{segments} segments became {after}");
    assert_eq!(records(&store, "s"), before, "no record or number changed");
}
