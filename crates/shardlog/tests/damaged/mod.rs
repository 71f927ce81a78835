//! Helpers the store-level verify and repair tests share: a closed store with records and leases,
//! and flipping one bit of a real file.
#![allow(dead_code, clippy::unwrap_used)]

use shardlog::consumer::{LeaseKey, LeaseOptions, NewLease};
use shardlog::{PutEntry, Store, StoreOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Flips bit 5 of the byte at `offset` of the file at `path`.
pub fn flip(path: &Path, offset: u64) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, offset).unwrap();
    b[0] ^= 0x20;
    f.write_all_at(&b, offset).unwrap();
}

/// A closed store with a stream of two shards, records, and a lease table with leases.
pub fn build() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    store.create_stream("s", 2).unwrap();
    let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
    let data = vec![7u8; 100];
    let entries: Vec<PutEntry> = keys.iter().map(|k| PutEntry::new(k, &data)).collect();
    store.put_records("s", &entries).unwrap();
    let table = store.lease_table(LeaseOptions::default()).unwrap();
    for i in 0..300 {
        let key = LeaseKey::new("app", "s", &format!("shardId-{i:012}"));
        table.create_if_absent(&key, NewLease::default()).unwrap();
    }
    drop(table);
    store.close().unwrap();
    dir
}
