//! The redo log: a run of pages inside the checkpoint file that takes small commits.
//!
//! A tree commit writes the root, a branch, a leaf, the free list and a slot: five requests in one
//! `fdatasync`, where the disk's floor is one. So a commit that fits appends one *record* — the keys
//! it inserted and removed — to the log region the current commit slot names, and syncs once. The
//! changed tree stays in memory; a later tree commit (when the log is full, or the first commit
//! after open) writes it back and starts a new log *epoch*, named by the slot's transaction id and
//! a salt the slot carries (both go into every record's checksum).
//!
//! Record layout (little endian; `docs/format.md`, "Checkpoint file", repeats it):
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | CRC-32C of bytes 4..len, seeded with `"SHLGLOGR"`, the epoch (u64) and the salt (u64) |
//! | 4..8 | len: bytes of the whole record, header included |
//! | 8..16 | transaction id: the epoch + 1 for the first record, then + 1 per record |
//! | 16..20 | number of operations |
//! | 20..24 | reserved, zero |
//! | 24..len | operations: kind u8 (1 insert, 2 remove), key length u16, value length u16 (0 for a remove), key, value |
//!
//! Records follow each other without gaps from the start of the region. Reading stops at the first
//! record that fails: zero length (never written), a length past the region, a checksum mismatch
//! (torn by a crash before its sync, or left from an older epoch: the seed differs) or a transaction
//! id out of sequence. A record whose checksum holds but whose content does not decode is damage
//! that a crash cannot produce, and is reported. The pages of the region are written with zeros when
//! the region is allocated, so an append never allocates blocks and its `fdatasync` has no metadata to
//! write.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use crate::format::{MAX_KEY_LEN, MAX_VALUE_LEN};
use byteorder::{ByteOrder, LittleEndian as LE};

/// Bytes of a record header.
pub(crate) const RECORD_HEADER: usize = 24;
/// Bytes of an operation besides its key and value.
const OP_OVERHEAD: usize = 5;
const OP_INSERT: u8 = 1;
const OP_REMOVE: u8 = 2;

/// One change a transaction made, in the order it made them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LogOp {
    /// `key` now holds `value`.
    Insert(Vec<u8>, Vec<u8>),
    /// `key` is gone.
    Remove(Vec<u8>),
}

impl LogOp {
    /// Encoded bytes of this operation.
    #[cfg(test)]
    pub(crate) fn size(&self) -> usize {
        match self {
            LogOp::Insert(k, v) => OP_OVERHEAD + k.len() + v.len(),
            LogOp::Remove(k) => OP_OVERHEAD + k.len(),
        }
    }
}

/// A record read back: its transaction id and operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) txn: u64,
    pub(crate) ops: Vec<LogOp>,
}

/// What [`read`] found in a region.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Replay {
    /// Valid records in order.
    pub(crate) records: Vec<Record>,
    /// Bytes they take from the start of the region.
    pub(crate) end: usize,
}

/// Names a log epoch: the transaction id of the tree commit that started it, and that commit's salt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch {
    pub(crate) txn: u64,
    pub(crate) salt: u64,
}

pub(crate) fn seed(epoch: Epoch) -> u32 {
    let tag = crc32c::crc32c_append(crc32c::crc32c(b"SHLGLOGR"), &epoch.txn.to_le_bytes());
    crc32c::crc32c_append(tag, &epoch.salt.to_le_bytes())
}

/// A salt for a new epoch: different from the last one (`previous`), and unlikely to repeat one
/// that a process before a crash used with the same transaction id (it mixes in the clock).
pub(crate) fn new_salt(previous: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mixed = crc32c::crc32c_append(
        crc32c::crc32c(&previous.to_le_bytes()),
        &nanos.to_le_bytes(),
    );
    let salt = (nanos << 32) ^ u64::from(mixed);
    if salt == previous {
        salt ^ 1
    } else {
        salt
    }
}

/// Bytes `ops` take as one record.
#[cfg(test)]
pub(crate) fn record_len(ops: &[LogOp]) -> usize {
    RECORD_HEADER + ops.iter().map(LogOp::size).sum::<usize>()
}

/// A record being built by a write transaction: each change is encoded as it is made, so the commit
/// only fills in the header.
#[derive(Debug)]
pub(crate) struct RecordBuf {
    bytes: Vec<u8>,
    ops: u32,
}

impl RecordBuf {
    pub(crate) fn new() -> RecordBuf {
        let mut bytes = Vec::with_capacity(1024);
        bytes.resize(RECORD_HEADER, 0);
        RecordBuf { bytes, ops: 0 }
    }

    fn op(&mut self, kind: u8, key: &[u8], value: &[u8]) {
        self.bytes.push(kind);
        for len in [key.len(), value.len()] {
            let len = u16::try_from(len).unwrap_or(u16::MAX);
            self.bytes.extend_from_slice(&len.to_le_bytes());
        }
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value);
        self.ops = self.ops.saturating_add(1);
    }

    /// Records that `key` now holds `value` (both within the table's limits).
    pub(crate) fn insert(&mut self, key: &[u8], value: &[u8]) {
        self.op(OP_INSERT, key, value);
    }

    /// Records that `key` is gone.
    pub(crate) fn remove(&mut self, key: &[u8]) {
        self.op(OP_REMOVE, key, &[]);
    }

    /// True when no change was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.ops == 0
    }

    /// Bytes of the finished record.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Seals the record as transaction `txn` of log epoch `epoch`.
    pub(crate) fn finish(&mut self, epoch: Epoch, txn: u64) -> &[u8] {
        let len = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        let mut header = [0u8; RECORD_HEADER];
        LE::write_u32(&mut header[4..8], len);
        LE::write_u64(&mut header[8..16], txn);
        LE::write_u32(&mut header[16..20], self.ops);
        if let Some(dst) = self.bytes.get_mut(..RECORD_HEADER) {
            dst.copy_from_slice(&header);
        }
        let crc = crc32c::crc32c_append(seed(epoch), self.bytes.get(4..).unwrap_or(&[]));
        if let Some(dst) = self.bytes.get_mut(..4) {
            LE::write_u32(dst, crc);
        }
        &self.bytes
    }
}

/// Encodes `ops` as transaction `txn` of log epoch `epoch`.
#[cfg(test)]
pub(crate) fn encode(epoch: Epoch, txn: u64, ops: &[LogOp]) -> Vec<u8> {
    let mut buf = RecordBuf::new();
    for op in ops {
        match op {
            LogOp::Insert(k, v) => buf.insert(k, v),
            LogOp::Remove(k) => buf.remove(k),
        }
    }
    buf.finish(epoch, txn).to_vec()
}

/// Reads the records of epoch `epoch` from the start of `region`. `Err((offset, reason))` names a
/// record whose checksum holds but whose content is impossible, or, when `strict`, a failing record
/// that a valid record of the same epoch follows (a crash tears only the last record; see
/// [`later_record`]). Open reads without `strict` after falling back past a newer commit, whose
/// epoch may have overwritten the start of this one.
pub(crate) fn read(region: &[u8], epoch: Epoch, strict: bool) -> Result<Replay, (usize, String)> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    let mut expect = epoch.txn.saturating_add(1);
    while let Some(rec) = region.get(pos..) {
        let Some(header) = rec.get(..RECORD_HEADER) else {
            break;
        };
        let len = LE::read_u32(header.get(4..8).unwrap_or(&[0; 4])) as usize;
        let Some(body) = rec.get(4..len).filter(|_| len >= RECORD_HEADER) else {
            break;
        };
        if LE::read_u32(header.get(..4).unwrap_or(&[0; 4]))
            != crc32c::crc32c_append(seed(epoch), body)
        {
            break;
        }
        let txn = LE::read_u64(header.get(8..16).unwrap_or(&[0; 8]));
        if txn != expect {
            break;
        }
        let count = LE::read_u32(header.get(16..20).unwrap_or(&[0; 4])) as usize;
        let ops = rec
            .get(RECORD_HEADER..len)
            .ok_or_else(|| "short record".to_string())
            .and_then(|b| decode_ops(b, count))
            .map_err(|reason| (pos, format!("log record of transaction {txn}: {reason}")))?;
        records.push(Record { txn, ops });
        pos += len;
        expect = expect.saturating_add(1);
    }
    if let Some(at) = later_record(region, epoch, pos, expect).filter(|_| strict) {
        return Err((
            pos,
            format!(
                "the log record of transaction {expect} is damaged, but a record of a later \
                 transaction follows at byte {at} of the log region"
            ),
        ));
    }
    Ok(Replay { records, end: pos })
}

/// The offset of a valid record of `epoch` with a transaction id of at least `expect`, starting
/// after `from`. Appends are sequential and each is synced before the next, so after a crash only
/// the last record can fail; one that is followed by a later valid record was damaged after it was
/// synced. Older epochs' records fail the checksum (another seed), so they never match.
fn later_record(region: &[u8], epoch: Epoch, from: usize, expect: u64) -> Option<usize> {
    let limit = expect.saturating_add(region.len() as u64 / RECORD_HEADER as u64);
    (from + 1..region.len().saturating_sub(RECORD_HEADER - 1)).find(|&at| {
        let Some(header) = region.get(at..at + RECORD_HEADER) else {
            return false;
        };
        let txn = LE::read_u64(header.get(8..16).unwrap_or(&[0; 8]));
        let len = LE::read_u32(header.get(4..8).unwrap_or(&[0; 4])) as usize;
        if txn < expect || txn >= limit || len < RECORD_HEADER {
            return false;
        }
        let Some(body) = region.get(at + 4..at.saturating_add(len)) else {
            return false;
        };
        LE::read_u32(header.get(..4).unwrap_or(&[0; 4])) == crc32c::crc32c_append(seed(epoch), body)
    })
}

fn decode_ops(mut b: &[u8], count: usize) -> Result<Vec<LogOp>, String> {
    let mut ops = Vec::with_capacity(count.min(b.len() / OP_OVERHEAD));
    for _ in 0..count {
        let (head, rest) = b
            .split_at_checked(OP_OVERHEAD)
            .ok_or("operation past the record")?;
        let kind = head.first().copied().unwrap_or(0);
        let klen = LE::read_u16(head.get(1..3).unwrap_or(&[0; 2])) as usize;
        let vlen = LE::read_u16(head.get(3..5).unwrap_or(&[0; 2])) as usize;
        if klen == 0 || klen > MAX_KEY_LEN || vlen > MAX_VALUE_LEN {
            return Err(format!("key of {klen} or value of {vlen} bytes"));
        }
        let (key, rest) = rest.split_at_checked(klen).ok_or("key past the record")?;
        let (value, rest) = rest.split_at_checked(vlen).ok_or("value past the record")?;
        ops.push(match kind {
            OP_INSERT => LogOp::Insert(key.to_vec(), value.to_vec()),
            OP_REMOVE if vlen == 0 => LogOp::Remove(key.to_vec()),
            _ => {
                return Err(format!(
                    "operation kind {kind} with a value of {vlen} bytes"
                ))
            }
        });
        b = rest;
    }
    if !b.is_empty() {
        return Err(format!("{} bytes after the last operation", b.len()));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn ep(txn: u64) -> Epoch {
        Epoch { txn, salt: 99 }
    }

    fn ops(n: u8) -> Vec<LogOp> {
        (0..n)
            .map(|i| {
                if i % 3 == 2 {
                    LogOp::Remove(vec![b'k', i])
                } else {
                    LogOp::Insert(vec![b'k', i], vec![i; i as usize * 7])
                }
            })
            .collect()
    }

    fn region(epoch: u64, records: &[Vec<LogOp>]) -> Vec<u8> {
        let mut r = Vec::new();
        for (i, ops) in records.iter().enumerate() {
            r.extend(encode(ep(epoch), epoch + 1 + i as u64, ops));
        }
        r.resize(8192, 0);
        r
    }

    #[test]
    fn records_round_trip_in_sequence() {
        let recs = vec![ops(1), ops(5), ops(0), ops(9)];
        let r = region(41, &recs);
        let got = read(&r, ep(41), true).unwrap();
        assert_eq!(got.records.len(), 4);
        for (i, (rec, ops)) in got.records.iter().zip(&recs).enumerate() {
            assert_eq!(rec.txn, 42 + i as u64);
            assert_eq!(&rec.ops, ops);
        }
        assert_eq!(got.end, recs.iter().map(|o| record_len(o)).sum::<usize>());
    }

    #[test]
    fn another_epoch_reads_as_an_empty_log() {
        let r = region(41, &[ops(3), ops(4)]);
        assert_eq!(read(&r, ep(40), true).unwrap().records, vec![]);
        assert_eq!(read(&r, ep(43), true).unwrap().end, 0);
    }

    #[test]
    fn every_flipped_bit_of_the_last_record_ends_the_log_before_it() {
        let recs = vec![ops(2), ops(4)];
        let r = region(7, &recs);
        let first = record_len(&recs[0]);
        let second = first + record_len(&recs[1]);
        for bit in first * 8..second * 8 {
            let mut t = r.clone();
            t[bit / 8] ^= 1 << (bit % 8);
            // Indistinguishable from a record torn by a crash: reading keeps only the first.
            let got = read(&t, ep(7), true).unwrap();
            assert_eq!((got.records.len(), got.end), (1, first), "bit {bit}");
        }
    }

    #[test]
    fn every_flipped_bit_of_a_record_that_others_follow_is_reported() {
        let recs = vec![ops(2), ops(4), ops(3)];
        let r = region(7, &recs);
        let first = record_len(&recs[0]);
        let second = first + record_len(&recs[1]);
        for bit in first * 8..second * 8 {
            let mut t = r.clone();
            t[bit / 8] ^= 1 << (bit % 8);
            let (offset, reason) = read(&t, ep(7), true).unwrap_err();
            assert_eq!(offset, first, "bit {bit}");
            // After a fallback the same bytes read as a log that ends there.
            assert_eq!(read(&t, ep(7), false).unwrap().end, first, "bit {bit}");
            assert!(
                reason.contains(&format!("byte {second}")),
                "bit {bit}: {reason}"
            );
        }
    }

    #[test]
    fn records_of_an_older_epoch_after_the_end_are_not_damage() {
        // Epoch 7 wrote three records; epoch 20 overwrote the start with one shorter record.
        let mut r = region(7, &[ops(9), ops(4), ops(3)]);
        let new = encode(ep(20), 21, &ops(1));
        r[..new.len()].copy_from_slice(&new);
        let got = read(&r, ep(20), true).unwrap();
        assert_eq!((got.records.len(), got.end), (1, new.len()));
    }

    #[test]
    fn the_same_transaction_id_with_another_salt_reads_as_an_empty_log() {
        let r = region(41, &[ops(3), ops(4)]);
        let other = Epoch { txn: 41, salt: 100 };
        assert_eq!(read(&r, other, true).unwrap().end, 0);
        assert_ne!(new_salt(5), 5);
    }

    #[test]
    fn seed_test_vector_matches_the_format_doc() {
        assert_eq!(seed(Epoch { txn: 2, salt: 0 }), 0x9297_A874);
    }

    #[test]
    fn a_record_out_of_sequence_ends_the_log() {
        let mut r = encode(ep(7), 8, &ops(2));
        r.extend(encode(ep(7), 10, &ops(2)));
        assert_eq!(read(&r, ep(7), true).unwrap().records.len(), 1);
    }

    #[test]
    fn impossible_content_under_a_good_checksum_is_reported() {
        // Two records: the second claims 3 operations but holds 2.
        let mut r = encode(ep(7), 8, &ops(1));
        let at = r.len();
        let mut bad = encode(ep(7), 9, &ops(2));
        bad[16] = 3;
        let crc = crc32c::crc32c_append(seed(ep(7)), &bad[4..]);
        LE::write_u32(&mut bad[..4], crc);
        r.extend(bad);
        let (offset, reason) = read(&r, ep(7), true).unwrap_err();
        assert_eq!(offset, at);
        assert!(reason.contains("transaction 9"), "{reason}");
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 3u64;
        for n in 0..3000usize {
            let mut buf = vec![0u8; n % 700];
            for b in buf.iter_mut() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (seed >> 56) as u8;
            }
            let _ = read(&buf, ep(seed % 4), true);
            let _ = decode_ops(&buf, (seed % 50) as usize);
        }
    }
}
