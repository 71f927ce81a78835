//! Reading: shard iterators and `get_records`.

use crate::error::{Error, Result};
use crate::iterator::{Token, ITERATOR_TTL_MS};
use crate::names::{shard_not_found, ShardId};
use crate::seqnum::SequenceNumber;
use crate::store::{Shard, Store, Stream};
use bytes::Bytes;
use bytestring::ByteString;
use shardlog_segment::{Position, SharedRecord};
use shardlog_storage::MutexExt as _;

/// Most records one `get_records` call returns.
pub const MAX_GET_RECORDS: usize = 10_000;
/// Most bytes one `get_records` call returns.
pub const MAX_GET_BYTES: usize = 10 << 20;

/// Where an iterator or a subscription starts (the Kinesis iterator types).
///
/// ```
/// use shardlog::StartingPosition;
/// let p = StartingPosition::AtTimestamp(1_700_000_000_000);
/// assert_ne!(p, StartingPosition::Latest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record still stored (`TRIM_HORIZON`).
    TrimHorizon,
    /// Just after the newest record (`LATEST`).
    Latest,
    /// At this record, or the next one (`AT_SEQUENCE_NUMBER`).
    AtSequenceNumber(SequenceNumber),
    /// Just after this record (`AFTER_SEQUENCE_NUMBER`).
    AfterSequenceNumber(SequenceNumber),
    /// The first record that arrived at or after this time, ms since the epoch (`AT_TIMESTAMP`).
    AtTimestamp(u64),
}

/// A record as readers get it. Its key and data share the memory of the segment they were read
/// from (or of one buffer per read): reading allocates nothing per record, and holding a record keeps
/// that memory, not a copy.
///
/// ```
/// # use shardlog::{SequenceNumber, Record};
/// let r = Record {
///     sequence_number: SequenceNumber::new(1, 0, 7),
///     partition_key: "user-1".into(),
///     data: bytes::Bytes::from_static(b"click"),
///     approximate_arrival_timestamp_ms: 1_700_000_000_000,
/// };
/// assert_eq!((&*r.partition_key, &r.data[..]), ("user-1", &b"click"[..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Sequence number.
    pub sequence_number: SequenceNumber,
    /// Partition key; empty for a record written without one (a stream that places records
    /// itself, `AUTO`).
    pub partition_key: ByteString,
    /// Data blob.
    pub data: Bytes,
    /// Arrival time, ms since the epoch.
    pub approximate_arrival_timestamp_ms: u64,
}

/// A child of a closed shard, reported when a reader reaches the parent's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildShard {
    /// The child.
    pub shard_id: ShardId,
    /// Its parents (one for a split, two for a merge).
    pub parent_shards: Vec<ShardId>,
    /// Its hash-key range, inclusive.
    pub hash_key_range: (u128, u128),
}

/// What `get_records` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRecordsOutput {
    /// Records in sequence order.
    pub records: Vec<Record>,
    /// Where to continue; `None` at the end of a closed shard.
    pub next_shard_iterator: Option<String>,
    /// How far the response is behind the tip of the shard, in ms; 0 when caught up.
    pub millis_behind_latest: u64,
    /// Set at the end of a closed shard.
    pub child_shards: Vec<ChildShard>,
    /// The stream has a KMS key (`StartStreamEncryption`): Kinesis reports its records with
    /// `EncryptionType` `KMS`. shardlog reports it from the stream's current setting (it keeps no
    /// per-record flag) and does not encrypt the files.
    pub kms_encrypted: bool,
}

impl Store {
    /// Returns an iterator token for a shard at a starting position.
    pub fn get_shard_iterator(
        &self,
        stream: &str,
        shard: ShardId,
        position: StartingPosition,
    ) -> Result<String> {
        let s = self.inner.stream(stream)?;
        self.check_created(&s)?;
        let (counter, end) = {
            let state = s.read();
            let (meta, handle) = state.shard(shard, stream, self.account_id())?;
            let end = meta.closed.map(|c| c.end_counter);
            (self.resolve(&s, handle, shard, position)?, end)
        };
        let counter = end.map_or(counter, |end| counter.min(end));
        Ok(self.token(&s, shard.0, counter))
    }

    fn token(&self, stream: &Stream, shard: u32, counter: u64) -> String {
        Token {
            stream: stream.name.clone(),
            incarnation: stream.incarnation,
            shard,
            counter,
            created_ms: self.inner.now_ms(),
        }
        .encode(&self.inner.secret)
    }

    /// Resolves a starting position to a counter in the shard's log.
    pub(crate) fn resolve(
        &self,
        stream: &Stream,
        shard: &Shard,
        id: ShardId,
        position: StartingPosition,
    ) -> Result<u64> {
        let check = |seq: SequenceNumber| -> Result<SequenceNumber> {
            if seq.incarnation() != stream.incarnation {
                return Err(Error::InvalidArgument(format!(
                    "StartingSequenceNumber {seq} used in GetShardIterator on shard {id} in stream {} under account {} is invalid because it did not come from this stream.",
                    stream.name,
                    self.account_id()
                )));
            }
            if seq.shard_index() != id.0 {
                return Err(Error::InvalidArgument(format!(
                    "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {id}",
                    ShardId(seq.shard_index())
                )));
            }
            Ok(seq)
        };
        let pos = match position {
            StartingPosition::TrimHorizon => Position::Oldest,
            StartingPosition::Latest => Position::Latest,
            StartingPosition::AtSequenceNumber(s) => Position::AtSeq(check(s)?.counter()),
            StartingPosition::AfterSequenceNumber(s) => Position::AtSeq(check(s)?.next_counter()),
            StartingPosition::AtTimestamp(ts) => {
                let now = self.inner.now_ms();
                if ts > now {
                    return Err(Error::InvalidArgument(format!(
                        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {ts}, currentTimestampInMillis: {now}"
                    )));
                }
                Position::AtTimestamp(ts)
            }
        };
        Ok(shard.log.seek(pos)?)
    }

    /// Reads up to `limit` records (1..=10,000, at most 10 MiB) at an iterator.
    pub fn get_records(&self, iterator: &str, limit: usize) -> Result<GetRecordsOutput> {
        if !(1..=MAX_GET_RECORDS).contains(&limit) {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MAX_GET_RECORDS}"
            )));
        }
        let token = Token::decode(iterator, &self.inner.secret)?;
        let now = self.inner.now_ms();
        if now.saturating_sub(token.created_ms) > ITERATOR_TTL_MS {
            return Err(Error::ExpiredIterator(format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
                token.created_ms, now
            )));
        }
        let stream = self
            .inner
            .stream(&token.stream)
            .ok()
            .filter(|s| s.incarnation == token.incarnation);
        let stream = stream.ok_or_else(|| {
            shard_not_found(ShardId(token.shard), &token.stream, self.account_id())
        })?;
        let (shard, end, children, kms_encrypted) = {
            let state = stream.read();
            let (meta, shard) =
                state.shard(ShardId(token.shard), &stream.name, self.account_id())?;
            let children = children_of(&state.meta, token.shard);
            let kms = state.meta.settings.kms_key_id.is_some();
            (
                shard.clone(),
                meta.closed.map(|c| c.end_counter),
                children,
                kms,
            )
        };
        self.throttle_read(&stream, &shard)?;
        let limit_end = end.unwrap_or(u64::MAX);
        let (records, read_next) = read_records(
            &shard,
            stream.incarnation,
            token.counter,
            (limit, MAX_GET_BYTES),
            limit_end,
        )?;
        let next = records.last().map_or(read_next.max(token.counter), |r| {
            r.sequence_number.counter() + 1
        });
        let behind = millis_behind(&shard, next, now);
        let bytes: usize = records
            .iter()
            .map(|r| r.data.len() + r.partition_key.len())
            .sum();
        shard
            .stats
            .record_out(records.len() as u64, bytes as u64, behind);
        if let Some(limiter) = &shard.limiter {
            limiter.locked().charge_read(bytes as u64);
        }
        let at_end = end.is_some_and(|end| next >= end || next >= shard.log.next_seq());
        let (next_shard_iterator, child_shards) = if at_end {
            (None, children)
        } else {
            (Some(self.token(&stream, token.shard, next)), Vec::new())
        };
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator,
            millis_behind_latest: behind,
            child_shards,
            kms_encrypted,
        })
    }

    fn throttle_read(&self, stream: &Stream, shard: &Shard) -> Result<()> {
        let Some(limiter) = &shard.limiter else {
            return Ok(());
        };
        let now = self.inner.now_ms();
        if limiter.locked().try_read_call(now) {
            return Ok(());
        }
        shard.stats.read_throttled();
        Err(Error::ProvisionedThroughputExceeded(format!(
            "Rate exceeded for shard {} in stream {} under account {}.",
            ShardId(shard.index),
            stream.name,
            self.account_id()
        )))
    }
}

/// Reads up to `limits` (records, bytes) of a shard's records from `from`, stopping at `limit_end`
/// (a closed shard's end). Each record is made while its frame is still in the CPU's cache. Returns
/// the records and where the log's read stopped.
pub(crate) fn read_records(
    shard: &Shard,
    incarnation: u32,
    from: u64,
    (max_records, max_bytes): (usize, usize),
    limit_end: u64,
) -> Result<(Vec<Record>, u64)> {
    let (mut records, next) = shard
        .log
        .read_with(from, max_records, max_bytes, |r| Record {
            sequence_number: SequenceNumber::new(incarnation, shard.index, r.record.seq),
            partition_key: key_text(&r),
            data: r.share(r.record.data),
            approximate_arrival_timestamp_ms: r.record.timestamp_ms,
        })?;
    let below_end = records.partition_point(|r| r.sequence_number.counter() < limit_end);
    records.truncate(below_end);
    Ok((records, next))
}

/// A record's key as text, sharing its bytes. Keys were written from `&str`; the copying, lossy
/// path only runs on damaged-but-checksummed data.
fn key_text(r: &SharedRecord<'_>) -> ByteString {
    let key = r.record.key;
    ByteString::try_from(r.share(key))
        .unwrap_or_else(|_| String::from_utf8_lossy(key).into_owned().into())
}

/// Milliseconds between now and the arrival of the first record not yet returned; 0 when caught up.
pub(crate) fn millis_behind(shard: &Shard, next: u64, now: u64) -> u64 {
    if next >= shard.log.next_seq() {
        return 0;
    }
    match shard.log.read(next, 1, 0) {
        Ok(b) => b
            .records
            .first()
            .map_or(0, |r| now.saturating_sub(r.timestamp_ms)),
        Err(_) => 0,
    }
}

pub(crate) fn children_of(meta: &crate::catalog::StreamMeta, index: u32) -> Vec<ChildShard> {
    meta.children_of(index)
        .map(|c| ChildShard {
            shard_id: ShardId(c.index),
            parent_shards: c
                .parent
                .into_iter()
                .chain(c.adjacent_parent)
                .map(ShardId)
                .collect(),
            hash_key_range: (c.start_hash, c.end_hash),
        })
        .collect()
}
