//! How far a channel is: what it delivered (kept in the checkpoint file with each cursor), and
//! what waits in its stream. Not part of the Kinesis API; `shardlog channel status` shows it.

use super::deliver::views;
use super::state;
use super::ChannelStatus;
use crate::error::Result;
use crate::get::read_records;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use shardlog_storage::MutexExt as _;

/// A channel's progress, from its committed state: what a delivered batch added, and what the
/// stream holds past the channel's cursors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelProgress {
    /// The channel's name.
    pub channel_name: String,
    /// The channel's ARN.
    pub channel_arn: String,
    /// As [`Store::describe_channel`] reports it.
    pub status: ChannelStatus,
    /// Why delivery fails, if it does.
    pub status_reason: Option<String>,
    /// Records delivered (dead letters included), ever.
    pub records_delivered: u64,
    /// Bytes of those records' data.
    pub record_bytes_delivered: u64,
    /// Objects written (dead-letter objects included).
    pub objects_written: u64,
    /// Bytes of those objects, after compression.
    pub object_bytes_written: u64,
    /// When the last batch was delivered, ms since the epoch.
    pub last_delivery_ms: Option<u64>,
    /// Sequence numbers in the stream past the channel's cursors: the records waiting, plus any
    /// numbers a crash left unused.
    pub behind: u64,
    /// Arrival of the oldest record waiting, ms since the epoch; `None` if nothing waits.
    pub oldest_waiting_ms: Option<u64>,
}

impl Store {
    /// The progress of the channel `channel` (its ARN).
    ///
    /// ```
    /// # use shardlog::{CreateChannel, CreateStream, PutEntry, Store, StoreOptions, StreamMode};
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), StoreOptions { channel_interval: None, ..Default::default() })?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let c = store.create_channel(CreateChannel::new("c", "s", "arn:aws:s3:::lake"))?;
    /// store.put_record("s", PutEntry::new("k", b"{}"))?;
    /// assert_eq!(store.channel_progress(&c.channel_arn)?.behind, 1);
    /// store.deliver_channels()?;
    /// let p = store.channel_progress(&c.channel_arn)?;
    /// assert_eq!((p.behind, p.records_delivered, p.objects_written), (0, 1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn channel_progress(&self, channel: &str) -> Result<ChannelProgress> {
        let d = self.describe_channel(channel)?;
        let live = self.find_channel(channel)?;
        let def = live.def.locked().clone();
        let db = self.state_file()?;
        let totals = state::load_totals(&db, &def.id)?;
        let stored = state::load_progress(&db, &def.id)?;
        let mut behind = 0u64;
        let mut oldest: Option<u64> = None;
        // A stream deleted and made again under the name is not the channel's.
        let stream = self.inner.stream(&def.stream).ok();
        let stream = stream.filter(|s| s.incarnation == def.stream_incarnation);
        for view in stream.iter().flat_map(|s| views(s)) {
            let start = def.starts.get(&view.index).copied().unwrap_or(0);
            let cursor = stored
                .get(&view.index)
                .and_then(|s| s.cursor)
                .unwrap_or(start)
                .max(view.shard.log.start_seq());
            let end = view.end.unwrap_or(u64::MAX).min(view.shard.log.next_seq());
            if cursor >= end {
                continue;
            }
            behind += end - cursor;
            let incarnation = def.stream_incarnation;
            let (first, _) = read_records(&view.shard, incarnation, cursor, (1, 1 << 20), end)?;
            if let Some(r) = first.first() {
                let t = r.approximate_arrival_timestamp_ms;
                oldest = Some(oldest.map_or(t, |o| o.min(t)));
            }
        }
        Ok(ChannelProgress {
            channel_name: d.channel_name,
            channel_arn: d.channel_arn,
            status: d.status,
            status_reason: d.status_reason,
            records_delivered: totals.records,
            record_bytes_delivered: totals.record_bytes,
            objects_written: totals.objects,
            object_bytes_written: totals.object_bytes,
            last_delivery_ms: (totals.last_ms > 0).then_some(totals.last_ms),
            behind,
            oldest_waiting_ms: oldest,
        })
    }
}
