//! Power cuts across whole-store workloads on the simulated disk.
//!
//! Each trial runs a seeded random workload against one [`SimDisk`]: `put_records`, splits and
//! merges, retention passes over a size-capped stream (drops and merges of segments), and consumer
//! checkpoints through a lease table in the same directory. The power goes out at a random
//! operation; a quarter of the recoveries are cut again at a random operation of their own; then the
//! store and the lease table must open and keep every promise:
//!
//! - every acknowledged record is present and byte-identical (or, in the capped stream, below the
//!   trim horizon), and sequence numbers within a shard strictly increase;
//! - a new record gets a number above every number ever acknowledged in its shard;
//! - every committed lease change and checkpoint is there (counters and checkpoints never go back),
//!   and every checkpoint names a record the store holds (rule 25).
//!
//! A trial does four rounds of work, cut and recovery on the same disk, so recovered stores are
//! recovered again. `SHARDLOG_ENGINE_CUTS` sets the number of cuts (default 20,000, the CI figure);
//! a failure prints the trial's seed, and `SHARDLOG_ENGINE_CUT_SEED=<seed>` replays it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::consumer::{Checkpoint, LeaseKey, LeaseOp, LeaseTable, NewLease};
use shardlog::{PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_checkpoint::Db;
use shardlog_storage::{Fault, SimDisk, Storage};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const ROUNDS: u64 = 4;
/// Operations of one round's workload are well below this; a cut drawn past the end happens
/// after the workload (a crash of an idle store). (640 per round since a clean close also writes the
/// active segment's index file.)
const MAX_CUT_OP: u64 = 800;
const CAPPED: &str = "capped";
const PLAIN: &str = "plain";

use shardlog_storage::SplitMix64 as Rng;

/// Segments of 16 KiB, or 64 KiB in odd rounds: those find the 16 KiB segments of earlier rounds
/// small and merge them.
fn opts(round: u64) -> StoreOptions {
    StoreOptions {
        segment_bytes: if round % 2 == 1 { 64 * 1024 } else { 16 * 1024 },
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// Every promise made since the disk was new.
#[derive(Default)]
struct Promises {
    /// (stream, shard, counter) -> (sequence number, data).
    records: BTreeMap<(String, u32, u64), (SequenceNumber, Vec<u8>)>,
    /// (stream, shard) -> (lease counter, owner) of the last committed lease change.
    leases: HashMap<(String, u32), (u64, String)>,
    /// (stream, shard) -> the last committed checkpoint.
    checkpoints: HashMap<(String, u32), SequenceNumber>,
}

fn lease_key(stream: &str, shard: u32) -> LeaseKey {
    LeaseKey::new("app", stream, &ShardId(shard).to_string())
}

/// What a round of work completed (to show that cuts land among all kinds of operations).
#[derive(Debug, Default)]
struct Done {
    reshards: u64,
    segments_dropped: u64,
    merges: u64,
}

/// One round of work until the first error (the power cut); records the promises made.
fn work(disk: &SimDisk, round: u64, rng: &mut Rng, p: &mut Promises) -> Done {
    let mut done = Done::default();
    let Ok(store) = Store::open_with_storage(Arc::new(disk.clone()), opts(round)) else {
        return done;
    };
    let Ok(db) = Db::open(Arc::new(disk.clone()), "leases.db") else {
        return done;
    };
    let Ok(table) = LeaseTable::new(Arc::new(db), Default::default()) else {
        return done;
    };
    for (name, shards) in [(PLAIN, 2), (CAPPED, 1)] {
        if !store.list_streams().iter().any(|s| s == name)
            && store.create_stream(name, shards).is_err()
        {
            return done;
        }
    }
    if store.set_size_cap(CAPPED, Some(40 * 1024)).is_err() {
        return done;
    }
    for _ in 0..50 {
        let stream = if rng.below(2) == 0 { PLAIN } else { CAPPED };
        let ok = match rng.below(25) {
            0 => {
                done.reshards += 1;
                reshard(&store, stream, rng)
            }
            1 | 2 => match store.enforce_retention() {
                Ok(r) => {
                    done.segments_dropped += r.segments_dropped as u64;
                    done.merges += r.merges as u64;
                    true
                }
                Err(_) => false,
            },
            3..=5 => checkpoint(&table, stream, rng, p),
            _ => put(&store, stream, rng, p),
        };
        if !ok || disk.is_power_off() {
            return done;
        }
    }
    done
}

/// A batch of 1–8 records under one partition key (one shard, so the trial is replayable).
fn put(store: &Store, stream: &str, rng: &mut Rng, p: &mut Promises) -> bool {
    let key = format!("key-{}", rng.below(50));
    let datas: Vec<Vec<u8>> = (0..rng.below(8) + 1)
        .map(|_| {
            let len = rng.below(1500) as usize + 1;
            let fill = rng.next_u64() as u8;
            (0..len).map(|i| fill.wrapping_add(i as u8)).collect()
        })
        .collect();
    let entries: Vec<_> = datas.iter().map(|d| PutEntry::new(&key, d)).collect();
    let Ok(out) = store.put_records(stream, &entries) else {
        return false;
    };
    for (r, d) in out.records.iter().zip(&datas) {
        if let Ok(r) = r {
            let k = (
                stream.to_string(),
                r.shard_id.0,
                r.sequence_number.counter(),
            );
            p.records.insert(k, (r.sequence_number, d.clone()));
        }
    }
    out.failed_record_count == 0
}

fn reshard(store: &Store, stream: &str, rng: &mut Rng) -> bool {
    let Ok(d) = store.describe_stream(stream) else {
        return false;
    };
    let open: Vec<_> = d
        .shards
        .iter()
        .filter(|s| s.ending_sequence_number.is_none())
        .collect();
    if open.len() < 3 {
        let s = open[rng.below(open.len() as u64) as usize];
        let mid = s.starting_hash_key + (s.ending_hash_key - s.starting_hash_key) / 2;
        store.split_shard(stream, s.shard_id, mid).is_ok()
    } else {
        store.update_shard_count(stream, 2).is_ok()
    }
}

/// A worker (one of two) takes the lease of the shard of an acknowledged record and checkpoints it.
fn checkpoint(table: &LeaseTable, stream: &str, rng: &mut Rng, p: &mut Promises) -> bool {
    let acked: Vec<_> = p.records.iter().filter(|(k, _)| k.0 == stream).collect();
    let Some(((_, shard, _), (seq, _))) = acked.get(rng.below(acked.len() as u64) as usize) else {
        return true;
    };
    let (shard, seq) = (*shard, *seq);
    let key = lease_key(stream, shard);
    let me = if rng.below(2) == 0 { "w1" } else { "w2" };
    let Ok(lease) = table.create_if_absent(&key, NewLease::default()) else {
        return false;
    };
    if lease.owner.as_deref() != Some(me) {
        match table.change(&key, lease.counter, LeaseOp::steal(me, 0)) {
            Ok(l) => {
                p.leases
                    .insert((stream.to_string(), shard), (l.counter, me.into()));
            }
            Err(_) => return false,
        }
    }
    let lease = table.get(&key).ok().flatten();
    let Some(lease) = lease else { return false };
    let past = p
        .checkpoints
        .get(&(stream.to_string(), shard))
        .is_some_and(|c| *c >= seq);
    if past {
        return true;
    }
    match table.change(
        &key,
        lease.counter,
        LeaseOp::checkpoint(Checkpoint::sequence(&seq.to_string(), 0)),
    ) {
        Ok(l) => {
            let k = (stream.to_string(), shard);
            p.leases.insert(k.clone(), (l.counter, me.into()));
            p.checkpoints.insert(k, seq);
            true
        }
        Err(_) => false,
    }
}

/// Opens the store and the lease table after a cut and checks every promise.
fn verify(disk: &SimDisk, p: &Promises) -> Result<(), String> {
    let store = Store::open_with_storage(Arc::new(disk.clone()), opts(0))
        .map_err(|e| format!("store did not open: {e}"))?;
    let mut found: HashMap<(String, u32, u64), Vec<u8>> = HashMap::new();
    let mut horizon: HashMap<(String, u32), u64> = HashMap::new();
    for stream in store.list_streams() {
        let d = store.describe_stream(&stream).map_err(|e| e.to_string())?;
        for shard in &d.shards {
            let it = store
                .get_shard_iterator(&stream, shard.shard_id, StartingPosition::TrimHorizon)
                .map_err(|e| e.to_string())?;
            let got = store.get_records(&it, 10_000).map_err(|e| e.to_string())?;
            let mut last = None;
            for r in got.records {
                let c = r.sequence_number.counter();
                if last.is_some_and(|l| c <= l) {
                    return Err(format!(
                        "{stream} {}: numbers not increasing",
                        shard.shard_id
                    ));
                }
                last = Some(c);
                horizon
                    .entry((stream.clone(), shard.shard_id.0))
                    .or_insert(c);
                found.insert((stream.clone(), shard.shard_id.0, c), r.data.to_vec());
            }
        }
    }
    let trimmed = |k: &(String, u32, u64)| {
        k.0 == CAPPED
            && horizon
                .get(&(k.0.clone(), k.1))
                .is_none_or(|first| k.2 < *first)
    };
    for (k, (_, data)) in &p.records {
        match found.get(k) {
            Some(d) if d == data => {}
            Some(_) => return Err(format!("acknowledged record {k:?} changed")),
            None if trimmed(k) => {}
            None => return Err(format!("acknowledged record {k:?} lost")),
        }
    }
    // New numbers go above every acknowledged one, in every open shard.
    for stream in [PLAIN, CAPPED] {
        let Some(top) = p
            .records
            .keys()
            .filter(|k| k.0 == stream)
            .map(|k| k.2)
            .max()
        else {
            continue;
        };
        let key = format!("probe-{top}");
        let r = store
            .put_record(stream, PutEntry::new(&key, b"probe"))
            .map_err(|e| format!("put after recovery: {e}"))?;
        let highest = p
            .records
            .keys()
            .filter(|k| k.0 == stream && k.1 == r.shard_id.0)
            .map(|k| k.2)
            .max();
        if highest.is_some_and(|h| r.sequence_number.counter() <= h) {
            return Err(format!("{stream}: a sequence number was handed out twice"));
        }
    }
    let db = Db::open(Arc::new(disk.clone()), "leases.db")
        .map_err(|e| format!("lease table did not open: {e}"))?;
    let table = LeaseTable::new(Arc::new(db), Default::default()).map_err(|e| e.to_string())?;
    for ((stream, shard), (counter, owner)) in &p.leases {
        let key = lease_key(stream, *shard);
        let lease = table
            .get(&key)
            .map_err(|e| e.to_string())?
            .ok_or(format!("lease {key} lost"))?;
        if lease.counter < *counter
            || (lease.counter == *counter && lease.owner.as_deref() != Some(owner))
        {
            return Err(format!(
                "lease {key} went back: {lease:?}, committed {counter} {owner}"
            ));
        }
    }
    for lease in table.list("app").map_err(|e| e.to_string())? {
        let k = (lease.key.stream.clone(), lease.key.shard_id.clone());
        let Checkpoint::SequenceNumber {
            sequence_number, ..
        } = &lease.checkpoint
        else {
            continue;
        };
        let seq: SequenceNumber = sequence_number.parse().map_err(|e| format!("{e}"))?;
        let rk = (k.0.clone(), seq.shard_index(), seq.counter());
        if !found.contains_key(&rk) && !trimmed(&rk) {
            return Err(format!(
                "lease {} checkpoints a record the store lacks",
                lease.key
            ));
        }
        let promised = p.checkpoints.get(&(k.0.clone(), seq.shard_index()));
        if promised.is_some_and(|c| seq < *c) {
            return Err(format!("checkpoint of {} went back", lease.key));
        }
    }
    // A checkpoint that was committed must still be there, not only not-behind.
    for ((stream, shard), seq) in &p.checkpoints {
        let lease = table
            .get(&lease_key(stream, *shard))
            .map_err(|e| e.to_string())?;
        let now = lease.and_then(|l| match l.checkpoint {
            Checkpoint::SequenceNumber {
                sequence_number, ..
            } => sequence_number.parse::<SequenceNumber>().ok(),
            _ => None,
        });
        if now.is_none_or(|n| n < *seq) {
            return Err(format!("checkpoint of {stream}/{shard} lost"));
        }
    }
    Ok(())
}

/// Opens the store and the lease table (recovering both) unless an operation fails.
fn recover(disk: &SimDisk) {
    if let Ok(store) = Store::open_with_storage(Arc::new(disk.clone()), opts(0)) {
        drop(store);
        let _ = Db::open(Arc::new(disk.clone()), "leases.db");
    }
}

/// Cuts the power at a random operation of recovery on `disk`; returns the disk that comes back.
fn cut_recovery(disk: SimDisk, rng: &mut Rng) -> SimDisk {
    // A crashed disk has nothing pending: crashing it again gives an identical copy to count on.
    let probe = disk.crash(0);
    recover(&probe);
    disk.set_fault(Fault::PowerCut {
        at_op: rng.below(probe.ops()),
    });
    recover(&disk);
    disk.cut_power();
    disk.crash(rng.next_u64())
}

/// One trial: `ROUNDS` rounds of work, cut, (maybe a second cut during recovery) and verification.
/// Returns the number of power cuts.
fn trial(seed: u64) -> Result<u64, String> {
    let mut rng = Rng(seed);
    let mut disk = SimDisk::new(seed);
    let mut p = Promises::default();
    let mut cuts = 0;
    for round in 0..ROUNDS {
        disk.set_fault(Fault::PowerCut {
            at_op: disk.ops() + rng.below(MAX_CUT_OP),
        });
        work(&disk, round, &mut rng, &mut p);
        disk.cut_power();
        disk = disk.crash(rng.next_u64());
        cuts += 1;
        if rng.below(4) == 0 {
            disk = cut_recovery(disk, &mut rng);
            cuts += 1;
        }
        verify(&disk, &p).map_err(|e| format!("round {round}: {e}"))?;
        // Verification wrote (a probe record, recovery marks): start the next round from a
        // clean power-up of what it left.
        disk.cut_power();
        disk = disk.crash(rng.next_u64());
        cuts += 1;
        verify(&disk, &p).map_err(|e| format!("round {round}, after the probe: {e}"))?;
    }
    Ok(cuts)
}

#[test]
fn whole_store_power_cuts_keep_every_promise() {
    if let Ok(seed) = std::env::var("SHARDLOG_ENGINE_CUT_SEED") {
        let seed: u64 = seed.parse().expect("seed");
        trial(seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        return;
    }
    let wanted: u64 = std::env::var("SHARDLOG_ENGINE_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let total = std::sync::atomic::AtomicU64::new(0);
    let failure = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (total, failure) = (&total, &failure);
            s.spawn(move || {
                let mut i = t;
                while total.load(std::sync::atomic::Ordering::Relaxed) < wanted {
                    let seed = 0xE7 ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D);
                    match trial(seed) {
                        Ok(n) => {
                            total.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => {
                            *failure.lock().unwrap() = Some(format!("seed {seed}: {e}"));
                            total.store(u64::MAX, std::sync::atomic::Ordering::Relaxed);
                            return;
                        }
                    }
                    i += threads;
                }
            });
        }
    });
    if let Some(f) = failure.into_inner().unwrap() {
        panic!("{f}");
    }
    println!(
        "whole store: {} power cuts, 0 violations",
        total.into_inner()
    );
}

#[test]
fn a_cut_lands_inside_every_kind_of_operation() {
    // The workload reaches every kind of operation within the cut range, so random cuts hit them.
    let disk = SimDisk::new(5);
    let mut rng = Rng(5);
    let mut p = Promises::default();
    let mut done = Done::default();
    for round in 0..ROUNDS {
        let d = work(&disk, round, &mut rng, &mut p);
        done.reshards += d.reshards;
        done.segments_dropped += d.segments_dropped;
        done.merges += d.merges;
    }
    let per_round = disk.ops() / ROUNDS;
    println!("{per_round} operations per round; {done:?}");
    assert!(per_round <= MAX_CUT_OP, "{per_round} operations per round");
    assert!(done.reshards > 0 && done.segments_dropped > 0 && done.merges > 0);
    assert!(!p.records.is_empty() && !p.checkpoints.is_empty());
    assert!(disk.list().unwrap().iter().any(|n| n == "leases.db"));
}
