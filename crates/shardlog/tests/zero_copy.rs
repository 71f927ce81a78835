//! Issue 18.1: `get_records` shares the segments' memory. A call allocates a bounded number of
//! times whatever the number of records (its own test binary: it counts allocations).
#![allow(clippy::unwrap_used)]

use shardlog::{Durability, PutEntry, ShardId, StartingPosition, Store, StoreOptions};

fn payload(n: usize) -> Vec<u8> {
    format!("payload-{n:06}-").repeat(8).into_bytes()
}

#[test]
fn get_records_allocates_per_call_not_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        segment_bytes: 128 << 10,
        durability: Durability::Sync,
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts.clone()).unwrap();
    store.create_stream("s", 1).unwrap();
    let keys: Vec<String> = (0..5_000).map(|n| format!("user-{}", n % 97)).collect();
    let data: Vec<Vec<u8>> = (0..5_000).map(payload).collect();
    for chunk in (0..5_000).collect::<Vec<_>>().chunks(500) {
        let entries: Vec<PutEntry<'_>> = chunk
            .iter()
            .map(|&n| PutEntry {
                partition_key: &keys[n],
                data: &data[n],
                explicit_hash_key: None,
                ordering_after: None,
            })
            .collect();
        store.put_records("s", &entries).unwrap();
    }
    store.close().unwrap();
    let store = Store::open(dir.path(), opts).unwrap();
    let it = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    // Warm up: the first read of a segment opens its file and loads its index.
    assert_eq!(store.get_records(&it, 10_000).unwrap().records.len(), 5_000);

    let mut out = None;
    let info = allocation_counter::measure(|| out = Some(store.get_records(&it, 10_000)));
    let records = out.unwrap().unwrap().records;
    assert_eq!(records.len(), 5_000);
    // A copying read allocates three times per record (key, data, the key as a String).
    assert!(
        info.count_total < 100,
        "{} allocations for 5,000 records",
        info.count_total
    );
    for (n, r) in records.iter().enumerate() {
        assert_eq!((&*r.partition_key, &r.data[..]), (&*keys[n], &data[n][..]));
    }
}
