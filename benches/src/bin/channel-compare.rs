//! `channel-compare`: delivery of a stream to a bucket directory by a channel (issue 21.5), for each
//! record format (JSON, STRING, BYTE_ARRAY) and compression (NONE, GZIP, ZSTD), beside the raw floor
//! measured in the same run on the same objects; then the end-to-end latency from a put's return to
//! the record being readable in an object, with the delivery thread running at a short freshness.
//!
//! ```text
//! cargo run --release -p shardlog-benches --bin channel-compare -- [--records N (50000)] \
//!     [--shards N (4)] [--repeats N (3)] [--only json-zstd,string-none,...] \
//!     [--latency-records N (2000)] [--latency-rate N/s (200)] [--freshness-ms N (100)] \
//!     [--interval-ms N (10)] [--no-latency] [--dir PATH]
//! ```
//!
//! Each throughput run: a fresh `Durability::Sync` store with an on-demand stream of `--shards`
//! shards and a channel of the row's format and compression, created first (records put before a
//! channel is ACTIVE are not delivered) and without a delivery thread. One record is put and
//! delivered first, timed apart: this first object creates the directories of its key, which the
//! later objects of the hour find in place. Then `--records` JSON records of about 1 KiB are put in
//! requests of 500, `sync(1)` runs, and the timed part is one [`Store::deliver_channels`] call,
//! which reads every record from the log, converts, compresses and writes one object per shard and
//! 64 MiB, committing each object's range to the checkpoint file before it and the shard's cursor
//! after it. Outside the timing every object is read back, decompressed and compared byte for byte
//! with its records, which must each be in exactly one object: a row cannot measure nothing.
//!
//! The floor writes the same objects (the records of each, as the engine groups them) into the
//! same directory, from the records in memory, laid out one after the other as in a shard's log (it
//! does not read the log): per object it checks each record (JSON: `serde_json` into `IgnoredAny`,
//! as the engine; STRING: UTF-8), frames them (a line each for JSON and STRING, back to back for
//! BYTE_ARRAY), compresses with the engine's crates, calls and levels (`flate2` at its default
//! level, `zstd::bulk` at level 3) and writes the file as the engine makes an object durable: a
//! temporary name, one `write`, `fdatasync`, `rename`, `fsync` of the directory. Its compressed
//! bytes must equal the engine's. The second floor writes only the precompressed bytes, the same
//! way. The floor runs after the engine's delivery in odd runs and before it in even ones: this
//! disk serves the first writes of a burst faster than the next, and one fixed order would favour
//! one side. Each phase is timed apart ("where the time goes"), and so is one read of every record
//! through `get_records` outside the delivery, an estimate of the engine's log read. MB are 10^6
//! bytes of record data.
//!
//! The latency run: a store whose delivery thread runs every `--interval-ms` with every channel's
//! data freshness set to `--freshness-ms`, a JSON + ZSTD channel, and `--latency-records` records
//! put one at a time (`put_record`, `Durability::Sync`) at `--latency-rate` per second. A poller
//! thread lists the bucket directory every millisecond, reads each new object and notes when each
//! record (by its `id`) became readable; the latency is that instant minus the put's return.
//! Progress goes to stderr, the tables to stdout.

use serde_json::json;
use shardlog::{
    Compression, CreateChannel, CreateStream, Durability, PutEntry, RecordFormat, SequenceNumber,
    Store, StoreOptions, StreamMode, MAX_OBJECT_BYTES,
};
use shardlog_benches::report::{loadavg, machine, today};
use shardlog_benches::{engine, fresh_dir, percentile, quiesce, Res, WorkDir};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The stream every run writes (the one [`engine::read_all`] reads).
const STREAM: &str = engine::STREAM;
/// The bucket every channel delivers to.
const BUCKET: &str = "arn:aws:s3:::bench-lake";
/// Records per `put_records` request while filling.
const PUT_BATCH: usize = 500;
/// Bytes of data of a record, about.
const RECORD_BYTES: usize = 1024;
/// The engine's zstd level (`channel/render.rs`).
const ZSTD_LEVEL: i32 = 3;

/// Every format and compression a bucket channel offers, in table order.
const COMBOS: [(RecordFormat, Compression); 9] = [
    (RecordFormat::Json, Compression::None),
    (RecordFormat::Json, Compression::Gzip),
    (RecordFormat::Json, Compression::Zstd),
    (RecordFormat::String, Compression::None),
    (RecordFormat::String, Compression::Gzip),
    (RecordFormat::String, Compression::Zstd),
    (RecordFormat::ByteArray, Compression::None),
    (RecordFormat::ByteArray, Compression::Gzip),
    (RecordFormat::ByteArray, Compression::Zstd),
];

struct Args {
    records: usize,
    shards: u32,
    repeats: usize,
    only: Option<Vec<String>>,
    latency_records: usize,
    latency_rate: f64,
    freshness: Duration,
    interval: Duration,
    no_latency: bool,
    dir: Option<PathBuf>,
}

fn parse() -> Res<Args> {
    let mut a = Args {
        records: 50_000,
        shards: 4,
        repeats: 3,
        only: None,
        latency_records: 2_000,
        latency_rate: 200.0,
        freshness: Duration::from_millis(100),
        interval: Duration::from_millis(10),
        no_latency: false,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => a.records = value()?.parse()?,
            "--shards" => a.shards = value()?.parse()?,
            "--repeats" => a.repeats = value()?.parse::<usize>()?.max(1),
            "--only" => a.only = Some(value()?.split(',').map(str::to_lowercase).collect()),
            "--latency-records" => a.latency_records = value()?.parse()?,
            "--latency-rate" => a.latency_rate = value()?.parse()?,
            "--freshness-ms" => a.freshness = Duration::from_millis(value()?.parse()?),
            "--interval-ms" => a.interval = Duration::from_millis(value()?.parse()?),
            "--no-latency" => a.no_latency = true,
            "--dir" => a.dir = Some(value()?.into()),
            _ => return Err(format!("unknown flag {flag}; see the file's doc comment").into()),
        }
    }
    Ok(a)
}

/// The row's name for `--only`: `json-zstd`, `byte_array-none`, ...
fn combo_name(format: RecordFormat, compression: Compression) -> String {
    format!("{}-{}", format.as_str(), compression.as_str()).to_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Records

/// `n` records of compact JSON, about [`RECORD_BYTES`] each, as an application's event log would
/// send them: an `id` (the record's index, which the latency run reads back), a timestamp, an event
/// type, a user, a random session id, a few line items and a message of common words. Values come
/// from a fixed seed, so every run compresses alike.
fn json_records(n: usize) -> Vec<Vec<u8>> {
    use rand::{Rng, SeedableRng};
    const WORDS: [&str; 32] = [
        "order",
        "payment",
        "shipped",
        "customer",
        "warehouse",
        "delayed",
        "refund",
        "the",
        "a",
        "was",
        "for",
        "with",
        "invoice",
        "address",
        "updated",
        "retry",
        "timeout",
        "accepted",
        "card",
        "declined",
        "cart",
        "item",
        "stock",
        "low",
        "express",
        "standard",
        "returned",
        "coupon",
        "applied",
        "session",
        "login",
        "region",
    ];
    const TYPES: [&str; 6] = [
        "order.created",
        "order.paid",
        "order.shipped",
        "cart.updated",
        "user.login",
        "payment.failed",
    ];
    const COUNTRIES: [&str; 8] = ["DE", "FR", "US", "GB", "JP", "BR", "IN", "NL"];
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x21_05);
    (0..n)
        .map(|i| {
            let items: Vec<serde_json::Value> = (0..rng.gen_range(1..5))
                .map(|_| {
                    json!({
                        "sku": format!("SKU-{:05}", rng.gen_range(0..40_000)),
                        "qty": rng.gen_range(1..6),
                        "price": f64::from(rng.gen_range(99..99_999u32)) / 100.0,
                    })
                })
                .collect();
            let mut v = json!({
                "id": i,
                "ts": format!("2026-12-07T{:02}:{:02}:{:02}.{:03}Z", i / 3_600_000 % 24, i / 60_000 % 60, i / 1000 % 60, i % 1000),
                "type": TYPES[rng.gen_range(0..TYPES.len())],
                "user": {
                    "id": format!("u-{:06}", rng.gen_range(0..500_000)),
                    "country": COUNTRIES[rng.gen_range(0..COUNTRIES.len())],
                    "tier": if rng.gen_bool(0.2) { "gold" } else { "standard" },
                },
                "session": format!("{:016x}", rng.gen::<u64>()),
                "ip": format!("10.{}.{}.{}", rng.gen_range(0..256), rng.gen_range(0..256), rng.gen_range(1..255)),
                "items": items,
                "message": "",
            });
            let base = v.to_string().len();
            let mut message = String::new();
            while base + message.len() < RECORD_BYTES {
                if !message.is_empty() {
                    message.push(' ');
                }
                message.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
            }
            v["message"] = message.into();
            v.to_string().into_bytes()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The engine

/// Where record `i` went: its shard's index and its counter there.
type Placement = (u32, u64);

/// An object the engine wrote, and the records it holds (indices into the records, in order).
struct Object {
    path: PathBuf,
    bytes: Vec<u8>,
    records: Vec<usize>,
}

/// What one throughput run measured.
#[derive(Default, Clone, Copy)]
struct Run {
    engine: Duration,
    /// The channel's first delivery (one record, new directories).
    first: Duration,
    /// One read of every record through `get_records` (outside the delivery).
    log_read: Duration,
    objects: usize,
    object_bytes: u64,
    floor: FloorTimes,
    /// The floor's write of the precompressed bytes alone.
    write_only: Duration,
}

/// The floor's phases.
#[derive(Default, Clone, Copy)]
struct FloorTimes {
    check: Duration,
    frame: Duration,
    compress: Duration,
    write: Duration,
}

impl FloorTimes {
    fn total(&self) -> Duration {
        self.check + self.frame + self.compress + self.write
    }
}

/// A store in `dir` with channels that deliver only when asked.
fn open_store(dir: &Path, interval: Option<Duration>, freshness: Option<Duration>) -> Res<Store> {
    let opts = StoreOptions {
        durability: Durability::Sync,
        retention_interval: None,
        channel_interval: interval,
        channel_freshness: freshness,
        ..StoreOptions::default()
    };
    Ok(Store::open(dir, opts)?)
}

/// The on-demand stream and a channel on it; returns the channel's bucket directory.
fn stream_and_channel(
    store: &Store,
    dir: &Path,
    shards: u32,
    format: RecordFormat,
    compression: Compression,
) -> Res<PathBuf> {
    let req = CreateStream {
        shard_count: shards,
        mode: StreamMode::OnDemand,
        ..CreateStream::default()
    };
    store.create_stream_with(STREAM, req)?;
    let mut ch = CreateChannel::new("bench", STREAM, BUCKET);
    ch.record_format = format;
    ch.destination.compression = compression;
    store.create_channel(ch)?;
    Ok(dir.join("channels").join("bench-lake"))
}

/// Puts every record in requests of [`PUT_BATCH`]; returns where each went.
fn fill(store: &Store, records: &[Vec<u8>]) -> Res<Vec<Placement>> {
    let keys = engine::partition_keys(records.len(), 0x21);
    let mut placed = Vec::with_capacity(records.len());
    for (ks, ds) in keys.chunks(PUT_BATCH).zip(records.chunks(PUT_BATCH)) {
        let entries: Vec<PutEntry<'_>> = ks
            .iter()
            .zip(ds)
            .map(|(k, d)| PutEntry::new(k, d))
            .collect();
        let out = store.put_records(STREAM, &entries)?;
        for r in out.records {
            let r = r.map_err(|f| format!("a put failed: {}", f.error_message))?;
            placed.push((r.shard_id.0, r.sequence_number.counter()));
        }
    }
    Ok(placed)
}

/// Puts one record and times its delivery, the channel's first: its object creates the
/// directories of its key (a `mkdir` and a parent `fsync` each), which later objects of the same
/// hour find in place. Returns the time and the object's path.
fn first_delivery(store: &Store, bucket: &Path, records: &[Vec<u8>]) -> Res<(Duration, PathBuf)> {
    let record = records.first().ok_or("no records")?;
    store.put_record(STREAM, PutEntry::new("first", record))?;
    let start = Instant::now();
    store.deliver_channels()?;
    let took = start.elapsed();
    match files_under(bucket)?.as_slice() {
        [one] => Ok((took, one.clone())),
        other => Err(format!("the first delivery wrote {} objects", other.len()).into()),
    }
}

/// The objects a forced delivery makes of the records placed as `placed`: per shard, its records
/// in order, cut before a record that would take an object past [`MAX_OBJECT_BYTES`] (as
/// `deliver_front` does). Each is a list of record indices.
fn groups(placed: &[Placement], records: &[Vec<u8>]) -> Vec<Vec<usize>> {
    let mut by_shard: BTreeMap<u32, Vec<(u64, usize)>> = BTreeMap::new();
    for (i, (shard, counter)) in placed.iter().enumerate() {
        by_shard.entry(*shard).or_default().push((*counter, i));
    }
    let mut out = Vec::new();
    for (_, mut list) in by_shard {
        list.sort_unstable();
        let (mut group, mut bytes) = (Vec::new(), 0);
        for (_, i) in list {
            if !group.is_empty() && bytes + records[i].len() > MAX_OBJECT_BYTES {
                out.push(std::mem::take(&mut group));
                bytes = 0;
            }
            bytes += records[i].len();
            group.push(i);
        }
        if !group.is_empty() {
            out.push(group);
        }
    }
    out
}

/// Fails unless the engine's objects hold exactly `groups`, and each the floor's bytes of its group.
fn same_as_floor(objects: &[Object], groups: &[Vec<usize>], floor: &[Vec<u8>]) -> Res<()> {
    let by_first: HashMap<usize, &Object> = objects
        .iter()
        .filter_map(|o| Some((*o.records.first()?, o)))
        .collect();
    if objects.len() != groups.len() {
        let n = objects.len();
        return Err(format!("{n} objects where {} were expected", groups.len()).into());
    }
    for (group, bytes) in groups.iter().zip(floor) {
        let o = group
            .first()
            .and_then(|i| by_first.get(i))
            .ok_or("an object of the floor has no engine object")?;
        if &o.records != group || &o.bytes != bytes {
            let path = o.path.display();
            return Err(format!("{path} differs from the floor's object").into());
        }
    }
    Ok(())
}

/// Reads every record of every shard through `get_records`; the time of it.
fn read_everything(store: &Store, shards: u32, expected: usize) -> Res<Duration> {
    let (took, totals) = engine::read_all(store, shards, engine::GET_LIMIT)?;
    if totals.records != expected as u64 {
        return Err(format!(
            "get_records read {} records, {expected} were put",
            totals.records
        )
        .into());
    }
    Ok(took)
}

/// Every object under `bucket` but those in `skip`, each checked: its name's sequence range names
/// records of its shard, its decompressed bytes are exactly those records framed, and every record
/// is in exactly one object.
fn collect_objects(
    bucket: &Path,
    skip: &HashSet<PathBuf>,
    placed: &[Placement],
    records: &[Vec<u8>],
    format: RecordFormat,
) -> Res<Vec<Object>> {
    let by_place: HashMap<Placement, usize> =
        placed.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let mut seen = vec![false; records.len()];
    let mut objects = Vec::new();
    for path in files_under(bucket)?
        .into_iter()
        .filter(|p| !skip.contains(p))
    {
        let name = path.to_string_lossy().into_owned();
        if name.ends_with(".tmp") || name.contains("kinesis-channel-errors") {
            return Err(format!("unexpected object {name}").into());
        }
        let (shard, first, last) = range_of(&name)?;
        let indices: Vec<usize> = (first..=last)
            .filter_map(|c| by_place.get(&(shard, c)).copied())
            .collect();
        let bytes = std::fs::read(&path)?;
        let body = decompress(&name, &bytes)?;
        let refs: Vec<&[u8]> = indices.iter().map(|&i| records[i].as_slice()).collect();
        if body != frame(format, &refs) {
            return Err(format!("{name} does not hold its records as expected").into());
        }
        for &i in &indices {
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("record {i} is in two objects").into());
            }
        }
        objects.push(Object {
            path,
            bytes,
            records: indices,
        });
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(format!("record {i} was not delivered").into());
    }
    Ok(objects)
}

/// Every regular file below `dir`, sorted.
fn files_under(dir: &Path) -> Res<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let e = e?;
            if e.file_type()?.is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The shard index and the first and last counter of an object named
/// `...-shardId-<12 digits>-<first sequence number>-<last sequence number>.<extension>`.
fn range_of(name: &str) -> Res<(u32, u64, u64)> {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    let mut parts = stem.rsplit('-');
    let bad = || format!("object name {file} has no sequence range");
    let last: SequenceNumber = parts.next().ok_or_else(bad)?.parse()?;
    let first: SequenceNumber = parts.next().ok_or_else(bad)?.parse()?;
    Ok((first.shard_index(), first.counter(), last.counter()))
}

fn decompress(name: &str, bytes: &[u8]) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    } else if name.ends_with(".zst") {
        out = zstd::decode_all(bytes)?;
    } else {
        out = bytes.to_vec();
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The floor

/// Checks each record as the format requires (the engine sends the others to dead letters).
fn check(format: RecordFormat, records: &[&[u8]]) -> Res<()> {
    for r in records {
        match format {
            RecordFormat::Json => {
                serde_json::from_slice::<serde::de::IgnoredAny>(r)?;
            }
            RecordFormat::String => {
                std::str::from_utf8(r)?;
            }
            RecordFormat::ByteArray | RecordFormat::GsrJson => {}
        }
    }
    Ok(())
}

/// The object body of `records`: a line each for JSON (line breaks dropped, as the engine does)
/// and STRING, back to back for BYTE_ARRAY.
fn frame(format: RecordFormat, records: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::with_capacity(records.iter().map(|r| r.len() + 1).sum());
    for r in records {
        match format {
            RecordFormat::Json if r.contains(&b'\n') || r.contains(&b'\r') => {
                body.extend(r.iter().filter(|b| !matches!(b, b'\n' | b'\r')));
                body.push(b'\n');
            }
            RecordFormat::Json | RecordFormat::String => {
                body.extend_from_slice(r);
                body.push(b'\n');
            }
            RecordFormat::ByteArray | RecordFormat::GsrJson => body.extend_from_slice(r),
        }
    }
    body
}

/// `body` compressed with the engine's crates and levels.
fn compress(compression: Compression, body: Vec<u8>) -> Res<Vec<u8>> {
    Ok(match compression {
        Compression::None => body,
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::default(),
            );
            enc.write_all(&body)?;
            enc.finish()?
        }
        Compression::Zstd => zstd::bulk::compress(&body, ZSTD_LEVEL)?,
    })
}

/// Writes `bytes` as `dir/name` as durably as the engine writes an object: a temporary file, one
/// write, `fdatasync`, `rename` over the name, `fsync` of the directory.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Res<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_data()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// The extension of an object's name (`.json.zst`, ...).
fn extension_of(object: &Path) -> String {
    let file = object
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    file.find('.')
        .map_or_else(String::new, |at| file[at..].to_string())
}

/// The records of `groups` one after the other in one buffer, as a shard's log holds them, and
/// where each is. The floor reads them from there: 50,000 separate allocations are slower to walk
/// than the log the engine reads, and would flatter the engine.
fn laid_out(groups: &[Vec<usize>], records: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<Range<usize>>>) {
    let total = groups.iter().flatten().map(|&i| records[i].len()).sum();
    let mut arena = Vec::with_capacity(total);
    let spans = groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|&i| {
                    let start = arena.len();
                    arena.extend_from_slice(&records[i]);
                    start..arena.len()
                })
                .collect()
        })
        .collect();
    (arena, spans)
}

/// What the floor measured, and the bytes of its objects.
struct Floor {
    times: FloorTimes,
    write_only: Duration,
    objects: Vec<Vec<u8>>,
}

/// Writes the objects of `groups` into `dir` from the records in memory, timing each phase; then
/// their compressed bytes again, alone. Every file it writes is removed afterwards.
fn floor_run(
    dir: &Path,
    groups: &[Vec<usize>],
    records: &[Vec<u8>],
    (format, compression): (RecordFormat, Compression),
    ext: &str,
) -> Res<Floor> {
    let mut t = FloorTimes::default();
    let mut objects = Vec::with_capacity(groups.len());
    let mut written = Vec::new();
    let (arena, spans) = laid_out(groups, records);
    quiesce();
    for (i, group) in spans.iter().enumerate() {
        let refs: Vec<&[u8]> = group.iter().map(|r| &arena[r.clone()]).collect();
        let name = format!("floor-{i}{ext}");
        let start = Instant::now();
        check(format, &refs)?;
        let checked = Instant::now();
        let body = frame(format, &refs);
        let framed = Instant::now();
        let bytes = compress(compression, body)?;
        let compressed = Instant::now();
        write_durably(dir, &name, &bytes)?;
        t.check += checked - start;
        t.frame += framed - checked;
        t.compress += compressed - framed;
        t.write += compressed.elapsed();
        objects.push(bytes);
        written.push(dir.join(name));
    }
    quiesce();
    let start = Instant::now();
    for (i, bytes) in objects.iter().enumerate() {
        let name = format!("write-only-{i}{ext}");
        write_durably(dir, &name, bytes)?;
        written.push(dir.join(name));
    }
    let write_only = start.elapsed();
    for path in written {
        std::fs::remove_file(path)?;
    }
    Ok(Floor {
        times: t,
        write_only,
        objects,
    })
}

/// One run of a row in a fresh directory: the engine's delivery and the floor, the floor first
/// when `floor_first` (the disk gives its first writes of a burst more bandwidth than the next:
/// alternating the order shares that out).
fn run(
    root: &Path,
    records: &[Vec<u8>],
    shards: u32,
    kind: (RecordFormat, Compression),
    floor_first: bool,
) -> Res<Run> {
    let (format, compression) = kind;
    let dir = fresh_dir(root, &combo_name(format, compression))?;
    let store = open_store(&dir, None, None)?;
    let bucket = stream_and_channel(&store, &dir, shards, format, compression)?;
    let (first, first_object) = first_delivery(&store, &bucket, records)?;
    let dest = first_object
        .parent()
        .ok_or("an object without a directory")?;
    let ext = extension_of(&first_object);
    let placed = fill(&store, records)?;
    let groups = groups(&placed, records);
    let early = match floor_first {
        true => Some(floor_run(dest, &groups, records, kind, &ext)?),
        false => None,
    };
    quiesce();
    let start = Instant::now();
    let written = store.deliver_channels()?;
    let engine = start.elapsed();
    let log_read = read_everything(&store, shards, records.len() + 1)?;
    store.close()?;
    let skip = HashSet::from([first_object.clone()]);
    let objects = collect_objects(&bucket, &skip, &placed, records, format)?;
    if objects.len() != written {
        return Err(format!("{written} objects delivered, {} found", objects.len()).into());
    }
    let floor = match early {
        Some(f) => f,
        None => floor_run(dest, &groups, records, kind, &ext)?,
    };
    same_as_floor(&objects, &groups, &floor.objects)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(Run {
        engine,
        first,
        log_read,
        objects: objects.len(),
        object_bytes: objects.iter().map(|o| o.bytes.len() as u64).sum(),
        floor: floor.times,
        write_only: floor.write_only,
    })
}

/// The median of each measurement over the repeats (object counts and sizes are equal in all).
fn median_run(runs: &[Run]) -> Run {
    let med = |f: &dyn Fn(&Run) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    Run {
        engine: med(&|r| r.engine),
        first: med(&|r| r.first),
        log_read: med(&|r| r.log_read),
        objects: runs[0].objects,
        object_bytes: runs[0].object_bytes,
        floor: FloorTimes {
            check: med(&|r| r.floor.check),
            frame: med(&|r| r.floor.frame),
            compress: med(&|r| r.floor.compress),
            write: med(&|r| r.floor.write),
        },
        write_only: med(&|r| r.write_only),
    }
}

// ---------------------------------------------------------------------------------------------
// Latency

/// What the latency run measured.
struct Latency {
    p50: Duration,
    p99: Duration,
    max: Duration,
    objects: usize,
    rate: f64,
}

/// Puts records one at a time at a steady rate while the delivery thread runs, and measures from
/// each put's return until a poller finds the record in an object.
fn latency(root: &Path, records: &[Vec<u8>], args: &Args) -> Res<Latency> {
    let dir = fresh_dir(root, "latency")?;
    let store = open_store(&dir, Some(args.interval), Some(args.freshness))?;
    let bucket = stream_and_channel(
        &store,
        &dir,
        args.shards,
        RecordFormat::Json,
        Compression::Zstd,
    )?;
    let n = records.len();
    let seen: Mutex<HashMap<usize, Instant>> = Mutex::new(HashMap::with_capacity(n));
    let done = AtomicBool::new(false);
    let keys = engine::partition_keys(n, 0x5);
    let mut returned = Vec::with_capacity(n);
    let gap = Duration::from_secs_f64(1.0 / args.latency_rate);
    let objects = std::thread::scope(|scope| -> Res<usize> {
        let poller = scope.spawn(|| poll_objects(&bucket, &seen, &done, n));
        let start = Instant::now();
        for (i, (k, d)) in keys.iter().zip(records).enumerate() {
            let due = start + gap * i as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            store.put_record(STREAM, PutEntry::new(k, d))?;
            returned.push(Instant::now());
        }
        let deadline = Instant::now() + args.freshness * 20 + Duration::from_secs(10);
        while seen.lock().map_err(|e| e.to_string())?.len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        done.store(true, Ordering::Release);
        poller.join().map_err(|_| "the poller panicked")?
    })?;
    let seen = seen.into_inner().map_err(|e| e.to_string())?;
    let elapsed = returned
        .last()
        .zip(returned.first())
        .map_or(Duration::ZERO, |(l, f)| *l - *f);
    store.close()?;
    std::fs::remove_dir_all(&dir)?;
    if seen.len() != n {
        return Err(format!("{} of {n} records became readable", seen.len()).into());
    }
    let mut lat: Vec<Duration> = returned
        .iter()
        .enumerate()
        .map(|(i, r)| seen[&i].saturating_duration_since(*r))
        .collect();
    lat.sort();
    Ok(Latency {
        p50: percentile(&lat, 50.0),
        p99: percentile(&lat, 99.0),
        max: lat.last().copied().unwrap_or_default(),
        objects,
        rate: n.saturating_sub(1) as f64 / elapsed.as_secs_f64().max(1e-9),
    })
}

/// Until `done` or every record is seen: every millisecond, reads the objects not read yet and
/// notes when each record in them was found. Returns the objects read.
fn poll_objects(
    bucket: &Path,
    seen: &Mutex<HashMap<usize, Instant>>,
    done: &AtomicBool,
    n: usize,
) -> Res<usize> {
    let mut read = HashSet::new();
    while !done.load(Ordering::Acquire) {
        for path in files_under(bucket)? {
            let name = path.to_string_lossy().into_owned();
            if name.ends_with(".tmp") || read.contains(&path) {
                continue;
            }
            let body = decompress(&name, &std::fs::read(&path)?)?;
            let now = Instant::now();
            let mut seen = seen.lock().map_err(|e| e.to_string())?;
            for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_slice(line)?;
                let id = v["id"].as_u64().ok_or("a record without an id")? as usize;
                if seen.insert(id, now).is_some() {
                    return Err(format!("record {id} delivered twice").into());
                }
            }
            read.insert(path);
            if seen.len() == n {
                return Ok(read.len());
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(read.len())
}

// ---------------------------------------------------------------------------------------------
// Report

fn mb_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e3)
}

/// `a − b` in ms, with its sign.
fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.0}", (a.as_secs_f64() - b.as_secs_f64()) * 1e3)
}

fn print_tables(args: &Args, payload: u64, rows: &[(RecordFormat, Compression, Run)]) {
    println!("| Format | Compression | objects | object MB | shardlog MB/s | floor MB/s (check + frame + compress + write) | vs floor | floor MB/s (write only) | vs write only |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (format, compression, r) in rows {
        let (ours, floor, write) = (
            mb_s(payload, r.engine),
            mb_s(payload, r.floor.total()),
            mb_s(payload, r.write_only),
        );
        println!(
            "| {} | {} | {} | {:.1} | {ours:.0} | {floor:.0} | {:.2}× | {write:.0} | {:.2}× |",
            format.as_str(),
            compression.as_str(),
            r.objects,
            r.object_bytes as f64 / 1e6,
            ours / floor,
            ours / write,
        );
    }
    println!();
    println!(
        "Where the time goes (ms, median of {}): the floor's phases; one read of every record through `get_records`; the channel's first delivery (one record, which creates the directories of its key).",
        args.repeats
    );
    println!();
    println!("| Format | Compression | shardlog | floor | check | frame | compress | write + fsync | shardlog − floor | get_records of all | first delivery (1 record) |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (format, compression, r) in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            format.as_str(),
            compression.as_str(),
            ms(r.engine),
            ms(r.floor.total()),
            ms(r.floor.check),
            ms(r.floor.frame),
            ms(r.floor.compress),
            ms(r.floor.write),
            signed_ms(r.engine, r.floor.total()),
            ms(r.log_read),
            r.first.as_secs_f64() * 1e3,
        );
    }
}

fn print_latency(args: &Args, l: &Latency) {
    println!("| Format | freshness | delivery interval | records | put rate /s | objects | put → readable p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| JSON + ZSTD | {} ms | {} ms | {} | {:.0} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
        args.freshness.as_millis(),
        args.interval.as_millis(),
        args.latency_records,
        l.rate,
        l.objects,
        l.p50.as_secs_f64() * 1e3,
        l.p99.as_secs_f64() * 1e3,
        l.max.as_secs_f64() * 1e3,
    );
}

fn main() -> Res<()> {
    let args = parse()?;
    let work = WorkDir::new(args.dir.as_deref(), "channel-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let records = json_records(args.records.max(args.latency_records));
    let payload: u64 = records[..args.records].iter().map(|r| r.len() as u64).sum();
    let mut rows = Vec::new();
    for (format, compression) in COMBOS {
        let name = combo_name(format, compression);
        if args.only.as_ref().is_some_and(|o| !o.contains(&name)) {
            continue;
        }
        let mut runs = Vec::new();
        for rep in 0..args.repeats {
            let kind = (format, compression);
            let r = run(
                &root,
                &records[..args.records],
                args.shards,
                kind,
                rep % 2 == 1,
            )?;
            eprintln!(
                "{name} run {}: shardlog {} ms, floor {} ms, load {}",
                rep + 1,
                ms(r.engine),
                ms(r.floor.total()),
                loadavg()
            );
            runs.push(r);
        }
        rows.push((format, compression, median_run(&runs)));
    }
    let lat = if args.no_latency {
        None
    } else {
        eprintln!("latency, load {}", loadavg());
        Some(latency(&root, &records[..args.latency_records], &args)?)
    };
    println!(
        "channel-compare, {}: {} JSON records ({:.1} MB, {:.0} bytes each on average) on {} shards, `Durability::Sync`, one `deliver_channels` per run, median of {}; load average {} → {}; {}; command: `{}`",
        today(),
        args.records,
        payload as f64 / 1e6,
        payload as f64 / args.records.max(1) as f64,
        args.shards,
        args.repeats,
        load_before,
        loadavg(),
        machine(&root),
        std::env::args().collect::<Vec<_>>().join(" "),
    );
    println!();
    print_tables(&args, payload, &rows);
    if let Some(l) = lat {
        println!();
        print_latency(&args, &l);
    }
    Ok(())
}
