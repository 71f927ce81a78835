//! How leases are stored in the checkpoint file's B-tree: keys that keep tuple order, and
//! versioned, length-checked records.

use super::types::*;
use crate::error::{Error, Result};

pub(super) const LEASE_PREFIX: &[u8] = b"lease\0L";
/// Separates a lease key from the index of one of its history entries.
pub(super) const HISTORY_TAG: u8 = b'H';
pub(super) const META_KEY: &[u8] = b"lease\0M";
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

/// Big-endian bytes of `v`, so that keys sort by number.
pub(super) fn u64_ordered(v: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, b) in out.iter_mut().enumerate() {
        *b = (v >> (56 - 8 * i)) as u8;
    }
    out
}

pub(super) fn u64_from_ordered(b: [u8; 8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

pub(super) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// The exclusive end of the key range starting with `prefix` (which ends with the terminator `00 01`).
pub(super) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last = last.saturating_add(1);
    }
    end
}

pub(super) fn encoded_parts(prefix: &[u8], key: &LeaseKey) -> Result<Vec<u8>> {
    check_name("application", &key.application)?;
    check_name("stream", &key.stream)?;
    check_name("shard id", &key.shard_id)?;
    let mut out = prefix.to_vec();
    for part in [&key.application, &key.stream, &key.shard_id] {
        push_escaped(&mut out, part);
    }
    Ok(out)
}

pub(super) fn lease_key(key: &LeaseKey) -> Result<Vec<u8>> {
    encoded_parts(LEASE_PREFIX, key)
}

pub(super) fn history_prefix(key: &LeaseKey) -> Result<Vec<u8>> {
    let mut prefix = lease_key(key)?;
    prefix.push(HISTORY_TAG);
    Ok(prefix)
}

/// True for a history entry's key (a lease key followed by the tag and an 8-byte index).
pub(super) fn is_history_key(k: &[u8]) -> bool {
    k.len() > 9
        && k.get(k.len() - 9) == Some(&HISTORY_TAG)
        && k.get(..k.len() - 9).and_then(parse_lease_key).is_some()
}

/// The lease a key of the lease range names: `Some` for a lease record, `None` for a history entry,
/// an error for anything else.
pub(super) fn lease_record_key(k: &[u8]) -> Result<Option<LeaseKey>> {
    match parse_lease_key(k) {
        Some(key) => Ok(Some(key)),
        None if is_history_key(k) => Ok(None),
        None => Err(Error::BadLease {
            key: String::from_utf8_lossy(k).into_owned(),
            reason: "lease key does not parse".into(),
        }),
    }
}

pub(super) fn parse_lease_key(k: &[u8]) -> Option<LeaseKey> {
    let mut rest = k.strip_prefix(LEASE_PREFIX)?;
    let mut parts = Vec::with_capacity(3);
    for _ in 0..3 {
        let mut part = Vec::new();
        loop {
            let (&b, tail) = rest.split_first()?;
            rest = tail;
            if b != 0 {
                part.push(b);
                continue;
            }
            let (&esc, tail) = rest.split_first()?;
            rest = tail;
            match esc {
                0xFF => part.push(0),
                1 => break,
                _ => return None,
            }
        }
        parts.push(String::from_utf8(part).ok()?);
    }
    if !rest.is_empty() {
        return None;
    }
    let shard_id = parts.pop()?;
    let stream = parts.pop()?;
    let application = parts.pop()?;
    Some(LeaseKey {
        application,
        stream,
        shard_id,
    })
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
    fn keys_round_trip_and_keep_tuple_order() {
        let names = ["a", "a\0", "a\0b", "ab", "b", "\0", "\u{ff}"];
        let mut keys = Vec::new();
        for a in names {
            for s in names {
                let k = LeaseKey::new(a, s, "x");
                let enc = lease_key(&k).unwrap();
                assert_eq!(parse_lease_key(&enc).unwrap(), k);
                keys.push((k, enc));
            }
        }
        let mut by_tuple = keys.clone();
        by_tuple.sort_by(|x, y| {
            (x.0.application.as_bytes(), x.0.stream.as_bytes())
                .cmp(&(y.0.application.as_bytes(), y.0.stream.as_bytes()))
        });
        keys.sort_by(|x, y| x.1.cmp(&y.1));
        assert_eq!(keys, by_tuple);
        assert_eq!(
            u64_from_ordered(u64_ordered(0x0102_0304_0506_0708)),
            0x0102_0304_0506_0708
        );
        assert!(u64_ordered(255) < u64_ordered(256));
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
