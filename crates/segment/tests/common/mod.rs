//! Helpers the segment crate's tests share: deterministic records, a whole-log read, and flipping
//! one bit of a real file.
#![allow(dead_code)]

use shardlog_segment::ShardLog;

/// Every record of a log: sequence number, key, data.
pub type Image = Vec<(u64, Vec<u8>, Vec<u8>)>;

/// A record derived from `tag`: key `k<tag>` and `len` bytes that differ from tag to tag.
pub fn record(tag: u64, len: u64) -> (Vec<u8>, Vec<u8>) {
    let key = format!("k{tag}").into_bytes();
    let data = (0..len)
        .map(|i| (tag.wrapping_mul(31).wrapping_add(i) % 251) as u8)
        .collect();
    (key, data)
}

/// Reads every record of `log`.
pub fn read_all(log: &ShardLog) -> Result<Image, String> {
    let batch = log
        .read(0, usize::MAX, usize::MAX)
        .map_err(|e| format!("read failed: {e}"))?;
    Ok(batch
        .records
        .into_iter()
        .map(|r| (r.seq, r.key.to_vec(), r.data.to_vec()))
        .collect())
}

/// Flips bit 5 of the byte at `offset` of the file at `path`.
pub fn flip(path: &std::path::Path, offset: u64) {
    use std::os::unix::fs::FileExt as _;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, offset).unwrap();
    b[0] ^= 0x20;
    f.write_all_at(&b, offset).unwrap();
}
