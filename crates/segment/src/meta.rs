//! `log.meta`: the small, atomically replaced record of where a log starts.
//!
//! ```text
//! | magic "SHLGMETA" | version u16 | 0 u16 | 0 u32 | log_id u64 | start_seq u64 |
//! | next_seq_floor u64 | first_live_segment u64 | crc32c u32 over all before |
//! ```
//!
//! `start_seq`: records below it were dropped by retention (the trim horizon).
//! `next_seq_floor`: no sequence number below it is ever assigned again, even when every segment is gone.
//! `first_live_segment`: segment files with a smaller id are deleted (a deletion that a crash undid is
//! finished on open).

use byteorder::{ByteOrder, LittleEndian as LE};

pub(crate) const META_NAME: &str = "log.meta";
const META_MAGIC: [u8; 8] = *b"SHLGMETA";
const META_VERSION: u16 = 1;
const META_LEN: usize = 52;

/// The fields of `log.meta` (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogMeta {
    /// The log.
    pub log_id: u64,
    /// Records below it were dropped by retention.
    pub start_seq: u64,
    /// No sequence number below it is assigned again.
    pub next_seq_floor: u64,
    /// Segments with a smaller id are deleted.
    pub first_live_segment: u64,
}

impl LogMeta {
    /// The file's bytes.
    pub fn encode(&self) -> [u8; META_LEN] {
        let mut b = [0u8; META_LEN];
        b[0..8].copy_from_slice(&META_MAGIC);
        LE::write_u16(&mut b[8..10], META_VERSION);
        LE::write_u64(&mut b[16..24], self.log_id);
        LE::write_u64(&mut b[24..32], self.start_seq);
        LE::write_u64(&mut b[32..40], self.next_seq_floor);
        LE::write_u64(&mut b[40..48], self.first_live_segment);
        let crc = crc32c::crc32c(&b[..48]);
        LE::write_u32(&mut b[48..52], crc);
        b
    }

    /// Decodes and range-checks the file.
    pub fn decode(b: &[u8]) -> Result<Self, String> {
        if b.len() != META_LEN || b[0..8] != META_MAGIC {
            return Err("not a shardlog log.meta file".into());
        }
        let version = LE::read_u16(&b[8..10]);
        if version != META_VERSION {
            return Err(format!(
                "format version {version}, this build reads {META_VERSION}"
            ));
        }
        if crc32c::crc32c(&b[..48]) != LE::read_u32(&b[48..52]) {
            return Err("checksum mismatch".into());
        }
        let meta = LogMeta {
            log_id: LE::read_u64(&b[16..24]),
            start_seq: LE::read_u64(&b[24..32]),
            next_seq_floor: LE::read_u64(&b[32..40]),
            first_live_segment: LE::read_u64(&b[40..48]),
        };
        let plausible = meta.start_seq <= meta.next_seq_floor
            && meta.next_seq_floor < crate::header::MAX_SEQ
            && (1..crate::header::MAX_SEGMENT_ID).contains(&meta.first_live_segment);
        if !plausible {
            return Err(
                "fields out of range (start above the next sequence number, or ids too large)"
                    .into(),
            );
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let m = LogMeta {
            log_id: 9,
            start_seq: 10,
            next_seq_floor: 20,
            first_live_segment: 3,
        };
        let b = m.encode();
        assert_eq!(LogMeta::decode(&b).unwrap(), m);
        for bit in 0..META_LEN * 8 {
            let mut bad = b;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(LogMeta::decode(&bad).is_err());
        }
    }
}
