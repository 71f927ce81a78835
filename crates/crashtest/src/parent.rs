//! The parent: starts children, kills them, collects their promises and has them verified.

use crate::child::Plan;
use crate::promises::{Promises, Tally};
use crate::verify::{verify, ChannelChecked};
use crate::Rng;
use std::collections::BTreeMap;
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
const RESET_EVERY: u64 = 10;

/// Figures of one durability mode.
#[derive(Default)]
pub(crate) struct ModeStats {
    cycles: u64,
    /// Records the children in this mode acknowledged.
    acked: u64,
    /// Acknowledged records found intact by the verifications after these cycles (each
    /// verification checks every acknowledged record since the last reset).
    verified: u64,
    /// Records read after restart that no child had acknowledged (killed before the
    /// acknowledgement), kept from then on.
    unacked_kept: u64,
    /// Segment files started, as the growth of each shard's highest segment id.
    segments_started: u64,
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
    modes: [ModeStats; 3],
    producers: u64,
    background_retention: u64,
    failed_entries: u64,
    reshards: u64,
    reshards_done: u64,
    reshard_errors: BTreeMap<String, u64>,
    passes: u64,
    passes_done: u64,
    pass_errors: BTreeMap<String, u64>,
    dropped: u64,
    merges: u64,
    shards_removed: u64,
    killed_in_reshard: u64,
    killed_in_pass: u64,
    /// Records read after a restart whose number was checked against every number handed out
    /// before (never reused, above every earlier one if new).
    numbers_checked: u64,
    queue_received: u64,
    queue_redelivered: u64,
    queue_acked: u64,
    queue_drained: u64,
    queue_ack_checks: u64,
    queue_time: Duration,
    queue_silent_acks: u64,
    /// Channel checks, by the channel's `FORMAT+COMPRESSION`.
    channel_kinds: BTreeMap<String, u64>,
    /// Records found exactly once, summed over the checks (each check reads every object since
    /// the reset), and the acknowledged ones among them.
    channel_records: u64,
    channel_acked: u64,
    /// Records found at the last check before each reset (and at the end): each counted once.
    channel_distinct: u64,
    channel_objects: u64,
    channel_time: Duration,
}

fn errors(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    let v: Vec<String> = m.iter().map(|(k, n)| format!("{n} {k}")).collect();
    v.join(", ")
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} cycles, {} acknowledged records and {} lease checks verified, {} crash-point aborts, \
             0 lost (children ran {:.1} s, verification {:.1} s)",
            self.cycles,
            self.records,
            self.leases,
            self.aborts,
            self.child_time.as_secs_f64(),
            self.verify_time.as_secs_f64()
        )?;
        for (name, m) in crate::child::MODES.iter().zip(&self.modes) {
            writeln!(
                f,
                "mode {name}: {} cycles, {} records acknowledged, {} acknowledged-record checks, \
                 {} unacknowledged records kept, {} segments started",
                m.cycles, m.acked, m.verified, m.unacked_kept, m.segments_started
            )?;
        }
        writeln!(
            f,
            "producers: {} threads over {} cycles, {} failed entries; background retention in {} cycles",
            self.producers, self.cycles, self.failed_entries, self.background_retention
        )?;
        writeln!(
            f,
            "reshards: {} started, {} done, errors: {}; {} kills during a reshard",
            self.reshards,
            self.reshards_done,
            errors(&self.reshard_errors),
            self.killed_in_reshard
        )?;
        writeln!(
            f,
            "retention passes: {} started, {} done ({} segments dropped, {} merges, {} shards removed), \
             errors: {}; {} kills during a pass",
            self.passes,
            self.passes_done,
            self.dropped,
            self.merges,
            self.shards_removed,
            errors(&self.pass_errors),
            self.killed_in_pass
        )?;
        writeln!(
            f,
            "sequence numbers: {} records read after restart checked, 0 reused, 0 out of order",
            self.numbers_checked
        )?;
        write!(
            f,
            "queue: {} deliveries ({} redeliveries), {} records acknowledged through the queue; after the kills {} \
             acknowledgement checks (0 delivered again) and {} unacknowledged records drained \
             (0 lost), {} acknowledgements whose line the kill cut off; queue checks {:.1} s of \
             the verification",
            self.queue_received,
            self.queue_redelivered,
            self.queue_acked,
            self.queue_ack_checks,
            self.queue_drained,
            self.queue_silent_acks,
            self.queue_time.as_secs_f64()
        )?;
        write!(
            f,
            "\nchannel: {} checks after the kills ({}), {} records ({} distinct, {} of the checks \
             of acknowledged records) found in {} objects, each exactly once: 0 duplicates, \
             0 missing, 0 never written; close and channel checks {:.1} s of the verification",
            self.channel_kinds.values().sum::<u64>(),
            errors(&self.channel_kinds),
            self.channel_records,
            self.channel_distinct,
            self.channel_acked,
            self.channel_objects,
            self.channel_time.as_secs_f64()
        )
    }
}

impl Stats {
    fn add_channel(&mut self, c: &ChannelChecked, last_before_reset: bool) {
        if let Some(kind) = &c.kind {
            *self.channel_kinds.entry(kind.clone()).or_default() += 1;
        }
        self.channel_records += c.records;
        self.channel_acked += c.acked;
        self.channel_objects += c.objects;
        self.channel_time += c.time;
        if last_before_reset {
            self.channel_distinct += c.records;
        }
    }

    fn add(&mut self, t: &Tally) {
        self.failed_entries += t.failed_entries;
        self.reshards += t.reshards;
        self.reshards_done += t.reshards_done;
        self.passes += t.passes;
        self.passes_done += t.passes_done;
        self.dropped += t.dropped;
        self.merges += t.merges;
        self.shards_removed += t.shards_removed;
        self.queue_received += t.queue_received;
        self.queue_redelivered += t.queue_redelivered;
        self.queue_acked += t.queue_acked;
        self.killed_in_reshard += u64::from(t.in_reshard);
        self.killed_in_pass += u64::from(t.in_pass);
        for (k, n) in &t.reshard_errors {
            *self.reshard_errors.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &t.pass_errors {
            *self.pass_errors.entry(k.clone()).or_default() += n;
        }
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
        let child_seed = rng.next_u64();
        let plan = Plan::of(child_seed);
        let fail = |e: String| {
            format!(
                "cycle {cycle} (child seed {child_seed}, {plan:?}, data directory reset at cycle {}): {e}",
                cycle - cycle % RESET_EVERY
            )
        };
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
        let mut tally = Tally::default();
        for line in &lines {
            promises.take_in(line, &mut tally).map_err(fail)?;
        }
        let started = Instant::now();
        // The queue every other cycle, always the last before a reset.
        let check_queue = cycle % 2 == 1 || cycle % RESET_EVERY == RESET_EVERY - 1;
        let v = verify(dir, &mut promises, &plan, check_queue).map_err(fail)?;
        stats.verify_time += started.elapsed();
        stats.records += v.records;
        stats.leases += v.leases;
        stats.numbers_checked += v.numbers;
        stats.queue_drained += v.queue_drained;
        stats.queue_ack_checks += v.queue_acked;
        stats.queue_time += v.queue_time;
        stats.queue_silent_acks += v.queue_silent_acks;
        let last_before_reset = cycle % RESET_EVERY == RESET_EVERY - 1 || cycle + 1 == cycles;
        stats.add_channel(&v.channel, last_before_reset);
        promises.queue_end_cycle();
        stats.cycles += 1;
        stats.producers += plan.producers;
        stats.background_retention += u64::from(plan.background_retention.is_some());
        stats.add(&tally);
        let m = &mut stats.modes[plan.mode()];
        m.cycles += 1;
        m.acked += tally.acked;
        m.verified += v.records;
        m.unacked_kept += v.unacked_kept;
        m.segments_started += v.segments_started;
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
