//! Issue 13's edges of the engine: a lost catalog, a failed catalog write, faults typed as faults, a
//! close that closes, a wall clock that jumps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::{Error, PutEntry, PutResult, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_segment::{Clock, Durability};
use shardlog_storage::{Fault, SimDisk};
use std::path::Path;
use std::sync::Arc;

const HOUR: u64 = 3_600_000;
const T0: u64 = 1_700_000_000_000;

fn sim_opts() -> StoreOptions {
    StoreOptions {
        segment_bytes: 16 * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// Every file under `dir` with its size.
fn tree(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            out.extend(tree(&entry.path()));
        } else {
            out.push((entry.path().display().to_string(), meta.len()));
        }
    }
    out.sort();
    out
}

fn read_one(store: &Store, stream: &str, put: &PutResult) -> Option<Vec<u8>> {
    let it = store
        .get_shard_iterator(
            stream,
            put.shard_id,
            StartingPosition::AtSequenceNumber(put.sequence_number),
        )
        .ok()?;
    let got = store.get_records(&it, 1).ok()?;
    let r = got.records.into_iter().next()?;
    (r.sequence_number == put.sequence_number).then_some(r.data.to_vec())
}

/// 13.2: before the fix, a store whose `catalog` was moved aside opened as a new store and deleted
/// every stream directory as a leftover.
#[test]
fn a_missing_catalog_refuses_to_open_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || StoreOptions {
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), opts()).unwrap();
    store.create_stream("clicks", 2).unwrap();
    let keys: Vec<String> = (0..200).map(|i| format!("user-{i}")).collect();
    let entries: Vec<_> = keys.iter().map(|k| PutEntry::new(k, b"click")).collect();
    let puts = store.put_records("clicks", &entries).unwrap();
    store.close().unwrap();
    drop(store);
    let files = tree(&dir.path().join("streams"));
    assert!(files.len() >= 4, "{files:?}");

    let catalog = dir.path().join("catalog");
    let aside = dir.path().join("catalog.moved");
    std::fs::rename(&catalog, &aside).unwrap();
    let err = Store::open(dir.path(), opts()).unwrap_err();
    match &err {
        Error::CorruptCatalog { file, reason } => {
            assert_eq!(file, &catalog);
            assert!(
                reason.contains("missing") && reason.contains("Restore"),
                "{reason}"
            );
        }
        other => panic!("expected CorruptCatalog, got {other:?}"),
    }
    assert!(err.is_server_fault());
    assert_eq!(tree(&dir.path().join("streams")), files, "files changed");

    std::fs::rename(&aside, &catalog).unwrap();
    let store = Store::open(dir.path(), opts()).unwrap();
    for put in puts.records.iter() {
        let put = put.as_ref().unwrap();
        assert_eq!(
            read_one(&store, "clicks", put).as_deref(),
            Some(&b"click"[..])
        );
    }
}

/// A brand-new directory, and one whose `streams/` is empty, still open as new stores.
#[test]
fn a_new_or_empty_directory_opens_as_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("streams")).unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert!(store.list_streams().is_empty());
}

/// 13.6: a catalog write that fails (at any of its operations, or at any other operation of a split)
/// must leave no acknowledged put behind. Before the fix a split whose catalog rename reached the
/// disk but whose directory sync failed returned an error and kept routing puts to the parent; after
/// a restart the catalog closed the parent before those records, and they were unreadable.
#[test]
fn after_a_failed_catalog_write_no_acknowledged_put_is_lost() {
    let mut stopped = 0;
    let mut failed_splits = 0;
    for k in 0.. {
        let disk = SimDisk::new(k);
        let store = Store::open_with_storage(Arc::new(disk.clone()), sim_opts()).unwrap();
        store.create_stream("s", 1).unwrap();
        for i in 0..10 {
            store
                .put_record("s", PutEntry::new(&format!("a{i}"), b"before"))
                .unwrap();
        }
        disk.set_fault(Fault::Error {
            at_op: disk.ops() + k,
            forever: false,
        });
        let split = store.split_shard("s", ShardId(0), 1 << 127);
        disk.clear_fault();
        if split.is_ok() {
            if disk.ops() < k {
                break; // past the last operation of the split
            }
            continue;
        }
        failed_splits += 1;
        let mut acked = Vec::new();
        for i in 0..20 {
            match store.put_record("s", PutEntry::new(&format!("b{i}"), b"after")) {
                Ok(put) => acked.push(put),
                Err(e) => {
                    assert!(e.is_server_fault(), "{e:?}");
                    if matches!(e, Error::Stopped(_)) {
                        stopped += 1;
                        break;
                    }
                }
            }
        }
        drop(store);
        let store = Store::open_with_storage(Arc::new(disk.crash(k)), sim_opts()).unwrap();
        for put in &acked {
            assert_eq!(
                read_one(&store, "s", put).as_deref(),
                Some(&b"after"[..]),
                "fault at split operation {k}: acknowledged {put:?} lost"
            );
        }
    }
    assert!(
        failed_splits > 5 && stopped > 0,
        "{failed_splits} {stopped}"
    );
    println!("{failed_splits} failed splits, {stopped} stopped the store");
}

/// 13.7: a put that fails on the disk is a server-side fault (Kinesis `InternalFailure`), never an
/// invalid argument; before the fix `put_record` reported it as `InvalidArgument`.
#[test]
fn a_put_that_fails_on_the_disk_is_a_server_fault() {
    let disk = SimDisk::new(7);
    let store = Store::open_with_storage(Arc::new(disk.clone()), sim_opts()).unwrap();
    store.create_stream("s", 1).unwrap();
    disk.set_fault(Fault::Error {
        at_op: disk.ops(),
        forever: true,
    });
    let err = store.put_record("s", PutEntry::new("k", b"x")).unwrap_err();
    assert!(err.is_server_fault(), "{err:?}");
    assert_eq!(err.kind(), "InternalFailure");
    let out = store.put_records("s", &[PutEntry::new("k", b"x")]).unwrap();
    assert_eq!(
        out.records[0].as_ref().unwrap_err().error_code,
        "InternalFailure"
    );
}

/// 13.7: `close` closes for every handle, reports what it meets, and releases the lock. Before the
/// fix it only synced, another handle kept writing, and the directory stayed locked.
#[test]
fn close_closes_every_handle_and_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    store.create_stream("s", 1).unwrap();
    let put = store.put_record("s", PutEntry::new("k", b"kept")).unwrap();
    let server = store.clone();
    store.close().unwrap();
    assert!(matches!(
        server.put_record("s", PutEntry::new("k", b"late")),
        Err(Error::Closed)
    ));
    assert!(matches!(server.create_stream("t", 1), Err(Error::Closed)));
    assert!(matches!(server.enforce_retention(), Err(Error::Closed)));
    // Reads of what it held still work.
    assert_eq!(read_one(&server, "s", &put).as_deref(), Some(&b"kept"[..]));
    let again = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(read_one(&again, "s", &put).as_deref(), Some(&b"kept"[..]));
    store.close().unwrap(); // closing twice is harmless
}

/// `close` reports a final sync that failed.
#[test]
fn close_returns_the_error_it_meets() {
    let disk = SimDisk::new(9);
    let opts = StoreOptions {
        durability: Durability::None,
        ..sim_opts()
    };
    let store = Store::open_with_storage(Arc::new(disk.clone()), opts).unwrap();
    store.create_stream("s", 1).unwrap();
    store.put_record("s", PutEntry::new("k", b"x")).unwrap();
    disk.set_fault(Fault::Error {
        at_op: disk.ops(),
        forever: true,
    });
    assert!(store.close().is_err());
}

/// 13.4: a wall clock stepped forward by a year expires one step (an hour) per pass, not everything
/// at once; time that really passes counts in full.
#[test]
fn a_clock_that_jumps_forward_expires_one_step_per_pass() {
    let clock = Clock::manual(T0);
    let opts = StoreOptions {
        durability: Durability::None,
        clock: clock.clone(),
        ..sim_opts()
    };
    let store = Store::open_with_storage(Arc::new(SimDisk::new(11)), opts).unwrap();
    store.create_stream("s", 1).unwrap();
    let data = vec![1u8; 1000];
    for hour in 0..4 {
        clock.set(T0 + hour * HOUR);
        for _ in 0..20 {
            store.put_record("s", PutEntry::new("k", &data)).unwrap();
        }
    }
    let oldest = |store: &Store| {
        let it = store
            .get_shard_iterator("s", ShardId(0), StartingPosition::TrimHorizon)
            .unwrap();
        store.get_records(&it, 1).unwrap().records[0].approximate_arrival_timestamp_ms
    };
    clock.jump(365 * 24 * HOUR);
    let report = store.enforce_retention().unwrap();
    assert!(report.clock_held_back_ms > 300 * 24 * HOUR, "{report:?}");
    assert_eq!(
        oldest(&store),
        T0,
        "a jump expired data at once: {report:?}"
    );
    // Passes catch up an hour each (the 3 hours that really passed count in full): the first hour's
    // records go once a pass's `now` is past T0 + 24 h, about 21 passes after the jump.
    let mut passes = 1;
    while oldest(&store) == T0 {
        store.enforce_retention().unwrap();
        passes += 1;
        assert!(passes < 40);
    }
    assert!((20..=24).contains(&passes), "{passes}");
    assert!(oldest(&store) > T0);
}

/// A store on any `Storage` takes its `LOCK` as `Store::open` does: a second opener of the same
/// simulated disk is refused until the first closes (before issue 14 only real directories locked).
#[test]
fn a_second_store_on_the_same_storage_is_refused_until_the_first_closes() {
    let disk = SimDisk::new(21);
    let first = Store::open_with_storage(Arc::new(disk.clone()), sim_opts()).unwrap();
    let second = Store::open_with_storage(Arc::new(disk.clone()), sim_opts());
    assert!(matches!(second, Err(Error::Locked(_))), "{second:?}");
    first.close().unwrap();
    let again = Store::open_with_storage(Arc::new(disk), sim_opts()).unwrap();
    again.close().unwrap();
}

/// The catalog holds the key that makes shard iterators tamper-evident: the store's files are
/// readable by their owner only (issue 16).
#[test]
fn store_files_are_created_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    store.create_stream("s", 1).unwrap();
    store.close().unwrap();
    let mut checked = 0;
    for (path, _) in tree(dir.path()) {
        let full = std::path::PathBuf::from(&path);
        let meta = std::fs::metadata(&full).unwrap();
        if meta.is_file() && !path.ends_with("/LOCK") {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{path}");
            checked += 1;
        }
    }
    assert!(checked >= 2, "catalog and a segment at least");
    let catalog = std::fs::metadata(dir.path().join("catalog")).unwrap();
    assert_eq!(catalog.permissions().mode() & 0o777, 0o600);
}
