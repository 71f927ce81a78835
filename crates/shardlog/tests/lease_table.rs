//! The lease table: conditional updates fenced by the counter, distinct errors, the rule-26 take
//! check, checkpoint history, batches in one commit, persistence, concurrent workers, and power cuts
//! during batched renewals (a batch is all or nothing).
#![allow(clippy::unwrap_used)]

use shardlog::consumer::{
    Checkpoint, HashKeyRange, Lease, LeaseKey, LeaseOp, LeaseOptions, LeaseTable, NewLease,
};
use shardlog::Error;
use shardlog_checkpoint::{Db, Options};
use shardlog_storage::SplitMix64 as Rng;
use shardlog_storage::{Fault, SimDisk};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Options that make the file grow often and the redo log fill often (3 pages).
fn small_opts() -> Options {
    Options {
        initial_pages: 2,
        cache_pages: 64,
        log_pages: 3,
        ..Options::default()
    }
}

fn open(disk: &SimDisk) -> shardlog_checkpoint::Result<Db> {
    Db::open_with(Arc::new(disk.clone()), "checkpoints.db", small_opts())
}

fn table(disk: &SimDisk, options: LeaseOptions) -> LeaseTable {
    LeaseTable::new(Arc::new(open(disk).unwrap()), options).unwrap()
}

fn shard(i: u64) -> LeaseKey {
    LeaseKey::new("app", "clicks", &format!("shardId-{i:012}"))
}

fn conflict(r: Result<Lease, Error>, expected: u64, found: u64) {
    match r {
        Err(Error::LeaseConflict {
            expected: e,
            found: f,
        }) => assert_eq!((e, f), (expected, found)),
        other => panic!("expected a lease conflict, got {other:?}"),
    }
}

#[test]
fn every_mutation_is_fenced_by_the_counter() {
    let disk = SimDisk::new(1);
    let t = table(&disk, LeaseOptions::default());
    let k = shard(1);
    let l = t.create_if_absent(&k, NewLease::default()).unwrap();
    assert_eq!((l.counter, l.owner.clone()), (0, None));
    assert_eq!(
        t.create_if_absent(
            &k,
            NewLease {
                checkpoint: Checkpoint::Latest,
                ..NewLease::default()
            }
        )
        .unwrap(),
        l
    );

    let l = t.change(&k, 0, LeaseOp::take("w1", 1_000)).unwrap();
    assert_eq!(
        (
            l.counter,
            l.owner.as_deref(),
            l.owner_switches_since_checkpoint
        ),
        (1, Some("w1"), 1)
    );
    // Every mutating call with the stale counter 0 fails and changes nothing.
    conflict(t.change(&k, 0, LeaseOp::take("w2", 99_000)), 0, 1);
    conflict(t.change(&k, 0, LeaseOp::steal("w2", 99_000)), 0, 1);
    conflict(t.change(&k, 0, LeaseOp::renew(2_000)), 0, 1);
    conflict(t.change(&k, 0, LeaseOp::Evict), 0, 1);
    conflict(
        t.change(&k, 0, LeaseOp::checkpoint(Checkpoint::sequence("5", 0))),
        0,
        1,
    );
    conflict(
        t.change(
            &k,
            0,
            LeaseOp::prepare_checkpoint(Checkpoint::sequence("5", 0)),
        ),
        0,
        1,
    );
    conflict(
        t.update(&k, 0, |l| l.child_shard_ids.push("x".into())),
        0,
        1,
    );
    conflict(t.change(&k, 0, LeaseOp::Delete), 0, 1);
    assert_eq!(t.get(&k).unwrap().unwrap(), l);

    // Each success bumps the counter by one.
    let l = t.change(&k, 1, LeaseOp::renew(2_000)).unwrap();
    assert_eq!((l.counter, l.last_renewal_ms), (2, 2_000));
    let l = t
        .change(
            &k,
            2,
            LeaseOp::prepare_checkpoint(Checkpoint::sequence("10", 0)),
        )
        .unwrap();
    assert_eq!(l.pending_checkpoint, Some(Checkpoint::sequence("10", 0)));
    let l = t
        .change(&k, 3, LeaseOp::checkpoint(Checkpoint::sequence("10", 0)))
        .unwrap();
    assert_eq!(
        (
            l.counter,
            l.pending_checkpoint.clone(),
            l.owner_switches_since_checkpoint
        ),
        (4, None, 0)
    );
    let l = t
        .update(&k, 4, |l| {
            l.child_shard_ids = vec!["c1".into(), "c2".into()];
            l.hash_key_range = HashKeyRange { start: 5, end: 10 };
            l.counter = 1_000; // ignored: the table owns the counter
        })
        .unwrap();
    assert_eq!(l.counter, 5);
    assert_eq!(l.hash_key_range, HashKeyRange { start: 5, end: 10 });
    let l = t.change(&k, 5, LeaseOp::Evict).unwrap();
    assert_eq!((l.counter, l.owner.clone()), (6, None));
    assert_eq!(t.get(&k).unwrap().unwrap(), l);

    // Missing leases and bad arguments have their own errors and change nothing.
    assert!(matches!(
        t.change(&shard(9), 0, LeaseOp::renew(1)),
        Err(Error::LeaseNotFound { .. })
    ));
    assert!(matches!(
        t.change(&k, 6, LeaseOp::checkpoint(Checkpoint::sequence("0x12", 0))),
        Err(Error::Validation(_))
    ));
    assert!(matches!(
        t.change(&k, 6, LeaseOp::take("", 1)),
        Err(Error::Validation(_))
    ));
    let big: Vec<String> = (0..20).map(|i| format!("{i:0>150}")).collect();
    assert!(matches!(
        t.update(&k, 6, |l| l.parent_shard_ids = big),
        Err(Error::Checkpoint(
            shardlog_checkpoint::Error::ValueTooLarge { .. }
        ))
    ));
    assert!(matches!(
        t.get(&LeaseKey::new("", "s", "x")),
        Err(Error::Validation(_))
    ));
    assert_eq!(t.get(&k).unwrap().unwrap().counter, 6);

    let gone = t.change(&k, 6, LeaseOp::Delete).unwrap();
    assert_eq!(gone.counter, 6);
    assert!(t.get(&k).unwrap().is_none());
}

#[test]
fn take_respects_the_persisted_expiry_across_restarts() {
    let disk = SimDisk::new(2);
    let opts = LeaseOptions {
        lease_duration_ms: 10_000,
        takeover_margin_ms: 500,
        ..LeaseOptions::default()
    };
    let t = table(&disk, opts.clone());
    let k = shard(1);
    t.create_if_absent(&k, NewLease::default()).unwrap();
    let l = t.change(&k, 0, LeaseOp::take("w1", 100_000)).unwrap();
    drop(t);
    // Power loss and restart: the durable record still says w1 holds the lease.
    let disk = disk.crash(7);
    let t = table(&disk, opts);
    match t.change(&k, l.counter, LeaseOp::take("w2", 110_499)) {
        Err(Error::LeaseHeld { owner, until_ms }) => {
            assert_eq!((owner.as_str(), until_ms), ("w1", 110_500))
        }
        other => panic!("{other:?}"),
    }
    // The owner itself may re-take (no switch counted).
    let l = t
        .change(&k, l.counter, LeaseOp::take("w1", 105_000))
        .unwrap();
    assert_eq!(l.owner_switches_since_checkpoint, 1);
    let l = t
        .change(&k, l.counter, LeaseOp::take("w2", 115_500))
        .unwrap();
    assert_eq!(
        (l.owner.as_deref(), l.owner_switches_since_checkpoint),
        (Some("w2"), 2)
    );
    // steal skips the expiry check but not the counter.
    conflict(t.change(&k, 0, LeaseOp::steal("w3", 115_501)), 0, l.counter);
    let l = t
        .change(&k, l.counter, LeaseOp::steal("w3", 115_501))
        .unwrap();
    assert_eq!(l.owner.as_deref(), Some("w3"));
    // An evicted lease is free at once.
    let l = t.change(&k, l.counter, LeaseOp::Evict).unwrap();
    assert!(t
        .change(&k, l.counter, LeaseOp::take("w4", 115_502))
        .is_ok());
}

#[test]
fn history_keeps_the_last_n_checkpoints() {
    let disk = SimDisk::new(3);
    let t = table(&disk, LeaseOptions::default());
    let k = shard(1);
    let mut l = t.create_if_absent(&k, NewLease::default()).unwrap();
    l = t.change(&k, l.counter, LeaseOp::take("w1", 1)).unwrap();
    for i in 0..25u64 {
        l = t
            .change(
                &k,
                l.counter,
                LeaseOp::checkpoint(Checkpoint::sequence(&(1000 + i).to_string(), i)),
            )
            .unwrap();
        l = t.change(&k, l.counter, LeaseOp::renew(2 + i)).unwrap();
    }
    let h = t.history(&k).unwrap();
    assert_eq!(h.len(), 10);
    // History entries sit among the lease records; scans of leases skip them.
    assert_eq!(t.list("app").unwrap().len(), 1);
    assert_eq!(t.applications().unwrap(), ["app"]);
    assert_eq!(
        h.iter().map(|e| e.index).collect::<Vec<_>>(),
        (15..25).collect::<Vec<_>>()
    );
    assert_eq!(h[9].checkpoint, Checkpoint::sequence("1024", 24));
    assert!(h.windows(2).all(|w| w[0].counter < w[1].counter));
    assert!(h.iter().all(|e| e.owner.as_deref() == Some("w1")));
    // An update that changes the checkpoint is recorded too.
    l = t
        .update(&k, l.counter, |l| l.checkpoint = Checkpoint::ShardEnd)
        .unwrap();
    assert_eq!(
        t.history(&k).unwrap().last().unwrap().checkpoint,
        Checkpoint::ShardEnd
    );
    assert_eq!(l.checkpoints_recorded, 26);
    // The history survives a restart; at most N entries are stored, not just returned.
    let db = Arc::new(open(&disk.crash(1)).unwrap());
    let t = LeaseTable::new(db.clone(), LeaseOptions::default()).unwrap();
    assert_eq!(t.history(&k).unwrap().len(), 10);
    // Keys of the lease table: the record and its history entries.
    let stored = db
        .read()
        .unwrap()
        .range(&b"lease\0L"[..]..&b"lease\0M"[..])
        .count();
    assert_eq!(stored, 1 + 10);
    // A shorter history keeps fewer; deleting the lease deletes its history.
    let t3 = LeaseTable::new(
        db.clone(),
        LeaseOptions {
            history_len: 3,
            ..LeaseOptions::default()
        },
    )
    .unwrap();
    let l = t3
        .change(
            &k,
            l.counter,
            LeaseOp::checkpoint(Checkpoint::sequence("5000", 0)),
        )
        .unwrap();
    assert_eq!(t3.history(&k).unwrap().len(), 3);
    t3.change(&k, l.counter, LeaseOp::Delete).unwrap();
    assert!(t3.history(&k).unwrap().is_empty());
    assert_eq!(
        db.read()
            .unwrap()
            .range(&b"lease\0L"[..]..&b"lease\0M"[..])
            .count(),
        0
    );
    // No history at all.
    let t0 = LeaseTable::new(
        db,
        LeaseOptions {
            history_len: 0,
            ..LeaseOptions::default()
        },
    )
    .unwrap();
    let l = t0.create_if_absent(&k, NewLease::default()).unwrap();
    t0.change(&k, l.counter, LeaseOp::checkpoint(Checkpoint::Latest))
        .unwrap();
    assert!(t0.history(&k).unwrap().is_empty());
}

#[test]
fn a_batch_is_one_commit_and_checks_each_change() {
    let disk = SimDisk::new(4);
    let db = Arc::new(open(&disk).unwrap());
    let t = LeaseTable::new(db.clone(), LeaseOptions::default()).unwrap();
    let keys: Vec<LeaseKey> = (0..50).map(shard).collect();
    let mut batch = t.batch();
    for k in &keys {
        t.create_if_absent(k, NewLease::default()).unwrap();
        batch.push(k, 0, LeaseOp::take("w1", 1_000));
    }
    let before = db.info().txn;
    assert!(batch.commit().unwrap().iter().all(|r| r.is_ok()));
    assert_eq!(db.info().txn, before + 1);
    // Renew all but give one a stale counter: it alone fails.
    let mut batch = t.batch();
    for (i, k) in keys.iter().enumerate() {
        batch.push(k, if i == 7 { 0 } else { 1 }, LeaseOp::renew(4_000));
    }
    let results = batch.commit().unwrap();
    assert_eq!(db.info().txn, before + 2);
    for (i, r) in results.iter().enumerate() {
        match (i, r) {
            (
                7,
                Err(Error::LeaseConflict {
                    expected: 0,
                    found: 1,
                }),
            ) => {}
            (7, other) => panic!("{other:?}"),
            (_, Ok(l)) => assert_eq!((l.counter, l.last_renewal_ms), (2, 4_000)),
            (_, Err(e)) => panic!("{e}"),
        }
    }
    // Changes to one lease in one batch see each other.
    let k = &keys[0];
    let r = t
        .batch()
        .push(k, 2, LeaseOp::renew(5_000))
        .push(k, 3, LeaseOp::checkpoint(Checkpoint::ShardEnd))
        .push(k, 4, LeaseOp::Evict)
        .commit()
        .unwrap();
    assert_eq!(r[2].as_ref().unwrap().counter, 5);
    // list: one application's leases in order, others separate.
    t.create_if_absent(
        &LeaseKey::new("app2", "clicks", "shardId-000000000000"),
        NewLease::default(),
    )
    .unwrap();
    t.create_if_absent(&LeaseKey::new("ap", "p\0x", "s"), NewLease::default())
        .unwrap();
    let listed = t.list("app").unwrap();
    assert_eq!(
        listed.iter().map(|l| l.key.clone()).collect::<Vec<_>>(),
        keys
    );
    assert_eq!(t.list("app2").unwrap().len(), 1);
    assert_eq!(t.list("ap").unwrap()[0].key.stream, "p\0x");
}

#[test]
fn concurrent_workers_never_win_the_same_counter_twice() {
    let disk = SimDisk::new(5);
    let t = Arc::new(table(
        &disk,
        LeaseOptions {
            lease_duration_ms: 0,
            takeover_margin_ms: 0,
            ..LeaseOptions::default()
        },
    ));
    let keys: Vec<LeaseKey> = (0..6).map(shard).collect();
    for k in &keys {
        t.create_if_absent(k, NewLease::default()).unwrap();
    }
    let wins = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        for w in 0..4u64 {
            let (t, keys, wins) = (t.clone(), keys.clone(), wins.clone());
            s.spawn(move || {
                let mut rng = Rng(w + 100);
                let me = format!("worker-{w}");
                for step in 0..400u64 {
                    let k = &keys[rng.below(keys.len() as u64) as usize];
                    let seen = t.get(k).unwrap().unwrap();
                    let r = match rng.below(3) {
                        0 => t.change(k, seen.counter, LeaseOp::take(&me, step)),
                        1 => t.change(k, seen.counter, LeaseOp::renew(step)),
                        _ => t.change(
                            k,
                            seen.counter,
                            LeaseOp::checkpoint(Checkpoint::sequence(&step.to_string(), w)),
                        ),
                    };
                    match r {
                        Ok(l) => {
                            assert_eq!(l.counter, seen.counter + 1);
                            wins.lock().unwrap().push((k.clone(), seen.counter));
                        }
                        Err(Error::LeaseConflict { expected, found }) => assert!(found > expected),
                        // The workers' step counters serve as clocks and disagree; that is fine.
                        Err(Error::LeaseHeld { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
    });
    let wins = wins.lock().unwrap();
    let unique: HashSet<_> = wins.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        wins.len(),
        "two workers succeeded from the same counter"
    );
    let total: u64 = keys
        .iter()
        .map(|k| t.get(k).unwrap().unwrap().counter)
        .sum();
    assert_eq!(
        total,
        wins.len() as u64,
        "every success moved exactly one counter by one"
    );
}

/// Power cuts during batched renewals and checkpoints: after recovery every lease shows the state
/// before the batch or every lease the state after it, never a mix.
#[test]
fn power_cuts_during_batched_renewals() {
    let trials: u64 = std::env::var("SHARDLOG_CHECKPOINT_CUTS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(3_000, |n| n * 8_000 / 192_000);
    let mut rng = Rng(6);
    let mut disk = SimDisk::new(6);
    let keys: Vec<LeaseKey> = (0..20).map(shard).collect();
    {
        let t = table(&disk, LeaseOptions::default());
        for k in &keys {
            t.create_if_absent(k, NewLease::default()).unwrap();
        }
    }
    let (mut cuts, mut applied) = (0u64, 0u64);
    let mut window = 10u64;
    while cuts < trials {
        let t = table(
            &disk,
            LeaseOptions {
                history_len: 4,
                ..LeaseOptions::default()
            },
        );
        let before: Vec<Lease> = keys.iter().map(|k| t.get(k).unwrap().unwrap()).collect();
        let base = disk.ops();
        disk.set_fault(Fault::PowerCut {
            at_op: base + rng.below(window + 2),
        });
        let mut batch = t.batch();
        for l in &before {
            if rng.chance(20) {
                let seq = (l.counter + 1).to_string();
                batch.push(
                    &l.key,
                    l.counter,
                    LeaseOp::checkpoint(Checkpoint::sequence(&seq, 0)),
                );
            } else {
                batch.push(&l.key, l.counter, LeaseOp::renew(l.last_renewal_ms + 1));
            }
        }
        let acked = matches!(batch.commit(), Ok(r) if r.iter().all(|r| r.is_ok()));
        drop(batch);
        drop(t);
        if !disk.is_power_off() {
            assert!(acked);
            window = disk.ops() - base;
            disk.clear_fault();
            continue;
        }
        cuts += 1;
        disk = disk.crash(rng.next_u64());
        let db = Arc::new(
            Db::open_with(Arc::new(disk.clone()), "checkpoints.db", small_opts()).unwrap(),
        );
        db.verify().unwrap();
        let t = LeaseTable::new(
            db,
            LeaseOptions {
                history_len: 4,
                ..LeaseOptions::default()
            },
        )
        .unwrap();
        let after: Vec<u64> = keys
            .iter()
            .map(|k| t.get(k).unwrap().unwrap().counter)
            .collect();
        let old: Vec<u64> = before.iter().map(|l| l.counter).collect();
        let new: Vec<u64> = old.iter().map(|c| c + 1).collect();
        assert!(
            after == old || after == new,
            "a batch was applied in part: {after:?} vs {old:?}"
        );
        assert!(!acked || after == new, "an acknowledged batch was lost");
        applied += (after == new) as u64;
        for k in &keys {
            assert!(t.history(k).unwrap().len() <= 4);
        }
    }
    eprintln!("lease batches: {cuts} power cuts, {applied} recovered the in-flight batch");
}
