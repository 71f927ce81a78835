//! `shardlog::verify::verify_store` on whole stores: the catalog, the lease table's checkpoint file
//! (slots and pages) and a store that another handle has open and writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod damaged;

use damaged::{build, flip};

use shardlog::verify::{verify_store, FindingKind};
use shardlog::{PutEntry, Store, StoreOptions};

#[test]
fn a_sound_store_is_clean_and_a_damaged_catalog_is_found() {
    let dir = build();
    let c = verify_store(dir.path(), None, &|_| {}).unwrap();
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!((c.streams, c.shards, c.records), (1, 2, 200));
    assert!(c.checked_leases);
    let catalog = dir.path().join("catalog");
    flip(&catalog, 40);
    let c = verify_store(dir.path(), None, &|_| {}).unwrap();
    let f = &c.findings[0];
    assert_eq!(
        (f.kind, &f.file, f.offset),
        (FindingKind::Catalog, &catalog, 20)
    );
}

#[test]
fn damage_in_the_lease_tables_slots_and_pages_is_found() {
    let dir = build();
    let db = dir.path().join("leases.db");
    for slot_at in [0u64, 512] {
        flip(&db, slot_at + 30);
        let c = verify_store(dir.path(), None, &|_| {}).unwrap();
        assert!(
            c.findings
                .iter()
                .any(|f| f.kind == FindingKind::Checkpoint && f.file == db && f.offset == slot_at),
            "slot at {slot_at}: {:#?}",
            c.findings
        );
        flip(&db, slot_at + 30);
    }
    // A flipped byte in every page in turn: a page the commits reach is reported at its offset.
    let pages = std::fs::metadata(&db).unwrap().len() / 4096;
    let mut found = 0;
    for p in 1..pages {
        flip(&db, p * 4096 + 100);
        let c = verify_store(dir.path(), None, &|_| {}).unwrap();
        if c.findings
            .iter()
            .any(|f| f.file == db && f.offset == p * 4096)
        {
            found += 1;
        }
        assert!(c.findings.iter().all(|f| f.kind == FindingKind::Checkpoint));
        flip(&db, p * 4096 + 100);
    }
    assert!(found >= 2, "pages reported at their own offset: {found}");
}

#[test]
fn a_store_open_and_written_by_another_handle_verifies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    store.create_stream("s", 4).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            let keys: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
            let data = vec![3u8; 2000];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let entries: Vec<PutEntry> = keys.iter().map(|k| PutEntry::new(k, &data)).collect();
                store.put_records("s", &entries).unwrap();
                n += 1;
            }
            n
        })
    };
    for _ in 0..20 {
        let c = verify_store(dir.path(), None, &|_| {}).unwrap();
        assert!(c.findings.is_empty(), "{:#?}", c.findings);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(writer.join().unwrap() > 0);
    store.close().unwrap();
    assert!(verify_store(dir.path(), None, &|_| {})
        .unwrap()
        .findings
        .is_empty());
}
