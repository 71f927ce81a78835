//! Shared pieces of the `shardlog-segment` benchmarks: deterministic payloads, the raw floor (plain
//! `pwrite` + `fdatasync` of the same framed bytes, and a plain CRC32C scan), helpers that drive a
//! [`ShardLog`], and (with the `peers` feature) the same work done by `raft-engine` and `commitlog`.
//!
//! Used by the criterion benches in `benches/segment.rs` and by the `segment-compare` binary.

use shardlog_segment::codec::{
    encode_frame, segment_seed, FRAME_ALIGN, FRAME_HEADER_LEN, FRAME_TARGET_LEN, RECORD_HEADER_LEN,
};
use shardlog_segment::{Durability, FsStorage, LogOptions, ShardLog, Storage};
use std::error::Error as StdError;
use std::fs::{File, OpenOptions};
use std::ops::ControlFlow;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[cfg(feature = "peers")]
pub mod peers;

/// Error type of the harness: anything, boxed.
pub type BoxError = Box<dyn StdError + Send + Sync>;
/// Result of the harness.
pub type Res<T> = std::result::Result<T, BoxError>;

/// Length of every partition key, in bytes.
pub const KEY_LEN: usize = 8;
/// Number of distinct partition keys the payloads cycle through.
const KEY_COUNT: usize = 4096;
/// Bytes of random data every record's data is cut from.
const POOL_LEN: usize = 8 << 20;

/// Deterministic pseudo-random record contents: record `i` has an 8-byte key and `size` bytes of
/// data cut from a shared random pool at an offset that depends on `i`, so records differ but no
/// per-record allocation is needed.
#[derive(Debug, Clone)]
pub struct Payloads {
    pool: Vec<u8>,
    keys: Vec<u8>,
    size: usize,
}

impl Payloads {
    /// Payloads of `size` data bytes each (at most 4 MiB).
    pub fn new(size: usize) -> Self {
        use rand::{RngCore, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed_0000 + size as u64);
        let mut pool = vec![0u8; POOL_LEN.max(2 * size)];
        rng.fill_bytes(&mut pool);
        let keys = (0..KEY_COUNT)
            .flat_map(|k| format!("k{k:07}").into_bytes())
            .collect();
        Payloads { pool, keys, size }
    }

    /// Data bytes per record.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Key and data of record `i`.
    pub fn record(&self, i: usize) -> (&[u8], &[u8]) {
        let k = (i % KEY_COUNT) * KEY_LEN;
        let span = self.pool.len() - self.size;
        let at = (i.wrapping_mul(4099)) % span;
        (&self.keys[k..k + KEY_LEN], &self.pool[at..at + self.size])
    }

    /// Records `from..from + n` as `(key, data)` pairs, ready for `append_batch`.
    pub fn records(&self, from: usize, n: usize) -> Vec<(&[u8], &[u8])> {
        (from..from + n).map(|i| self.record(i)).collect()
    }
}

/// Milliseconds since the Unix epoch (the timestamp the raw floor puts into its frames).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Rounds `n` up to the frame alignment (as the codec does).
const fn align(n: usize) -> usize {
    (n + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// Encodes `records` into frames of about [`FRAME_TARGET_LEN`] bytes exactly as the log groups
/// them, appending to `buf`. Returns the number of frames.
pub fn encode_batch(
    buf: &mut Vec<u8>,
    seed: u32,
    first_seq: u64,
    ts: u64,
    records: &[(&[u8], &[u8])],
) -> usize {
    let mut frames = 0;
    let mut taken = 0;
    while taken < records.len() {
        let mut len = FRAME_HEADER_LEN;
        let mut n = 0;
        for (key, data) in records[taken..].iter().take(u16::MAX as usize) {
            let add = RECORD_HEADER_LEN + key.len() + data.len();
            if n > 0 && len + add > FRAME_TARGET_LEN {
                break;
            }
            len += add;
            n += 1;
        }
        encode_frame(
            buf,
            seed,
            first_seq + taken as u64,
            ts,
            &records[taken..taken + n],
        );
        taken += n;
        frames += 1;
    }
    frames
}

/// An upper bound of the encoded size of `records` records of `size` data bytes.
pub fn encoded_bound(records: usize, size: usize) -> u64 {
    (records * align(RECORD_HEADER_LEN + KEY_LEN + size + FRAME_HEADER_LEN + FRAME_ALIGN)) as u64
}

/// Totals of a scan: records and data bytes seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanTotals {
    /// Records visited.
    pub records: u64,
    /// Sum of the data lengths.
    pub bytes: u64,
}

/// The raw floor: what the machine does for the same bytes without any log machinery.
pub mod raw {
    use super::*;

    /// Checksum seed the raw floor frames with (as segment 1 of log 0).
    pub fn seed() -> u32 {
        segment_seed(0, 1)
    }

    /// Creates `path` preallocated (fs2 `allocate`, i.e. `fallocate`) to `len` bytes and syncs it,
    /// so that the timed writes neither grow the file nor allocate blocks.
    pub fn create_preallocated(path: &Path, len: u64) -> Res<File> {
        use fs2::FileExt as _;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        file.allocate(len)?;
        file.sync_all()?;
        Ok(file)
    }

    /// Frames every batch with the log's codec into one reused buffer and `pwrite`s it at the end of
    /// the previous one; with `sync`, one `fdatasync` per batch. Returns the time of the write loop
    /// and the bytes written. The file must be preallocated (see [`create_preallocated`]).
    pub fn append(file: &File, batches: &[&[(&[u8], &[u8])]], sync: bool) -> Res<(Duration, u64)> {
        let seed = seed();
        let mut buf = Vec::with_capacity(1 << 20);
        let mut offset = 0u64;
        let mut seq = 0u64;
        let start = Instant::now();
        for batch in batches {
            buf.clear();
            encode_batch(&mut buf, seed, seq, now_ms(), batch);
            file.write_all_at(&buf, offset)?;
            if sync {
                file.sync_data()?;
            }
            offset += buf.len() as u64;
            seq += batch.len() as u64;
        }
        Ok((start.elapsed(), offset))
    }

    /// Maps the first `len` bytes of `path` and walks its frames: CRC32C of every frame (with the
    /// seed), then every record header, summing data lengths. Returns the time (mapping included)
    /// and the totals. Fails on a checksum mismatch.
    pub fn scan(path: &Path, len: u64) -> Res<(Duration, ScanTotals)> {
        let file = File::open(path)?;
        let seed = seed();
        let start = Instant::now();
        #[allow(unsafe_code)]
        // SAFETY: the file is written completely before the scan and nobody writes or truncates it
        // while the map lives (the harness owns the directory).
        let map = unsafe { memmap2::MmapOptions::new().len(len as usize).map(&file)? };
        let totals = scan_bytes(&map, seed)?;
        Ok((start.elapsed(), totals))
    }

    /// Walks the frames of `bytes` (see [`scan`]).
    pub fn scan_bytes(bytes: &[u8], seed: u32) -> Res<ScanTotals> {
        let mut totals = ScanTotals::default();
        let mut pos = 0usize;
        while pos + FRAME_HEADER_LEN <= bytes.len() {
            let head = &bytes[pos..pos + FRAME_HEADER_LEN];
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            if len == 0 {
                break;
            }
            let frame = bytes
                .get(pos..pos + len)
                .ok_or("raw scan: frame runs past the end")?;
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if crc32c::crc32c_append(seed, &frame[8..]) != crc {
                return Err(format!("raw scan: checksum mismatch at byte {pos}").into());
            }
            let count = u16::from_le_bytes([head[10], head[11]]);
            let mut at = FRAME_HEADER_LEN;
            for _ in 0..count {
                let r = &frame[at..at + RECORD_HEADER_LEN];
                let key_len = u16::from_le_bytes([r[0], r[1]]) as usize;
                let data_len = u32::from_le_bytes([r[2], r[3], r[4], r[5]]) as usize;
                at += RECORD_HEADER_LEN + key_len + data_len;
                totals.records += 1;
                totals.bytes += data_len as u64;
            }
            pos += align(len);
        }
        Ok(totals)
    }
}

/// Driving our own log.
pub mod ours {
    use super::*;

    /// Log options for the benchmarks.
    pub fn options(segment_bytes: u64, durability: Durability) -> LogOptions {
        LogOptions {
            segment_bytes,
            durability,
            ..LogOptions::default()
        }
    }

    /// Opens (or creates) the log in `dir` on real files.
    pub fn open(dir: &Path, opts: &LogOptions) -> Res<ShardLog> {
        let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(dir)?);
        Ok(ShardLog::open(storage, opts.clone())?)
    }

    /// Appends every batch; returns the time of the append loop (the final close is not timed).
    pub fn append(log: &ShardLog, batches: &[&[(&[u8], &[u8])]]) -> Res<Duration> {
        let start = Instant::now();
        for batch in batches {
            log.append_batch(batch)?;
        }
        Ok(start.elapsed())
    }

    /// Scans the whole log from its oldest record (every frame's CRC is verified by `scan`).
    pub fn scan_all(log: &ShardLog) -> Res<(Duration, ScanTotals)> {
        let mut totals = ScanTotals::default();
        let start = Instant::now();
        let from = log.start_seq();
        log.scan(from, |r| {
            totals.records += 1;
            totals.bytes += r.data.len() as u64;
            ControlFlow::Continue(())
        })?;
        Ok((start.elapsed(), totals))
    }
}

/// Splits `records` into slices of `batch` records.
pub fn batches<'a, 'b>(
    records: &'a [(&'b [u8], &'b [u8])],
    batch: usize,
) -> Vec<&'a [(&'b [u8], &'b [u8])]> {
    records.chunks(batch.max(1)).collect()
}

/// Removes everything inside `dir` (and creates it if missing), then asks the kernel to write back
/// dirty pages so the next measurement starts on a quiet disk.
pub fn reset_dir(dir: &Path) -> Res<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    quiesce();
    Ok(())
}

/// Runs `sync(1)` so that write-back of earlier runs does not overlap the next measurement.
pub fn quiesce() {
    let _ = std::process::Command::new("sync").status();
}

/// A fresh subdirectory `name` of `root`, emptied.
pub fn fresh_dir(root: &Path, name: &str) -> Res<PathBuf> {
    let dir = root.join(name);
    reset_dir(&dir)?;
    Ok(dir)
}

/// Bytes of all regular files under `dir` (not recursive).
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The `p`-th percentile (0..=100) of sorted `values`, by nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// `n` uniformly random sequence numbers below `count`, from a fixed seed.
pub fn random_seqs(count: u64, n: usize, seed: u64) -> Vec<u64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(0..count)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_floor_round_trips_and_matches_the_log() -> Res<()> {
        let payloads = Payloads::new(100);
        let records = payloads.records(0, 1_000);
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("raw");
        let file = raw::create_preallocated(&path, encoded_bound(1_000, 100))?;
        let (_, written) = raw::append(&file, &batches(&records, 300), true)?;
        let (_, totals) = raw::scan(&path, written)?;
        assert_eq!(
            totals,
            ScanTotals {
                records: 1_000,
                bytes: 100_000
            }
        );

        let log = ours::open(
            &dir.path().join("log"),
            &ours::options(1 << 20, Durability::None),
        )?;
        ours::append(&log, &batches(&records, 300))?;
        let (_, ours_totals) = ours::scan_all(&log)?;
        assert_eq!(ours_totals, totals);
        Ok(())
    }

    #[test]
    fn percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_micros(99));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }
}
