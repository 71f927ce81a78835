//! Power cuts over the real file layer for the checkpoint file: a `Db` on `FsStorage` whose calls
//! `shardlog_storage::io_trace` records, cut at every point of the trace and rebuilt as Linux may
//! leave it (only what was synced, everything, and seeded choices per 4 KiB page and per directory
//! entry), then opened with the real `FsStorage`.
//!
//! Workload: creation, commits through the redo log and tree commits (a 3-page log region), file
//! growth by copy and rename (2 initial pages), removals, two reopens in the middle. Oracle at each cut:
//! open succeeds, `verify` passes, and the contents equal the last committed state or that of a
//! commit in flight at the cut; every committed key survives. In some cut states the recovery itself
//! (open, one commit) is recorded and cut again at every point: what the reopened file showed, and
//! the commit acknowledged after it, must survive.
//!
//! `SHARDLOG_REAL_CUTS` sets the number of random states per cut point (default 2),
//! `SHARDLOG_REAL_ROUNDS` the number of workloads (default 1), `SHARDLOG_REAL_SEED` the first seed.
#![allow(clippy::unwrap_used)]

mod common;

use common::{key, read_all, small_opts, value, Model, Rng};
use shardlog_checkpoint::Db;
use shardlog_storage::io_trace::{Loss, Recorder, Replay, Trace};
use shardlog_storage::FsStorage;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const NAME: &str = "c.db";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The committed states: (position when `commit` was called, position when it returned, contents).
type States = Vec<(usize, usize, Model)>;

fn open(dir: &Path) -> Result<Db, String> {
    let storage = FsStorage::open(dir.join("cp")).map_err(|e| e.to_string())?;
    Db::open_with(Arc::new(storage), NAME, small_opts()).map_err(|e| format!("open failed: {e}"))
}

fn contents(db: &Db) -> Result<Model, String> {
    let snap = db.read().map_err(|e| e.to_string())?;
    read_all(&snap).map_err(|e| format!("read failed: {e}"))
}

fn commit(db: &Db, rng: &mut Rng, model: &mut Model, tag: u64) {
    let mut tx = db.write().unwrap();
    for _ in 0..1 + rng.below(6) {
        let k = key(rng.below(60));
        if rng.below(4) == 0 {
            tx.remove(&k).unwrap();
            model.remove(&k);
        } else {
            let v = value(tag, 1 + rng.below(900) as usize);
            tx.insert(&k, &v).unwrap();
            model.insert(k, v);
        }
    }
    tx.commit().unwrap();
}

fn workload(root: &Path, seed: u64) -> (Trace, States) {
    let mut rng = Rng(seed);
    let rec = Recorder::start(root);
    let mut model = Model::new();
    // Before creation finished, open makes a new empty file: the empty state.
    let mut states: States = vec![(0, 0, model.clone())];
    let mut db = open(root).unwrap();
    for tag in 0..100 {
        if tag == 40 || tag == 75 {
            drop(db);
            db = open(root).unwrap();
        }
        let start = rec.len();
        commit(&db, &mut rng, &mut model, tag);
        states.push((start, rec.len(), model.clone()));
    }
    assert!(db.info().file_pages > 2, "the file grew");
    drop(db);
    (rec.finish(), states)
}

/// Indexes of the states a cut after `k` events may show.
fn allowed(states: &States, k: usize) -> Vec<usize> {
    let done = states.iter().rposition(|s| s.1 <= k).unwrap_or(0);
    (done..states.len())
        .filter(|&i| i == done || states[i].0 < k)
        .collect()
}

fn check_dir(dir: &Path, states: &States, k: usize) -> Result<Model, String> {
    let db = open(dir)?;
    db.verify().map_err(|e| format!("verify failed: {e}"))?;
    let got = contents(&db)?;
    let ok = allowed(states, k);
    if !ok.iter().any(|&i| states[i].2 == got) {
        let committed = &states[ok[0]].2;
        let lost = committed.keys().find(|k| !got.contains_key(*k));
        return Err(format!(
            "contents ({} keys) match no state allowed at this cut (commits {ok:?}); \
             committed key lost: {:?}",
            got.len(),
            lost.map(|k| String::from_utf8_lossy(k).into_owned())
        ));
    }
    Ok(got)
}

/// A fresh directory for one cut state, in memory when possible (the check fsyncs a lot).
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

/// Records the reopen of a cut state and one commit after it, and cuts that at every point.
fn check_recovery_cuts(dir: &Path, states: &States, k: usize, seed: u64) -> Result<usize, String> {
    let rec = Recorder::start(dir);
    let db = open(dir)?;
    let shown = contents(&db)?;
    let opened = rec.len();
    let mut after = shown.clone();
    let (new_key, new_value) = (b"after-recovery".to_vec(), value(seed, 300));
    let mut tx = db.write().map_err(|e| e.to_string())?;
    tx.insert(&new_key, &new_value).map_err(|e| e.to_string())?;
    tx.commit()
        .map_err(|e| format!("commit after recovery failed: {e}"))?;
    after.insert(new_key, new_value);
    let acked = rec.len();
    drop(db);
    let trace = rec.finish();
    let mut n = 0;
    let mut replay = trace.replay();
    for k2 in 0..=trace.len() {
        replay.advance_to(k2);
        for loss in [Loss::AllLost, Loss::Random(seed ^ k2 as u64)] {
            let out = scratch();
            let listing = replay.materialize(out.path(), loss).unwrap();
            n += 1;
            let fail = |e: String| {
                format!(
                    "second cut after {k2} of {} recovery events ({loss:?}): {e}\n  state: {listing:?}",
                    trace.len()
                )
            };
            if k2 < opened {
                check_dir(out.path(), states, k).map_err(fail)?;
                continue;
            }
            let db = open(out.path()).map_err(fail)?;
            db.verify()
                .map_err(|e| fail(format!("verify failed: {e}")))?;
            let got = contents(&db).map_err(fail)?;
            if got != after && (k2 >= acked || got != shown) {
                return Err(fail(if k2 >= acked && got == shown {
                    "the commit acknowledged after the reopen is lost".to_string()
                } else {
                    format!(
                        "contents ({} keys) are neither what the reopened file showed ({} keys) \
                         nor that plus the commit after it",
                        got.len(),
                        shown.len()
                    )
                }));
            }
        }
    }
    Ok(n)
}

fn describe(replay: &Replay<'_>, trace: &Trace, k: usize) -> String {
    let last = k
        .checked_sub(1)
        .map_or("(nothing)".to_string(), |i| trace.events()[i].to_string());
    let next = replay
        .next_event()
        .map_or("(end)".to_string(), ToString::to_string);
    format!(
        "cut after {k} of {} events (last: {last}; next: {next})",
        trace.len()
    )
}

#[test]
fn power_cuts_over_real_files_lose_no_committed_key() {
    let random = env("SHARDLOG_REAL_CUTS", 2);
    let rounds = env("SHARDLOG_REAL_ROUNDS", 1);
    let seed0 = env("SHARDLOG_REAL_SEED", 1);
    let started = Instant::now();
    let (mut states_checked, mut points, mut with_unsynced, mut second) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let seed = seed0.wrapping_add(round);
        let root = tempfile::tempdir().unwrap();
        let (trace, states) = workload(root.path(), seed);
        let mut replay = trace.replay();
        for k in 0..=trace.len() {
            replay.advance_to(k);
            points += 1;
            let unsynced = replay.unsynced();
            let mut losses = vec![Loss::AllLost];
            if !unsynced.is_empty() {
                with_unsynced += 1;
                losses.push(Loss::AllKept);
                losses.extend((0..random).map(|r| Loss::Random(seed ^ ((k as u64) << 8) ^ r)));
            }
            for (i, loss) in losses.into_iter().enumerate() {
                let out = scratch();
                let listing = replay.materialize(out.path(), loss).unwrap();
                states_checked += 1;
                let mut result = check_dir(out.path(), &states, k).map(|_| ());
                if result.is_ok() && k % 4 == 3 && i == usize::from(!unsynced.is_empty()) {
                    let again = scratch();
                    replay.materialize(again.path(), loss).unwrap();
                    match check_recovery_cuts(again.path(), &states, k, seed ^ k as u64) {
                        Ok(n) => second += n,
                        Err(e) => result = Err(e),
                    }
                }
                if let Err(e) = result {
                    failures.push(format!(
                        "seed {seed}, {}, {loss:?}: {e}\n  state: {listing:?}",
                        describe(&replay, &trace, k)
                    ));
                }
            }
        }
    }
    println!(
        "checkpoint on real files: {rounds} workload(s), {points} cut points ({with_unsynced} with \
         unsynced data or names), {states_checked} cut states + {second} second-cut states of \
         recovery checked in {:.1} s, {} violations",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    if !failures.is_empty() {
        for f in failures.iter().take(3) {
            println!("VIOLATION: {f}");
        }
        panic!(
            "{} of {states_checked} cut states violated the durability promise; first: {}",
            failures.len(),
            failures[0]
        );
    }
}
