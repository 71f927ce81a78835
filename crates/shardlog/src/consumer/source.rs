//! What a worker needs from the stream it consumes.
//!
//! The worker never touches shards directly: it goes through [`RecordSource`], the handful of
//! Kinesis calls the KCL makes. [`Store`] implements it in-process; a client of `shardlog serve`
//! (or of AWS itself) can implement it too, so the same worker runs against either.

use crate::error::{Error, Result};
use crate::get::{GetRecordsOutput, StartingPosition};
use crate::names::{shard_not_found, ShardId};
use crate::seqnum::SequenceNumber;
use crate::store::Store;
use crate::streams::ShardDescription;
use shardlog_segment::Durability;

/// The stream operations a [`Worker`](super::Worker) uses.
///
/// ```
/// use shardlog::consumer::RecordSource;
/// use shardlog::{PutEntry, StartingPosition, Store, StoreOptions};
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path(), StoreOptions::default())?;
/// store.create_stream("s", 1)?;
/// let put = store.put_record("s", PutEntry::new("k", b"v"))?;
/// let shards = RecordSource::list_shards(&store, "s")?;
/// assert_eq!(shards[0].shard_id, put.shard_id);
/// store.make_durable("s", put.shard_id, put.sequence_number)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RecordSource: Send + Sync + 'static {
    /// Every shard of the stream still within retention, open and closed, in creation order.
    fn list_shards(&self, stream: &str) -> Result<Vec<ShardDescription>>;

    /// An iterator token for `shard` at `position` (Kinesis `GetShardIterator`).
    fn get_shard_iterator(
        &self,
        stream: &str,
        shard: ShardId,
        position: StartingPosition,
    ) -> Result<String>;

    /// Up to `limit` records from an iterator (Kinesis `GetRecords`).
    fn get_records(&self, iterator: &str, limit: usize) -> Result<GetRecordsOutput>;

    /// Returns once every record of `shard` up to and including `sequence_number` is durable.
    /// A checkpoint may only name a durable record: otherwise, under a relaxed durability mode, a
    /// power cut could leave the checkpoint naming records that no longer exist, whose effects
    /// the application has already made permanent.
    fn make_durable(
        &self,
        stream: &str,
        shard: ShardId,
        sequence_number: SequenceNumber,
    ) -> Result<()>;
}

impl RecordSource for Store {
    fn list_shards(&self, stream: &str) -> Result<Vec<ShardDescription>> {
        Ok(self.describe_stream(stream)?.shards)
    }

    fn get_shard_iterator(
        &self,
        stream: &str,
        shard: ShardId,
        position: StartingPosition,
    ) -> Result<String> {
        Store::get_shard_iterator(self, stream, shard, position)
    }

    fn get_records(&self, iterator: &str, limit: usize) -> Result<GetRecordsOutput> {
        Store::get_records(self, iterator, limit)
    }

    fn make_durable(&self, stream: &str, shard: ShardId, _: SequenceNumber) -> Result<()> {
        // Under `Sync` a record becomes visible only once it is durable, so whatever a consumer
        // was handed is already on disk.
        if matches!(self.inner.opts.durability, Durability::Sync) {
            return Ok(());
        }
        let stream_ref = self.inner.stream(stream)?;
        let log = {
            let state = stream_ref.read();
            let found = state.shards.get(&shard.0).cloned();
            found.ok_or_else(|| shard_not_found(shard, stream, self.account_id()))?
        };
        log.log.sync()?;
        Ok(())
    }
}

impl Store {
    /// Checks that `seq` names a record of `shard`: one still stored, or one below the shard's
    /// retained start (retention dropped it, so it can no longer be looked at). A checkpoint of
    /// anything else (a number not yet handed out, a gap, another shard's or stream's record)
    /// would make a consumer skip or repeat records after it resumes.
    pub(crate) fn check_record(
        &self,
        stream: &str,
        shard: ShardId,
        seq: SequenceNumber,
    ) -> Result<()> {
        let refuse = |why: &str| {
            Err(Error::InvalidArgument(format!(
                "Checkpoint {seq} is not a record of shard {shard} in stream {stream}: {why}."
            )))
        };
        let s = self.inner.stream(stream)?;
        let handle = {
            let state = s.read();
            state.shard(shard, stream, self.account_id())?.1.clone()
        };
        if seq.incarnation() != s.incarnation {
            return refuse("it comes from another stream");
        }
        if seq.shard_index() != shard.0 {
            return refuse("it comes from another shard");
        }
        let counter = seq.counter();
        if counter >= handle.log.next_seq() {
            return refuse("no record with that number exists yet");
        }
        if counter < handle.log.start_seq() {
            return Ok(());
        }
        let found = handle.log.read(counter, 1, 0)?;
        match found.records.first() {
            Some(r) if r.seq == counter => Ok(()),
            // Retention may have dropped it since the start was read.
            _ if counter < handle.log.start_seq() => Ok(()),
            _ => refuse("no record has that number"),
        }
    }
}
