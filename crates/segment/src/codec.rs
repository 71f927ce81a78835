//! The record codec: how records are framed inside a segment.
//!
//! A frame holds one or more records of one append call that share a sequence range and an arrival
//! timestamp. Layout (all integers little-endian, see `docs/format.md`):
//!
//! ```text
//! 0      4      8    9     10      12        16          24             32
//! | len  | crc  |kind|flags| count | reserved| first_seq | timestamp_ms | records...
//! record: | key_len u16 | data_len u32 | key | data |
//! ```
//!
//! `len` counts the header and the records (not the zero padding that aligns the next frame to 8
//! bytes). `crc` is CRC32C over bytes `8..len`, started from a seed derived from the log and segment
//! identity, so a frame copied from another segment or left over from an earlier use of the space never
//! validates. `kind` is never zero, so zero-filled space never decodes as a frame.

use byteorder::{ByteOrder, LittleEndian as LE};

/// Bytes of the frame header.
pub const FRAME_HEADER_LEN: usize = 32;
/// Bytes of each record's header inside a frame.
pub const RECORD_HEADER_LEN: usize = 6;
/// Frames start at multiples of this many bytes.
pub const FRAME_ALIGN: usize = 8;
/// Appends group records into frames of about this many bytes (a larger record gets a frame alone).
pub const FRAME_TARGET_LEN: usize = 4 * 1024;
/// Largest partition key, in bytes.
pub const MAX_KEY_LEN: usize = u16::MAX as usize;

/// Frame kind: records.
pub(crate) const KIND_RECORDS: u8 = 1;
/// Frame kind: no records; `first_seq` is the next sequence number (numbers below it are never used).
pub(crate) const KIND_SKIP: u8 = 2;

/// Why a byte range is not a valid frame.
///
/// ```
/// use shardlog_segment::codec::{decode_frame, FrameError};
/// assert_eq!(decode_frame(&[0u8; 64], 0).unwrap_err(), FrameError::Empty);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// Fewer bytes than a frame header, or than the length field claims.
    Truncated,
    /// All-zero header: unwritten, preallocated space.
    Empty,
    /// The length field is impossible.
    BadLength,
    /// Unknown kind or non-zero reserved bits.
    BadKind,
    /// The checksum does not match (torn write, bit rot, or bytes from another segment).
    Checksum,
    /// The records do not exactly fill the frame.
    BadRecords,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FrameError::Truncated => "frame truncated",
            FrameError::Empty => "no frame (zero bytes)",
            FrameError::BadLength => "impossible frame length",
            FrameError::BadKind => "unknown frame kind",
            FrameError::Checksum => "frame checksum mismatch",
            FrameError::BadRecords => "records do not fill the frame",
        })
    }
}

/// A decoded, checksum-verified frame borrowing its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    kind: u8,
    count: u16,
    first_seq: u64,
    timestamp_ms: u64,
    len: usize,
    body: &'a [u8],
}

/// One record, borrowing its key and data.
///
/// ```
/// use shardlog_segment::codec::{decode_frame, encode_frame};
/// let mut buf = Vec::new();
/// encode_frame(&mut buf, 9, 100, 1_700_000_000_000, &[(b"user-1", b"click")]);
/// let frame = decode_frame(&buf, 9).unwrap();
/// let rec = frame.records().next().unwrap();
/// assert_eq!((rec.seq, rec.key, rec.data), (100, &b"user-1"[..], &b"click"[..]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Arrival time, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Partition key.
    pub key: &'a [u8],
    /// Data blob.
    pub data: &'a [u8],
}

impl<'a> Frame<'a> {
    /// Bytes the frame occupies including padding: where the next frame starts.
    pub fn stride(&self) -> usize {
        align(self.len)
    }
    /// First sequence number (for a skip frame: the next number to use).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }
    /// One past the last sequence number in the frame.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + u64::from(self.count)
    }
    /// Number of records.
    pub fn count(&self) -> usize {
        usize::from(self.count)
    }
    /// Arrival timestamp of every record in the frame.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }
    /// True for a frame that only moves the sequence counter forward.
    pub fn is_skip(&self) -> bool {
        self.kind == KIND_SKIP
    }
    /// The records, in sequence order.
    pub fn records(&self) -> Records<'a> {
        Records {
            body: self.body,
            seq: self.first_seq,
            timestamp_ms: self.timestamp_ms,
        }
    }
}

/// Iterator over the records of a [`Frame`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    body: &'a [u8],
    seq: u64,
    timestamp_ms: u64,
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordRef<'a>;
    fn next(&mut self) -> Option<RecordRef<'a>> {
        let (key, data, rest) = split_record(self.body)?;
        self.body = rest;
        let seq = self.seq;
        self.seq += 1;
        Some(RecordRef {
            seq,
            timestamp_ms: self.timestamp_ms,
            key,
            data,
        })
    }
}

fn split_record(body: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let head = body.get(..RECORD_HEADER_LEN)?;
    let key_len = usize::from(LE::read_u16(head));
    let data_len = usize::try_from(LE::read_u32(head.get(2..)?)).ok()?;
    let rest = body.get(RECORD_HEADER_LEN..)?;
    let key = rest.get(..key_len)?;
    let data = rest.get(key_len..key_len.checked_add(data_len)?)?;
    let rest = rest.get(key_len + data_len..)?;
    Some((key, data, rest))
}

/// Rounds `n` up to the frame alignment.
pub(crate) const fn align(n: usize) -> usize {
    (n + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// Encoded size of one record inside a frame.
pub(crate) fn record_len(key: &[u8], data: &[u8]) -> usize {
    RECORD_HEADER_LEN + key.len() + data.len()
}

/// Appends one frame holding `records` (numbered from `first_seq`) to `buf`, padded to the alignment.
///
/// Keys longer than [`MAX_KEY_LEN`] or data of 4 GiB or more are the caller's error (checked by the log
/// before encoding); the encoder truncates nothing and panics on nothing.
pub fn encode_frame<K: AsRef<[u8]>, D: AsRef<[u8]>>(
    buf: &mut Vec<u8>,
    seed: u32,
    first_seq: u64,
    timestamp_ms: u64,
    records: &[(K, D)],
) {
    let start = buf.len();
    buf.resize(start + FRAME_HEADER_LEN, 0);
    for (key, data) in records {
        let (key, data) = (key.as_ref(), data.as_ref());
        let mut head = [0u8; RECORD_HEADER_LEN];
        LE::write_u16(&mut head, key.len() as u16);
        LE::write_u32(&mut head[2..], data.len() as u32);
        buf.extend_from_slice(&head);
        buf.extend_from_slice(key);
        buf.extend_from_slice(data);
    }
    finish_frame(
        buf,
        start,
        seed,
        KIND_RECORDS,
        records.len() as u16,
        first_seq,
        timestamp_ms,
    );
}

/// Appends a skip frame that moves the next sequence number to `next_seq`.
pub(crate) fn encode_skip(buf: &mut Vec<u8>, seed: u32, next_seq: u64, timestamp_ms: u64) {
    let start = buf.len();
    buf.resize(start + FRAME_HEADER_LEN, 0);
    finish_frame(buf, start, seed, KIND_SKIP, 0, next_seq, timestamp_ms);
}

fn finish_frame(
    buf: &mut Vec<u8>,
    start: usize,
    seed: u32,
    kind: u8,
    count: u16,
    first_seq: u64,
    timestamp_ms: u64,
) {
    let len = buf.len() - start;
    let frame = &mut buf[start..];
    LE::write_u32(&mut frame[0..4], len as u32);
    frame[8] = kind;
    frame[9] = 0;
    LE::write_u16(&mut frame[10..12], count);
    LE::write_u32(&mut frame[12..16], 0);
    LE::write_u64(&mut frame[16..24], first_seq);
    LE::write_u64(&mut frame[24..32], timestamp_ms);
    let crc = crc32c::crc32c_append(seed, &frame[8..len]);
    LE::write_u32(&mut frame[4..8], crc);
    buf.resize(start + align(len), 0);
}

/// Decodes and verifies the frame at the start of `bytes`.
///
/// `seed` is the segment's checksum seed; decoding never panics, whatever the bytes.
pub fn decode_frame(bytes: &[u8], seed: u32) -> Result<Frame<'_>, FrameError> {
    let head = bytes.get(..FRAME_HEADER_LEN).ok_or(FrameError::Truncated)?;
    if head.iter().all(|&b| b == 0) {
        return Err(FrameError::Empty);
    }
    let len = usize::try_from(LE::read_u32(head)).map_err(|_| FrameError::BadLength)?;
    if len < FRAME_HEADER_LEN {
        return Err(FrameError::BadLength);
    }
    let frame = bytes.get(..len).ok_or(FrameError::Truncated)?;
    let (kind, flags, reserved) = (head[8], head[9], LE::read_u32(&head[12..16]));
    if !matches!(kind, KIND_RECORDS | KIND_SKIP) || flags != 0 || reserved != 0 {
        return Err(FrameError::BadKind);
    }
    let body = &frame[FRAME_HEADER_LEN..];
    if crc32c::crc32c_append(seed, &frame[8..]) != LE::read_u32(&head[4..8]) {
        return Err(FrameError::Checksum);
    }
    let decoded = Frame {
        kind,
        count: LE::read_u16(&head[10..12]),
        first_seq: LE::read_u64(&head[16..24]),
        timestamp_ms: LE::read_u64(&head[24..32]),
        len,
        body,
    };
    check_records(&decoded)?;
    Ok(decoded)
}

fn check_records(frame: &Frame<'_>) -> Result<(), FrameError> {
    if frame.kind == KIND_SKIP {
        return if frame.count == 0 && frame.body.is_empty() {
            Ok(())
        } else {
            Err(FrameError::BadRecords)
        };
    }
    if frame.count == 0
        || frame
            .first_seq
            .checked_add(u64::from(frame.count))
            .is_none()
    {
        return Err(FrameError::BadRecords);
    }
    let mut rest = frame.body;
    for _ in 0..frame.count {
        let (_, _, tail) = split_record(rest).ok_or(FrameError::BadRecords)?;
        rest = tail;
    }
    if rest.is_empty() {
        Ok(())
    } else {
        Err(FrameError::BadRecords)
    }
}

/// The checksum seed of a segment: binds every frame to its log and segment.
pub fn segment_seed(log_id: u64, segment_id: u64) -> u32 {
    let mut id = [0u8; 24];
    LE::write_u64(&mut id[0..8], log_id);
    LE::write_u64(&mut id[8..16], segment_id);
    id[16..24].copy_from_slice(b"SHLGFRM1");
    crc32c::crc32c(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_alignment() {
        let mut buf = Vec::new();
        encode_frame(
            &mut buf,
            5,
            7,
            99,
            &[(b"k1".as_slice(), b"abc".as_slice()), (b"", b"")],
        );
        assert_eq!(buf.len() % FRAME_ALIGN, 0);
        let frame = decode_frame(&buf, 5).unwrap();
        assert_eq!(frame.stride(), buf.len());
        let recs: Vec<_> = frame.records().collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].seq, 8);
        assert_eq!(recs[0].data, b"abc");
        assert_eq!(frame.next_seq(), 9);
    }

    #[test]
    fn wrong_seed_is_a_checksum_error() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, segment_seed(1, 2), 0, 0, &[(b"k", b"v")]);
        assert_eq!(
            decode_frame(&buf, segment_seed(1, 3)).unwrap_err(),
            FrameError::Checksum
        );
    }

    #[test]
    fn every_bit_flip_is_detected() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, 3, 10, 20, &[(b"key", b"some data here")]);
        let len = decode_frame(&buf, 3).unwrap().len;
        for bit in 0..len * 8 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_frame(&bad, 3).is_err(), "bit {bit} undetected");
        }
    }

    #[test]
    fn skip_frame() {
        let mut buf = Vec::new();
        encode_skip(&mut buf, 1, 500, 3);
        let f = decode_frame(&buf, 1).unwrap();
        assert!(f.is_skip());
        assert_eq!((f.first_seq(), f.count()), (500, 0));
    }
}
