//! The child: works on the store until it is killed, printing each promise after it was made.

use crate::{hash, Rng, APP, CAPPED, LEASES, STREAMS};
use shardlog::{PutEntry, SequenceNumber, ShardId, Store, StoreOptions};
use shardlog_checkpoint::lease::{Checkpoint, Lease, LeaseKey, LeaseTable, NewLease};
use shardlog_checkpoint::{Db, Error as CkError, FsStorage};
use std::collections::HashMap;
use std::io::{StdoutLock, Write};
use std::path::Path;
use std::sync::Arc;

/// The two simulated consumer workers.
pub(crate) const WORKERS: [&str; 2] = ["worker-1", "worker-2"];

/// The size cap of [`CAPPED`]: small, so that retention passes drop segments often.
const CAP_BYTES: u64 = 96 * 1024;

/// Segments of 16 KiB (many rolls, drops and merges in a short life), or 64 KiB in half the children: those find the smaller segments of earlier
/// children "small" and merge them in their retention passes.
pub(crate) fn store_options(segment_kib: u64) -> StoreOptions {
    StoreOptions {
        segment_bytes: segment_kib * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// The lease of a stream's shard.
pub(crate) fn lease_key(stream: &str, shard: u32) -> LeaseKey {
    LeaseKey::new(APP, stream, &ShardId(shard).to_string())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Child<'a> {
    store: Store,
    leases: LeaseTable,
    out: StdoutLock<'a>,
    rng: Rng,
    /// The lease counter each worker last saw, per lease: sometimes stale, so fencing is exercised.
    seen: [HashMap<LeaseKey, u64>; 2],
}

/// Opens the store and the lease table in `dir` and works until killed.
pub(crate) fn run(dir: &Path, seed: u64) -> Result<(), String> {
    let segment_kib = if seed % 2 == 0 { 64 } else { 16 };
    let store = Store::open(dir, store_options(segment_kib)).map_err(|e| e.to_string())?;
    let storage = FsStorage::open(dir).map_err(|e| e.to_string())?;
    let db = Db::open(Arc::new(storage), LEASES).map_err(|e| e.to_string())?;
    let leases = LeaseTable::new(Arc::new(db), Default::default()).map_err(|e| e.to_string())?;
    for (i, name) in STREAMS.iter().enumerate() {
        if !store.list_streams().iter().any(|s| s == name) {
            store
                .create_stream(name, 1 + (i as u32).min(1))
                .map_err(|e| e.to_string())?;
        }
    }
    store
        .set_size_cap(CAPPED, Some(CAP_BYTES))
        .map_err(|e| e.to_string())?;
    let mut child = Child {
        store,
        leases,
        out: std::io::stdout().lock(),
        rng: Rng(seed),
        seen: Default::default(),
    };
    child.say(format_args!("R"))?;
    for round in 0u64.. {
        let stream = STREAMS[child.rng.below(3) as usize];
        match child.rng.below(100) {
            0..=1 => child.reshard(stream),
            2..=11 => {
                let _ = child.store.enforce_retention();
            }
            _ => {
                let acked = child.put(stream, seed, round)?;
                if let Some(&(shard, seq)) = acked.get(child.rng.below(8) as usize) {
                    let worker = child.rng.below(2) as usize;
                    child.consume(worker, stream, shard, seq)?;
                }
            }
        }
    }
    Ok(())
}

impl Child<'_> {
    fn say(&mut self, line: std::fmt::Arguments<'_>) -> Result<(), String> {
        writeln!(self.out, "{line}").map_err(|e| e.to_string())?;
        self.out.flush().map_err(|e| e.to_string())
    }

    /// Puts a batch of 1–40 records; prints and returns the acknowledged ones.
    fn put(
        &mut self,
        stream: &str,
        seed: u64,
        round: u64,
    ) -> Result<Vec<(u32, SequenceNumber)>, String> {
        let n = self.rng.below(40) + 1;
        let datas: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                format!("{stream}:{seed}:{round}:{i}:")
                    .repeat(self.rng.below(30) as usize + 1)
                    .into_bytes()
            })
            .collect();
        let keys: Vec<String> = (0..n)
            .map(|i| format!("user-{}", (round * 7 + i) % 97))
            .collect();
        let entries: Vec<_> = keys
            .iter()
            .zip(&datas)
            .map(|(k, d)| PutEntry::new(k, d))
            .collect();
        let result = self
            .store
            .put_records(stream, &entries)
            .map_err(|e| e.to_string())?;
        let mut acked = Vec::new();
        for (r, d) in result.records.iter().zip(&datas) {
            if let Ok(r) = r {
                let (shard, seq) = (r.shard_id.0, r.sequence_number);
                writeln!(self.out, "A {stream} {shard} {} {}", seq.counter(), hash(d))
                    .map_err(|e| e.to_string())?;
                acked.push((shard, seq));
            }
        }
        self.out.flush().map_err(|e| e.to_string())?;
        Ok(acked)
    }

    /// A split of a random open shard at its midpoint, or a merge of two adjacent open shards.
    fn reshard(&mut self, stream: &str) {
        let Ok(d) = self.store.describe_stream(stream) else {
            return;
        };
        let mut open: Vec<_> = d
            .shards
            .iter()
            .filter(|s| s.ending_sequence_number.is_none())
            .collect();
        open.sort_by_key(|s| s.starting_hash_key);
        if open.len() < 3 && self.rng.below(2) == 0 {
            let s = open[self.rng.below(open.len() as u64) as usize];
            let mid = s.starting_hash_key + (s.ending_hash_key - s.starting_hash_key) / 2;
            let _ = self.store.split_shard(stream, s.shard_id, mid);
        } else if open.len() > 1 {
            let i = self.rng.below(open.len() as u64 - 1) as usize;
            let _ = self
                .store
                .merge_shards(stream, open[i].shard_id, open[i + 1].shard_id);
        }
    }

    /// Worker `w` consumed the acknowledged record `seq` of `shard`: it takes the shard's lease
    /// (stealing it from the other worker if need be) and checkpoints `seq` unless the checkpoint is
    /// already past it. Lease conflicts (a stale counter) are part of the game, not errors.
    fn consume(
        &mut self,
        w: usize,
        stream: &str,
        shard: u32,
        seq: SequenceNumber,
    ) -> Result<(), String> {
        let key = lease_key(stream, shard);
        let me = WORKERS[w];
        let current = self
            .leases
            .create_if_absent(&key, NewLease::default())
            .map_err(|e| e.to_string())?;
        // One time in four the worker acts on the counter it saw last, which may be stale.
        let expected = match self.seen[w].get(&key) {
            Some(&c) if self.rng.below(4) == 0 => c,
            _ => current.counter,
        };
        let mut lease = current;
        if lease.owner.as_deref() != Some(me) {
            let taken = match self.leases.take(&key, expected, me, now_ms()) {
                Err(CkError::LeaseHeld { .. }) => self.leases.steal(&key, expected, me, now_ms()),
                other => other,
            };
            match self.settle(w, &key, taken)? {
                Some(l) => lease = l,
                None => return Ok(()),
            }
            self.say(format_args!("L {stream} {shard} {} {me}", lease.counter))?;
        }
        if checkpoint_seq(&lease.checkpoint).is_some_and(|c| c >= seq.as_u128()) {
            return Ok(());
        }
        let done = self.leases.checkpoint(
            &key,
            lease.counter,
            Checkpoint::sequence(&seq.to_string(), 0),
        );
        if let Some(l) = self.settle(w, &key, done)? {
            self.say(format_args!("C {stream} {shard} {} {me} {seq}", l.counter))?;
        }
        Ok(())
    }

    /// Remembers the counter a lease call returned; a fencing conflict is `None`, anything else an
    /// error that ends the child.
    fn settle(
        &mut self,
        w: usize,
        key: &LeaseKey,
        result: Result<Lease, CkError>,
    ) -> Result<Option<Lease>, String> {
        match result {
            Ok(l) => {
                self.seen[w].insert(key.clone(), l.counter);
                Ok(Some(l))
            }
            Err(CkError::LeaseConflict { found, .. }) => {
                self.seen[w].insert(key.clone(), found);
                Ok(None)
            }
            Err(e) => Err(format!("lease {key}: {e}")),
        }
    }
}

/// The sequence number a checkpoint names, if it names one.
pub(crate) fn checkpoint_seq(c: &Checkpoint) -> Option<u128> {
    match c {
        Checkpoint::SequenceNumber {
            sequence_number, ..
        } => sequence_number.parse().ok(),
        _ => None,
    }
}
