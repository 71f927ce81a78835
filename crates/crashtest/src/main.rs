//! The kill-and-restart harness.
//!
//! `shardlog-crashtest run --dir D --cycles N --seed S [--crash-point NAME]`: the parent. Each cycle
//! starts a child on the same data directory, lets it work for a random 0–20 ms (or until the named
//! crash point aborts it), SIGKILLs it, then opens the store itself and verifies: the store opens;
//! every record the child acknowledged is present and byte-identical; sequence numbers within each
//! shard are strictly increasing. The child reports an acknowledgement only after `put_records`
//! returned, so an ack the parent saw is a promise the store made. Seeded and replayable: the seed of
//! every cycle is derived from `--seed` and printed on failure.
//!
//! `shardlog-crashtest child --dir D --seed S`: the child. Opens the store, creates three streams if
//! missing, then loops over a random mix of `put_records`, splits, merges and retention passes,
//! printing `A <stream> <shard> <counter> <hash>` for each acknowledged record.

use shardlog::{PutEntry, StartingPosition, Store, StoreOptions};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const STREAMS: [&str; 3] = ["alpha", "beta", "gamma"];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// FNV-1a, enough to compare payloads without keeping them.
fn hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(arg(&args, "--dir").unwrap_or_else(|| "crashtest-data".into()));
    let seed: u64 = arg(&args, "--seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let result = match args.get(1).map(String::as_str) {
        Some("child") => child(&dir, seed),
        Some("run") => {
            let cycles = arg(&args, "--cycles").and_then(|s| s.parse().ok()).unwrap_or(100);
            let point = arg(&args, "--crash-point");
            run(&dir, cycles, seed, point.as_deref()).map(|stats| {
                println!(
                    "{} cycles, {} acknowledged records verified, {} crash-point aborts, 0 lost",
                    stats.cycles, stats.verified, stats.aborts
                );
            })
        }
        _ => Err("usage: shardlog-crashtest run|child --dir D [--seed S] [--cycles N] [--crash-point NAME]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Segments of 64 KiB, or 256 KiB in some children: those find the smaller segments of earlier
/// children "small" and merge them in their retention passes.
fn store_options(segment_kib: u64) -> StoreOptions {
    StoreOptions {
        segment_bytes: segment_kib * 1024,
        retention_interval: None,
        ..StoreOptions::default()
    }
}

/// The stream with a size cap: retention drops its oldest segments, so acknowledged records below
/// its trim horizon may legitimately be gone.
const CAPPED: &str = "gamma";

/// The child: works until killed.
fn child(dir: &Path, seed: u64) -> Result<(), String> {
    let segment_kib = if seed % 4 == 0 { 256 } else { 64 };
    let store = Store::open(dir, store_options(segment_kib)).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "R").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    for (i, name) in STREAMS.iter().enumerate() {
        if !store.list_streams().iter().any(|s| s == name) {
            store
                .create_stream(name, 2 + i as u32)
                .map_err(|e| e.to_string())?;
        }
    }
    store
        .set_size_cap(CAPPED, Some(1 << 20))
        .map_err(|e| e.to_string())?;
    let mut rng = Rng(seed);
    for round in 0u64.. {
        let stream = STREAMS[rng.below(3) as usize];
        match rng.below(100) {
            0..=1 => reshard(&store, stream, &mut rng),
            2..=4 => {
                let _ = store.enforce_retention();
            }
            _ => {
                let n = rng.below(40) + 1;
                let datas: Vec<Vec<u8>> = (0..n)
                    .map(|i| {
                        format!("{stream}:{seed}:{round}:{i}:")
                            .repeat(rng.below(30) as usize + 1)
                            .into_bytes()
                    })
                    .collect();
                let keys: Vec<String> = (0..n)
                    .map(|i| format!("user-{}", (round * 7 + i) % 97))
                    .collect();
                let entries: Vec<_> = keys
                    .iter()
                    .zip(&datas)
                    .map(|(k, d)| PutEntry::new(k, d))
                    .collect();
                let result = store
                    .put_records(stream, &entries)
                    .map_err(|e| e.to_string())?;
                for (r, d) in result.records.iter().zip(&datas) {
                    if let Ok(r) = r {
                        writeln!(
                            out,
                            "A {stream} {} {} {}",
                            r.shard_id.0,
                            r.sequence_number.counter(),
                            hash(d)
                        )
                        .map_err(|e| e.to_string())?;
                    }
                }
                out.flush().map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// A split of a random open shard at its midpoint, or a merge of two adjacent open shards.
fn reshard(store: &Store, stream: &str, rng: &mut Rng) {
    let Ok(d) = store.describe_stream(stream) else {
        return;
    };
    let mut open: Vec<_> = d
        .shards
        .iter()
        .filter(|s| s.ending_sequence_number.is_none())
        .collect();
    open.sort_by_key(|s| s.starting_hash_key);
    if open.len() < 6 && rng.below(2) == 0 {
        let s = open[rng.below(open.len() as u64) as usize];
        let mid = s.starting_hash_key + (s.ending_hash_key - s.starting_hash_key) / 2;
        let _ = store.split_shard(stream, s.shard_id, mid);
    } else if open.len() > 1 {
        let i = rng.below(open.len() as u64 - 1) as usize;
        let _ = store.merge_shards(stream, open[i].shard_id, open[i + 1].shard_id);
    }
}

#[derive(Default)]
struct Stats {
    cycles: u64,
    verified: u64,
    aborts: u64,
}

/// Acknowledged records: (stream, shard, counter) -> payload hash.
type Acked = HashMap<(String, u32, u64), u64>;

fn run(dir: &Path, cycles: u64, seed: u64, point: Option<&str>) -> Result<Stats, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut rng = Rng(seed);
    let mut acked = Acked::new();
    let mut stats = Stats::default();
    for cycle in 0..cycles {
        if cycle % 100 == 0 {
            // Start over now and then so verification stays cheap.
            let _ = std::fs::remove_dir_all(dir);
            acked.clear();
        }
        let child_seed = rng.next();
        let mut cmd = Command::new(&exe);
        cmd.args(["child", "--dir"])
            .arg(dir)
            .args(["--seed", &child_seed.to_string()]);
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        if let Some(p) = point {
            cmd.env("SHARDLOG_CRASH_AT", format!("{p}:{}", rng.below(40) + 1));
        }
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.push(line);
            }
            lines
        });
        let delay = Duration::from_micros(rng.below(20_000));
        let started = Instant::now();
        loop {
            if child.try_wait().map_err(|e| e.to_string())?.is_some() {
                stats.aborts += 1;
                break;
            }
            if started.elapsed()
                >= delay
                    + if point.is_some() {
                        Duration::from_millis(200)
                    } else {
                        Duration::ZERO
                    }
            {
                child.kill().map_err(|e| e.to_string())?;
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        child.wait().map_err(|e| e.to_string())?;
        // The pipe's end means every acknowledgement the child printed has been read.
        let lines = reader.join().map_err(|_| "reader panicked")?;
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            if let ["A", stream, shard, counter, h] = parts.as_slice() {
                let key = (
                    stream.to_string(),
                    shard.parse().unwrap_or(0),
                    counter.parse().unwrap_or(0),
                );
                let h: u64 = h.parse().unwrap_or(0);
                if let Some(prev) = acked.insert(key.clone(), h) {
                    if prev != h {
                        return Err(format!("cycle {cycle} (child seed {child_seed}): sequence number {key:?} acknowledged twice for different records"));
                    }
                }
            }
        }
        stats.verified += verify(dir, &acked)
            .map_err(|e| format!("cycle {cycle} (child seed {child_seed}): {e}"))?;
        stats.cycles += 1;
    }
    Ok(stats)
}

/// Opens the store and checks every acknowledged record; returns how many were checked.
fn verify(dir: &Path, acked: &Acked) -> Result<u64, String> {
    let store =
        Store::open(dir, store_options(64)).map_err(|e| format!("store failed to open: {e}"))?;
    let mut found: HashMap<(String, u32, u64), u64> = HashMap::new();
    // Per (stream, shard): the oldest counter still stored.
    let mut horizon: HashMap<(String, u32), u64> = HashMap::new();
    for stream in store.list_streams() {
        let d = store.describe_stream(&stream).map_err(|e| e.to_string())?;
        for shard in d.shards {
            let mut last = None;
            let mut it = store
                .get_shard_iterator(&stream, shard.shard_id, StartingPosition::TrimHorizon)
                .map_err(|e| e.to_string())?;
            loop {
                let got = store.get_records(&it, 10_000).map_err(|e| e.to_string())?;
                for r in &got.records {
                    let c = r.sequence_number.counter();
                    if last.is_some_and(|l| c <= l) {
                        return Err(format!(
                            "{stream} {}: sequence numbers not increasing at {c}",
                            shard.shard_id
                        ));
                    }
                    last = Some(c);
                    horizon
                        .entry((stream.clone(), shard.shard_id.0))
                        .or_insert(c);
                    found.insert((stream.clone(), shard.shard_id.0, c), hash(&r.data));
                }
                match got.next_shard_iterator {
                    Some(next) if !got.records.is_empty() => it = next,
                    _ => break,
                }
            }
        }
    }
    let mut checked = 0;
    for (key, h) in acked {
        let trimmed = key.0 == CAPPED
            && horizon
                .get(&(key.0.clone(), key.1))
                .is_none_or(|first| key.2 < *first);
        match found.get(key) {
            Some(got) if got == h => checked += 1,
            Some(_) => return Err(format!("acknowledged record {key:?} changed")),
            None if trimmed => {}
            None => {
                return Err(format!(
                    "acknowledged record {key:?} lost ({} found in total)",
                    found.len()
                ))
            }
        }
    }
    store.close().map_err(|e| e.to_string())?;
    Ok(checked)
}
