//! The redo log inside the checkpoint file: which commits append to it, what open replays, when the
//! tree is written back, and how damage to a record is told apart from a torn tail.
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, open, read_all, value, Model};
use shardlog_checkpoint::{Db, Error, Options};
use shardlog_storage::SimDisk;
use std::sync::Arc;

const FILE: &str = "checkpoints.db";
const PAGE: u64 = 4096;

fn put(db: &Db, model: &mut Model, k: u64, tag: u64, len: usize) {
    let mut tx = db.write().unwrap();
    tx.insert(&key(k), &value(tag, len)).unwrap();
    tx.commit().unwrap();
    model.insert(key(k), value(tag, len));
}

/// Byte offset of the log region in the file: the slot with the higher transaction id names it.
fn log_offset(disk: &SimDisk) -> u64 {
    let img = disk.file_bytes(FILE).unwrap();
    let slot = |i: usize| {
        let s = &img[i * 512..(i + 1) * 512];
        let txn = u64::from_le_bytes(s[16..24].try_into().unwrap());
        let start = u64::from_le_bytes(s[96..104].try_into().unwrap());
        (txn, start)
    };
    let (a, b) = (slot(0), slot(1));
    a.max(b).1 * PAGE
}

#[test]
fn commits_after_the_first_append_to_the_log_and_open_replays_them() {
    let disk = SimDisk::new(1);
    let db = open(&disk).unwrap();
    let mut model = Model::new();
    put(&db, &mut model, 1, 1, 50);
    let first = db.info();
    assert_eq!(
        first.txn, first.tree_txn,
        "the first commit after open writes the tree"
    );
    assert_eq!((first.log_bytes, first.log_capacity_bytes), (0, 3 * PAGE));
    let writes = disk.ops();
    for i in 2..6 {
        put(&db, &mut model, i, i, 50);
    }
    let info = db.info();
    assert_eq!(
        info.tree_txn, first.tree_txn,
        "small commits leave the tree alone"
    );
    assert_eq!(info.txn, first.txn + 4);
    assert!(info.log_bytes > 0);
    // Each log commit is one write and one sync.
    assert_eq!(disk.ops() - writes, 4 * 2);
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), model);
    assert_eq!(db.verify().unwrap().entries, model.len() as u64);
    drop(db);

    let db = open(&disk).unwrap();
    let reopened = db.info();
    assert_eq!(
        (reopened.txn, reopened.log_bytes),
        (info.txn, info.log_bytes)
    );
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), model);
    // The first commit after open writes the tree back and starts a new epoch.
    put(&db, &mut model, 9, 9, 50);
    let after = db.info();
    assert_eq!((after.tree_txn, after.log_bytes), (info.txn + 1, 0));
    drop(db);
    let db = open(&disk).unwrap();
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), model);
    db.verify().unwrap();
}

#[test]
fn a_full_log_or_a_large_commit_writes_the_tree_back() {
    let disk = SimDisk::new(2);
    let db = open(&disk).unwrap();
    let mut model = Model::new();
    put(&db, &mut model, 0, 0, 10);
    let mut rotations = 0;
    for i in 1..200 {
        let before = db.info().tree_txn;
        put(&db, &mut model, i % 40, i, 700);
        let info = db.info();
        assert!(info.log_bytes <= info.log_capacity_bytes);
        rotations += u64::from(info.tree_txn != before);
    }
    // Records of ~730 bytes fill 12 KiB after 16 of them.
    assert!((10..=14).contains(&rotations), "{rotations} tree commits");
    // One transaction larger than the whole log is a tree commit by itself.
    let mut tx = db.write().unwrap();
    for i in 0..40 {
        tx.insert(&key(i), &value(1000 + i, 900)).unwrap();
        model.insert(key(i), value(1000 + i, 900));
    }
    tx.commit().unwrap();
    let info = db.info();
    assert_eq!((info.tree_txn, info.log_bytes), (info.txn, 0));
    drop(db);
    let db = open(&disk).unwrap();
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), model);
    db.verify().unwrap();
}

#[test]
fn no_log_when_turned_off() {
    let disk = SimDisk::new(3);
    let opts = Options {
        log_pages: 0,
        ..Options::default()
    };
    let db = Db::open_with(Arc::new(disk.clone()), FILE, opts).unwrap();
    let mut model = Model::new();
    for i in 0..5 {
        put(&db, &mut model, i, i, 30);
        let info = db.info();
        assert_eq!((info.txn, info.log_capacity_bytes), (info.tree_txn, 0));
    }
}

#[test]
fn damage_to_a_record_that_others_follow_is_reported_with_its_offset() {
    let disk = SimDisk::new(4);
    let db = open(&disk).unwrap();
    let mut model = Model::new();
    put(&db, &mut model, 0, 0, 10);
    let mut ends = Vec::new();
    for i in 1..4 {
        put(&db, &mut model, i, i, 100);
        ends.push(db.info().log_bytes);
    }
    drop(db);
    let region = log_offset(&disk);
    let intact = disk.file_bytes(FILE).unwrap();
    // A bit in the second of three records: damage, reported, nothing replayed past it.
    disk.flip_bit(FILE, (region + ends[0] + 30) * 8).unwrap();
    match open(&disk) {
        Err(Error::Corrupt { offset, .. }) => assert_eq!(offset, region + ends[0]),
        other => panic!("expected a corruption error, got {other:?}"),
    }
    // The same bit in the last record reads as a torn tail: the log ends before it.
    disk.put_file(FILE, &intact);
    disk.flip_bit(FILE, (region + ends[1] + 30) * 8).unwrap();
    let db = open(&disk).unwrap();
    assert_eq!(db.info().log_bytes, ends[1]);
    model.remove(&key(3));
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), model);
}

#[test]
fn snapshots_hold_across_log_commits_and_write_backs() {
    let disk = SimDisk::new(5);
    let db = open(&disk).unwrap();
    let mut model = Model::new();
    for i in 0..30 {
        put(&db, &mut model, i, i, 300);
    }
    let old = (db.read().unwrap(), model.clone());
    for i in 0..120 {
        put(&db, &mut model, i % 60, 500 + i, 300);
        if i == 60 {
            let mut tx = db.write().unwrap();
            tx.remove(&key(3)).unwrap();
            tx.commit().unwrap();
            model.remove(&key(3));
        }
    }
    assert!(db.info().tree_txn > old.0.txn_id(), "write-backs happened");
    assert_eq!(
        read_all(&old.0).unwrap(),
        old.1,
        "the old snapshot still reads its state"
    );
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), model);
    drop(old);
    db.verify().unwrap();
}

#[test]
fn a_backup_holds_the_commits_still_in_the_log() {
    let disk = SimDisk::new(6);
    let db = open(&disk).unwrap();
    let mut model = Model::new();
    for i in 0..4 {
        put(&db, &mut model, i, i, 100);
    }
    assert!(db.info().log_bytes > 0);
    let dest = SimDisk::new(7);
    db.backup_to(&dest, "copy.db").unwrap();
    let copy = Db::open(Arc::new(dest), "copy.db").unwrap();
    assert_eq!(read_all(&copy.read().unwrap()).unwrap(), model);
    let report = copy.verify().unwrap();
    assert_eq!(
        (report.free_pages, report.log_pages),
        (0, 0),
        "a compact copy"
    );
}

/// Open falls back past a damaged newest slot whose log epoch holds records; the next tree commit
/// then reuses that slot's transaction id. Its new salt keeps the old epoch's records, still in the
/// region, from ever being replayed.
#[test]
fn records_of_a_dropped_epoch_never_replay_onto_a_later_commit_with_its_id() {
    let disk = SimDisk::new(8);
    let mut model = Model::new();
    let db = open(&disk).unwrap();
    put(&db, &mut model, 0, 0, 20); // tree commit s, no records in its epoch
    let s = model.clone();
    drop(db);
    let db = open(&disk).unwrap();
    put(&db, &mut model, 1, 1, 20); // tree commit t = s + 1
    let t = db.info().tree_txn;
    for i in 2..5 {
        put(&db, &mut model, i, i, 20); // records t + 1 ..= t + 3 in epoch t
    }
    drop(db);
    // Damage the slot of commit t: open falls back to s.
    let img = disk.file_bytes(FILE).unwrap();
    let newer = (0..2)
        .find(|i| u64::from_le_bytes(img[i * 512 + 16..i * 512 + 24].try_into().unwrap()) == t)
        .unwrap();
    disk.flip_bit(FILE, (newer as u64 * 512 + 40) * 8).unwrap();
    let db = open(&disk).unwrap();
    assert!(db.info().slot_fallback.is_some());
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), s);
    let mut want = s;
    put(&db, &mut want, 7, 7, 20);
    assert_eq!(
        db.info().tree_txn,
        t,
        "the new tree commit has the dropped commit's id"
    );
    drop(db);
    let db = open(&disk).unwrap();
    assert_eq!(read_all(&db.read().unwrap()).unwrap(), want);
    db.verify().unwrap();
}
