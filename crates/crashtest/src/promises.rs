//! What the children promised: every acknowledged record, lease owner and checkpoint, read from
//! the lines they print, with the promises that can be checked as soon as a line arrives.

use std::collections::{BTreeMap, HashMap};

/// (stream, shard, counter): a record's place.
pub(crate) type Key = (String, u32, u64);
/// (stream, shard).
pub(crate) type ShardKey = (String, u32);

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
            ["R"] => {}
            _ => return Err(format!("child printed a malformed line: {line:?}")),
        }
        Ok(())
    }

    /// The highest checkpoint committed per shard.
    pub fn best_checkpoints(&self) -> impl Iterator<Item = (&ShardKey, u128)> {
        self.checkpoints
            .iter()
            .filter_map(|(k, h)| Some((k, *h.values().max()?)))
    }
}
