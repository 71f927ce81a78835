//! Delivery state: its durable layout in the checkpoint file and its copy in memory.
//!
//! Namespace `queue` (schema 1) of the store's checkpoint file (`docs/format.md`, "Queue delivery
//! state"). Keys are `queue ‖ 00 ‖ tag ‖ incarnation u64 BE ‖ shard u64 BE [‖ counter u64 BE]`
//! (numbers big-endian so that keys sort by them):
//!
//! | tag | key suffix | value (little-endian) |
//! | --- | --- | --- |
//! | `C` | incarnation, shard | `01 ‖ cursor u64`: the first record never delivered |
//! | `I` | incarnation, shard, counter | `01 ‖ deadline_ms u64 ‖ receives u32 ‖ delivery u32 ‖ first_receive_ms u64` |
//! | `D` | incarnation, shard, counter | the same, for a dead-letter record |
//!
//! A record of the shard below its cursor with neither an `I` nor a `D` entry is acknowledged, so
//! the state holds only what is in flight or dead: the low-water mark below which everything is
//! acknowledged is the smallest of the cursor and the oldest entry, never stored on its own.

use crate::error::{Error, Result};
use crate::state::keys::{u64_from_ordered, u64_ordered};
use crate::state::Namespace;
use std::collections::BTreeMap;

/// The namespace's name and schema version.
pub(crate) const KIND: &str = "queue";
pub(crate) const SCHEMA_VERSION: u8 = 1;
pub(crate) const TAG_CURSOR: u8 = b'C';
pub(crate) const TAG_IN_FLIGHT: u8 = b'I';
pub(crate) const TAG_DEAD: u8 = b'D';
const VALUE_VERSION: u8 = 1;
const ENTRY_LEN: usize = 1 + 8 + 4 + 4 + 8;
const CURSOR_LEN: usize = 1 + 8;

/// One record's delivery: in flight (or visible again once its deadline passed), or dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Invisible until this time (ms since the epoch); visible once it passed.
    pub deadline_ms: u64,
    /// Receives since it entered the queue or was last restored.
    pub receives: u32,
    /// Bumped by every receive and never reset: a receipt handle names one delivery.
    pub delivery: u32,
    /// The first receive, ms since the epoch.
    pub first_receive_ms: u64,
}

impl Entry {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(ENTRY_LEN);
        v.push(VALUE_VERSION);
        v.extend_from_slice(&self.deadline_ms.to_le_bytes());
        v.extend_from_slice(&self.receives.to_le_bytes());
        v.extend_from_slice(&self.delivery.to_le_bytes());
        v.extend_from_slice(&self.first_receive_ms.to_le_bytes());
        v
    }

    pub fn decode(v: &[u8]) -> Option<Entry> {
        if v.len() != ENTRY_LEN || v.first() != Some(&VALUE_VERSION) {
            return None;
        }
        Some(Entry {
            deadline_ms: u64::from_le_bytes(v.get(1..9)?.try_into().ok()?),
            receives: u32::from_le_bytes(v.get(9..13)?.try_into().ok()?),
            delivery: u32::from_le_bytes(v.get(13..17)?.try_into().ok()?),
            first_receive_ms: u64::from_le_bytes(v.get(17..25)?.try_into().ok()?),
        })
    }
}

/// One shard's delivery state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ShardDelivery {
    /// The first record never delivered.
    pub cursor: u64,
    /// Records received and not acknowledged, by counter.
    pub in_flight: BTreeMap<u64, Entry>,
    /// Dead-letter records, by counter.
    pub dead: BTreeMap<u64, Entry>,
}

/// A change to the durable state, applied in order by the group committer.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    /// Every key starting with this prefix.
    DeletePrefix(Vec<u8>),
}

/// The incarnations that have any state in `ns`.
pub(crate) fn incarnations(ns: &Namespace) -> Result<std::collections::BTreeSet<u32>> {
    let snap = ns.db().read()?;
    let mut out = std::collections::BTreeSet::new();
    for tag in [TAG_CURSOR, TAG_IN_FLIGHT, TAG_DEAD] {
        let prefix = ns.prefix(tag);
        let end = range_end(&prefix);
        for entry in snap.range(prefix.clone()..end) {
            let (key, _) = entry?;
            let incarnation = key
                .get(prefix.len()..prefix.len() + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64_from_ordered)
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(|| bad_state(&key))?;
            out.insert(incarnation);
        }
    }
    Ok(out)
}

/// Key builder for one queue incarnation.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub ns: Namespace,
    pub incarnation: u32,
}

impl Keys {
    fn base(&self, tag: u8) -> Vec<u8> {
        let mut k = self.ns.prefix(tag);
        k.extend_from_slice(&u64_ordered(u64::from(self.incarnation)));
        k
    }

    pub fn cursor(&self, shard: u32) -> Vec<u8> {
        let mut k = self.base(TAG_CURSOR);
        k.extend_from_slice(&u64_ordered(u64::from(shard)));
        k
    }

    pub fn entry(&self, dead: bool, shard: u32, counter: u64) -> Vec<u8> {
        let mut k = self.base(if dead { TAG_DEAD } else { TAG_IN_FLIGHT });
        k.extend_from_slice(&u64_ordered(u64::from(shard)));
        k.extend_from_slice(&u64_ordered(counter));
        k
    }

    /// Every key of the queue incarnation, one prefix per tag.
    pub fn all(&self) -> [Vec<u8>; 3] {
        [TAG_CURSOR, TAG_IN_FLIGHT, TAG_DEAD].map(|t| self.base(t))
    }

    pub fn put_cursor(&self, shard: u32, cursor: u64) -> Op {
        let mut v = Vec::with_capacity(CURSOR_LEN);
        v.push(VALUE_VERSION);
        v.extend_from_slice(&cursor.to_le_bytes());
        Op::Put(self.cursor(shard), v)
    }

    /// Reads the incarnation's state from the checkpoint file.
    pub fn load(&self) -> Result<BTreeMap<u32, ShardDelivery>> {
        let snap = self.ns.db().read()?;
        let mut out: BTreeMap<u32, ShardDelivery> = BTreeMap::new();
        for (tag, prefix) in [TAG_CURSOR, TAG_IN_FLIGHT, TAG_DEAD]
            .into_iter()
            .zip(self.all())
        {
            for item in snap.range(prefix.clone()..range_end(&prefix)) {
                let (k, v) = item?;
                let bad = || bad_state(&k);
                let rest = k.get(prefix.len()..).ok_or_else(bad)?;
                let shard_part: [u8; 8] = rest
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(bad)?;
                let shard = u32::try_from(u64_from_ordered(shard_part)).map_err(|_| bad())?;
                let s = out.entry(shard).or_default();
                if tag == TAG_CURSOR {
                    if v.len() != CURSOR_LEN || v.first() != Some(&VALUE_VERSION) || rest.len() != 8
                    {
                        return Err(bad());
                    }
                    let c = v
                        .get(1..9)
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(bad)?;
                    s.cursor = u64::from_le_bytes(c);
                    continue;
                }
                let c: [u8; 8] = rest
                    .get(8..16)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(bad)?;
                let entry = Entry::decode(&v).ok_or_else(bad)?;
                let map = if tag == TAG_DEAD {
                    &mut s.dead
                } else {
                    &mut s.in_flight
                };
                map.insert(u64_from_ordered(c), entry);
            }
        }
        Ok(out)
    }
}

/// The first key past every key that starts with `prefix` (a prefix of fixed-width numbers may end
/// in `FF`, so the last byte is carried like a number's, not just bumped).
pub(crate) fn range_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    // Only `FF`s: nothing sorts after the prefix but its own extensions; no key is this long.
    vec![u8::MAX; prefix.len() + crate::state::keys::u64_ordered(0).len() * 4]
}

fn bad_state(key: &[u8]) -> Error {
    Error::BadLease {
        key: format!("queue state {key:?}"),
        reason: "a queue delivery record does not decode".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_refuse_damage() {
        let e = Entry {
            deadline_ms: 1_700_000_000_123,
            receives: 6,
            delivery: 9,
            first_receive_ms: 1_700_000_000_000,
        };
        let v = e.encode();
        assert_eq!(v.len(), ENTRY_LEN);
        assert_eq!(Entry::decode(&v), Some(e));
        assert_eq!(Entry::decode(&v[..ENTRY_LEN - 1]), None);
        let mut other = v.clone();
        other[0] = 2;
        assert_eq!(Entry::decode(&other), None);
    }

    #[test]
    fn a_prefix_ending_in_ff_still_bounds_its_keys() {
        assert_eq!(range_end(b"q\x00\xff"), b"q\x01");
        assert_eq!(range_end(b"q\x05"), b"q\x06");
        let p = b"q\x00\xff".to_vec();
        let mut k = p.clone();
        k.extend_from_slice(&[0xff; 16]);
        assert!(p <= k && k < range_end(&p));
    }
}

#[cfg(test)]
mod db_tests {
    use super::*;
    use shardlog_checkpoint::Db;
    use shardlog_storage::SimDisk;
    use std::sync::Arc;

    #[test]
    fn removed_entries_stay_removed_after_reopen() -> Result<()> {
        let disk = SimDisk::new(1);
        let e = Entry {
            deadline_ms: 5,
            receives: 1,
            delivery: 1,
            first_receive_ms: 1,
        };
        {
            let db = Arc::new(Db::open(Arc::new(disk.clone()), "s.db")?);
            let keys = Keys {
                ns: Namespace::open(db.clone(), KIND, SCHEMA_VERSION)?,
                incarnation: 2,
            };
            let mut tx = db.write()?;
            for shard in 0..2 {
                for c in 0..4 {
                    tx.insert(&keys.entry(false, shard, c), &e.encode())?;
                }
            }
            tx.commit()?;
            let mut tx = db.write()?;
            tx.remove(&keys.entry(false, 0, 0))?;
            tx.remove(&keys.entry(false, 1, 0))?;
            tx.commit()?;
            let loaded = keys.load()?;
            assert_eq!(
                loaded[&0].in_flight.keys().copied().collect::<Vec<_>>(),
                [1, 2, 3]
            );
        }
        let db = Arc::new(Db::open(Arc::new(disk), "s.db")?);
        let keys = Keys {
            ns: Namespace::open(db, KIND, SCHEMA_VERSION)?,
            incarnation: 2,
        };
        let loaded = keys.load()?;
        assert_eq!(
            loaded[&0].in_flight.keys().copied().collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(
            loaded[&1].in_flight.keys().copied().collect::<Vec<_>>(),
            [1, 2, 3]
        );
        Ok(())
    }
}
