//! Power cuts over the real file layer (`FsStorage`), in the way of ALICE and LazyFS.
//!
//! The other power-cut tests run on `SimDisk`, so they cannot see a sync missing from `fs.rs`. Here a
//! real workload runs on `FsStorage` in a temporary directory while `io_trace` records every call
//! it makes (create, `fallocate`, `pwrite`, `fdatasync`, `unlink`, `rename`, directory `fsync`,
//! `mkdir`, `rm -r`); then, for every cut point of the trace, a fresh directory is built holding what
//! Linux guarantees after a power cut there — only what was synced ([`Loss::AllLost`]), everything
//! ([`Loss::AllKept`]) and seeded choices per 4 KiB page and per directory entry
//! ([`Loss::Random`]) — and opened with the real `FsStorage` and `ShardLog`.
//!
//! Workload: a `ShardLog` made through `Storage::subdir`, with 16 KiB segments so it rolls, appends
//! acknowledged under `Durability::Sync`; a reopen with 64 KiB segments, `drop_segments_before`, a
//! compaction (merge); `write_file_atomic` of a side file, a subdirectory removed with `remove_dir`;
//! a last phase under `Durability::None` (spare segments, background sealing) whose `sync()` calls
//! are the acknowledgements.
//!
//! Oracle at each cut: the log opens; what it holds are records that were appended, byte-identical,
//! in order, without a gap; every record acknowledged before the cut is there, none of those a drop
//! that returned before the cut removed is; the side file holds its newest completed version or a
//! later one; a removed directory whose removal was synced is gone. In some of the cut states the
//! recovery itself is recorded too (open, one append, close) and cut again at every point: what the
//! first recovery showed and what it acknowledged must survive.
//!
//! `SHARDLOG_REAL_CUTS` sets the number of random states per cut point (default 2),
//! `SHARDLOG_REAL_ROUNDS` the number of workloads (default 1, each with another seed),
//! `SHARDLOG_REAL_SEED` the first seed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Clock, Durability, LogOptions, ShardLog};
use shardlog_storage::io_trace::{Loss, Recorder, Replay, Trace};
use shardlog_storage::{read_file, write_file_atomic, FsStorage, Storage};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use shardlog_storage::SplitMix64 as Rng;

mod common;
use common::{read_all, record, Image};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const LOG_ID: u64 = 11;

fn opts(segment_kib: u64, durability: Durability) -> LogOptions {
    LogOptions {
        log_id: LOG_ID,
        segment_bytes: segment_kib * 1024,
        durability,
        clock: Clock::manual(1_700_000_000_000),
        ..LogOptions::default()
    }
}

/// What the workload did, with the trace position (number of recorded events) of each promise.
#[derive(Default, Clone)]
struct Journal {
    /// Every record handed to `append_batch`, by sequence number.
    attempted: BTreeMap<u64, (Vec<u8>, Vec<u8>)>,
    /// (position, n): once `position` events happened, every record below `n` is durable.
    acked: Vec<(usize, u64)>,
    /// (position at the call, position at the return, new start of the log).
    drops: Vec<(usize, usize, u64)>,
    /// Versions of the side file: (position at the call, position at the return, bytes).
    side: Vec<(usize, usize, Vec<u8>)>,
    /// (position at the return of the parent's sync after `remove_dir("gone")`).
    gone_synced: Option<usize>,
    /// (first position, options) of each phase: a cut is recovered with the options of its phase.
    phases: Vec<(usize, LogOptions)>,
}

impl Journal {
    fn durable_below(&self, k: usize) -> u64 {
        self.acked
            .iter()
            .filter(|(p, _)| *p <= k)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    }

    fn options_at(&self, k: usize) -> LogOptions {
        let phase = self.phases.iter().rev().find(|(p, _)| *p <= k);
        phase.unwrap_or(&self.phases[0]).1.clone()
    }
}

fn append(log: &ShardLog, rec: &Recorder, rng: &mut Rng, j: &mut Journal, sync_acks: bool) {
    let n = rng.below(3) + 1;
    let first = log.next_seq();
    let batch: Vec<_> = (0..n)
        .map(|i| record(first + i, 200 + rng.below(1400)))
        .collect();
    for (i, r) in batch.iter().enumerate() {
        j.attempted.insert(first + i as u64, r.clone());
    }
    let range = log.append_batch(&batch).unwrap();
    assert_eq!(range, first..first + n);
    if sync_acks {
        j.acked.push((rec.len(), range.end));
    }
}

/// The workload; returns the trace and the journal.
fn workload(root: &Path, seed: u64) -> (Trace, Journal) {
    let mut rng = Rng(seed);
    let mut j = Journal::default();
    let rec = Recorder::start(root);
    let top: Arc<dyn Storage> = Arc::new(FsStorage::open(root.join("top")).unwrap());
    let dir = top.subdir("log").unwrap();
    let side = top.subdir("side").unwrap();

    // Phase 1: Sync, 16 KiB segments: rolls.
    j.phases.push((0, opts(16, Durability::Sync)));
    let log = ShardLog::open(dir.clone(), opts(16, Durability::Sync)).unwrap();
    for i in 0..40 {
        append(&log, &rec, &mut rng, &mut j, true);
        if i % 15 == 7 {
            let bytes = format!("side v{} {}", j.side.len(), "x".repeat(i * 40)).into_bytes();
            let start = rec.len();
            write_file_atomic(side.as_ref(), "state", &bytes).unwrap();
            j.side.push((start, rec.len(), bytes));
        }
    }
    assert!(log.segment_count() >= 4, "{} segments", log.segment_count());
    log.close().unwrap();

    // Phase 2: reopened with 64 KiB segments; drop, merge, more appends.
    j.phases.push((rec.len(), opts(64, Durability::Sync)));
    let log = ShardLog::open(dir.clone(), opts(64, Durability::Sync)).unwrap();
    let first_end = log.segments()[0].next_seq;
    let start = rec.len();
    assert_eq!(log.drop_segments_before(first_end).unwrap(), 1);
    j.drops.push((start, rec.len(), log.start_seq()));
    let mut run = Vec::new();
    let mut bytes = 0;
    for s in log.segments().iter().filter(|s| !s.active) {
        if bytes + s.data_bytes + 8192 > 64 * 1024 {
            break;
        }
        bytes += s.data_bytes;
        run.push(s.id);
    }
    assert!(run.len() >= 2, "a run to merge: {run:?}");
    log.compact(&run).unwrap();
    for _ in 0..8 {
        append(&log, &rec, &mut rng, &mut j, true);
    }
    let gone = top.subdir("gone").unwrap();
    write_file_atomic(gone.as_ref(), "f", b"doomed").unwrap();
    drop(gone);
    top.remove_dir("gone").unwrap();
    top.sync_dir().unwrap();
    j.gone_synced = Some(rec.len());
    let bytes = b"side final".to_vec();
    let start = rec.len();
    write_file_atomic(side.as_ref(), "state", &bytes).unwrap();
    j.side.push((start, rec.len(), bytes));
    log.close().unwrap();

    // Phase 3: Durability::None, 16 KiB segments: spare segments, sealing in the background; a
    // returned sync() is the acknowledgement.
    let lazy = opts(16, Durability::None);
    j.phases.push((rec.len(), lazy.clone()));
    let log = ShardLog::open(dir.clone(), lazy).unwrap();
    for i in 0..30 {
        append(&log, &rec, &mut rng, &mut j, false);
        if i % 6 == 5 {
            let next = log.next_seq();
            log.sync().unwrap();
            j.acked.push((rec.len(), next));
        }
    }
    let next = log.next_seq();
    log.close().unwrap();
    j.acked.push((rec.len(), next));
    (rec.finish(), j)
}

/// Checks one log image against what the journal promises at cut `k`.
fn check_image(image: &Image, j: &Journal, k: usize) -> Result<(), String> {
    let mut expected = j.attempted.range(image.first().map_or(0, |r| r.0)..);
    for (seq, key, data) in image {
        match expected.next() {
            Some((s, (k2, d2))) if s == seq && k2 == key && d2 == data => {}
            Some((s, _)) if s == seq => {
                return Err(format!("record {seq} is not what was written"))
            }
            Some((s, _)) => return Err(format!("record {s} is missing before {seq}")),
            None => return Err(format!("record {seq} was never written")),
        }
    }
    let must_gone = j.drops.iter().filter(|d| d.1 <= k).map(|d| d.2).max();
    let may_gone = j.drops.iter().filter(|d| d.0 < k).map(|d| d.2).max();
    if let (Some(first), Some(floor)) = (image.first(), must_gone) {
        if first.0 < floor {
            return Err(format!(
                "record {} survived a drop below {floor} that had returned",
                first.0
            ));
        }
    }
    let durable = j.durable_below(k);
    let lowest = may_gone.unwrap_or(0);
    let survived: std::collections::BTreeSet<u64> = image.iter().map(|r| r.0).collect();
    if let Some(lost) = j
        .attempted
        .range(lowest..durable)
        .map(|(s, _)| *s)
        .find(|s| !survived.contains(s))
    {
        return Err(format!(
            "acknowledged record {lost} lost ({} records survived, {}..{durable} were acknowledged)",
            image.len(),
            lowest
        ));
    }
    Ok(())
}

/// Opens the materialized directory and checks it; returns the image.
fn check_dir(dir: &Path, j: &Journal, k: usize) -> Result<Image, String> {
    let top = FsStorage::open(dir.join("top")).map_err(|e| e.to_string())?;
    let storage = top.subdir("log").map_err(|e| e.to_string())?;
    let log = ShardLog::open(storage, j.options_at(k)).map_err(|e| format!("open failed: {e}"))?;
    let image = read_all(&log)?;
    drop(log);
    check_image(&image, j, k)?;
    let side = top.subdir("side").map_err(|e| e.to_string())?;
    let got = read_file(side.as_ref(), "state").map_err(|e| e.to_string())?;
    let done = j.side.iter().rposition(|v| v.1 <= k);
    let allowed: Vec<&[u8]> = j
        .side
        .iter()
        .enumerate()
        .filter(|(i, v)| v.0 < k && done.is_none_or(|d| *i >= d))
        .map(|(_, v)| v.2.as_slice())
        .collect();
    let ok = match &got {
        None => done.is_none(),
        Some(bytes) => allowed.contains(&bytes.as_slice()),
    };
    if !ok {
        let show = got.map(|b| String::from_utf8_lossy(&b[..b.len().min(12)]).into_owned());
        return Err(format!(
            "side file holds {show:?}, newest completed version is {done:?}"
        ));
    }
    if j.gone_synced.is_some_and(|p| p <= k) && dir.join("top/gone").exists() {
        return Err("a directory whose removal was synced came back".into());
    }
    Ok(image)
}

/// Records recovery on a cut state (open, one acknowledged append, close) and cuts it at every
/// point: what the first recovery showed and acknowledged must survive.
fn check_recovery_cuts(dir: &Path, j: &Journal, k: usize, seed: u64) -> Result<usize, String> {
    let rec = Recorder::start(dir);
    let top = FsStorage::open(dir.join("top")).map_err(|e| e.to_string())?;
    let storage = top.subdir("log").map_err(|e| e.to_string())?;
    let log = ShardLog::open(storage, j.options_at(k)).map_err(|e| format!("open failed: {e}"))?;
    let shown = read_all(&log)?;
    let opened = rec.len();
    let (key, data) = record(u64::MAX, 100);
    let seq = log.append(&key, &data).map_err(|e| e.to_string())?;
    log.sync().map_err(|e| e.to_string())?;
    let acked = rec.len();
    drop(log);
    let trace = rec.finish();
    // What the first recovery did not show is gone for good; what it showed, and the new record, are
    // what the second cut may keep.
    let mut j2 = j.clone();
    j2.attempted = shown
        .iter()
        .map(|(s, k, d)| (*s, (k.clone(), d.clone())))
        .collect();
    j2.attempted.insert(seq, (key, data));
    let mut states = 0;
    let mut replay = trace.replay();
    for k2 in 0..=trace.len() {
        replay.advance_to(k2);
        for loss in [Loss::AllLost, Loss::Random(seed ^ k2 as u64)] {
            let out = scratch();
            let listing = replay.materialize(out.path(), loss).unwrap();
            states += 1;
            let image = check_dir(out.path(), &j2, k).map_err(|e| {
                format!("second cut after {k2} of {} recovery events ({loss:?}): {e}\n  state: {listing:?}", trace.len())
            })?;
            let kept = |r: &(u64, Vec<u8>, Vec<u8>)| image.iter().any(|s| s == r);
            if k2 >= opened {
                if let Some(lost) = shown.iter().find(|r| !kept(r)) {
                    return Err(format!(
                        "second cut after {k2} of {} recovery events ({loss:?}): record {} that the recovered log showed is lost\n  state: {listing:?}",
                        trace.len(),
                        lost.0
                    ));
                }
            }
            if k2 >= acked && !image.iter().any(|r| r.0 == seq) {
                return Err(format!(
                    "second cut after {k2} of {} recovery events ({loss:?}): record {seq} acknowledged after recovery is lost",
                    trace.len()
                ));
            }
        }
    }
    Ok(states)
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
fn power_cuts_over_real_files_lose_no_acknowledged_record() {
    let random = env("SHARDLOG_REAL_CUTS", 2);
    let rounds = env("SHARDLOG_REAL_ROUNDS", 1);
    let seed0 = env("SHARDLOG_REAL_SEED", 1);
    let started = Instant::now();
    let (mut states, mut points, mut with_unsynced, mut second) = (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let seed = seed0.wrapping_add(round);
        let root = tempfile::tempdir().unwrap();
        let (trace, j) = workload(root.path(), seed);
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
                states += 1;
                let mut result = check_dir(out.path(), &j, k).map(|_| ());
                // Every 8th cut point: cut the recovery of one of its states again.
                if result.is_ok() && k % 8 == 3 && i == usize::from(!unsynced.is_empty()) {
                    let again = scratch();
                    replay.materialize(again.path(), loss).unwrap();
                    match check_recovery_cuts(again.path(), &j, k, seed ^ k as u64) {
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
        "real files: {rounds} workload(s), {points} cut points ({with_unsynced} with unsynced data or names), \
         {states} cut states + {second} second-cut states of recovery checked in {:.1} s, {} violations",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    if !failures.is_empty() {
        for f in failures.iter().take(3) {
            println!("VIOLATION: {f}");
        }
        panic!(
            "{} of {states} cut states violated the durability promise; first: {}",
            failures.len(),
            failures[0]
        );
    }
}
