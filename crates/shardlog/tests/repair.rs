//! `shardlog::repair::repair_store`: the lease table's older slot, the store lock, the backup
//! directory rules, and a dry run that changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod damaged;

use damaged::{build, flip};

use shardlog::consumer::LeaseOptions;
use shardlog::repair::{repair_store, RepairOptions};
use shardlog::verify::verify_store;
use shardlog::{Error, Store, StoreOptions};
use std::path::Path;
use std::sync::Arc;

/// Every file under `dir` with a checksum of its bytes.
fn all_bytes(dir: &Path) -> Vec<(std::path::PathBuf, u32, usize)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let b = std::fs::read(&p).unwrap();
                out.push((p.clone(), crc32c::crc32c(&b), b.len()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn checkpoint_older_slot_makes_the_lease_table_open_at_its_older_commit() {
    let dir = build();
    let db = dir.path().join("leases.db");
    let disk = || Arc::new(shardlog_storage::FsStorage::open(dir.path()).unwrap());
    let check = shardlog_checkpoint::check_file(disk(), "leases.db").unwrap();
    let newer = check.slots.iter().max_by_key(|s| s.txn).unwrap().clone();
    let older = check
        .slots
        .iter()
        .find(|s| s.slot != newer.slot)
        .unwrap()
        .clone();
    assert!(older.txn.is_some(), "{check:#?}");
    flip(&db, newer.offset + 30);
    let damaged = std::fs::read(&db).unwrap();
    assert!(!verify_store(dir.path(), None, &|_| {})
        .unwrap()
        .findings
        .is_empty());
    let backup = tempfile::tempdir().unwrap();
    let opts = RepairOptions {
        checkpoint_older_slot: true,
        ..RepairOptions::default()
    };
    let report = repair_store(dir.path(), None, backup.path(), opts).unwrap();
    assert_eq!(report.actions.len(), 1, "{report:#?}");
    assert_eq!(report.actions[0].action, "checkpoint-older-slot");
    assert!(
        report.after.findings.is_empty(),
        "{:#?}",
        report.after.findings
    );
    assert_eq!(
        std::fs::read(backup.path().join("leases.db")).unwrap(),
        damaged
    );
    let after = shardlog_checkpoint::check_file(disk(), "leases.db").unwrap();
    assert_eq!(after.current_slot, Some(older.slot));
    assert_eq!(after.current.as_ref().map(|r| r.txn), older.txn);
    let db_open = shardlog_checkpoint::Db::open(disk(), "leases.db").unwrap();
    assert_eq!(
        db_open.read().unwrap().verify().unwrap().entries,
        older.entries.unwrap()
    );
    drop(db_open);
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    drop(store.lease_table(LeaseOptions::default()).unwrap());
    store.close().unwrap();
    assert!(verify_store(dir.path(), None, &|_| {})
        .unwrap()
        .findings
        .is_empty());
}

#[test]
fn a_dry_run_changes_nothing_and_a_locked_store_or_used_backup_is_refused() {
    let dir = build();
    let shard = dir.path().join("streams");
    let seg = all_bytes(&shard)
        .into_iter()
        .map(|(p, _, _)| p)
        .find(|p| p.extension().is_some_and(|x| x == "seg"))
        .unwrap();
    flip(&seg, 4096 + 40);
    let before = all_bytes(dir.path());
    let backup = tempfile::tempdir().unwrap();
    let report = repair_store(dir.path(), None, backup.path(), RepairOptions::default()).unwrap();
    assert!(report.actions.is_empty() && !report.before.findings.is_empty());
    assert!(report
        .before
        .findings
        .iter()
        .all(|f| shardlog::repair::repair_flag(f).is_some()));
    assert_eq!(all_bytes(dir.path()), before);
    std::fs::write(backup.path().join("x"), b"x").unwrap();
    let opts = RepairOptions {
        cut_torn_tail: true,
        ..RepairOptions::default()
    };
    assert!(matches!(
        repair_store(dir.path(), None, backup.path(), opts),
        Err(Error::InvalidArgument(_))
    ));
    let fresh = tempfile::tempdir().unwrap();
    let inside = dir.path().join("bk");
    assert!(matches!(
        repair_store(dir.path(), None, &inside, opts),
        Err(Error::InvalidArgument(_))
    ));
    // Hold the lock the way a running server does.
    let root = shardlog_storage::FsStorage::open(dir.path()).unwrap();
    let lock = shardlog_storage::Storage::lock(&root, "LOCK").unwrap();
    assert!(matches!(
        repair_store(dir.path(), None, fresh.path(), opts),
        Err(Error::Locked(_))
    ));
    drop(lock);
    assert_eq!(all_bytes(dir.path()), before);
    let report = repair_store(dir.path(), None, fresh.path(), opts).unwrap();
    assert!(
        report.after.findings.is_empty(),
        "{:#?}",
        report.after.findings
    );
    assert_eq!(report.actions.len(), 1);
    Store::open(dir.path(), StoreOptions::default())
        .unwrap()
        .close()
        .unwrap();
}
