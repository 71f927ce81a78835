//! Real files (`FsStorage`): the writer lock, growth by copy and rename, snapshot readers running
//! next to the writer, and an online backup taken while commits go on.
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, value, Model};
use shardlog_checkpoint::{Db, Error, Options};
use shardlog_storage::FsStorage;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn storage(dir: &std::path::Path) -> Arc<FsStorage> {
    Arc::new(FsStorage::open(dir).unwrap())
}

fn opts() -> Options {
    Options {
        initial_pages: 2,
        ..Options::default()
    }
}

#[test]
fn lock_is_exclusive_and_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_with(storage(dir.path()), "c.db", opts()).unwrap();
    let err = Db::open_with(storage(dir.path()), "c.db", opts()).unwrap_err();
    assert!(
        matches!(&err, Error::Locked { path } if path.ends_with("c.db.lock")),
        "{err}"
    );
    // Another file in the same directory has its own lock.
    Db::open_with(storage(dir.path()), "other.db", opts()).unwrap();
    // A snapshot keeps the database (and its lock) alive.
    let snap = db.read().unwrap();
    drop(db);
    assert!(matches!(
        Db::open_with(storage(dir.path()), "c.db", opts()),
        Err(Error::Locked { .. })
    ));
    drop(snap);
    Db::open_with(storage(dir.path()), "c.db", opts()).unwrap();
}

#[test]
fn grows_on_real_files_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model::new();
    {
        let db = Db::open_with(storage(dir.path()), "c.db", opts()).unwrap();
        for round in 0..20u64 {
            let mut tx = db.write().unwrap();
            for i in 0..30 {
                let (k, v) = (key(round * 7 + i), value(round, 700));
                tx.insert(&k, &v).unwrap();
                model.insert(k, v);
            }
            tx.commit().unwrap();
        }
        assert!(db.info().file_pages >= 64);
        db.verify().unwrap();
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".grow")), "{names:?}");
    let len = std::fs::metadata(dir.path().join("c.db")).unwrap().len();
    assert_eq!(len % 4096, 0);
    let db = Db::open_with(
        storage(dir.path()),
        "c.db",
        Options {
            verify_on_open: true,
            ..opts()
        },
    )
    .unwrap();
    let got: Model = db.read().unwrap().iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(got, model);
}

#[test]
fn readers_and_backup_run_while_the_writer_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Db::open_with(storage(dir.path()), "c.db", opts()).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    // Every commit writes the same generation number under every key, so a consistent snapshot
    // shows exactly one generation.
    let keys: Vec<Vec<u8>> = (0..120).map(key).collect();
    std::thread::scope(|s| {
        let writer = {
            let (db, done, keys) = (db.clone(), done.clone(), keys.clone());
            s.spawn(move || {
                for gen in 1..=60u64 {
                    let mut tx = db.write().unwrap();
                    for k in &keys {
                        let mut v = gen.to_le_bytes().to_vec();
                        v.extend(value(gen, (gen as usize * 13) % 600));
                        tx.insert(k, &v).unwrap();
                    }
                    tx.commit().unwrap();
                }
                done.store(true, Ordering::Release);
            })
        };
        for r in 0..2 {
            let (db, done) = (db.clone(), done.clone());
            s.spawn(move || {
                let mut checked = 0;
                while !done.load(Ordering::Acquire) || checked == 0 {
                    let snap = db.read().unwrap();
                    let gens: std::collections::BTreeSet<Vec<u8>> =
                        snap.iter().map(|e| e.unwrap().1[..8].to_vec()).collect();
                    assert!(gens.len() <= 1, "reader {r} saw a torn snapshot: {gens:?}");
                    checked += 1;
                }
            });
        }
        // Backups while the writer runs: each is one consistent generation and verifies.
        let backups = tempfile::tempdir().unwrap();
        for i in 0..5 {
            let dest = FsStorage::open(backups.path()).unwrap();
            db.backup_to(&dest, &format!("b{i}.db")).unwrap();
            let copy = Db::open(storage(backups.path()), &format!("b{i}.db")).unwrap();
            copy.verify().unwrap();
            let gens: std::collections::BTreeSet<Vec<u8>> = copy
                .read()
                .unwrap()
                .iter()
                .map(|e| e.unwrap().1[..8].to_vec())
                .collect();
            assert!(gens.len() <= 1, "backup {i} is not one commit: {gens:?}");
            // A backup is a full database: it takes writes.
            let mut tx = copy.write().unwrap();
            tx.insert(b"extra", b"1").unwrap();
            tx.commit().unwrap();
        }
        writer.join().unwrap();
    });
    assert_eq!(db.read().unwrap().len(), 120);
    db.verify().unwrap();
    // The backup target may not be the database itself.
    let same = FsStorage::open(dir.path()).unwrap();
    assert!(matches!(
        db.backup_to(&same, "c.db"),
        Err(Error::InvalidArgument(_))
    ));
}
