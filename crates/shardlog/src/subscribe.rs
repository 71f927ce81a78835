//! Push subscriptions (enhanced fan-out, in process).
//!
//! A subscription reads the shard's log from its own cursor and sleeps on the shard's signal when it
//! has caught up, so any number of subscribers share one copy of the data, and a slow subscriber
//! costs no memory: it simply reads older segments. If retention removes records it has not read,
//! the next call reports [`Error::FellBehind`] and the subscription continues at the oldest record.

use crate::error::{Error, Result};
use crate::get::{children_of, millis_behind, read_records, ChildShard, Record, StartingPosition};
use crate::names::ShardId;
use crate::seqnum::SequenceNumber;
use crate::store::{Shard, Store, Stream};
use shardlog_storage::MutexExt as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most records delivered in one event.
const EVENT_RECORDS: usize = 10_000;
/// Most bytes delivered in one event.
const EVENT_BYTES: usize = 2 << 20;

/// One delivery to a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionEvent {
    /// New records, possibly none (a heartbeat after the wait timed out).
    pub records: Vec<Record>,
    /// Where to resume (for example after a restart): continue after this position. `None` at the end
    /// of a closed shard.
    pub continuation_sequence_number: Option<SequenceNumber>,
    /// How far behind the tip the subscriber is, in ms.
    pub millis_behind_latest: u64,
    /// Set once at the end of a closed shard.
    pub child_shards: Vec<ChildShard>,
}

/// A push subscription to one shard.
///
/// ```
/// use shardlog::{PutEntry, StartingPosition, Store, StoreOptions};
/// use std::time::Duration;
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
/// store.create_stream("s", 1).unwrap();
/// let put = store.put_record("s", PutEntry::new("k", b"hello")).unwrap();
/// let mut sub = store.subscribe("s", put.shard_id, StartingPosition::TrimHorizon).unwrap();
/// let event = sub.next_event(Duration::from_secs(1)).unwrap();
/// assert_eq!(event.records[0].data, b"hello"[..]);
/// ```
#[derive(Debug)]
pub struct Subscription {
    stream: Arc<Stream>,
    shard: Arc<Shard>,
    cursor: u64,
    end: Option<u64>,
    finished: bool,
    /// The store's clock, for `millis_behind_latest`.
    clock: shardlog_segment::Clock,
}

impl Store {
    /// Subscribes to a shard from a starting position.
    pub fn subscribe(
        &self,
        stream: &str,
        shard: ShardId,
        position: StartingPosition,
    ) -> Result<Subscription> {
        let s = self.inner.stream(stream)?;
        self.check_created(&s)?;
        let (handle, end) = {
            let state = s.read();
            let (meta, handle) = state.shard(shard, stream, self.account_id())?;
            (handle.clone(), meta.closed.map(|c| c.end_counter))
        };
        let cursor = self.resolve(&s, &handle, shard, position)?;
        Ok(Subscription {
            stream: s,
            shard: handle,
            cursor,
            end,
            finished: false,
            clock: self.inner.opts.clock.clone(),
        })
    }
}

impl Subscription {
    /// Waits up to `timeout` for records and delivers what is committed (possibly nothing).
    pub fn next_event(&mut self, timeout: Duration) -> Result<SubscriptionEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let start = self.shard.log.start_seq();
            if self.cursor < start {
                let wanted = self.position(self.cursor);
                self.cursor = start;
                return Err(Error::FellBehind {
                    wanted: wanted.to_string(),
                    start: self.position(start).to_string(),
                });
            }
            let generation = *self.shard.signal.0.locked();
            let event = self.poll()?;
            if !event.records.is_empty() || self.finished || Instant::now() >= deadline {
                return Ok(event);
            }
            self.wait(generation, deadline);
        }
    }

    /// True after the event that reported the end of a closed shard.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn position(&self, counter: u64) -> SequenceNumber {
        SequenceNumber::new(self.stream.incarnation, self.shard.index, counter)
    }

    fn poll(&mut self) -> Result<SubscriptionEvent> {
        if self.end.is_none() {
            // A reshard may have closed the shard since the last poll.
            let state = self.stream.read();
            self.end = state
                .meta
                .shard(self.shard.index)
                .and_then(|m| m.closed)
                .map(|c| c.end_counter);
        }
        let limit_end = self.end.unwrap_or(u64::MAX);
        let (records, read_next) = read_records(
            &self.shard,
            self.stream.incarnation,
            self.cursor,
            (EVENT_RECORDS, EVENT_BYTES),
            limit_end,
        )?;
        if let Some(last) = records.last() {
            self.cursor = last.sequence_number.counter() + 1;
        } else {
            self.cursor = self.cursor.max(read_next.min(limit_end));
        }
        let now = self.clock.now_ms();
        let behind = millis_behind(&self.shard, self.cursor, now);
        let bytes: usize = records
            .iter()
            .map(|r| r.data.len() + r.partition_key.len())
            .sum();
        self.shard
            .stats
            .record_out(records.len() as u64, bytes as u64, behind);
        let at_end = self
            .end
            .is_some_and(|end| self.cursor >= end || self.cursor >= self.shard.log.next_seq());
        let (continuation, child_shards) = if at_end {
            self.finished = true;
            (
                None,
                children_of(&self.stream.read().meta, self.shard.index),
            )
        } else {
            // Just below the next record to deliver: resuming after it neither skips nor repeats.
            let below_cursor =
                SequenceNumber::before(self.stream.incarnation, self.shard.index, self.cursor);
            (Some(below_cursor), Vec::new())
        };
        Ok(SubscriptionEvent {
            records,
            continuation_sequence_number: continuation,
            millis_behind_latest: behind,
            child_shards,
        })
    }

    /// Sleeps until the shard's signal moves past `generation` or the deadline passes.
    fn wait(&self, generation: u64, deadline: Instant) {
        let (lock, cv) = &self.shard.signal;
        let mut current = lock.locked();
        while *current == generation {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            // Registered and unregistered under the mutex: see `Shard::notify`.
            self.shard.waiters.fetch_add(1, Ordering::Relaxed);
            current = cv
                .wait_timeout(current, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            self.shard.waiters.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
