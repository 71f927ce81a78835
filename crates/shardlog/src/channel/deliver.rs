//! Delivery: the store's one delivery thread and the passes it runs over every channel.
//!
//! A pass visits each channel's shards in index order (a child's index is above its parents', so a
//! parent finished in a pass lets its children start in the same pass); a shard delivers once
//! every parent is closed and delivered to its end. For a shard it first writes again a batch that
//! a crash cut short (its range is committed), then reads what is new into the shard's buffer and
//! delivers the buffer once it is due: its first record waited the data freshness, it holds
//! [`MAX_OBJECT_BYTES`], its closed shard is read to the end, or the pass is forced
//! ([`Store::deliver_channels`], [`Store::close`]). A forced pass delivers every record put before
//! it, in objects of up to [`MAX_OBJECT_BYTES`]; a background pass one buffer per shard.
//!
//! A batch is delivered in three steps: the range (first and last counter) is committed to the
//! checkpoint file, the object (and the dead-letter object, if some records did not convert) is
//! written whole, and the cursor is committed past the range with the range removed. Each object's
//! name is derived from the range, so repeating step 2 after a crash replaces what it wrote.

use super::key::{self, KeyParts};
use super::render;
use super::sink::{BucketDirectories, ObjectSink};
use super::state::{self, Stored, Totals};
use super::{ChannelDef, MAX_OBJECT_BYTES};
use crate::error::{Error, Result};
use crate::get::{read_records, Record, MAX_GET_BYTES, MAX_GET_RECORDS};
use crate::names::ShardId;
use crate::store::{Shard, Store, StoreInner, Stream};
use shardlog_storage::MutexExt as _;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// The store's channels at run time.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    /// By channel id, loaded from the checkpoint file on first use.
    pub(super) channels: Mutex<Channels>,
    /// Held by a delivery pass and by control-plane changes of a channel's progress: one at a time.
    pub(super) pass: Mutex<()>,
    pub(crate) thread: Mutex<Option<JoinHandle<()>>>,
    /// The catalog counted channels when the store opened: only then is the checkpoint file read
    /// for them (a store without channels leaves the file to its other users).
    pub(crate) counted: bool,
    /// `UPDATING` and `DELETING` channels.
    pub(super) phases: super::phase::Phases,
}

impl Registry {
    /// The registry of a store whose catalog counts `channels`.
    pub(crate) fn new(channels: u32) -> Self {
        Registry {
            counted: channels > 0,
            ..Registry::default()
        }
    }
}

/// The channels by id.
#[derive(Debug, Default)]
pub(crate) struct Channels {
    pub(super) loaded: bool,
    pub(crate) by_id: BTreeMap<String, Arc<Live>>,
}

/// One channel: its definition and delivery state in memory.
#[derive(Debug)]
pub(crate) struct Live {
    pub(super) def: Mutex<ChannelDef>,
    pub(super) progress: Mutex<Progress>,
}

#[derive(Debug, Default)]
pub(super) struct Progress {
    /// Loaded from the checkpoint file (again after an error).
    loaded: bool,
    shards: BTreeMap<u32, ShardState>,
    /// Why the last pass failed for this channel, until one succeeds.
    pub(super) failure: Option<String>,
}

/// One shard of a channel.
#[derive(Debug, Default)]
struct ShardState {
    /// The first record not delivered (committed).
    cursor: u64,
    /// A batch whose range is committed and whose object may be incomplete.
    pending: Option<(u64, u64)>,
    /// Records read and not delivered, from `cursor` on.
    buffer: VecDeque<Record>,
    buffered_bytes: usize,
    /// The next counter to read.
    scan: u64,
}

/// A shard as a pass sees it.
pub(super) struct View {
    pub(super) index: u32,
    pub(super) shard: Arc<Shard>,
    parents: Vec<u32>,
    /// The counter past the last record of a closed shard.
    pub(super) end: Option<u64>,
}

impl Live {
    pub(super) fn new(def: ChannelDef) -> Arc<Live> {
        Arc::new(Live {
            def: Mutex::new(def),
            progress: Mutex::new(Progress::default()),
        })
    }
}

/// Starts the delivery thread: every `every` it runs a pass over the channels; it holds only a
/// weak reference, and stops when the store closes or goes away.
pub(crate) fn spawn_delivery(inner: Weak<StoreInner>, every: Duration) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("shardlog-channels".into())
        .spawn(move || loop {
            std::thread::park_timeout(every);
            let Some(inner) = inner.upgrade() else { return };
            if inner.stopping.load(Ordering::Acquire) {
                return;
            }
            let store = Store {
                inner,
                region: None,
            };
            if let Err(e) = store.delivery_pass(false) {
                tracing::warn!(error = %e, "channel delivery pass failed; retried at the next");
            }
        })
        .ok()
}

impl Store {
    /// Delivers now, whatever their age, every record put so far to every channel's destination,
    /// as [`Store::close`] does; returns the objects written (dead-letter objects included). The
    /// background thread does the same once records are as old as the channel's data freshness.
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, PutEntry, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// assert_eq!(store.deliver_channels()?, 0);
    /// store.put_record("s", PutEntry::new("k", b"{}"))?;
    /// assert_eq!(store.deliver_channels()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deliver_channels(&self) -> Result<usize> {
        self.delivery_pass(true)
    }

    /// One pass over every channel; the first error is returned after every channel had its turn.
    pub(crate) fn delivery_pass(&self, force: bool) -> Result<usize> {
        let _pass = self.inner.channels.pass.locked();
        let lives: Vec<Arc<Live>> = self.channel_map()?.by_id.values().cloned().collect();
        let mut written = 0;
        let mut first_error = None;
        for live in lives {
            let def = live.def.locked().clone();
            if self.inner.now_ms() < def.active_ms {
                continue; // CREATING: nothing is delivered yet
            }
            // Held back, not failed over to another place: nothing is delivered, nothing lost.
            if let Some(reason) = self.wrong_sink(&def) {
                live.progress.locked().failure = Some(reason);
                continue;
            }
            match self.deliver_channel(&live, force) {
                Ok(n) => {
                    written += n;
                    live.progress.locked().failure = None;
                }
                Err(e) => {
                    let name = live.def.locked().name.clone();
                    tracing::warn!(channel = %name, error = %e, "channel delivery failed; retried at the next pass");
                    let mut p = live.progress.locked();
                    // Memory may be ahead of the file: start again from what is committed.
                    p.loaded = false;
                    p.failure = Some(e.to_string());
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(written), Err)
    }

    fn deliver_channel(&self, live: &Live, force: bool) -> Result<usize> {
        let def = live.def.locked().clone();
        let Ok(stream) = self.inner.stream(&def.stream) else {
            return Ok(0);
        };
        if stream.incarnation != def.stream_incarnation {
            return Ok(0);
        }
        let views = views(&stream);
        let db = self.state_file()?;
        let mut p = live.progress.locked();
        if !p.loaded {
            p.shards = load(&db, &def)?;
            p.loaded = true;
        }
        forget_gone_shards(&db, &def, &mut p, &views)?;
        let freshness_ms = self.freshness(&def).as_millis();
        let mut written = 0;
        for view in &views {
            if !view.parents.iter().all(|i| finished(&p, &def, &views, *i)) {
                continue;
            }
            let s = p.shards.entry(view.index).or_insert_with(|| ShardState {
                cursor: def.starts.get(&view.index).copied().unwrap_or(0),
                scan: def.starts.get(&view.index).copied().unwrap_or(0),
                ..ShardState::default()
            });
            let mut batch = Batch {
                store: self,
                db: &db,
                def: &def,
                stream: &stream,
                view,
            };
            written += batch.redo_pending(s)?;
            // A forced pass delivers every record put before it, a backlog of more than one
            // object included: the buffer is filled again after each object, up to the records
            // put before the pass (so a producer faster than the delivery cannot hold it). A
            // background pass delivers one buffer per shard, so that a backlog does not hold the
            // pass lock for long: control-plane changes wait for it.
            let tip = view.shard.log.next_seq();
            batch.fill(s)?;
            while due(s, view, force, self.inner.now_ms(), freshness_ms) {
                written += batch.deliver_front(s)?;
                if force && s.scan < tip {
                    batch.fill(s)?;
                }
            }
        }
        Ok(written)
    }

    /// The channel's data freshness, or the store's override for tests.
    fn freshness(&self, def: &ChannelDef) -> Duration {
        self.inner.opts.channel_freshness.unwrap_or_else(|| {
            Duration::from_secs(u64::from(
                def.destination
                    .data_freshness_seconds
                    .unwrap_or(super::DEFAULT_DATA_FRESHNESS_SECONDS),
            ))
        })
    }

    /// The name of the store's sink, which new channels keep.
    pub(super) fn sink_name(&self) -> String {
        self.inner
            .opts
            .channel_sink
            .as_ref()
            .map_or_else(super::sink::default_name, |s| s.name())
    }

    /// Why `def` cannot deliver through this store's sink, if it cannot.
    fn wrong_sink(&self, def: &ChannelDef) -> Option<String> {
        let here = self.sink_name();
        (def.sink != here).then(|| {
            format!(
                "channel {} delivers to {}, but the store was opened with {here}; its records wait until the store is opened with that destination",
                def.name, def.sink
            )
        })
    }

    /// Where objects go: the store's sink, or bucket directories under `channels/`.
    fn destination(&self) -> Result<Arc<dyn ObjectSink>> {
        match &self.inner.opts.channel_sink {
            Some(sink) => Ok(Arc::clone(sink)),
            None => Ok(Arc::new(BucketDirectories::new(
                self.inner.root.subdir("channels")?,
            ))),
        }
    }
}

/// One shard's delivery in a pass.
struct Batch<'a> {
    store: &'a Store,
    db: &'a shardlog_checkpoint::Db,
    def: &'a ChannelDef,
    stream: &'a Stream,
    view: &'a View,
}

impl Batch<'_> {
    /// Writes again the batch a crash cut short, from the same records, under the same name.
    fn redo_pending(&mut self, s: &mut ShardState) -> Result<usize> {
        let Some((first, last)) = s.pending else {
            return Ok(0);
        };
        let mut records = Vec::new();
        let mut next = first;
        while next <= last {
            let (got, _) = read_records(
                &self.view.shard,
                self.stream.incarnation,
                next,
                (MAX_GET_RECORDS, MAX_GET_BYTES),
                last + 1,
            )?;
            let Some(r) = got.last() else { break };
            next = r.sequence_number.counter() + 1;
            records.extend(got);
        }
        if records.first().map(|r| r.sequence_number.counter()) != Some(first) {
            // Retention took the batch's first record: the object cannot be named as it was.
            tracing::warn!(channel = %self.def.name, shard = self.view.index, first, last, "records of a batch cut short by a crash expired before it was written again; they are not delivered");
            records.clear();
        }
        let batch = self.write(&records, (first, last))?;
        self.commit_done(s, last, &batch)?;
        Ok(batch.objects as usize)
    }

    /// Reads what is new into the buffer, up to the shard's end and [`MAX_OBJECT_BYTES`].
    fn fill(&mut self, s: &mut ShardState) -> Result<()> {
        let log = &self.view.shard.log;
        if s.cursor < log.start_seq() {
            tracing::warn!(channel = %self.def.name, shard = self.view.index, from = s.cursor, to = log.start_seq(), "records expired before the channel delivered them; they are not delivered");
            s.cursor = log.start_seq();
            s.buffer.clear();
            s.buffered_bytes = 0;
        }
        s.scan = s.scan.max(s.cursor);
        let end = self.view.end.unwrap_or(u64::MAX);
        while s.buffered_bytes < MAX_OBJECT_BYTES && s.scan < end.min(log.next_seq()) {
            let (got, next) = read_records(
                &self.view.shard,
                self.stream.incarnation,
                s.scan,
                (MAX_GET_RECORDS, MAX_GET_BYTES),
                end,
            )?;
            if got.is_empty() {
                s.scan = s.scan.max(next.min(end));
                break;
            }
            for r in got {
                s.scan = r.sequence_number.counter() + 1;
                if self.before_active(&r) {
                    continue;
                }
                s.buffered_bytes += r.data.len();
                s.buffer.push_back(r);
            }
        }
        Ok(())
    }

    /// True for a record that arrived while the channel was `CREATING` (only a channel made
    /// with a state delay has such a time): AWS does not deliver it, so neither does this.
    fn before_active(&self, r: &Record) -> bool {
        let def = self.def;
        def.active_ms > def.created_ms && r.approximate_arrival_timestamp_ms < def.active_ms
    }

    /// Delivers the front of the buffer, up to [`MAX_OBJECT_BYTES`] (or moves the cursor to a
    /// closed shard's end when nothing is left to deliver).
    fn deliver_front(&mut self, s: &mut ShardState) -> Result<usize> {
        let mut take = 0;
        let mut bytes = 0;
        for r in &s.buffer {
            if take > 0 && bytes + r.data.len() > MAX_OBJECT_BYTES {
                break;
            }
            bytes += r.data.len();
            take += 1;
        }
        let records: Vec<Record> = s.buffer.iter().take(take).cloned().collect();
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            // A closed shard read to its end: nothing more will come.
            let end = self.view.end.unwrap_or(s.scan);
            return self
                .commit_done(s, end.saturating_sub(1), &Totals::default())
                .map(|()| 0);
        };
        let range = (
            first.sequence_number.counter(),
            last.sequence_number.counter(),
        );
        if !matches!(
            self.store.inner.opts.durability,
            shardlog_segment::Durability::Sync
        ) {
            // Never commit a range of records a crash could still take back (and hand their
            // numbers to other records).
            self.view.shard.log.sync()?;
        }
        let mut tx = self.db.write()?;
        state::put_pending(&mut tx, &self.def.id, self.view.index, range)?;
        tx.commit()?;
        s.pending = Some(range);
        let batch = self.write(&records, range)?;
        s.buffer.drain(..take);
        s.buffered_bytes -= bytes;
        self.commit_done(s, range.1, &batch)?;
        Ok(batch.objects as usize)
    }

    /// Commits the cursor past `last`, drops the pending range and counts `batch` in the
    /// channel's totals, all in one commit.
    fn commit_done(&mut self, s: &mut ShardState, last: u64, batch: &Totals) -> Result<()> {
        let cursor = last.saturating_add(1).max(s.cursor);
        let mut tx = self.db.write()?;
        state::put_cursor(&mut tx, &self.def.id, self.view.index, cursor)?;
        state::remove_pending(&mut tx, &self.def.id, self.view.index)?;
        if batch.records > 0 {
            state::add_totals(&mut tx, &self.def.id, batch)?;
        }
        tx.commit()?;
        s.cursor = cursor;
        s.pending = None;
        s.scan = s.scan.max(cursor);
        Ok(())
    }

    /// Writes the objects of `records` (the range `range`): the converted records, and the
    /// dead letters if some did not convert. Returns what was delivered.
    fn write(&self, records: &[Record], range: (u64, u64)) -> Result<Totals> {
        let def = self.def;
        let dest = &def.destination;
        let (body, rejected) = render::convert(def.format, records);
        let seq = |c: u64| {
            crate::SequenceNumber::new(self.stream.incarnation, self.view.index, c).to_string()
        };
        let (first_seq, last_seq) = (seq(range.0), seq(range.1));
        let shard_id = ShardId(self.view.index).to_string();
        let parts = KeyParts {
            channel_name: &def.name,
            channel_id: &def.id,
            stream_name: &def.stream,
            shard_id: &shard_id,
            first_arrival_ms: records
                .first()
                .map_or(0, |r| r.approximate_arrival_timestamp_ms),
            first_seq: &first_seq,
            last_seq: &last_seq,
            extension: render::extension(def.format, dest.compression),
        };
        let sink = self.store.destination()?;
        let mut written = Totals {
            records: records.len() as u64,
            record_bytes: records.iter().map(|r| r.data.len() as u64).sum(),
            last_ms: self.store.inner.now_ms(),
            ..Totals::default()
        };
        if !body.is_empty() {
            let bucket =
                key::bucket_of(&dest.bucket_arn).ok_or_else(|| bad_arn(&dest.bucket_arn))?;
            let template = dest
                .output_key_template
                .as_deref()
                .unwrap_or(key::DEFAULT_TEMPLATE);
            let bytes = render::compress(dest.compression, body)?;
            sink.put_object(bucket, &key::object_key(template, &parts), &bytes)?;
            written.objects += 1;
            written.object_bytes += bytes.len() as u64;
        }
        if !rejected.is_empty() {
            let dl = dest.dead_letter.as_ref();
            let arn = dl.map_or(dest.bucket_arn.as_str(), |d| d.bucket_arn.as_str());
            let bucket = key::bucket_of(arn).ok_or_else(|| bad_arn(arn))?;
            let prefix = dl
                .and_then(|d| d.error_output_prefix.as_deref())
                .unwrap_or(key::DEFAULT_ERROR_PREFIX);
            let lines =
                render::dead_letters(&self.store.stream_arn(&def.stream), &shard_id, &rejected);
            sink.put_object(bucket, &key::error_key(prefix, &parts), &lines)?;
            written.objects += 1;
            written.object_bytes += lines.len() as u64;
        }
        Ok(written)
    }
}

fn bad_arn(arn: &str) -> Error {
    Error::Internal(format!(
        "a channel names the bucket ARN {arn}, which is not one"
    ))
}

/// True when the shard's buffer should be delivered now.
fn due(s: &ShardState, view: &View, force: bool, now: u64, freshness_ms: u128) -> bool {
    let closed_and_read = view.end.is_some_and(|e| s.scan >= e && s.cursor < e);
    let Some(first) = s.buffer.front() else {
        return closed_and_read;
    };
    force
        || closed_and_read
        || s.buffered_bytes >= MAX_OBJECT_BYTES
        || u128::from(now.saturating_sub(first.approximate_arrival_timestamp_ms)) >= freshness_ms
}

/// True once a shard has nothing more to deliver: closed and delivered to its end, or gone.
fn finished(p: &Progress, def: &ChannelDef, views: &[View], index: u32) -> bool {
    let Some(view) = views.iter().find(|v| v.index == index) else {
        return true;
    };
    let Some(end) = view.end else {
        return false;
    };
    match p.shards.get(&index) {
        Some(s) => s.cursor >= end && s.pending.is_none(),
        None => def.starts.get(&index).copied().unwrap_or(0) >= end,
    }
}

pub(super) fn views(stream: &Stream) -> Vec<View> {
    let state = stream.read();
    state
        .shards
        .iter()
        .filter_map(|(index, shard)| {
            let m = state.meta.shard(*index)?;
            Some(View {
                index: *index,
                shard: Arc::clone(shard),
                parents: m.parent.into_iter().chain(m.adjacent_parent).collect(),
                end: m.closed.map(|c| c.end_counter),
            })
        })
        .collect()
}

fn load(db: &shardlog_checkpoint::Db, def: &ChannelDef) -> Result<BTreeMap<u32, ShardState>> {
    let stored = state::load_progress(db, &def.id)?;
    Ok(stored
        .into_iter()
        .map(|(index, Stored { cursor, pending })| {
            let cursor = cursor.unwrap_or_else(|| def.starts.get(&index).copied().unwrap_or(0));
            let s = ShardState {
                cursor,
                pending,
                scan: cursor,
                ..ShardState::default()
            };
            (index, s)
        })
        .collect())
}

/// Drops the progress of shards retention removed from the stream.
fn forget_gone_shards(
    db: &shardlog_checkpoint::Db,
    def: &ChannelDef,
    p: &mut Progress,
    views: &[View],
) -> Result<()> {
    let gone: Vec<u32> = p
        .shards
        .keys()
        .copied()
        .filter(|i| !views.iter().any(|v| v.index == *i))
        .collect();
    if gone.is_empty() {
        return Ok(());
    }
    let mut tx = db.write()?;
    for index in &gone {
        state::remove_shard(&mut tx, &def.id, *index)?;
    }
    tx.commit()?;
    for index in gone {
        p.shards.remove(&index);
    }
    Ok(())
}
