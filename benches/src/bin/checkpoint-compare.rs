//! `checkpoint-compare`: the durable commit of one lease update, side by side in one run.
//!
//! Rows (each sample is one commit that is durable when the call returns):
//! - **raw floor**: overwrite one 4 KiB page of a preallocated, fully written file, `fdatasync`;
//! - **ours checkpoint** / **ours renew**: `LeaseTable::checkpoint` / `renew` of one lease picked at
//!   random among `--leases` leases, each with a full checkpoint history (`history_len` 10), on
//!   `FsStorage`;
//! - **ours upsert**: `Db` insert of one lease record (key and value bytes exactly as the lease table
//!   stores them) + commit: the same work as the two peers below;
//! - **redb**: the same upsert in a write transaction with the default durability (`Immediate`),
//!   commit;
//! - **heed (LMDB)**: the same `put` + commit with the default (fully synced) environment flags.
//!
//! Samples of the rows are interleaved in small chunks, so that load from other processes falls on
//! all rows alike. Every repeat builds fresh files; the table reports the median of the repeats'
//! p50, p99, mean and max (the mean and max include our rare tree commits: the log was full).
//!
//! ```text
//! cargo run --release -p shardlog-benches --bin checkpoint-compare -- \
//!     [--leases N (1000)] [--samples N (1000)] [--repeats N (3)] [--dir PATH (a tempdir in the cwd)]
//!     [--allow-tmpfs]
//! ```
//!
//! The directory must be on a real disk (not tmpfs): `fdatasync` is free on tmpfs. Progress goes to
//! stderr, the table to stdout. See `docs/performance.md`, "Checkpoint file".

use heed::types::Bytes;
use redb::TableDefinition;
use shardlog::consumer::{Checkpoint, LeaseKey, LeaseOp, LeaseTable, NewLease};
use shardlog_benches::report::{loadavg, machine, today};
use shardlog_benches::{median, percentile, Res};
use shardlog_checkpoint::Db;
use shardlog_storage::FsStorage;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Samples of one row before the next row takes its turn.
const CHUNK: usize = 20;
/// Untimed commits per row before the first sample.
const WARMUP: usize = 50;
/// Pages of the raw floor's file.
const RAW_PAGES: u64 = 256;
/// Goal: our p50 at most this many times the raw floor's.
const GOAL_RATIO: f64 = 1.3;
const REDB_TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("leases");
const LEASE_PREFIX: &[u8] = b"lease\0L";
const HELP: &str = "checkpoint-compare [--leases N (1000)] [--samples N (1000)] [--repeats N (3)] \
[--dir PATH (a tempdir in the current directory)] [--allow-tmpfs (CPU cost only: fdatasync is free there)]";

struct Args {
    leases: usize,
    samples: usize,
    repeats: usize,
    dir: Option<PathBuf>,
    /// Run on tmpfs anyway: `fdatasync` is then free, so the rows show CPU and system-call cost.
    allow_tmpfs: bool,
}

impl Args {
    fn parse() -> Res<Args> {
        let mut a = Args {
            leases: 1000,
            samples: 1000,
            repeats: 3,
            dir: None,
            allow_tmpfs: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            if flag == "--help" || flag == "-h" {
                println!("{HELP}");
                std::process::exit(0);
            }
            if flag == "--allow-tmpfs" {
                a.allow_tmpfs = true;
                continue;
            }
            let value = it
                .next()
                .ok_or_else(|| format!("{flag} needs a value; {HELP}"))?;
            match flag.as_str() {
                "--leases" => a.leases = value.parse()?,
                "--samples" => a.samples = value.parse()?,
                "--repeats" => a.repeats = value.parse()?,
                "--dir" => a.dir = Some(PathBuf::from(value)),
                _ => return Err(format!("unknown flag {flag}; {HELP}").into()),
            }
        }
        if a.leases == 0 || a.samples == 0 || a.repeats == 0 {
            return Err("--leases, --samples and --repeats must be positive".into());
        }
        Ok(a)
    }
}

/// One row: a name and a function that makes one durable commit for sample `i`.
struct Row<'a> {
    name: &'static str,
    commit: Box<dyn FnMut(u64) -> Res<()> + 'a>,
    latencies: Vec<Duration>,
}

/// A small deterministic generator for picking leases.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

fn sequence(n: u64) -> Checkpoint {
    Checkpoint::sequence(
        &format!("4959033827149025660855969253836157109592157598{n:010}"),
        0,
    )
}

/// The lease table under test: `leases` leases held by one worker, each with a full history.
struct Ours {
    db: Arc<Db>,
    table: LeaseTable,
    keys: Vec<LeaseKey>,
    counters: Vec<u64>,
}

impl Ours {
    fn build(dir: &Path, leases: usize) -> Res<Ours> {
        let db = Arc::new(Db::open(Arc::new(FsStorage::open(dir)?), "leases.db")?);
        let table = LeaseTable::new(db.clone(), Default::default())?;
        let keys: Vec<LeaseKey> = (0..leases)
            .map(|i| LeaseKey::new("bench-app", "clickstream", &format!("shardId-{i:012}")))
            .collect();
        let mut counters = Vec::with_capacity(leases);
        for k in &keys {
            counters.push(table.create_if_absent(k, NewLease::default())?.counter);
        }
        let history = table.options().history_len;
        let mut ours = Ours {
            db,
            table,
            keys,
            counters,
        };
        ours.batch(|b, k, c| {
            b.push(k, c, LeaseOp::take("worker-1", 1_000));
        })?;
        for round in 0..history {
            ours.batch(|b, k, c| {
                b.push(k, c, LeaseOp::checkpoint(sequence(round)));
            })?;
        }
        Ok(ours)
    }

    /// Applies one change to every lease in one commit and records the new counters.
    fn batch(
        &mut self,
        mut op: impl FnMut(&mut shardlog::consumer::LeaseBatch<'_>, &LeaseKey, u64),
    ) -> Res<()> {
        let mut b = self.table.batch();
        for (k, &c) in self.keys.iter().zip(&self.counters) {
            op(&mut b, k, c);
        }
        for (slot, r) in self.counters.iter_mut().zip(b.commit()?) {
            *slot = r?.counter;
        }
        Ok(())
    }

    fn checkpoint(&mut self, i: usize, n: u64) -> Res<()> {
        let c = self.counters[i];
        self.counters[i] = self
            .table
            .change(&self.keys[i], c, LeaseOp::checkpoint(sequence(1_000 + n)))?
            .counter;
        Ok(())
    }

    fn renew(&mut self, i: usize, n: u64) -> Res<()> {
        let c = self.counters[i];
        self.counters[i] = self
            .table
            .change(&self.keys[i], c, LeaseOp::renew(2_000 + n))?
            .counter;
        Ok(())
    }
}

/// A lease record with its counter field (bytes 1..9) set to `n`, so each upsert writes new bytes.
fn bumped(record: &[u8], n: u64) -> Vec<u8> {
    let mut v = record.to_vec();
    if let Some(counter) = v.get_mut(1..9) {
        counter.copy_from_slice(&n.to_le_bytes());
    }
    v
}

fn raw_file(dir: &Path) -> Res<std::fs::File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(dir.join("raw"))?;
    // Written once in full, so the timed writes overwrite allocated, initialised blocks.
    file.write_all_at(&vec![0x5Au8; (RAW_PAGES * 4096) as usize], 0)?;
    file.sync_all()?;
    Ok(file)
}

/// One repeat's result per row: name, p50, p99, mean and max. The mean and the max show what the
/// percentiles hide: our rare tree commits (the log is full) against the common log appends.
type Run = Vec<(&'static str, Duration, Duration, Duration, Duration)>;

/// Runs one repeat in `root`.
fn repeat(root: &Path, args: &Args, seed: u64) -> Res<Run> {
    let dir = |name: &str| -> Res<PathBuf> {
        let d = root.join(name);
        std::fs::create_dir_all(&d)?;
        Ok(d)
    };
    eprintln!("  building {} leases with full histories ...", args.leases);
    let ours = std::cell::RefCell::new(Ours::build(&dir("ours")?, args.leases)?);
    let records: Vec<(Vec<u8>, Vec<u8>)> = {
        let o = ours.borrow();
        let snap = o.db.read()?;
        let end = {
            let mut e = LEASE_PREFIX.to_vec();
            e.push(0xFF);
            e
        };
        snap.range(LEASE_PREFIX..end.as_slice())
            .collect::<Result<_, _>>()?
    };
    // History entries follow each record under the record's key plus 9 bytes; all records of this
    // bench have keys of one length, the shortest.
    let shortest = records.iter().map(|(k, _)| k.len()).min().unwrap_or(0);
    let records: Vec<(Vec<u8>, Vec<u8>)> = records
        .into_iter()
        .filter(|(k, _)| k.len() == shortest)
        .collect();
    if records.len() != args.leases {
        return Err(format!("{} lease records, expected {}", records.len(), args.leases).into());
    }

    let upsert_db = Db::open(Arc::new(FsStorage::open(dir("upsert")?)?), "upsert.db")?;
    let mut tx = upsert_db.write()?;
    for (k, v) in &records {
        tx.insert(k, v)?;
    }
    tx.commit()?;

    let redb = redb::Database::create(dir("redb")?.join("leases.redb"))?;
    let tx = redb.begin_write()?;
    {
        let mut t = tx.open_table(REDB_TABLE)?;
        for (k, v) in &records {
            t.insert(k.as_slice(), v.as_slice())?;
        }
    }
    tx.commit()?;

    // SAFETY: the environment directory is new and private to this process, opened once, and not
    // touched by anything else while the memory map lives (LMDB's requirement for `open`).
    #[allow(unsafe_code)]
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .map_size(256 << 20)
            .max_dbs(1)
            .open(dir("heed")?)?
    };
    let heed_db = env
        .create_databases_and_commit(env.write_txn()?, |opener, wtxn| -> Res<_> {
            let db = opener.create_database::<Bytes, Bytes>(wtxn, Some("leases"))?;
            Ok(heed::CommitOrAbort::<_, ()>::Commit(db))
        })?
        .unwrap_commit();
    let mut wtxn = env.write_txn()?;
    for (k, v) in &records {
        heed_db.put(&mut wtxn, k, v)?;
    }
    wtxn.commit()?;

    let raw = raw_file(&dir("raw")?)?;
    let page = vec![0xA5u8; 4096];

    let picks = std::cell::RefCell::new(Pick(seed));
    let pick = || picks.borrow_mut().below(args.leases);
    let mut rows: Vec<Row<'_>> = vec![
        Row {
            name: "raw floor: 4 KiB overwrite + fdatasync",
            commit: Box::new(|i| {
                raw.write_all_at(&page, (i % RAW_PAGES) * 4096)?;
                raw.sync_data()?;
                Ok(())
            }),
            latencies: Vec::new(),
        },
        Row {
            name: "ours: LeaseTable::checkpoint",
            commit: Box::new(|i| ours.borrow_mut().checkpoint(pick(), i)),
            latencies: Vec::new(),
        },
        Row {
            name: "ours: LeaseTable::renew",
            commit: Box::new(|i| ours.borrow_mut().renew(pick(), i)),
            latencies: Vec::new(),
        },
        Row {
            name: "ours: Db upsert + commit",
            commit: Box::new(|i| {
                let (k, v) = &records[pick()];
                let mut tx = upsert_db.write()?;
                tx.insert(k, &bumped(v, i))?;
                tx.commit()?;
                Ok(())
            }),
            latencies: Vec::new(),
        },
        Row {
            name: "redb: upsert + commit (Immediate)",
            commit: Box::new(|i| {
                let (k, v) = &records[pick()];
                let tx = redb.begin_write()?;
                {
                    let mut t = tx.open_table(REDB_TABLE)?;
                    t.insert(k.as_slice(), bumped(v, i).as_slice())?;
                }
                tx.commit()?;
                Ok(())
            }),
            latencies: Vec::new(),
        },
        Row {
            name: "heed (LMDB): put + commit",
            commit: Box::new(|i| {
                let (k, v) = &records[pick()];
                let mut tx = env.write_txn()?;
                heed_db.put(&mut tx, k, &bumped(v, i))?;
                tx.commit()?;
                Ok(())
            }),
            latencies: Vec::new(),
        },
    ];

    for row in rows.iter_mut() {
        for i in 0..WARMUP as u64 {
            (row.commit)(1_000_000 + i)?;
        }
    }
    eprintln!("  sampling {} commits per row ...", args.samples);
    let mut done = 0;
    while done < args.samples {
        let n = CHUNK.min(args.samples - done);
        for row in rows.iter_mut() {
            for i in done..done + n {
                let start = Instant::now();
                (row.commit)(i as u64)?;
                row.latencies.push(start.elapsed());
            }
        }
        done += n;
    }
    let verified = ours.borrow().db.verify()?;
    eprintln!(
        "  ours: {} keys in {} tree pages (height {}), {} free pages after the run (verified)",
        verified.entries,
        verified.tree_pages,
        ours.borrow().db.info().height,
        verified.free_pages
    );
    Ok(rows
        .into_iter()
        .map(|mut r| {
            r.latencies.sort_unstable();
            let total: Duration = r.latencies.iter().sum();
            let mean = total / u32::try_from(r.latencies.len().max(1)).unwrap_or(u32::MAX);
            (
                r.name,
                percentile(&r.latencies, 50.0),
                percentile(&r.latencies, 99.0),
                mean,
                r.latencies.last().copied().unwrap_or_default(),
            )
        })
        .collect())
}

/// The file system type holding `dir`, as `df` reports it.
fn fs_type(dir: &Path) -> String {
    std::process::Command::new("df")
        .arg("--output=fstype,source")
        .arg(dir)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.lines()
                .nth(1)
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" on "))
        })
        .unwrap_or_else(|| "?".into())
}

fn us(d: f64) -> String {
    format!("{:.0}", d * 1e6)
}

fn main() -> Res<()> {
    let args = Args::parse()?;
    let tmp = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir_in(std::env::current_dir()?)?,
    };
    let fs = fs_type(tmp.path());
    if fs.starts_with("tmpfs") && !args.allow_tmpfs {
        return Err(format!(
            "{} is on tmpfs, where fdatasync is free: pass --dir on a disk",
            tmp.path().display()
        )
        .into());
    }
    let load_before = loadavg();
    eprintln!("checkpoint-compare in {} ({fs})", tmp.path().display());
    let mut runs = Vec::new();
    for r in 0..args.repeats {
        eprintln!("repeat {}/{}", r + 1, args.repeats);
        let root = tmp.path().join(format!("run{r}"));
        std::fs::create_dir_all(&root)?;
        runs.push(repeat(&root, &args, 0xC0FFEE + r as u64)?);
        std::fs::remove_dir_all(&root)?;
    }
    let names: Vec<&str> = runs[0].iter().map(|r| r.0).collect();
    let secs = |run: &Run, row: usize, p99: bool| {
        let (_, p50, p99v, _, _) = run[row];
        if p99 { p99v } else { p50 }.as_secs_f64()
    };
    let mean = |run: &Run, row: usize| run[row].3.as_secs_f64();
    let max = |run: &Run, row: usize| run[row].4.as_secs_f64();
    // Medians over the repeats: of each latency, and of each ratio taken within one repeat (both
    // sides of a ratio saw the same load).
    let med = |f: &dyn Fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        median(&mut v)
    };
    println!(
        "Durable commit of one lease update: {} leases, {} samples per row and repeat, median of {} \
         repeats; {}; {}; df: {fs}; load average {load_before} before, {} after.\n",
        args.leases,
        args.samples,
        args.repeats,
        today(),
        machine(tmp.path()),
        loadavg()
    );
    println!(
        "| commit | p50 µs | p99 µs | p50 / raw | p99 / raw | mean µs | max µs | p50 per repeat (µs) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for (i, name) in names.iter().enumerate() {
        let each: Vec<String> = runs.iter().map(|run| us(secs(run, i, false))).collect();
        println!(
            "| {name} | {} | {} | {:.2}× | {:.2}× | {} | {} | {} |",
            us(med(&|r| secs(r, i, false))),
            us(med(&|r| secs(r, i, true))),
            med(&|r| secs(r, i, false) / secs(r, 0, false)),
            med(&|r| secs(r, i, true) / secs(r, 0, true)),
            us(med(&|r| mean(r, i))),
            us(med(&|r| max(r, i))),
            each.join(", ")
        );
    }
    // Rows: 0 raw, 1 checkpoint, 2 renew, 3 upsert, 4 redb, 5 heed.
    for (row, what) in [(1, "checkpoint"), (2, "renew")] {
        let vs = |other: usize| med(&|r| secs(r, row, false) / secs(r, other, false));
        let (raw, redb, heed) = (vs(0), vs(4), vs(5));
        let met = raw <= GOAL_RATIO && redb < 1.0 && heed < 1.0;
        println!(
            "\nGoal for {what} (p50 ≤ {GOAL_RATIO}× raw, below redb and heed): {} ({raw:.2}× raw, \
             {redb:.2}× redb, {heed:.2}× heed; medians of per-repeat ratios).",
            if met { "met" } else { "missed" },
        );
    }
    Ok(())
}
