//! Engine behaviour: streams, routing, validation, sequence numbers, iterators, resharding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{
    hash_key, Error, PutEntry, SequenceNumber, ShardId, ShardLimits, StartingPosition, Store,
    StoreOptions, MAX_HASH_KEY,
};
use shardlog_segment::Clock;
use std::collections::BTreeMap;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        segment_bytes: 1 << 20,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    (dir, store)
}

fn read_all(store: &Store, stream: &str, shard: ShardId) -> Vec<shardlog::Record> {
    let mut it = store
        .get_shard_iterator(stream, shard, StartingPosition::TrimHorizon)
        .unwrap();
    let mut out = Vec::new();
    loop {
        let got = store.get_records(&it, 10_000).unwrap();
        let empty = got.records.is_empty();
        out.extend(got.records);
        match got.next_shard_iterator {
            Some(next) if !empty => it = next,
            _ => return out,
        }
    }
}

#[test]
fn create_describe_list_delete() {
    let (_d, store) = store();
    store.create_stream("b-stream", 3).unwrap();
    store.create_stream("a.stream", 1).unwrap();
    assert_eq!(store.list_streams(), vec!["a.stream", "b-stream"]);
    let d = store.describe_stream("b-stream").unwrap();
    assert_eq!(d.shards.len(), 3);
    assert_eq!(d.shards[0].starting_hash_key, 0);
    assert_eq!(
        d.shards[0].ending_hash_key,
        113427455640312821154458202477256070484
    );
    assert_eq!(d.shards[2].ending_hash_key, MAX_HASH_KEY);
    assert_eq!(
        d.arn,
        "arn:aws:kinesis:us-east-1:000000000000:stream/b-stream"
    );
    let err = store.create_stream("b-stream", 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Stream b-stream under account 000000000000 already exists."
    );
    assert!(matches!(
        store.create_stream("bad/name", 1),
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        store.create_stream("x", 0),
        Err(Error::Validation(_))
    ));
    store.delete_stream("b-stream").unwrap();
    assert_eq!(store.list_streams(), vec!["a.stream"]);
    let err = store.describe_stream("b-stream").unwrap_err();
    assert_eq!(err.kind(), "ResourceNotFoundException");
    assert_eq!(
        err.to_string(),
        "Stream b-stream under account 000000000000 not found."
    );
}

#[test]
fn routing_by_md5_and_explicit_hash_key() {
    let (_d, store) = store();
    store.create_stream("s", 4).unwrap();
    let desc = store.describe_stream("s").unwrap();
    for key in ["user-1", "user-2", "user-3", "a", "zzz"] {
        let put = store.put_record("s", PutEntry::new(key, b"x")).unwrap();
        let h = hash_key(key);
        let shard = desc
            .shards
            .iter()
            .find(|s| s.starting_hash_key <= h && h <= s.ending_hash_key)
            .unwrap();
        assert_eq!(put.shard_id, shard.shard_id, "{key}");
    }
    for (i, s) in desc.shards.iter().enumerate() {
        let key = s.ending_hash_key.to_string();
        let put = store
            .put_record("s", PutEntry::new("k", b"x").with_explicit_hash_key(&key))
            .unwrap();
        assert_eq!(put.shard_id, ShardId(i as u32));
    }
    let err = store.put_record(
        "s",
        PutEntry::new("k", b"x").with_explicit_hash_key("340282366920938463463374607431768211456"),
    );
    assert!(matches!(err, Err(Error::InvalidArgument(_))));
}

#[test]
fn put_records_validates_the_whole_request_first() {
    let (_d, store) = store();
    store.create_stream("s", 2).unwrap();
    let big = vec![0u8; (1 << 20) + 1];
    let long_key = "k".repeat(257);
    let ok = PutEntry::new("k", b"x");
    let cases: Vec<(Vec<PutEntry<'_>>, &str)> = vec![
        (vec![], "ValidationException"),
        (vec![ok; 501], "ValidationException"),
        (vec![ok, PutEntry::new("", b"x")], "ValidationException"),
        (
            vec![ok, PutEntry::new(&long_key, b"x")],
            "ValidationException",
        ),
        (vec![ok, PutEntry::new("k", &big)], "ValidationException"),
        (
            vec![ok, PutEntry::new("k", b"x").with_explicit_hash_key("x")],
            "InvalidArgumentException",
        ),
    ];
    for (entries, kind) in cases {
        let err = store.put_records("s", &entries).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
    }
    let mb = vec![1u8; 1 << 20];
    let six: Vec<_> = (0..6).map(|_| PutEntry::new("k", &mb)).collect();
    let err = store.put_records("s", &six).unwrap_err();
    assert_eq!(err.to_string(), "Records size exceeds 5 MB limit");
    // Nothing of the refused requests was written.
    for shard in store.describe_stream("s").unwrap().shards {
        assert!(read_all(&store, "s", shard.shard_id).is_empty());
    }
    let err = store.put_records("nope", &[ok]).unwrap_err();
    assert_eq!(err.kind(), "ResourceNotFoundException");
}

#[test]
fn put_records_keeps_request_order_per_shard() {
    let (_d, store) = store();
    store.create_stream("s", 4).unwrap();
    let keys: Vec<String> = (0..500).map(|i| format!("user-{}", i % 37)).collect();
    let datas: Vec<Vec<u8>> = (0..500).map(|i: u32| i.to_le_bytes().to_vec()).collect();
    let entries: Vec<_> = keys
        .iter()
        .zip(&datas)
        .map(|(k, d)| PutEntry::new(k, d))
        .collect();
    let out = store.put_records("s", &entries).unwrap();
    assert_eq!(out.failed_record_count, 0);
    let results: Vec<_> = out.records.iter().map(|r| *r.as_ref().unwrap()).collect();
    let mut last: BTreeMap<ShardId, SequenceNumber> = BTreeMap::new();
    for r in &results {
        if let Some(prev) = last.insert(r.shard_id, r.sequence_number) {
            assert!(r.sequence_number > prev);
        }
        assert_eq!(r.sequence_number.shard_index(), r.shard_id.0);
    }
    // Each user's records read back in order.
    let mut per_user: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for shard in store.describe_stream("s").unwrap().shards {
        for rec in read_all(&store, "s", shard.shard_id) {
            let i = u32::from_le_bytes(rec.data[..].try_into().unwrap());
            per_user
                .entry(rec.partition_key.to_string())
                .or_default()
                .push(i);
        }
    }
    assert_eq!(per_user.values().map(Vec::len).sum::<usize>(), 500);
    for v in per_user.values() {
        assert!(v.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn iterator_types_and_sequence_number_checks() {
    let (_d, store) = store();
    store.create_stream("s", 1).unwrap();
    store.create_stream("other", 1).unwrap();
    let shard = ShardId(0);
    let seqs: Vec<SequenceNumber> = (0..10u8)
        .map(|i| {
            store
                .put_record("s", PutEntry::new("k", &[i]))
                .unwrap()
                .sequence_number
        })
        .collect();
    let at = |p| {
        let it = store.get_shard_iterator("s", shard, p).unwrap();
        store
            .get_records(&it, 100)
            .unwrap()
            .records
            .iter()
            .map(|r| r.data[0])
            .collect::<Vec<_>>()
    };
    assert_eq!(
        at(StartingPosition::TrimHorizon),
        (0..10).collect::<Vec<_>>()
    );
    assert!(at(StartingPosition::Latest).is_empty());
    assert_eq!(
        at(StartingPosition::AtSequenceNumber(seqs[3])),
        (3..10).collect::<Vec<_>>()
    );
    assert_eq!(
        at(StartingPosition::AfterSequenceNumber(seqs[3])),
        (4..10).collect::<Vec<_>>()
    );
    assert_eq!(
        at(StartingPosition::AtTimestamp(0)),
        (0..10).collect::<Vec<_>>()
    );
    // LATEST sees later writes.
    let latest = store
        .get_shard_iterator("s", shard, StartingPosition::Latest)
        .unwrap();
    store.put_record("s", PutEntry::new("k", &[10])).unwrap();
    assert_eq!(
        store.get_records(&latest, 10).unwrap().records[0].data,
        vec![10]
    );
    // A number from another stream or shard is refused.
    let foreign = store
        .put_record("other", PutEntry::new("k", b"x"))
        .unwrap()
        .sequence_number;
    let err = store
        .get_shard_iterator("s", shard, StartingPosition::AtSequenceNumber(foreign))
        .unwrap_err();
    assert!(
        err.to_string().contains("did not come from this stream"),
        "{err}"
    );
    let wrong_shard = SequenceNumber::new(seqs[0].incarnation(), 5, 0);
    let err = store
        .get_shard_iterator("s", shard, StartingPosition::AtSequenceNumber(wrong_shard))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Invalid StartingSequenceNumber. It encodes shardId-000000000005"),
        "{err}"
    );
    let err = store
        .get_shard_iterator("s", ShardId(9), StartingPosition::Latest)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Shard shardId-000000000009 in stream s under account 000000000000 does not exist"
    );
    let err = store
        .get_shard_iterator("s", shard, StartingPosition::AtTimestamp(u64::MAX))
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("The timestampInMillis parameter cannot be greater"));
    // Sequence numbers render as decimal and parse back.
    let text = seqs[1].to_string();
    assert!(!text.starts_with('0'));
    assert_eq!(text.parse::<SequenceNumber>().unwrap(), seqs[1]);
}

#[test]
fn iterators_expire_are_tamper_evident_and_die_with_their_stream() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_700_000_000_000);
    let store = Store::open(
        dir.path(),
        StoreOptions {
            clock: clock.clone(),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    store.create_stream("s", 1).unwrap();
    store.put_record("s", PutEntry::new("k", b"x")).unwrap();
    let it = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let mut bad = it.clone().into_bytes();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let err = store
        .get_records(std::str::from_utf8(&bad).unwrap(), 10)
        .unwrap_err();
    assert_eq!(err.to_string(), "Invalid ShardIterator.");
    assert!(matches!(
        store.get_records(&it, 0),
        Err(Error::Validation(_))
    ));
    clock.set(1_700_000_000_000 + 300_001);
    let err = store.get_records(&it, 10).unwrap_err();
    assert_eq!(err.kind(), "ExpiredIteratorException");
    let it = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    store.delete_stream("s").unwrap();
    store.create_stream("s", 1).unwrap();
    let err = store.get_records(&it, 10).unwrap_err();
    assert_eq!(err.kind(), "ResourceNotFoundException");
}

#[test]
fn split_and_merge_keep_partition_key_order_and_report_children() {
    let (_d, store) = store();
    store.create_stream("s", 2).unwrap();
    let key = "user-42";
    // All puts route by the same hash key, so they must keep their order across reshards.
    let put = |data: &[u8]| {
        let entry = PutEntry::new(key, data).with_explicit_hash_key("7");
        store.put_record("s", entry).unwrap()
    };
    let before = put(b"before");
    let parent = before.shard_id;
    assert_eq!(parent, ShardId(0));
    let d = store.describe_stream("s").unwrap();
    let p = d
        .shards
        .iter()
        .find(|s| s.shard_id == parent)
        .unwrap()
        .clone();
    let mid = p.starting_hash_key + (p.ending_hash_key - p.starting_hash_key) / 2;
    let (a, b) = store.split_shard("s", parent, mid).unwrap();
    assert_eq!((a, b), (ShardId(2), ShardId(3)));
    let after = put(b"after");
    assert_eq!(after.shard_id, a);
    assert!(
        after.sequence_number > before.sequence_number,
        "numbers keep rising across a split"
    );
    // The parent is closed, readable, and its end names both children.
    let it = store
        .get_shard_iterator("s", parent, StartingPosition::TrimHorizon)
        .unwrap();
    let got = store.get_records(&it, 100).unwrap();
    assert_eq!(got.records.len(), 1);
    assert!(got.next_shard_iterator.is_none());
    let kids: Vec<_> = got.child_shards.iter().map(|c| c.shard_id).collect();
    assert_eq!(kids, vec![a, b]);
    assert_eq!(got.child_shards[0].parent_shards, vec![parent]);
    let d = store.describe_stream("s").unwrap();
    assert_eq!(d.open_shard_count, 3);
    assert!(d
        .shards
        .iter()
        .find(|s| s.shard_id == parent)
        .unwrap()
        .ending_sequence_number
        .is_some());
    // Split errors.
    let err = store.split_shard("s", parent, mid).unwrap_err();
    assert_eq!(err.kind(), "ResourceInUseException");
    let err = store
        .split_shard("s", a, p.starting_hash_key + 1)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is not both greater than one plus"),
        "{err}"
    );
    assert_eq!(
        store.split_shard("s", ShardId(77), 5).unwrap_err().kind(),
        "ResourceNotFoundException"
    );
    // Merge the two children back.
    let err = store.merge_shards("s", a, ShardId(1)).unwrap_err();
    assert!(err.to_string().contains("not an adjacent pair"), "{err}");
    let merged = store.merge_shards("s", a, b).unwrap();
    let m = store
        .describe_stream("s")
        .unwrap()
        .shards
        .into_iter()
        .find(|s| s.shard_id == merged)
        .unwrap();
    assert_eq!(
        (m.starting_hash_key, m.ending_hash_key),
        (p.starting_hash_key, p.ending_hash_key)
    );
    assert_eq!(
        (m.parent_shard_id, m.adjacent_parent_shard_id),
        (Some(a), Some(b))
    );
    let last = put(b"merged");
    assert_eq!(last.shard_id, merged);
    assert!(last.sequence_number > after.sequence_number);
}

#[test]
fn uniform_scaling_tiles_the_hash_space() {
    let (_d, store) = store();
    store.create_stream("s", 3).unwrap();
    for target in [5u32, 8, 4, 7, 6, 3] {
        store.update_shard_count("s", target).unwrap();
        let d = store.describe_stream("s").unwrap();
        let mut open: Vec<_> = d
            .shards
            .iter()
            .filter(|s| s.ending_sequence_number.is_none())
            .collect();
        open.sort_by_key(|s| s.starting_hash_key);
        assert_eq!(open.len(), target as usize);
        assert_eq!(open[0].starting_hash_key, 0);
        assert_eq!(open.last().unwrap().ending_hash_key, MAX_HASH_KEY);
        for w in open.windows(2) {
            assert_eq!(w[0].ending_hash_key + 1, w[1].starting_hash_key);
        }
        let widths: Vec<u128> = open
            .iter()
            .map(|s| s.ending_hash_key - s.starting_hash_key)
            .collect();
        let (min, max) = (widths.iter().min().unwrap(), widths.iter().max().unwrap());
        assert!(max - min <= u128::from(target), "uniform: {widths:?}");
    }
    let err = store.update_shard_count("s", 13).unwrap_err();
    assert_eq!(err.kind(), "InvalidArgumentException");
}

#[test]
fn reopen_keeps_everything_and_a_second_opener_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Locked(_)), "{err}");
    store.create_stream("s", 2).unwrap();
    let mut tags = BTreeMap::new();
    tags.insert("team".to_string(), "data".to_string());
    store.add_tags("s", &tags).unwrap();
    let puts: Vec<_> = (0..100u32)
        .map(|i| {
            store
                .put_record("s", PutEntry::new(&format!("k{i}"), &i.to_le_bytes()))
                .unwrap()
        })
        .collect();
    store.split_shard("s", ShardId(0), 1u128 << 126).unwrap();
    let after = store.put_record("s", PutEntry::new("k1", b"post")).unwrap();
    store.close().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(store.list_tags("s").unwrap(), tags);
    let d = store.describe_stream("s").unwrap();
    assert_eq!(d.shards.len(), 4);
    for p in &puts {
        let it = store
            .get_shard_iterator(
                "s",
                p.shard_id,
                StartingPosition::AtSequenceNumber(p.sequence_number),
            )
            .unwrap();
        assert_eq!(
            store.get_records(&it, 1).unwrap().records[0].sequence_number,
            p.sequence_number
        );
    }
    let next = store
        .put_record("s", PutEntry::new("k1", b"again"))
        .unwrap();
    assert!(
        next.sequence_number > after.sequence_number,
        "numbers never reused after reopen"
    );
}

#[test]
fn throughput_limits_throttle_with_a_distinct_error() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    let opts = StoreOptions {
        limits: Some(ShardLimits::KINESIS),
        clock: clock.clone(),
        durability: shardlog_segment::Durability::None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    store.create_stream("s", 1).unwrap();
    let entries: Vec<_> = (0..500)
        .map(|_| PutEntry::new("k", b"0123456789"))
        .collect();
    assert_eq!(
        store
            .put_records("s", &entries)
            .unwrap()
            .failed_record_count,
        0
    );
    assert_eq!(
        store
            .put_records("s", &entries)
            .unwrap()
            .failed_record_count,
        0
    );
    let third = store.put_records("s", &entries).unwrap();
    assert_eq!(third.failed_record_count, 500);
    let f = third.records[0].as_ref().unwrap_err();
    assert_eq!(f.error_code, "ProvisionedThroughputExceededException");
    assert!(matches!(
        store.put_record("s", PutEntry::new("k", b"x")),
        Err(Error::ProvisionedThroughputExceeded(_))
    ));
    clock.set(1_001_000);
    assert!(store.put_record("s", PutEntry::new("k", b"x")).is_ok());
    let it = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    for _ in 0..5 {
        store.get_records(&it, 1).unwrap();
    }
    assert_eq!(
        store.get_records(&it, 1).unwrap_err().kind(),
        "ProvisionedThroughputExceededException"
    );
    let stats = store.shard_statistics("s").unwrap();
    assert_eq!(stats[0].1.incoming_records, 1001);
    assert_eq!(stats[0].1.write_throttled, 501);
    assert_eq!(stats[0].1.read_throttled, 1);
    assert_eq!(stats[0].1.outgoing_records, 5);
}

#[test]
fn millis_behind_latest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    let store = Store::open(
        dir.path(),
        StoreOptions {
            clock: clock.clone(),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    store.create_stream("s", 1).unwrap();
    store.put_record("s", PutEntry::new("k", b"a")).unwrap();
    clock.set(1_000_500);
    store.put_record("s", PutEntry::new("k", b"b")).unwrap();
    clock.set(1_002_000);
    let it = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let first = store.get_records(&it, 1).unwrap();
    assert_eq!(
        first.millis_behind_latest, 1_500,
        "behind by the age of the next unread record"
    );
    let second = store
        .get_records(first.next_shard_iterator.as_ref().unwrap(), 10)
        .unwrap();
    assert_eq!(second.millis_behind_latest, 0);
    assert_eq!(store.shard_statistics("s").unwrap()[0].1.iterator_age_ms, 0);
}

#[test]
fn on_demand_streams_split_a_shard_that_stays_hot() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(10_000_000);
    let opts = StoreOptions {
        clock: clock.clone(),
        durability: shardlog_segment::Durability::None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    let req = shardlog::CreateStream {
        shard_count: 1,
        mode: shardlog::StreamMode::OnDemand,
        ..Default::default()
    };
    store.create_stream_with("od", req).unwrap();
    assert_eq!(
        store
            .split_shard("od", ShardId(0), 1 << 100)
            .unwrap_err()
            .kind(),
        "ValidationException"
    );
    assert_eq!(
        store.update_shard_count("od", 2).unwrap_err().kind(),
        "ValidationException"
    );
    let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
    let entries: Vec<_> = keys.iter().map(|k| PutEntry::new(k, b"x")).collect();
    // 1,500 records a second for four seconds: three full hot seconds, then the split.
    for tick in 0..12u64 {
        clock.set(10_000_000 + tick * 333);
        assert_eq!(
            store
                .put_records("od", &entries)
                .unwrap()
                .failed_record_count,
            0
        );
    }
    clock.set(10_000_000 + 4_100);
    store.put_records("od", &entries).unwrap();
    // The split runs beside the write path: the put returned without waiting for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let d = loop {
        let d = store.describe_stream("od").unwrap();
        if d.open_shard_count == 2 || std::time::Instant::now() > deadline {
            break d;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(d.open_shard_count, 2, "{:?}", d.shards);
    assert!(d.shards[0].ending_sequence_number.is_some());
    // A cool stream stays as it is.
    let before = store.describe_stream("od").unwrap().shards.len();
    for tick in 0..10u64 {
        clock.set(20_000_000 + tick * 1000);
        store.put_record("od", PutEntry::new("k", b"x")).unwrap();
    }
    assert_eq!(store.describe_stream("od").unwrap().shards.len(), before);
}

#[test]
fn a_shard_whose_files_vanished_is_an_error_not_an_empty_shard() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    store.create_stream("s", 2).unwrap();
    store.put_record("s", PutEntry::new("k", b"x")).unwrap();
    store.close().unwrap();
    let stream_dir = std::fs::read_dir(dir.path().join("streams"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_dir_all(stream_dir.join("shard-0000000001")).unwrap();
    std::fs::write(dir.path().join("streams").join("stray-file"), b"junk").unwrap();
    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(matches!(err, Error::CorruptCatalog { .. }), "{err}");
    assert!(err.to_string().contains("shard-0000000001"), "{err}");
}

/// A stream with one open shard routes without hashing the keys (see `targets` in `put.rs`): its
/// answers must be those of a stream of many shards, before a split, between, and after a merge.
#[test]
fn one_open_shard_routes_and_refuses_as_many_do() {
    let (_dir, store) = store();
    for (name, shards) in [("one", 1), ("four", 4)] {
        store.create_stream(name, shards).unwrap();
        let entries = [
            PutEntry::new("a", b"1"),
            PutEntry::unkeyed(b"2").with_explicit_hash_key("7"),
            PutEntry::unkeyed(b"3"),
        ];
        let e = store.put_records(name, &entries).unwrap_err();
        assert_eq!(e.kind(), "ValidationException", "{name}");
        assert!(
            e.to_string()
                .contains("Value null at 'records.3.member.partitionKey'"),
            "{name}: {e}"
        );
        let e = store
            .put_record(name, PutEntry::new("a", b"x").with_explicit_hash_key("x1"))
            .unwrap_err();
        assert_eq!(e.kind(), "InvalidArgumentException", "{name}: {e}");
        let ok = store.put_records(name, &entries[..2]).unwrap();
        assert_eq!(ok.failed_record_count, 0, "{name}");
    }
    // Split in two, then merge back into one shard: each put lands where its key's hash says.
    let half = MAX_HASH_KEY / 2;
    store.split_shard("one", ShardId(0), half).unwrap();
    let keys: Vec<String> = (0..64).map(|i| format!("key-{i}")).collect();
    let check = |open: &[(u128, u128, u32)]| {
        let entries: Vec<PutEntry> = keys.iter().map(|k| PutEntry::new(k, b"v")).collect();
        let out = store.put_records("one", &entries).unwrap();
        for (k, r) in keys.iter().zip(&out.records) {
            let h = hash_key(k);
            let want = open
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&h))
                .unwrap()
                .2;
            assert_eq!(r.as_ref().unwrap().shard_id, ShardId(want), "{k}");
        }
    };
    check(&[(0, half - 1, 1), (half, MAX_HASH_KEY, 2)]);
    store.merge_shards("one", ShardId(1), ShardId(2)).unwrap();
    check(&[(0, MAX_HASH_KEY, 3)]);
}

#[test]
fn auto_distribution_spreads_records_without_keys_over_every_open_shard() {
    let (_dir, store) = store();
    let req = shardlog::CreateStream {
        shard_count: 4,
        mode: shardlog::StreamMode::OnDemand,
        ..Default::default()
    };
    store.create_stream_with("auto", req).unwrap();
    let unkeyed = [PutEntry::unkeyed(b"a"), PutEntry::unkeyed(b"b")];
    // The default strategy needs a key, and names the member as the call does.
    let e = store.put_records("auto", &unkeyed).unwrap_err();
    assert_eq!(e.kind(), "ValidationException");
    assert!(e
        .to_string()
        .contains("Value null at 'records.1.member.partitionKey' failed to satisfy constraint: Member must not be null"));
    let e = store.put_record("auto", unkeyed[0]).unwrap_err();
    assert!(
        e.to_string().contains("Value null at 'partitionKey'"),
        "{e}"
    );

    store
        .update_stream_settings("auto", |s| {
            s.record_distribution = Some("AUTO".into());
            Ok(())
        })
        .unwrap();
    // Keys (and explicit hash keys) are ignored for placement: eight records of one key land two
    // on each of the four shards, as do unkeyed ones.
    let keyed: Vec<_> = (0..8)
        .map(|_| PutEntry::new("same", b"k").with_explicit_hash_key("0"))
        .collect();
    store.put_records("auto", &keyed).unwrap();
    for _ in 0..4 {
        store.put_records("auto", &unkeyed).unwrap();
    }
    for shard in 0..4 {
        let records = read_all(&store, "auto", ShardId(shard));
        assert_eq!(records.len(), 4, "shard {shard}");
        let keys: Vec<&str> = records.iter().map(|r| &*r.partition_key).collect();
        assert_eq!(keys, ["same", "same", "", ""], "shard {shard}");
    }
    // Ordering is not a thing a stream that places records keeps.
    let e = store
        .put_record("auto", PutEntry::unkeyed(b"x").with_ordering_after("1"))
        .unwrap_err();
    assert_eq!(e.kind(), "InvalidArgumentException");
    assert!(e.to_string().contains("SequenceNumberForOrdering"), "{e}");

    // Back to keys: the key decides again.
    store
        .update_stream_settings("auto", |s| {
            s.record_distribution = Some("USER_PARTITION_KEY".into());
            Ok(())
        })
        .unwrap();
    let a = store
        .put_record("auto", PutEntry::new("same", b"1"))
        .unwrap();
    let b = store
        .put_record("auto", PutEntry::new("same", b"2"))
        .unwrap();
    assert_eq!(a.shard_id, b.shard_id);
    assert!(store.put_record("auto", PutEntry::unkeyed(b"x")).is_err());
}

#[test]
fn with_a_state_delay_streams_pass_through_creating_updating_and_deleting() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(1_000_000);
    let opts = StoreOptions {
        clock: clock.clone(),
        state_delay: std::time::Duration::from_millis(500),
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts).unwrap();
    store.create_stream("s", 2).unwrap();
    assert_eq!(store.describe_stream("s").unwrap().status, "CREATING");
    // Not there for records yet, and not to be changed.
    let e = store.put_record("s", PutEntry::new("k", b"x")).unwrap_err();
    assert_eq!(e.kind(), "ResourceNotFoundException");
    let e = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap_err();
    assert_eq!(e.kind(), "ResourceNotFoundException");
    let e = store.increase_retention_period("s", 48).unwrap_err();
    assert_eq!(e.kind(), "ResourceInUseException");
    assert_eq!(
        e.to_string(),
        "Stream s under account 000000000000 not ACTIVE, instead in state CREATING"
    );
    clock.set(1_000_500);
    assert_eq!(store.describe_stream("s").unwrap().status, "ACTIVE");
    store.put_record("s", PutEntry::new("k", b"x")).unwrap();

    // A split is done at once; the stream is UPDATING for the delay: records flow, changes wait.
    store.split_shard("s", ShardId(0), 1 << 100).unwrap();
    assert_eq!(store.describe_stream("s").unwrap().status, "UPDATING");
    store.put_record("s", PutEntry::new("k", b"y")).unwrap();
    let e = store.merge_shards("s", ShardId(2), ShardId(3)).unwrap_err();
    assert_eq!(e.kind(), "ResourceInUseException");
    assert!(e.to_string().ends_with("instead in state UPDATING"), "{e}");
    assert_eq!(
        store.delete_stream("s").unwrap_err().kind(),
        "ResourceInUseException"
    );
    clock.set(1_001_000);
    // UpdateShardCount is one change however many splits and merges it takes.
    assert_eq!(
        store.update_shard_count("s", 6).unwrap(),
        3,
        "the count before"
    );
    assert_eq!(
        store
            .describe_stream("s")
            .unwrap()
            .shards
            .iter()
            .filter(|s| s.closed_ms.is_none())
            .count(),
        6
    );
    assert_eq!(store.describe_stream("s").unwrap().status, "UPDATING");
    clock.set(1_001_500);
    // A resource policy is not the stream's configuration: no UPDATING for it.
    store
        .update_stream_settings("s", |s| s.set_policy(Some("{}".into())))
        .unwrap();
    assert_eq!(store.describe_stream("s").unwrap().status, "ACTIVE");

    // Deleted at once (durably: gone after a reopen), reported DELETING for the delay.
    store.delete_stream("s").unwrap();
    assert_eq!(store.describe_stream("s").unwrap().status, "DELETING");
    assert_eq!(store.list_streams(), ["s"]);
    assert_eq!(
        store
            .put_record("s", PutEntry::new("k", b"z"))
            .unwrap_err()
            .kind(),
        "ResourceNotFoundException"
    );
    assert_eq!(
        store.create_stream("s", 1).unwrap_err().kind(),
        "ResourceInUseException"
    );
    clock.set(1_002_000);
    assert_eq!(
        store.describe_stream("s").unwrap_err().kind(),
        "ResourceNotFoundException"
    );
    assert!(store.list_streams().is_empty());
    store.create_stream("s", 1).unwrap();
}

/// Segment files (`*.seg`) in every shard directory of the store, by directory name.
fn segment_files(dir: &std::path::Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for stream in std::fs::read_dir(dir.join("streams")).unwrap() {
        for shard in std::fs::read_dir(stream.unwrap().path()).unwrap() {
            let shard = shard.unwrap().path();
            if !shard.is_dir() {
                continue;
            }
            let segs = std::fs::read_dir(&shard)
                .unwrap()
                .filter(|f| {
                    f.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|e| e == "seg")
                })
                .count();
            out.insert(shard.file_name().unwrap().to_string_lossy().into(), segs);
        }
    }
    out
}

/// Bytes of disk allocated to the segment files of the store (blocks, not lengths).
fn segment_disk_bytes(dir: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let mut total = 0;
    for stream in std::fs::read_dir(dir.join("streams")).unwrap() {
        for shard in std::fs::read_dir(stream.unwrap().path()).unwrap() {
            let shard = shard.unwrap().path();
            if !shard.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&shard).unwrap() {
                let f = f.unwrap();
                if f.path().extension().is_some_and(|e| e == "seg") {
                    total += f.metadata().unwrap().blocks() * 512;
                }
            }
        }
    }
    total
}

/// An idle shard costs one small segment of disk, not a whole `segment_bytes` one: a store of
/// 100 shards with the default 64 MiB segments allocates 25 MiB, not 6.4 GiB.
#[test]
fn an_idle_shard_costs_one_small_segment_of_disk() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || StoreOptions {
        durability: shardlog_segment::Durability::None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts()).unwrap();
    store.create_stream("s", 100).unwrap();
    let data = vec![1u8; 1000];
    let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
    for chunk in keys.chunks(500) {
        let entries: Vec<PutEntry> = chunk.iter().map(|k| PutEntry::new(k, &data)).collect();
        store.put_records("s", &entries).unwrap();
    }
    store.close().unwrap();
    let store = Store::open(dir.path(), opts()).unwrap();
    let first = shardlog_segment::FIRST_SEGMENT_BYTES;
    assert_eq!(segment_files(dir.path()).values().sum::<usize>(), 100);
    let used = segment_disk_bytes(dir.path());
    assert!(used <= 100 * first, "{used} bytes for 100 idle shards");
    store.close().unwrap();
}

/// Issue 18.4: a new shard (from `create_stream` or a split) has its first segment before its
/// first put, so puts to fresh shards do not create and sync files in line.
#[test]
fn new_shards_have_their_first_segment_before_the_first_put() {
    let (dir, store) = store();
    store.create_stream("s", 3).unwrap();
    let segs = segment_files(dir.path());
    assert_eq!(segs.len(), 3);
    assert!(segs.values().all(|&n| n == 1), "{segs:?}");
    store
        .split_shard("s", ShardId(0), MAX_HASH_KEY / 6)
        .unwrap();
    let segs = segment_files(dir.path());
    assert_eq!(segs.len(), 5);
    assert!(segs.values().all(|&n| n == 1), "{segs:?}");
    // And they are the segments the puts then use.
    store.put_record("s", PutEntry::new("k", b"v")).unwrap();
    assert!(segment_files(dir.path()).values().all(|&n| n == 1));
}
