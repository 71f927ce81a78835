//! The kill-and-restart harness.
//!
//! `shardlog-crashtest run --dir D --cycles N --seed S [--crash-point NAME]`: the parent
//! ([`parent`]). Each cycle starts a child on the same data directory, lets it work for a random
//! moment (or until the named crash point aborts it), SIGKILLs it, then opens the store (in the
//! child's durability mode) and the lease table itself and checks every promise the child was given
//! (see [`verify`]). Seeded and replayable: the seed of every child is derived from `--seed` and
//! printed on failure; the child's seed also picks its [`child::Plan`] (durability mode, segment
//! size, number of producers, background retention).
//!
//! `shardlog-crashtest child --dir D --seed S`: the child ([`child`]). Opens the store and the lease
//! table `D/leases.db`, then runs at once 2–4 producer threads (`put_records` with partition keys of
//! their own, and consumer checkpoints by two simulated workers), a thread that splits and merges
//! shards, and a thread that runs retention passes (with, in half the children, the store's own
//! background retention thread too). Every child also works a queue ([`QUEUE`] on the on-demand
//! stream [`QUEUE_STREAM`], created by the first child: from the trim horizon, a 1 s visibility
//! timeout, no dead letters): a producer puts small batches to the stream, and 1–2 consumer
//! threads receive up to 10 records, acknowledge most, give some back (visibility 0) and abandon
//! a few. Each thread prints one line per promise only after the call
//! that made it returned, and a marker line before and after each reshard and retention pass:
//!
//! - `A <stream> <shard> <counter> <hash>`: a record acknowledged by `put_records`;
//! - `F <stream> <count>`: entries of a `put_records` call that failed (nothing promised);
//! - `L <stream> <shard> <lease counter> <owner>`: a lease taken or stolen (committed);
//! - `C <stream> <shard> <lease counter> <owner> <sequence number>`: a checkpoint committed;
//! - `S+ <split|merge> <stream>` then `S- ok` or `S- err <kind>`: a reshard;
//! - `T+` then `T- <segments dropped> <merges> <shards removed>` or `T- err <kind>`: a retention
//!   pass;
//! - `D <shard> <counter> <receive count> <hash>`: a record of the queue delivered by a receive
//!   that returned (no promise, but each (record, receive count) is delivered once, counts rise
//!   across restarts, and none comes after the record's acknowledgement);
//! - `Q <shard> <counter> <receive count>`: a record of the queue acknowledged
//!   (`acknowledge_queue_records` returned it as successful): never to be delivered again.
//!
//! In half the data directories (the seed of the child that makes the queue's stream decides)
//! every child also runs a channel ([`CHANNEL`] on [`CHANNEL_STREAM`], the queue's stream, with a
//! record format and compression that seed picks) with a data freshness of 5–20 ms and a delivery
//! pass every 1–4 ms, so kills land in deliveries; the queue's producer shapes its records for
//! the channel's format.
//!
//! After every other kill (and the last before each reset) the verifier also checks the queue, on a throw-away copy of the data directory
//! opened with the clock an hour ahead (every visibility timeout over), by draining it: no `Q`
//! record comes back, every record the queue's stream holds is either acknowledged or drained
//! (a record delivered to a child since the last check may be found acknowledged without its `Q`
//! line: the kill fell between the commit and the line; it is a promise from then on).
//!
//! And the channel, after every kill: the verifier delivers what is left, then it reads every
//! object in the bucket (decompressing them itself): each record the channel's stream holds
//! (every acknowledged one among them) is in exactly one object, inside the object's sequence
//! range, and no object holds anything else; no temporary file is left.

mod child;
mod parent;
mod promises;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

/// The streams the child writes to; `gamma` has a size cap, so retention trims it.
pub(crate) const STREAMS: [&str; 3] = ["alpha", "beta", "gamma"];
/// The stream with a size cap: acknowledged records below its trim horizon may legitimately go.
pub(crate) const CAPPED: &str = "gamma";
/// The on-demand stream the child's queue delivers (queues exist only on on-demand streams).
pub(crate) const QUEUE_STREAM: &str = "delta";
/// The queue on [`QUEUE_STREAM`] the child's consumers share.
pub(crate) const QUEUE: &str = "crashq";
/// The stream the child's channel delivers: the queue's, so that the channel costs no shards of
/// its own (every shard makes each open and close slower, and the harness runs thousands), and one
/// stream feeds a queue and a channel at once as it may on AWS.
pub(crate) const CHANNEL_STREAM: &str = QUEUE_STREAM;
/// The channel on [`CHANNEL_STREAM`], created by the first child after a reset.
pub(crate) const CHANNEL: &str = "crashch";
/// The channel's bucket: its objects are under `channels/<bucket>/` in the data directory.
pub(crate) const CHANNEL_BUCKET: &str = "crashlake";
/// The consumer application whose leases the child's workers share.
pub(crate) const APP: &str = "crashtest";
/// The lease table's file in the data directory.
pub(crate) const LEASES: &str = "leases.db";

/// The project's one seedable generator (SplitMix64), under the name the harness uses.
pub(crate) use shardlog_storage::SplitMix64 as Rng;

/// FNV-1a, enough to compare payloads without keeping them.
pub(crate) fn hash(data: &[u8]) -> u64 {
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
        Some("child") => child::run(&dir, seed),
        Some("run") => {
            let cycles = arg(&args, "--cycles")
                .and_then(|s| s.parse().ok())
                .unwrap_or(100);
            let point = arg(&args, "--crash-point");
            parent::run(&dir, cycles, seed, point.as_deref()).map(|stats| println!("{stats}"))
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
