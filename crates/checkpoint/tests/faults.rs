//! I/O-error injection: a workload (creation, commits with growth and page reuse, snapshot reads,
//! range scans, verify, backup) runs once per operation index N with the N-th storage operation
//! failing, once ("EIO, then the disk works again") and forever.
//!
//! Oracle: every injected error surfaces as an `Err` from some call (none is swallowed); every call
//! that succeeds returns exactly what the model says (an error never turns into a wrong read); a
//! failed insert or remove leaves the transaction as it was; after a failed commit the database is
//! poisoned (`Error::Poisoned` from `read` and `write`), and reopening without the fault gives the
//! last committed state or the failed commit's state, and a file that verifies.
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, open, read_all, value, Model, Rng};
use shardlog_checkpoint::Error;
use shardlog_storage::{Fault, SimDisk};

#[derive(Default)]
struct Outcome {
    errors: u64,
    /// `(committed, in-flight)` when a commit failed.
    failed_commit: Option<(Model, Model)>,
    open_failed: bool,
}

fn workload(disk: &SimDisk, seed: u64, forever: bool) -> (Outcome, Model) {
    let mut out = Outcome::default();
    let mut rng = Rng(seed);
    let mut committed = Model::new();
    let db = match open(disk) {
        Ok(db) => db,
        Err(_) => {
            out.errors += 1;
            out.open_failed = true;
            return (out, committed);
        }
    };
    let backup = SimDisk::new(seed);
    let mut snapshots = Vec::new();
    for round in 0..6u64 {
        let mut working = committed.clone();
        let mut tx = match db.write() {
            Ok(tx) => tx,
            Err(_) => {
                out.errors += 1;
                continue;
            }
        };
        for _ in 0..12 {
            let k = key(rng.below(50));
            match rng.below(4) {
                0 => match tx.remove(&k) {
                    Ok(old) => assert_eq!(old, working.remove(&k), "remove returned a wrong value"),
                    Err(_) => out.errors += 1,
                },
                1 => match tx.get(&k) {
                    Ok(v) => assert_eq!(v.as_ref(), working.get(&k), "get in a transaction"),
                    Err(_) => out.errors += 1,
                },
                _ => {
                    let v = value(round, rng.below(900) as usize);
                    match tx.insert(&k, &v) {
                        Ok(old) => {
                            assert_eq!(old, working.insert(k, v), "insert returned a wrong value")
                        }
                        Err(_) => out.errors += 1,
                    }
                }
            }
        }
        match tx.range::<&[u8]>(..).collect::<Result<Model, _>>() {
            Ok(all) => assert_eq!(all, working, "range in a transaction"),
            Err(_) => out.errors += 1,
        }
        match tx.commit() {
            Ok(()) => committed = working,
            Err(_) => {
                out.errors += 1;
                assert!(matches!(db.write(), Err(Error::Poisoned)));
                assert!(matches!(db.read(), Err(Error::Poisoned)));
                out.failed_commit = Some((committed, working));
                return (out, Model::new());
            }
        }
        match db.read() {
            Ok(snap) => {
                match read_all(&snap) {
                    Ok(all) => assert_eq!(all, committed, "snapshot scan"),
                    Err(_) => out.errors += 1,
                }
                if round % 2 == 0 {
                    snapshots.push((snap, committed.clone()));
                }
            }
            Err(_) => out.errors += 1,
        }
        for (snap, model) in &snapshots {
            let k = key(rng.below(50));
            match snap.get(&k) {
                Ok(v) => assert_eq!(v.as_ref(), model.get(&k), "old snapshot get"),
                Err(_) => out.errors += 1,
            }
        }
        if round == 3 {
            match db.verify() {
                Ok(r) => assert_eq!(r.entries, committed.len() as u64),
                Err(_) => out.errors += 1,
            }
        }
        if round == 4 {
            match db.backup_to(&backup, "copy.db") {
                Ok(()) => {
                    let copy = open_backup(&backup);
                    assert_eq!(
                        read_all(&copy.read().unwrap()).unwrap(),
                        committed,
                        "backup contents"
                    );
                }
                Err(_) => out.errors += 1,
            }
        }
        if forever && out.errors > 0 {
            // Every later call must fail too; stop early to keep the run short.
            break;
        }
    }
    (out, committed)
}

fn open_backup(disk: &SimDisk) -> shardlog_checkpoint::Db {
    shardlog_checkpoint::Db::open(std::sync::Arc::new(disk.clone()), "copy.db").unwrap()
}

#[test]
fn every_operation_fails_once_and_forever() {
    let mut injected = 0u64;
    for seed in 1..=40u64 {
        // Count the operations of a clean run.
        let clean = SimDisk::new(seed);
        let (out, _) = workload(&clean, seed, false);
        assert_eq!(out.errors, 0);
        let total = clean.ops();
        for at_op in 0..total {
            for forever in [false, true] {
                let disk = SimDisk::new(seed);
                disk.set_fault(Fault::Error { at_op, forever });
                let (out, committed) = workload(&disk, seed, forever);
                assert!(
                    out.errors > 0,
                    "seed {seed}: the error at op {at_op} (forever {forever}) was swallowed"
                );
                injected += 1;
                disk.clear_fault();
                let db = match open(&disk) {
                    Ok(db) => db,
                    Err(e) => panic!("seed {seed} op {at_op}: reopen failed: {e}"),
                };
                db.verify().unwrap();
                let got = read_all(&db.read().unwrap()).unwrap();
                match out.failed_commit {
                    Some((before, inflight)) => assert!(
                        got == before || got == inflight,
                        "seed {seed} op {at_op}: state after a failed commit"
                    ),
                    None if out.open_failed => assert!(got.is_empty()),
                    None => assert_eq!(got, committed, "seed {seed} op {at_op}"),
                }
                // The restarted process commits on the same page cache, then the power fails:
                // what a failed sync left clean in the cache must not be lost under that commit
                // (`SimDisk` forgets dirty pages after a failed sync, as Linux does).
                let marker = (b"after-restart".to_vec(), vec![7u8; 40]);
                let mut tx = db.write().unwrap();
                tx.insert(&marker.0, &marker.1).unwrap();
                tx.commit().unwrap();
                drop(db);
                let crashed = disk.crash(at_op);
                let db = open(&crashed).unwrap_or_else(|e| {
                    panic!(
                        "seed {seed} op {at_op} forever {forever}: restart, commit, power cut: {e}"
                    )
                });
                db.verify().unwrap_or_else(|e| {
                    panic!(
                        "seed {seed} op {at_op} forever {forever}: restart, commit, power cut: {e}"
                    )
                });
                let mut expect = got.clone();
                expect.insert(marker.0, marker.1);
                assert_eq!(
                    read_all(&db.read().unwrap()).unwrap(),
                    expect,
                    "seed {seed} op {at_op} forever {forever}: restart, commit, power cut"
                );
            }
        }
    }
    eprintln!("{injected} injected I/O errors, none swallowed, no wrong read");
    assert!(injected > 2_000, "{injected}");
}
