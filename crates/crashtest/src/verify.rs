//! What the parent checks after every kill, in every durability mode (under SIGKILL they all promise
//! the same: the page cache survives, so nothing acknowledged is lost): the store opens; every
//! acknowledged record is present and byte-identical (only the capped stream may have lost a prefix
//! to retention), and so is every record an earlier verification read; sequence numbers within a
//! shard strictly increase; no number is reused: a record read has either the number it was
//! acknowledged or read under before, or a new number above every number handed out before the
//! cycle; every lease is at or past its last committed counter with the owner that commit left; no
//! checkpoint went backwards; every checkpoint names a record the store holds (rule 25: only
//! durable records are checkpointed).

use crate::child::{checkpoint_seq, lease_key, Plan};
use crate::promises::{Key, Promises, ShardKey};
use crate::{hash, APP, CAPPED, LEASES};
use shardlog::consumer::{Checkpoint, LeaseTable};
use shardlog::{SequenceNumber, StartingPosition, Store, StoreOptions};
use shardlog_checkpoint::Db;
use shardlog_storage::FsStorage;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// What the store holds: (stream, shard, counter) -> payload hash, and per shard the oldest counter
/// and the highest segment id.
struct Contents {
    records: HashMap<Key, u64>,
    horizon: HashMap<ShardKey, u64>,
    segments: HashMap<ShardKey, (u64, u64)>,
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

/// What one verification checked.
pub(crate) struct Verified {
    /// Acknowledged records found intact.
    pub records: u64,
    /// Lease facts checked.
    pub leases: u64,
    /// Records whose sequence number was checked against every number handed out before.
    pub numbers: u64,
    /// Records found that no child acknowledged: from now on they are promises too.
    pub unacked_kept: u64,
    /// Segment files started since the last verification.
    pub segments_started: u64,
}

/// Opens the store as the next child would (in the durability mode of the child that was just
/// killed) and checks every promise; records what it read as promises for the next cycles.
pub(crate) fn verify(dir: &Path, promises: &mut Promises, plan: &Plan) -> Result<Verified, String> {
    let opts = StoreOptions {
        durability: plan.durability,
        segment_bytes: 16 * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir, opts).map_err(|e| format!("store failed to open: {e}"))?;
    let contents = read_all(&store)?;
    store.close().map_err(|e| e.to_string())?;
    let mut done = Verified {
        records: 0,
        leases: 0,
        numbers: 0,
        unacked_kept: 0,
        segments_started: 0,
    };
    // Every number read was either handed out before for this very record, or is new and above
    // every number handed out before this cycle (acknowledged by an earlier child or read by an
    // earlier verification): no number anyone could have seen is used twice.
    let mut new = Vec::new();
    for (key, h) in &contents.records {
        let known = promises.records.get(key).or_else(|| promises.read.get(key));
        match known {
            Some(k) if k == h => {}
            Some(_) if promises.records.contains_key(key) => {
                return Err(format!("acknowledged record {key:?} changed"))
            }
            Some(_) => {
                return Err(format!(
                "sequence number {key:?} reused: an earlier restart read another record under it"
            ))
            }
            None => {
                let floor = promises.floor.get(&(key.0.clone(), key.1));
                if let Some(floor) = floor.filter(|f| key.2 <= **f) {
                    return Err(format!(
                        "record {key:?} is new (neither acknowledged nor read before) but its number \
                         is not above {floor}, the highest handed out before this cycle"
                    ));
                }
                new.push((key.clone(), *h));
            }
        }
        done.numbers += 1;
    }
    for (key, h) in &promises.records {
        match contents.records.get(key) {
            Some(got) if got == h => done.records += 1,
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
    for key in promises.read.keys() {
        if !contents.records.contains_key(key) && !contents.trimmed(&key.0, key.1, key.2) {
            return Err(format!(
                "record {key:?}, read after an earlier restart (so durable since), lost"
            ));
        }
    }
    done.unacked_kept = new.len() as u64;
    promises.read.extend(new);
    for key in promises.records.keys().chain(contents.records.keys()) {
        let floor = promises.floor.entry((key.0.clone(), key.1)).or_default();
        *floor = (*floor).max(key.2);
    }
    for (shard, &(first, last)) in &contents.segments {
        let before = promises.segment_tips.insert(shard.clone(), last);
        done.segments_started += last + 1 - before.map_or(first, |b| b + 1).min(last + 1);
    }
    done.leases = verify_leases(dir, promises, &contents)?;
    Ok(done)
}

fn read_all(store: &Store) -> Result<Contents, String> {
    let mut contents = Contents {
        records: HashMap::new(),
        horizon: HashMap::new(),
        segments: HashMap::new(),
    };
    for stream in store.list_streams() {
        let d = store.describe_stream(&stream).map_err(|e| e.to_string())?;
        for shard in d.shards {
            let shard_key = (stream.clone(), shard.shard_id.0);
            let ids: Vec<u64> = store
                .segments_of(&stream, shard.shard_id)
                .map_err(|e| e.to_string())?
                .iter()
                .map(|s| s.id)
                .collect();
            if let (Some(&first), Some(&last)) = (ids.iter().min(), ids.iter().max()) {
                contents.segments.insert(shard_key.clone(), (first, last));
            }
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
                    contents.horizon.entry(shard_key.clone()).or_insert(c);
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
    for (shard_key, best) in promises.best_checkpoints() {
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
