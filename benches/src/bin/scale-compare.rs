//! `scale-compare`: how the `shardlog` engine (`Store`) behaves as the number of shards grows
//! (issue 18.4). For every size in `--sizes` and every layout (one stream of N shards, and N/4
//! streams of 4 shards) it measures: the time to open a fresh store and create the streams,
//! `put_records` throughput, `Store::close`, `Store::open` after the clean close, `get_records`
//! throughput, `Store::open` after the writing process was killed with SIGKILL, and what an idle
//! open store costs the process (resident memory, descriptors, mappings, threads).
//!
//! ```text
//! cargo run --release -p shardlog-benches --bin scale-compare -- \
//!     [--sizes 1,100,1000,10000] [--records N] [--segment-kib N] [--dir PATH] [--sync]
//! ```
//!
//! Segments are 1 MiB unless `--segment-kib` says otherwise: every shard preallocates its active
//! segment (and, without `--sync`, a spare), so the default 64 MiB would need 1.3 TB for 10,000
//! shards.
//!
//! Every row runs in its own process (hidden flag `--child-row ROOT`), which prints the row after
//! every step: a row whose process dies (the engine aborting at a process limit, say) still shows
//! how far it got and why. The row process runs the binary again for the steps that need a fresh
//! process: `--child-read DIR` (time the open after the clean close and the read, then exit
//! without closing), `--child-fill DIR` (open, write, print `filled`, sleep until killed with
//! SIGKILL) and `--child-idle DIR` (time the open after the SIGKILL, wait until the store is idle,
//! print what it costs, verify every acknowledged record, exit without closing). Progress goes to
//! stderr, the table to stdout. See `docs/performance.md`, section "Scale (issue 18.4)".

use serde::{Deserialize, Serialize};
use shardlog::{
    Durability, PutEntry, ShardId, StartingPosition, Store, StoreOptions, MAX_GET_RECORDS,
    MAX_PUT_RECORDS,
};
use shardlog_benches::report::{loadavg, machine, today};
use shardlog_benches::{Payloads, Res};
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
/// Records per `put_records` call of the timed fill (the Kinesis maximum).
const BATCH: usize = MAX_PUT_RECORDS;
/// Data bytes per record.
const SIZE: usize = 1024;
/// The size the throughput of the largest size is compared with.
const REFERENCE_SHARDS: u32 = 16;
/// Goal: throughput on the largest size at least this fraction of the reference's.
const THROUGHPUT_GOAL: f64 = 0.8;
/// Goal: open after a clean close of 10,000 shards within this.
const OPEN_GOAL: Duration = Duration::from_secs(1);
/// Space left free on the disk beyond what a size needs, or the size is skipped.
const DISK_MARGIN: u64 = 8 << 30;

const HELP: &str = "scale-compare [--sizes 1,100,1000,10000] [--records N (200000)] \
[--segment-kib N (1024)] [--dir PATH (a tempdir under /tmp)] [--sync] [--cold]";

#[derive(Debug, Clone)]
struct Args {
    sizes: Vec<u32>,
    records: usize,
    segment_bytes: u64,
    dir: Option<PathBuf>,
    sync: bool,
    /// Drop the page cache between the clean open and the get, so the get reads from the disk.
    cold: bool,
    child: Option<ChildMode>,
}

/// The hidden modes the binary runs itself in.
#[derive(Debug, Clone)]
enum ChildMode {
    /// Measure one row in a fresh store under the directory; print the row after every step.
    Row { root: PathBuf, layout: Layout },
    /// Open the store in the directory, write `records` more records, print `filled`, sleep.
    Fill {
        dir: PathBuf,
        layout: Layout,
        records: usize,
    },
    /// Open the store (timed), read everything (timed), print both, exit without closing.
    Read { dir: PathBuf, layout: Layout },
    /// Open the store (timed), wait until it is idle, print its costs, check that it holds
    /// `expect` records, exit without closing.
    Idle {
        dir: PathBuf,
        layout: Layout,
        expect: usize,
    },
}

impl Args {
    fn parse() -> Res<Args> {
        let mut a = Args {
            sizes: vec![1, 100, 1000, 10_000],
            records: 200_000,
            segment_bytes: MIB,
            dir: None,
            sync: false,
            cold: false,
            child: None,
        };
        let mut child_fill = None;
        let mut child_idle = None;
        let mut child_read = None;
        let mut child_row = None;
        let (mut streams, mut per_stream, mut fill_records, mut expect) = (1u32, 1u32, 0usize, 0);
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--sizes" => {
                    a.sizes = value()?
                        .split(',')
                        .map(|s| s.trim().replace('_', "").parse::<u32>())
                        .collect::<Result<_, _>>()?;
                }
                "--records" => a.records = value()?.replace('_', "").parse()?,
                "--segment-kib" => a.segment_bytes = value()?.parse::<u64>()? * KIB,
                "--dir" => a.dir = Some(PathBuf::from(value()?)),
                "--sync" => a.sync = true,
                "--cold" => a.cold = true,
                // Hidden: the child processes.
                "--child-fill" => child_fill = Some(PathBuf::from(value()?)),
                "--child-idle" => child_idle = Some(PathBuf::from(value()?)),
                "--child-read" => child_read = Some(PathBuf::from(value()?)),
                "--child-row" => child_row = Some(PathBuf::from(value()?)),
                "--expect" => expect = value()?.parse()?,
                "--streams" => streams = value()?.parse()?,
                "--per-stream" => per_stream = value()?.parse()?,
                "--fill-records" => fill_records = value()?.parse()?,
                "-h" | "--help" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{HELP}").into()),
            }
        }
        let layout = Layout {
            streams,
            per_stream,
        };
        a.child = match (child_row, child_fill, child_read, child_idle) {
            (Some(root), None, None, None) => Some(ChildMode::Row { root, layout }),
            (None, Some(dir), None, None) => Some(ChildMode::Fill {
                dir,
                layout,
                records: fill_records,
            }),
            (None, None, Some(dir), None) => Some(ChildMode::Read { dir, layout }),
            (None, None, None, Some(dir)) => Some(ChildMode::Idle {
                dir,
                layout,
                expect,
            }),
            (None, None, None, None) => None,
            _ => return Err("one child mode at a time".into()),
        };
        if a.sizes.is_empty() || a.sizes.contains(&0) || a.records == 0 {
            return Err("--sizes needs shard counts of at least 1, --records at least 1".into());
        }
        Ok(a)
    }

    fn durability(&self) -> Durability {
        if self.sync {
            Durability::Sync
        } else {
            Durability::None
        }
    }

    /// The flags a child needs to open the store as the parent does.
    fn child_flags(&self, layout: Layout) -> Vec<String> {
        let mut flags = vec![
            "--records".to_string(),
            self.records.to_string(),
            "--segment-kib".to_string(),
            (self.segment_bytes / KIB).to_string(),
            "--streams".to_string(),
            layout.streams.to_string(),
            "--per-stream".to_string(),
            layout.per_stream.to_string(),
        ];
        if self.sync {
            flags.push("--sync".into());
        }
        if self.cold {
            flags.push("--cold".into());
        }
        flags
    }
}

/// How the shards of one size are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Layout {
    streams: u32,
    per_stream: u32,
}

impl Layout {
    fn shards(self) -> u32 {
        self.streams * self.per_stream
    }

    fn name(self) -> String {
        format!("{} × {}", self.streams, self.per_stream)
    }

    fn stream_names(self) -> Vec<String> {
        (0..self.streams).map(|s| format!("s{s:05}")).collect()
    }

    /// One stream of `n` shards; `n / 4` streams of 4 shards when `n` is a multiple of 4 above 4.
    fn for_size(n: u32) -> Vec<Layout> {
        let mut v = vec![Layout {
            streams: 1,
            per_stream: n,
        }];
        if n > 4 && n.is_multiple_of(4) {
            v.push(Layout {
                streams: n / 4,
                per_stream: 4,
            });
        }
        v
    }

    /// Records per stream of the timed fill: at least `records` in all, two per shard, and whole
    /// calls of [`BATCH`] per stream.
    fn fill_per_stream(self, records: usize) -> usize {
        let total = records.max(2 * self.shards() as usize);
        total.div_ceil(self.streams as usize).div_ceil(BATCH) * BATCH
    }

    /// Records per stream the SIGKILLed child writes: a tenth of `records`, at least two per shard.
    fn child_per_stream(self, records: usize) -> usize {
        let total = (records / 10).max(2 * self.shards() as usize);
        total.div_ceil(self.streams as usize)
    }
}

fn store_options(args: &Args, layout: Layout) -> StoreOptions {
    StoreOptions {
        durability: args.durability(),
        segment_bytes: args.segment_bytes,
        max_shards: (layout.shards() as usize).max(StoreOptions::default().max_shards),
        ..StoreOptions::default()
    }
}

/// An explicit hash key (decimal) inside each shard's range, in shard order: the streams of a
/// layout all split the key space alike, so the first stream's description serves all.
fn shard_keys(store: &Store, stream: &str) -> Res<Vec<String>> {
    Ok(store
        .describe_stream(stream)?
        .shards
        .iter()
        .map(|s| s.starting_hash_key.to_string())
        .collect())
}

/// The `put_records` calls that write `per_stream` records to every stream, streams taking turns,
/// at most `batch` records per call; record `j` of a stream goes to its shard `j % per_stream`.
/// Data of record `i` (counted over all calls, from `first`) is `payloads.record(i)`.
fn requests<'a>(
    layout: Layout,
    keys: &'a [String],
    payloads: &'a Payloads,
    per_stream: usize,
    batch: usize,
    first: usize,
) -> Vec<(usize, Vec<PutEntry<'a>>)> {
    let mut out = Vec::new();
    let mut i = first;
    for from in (0..per_stream).step_by(batch.max(1)) {
        for s in 0..layout.streams as usize {
            let to = (from + batch).min(per_stream);
            let entries = (from..to)
                .map(|j| {
                    let key = &keys[j % keys.len()];
                    i += 1;
                    PutEntry::new(key, payloads.record(i).1).with_explicit_hash_key(key)
                })
                .collect();
            out.push((s, entries));
        }
    }
    out
}

fn put_all(store: &Store, names: &[String], reqs: &[(usize, Vec<PutEntry<'_>>)]) -> Res<Duration> {
    let start = Instant::now();
    for (s, entries) in reqs {
        let out = store.put_records(&names[*s], entries)?;
        if out.failed_record_count != 0 {
            return Err(format!("put_records: {} entries failed", out.failed_record_count).into());
        }
    }
    Ok(start.elapsed())
}

/// Reads every shard of every stream from `TRIM_HORIZON` until `get_records` returns nothing.
/// Returns the time and the records and data bytes read.
fn read_all(store: &Store, names: &[String], per_stream: u32) -> Res<(Duration, u64, u64)> {
    let (mut records, mut bytes) = (0u64, 0u64);
    let start = Instant::now();
    for name in names {
        for shard in 0..per_stream {
            let mut it =
                store.get_shard_iterator(name, ShardId(shard), StartingPosition::TrimHorizon)?;
            loop {
                let out = store.get_records(&it, MAX_GET_RECORDS)?;
                if out.records.is_empty() {
                    break;
                }
                records += out.records.len() as u64;
                bytes += out.records.iter().map(|r| r.data.len() as u64).sum::<u64>();
                it = out
                    .next_shard_iterator
                    .ok_or("get_records: an open shard returned no next iterator")?;
            }
        }
    }
    Ok((start.elapsed(), records, bytes))
}

/// What the process holds, from `/proc/self`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    rss_kib: u64,
    fds: u64,
    maps: u64,
    threads: u64,
}

impl Usage {
    fn now() -> Usage {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Usage {
            rss_kib: field("VmRSS:"),
            threads: field("Threads:"),
            fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
            maps: std::fs::read_to_string("/proc/self/maps")
                .map_or(0, |m| m.lines().count() as u64),
        }
    }

    /// Descriptors, mappings and threads: what settles once background work is done.
    fn settled_key(self) -> (u64, u64, u64) {
        (self.fds, self.maps, self.threads)
    }
}

/// Waits until descriptors, mappings and threads stayed the same for a second (the background
/// threads of new shard logs make their spare segments after the open returns), at most `limit`.
fn settle(limit: Duration) -> Duration {
    let start = Instant::now();
    let mut last = Usage::now().settled_key();
    let mut same = 0;
    while same < 5 && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(200));
        let now = Usage::now().settled_key();
        if now == last {
            same += 1;
        } else {
            same = 0;
            last = now;
        }
    }
    start.elapsed()
}

/// Threads of this process by name, numbered names counted together (`shardlog-write-*`).
fn thread_names() -> BTreeMap<String, u64> {
    let mut names = BTreeMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            let comm = comm.trim();
            let base = comm.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
            let name = if base.len() < comm.len() {
                format!("{base}-*")
            } else {
                comm.to_string()
            };
            *names.entry(name).or_insert(0) += 1;
        }
    }
    names
}

/// Files under `dir` (recursively) by kind, with their apparent and allocated bytes.
#[derive(Debug, Default)]
struct DiskUse {
    files: BTreeMap<String, u64>,
    bytes: u64,
    allocated: u64,
}

fn disk_use(dir: &Path) -> DiskUse {
    use std::os::unix::fs::MetadataExt as _;
    fn walk(dir: &Path, d: &mut DiskUse) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                walk(&e.path(), d);
            } else {
                let name = e.file_name().to_string_lossy().into_owned();
                let kind = match name.rsplit_once('.') {
                    Some((_, ext)) if !ext.is_empty() => format!("*.{ext}"),
                    _ => name,
                };
                *d.files.entry(kind).or_insert(0) += 1;
                d.bytes += m.len();
                d.allocated += m.blocks() * 512;
            }
        }
    }
    let mut d = DiskUse::default();
    walk(dir, &mut d);
    d
}

/// Child: opens the store, writes `records` more records, says `filled`, sleeps until killed.
fn child_fill(args: &Args, dir: &Path, layout: Layout, records: usize) -> Res<()> {
    let store = Store::open(dir, store_options(args, layout))?;
    let names = layout.stream_names();
    let keys = shard_keys(&store, &names[0])?;
    let payloads = Payloads::new(SIZE);
    let per_stream = records / layout.streams as usize;
    let reqs = requests(layout, &keys, &payloads, per_stream, BATCH, 1 << 30);
    put_all(&store, &names, &reqs)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "filled")?;
    out.flush()?;
    drop(out);
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Prints `lines` and ends the process at once: no destructor runs, so the store is not closed
/// (closing thousands of shards takes minutes, and the directory is deleted next anyway).
fn exit_with(lines: &[String]) -> ! {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    std::process::exit(0)
}

/// Child: opens the cleanly closed store and reads everything back, both timed.
fn child_read(args: &Args, dir: &Path, layout: Layout) -> Res<()> {
    let start = Instant::now();
    let store = Store::open(dir, store_options(args, layout))?;
    let open = start.elapsed();
    if args.cold {
        drop_page_cache()?;
    }
    let (d, records, bytes) = read_all(&store, &layout.stream_names(), layout.per_stream)?;
    exit_with(&[format!(
        "read {} {} {records} {bytes}",
        open.as_nanos(),
        d.as_nanos()
    )])
}

/// Writes the dirty pages and drops the clean ones from the page cache (root only), so that what is
/// read next comes from the disk.
fn drop_page_cache() -> Res<()> {
    rustix::fs::sync();
    std::fs::write("/proc/sys/vm/drop_caches", "1")
        .map_err(|e| format!("--cold: dropping the page cache needs root: {e}"))?;
    Ok(())
}

/// Child: opens the store a SIGKILL left (timed), then what the idle open store costs this
/// process against the figures before the open; checks that it holds `expect` records.
fn child_idle(args: &Args, dir: &Path, layout: Layout, expect: usize) -> Res<()> {
    let before = Usage::now();
    let start = Instant::now();
    let store = Store::open(dir, store_options(args, layout))?;
    let open = start.elapsed();
    let settled = settle(Duration::from_secs(120));
    let after = Usage::now();
    let names = thread_names();
    let disk = disk_use(dir);
    // Nothing acknowledged may be lost to a process crash (untimed check).
    let (_, got, _) = read_all(&store, &layout.stream_names(), layout.per_stream)?;
    if got != expect as u64 {
        return Err(
            format!("after SIGKILL: read {got} records, {expect} were acknowledged").into(),
        );
    }
    let d = |a: u64, b: u64| a as i64 - b as i64;
    let names: Vec<String> = names.iter().map(|(n, c)| format!("{n}={c}")).collect();
    let files: Vec<String> = disk.files.iter().map(|(n, c)| format!("{n}={c}")).collect();
    exit_with(&[
        format!(
            "idle {} {} {} {} {} {}",
            open.as_nanos(),
            d(after.rss_kib, before.rss_kib),
            d(after.fds, before.fds),
            d(after.maps, before.maps),
            d(after.threads, before.threads),
            settled.as_millis(),
        ),
        format!("threads {}", names.join(" ")),
        format!("disk {} {} {}", disk.bytes, disk.allocated, files.join(" ")),
    ])
}

/// Runs the binary in a child mode on `dir` and returns its stdout; fails if it failed.
fn run_child(args: &Args, mode: &str, dir: &Path, layout: Layout, more: &[String]) -> Res<String> {
    let out = Command::new(std::env::current_exe()?)
        .arg(mode)
        .arg(dir)
        .args(args.child_flags(layout))
        .args(more)
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(format!("{mode} child failed ({})", out.status).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The numbers after `tag` on the line of `text` that starts with it.
fn numbers(text: &str, tag: &str) -> Vec<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix(tag)?.strip_prefix(' '))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn nanos(n: i64) -> Duration {
    Duration::from_nanos(n.max(0) as u64)
}

/// One row of the table. `None`: not measured (see `note`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Row {
    layout: Option<Layout>,
    records: usize,
    create: Option<Duration>,
    put: Option<f64>,
    close: Option<Duration>,
    clean_open: Option<Duration>,
    killed_open: Option<Duration>,
    get: Option<f64>,
    /// RSS (KiB), descriptors, mappings, threads of the idle store, minus before the open.
    idle: Option<[i64; 4]>,
    /// Details for the notes under the table.
    details: Vec<String>,
    note: Option<String>,
}

fn rate(records: u64, d: Duration) -> f64 {
    records as f64 / d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Free bytes of the file system holding `dir`, from `df`.
fn free_bytes(dir: &Path) -> Option<u64> {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .ok()?;
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

/// Prints the row as measured so far (the parent keeps the last one it gets).
fn emit(row: &Row) {
    if let Ok(json) = serde_json::to_string(row) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "row {json}");
        let _ = out.flush();
    }
}

/// Records why the row stops, prints it and ends the process at once: a store that is still open
/// is not closed (that takes minutes for thousands of shards; the parent deletes the directory).
fn fail(row: &mut Row, why: impl std::fmt::Display) -> ! {
    eprintln!("    failed: {why}");
    row.note = Some(why.to_string());
    emit(row);
    std::process::exit(0)
}

/// The value, or [`fail`] with `step` and the error.
fn check<T, E: std::fmt::Display>(row: &mut Row, step: &str, r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => fail(row, format!("{step}: {e}")),
    }
}

fn store_dir(root: &Path, layout: Layout) -> PathBuf {
    root.join(format!("store-{}x{}", layout.streams, layout.per_stream))
}

/// Child: measures one layout in a fresh directory under `root`, printing the row after every
/// step.
fn child_row(args: &Args, root: &Path, layout: Layout) -> Res<()> {
    let mut row = Row {
        layout: Some(layout),
        ..Row::default()
    };
    let row = &mut row;
    let dir = store_dir(root, layout);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let names = layout.stream_names();
    let per_stream = layout.fill_per_stream(args.records);
    let total = per_stream * layout.streams as usize;
    row.records = total;
    emit(row);
    // The active segment of every shard, the data and the child's data (twice: the spares, made
    // once a segment is half full, and the segments' tails).
    let child_total = layout.child_per_stream(args.records) * layout.streams as usize;
    let need = u64::from(layout.shards()) * args.segment_bytes
        + ((total + child_total) as u64) * (SIZE as u64 + 256) * 2;
    if let Some(free) = free_bytes(root) {
        if free < need + DISK_MARGIN {
            fail(
                row,
                format!(
                    "skipped: needs about {} GiB of disk, {} GiB free",
                    need >> 30,
                    free >> 30
                ),
            );
        }
    }
    let payloads = Payloads::new(SIZE);

    // 1. Create.
    let start = Instant::now();
    let store = check(
        row,
        "create: open",
        Store::open(&dir, store_options(args, layout)),
    );
    for name in &names {
        let created = store.create_stream(name, layout.per_stream);
        check(row, &format!("create_stream {name}"), created);
    }
    let create = start.elapsed();
    row.create = Some(create);
    emit(row);
    let settled = settle(Duration::from_secs(120));
    eprintln!(
        "    create {:.2} s (background settled {:.1} s later)",
        create.as_secs_f64(),
        settled.as_secs_f64()
    );

    // 2. Fill.
    let keys = check(row, "describe", shard_keys(&store, &names[0]));
    let reqs = requests(layout, &keys, &payloads, per_stream, BATCH, 0);
    let d = check(row, "put", put_all(&store, &names, &reqs));
    drop(reqs);
    row.put = Some(rate(total as u64, d));
    emit(row);
    eprintln!("    put {total} records in {:.2} s", d.as_secs_f64());

    // 3. Clean close here; the open after it and 4. the read in a fresh process.
    let start = Instant::now();
    let closed = store.close();
    check(row, "close", closed);
    drop(store);
    let close = start.elapsed();
    row.close = Some(close);
    emit(row);
    eprintln!("    clean close {:.2} s", close.as_secs_f64());
    let out = run_child(args, "--child-read", &dir, layout, &[]);
    let out = check(row, "open after close", out);
    let [open, get, got, bytes] = numbers(&out, "read")[..] else {
        fail(row, "read child: no figures");
    };
    row.clean_open = Some(nanos(open));
    if got != total as i64 || bytes != (total * SIZE) as i64 {
        fail(
            row,
            format!("get: read {got} records ({bytes} B), wrote {total}"),
        );
    }
    row.get = Some(rate(got as u64, nanos(get)));
    emit(row);
    eprintln!(
        "    open after clean close {:.0} ms; get {got} records in {:.2} s",
        ms(nanos(open)),
        nanos(get).as_secs_f64()
    );

    // 5. A child writes more and is killed with SIGKILL.
    let exe = check(row, "current_exe", std::env::current_exe());
    let spawned = Command::new(exe)
        .arg("--child-fill")
        .arg(&dir)
        .args(args.child_flags(layout))
        .args(["--fill-records", &child_total.to_string()])
        .stdout(Stdio::piped())
        .spawn();
    let mut child = check(row, "spawn fill child", spawned);
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let _ = child.kill();
    let status = check(row, "wait for fill child", child.wait());
    if line.trim() != "filled" {
        fail(row, format!("fill child failed ({status})"));
    }
    eprintln!("    child wrote {child_total} records, {status}");

    // 5 and 6. The open after SIGKILL and the idle store, in a fresh process.
    let expect = (total + child_total).to_string();
    let out = run_child(
        args,
        "--child-idle",
        &dir,
        layout,
        &["--expect".into(), expect],
    );
    let out = check(row, "open after SIGKILL", out);
    let [open, rss, fds, maps, threads, settled] = numbers(&out, "idle")[..] else {
        fail(row, "idle child: no figures");
    };
    row.killed_open = Some(nanos(open));
    row.idle = Some([rss, fds, maps, threads]);
    eprintln!(
        "    open after SIGKILL {:.0} ms; idle {settled} ms later: {:.1} MiB, {fds} fds, {maps} maps, {threads} threads",
        ms(nanos(open)),
        rss as f64 / 1024.0
    );
    let shards = f64::from(layout.shards());
    row.details.push(format!(
        "per shard: {:.1} KiB RSS, {:.2} fds, {:.2} maps, {:.2} threads",
        rss as f64 / shards,
        fds as f64 / shards,
        maps as f64 / shards,
        threads as f64 / shards,
    ));
    if let Some(names) = out.lines().find_map(|l| l.strip_prefix("threads ")) {
        row.details.push(format!(
            "threads by name: {}",
            names.split_whitespace().collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(disk) = out.lines().find_map(|l| l.strip_prefix("disk ")) {
        let mut words = disk.split_whitespace();
        let bytes: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let alloc: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let files: Vec<&str> = words.collect();
        let count: u64 = files
            .iter()
            .filter_map(|f| f.rsplit_once('=')?.1.parse::<u64>().ok())
            .sum();
        row.details.push(format!(
            "on disk while open: {count} files ({:.2} per shard: {}), {:.0} MiB apparent, \
             {:.0} MiB allocated ({:.2} MiB per shard)",
            count as f64 / shards,
            files.join(", "),
            bytes as f64 / MIB as f64,
            alloc as f64 / MIB as f64,
            alloc as f64 / MIB as f64 / shards,
        ));
    }
    emit(row);
    Ok(())
}

/// Runs one row in a child process, passing its stderr on. A row process that dies (an abort
/// in the engine, say) still leaves the row as far as it got, with the reason in its note.
fn measure(args: &Args, root: &Path, layout: Layout) -> Row {
    let mut row = Row {
        layout: Some(layout),
        ..Row::default()
    };
    let spawned = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .arg("--child-row")
            .arg(root)
            .args(args.child_flags(layout))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
    });
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            row.note = Some(format!("spawn row process: {e}"));
            return row;
        }
    };
    // Pass stderr on, keeping what says why a process died.
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut why = Vec::new();
            let mut after_panic = false;
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let t = line.trim_start();
                let frame = t.starts_with("at ")
                    || t.split_once(':')
                        .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
                if frame || line.starts_with("stack backtrace") {
                    continue; // backtrace frames
                }
                eprintln!("{line}");
                if (after_panic || line.starts_with("fatal runtime error"))
                    && !why.contains(&line)
                    && why.len() < 3
                {
                    why.push(line.clone());
                }
                after_panic = line.contains("panicked at");
                if after_panic && why.is_empty() {
                    let thread = line.split('\'').nth(1).unwrap_or("?").to_string();
                    why.push(format!("thread {thread} panicked:"));
                }
            }
            why
        })
    });
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(json) = line.strip_prefix("row ") {
                if let Ok(r) = serde_json::from_str::<Row>(json) {
                    row = r;
                }
            }
        }
    }
    let status = child.wait();
    let why = stderr
        .and_then(|h| h.join().ok())
        .unwrap_or_default()
        .join(" ");
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            let shard_dirs = std::fs::read_dir(store_dir(root, layout).join("streams"))
                .map(|streams| {
                    streams
                        .flatten()
                        .filter_map(|s| std::fs::read_dir(s.path()).ok())
                        .map(|shards| shards.count())
                        .sum::<usize>()
                })
                .unwrap_or(0);
            let died =
                format!("row process died ({s}) with {shard_dirs} shard directories made: {why}");
            row.note = Some(match row.note.take() {
                Some(n) => format!("{n}; {died}"),
                None => died,
            });
        }
        Err(e) => row.note = Some(format!("wait for row process: {e}")),
    }
    if let Some(note) = &mut row.note {
        *note = note.replace('|', "/").replace('\n', " ");
    }
    let _ = std::fs::remove_dir_all(store_dir(root, layout));
    row
}

fn fmt_rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.0}", r))
}

fn fmt_s(d: Option<Duration>) -> String {
    d.map_or_else(|| "—".into(), |d| format!("{:.2}", d.as_secs_f64()))
}

fn fmt_ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "—".into(), |d| format!("{:.0}", ms(d)))
}

fn print_table(rows: &[Row]) {
    println!(
        "| shards | streams × shards | records | create s | put rec/s | close s | clean open ms | open after SIGKILL ms | get rec/s | RSS MiB | fds | maps | threads | note |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let Some(layout) = r.layout else { continue };
        let idle = |i: usize| r.idle.map_or_else(|| "—".into(), |v| v[i].to_string());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            layout.shards(),
            layout.name(),
            r.records,
            fmt_s(r.create),
            fmt_rate(r.put),
            fmt_s(r.close),
            fmt_ms(r.clean_open),
            fmt_ms(r.killed_open),
            fmt_rate(r.get),
            r.idle
                .map_or_else(|| "—".into(), |v| format!("{:.1}", v[0] as f64 / 1024.0)),
            idle(1),
            idle(2),
            idle(3),
            r.note.as_deref().unwrap_or(""),
        );
    }
}

/// The goal lines under the table.
fn print_goals(rows: &[Row]) {
    let measured = |pred: &dyn Fn(Layout) -> bool| {
        rows.iter()
            .filter(|r| r.layout.is_some_and(pred))
            .collect::<Vec<_>>()
    };
    let Some(largest) = rows
        .iter()
        .filter_map(|r| r.layout)
        .map(Layout::shards)
        .max()
    else {
        return;
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let verdict = |x: Option<f64>| match x {
        Some(x) if x >= THROUGHPUT_GOAL => format!("{x:.2}× (met)"),
        Some(x) => format!("{x:.2}× (**MISSED**)"),
        None => "—".into(),
    };
    // Throughput of the largest size against 16 shards in the same layout shape, else against
    // the smallest measured size above 1.
    let reference = if REFERENCE_SHARDS >= largest {
        None
    } else if rows
        .iter()
        .any(|r| r.layout.is_some_and(|l| l.shards() == REFERENCE_SHARDS))
    {
        Some(REFERENCE_SHARDS)
    } else {
        rows.iter()
            .filter_map(|r| r.layout)
            .map(Layout::shards)
            .filter(|&n| n > 1 && n < largest)
            .min()
    };
    println!();
    match reference {
        Some(n) => {
            if n != REFERENCE_SHARDS {
                println!(
                    "- {REFERENCE_SHARDS} shards were not measured (add {REFERENCE_SHARDS} to --sizes); the comparison uses {n} shards instead."
                );
            }
            for big in measured(&|l| l.shards() == largest) {
                let Some(bl) = big.layout else { continue };
                let small = measured(&|l| l.shards() == n && (l.streams == 1) == (bl.streams == 1));
                let Some(small) = small.first() else { continue };
                println!(
                    "- Throughput, {} against {}: put {}, get {} (goal ≥ {THROUGHPUT_GOAL}× of {REFERENCE_SHARDS} shards).",
                    bl.name(),
                    small.layout.map(Layout::name).unwrap_or_default(),
                    verdict(ratio(big.put, small.put)),
                    verdict(ratio(big.get, small.get)),
                );
            }
        }
        None => println!("- Throughput: no smaller multi-shard size to compare with."),
    }
    for big in measured(&|l| l.shards() == largest) {
        let Some(bl) = big.layout else { continue };
        let judged = match big.clean_open {
            Some(d) if d <= OPEN_GOAL => "met",
            Some(_) => "**MISSED**",
            None => "—",
        };
        println!(
            "- Open after a clean close, {}: {} ms (goal ≤ {} ms for 10,000 shards: {judged}).",
            bl.name(),
            fmt_ms(big.clean_open),
            OPEN_GOAL.as_millis()
        );
    }
    // Growth of the idle costs: what each added shard costs between consecutive sizes of each
    // layout shape. Sublinear means the cost of an added shard falls as shards grow.
    for one_stream in [true, false] {
        let series: Vec<(u32, [i64; 4])> = rows
            .iter()
            .filter_map(|r| Some((r.layout?, r.idle?)))
            .filter(|(l, _)| (l.streams == 1) == one_stream)
            .map(|(l, v)| (l.shards(), v))
            .collect();
        if series.len() < 2 {
            continue;
        }
        let growth = |i: usize, unit: &str| {
            let steps: Vec<(String, f64)> = series
                .windows(2)
                .map(|w| {
                    let ((n0, v0), (n1, v1)) = (w[0], w[1]);
                    let per = (v1[i] - v0[i]) as f64 / f64::from(n1 - n0);
                    (format!("{n0}→{n1}: {per:.2}"), per)
                })
                .collect();
            let (first, last) = (steps[0].1, steps[steps.len() - 1].1);
            let verdict = if steps.len() < 2 {
                "one step: growth not judged"
            } else if last < 0.5 * first {
                "sublinear"
            } else {
                "**linear**"
            };
            let list: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
            format!("{unit} per added shard {} ({verdict})", list.join(", "))
        };
        println!(
            "- Idle cost, {}: {}; {}; {}; {}.",
            if one_stream {
                "one stream"
            } else {
                "streams of 4"
            },
            growth(3, "threads"),
            growth(0, "RSS KiB"),
            growth(1, "fds"),
            growth(2, "maps"),
        );
    }
    println!();
    for r in rows {
        let Some(l) = r.layout else { continue };
        for d in &r.details {
            println!("- {} shards, {}: {d}", l.shards(), l.name());
        }
    }
}

fn main() -> Res<()> {
    let args = Args::parse()?;
    match args.child.clone() {
        Some(ChildMode::Row { root, layout }) => return child_row(&args, &root, layout),
        Some(ChildMode::Fill {
            dir,
            layout,
            records,
        }) => return child_fill(&args, &dir, layout, records),
        Some(ChildMode::Read { dir, layout }) => return child_read(&args, &dir, layout),
        Some(ChildMode::Idle {
            dir,
            layout,
            expect,
        }) => return child_idle(&args, &dir, layout, expect),
        None => {}
    }
    // Every row writes as many records as the largest row must (two per shard, whole calls per
    // stream): rows that do the same work can be compared, and the page cache's writeback
    // throttling, which a bigger fill meets sooner, is not mistaken for a cost of shards.
    let mut args = args;
    args.records = args
        .sizes
        .iter()
        .flat_map(|&n| Layout::for_size(n))
        .map(|l| l.fill_per_stream(args.records) * l.streams as usize)
        .max()
        .unwrap_or(args.records);
    let work = shardlog_benches::WorkDir::new(args.dir.as_deref(), "scale-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let started = Instant::now();
    let mut rows = Vec::new();
    for &n in &args.sizes {
        for layout in Layout::for_size(n) {
            eprintln!(
                "{} shards as {} (load {}, {:.0} s in)",
                layout.shards(),
                layout.name(),
                loadavg(),
                started.elapsed().as_secs_f64()
            );
            rows.push(measure(&args, &root, layout));
        }
    }
    println!(
        "shardlog engine at scale — {} — {}",
        today(),
        machine(&root)
    );
    println!();
    println!(
        "Per row: a fresh store ({}, segment_bytes {} KiB, default open_segments and retention \
         thread). create s: Store::open + create_stream of every stream. put: put_records of \
         {BATCH} × {SIZE} B records with explicit hash keys, streams taking turns, every shard \
         written, {} records in all (every row as many as the largest needs: two per shard, whole \
         calls per stream). close s: \
         Store::close after the put. clean open: Store::open in a fresh process, which then times \
         get: get_records (limit {MAX_GET_RECORDS}) of every shard from TRIM_HORIZON, count \
         verified{}. Then a child process opens the store, writes a tenth as many records again \
         (two per shard at least), prints `filled` and is killed with SIGKILL; open after SIGKILL: \
         Store::open in a fresh process, which then verifies every acknowledged record. RSS, fds \
         (/proc/self/fd entries), maps (/proc/self/maps lines) and threads: that process with the \
         store open and idle (descriptors, maps and threads unchanged for 1 s) minus the same \
         process just before Store::open (the figures include rayon's global pool, started by the \
         open: one thread per core). Load average before/after: {load_before} / {}; {:.0} s in all.",
        if args.sync { "Durability::Sync" } else { "Durability::None" },
        args.segment_bytes / KIB,
        args.records,
        if args.cold {
            " (--cold: the page cache dropped after the open, so the get reads from the disk)"
        } else {
            ""
        },
        loadavg(),
        started.elapsed().as_secs_f64()
    );
    println!();
    print_table(&rows);
    print_goals(&rows);
    Ok(())
}
