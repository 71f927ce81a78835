//! `segment-compare`: one side-by-side markdown table of `shardlog-segment` against the raw floor
//! measured in the same run and (with `--features peers`) against `raft-engine` 0.4 and
//! `commitlog` 0.2 doing the same work.
//!
//! ```text
//! cargo run --release -p shardlog-benches --features peers --bin segment-compare -- \
//!     [--records N] [--seek-records N] [--seek-lookups N] [--repeats N] \
//!     [--segment-mib N] [--segment-sizes 16,64,256] [--dir PATH] [--no-seek] [--no-sweep] \\
//!     [--only ours,raw,raft,clog] [--sizes 1024,100] [--small-records N] [--no-unclean]
//! ```
//!
//! The unclean-reopen rows run a child process (this binary with the hidden `--child-append`
//! argument) that appends and is then killed with SIGKILL, so the log is never closed.
//!
//! Progress goes to stderr, the table to stdout. See `docs/performance.md` for what each row means.

use shardlog_benches::report::{fdatasync_floor, loadavg, machine, today};
use shardlog_benches::{
    batches, dir_bytes, encoded_bound, fresh_dir, median, ours, percentile, quiesce, random_seqs,
    raw, Payloads, Res, ScanTotals, KEY_LEN,
};
use shardlog_segment::Durability;
use std::hint::black_box;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
const GIB: f64 = (1u64 << 30) as f64;
const BATCH: usize = 500;

#[derive(Debug, Clone)]
struct Args {
    records: usize,
    seek_records: usize,
    seek_lookups: usize,
    repeats: usize,
    segment_bytes: u64,
    segment_sizes: Vec<u64>,
    dir: Option<PathBuf>,
    seek: bool,
    sweep: bool,
    /// Engines to measure in the append/read/seek suites (`ours`, `raw`, `raft`, `clog`).
    only: Vec<String>,
    /// Record sizes of the append/read suite.
    sizes: Vec<usize>,
    /// Records (1 KiB) of the small shard whose reopen is measured on its own.
    small_records: usize,
    /// Measure reopen after SIGKILL (a child process that never closes the log).
    unclean: bool,
}

impl Args {
    fn parse() -> Res<Args> {
        let mut a = Args {
            records: 1_000_000,
            seek_records: 10_000_000,
            seek_lookups: 100_000,
            repeats: 3,
            segment_bytes: 64 * MIB,
            segment_sizes: vec![16 * MIB, 64 * MIB, 256 * MIB],
            dir: None,
            seek: true,
            sweep: true,
            only: ["ours", "raw", "raft", "clog"].map(String::from).to_vec(),
            sizes: vec![1024, 100],
            small_records: 20_000,
            unclean: true,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--records" => a.records = value()?.replace('_', "").parse()?,
                "--seek-records" => a.seek_records = value()?.replace('_', "").parse()?,
                "--seek-lookups" => a.seek_lookups = value()?.replace('_', "").parse()?,
                "--repeats" => a.repeats = value()?.parse::<usize>()?.max(1),
                "--segment-mib" => a.segment_bytes = value()?.parse::<u64>()? * MIB,
                "--segment-sizes" => {
                    a.segment_sizes = value()?
                        .split(',')
                        .map(|s| s.trim().parse::<u64>().map(|m| m * MIB))
                        .collect::<Result<_, _>>()?;
                }
                "--dir" => a.dir = Some(PathBuf::from(value()?)),
                "--only" => a.only = value()?.split(',').map(|s| s.trim().to_string()).collect(),
                "--sizes" => {
                    a.sizes = value()?
                        .split(',')
                        .map(|s| s.trim().parse::<usize>())
                        .collect::<Result<_, _>>()?;
                }
                "--small-records" => a.small_records = value()?.replace('_', "").parse()?,
                "--no-unclean" => a.unclean = false,
                "--no-seek" => a.seek = false,
                "--no-sweep" => a.sweep = false,
                "-h" | "--help" => {
                    println!("{}", HELP);
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{HELP}").into()),
            }
        }
        if a.records < BATCH {
            return Err(format!("--records must be at least {BATCH}").into());
        }
        Ok(a)
    }

    fn wants(&self, engine: &str) -> bool {
        self.only.iter().any(|e| e == engine)
    }
}

const HELP: &str = "segment-compare [--records N (1000000)] [--seek-records N (10000000)] \
[--seek-lookups N (100000)] [--repeats N (3)] [--segment-mib N (64)] \
[--segment-sizes MiB,MiB,.. (16,64,256)] [--dir PATH (a tempdir under /tmp)] [--no-seek] [--no-sweep] \
[--only ours,raw,raft,clog (all)] [--sizes 1024,100 (both)] [--small-records N (20000)] [--no-unclean]";

/// A measured value, or why there is none.
#[derive(Debug, Clone, Copy)]
enum Val {
    Num(f64),
    Na(&'static str),
}

impl Val {
    fn num(self) -> Option<f64> {
        match self {
            Val::Num(v) => Some(v),
            Val::Na(_) => None,
        }
    }
}

#[cfg(feature = "peers")]
const NO_PEERS: &str = "n/a";
#[cfg(not(feature = "peers"))]
const NO_PEERS: &str = "n/a (no `peers` feature)";

/// How a row's numbers read.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Records per second of records with this many data bytes; higher is better.
    Rate(usize),
    /// Microseconds; lower is better.
    Micros,
    /// Milliseconds to reopen `gib` GiB of data; lower is better.
    Reopen(f64),
}

impl Kind {
    fn show(self, v: Val) -> String {
        match (self, v) {
            (_, Val::Na(why)) => why.to_string(),
            (Kind::Rate(size), Val::Num(r)) => {
                format!("{:.2} GB/s ({:.2} M rec/s)", r * size as f64 / 1e9, r / 1e6)
            }
            (Kind::Micros, Val::Num(us)) => format!("{us:.2} µs"),
            (Kind::Reopen(gib), Val::Num(ms)) => {
                format!("{ms:.1} ms ({:.1} ms/GiB)", ms / gib)
            }
        }
    }

    /// How many times better `ours` is than `other` (> 1: ours is faster).
    fn ratio(self, ours: Val, other: Val) -> Option<f64> {
        let (o, x) = (ours.num()?, other.num()?);
        match self {
            Kind::Rate(_) => Some(o / x),
            Kind::Micros | Kind::Reopen(_) => Some(x / o),
        }
    }
}

/// A goal: a minimum ratio against a column, or a maximum of our own value.
#[derive(Debug, Clone, Copy)]
enum Check {
    VsRaw(f64),
    VsRaft(f64),
    VsClog(f64),
    /// Our value (µs, or ms per GiB for reopen) at most this.
    AtMost(f64),
}

#[derive(Debug, Clone)]
struct Row {
    item: String,
    kind: Kind,
    ours: Val,
    raw: Val,
    raft: Val,
    clog: Val,
    goal: Vec<Check>,
}

impl Row {
    fn new(item: impl Into<String>, kind: Kind, ours: Val) -> Row {
        Row {
            item: item.into(),
            kind,
            ours,
            raw: Val::Na("—"),
            raft: Val::Na(NO_PEERS),
            clog: Val::Na(NO_PEERS),
            goal: Vec::new(),
        }
    }

    fn goal_text(&self) -> String {
        let parts: Vec<String> = self
            .goal
            .iter()
            .map(|c| match (c, self.kind) {
                (Check::VsRaw(m), _) => format!("≥ {m}× raw"),
                (Check::VsRaft(m), _) => format!("≥ {m}× raft-engine"),
                (Check::VsClog(m), _) => format!("≥ {m}× commitlog"),
                (Check::AtMost(m), Kind::Reopen(_)) => format!("≤ {m} ms/GiB"),
                (Check::AtMost(m), _) => format!("≤ {m} µs"),
            })
            .collect();
        parts.join(", ")
    }

    /// "met", "missed (...)" or "unknown" for the row's goal.
    fn verdict(&self) -> String {
        if self.goal.is_empty() {
            return String::new();
        }
        let mut missed = Vec::new();
        let mut unknown = false;
        for c in &self.goal {
            let ok = match *c {
                Check::VsRaw(m) => self.kind.ratio(self.ours, self.raw).map(|r| r >= m),
                Check::VsRaft(m) => self.kind.ratio(self.ours, self.raft).map(|r| r >= m),
                Check::VsClog(m) => self.kind.ratio(self.ours, self.clog).map(|r| r >= m),
                Check::AtMost(m) => self.ours.num().map(|v| match self.kind {
                    Kind::Reopen(gib) => v / gib <= m,
                    _ => v <= m,
                }),
            };
            match ok {
                Some(true) => {}
                Some(false) => missed.push(c),
                None => unknown = true,
            }
        }
        match (missed.is_empty(), unknown) {
            (true, false) => "met".into(),
            (true, true) => "met where measured".into(),
            (false, _) => {
                let what: Vec<&str> = missed
                    .iter()
                    .map(|c| match c {
                        Check::VsRaw(_) => "vs raw",
                        Check::VsRaft(_) => "vs raft-engine",
                        Check::VsClog(_) => "vs commitlog",
                        Check::AtMost(_) => "limit",
                    })
                    .collect();
                format!("**MISSED** ({})", what.join(", "))
            }
        }
    }
}

fn ratio_cell(kind: Kind, ours: Val, other: Val) -> String {
    kind.ratio(ours, other)
        .map_or_else(|| "—".into(), |r| format!("{r:.2}×"))
}

fn print_table(rows: &[Row]) {
    println!(
        "| Work item | shardlog-segment | raw floor | raft-engine 0.4 | commitlog 0.2 | vs raw | vs raft-engine | vs commitlog | Goal | Verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.item,
            r.kind.show(r.ours),
            r.kind.show(r.raw),
            r.kind.show(r.raft),
            r.kind.show(r.clog),
            ratio_cell(r.kind, r.ours, r.raw),
            ratio_cell(r.kind, r.ours, r.raft),
            ratio_cell(r.kind, r.ours, r.clog),
            r.goal_text(),
            r.verdict(),
        );
    }
}

/// Collects repeated measurements and reports the median.
#[derive(Debug, Default, Clone)]
struct Samples(Vec<f64>);

impl Samples {
    fn push(&mut self, v: f64) {
        self.0.push(v);
    }
    fn val(&self, none: &'static str) -> Val {
        if self.0.is_empty() {
            Val::Na(none)
        } else {
            Val::Num(median(&mut self.0.clone()))
        }
    }
}

fn rate(records: usize, d: Duration) -> f64 {
    records as f64 / d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn check_totals(who: &str, got: ScanTotals, records: usize, size: usize) -> Res<()> {
    let want = ScanTotals {
        records: records as u64,
        bytes: (records * size) as u64,
    };
    if got != want {
        return Err(format!("{who}: read back {got:?}, expected {want:?}").into());
    }
    Ok(())
}

/// Results of the append/read/reopen suite for one record size.
#[derive(Debug, Default)]
struct Suite {
    nosync: [Samples; 4],
    sync: [Samples; 4],
    read: [Samples; 4],
    reopen: [Samples; 4],
    /// Ours only: reopen after the appending process was killed with SIGKILL.
    unclean: Samples,
}

const OURS: usize = 0;
const RAW: usize = 1;
const RAFT: usize = 2;
const CLOG: usize = 3;

fn suite(args: &Args, root: &Path, size: usize) -> Res<Suite> {
    let n = args.records;
    let payloads = Payloads::new(size);
    let records = payloads.records(0, n);
    let bs = batches(&records, BATCH);
    #[cfg(feature = "peers")]
    let raft_batches: Vec<_> = if args.wants("raft") {
        bs.iter()
            .enumerate()
            .map(|(i, b)| shardlog_benches::peers::raft::entries(b, (i * BATCH) as u64))
            .collect()
    } else {
        Vec::new()
    };
    let mut s = Suite::default();
    for rep in 0..args.repeats {
        eprintln!("[{size} B] repeat {}/{}", rep + 1, args.repeats);
        // Raw floor, no sync, then the read of the same bytes.
        if args.wants("raw") {
            let dir = fresh_dir(root, "raw")?;
            let path = dir.join("raw.dat");
            let file = raw::create_preallocated(&path, encoded_bound(n, size))?;
            let (d, written) = raw::append(&file, &bs, false)?;
            s.nosync[RAW].push(rate(n, d));
            let (d, totals) = raw::scan(&path, written)?;
            check_totals("raw", totals, n, size)?;
            s.read[RAW].push(rate(n, d));
            drop(file);
            fresh_dir(root, "raw")?;
            let file = raw::create_preallocated(&path, encoded_bound(n, size))?;
            let (d, _) = raw::append(&file, &bs, true)?;
            s.sync[RAW].push(rate(n, d));
            drop(file);
            std::fs::remove_dir_all(&dir)?;
        }
        // Ours: no sync, reopen, read; then sync per batch.
        if args.wants("ours") {
            let dir = fresh_dir(root, "ours")?;
            let opts = ours::options(args.segment_bytes, Durability::None);
            let log = ours::open(&dir, &opts)?;
            let d = ours::append(&log, &bs)?;
            s.nosync[OURS].push(rate(n, d));
            log.close()?;
            quiesce();
            let start = Instant::now();
            let log = ours::open(&dir, &opts)?;
            s.reopen[OURS].push(ms(start.elapsed()));
            let (d, totals) = ours::scan_all(&log)?;
            check_totals("ours", totals, n, size)?;
            s.read[OURS].push(rate(n, d));
            log.close()?;
            let dir = fresh_dir(root, "ours")?;
            let opts = ours::options(args.segment_bytes, Durability::Sync);
            let log = ours::open(&dir, &opts)?;
            let d = ours::append(&log, &bs)?;
            s.sync[OURS].push(rate(n, d));
            log.close()?;
            std::fs::remove_dir_all(&dir)?;
            if args.unclean && size == 1024 {
                s.unclean.push(unclean_reopen(args, root, n, size)?);
            }
        }
        #[cfg(feature = "peers")]
        if args.wants("raft") {
            use shardlog_benches::peers::raft;
            let dir = fresh_dir(root, "raft")?;
            let engine = raft::open(&dir, args.segment_bytes)?;
            let d = raft::append(&engine, &raft_batches, false)?;
            s.nosync[RAFT].push(rate(n, d));
            drop(engine);
            quiesce();
            let start = Instant::now();
            let engine = raft::open(&dir, args.segment_bytes)?;
            s.reopen[RAFT].push(ms(start.elapsed()));
            let (d, totals) = raft::scan_all(&engine, 10_000)?;
            check_totals("raft-engine", totals, n, size)?;
            s.read[RAFT].push(rate(n, d));
            drop(engine);
            let dir = fresh_dir(root, "raft")?;
            let engine = raft::open(&dir, args.segment_bytes)?;
            let d = raft::append(&engine, &raft_batches, true)?;
            s.sync[RAFT].push(rate(n, d));
            drop(engine);
            std::fs::remove_dir_all(&dir)?;
        }
        #[cfg(feature = "peers")]
        if args.wants("clog") {
            use shardlog_benches::peers::clog;
            let dir = fresh_dir(root, "clog")?;
            let mut log = clog::open(&dir, args.segment_bytes)?;
            let d = clog::append(&mut log, &bs)?;
            s.nosync[CLOG].push(rate(n, d));
            drop(log);
            quiesce();
            let start = Instant::now();
            let log = clog::open(&dir, args.segment_bytes)?;
            s.reopen[CLOG].push(ms(start.elapsed()));
            let (d, totals) = clog::scan_all(&log, 1 << 20)?;
            check_totals("commitlog", totals, n, size)?;
            s.read[CLOG].push(rate(n, d));
            drop(log);
            std::fs::remove_dir_all(&dir)?;
        }
    }
    Ok(s)
}

/// Appends `n` records of `size` bytes (`Durability::None`, batches of [`BATCH`]) in a child
/// process, kills it with SIGKILL as soon as the last append has returned (no close, no sync; the
/// background sealer may still be working), then times `ShardLog::open`. Returns milliseconds.
/// Every record must survive (the page cache keeps what a killed process wrote).
fn unclean_reopen(args: &Args, root: &Path, n: usize, size: usize) -> Res<f64> {
    let dir = fresh_dir(root, "unclean")?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child-append")
        .arg(&dir)
        .args([
            n.to_string(),
            size.to_string(),
            (args.segment_bytes / MIB).to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("child has no stdout")?;
    BufReader::new(stdout).read_line(&mut line)?;
    // `Child::kill` sends SIGKILL.
    child.kill()?;
    child.wait()?;
    if line.trim() != "ready" {
        return Err(format!("child append failed (said {line:?})").into());
    }
    quiesce();
    let opts = ours::options(args.segment_bytes, Durability::None);
    let start = Instant::now();
    let log = ours::open(&dir, &opts)?;
    let took = ms(start.elapsed());
    let (_, totals) = ours::scan_all(&log)?;
    check_totals("ours (reopen after SIGKILL)", totals, n, size)?;
    log.close()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(took)
}

/// The child side of [`unclean_reopen`]: `--child-append DIR RECORDS SIZE SEGMENT_MIB`. Appends,
/// prints `ready` and waits to be killed; the log is never closed.
fn child_append(rest: &[String]) -> Res<()> {
    let [dir, n, size, seg_mib] = rest else {
        return Err("--child-append DIR RECORDS SIZE SEGMENT_MIB".into());
    };
    let (n, size): (usize, usize) = (n.parse()?, size.parse()?);
    let opts = ours::options(seg_mib.parse::<u64>()? * MIB, Durability::None);
    let payloads = Payloads::new(size);
    let log = ours::open(Path::new(dir), &opts)?;
    for from in (0..n).step_by(BATCH) {
        log.append_batch(&payloads.records(from, BATCH.min(n - from)))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    // Keep the log open (never dropped) until the parent kills this process.
    let _log = log;
    loop {
        std::thread::park();
    }
}

/// Reopen of a small shard (`args.small_records` × 1 KiB): after a clean close, and after SIGKILL.
fn small_reopen(args: &Args, root: &Path) -> Res<(Samples, Samples)> {
    let n = args.small_records;
    let payloads = Payloads::new(1024);
    let opts = ours::options(args.segment_bytes, Durability::None);
    let (mut clean, mut unclean) = (Samples::default(), Samples::default());
    for rep in 0..args.repeats {
        eprintln!("[small shard] repeat {}/{}", rep + 1, args.repeats);
        let dir = fresh_dir(root, "small")?;
        let log = ours::open(&dir, &opts)?;
        for from in (0..n).step_by(BATCH) {
            log.append_batch(&payloads.records(from, BATCH.min(n - from)))?;
        }
        log.close()?;
        quiesce();
        let start = Instant::now();
        let log = ours::open(&dir, &opts)?;
        clean.push(ms(start.elapsed()));
        log.close()?;
        std::fs::remove_dir_all(&dir)?;
        if args.unclean {
            unclean.push(unclean_reopen(args, root, n, 1024)?);
        }
    }
    Ok((clean, unclean))
}

/// Latencies of random single-record reads on a shard of `args.seek_records` 100-byte records:
/// right after reopening, then again after one full scan.
#[derive(Debug, Default)]
struct Seek {
    fresh: [Option<Vec<Duration>>; 4],
    warm: [Option<Vec<Duration>>; 4],
}

fn time_lookups(seqs: &[u64], mut f: impl FnMut(u64) -> Res<usize>) -> Res<Vec<Duration>> {
    let mut lat = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let start = Instant::now();
        let got = f(seq)?;
        lat.push(start.elapsed());
        black_box(got);
    }
    lat.sort_unstable();
    Ok(lat)
}

fn seek_suite(args: &Args, root: &Path) -> Res<Seek> {
    let size = 100;
    let n = args.seek_records;
    let payloads = Payloads::new(size);
    let seqs = random_seqs(n as u64, args.seek_lookups, 42);
    let mut out = Seek::default();
    if args.wants("ours") {
        eprintln!("[seek] ours: building {n} records");
        let dir = fresh_dir(root, "seek-ours")?;
        let opts = ours::options(args.segment_bytes, Durability::None);
        let log = ours::open(&dir, &opts)?;
        for from in (0..n).step_by(BATCH) {
            log.append_batch(&payloads.records(from, BATCH.min(n - from)))?;
        }
        log.close()?;
        quiesce();
        let log = ours::open(&dir, &opts)?;
        let lookup = |seq: u64| -> Res<usize> {
            let batch = log.read(seq, 1, 0)?;
            match batch.records.first() {
                Some(r) if r.seq == seq => Ok(r.data.len()),
                _ => Err(format!("ours: no record {seq}").into()),
            }
        };
        out.fresh[OURS] = Some(time_lookups(&seqs, lookup)?);
        let (_, totals) = ours::scan_all(&log)?;
        check_totals("ours (seek shard)", totals, n, size)?;
        out.warm[OURS] = Some(time_lookups(&seqs, lookup)?);
        log.close()?;
        std::fs::remove_dir_all(&dir)?;
    }
    #[cfg(feature = "peers")]
    if args.wants("raft") {
        use shardlog_benches::peers::raft;
        eprintln!("[seek] raft-engine: building {n} records");
        let dir = fresh_dir(root, "seek-raft")?;
        let engine = raft::open(&dir, args.segment_bytes)?;
        for from in (0..n).step_by(BATCH) {
            let recs = payloads.records(from, BATCH.min(n - from));
            raft::append(&engine, &[raft::entries(&recs, from as u64)], false)?;
        }
        drop(engine);
        quiesce();
        let engine = raft::open(&dir, args.segment_bytes)?;
        let mut vec = Vec::with_capacity(1);
        out.fresh[RAFT] = Some(time_lookups(&seqs, |seq| {
            raft::fetch_one(&engine, seq, &mut vec)
        })?);
        let (_, totals) = raft::scan_all(&engine, 10_000)?;
        check_totals("raft-engine (seek shard)", totals, n, size)?;
        out.warm[RAFT] = Some(time_lookups(&seqs, |seq| {
            raft::fetch_one(&engine, seq, &mut vec)
        })?);
        drop(engine);
        std::fs::remove_dir_all(&dir)?;
    }
    #[cfg(feature = "peers")]
    if args.wants("clog") {
        use shardlog_benches::peers::clog;
        eprintln!("[seek] commitlog: building {n} records");
        let dir = fresh_dir(root, "seek-clog")?;
        let mut log = clog::open(&dir, args.segment_bytes)?;
        for from in (0..n).step_by(BATCH) {
            let recs = payloads.records(from, BATCH.min(n - from));
            clog::append(&mut log, &[&recs])?;
        }
        drop(log);
        quiesce();
        let log = clog::open(&dir, args.segment_bytes)?;
        let msg = clog::HEADER + KEY_LEN + size;
        out.fresh[CLOG] = Some(time_lookups(&seqs, |seq| clog::fetch_one(&log, seq, msg))?);
        let (_, totals) = clog::scan_all(&log, 1 << 20)?;
        check_totals("commitlog (seek shard)", totals, n, size)?;
        out.warm[CLOG] = Some(time_lookups(&seqs, |seq| clog::fetch_one(&log, seq, msg))?);
        drop(log);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(out)
}

/// Our 1 KiB append (no sync, sync per batch) and reopen time with each segment size.
fn sweep(args: &Args, root: &Path) -> Res<Vec<(u64, Samples, Samples, Samples)>> {
    let n = args.records;
    let size = 1024;
    let payloads = Payloads::new(size);
    let records = payloads.records(0, n);
    let bs = batches(&records, BATCH);
    let mut out: Vec<_> = args
        .segment_sizes
        .iter()
        .map(|&s| {
            (
                s,
                Samples::default(),
                Samples::default(),
                Samples::default(),
            )
        })
        .collect();
    for rep in 0..args.repeats {
        for (seg, nosync, sync, reopen) in &mut out {
            eprintln!("[sweep] {} MiB segments, repeat {}", *seg / MIB, rep + 1);
            let dir = fresh_dir(root, "sweep")?;
            let opts = ours::options(*seg, Durability::None);
            let log = ours::open(&dir, &opts)?;
            nosync.push(rate(n, ours::append(&log, &bs)?));
            log.close()?;
            quiesce();
            let start = Instant::now();
            let log = ours::open(&dir, &opts)?;
            reopen.push(ms(start.elapsed()));
            log.close()?;
            let dir = fresh_dir(root, "sweep")?;
            let log = ours::open(&dir, &ours::options(*seg, Durability::Sync))?;
            sync.push(rate(n, ours::append(&log, &bs)?));
            log.close()?;
            std::fs::remove_dir_all(&dir)?;
        }
    }
    Ok(out)
}

fn fill(row: &mut Row, samples: &[Samples; 4], kind_missing: [&'static str; 4]) {
    row.ours = samples[OURS].val(kind_missing[OURS]);
    row.raw = samples[RAW].val(kind_missing[RAW]);
    row.raft = samples[RAFT].val(kind_missing[RAFT]);
    row.clog = samples[CLOG].val(kind_missing[CLOG]);
}

fn lat_val(v: &Option<Vec<Duration>>, p: f64) -> Val {
    match v {
        Some(lat) => Val::Num(percentile(lat, p).as_secs_f64() * 1e6),
        None => Val::Na(NO_PEERS),
    }
}

fn main() -> Res<()> {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--child-append") {
        return child_append(&argv[2..]);
    }
    let args = Args::parse()?;
    let work = shardlog_benches::WorkDir::new(args.dir.as_deref(), "segment-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let (sync_p50, sync_p99) = fdatasync_floor(&root)?;
    let mut rows = Vec::new();
    let mut reopen_rows = Vec::new();
    for size in args.sizes.clone() {
        let s = suite(&args, &root, size)?;
        let label = match size {
            1024 => "1 KiB".to_string(),
            _ => format!("{size} B"),
        };
        let missing = ["not run", "not run", NO_PEERS, NO_PEERS];
        let mut r = Row::new(
            format!("append {label}, no sync"),
            Kind::Rate(size),
            Val::Na(""),
        );
        fill(&mut r, &s.nosync, missing);
        if size == 1024 {
            r.goal = vec![Check::VsRaw(0.8), Check::VsClog(1.0)];
        }
        rows.push(r);
        let mut r = Row::new(
            format!("append {label}, fdatasync per batch"),
            Kind::Rate(size),
            Val::Na(""),
        );
        fill(&mut r, &s.sync, missing);
        #[cfg(feature = "peers")]
        {
            r.clog = Val::Na("n/a (never fsyncs)");
        }
        if size == 1024 {
            r.goal = vec![Check::VsRaw(0.85), Check::VsRaft(1.1)];
        }
        rows.push(r);
        let mut r = Row::new(
            format!("sequential read {label} + CRC"),
            Kind::Rate(size),
            Val::Na(""),
        );
        fill(&mut r, &s.read, missing);
        if size == 1024 {
            r.goal = vec![Check::VsRaw(0.8)];
        }
        rows.push(r);
        if size == 1024 {
            let gib = (args.records * size) as f64 / GIB;
            let mut r = Row::new(
                format!("reopen after clean close, {gib:.2} GiB of 1 KiB records"),
                Kind::Reopen(gib),
                Val::Na(""),
            );
            fill(&mut r, &s.reopen, ["failed", "—", NO_PEERS, NO_PEERS]);
            r.goal = vec![Check::AtMost(100.0)];
            reopen_rows.push(r);
            if args.unclean && args.wants("ours") {
                let mut r = Row::new(
                    format!("reopen after SIGKILL (no close), {gib:.2} GiB of 1 KiB records"),
                    Kind::Reopen(gib),
                    s.unclean.val("failed"),
                );
                r.raft = Val::Na("—");
                r.clog = Val::Na("—");
                r.goal = vec![Check::AtMost(100.0)];
                reopen_rows.push(r);
            }
        }
    }
    if args.seek {
        let s = seek_suite(&args, &root)?;
        let m = args.seek_records as f64 / 1e6;
        for (name, data) in [
            ("after a full scan", &s.warm),
            ("right after reopen", &s.fresh),
        ] {
            for p in [50.0, 99.0] {
                let mut r = Row::new(
                    format!("random read of 1 record, p{p}, {m} M × 100 B, {name}"),
                    Kind::Micros,
                    lat_val(&data[OURS], p),
                );
                r.raw = Val::Na("—");
                r.raft = lat_val(&data[RAFT], p);
                r.clog = lat_val(&data[CLOG], p);
                if p == 50.0 {
                    r.goal = vec![Check::AtMost(2.0)];
                }
                rows.push(r);
            }
        }
    }
    rows.append(&mut reopen_rows);
    if args.wants("ours") && args.small_records > 0 {
        let (clean, unclean) = small_reopen(&args, &root)?;
        let gib = (args.small_records * 1024) as f64 / GIB;
        let mb = (args.small_records * 1024) as f64 / 1e6;
        let mut kinds = vec![("clean close", clean)];
        if args.unclean {
            kinds.push(("SIGKILL (no close)", unclean));
        }
        for (how, samples) in kinds {
            let mut r = Row::new(
                format!("reopen after {how}, small shard: {mb:.0} MB of 1 KiB records"),
                Kind::Reopen(gib),
                samples.val("failed"),
            );
            r.raft = Val::Na("—");
            r.clog = Val::Na("—");
            r.goal = vec![Check::AtMost(100.0)];
            rows.push(r);
        }
    }
    if args.sweep && args.wants("ours") {
        let gib = (args.records * 1024) as f64 / GIB;
        for (seg, nosync, sync, reopen) in sweep(&args, &root)? {
            let mib = seg / MIB;
            let ours_only = |item: String, kind: Kind, v: Val| Row {
                raft: Val::Na("—"),
                clog: Val::Na("—"),
                ..Row::new(item, kind, v)
            };
            rows.push(ours_only(
                format!("segment_bytes = {mib} MiB: append 1 KiB, no sync"),
                Kind::Rate(1024),
                nosync.val("failed"),
            ));
            rows.push(ours_only(
                format!("segment_bytes = {mib} MiB: append 1 KiB, fdatasync per batch"),
                Kind::Rate(1024),
                sync.val("failed"),
            ));
            rows.push(ours_only(
                format!("segment_bytes = {mib} MiB: reopen {gib:.2} GiB"),
                Kind::Reopen(gib),
                reopen.val("failed"),
            ));
        }
    }
    println!(
        "shardlog-segment vs raw floor vs peers — {} — {}",
        today(),
        machine(&root)
    );
    println!();
    println!(
        "{} records per append/read run in batches of {BATCH}, {KEY_LEN}-byte keys, medians of {} runs; \
         segment_bytes {} MiB (peers: the same file size); same-run 4 KiB pwrite+fdatasync: p50 {:.1} µs, p99 {:.1} µs. \
         Load average before/after: {load_before} / {}. Ratios: > 1× means shardlog-segment is faster.",
        args.records,
        args.repeats,
        args.segment_bytes / MIB,
        sync_p50.as_secs_f64() * 1e6,
        sync_p99.as_secs_f64() * 1e6,
        loadavg(),
    );
    println!();
    print_table(&rows);
    if args.dir.is_some() {
        for name in [
            "raw", "ours", "raft", "clog", "sweep", "fsync", "unclean", "small",
        ] {
            let _ = std::fs::remove_dir_all(root.join(name));
        }
    }
    eprintln!("left in {}: {} bytes", root.display(), dir_bytes(&root));
    Ok(())
}
