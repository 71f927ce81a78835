//! What the children promised: every acknowledged record, lease owner and checkpoint, read from
//! the lines they print, with the promises that can be checked as soon as a line arrives.

use std::collections::{BTreeMap, HashMap, HashSet};

/// (stream, shard, counter): a record's place.
pub(crate) type Key = (String, u32, u64);
/// (stream, shard).
pub(crate) type ShardKey = (String, u32);
/// (shard, counter): a record of the queue's stream.
pub(crate) type QueueKey = (u32, u64);

/// Everything the children promised, and the verifications saw, since the last reset.
#[derive(Default)]
pub(crate) struct Promises {
    /// (stream, shard, counter) -> payload hash of every acknowledged record.
    pub records: HashMap<Key, u64>,
    /// Records a verification read that no child had acknowledged (it was killed between the write
    /// and the acknowledgement): the open made them durable, so they must stay, and their numbers
    /// are taken.
    pub read: HashMap<Key, u64>,
    /// (stream, shard) -> the highest counter acknowledged or read before the current cycle: a record
    /// the current child wrote and did not acknowledge must lie above it.
    pub floor: HashMap<ShardKey, u64>,
    /// (stream, shard, lease counter) -> the owner a committed lease change left.
    pub owners: HashMap<Key, String>,
    /// (stream, shard) -> highest committed lease counter.
    pub counters: HashMap<ShardKey, u64>,
    /// (stream, shard) -> lease counter -> the checkpoint committed at that counter. Threads print
    /// their commits in any order; the counter orders them.
    pub checkpoints: HashMap<ShardKey, BTreeMap<u64, u128>>,
    /// (stream, shard) -> the highest segment id a verification saw (segments started since).
    pub segment_tips: HashMap<ShardKey, u64>,
    /// Records of the queue acknowledged through it (`Q`), with the receive count of the
    /// acknowledged delivery: never to be delivered again.
    pub queue_acked: HashMap<QueueKey, u32>,
    /// Every delivery of a queue record the children printed (`D`): (record, receive count). A
    /// record is delivered at most once with each count.
    pub queue_deliveries: HashSet<(QueueKey, u32)>,
    /// The highest receive count of each record delivered before the current cycle: receive
    /// counts only rise, across restarts too.
    pub queue_counts: HashMap<QueueKey, u32>,
    /// The highest receive count of each record delivered so far, this cycle included.
    pub queue_top: HashMap<QueueKey, u32>,
    /// Records delivered to the children since the last queue check: the only ones the drain may
    /// find acknowledged without a `Q` line (a kill between the acknowledgement and its line).
    pub queue_this_cycle: HashSet<QueueKey>,
    /// Payload hash of each delivered record, to compare with what the stream holds.
    pub queue_hashes: HashMap<QueueKey, u64>,
}

fn num<T: std::str::FromStr>(s: &str, line: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("child printed a malformed line: {line:?}"))
}

/// What one child did, from its lines.
#[derive(Default)]
pub(crate) struct Tally {
    pub acked: u64,
    pub failed_entries: u64,
    pub reshards: u64,
    pub reshards_done: u64,
    pub reshard_errors: BTreeMap<String, u64>,
    pub passes: u64,
    pub passes_done: u64,
    pub pass_errors: BTreeMap<String, u64>,
    pub dropped: u64,
    pub merges: u64,
    pub shards_removed: u64,
    /// A reshard / a retention pass had started and not ended when the child died.
    pub in_reshard: bool,
    pub in_pass: bool,
    /// Queue deliveries (`D`) and acknowledgements (`Q`).
    pub queue_received: u64,
    pub queue_acked: u64,
    /// Deliveries with a receive count above 1 (visibility expired or given back).
    pub queue_redelivered: u64,
}

impl Promises {
    /// Takes in one line the child printed; an `Err` is a broken promise seen already.
    pub fn take_in(&mut self, line: &str, tally: &mut Tally) -> Result<(), String> {
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
                tally.acked += 1;
            }
            ["F", _, n] => tally.failed_entries += num::<u64>(n, line)?,
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
                    let seq = num::<shardlog::SequenceNumber>(seq, line)?.as_u128();
                    let history = self.checkpoints.entry(shard_key.clone()).or_default();
                    let before = history.range(..counter).next_back();
                    let after = history.range(counter + 1..).next();
                    if let Some((&c, &s)) = before.filter(|(_, &s)| s > seq) {
                        return Err(format!(
                            "checkpoint of {shard_key:?} went back from {s} (counter {c}) to {seq} (counter {counter})"
                        ));
                    }
                    if let Some((&c, &s)) = after.filter(|(_, &s)| s < seq) {
                        return Err(format!(
                            "checkpoint of {shard_key:?} went back from {seq} (counter {counter}) to {s} (counter {c})"
                        ));
                    }
                    history.insert(counter, seq);
                }
            }
            ["S+", "split" | "merge", _] => {
                tally.reshards += 1;
                tally.in_reshard = true;
            }
            ["S-", "ok"] => {
                tally.reshards_done += 1;
                tally.in_reshard = false;
            }
            ["S-", "err", kind] => {
                *tally.reshard_errors.entry(kind.to_string()).or_default() += 1;
                tally.in_reshard = false;
            }
            ["T+"] => {
                tally.passes += 1;
                tally.in_pass = true;
            }
            ["T-", "err", kind] => {
                *tally.pass_errors.entry(kind.to_string()).or_default() += 1;
                tally.in_pass = false;
            }
            ["T-", dropped, merges, removed] => {
                tally.passes_done += 1;
                tally.dropped += num::<u64>(dropped, line)?;
                tally.merges += num::<u64>(merges, line)?;
                tally.shards_removed += num::<u64>(removed, line)?;
                tally.in_pass = false;
            }
            ["D", shard, counter, count, h] => {
                let key: QueueKey = (num(shard, line)?, num(counter, line)?);
                let count: u32 = num(count, line)?;
                self.queue_delivered(key, count, num(h, line)?)?;
                tally.queue_received += 1;
                tally.queue_redelivered += u64::from(count > 1);
            }
            ["Q", shard, counter, count] => {
                let key: QueueKey = (num(shard, line)?, num(counter, line)?);
                let count: u32 = num(count, line)?;
                if !self.queue_deliveries.contains(&(key, count)) {
                    return Err(format!(
                        "queue record {key:?} acknowledged for a delivery (receive count {count}) never printed"
                    ));
                }
                if let Some(prev) = self.queue_acked.insert(key, count) {
                    return Err(format!(
                        "queue record {key:?} acknowledged twice (receive counts {prev} and {count})"
                    ));
                }
                if let Some(later) = self.later_delivery(key, count) {
                    return Err(format!(
                        "queue record {key:?} acknowledged at receive count {count} but delivered again \
                         with receive count {later}"
                    ));
                }
                tally.queue_acked += 1;
            }
            ["R"] => {}
            _ => return Err(format!("child printed a malformed line: {line:?}")),
        }
        Ok(())
    }

    /// A delivery of queue record `key` with receive count `count` (by a child or by a
    /// verification): checked against every acknowledgement and earlier delivery.
    pub fn queue_delivered(&mut self, key: QueueKey, count: u32, h: u64) -> Result<(), String> {
        if let Some(&acked) = self.queue_acked.get(&key) {
            if count > acked {
                return Err(format!(
                    "queue record {key:?}, acknowledged at receive count {acked}, delivered again \
                     (receive count {count})"
                ));
            }
        }
        if let Some(&before) = self.queue_counts.get(&key) {
            if count <= before {
                return Err(format!(
                    "queue record {key:?} delivered with receive count {count}, but an earlier cycle \
                     already saw count {before}"
                ));
            }
        }
        if !self.queue_deliveries.insert((key, count)) {
            return Err(format!(
                "queue record {key:?} delivered twice with receive count {count}"
            ));
        }
        self.queue_this_cycle.insert(key);
        let top = self.queue_top.entry(key).or_default();
        *top = (*top).max(count);
        if self.queue_hashes.insert(key, h).is_some_and(|p| p != h) {
            return Err(format!("queue record {key:?} delivered with two payloads"));
        }
        Ok(())
    }

    /// A delivery of `key` with a receive count above `count`, if one was seen.
    fn later_delivery(&self, key: QueueKey, count: u32) -> Option<u32> {
        self.queue_top.get(&key).copied().filter(|&c| c > count)
    }

    /// Ends a cycle: every delivery seen so far is "before" for the next one.
    pub fn queue_end_cycle(&mut self) {
        self.queue_counts.clone_from(&self.queue_top);
    }

    /// The highest checkpoint committed per shard.
    pub fn best_checkpoints(&self) -> impl Iterator<Item = (&ShardKey, u128)> {
        self.checkpoints
            .iter()
            .filter_map(|(k, h)| Some((k, *h.values().max()?)))
    }
}
