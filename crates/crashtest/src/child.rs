//! The child: works on the store from several threads at once until it is killed, printing each
//! promise after it was made and a marker around each reshard and retention pass.

use crate::{
    hash, Rng, APP, CAPPED, CHANNEL, CHANNEL_BUCKET, CHANNEL_STREAM, QUEUE, QUEUE_STREAM, STREAMS,
};
use shardlog::consumer::RecordSource;
use shardlog::consumer::{Checkpoint, Lease, LeaseKey, LeaseOp, LeaseTable, NewLease};
use shardlog::{
    ChannelDescription, Compression, CreateChannel, CreateQueue, CreateStream,
    DeadLetterConfiguration, Durability, PutEntry, QueueAttributes, QueueStartingPosition,
    RecordFormat, SequenceNumber, ShardId, Store, StoreOptions, StreamMode,
};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// The two simulated consumer workers (every producer thread acts as one of them at a time).
pub(crate) const WORKERS: [&str; 2] = ["worker-1", "worker-2"];

/// The size cap of [`CAPPED`]: small, so that retention passes drop segments often.
const CAP_BYTES: u64 = 96 * 1024;

/// The visibility timeout of the child's queue, in seconds of the real clock: the shortest there
/// is but 0, so that a record abandoned or in flight at a kill is delivered again a few cycles
/// later (cycles last 50–200 ms).
const QUEUE_VISIBILITY_S: u32 = 1;

/// The durability modes, in the order the figures are printed.
pub(crate) const MODES: [&str; 3] = ["Sync", "Interval", "None"];

/// What one child does, picked by its seed (the parent derives the same plan from the same seed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// The durability mode of the store, for the child and for the verification after it.
    pub durability: Durability,
    /// Segments of 16 KiB (many rolls, hence seals and spares, drops and merges in a short life), or
    /// 64 KiB in half the children: those find the smaller segments of earlier children
    /// "small" and merge them in their retention passes.
    pub segment_kib: u64,
    /// Producer threads, 2–4.
    pub producers: u64,
    /// The store's own background retention pass, every few milliseconds, in half the children.
    pub background_retention: Option<Duration>,
    /// Consumer threads of the queue, 1–2.
    pub queue_consumers: u64,
    /// The channel's data freshness (overriding its 300 s), 5–20 ms: batches are cut often.
    pub channel_freshness: Duration,
    /// Time between the delivery thread's passes, 1–4 ms.
    pub channel_interval: Duration,
}

impl Plan {
    pub fn of(seed: u64) -> Plan {
        let mut rng = Rng::fork(seed, 0x91a7);
        let durability = match rng.below(3) {
            0 => Durability::Sync,
            1 => Durability::Interval(Duration::from_millis(1 + rng.below(8))),
            _ => Durability::None,
        };
        Plan {
            durability,
            segment_kib: if rng.below(2) == 0 { 64 } else { 16 },
            producers: 2 + rng.below(3),
            background_retention: (rng.below(2) == 0)
                .then(|| Duration::from_millis(2 + rng.below(4))),
            // Drawn last, so the fields above are what they were before queues came in.
            queue_consumers: 1 + rng.below(2),
            // Drawn after the queue's, for the same reason.
            channel_freshness: Duration::from_millis(5 + rng.below(16)),
            channel_interval: Duration::from_millis(1 + rng.below(4)),
        }
    }

    /// Index of the durability mode in [`MODES`].
    pub fn mode(&self) -> usize {
        match self.durability {
            Durability::Sync => 0,
            Durability::Interval(_) => 1,
            Durability::None => 2,
        }
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            durability: self.durability,
            segment_bytes: self.segment_kib * 1024,
            retention_interval: self.background_retention,
            channel_interval: Some(self.channel_interval),
            channel_freshness: Some(self.channel_freshness),
            ..StoreOptions::default()
        }
    }
}

/// The lease of a stream's shard.
pub(crate) fn lease_key(stream: &str, shard: u32) -> LeaseKey {
    LeaseKey::new(APP, stream, &ShardId(shard).to_string())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Prints lines (each ending in a newline) in one write, so that threads never interleave inside
/// a line; returns once they are in the pipe.
fn say(lines: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(lines.as_bytes()).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

/// Ends the whole child if a thread fails: the parent reports a child that died on its own.
fn or_exit(result: Result<(), String>) {
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// What the threads share.
struct Shared {
    store: Store,
    leases: LeaseTable,
    seed: u64,
    eager: bool,
    /// The ARN of [`QUEUE`].
    queue: String,
    /// The record format of [`CHANNEL`], if the data directory has it: the shape of the records
    /// put to [`CHANNEL_STREAM`].
    channel_format: Option<RecordFormat>,
}

/// Creates the queue's stream and the queue unless an earlier child did: an on-demand stream of two
/// shards, and a queue from its oldest record with a short visibility timeout and no dead letters
/// (a record is delivered until it is acknowledged). Returns the queue's ARN.
fn ensure_queue(store: &Store) -> Result<String, String> {
    if !store.list_streams().iter().any(|s| s == QUEUE_STREAM) {
        let req = CreateStream {
            shard_count: 2,
            mode: StreamMode::OnDemand,
            ..Default::default()
        };
        store
            .create_stream_with(QUEUE_STREAM, req)
            .map_err(|e| e.to_string())?;
    }
    let queues = store
        .list_queues(Some(QUEUE_STREAM))
        .map_err(|e| e.to_string())?;
    if let Some(q) = queues.iter().find(|q| q.queue_name == QUEUE) {
        return Ok(q.queue_arn.clone());
    }
    let attributes = QueueAttributes {
        visibility_timeout_seconds: Some(QUEUE_VISIBILITY_S),
        dead_letter_configuration: Some(DeadLetterConfiguration::none()),
    };
    let req = CreateQueue::new(QUEUE, QUEUE_STREAM)
        .starting_at(QueueStartingPosition::TrimHorizon)
        .with_attributes(attributes);
    let q = store.create_queue(req).map_err(|e| e.to_string())?;
    Ok(q.queue_arn)
}

/// The channel's record format, if the data directory has the channel. Only the child that made
/// the channel's stream (`fresh`: [`ensure_queue`] just made it) creates the channel, so nothing
/// is put to the stream before the channel exists and the channel must deliver every record the
/// stream holds. It does so in half the data directories, as its seed says (a channel makes every
/// open and close of the store slower, and the harness runs in CI); the record format and
/// compression come from its seed too.
fn ensure_channel(store: &Store, seed: u64, fresh: bool) -> Result<Option<RecordFormat>, String> {
    if let Some(c) = channel_of(store)? {
        return Ok(Some(c.record_format));
    }
    let mut rng = Rng::fork(seed, 0xc4a);
    if !fresh || rng.below(2) == 0 {
        return Ok(None);
    }
    let bucket = format!("arn:aws:s3:::{CHANNEL_BUCKET}");
    let mut req = CreateChannel::new(CHANNEL, CHANNEL_STREAM, &bucket);
    req.record_format = match rng.below(3) {
        0 => RecordFormat::Json,
        1 => RecordFormat::String,
        _ => RecordFormat::ByteArray,
    };
    req.destination.compression = match rng.below(3) {
        0 => Compression::None,
        1 => Compression::Gzip,
        _ => Compression::Zstd,
    };
    let c = store.create_channel(req).map_err(|e| e.to_string())?;
    Ok(Some(c.record_format))
}

/// [`CHANNEL`] in `store`, if it was created.
pub(crate) fn channel_of(store: &Store) -> Result<Option<ChannelDescription>, String> {
    if !store.list_streams().iter().any(|s| s == CHANNEL_STREAM) {
        return Ok(None);
    }
    let channels = store
        .list_channels(Some(CHANNEL_STREAM))
        .map_err(|e| e.to_string())?;
    Ok(channels.into_iter().find(|c| c.channel_name == CHANNEL))
}

/// The record put to the channel's stream for `text` (which holds no line break or quote): a
/// JSON string for `JSON` (which is UTF-8 for `STRING` too), the text and a line break for
/// `BYTE_ARRAY` (written back to back), the text without a channel. In every format an object is
/// then lines, one per record, and [`channel_record`] gives back the record of a line.
pub(crate) fn channel_payload(format: Option<RecordFormat>, text: &str) -> Vec<u8> {
    match format {
        None => text.as_bytes().to_vec(),
        Some(RecordFormat::ByteArray) => format!("{text}\n").into_bytes(),
        Some(_) => format!("\"{text}\"").into_bytes(),
    }
}

/// The record of one line of an object (without its line break) in `format`.
pub(crate) fn channel_record(format: RecordFormat, line: &[u8]) -> Vec<u8> {
    let mut record = line.to_vec();
    if format == RecordFormat::ByteArray {
        record.push(b'\n');
    }
    record
}

/// The ARN of [`QUEUE`] in `store`, if it was created.
pub(crate) fn queue_arn(store: &Store) -> Result<Option<String>, String> {
    if !store.list_streams().iter().any(|s| s == QUEUE_STREAM) {
        return Ok(None);
    }
    let queues = store
        .list_queues(Some(QUEUE_STREAM))
        .map_err(|e| e.to_string())?;
    Ok(queues
        .into_iter()
        .find(|q| q.queue_name == QUEUE)
        .map(|q| q.queue_arn))
}

/// Opens the store and the lease table in `dir` and works until killed.
pub(crate) fn run(dir: &Path, seed: u64) -> Result<(), String> {
    let plan = Plan::of(seed);
    let store = Store::open(dir, plan.store_options()).map_err(|e| e.to_string())?;
    // The lease table lives in the store's checkpoint file (`LEASES`), which the queue's delivery
    // state shares: one handle on it per process.
    let leases = store
        .lease_table(Default::default())
        .map_err(|e| e.to_string())?;
    for (i, name) in STREAMS.iter().enumerate() {
        if !store.list_streams().iter().any(|s| s == name) {
            store
                .create_stream(name, 1 + (i as u32).min(1))
                .map_err(|e| e.to_string())?;
        }
    }
    store
        .set_size_cap(CAPPED, Some(CAP_BYTES))
        .map_err(|e| e.to_string())?;
    let fresh = !store.list_streams().iter().any(|s| s == CHANNEL_STREAM);
    let queue = ensure_queue(&store)?;
    let channel_format = ensure_channel(&store, seed, fresh)?;
    let shared = Shared {
        store,
        leases,
        seed,
        eager: plan.durability != Durability::Sync,
        queue,
        channel_format,
    };
    say("R\n")?;
    std::thread::scope(|s| {
        for p in 0..plan.producers {
            let shared = &shared;
            s.spawn(move || or_exit(Producer::new(shared, p).run()));
        }
        let shared = &shared;
        s.spawn(move || or_exit(Producer::new(shared, plan.producers).run_queue()));
        for c in 0..plan.queue_consumers {
            s.spawn(move || or_exit(consumer(shared, c)));
        }
        s.spawn(move || or_exit(resharder(shared)));
        s.spawn(move || or_exit(retainer(shared)));
    });
    Ok(())
}

/// Splits and merges shards of random streams, a few milliseconds apart at first, then less and
/// less often (the k-th after about k³ milliseconds): a short-lived child reshards two or three
/// times, and one that lives a second (waiting for a crash point) does not fill the store with
/// hundreds of closed shards.
fn resharder(shared: &Shared) -> Result<(), String> {
    let mut rng = Rng::fork(shared.seed, 0x5e5);
    for k in 1u64.. {
        std::thread::sleep(Duration::from_micros(rng.below(4000 * k * k)));
        let stream = STREAMS[rng.below(3) as usize];
        let Ok(d) = shared.store.describe_stream(stream) else {
            continue;
        };
        let mut open: Vec<_> = d
            .shards
            .iter()
            .filter(|s| s.ending_sequence_number.is_none())
            .collect();
        open.sort_by_key(|s| s.starting_hash_key);
        let result = if open.len() < 3 && rng.below(2) == 0 {
            let s = open[rng.below(open.len() as u64) as usize];
            let mid = s.starting_hash_key + (s.ending_hash_key - s.starting_hash_key) / 2;
            say(&format!("S+ split {stream}\n"))?;
            shared.store.split_shard(stream, s.shard_id, mid).map(drop)
        } else if open.len() > 1 {
            let i = rng.below(open.len() as u64 - 1) as usize;
            say(&format!("S+ merge {stream}\n"))?;
            let (a, b) = (open[i].shard_id, open[i + 1].shard_id);
            shared.store.merge_shards(stream, a, b).map(drop)
        } else {
            continue;
        };
        match result {
            Ok(()) => say("S- ok\n")?,
            Err(e) => say(&format!("S- err {}\n", e.kind()))?,
        }
    }
    Ok(())
}

/// Runs retention passes a few milliseconds apart (the size cap of [`CAPPED`] makes them drop
/// segments; small segments left by earlier children make them merge).
fn retainer(shared: &Shared) -> Result<(), String> {
    let mut rng = Rng::fork(shared.seed, 0x7e7);
    loop {
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        say("T+\n")?;
        match shared.store.enforce_retention() {
            Ok(r) => say(&format!(
                "T- {} {} {}\n",
                r.segments_dropped, r.merges, r.shards_removed
            ))?,
            Err(e) => say(&format!("T- err {}\n", e.kind()))?,
        }
    }
}

/// One consumer of the queue: receives up to 10 records, prints a `D` line for each, then
/// acknowledges most of them and prints a `Q` line for each acknowledgement that succeeded (a
/// promise: the record is never delivered again). Now and then it gives a record back at once
/// (visibility 0) or abandons it (delivered again after the visibility timeout, in a later child).
fn consumer(shared: &Shared, id: u64) -> Result<(), String> {
    let mut rng = Rng::fork(shared.seed, 0xc0 + id);
    let (store, queue) = (&shared.store, shared.queue.as_str());
    loop {
        std::thread::sleep(Duration::from_micros(rng.below(1500)));
        let limit = 5 + rng.below(6) as usize;
        let got = store
            .try_receive_queue_records(queue, limit, None)
            .map_err(|e| format!("receive: {e}"))?;
        if got.is_empty() {
            continue;
        }
        let mut lines = String::new();
        for r in &got {
            let seq = r.record.sequence_number;
            lines += &format!(
                "D {} {} {} {}\n",
                seq.shard_index(),
                seq.counter(),
                r.receive_count,
                hash(&r.record.data)
            );
        }
        say(&lines)?;
        let mut ack = Vec::new();
        let mut release = Vec::new();
        for r in &got {
            match rng.below(20) {
                0 => {}                                                // abandoned
                1 | 2 => release.push((r.receipt_handle.as_str(), 0)), // visible again at once
                _ => ack.push(r),
            }
        }
        if !release.is_empty() {
            store
                .update_queue_records_visibility(queue, &release)
                .map_err(|e| format!("visibility: {e}"))?;
        }
        if ack.is_empty() {
            continue;
        }
        let handles: Vec<&str> = ack.iter().map(|r| r.receipt_handle.as_str()).collect();
        let out = store
            .acknowledge_queue_records(queue, &handles)
            .map_err(|e| format!("acknowledge: {e}"))?;
        let mut lines = String::new();
        for r in ack {
            if out.successful.contains(&r.receipt_handle) {
                let seq = r.record.sequence_number;
                lines += &format!(
                    "Q {} {} {}\n",
                    seq.shard_index(),
                    seq.counter(),
                    r.receive_count
                );
            }
        }
        say(&lines)?;
    }
}

/// One producer thread: puts batches with partition keys of its own, and now and then consumes one
/// of the records it was acknowledged as one of the two workers.
struct Producer<'a> {
    shared: &'a Shared,
    id: u64,
    rng: Rng,
    /// The lease counter each worker last saw, per lease: sometimes stale, so fencing is exercised.
    seen: [HashMap<LeaseKey, u64>; 2],
}

impl<'a> Producer<'a> {
    fn new(shared: &'a Shared, id: u64) -> Self {
        Producer {
            shared,
            id,
            rng: Rng::fork(shared.seed, id + 1),
            seen: Default::default(),
        }
    }

    fn run(mut self) -> Result<(), String> {
        for round in 0u64.. {
            // A short pause between batches: the other threads get their turn on a small machine,
            // and the store stays small enough to be verified after every kill.
            std::thread::sleep(Duration::from_micros(self.rng.below(2000)));
            let stream = STREAMS[self.rng.below(3) as usize];
            let acked = self.put(stream, round)?;
            if let Some(&(shard, seq)) = acked.get(self.rng.below(8) as usize) {
                let worker = self.rng.below(2) as usize;
                self.consume(worker, stream, shard, seq)?;
            }
        }
        Ok(())
    }

    /// The queue's producer: small batches to [`QUEUE_STREAM`], a little slower than the consumers
    /// take them, shaped for the channel that delivers the stream too.
    fn run_queue(mut self) -> Result<(), String> {
        for round in 0u64.. {
            std::thread::sleep(Duration::from_micros(self.rng.below(6000)));
            let n = self.rng.below(4) + 1;
            self.put_n(QUEUE_STREAM, round, n)?;
        }
        Ok(())
    }

    /// Puts a batch of 1–40 records; prints and returns the acknowledged ones.
    fn put(&mut self, stream: &str, round: u64) -> Result<Vec<(u32, SequenceNumber)>, String> {
        let n = self.rng.below(40) + 1;
        self.put_n(stream, round, n)
    }

    /// Puts a batch of `n` records; prints and returns the acknowledged ones.
    fn put_n(
        &mut self,
        stream: &str,
        round: u64,
        n: u64,
    ) -> Result<Vec<(u32, SequenceNumber)>, String> {
        let (seed, p) = (self.shared.seed, self.id);
        let datas: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let text = format!("{stream}:{seed}:{p}:{round}:{i}:")
                    .repeat(self.rng.below(30) as usize + 1);
                if stream == CHANNEL_STREAM {
                    channel_payload(self.shared.channel_format, &text)
                } else {
                    text.into_bytes()
                }
            })
            .collect();
        let keys: Vec<String> = (0..n)
            .map(|i| format!("p{p}-user-{}", (round * 7 + i) % 97))
            .collect();
        let entries: Vec<_> = keys
            .iter()
            .zip(&datas)
            .map(|(k, d)| PutEntry::new(k, d))
            .collect();
        let result = self
            .shared
            .store
            .put_records(stream, &entries)
            .map_err(|e| e.to_string())?;
        let mut acked = Vec::new();
        let mut lines = String::new();
        for (r, d) in result.records.iter().zip(&datas) {
            if let Ok(r) = r {
                let (shard, seq) = (r.shard_id.0, r.sequence_number);
                lines += &format!("A {stream} {shard} {} {}\n", seq.counter(), hash(d));
                acked.push((shard, seq));
            }
        }
        if result.failed_record_count > 0 {
            lines += &format!("F {stream} {}\n", result.failed_record_count);
        }
        say(&lines)?;
        Ok(acked)
    }

    /// Worker `w` consumed the acknowledged record `seq` of `shard`: it takes the shard's lease
    /// (stealing it from the other worker if need be) and checkpoints `seq` unless the checkpoint is
    /// already past it. Lease conflicts (a stale counter, another thread's commit) are part of the
    /// game, not errors. Under the eager modes the record is made durable first, as a checkpoint may
    /// only name a durable record.
    fn consume(
        &mut self,
        w: usize,
        stream: &str,
        shard: u32,
        seq: SequenceNumber,
    ) -> Result<(), String> {
        let leases = &self.shared.leases;
        let key = lease_key(stream, shard);
        let me = WORKERS[w];
        let current = leases
            .create_if_absent(&key, NewLease::default())
            .map_err(|e| e.to_string())?;
        // One time in four the worker acts on the counter it saw last, which may be stale.
        let expected = match self.seen[w].get(&key) {
            Some(&c) if self.rng.below(4) == 0 => c,
            _ => current.counter,
        };
        let mut lease = current;
        if lease.owner.as_deref() != Some(me) {
            let taken = match leases.change(&key, expected, LeaseOp::take(me, now_ms())) {
                Err(shardlog::Error::LeaseHeld { .. }) => {
                    leases.change(&key, expected, LeaseOp::steal(me, now_ms()))
                }
                other => other,
            };
            match self.settle(w, &key, taken)? {
                Some(l) => lease = l,
                None => return Ok(()),
            }
            say(&format!("L {stream} {shard} {} {me}\n", lease.counter))?;
        }
        if checkpoint_seq(&lease.checkpoint).is_some_and(|c| c >= seq.as_u128()) {
            return Ok(());
        }
        if self.shared.eager {
            self.shared
                .store
                .make_durable(stream, ShardId(shard), seq)
                .map_err(|e| format!("make_durable {stream} {shard} {seq}: {e}"))?;
        }
        let done = leases.change(
            &key,
            lease.counter,
            LeaseOp::checkpoint(Checkpoint::sequence(&seq.to_string(), 0)),
        );
        if let Some(l) = self.settle(w, &key, done)? {
            say(&format!("C {stream} {shard} {} {me} {seq}\n", l.counter))?;
        }
        Ok(())
    }

    /// Remembers the counter a lease call returned; a fencing conflict is `None`, anything else an
    /// error that ends the child.
    fn settle(
        &mut self,
        w: usize,
        key: &LeaseKey,
        result: Result<Lease, shardlog::Error>,
    ) -> Result<Option<Lease>, String> {
        match result {
            Ok(l) => {
                self.seen[w].insert(key.clone(), l.counter);
                Ok(Some(l))
            }
            Err(shardlog::Error::LeaseConflict { found, .. }) => {
                self.seen[w].insert(key.clone(), found);
                Ok(None)
            }
            Err(e) => Err(format!("lease {key}: {e}")),
        }
    }
}

/// The sequence number a checkpoint names, if it names one.
pub(crate) fn checkpoint_seq(c: &Checkpoint) -> Option<u128> {
    match c {
        Checkpoint::SequenceNumber {
            sequence_number, ..
        } => sequence_number
            .parse::<SequenceNumber>()
            .ok()
            .map(SequenceNumber::as_u128),
        _ => None,
    }
}
