//! `fsync-concurrency`: what concurrent `fdatasync`s cost each caller on this device.
//!
//! N threads (1, 4, 16) each overwrite a 4 KiB page and `fdatasync`, `--syncs` times, either all in
//! one file (each thread through its own descriptor, at its own pages) or each in a file of its
//! own. It prints the p50 and p99 latency of one write + sync and the syncs per second of all
//! threads together. The question it answers (issue 20): would commits that overlap, two or more
//! syncs in flight at once, bring a queue acknowledgement's latency towards one sync? Only if a
//! sync in company costs about what a sync alone does.
//!
//! ```text
//! cargo run --release -p shardlog-benches --bin fsync-concurrency -- [--syncs N (300)] [--dir PATH]
//! ```
//!
//! The directory must be on the disk under test (not tmpfs). See `docs/performance.md`, "Queues".

use shardlog_benches::percentile;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PAGE: usize = 4096;
/// Pages each file holds, written in full before the run so that every write is an overwrite.
const PAGES: usize = 4096;

fn main() -> Res<()> {
    let (syncs, dir) = parse_args()?;
    let work = shardlog_benches::WorkDir::new(dir.as_deref(), "fsync-concurrency")?;
    println!("| threads | files | p50 µs | p99 µs | syncs/s |");
    println!("|---:|---|---:|---:|---:|");
    for threads in [1usize, 4, 16] {
        for shared in [true, false] {
            let paths: Vec<PathBuf> = (0..if shared { 1 } else { threads })
                .map(|i| work.path().join(format!("f{i}.dat")))
                .collect();
            for p in &paths {
                fill(p)?;
            }
            let (mut lat, elapsed) = run(&paths, threads, syncs)?;
            lat.sort();
            println!(
                "| {threads} | {} | {} | {} | {:.0} |",
                if shared { "one, shared" } else { "one each" },
                percentile(&lat, 50.0).as_micros(),
                percentile(&lat, 99.0).as_micros(),
                lat.len() as f64 / elapsed.as_secs_f64()
            );
            for p in &paths {
                std::fs::remove_file(p)?;
            }
        }
    }
    Ok(())
}

fn parse_args() -> Res<(usize, Option<PathBuf>)> {
    let (mut syncs, mut dir) = (300usize, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--syncs" => syncs = args.next().ok_or("--syncs N")?.parse()?,
            "--dir" => dir = Some(PathBuf::from(args.next().ok_or("--dir PATH")?)),
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    Ok((syncs.max(1), dir))
}

/// Writes the whole file and syncs it, so the run's writes overwrite allocated blocks.
fn fill(path: &Path) -> Res<()> {
    let f = File::create(path)?;
    f.write_all_at(&vec![1u8; PAGE * PAGES], 0)?;
    f.sync_all()?;
    Ok(())
}

/// `threads` threads, thread `i` writing to `paths[i % paths.len()]` through a descriptor of its
/// own, at pages no other thread writes. Returns every latency and the wall time.
fn run(paths: &[PathBuf], threads: usize, syncs: usize) -> Res<(Vec<Duration>, Duration)> {
    let start = Instant::now();
    let lat = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let path = &paths[i % paths.len()];
                s.spawn(move || -> Res<Vec<Duration>> {
                    let f = OpenOptions::new().write(true).open(path)?;
                    let buf = vec![i as u8; PAGE];
                    let mut mine = Vec::with_capacity(syncs);
                    for j in 0..syncs {
                        let page = (i * syncs + j) % PAGES;
                        let t = Instant::now();
                        f.write_all_at(&buf, (page * PAGE) as u64)?;
                        f.sync_data()?;
                        mine.push(t.elapsed());
                    }
                    Ok(mine)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(threads * syncs);
        for h in handles {
            all.extend(h.join().map_err(|_| "a writer panicked")??);
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(all)
    })?;
    Ok((lat, start.elapsed()))
}
