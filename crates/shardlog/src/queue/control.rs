//! The queue control plane: create, describe, list, update, delete.

use super::state::{Keys, Op, KIND, SCHEMA_VERSION};
use super::{
    CreateQueue, DeadLetterConfiguration, DeadLetterTarget, Delivery, Live, QueueAttributes,
    QueueDescription, QueueMeta, QueueStartingPosition, QueueSummary, DEFAULT_MAX_RECEIVE_COUNT,
    DEFAULT_VISIBILITY_TIMEOUT_SECONDS, MAX_RECEIVE_COUNT, MAX_VISIBILITY_TIMEOUT_SECONDS,
};
use crate::catalog::{StreamMeta, StreamMode};
use crate::error::{Error, Result};
use crate::get::StartingPosition;
use crate::names::ShardId;
use crate::state::Namespace;
use crate::store::{Store, Stream};
use shardlog_storage::MutexExt as _;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};

const MAX_QUEUE_NAME: usize = 128;

impl Store {
    /// Creates a queue on an on-demand stream (`CreateQueue`). It counts as one of the stream's
    /// [`MAX_CONSUMERS_PER_STREAM`](crate::MAX_CONSUMERS_PER_STREAM) registered consumers.
    /// A `LATEST` queue delivers the records written after this call returns.
    ///
    /// ```
    /// use shardlog::{CreateQueue, CreateStream, Error, Store, StreamMode};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), Default::default())?;
    /// store.create_stream("provisioned", 1)?;
    /// let refused = store.create_queue(CreateQueue::new("q", "provisioned"));
    /// assert!(matches!(refused, Err(Error::InvalidArgument(_))));
    /// store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s"))?;
    /// assert!(q.queue_arn.starts_with("arn:aws:kinesis:us-east-1:000000000000:queue/"));
    /// assert_eq!((q.visibility_timeout_seconds, q.dead_letter_configuration.max_receive_count), (30, Some(6)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_queue(&self, req: CreateQueue) -> Result<QueueDescription> {
        validate_queue_name(&req.queue_name)?;
        let (visibility, max_receive) = resolve_attributes(&req.attributes, None)?;
        if req.tags.len() > crate::MAX_TAGS {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {}",
                crate::MAX_TAGS
            )));
        }
        let stream_name = resource_name(&req.stream, ":stream/");
        let stream = self.inner.stream(stream_name)?;
        self.check_created(&stream)?;
        let account = self.account_id().to_string();
        let now = self.inner.now_ms();
        let starts = self.resolve_starts(&stream, req.starting_position)?;
        let mut catalog = self.inner.lock_catalog()?;
        if !self.inner.is_current(&stream) {
            return Err(crate::names::stream_not_found(&stream.name, &account));
        }
        if catalog
            .streams
            .values()
            .any(|m| m.queues.iter().any(|q| q.name == req.queue_name))
            || self
                .deleting_queues()
                .iter()
                .any(|d| d.queue_name == req.queue_name)
        {
            return Err(Error::ResourceInUse(format!(
                "Queue {} under account {account} already exists.",
                req.queue_name
            )));
        }
        let mut state = stream.write();
        let mut meta = state.meta.clone();
        if meta.mode != StreamMode::OnDemand {
            return Err(Error::InvalidArgument(format!(
                "Queues are supported only on data streams in on-demand capacity mode; stream {} under account {account} is provisioned.",
                stream.name
            )));
        }
        if meta.consumers.len() + meta.queues.len() >= crate::MAX_CONSUMERS_PER_STREAM {
            return Err(Error::LimitExceeded(format!(
                "Stream {} under account {account} already has {} registered consumers and queues.",
                stream.name,
                crate::MAX_CONSUMERS_PER_STREAM
            )));
        }
        let mut next = (*catalog).clone();
        let incarnation = next.next_incarnation;
        next.next_incarnation += 1;
        let id = queue_id(&self.inner.secret, incarnation, now);
        let queue = QueueMeta {
            name: req.queue_name.clone(),
            id,
            incarnation,
            created_ms: now,
            start: req.starting_position,
            starts,
            visibility_timeout_s: visibility,
            max_receive_count: max_receive,
            tags: req.tags,
        };
        meta.queues.push(queue.clone());
        next.streams.insert(stream.name.clone(), meta.clone());
        catalog.commit(next)?;
        state.meta = meta;
        let description = self.describe(&state.meta, &queue);
        drop(state);
        Ok(description)
    }

    /// Describes a queue given its ARN (or the id at its end) (`DescribeQueue`).
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s"))?;
    /// assert_eq!(store.describe_queue(&q.queue_arn)?, q);
    /// assert!(store.describe_queue("arn:aws:kinesis:us-east-1:000000000000:queue/nope").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_queue(&self, queue: &str) -> Result<QueueDescription> {
        let found = self.find_queue(queue);
        if let (Err(_), Some(d)) = (&found, self.deleting_queue(resource_name(queue, ":queue/"))) {
            return Ok(d);
        }
        let (stream, meta) = found?;
        let state = stream.read();
        Ok(self.describe(&state.meta, &meta))
    }

    /// Every queue, or those of one stream (name or ARN), in name order (`ListQueues`, without
    /// paging).
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// store.create_queue(CreateQueue::new("b", "s"))?;
    /// store.create_queue(CreateQueue::new("a", "s"))?;
    /// let names: Vec<_> = store.list_queues(Some("s"))?.into_iter().map(|q| q.queue_name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_queues(&self, stream: Option<&str>) -> Result<Vec<QueueSummary>> {
        let wanted = stream.map(|s| resource_name(s, ":stream/"));
        if let Some(name) = wanted {
            self.inner.stream(name)?;
        }
        let streams: Vec<Arc<Stream>> = self.inner.read_streams().values().cloned().collect();
        let mut out = Vec::new();
        for s in streams {
            if wanted.is_some_and(|w| w != s.name) {
                continue;
            }
            let state = s.read();
            for q in &state.meta.queues {
                out.push(summary(self.describe(&state.meta, q)));
            }
        }
        for d in self.deleting_queues() {
            if wanted.is_none_or(|w| w == d.stream_name) {
                out.push(summary(d));
            }
        }
        out.sort_by(|a, b| a.queue_name.cmp(&b.queue_name));
        Ok(out)
    }

    /// Changes a queue's visibility timeout or dead-letter handling (`UpdateQueue`); `None` fields
    /// stay as they are. Records already in flight keep their deadlines.
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, Store, StreamMode, QueueAttributes, DeadLetterConfiguration};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s"))?;
    /// let attrs = QueueAttributes { dead_letter_configuration: Some(DeadLetterConfiguration::none()), ..Default::default() };
    /// let d = store.update_queue(&q.queue_arn, attrs)?;
    /// assert_eq!((d.visibility_timeout_seconds, d.dead_letter_configuration), (30, DeadLetterConfiguration::none()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_queue(
        &self,
        queue: &str,
        attributes: QueueAttributes,
    ) -> Result<QueueDescription> {
        let (stream, found) = self.find_queue(queue)?;
        let (visibility, max_receive) = resolve_attributes(&attributes, Some(&found))?;
        self.check_queue_active(&found)?;
        let mut updated = None;
        self.update_stream_meta(&stream, |m| {
            let q = m
                .queues
                .iter_mut()
                .find(|q| q.incarnation == found.incarnation)
                .ok_or_else(|| self.queue_not_found(queue))?;
            q.visibility_timeout_s = visibility;
            q.max_receive_count = max_receive;
            updated = Some(q.clone());
            Ok(())
        })?;
        let q = updated.ok_or_else(|| self.queue_not_found(queue))?;
        self.begin_queue_update(&q);
        let state = stream.read();
        Ok(self.describe(&state.meta, &q))
    }

    /// Deletes a queue and its delivery state (`DeleteQueue`). Its receipt handles are refused from
    /// then on; the stream's records are untouched.
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, Store, StreamMode, Error};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s"))?;
    /// store.delete_queue(&q.queue_arn)?;
    /// assert!(matches!(store.describe_queue(&q.queue_arn), Err(Error::ResourceNotFound(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_queue(&self, queue: &str) -> Result<()> {
        let (stream, found) = self.find_queue(queue)?;
        let description = self.describe(&stream.read().meta, &found);
        self.update_stream_meta(&stream, |m| {
            let before = m.queues.len();
            m.queues.retain(|q| q.incarnation != found.incarnation);
            if m.queues.len() == before {
                return Err(self.queue_not_found(queue));
            }
            Ok(())
        })?;
        self.report_queue_deleting(description, &found.id);
        self.forget_queue(found.incarnation)
    }

    /// After `stream` left the catalog: its queues are `DELETING` for the state delay and their
    /// delivery state goes. The catalog no longer names them, so their state is garbage from now
    /// on; what a failure here leaves is swept at the next open's first queue call.
    pub(crate) fn forget_stream_queues(&self, stream: &StreamMeta) {
        for q in &stream.queues {
            self.report_queue_deleting(self.describe(stream, q), &q.id);
            if let Err(e) = self.forget_queue(q.incarnation) {
                tracing::warn!(stream = %stream.name, queue = %q.name, error = %e, "queue state not deleted");
            }
        }
    }

    /// Deletes the delivery state of a queue incarnation the catalog no longer names (its queue or
    /// its stream was deleted) and refuses its receipt handles from then on.
    pub(crate) fn forget_queue(&self, incarnation: u32) -> Result<()> {
        let registry = &self.inner.queues;
        let live = registry.drop_live(incarnation);
        // Under the queue's lock: no call of this queue pushes a change after the deletion.
        let guard = live.as_ref().map(|l| l.delivery.locked());
        let keys = Keys {
            ns: self.queue_namespace()?,
            incarnation,
        };
        let ticket = registry
            .committer
            .push(keys.all().into_iter().map(Op::DeletePrefix).collect())?;
        if let Some(mut g) = guard {
            g.gone = true;
        }
        registry.committer.wait(ticket, || self.state_file())
    }

    /// Deletes the delivery state of every incarnation the catalog does not name: what a crash
    /// between a deletion's catalog commit and its state commit left behind. Runs once per open,
    /// at the first use of a queue. Safe beside queue calls: a queue's state is written only after
    /// its catalog entry is durable, and incarnations are never reused, so an incarnation found in
    /// the state and missing from the catalog read after it is gone for good.
    fn sweep_orphan_queue_state(&self) -> Result<()> {
        let ns = self.queue_namespace()?;
        let stored = super::state::incarnations(&ns)?;
        let named: std::collections::BTreeSet<u32> = self
            .inner
            .catalog
            .locked()
            .streams
            .values()
            .flat_map(|m| m.queues.iter().map(|q| q.incarnation))
            .collect();
        for orphan in stored.difference(&named) {
            tracing::info!(
                incarnation = orphan,
                "deleting the state of a deleted queue"
            );
            self.forget_queue(*orphan)?;
        }
        Ok(())
    }

    /// Adds tags to a queue and removes others (`TagResource` / `UntagResource` with a queue
    /// ARN): removals first, then additions, each tag checked as `AddTagsToStream` checks it, at
    /// most [`MAX_TAGS`](crate::MAX_TAGS) in all; nothing changes on a refusal. Returns the tags
    /// after the change.
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, Store, StreamMode};
    /// # use std::collections::BTreeMap;
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let q = store.create_queue(CreateQueue::new("q", "s"))?;
    /// let add = BTreeMap::from([("team".to_string(), "billing".to_string())]);
    /// store.update_queue_tags(&q.queue_arn, &add, &[])?;
    /// assert_eq!(store.describe_queue(&q.queue_arn)?.tags, add);
    /// assert!(store.update_queue_tags(&q.queue_arn, &BTreeMap::new(), &["team".into()])?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_queue_tags(
        &self,
        queue: &str,
        add: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<BTreeMap<String, String>> {
        let (stream, found) = self.find_queue(queue)?;
        let mut after = BTreeMap::new();
        self.update_stream_meta(&stream, |m| {
            let q = m
                .queues
                .iter_mut()
                .find(|q| q.incarnation == found.incarnation)
                .ok_or_else(|| self.queue_not_found(queue))?;
            let mut tags = q.tags.clone();
            remove.iter().for_each(|k| {
                tags.remove(k);
            });
            crate::settings::merge_tags("queue", &q.name, self.account_id(), &mut tags, add)?;
            q.tags.clone_from(&tags);
            after = tags;
            Ok(())
        })?;
        Ok(after)
    }

    /// The queue named by `queue` (an ARN, or the id at its end) and its stream.
    pub(crate) fn find_queue(&self, queue: &str) -> Result<(Arc<Stream>, QueueMeta)> {
        let id = resource_name(queue, ":queue/");
        let streams: Vec<Arc<Stream>> = self.inner.read_streams().values().cloned().collect();
        for s in streams {
            let found = s.read().meta.queues.iter().find(|q| q.id == id).cloned();
            if let Some(q) = found {
                return Ok((s, q));
            }
        }
        Err(self.queue_not_found(queue))
    }

    pub(crate) fn queue_not_found(&self, queue: &str) -> Error {
        Error::ResourceNotFound(format!(
            "Queue {queue} under account {} not found.",
            self.account_id()
        ))
    }

    pub(crate) fn queue_arn(&self, id: &str) -> String {
        format!(
            "arn:aws:kinesis:{}:{}:queue/{id}",
            self.region(),
            self.account_id()
        )
    }

    /// The queue namespace of the checkpoint file.
    pub(crate) fn queue_namespace(&self) -> Result<Namespace> {
        Namespace::open(self.state_file()?, KIND, SCHEMA_VERSION)
    }

    /// The delivery state of a queue, loaded from the checkpoint file on first use.
    pub(crate) fn live_queue(&self, meta: &QueueMeta) -> Result<Arc<Live>> {
        self.inner.life.check()?;
        self.inner.queues.committer.check()?;
        if !self
            .inner
            .queues
            .swept
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            self.sweep_orphan_queue_state()?;
        }
        let mut live = self.inner.queues.live.locked();
        if let Some(l) = live.get(&meta.incarnation) {
            return Ok(Arc::clone(l));
        }
        let keys = Keys {
            ns: self.queue_namespace()?,
            incarnation: meta.incarnation,
        };
        let shards = keys.load()?;
        let l = Arc::new(Live {
            keys,
            delivery: Mutex::new(Delivery {
                shards,
                turn: 0,
                gone: false,
            }),
            changed: Condvar::new(),
        });
        live.insert(meta.incarnation, Arc::clone(&l));
        Ok(l)
    }

    fn describe(&self, stream: &StreamMeta, q: &QueueMeta) -> QueueDescription {
        QueueDescription {
            queue_name: q.name.clone(),
            queue_arn: self.queue_arn(&q.id),
            queue_status: self.queue_status(q),
            queue_creation_timestamp_ms: q.created_ms,
            stream_name: stream.name.clone(),
            stream_arn: self.stream_arn(&stream.name),
            stream_creation_timestamp_ms: stream.created_ms,
            starting_position: q.start,
            visibility_timeout_seconds: q.visibility_timeout_s,
            dead_letter_configuration: match q.max_receive_count {
                Some(n) => DeadLetterConfiguration::built_in(n),
                None => DeadLetterConfiguration::none(),
            },
            tags: q.tags.clone(),
        }
    }

    /// The first counter to deliver in each shard the stream has now.
    fn resolve_starts(
        &self,
        stream: &Stream,
        position: QueueStartingPosition,
    ) -> Result<BTreeMap<u32, u64>> {
        let state = stream.read();
        let mut out = BTreeMap::new();
        for (index, shard) in &state.shards {
            let end = state
                .meta
                .shard(*index)
                .and_then(|m| m.closed)
                .map(|c| c.end_counter);
            let pos = match position {
                QueueStartingPosition::TrimHorizon => continue,
                QueueStartingPosition::Latest => StartingPosition::Latest,
                QueueStartingPosition::AtTimestamp(ts) => StartingPosition::AtTimestamp(ts),
            };
            let at = self.resolve(stream, shard, ShardId(*index), pos)?;
            out.insert(*index, end.map_or(at, |e| at.min(e)));
        }
        Ok(out)
    }
}

/// The visibility timeout and `MaxReceiveCount` that `attrs` give, on top of `current` (an update)
/// or the defaults (a create).
fn resolve_attributes(
    attrs: &QueueAttributes,
    current: Option<&QueueMeta>,
) -> Result<(u32, Option<u32>)> {
    let visibility = attrs.visibility_timeout_seconds.unwrap_or(
        current.map_or(DEFAULT_VISIBILITY_TIMEOUT_SECONDS, |q| {
            q.visibility_timeout_s
        }),
    );
    check_visibility(visibility, "queueAttributes.visibilityTimeoutSeconds")?;
    let max_receive = match attrs.dead_letter_configuration {
        None => current.map_or(Some(DEFAULT_MAX_RECEIVE_COUNT), |q| q.max_receive_count),
        Some(d) => match (d.target_type, d.max_receive_count) {
            (DeadLetterTarget::BuiltIn, Some(n)) => {
                if !(1..=MAX_RECEIVE_COUNT).contains(&n) {
                    return Err(Error::Validation(format!(
                        "1 validation error detected: Value '{n}' at 'queueAttributes.deadLetterConfiguration.maxReceiveCount' failed to satisfy constraint: Member must have value between 1 and {MAX_RECEIVE_COUNT}"
                    )));
                }
                Some(n)
            }
            (DeadLetterTarget::BuiltIn, None) => {
                return Err(Error::InvalidArgument(
                    "MaxReceiveCount is required when TargetType is BUILT_IN.".into(),
                ))
            }
            (DeadLetterTarget::None, None) => None,
            (DeadLetterTarget::None, Some(_)) => {
                return Err(Error::InvalidArgument(
                    "MaxReceiveCount cannot be set when TargetType is NONE.".into(),
                ))
            }
        },
    };
    Ok((visibility, max_receive))
}

pub(crate) fn check_visibility(seconds: u32, member: &str) -> Result<()> {
    if seconds > MAX_VISIBILITY_TIMEOUT_SECONDS {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{seconds}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {MAX_VISIBILITY_TIMEOUT_SECONDS}"
        )));
    }
    Ok(())
}

fn validate_queue_name(name: &str) -> Result<()> {
    let ok = (1..=MAX_QUEUE_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        return Ok(());
    }
    Err(Error::Validation(format!(
        "1 validation error detected: Value '{name}' at 'queueName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and {MAX_QUEUE_NAME}"
    )))
}

/// The resource part of an ARN (`...:stream/<name>`, `...:queue/<id>`), or `s` itself if it is
/// not an ARN.
fn summary(d: QueueDescription) -> QueueSummary {
    QueueSummary {
        queue_name: d.queue_name,
        queue_arn: d.queue_arn,
        queue_status: d.queue_status,
        queue_creation_timestamp_ms: d.queue_creation_timestamp_ms,
        stream_arn: d.stream_arn,
        stream_creation_timestamp_ms: d.stream_creation_timestamp_ms,
    }
}

fn resource_name<'a>(s: &'a str, marker: &str) -> &'a str {
    if s.starts_with("arn:") {
        if let Some(i) = s.find(marker) {
            return &s[i + marker.len()..];
        }
    }
    s
}

/// A queue's ARN id: 32 hex digits keyed by the store's secret, not derived from the name.
fn queue_id(secret: &[u8], incarnation: u32, created_ms: u64) -> String {
    let mut body = b"shardlog queue id".to_vec();
    body.extend_from_slice(&incarnation.to_le_bytes());
    body.extend_from_slice(&created_ms.to_le_bytes());
    crate::iterator::mac(secret, &body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
