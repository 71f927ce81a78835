//! Encoders for the on-disk structures that `shardlog-segment` keeps crate-private (segment header,
//! durable marks, `log.meta`, `.idx` files, skip frames), written from the layouts documented in
//! `crates/segment/src/{header,meta,index,codec}.rs`. They let the fuzzer build files whose checksums
//! are valid, so it gets past the checksum checks to the logic behind them.

/// Offset of the first frame in a segment.
pub const DATA_START: usize = 4096;
/// Offsets of the two mark slots.
pub const MARK_OFFSETS: [usize; 2] = [512, 1024];
/// Bytes of the frame header.
pub const FRAME_HEADER_LEN: usize = 32;
/// Frame kind of a skip frame.
pub const KIND_SKIP: u8 = 2;
/// Mark flag: closed cleanly.
pub const MARK_CLEAN: u32 = 1;
/// Mark flag: records were visible before they were durable.
pub const MARK_EAGER: u32 = 2;

/// File name of segment `id`.
pub fn segment_name(id: u64) -> String {
    format!("{id:020}.seg")
}

/// File name of segment `id`'s index.
pub fn index_name(id: u64) -> String {
    format!("{id:020}.idx")
}

/// Rounds up to the frame alignment (8), saturating.
pub fn align8(n: usize) -> usize {
    n.saturating_add(7) & !7
}

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Segment header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub log_id: u64,
    pub segment_id: u64,
    pub prev_segment_id: u64,
    pub base_seq: u64,
    pub capacity: u64,
    pub created_ms: u64,
}

impl Header {
    /// The 128-byte header with a valid checksum.
    pub fn encode(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..8].copy_from_slice(b"SHLGSEG\0");
        put_u16(&mut b, 8, 1);
        put_u16(&mut b, 10, DATA_START as u16);
        put_u64(&mut b, 16, self.log_id);
        put_u64(&mut b, 24, self.segment_id);
        put_u64(&mut b, 32, self.prev_segment_id);
        put_u64(&mut b, 40, self.base_seq);
        put_u64(&mut b, 48, self.capacity);
        put_u64(&mut b, 56, self.created_ms);
        let crc = crc32c::crc32c(&b[..124]);
        put_u32(&mut b, 124, crc);
        b
    }
}

/// A durable mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub counter: u64,
    pub durable_end: u64,
    pub next_seq: u64,
    pub last_ts_ms: u64,
    pub flags: u32,
}

impl Mark {
    /// The 64-byte mark slot with a valid checksum for segment seed `seed`.
    pub fn encode(&self, seed: u32) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..4].copy_from_slice(b"MARK");
        put_u64(&mut b, 8, self.counter);
        put_u64(&mut b, 16, self.durable_end);
        put_u64(&mut b, 24, self.next_seq);
        put_u64(&mut b, 32, self.last_ts_ms);
        put_u32(&mut b, 40, self.flags);
        let crc = crc32c::crc32c_append(seed, &b[8..]);
        put_u32(&mut b, 4, crc);
        b
    }

    /// Offset of the slot this mark goes to.
    pub fn slot_offset(&self) -> usize {
        MARK_OFFSETS[(self.counter % 2) as usize]
    }
}

/// `log.meta` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub log_id: u64,
    pub start_seq: u64,
    pub next_seq_floor: u64,
    pub first_live_segment: u64,
}

impl Meta {
    /// The 52-byte file with a valid checksum.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; 52];
        b[0..8].copy_from_slice(b"SHLGMETA");
        put_u16(&mut b, 8, 1);
        put_u64(&mut b, 16, self.log_id);
        put_u64(&mut b, 24, self.start_seq);
        put_u64(&mut b, 32, self.next_seq_floor);
        put_u64(&mut b, 40, self.first_live_segment);
        let crc = crc32c::crc32c(&b[..48]);
        put_u32(&mut b, 48, crc);
        b
    }
}

/// An `.idx` side file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    pub log_id: u64,
    pub segment_id: u64,
    pub base_seq: u64,
    pub data_end: u64,
    pub next_seq: u64,
    pub first_ts_ms: u64,
    pub last_ts_ms: u64,
    /// `(seq, offset, timestamp_ms)`.
    pub entries: Vec<(u64, u64, u64)>,
}

impl Index {
    /// The file with a valid checksum.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.entries.len();
        let mut b = vec![0u8; 88 + n * 24 + 4];
        b[0..8].copy_from_slice(b"SHLGIDX\0");
        put_u16(&mut b, 8, 1);
        put_u32(&mut b, 12, n as u32);
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
            put_u64(&mut b, 16 + 8 * i, *v);
        }
        for (i, (seq, offset, ts)) in self.entries.iter().enumerate() {
            let at = 88 + i * 24;
            put_u64(&mut b, at, *seq);
            put_u64(&mut b, at + 8, *offset);
            put_u64(&mut b, at + 16, *ts);
        }
        let end = b.len() - 4;
        let crc = crc32c::crc32c(&b[..end]);
        put_u32(&mut b, end, crc);
        b
    }
}

/// Appends a skip frame (kind 2, no records) moving the next sequence number to `next_seq`.
pub fn encode_skip(buf: &mut Vec<u8>, seed: u32, next_seq: u64, timestamp_ms: u64) {
    let start = buf.len();
    buf.resize(start + FRAME_HEADER_LEN, 0);
    let f = &mut buf[start..];
    put_u32(f, 0, FRAME_HEADER_LEN as u32);
    f[8] = KIND_SKIP;
    put_u64(f, 16, next_seq);
    put_u64(f, 24, timestamp_ms);
    let crc = crc32c::crc32c_append(seed, &f[8..FRAME_HEADER_LEN]);
    put_u32(f, 4, crc);
}

/// Rewrites the checksum of the frame at the start of `bytes` so that it matches `seed`, if the
/// length field fits in `bytes`. Returns the frame length.
pub fn fix_frame_crc(bytes: &mut [u8], seed: u32) -> Option<usize> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    if len < FRAME_HEADER_LEN || len > bytes.len() {
        return None;
    }
    let crc = crc32c::crc32c_append(seed, &bytes[8..len]);
    put_u32(bytes, 4, crc);
    Some(len)
}

/// Walks frames from the start of `area`, fixing each checksum, until a length field does not fit.
pub fn fix_all_frame_crcs(area: &mut [u8], seed: u32) {
    let mut at = 0usize;
    while let Some(len) = area.get_mut(at..).and_then(|b| fix_frame_crc(b, seed)) {
        at += align8(len);
    }
}
