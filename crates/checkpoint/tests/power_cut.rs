//! Simulated power cuts on `SimDisk` during commits, file growth, creation and recovery.
//!
//! Each trial arms a power cut at a random operation of the next transaction (its reads, page
//! writes, syncs, slot write, or the growth copy/rename), builds the disk that comes back with
//! `crash(seed)` (every unsynced 512-byte sector independently old or any written version; every
//! unsynced name change independently done or not), and reopens. Oracle:
//! - open succeeds, `verify` passes (checksums, key order, every page accounted for exactly once);
//! - the contents equal the last committed model, or the in-flight transaction's model; the latter
//!   is required if `commit` returned `Ok`;
//! - in a quarter of the trials a second power cut hits the first recovery (and, if that recovery
//!   finished, a commit after it), and the oracle must hold after the third boot.
//!
//! Trials continue on the recovered disk, so the files age: free pages get reused, trees grow and
//! shrink, and snapshots held across commits pin pages. `SHARDLOG_CHECKPOINT_CUTS` sets the number
//! of cuts in this file (default: 192,000 per run, split over the four workloads below; the lease
//! tests add 8,000 more).
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, open, read_all, value, Model, Rng};
use shardlog_checkpoint::Db;
use shardlog_storage::{Fault, SimDisk};

fn cuts(default: u64) -> u64 {
    let total: u64 = std::env::var("SHARDLOG_CHECKPOINT_CUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(192_000);
    default * total / 52_000
}

#[derive(Clone, Copy)]
struct Workload {
    seed: u64,
    keys: u64,
    value_max: usize,
    ops_max: u64,
    /// Start from an empty disk every this many trials (so creation and early growth repeat).
    reset_every: u64,
}

#[derive(Default, Debug)]
struct Stats {
    cuts: u64,
    new_state: u64,
    old_state: u64,
    double: u64,
    grown: u64,
    /// Cuts after at least one acknowledged commit since open (the redo log in use).
    in_log_epoch: u64,
}

type Ops = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// A random transaction: puts (`Some`) and removes (`None`), ending with a marker put so that it
/// always changes something.
fn gen_ops(rng: &mut Rng, w: &Workload, tag: u64) -> Ops {
    let mut ops: Ops = (0..1 + rng.below(w.ops_max))
        .map(|_| {
            let k = key(rng.below(w.keys));
            let v =
                (!rng.chance(30)).then(|| value(tag, rng.below(w.value_max as u64 + 1) as usize));
            (k, v)
        })
        .collect();
    ops.push((b"~marker".to_vec(), Some(tag.to_le_bytes().to_vec())));
    ops
}

fn apply_model(model: &Model, ops: &Ops) -> Model {
    let mut m = model.clone();
    for (k, v) in ops {
        match v {
            Some(v) => m.insert(k.clone(), v.clone()),
            None => m.remove(k),
        };
    }
    m
}

/// Runs `ops` in one transaction; with `expect`, checks every old value the tree reports.
fn run_txn(db: &Db, ops: &Ops, expect: Option<&Model>) -> shardlog_checkpoint::Result<()> {
    let mut shadow = expect.cloned();
    let mut tx = db.write()?;
    for (k, v) in ops {
        let old = match v {
            Some(v) => tx.insert(k, v)?,
            None => tx.remove(k)?,
        };
        if let Some(m) = shadow.as_mut() {
            let want = match v {
                Some(v) => m.insert(k.clone(), v.clone()),
                None => m.remove(k),
            };
            assert_eq!(old, want, "the transaction saw a wrong value");
        }
    }
    tx.commit()
}

fn check(disk: &SimDisk, candidates: &[&Model], must_be: Option<usize>, what: &str) -> usize {
    let db = open(disk).unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
    db.verify()
        .unwrap_or_else(|e| panic!("{what}: verify failed: {e}"));
    let got = read_all(&db.read().unwrap()).unwrap();
    let idx = candidates
        .iter()
        .position(|m| **m == got)
        .unwrap_or_else(|| {
            panic!(
                "{what}: contents ({} keys) match neither the committed nor the in-flight state",
                got.len()
            )
        });
    if let Some(i) = must_be {
        assert_eq!(idx, i, "{what}: an acknowledged commit was lost");
    }
    idx
}

fn run(w: Workload, trials: u64) -> Stats {
    let mut rng = Rng(w.seed);
    let mut stats = Stats::default();
    let mut disk = SimDisk::new(w.seed);
    let mut model = Model::new();
    let mut commit_ops = 8u64;
    let mut since_reset = 0u64;
    while stats.cuts < trials {
        since_reset += 1;
        if since_reset > w.reset_every {
            since_reset = 0;
            disk = SimDisk::new(rng.next_u64());
            model = Model::new();
        }
        let trial_seed = rng.next_u64();
        let what = format!(
            "workload seed {} trial {} (seed {trial_seed:#x})",
            w.seed, stats.cuts
        );
        // Boot (creating the file on a fresh disk), maybe under a cut as well.
        let db = match open(&disk) {
            Ok(db) => db,
            Err(e) => panic!("{what}: clean open failed: {e}"),
        };
        let snapshot = rng.chance(30).then(|| db.read().unwrap());
        // The first commit after open writes the tree back; the ones after it append to the redo
        // log until it is full. Cut after 0 to 4 acknowledged commits, so both kinds are cut.
        let before_cut = rng.below(5);
        for i in 0..before_cut {
            let ops = gen_ops(&mut rng, &w, trial_seed ^ (i + 2) << 32);
            run_txn(&db, &ops, Some(&model))
                .unwrap_or_else(|e| panic!("{what}: commit {i} failed without a fault: {e}"));
            model = apply_model(&model, &ops);
        }
        let pages_before = db.info().file_pages;
        let base = disk.ops();
        // Half the cuts anywhere in the transaction, half among its last operations (page writes,
        // syncs, the slot write).
        let at = if rng.chance(50) {
            rng.below(commit_ops + 2)
        } else {
            commit_ops.saturating_sub(6) + rng.below(8)
        };
        disk.set_fault(Fault::PowerCut { at_op: base + at });
        let ops = gen_ops(&mut rng, &w, trial_seed);
        let next = apply_model(&model, &ops);
        let result = run_txn(&db, &ops, Some(&model));
        if !disk.is_power_off() {
            // The cut fell after the transaction: it must have committed. Next trial.
            result.unwrap_or_else(|e| panic!("{what}: commit failed without a fault: {e}"));
            commit_ops = (disk.ops() - base).max(4);
            disk.clear_fault();
            model = next;
            drop((snapshot, db));
            continue;
        }
        stats.cuts += 1;
        stats.in_log_epoch += u64::from(before_cut > 0);
        let growing = disk.file_bytes("checkpoints.db.grow").is_some()
            || disk
                .file_bytes("checkpoints.db")
                .map_or(0, |b| b.len() as u64)
                > pages_before * 4096;
        stats.grown += growing as u64;
        drop((snapshot, db));
        let acked = result.is_ok();
        let after = disk.crash(trial_seed);
        if rng.chance(25) {
            // A second cut during the recovery or the first commit after it. Candidates: either
            // state of the first cut, each with or without the second transaction.
            stats.double += 1;
            let ops2 = gen_ops(&mut rng, &w, trial_seed ^ 1);
            after.set_fault(Fault::PowerCut {
                at_op: rng.below(commit_ops + 8),
            });
            let acked2 = match open(&after) {
                Ok(db) => run_txn(&db, &ops2, None).is_ok(),
                Err(_) => false,
            };
            let (a2, b2) = (apply_model(&model, &ops2), apply_model(&next, &ops2));
            let after2 = after.crash(trial_seed.rotate_left(17));
            let candidates = [&model, &next, &a2, &b2];
            let idx = check(&after2, &candidates, None, &format!("{what} (double cut)"));
            let got = candidates[idx];
            if acked2 {
                assert!(
                    got == &a2 || got == &b2,
                    "{what}: the acknowledged second commit was lost"
                );
            }
            if acked {
                assert!(
                    got == &next || got == &b2,
                    "{what}: the acknowledged first commit was lost"
                );
            }
            model = candidates[idx].clone();
            disk = after2;
            continue;
        }
        let idx = check(&after, &[&model, &next], acked.then_some(1), &what);
        if idx == 1 {
            stats.new_state += 1;
            model = next;
        } else {
            stats.old_state += 1;
        }
        disk = after;
    }
    stats
}

fn report(name: &str, stats: &Stats) {
    eprintln!(
        "{name}: {} power cuts ({} recovered the in-flight commit, {} the previous one, {} double cuts), {} during a growth, {} after log commits",
        stats.cuts, stats.new_state, stats.old_state, stats.double, stats.grown, stats.in_log_epoch
    );
}

#[test]
fn power_cuts_small_values() {
    let w = Workload {
        seed: 11,
        keys: 60,
        value_max: 120,
        ops_max: 6,
        reset_every: 400,
    };
    let stats = run(w, cuts(16_000));
    report("small values", &stats);
    assert!(stats.new_state > 0 && stats.old_state > 0);
}

#[test]
fn power_cuts_large_values_and_growth() {
    let w = Workload {
        seed: 22,
        keys: 40,
        value_max: 1024,
        ops_max: 8,
        reset_every: 60,
    };
    let stats = run(w, cuts(12_000));
    report("large values", &stats);
    assert!(
        stats.grown > 0,
        "no cut hit a growth: the growth path was not tested"
    );
}

#[test]
fn power_cuts_many_keys() {
    let w = Workload {
        seed: 33,
        keys: 400,
        value_max: 300,
        ops_max: 20,
        reset_every: 300,
    };
    let stats = run(w, cuts(12_000));
    report("many keys", &stats);
}

#[test]
fn power_cuts_churn() {
    let w = Workload {
        seed: 44,
        keys: 12,
        value_max: 1024,
        ops_max: 4,
        reset_every: 1_000,
    };
    let stats = run(w, cuts(12_000));
    report("churn", &stats);
}

/// Every operation index of a canonical commit (including a growth) and of file creation as the cut
/// point, with 8 damage patterns each.
#[test]
fn every_op_of_a_commit_with_growth() {
    // Build a state, then find how many operations the next commit takes.
    let base_disk = SimDisk::new(9);
    let mut model = Model::new();
    {
        let db = open(&base_disk).unwrap();
        let mut tx = db.write().unwrap();
        for i in 0..3 {
            tx.insert(&key(i), &value(1, 900)).unwrap();
            model.insert(key(i), value(1, 900));
        }
        tx.commit().unwrap();
    }
    let mut next = model.clone();
    let apply = |db: &Db| -> shardlog_checkpoint::Result<()> {
        let mut tx = db.write()?;
        for i in 3..20 {
            tx.insert(&key(i), &value(2, 1000))?;
        }
        tx.remove(&key(0))?;
        tx.commit()
    };
    for i in 3..20 {
        next.insert(key(i), value(2, 1000));
    }
    next.remove(&key(0));
    let probe = base_disk.crash(0);
    let db = open(&probe).unwrap();
    let before = (probe.ops(), db.info().file_pages);
    apply(&db).unwrap();
    let total = probe.ops() - before.0;
    assert!(
        db.info().file_pages > before.1,
        "the canonical commit must grow the file"
    );
    drop(db);
    let mut cases = 0;
    for at in 0..=total {
        for seed in 0..8 {
            let disk = base_disk.crash(0);
            let db = open(&disk).unwrap();
            disk.set_fault(Fault::PowerCut {
                at_op: disk.ops() + at,
            });
            let acked = apply(&db).is_ok();
            drop(db);
            let after = disk.crash(seed);
            check(
                &after,
                &[&model, &next],
                acked.then_some(1),
                &format!("cut at op {at}, seed {seed}"),
            );
            cases += 1;
        }
    }
    // Creation of a new file, cut at every step.
    let mut created = 0;
    for at in 0..14 {
        for seed in 0..8 {
            let disk = SimDisk::new(seed);
            disk.set_fault(Fault::PowerCut { at_op: at });
            let ok = open(&disk).is_ok();
            let after = disk.crash(seed);
            let db = open(&after).unwrap_or_else(|e| panic!("creation cut at {at}: {e}"));
            assert!(db.read().unwrap().is_empty());
            db.verify().unwrap();
            created += ok as u32;
            cases += 1;
        }
    }
    assert!(created > 0);
    eprintln!("exhaustive: {cases} cut points ({total} ops per commit)");
}

/// The one-sync protocol's own crash cases, exhaustively. A commit writes its pages and its commit
/// slot, then syncs once, so a power cut before that sync may leave any subset of those writes on
/// disk (a slot that landed over pages that did not is the case a two-sync protocol never sees).
/// For every subset of the changed units (each written page, and the slot sector), recovery must
/// give the previous commit, reporting a fallback when the slot landed, unless every unit landed;
/// then it gives the new commit. Pages torn inside (one sector new, the rest old) under a landed
/// slot fall back too.
#[test]
fn every_subset_of_a_commits_writes() {
    const FILE: &str = "checkpoints.db";
    const PAGE: usize = 4096;
    let disk = SimDisk::new(5);
    let mut model = Model::new();
    {
        // Age the file so that the commit under test reuses freed pages of older commits.
        let db = open(&disk).unwrap();
        for c in 0..12u64 {
            let mut tx = db.write().unwrap();
            for i in 0..30 {
                let (k, v) = (key((i * 7 + c * 3) % 90), value(c, 150));
                tx.insert(&k, &v).unwrap();
                model.insert(k, v);
            }
            tx.commit().unwrap();
        }
    }
    let change = |db: &Db| -> shardlog_checkpoint::Result<()> {
        let mut tx = db.write()?;
        tx.insert(&key(3), &value(77, 200))?;
        tx.insert(&key(80), &value(78, 100))?;
        tx.remove(&key(41))?;
        tx.commit()
    };
    let mut next = model.clone();
    next.insert(key(3), value(77, 200));
    next.insert(key(80), value(78, 100));
    next.remove(&key(41));

    // Count the commit's operations on a copy; its last one is the sync.
    let probe = disk.crash(0);
    let db = open(&probe).unwrap();
    let start = probe.ops();
    change(&db).unwrap();
    let ops = probe.ops() - start;
    drop(db);

    let before = disk.file_bytes(FILE).unwrap();
    let db = open(&disk).unwrap();
    disk.set_fault(Fault::PowerCut {
        at_op: disk.ops() + ops - 1,
    });
    assert!(change(&db).is_err(), "the cut must hit the commit's sync");
    drop(db);
    let written = disk.file_bytes(FILE).unwrap();
    assert_eq!(
        before.len(),
        written.len(),
        "the commit must not grow the file"
    );

    // The units that differ: the slot sector, then each page.
    let mut units: Vec<(usize, usize)> = (0..2)
        .map(|s| (s * 512, 512))
        .chain((1..before.len() / PAGE).map(|p| (p * PAGE, PAGE)))
        .filter(|&(at, len)| before[at..at + len] != written[at..at + len])
        .collect();
    assert_eq!(units.iter().filter(|u| u.1 == 512).count(), 1);
    assert!(
        units.len() >= 4 && units.len() <= 12,
        "{} units",
        units.len()
    );
    let slot = units.remove(0);
    let recover = |img: &[u8], what: &str| -> (Model, bool) {
        let d = SimDisk::new(1);
        d.put_file(FILE, img);
        let db = open(&d).unwrap_or_else(|e| panic!("{what}: open failed: {e}"));
        db.verify()
            .unwrap_or_else(|e| panic!("{what}: verify failed: {e}"));
        let got = read_all(&db.read().unwrap()).unwrap();
        (got, db.info().slot_fallback.is_some())
    };
    let n = units.len();
    for mask in 0..(1u32 << (n + 1)) {
        let mut img = before.clone();
        let slot_landed = mask & 1 == 1;
        let mut chosen = vec![slot_landed.then_some(slot)];
        chosen.extend((0..n).map(|i| (mask >> (i + 1) & 1 == 1).then_some(units[i])));
        for (at, len) in chosen.into_iter().flatten() {
            img[at..at + len].copy_from_slice(&written[at..at + len]);
        }
        let what = format!("subset {mask:#b} of the slot and {n} pages");
        let (got, fell_back) = recover(&img, &what);
        if mask == (1 << (n + 1)) - 1 {
            assert!(
                got == next && !fell_back,
                "{what}: the complete commit was lost"
            );
        } else {
            assert!(got == model, "{what}: not the previous commit");
            assert_eq!(fell_back, slot_landed, "{what}: fallback not reported");
        }
    }
    // A landed slot over one page torn at a sector boundary.
    for &(at, _) in &units {
        for sector in 0..PAGE / 512 {
            let mut img = written.clone();
            let s = at + sector * 512;
            img[s..s + 512].copy_from_slice(&before[s..s + 512]);
            if img == written {
                continue;
            }
            let (got, fell_back) = recover(&img, &format!("page at {at} torn at sector {sector}"));
            assert!(
                got == model && fell_back,
                "torn page at byte {s} not rolled back"
            );
        }
    }
    eprintln!(
        "one-sync crash cases: {} subsets of the slot and {n} pages",
        1u32 << (n + 1)
    );
}
