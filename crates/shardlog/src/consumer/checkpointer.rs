//! Recording how far a shard's processor got, under the lease it holds.

use super::held::HeldLease;
use super::lease::{Checkpoint, Lease, LeaseOp};
use super::leases::{lease_moved, LeaseStore};
use super::source::RecordSource;
use crate::error::{Error, Result};
use crate::seqnum::SequenceNumber;
use std::sync::Arc;
use std::time::Duration;

/// What a checkpoint write needs: where to write, under which lease, and the records' source.
pub(crate) struct ShardContext {
    pub source: Arc<dyn RecordSource>,
    pub table: Arc<dyn LeaseStore>,
    pub stream: String,
    pub lease: Arc<HeldLease>,
    /// Extra attempts after a transient failure of the checkpoint file.
    pub retries: u32,
}

/// Waits before retry number `attempt` (1-based): 20 ms, doubling, at most 640 ms.
pub(crate) fn backoff(attempt: u32) {
    std::thread::sleep(Duration::from_millis(10 << attempt.min(6)));
}

impl ShardContext {
    /// Runs a read or an idempotent write, retrying while the lease store is unreachable.
    pub fn retry<T>(&self, mut op: impl FnMut() -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            match op() {
                Err(Error::Unavailable(_)) if attempt < self.retries => {
                    attempt += 1;
                    backoff(attempt);
                }
                other => return other,
            }
        }
    }

    /// Applies one conditional write under the held lease, retrying transient failures.
    /// A counter mismatch means another worker moved the lease: it is marked lost, not retried.
    pub fn write_fenced(&self, mut op: impl FnMut(u64) -> Result<Lease>) -> Result<()> {
        let mut attempt = 0;
        loop {
            let mut state = self.lease.lock();
            if !state.is_held(self.lease.failover()) {
                return Err(Error::LeaseLost(self.lease.key.to_string()));
            }
            match op(state.counter) {
                Ok(lease) => {
                    state.counter = lease.counter;
                    return Ok(());
                }
                Err(e) if lease_moved(&e) => {
                    state.lost = true;
                    return Err(Error::LeaseLost(self.lease.key.to_string()));
                }
                Err(e) if attempt >= self.retries => return Err(e),
                Err(_) => {
                    drop(state);
                    attempt += 1;
                    backoff(attempt);
                }
            }
        }
    }
}

/// Records a shard's progress. Handed to every [`RecordProcessor`](super::RecordProcessor) call
/// that may checkpoint.
///
/// A checkpoint is a conditional write on the lease: it succeeds only while this worker still
/// holds the lease under the same acquisition, and only names a record that is durable. Whoever
/// owns the shard next resumes strictly after it.
///
/// ```
/// use shardlog::consumer::{Checkpointer, ProcessRecordsInput, RecordProcessor};
/// struct EveryHundred(usize);
/// impl RecordProcessor for EveryHundred {
///     fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
///         for record in input.records {
///             self.0 += 1;
///             if self.0 % 100 == 0 {
///                 // Everything up to this record is done.
///                 let _ = cp.checkpoint_at(record.sequence_number);
///             }
///         }
///     }
///     fn shard_ended(&mut self, cp: &mut Checkpointer) {
///         let _ = cp.checkpoint();
///     }
/// }
/// ```
pub struct Checkpointer {
    ctx: Arc<ShardContext>,
    largest_delivered: Option<SequenceNumber>,
    last: Checkpoint,
    shard_ended: bool,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer")
            .field("lease", &self.ctx.lease.key)
            .field("largest_delivered", &self.largest_delivered)
            .field("last", &self.last)
            .finish()
    }
}

impl Checkpointer {
    pub(crate) fn new(ctx: Arc<ShardContext>, last: Checkpoint) -> Self {
        Checkpointer {
            ctx,
            largest_delivered: None,
            last,
            shard_ended: false,
        }
    }

    pub(crate) fn delivered(&mut self, sequence_number: SequenceNumber) {
        self.largest_delivered = Some(sequence_number);
    }

    pub(crate) fn set_shard_ended(&mut self) {
        self.shard_ended = true;
    }

    pub(crate) fn largest_delivered(&self) -> Option<SequenceNumber> {
        self.largest_delivered
    }

    /// Checkpoints the newest record delivered so far; at the shard's end, records `SHARD_END`.
    /// Does nothing when nothing new was delivered.
    ///
    /// # Errors
    /// [`Error::LeaseLost`] when the lease moved to another worker or lapsed; a checkpoint-file
    /// error after the configured retries.
    pub fn checkpoint(&mut self) -> Result<()> {
        if self.shard_ended {
            return self.write(Checkpoint::ShardEnd);
        }
        match self.largest_delivered {
            Some(seq) => self.checkpoint_at(seq),
            None => Ok(()),
        }
    }

    /// Checkpoints a specific delivered record: records up to and including it are done.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the record was not delivered yet or lies before the last
    /// checkpoint; otherwise as [`Checkpointer::checkpoint`].
    pub fn checkpoint_at(&mut self, sequence_number: SequenceNumber) -> Result<()> {
        let delivered = self.largest_delivered.filter(|max| sequence_number <= *max);
        let Some(max) = delivered else {
            return Err(Error::InvalidArgument(format!(
                "cannot checkpoint {sequence_number}: it has not been delivered yet (largest delivered: {})",
                self.largest_delivered.map_or("none".into(), |s| s.to_string())
            )));
        };
        if let Some(last) = self.last_sequence_number() {
            if sequence_number < last {
                return Err(Error::InvalidArgument(format!(
                    "cannot checkpoint {sequence_number}: it lies before the last checkpoint {last}"
                )));
            }
        }
        if self.shard_ended && sequence_number == max {
            return self.write(Checkpoint::ShardEnd);
        }
        self.write(Checkpoint::sequence(&sequence_number.to_string(), 0))
    }

    /// The last value this processor's lease recorded.
    pub fn last_checkpoint(&self) -> &Checkpoint {
        &self.last
    }

    fn last_sequence_number(&self) -> Option<SequenceNumber> {
        match &self.last {
            Checkpoint::SequenceNumber {
                sequence_number, ..
            } => sequence_number.parse().ok(),
            _ => None,
        }
    }

    fn write(&mut self, value: Checkpoint) -> Result<()> {
        if self.last == value {
            return Ok(());
        }
        if let Some(seq) = self.largest_delivered {
            let shard = self.ctx.lease.shard;
            self.ctx.source.make_durable(&self.ctx.stream, shard, seq)?;
        }
        let ctx = Arc::clone(&self.ctx);
        ctx.write_fenced(|counter| {
            let op = LeaseOp::checkpoint(value.clone());
            ctx.table.change(&ctx.lease.key, counter, op)
        })?;
        self.last = value;
        Ok(())
    }
}
