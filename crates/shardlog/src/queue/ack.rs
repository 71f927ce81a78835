//! Acknowledgements and visibility changes: calls that act on receipt handles.
//!
//! Each entry succeeds or fails on its own (AWS's `Successful` / `Failed` lists); the changes of
//! the successful ones are committed together, in a commit shared with concurrent calls, before the
//! call returns.

use super::handle::Handle;
use super::receive::shard_mut;
use super::state::{Entry, Op};
use super::{QueueBatchOutput, QueueEntryFailure, MAX_QUEUE_BATCH};
use crate::error::{Error, Result};
use crate::store::Store;
use shardlog_storage::MutexExt as _;

/// What a call does to each record its handles name.
#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    Acknowledge,
    Visibility,
    Restore,
}

const INVALID: &str = "InvalidArgumentException";

impl Store {
    /// Acknowledges up to 10 received records (`AcknowledgeQueueRecords`): the queue never
    /// delivers them again. A handle fails (in [`QueueBatchOutput::failed`]) if it is not one, or
    /// no longer names the record's current delivery (received again since, acknowledged,
    /// dead-lettered, or dropped by retention).
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
    /// let out = store.acknowledge_queue_records(&q.queue_arn, &[&got[0].receipt_handle, "bogus"])?;
    /// assert_eq!(out.successful, [got[0].receipt_handle.clone()]);
    /// assert_eq!(out.failed[0].error_code, "InvalidArgumentException");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn acknowledge_queue_records<S: AsRef<str>>(
        &self,
        queue: &str,
        receipt_handles: &[S],
    ) -> Result<QueueBatchOutput> {
        let entries: Vec<(&str, u32)> = receipt_handles.iter().map(|h| (h.as_ref(), 0)).collect();
        self.settle(queue, &entries, false, Action::Acknowledge)
    }

    /// Sets the visibility timeout of up to 10 received records, counted from now
    /// (`UpdateQueueRecordsVisibility`); 0 makes a record visible at once.
    ///
    /// ```
    /// # use shardlog::{CreateQueue, CreateStream, PutEntry, QueueStartingPosition, Store, StreamMode};
    /// # use std::time::Duration;
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::open(dir.path(), Default::default())?;
    /// # store.create_stream_with("s", CreateStream { shard_count: 1, mode: StreamMode::OnDemand, ..Default::default() })?;
    /// # let q = store.create_queue(CreateQueue::new("q", "s").starting_at(QueueStartingPosition::TrimHorizon))?;
    /// store.put_record("s", PutEntry::new("k", b"one"))?;
    /// let got = store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// store.update_queue_records_visibility(&q.queue_arn, &[(got[0].receipt_handle.as_str(), 0)])?;
    /// let again = store.receive_queue_records(&q.queue_arn, 10, Duration::ZERO)?;
    /// assert_eq!(again[0].receive_count, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_queue_records_visibility(
        &self,
        queue: &str,
        entries: &[(&str, u32)],
    ) -> Result<QueueBatchOutput> {
        self.settle(queue, entries, false, Action::Visibility)
    }

    pub(super) fn settle(
        &self,
        queue: &str,
        entries: &[(&str, u32)],
        dead: bool,
        action: Action,
    ) -> Result<QueueBatchOutput> {
        if !(1..=MAX_QUEUE_BATCH).contains(&entries.len()) {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and {MAX_QUEUE_BATCH}"
            )));
        }
        for (_, seconds) in entries {
            super::control::check_visibility(*seconds, "entries.member.visibilityTimeoutSeconds")?;
        }
        let (_, meta) = self.find_queue(queue)?;
        let live = self.live_queue(&meta)?;
        let now = self.inner.now_ms();
        let keys = &live.keys;
        let mut out = QueueBatchOutput::default();
        let mut ops = Vec::new();
        let mut wake = false;
        let ticket = {
            let mut d = live.delivery.locked();
            if d.gone {
                return Err(self.queue_not_found(queue));
            }
            for (text, seconds) in entries {
                let fail = |why: String| QueueEntryFailure {
                    receipt_handle: text.to_string(),
                    error_code: INVALID,
                    error_message: why,
                };
                let Some(h) = Handle::decode(text, &self.inner.secret) else {
                    out.failed
                        .push(fail(format!("Receipt handle {text} is invalid.")));
                    continue;
                };
                if h.incarnation != meta.incarnation {
                    out.failed.push(fail(format!(
                        "Receipt handle {text} does not belong to queue {}.",
                        self.queue_arn(&meta.id)
                    )));
                    continue;
                }
                if h.dead != dead {
                    let which = if h.dead { "a dead-letter" } else { "a queue" };
                    out.failed.push(fail(format!(
                        "Receipt handle {text} is {which} record's handle; use the {} calls.",
                        if h.dead {
                            "dead-letter"
                        } else {
                            "queue record"
                        }
                    )));
                    continue;
                }
                let sd = shard_mut(&mut d, &meta, h.shard);
                let map = if dead {
                    &mut sd.dead
                } else {
                    &mut sd.in_flight
                };
                let current = map.get(&h.counter).copied();
                let Some(entry) = current.filter(|e| e.delivery == h.delivery) else {
                    out.failed.push(fail(format!(
                        "Receipt handle {text} no longer names the record's current delivery: it was received again, acknowledged, {} or dropped by retention.",
                        if dead { "restored" } else { "dead-lettered" }
                    )));
                    continue;
                };
                let key = keys.entry(dead, h.shard, h.counter);
                match action {
                    Action::Acknowledge => {
                        map.remove(&h.counter);
                        ops.push(Op::Delete(key));
                    }
                    Action::Visibility => {
                        let next = Entry {
                            deadline_ms: now.saturating_add(u64::from(*seconds) * 1000),
                            ..entry
                        };
                        map.insert(h.counter, next);
                        ops.push(Op::Put(key, next.encode()));
                        wake |= *seconds == 0;
                    }
                    Action::Restore => {
                        map.remove(&h.counter);
                        let back = Entry {
                            deadline_ms: 0,
                            receives: 0,
                            ..entry
                        };
                        sd.in_flight.insert(h.counter, back);
                        ops.push(Op::Delete(key));
                        ops.push(Op::Put(
                            keys.entry(false, h.shard, h.counter),
                            back.encode(),
                        ));
                        wake = true;
                    }
                }
                out.successful.push(text.to_string());
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
        if wake {
            live.changed.notify_all();
        }
        Ok(out)
    }
}
