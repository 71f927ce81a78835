//! `store_model`: random store operations with crashes against a model of acknowledged records.
//!
//! The input is a program for a [`Store`] on a [`SimDisk`] (16 KiB segments, `Durability::Sync`, a
//! manual clock, no background retention). Each operation is one byte, `op % 16`, then its arguments
//! (bytes unless noted; streams are `stream-0..=2`):
//!
//! ```text
//! 0    create stream (byte % 3) with 1 + byte % 4 shards     1    delete stream
//! 2-4  put 1 + byte % 8 records: partition key `k<byte>`, data of byte % 64 bytes
//! 5    read every record of one shard (byte b picks it; with b & 0x80, continue the iterator the last
//!      read ended with instead)                             6    split an open shard at u16/65535 of its range
//! 7    merge two adjacent open shards                       8    scale to 1 + byte % 6 open shards
//! 9    advance the clock by byte % 48 hours                 10   retention pass
//! 11   close and reopen (a crash if the power is off)       12   power cut now, crash (seed byte), reopen;
//!                                                                next byte b: with b & 0x80, the power is cut
//!                                                                again b & 0x7F operations into the recovery
//! 13   arm a power cut byte % 64 disk operations ahead      14-15 put (as 2)
//! ```
//!
//! Every record's data starts with a unique id, so a record read back names the put it came from.
//! Properties checked, after every read and every reopen: each shard's records have strictly
//! increasing sequence numbers; every record read back was put into that stream with that key and
//! data, and if the put was acknowledged, under the acknowledged shard and sequence number; every
//! acknowledged record is present unless retention may have dropped it (older than the 24 h retention
//! period), and may vanish only with the records before it; a put whose call failed (power cut) may
//! or may not be there after the crash, but once a reopen shows it, it stays. A new acknowledged
//! record gets a sequence number above every number its shard ever showed. Streams appear or vanish
//! only through creates and deletes (a failed one may go either way); the store opens after every
//! crash. Each input runs at most [`MAX_OPS`] operations.

use crate::input::Input;
use shardlog::{PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions};
use shardlog_segment::{Clock, Durability};
use shardlog_storage::{Fault, SimDisk};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Operations per input at most (keeps one input in the tens of milliseconds).
pub const MAX_OPS: usize = 40;
/// Start of the manual clock.
pub const START_MS: u64 = 1_700_000_000_000;
/// Default retention period of a stream.
const RETENTION_MS: u64 = 24 * 3600 * 1000;
const HOUR_MS: u64 = 3600 * 1000;

/// Runs every `store_model` check on one input ([`crate::strict`] decides about known bugs).
pub fn check(data: &[u8]) {
    check_with(data, crate::strict());
}

/// Runs every `store_model` check on one input; `strict`: fail on known open bugs too.
pub fn check_with(data: &[u8], strict: bool) {
    let _ = strict; // no known open bugs
    Sim::new().run(&mut Input::new(data));
}

/// One put as the model knows it.
#[derive(Debug, Clone)]
struct Put {
    stream: String,
    key: String,
    data: Vec<u8>,
    at_ms: u64,
    /// Shard and sequence number, once acknowledged (or seen after a reopen).
    acked: Option<(u32, SequenceNumber)>,
}

/// The model: every put that may exist, and per stream and shard the acknowledged ones in order.
#[derive(Debug, Default)]
struct Model {
    puts: HashMap<u32, Put>,
    streams: BTreeMap<String, BTreeMap<u32, Vec<u32>>>,
    /// Highest sequence number each shard ever showed.
    high: HashMap<(String, u32), SequenceNumber>,
    /// Streams whose create or delete failed: either state is allowed after the next reopen.
    uncertain: BTreeSet<String>,
}

struct Sim {
    disk: SimDisk,
    clock: Clock,
    store: Option<Store>,
    model: Model,
    next_id: u32,
    /// One line per operation, when describing an input.
    trace: Option<Vec<String>>,
    /// Cut the power again this many disk operations into the next recovery.
    recovery_cut: Option<u64>,
    /// Where the last full read of a shard ended.
    saved: Option<Saved>,
}

/// A shard iterator kept from a read, to continue later.
#[derive(Debug, Clone)]
struct Saved {
    stream: String,
    shard: u32,
    token: String,
    /// The last record the read returned.
    after: Option<SequenceNumber>,
    /// The stream was deleted since.
    deleted: bool,
}

/// Records as read: sequence number, partition key, data.
type Records = Vec<(SequenceNumber, String, Vec<u8>)>;

/// What an input does, one line per operation (for triage).
pub fn describe(data: &[u8]) -> String {
    let mut sim = Sim::new();
    sim.trace = Some(Vec::new());
    sim.run(&mut Input::new(data));
    let acked: usize = sim
        .model
        .streams
        .values()
        .flat_map(|m| m.values())
        .map(Vec::len)
        .sum();
    let mut lines = sim.trace.take().unwrap_or_default();
    lines.push(format!(
        "end: {acked} records in {} streams",
        sim.model.streams.len()
    ));
    lines.join("\n")
}

fn stream_name(i: u8) -> String {
    format!("stream-{}", i % 3)
}

fn options(clock: &Clock) -> StoreOptions {
    StoreOptions {
        durability: Durability::Sync,
        segment_bytes: 16 * 1024,
        clock: clock.clone(),
        retention_interval: None,
        ..StoreOptions::default()
    }
}

impl Sim {
    fn new() -> Sim {
        let disk = SimDisk::new(1);
        let clock = Clock::manual(START_MS);
        let store = Store::open_with_storage(Arc::new(disk.clone()), options(&clock))
            .expect("a new store opens");
        Sim {
            disk,
            clock,
            store: Some(store),
            model: Model::default(),
            next_id: 0,
            trace: None,
            recovery_cut: None,
            saved: None,
        }
    }

    fn store(&self) -> &Store {
        self.store
            .as_ref()
            .expect("the store is open between operations")
    }

    fn run(&mut self, r: &mut Input<'_>) {
        for _ in 0..MAX_OPS {
            if r.is_empty() {
                break;
            }
            self.step(r);
        }
        self.reopen(0);
    }

    fn acked(&self) -> usize {
        self.model
            .puts
            .values()
            .filter(|p| p.acked.is_some())
            .count()
    }

    fn step(&mut self, r: &mut Input<'_>) {
        let op = r.byte() % 16;
        let stream = stream_name(r.byte());
        if self.trace.is_none() {
            return self.apply(op, stream, r);
        }
        let (before, acked_before) = (r.rest().len(), self.acked());
        self.apply(op, stream.clone(), r);
        let line = format!(
            "op {op} on {stream} ({} argument bytes): {acked_before} -> {} acknowledged puts{}",
            before - r.rest().len(),
            self.acked(),
            if self.powered() { "" } else { " (power off)" }
        );
        self.trace.get_or_insert_with(Vec::new).push(line);
    }

    fn apply(&mut self, op: u8, stream: String, r: &mut Input<'_>) {
        match op {
            0 => {
                let shards = 1 + u32::from(r.byte() % 4);
                match self.store().create_stream(&stream, shards) {
                    Ok(()) => {
                        assert!(
                            !self.model.streams.contains_key(&stream)
                                || self.model.uncertain.contains(&stream),
                            "created {stream}, which exists"
                        );
                        self.model.streams.insert(stream.clone(), BTreeMap::new());
                        self.model.uncertain.remove(&stream);
                    }
                    Err(_) if self.powered() => {
                        assert!(
                            self.model.streams.contains_key(&stream),
                            "create {stream} failed"
                        );
                    }
                    Err(_) => {
                        self.model.uncertain.insert(stream);
                    }
                }
            }
            1 => match self.store().delete_stream(&stream) {
                Ok(()) => self.forget_stream(&stream),
                Err(_) if self.powered() => {
                    assert!(
                        !self.model.streams.contains_key(&stream),
                        "delete of {stream} failed"
                    );
                }
                Err(_) => {
                    self.model.uncertain.insert(stream);
                }
            },
            5 => {
                let pick = r.byte();
                if pick & 0x80 != 0 && self.saved.is_some() {
                    self.continue_saved();
                } else if let Some(shard) = self.pick_shard(&stream, pick) {
                    self.read_and_check(&stream, shard);
                }
            }
            6 => {
                let (pick, frac) = (r.byte(), r.u16());
                if let Some((shard, lo, hi)) = self.pick_open(&stream, pick) {
                    let key = lo + (hi - lo) / u128::from(u16::MAX) * u128::from(frac);
                    let _ = self.store().split_shard(&stream, ShardId(shard), key);
                }
            }
            7 => {
                let pick = r.byte();
                let open = self.open_shards(&stream);
                if open.len() >= 2 {
                    let i = usize::from(pick) % (open.len() - 1);
                    let (a, b) = (ShardId(open[i].0), ShardId(open[i + 1].0));
                    let _ = self.store().merge_shards(&stream, a, b);
                }
            }
            8 => {
                let target = 1 + u32::from(r.byte() % 6);
                let _ = self.store().update_shard_count(&stream, target);
            }
            9 => {
                let hours = u64::from(r.byte() % 48);
                self.clock.set(self.clock.now_ms() + hours * HOUR_MS);
            }
            10 => {
                let _ = self.store().enforce_retention();
            }
            11 => self.reopen(r.byte()),
            12 => {
                let (seed, second) = (r.byte(), r.byte());
                if second & 0x80 != 0 {
                    self.recovery_cut = Some(u64::from(second & 0x7F));
                }
                self.disk.cut_power();
                self.reopen(seed);
            }
            13 => {
                let ahead = u64::from(r.byte() % 64);
                self.disk.set_fault(Fault::PowerCut {
                    at_op: self.disk.ops() + ahead,
                });
            }
            _ => self.put(r, &stream),
        }
    }

    /// True while the disk has power (so every failure is a real error, not the simulated cut).
    fn powered(&self) -> bool {
        !self.disk.is_power_off()
    }

    fn forget_stream(&mut self, stream: &str) {
        if let Some(saved) = self.saved.as_mut().filter(|s| s.stream == stream) {
            saved.deleted = true;
        }
        if let Some(shards) = self.model.streams.remove(stream) {
            for id in shards.values().flatten() {
                self.model.puts.remove(id);
            }
        }
        self.model.puts.retain(|_, p| p.stream != stream);
        self.model.high.retain(|(s, _), _| s != stream);
        self.model.uncertain.remove(stream);
    }

    fn put(&mut self, r: &mut Input<'_>, stream: &str) {
        let n = 1 + usize::from(r.byte() % 8);
        let mut batch = Vec::with_capacity(n);
        for _ in 0..n {
            let key = format!("k{}", r.byte());
            let len = usize::from(r.byte() % 64);
            let id = self.next_id;
            self.next_id += 1;
            let mut data = id.to_le_bytes().to_vec();
            data.extend((0..len).map(|i| (i as u8) ^ (id as u8)));
            batch.push((id, key, data));
        }
        let entries: Vec<PutEntry<'_>> =
            batch.iter().map(|(_, k, d)| PutEntry::new(k, d)).collect();
        let result = self.store().put_records(stream, &entries);
        let now = self.clock.now_ms();
        let known = self.model.streams.contains_key(stream);
        let outcomes = match result {
            Ok(out) => {
                assert!(
                    known || self.model.uncertain.contains(stream),
                    "put into {stream}, which does not exist"
                );
                out.records.into_iter().map(|r| r.ok()).collect()
            }
            Err(e) => {
                assert!(
                    !known || !self.powered(),
                    "put into {stream} failed with the power on: {e}"
                );
                vec![None; batch.len()]
            }
        };
        for ((id, key, data), outcome) in batch.into_iter().zip(outcomes) {
            if outcome.is_none() {
                assert!(
                    !self.powered() || !known,
                    "a record put into {stream} failed with the power on"
                );
            }
            let acked = outcome.map(|o| (o.shard_id.0, o.sequence_number));
            if let Some((shard, seq)) = acked {
                let high = self.model.high.insert((stream.to_string(), shard), seq);
                if let Some(high) = high {
                    assert!(
                        seq > high,
                        "{stream} shard {shard}: acknowledged sequence number {seq} not above {high}"
                    );
                }
                if let Some(shards) = self.model.streams.get_mut(stream) {
                    let list = shards.entry(shard).or_default();
                    if let Some(last) = list.last() {
                        assert!(
                            self.model.puts[last].acked.is_some_and(|(_, s)| s < seq),
                            "{stream} shard {shard}: sequence number {seq} not above the last one"
                        );
                    }
                    list.push(id);
                }
            }
            let put = Put {
                stream: stream.to_string(),
                key,
                data,
                at_ms: now,
                acked,
            };
            self.model.puts.insert(id, put);
        }
    }

    /// Open shards of `stream` sorted by hash range: `(index, first key, last key)`.
    fn open_shards(&self, stream: &str) -> Vec<(u32, u128, u128)> {
        let Ok(d) = self.store().describe_stream(stream) else {
            return Vec::new();
        };
        let mut open: Vec<_> = d
            .shards
            .iter()
            .filter(|s| s.ending_sequence_number.is_none())
            .map(|s| (s.shard_id.0, s.starting_hash_key, s.ending_hash_key))
            .collect();
        open.sort_by_key(|s| s.1);
        open
    }

    fn pick_open(&self, stream: &str, pick: u8) -> Option<(u32, u128, u128)> {
        let open = self.open_shards(stream);
        (!open.is_empty()).then(|| open[usize::from(pick) % open.len()])
    }

    fn pick_shard(&self, stream: &str, pick: u8) -> Option<u32> {
        let d = self.store().describe_stream(stream).ok()?;
        let n = d.shards.len();
        (n > 0).then(|| d.shards[usize::from(pick) % n].shard_id.0)
    }

    /// Every record of one shard from the trim horizon, through iterators, and the iterator to
    /// continue from (`None` at the end of a closed shard); `None` if the shard cannot be read (power
    /// off, or it is gone).
    fn read_shard(&self, stream: &str, shard: u32) -> Option<(Records, Option<String>)> {
        let it = self
            .store()
            .get_shard_iterator(stream, ShardId(shard), StartingPosition::TrimHorizon)
            .ok()?;
        self.read_from(stream, shard, it)
    }

    /// Reads from iterator `it` to the end of what the shard holds.
    fn read_from(
        &self,
        stream: &str,
        shard: u32,
        mut it: String,
    ) -> Option<(Records, Option<String>)> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            let got = self.store().get_records(&it, 100).ok()?;
            let empty = got.records.is_empty();
            out.extend(got.records.into_iter().map(|r| {
                (
                    r.sequence_number,
                    r.partition_key.to_string(),
                    r.data.to_vec(),
                )
            }));
            match got.next_shard_iterator {
                Some(next) if !empty => it = next,
                next => return Some((out, next)),
            }
        }
        panic!("{stream} shard {shard}: reading never reached the end");
    }

    /// Continues the iterator the last full read ended with: it must return exactly the records
    /// acknowledged after the last one that read saw (those retention may have dropped aside), even
    /// across reopens and crashes, and nothing once the stream was deleted.
    fn continue_saved(&mut self) {
        let Some(saved) = self.saved.take() else {
            return;
        };
        let Some((got, next)) = self.read_from(&saved.stream, saved.shard, saved.token.clone())
        else {
            return;
        };
        let (stream, shard) = (&saved.stream, saved.shard);
        assert!(
            !saved.deleted || got.is_empty(),
            "{stream} shard {shard}: an iterator of the deleted stream read {} records of its successor",
            got.len()
        );
        if saved.deleted {
            return;
        }
        let listed = self
            .model
            .streams
            .get(stream)
            .and_then(|m| m.get(&shard))
            .cloned()
            .unwrap_or_default();
        let expected: Vec<u32> = listed
            .into_iter()
            .filter(|id| {
                self.model.puts[id]
                    .acked
                    .is_some_and(|(_, seq)| Some(seq) > saved.after)
            })
            .collect();
        let ids: Vec<u32> = got
            .iter()
            .map(|(seq, key, data)| self.identify(stream, shard, *seq, key, data, false))
            .collect();
        let skipped = expected.len().saturating_sub(ids.len());
        assert!(
            expected[skipped..] == ids[..] && expected[..skipped].iter().all(|id| self.expired(&self.model.puts[id])),
            "{stream} shard {shard}: an iterator continued after {:?} read puts {ids:?}, the model has {expected:?}",
            saved.after
        );
        if let Some(trace) = &mut self.trace {
            trace.push(format!(
                "  iterator of {stream} shard {shard} continued: {} records",
                ids.len()
            ));
        }
        if let Some(token) = next {
            let after = got.last().map(|r| r.0).or(saved.after);
            self.saved = Some(Saved {
                token,
                after,
                ..saved
            });
        }
    }

    /// True if retention may have dropped this put by now.
    fn expired(&self, put: &Put) -> bool {
        put.at_ms.saturating_add(RETENTION_MS) <= self.clock.now_ms()
    }

    /// Checks one shard's records against the model. With `adopt` (after a reopen), records of failed
    /// puts found there become acknowledged, and the shard's list becomes what was read.
    fn check_shard(
        &mut self,
        stream: &str,
        shard: u32,
        got: &[(SequenceNumber, String, Vec<u8>)],
        adopt: bool,
    ) {
        for w in got.windows(2) {
            assert!(
                w[0].0 < w[1].0,
                "{stream} shard {shard}: sequence numbers {} then {}",
                w[0].0,
                w[1].0
            );
        }
        let ids: Vec<u32> = got
            .iter()
            .map(|(seq, key, data)| self.identify(stream, shard, *seq, key, data, adopt))
            .collect();
        let present: BTreeSet<u32> = ids.iter().copied().collect();
        let listed = self
            .model
            .streams
            .get(stream)
            .and_then(|s| s.get(&shard))
            .cloned()
            .unwrap_or_default();
        let mut kept_from = None;
        for (i, id) in listed.iter().enumerate() {
            if present.contains(id) {
                kept_from.get_or_insert(i);
                continue;
            }
            let put = &self.model.puts[id];
            assert!(
                self.expired(put),
                "{stream} shard {shard}: acknowledged record {:?} (put {id}) lost",
                put.acked
            );
            assert!(
                kept_from.is_none(),
                "{stream} shard {shard}: record {:?} (put {id}) dropped after a newer one was kept",
                put.acked
            );
        }
        if let Some((seq, _, _)) = got.last() {
            let high = self
                .model
                .high
                .entry((stream.to_string(), shard))
                .or_insert(*seq);
            *high = (*high).max(*seq);
        }
        if adopt {
            for (id, (seq, _, _)) in ids.iter().zip(got) {
                if let Some(p) = self.model.puts.get_mut(id) {
                    p.acked = Some((shard, *seq));
                }
            }
            if let Some(s) = self.model.streams.get_mut(stream) {
                s.insert(shard, ids);
            }
        }
    }

    /// The put a record read back came from (its data starts with the put's id); checks that it
    /// matches, and that an acknowledged put is where it was acknowledged. `adopt`: a failed put may
    /// show up (after a crash).
    fn identify(
        &self,
        stream: &str,
        shard: u32,
        seq: SequenceNumber,
        key: &str,
        data: &[u8],
        adopt: bool,
    ) -> u32 {
        let id = data
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or_else(|| {
                panic!(
                    "{stream} shard {shard}: record {seq} of {} bytes",
                    data.len()
                )
            });
        let put = self.model.puts.get(&id).unwrap_or_else(|| {
            panic!("{stream} shard {shard}: record {seq} (put {id}) was never put or was deleted")
        });
        assert!(
            put.stream == stream && put.key == key && put.data == data,
            "{stream} shard {shard}: record {seq} differs from put {id}"
        );
        match put.acked {
            Some(a) => assert_eq!(
                a,
                (shard, seq),
                "{stream}: put {id} was acknowledged as {a:?}, read as shard {shard} {seq}"
            ),
            None => assert!(
                adopt,
                "{stream} shard {shard}: read record {seq} of a failed put {id}"
            ),
        }
        id
    }

    fn read_and_check(&mut self, stream: &str, shard: u32) {
        if let Some((got, next)) = self.read_shard(stream, shard) {
            self.check_shard(stream, shard, &got, false);
            self.saved = next.map(|token| Saved {
                stream: stream.to_string(),
                shard,
                token,
                after: got.last().map(|r| r.0),
                deleted: false,
            });
        } else {
            assert!(
                !self.powered(),
                "{stream} shard {shard} does not read with the power on"
            );
        }
    }

    /// Closes the store (a crash with `seed` if the power is off) and opens it again, then checks
    /// every stream and shard against the model and adopts what survived.
    fn reopen(&mut self, seed: u8) {
        let store = self.store.take().expect("open");
        if let Err(e) = store.close() {
            assert!(!self.powered(), "close failed with the power on: {e}");
        }
        // A power cut armed earlier may also strike during recovery: crash again and recover again.
        let mut attempt = 0u64;
        let store = loop {
            if !self.powered() {
                self.disk = self.disk.crash(u64::from(seed) + attempt);
                if let Some(at_op) = self.recovery_cut.take() {
                    self.disk.set_fault(Fault::PowerCut { at_op });
                }
            }
            match Store::open_with_storage(Arc::new(self.disk.clone()), options(&self.clock)) {
                Ok(store) => break store,
                Err(e) => assert!(
                    !self.powered(),
                    "the store does not open (attempt {attempt}): {e}"
                ),
            }
            attempt += 1;
        };
        self.disk.clear_fault();
        self.store = Some(store);
        let listed: BTreeSet<String> = self.store().list_streams().into_iter().collect();
        let known: Vec<String> = self.model.streams.keys().cloned().collect();
        for s in known.iter().filter(|s| !listed.contains(*s)) {
            assert!(
                self.model.uncertain.contains(s),
                "stream {s} vanished after a reopen"
            );
            self.forget_stream(s);
        }
        for s in &listed {
            if !self.model.streams.contains_key(s) {
                assert!(
                    self.model.uncertain.contains(s),
                    "stream {s} appeared after a reopen"
                );
                self.model.streams.insert(s.clone(), BTreeMap::new());
            }
            let d = self
                .store()
                .describe_stream(s)
                .unwrap_or_else(|e| panic!("describe {s} after a reopen: {e}"));
            let shards: BTreeSet<u32> = d.shards.iter().map(|x| x.shard_id.0).collect();
            let gone: Vec<u32> = self.model.streams[s]
                .keys()
                .copied()
                .filter(|x| !shards.contains(x))
                .collect();
            for shard in gone {
                self.check_shard(s, shard, &[], true);
                if let Some(m) = self.model.streams.get_mut(s) {
                    m.remove(&shard);
                }
            }
            for shard in shards {
                let (got, _) = self
                    .read_shard(s, shard)
                    .unwrap_or_else(|| panic!("{s} shard {shard} does not read after a reopen"));
                self.check_shard(s, shard, &got, true);
            }
        }
        self.model.uncertain.clear();
        // Failed puts that did not survive must never appear later.
        let kept: BTreeSet<u32> = self
            .model
            .streams
            .values()
            .flat_map(|m| m.values().flatten().copied())
            .collect();
        self.model.puts.retain(|id, _| kept.contains(id));
    }
}
