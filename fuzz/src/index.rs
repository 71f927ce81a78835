//! `index_decode`: the decoders of a segment's `.idx` side file and of `log.meta` against arbitrary
//! bytes.
//!
//! The first byte picks the file and how the rest becomes its bytes:
//!
//! | `mode % 4` | bytes |
//! | --- | --- |
//! | 0 | an `.idx` file, raw |
//! | 1 | an `.idx` file built from the rest (header fields, then 24-byte entries) with valid magic, version, count and checksum |
//! | 2 | a `log.meta` file, raw |
//! | 3 | a `log.meta` file built from the rest (four fields) with valid magic, version and checksum |
//!
//! Properties checked: decoding returns `Ok` or `Err` and never panics. A decoded index has its
//! entries strictly ordered by offset and sequence number (time never going back) and inside the
//! segment (`DATA_START..data_end`, `base_seq..next_seq`); lookups by sequence number and by time
//! (`floor_seq`, `floor_time`) return one of its entries, the right one; re-encoding gives the input
//! back (reserved bytes zeroed) and decodes to the same value; any single-bit flip is rejected. A
//! decoded `log.meta` is in range (`start_seq <= next_seq_floor < 2^62`, first live segment in
//! `1..2^48`) and round-trips the same way.

use crate::input::Input;
use shardlog_segment::fuzzing::{IndexFile, LogMeta};

/// Offset of the first frame in a segment (an index entry may not point below it).
const DATA_START: u64 = 4096;
/// Sequence numbers stay below this.
const MAX_SEQ: u64 = 1 << 62;
/// Segment ids stay below this.
const MAX_SEGMENT_ID: u64 = 1 << 48;
/// Bytes of the `.idx` header.
const IDX_HEADER_LEN: usize = 88;
/// Bytes of an `.idx` entry.
const ENTRY_LEN: usize = 24;
/// Reserved byte ranges of the `.idx` header (written as zeros, covered by the checksum).
const IDX_RESERVED: [std::ops::Range<usize>; 2] = [10..12, 72..88];
/// Reserved byte range of `log.meta`.
const META_RESERVED: std::ops::Range<usize> = 10..16;

/// Runs every `index_decode` check on one input ([`crate::strict`] decides about known bugs).
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs every `index_decode` check on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs in these decoders
    let mut r = Input::new(data);
    let mode = r.byte();
    match mode % 4 {
        0 => check_index(r.rest()),
        1 => check_index(&build_index(r.rest())),
        2 => check_meta(r.rest()),
        _ => check_meta(&build_meta(r.rest())),
    }
}

/// An `.idx` file whose header fields and entries are the input's bytes, with a valid frame around
/// them: magic, version, the count the length implies, and the checksum.
pub fn build_index(body: &[u8]) -> Vec<u8> {
    let fields = body.len().min(IDX_HEADER_LEN - 16);
    let entries = body.len().saturating_sub(fields) / ENTRY_LEN;
    let mut b = vec![0u8; IDX_HEADER_LEN + entries * ENTRY_LEN + 4];
    b[0..8].copy_from_slice(b"SHLGIDX\0");
    b[8..10].copy_from_slice(&1u16.to_le_bytes());
    b[12..16].copy_from_slice(&(entries as u32).to_le_bytes());
    b[16..16 + fields].copy_from_slice(&body[..fields]);
    let rest = &body[fields..fields + entries * ENTRY_LEN];
    b[IDX_HEADER_LEN..IDX_HEADER_LEN + rest.len()].copy_from_slice(rest);
    seal(&mut b);
    b
}

/// A `log.meta` file whose fields are the input's bytes, with valid magic, version and checksum.
pub fn build_meta(body: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 52];
    b[0..8].copy_from_slice(b"SHLGMETA");
    b[8..10].copy_from_slice(&1u16.to_le_bytes());
    let n = body.len().min(32);
    b[16..16 + n].copy_from_slice(&body[..n]);
    seal(&mut b);
    b
}

/// Writes the CRC32C of everything before the last four bytes into them.
fn seal(b: &mut [u8]) {
    let end = b.len() - 4;
    let crc = crc32c::crc32c(&b[..end]);
    b[end..].copy_from_slice(&crc.to_le_bytes());
}

/// `bytes` with the given ranges zeroed and the checksum recomputed: what an encoder writes for the
/// same fields.
fn canonical(bytes: &[u8], reserved: &[std::ops::Range<usize>]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for r in reserved {
        b[r.clone()].fill(0);
    }
    seal(&mut b);
    b
}

/// Decodes `bytes` as an `.idx` file and checks what comes out.
pub fn check_index(bytes: &[u8]) {
    let Ok(f) = IndexFile::decode(bytes) else {
        return;
    };
    let e = &f.index.entries;
    assert_eq!(
        bytes.len(),
        IDX_HEADER_LEN + e.len() * ENTRY_LEN + 4,
        "decoded length"
    );
    assert!(f.base_seq <= f.next_seq, "base_seq above next_seq");
    assert!(
        f.first_ts_ms <= f.last_ts_ms,
        "first_ts_ms above last_ts_ms"
    );
    for w in e.windows(2) {
        assert!(w[0].offset < w[1].offset, "offsets out of order: {w:?}");
        assert!(w[0].seq < w[1].seq, "sequence numbers out of order: {w:?}");
        assert!(
            w[0].timestamp_ms <= w[1].timestamp_ms,
            "time goes back: {w:?}"
        );
    }
    for x in e {
        assert!(
            (DATA_START..f.data_end).contains(&x.offset),
            "entry offset {} outside {DATA_START}..{}",
            x.offset,
            f.data_end
        );
        assert!(
            (f.base_seq..f.next_seq).contains(&x.seq),
            "entry seq {} outside {}..{}",
            x.seq,
            f.base_seq,
            f.next_seq
        );
    }
    check_lookups(&f);
    let again = f.encode();
    assert!(
        again == canonical(bytes, &IDX_RESERVED),
        "re-encoded index differs from the input"
    );
    assert_eq!(IndexFile::decode(&again).as_ref(), Ok(&f), "round trip");
    let bit = bit_to_flip(bytes);
    let mut bad = bytes.to_vec();
    bad[bit / 8] ^= 1 << (bit % 8);
    assert!(
        IndexFile::decode(&bad).is_err(),
        "bit flip at {bit} not detected"
    );
}

/// A bit of `bytes` chosen from its content (the decoders must reject a flip of any bit).
fn bit_to_flip(bytes: &[u8]) -> usize {
    let h = crc32c::crc32c(bytes) as usize;
    h % (bytes.len() * 8)
}

/// Probes `floor_seq` and `floor_time` at every entry, one either side of it, and both extremes.
fn check_lookups(f: &IndexFile) {
    let e = &f.index.entries;
    let mut probes = vec![
        0,
        u64::MAX,
        f.base_seq,
        f.next_seq,
        f.first_ts_ms,
        f.last_ts_ms,
    ];
    for x in e {
        for v in [x.seq, x.timestamp_ms] {
            probes.extend([v.saturating_sub(1), v, v.saturating_add(1)]);
        }
    }
    for &p in &probes {
        // floor_seq: the last entry with seq <= p.
        let want = e.iter().rev().find(|x| x.seq <= p).copied();
        assert_eq!(f.index.floor_seq(p), want, "floor_seq({p})");
        // floor_time: the last entry with timestamp < p.
        let want = e.iter().rev().find(|x| x.timestamp_ms < p).copied();
        assert_eq!(f.index.floor_time(p), want, "floor_time({p})");
    }
}

/// Decodes `bytes` as `log.meta` and checks what comes out.
pub fn check_meta(bytes: &[u8]) {
    let Ok(m) = LogMeta::decode(bytes) else {
        return;
    };
    assert!(
        m.start_seq <= m.next_seq_floor,
        "start_seq {} above next_seq_floor {}",
        m.start_seq,
        m.next_seq_floor
    );
    assert!(
        m.next_seq_floor < MAX_SEQ,
        "next_seq_floor {}",
        m.next_seq_floor
    );
    assert!(
        (1..MAX_SEGMENT_ID).contains(&m.first_live_segment),
        "first_live_segment {}",
        m.first_live_segment
    );
    let again = m.encode();
    assert!(
        again[..] == canonical(bytes, &[META_RESERVED])[..],
        "re-encoded log.meta differs from the input"
    );
    assert_eq!(LogMeta::decode(&again), Ok(m), "round trip");
    let bit = bit_to_flip(bytes);
    let mut bad = bytes.to_vec();
    bad[bit / 8] ^= 1 << (bit % 8);
    assert!(
        LogMeta::decode(&bad).is_err(),
        "bit flip at {bit} not detected"
    );
}
