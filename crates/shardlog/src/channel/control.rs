//! The channel control plane: create, describe, list, update, delete, and loading the channels
//! from the checkpoint file.

use super::deliver::{Channels, Live};
use super::key::{self, bucket_of, check_template};
use super::state;
use super::{
    ChannelDef, ChannelDescription, ChannelStatus, CreateChannel, DeadLetterS3, RecordFormat,
    UpdateChannel, DEFAULT_DATA_FRESHNESS_SECONDS,
};
use crate::catalog::StreamMode;
use crate::error::{Error, Result};
use crate::store::Store;
use shardlog_storage::MutexExt as _;
use std::collections::BTreeMap;
use std::sync::{Arc, MutexGuard};

const MAX_CHANNEL_NAME: usize = 128;
/// Channels that deliver to general-purpose buckets from one stream (Kinesis' limit at launch).
pub(crate) const MAX_S3_CHANNELS_PER_STREAM: usize = 1;
const FRESHNESS: std::ops::RangeInclusive<u32> = 300..=900;

impl Store {
    /// Creates a channel that delivers an on-demand stream's records to a bucket
    /// (`CreateChannel`). It is `ACTIVE` when this returns, or `CREATING` for the store's state
    /// delay if it has one (as on Kinesis); it delivers the records put once it is `ACTIVE`,
    /// and none put before.
    ///
    /// ```
    /// use shardlog::{CreateChannel, CreateStream, Error, RecordFormat, Store, StreamMode};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), Default::default())?;
    /// store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let c = store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// assert!(c.channel_arn.starts_with("arn:aws:kinesis:us-east-1:000000000000:channel/"));
    /// assert_eq!(c.destination.data_freshness_seconds, Some(300));
    /// let mut gsr = CreateChannel::new("g", "s", "arn:aws:s3:::lake");
    /// gsr.record_format = RecordFormat::GsrJson;
    /// assert!(matches!(store.create_channel(gsr), Err(Error::InvalidArgument(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_channel(&self, req: CreateChannel) -> Result<ChannelDescription> {
        check_request(&req)?;
        let stream_name = resource_name(&req.stream, ":stream/");
        let stream = self.inner.stream(stream_name)?;
        let account = self.account_id().to_string();
        let mut catalog = self.inner.lock_catalog()?;
        let mut guard = self.channel_map()?;
        let channels = &mut guard.by_id;
        if channels
            .values()
            .any(|l| l.def.locked().name == req.channel_name)
        {
            return Err(Error::ResourceInUse(format!(
                "Channel {} under account {account} already exists.",
                req.channel_name
            )));
        }
        let state = stream.read();
        if state.meta.mode != StreamMode::OnDemand {
            return Err(Error::InvalidArgument(format!(
                "Channels are supported only on data streams in on-demand capacity mode; stream {} under account {account} is provisioned.",
                stream.name
            )));
        }
        let on_stream = channels
            .values()
            .filter(|l| l.def.locked().stream == stream.name)
            .count();
        if on_stream >= MAX_S3_CHANNELS_PER_STREAM {
            return Err(Error::LimitExceeded(format!(
                "Stream {} under account {account} already has {MAX_S3_CHANNELS_PER_STREAM} channel delivering to Amazon S3.",
                stream.name
            )));
        }
        // The tip of every shard now: records put before the channel exists are not delivered.
        let starts: BTreeMap<u32, u64> = state
            .shards
            .iter()
            .map(|(index, shard)| {
                let end = state
                    .meta
                    .shard(*index)
                    .and_then(|m| m.closed)
                    .map(|c| c.end_counter);
                (*index, end.unwrap_or_else(|| shard.log.next_seq()))
            })
            .collect();
        let def = ChannelDef {
            name: req.channel_name,
            id: new_id()?,
            created_ms: self.inner.now_ms(),
            role_arn: req.service_execution_role_arn,
            stream: stream.name.clone(),
            stream_incarnation: stream.incarnation,
            format: req.record_format,
            destination: resolve_destination(req.destination),
            encryption_key_id: req.encryption_key_id,
            logging: req.logging,
            tags: req.tags,
            starts,
            sink: self.sink_name(),
            active_ms: 0,
        };
        let def = ChannelDef {
            active_ms: def.created_ms.saturating_add(self.delay_ms()),
            ..def
        };
        let stream_created_ms = state.meta.created_ms;
        drop(state);
        // Counted in the catalog first: a count above the definitions only makes the next open
        // read the checkpoint file for nothing, one below would hide a channel.
        let mut next = (*catalog).clone();
        next.channels = next.channels.saturating_add(1);
        catalog.commit(next)?;
        let db = self.state_file()?;
        let mut tx = db.write()?;
        state::check_schema(&mut tx)?;
        state::put_def(&mut tx, &def)?;
        tx.commit()?;
        drop(catalog);
        let live = Live::new(def.clone());
        let description = self.channel_description(&def, stream_created_ms, &live);
        channels.insert(def.id.clone(), live);
        drop(guard);
        self.ensure_delivery_thread();
        Ok(description)
    }

    /// Describes a channel given its ARN (or the id at its end) (`DescribeChannel`).
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let c = store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// assert_eq!(store.describe_channel(&c.channel_arn)?, c);
    /// assert!(store.describe_channel("arn:aws:kinesis:us-east-1:000000000000:channel/nope").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_channel(&self, channel: &str) -> Result<ChannelDescription> {
        let live = match self.find_channel(channel) {
            Ok(live) => live,
            Err(e) => {
                let id = resource_name(channel, ":channel/");
                return self.deleting_channel(id).ok_or(e);
            }
        };
        let def = live.def.locked().clone();
        let stream_created_ms = self.stream_created_ms(&def);
        Ok(self.channel_description(&def, stream_created_ms, &live))
    }

    /// Every channel, or those of one stream (name or ARN), in name order (`ListChannels`,
    /// without paging).
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # for s in ["s1", "s2"] {
    /// #     store.create_stream_with(s, CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// # }
    /// store.create_channel(CreateChannel::new("b", "s1", "arn:aws:s3:::lake"))?;
    /// store.create_channel(CreateChannel::new("a", "s2", "arn:aws:s3:::lake"))?;
    /// let names: Vec<_> = store.list_channels(None)?.into_iter().map(|c| c.channel_name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// assert_eq!(store.list_channels(Some("s1"))?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_channels(&self, stream: Option<&str>) -> Result<Vec<ChannelDescription>> {
        let wanted = stream.map(|s| resource_name(s, ":stream/"));
        let lives: Vec<Arc<Live>> = self.channel_map()?.by_id.values().cloned().collect();
        let mut out = Vec::new();
        for live in lives {
            let def = live.def.locked().clone();
            if wanted.is_some_and(|w| w != def.stream) {
                continue;
            }
            out.push(self.channel_description(&def, self.stream_created_ms(&def), &live));
        }
        let deleting = self.deleting_channels().into_iter();
        out.extend(deleting.filter(|d| wanted.is_none_or(|w| w == d.stream_name)));
        out.sort_by(|a, b| a.channel_name.cmp(&b.channel_name));
        Ok(out)
    }

    /// Changes a channel's data freshness or logging settings (`UpdateChannel`); the records
    /// buffered are delivered under the new freshness.
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, Store, StreamMode, UpdateChannel};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let c = store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// let change = UpdateChannel { data_freshness_seconds: Some(600), ..Default::default() };
    /// assert_eq!(store.update_channel(&c.channel_arn, change)?.destination.data_freshness_seconds, Some(600));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_channel(
        &self,
        channel: &str,
        change: UpdateChannel,
    ) -> Result<ChannelDescription> {
        if let Some(f) = change.data_freshness_seconds {
            check_freshness(f)?;
        }
        let _catalog = self.inner.lock_catalog()?;
        let live = self.find_channel(channel)?;
        let mut def = live.def.locked().clone();
        self.check_channel_settled(&def, &live)?;
        if let Some(f) = change.data_freshness_seconds {
            def.destination.data_freshness_seconds = Some(f);
        }
        if let Some(l) = change.logging {
            def.logging = l;
        }
        let id = def.id.clone();
        self.store_def(&live, def)?;
        self.begin_channel_update(&id);
        self.describe_channel(&id)
    }

    /// Adds tags to a channel and removes others (`TagResource` / `UntagResource` with a channel
    /// ARN): removals first, then additions, each checked as `AddTagsToStream` checks it; nothing
    /// changes on a refusal. Returns the tags after the change.
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, Store, StreamMode};
    /// # use std::collections::BTreeMap;
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let c = store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// let add = BTreeMap::from([("team".to_string(), "data".to_string())]);
    /// assert_eq!(store.update_channel_tags(&c.channel_arn, &add, &[])?, add);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_channel_tags(
        &self,
        channel: &str,
        add: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<BTreeMap<String, String>> {
        let _catalog = self.inner.lock_catalog()?;
        let live = self.find_channel(channel)?;
        let mut def = live.def.locked().clone();
        remove.iter().for_each(|k| {
            def.tags.remove(k);
        });
        crate::settings::merge_tags("channel", &def.name, self.account_id(), &mut def.tags, add)?;
        Ok(self.store_def(&live, def)?.tags)
    }

    /// Deletes a channel and its progress (`DeleteChannel`). Objects already delivered stay; a
    /// batch being written finishes first.
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, Error, Store, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let c = store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// // A stream with channels cannot be deleted.
    /// assert!(matches!(store.delete_stream("s"), Err(Error::ResourceInUse(_))));
    /// store.delete_channel(&c.channel_arn)?;
    /// assert!(matches!(store.describe_channel(&c.channel_arn), Err(Error::ResourceNotFound(_))));
    /// store.delete_stream("s")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_channel(&self, channel: &str) -> Result<()> {
        let mut catalog = self.inner.lock_catalog()?;
        // No pass writes a batch of the channel while it goes.
        let _pass = self.inner.channels.pass.locked();
        let live = self.find_channel(channel)?;
        let def = live.def.locked().clone();
        let description = self.channel_description(&def, self.stream_created_ms(&def), &live);
        let id = def.id;
        let db = self.state_file()?;
        let mut tx = db.write()?;
        state::remove_channel(&mut tx, &id)?;
        tx.commit()?;
        self.channel_map()?.by_id.remove(&id);
        let mut next = (*catalog).clone();
        next.channels = next.channels.saturating_sub(1);
        catalog.commit(next)?;
        self.report_channel_deleting(description);
        Ok(())
    }

    /// Refuses to delete a stream that has channels (as Kinesis does). Called with the catalog
    /// locked, so no channel is created on it meanwhile.
    pub(crate) fn refuse_if_channels(&self, stream: &str) -> Result<()> {
        let has = self
            .channel_map()?
            .by_id
            .values()
            .any(|l| l.def.locked().stream == stream);
        if has {
            return Err(Error::ResourceInUse(format!(
                "Stream {stream} under account {} has channels; delete them before the stream.",
                self.account_id()
            )));
        }
        Ok(())
    }

    /// The channels, loaded from the checkpoint file on first use. A store whose catalog counts
    /// none does not open the file for them (another user of the file may hold it).
    pub(crate) fn channel_map(&self) -> Result<MutexGuard<'_, Channels>> {
        let mut map = self.inner.channels.channels.locked();
        if !map.loaded {
            let defs = if self.inner.channels.counted {
                state::load_defs(&*self.state_file()?)?
            } else {
                Vec::new()
            };
            map.by_id = defs
                .into_iter()
                .map(|d| (d.id.clone(), Live::new(d)))
                .collect();
            map.loaded = true;
        }
        Ok(map)
    }

    /// Starts the delivery thread if channels exist and it is not running.
    pub(crate) fn ensure_delivery_thread(&self) {
        let Some(every) = self.inner.opts.channel_interval else {
            return;
        };
        let mut slot = self.inner.channels.thread.locked();
        if slot.is_none() {
            *slot = super::spawn_delivery(Arc::downgrade(&self.inner), every);
        }
    }

    pub(super) fn find_channel(&self, channel: &str) -> Result<Arc<Live>> {
        let id = resource_name(channel, ":channel/");
        self.channel_map()?.by_id.get(id).cloned().ok_or_else(|| {
            Error::ResourceNotFound(format!(
                "Channel {channel} under account {} not found.",
                self.account_id()
            ))
        })
    }

    fn store_def(&self, live: &Live, def: ChannelDef) -> Result<ChannelDescription> {
        let db = self.state_file()?;
        let mut tx = db.write()?;
        state::put_def(&mut tx, &def)?;
        tx.commit()?;
        *live.def.locked() = def.clone();
        Ok(self.channel_description(&def, self.stream_created_ms(&def), live))
    }

    fn stream_created_ms(&self, def: &ChannelDef) -> u64 {
        self.inner
            .stream(&def.stream)
            .map_or(0, |s| s.read().meta.created_ms)
    }

    fn channel_description(
        &self,
        def: &ChannelDef,
        stream_created_ms: u64,
        live: &Live,
    ) -> ChannelDescription {
        let status = self.channel_status(def, live);
        let failure = match status {
            ChannelStatus::Failed => live.progress.locked().failure.clone(),
            _ => None,
        };
        ChannelDescription {
            channel_name: def.name.clone(),
            channel_arn: format!(
                "arn:aws:kinesis:{}:{}:channel/{}",
                self.region(),
                self.account_id(),
                def.id
            ),
            channel_id: def.id.clone(),
            status,
            status_reason: failure,
            created_ms: def.created_ms,
            service_execution_role_arn: def.role_arn.clone(),
            stream_name: def.stream.clone(),
            stream_arn: self.stream_arn(&def.stream),
            stream_created_ms,
            record_format: def.format,
            destination: def.destination.clone(),
            encryption_key_id: def.encryption_key_id.clone(),
            logging: def.logging.clone(),
            tags: def.tags.clone(),
        }
    }
}

/// The checks that need no state, in the order Kinesis reports them.
fn check_request(req: &CreateChannel) -> Result<()> {
    let name = &req.channel_name;
    let name_ok = (1..=MAX_CHANNEL_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !name_ok {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{name}' at 'channelName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and {MAX_CHANNEL_NAME}"
        )));
    }
    if req.tags.len() > crate::MAX_TAGS {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {}",
            crate::MAX_TAGS
        )));
    }
    if req.record_format == RecordFormat::GsrJson {
        return Err(Error::InvalidArgument(
            "RecordFormatType GSR_JSON is supported only for streaming table (Amazon S3 Tables) destinations; use JSON, STRING or BYTE_ARRAY for a general purpose Amazon S3 bucket.".into(),
        ));
    }
    let dest = &req.destination;
    for arn in
        std::iter::once(&dest.bucket_arn).chain(dest.dead_letter.as_ref().map(|d| &d.bucket_arn))
    {
        if bucket_of(arn).is_none() {
            return Err(Error::InvalidArgument(format!("Invalid BucketARN {arn}.")));
        }
    }
    if let Some(t) = &dest.output_key_template {
        check_template(t)?;
    }
    if let Some(p) = dest
        .dead_letter
        .as_ref()
        .and_then(|d| d.error_output_prefix.as_ref())
    {
        check_prefix(p)?;
    }
    if let Some(f) = dest.data_freshness_seconds {
        check_freshness(f)?;
    }
    Ok(())
}

fn check_freshness(f: u32) -> Result<()> {
    if FRESHNESS.contains(&f) {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "DataFreshnessInSeconds must be between {} and {} seconds; got {f}.",
        FRESHNESS.start(),
        FRESHNESS.end()
    )))
}

/// An error prefix becomes directories: no climbing out of the bucket.
fn check_prefix(p: &str) -> Result<()> {
    let ok = !p.starts_with('/')
        && !p.split('/').any(|s| s == "." || s == "..")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!-_'.*()/".contains(&b));
    if ok {
        return Ok(());
    }
    Err(Error::InvalidArgument(format!(
        "Invalid ErrorOutputPrefix {p}."
    )))
}

/// The destination as described: freshness, template and dead-letter location resolved.
fn resolve_destination(mut d: super::S3Destination) -> super::S3Destination {
    d.data_freshness_seconds = Some(
        d.data_freshness_seconds
            .unwrap_or(DEFAULT_DATA_FRESHNESS_SECONDS),
    );
    d.output_key_template = Some(
        d.output_key_template
            .unwrap_or_else(|| key::DEFAULT_TEMPLATE.to_string()),
    );
    if d.dead_letter.is_none() {
        d.dead_letter = Some(DeadLetterS3 {
            bucket_arn: d.bucket_arn.clone(),
            expected_bucket_owner: d.expected_bucket_owner.clone(),
            error_output_prefix: Some(key::DEFAULT_ERROR_PREFIX.to_string()),
        });
    }
    d
}

/// A channel id: 32 random hex digits.
fn new_id() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b)
        .map_err(|e| Error::Internal(format!("no randomness for a channel id: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// The resource part of an ARN (`...:stream/<name>`, `...:channel/<id>`), or `s` itself.
fn resource_name<'a>(s: &'a str, marker: &str) -> &'a str {
    if s.starts_with("arn:") {
        if let Some(i) = s.find(marker) {
            return &s[i + marker.len()..];
        }
    }
    s
}
