//! `engine-compare`: one side-by-side markdown table of the `shardlog` engine (`Store`) against the
//! raw floor measured in the same run: `put_records` throughput on 1, 4 and 16 shards with
//! `Durability::Sync` and `Durability::None`, `get_records` throughput, and push-subscription
//! delivery latency. The put floor of N shards is the same requests spread over N files, one writer
//! thread each, every request ending when all of them are done (`raw::append_spread`); the get
//! floor of N shards maps and checksums those N files one after the other.
//!
//! ```text
//! cargo run --release -p shardlog-benches --bin engine-compare -- \
//!     [--records N] [--repeats N] [--shards 1,4,16] [--latency-puts N] [--gap-us N] \
//!     [--segment-mib N] [--dir PATH] [--no-latency]
//! ```
//!
//! Progress goes to stderr, the table to stdout. See `docs/performance.md` for what each row means.

use shardlog::MAX_PUT_RECORDS;
use shardlog_benches::engine::{self, GET_LIMIT};
use shardlog_benches::report::{fdatasync_floor, loadavg, machine, today};
use shardlog_benches::{
    batches, dir_bytes, encoded_bound, fresh_dir, median, percentile, quiesce, raw, Payloads, Res,
    ScanTotals,
};
use shardlog_segment::Durability;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MIB: u64 = 1 << 20;
/// Records per `put_records` call (the Kinesis maximum).
const BATCH: usize = MAX_PUT_RECORDS;
/// Data bytes per record.
const SIZE: usize = 1024;
/// Goal for the p50 of push-subscription delivery, in µs.
const LATENCY_GOAL_US: f64 = 50.0;

#[derive(Debug, Clone)]
struct Args {
    records: usize,
    repeats: usize,
    shards: Vec<u32>,
    latency_puts: usize,
    gap: Duration,
    segment_bytes: u64,
    dir: Option<PathBuf>,
    latency: bool,
}

const HELP: &str = "engine-compare [--records N (1000000)] [--repeats N (3)] [--shards 1,4,16] \
[--latency-puts N (10000)] [--gap-us N (200)] [--segment-mib N (64)] [--dir PATH (a tempdir under /tmp)] \
[--no-latency]";

impl Args {
    fn parse() -> Res<Args> {
        let mut a = Args {
            records: 1_000_000,
            repeats: 3,
            shards: vec![1, 4, 16],
            latency_puts: 10_000,
            gap: Duration::from_micros(200),
            segment_bytes: 64 * MIB,
            dir: None,
            latency: true,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--records" => a.records = value()?.replace('_', "").parse()?,
                "--repeats" => a.repeats = value()?.parse::<usize>()?.max(1),
                "--shards" => {
                    a.shards = value()?
                        .split(',')
                        .map(|s| s.trim().parse::<u32>())
                        .collect::<Result<_, _>>()?;
                }
                "--latency-puts" => a.latency_puts = value()?.replace('_', "").parse()?,
                "--gap-us" => a.gap = Duration::from_micros(value()?.parse()?),
                "--segment-mib" => a.segment_bytes = value()?.parse::<u64>()? * MIB,
                "--dir" => a.dir = Some(PathBuf::from(value()?)),
                "--no-latency" => a.latency = false,
                "-h" | "--help" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}\n{HELP}").into()),
            }
        }
        if a.records < BATCH || a.shards.contains(&0) {
            return Err(
                format!("--records must be at least {BATCH}, shard counts at least 1").into(),
            );
        }
        Ok(a)
    }
}

/// Repeated measurements; the table shows the median.
#[derive(Debug, Default, Clone)]
struct Samples(Vec<f64>);

impl Samples {
    fn push(&mut self, v: f64) {
        self.0.push(v);
    }
    fn median(&self) -> Option<f64> {
        (!self.0.is_empty()).then(|| median(&mut self.0.clone()))
    }
}

fn rate(records: u64, d: Duration) -> f64 {
    records as f64 / d.as_secs_f64()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn check(who: &str, got: ScanTotals, records: usize) -> Res<()> {
    let want = ScanTotals {
        records: records as u64,
        bytes: (records * SIZE) as u64,
    };
    if got != want {
        return Err(format!("{who}: read back {got:?}, expected {want:?}").into());
    }
    Ok(())
}

/// Everything measured, per repeat.
#[derive(Debug, Default)]
struct Results {
    /// Per shard count: the same requests spread over that many files (`raw::append_spread`).
    raw_put_sync: Vec<Samples>,
    raw_put_none: Vec<Samples>,
    /// Per shard count: the files `raw_put_none` wrote, mapped and scanned one after the other.
    raw_read: Vec<Samples>,
    /// Per shard count (same order as `Args::shards`): put and read rates for Sync and None.
    put_sync: Vec<Samples>,
    put_none: Vec<Samples>,
    read_sync: Vec<Samples>,
    read_none: Vec<Samples>,
    /// p50 and p99 (µs) per repeat: store Sync, store None, raw + fdatasync, raw.
    lat: [[Samples; 2]; 4],
}

const LAT_SYNC: usize = 0;
const LAT_NONE: usize = 1;
const LAT_RAW_SYNC: usize = 2;
const LAT_RAW_NONE: usize = 3;

fn measure_raw(args: &Args, root: &Path, records: &[(&[u8], &[u8])], r: &mut Results) -> Res<()> {
    let n = records.len();
    let bs = batches(records, BATCH);
    for (i, &shards) in args.shards.iter().enumerate() {
        for sync in [false, true] {
            let dir = fresh_dir(root, "raw")?;
            // Keys are 16 bytes here (the segment suite's are 8): bound with room to spare.
            let per_file = encoded_bound(n.div_ceil(shards as usize) + BATCH, SIZE + 16);
            let paths: Vec<_> = (0..shards)
                .map(|f| dir.join(format!("raw-{f}.dat")))
                .collect();
            let files = paths
                .iter()
                .map(|p| raw::create_preallocated(p, per_file))
                .collect::<Res<Vec<_>>>()?;
            let d = raw::append_spread(&files, &bs, sync)?;
            let slot = if sync {
                &mut r.raw_put_sync
            } else {
                &mut r.raw_put_none
            };
            slot[i].push(rate(n as u64, d));
            drop(files);
            if !sync {
                // The read floor of N shards reads what N shards hold: N files whose frames carry
                // each request's records for that file (about 500 / N per frame), as the store's
                // shards do, scanned one after the other as `read_all` reads the shards.
                let (mut d, mut totals) = (Duration::ZERO, ScanTotals::default());
                for path in &paths {
                    let (t, part) = raw::scan(path, per_file)?;
                    d += t;
                    totals.records += part.records;
                    totals.bytes += part.bytes;
                }
                check("raw", totals, n)?;
                r.raw_read[i].push(rate(n as u64, d));
            }
            std::fs::remove_dir_all(&dir)?;
        }
    }
    Ok(())
}

fn measure_store(
    args: &Args,
    root: &Path,
    keys: &[String],
    payloads: &Payloads,
    r: &mut Results,
) -> Res<()> {
    let n = keys.len();
    let requests = engine::requests(keys, payloads, BATCH);
    for (i, &shards) in args.shards.iter().enumerate() {
        for durability in [Durability::None, Durability::Sync] {
            let dir = fresh_dir(root, "store")?;
            let store = engine::create(&dir, durability, args.segment_bytes, shards)?;
            let d = engine::put_all(&store, &requests)?;
            let put = rate(n as u64, d);
            let (d, totals) = engine::read_all(&store, shards, GET_LIMIT)?;
            check(&format!("store ({shards} shards)"), totals, n)?;
            let read = rate(n as u64, d);
            store.close()?;
            std::fs::remove_dir_all(&dir)?;
            eprintln!(
                "  {shards:>2} shards {durability:?}: put {:.2} GB/s, get {:.2} GB/s",
                put * SIZE as f64 / 1e9,
                read * SIZE as f64 / 1e9
            );
            if durability == Durability::Sync {
                r.put_sync[i].push(put);
                r.read_sync[i].push(read);
            } else {
                r.put_none[i].push(put);
                r.read_none[i].push(read);
            }
        }
    }
    Ok(())
}

fn measure_latency(args: &Args, root: &Path, payloads: &Payloads, r: &mut Results) -> Res<()> {
    let keys = engine::partition_keys(args.latency_puts, 0x1a7e);
    let push = |slot: &mut [Samples; 2], lat: &[Duration]| {
        slot[0].push(micros(percentile(lat, 50.0)));
        slot[1].push(micros(percentile(lat, 99.0)));
    };
    for (slot, durability) in [(LAT_NONE, Durability::None), (LAT_SYNC, Durability::Sync)] {
        let dir = fresh_dir(root, "store")?;
        let store = engine::create(&dir, durability, args.segment_bytes, 1)?;
        let lat = engine::subscription_latency(&store, &keys, payloads, args.gap)?;
        push(&mut r.lat[slot], &lat);
        store.close()?;
        std::fs::remove_dir_all(&dir)?;
    }
    for (slot, sync) in [(LAT_RAW_NONE, false), (LAT_RAW_SYNC, true)] {
        let dir = fresh_dir(root, "raw")?;
        let len = (args.latency_puts * SIZE) as u64;
        let file = raw::create_preallocated(&dir.join("raw.dat"), len)?;
        let data = payloads.record(0).1;
        let lat = engine::handoff_latency(&file, data, sync, args.latency_puts, args.gap)?;
        push(&mut r.lat[slot], &lat);
        drop(file);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn gbs(rate: Option<f64>) -> String {
    rate.map_or_else(
        || "—".into(),
        |r| format!("{:.2} GB/s ({:.2} M rec/s)", r * SIZE as f64 / 1e9, r / 1e6),
    )
}

fn us(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1} µs"))
}

/// `ours / floor` for rates, `floor / ours` for latencies: > 1× means the store is faster.
fn ratio(ours: Option<f64>, floor: Option<f64>, lower_is_better: bool) -> String {
    match (ours, floor) {
        (Some(o), Some(f)) if o > 0.0 && f > 0.0 => {
            let r = if lower_is_better { f / o } else { o / f };
            format!("{r:.2}×")
        }
        _ => "—".into(),
    }
}

fn print_table(args: &Args, r: &Results) {
    println!(
        "| Work item | shardlog, `Sync` | raw floor, fdatasync per batch | `Sync` vs raw | shardlog, `None` | raw floor, no sync | `None` vs raw | Goal | Verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (i, shards) in args.shards.iter().enumerate() {
        let (s, n) = (r.put_sync[i].median(), r.put_none[i].median());
        let (raw_sync, raw_none) = (r.raw_put_sync[i].median(), r.raw_put_none[i].median());
        println!(
            "| put_records 500 × 1 KiB, {shards} shard{}; raw: {shards} file{}, one thread each | {} | {} | {} | {} | {} | {} |  |  |",
            if *shards == 1 { "" } else { "s" },
            if *shards == 1 { "" } else { "s" },
            gbs(s),
            gbs(raw_sync),
            ratio(s, raw_sync, false),
            gbs(n),
            gbs(raw_none),
            ratio(n, raw_none, false),
        );
    }
    for (i, shards) in args.shards.iter().enumerate() {
        let (s, n) = (r.read_sync[i].median(), r.read_none[i].median());
        let raw_read = r.raw_read[i].median();
        println!(
            "| get_records (limit 10,000) of everything, {shards} shard{}; raw: mmap + CRC of {shards} file{} | {} | {} | {} | {} | {} | {} |  |  |",
            if *shards == 1 { "" } else { "s" },
            if *shards == 1 { "" } else { "s" },
            gbs(s),
            gbs(raw_read),
            ratio(s, raw_read, false),
            gbs(n),
            gbs(raw_read),
            ratio(n, raw_read, false),
        );
    }
    if !args.latency {
        return;
    }
    for (p, name) in [(0, "p50"), (1, "p99")] {
        let v = |slot: usize| r.lat[slot][p].median();
        let (s, rs, n, rn) = (v(LAT_SYNC), v(LAT_RAW_SYNC), v(LAT_NONE), v(LAT_RAW_NONE));
        let (goal, verdict) = if p == 0 {
            let judge = |x: Option<f64>| match x {
                Some(x) if x <= LATENCY_GOAL_US => "met",
                Some(_) => "**MISSED**",
                None => "—",
            };
            (
                format!("≤ {LATENCY_GOAL_US} µs"),
                format!("`Sync`: {}; `None`: {}", judge(s), judge(n)),
            )
        } else {
            (String::new(), String::new())
        };
        println!(
            "| push delivery {name}, put_record → next_event, 1 × 1 KiB; raw: pwrite → condvar wake | {} | {} | {} | {} | {} | {} | {goal} | {verdict} |",
            us(s),
            us(rs),
            ratio(s, rs, true),
            us(n),
            us(rn),
            ratio(n, rn, true),
        );
    }
}

fn main() -> Res<()> {
    let args = Args::parse()?;
    let work = shardlog_benches::WorkDir::new(args.dir.as_deref(), "engine-compare")?;
    let root = work.path().to_path_buf();
    let load_before = loadavg();
    let (sync_p50, sync_p99) = fdatasync_floor(&root)?;
    let payloads = Payloads::new(SIZE);
    let keys = engine::partition_keys(args.records, 0x5eed);
    let records = engine::records(&keys, &payloads);
    let mut r = Results {
        raw_put_sync: vec![Samples::default(); args.shards.len()],
        raw_put_none: vec![Samples::default(); args.shards.len()],
        raw_read: vec![Samples::default(); args.shards.len()],
        put_sync: vec![Samples::default(); args.shards.len()],
        put_none: vec![Samples::default(); args.shards.len()],
        read_sync: vec![Samples::default(); args.shards.len()],
        read_none: vec![Samples::default(); args.shards.len()],
        ..Results::default()
    };
    for rep in 0..args.repeats {
        eprintln!("repeat {}/{} (load {})", rep + 1, args.repeats, loadavg());
        measure_raw(&args, &root, &records, &mut r)?;
        measure_store(&args, &root, &keys, &payloads, &mut r)?;
        if args.latency {
            measure_latency(&args, &root, &payloads, &mut r)?;
        }
        quiesce();
    }
    println!(
        "shardlog engine vs raw floor — {} — {}",
        today(),
        machine(&root)
    );
    println!();
    println!(
        "{} records of {SIZE} B with distinct 16-byte partition keys, put_records of {BATCH}, medians of {} runs; \
         segment_bytes {} MiB; {} single-record puts per latency run, {} µs apart; \
         same-run 4 KiB pwrite+fdatasync: p50 {:.1} µs, p99 {:.1} µs. Load average before/after: {load_before} / {}. \
         Ratios: > 1× means shardlog is faster than the floor.",
        args.records,
        args.repeats,
        args.segment_bytes / MIB,
        args.latency_puts,
        args.gap.as_micros(),
        micros(sync_p50),
        micros(sync_p99),
        loadavg(),
    );
    println!();
    print_table(&args, &r);
    if args.dir.is_some() {
        for name in ["raw", "store", "fsync"] {
            let _ = std::fs::remove_dir_all(root.join(name));
        }
    }
    eprintln!("left in {}: {} bytes", root.display(), dir_bytes(&root));
    Ok(())
}
