//! The sparse index of a segment and its side file.
//!
//! One entry about every 4 KiB of frames maps the first sequence number of a frame to its byte offset
//! and arrival time, so a lookup by sequence number or by time is a binary search plus a scan of a few
//! KiB. The index of the active segment lives in memory and is rebuilt by the recovery scan; a sealed
//! segment's index is written to `<segment>.idx` when it is sealed. The side file is only a cache: it is
//! checked against the segment on open and rebuilt when missing or wrong.
//!
//! ```text
//! .idx file: | magic "SHLGIDX\0" | version u16 | 0 u16 | count u32 | log_id u64 | segment_id u64 |
//!            | base_seq u64 | data_end u64 | next_seq u64 | first_ts_ms u64 | last_ts_ms u64 | 0 (16 bytes) |
//!            | count x (seq u64, offset u64, timestamp_ms u64) | crc32c u32 over all before |
//! ```

use byteorder::{ByteOrder, LittleEndian as LE};

/// Minimum bytes of frames between two index entries.
/// Frames target 4 KiB and are indexed one by one: a lookup checksums one frame, not two.
pub(crate) const INDEX_INTERVAL: u64 = 2048;
const IDX_MAGIC: [u8; 8] = *b"SHLGIDX\0";
const IDX_VERSION: u16 = 1;
const IDX_HEADER_LEN: usize = 88;
const ENTRY_LEN: usize = 24;

/// Where a frame starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// First sequence number of the frame.
    pub seq: u64,
    /// Byte offset of the frame in the segment file.
    pub offset: u64,
    /// Arrival time of the frame's records.
    pub timestamp_ms: u64,
}

/// Entries in offset, sequence and time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SparseIndex {
    /// The entries, oldest first.
    pub entries: Vec<IndexEntry>,
}

impl SparseIndex {
    /// Records a frame start if it is far enough from the last entry.
    pub fn observe(&mut self, entry: IndexEntry) {
        match self.entries.last() {
            Some(last) if entry.offset < last.offset.saturating_add(INDEX_INTERVAL) => {}
            _ => self.entries.push(entry),
        }
    }

    /// The last entry whose frame starts at or before `seq`'s frame.
    ///
    /// Records of a shard tend to be of similar size, so frames start at nearly evenly spaced
    /// numbers. The search therefore guesses the position by interpolation and gallops outwards from
    /// it: a lookup touches a cache line or two of the index instead of the ~log2(n) scattered ones
    /// of a plain binary search, and uneven spacing only costs O(log distance).
    pub fn floor_seq(&self, seq: u64) -> Option<IndexEntry> {
        let e = &self.entries;
        let (first, last) = (e.first()?, e.last()?);
        if seq < first.seq {
            return None;
        }
        if seq >= last.seq {
            return Some(*last);
        }
        let span = u128::from(last.seq.saturating_sub(first.seq)).max(1);
        let guess = u128::from(seq - first.seq) * (e.len() as u128 - 1) / span;
        let guess = (guess as usize).min(e.len() - 1);
        let (lo, hi) = gallop(e, guess, seq);
        let i = lo
            + e.get(lo..hi)
                .map_or(0, |r| r.partition_point(|x| x.seq <= seq));
        e.get(i.saturating_sub(1)).copied()
    }

    /// The last entry whose timestamp is before `ts`: no record before it can be at or after `ts`.
    pub fn floor_time(&self, ts: u64) -> Option<IndexEntry> {
        let i = self.entries.partition_point(|e| e.timestamp_ms < ts);
        i.checked_sub(1).and_then(|i| self.entries.get(i)).copied()
    }
}

/// A range `lo..hi` around `guess` with `e[lo].seq <= seq < e[hi].seq` (for sorted entries whose
/// first is at most `seq` and whose last is above it), found with doubling steps from `guess`.
fn gallop(e: &[IndexEntry], guess: usize, seq: u64) -> (usize, usize) {
    let below = |i: usize| e.get(i).is_some_and(|x| x.seq <= seq);
    let mut step = 1;
    if below(guess) {
        let mut lo = guess;
        loop {
            let probe = lo.saturating_add(step).min(e.len() - 1);
            if probe == lo || !below(probe) {
                return (lo, probe.max(lo + 1));
            }
            lo = probe;
            step *= 2;
        }
    }
    let mut hi = guess;
    loop {
        let probe = hi.saturating_sub(step);
        if below(probe) || probe == 0 {
            return (probe, hi);
        }
        hi = probe;
        step *= 2;
    }
}

/// Summary of a sealed segment stored with its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Log the segment belongs to.
    pub log_id: u64,
    /// The segment.
    pub segment_id: u64,
    /// First sequence number the segment may hold.
    pub base_seq: u64,
    /// Offset just past the last frame.
    pub data_end: u64,
    /// Sequence number after the segment's last record.
    pub next_seq: u64,
    /// Arrival time of the first record.
    pub first_ts_ms: u64,
    /// Arrival time of the last record.
    pub last_ts_ms: u64,
    /// The sparse index.
    pub index: SparseIndex,
}

impl IndexFile {
    /// The side file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.index.entries.len();
        let mut b = vec![0u8; IDX_HEADER_LEN + n * ENTRY_LEN + 4];
        b[0..8].copy_from_slice(&IDX_MAGIC);
        LE::write_u16(&mut b[8..10], IDX_VERSION);
        LE::write_u32(&mut b[12..16], n as u32);
        let fields = [
            self.log_id,
            self.segment_id,
            self.base_seq,
            self.data_end,
            self.next_seq,
            self.first_ts_ms,
            self.last_ts_ms,
        ];
        for (i, v) in fields.iter().enumerate() {
            LE::write_u64(&mut b[16 + 8 * i..24 + 8 * i], *v);
        }
        for (i, e) in self.index.entries.iter().enumerate() {
            let at = IDX_HEADER_LEN + i * ENTRY_LEN;
            LE::write_u64(&mut b[at..at + 8], e.seq);
            LE::write_u64(&mut b[at + 8..at + 16], e.offset);
            LE::write_u64(&mut b[at + 16..at + 24], e.timestamp_ms);
        }
        let end = b.len() - 4;
        let crc = crc32c::crc32c(&b[..end]);
        LE::write_u32(&mut b[end..], crc);
        b
    }

    /// Decodes an index file and checks its internal consistency (not yet against the segment).
    pub fn decode(b: &[u8]) -> Result<Self, String> {
        let head = b.get(..IDX_HEADER_LEN).ok_or("index file too short")?;
        if head[0..8] != IDX_MAGIC || LE::read_u16(&head[8..10]) != IDX_VERSION {
            return Err("bad index magic or version".into());
        }
        let n = LE::read_u32(&head[12..16]) as usize;
        let total = n
            .checked_mul(ENTRY_LEN)
            .and_then(|x| x.checked_add(IDX_HEADER_LEN + 4))
            .ok_or("bad entry count")?;
        if b.len() != total {
            return Err("index file length does not match its entry count".into());
        }
        let (body, crc) = b.split_at(total - 4);
        if crc32c::crc32c(body) != LE::read_u32(crc) {
            return Err("index checksum mismatch".into());
        }
        let field = |i: usize| LE::read_u64(&head[16 + 8 * i..24 + 8 * i]);
        let entries = body[IDX_HEADER_LEN..]
            .chunks_exact(ENTRY_LEN)
            .map(|c| IndexEntry {
                seq: LE::read_u64(&c[0..8]),
                offset: LE::read_u64(&c[8..16]),
                timestamp_ms: LE::read_u64(&c[16..24]),
            })
            .collect::<Vec<_>>();
        let file = IndexFile {
            log_id: field(0),
            segment_id: field(1),
            base_seq: field(2),
            data_end: field(3),
            next_seq: field(4),
            first_ts_ms: field(5),
            last_ts_ms: field(6),
            index: SparseIndex { entries },
        };
        file.check()?;
        Ok(file)
    }

    fn check(&self) -> Result<(), String> {
        let e = &self.index.entries;
        let ordered = e.windows(2).all(|w| {
            w[0].offset < w[1].offset
                && w[0].seq < w[1].seq
                && w[0].timestamp_ms <= w[1].timestamp_ms
        });
        let inside = e.iter().all(|x| {
            x.offset >= crate::header::DATA_START
                && x.offset < self.data_end
                && x.seq >= self.base_seq
                && x.seq < self.next_seq
        });
        if !ordered
            || !inside
            || self.next_seq < self.base_seq
            || self.first_ts_ms > self.last_ts_ms
        {
            return Err("index entries out of order or outside the segment".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IndexFile {
        let mut index = SparseIndex::default();
        for i in 0..10u64 {
            index.observe(IndexEntry {
                seq: 100 + i * 10,
                offset: 4096 + i * (INDEX_INTERVAL / 2),
                timestamp_ms: 1000 + i,
            });
        }
        IndexFile {
            log_id: 1,
            segment_id: 2,
            base_seq: 100,
            data_end: 4096 + 10 * INDEX_INTERVAL,
            next_seq: 200,
            first_ts_ms: 1000,
            last_ts_ms: 1009,
            index,
        }
    }

    #[test]
    fn sparse_every_interval() {
        let f = sample();
        assert_eq!(f.index.entries.len(), 5);
        assert_eq!(f.index.floor_seq(145).unwrap().seq, 140);
        assert_eq!(f.index.floor_seq(99), None);
        assert_eq!(f.index.floor_time(1005).unwrap().timestamp_ms, 1004);
    }

    #[test]
    fn floor_seq_matches_a_binary_search_on_uneven_spacing() {
        let mut index = SparseIndex::default();
        let mut seq = 10;
        for i in 0..500u64 {
            index.entries.push(IndexEntry {
                seq,
                offset: 4096 + i * 4096,
                timestamp_ms: 0,
            });
            // Mostly even, with a few very large and very small gaps.
            seq += match i % 97 {
                0 => 5000,
                1..=3 => 1,
                _ => 40,
            };
        }
        let plain = |s: u64| {
            let i = index.entries.partition_point(|e| e.seq <= s);
            i.checked_sub(1).map(|i| index.entries[i])
        };
        for s in 0..seq + 100 {
            assert_eq!(index.floor_seq(s), plain(s), "seq {s}");
        }
        assert_eq!(SparseIndex::default().floor_seq(5), None);
    }

    #[test]
    fn round_trip_and_any_bit_flip_rejected() {
        let f = sample();
        let b = f.encode();
        assert_eq!(IndexFile::decode(&b).unwrap(), f);
        for bit in 0..b.len() * 8 {
            let mut bad = b.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(IndexFile::decode(&bad).is_err(), "bit {bit}");
        }
        assert!(IndexFile::decode(&b[..b.len() - 1]).is_err());
    }
}
