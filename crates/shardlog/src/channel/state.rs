//! Channel state in the checkpoint file: definitions and per-shard progress.
//!
//! Namespace `channel` (schema 1) of the store's checkpoint file (`docs/format.md`, "Channel
//! state"). Keys are `channel ‖ 00 ‖ tag ‖ esc(id) [‖ shard u64 BE]`:
//!
//! | tag | key suffix | value |
//! | --- | --- | --- |
//! | `D` | id | the definition, JSON (`ChannelDef`) |
//! | `C` | id, shard | `01 ‖ cursor u64 LE`: the first record not yet delivered |
//! | `P` | id, shard | `01 ‖ first u64 LE ‖ last u64 LE`: the batch being written |
//! | `T` | id | `01 ‖ records ‖ record bytes ‖ objects ‖ object bytes ‖ last delivery ms`, u64 LE each: what the channel delivered, added to in the commit that moves a cursor |
//!
//! A shard without a `C` key starts where the definition says (its tip at creation, or 0 for a
//! shard created later). A `P` key names the counters of the first and last record of the object
//! being written: it is committed before the object is written and removed, with the cursor moved
//! past `last`, after the object is in place; after a crash the same batch is written again.

use super::ChannelDef;
use crate::error::{Error, Result};
use crate::state::keys::{parse_parts, push_part, u64_from_ordered, u64_ordered};
use shardlog_checkpoint::{Db, ReadTxn, WriteTxn};
use std::collections::BTreeMap;

pub(crate) const KIND: &str = "channel";
pub(crate) const SCHEMA_VERSION: u8 = 1;
const SCHEMA_KEY: &[u8] = b"channel\0M";
const TAG_DEF: u8 = b'D';
const TAG_CURSOR: u8 = b'C';
const TAG_PENDING: u8 = b'P';
const TAG_TOTALS: u8 = b'T';
const VALUE_VERSION: u8 = 1;

/// One shard's durable progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stored {
    pub cursor: Option<u64>,
    pub pending: Option<(u64, u64)>,
}

fn prefix(tag: u8) -> Vec<u8> {
    let mut k = KIND.as_bytes().to_vec();
    k.extend_from_slice(&[0, tag]);
    k
}

fn id_key(tag: u8, id: &str) -> Vec<u8> {
    let mut k = prefix(tag);
    push_part(&mut k, id);
    k
}

fn shard_key(tag: u8, id: &str, shard: u32) -> Vec<u8> {
    let mut k = id_key(tag, id);
    k.extend_from_slice(&u64_ordered(u64::from(shard)));
    k
}

/// Writes the schema key if the namespace is new; refuses another schema.
pub(crate) fn check_schema(tx: &mut WriteTxn<'_>) -> Result<()> {
    match tx.get(SCHEMA_KEY)?.as_deref() {
        None => {
            tx.insert(SCHEMA_KEY, &[SCHEMA_VERSION])?;
            Ok(())
        }
        Some([v]) if *v == SCHEMA_VERSION => Ok(()),
        Some(other) => Err(bad(
            "schema",
            &format!("schema {other:?}, this build knows [1]"),
        )),
    }
}

/// Every channel definition, or none if the namespace was never written. Reads only.
pub(crate) fn load_defs(db: &Db) -> Result<Vec<ChannelDef>> {
    let snap = db.read()?;
    match snap.get(SCHEMA_KEY)?.as_deref() {
        None => return Ok(Vec::new()),
        Some([v]) if *v == SCHEMA_VERSION => {}
        Some(other) => {
            return Err(bad(
                "schema",
                &format!("schema {other:?}, this build knows [1]"),
            ))
        }
    }
    let p = prefix(TAG_DEF);
    let mut out = Vec::new();
    for item in snap.range(p.clone()..crate::state::keys::prefix_end(&p)) {
        let (k, v) = item?;
        let def: ChannelDef = serde_json::from_slice(&v)
            .map_err(|e| bad(&format!("{k:?}"), &format!("definition: {e}")))?;
        out.push(def);
    }
    Ok(out)
}

pub(crate) fn put_def(tx: &mut WriteTxn<'_>, def: &ChannelDef) -> Result<()> {
    let v = serde_json::to_vec(def).map_err(|e| Error::Internal(e.to_string()))?;
    tx.insert(&id_key(TAG_DEF, &def.id), &v)?;
    Ok(())
}

pub(crate) fn put_cursor(tx: &mut WriteTxn<'_>, id: &str, shard: u32, cursor: u64) -> Result<()> {
    let mut v = vec![VALUE_VERSION];
    v.extend_from_slice(&cursor.to_le_bytes());
    tx.insert(&shard_key(TAG_CURSOR, id, shard), &v)?;
    Ok(())
}

pub(crate) fn put_pending(
    tx: &mut WriteTxn<'_>,
    id: &str,
    shard: u32,
    range: (u64, u64),
) -> Result<()> {
    let mut v = vec![VALUE_VERSION];
    v.extend_from_slice(&range.0.to_le_bytes());
    v.extend_from_slice(&range.1.to_le_bytes());
    tx.insert(&shard_key(TAG_PENDING, id, shard), &v)?;
    Ok(())
}

pub(crate) fn remove_pending(tx: &mut WriteTxn<'_>, id: &str, shard: u32) -> Result<()> {
    tx.remove(&shard_key(TAG_PENDING, id, shard))?;
    Ok(())
}

/// What a channel delivered, all told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub records: u64,
    pub record_bytes: u64,
    pub objects: u64,
    pub object_bytes: u64,
    /// When the last batch was delivered, ms since the epoch (0: never).
    pub last_ms: u64,
}

/// Adds one batch to the channel's totals, in the transaction that moves its cursor, so that a
/// batch is counted exactly when it is delivered.
pub(crate) fn add_totals(tx: &mut WriteTxn<'_>, id: &str, batch: &Totals) -> Result<()> {
    let key = id_key(TAG_TOTALS, id);
    let t = match tx.get(&key)? {
        Some(v) => decode_totals(&v)?,
        None => Totals::default(),
    };
    let sum = Totals {
        records: t.records.saturating_add(batch.records),
        record_bytes: t.record_bytes.saturating_add(batch.record_bytes),
        objects: t.objects.saturating_add(batch.objects),
        object_bytes: t.object_bytes.saturating_add(batch.object_bytes),
        last_ms: t.last_ms.max(batch.last_ms),
    };
    let mut v = vec![VALUE_VERSION];
    for n in [
        sum.records,
        sum.record_bytes,
        sum.objects,
        sum.object_bytes,
        sum.last_ms,
    ] {
        v.extend_from_slice(&n.to_le_bytes());
    }
    tx.insert(&key, &v)?;
    Ok(())
}

/// A channel's totals (zero if it delivered nothing yet).
pub(crate) fn load_totals(db: &Db, id: &str) -> Result<Totals> {
    match db.read()?.get(&id_key(TAG_TOTALS, id))? {
        Some(v) => decode_totals(&v),
        None => Ok(Totals::default()),
    }
}

fn decode_totals(v: &[u8]) -> Result<Totals> {
    match decode_u64s(v).as_deref() {
        Some(&[records, record_bytes, objects, object_bytes, last_ms]) => Ok(Totals {
            records,
            record_bytes,
            objects,
            object_bytes,
            last_ms,
        }),
        _ => Err(bad("totals", "a totals record does not decode")),
    }
}

/// Removes a shard's progress (the shard left the stream).
pub(crate) fn remove_shard(tx: &mut WriteTxn<'_>, id: &str, shard: u32) -> Result<()> {
    tx.remove(&shard_key(TAG_CURSOR, id, shard))?;
    tx.remove(&shard_key(TAG_PENDING, id, shard))?;
    Ok(())
}

/// Removes a channel: its definition and every shard's progress.
pub(crate) fn remove_channel(tx: &mut WriteTxn<'_>, id: &str) -> Result<()> {
    tx.remove(&id_key(TAG_DEF, id))?;
    tx.remove(&id_key(TAG_TOTALS, id))?;
    for tag in [TAG_CURSOR, TAG_PENDING] {
        let p = id_key(tag, id);
        let keys: Vec<Vec<u8>> = tx
            .range(p.clone()..crate::state::keys::prefix_end(&p))
            .map(|r| r.map(|(k, _)| k))
            .collect::<std::result::Result<_, _>>()?;
        for k in keys {
            tx.remove(&k)?;
        }
    }
    Ok(())
}

/// A channel's progress by shard.
pub(crate) fn load_progress(db: &Db, id: &str) -> Result<BTreeMap<u32, Stored>> {
    let snap = db.read()?;
    let mut out: BTreeMap<u32, Stored> = BTreeMap::new();
    for tag in [TAG_CURSOR, TAG_PENDING] {
        read_tag(&snap, tag, id, &mut out)?;
    }
    Ok(out)
}

fn read_tag(snap: &ReadTxn, tag: u8, id: &str, out: &mut BTreeMap<u32, Stored>) -> Result<()> {
    let p = id_key(tag, id);
    for item in snap.range(p.clone()..crate::state::keys::prefix_end(&p)) {
        let (k, v) = item?;
        let fail = || bad(&format!("{k:?}"), "a progress record does not decode");
        let (_, rest) =
            parse_parts(k.get(prefix(tag).len()..).ok_or_else(fail)?, 1).ok_or_else(fail)?;
        let shard_part: [u8; 8] = rest.try_into().map_err(|_| fail())?;
        let shard = u32::try_from(u64_from_ordered(shard_part)).map_err(|_| fail())?;
        let nums = decode_u64s(&v).ok_or_else(fail)?;
        let s = out.entry(shard).or_default();
        match (tag, nums.as_slice()) {
            (TAG_CURSOR, [c]) => s.cursor = Some(*c),
            (TAG_PENDING, [a, b]) => s.pending = Some((*a, *b)),
            _ => return Err(fail()),
        }
    }
    Ok(())
}

fn decode_u64s(v: &[u8]) -> Option<Vec<u64>> {
    let (&version, rest) = v.split_first()?;
    if version != VALUE_VERSION || rest.len() % 8 != 0 {
        return None;
    }
    rest.chunks_exact(8)
        .map(|c| c.try_into().ok().map(u64::from_le_bytes))
        .collect()
}

fn bad(key: &str, reason: &str) -> Error {
    Error::BadLease {
        key: format!("channel state {key}"),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shardlog_storage::SimDisk;

    #[test]
    fn progress_round_trips_and_goes_with_its_channel() -> Result<()> {
        let db = Db::open(std::sync::Arc::new(SimDisk::new(1)), "s.db")?;
        assert!(load_defs(&db)?.is_empty());
        let mut tx = db.write()?;
        check_schema(&mut tx)?;
        put_cursor(&mut tx, "a", 0, 7)?;
        put_cursor(&mut tx, "a", 3, 9)?;
        put_pending(&mut tx, "a", 3, (9, 12))?;
        put_cursor(&mut tx, "b", 0, 1)?;
        tx.commit()?;
        let a = load_progress(&db, "a")?;
        assert_eq!(
            a.get(&0),
            Some(&Stored {
                cursor: Some(7),
                pending: None
            })
        );
        assert_eq!(
            a.get(&3),
            Some(&Stored {
                cursor: Some(9),
                pending: Some((9, 12))
            })
        );
        let mut tx = db.write()?;
        remove_channel(&mut tx, "a")?;
        tx.commit()?;
        assert!(load_progress(&db, "a")?.is_empty());
        assert_eq!(load_progress(&db, "b")?.len(), 1);
        assert_eq!(decode_u64s(&[2, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        Ok(())
    }
}
