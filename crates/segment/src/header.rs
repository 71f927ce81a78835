//! The first page of a segment: the identity header and the two durable-mark slots.
//!
//! ```text
//! page 0, bytes    0..128   segment header (written once, at creation)
//!         bytes  512..576   mark slot 0 \  each in its own 512-byte sector, so a torn
//!         bytes 1024..1088  mark slot 1 /  write damages at most one of them
//! data starts at byte 4096
//! ```
//!
//! A mark records how far the segment was durable at some sync. It is written together with the next
//! batch and made durable by the next sync, so it always lags one sync behind and never claims bytes
//! that might not have reached the disk. Recovery uses it to tell a torn tail (damage after the mark:
//! cut) from corruption (damage before it: report).
//!
//! A mark also names the end its own sync is about to make durable (the claim). The bytes between the
//! durable end and the claim are the last group commit: whether its sync finished is unknown after a
//! crash, so its numbers are never handed out again, and damage there that no torn write can leave is
//! reported as corruption (`recovery.rs`).

use byteorder::{ByteOrder, LittleEndian as LE};

/// Magic bytes at the start of every segment file.
pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"SHLGSEG\0";
/// Segment format version written by this build.
pub(crate) const SEGMENT_VERSION: u16 = 1;
/// Offset of the first frame.
pub(crate) const DATA_START: u64 = 4096;
/// Bytes of the segment header.
pub(crate) const HEADER_LEN: usize = 128;
/// Offsets of the two mark slots.
pub(crate) const MARK_OFFSETS: [u64; 2] = [512, 1024];
/// Bytes of one mark slot.
pub(crate) const MARK_LEN: usize = 64;
const MARK_MAGIC: u32 = u32::from_le_bytes(*b"MARK");

/// Mark flag: the log was closed cleanly after this mark.
pub(crate) const MARK_CLEAN: u32 = 1;
/// Mark flag: records were visible to readers before they were durable (durability other than `Sync`).
pub(crate) const MARK_EAGER: u32 = 2;
/// Segment ids are below this (file names have 20 digits; anything larger is not ours).
pub(crate) const MAX_SEGMENT_ID: u64 = 1 << 48;
/// Sequence numbers stay below this, leaving room for skips without overflow.
pub(crate) const MAX_SEQ: u64 = 1 << 62;
/// Mark counters stay below this.
const MAX_MARK_COUNTER: u64 = 1 << 62;

/// Mark flag: the segment is full, durable up to `durable_end`, and followed by the next segment.
pub(crate) const MARK_SEALED: u32 = 4;

/// Identity of a segment, fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub log_id: u64,
    pub segment_id: u64,
    /// Id of the segment before this one in the log when it was created (0 for the first).
    pub prev_segment_id: u64,
    /// Sequence number of the first record this segment may hold.
    pub base_seq: u64,
    /// File length at creation.
    pub capacity_bytes: u64,
    pub created_ms: u64,
}

impl SegmentHeader {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&SEGMENT_MAGIC);
        LE::write_u16(&mut b[8..10], SEGMENT_VERSION);
        LE::write_u16(&mut b[10..12], DATA_START as u16);
        LE::write_u64(&mut b[16..24], self.log_id);
        LE::write_u64(&mut b[24..32], self.segment_id);
        LE::write_u64(&mut b[32..40], self.prev_segment_id);
        LE::write_u64(&mut b[40..48], self.base_seq);
        LE::write_u64(&mut b[48..56], self.capacity_bytes);
        LE::write_u64(&mut b[56..64], self.created_ms);
        let crc = crc32c::crc32c(&b[..HEADER_LEN - 4]);
        LE::write_u32(&mut b[HEADER_LEN - 4..], crc);
        b
    }

    /// Decodes a header; the error says which check failed.
    pub fn decode(b: &[u8]) -> Result<Self, String> {
        let b = b
            .get(..HEADER_LEN)
            .ok_or("file shorter than a segment header")?;
        if b[0..8] != SEGMENT_MAGIC {
            return Err("bad magic".into());
        }
        let version = LE::read_u16(&b[8..10]);
        if version != SEGMENT_VERSION {
            return Err(format!(
                "format version {version}, this build reads {SEGMENT_VERSION}"
            ));
        }
        if crc32c::crc32c(&b[..HEADER_LEN - 4]) != LE::read_u32(&b[HEADER_LEN - 4..]) {
            return Err("header checksum mismatch".into());
        }
        if u64::from(LE::read_u16(&b[10..12])) != DATA_START {
            return Err("unsupported data offset".into());
        }
        let header = SegmentHeader {
            log_id: LE::read_u64(&b[16..24]),
            segment_id: LE::read_u64(&b[24..32]),
            prev_segment_id: LE::read_u64(&b[32..40]),
            base_seq: LE::read_u64(&b[40..48]),
            capacity_bytes: LE::read_u64(&b[48..56]),
            created_ms: LE::read_u64(&b[56..64]),
        };
        let plausible = (1..MAX_SEGMENT_ID).contains(&header.segment_id)
            && header.prev_segment_id < header.segment_id
            && header.base_seq < MAX_SEQ
            && header.capacity_bytes % 4096 == 0;
        if !plausible {
            return Err("header fields out of range".into());
        }
        Ok(header)
    }
}

/// A durable mark: the segment was durable up to `durable_end` (holding sequence numbers below
/// `next_seq`) when this mark was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    pub counter: u64,
    pub durable_end: u64,
    pub next_seq: u64,
    pub last_ts_ms: u64,
    pub flags: u32,
    /// End of the bytes the sync that wrote this mark makes durable (0: nothing past `durable_end`).
    pub claim_end: u64,
    /// Sequence numbers below this are in the claimed bytes (0: nothing past `next_seq`).
    pub claim_next: u64,
}

impl Mark {
    /// The end of the bytes the last sync covered, whether or not it finished.
    pub fn claimed_end(&self) -> u64 {
        self.claim_end.max(self.durable_end)
    }

    /// Numbers below this may have been acknowledged or read.
    pub fn claimed_next(&self) -> u64 {
        self.claim_next.max(self.next_seq)
    }

    pub fn slot(&self) -> usize {
        (self.counter % 2) as usize
    }

    pub fn encode(&self, seed: u32) -> [u8; MARK_LEN] {
        let mut b = [0u8; MARK_LEN];
        LE::write_u32(&mut b[0..4], MARK_MAGIC);
        LE::write_u64(&mut b[8..16], self.counter);
        LE::write_u64(&mut b[16..24], self.durable_end);
        LE::write_u64(&mut b[24..32], self.next_seq);
        LE::write_u64(&mut b[32..40], self.last_ts_ms);
        LE::write_u32(&mut b[40..44], self.flags);
        LE::write_u64(&mut b[48..56], self.claim_end);
        LE::write_u64(&mut b[56..64], self.claim_next);
        let crc = crc32c::crc32c_append(seed, &b[8..]);
        LE::write_u32(&mut b[4..8], crc);
        b
    }

    pub fn decode(b: &[u8], seed: u32) -> Option<Mark> {
        let b = b.get(..MARK_LEN)?;
        if LE::read_u32(&b[0..4]) != MARK_MAGIC
            || crc32c::crc32c_append(seed, &b[8..]) != LE::read_u32(&b[4..8])
        {
            return None;
        }
        let mark = Mark {
            counter: LE::read_u64(&b[8..16]),
            durable_end: LE::read_u64(&b[16..24]),
            next_seq: LE::read_u64(&b[24..32]),
            last_ts_ms: LE::read_u64(&b[32..40]),
            flags: LE::read_u32(&b[40..44]),
            claim_end: LE::read_u64(&b[48..56]),
            claim_next: LE::read_u64(&b[56..64]),
        };
        let sane =
            mark.counter < MAX_MARK_COUNTER && mark.next_seq < MAX_SEQ && mark.claim_next < MAX_SEQ;
        sane.then_some(mark)
    }

    /// The newer of two slots' valid marks.
    pub fn newest(a: Option<Mark>, b: Option<Mark>) -> Option<Mark> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if a.counter >= b.counter { a } else { b }),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_damage() {
        let h = SegmentHeader {
            log_id: 1,
            segment_id: 2,
            prev_segment_id: 1,
            base_seq: 77,
            capacity_bytes: 1 << 20,
            created_ms: 5,
        };
        let b = h.encode();
        assert_eq!(SegmentHeader::decode(&b).unwrap(), h);
        for bit in 0..HEADER_LEN * 8 {
            let mut bad = b;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(SegmentHeader::decode(&bad).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn mark_is_bound_to_its_segment() {
        let m = Mark {
            counter: 3,
            durable_end: 8192,
            next_seq: 10,
            last_ts_ms: 4,
            flags: MARK_CLEAN,
            claim_end: 12288,
            claim_next: 12,
        };
        let b = m.encode(11);
        assert_eq!(Mark::decode(&b, 11), Some(m));
        assert_eq!(Mark::decode(&b, 12), None);
        assert_eq!(Mark::decode(&[0u8; MARK_LEN], 11), None);
        let older = Mark { counter: 2, ..m };
        assert_eq!(Mark::newest(Some(older), Some(m)), Some(m));
    }
}
