//! Power cuts on the simulated disk over appends, group commit, segment rolls and recovery itself.
//!
//! Oracle, after every cut: every acknowledged record is present and byte-identical; the records that
//! survive are exactly a prefix of everything that was attempted (so nothing after an ack is missing
//! and nothing unacknowledged survives out of order); a second recovery gives the same log; new
//! appends never reuse a number that anyone could have seen.
//!
//! `SHARDLOG_POWER_CUTS` sets the number of trials (default 100,000, the CI figure); a failure prints
//! the seed, and `SHARDLOG_POWER_CUT_SEED=<seed>` replays just that trial.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Durability, LogOptions, ShardLog};
use shardlog_storage::{Fault, SimDisk};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use shardlog_storage::SplitMix64 as Rng;

mod common;
use common::{read_all, record, Image};

fn opts(durability: Durability) -> LogOptions {
    LogOptions {
        log_id: 3,
        segment_bytes: 16 * 1024,
        durability,
        ..LogOptions::default()
    }
}

/// What the workload did before the power went out.
#[derive(Default)]
struct Journal {
    /// Every record handed to `append_batch`, by the number it was (or would have been) given.
    attempted: BTreeMap<u64, (Vec<u8>, Vec<u8>)>,
    /// Highest acknowledged number + 1 that is guaranteed durable.
    guaranteed: u64,
    /// One past every number that may have been visible.
    seen: u64,
}

/// Runs a single-writer workload until the armed power cut stops it (or it ends).
fn workload(disk: &SimDisk, rng: &mut Rng, durability: Durability, journal: &mut Journal) {
    let Ok(mut log) = ShardLog::open(Arc::new(disk.clone()), opts(durability)) else {
        return;
    };
    for _ in 0..rng.below(40) + 5 {
        match rng.below(20) {
            0 => {
                if log.sync().is_ok() {
                    journal.guaranteed = log.next_seq();
                }
            }
            1 => {
                let next = log.next_seq();
                if log.close().is_err() {
                    return;
                }
                journal.guaranteed = next;
                let Ok(reopened) = ShardLog::open(Arc::new(disk.clone()), opts(durability)) else {
                    return;
                };
                log = reopened;
            }
            _ => {
                let n = rng.below(12) + 1;
                let first = log.next_seq();
                let batch: Vec<_> = (0..n).map(|i| record(first + i, rng.below(900))).collect();
                for (i, r) in batch.iter().enumerate() {
                    journal.attempted.insert(first + i as u64, r.clone());
                }
                match log.append_batch(&batch) {
                    Ok(range) => {
                        journal.seen = journal.seen.max(range.end);
                        assert_eq!(range, first..first + n, "numbers are assigned in order");
                        if durability == Durability::Sync {
                            journal.guaranteed = range.end;
                        }
                    }
                    Err(_) => return,
                }
            }
        }
    }
    disk.cut_power(); // the power goes out: dropping the log now cannot close it cleanly
    drop(log);
}

fn check(image: &Image, journal: &Journal) -> Result<(), String> {
    let attempted: Vec<_> = journal.attempted.iter().collect();
    if image.len() > attempted.len() {
        return Err(format!(
            "{} records survived but only {} were attempted",
            image.len(),
            attempted.len()
        ));
    }
    for ((seq, key, data), (aseq, (akey, adata))) in image.iter().zip(&attempted) {
        if seq != *aseq || key != akey || data != adata {
            return Err(format!(
                "record {seq} differs from attempt {aseq} (or a record before it is missing)"
            ));
        }
    }
    let survived_to = image.last().map_or(0, |r| r.0 + 1);
    let must = attempted
        .iter()
        .filter(|(s, _)| **s < journal.guaranteed)
        .count();
    if image.len() < must {
        return Err(format!(
            "acknowledged records lost: {} survived, {must} were durable (up to seq {}), last survivor {survived_to}",
            image.len(),
            journal.guaranteed
        ));
    }
    Ok(())
}

/// Opens after a crash, optionally cutting the power again during recovery, then verifies.
fn recover_and_verify(
    mut disk: SimDisk,
    rng: &mut Rng,
    durability: Durability,
    journal: &Journal,
) -> Result<(), String> {
    if rng.below(4) == 0 {
        disk.set_fault(Fault::PowerCut {
            at_op: rng.below(60),
        });
        let attempt = ShardLog::open(Arc::new(disk.clone()), opts(durability));
        disk.cut_power();
        drop(attempt);
        disk = disk.crash(rng.next_u64());
    }
    let log = ShardLog::open(Arc::new(disk.clone()), opts(durability))
        .map_err(|e| format!("recovery failed: {e}"))?;
    let image = read_all(&log)?;
    check(&image, journal)?;
    let seq = log.append(b"after", b"crash").map_err(|e| e.to_string())?;
    let floor = if durability == Durability::Sync {
        journal.guaranteed
    } else {
        journal.seen
    };
    if seq < floor || image.last().is_some_and(|r| seq <= r.0) {
        return Err(format!("number {seq} reused (floor {floor})"));
    }
    log.close().map_err(|e| e.to_string())?;
    let again = ShardLog::open(Arc::new(disk), opts(durability)).map_err(|e| e.to_string())?;
    let mut second = read_all(&again)?;
    if second.pop().map(|r| r.0) != Some(seq) || second != image {
        return Err("recovering twice gave a different log".into());
    }
    Ok(())
}

fn single_writer_trial(seed: u64) -> Result<(), String> {
    let mut rng = Rng(seed);
    let durability = match rng.below(4) {
        0 => Durability::None,
        1 => Durability::Interval(std::time::Duration::from_secs(3600)),
        _ => Durability::Sync,
    };
    let disk = SimDisk::new(seed);
    disk.set_fault(Fault::PowerCut {
        at_op: rng.below(700),
    });
    let mut journal = Journal::default();
    workload(&disk, &mut rng, durability, &mut journal);
    recover_and_verify(disk.crash(rng.next_u64()), &mut rng, durability, &journal)
}

/// Several threads append under `Sync` (group commit) until the power goes out.
fn group_commit_trial(seed: u64) -> Result<(), String> {
    let mut rng = Rng(seed);
    let disk = SimDisk::new(seed);
    let log = Arc::new(
        ShardLog::open(Arc::new(disk.clone()), opts(Durability::Sync))
            .map_err(|e| e.to_string())?,
    );
    disk.set_fault(Fault::PowerCut {
        at_op: disk.ops() + rng.below(300),
    });
    let acked = Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let counter = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for _ in 0..3 {
            let (log, acked, counter) = (log.clone(), acked.clone(), counter.clone());
            s.spawn(move || loop {
                let tag = counter.fetch_add(1, Ordering::Relaxed);
                let rec = record(tag, tag % 700);
                match log.append_batch(std::slice::from_ref(&rec)) {
                    Ok(r) => {
                        acked.lock().unwrap().insert(r.start, rec);
                    }
                    Err(_) => return,
                }
            });
        }
    });
    disk.cut_power();
    drop(log);
    let disk = disk.crash(rng.next_u64());
    let log = ShardLog::open(Arc::new(disk), opts(Durability::Sync))
        .map_err(|e| format!("recovery failed: {e}"))?;
    let image = read_all(&log)?;
    for (i, (seq, key, data)) in image.iter().enumerate() {
        if *seq != i as u64 {
            return Err(format!("hole before {seq}"));
        }
        let tag: u64 = std::str::from_utf8(&key[1..])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or("bad key")?;
        if (key.clone(), data.clone()) != record(tag, tag % 700) {
            return Err(format!("record {seq} is damaged"));
        }
    }
    for (seq, rec) in acked.lock().unwrap().iter() {
        match image.get(*seq as usize) {
            Some((_, k, d)) if (k, d) == (&rec.0, &rec.1) => {}
            _ => return Err(format!("acknowledged record {seq} lost")),
        }
    }
    Ok(())
}

fn run_trials(name: &str, count: u64, salt: u64, trial: fn(u64) -> Result<(), String>) {
    if let Ok(seed) = std::env::var("SHARDLOG_POWER_CUT_SEED") {
        let seed: u64 = seed.parse().expect("seed");
        trial(seed).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        return;
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..threads {
            let failures = &failures;
            s.spawn(move || {
                for i in (t..count).step_by(threads as usize) {
                    let seed = salt ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D);
                    if let Err(e) = trial(seed) {
                        failures.lock().unwrap().push(format!("seed {seed}: {e}"));
                        return;
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{name}: {failures:?}");
    println!("{name}: {count} power cuts, 0 violations");
}

fn trials(default: u64) -> u64 {
    std::env::var("SHARDLOG_POWER_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn power_cuts_single_writer() {
    run_trials(
        "single writer",
        trials(100_000) * 4 / 5,
        1,
        single_writer_trial,
    );
}

#[test]
fn power_cuts_group_commit() {
    run_trials("group commit", trials(100_000) / 5, 2, group_commit_trial);
}
