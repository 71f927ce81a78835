//! Shared pieces of the `shardlog-segment` and `shardlog` benchmarks: deterministic payloads, the raw
//! floor (plain `pwrite` + `fdatasync` of the same framed bytes, and a plain CRC32C scan), helpers
//! that drive a [`ShardLog`] and a [`shardlog::Store`], and (with the `peers` feature) the same work
//! done by `raft-engine` and `commitlog`.
//!
//! Used by the criterion benches in `benches/segment.rs` and `benches/engine.rs` and by the
//! `segment-compare` and `engine-compare` binaries.

use shardlog_segment::codec::{
    encode_frame, segment_seed, FRAME_ALIGN, FRAME_HEADER_LEN, FRAME_TARGET_LEN, RECORD_HEADER_LEN,
};
use shardlog_segment::{Durability, LogOptions, ShardLog};
use shardlog_storage::{CondvarExt as _, MutexExt as _};
use shardlog_storage::{FsStorage, Storage};
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

/// The directory a bench works in: the one given (created if needed), or a fresh directory
/// `/tmp/<prefix>-*` removed when this value drops.
pub struct WorkDir {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl WorkDir {
    /// `dir` if given, else a new temporary directory named after `prefix`.
    pub fn new(dir: Option<&Path>, prefix: &str) -> Res<WorkDir> {
        if let Some(d) = dir {
            std::fs::create_dir_all(d)?;
            return Ok(WorkDir {
                path: d.to_path_buf(),
                _temp: None,
            });
        }
        let temp = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir_in("/tmp")?;
        Ok(WorkDir {
            path: temp.path().to_path_buf(),
            _temp: Some(temp),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// The floor of a request that spreads over `files.len()` shards: request `j` is `batches[j]`
    /// split round robin over the files, one thread per file frames its part, `pwrite`s it and,
    /// with `sync`, `fdatasync`s, and the request ends when every file is done (a barrier), as a
    /// `put_records` returns once every shard it touched is durable. Returns the time of the loop.
    /// The files must be preallocated (see [`create_preallocated`]).
    pub fn append_spread(
        files: &[File],
        batches: &[&[(&[u8], &[u8])]],
        sync: bool,
    ) -> Res<Duration> {
        let n = files.len();
        assert!(n > 0, "at least one file");
        let barrier = std::sync::Barrier::new(n);
        let seed = seed();
        let start = Instant::now();
        std::thread::scope(|scope| {
            let threads: Vec<_> = files
                .iter()
                .enumerate()
                .map(|(i, file)| {
                    let barrier = &barrier;
                    scope.spawn(move || -> std::io::Result<()> {
                        let (mut buf, mut part) = (Vec::with_capacity(1 << 20), Vec::new());
                        let (mut offset, mut seq) = (0u64, 0u64);
                        for batch in batches {
                            part.clear();
                            part.extend(batch.iter().skip(i).step_by(n).copied());
                            buf.clear();
                            encode_batch(&mut buf, seed, seq, now_ms(), &part);
                            file.write_all_at(&buf, offset)?;
                            if sync {
                                file.sync_data()?;
                            }
                            offset += buf.len() as u64;
                            seq += part.len() as u64;
                            barrier.wait();
                        }
                        Ok(())
                    })
                })
                .collect();
            threads.into_iter().try_for_each(|t| {
                t.join()
                    .map_err(|_| std::io::Error::other("writer panicked"))?
            })
        })?;
        Ok(start.elapsed())
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

/// Driving the `shardlog` engine: a [`Store`](shardlog::Store) with one stream, `put_records`,
/// `get_records` and push subscriptions.
pub mod engine {
    use super::*;
    use shardlog::{PutEntry, ShardId, StartingPosition, Store, StoreOptions};
    use std::sync::mpsc;

    /// The stream every engine benchmark writes.
    pub const STREAM: &str = "bench";

    /// Most records one `get_records` call may return (Kinesis' limit).
    pub const GET_LIMIT: usize = shardlog::MAX_GET_RECORDS;

    /// `n` distinct partition keys of 16 hex digits that look random (a bijective mix of the
    /// index, so they spread over all shards and never repeat).
    pub fn partition_keys(n: usize, seed: u64) -> Vec<String> {
        (0..n as u64)
            .map(|i| format!("{:016x}", mix64(i ^ seed)))
            .collect()
    }

    /// The splitmix64 finaliser: a bijection on `u64`.
    fn mix64(x: u64) -> u64 {
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Record `i` as `(key, data)` bytes: `keys[i]` and the data of [`Payloads::record`]. This is
    /// what the raw floor writes for the same request.
    pub fn records<'a>(keys: &'a [String], payloads: &'a Payloads) -> Vec<(&'a [u8], &'a [u8])> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| (k.as_bytes(), payloads.record(i).1))
            .collect()
    }

    /// The `put_records` requests for records `0..keys.len()`, `batch` entries each, built before
    /// any timed loop.
    pub fn requests<'a>(
        keys: &'a [String],
        payloads: &'a Payloads,
        batch: usize,
    ) -> Vec<Vec<PutEntry<'a>>> {
        let entries: Vec<PutEntry<'a>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| PutEntry::new(k, payloads.record(i).1))
            .collect();
        entries.chunks(batch.max(1)).map(<[_]>::to_vec).collect()
    }

    /// Opens (or creates) a store in `dir` with no throughput limits.
    pub fn open(dir: &Path, durability: Durability, segment_bytes: u64) -> Res<Store> {
        let opts = StoreOptions {
            durability,
            segment_bytes,
            ..StoreOptions::default()
        };
        Ok(Store::open(dir, opts)?)
    }

    /// A new store in `dir` holding the stream [`STREAM`] with `shards` shards.
    pub fn create(
        dir: &Path,
        durability: Durability,
        segment_bytes: u64,
        shards: u32,
    ) -> Res<Store> {
        let store = open(dir, durability, segment_bytes)?;
        store.create_stream(STREAM, shards)?;
        Ok(store)
    }

    /// One `put_records` call per request, on this thread (the store writes the shards of one
    /// request in parallel). Fails if any entry failed. Returns the time of the loop.
    pub fn put_all(store: &Store, requests: &[Vec<PutEntry<'_>>]) -> Res<Duration> {
        let start = Instant::now();
        for req in requests {
            let out = store.put_records(STREAM, req)?;
            if out.failed_record_count != 0 {
                return Err(
                    format!("put_records: {} entries failed", out.failed_record_count).into(),
                );
            }
        }
        Ok(start.elapsed())
    }

    /// Reads every shard of [`STREAM`] from `TRIM_HORIZON` until `get_records` returns nothing,
    /// `limit` records per call, one shard after the other on this thread. Times everything,
    /// `get_shard_iterator` included.
    pub fn read_all(store: &Store, shards: u32, limit: usize) -> Res<(Duration, ScanTotals)> {
        read_all_with(store, shards, limit, 1)
    }

    /// [`read_all`] by `readers` threads at once, shard `s` read by thread `s % readers` (as a
    /// consumer application reads each shard in its own worker).
    pub fn read_all_with(
        store: &Store,
        shards: u32,
        limit: usize,
        readers: usize,
    ) -> Res<(Duration, ScanTotals)> {
        let readers = readers.clamp(1, shards.max(1) as usize);
        let start = Instant::now();
        let parts: Vec<Res<ScanTotals>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..readers)
                .map(|r| {
                    let mine: Vec<u32> =
                        (0..shards).filter(|s| *s as usize % readers == r).collect();
                    scope.spawn(move || read_shards(store, &mine, limit))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| "reader panicked".into())
                        .and_then(|r| r)
                })
                .collect()
        });
        let mut totals = ScanTotals::default();
        for part in parts {
            let part = part?;
            totals.records += part.records;
            totals.bytes += part.bytes;
        }
        Ok((start.elapsed(), totals))
    }

    fn read_shards(store: &Store, shards: &[u32], limit: usize) -> Res<ScanTotals> {
        let mut totals = ScanTotals::default();
        for &shard in shards {
            let mut it =
                store.get_shard_iterator(STREAM, ShardId(shard), StartingPosition::TrimHorizon)?;
            loop {
                let out = store.get_records(&it, limit)?;
                if out.records.is_empty() {
                    break;
                }
                totals.records += out.records.len() as u64;
                totals.bytes += out.records.iter().map(|r| r.data.len() as u64).sum::<u64>();
                it = out
                    .next_shard_iterator
                    .ok_or("get_records: an open shard returned no next iterator")?;
            }
        }
        Ok(totals)
    }

    /// Latency from the start of `put_record` to the moment a subscriber thread, blocked in
    /// `Subscription::next_event` on shard 0 of [`STREAM`], has the record: one put at a time,
    /// each after a pause of `gap` so that the subscriber is asleep when it arrives. Returns the
    /// sorted latencies of `n` puts of record `i` = (`keys[i]`, `payloads.record(i).1`).
    pub fn subscription_latency(
        store: &Store,
        keys: &[String],
        payloads: &Payloads,
        gap: Duration,
    ) -> Res<Vec<Duration>> {
        let n = keys.len();
        let mut sub = store.subscribe(STREAM, ShardId(0), StartingPosition::Latest)?;
        let (tx, rx) = mpsc::channel::<Result<Instant, String>>();
        let subscriber = std::thread::spawn(move || {
            let mut got = 0;
            while got < n {
                match sub.next_event(Duration::from_secs(10)) {
                    Ok(ev) if ev.records.is_empty() => {
                        let _ = tx.send(Err("subscriber waited 10 s for a record".into()));
                        return;
                    }
                    Ok(ev) => {
                        let at = Instant::now();
                        for _ in &ev.records {
                            let _ = tx.send(Ok(at));
                        }
                        got += ev.records.len();
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                }
            }
        });
        let mut lat = Vec::with_capacity(n);
        for (i, key) in keys.iter().enumerate() {
            std::thread::sleep(gap);
            let entry = PutEntry::new(key, payloads.record(i).1);
            let start = Instant::now();
            store.put_record(STREAM, entry)?;
            let delivered = rx.recv_timeout(Duration::from_secs(20))??;
            lat.push(delivered.saturating_duration_since(start));
        }
        subscriber
            .join()
            .map_err(|_| "subscriber thread panicked")?;
        lat.sort_unstable();
        Ok(lat)
    }

    /// The floor under [`subscription_latency`]: `pwrite` of `data` (plus `fdatasync` if `sync`)
    /// into a preallocated `file`, then a `Condvar` broadcast to a thread waiting for it, the same
    /// hand-off the store's push signal uses. Returns `n` sorted latencies.
    pub fn handoff_latency(
        file: &File,
        data: &[u8],
        sync: bool,
        n: usize,
        gap: Duration,
    ) -> Res<Vec<Duration>> {
        use std::sync::{Condvar, Mutex};
        let signal = Arc::new((Mutex::new(0u64), Condvar::new()));
        let (tx, rx) = mpsc::channel::<Instant>();
        let waiter = {
            let signal = signal.clone();
            std::thread::spawn(move || {
                let (lock, cv) = &*signal;
                let mut seen = 0u64;
                while seen < n as u64 {
                    let mut g = lock.locked();
                    while *g == seen {
                        g = cv.wait_on(g);
                    }
                    seen = *g;
                    drop(g);
                    if tx.send(Instant::now()).is_err() {
                        return;
                    }
                }
            })
        };
        let mut lat = Vec::with_capacity(n);
        let mut offset = 0u64;
        for i in 1..=n as u64 {
            std::thread::sleep(gap);
            let start = Instant::now();
            file.write_all_at(data, offset)?;
            if sync {
                file.sync_data()?;
            }
            {
                let (lock, cv) = &*signal;
                *lock.locked() = i;
                cv.notify_all();
            }
            let woke = rx.recv_timeout(Duration::from_secs(20))?;
            lat.push(woke.saturating_duration_since(start));
            offset += data.len() as u64;
        }
        waiter.join().map_err(|_| "waiter thread panicked")?;
        lat.sort_unstable();
        Ok(lat)
    }
}

/// A plain HTTP/1.1 client for Kinesis-compatible servers, and the process CPU reading, shared by
/// the `server-compare` and `push-compare` load generators.
pub mod kinesis_http {
    use super::Res;
    use serde_json::Value;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// The AWS JSON 1.1 content type.
    pub const JSON: &str = "application/x-amz-json-1.1";

    /// A keep-alive HTTP/1.1 client.
    pub struct Client {
        addr: SocketAddr,
        reader: BufReader<TcpStream>,
        /// The `X-Amz-Target` prefix of the service (`Kinesis_20131202`, `AmazonSQS`) and its name in
        /// the credential scope (`kinesis`, `sqs`), which emulators such as moto route by.
        target: &'static str,
        service: &'static str,
    }

    impl Client {
        /// Connects to a Kinesis endpoint, with Nagle off.
        pub fn connect(addr: SocketAddr) -> Res<Client> {
            Client::connect_to(addr, "Kinesis_20131202", "kinesis")
        }

        /// Connects to an AWS JSON endpoint whose operations are `{target}.{op}` and whose
        /// credential scope names `service`, with Nagle off.
        pub fn connect_to(
            addr: SocketAddr,
            target: &'static str,
            service: &'static str,
        ) -> Res<Client> {
            let s = TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            Ok(Client {
                addr,
                reader: BufReader::new(s),
                target,
                service,
            })
        }

        /// A JSON call; an empty answer is `Null`.
        pub fn call(&mut self, op: &str, body: &Value) -> Res<Value> {
            let bytes = self.send(op, JSON, body.to_string().as_bytes())?;
            Ok(if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)?
            })
        }

        /// Sends one request and returns the body of a 200 response (plain or chunked).
        pub fn send(&mut self, op: &str, content_type: &str, body: &[u8]) -> Res<Vec<u8>> {
            // kinesalite checks that a signature is present (not that it is right).
            let head = format!(
                "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: {}.{op}\r\nContent-Type: {content_type}\r\nX-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/{}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\nContent-Length: {}\r\n\r\n",
                self.addr,
                self.target,
                self.service,
                body.len()
            );
            let s = self.reader.get_mut();
            s.write_all(head.as_bytes())?;
            s.write_all(body)?;
            let (status, chunked, length) = read_head(&mut self.reader)?;
            let mut bytes = Vec::new();
            if chunked {
                let mut line = String::new();
                loop {
                    line.clear();
                    self.reader.read_line(&mut line)?;
                    let n = usize::from_str_radix(line.trim(), 16)?;
                    let mut chunk = vec![0; n + 2];
                    self.reader.read_exact(&mut chunk)?;
                    if n == 0 {
                        break;
                    }
                    bytes.extend_from_slice(&chunk[..n]);
                }
            } else {
                bytes.resize(length.unwrap_or(0), 0);
                self.reader.read_exact(&mut bytes)?;
            }
            if status != 200 {
                let text = String::from_utf8_lossy(&bytes);
                return Err(format!("{op}: HTTP {status}: {text}").into());
            }
            Ok(bytes)
        }
    }

    /// `shardlog serve` as a child process on a free local port, its log thrown away.
    pub struct Server {
        /// The server process.
        pub child: Child,
        /// Where it listens.
        pub addr: SocketAddr,
    }

    impl Server {
        /// Starts `bin --data-dir data --durability durability serve` and waits until it accepts.
        pub fn start(bin: &Path, data: &Path, durability: &str) -> Res<Server> {
            let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            let child = Command::new(bin)
                .arg("--data-dir")
                .arg(data)
                .args([
                    "--durability",
                    durability,
                    "serve",
                    "--bind",
                    &addr.to_string(),
                ])
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    format!(
                        "starting {}: {e} (build it with cargo build --release -p shardlog-cli)",
                        bin.display()
                    )
                })?;
            Server::spawned(child, addr)
        }

        /// A server process already started (shardlog or a peer), once it accepts on `addr`; stopped
        /// if it does not within 30 s.
        pub fn spawned(child: Child, addr: SocketAddr) -> Res<Server> {
            let mut server = Server { child, addr };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if TcpStream::connect(addr).is_ok() {
                    return Ok(server);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            server.stop();
            Err(format!("the server on {addr} did not start").into())
        }

        /// SIGTERM (shardlog closes its store; a peer just exits), then SIGKILL after 30 s.
        pub fn stop(&mut self) {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Creates a one-shard stream, waits until it is ACTIVE and registers `consumers` consumers
    /// named `<prefix>-<k>`; returns their ARNs.
    pub fn stream_with_consumers(
        addr: SocketAddr,
        stream: &str,
        consumers: usize,
        prefix: &str,
    ) -> Res<Vec<String>> {
        let mut c = Client::connect(addr)?;
        c.call(
            "CreateStream",
            &serde_json::json!({"StreamName": stream, "ShardCount": 1}),
        )?;
        let arn = loop {
            let summary = c.call(
                "DescribeStreamSummary",
                &serde_json::json!({"StreamName": stream}),
            )?;
            let s = &summary["StreamDescriptionSummary"];
            if s["StreamStatus"] == "ACTIVE" {
                break s["StreamARN"].as_str().ok_or("no StreamARN")?.to_string();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (0..consumers)
            .map(|k| {
                let out = c.call(
                    "RegisterStreamConsumer",
                    &serde_json::json!({"StreamARN": arn, "ConsumerName": format!("{prefix}-{k}")}),
                )?;
                Ok(out["Consumer"]["ConsumerARN"]
                    .as_str()
                    .ok_or("no ConsumerARN")?
                    .to_string())
            })
            .collect()
    }

    /// Reads a response's status line and headers: status, chunked, content length.
    pub fn read_head(r: &mut impl BufRead) -> Res<(u16, bool, Option<usize>)> {
        let mut line = String::new();
        r.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .ok_or_else(|| format!("no status in {line:?}"))?
            .parse()?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((name, v)) = l.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = Some(v.trim().parse::<usize>()?),
                    "transfer-encoding" => chunked = v.contains("chunked"),
                    _ => {}
                }
            }
        }
        Ok((status, chunked, length))
    }

    /// CPU time (user + system) a process (`"self"` or a pid) has used so far, in ms, from
    /// `/proc/PID/stat` (fields 14 and 15, in clock ticks of 10 ms: USER_HZ is 100 on Linux).
    pub fn cpu_ms(pid: &str) -> Res<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // The command name (field 2) may hold spaces; the fields after it are plain.
        let after = stat.rsplit_once(')').ok_or("no ) in /proc/PID/stat")?.1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| -> Res<f64> {
            Ok(fields
                .get(i)
                .ok_or("short /proc/PID/stat")?
                .parse::<f64>()?)
        };
        // `after` starts at field 3, so utime (14) and stime (15) are at 11 and 12.
        Ok((ticks(11)? + ticks(12)?) * 10.0)
    }
}

/// Describing the run: machine, load, date, the disk's sync latency.
pub mod report {
    use super::*;

    /// CPU, core count, kernel, and the file system holding `root`.
    pub fn machine(root: &Path) -> String {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "?".into(), |s| s.trim().to_string());
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let fs = std::fs::read_to_string("/proc/mounts")
            .ok()
            .and_then(|m| {
                m.lines()
                    .filter_map(|l| {
                        let f: Vec<&str> = l.split_whitespace().collect();
                        (f.len() >= 3 && root.starts_with(f[1]))
                            .then(|| (f[1].len(), format!("{} on {}", f[2], f[0])))
                    })
                    .max_by_key(|(len, _)| *len)
                    .map(|(_, s)| s)
            })
            .unwrap_or_else(|| "?".into());
        format!("{cores} vCPU {cpu}, Linux {kernel}, {fs}")
    }

    /// The 1-minute load average (other work on the machine skews every number).
    pub fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "?".into())
    }

    /// The date and time now, UTC.
    pub fn today() -> String {
        std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map_or_else(|| "?".into(), |s| s.trim().to_string())
    }

    /// p50 and p99 of a 4 KiB `pwrite` + `fdatasync` into a preallocated file under `root`: the
    /// machine's sync latency now.
    pub fn fdatasync_floor(root: &Path) -> Res<(Duration, Duration)> {
        let dir = fresh_dir(root, "fsync")?;
        let file = raw::create_preallocated(&dir.join("f"), 16 << 20)?;
        let block = vec![0xA5u8; 4096];
        let mut lat = Vec::with_capacity(2000);
        for i in 0..2000u64 {
            let start = Instant::now();
            file.write_all_at(&block, (i % 4096) * 4096)?;
            file.sync_data()?;
            lat.push(start.elapsed());
        }
        lat.sort_unstable();
        drop(file);
        std::fs::remove_dir_all(&dir)?;
        Ok((percentile(&lat, 50.0), percentile(&lat, 99.0)))
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
    fn engine_helpers_round_trip() -> Res<()> {
        let keys = engine::partition_keys(2_000, 9);
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "partition keys are distinct");
        let payloads = Payloads::new(100);
        let dir = tempfile::tempdir()?;
        let store = engine::create(dir.path(), Durability::None, 1 << 20, 4)?;
        engine::put_all(&store, &engine::requests(&keys, &payloads, 500))?;
        let (_, totals) = engine::read_all(&store, 4, engine::GET_LIMIT)?;
        assert_eq!(
            totals,
            ScanTotals {
                records: 2_000,
                bytes: 200_000
            }
        );
        let records = engine::records(&keys, &payloads);
        assert_eq!(records[7], (keys[7].as_bytes(), payloads.record(7).1));
        store.close()?;

        let dir = tempfile::tempdir()?;
        let store = engine::create(dir.path(), Durability::None, 1 << 20, 1)?;
        let lat = engine::subscription_latency(
            &store,
            &keys[..20],
            &payloads,
            Duration::from_micros(50),
        )?;
        assert_eq!(lat.len(), 20);
        let file = raw::create_preallocated(&dir.path().join("raw"), 1 << 20)?;
        let lat = engine::handoff_latency(&file, b"x", false, 20, Duration::ZERO)?;
        assert_eq!(lat.len(), 20);
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
