//! `Store::backup` and `backup::restore`: a backup taken under load (with a split during it) holds
//! every record acknowledged before it started, as a gap-free prefix of each shard, and verifies
//! clean once restored; an unfinished backup and a used target are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::backup::restore;
use shardlog::verify::verify_store;
use shardlog::{
    Durability, PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

type Acked = Arc<Mutex<Vec<(ShardId, SequenceNumber, Vec<u8>)>>>;

fn opts(durability: Durability) -> StoreOptions {
    StoreOptions {
        durability,
        segment_bytes: 64 * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// Every record of every shard of `stream`, by shard, oldest first.
fn all_records(store: &Store, stream: &str) -> BTreeMap<ShardId, Vec<(SequenceNumber, Vec<u8>)>> {
    let mut out = BTreeMap::new();
    for shard in store.describe_stream(stream).unwrap().shards {
        let id = shard.shard_id;
        let mut it = store
            .get_shard_iterator(stream, id, StartingPosition::TrimHorizon)
            .unwrap();
        let mut recs = Vec::new();
        loop {
            let got = store.get_records(&it, 10_000).unwrap();
            let empty = got.records.is_empty();
            recs.extend(
                got.records
                    .into_iter()
                    .map(|r| (r.sequence_number, r.data.to_vec())),
            );
            match got.next_shard_iterator {
                Some(next) if !empty => it = next,
                _ => break,
            }
        }
        out.insert(id, recs);
    }
    out
}

/// Producers write to four shards while a backup runs and a split happens during it.
fn backup_under_load(durability: Durability) {
    let dir = tempfile::tempdir().unwrap();
    let live_dir = dir.path().join("live");
    let store = Store::open(&live_dir, opts(durability)).unwrap();
    store.create_stream("s", 4).unwrap();
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let datas: Vec<Vec<u8>> = (0..20)
                        .map(|i| {
                            let mut d = format!("p{p}-n{}-", n + i).into_bytes();
                            d.resize(200 + (n + i) as usize % 300, b'x');
                            d
                        })
                        .collect();
                    let keys: Vec<String> = (0..20).map(|i| format!("key-{}", n + i)).collect();
                    let entries: Vec<PutEntry> = keys
                        .iter()
                        .zip(&datas)
                        .map(|(k, d)| PutEntry::new(k, d))
                        .collect();
                    let out = store.put_records("s", &entries).unwrap();
                    let mut a = acked.lock().unwrap();
                    for (r, d) in out.records.iter().zip(datas) {
                        let r = r.as_ref().unwrap();
                        a.push((r.shard_id, r.sequence_number, d));
                    }
                    n += 20;
                }
            })
        })
        .collect();
    // Let some segments fill and seal first.
    while acked.lock().unwrap().len() < 8_000 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let splitter = {
        let store = store.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(2));
            store
                .split_shard("s", ShardId(1), shardlog::MAX_HASH_KEY / 8 * 3)
                .unwrap();
        })
    };
    let before = acked.lock().unwrap().clone();
    let bak = dir.path().join("bak");
    let report = store.backup(&bak, &|_| {}).unwrap();
    splitter.join().unwrap();
    let after_backup = acked.lock().unwrap().len();
    while acked.lock().unwrap().len() < after_backup + 2_000 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    for p in producers {
        p.join().unwrap();
    }
    assert!(report.segments > report.shards, "{report:?}");
    let live = all_records(&store, "s");
    store.close().unwrap();

    let restored_dir = dir.path().join("restored");
    restore(&bak, &restored_dir, &|_| {}).unwrap();
    let check = verify_store(&restored_dir, None, &|_| {}).unwrap();
    assert!(check.findings.is_empty(), "{:?}", check.findings);
    let restored = Store::open(&restored_dir, opts(durability)).unwrap();
    let got = all_records(&restored, "s");
    // The backup names the shards of the catalog when it started: 4, or 6 if the split came first.
    assert!(got.len() == 4 || got.len() == 6, "{} shards", got.len());
    let mut held = 0;
    for (shard, recs) in &got {
        let live_recs = &live[shard];
        assert!(recs.len() <= live_recs.len());
        // A prefix of the live shard: same records, same numbers, same order, no gap, no duplicate.
        assert!(
            recs[..] == live_recs[..recs.len()],
            "shard {shard} is not a prefix"
        );
        held += recs.len();
    }
    for (shard, seq, data) in &before {
        let recs = got
            .get(shard)
            .unwrap_or_else(|| panic!("shard {shard} missing"));
        let i = recs
            .binary_search_by(|r| r.0.cmp(seq))
            .unwrap_or_else(|_| panic!("acknowledged record {seq} of {shard} missing"));
        assert_eq!(&recs[i].1, data);
    }
    assert!(held >= before.len());
    // The restored store takes writes and keeps numbering upwards.
    let put = restored
        .put_record("s", PutEntry::new("key-0", b"after"))
        .unwrap();
    let last = got[&put.shard_id].last().map(|r| r.0);
    assert!(last.is_none_or(|l| l < put.sequence_number));
    restored.close().unwrap();
}

#[test]
fn backup_under_load_sync() {
    backup_under_load(Durability::Sync);
}

#[test]
fn backup_under_load_none() {
    backup_under_load(Durability::None);
}

fn small_store(dir: &Path) -> Store {
    let store = Store::open(dir, opts(Durability::Sync)).unwrap();
    store.create_stream("s", 3).unwrap();
    let data = vec![5u8; 1000];
    for i in 0..400 {
        store
            .put_record("s", PutEntry::new(&format!("k{i}"), &data))
            .unwrap();
    }
    store
}

/// A backup that stops midway (here: its progress callback panics after some pieces, which is a
/// crash as far as the directory is concerned) has no catalog: restore refuses it, opening it as a
/// store fails and verify reports the missing catalog.
#[test]
fn unfinished_backup_is_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir.path().join("live"));
    for stop_after in [1usize, 4, 8] {
        let bak = dir.path().join(format!("bak-{stop_after}"));
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let hook = |_| {
            if calls.fetch_add(1, Ordering::SeqCst) + 1 == stop_after {
                panic!("killed midway");
            }
        };
        let r =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.backup(&bak, &hook)));
        assert!(r.is_err(), "the backup was not interrupted");
        assert!(!bak.join("catalog").exists());
        let e = restore(&bak, &dir.path().join(format!("r-{stop_after}")), &|_| {}).unwrap_err();
        assert!(e.to_string().contains("not a finished backup"), "{e}");
        assert!(!dir.path().join(format!("r-{stop_after}/catalog")).exists());
        let check = verify_store(&bak, None, &|_| {}).unwrap();
        assert!(
            !check.findings.is_empty(),
            "verify accepted an unfinished backup"
        );
        assert!(matches!(
            Store::open(&bak, StoreOptions::default()),
            Err(shardlog::Error::CorruptCatalog { .. })
        ));
    }
    // The store itself is unharmed and a finished backup still works.
    let bak = dir.path().join("bak-ok");
    store.backup(&bak, &|_| {}).unwrap();
    restore(&bak, &dir.path().join("r-ok"), &|_| {}).unwrap();
    let restored = Store::open(dir.path().join("r-ok"), StoreOptions::default()).unwrap();
    let n: usize = all_records(&restored, "s").values().map(Vec::len).sum();
    assert_eq!(n, 400);
}

/// Restore never writes into a used directory (a live store above all), and backup never writes
/// into one either.
#[test]
fn used_targets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = small_store(&dir.path().join("live"));
    let bak = dir.path().join("bak");
    store.backup(&bak, &|_| {}).unwrap();
    // Into the live store itself.
    let e = restore(&bak, &dir.path().join("live"), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    // Into a directory holding anything at all.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("other/note"), b"x").unwrap();
    assert!(restore(&bak, &dir.path().join("other"), &|_| {}).is_err());
    assert_eq!(
        std::fs::read_dir(dir.path().join("other")).unwrap().count(),
        1
    );
    // A backup into a used directory.
    assert!(store.backup(&dir.path().join("other"), &|_| {}).is_err());
    assert!(store.backup(&bak, &|_| {}).is_err());
    // An empty directory is fine.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    restore(&bak, &dir.path().join("empty"), &|_| {}).unwrap();
    drop(Store::open(dir.path().join("empty"), StoreOptions::default()).unwrap());
    // A backup whose catalog names a shard that is not there is refused.
    std::fs::remove_dir_all(bak.join("streams/s.1/shard-0000000002")).unwrap();
    let e = restore(&bak, &dir.path().join("r2"), &|_| {}).unwrap_err();
    assert!(e.to_string().contains("not a finished backup"), "{e}");
}

/// Bytes of disk a directory tree takes (allocated blocks, not file lengths).
fn allocated(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let m = entry.metadata().unwrap();
        total += if m.is_dir() {
            allocated(&entry.path())
        } else {
            m.blocks() * 512
        };
    }
    total
}

/// A backup costs the disk space of the records it holds, not each segment's preallocated
/// capacity: 40 shards of 4 MiB segments holding a few records each back up into well under one
/// segment's size, and the restored store (allocated in full, as a live store is) reads them all.
#[test]
fn a_backup_of_nearly_empty_segments_is_small_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let o = StoreOptions {
        segment_bytes: 4 << 20,
        ..opts(Durability::Sync)
    };
    let store = Store::open(dir.path().join("live"), o.clone()).unwrap();
    store.create_stream("s", 40).unwrap();
    for i in 0..200 {
        store
            .put_record("s", PutEntry::new(&format!("k{i}"), b"small"))
            .unwrap();
    }
    let live = allocated(&dir.path().join("live"));
    assert!(
        live >= 40 * shardlog_segment::FIRST_SEGMENT_BYTES,
        "the live store preallocates: {live}"
    );
    let bak = dir.path().join("bak");
    store.backup(&bak, &|_| {}).unwrap();
    let want = all_records(&store, "s");
    store.close().unwrap();
    let taken = allocated(&bak);
    assert!(taken < 4 << 20, "the backup takes {taken} bytes of disk");
    let restored = dir.path().join("restored");
    restore(&bak, &restored, &|_| {}).unwrap();
    let store = Store::open(&restored, o).unwrap();
    assert_eq!(all_records(&store, "s"), want);
    store.close().unwrap();
}
