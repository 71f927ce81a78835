//! Issue 16: when the process runs out of file descriptors, a write that needs a new segment
//! fails (for that request only) and the store keeps accepting writes once descriptors are back.
//! Nothing acknowledged is lost.
//!
//! Its own test binary: it lowers the process's descriptor limit, which would disturb other tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{Durability, PutEntry, ShardId, StartingPosition, Store, StoreOptions};

/// Sets the soft limit on open descriptors; returns the old one.
fn set_soft_limit(soft: u64) -> u64 {
    let (old, hard) = rlimit::Resource::NOFILE.get().unwrap();
    rlimit::Resource::NOFILE.set(soft, hard).unwrap();
    old
}

fn open_descriptors() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

fn read_all(store: &Store) -> Vec<Vec<u8>> {
    let mut it = store
        .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
        .unwrap();
    let mut out = Vec::new();
    loop {
        let got = store.get_records(&it, 10_000).unwrap();
        let empty = got.records.is_empty();
        out.extend(got.records.into_iter().map(|r| r.data.to_vec()));
        match got.next_shard_iterator {
            Some(next) if !empty => it = next,
            _ => return out,
        }
    }
}

#[test]
fn running_out_of_descriptors_fails_a_roll_not_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        segment_bytes: 64 << 10,
        durability: Durability::Sync,
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts.clone()).unwrap();
    store.create_stream("s", 1).unwrap();
    let blob = vec![0x5A; 8 << 10];
    let mut acked = Vec::new();
    // Fill a few segments with descriptors to spare.
    for i in 0..20u32 {
        let mut data = blob.clone();
        data[..4].copy_from_slice(&i.to_le_bytes());
        store.put_record("s", PutEntry::new("k", &data)).unwrap();
        acked.push(data);
    }
    // No descriptor left: the next roll cannot create its segment.
    let old = set_soft_limit(open_descriptors());
    let mut failed = 0;
    for i in 20..60u32 {
        let mut data = blob.clone();
        data[..4].copy_from_slice(&i.to_le_bytes());
        match store.put_record("s", PutEntry::new("k", &data)) {
            Ok(_) => acked.push(data),
            Err(e) => {
                assert_eq!(e.kind(), "InternalFailure", "{e}");
                println!("record {i}: {e}");
                failed += 1;
            }
        }
    }
    set_soft_limit(old);
    assert!(failed > 0, "the limit never bit");
    // Descriptors are back: the shard accepts writes again, without a reopen.
    for i in 60..80u32 {
        let mut data = blob.clone();
        data[..4].copy_from_slice(&i.to_le_bytes());
        store
            .put_record("s", PutEntry::new("k", &data))
            .unwrap_or_else(|e| panic!("record {i} after descriptors came back: {e}"));
        acked.push(data);
    }
    assert_eq!(read_all(&store), acked);
    store.close().unwrap();
    let store = Store::open(dir.path(), opts).unwrap();
    assert_eq!(read_all(&store), acked, "after reopening");
}
