//! The application's side of a worker: one [`RecordProcessor`] per shard lease.

use super::checkpointer::Checkpointer;
use super::lease::Checkpoint;
use crate::get::Record;
use crate::names::ShardId;

/// What a processor learns when its shard starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitializationInput {
    /// The shard this processor consumes.
    pub shard_id: ShardId,
    /// Where processing resumes: records after this checkpoint are delivered.
    pub checkpoint: Checkpoint,
    /// A prepared checkpoint a previous owner left behind, if any.
    pub pending_checkpoint: Option<Checkpoint>,
}

/// One batch of records, in sequence order.
#[derive(Debug)]
pub struct ProcessRecordsInput<'a> {
    /// The shard they come from.
    pub shard_id: ShardId,
    /// The records; never empty.
    pub records: &'a [Record],
    /// How far this shard's reader is behind its newest record.
    pub millis_behind_latest: u64,
}

/// The application code a worker drives, modelled on the KCL's `ShardRecordProcessor`.
///
/// Delivery is at least once: records after the last checkpoint are delivered again when another
/// worker takes the shard over. Each method runs on the shard's own thread.
///
/// ```
/// use shardlog::consumer::{Checkpointer, ProcessRecordsInput, RecordProcessor};
///
/// struct Count(u64);
/// impl RecordProcessor for Count {
///     fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
///         self.0 += input.records.len() as u64;
///         // Checkpoint after every batch; a failure is retried on the next batch.
///         let _ = cp.checkpoint();
///     }
///     fn shard_ended(&mut self, cp: &mut Checkpointer) {
///         // Required: records SHARD_END so the children may start.
///         let _ = cp.checkpoint();
///     }
/// }
/// ```
pub trait RecordProcessor: Send {
    /// Called once before the first batch.
    fn initialize(&mut self, input: &InitializationInput) {
        let _ = input;
    }

    /// Called with each non-empty batch of records.
    fn process_records(&mut self, input: ProcessRecordsInput<'_>, checkpointer: &mut Checkpointer);

    /// The lease was taken by another worker or expired: this processor can no longer
    /// checkpoint, and another worker resumes from the last checkpoint.
    fn lease_lost(&mut self) {}

    /// Every record of the shard was delivered. The processor must call
    /// [`Checkpointer::checkpoint`] here, which records `SHARD_END`; until it does, the shard's
    /// children do not start.
    fn shard_ended(&mut self, checkpointer: &mut Checkpointer);

    /// The worker is shutting down gracefully; the processor still holds the lease and may
    /// checkpoint.
    fn shutdown_requested(&mut self, checkpointer: &mut Checkpointer) {
        let _ = checkpointer;
    }
}
