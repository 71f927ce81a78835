//! The parent: starts children, kills them, collects their promises and has them verified.

use crate::verify::verify;
use crate::Rng;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// When the parent kills a child: most kills land in its work, a few in its recovery.
#[derive(Clone, Copy)]
enum Kill {
    /// A random moment up to this long after the child reported that it is ready.
    InWork(Duration),
    /// A random moment up to this long after the start: often inside recovery.
    InStartup(Duration),
    /// A crash point is armed: give it this long to abort the child, then kill it anyway.
    CrashPoint(Duration),
}

/// The longest a kill waits after the child is ready.
const WORK_WINDOW: Duration = Duration::from_millis(12);
/// The longest a kill-during-startup waits.
const STARTUP_WINDOW: Duration = Duration::from_millis(25);
/// With a crash point armed, how long the child may run before the parent kills it anyway.
const CRASH_POINT_WINDOW: Duration = Duration::from_millis(1000);
/// The data directory starts over every this many cycles, so stores stay small and opens cheap.
const RESET_EVERY: u64 = 20;

/// Everything the children promised since the last reset.
#[derive(Default)]
pub(crate) struct Promises {
    /// (stream, shard, counter) -> payload hash of every acknowledged record.
    pub records: HashMap<(String, u32, u64), u64>,
    /// (stream, shard, lease counter) -> the owner a committed lease change left.
    pub owners: HashMap<(String, u32, u64), String>,
    /// (stream, shard) -> highest committed lease counter.
    pub counters: HashMap<(String, u32), u64>,
    /// (stream, shard) -> highest committed checkpoint (a sequence number).
    pub checkpoints: HashMap<(String, u32), u128>,
}

fn num<T: std::str::FromStr>(s: &str, line: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("child printed a malformed line: {line:?}"))
}

impl Promises {
    /// Takes in one line the child printed; an `Err` is a broken promise seen already.
    fn take_in(&mut self, line: &str) -> Result<(), String> {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["A", stream, shard, counter, h] => {
                let key = (stream.to_string(), num(shard, line)?, num(counter, line)?);
                let h: u64 = num(h, line)?;
                if self.records.insert(key.clone(), h).is_some_and(|p| p != h) {
                    return Err(format!(
                        "sequence number {key:?} acknowledged twice for different records"
                    ));
                }
            }
            ["L" | "C", stream, shard, counter, owner, rest @ ..] => {
                let shard_key = (stream.to_string(), num(shard, line)?);
                let counter: u64 = num(counter, line)?;
                let key = (shard_key.0.clone(), shard_key.1, counter);
                if let Some(prev) = self.owners.insert(key.clone(), owner.to_string()) {
                    if prev != *owner {
                        return Err(format!(
                            "lease {key:?} committed for two owners: {prev} and {owner}"
                        ));
                    }
                }
                let top = self.counters.entry(shard_key.clone()).or_default();
                *top = (*top).max(counter);
                if let [seq] = rest {
                    let seq: u128 = num(seq, line)?;
                    let best = self.checkpoints.entry(shard_key.clone()).or_default();
                    if seq < *best {
                        return Err(format!(
                            "checkpoint of {shard_key:?} went back from {best} to {seq}"
                        ));
                    }
                    *best = seq;
                }
            }
            ["R"] => {}
            _ => return Err(format!("child printed a malformed line: {line:?}")),
        }
        Ok(())
    }
}

/// Figures of a run.
#[derive(Default)]
pub(crate) struct Stats {
    cycles: u64,
    records: u64,
    leases: u64,
    aborts: u64,
    child_time: Duration,
    verify_time: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cycles, {} acknowledged records and {} lease checks verified, {} crash-point aborts, \
             0 lost (children ran {:.1} s, verification {:.1} s)",
            self.cycles,
            self.records,
            self.leases,
            self.aborts,
            self.child_time.as_secs_f64(),
            self.verify_time.as_secs_f64()
        )
    }
}

/// Runs `cycles` kill-and-restart cycles on `dir`.
pub(crate) fn run(
    dir: &Path,
    cycles: u64,
    seed: u64,
    point: Option<&str>,
) -> Result<Stats, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut rng = Rng(seed);
    let mut promises = Promises::default();
    let mut stats = Stats::default();
    for cycle in 0..cycles {
        if cycle % RESET_EVERY == 0 {
            let _ = std::fs::remove_dir_all(dir);
            promises = Promises::default();
        }
        let child_seed = rng.next();
        let fail = |e: String| format!("cycle {cycle} (child seed {child_seed}): {e}");
        let started = Instant::now();
        // The n-th pass: half the time one of the first three (points on rare paths), else up to
        // the 96th (points passed in setup or recovery, so the store gets past them).
        let nth = (rng.below(3) + 1) << (rng.below(2) * rng.below(6));
        let crash_at = point.map(|p| format!("{p}:{nth}"));
        let fraction = rng.below(1 << 20) as f64 / f64::from(1 << 20);
        let kill = match crash_at {
            Some(_) => Kill::CrashPoint(CRASH_POINT_WINDOW),
            None if rng.below(4) == 0 => Kill::InStartup(STARTUP_WINDOW.mul_f64(fraction)),
            None => Kill::InWork(WORK_WINDOW.mul_f64(fraction)),
        };
        let (lines, aborted) = one_child(&exe, dir, child_seed, crash_at, kill).map_err(fail)?;
        stats.child_time += started.elapsed();
        stats.aborts += u64::from(aborted);
        for line in &lines {
            promises.take_in(line).map_err(fail)?;
        }
        let started = Instant::now();
        let (records, leases) = verify(dir, &promises).map_err(fail)?;
        stats.verify_time += started.elapsed();
        stats.records += records;
        stats.leases += leases;
        stats.cycles += 1;
    }
    Ok(stats)
}

/// Runs one child until the moment `kill` picks, or until it dies on its own (only a crash point's
/// abort may kill it); returns the lines it printed and whether a crash point aborted it.
fn one_child(
    exe: &Path,
    dir: &Path,
    seed: u64,
    crash_at: Option<String>,
    kill: Kill,
) -> Result<(Vec<String>, bool), String> {
    let mut cmd = Command::new(exe);
    cmd.args(["child", "--dir"])
        .arg(dir)
        .args(["--seed", &seed.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match &crash_at {
        Some(spec) => cmd.env("SHARDLOG_CRASH_AT", spec),
        None => cmd.env_remove("SHARDLOG_CRASH_AT"),
    };
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut deadline = match kill {
        Kill::InWork(_) => started + GIVE_UP,
        Kill::InStartup(d) | Kill::CrashPoint(d) => started + d,
    };
    let status = loop {
        while let Ok(line) = rx.try_recv() {
            if let (Kill::InWork(d), "R") = (kill, line.as_str()) {
                deadline = Instant::now() + d;
            }
            lines.push(line);
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            child.kill().map_err(|e| e.to_string())?;
            child.wait().map_err(|e| e.to_string())?;
            break None;
        }
        std::thread::sleep(Duration::from_micros(100));
    };
    // The pipe's end means every promise the child printed has been read.
    reader.join().map_err(|_| "reader panicked")?;
    lines.extend(rx.try_iter());
    let aborted = match status {
        None => false,
        Some(s) if crash_at.is_some() && s.signal() == Some(SIGABRT) => true,
        Some(s) => {
            let mut err = String::new();
            let _ = stderr.read_to_string(&mut err);
            return Err(format!("child died on its own ({s}): {}", err.trim()));
        }
    };
    Ok((lines, aborted))
}

/// A child that never reports ready is killed after this long (the next open must still work).
const GIVE_UP: Duration = Duration::from_secs(5);

/// SIGABRT, raised by `std::process::abort` at a crash point.
const SIGABRT: i32 = 6;
