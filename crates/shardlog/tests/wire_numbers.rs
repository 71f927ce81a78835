//! Issue 15: sequence numbers a consumer can resume from without losing a record.
//!
//! On AWS a shard's `StartingSequenceNumber` is strictly below every record of the shard, so
//! `AFTER_SEQUENCE_NUMBER` with it starts at the first record; and a subscription's
//! `ContinuationSequenceNumber` names the place to resume after, also on an empty shard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions};
use std::time::Duration;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        segment_bytes: 64 * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    (dir, store)
}

fn starting_number(store: &Store, stream: &str, shard: ShardId) -> SequenceNumber {
    let d = store.describe_stream(stream).unwrap();
    d.shards
        .iter()
        .find(|s| s.shard_id == shard)
        .unwrap()
        .starting_sequence_number
}

fn read_after(store: &Store, stream: &str, shard: ShardId, after: SequenceNumber) -> Vec<Vec<u8>> {
    let it = store
        .get_shard_iterator(stream, shard, StartingPosition::AfterSequenceNumber(after))
        .unwrap();
    let got = store.get_records(&it, 100).unwrap();
    got.records.into_iter().map(|r| r.data.to_vec()).collect()
}

/// Before the fix: GetRecords after the shard's starting number returned nothing, because that
/// number was the first record's own.
#[test]
fn after_the_starting_sequence_number_comes_the_first_record() {
    let (_dir, store) = store();
    store.create_stream("s", 1).unwrap();
    let put = store.put_record("s", PutEntry::new("k", b"first")).unwrap();
    let start = starting_number(&store, "s", put.shard_id);
    assert!(
        start < put.sequence_number,
        "start {start} must be below the first record {}",
        put.sequence_number
    );
    assert_eq!(
        read_after(&store, "s", put.shard_id, start),
        [b"first".to_vec()]
    );
    let it = store
        .get_shard_iterator("s", put.shard_id, StartingPosition::AtSequenceNumber(start))
        .unwrap();
    let at: Vec<Vec<u8>> = store
        .get_records(&it, 10)
        .unwrap()
        .records
        .into_iter()
        .map(|r| r.data.to_vec())
        .collect();
    assert_eq!(
        at,
        [b"first".to_vec()],
        "AT the start number: from the first record"
    );
}

/// Before the fix: the continuation of an empty shard was the number the first record then got,
/// so resubscribing after it skipped that record.
#[test]
fn a_subscriber_that_resumes_after_an_empty_shards_continuation_gets_the_first_record() {
    let (_dir, store) = store();
    store.create_stream("s", 1).unwrap();
    let shard = ShardId(0);
    let mut sub = store
        .subscribe("s", shard, StartingPosition::TrimHorizon)
        .unwrap();
    let event = sub.next_event(Duration::from_millis(10)).unwrap();
    assert!(event.records.is_empty());
    let continuation = event.continuation_sequence_number.unwrap();
    drop(sub);
    let put = store.put_record("s", PutEntry::new("k", b"first")).unwrap();
    assert!(continuation < put.sequence_number);
    let mut again = store
        .subscribe(
            "s",
            shard,
            StartingPosition::AfterSequenceNumber(continuation),
        )
        .unwrap();
    let event = again.next_event(Duration::from_secs(1)).unwrap();
    let got: Vec<SequenceNumber> = event.records.iter().map(|r| r.sequence_number).collect();
    assert_eq!(got, [put.sequence_number]);
    // After a record, the continuation is that record: resuming after it repeats nothing.
    let continuation = event.continuation_sequence_number.unwrap();
    assert_eq!(continuation, put.sequence_number);
    let second = store
        .put_record("s", PutEntry::new("k", b"second"))
        .unwrap();
    let mut third = store
        .subscribe(
            "s",
            shard,
            StartingPosition::AfterSequenceNumber(continuation),
        )
        .unwrap();
    let event = third.next_event(Duration::from_secs(1)).unwrap();
    let got: Vec<SequenceNumber> = event.records.iter().map(|r| r.sequence_number).collect();
    assert_eq!(got, [second.sequence_number]);
}

/// Children of a split start strictly below their first record too, and above every number of
/// their parent.
#[test]
fn children_start_below_their_first_record_and_above_their_parent() {
    let (_dir, store) = store();
    store.create_stream("s", 1).unwrap();
    let before = store
        .put_record("s", PutEntry::new("k", b"parent"))
        .unwrap();
    let (low, high) = store.split_shard("s", ShardId(0), 1u128 << 127).unwrap();
    for child in [low, high] {
        let start = starting_number(&store, "s", child);
        assert!(start > before.sequence_number, "{child}: {start}");
    }
    let put = store.put_record("s", PutEntry::new("k", b"child")).unwrap();
    let start = starting_number(&store, "s", put.shard_id);
    assert!(start < put.sequence_number);
    assert_eq!(
        read_after(&store, "s", put.shard_id, start),
        [b"child".to_vec()]
    );
}

/// A stream that allows 10 MiB records takes one through `put_record`: the 5 MiB limit is the
/// limit of a PutRecords request's records together, not of a single record the stream allows.
#[test]
fn a_stream_that_allows_ten_mib_takes_a_six_mib_record() {
    let dir = tempfile::tempdir().unwrap();
    // The default 64 MiB segments: 64 KiB ones cannot hold a 10 MiB record.
    let opts = StoreOptions {
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    store.create_stream("s", 1).unwrap();
    let big = vec![7u8; 6 << 20];
    assert!(store.put_record("s", PutEntry::new("k", &big)).is_err());
    store.update_max_record_size("s", 10240).unwrap();
    let put = store.put_record("s", PutEntry::new("k", &big)).unwrap();
    let it = store
        .get_shard_iterator(
            "s",
            put.shard_id,
            StartingPosition::AtSequenceNumber(put.sequence_number),
        )
        .unwrap();
    assert_eq!(
        store.get_records(&it, 1).unwrap().records[0].data.len(),
        6 << 20
    );
}
