//! Writing: `put_record` and `put_records`, routed by hash key, shards written in parallel.

use crate::error::{Error, Result};
use crate::hashkey::{hash_key, parse_explicit, MAX_HASH_KEY};
use crate::names::{validate_partition_key, ShardId};
use crate::seqnum::SequenceNumber;
use crate::store::{Shard, Store, Stream, StreamState};
use shardlog_segment::Durability;
use shardlog_storage::MutexExt as _;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// Largest data blob of one record unless the stream allows more
/// ([`Store::update_max_record_size`]).
pub const MAX_RECORD_DATA: usize = 1 << 20;
/// Largest data blob any stream allows ([`MAX_RECORD_SIZE_KIB`](crate::MAX_RECORD_SIZE_KIB)'s end).
pub const MAX_RECORD_DATA_LIMIT: usize = 10 << 20;
/// Most entries in one `put_records` call.
pub const MAX_PUT_RECORDS: usize = 500;
/// Largest `put_records` request of several records: data plus partition keys.
pub const MAX_PUT_RECORDS_BYTES: usize = 5 << 20;

/// One record to write.
///
/// ```
/// use shardlog::PutEntry;
/// let e = PutEntry::new("user-1", b"click").with_explicit_hash_key("0");
/// assert_eq!(e.partition_key, "user-1");
/// assert_eq!(PutEntry::unkeyed(b"click").partition_key, "");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PutEntry<'a> {
    /// Partition key: 1 to 256 Unicode characters; its MD5 picks the shard. Empty for a record
    /// without one, which only a stream that places records itself accepts
    /// ([`StreamSettings::distributes_records`](crate::StreamSettings::distributes_records)).
    pub partition_key: &'a str,
    /// Data blob, at most 1 MiB.
    pub data: &'a [u8],
    /// A decimal hash key that overrides the partition key's hash for routing.
    pub explicit_hash_key: Option<&'a str>,
    /// `SequenceNumberForOrdering` of a PutRecord: shardlog's numbers always increase, so it only
    /// matters in that a stream placing records itself refuses it, as Kinesis does.
    pub ordering_after: Option<&'a str>,
}

impl<'a> PutEntry<'a> {
    /// An entry routed by its partition key.
    pub fn new(partition_key: &'a str, data: &'a [u8]) -> Self {
        PutEntry {
            partition_key,
            data,
            explicit_hash_key: None,
            ordering_after: None,
        }
    }

    /// An entry without a partition key, for a stream that places records itself.
    pub fn unkeyed(data: &'a [u8]) -> Self {
        PutEntry::new("", data)
    }

    /// Routes by an explicit hash key instead.
    pub fn with_explicit_hash_key(mut self, key: &'a str) -> Self {
        self.explicit_hash_key = Some(key);
        self
    }

    /// Carries PutRecord's `SequenceNumberForOrdering`.
    pub fn with_ordering_after(mut self, sequence_number: &'a str) -> Self {
        self.ordering_after = Some(sequence_number);
        self
    }

    fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }
}

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutResult {
    /// The shard that holds it.
    pub shard_id: ShardId,
    /// Its sequence number.
    pub sequence_number: SequenceNumber,
}

/// Why one entry of a `put_records` call failed (the call itself succeeded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutFailure {
    /// `ProvisionedThroughputExceededException` or `InternalFailure`.
    pub error_code: &'static str,
    /// What happened.
    pub error_message: String,
}

/// The result of `put_records`: one entry per request entry, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutRecordsOutput {
    /// Number of failed entries.
    pub failed_record_count: usize,
    /// Per-entry outcome.
    pub records: Vec<std::result::Result<PutResult, PutFailure>>,
}

impl Store {
    /// Writes one record.
    pub fn put_record(&self, stream: &str, entry: PutEntry<'_>) -> Result<PutResult> {
        let out = self.put(stream, &[entry], Call::PutRecord)?;
        match out.records.into_iter().next() {
            Some(Ok(r)) => Ok(r),
            Some(Err(f)) if f.error_code == "ProvisionedThroughputExceededException" => {
                Err(Error::ProvisionedThroughputExceeded(f.error_message))
            }
            Some(Err(f)) => Err(Error::Internal(f.error_message)),
            None => Err(Error::Internal("no outcome for the record".into())),
        }
    }

    /// Writes up to 500 records. The whole request is validated before anything is written; records
    /// for one shard get increasing sequence numbers in request order; shards are written in parallel
    /// and each shard's appends share syncs with concurrent callers.
    pub fn put_records(&self, stream: &str, entries: &[PutEntry<'_>]) -> Result<PutRecordsOutput> {
        self.put(stream, entries, Call::PutRecords)
    }

    fn put(&self, stream: &str, entries: &[PutEntry<'_>], call: Call) -> Result<PutRecordsOutput> {
        let explicit = validate(entries, call)?;
        // Held until every append returned: `close` waits for it.
        let _admitted = self.inner.life.admit()?;
        let stream = self.inner.stream(stream)?;
        self.check_created(&stream)?;
        let state = stream.read();
        let max = state.meta.settings.max_record_bytes();
        for (i, e) in entries.iter().enumerate() {
            check_size(i, e, max, call)?;
        }
        let targets = targets(&stream, &state, entries, &explicit, call, self.account_id())?;
        let groups = group_by_shard(&targets);
        let incarnation = stream.incarnation;
        let write = |(shard, idx): &(Arc<Shard>, Vec<usize>)| {
            self.write_group(&stream.name, incarnation, shard, idx, entries)
        };
        // Shards are written in parallel by a pool shared by every request (no thread is started
        // per request), each task taking a run of shards one after the other. Under `Sync` the work
        // is mostly waiting for each shard's fdatasync, so the pool is sized for concurrent flushes
        // rather than cores. Otherwise an append is CPU work: a pool of one thread per core, since
        // idle pool threads spin (`sched_yield`) before they sleep, and 32 of them took the
        // cores from the writers of a request that lands on 500 shards.
        let pool = write_pool(self.inner.opts.durability);
        let outcomes: Vec<_> = match groups.split_first() {
            None => Vec::new(),
            Some((first, [])) => vec![write(first)],
            Some((_, _)) => {
                // A writer that panics is caught here, so the scope returns and its slot stays
                // empty.
                let guarded = |g| std::panic::catch_unwind(AssertUnwindSafe(|| write(g))).ok();
                let mut slots: Vec<Option<Vec<_>>> = groups.iter().map(|_| None).collect();
                match pool {
                    Some(pool) => {
                        let run = groups.len().div_ceil(pool.current_num_threads().max(1));
                        pool.scope(|scope| {
                            for (slots, gs) in slots.chunks_mut(run).zip(groups.chunks(run)) {
                                scope.spawn(move |_| {
                                    for (slot, g) in slots.iter_mut().zip(gs) {
                                        *slot = guarded(g);
                                    }
                                });
                            }
                        })
                    }
                    None => {
                        for (slot, g) in slots.iter_mut().zip(&groups) {
                            *slot = guarded(g);
                        }
                    }
                }
                // A writer that panicked leaves its slot empty: its entries are reported failed,
                // never lost track of.
                slots
                    .into_iter()
                    .zip(&groups)
                    .map(|(slot, g)| {
                        slot.unwrap_or_else(|| {
                            g.1.iter()
                                .map(|&i| (i, Err(internal("Internal Service Failure"))))
                                .collect()
                        })
                    })
                    .collect()
            }
        };
        let on_demand = state.meta.mode == crate::catalog::StreamMode::OnDemand;
        drop(state);
        if on_demand {
            self.split_hot_shards(&stream.name, &groups, entries);
        }
        let mut records: Vec<_> = (0..entries.len()).map(|_| None).collect();
        for outcome in outcomes {
            for (i, result) in outcome {
                records[i] = Some(result);
            }
        }
        let records: Vec<_> = records
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(internal("entry was not written"))))
            .collect();
        let failed_record_count = records.iter().filter(|r| r.is_err()).count();
        Ok(PutRecordsOutput {
            failed_record_count,
            records,
        })
    }

    /// Appends one shard's entries (after the throttle) and returns each entry's outcome.
    fn write_group(
        &self,
        stream: &str,
        incarnation: u32,
        shard: &Shard,
        idx: &[usize],
        entries: &[PutEntry<'_>],
    ) -> Vec<(usize, std::result::Result<PutResult, PutFailure>)> {
        let (admitted, throttled) = self.admit_writes(shard, idx, entries);
        let mut out: Vec<_> = throttled
            .into_iter()
            .map(|i| {
                let msg = format!(
                    "Rate exceeded for shard {} in stream {stream} under account {}.",
                    ShardId(shard.index),
                    self.account_id()
                );
                (
                    i,
                    Err(PutFailure {
                        error_code: "ProvisionedThroughputExceededException",
                        error_message: msg,
                    }),
                )
            })
            .collect();
        if admitted.is_empty() {
            return out;
        }
        let batch: Vec<(&[u8], &[u8])> = admitted
            .iter()
            .map(|&i| (entries[i].partition_key.as_bytes(), entries[i].data))
            .collect();
        match shard.log.append_batch(&batch) {
            Ok(range) => {
                let bytes = admitted.iter().map(|&i| entries[i].size() as u64).sum();
                shard.stats.record_in(admitted.len() as u64, bytes);
                shard.notify();
                out.extend(admitted.iter().zip(range).map(|(&i, counter)| {
                    let result = PutResult {
                        shard_id: ShardId(shard.index),
                        sequence_number: SequenceNumber::new(incarnation, shard.index, counter),
                    };
                    (i, Ok(result))
                }));
            }
            Err(e) => {
                // Kinesis says only "Internal Service Failure"; the cause (a full disk, a failed
                // sync, a poisoned shard) is what an operator needs, so it goes along.
                let message = format!("Internal Service Failure: {e}");
                out.extend(admitted.iter().map(|&i| (i, Err(internal(&message)))));
            }
        }
        out
    }

    /// Feeds each written shard's rate meter; a shard that stayed hot is split on the writer pool,
    /// beside the write path, so a put never waits for a reshard and its catalog sync.
    fn split_hot_shards(
        &self,
        stream: &str,
        groups: &[(Arc<Shard>, Vec<usize>)],
        entries: &[PutEntry<'_>],
    ) {
        let now = self.inner.now_ms();
        for (shard, idx) in groups {
            let bytes = idx.iter().map(|&i| entries[i].size() as u64).sum();
            if !shard.hot.locked().observe(now, idx.len() as u64, bytes) {
                continue;
            }
            let (store, stream, id) = (self.clone(), stream.to_string(), ShardId(shard.index));
            let split = move || {
                // Best effort: the store may be closing (`close` waits for this admission), or a
                // concurrent reshard may have closed the shard already.
                if let Ok(_admitted) = store.inner.life.admit() {
                    let _ = store.split_hot(&stream, id);
                }
            };
            // A split syncs the catalog and the children's first segments: the pool sized for syncs.
            match write_pool(Durability::Sync) {
                Some(pool) => pool.spawn(split),
                None => split(),
            }
        }
    }

    /// Splits a shard's entries into admitted and throttled, in request order.
    fn admit_writes(
        &self,
        shard: &Shard,
        idx: &[usize],
        entries: &[PutEntry<'_>],
    ) -> (Vec<usize>, Vec<usize>) {
        let Some(limiter) = &shard.limiter else {
            return (idx.to_vec(), Vec::new());
        };
        let now = self.inner.now_ms();
        let mut limiter = limiter.locked();
        let (ok, throttled): (Vec<usize>, Vec<usize>) = idx
            .iter()
            .partition(|&&i| limiter.try_write(entries[i].size() as u64, now));
        shard.stats.write_throttled(throttled.len() as u64);
        (ok, throttled)
    }
}

/// A request's entries grouped by the shard they go to: shards in index order, each with its entry
/// indexes in request order (the sort is stable). Sorting keeps this O(n log n) for a request that
/// spreads over hundreds of shards.
fn group_by_shard(targets: &[&Arc<Shard>]) -> Vec<(Arc<Shard>, Vec<usize>)> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| targets[i].index);
    let mut groups: Vec<(Arc<Shard>, Vec<usize>)> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some((shard, idx)) if shard.index == targets[i].index => idx.push(i),
            _ => groups.push((Arc::clone(targets[i]), vec![i])),
        }
    }
    groups
}

fn internal(message: &str) -> PutFailure {
    PutFailure {
        error_code: "InternalFailure",
        error_message: message.to_string(),
    }
}

/// Threads that write the shards of multi-shard puts under `Sync`: enough for the device's
/// concurrent flushes (16 threads measured ~3x one thread's sync throughput here), not tied to the
/// core count.
const SYNC_WRITE_THREADS: usize = 32;

/// The process's pool of shard writers for `durability`, started on first use: one sized for
/// concurrent flushes under `Sync`, one thread per core otherwise. `None` if its threads could not
/// be started (then the caller writes the shards one after the other).
pub(crate) fn write_pool(durability: Durability) -> Option<&'static rayon::ThreadPool> {
    static SYNC: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    static CPU: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let (pool, threads, name) = match durability {
        Durability::Sync => (&SYNC, SYNC_WRITE_THREADS, "shardlog-write"),
        _ => (&CPU, 0, "shardlog-put"),
    };
    pool.get_or_init(|| {
        // 0 threads: rayon's default, one per core.
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("{name}-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs `work` on the pool sized for concurrent flushes (its rayon calls use that pool's 32
/// threads), or here if that pool could not be started: for work that is mostly waiting for syncs,
/// such as creating or closing thousands of shards.
pub(crate) fn on_flush_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match write_pool(Durability::Sync) {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// The call a put came as: it names the members in messages (`data` of a PutRecord,
/// `records.2.member.data` of a PutRecords).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    PutRecord,
    PutRecords,
}

impl Call {
    fn path(self, i: usize, member: &str) -> String {
        match self {
            Call::PutRecord => member.to_string(),
            Call::PutRecords => format!("records.{}.member.{member}", i + 1),
        }
    }
}

/// Refuses entry `i` if its data is longer than `max` bytes.
fn check_size(i: usize, e: &PutEntry<'_>, max: usize, call: Call) -> Result<()> {
    if e.data.len() > max {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]' at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}",
            call.path(i, "data"),
            n = e.data.len()
        )));
    }
    Ok(())
}

/// Checks every entry and the request as a whole; returns each entry's explicit hash key, parsed.
fn validate(entries: &[PutEntry<'_>], call: Call) -> Result<Vec<Option<u128>>> {
    if entries.is_empty() || entries.len() > MAX_PUT_RECORDS {
        let bound = if entries.is_empty() {
            "greater than or equal to 1"
        } else {
            "less than or equal to 500"
        };
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '[...]' at 'records' failed to satisfy constraint: Member must have length {bound}"
        )));
    }
    for (i, e) in entries.iter().enumerate() {
        if !e.partition_key.is_empty() {
            validate_partition_key(e.partition_key, || call.path(i, "partitionKey"))?;
        }
        check_size(i, e, MAX_RECORD_DATA_LIMIT, call)?;
    }
    // The request limit bounds several records together; one record is bounded by its stream's
    // largest record (up to 10 MiB), checked once the stream is known.
    let total: usize = entries.iter().map(PutEntry::size).sum();
    if entries.len() > 1 && total > MAX_PUT_RECORDS_BYTES {
        return Err(Error::InvalidArgument(
            "Records size exceeds 5 MB limit".into(),
        ));
    }
    entries
        .iter()
        .map(|e| e.explicit_hash_key.map(parse_explicit).transpose())
        .collect()
}

/// The shard each entry goes to: by hash key, or, on a stream that places records itself, round
/// robin over the open shards (keys and hash keys ignored, as Kinesis's `AUTO` does).
fn targets<'s>(
    stream: &Stream,
    state: &'s StreamState,
    entries: &[PutEntry<'_>],
    explicit: &[Option<u128>],
    call: Call,
    account: &str,
) -> Result<Vec<&'s Arc<Shard>>> {
    let on_demand = state.meta.mode == crate::catalog::StreamMode::OnDemand;
    if on_demand && state.meta.settings.distributes_records() {
        if entries.iter().any(|e| e.ordering_after.is_some()) {
            return Err(Error::InvalidArgument(format!(
                "SequenceNumberForOrdering is not supported for stream {} under account {account}: its RecordDistributionStrategy is AUTO.",
                stream.name
            )));
        }
        let n = state.routes.len();
        if n == 0 {
            return Err(Error::InvalidArgument(
                "the stream has no open shard".into(),
            ));
        }
        let first = stream
            .spread
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        return Ok((0..entries.len() as u64)
            .map(|i| &state.routes[((first + i) % n as u64) as usize].2)
            .collect());
    }
    // One open shard covering every hash key takes every record: the MD5 of the partition keys
    // would not change where any goes, so it is not computed.
    let only = match state.routes.as_slice() {
        [(0, MAX_HASH_KEY, only)] => Some(only),
        _ => None,
    };
    entries
        .iter()
        .zip(explicit)
        .enumerate()
        .map(|(i, (e, explicit))| {
            let hash = match (explicit, e.partition_key, only) {
                (None, "", _) => {
                    return Err(Error::Validation(format!(
                        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                        call.path(i, "partitionKey")
                    )))
                }
                (_, _, Some(only)) => return Ok(only),
                (Some(hash), _, None) => *hash,
                (None, key, None) => hash_key(key),
            };
            state
                .route(hash)
                .ok_or_else(|| Error::InvalidArgument("no open shard covers the hash key".into()))
        })
        .collect()
}
