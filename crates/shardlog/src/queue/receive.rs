//! Receiving: the visible records of a queue (or of its dead letters), spread over its shards.
//!
//! A receive first brings the state up to the stream: records retention dropped leave it (the
//! cursor moves up to the shard's start, entries below it go), and shards retention removed leave
//! with their state. Then it takes, round robin from a turn that moves each call, at most an even
//! share of the limit from each shard that may deliver, and fills what is left from any of them.
//! A shard may deliver once every parent is finished: closed, delivered to its end, and nothing in
//! flight (dead letters do not hold children back). Within a shard, records whose visibility
//! expired come first, then records never delivered, from the cursor. An expired record already
//! received `MaxReceiveCount` times becomes a dead letter instead of being delivered.

use super::handle::Handle;
use super::state::{Entry, Op, ShardDelivery};
use super::{
    Delivery, Live, QueueMeta, QueueRecord, ReceiveQueueRecords, MAX_QUEUE_BATCH, MAX_WAIT_TIME,
};
use crate::catalog::ShardMeta;
use crate::error::{Error, Result};
use crate::get::{read_records, Record, MAX_GET_BYTES};
use crate::store::{Shard, Store, Stream};
use shardlog_storage::MutexExt as _;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a waiting receive looks for new records in the stream (a call that makes records
/// visible wakes it at once).
const POLL: Duration = Duration::from_millis(20);

/// A shard as a receive sees it.
struct ShardView {
    index: u32,
    shard: Arc<Shard>,
    parents: Vec<u32>,
    /// The counter past the last record of a closed shard.
    end: Option<u64>,
}

impl Store {
    /// Receives up to `limit` (1–10) visible records of a queue, waiting up to `wait` (at most 20 s)
    /// for one to become visible (`ReceiveQueueRecords`). Each record is in flight for the queue's
    /// visibility timeout; acknowledge it with
    /// [`acknowledge_queue_records`](Store::acknowledge_queue_records). The new delivery state is
    /// committed before this returns.
    ///
    /// ```
    /// use shardlog::{CreateQueue, CreateStream, PutEntry, QueueStartingPosition, Store, StreamMode};
    /// use std::time::Duration;
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), Default::default())?;
    /// store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s").starting_at(QueueStartingPosition::TrimHorizon))?;
    /// store.put_record("s", PutEntry::new("k", b"one"))?;
    /// let got = store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// assert_eq!((got.len(), got[0].receive_count), (1, 1));
    /// // In flight: invisible to the next receive.
    /// assert!(store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_queue_records(
        &self,
        queue: &str,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<QueueRecord>> {
        let req = ReceiveQueueRecords {
            limit,
            wait,
            ..ReceiveQueueRecords::default()
        };
        self.receive_queue_records_with(queue, req)
    }

    /// [`receive_queue_records`](Store::receive_queue_records) with every request member,
    /// including a visibility timeout for these records only.
    pub fn receive_queue_records_with(
        &self,
        queue: &str,
        req: ReceiveQueueRecords,
    ) -> Result<Vec<QueueRecord>> {
        self.receive_waiting(queue, req, false)
    }

    /// Receives what is visible now without waiting (the non-blocking form a server's long poll
    /// calls again when it is woken).
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s"))?;
    /// assert!(store.try_receive_queue_records(&q.queue_arn, 10, Some(60))?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_receive_queue_records(
        &self,
        queue: &str,
        limit: usize,
        visibility_timeout_seconds: Option<u32>,
    ) -> Result<Vec<QueueRecord>> {
        let req = ReceiveQueueRecords {
            limit,
            wait: Duration::ZERO,
            visibility_timeout_seconds,
        };
        self.receive_waiting(queue, req, false)
    }

    /// Commits of queue delivery state to the checkpoint file so far (concurrent calls share
    /// commits, so this grows slower than the calls under load).
    #[doc(hidden)]
    pub fn queue_state_commits(&self) -> u64 {
        self.inner.queues.commits()
    }

    pub(super) fn receive_waiting(
        &self,
        queue: &str,
        req: ReceiveQueueRecords,
        dead: bool,
    ) -> Result<Vec<QueueRecord>> {
        if !(1..=MAX_QUEUE_BATCH).contains(&req.limit) {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{}' at 'limit' failed to satisfy constraint: Member must have value between 1 and {MAX_QUEUE_BATCH}",
                req.limit
            )));
        }
        if req.wait > MAX_WAIT_TIME {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{}' at 'waitTimeSeconds' failed to satisfy constraint: Member must have value less than or equal to {}",
                req.wait.as_secs(),
                MAX_WAIT_TIME.as_secs()
            )));
        }
        if let Some(v) = req.visibility_timeout_seconds {
            super::control::check_visibility(v, "visibilityTimeoutSeconds")?;
        }
        let deadline = Instant::now() + req.wait;
        loop {
            let (stream, meta) = self.find_queue(queue)?;
            let live = self.live_queue(&meta)?;
            // A queue delivers nothing until it is ACTIVE (it is CREATING only with a state delay).
            let got = match self.queue_status(&meta) {
                super::QueueStatus::Creating => Vec::new(),
                _ => self.take(&stream, &meta, &live, req, dead)?,
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if !got.is_empty() || left.is_zero() {
                return Ok(got);
            }
            let guard = live.delivery.locked();
            drop(
                live.changed
                    .wait_timeout(guard, left.min(POLL))
                    .unwrap_or_else(|e| e.into_inner()),
            );
        }
    }

    /// One receive: changes the state in memory, then waits for its commit.
    fn take(
        &self,
        stream: &Stream,
        meta: &QueueMeta,
        live: &Live,
        req: ReceiveQueueRecords,
        dead: bool,
    ) -> Result<Vec<QueueRecord>> {
        let views = shard_views(stream);
        let now = self.inner.now_ms();
        let visibility_ms = u64::from(
            req.visibility_timeout_seconds
                .unwrap_or(meta.visibility_timeout_s),
        ) * 1000;
        let mut ops = Vec::new();
        let mut out = Vec::new();
        let mut taken = BTreeSet::new();
        let ticket = {
            let mut d = live.delivery.locked();
            if d.gone {
                return Err(self.queue_not_found(&meta.id));
            }
            prune(&mut d, meta, live, &views, &mut ops);
            let mut order: Vec<&ShardView> = views
                .iter()
                .filter(|v| {
                    if dead {
                        d.shards.get(&v.index).is_some_and(|s| !s.dead.is_empty())
                    } else {
                        v.parents.iter().all(|p| finished(&d, meta, &views, *p))
                    }
                })
                .collect();
            if !order.is_empty() {
                let turn = d.turn % order.len();
                order.rotate_left(turn);
                d.turn = d.turn.wrapping_add(1);
                let share = (req.limit / order.len()).max(1);
                let in_flight: usize = d.shards.values().map(|s| s.in_flight.len()).sum();
                let mut room_in_flight = self
                    .inner
                    .opts
                    .max_in_flight_per_queue
                    .saturating_sub(in_flight);
                for pass in 0..2 {
                    for view in &order {
                        let room = req.limit - out.len();
                        if room == 0 {
                            break;
                        }
                        let room = if pass == 0 { room.min(share) } else { room };
                        let mut t = Take {
                            meta,
                            live,
                            incarnation: stream.incarnation,
                            view,
                            now,
                            visibility_ms,
                            secret: &self.inner.secret,
                            ops: &mut ops,
                            out: &mut out,
                            taken: &mut taken,
                            room_in_flight: &mut room_in_flight,
                            sync_first: !matches!(
                                self.inner.opts.durability,
                                shardlog_segment::Durability::Sync
                            ),
                        };
                        let sd = shard_mut(&mut d, meta, view.index);
                        if dead {
                            t.dead_letters(sd, room)?;
                        } else {
                            t.records(sd, room)?;
                        }
                    }
                }
            }
            if ops.is_empty() {
                return Ok(out);
            }
            self.inner.queues.committer.push(ops)?
        };
        self.inner
            .queues
            .committer
            .wait(ticket, || self.state_file())?;
        Ok(out)
    }
}

/// One shard's part of a receive.
struct Take<'a> {
    meta: &'a QueueMeta,
    live: &'a Live,
    incarnation: u32,
    view: &'a ShardView,
    now: u64,
    visibility_ms: u64,
    secret: &'a [u8],
    ops: &'a mut Vec<Op>,
    out: &'a mut Vec<QueueRecord>,
    /// (shard, counter) of the records this call delivered: a visibility timeout of zero leaves
    /// them visible, and the second pass must not deliver them again.
    taken: &'a mut BTreeSet<(u32, u64)>,
    /// How many more records may go in flight ([`StoreOptions::max_in_flight_per_queue`]): new
    /// records of the stream are taken only while it is above zero.
    ///
    /// [`StoreOptions::max_in_flight_per_queue`]: crate::StoreOptions::max_in_flight_per_queue
    room_in_flight: &'a mut usize,
    /// The store's appends are not durable when they return: sync the shard before a cursor
    /// past its new records is committed, or a crash could lose records the cursor already passed
    /// and their counters would be given to new records the queue then skips.
    sync_first: bool,
}

impl Take<'_> {
    /// Up to `room` records of the main path: expired ones, then new ones.
    fn records(&mut self, sd: &mut ShardDelivery, room: usize) -> Result<()> {
        let keys = &self.live.keys;
        let index = self.view.index;
        let mut taken = 0;
        let expired: Vec<u64> = sd
            .in_flight
            .iter()
            .filter(|(c, e)| e.deadline_ms <= self.now && !self.taken.contains(&(index, **c)))
            .map(|(c, _)| *c)
            .collect();
        for counter in expired {
            if taken == room {
                return Ok(());
            }
            let Some(entry) = sd.in_flight.get(&counter).copied() else {
                continue;
            };
            if self
                .meta
                .max_receive_count
                .is_some_and(|m| entry.receives >= m)
            {
                sd.in_flight.remove(&counter);
                let dead = Entry {
                    deadline_ms: 0,
                    ..entry
                };
                sd.dead.insert(counter, dead);
                self.ops.push(Op::Delete(keys.entry(false, index, counter)));
                self.ops
                    .push(Op::Put(keys.entry(true, index, counter), dead.encode()));
                continue;
            }
            let Some(record) = self.read_one(counter)? else {
                sd.in_flight.remove(&counter);
                self.ops.push(Op::Delete(keys.entry(false, index, counter)));
                continue;
            };
            let next = self.redeliver(entry);
            sd.in_flight.insert(counter, next);
            self.ops
                .push(Op::Put(keys.entry(false, index, counter), next.encode()));
            self.deliver(record, next, false);
            taken += 1;
        }
        let end = self.view.end.unwrap_or(u64::MAX);
        let want = (room - taken).min(*self.room_in_flight);
        if want == 0 || sd.cursor >= end.min(self.view.shard.log.next_seq()) {
            return Ok(());
        }
        let (records, read_next) = read_records(
            &self.view.shard,
            self.incarnation,
            sd.cursor,
            (want, MAX_GET_BYTES),
            end,
        )?;
        *self.room_in_flight -= records.len();
        if self.sync_first && !records.is_empty() {
            self.view.shard.log.sync()?;
        }
        let before = sd.cursor;
        if records.is_empty() {
            sd.cursor = sd.cursor.max(read_next.min(end));
        }
        for record in records {
            let counter = record.sequence_number.counter();
            let entry = Entry {
                deadline_ms: self.now.saturating_add(self.visibility_ms),
                receives: 1,
                delivery: 1,
                first_receive_ms: self.now,
            };
            sd.in_flight.insert(counter, entry);
            sd.cursor = counter + 1;
            self.ops
                .push(Op::Put(keys.entry(false, index, counter), entry.encode()));
            self.deliver(record, entry, false);
        }
        if sd.cursor != before {
            self.ops.push(keys.put_cursor(index, sd.cursor));
        }
        Ok(())
    }

    /// Up to `room` visible dead letters.
    fn dead_letters(&mut self, sd: &mut ShardDelivery, room: usize) -> Result<()> {
        let keys = &self.live.keys;
        let index = self.view.index;
        let visible: Vec<u64> = sd
            .dead
            .iter()
            .filter(|(c, e)| e.deadline_ms <= self.now && !self.taken.contains(&(index, **c)))
            .map(|(c, _)| *c)
            .collect();
        let mut taken = 0;
        for counter in visible {
            if taken == room {
                break;
            }
            let Some(entry) = sd.dead.get(&counter).copied() else {
                continue;
            };
            let Some(record) = self.read_one(counter)? else {
                sd.dead.remove(&counter);
                self.ops.push(Op::Delete(keys.entry(true, index, counter)));
                continue;
            };
            let next = self.redeliver(entry);
            sd.dead.insert(counter, next);
            self.ops
                .push(Op::Put(keys.entry(true, index, counter), next.encode()));
            self.deliver(record, next, true);
            taken += 1;
        }
        Ok(())
    }

    fn redeliver(&self, e: Entry) -> Entry {
        Entry {
            deadline_ms: self.now.saturating_add(self.visibility_ms),
            receives: e.receives.saturating_add(1),
            delivery: e.delivery.wrapping_add(1),
            first_receive_ms: if e.first_receive_ms == 0 {
                self.now
            } else {
                e.first_receive_ms
            },
        }
    }

    fn deliver(&mut self, record: Record, e: Entry, dead: bool) {
        self.taken
            .insert((self.view.index, record.sequence_number.counter()));
        let handle = Handle {
            dead,
            incarnation: self.meta.incarnation,
            shard: self.view.index,
            counter: record.sequence_number.counter(),
            delivery: e.delivery,
        };
        self.out.push(QueueRecord {
            receipt_handle: handle.encode(self.secret),
            record_id: record.sequence_number.to_string(),
            record,
            first_receive_timestamp_ms: e.first_receive_ms,
            receive_count: e.receives,
        });
    }

    /// The record at `counter`, if the shard still holds it.
    fn read_one(&self, counter: u64) -> Result<Option<Record>> {
        let log = &self.view.shard.log;
        if counter < log.start_seq() {
            return Ok(None);
        }
        let (records, _) = read_records(
            &self.view.shard,
            self.incarnation,
            counter,
            (1, MAX_GET_BYTES),
            u64::MAX,
        )?;
        Ok(records
            .into_iter()
            .next()
            .filter(|r| r.sequence_number.counter() == counter))
    }
}

fn shard_views(stream: &Stream) -> Vec<ShardView> {
    let state = stream.read();
    state
        .shards
        .iter()
        .filter_map(|(index, shard)| {
            let m: &ShardMeta = state.meta.shard(*index)?;
            Some(ShardView {
                index: *index,
                shard: Arc::clone(shard),
                parents: m.parent.into_iter().chain(m.adjacent_parent).collect(),
                end: m.closed.map(|c| c.end_counter),
            })
        })
        .collect()
}

/// A shard's state, created at the queue's start for it if it has none yet.
pub(super) fn shard_mut<'a>(
    d: &'a mut Delivery,
    meta: &QueueMeta,
    index: u32,
) -> &'a mut ShardDelivery {
    d.shards.entry(index).or_insert_with(|| ShardDelivery {
        cursor: meta.starts.get(&index).copied().unwrap_or(0),
        ..ShardDelivery::default()
    })
}

/// True once a shard has nothing more to deliver on the main path: it is closed, delivered to its
/// end with nothing in flight, or gone.
fn finished(d: &Delivery, meta: &QueueMeta, views: &[ShardView], index: u32) -> bool {
    let Some(view) = views.iter().find(|v| v.index == index) else {
        return true;
    };
    let Some(end) = view.end else {
        return false;
    };
    match d.shards.get(&index) {
        Some(s) => s.cursor >= end && s.in_flight.is_empty(),
        None => meta.starts.get(&index).copied().unwrap_or(0) >= end,
    }
}

/// Drops what retention dropped: records below each shard's start, and shards no longer stored.
fn prune(d: &mut Delivery, meta: &QueueMeta, live: &Live, views: &[ShardView], ops: &mut Vec<Op>) {
    let keys = &live.keys;
    let gone: Vec<u32> = d
        .shards
        .keys()
        .copied()
        .filter(|i| !views.iter().any(|v| v.index == *i))
        .collect();
    for index in gone {
        if let Some(s) = d.shards.remove(&index) {
            ops.push(Op::Delete(keys.cursor(index)));
            for c in s.in_flight.keys() {
                ops.push(Op::Delete(keys.entry(false, index, *c)));
            }
            for c in s.dead.keys() {
                ops.push(Op::Delete(keys.entry(true, index, *c)));
            }
        }
    }
    for view in views {
        let start = view.shard.log.start_seq();
        let s = shard_mut(d, meta, view.index);
        if s.cursor < start {
            s.cursor = start;
            ops.push(keys.put_cursor(view.index, start));
        }
        for (dead, map) in [(false, &mut s.in_flight), (true, &mut s.dead)] {
            let kept = map.split_off(&start);
            for c in std::mem::replace(map, kept).keys() {
                ops.push(Op::Delete(keys.entry(dead, view.index, *c)));
            }
        }
    }
}
