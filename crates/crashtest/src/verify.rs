//! What the parent checks after every kill: the store opens; every acknowledged record is present
//! and byte-identical; sequence numbers within a shard strictly increase; every lease is at or past
//! its last committed counter with the owner that commit left; no checkpoint went backwards; every
//! checkpoint names a record the store holds (rule 25: only durable records are checkpointed).

use crate::child::{checkpoint_seq, lease_key, store_options};
use crate::parent::Promises;
use crate::{hash, APP, CAPPED, LEASES};
use shardlog::{SequenceNumber, StartingPosition, Store};
use shardlog_checkpoint::lease::{Checkpoint, LeaseTable};
use shardlog_checkpoint::{Db, FsStorage};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// What the store holds: (stream, shard, counter) -> payload hash, and per shard the oldest counter.
struct Contents {
    records: HashMap<(String, u32, u64), u64>,
    horizon: HashMap<(String, u32), u64>,
}

impl Contents {
    /// True if retention may have removed the record: a capped stream, below the oldest kept one.
    fn trimmed(&self, stream: &str, shard: u32, counter: u64) -> bool {
        stream == CAPPED
            && self
                .horizon
                .get(&(stream.to_string(), shard))
                .is_none_or(|first| counter < *first)
    }
}

/// Checks every promise; returns how many records and lease facts were checked.
pub(crate) fn verify(dir: &Path, promises: &Promises) -> Result<(u64, u64), String> {
    let store =
        Store::open(dir, store_options(16)).map_err(|e| format!("store failed to open: {e}"))?;
    let contents = read_all(&store)?;
    let mut records = 0;
    for (key, h) in &promises.records {
        match contents.records.get(key) {
            Some(got) if got == h => records += 1,
            Some(_) => return Err(format!("acknowledged record {key:?} changed")),
            None if contents.trimmed(&key.0, key.1, key.2) => {}
            None => {
                return Err(format!(
                    "acknowledged record {key:?} lost ({} found in total)",
                    contents.records.len()
                ))
            }
        }
    }
    store.close().map_err(|e| e.to_string())?;
    let leases = verify_leases(dir, promises, &contents)?;
    Ok((records, leases))
}

fn read_all(store: &Store) -> Result<Contents, String> {
    let mut contents = Contents {
        records: HashMap::new(),
        horizon: HashMap::new(),
    };
    for stream in store.list_streams() {
        let d = store.describe_stream(&stream).map_err(|e| e.to_string())?;
        for shard in d.shards {
            let mut last = None;
            let mut it = store
                .get_shard_iterator(&stream, shard.shard_id, StartingPosition::TrimHorizon)
                .map_err(|e| e.to_string())?;
            loop {
                let got = store.get_records(&it, 10_000).map_err(|e| e.to_string())?;
                for r in &got.records {
                    let c = r.sequence_number.counter();
                    if last.is_some_and(|l| c <= l) {
                        return Err(format!(
                            "{stream} {}: sequence numbers not increasing at {c}",
                            shard.shard_id
                        ));
                    }
                    last = Some(c);
                    let shard_key = (stream.clone(), shard.shard_id.0);
                    contents.horizon.entry(shard_key).or_insert(c);
                    contents
                        .records
                        .insert((stream.clone(), shard.shard_id.0, c), hash(&r.data));
                }
                match got.next_shard_iterator {
                    Some(next) if !got.records.is_empty() => it = next,
                    _ => break,
                }
            }
        }
    }
    Ok(contents)
}

/// Opens the lease table as the next worker process would and checks it against the promises.
fn verify_leases(dir: &Path, promises: &Promises, contents: &Contents) -> Result<u64, String> {
    let storage = FsStorage::open(dir).map_err(|e| e.to_string())?;
    let db = Db::open(Arc::new(storage), LEASES)
        .map_err(|e| format!("lease table failed to open: {e}"))?;
    let table = LeaseTable::new(Arc::new(db), Default::default()).map_err(|e| e.to_string())?;
    let mut checked = 0;
    for ((stream, shard), &counter) in &promises.counters {
        let key = lease_key(stream, *shard);
        let lease = table
            .get(&key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("lease {key} with committed changes is gone"))?;
        if lease.counter < counter {
            return Err(format!(
                "lease {key} went back from counter {counter} to {}",
                lease.counter
            ));
        }
        // Counter fencing: each counter value has exactly one owner.
        if let Some(owner) = promises
            .owners
            .get(&(stream.clone(), *shard, lease.counter))
        {
            if lease.owner.as_deref() != Some(owner.as_str()) {
                return Err(format!(
                    "lease {key} at counter {} is held by {:?}, but that commit gave it to {owner}",
                    lease.counter, lease.owner
                ));
            }
        }
        checked += 1;
    }
    for (shard_key, &best) in &promises.checkpoints {
        let key = lease_key(&shard_key.0, shard_key.1);
        let lease = table.get(&key).map_err(|e| e.to_string())?;
        let now = lease.as_ref().and_then(|l| checkpoint_seq(&l.checkpoint));
        if now.is_none_or(|now| now < best) {
            return Err(format!(
                "checkpoint of {key} went back from {best} to {now:?}"
            ));
        }
        checked += 1;
    }
    // Rule 25: whatever a checkpoint names, the store holds (or retention trimmed).
    for lease in table.list(APP).map_err(|e| e.to_string())? {
        let Checkpoint::SequenceNumber {
            sequence_number, ..
        } = &lease.checkpoint
        else {
            continue;
        };
        let seq: SequenceNumber = sequence_number
            .parse()
            .map_err(|e| format!("lease {} checkpoints {sequence_number:?}: {e}", lease.key))?;
        let (stream, shard) = (lease.key.stream.as_str(), seq.shard_index());
        let present = contents
            .records
            .contains_key(&(stream.to_string(), shard, seq.counter()));
        if !present && !contents.trimmed(stream, shard, seq.counter()) {
            return Err(format!(
                "lease {} checkpoints {seq}, which the store does not hold",
                lease.key
            ));
        }
        checked += 1;
    }
    Ok(checked)
}
