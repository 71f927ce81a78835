//! I/O errors injected at every operation of a whole-store workload, once and forever after.
//!
//! The workload (store creation, puts, splits and merges, a stream deletion, retention drops and
//! segment merges, lease checkpoints, a clean close, reopen with recovery, reads) runs once without
//! faults to count its operations and the I/O call sites it passes. A site is a [`Site`]: the line
//! of the engine (or of the segment or checkpoint crate) that called the storage method, with the
//! operation and the kind of file — the trait methods are `#[track_caller]`, so this is exact, not
//! sampled. Then, for every operation `n` and both modes, the workload runs again with operation `n`
//! failing (`Fault::Error`), and:
//!
//! - the first error a call returns names the injected failure, or says that the shard or the file
//!   was poisoned by it (a clear error, never a panic; later errors may be its consequences, such as
//!   a stream whose creation failed being not found);
//! - every record a read returns is byte-identical to a record that was written (never a wrong
//!   read), and every acknowledged record that is read back is the acknowledged one;
//! - after the fault clears, the store reopens with every acknowledged record and every committed
//!   checkpoint, both as the process finds it (a restart) and after a power cut.
//!
//! The test asserts that every site of the fault-free runs was reached by an injected error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog::consumer::{Checkpoint, LeaseKey, LeaseOp, LeaseTable, NewLease};
use shardlog::{PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_checkpoint::Db;
use shardlog_storage::{Fault, SimDisk, Site};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

fn opts(segment_kib: u64) -> StoreOptions {
    StoreOptions {
        segment_bytes: segment_kib * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// What the workload was promised and what it saw.
#[derive(Default)]
struct Log {
    /// (stream, sequence number) -> data of every acknowledged record.
    acked: BTreeMap<(String, SequenceNumber), Vec<u8>>,
    /// Every payload ever sent (acknowledged or not).
    sent: HashSet<Vec<u8>>,
    /// The last committed checkpoint per lease.
    checkpoints: BTreeMap<String, SequenceNumber>,
    /// Every checkpoint attempted per lease: a commit that failed may still have taken effect.
    attempted: BTreeMap<String, BTreeSet<SequenceNumber>>,
    /// Every error a call returned.
    errors: Vec<String>,
    /// Reads that returned bytes nobody wrote, or not the acknowledged bytes.
    wrong_reads: Vec<String>,
}

impl Log {
    fn check<T, E: std::fmt::Display>(&mut self, r: Result<T, E>) -> Option<T> {
        r.map_err(|e| self.errors.push(e.to_string())).ok()
    }
}

fn payload(tag: u64) -> Vec<u8> {
    let len = 200 + (tag * 37 % 1500) as usize;
    (0..len)
        .map(|i| (tag as usize * 131 + i) as u8)
        .chain(tag.to_le_bytes())
        .collect()
}

fn put(store: &Store, stream: &str, tag: &mut u64, log: &mut Log) {
    let key = format!("k{}", *tag % 7);
    let datas: Vec<Vec<u8>> = (0..4)
        .map(|_| {
            *tag += 1;
            payload(*tag)
        })
        .collect();
    log.sent.extend(datas.iter().cloned());
    let entries: Vec<_> = datas.iter().map(|d| PutEntry::new(&key, d)).collect();
    if let Some(out) = log.check(store.put_records(stream, &entries)) {
        for (r, d) in out.records.iter().zip(datas) {
            match r {
                Ok(r) => {
                    log.acked.insert((stream.to_string(), r.sequence_number), d);
                }
                Err(f) => log
                    .errors
                    .push(format!("{}: {}", f.error_code, f.error_message)),
            }
        }
    }
}

/// Reads every shard of every stream and checks what comes back.
fn read_back(store: &Store, log: &mut Log) -> BTreeSet<(String, SequenceNumber)> {
    let mut seen = BTreeSet::new();
    for stream in store.list_streams() {
        let Some(d) = log.check(store.describe_stream(&stream)) else {
            continue;
        };
        for shard in d.shards {
            let it =
                store.get_shard_iterator(&stream, shard.shard_id, StartingPosition::TrimHorizon);
            let Some(it) = log.check(it) else { continue };
            let Some(got) = log.check(store.get_records(&it, 10_000)) else {
                continue;
            };
            for r in got.records {
                let key = (stream.clone(), r.sequence_number);
                match log.acked.get(&key) {
                    Some(d) if *d != r.data => log.wrong_reads.push(format!("{key:?} changed")),
                    None if !log.sent.contains(&r.data[..]) => {
                        log.wrong_reads.push(format!("{key:?}: bytes nobody wrote"));
                    }
                    _ => {}
                }
                seen.insert(key);
            }
        }
    }
    seen
}

fn checkpoint(table: &LeaseTable, stream: &str, log: &mut Log) {
    let Some((_, seq)) = log.acked.keys().rfind(|(s, _)| s == stream).cloned() else {
        return;
    };
    let key = LeaseKey::new("app", stream, &ShardId(seq.shard_index()).to_string());
    let Some(l) = log.check(table.create_if_absent(&key, NewLease::default())) else {
        return;
    };
    let Some(l) = log.check(table.change(&key, l.counter, LeaseOp::steal("w1", 0))) else {
        return;
    };
    let c = Checkpoint::sequence(&seq.to_string(), 0);
    log.attempted
        .entry(key.to_string())
        .or_default()
        .insert(seq);
    if log
        .check(table.change(&key, l.counter, LeaseOp::checkpoint(c)))
        .is_some()
    {
        log.checkpoints.insert(key.to_string(), seq);
    }
}

/// The workload: runs every step, whatever failed before (later steps then see the poisoned or
/// half-done state, which is part of what is tested).
fn workload(disk: &SimDisk) -> Log {
    let mut log = Log::default();
    let mut tag = 0;
    for (phase, segment_kib) in [(0, 16), (1, 64)] {
        let Some(store) = log.check(Store::open_with_storage(
            Arc::new(disk.clone()),
            opts(segment_kib),
        )) else {
            return log;
        };
        let table = log
            .check(Db::open(Arc::new(disk.clone()), "leases.db"))
            .and_then(|db| log.check(LeaseTable::new(Arc::new(db), Default::default())));
        if phase == 0 {
            log.check(store.create_stream("s", 2));
            log.check(store.create_stream("capped", 1));
            log.check(store.set_size_cap("capped", Some(24 * 1024)));
            log.check(store.create_stream("doomed", 1));
        }
        for round in 0..10 {
            put(&store, "s", &mut tag, &mut log);
            put(&store, "capped", &mut tag, &mut log);
            match (phase, round) {
                (0, 3) => {
                    log.check(store.split_shard("s", ShardId(0), 1 << 126));
                }
                (0, 6) => {
                    log.check(store.merge_shards("s", ShardId(2), ShardId(3)));
                }
                (0, 8) => {
                    log.check(store.delete_stream("doomed"));
                }
                (_, 5 | 9) => {
                    log.check(store.enforce_retention());
                }
                _ => {}
            }
            if let (Some(t), 4 | 9) = (&table, round) {
                checkpoint(t, "s", &mut log);
            }
        }
        read_back(&store, &mut log);
        log.check(store.close());
    }
    log
}

/// After the fault cleared: the store and the lease table open with every promise kept.
fn verify_after(disk: &SimDisk, log: &Log) -> Result<(), String> {
    let store = Store::open_with_storage(Arc::new(disk.clone()), opts(64))
        .map_err(|e| format!("store did not reopen: {e}"))?;
    let mut again = Log {
        acked: log.acked.clone(),
        sent: log.sent.clone(),
        ..Log::default()
    };
    let seen = read_back(&store, &mut again);
    if let Some(e) = again.errors.first().or(again.wrong_reads.first()) {
        return Err(format!("after reopening: {e}"));
    }
    let trimmed = |s: &str| s == "capped";
    if let Some(k) = log
        .acked
        .keys()
        .find(|k| !seen.contains(*k) && !trimmed(&k.0))
    {
        return Err(format!("acknowledged record {k:?} lost"));
    }
    let db = Db::open(Arc::new(disk.clone()), "leases.db")
        .map_err(|e| format!("lease table did not reopen: {e}"))?;
    let table = LeaseTable::new(Arc::new(db), Default::default()).map_err(|e| e.to_string())?;
    for lease in table.list("app").map_err(|e| e.to_string())? {
        let name = lease.key.to_string();
        let Some(&committed) = log.checkpoints.get(&name) else {
            continue;
        };
        // The committed checkpoint, or a later attempt whose commit failed after writing.
        let now = match &lease.checkpoint {
            Checkpoint::SequenceNumber {
                sequence_number, ..
            } => sequence_number.parse::<SequenceNumber>().ok(),
            _ => None,
        };
        let known = now.is_some_and(|n| log.attempted.get(&name).is_some_and(|a| a.contains(&n)));
        if !known || now.is_some_and(|n| n < committed) {
            return Err(format!(
                "checkpoint of {} lost: {:?}",
                lease.key, lease.checkpoint
            ));
        }
    }
    Ok(())
}

/// True for an error that says what went wrong: the injected failure, or the poisoning it caused.
fn clear(e: &str) -> bool {
    e.contains("injected I/O error") || e.contains("poisoned")
}

#[test]
fn an_io_error_at_every_operation_is_reported_and_loses_nothing() {
    let baseline = SimDisk::new(1);
    baseline.track_sites();
    let clean = workload(&baseline);
    assert!(
        clean.errors.is_empty(),
        "fault-free run failed: {:?}",
        clean.errors
    );
    assert!(clean.wrong_reads.is_empty());
    assert!(!clean.checkpoints.is_empty());
    let total = baseline.ops();
    let all: BTreeSet<Site> = baseline.sites().into_keys().collect();

    let mut reached = BTreeSet::new();
    let mut absorbed = BTreeSet::new();
    let (mut injected, mut reported) = (0u64, 0u64);
    // Shards open in parallel, so operation numbers shift a little between runs: a site missed by
    // one sweep is looked for again (at most three sweeps).
    for sweep in 0..3 {
        if sweep > 0 && all.is_subset(&reached) {
            break;
        }
        for at_op in 0..total {
            for forever in [false, true] {
                let disk = SimDisk::new(1);
                disk.set_fault(Fault::Error { at_op, forever });
                let log = workload(&disk);
                let Some(site) = disk.fault_site() else {
                    continue; // this run ended before operation `at_op`
                };
                injected += 1;
                reached.insert(site);
                let ctx = format!("error at op {at_op} (forever: {forever}) at {site:?}");
                // The first error names the failure; later ones may be its consequences (a
                // stream whose creation failed is not found).
                if let Some(first) = log.errors.first() {
                    assert!(clear(first), "{ctx}: unclear first error {first:?}");
                    reported += 1;
                } else {
                    absorbed.insert(site);
                }
                assert!(log.wrong_reads.is_empty(), "{ctx}: {:?}", log.wrong_reads);
                disk.clear_fault();
                verify_after(&disk, &log).unwrap_or_else(|e| panic!("{ctx}, restart: {e}"));
                let crashed = disk.crash(at_op);
                verify_after(&crashed, &log).unwrap_or_else(|e| panic!("{ctx}, power cut: {e}"));
            }
        }
    }
    let missed: Vec<_> = all.difference(&reached).collect();
    println!(
        "{injected} injected I/O errors over {total} operations (once and forever); {} of {} I/O \
         call sites reached; {reported} reported to a caller, the others absorbed without loss \
         (retried or not needed: marked *)",
        all.intersection(&reached).count(),
        all.len()
    );
    for s in &all {
        let mark = if absorbed.contains(s) { '*' } else { ' ' };
        println!("  {mark} {:>10} {:<15} {}", s.op, s.file, s.line);
    }
    assert!(
        missed.is_empty(),
        "sites never reached by an injected error: {missed:?}"
    );
}
