//! How leases are stored in the checkpoint file's B-tree: keys that keep tuple order, and
//! versioned, length-checked records.

use super::types::*;
use crate::error::{Error, Result};
use crate::state::keys::{parse_parts, push_part};
use crate::state::Namespace;

/// The lease table's namespace in the checkpoint file: keys start with `"lease\0"`.
pub(super) const KIND: &str = "lease";
/// The tag of lease records (and, behind them, their history entries).
pub(super) const LEASE_TAG: u8 = b'L';
/// Separates a lease key from the index of one of its history entries.
pub(super) const HISTORY_TAG: u8 = b'H';
/// Schema 2: history entries follow their lease record (schema 1 kept them under `"lease\0H"`).
pub(super) const SCHEMA_VERSION: u8 = 2;
pub(super) const RECORD_VERSION: u8 = 1;
/// Longest name part (application, stream, shard id, owner, parent or child id).
pub(super) const MAX_NAME_LEN: usize = 160;
/// Longest sequence number (decimal digits).
pub(super) const MAX_SEQUENCE_DIGITS: usize = 128;

pub(super) fn bad(key: &LeaseKey, reason: &str) -> Error {
    Error::BadLease {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

pub(super) fn check_name(what: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return Err(Error::Validation(format!(
            "{what} of {} bytes outside 1..={MAX_NAME_LEN}",
            s.len()
        )));
    }
    Ok(())
}

pub(super) fn check_checkpoint(c: &Checkpoint) -> Result<()> {
    if let Checkpoint::SequenceNumber {
        sequence_number: s, ..
    } = c
    {
        let ok = !s.is_empty()
            && s.len() <= MAX_SEQUENCE_DIGITS
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if !ok {
            return Err(Error::Validation(format!(
                "sequence number {s:?} is not a decimal number of at most {MAX_SEQUENCE_DIGITS} digits \
                 without leading zeros"
            )));
        }
    }
    Ok(())
}

/// The key of a lease record: `"lease\0L" ‖ application ‖ stream ‖ shard id` as tuple parts.
pub(super) fn lease_key(ns: &Namespace, key: &LeaseKey) -> Result<Vec<u8>> {
    check_name("application", &key.application)?;
    check_name("stream", &key.stream)?;
    check_name("shard id", &key.shard_id)?;
    Ok(ns.key(LEASE_TAG, &[&key.application, &key.stream, &key.shard_id]))
}

/// The start of every lease key of `application`.
pub(super) fn application_prefix(ns: &Namespace, application: &str) -> Vec<u8> {
    let mut out = ns.prefix(LEASE_TAG);
    push_part(&mut out, application);
    out
}

/// The start of the history keys of a lease: its key, then the history tag.
pub(super) fn history_prefix(ns: &Namespace, key: &LeaseKey) -> Result<Vec<u8>> {
    let mut prefix = lease_key(ns, key)?;
    prefix.push(HISTORY_TAG);
    Ok(prefix)
}

/// The lease a key of the lease range names: `Some` for a lease record, `None` for a history entry,
/// an error for anything else.
pub(super) fn lease_record_key(ns: &Namespace, k: &[u8]) -> Result<Option<LeaseKey>> {
    let parsed = k
        .strip_prefix(ns.prefix(LEASE_TAG).as_slice())
        .and_then(|rest| parse_parts(rest, 3));
    match parsed {
        Some((parts, [])) => Ok(Some(lease_key_of(parts))),
        Some((_, [HISTORY_TAG, index @ ..])) if index.len() == 8 => Ok(None),
        _ => Err(Error::BadLease {
            key: String::from_utf8_lossy(k).into_owned(),
            reason: "lease key does not parse".into(),
        }),
    }
}

fn lease_key_of(parts: Vec<String>) -> LeaseKey {
    let [application, stream, shard_id]: [String; 3] = parts
        .try_into()
        .unwrap_or_else(|p: Vec<String>| unreachable!("parse_parts(_, 3) gave {} parts", p.len()));
    LeaseKey {
        application,
        stream,
        shard_id,
    }
}

// ---- record encoding (version 1, little-endian) ----

pub(super) fn put_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    let len = u16::try_from(s.len()).map_err(|_| Error::Validation("string too long".into()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

pub(super) fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) -> Result<()> {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s)?;
        }
    }
    Ok(())
}

pub(super) fn put_checkpoint(out: &mut Vec<u8>, c: &Checkpoint) -> Result<()> {
    check_checkpoint(c)?;
    match c {
        Checkpoint::SequenceNumber {
            sequence_number,
            sub_sequence_number,
        } => {
            out.push(1);
            put_str(out, sequence_number)?;
            out.extend_from_slice(&sub_sequence_number.to_le_bytes());
        }
        Checkpoint::TrimHorizon => out.push(2),
        Checkpoint::Latest => out.push(3),
        Checkpoint::AtTimestamp(ms) => {
            out.push(4);
            out.extend_from_slice(&ms.to_le_bytes());
        }
        Checkpoint::ShardEnd => out.push(5),
    }
    Ok(())
}

pub(super) fn put_ids(out: &mut Vec<u8>, what: &str, ids: &[String]) -> Result<()> {
    let n = u16::try_from(ids.len()).map_err(|_| Error::Validation(format!("too many {what}")))?;
    out.extend_from_slice(&n.to_le_bytes());
    for id in ids {
        check_name(what, id)?;
        put_str(out, id)?;
    }
    Ok(())
}

pub(super) fn check_value_len(bytes: Vec<u8>) -> Result<Vec<u8>> {
    if bytes.len() > shardlog_checkpoint::MAX_VALUE_LEN {
        return Err(Error::Checkpoint(
            shardlog_checkpoint::Error::ValueTooLarge {
                len: bytes.len(),
                max: shardlog_checkpoint::MAX_VALUE_LEN,
            },
        ));
    }
    Ok(bytes)
}

pub(super) fn encode_lease(l: &Lease) -> Result<Vec<u8>> {
    if l.hash_key_range.start > l.hash_key_range.end {
        return Err(Error::Validation(format!(
            "hash-key range {}..={} is empty",
            l.hash_key_range.start, l.hash_key_range.end
        )));
    }
    let mut out = Vec::with_capacity(256);
    out.push(RECORD_VERSION);
    for v in [
        l.counter,
        l.last_renewal_ms,
        l.owner_switches_since_checkpoint,
        l.checkpoints_recorded,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&l.hash_key_range.start.to_le_bytes());
    out.extend_from_slice(&l.hash_key_range.end.to_le_bytes());
    if let Some(o) = &l.owner {
        check_name("owner", o)?;
    }
    put_opt_str(&mut out, l.owner.as_deref())?;
    put_checkpoint(&mut out, &l.checkpoint)?;
    match &l.pending_checkpoint {
        None => out.push(0),
        Some(c) => {
            out.push(1);
            put_checkpoint(&mut out, c)?;
        }
    }
    put_ids(&mut out, "parent shard id", &l.parent_shard_ids)?;
    put_ids(&mut out, "child shard id", &l.child_shard_ids)?;
    check_value_len(out)
}

pub(super) fn encode_history(l: &Lease) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    out.push(RECORD_VERSION);
    out.extend_from_slice(&l.counter.to_le_bytes());
    put_opt_str(&mut out, l.owner.as_deref())?;
    put_checkpoint(&mut out, &l.checkpoint)?;
    check_value_len(out)
}

/// A bounds-checked reader of a record.
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn opt_str(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }
    fn checkpoint(&mut self) -> Option<Checkpoint> {
        Some(match self.u8()? {
            1 => Checkpoint::SequenceNumber {
                sequence_number: self.str()?,
                sub_sequence_number: self.u64()?,
            },
            2 => Checkpoint::TrimHorizon,
            3 => Checkpoint::Latest,
            4 => Checkpoint::AtTimestamp(self.u64()?),
            5 => Checkpoint::ShardEnd,
            _ => return None,
        })
    }
    fn ids(&mut self) -> Option<Vec<String>> {
        let n = self.u16()?;
        (0..n).map(|_| self.str()).collect()
    }
}

pub(super) fn decode_lease(key: &LeaseKey, bytes: &[u8]) -> Result<Lease> {
    let mut r = Rd { b: bytes };
    let parse = |r: &mut Rd<'_>| -> Option<Lease> {
        if r.u8()? != RECORD_VERSION {
            return None;
        }
        let counter = r.u64()?;
        let last_renewal_ms = r.u64()?;
        let owner_switches_since_checkpoint = r.u64()?;
        let checkpoints_recorded = r.u64()?;
        let hash_key_range = HashKeyRange {
            start: r.u128()?,
            end: r.u128()?,
        };
        let owner = r.opt_str()?;
        let checkpoint = r.checkpoint()?;
        let pending_checkpoint = match r.u8()? {
            0 => None,
            1 => Some(r.checkpoint()?),
            _ => return None,
        };
        let parent_shard_ids = r.ids()?;
        let child_shard_ids = r.ids()?;
        r.b.is_empty().then_some(Lease {
            key: key.clone(),
            owner,
            counter,
            checkpoint,
            pending_checkpoint,
            owner_switches_since_checkpoint,
            parent_shard_ids,
            child_shard_ids,
            hash_key_range,
            last_renewal_ms,
            checkpoints_recorded,
        })
    };
    parse(&mut r).ok_or_else(|| {
        bad(
            key,
            "lease record does not decode (unknown version or damaged)",
        )
    })
}

pub(super) fn decode_history(key: &LeaseKey, index: u64, bytes: &[u8]) -> Result<HistoryEntry> {
    let mut r = Rd { b: bytes };
    let parse = |r: &mut Rd<'_>| -> Option<HistoryEntry> {
        if r.u8()? != RECORD_VERSION {
            return None;
        }
        let counter = r.u64()?;
        let owner = r.opt_str()?;
        let checkpoint = r.checkpoint()?;
        r.b.is_empty().then_some(HistoryEntry {
            index,
            counter,
            owner,
            checkpoint,
        })
    };
    parse(&mut r).ok_or_else(|| bad(key, "history entry does not decode"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_round_trip_and_keep_tuple_order() -> Result<()> {
        use shardlog_checkpoint::Db;
        use shardlog_storage::SimDisk;
        use std::sync::Arc;
        let db = Arc::new(Db::open(Arc::new(SimDisk::new(1)), "l.db")?);
        let ns = Namespace::open(db, KIND, SCHEMA_VERSION)?;
        let names = ["a", "a\0", "a\0b", "ab", "b", "\0", "\u{ff}"];
        let mut keys = Vec::new();
        for a in names {
            for s in names {
                let k = LeaseKey::new(a, s, "x");
                let enc = lease_key(&ns, &k)?;
                assert_eq!(lease_record_key(&ns, &enc)?, Some(k.clone()));
                let mut history = history_prefix(&ns, &k)?;
                history.extend_from_slice(&crate::state::keys::u64_ordered(7));
                assert_eq!(lease_record_key(&ns, &history)?, None);
                keys.push((k, enc));
            }
        }
        assert_eq!(&keys[0].1[..7], b"lease\0L", "the format's prefix");
        let mut by_tuple = keys.clone();
        by_tuple.sort_by(|x, y| {
            (x.0.application.as_bytes(), x.0.stream.as_bytes())
                .cmp(&(y.0.application.as_bytes(), y.0.stream.as_bytes()))
        });
        keys.sort_by(|x, y| x.1.cmp(&y.1));
        assert_eq!(keys, by_tuple);
        assert!(lease_record_key(&ns, b"lease\0Lgarbage").is_err());
        Ok(())
    }

    #[test]
    fn records_round_trip_and_garbage_is_an_error() {
        let l = Lease {
            key: LeaseKey::new("a", "s", "x"),
            owner: Some("w".into()),
            counter: 9,
            checkpoint: Checkpoint::sequence("123", 4),
            pending_checkpoint: Some(Checkpoint::AtTimestamp(5)),
            owner_switches_since_checkpoint: 2,
            parent_shard_ids: vec!["p1".into(), "p2".into()],
            child_shard_ids: vec!["c".into()],
            hash_key_range: HashKeyRange {
                start: 3,
                end: u128::MAX - 1,
            },
            last_renewal_ms: 77,
            checkpoints_recorded: 3,
        };
        let enc = encode_lease(&l).unwrap();
        assert_eq!(decode_lease(&l.key, &enc).unwrap(), l);
        for cut in 0..enc.len() {
            assert!(decode_lease(&l.key, &enc[..cut]).is_err());
        }
        assert!(check_checkpoint(&Checkpoint::sequence("012", 0)).is_err());
        assert!(check_checkpoint(&Checkpoint::sequence("12a", 0)).is_err());
        assert!(check_checkpoint(&Checkpoint::sequence("0", 0)).is_ok());
    }
}
