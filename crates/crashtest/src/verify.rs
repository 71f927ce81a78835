//! What the parent checks after every kill, in every durability mode (under SIGKILL they all promise
//! the same: the page cache survives, so nothing acknowledged is lost): the store opens; every
//! acknowledged record is present and byte-identical (only the capped stream may have lost a prefix
//! to retention), and so is every record an earlier verification read; sequence numbers within a
//! shard strictly increase; no number is reused: a record read has either the number it was
//! acknowledged or read under before, or a new number above every number handed out before the
//! cycle; every lease is at or past its last committed counter with the owner that commit left; no
//! checkpoint went backwards; every checkpoint names a record the store holds (rule 25: only
//! durable records are checkpointed).
//!
//! Then the queue, on a throw-away copy drained with the clock an hour ahead ([`verify_queue`]):
//! no record acknowledged through it comes back, and every record its stream holds is
//! acknowledged or delivered.
//!
//! And the channel ([`verify_channel`]), after the close delivered what was left.

use crate::child::{channel_of, channel_record, checkpoint_seq, lease_key, queue_arn, Plan};
use crate::promises::{Key, Promises, QueueKey, ShardKey};
use crate::{hash, APP, CAPPED, CHANNEL_BUCKET, CHANNEL_STREAM, LEASES, QUEUE_STREAM};
use shardlog::consumer::{Checkpoint, LeaseTable};
use shardlog::{
    ChannelDescription, Clock, Compression, Durability, SequenceNumber, StartingPosition, Store,
    StoreOptions,
};
use shardlog_checkpoint::Db;
use shardlog_storage::FsStorage;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the store holds: (stream, shard, counter) -> payload hash, and per shard the oldest counter
/// and the highest segment id.
struct Contents {
    records: HashMap<Key, u64>,
    horizon: HashMap<ShardKey, u64>,
    segments: HashMap<ShardKey, (u64, u64)>,
}

impl Contents {
    /// True if retention may have removed the record: a capped stream, below the oldest kept one.
    fn trimmed(&self, stream: &str, shard: u32, counter: u64) -> bool {
        stream == CAPPED
            && self
                .horizon
                .get(&(stream.to_string(), shard))
                .is_none_or(|first| counter < *first)
    }
}

/// What one verification checked.
pub(crate) struct Verified {
    /// Acknowledged records found intact.
    pub records: u64,
    /// Lease facts checked.
    pub leases: u64,
    /// Records whose sequence number was checked against every number handed out before.
    pub numbers: u64,
    /// Records found that no child acknowledged: from now on they are promises too.
    pub unacked_kept: u64,
    /// Segment files started since the last verification.
    pub segments_started: u64,
    /// Queue records the drain delivered (neither acknowledged nor lost).
    pub queue_drained: u64,
    /// Queue acknowledgements checked: the record was not delivered again.
    pub queue_acked: u64,
    /// Acknowledgements found by the drain whose `Q` line the kill cut off.
    pub queue_silent_acks: u64,
    /// Time the queue check took (copy, open, drain).
    pub queue_time: std::time::Duration,
    /// What the channel check found.
    pub channel: ChannelChecked,
}

/// Opens the store as the next child would (in the durability mode of the child that was just
/// killed) and checks every promise; records what it read as promises for the next cycles.
/// The queue is checked too if `queue` (every other cycle: the check costs a copy and an open).
pub(crate) fn verify(
    dir: &Path,
    promises: &mut Promises,
    plan: &Plan,
    queue: bool,
) -> Result<Verified, String> {
    let opts = StoreOptions {
        durability: plan.durability,
        segment_bytes: 16 * 1024,
        retention_interval: None,
        // No delivery thread: `deliver_channels` below delivers everything, once.
        channel_interval: None,
        ..StoreOptions::default()
    };
    let store = Store::open(dir, opts).map_err(|e| format!("store failed to open: {e}"))?;
    let contents = read_all(&store)?;
    let channel = channel_of(&store)?;
    // What the killed child had not delivered yet is delivered now, as the next child would.
    let started = std::time::Instant::now();
    store
        .deliver_channels()
        .map_err(|e| format!("channel delivery after the restart: {e}"))?;
    let delivery_time = started.elapsed();
    store.close().map_err(|e| e.to_string())?;
    let mut done = Verified {
        records: 0,
        leases: 0,
        numbers: 0,
        unacked_kept: 0,
        segments_started: 0,
        queue_drained: 0,
        queue_acked: 0,
        queue_silent_acks: 0,
        queue_time: std::time::Duration::ZERO,
        channel: ChannelChecked::default(),
    };
    // Every number read was either handed out before for this very record, or is new and above
    // every number handed out before this cycle (acknowledged by an earlier child or read by an
    // earlier verification): no number anyone could have seen is used twice.
    let mut new = Vec::new();
    for (key, h) in &contents.records {
        let known = promises.records.get(key).or_else(|| promises.read.get(key));
        match known {
            Some(k) if k == h => {}
            Some(_) if promises.records.contains_key(key) => {
                return Err(format!("acknowledged record {key:?} changed"))
            }
            Some(_) => {
                return Err(format!(
                "sequence number {key:?} reused: an earlier restart read another record under it"
            ))
            }
            None => {
                let floor = promises.floor.get(&(key.0.clone(), key.1));
                if let Some(floor) = floor.filter(|f| key.2 <= **f) {
                    return Err(format!(
                        "record {key:?} is new (neither acknowledged nor read before) but its number \
                         is not above {floor}, the highest handed out before this cycle"
                    ));
                }
                new.push((key.clone(), *h));
            }
        }
        done.numbers += 1;
    }
    for (key, h) in &promises.records {
        match contents.records.get(key) {
            Some(got) if got == h => done.records += 1,
            Some(_) => return Err(format!("acknowledged record {key:?} changed")),
            None if contents.trimmed(&key.0, key.1, key.2) => {}
            None => {
                return Err(format!(
                    "acknowledged record {key:?} lost ({} found in total)",
                    contents.records.len()
                ))
            }
        }
    }
    for key in promises.read.keys() {
        if !contents.records.contains_key(key) && !contents.trimmed(&key.0, key.1, key.2) {
            return Err(format!(
                "record {key:?}, read after an earlier restart (so durable since), lost"
            ));
        }
    }
    done.unacked_kept = new.len() as u64;
    promises.read.extend(new);
    for key in promises.records.keys().chain(contents.records.keys()) {
        let floor = promises.floor.entry((key.0.clone(), key.1)).or_default();
        *floor = (*floor).max(key.2);
    }
    for (shard, &(first, last)) in &contents.segments {
        let before = promises.segment_tips.insert(shard.clone(), last);
        done.segments_started += last + 1 - before.map_or(first, |b| b + 1).min(last + 1);
    }
    done.leases = verify_leases(dir, promises, &contents)?;
    let started = std::time::Instant::now();
    done.channel = verify_channel(dir, channel.as_ref(), promises, &contents)?;
    done.channel.time = delivery_time + started.elapsed();
    if !queue {
        return Ok(done);
    }
    let started = std::time::Instant::now();
    let q = verify_queue(dir, promises, &contents)?;
    promises.queue_this_cycle.clear();
    (done.queue_drained, done.queue_acked) = (q.drained, q.acked);
    done.queue_silent_acks = q.silent_acks;
    done.queue_time = started.elapsed();
    Ok(done)
}

/// Where a record of the channel's stream is: (shard index, counter).
type At = (u32, u64);

/// What one channel check found.
#[derive(Default)]
pub(crate) struct ChannelChecked {
    /// `JSON+GZIP` and so on, once the channel exists.
    pub kind: Option<String>,
    /// Objects read.
    pub objects: u64,
    /// Records found, each exactly once, in the objects.
    pub records: u64,
    /// Acknowledged records among them.
    pub acked: u64,
    /// The delivery after the restart and the check.
    pub time: std::time::Duration,
}

/// Checks the channel's objects after the verifier delivered what was left: every record
/// the channel's stream holds (which includes every acknowledged one: the stream is not capped and
/// nothing is put to it before the channel exists) is in exactly one object, inside the sequence
/// range the object's name gives, and objects hold nothing else; no temporary file is left (a
/// write cut by a kill is redone under the same name by the next delivery). The objects are
/// decompressed and split here, not by the store.
fn verify_channel(
    dir: &Path,
    channel: Option<&ChannelDescription>,
    promises: &Promises,
    contents: &Contents,
) -> Result<ChannelChecked, String> {
    let root = dir.join("channels").join(CHANNEL_BUCKET);
    let Some(channel) = channel else {
        if root.exists() {
            return Err("channel objects exist, but no channel does".into());
        }
        return Ok(ChannelChecked::default());
    };
    // Payloads are unique (the child's seed is in each), so a payload's hash names its record.
    let mut held: HashMap<u64, At> = HashMap::new();
    for ((stream, shard, counter), h) in &contents.records {
        if stream == CHANNEL_STREAM && held.insert(*h, (*shard, *counter)).is_some() {
            return Err(format!("two records of {stream} have one payload hash"));
        }
    }
    let mut files = Vec::new();
    list_files(&root, &mut files).map_err(|e| format!("listing {}: {e}", root.display()))?;
    let mut delivered: HashSet<u64> = HashSet::new();
    for path in &files {
        for (h, (shard, counter)) in object_records(path, channel, &held)? {
            if !delivered.insert(h) {
                return Err(format!(
                    "channel record ({shard}, {counter}) delivered twice (again in {})",
                    path.display()
                ));
            }
        }
    }
    if let Some((shard, counter)) = held
        .iter()
        .find(|(h, _)| !delivered.contains(h))
        .map(|(_, at)| at)
    {
        return Err(format!(
            "channel record ({shard}, {counter}) held by the stream was not delivered ({} of {} were)",
            delivered.len(),
            held.len()
        ));
    }
    let acked = promises
        .records
        .iter()
        .filter(|(key, h)| key.0 == CHANNEL_STREAM && delivered.contains(h))
        .count();
    let d = &channel.destination;
    Ok(ChannelChecked {
        kind: Some(format!(
            "{}+{}",
            channel.record_format.as_str(),
            d.compression.as_str()
        )),
        objects: files.len() as u64,
        records: delivered.len() as u64,
        acked: acked as u64,
        time: std::time::Duration::ZERO,
    })
}

/// The records of one channel object (payload hash, (shard, counter)), read and checked: its name has the
/// channel's extension and a range; each line is a record the stream holds within that range.
fn object_records(
    path: &Path,
    channel: &ChannelDescription,
    held: &HashMap<u64, At>,
) -> Result<Vec<(u64, At)>, String> {
    let shown = path.display();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".tmp") {
        return Err(format!("temporary file {shown} left after the close"));
    }
    let (shard, first, last) =
        object_range(name).ok_or_else(|| format!("object {shown}: no range in its name"))?;
    let body = std::fs::read(path).map_err(|e| format!("reading {shown}: {e}"))?;
    let body = decompress(name, channel.destination.compression, &body)
        .map_err(|e| format!("decompressing {shown}: {e}"))?;
    let Some(lines) = body.strip_suffix(b"\n") else {
        return Err(format!("object {shown} does not end in a line break"));
    };
    let mut records = Vec::new();
    for line in lines.split(|&b| b == b'\n') {
        let h = hash(&channel_record(channel.record_format, line));
        let Some(&(s, c)) = held.get(&h) else {
            return Err(format!(
                "object {shown} holds a record the stream never held: {:?}",
                String::from_utf8_lossy(line)
            ));
        };
        if s != shard || c < first || c > last {
            return Err(format!(
                "object {shown} (shard {shard}, counters {first}..={last}) holds record ({s}, {c})"
            ));
        }
        records.push((h, (s, c)));
    }
    Ok(records)
}

/// (shard, first counter, last counter) from an object's name:
/// `...-shardId-<12 digits>-<first sequence number>-<last sequence number>.<extension>`.
fn object_range(name: &str) -> Option<(u32, u64, u64)> {
    let tail = &name[name.rfind("-shardId-")? + "-shardId-".len()..];
    let stem = tail.split('.').next()?;
    let mut parts = stem.split('-');
    let shard: u32 = parts.next()?.parse().ok()?;
    let first: SequenceNumber = parts.next()?.parse().ok()?;
    let last: SequenceNumber = parts.next()?.parse().ok()?;
    let same_shard = first.shard_index() == shard && last.shard_index() == shard;
    (same_shard && parts.next().is_none()).then(|| (shard, first.counter(), last.counter()))
}

/// An object's body, decompressed as its channel's compression and its extension say.
fn decompress(name: &str, compression: Compression, body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let wrong =
        || std::io::Error::other(format!("extension does not fit {}", compression.as_str()));
    let mut out = Vec::new();
    match compression {
        Compression::Gzip if name.ends_with(".gz") => {
            flate2::read::MultiGzDecoder::new(body).read_to_end(&mut out)?;
        }
        Compression::Zstd if name.ends_with(".zst") => out = zstd::stream::decode_all(body)?,
        Compression::None if !name.ends_with(".gz") && !name.ends_with(".zst") => {
            out = body.to_vec()
        }
        _ => return Err(wrong()),
    }
    Ok(out)
}

/// Every file below `dir` (none if it does not exist).
fn list_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            list_files(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// What one queue check found.
#[derive(Default)]
struct QueueChecked {
    /// Records the drain delivered.
    drained: u64,
    /// Acknowledgements checked (the record did not come back).
    acked: u64,
    /// Records acknowledged by the killed child whose `Q` line the kill cut off.
    silent_acks: u64,
}

/// Checks the queue on a copy of the data directory (the drain changes delivery state, and the
/// children must find it as the killed one left it), opened with a clock an hour ahead so that
/// every visibility timeout has passed: the drain receives and acknowledges until nothing is
/// left. No record acknowledged through the queue comes back; receive counts rise above every
/// count seen before; each record comes with the payload the stream holds; and every record the
/// queue's stream holds was either acknowledged through the queue or comes out of the drain
/// (at-least-once: nothing is lost by the queue). Returns (records drained, acknowledgements
/// checked).
fn verify_queue(
    dir: &Path,
    promises: &mut Promises,
    contents: &Contents,
) -> Result<QueueChecked, String> {
    let copy = copy_path(dir);
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(dir, &copy).map_err(|e| format!("copying the data directory: {e}"))?;
    let opts = StoreOptions {
        durability: Durability::None,
        segment_bytes: 16 * 1024,
        retention_interval: None,
        clock: Clock::manual(Clock::System.now_ms() + 3_600_000),
        ..StoreOptions::default()
    };
    let result = (|| {
        let store =
            Store::open(&copy, opts).map_err(|e| format!("store copy failed to open: {e}"))?;
        let result = drain(&store, promises, contents);
        store.close().map_err(|e| e.to_string())?;
        result
    })();
    let _ = std::fs::remove_dir_all(&copy);
    result
}

fn drain(
    store: &Store,
    promises: &mut Promises,
    contents: &Contents,
) -> Result<QueueChecked, String> {
    let Some(queue) = queue_arn(store)? else {
        if promises.queue_acked.is_empty() {
            return Ok(QueueChecked::default());
        }
        return Err("the queue, with acknowledged records, is gone".into());
    };
    let mut drained: HashSet<QueueKey> = HashSet::new();
    let mut silent = Vec::new();
    loop {
        let got = store
            .try_receive_queue_records(&queue, 10, None)
            .map_err(|e| format!("drain: receive: {e}"))?;
        if got.is_empty() {
            break;
        }
        for r in &got {
            let seq = r.record.sequence_number;
            let key = (seq.shard_index(), seq.counter());
            if let Some(count) = promises.queue_acked.get(&key) {
                return Err(format!(
                    "queue record {key:?}, acknowledged at receive count {count}, delivered again \
                     after the restart (receive count {})",
                    r.receive_count
                ));
            }
            if !drained.insert(key) {
                return Err(format!(
                    "queue record {key:?} delivered twice in one drain, though never made visible again"
                ));
            }
            if let Some(&before) = promises.queue_top.get(&key) {
                if r.receive_count <= before {
                    return Err(format!(
                        "queue record {key:?} delivered with receive count {} after the restart, \
                         but a child saw count {before}",
                        r.receive_count
                    ));
                }
            }
            let held = contents
                .records
                .get(&(QUEUE_STREAM.to_string(), key.0, key.1));
            if held != Some(&hash(&r.record.data)) {
                return Err(format!(
                    "queue record {key:?} delivered with a payload the stream does not hold"
                ));
            }
        }
        let handles: Vec<&str> = got.iter().map(|r| r.receipt_handle.as_str()).collect();
        let out = store
            .acknowledge_queue_records(&queue, &handles)
            .map_err(|e| format!("drain: acknowledge: {e}"))?;
        if let Some(f) = out.failed.first() {
            return Err(format!(
                "drain: acknowledging a fresh delivery failed: {} {}",
                f.error_code, f.error_message
            ));
        }
    }
    for (stream, shard, counter) in contents.records.keys() {
        if stream != QUEUE_STREAM {
            continue;
        }
        let key = (*shard, *counter);
        if drained.contains(&key) || promises.queue_acked.contains_key(&key) {
            continue;
        }
        // Delivered to a child since the last check, which may have been acknowledging it when
        // it was killed: the acknowledgement committed, the `Q` line never printed. The drain proves it was
        // acknowledged, so from now on it is a promise like any other.
        if let Some(&count) = promises
            .queue_top
            .get(&key)
            .filter(|_| promises.queue_this_cycle.contains(&key))
        {
            silent.push((key, count));
        } else {
            return Err(format!(
                "queue record {key:?} held by the stream was neither acknowledged through the \
                 queue nor delivered by the drain: the queue lost it"
            ));
        }
    }
    let silent_acks = silent.len() as u64;
    promises.queue_acked.extend(silent);
    for key in promises.queue_acked.keys() {
        let held = contents
            .records
            .get(&(QUEUE_STREAM.to_string(), key.0, key.1));
        if held.is_none() {
            return Err(format!(
                "queue record {key:?}, acknowledged through the queue, is not in the stream"
            ));
        }
    }
    for (key, h) in &promises.queue_hashes {
        let held = contents
            .records
            .get(&(QUEUE_STREAM.to_string(), key.0, key.1));
        if held.is_some_and(|held| held != h) {
            return Err(format!(
                "queue record {key:?} was delivered to a child with a payload the stream does not hold"
            ));
        }
    }
    Ok(QueueChecked {
        drained: drained.len() as u64,
        acked: promises.queue_acked.len() as u64 - silent_acks,
        silent_acks,
    })
}

/// Where the queue check copies the data directory: in `/dev/shm` if there is one (the copy is
/// thrown away, and its syncs cost nothing there), else next to it.
fn copy_path(dir: &Path) -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.join(format!(
            "shardlog-crashtest-{}-queue-check",
            std::process::id()
        ));
    }
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".queue-check");
    dir.with_file_name(name)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn read_all(store: &Store) -> Result<Contents, String> {
    let mut contents = Contents {
        records: HashMap::new(),
        horizon: HashMap::new(),
        segments: HashMap::new(),
    };
    for stream in store.list_streams() {
        let d = store.describe_stream(&stream).map_err(|e| e.to_string())?;
        for shard in d.shards {
            let shard_key = (stream.clone(), shard.shard_id.0);
            let ids: Vec<u64> = store
                .segments_of(&stream, shard.shard_id)
                .map_err(|e| e.to_string())?
                .iter()
                .map(|s| s.id)
                .collect();
            if let (Some(&first), Some(&last)) = (ids.iter().min(), ids.iter().max()) {
                contents.segments.insert(shard_key.clone(), (first, last));
            }
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
                    contents.horizon.entry(shard_key.clone()).or_insert(c);
                    contents
                        .records
                        .insert((stream.clone(), shard.shard_id.0, c), hash(&r.data));
                }
                match got.next_shard_iterator {
                    Some(next) if !got.records.is_empty() => it = next,
                    _ => break,
                }
            }
        }
    }
    Ok(contents)
}

/// Opens the lease table as the next worker process would and checks it against the promises.
fn verify_leases(dir: &Path, promises: &Promises, contents: &Contents) -> Result<u64, String> {
    let storage = FsStorage::open(dir).map_err(|e| e.to_string())?;
    let db = Db::open(Arc::new(storage), LEASES)
        .map_err(|e| format!("lease table failed to open: {e}"))?;
    let table = LeaseTable::new(Arc::new(db), Default::default()).map_err(|e| e.to_string())?;
    let mut checked = 0;
    for ((stream, shard), &counter) in &promises.counters {
        let key = lease_key(stream, *shard);
        let lease = table
            .get(&key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("lease {key} with committed changes is gone"))?;
        if lease.counter < counter {
            return Err(format!(
                "lease {key} went back from counter {counter} to {}",
                lease.counter
            ));
        }
        // Counter fencing: each counter value has exactly one owner.
        if let Some(owner) = promises
            .owners
            .get(&(stream.clone(), *shard, lease.counter))
        {
            if lease.owner.as_deref() != Some(owner.as_str()) {
                return Err(format!(
                    "lease {key} at counter {} is held by {:?}, but that commit gave it to {owner}",
                    lease.counter, lease.owner
                ));
            }
        }
        checked += 1;
    }
    for (shard_key, best) in promises.best_checkpoints() {
        let key = lease_key(&shard_key.0, shard_key.1);
        let lease = table.get(&key).map_err(|e| e.to_string())?;
        let now = lease.as_ref().and_then(|l| checkpoint_seq(&l.checkpoint));
        if now.is_none_or(|now| now < best) {
            return Err(format!(
                "checkpoint of {key} went back from {best} to {now:?}"
            ));
        }
        checked += 1;
    }
    // Rule 25: whatever a checkpoint names, the store holds (or retention trimmed).
    for lease in table.list(APP).map_err(|e| e.to_string())? {
        let Checkpoint::SequenceNumber {
            sequence_number, ..
        } = &lease.checkpoint
        else {
            continue;
        };
        let seq: SequenceNumber = sequence_number
            .parse()
            .map_err(|e| format!("lease {} checkpoints {sequence_number:?}: {e}", lease.key))?;
        let (stream, shard) = (lease.key.stream.as_str(), seq.shard_index());
        let present = contents
            .records
            .contains_key(&(stream.to_string(), shard, seq.counter()));
        if !present && !contents.trimmed(stream, shard, seq.counter()) {
            return Err(format!(
                "lease {} checkpoints {seq}, which the store does not hold",
                lease.key
            ));
        }
        checked += 1;
    }
    Ok(checked)
}
