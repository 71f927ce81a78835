//! Dead letters: records received `MaxReceiveCount` times without an acknowledgement. They stay in
//! the same queue, out of the main path, with calls of their own.

use super::ack::Action;
use super::{QueueBatchOutput, QueueRecord, ReceiveQueueRecords};
use crate::error::Result;
use crate::store::Store;
use std::time::Duration;

impl Store {
    /// Receives up to `limit` (1–10) visible dead-letter records, waiting up to `wait`
    /// (`ReceiveDeadLetterQueueRecords`). Each is invisible to the next dead-letter receive for the
    /// queue's visibility timeout.
    ///
    /// ```
    /// use shardlog::{CreateQueue, CreateStream, DeadLetterConfiguration, PutEntry, QueueAttributes, QueueStartingPosition, Store, StreamMode};
    /// use std::time::Duration;
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), Default::default())?;
    /// store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// let attrs = QueueAttributes { dead_letter_configuration: Some(DeadLetterConfiguration::built_in(1)), ..Default::default() };
    /// let q = store.create_queue(CreateQueue::new("q", "s").starting_at(QueueStartingPosition::TrimHorizon).with_attributes(attrs))?;
    /// store.put_record("s", PutEntry::new("k", b"poison"))?;
    /// let got = store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// store.update_queue_records_visibility(&q.queue_arn, &[(got[0].receipt_handle.as_str(), 0)])?;
    /// // Received once already (MaxReceiveCount 1): it is a dead letter now.
    /// assert!(store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?.is_empty());
    /// let dead = store.receive_dead_letter_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// assert_eq!(dead[0].record.data, b"poison"[..]);
    /// store.acknowledge_dead_letter_queue_records(&q.queue_arn, &[&dead[0].receipt_handle])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_dead_letter_queue_records(
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
        self.receive_waiting(queue, req, true)
    }

    /// [`receive_dead_letter_queue_records`](Store::receive_dead_letter_queue_records) with every
    /// request member; `wait` zero is the non-blocking form.
    pub fn receive_dead_letter_queue_records_with(
        &self,
        queue: &str,
        req: ReceiveQueueRecords,
    ) -> Result<Vec<QueueRecord>> {
        self.receive_waiting(queue, req, true)
    }

    /// Acknowledges up to 10 dead-letter records (`AcknowledgeDeadLetterQueueRecords`): the queue
    /// returns them no more. Handles of the main path are refused.
    pub fn acknowledge_dead_letter_queue_records<S: AsRef<str>>(
        &self,
        queue: &str,
        receipt_handles: &[S],
    ) -> Result<QueueBatchOutput> {
        let entries: Vec<(&str, u32)> = receipt_handles.iter().map(|h| (h.as_ref(), 0)).collect();
        self.settle(queue, &entries, true, Action::Acknowledge)
    }

    /// Sets the visibility timeout of up to 10 received dead-letter records, counted from now
    /// (`UpdateDeadLetterQueueRecordsVisibility`).
    pub fn update_dead_letter_queue_records_visibility(
        &self,
        queue: &str,
        entries: &[(&str, u32)],
    ) -> Result<QueueBatchOutput> {
        self.settle(queue, entries, true, Action::Visibility)
    }

    /// Returns up to 10 received dead-letter records to the main path
    /// (`RestoreDeadLetterQueueRecords`): visible at once, with their receive count reset, so the
    /// queue delivers them again up to `MaxReceiveCount` times.
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, DeadLetterConfiguration, PutEntry, QueueAttributes, QueueStartingPosition, Store, StreamMode};
    /// # use std::time::Duration;
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// # let attrs = QueueAttributes { dead_letter_configuration: Some(DeadLetterConfiguration::built_in(1)), ..Default::default() };
    /// # let q = store.create_queue(CreateQueue::new("q", "s").starting_at(QueueStartingPosition::TrimHorizon).with_attributes(attrs))?;
    /// # store.put_record("s", PutEntry::new("k", b"poison"))?;
    /// # let got = store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// # store.update_queue_records_visibility(&q.queue_arn, &[(got[0].receipt_handle.as_str(), 0)])?;
    /// # assert!(store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?.is_empty());
    /// let dead = store.receive_dead_letter_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// store.restore_dead_letter_queue_records(&q.queue_arn, &[&dead[0].receipt_handle])?;
    /// let back = store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// assert_eq!((back[0].record.data.as_ref(), back[0].receive_count), (&b"poison"[..], 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_dead_letter_queue_records<S: AsRef<str>>(
        &self,
        queue: &str,
        receipt_handles: &[S],
    ) -> Result<QueueBatchOutput> {
        let entries: Vec<(&str, u32)> = receipt_handles.iter().map(|h| (h.as_ref(), 0)).collect();
        self.settle(queue, &entries, true, Action::Restore)
    }
}
