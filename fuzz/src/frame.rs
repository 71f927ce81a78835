//! `frame_decode`: the record codec against arbitrary bytes.
//!
//! Properties checked:
//! - `decode_frame` never panics, on the raw input and on the input with its checksum made valid
//!   (which is what lets the fuzzer reach the record-layout checks behind the checksum);
//! - a decoded records frame re-encodes with `encode_frame` (same seed, `first_seq`, timestamp) to
//!   exactly the input's first `len` bytes, padded with zeros to `stride()`, and decodes again to the
//!   same frame; its records are numbered consecutively and carry the frame's timestamp;
//! - a decoded skip frame has no records, `count() == 0` and a 32-byte length;
//! - a valid frame fails to decode under another seed, and after any single-bit flip in bytes
//!   `4..len` (CRC32C detects every single-bit error in the covered bytes);
//! - records derived from the input survive `encode_frame` -> `decode_frame` unchanged.

use crate::format::fix_frame_crc;
use crate::input::Input;
use shardlog_segment::codec::{decode_frame, encode_frame, segment_seed, FrameError, RecordRef};

/// The checksum seed all frame inputs are decoded with (log 1, segment 1).
pub fn seed() -> u32 {
    segment_seed(1, 1)
}

/// Runs every `frame_decode` check on one input ([`crate::strict`] decides about known bugs).
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs every `frame_decode` check on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs in the codec
    let seed = seed();
    check_decode(data, seed);
    let mut fixed = data.to_vec();
    if fix_frame_crc(&mut fixed, seed).is_some() {
        check_decode(&fixed, seed);
    }
    check_round_trip(data, seed);
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le_u64(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[..8]);
    u64::from_le_bytes(x)
}

/// Decodes `bytes`; if that succeeds, checks the frame against its bytes and its re-encoding.
pub fn check_decode(bytes: &[u8], seed: u32) {
    let frame = match decode_frame(bytes, seed) {
        Ok(frame) => frame,
        Err(FrameError::Empty) => {
            assert!(bytes.len() >= 32 && bytes[..32].iter().all(|&b| b == 0));
            return;
        }
        Err(FrameError::Truncated) => {
            let len = bytes.get(..4).map_or(0, |b| le_u32(b) as usize);
            assert!(
                bytes.len() < 32 || len > bytes.len(),
                "Truncated but all bytes present"
            );
            return;
        }
        Err(_) => return,
    };
    let len = le_u32(bytes) as usize;
    let stride = frame.stride();
    assert!(
        len >= 32 && len <= bytes.len(),
        "decoded frame length {len} outside input"
    );
    assert!(
        stride % 8 == 0 && stride >= len && stride < len + 8,
        "stride {stride} for len {len}"
    );
    assert_eq!(frame.first_seq(), le_u64(&bytes[16..]));
    assert_eq!(frame.timestamp_ms(), le_u64(&bytes[24..]));
    assert_eq!(
        frame.count(),
        usize::from(u16::from_le_bytes([bytes[10], bytes[11]]))
    );
    assert!(
        decode_frame(bytes, seed ^ 1).is_err(),
        "frame also valid under another seed"
    );
    let records: Vec<RecordRef<'_>> = frame.records().collect();
    if frame.is_skip() {
        assert_eq!(frame.count(), 0, "skip frame with records");
        assert!(records.is_empty(), "skip frame yields records");
        assert_eq!(len, 32, "skip frame with a body");
        assert_eq!(frame.next_seq(), frame.first_seq());
    } else {
        assert!(frame.count() > 0, "records frame without records");
        assert_eq!(
            records.len(),
            frame.count(),
            "records() disagrees with count()"
        );
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.seq, frame.first_seq() + i as u64);
            assert_eq!(r.timestamp_ms, frame.timestamp_ms());
        }
        assert_eq!(frame.next_seq(), frame.first_seq() + frame.count() as u64);
        let pairs: Vec<(&[u8], &[u8])> = records.iter().map(|r| (r.key, r.data)).collect();
        let mut buf = Vec::new();
        encode_frame(
            &mut buf,
            seed,
            frame.first_seq(),
            frame.timestamp_ms(),
            &pairs,
        );
        assert_eq!(buf.len(), stride, "re-encoded frame has another stride");
        assert!(
            buf[..len] == bytes[..len],
            "re-encoded frame differs from the input"
        );
        assert!(
            buf[len..].iter().all(|&b| b == 0),
            "encoder padding not zero"
        );
        let again = decode_frame(&buf, seed).expect("re-encoded frame does not decode");
        assert_eq!(again.stride(), stride);
        assert!(again.records().eq(frame.records()));
    }
    // Any single-bit flip in the checksum or the bytes it covers is detected.
    let bit = (le_u64(&bytes[8..]) as usize) % ((len - 4) * 8);
    let mut bad = bytes[..len].to_vec();
    bad[4 + bit / 8] ^= 1 << (bit % 8);
    assert!(
        decode_frame(&bad, seed).is_err(),
        "bit flip at bit {} not detected",
        32 + bit
    );
}

/// Builds records from the input, encodes them and decodes them back.
pub fn check_round_trip(data: &[u8], seed: u32) {
    let mut r = Input::new(data);
    let first_seq = r.num();
    let ts = r.num();
    let n = usize::from(r.byte() % 8);
    let mut records: Vec<(&[u8], &[u8])> = Vec::with_capacity(n);
    for _ in 0..n {
        let key_len = usize::from(r.byte() % 16);
        let data_len = usize::from(r.u16() % 2048);
        let key = r.bytes(key_len);
        let value = r.bytes(data_len);
        records.push((key, value));
    }
    let mut buf = vec![0xAA; usize::from(r.byte() % 3)];
    let start = buf.len();
    encode_frame(&mut buf, seed, first_seq, ts, &records);
    let encoded = &buf[start..];
    assert_eq!(encoded.len() % 8, 0);
    let decoded = decode_frame(encoded, seed);
    if n == 0 || first_seq.checked_add(n as u64).is_none() {
        // Not a frame the log ever writes: an empty frame, or sequence numbers past u64::MAX.
        assert_eq!(decoded.err(), Some(FrameError::BadRecords));
        return;
    }
    let frame = decoded.expect("encoded frame does not decode");
    assert_eq!(frame.stride(), encoded.len());
    assert!(!frame.is_skip());
    assert_eq!((frame.first_seq(), frame.timestamp_ms()), (first_seq, ts));
    let got: Vec<(&[u8], &[u8])> = frame.records().map(|r| (r.key, r.data)).collect();
    assert_eq!(got, records);
    // The frame also decodes with trailing bytes after it.
    let mut longer = encoded.to_vec();
    longer.extend_from_slice(r.rest());
    let again = decode_frame(&longer, seed).expect("frame with trailing bytes does not decode");
    assert_eq!(again.stride(), encoded.len());
}
