//! One held shard's thread: wait for the parents, then read, deliver and checkpoint until the
//! shard ends, the lease is lost, or the worker stops.

use super::checkpointer::{Checkpointer, ShardContext};
use super::held::HeldLease;
use super::lease::{Checkpoint, HashKeyRange, Lease, LeaseKey, LeaseOp, NewLease};
use super::processor::{InitializationInput, ProcessRecordsInput, RecordProcessor};
use super::shared::Shared;
use crate::error::{Error, Result};
use crate::get::{ChildShard, StartingPosition};
use std::sync::Arc;
use std::time::Instant;

/// Runs the shard to one of its ends, then gives the lease slot back to the coordinator.
pub(crate) fn run(shared: Arc<Shared>, lease: Arc<HeldLease>) {
    let ctx = Arc::new(ShardContext {
        source: Arc::clone(&shared.source),
        table: shared.table.clone(),
        stream: shared.config.stream.clone(),
        lease: Arc::clone(&lease),
        retries: shared.config.checkpoint_retries,
    });
    if let Err(e) = consume(&shared, &ctx) {
        if !matches!(e, Error::LeaseLost(_)) {
            shared.report(&format!("shard {}", lease.shard), &e);
        }
    }
    shared.lag().remove(&lease.shard);
    shared.held().remove(&lease.key.shard_id);
}

fn consume(shared: &Shared, ctx: &Arc<ShardContext>) -> Result<()> {
    let Some(lease) = wait_for_parents(shared, ctx)? else {
        return Ok(());
    };
    if lease.checkpoint == Checkpoint::ShardEnd {
        return release(ctx);
    }
    let shard = ctx.lease.shard;
    let start = position(&lease.checkpoint)?;
    let mut processor = (shared.factory)();
    processor.initialize(&InitializationInput {
        shard_id: shard,
        checkpoint: lease.checkpoint.clone(),
        pending_checkpoint: lease.pending_checkpoint.clone(),
    });
    let mut cp = Checkpointer::new(Arc::clone(ctx), lease.checkpoint);
    let source = &shared.source;
    let config = &shared.config;
    let mut iterator = source.get_shard_iterator(&config.stream, shard, start)?;
    let mut last_auto = Instant::now();
    loop {
        if shared.abandoned() {
            return Ok(());
        }
        if shared.stopping() {
            processor.shutdown_requested(&mut cp);
            return release(ctx);
        }
        if !ctx.lease.is_held() {
            processor.lease_lost();
            return Ok(());
        }
        let out = match source.get_records(&iterator, config.max_records) {
            Ok(out) => out,
            Err(Error::ExpiredIterator(_)) => {
                let resume = cp
                    .largest_delivered()
                    .map_or(start, StartingPosition::AfterSequenceNumber);
                iterator = source.get_shard_iterator(&config.stream, shard, resume)?;
                continue;
            }
            Err(e @ Error::ResourceNotFound(_)) => {
                processor.lease_lost();
                return Err(e);
            }
            Err(e) => {
                shared.report(&format!("reading shard {shard}"), &e);
                shared.sleep(config.idle_time_between_reads);
                continue;
            }
        };
        shared.lag().insert(shard, out.millis_behind_latest);
        if let Some(last) = out.records.last() {
            cp.delivered(last.sequence_number);
            let input = ProcessRecordsInput {
                shard_id: shard,
                records: &out.records,
                millis_behind_latest: out.millis_behind_latest,
            };
            processor.process_records(input, &mut cp);
            if config
                .checkpoint_interval
                .is_some_and(|every| last_auto.elapsed() >= every)
            {
                if let Err(e) = cp.checkpoint() {
                    shared.report(&format!("checkpointing shard {shard}"), &e);
                }
                last_auto = Instant::now();
            }
        }
        match out.next_shard_iterator {
            Some(next) => {
                iterator = next;
                if out.records.is_empty() {
                    shared.sleep(config.idle_time_between_reads);
                }
            }
            None => return end_shard(ctx, &mut *processor, cp, &out.child_shards),
        }
    }
}

/// Waits until every parent lease is gone or at `SHARD_END`; returns the lease as stored, or
/// `None` when the worker stops or the lease goes first.
fn wait_for_parents(shared: &Shared, ctx: &ShardContext) -> Result<Option<Lease>> {
    loop {
        let lease = ctx
            .retry(|| ctx.table.get(&ctx.lease.key))?
            .ok_or_else(|| Error::LeaseLost(ctx.lease.key.to_string()))?;
        let mut waiting = false;
        for parent in &lease.parent_shard_ids {
            let key = LeaseKey::new(&ctx.lease.key.application, &ctx.stream, parent);
            let parent = ctx.retry(|| ctx.table.get(&key))?;
            waiting |= parent.is_some_and(|p| p.checkpoint != Checkpoint::ShardEnd);
        }
        if !waiting {
            return Ok(Some(lease));
        }
        if shared.abandoned() || !ctx.lease.is_held() {
            return Ok(None);
        }
        if shared.stopping() {
            release(ctx)?;
            return Ok(None);
        }
        shared.sleep(shared.config.parent_poll_interval);
    }
}

/// The shard was read to its end: create the children's leases (before `SHARD_END` is recorded,
/// so a crash in between leaves the parent to be finished again rather than orphaned children),
/// note them on the parent, and let the processor checkpoint `SHARD_END`.
fn end_shard(
    ctx: &ShardContext,
    processor: &mut dyn RecordProcessor,
    mut cp: Checkpointer,
    children: &[ChildShard],
) -> Result<()> {
    for child in children {
        // A merge child waits for both parents, and a parent without a lease counts as finished
        // (trimmed or cleaned up). So while the other parent's lease does not exist yet (its own
        // parent is still being read), creating the child would let it start too early: leave
        // it to whichever parent finishes last, as the KCL does.
        let mut parents_leased = true;
        for parent in &child.parent_shards {
            let key = LeaseKey::new(&ctx.lease.key.application, &ctx.stream, &parent.to_string());
            parents_leased &= ctx.retry(|| ctx.table.get(&key))?.is_some();
        }
        if !parents_leased {
            continue;
        }
        let new = NewLease {
            checkpoint: Checkpoint::TrimHorizon,
            parent_shard_ids: child.parent_shards.iter().map(|p| p.to_string()).collect(),
            hash_key_range: HashKeyRange {
                start: child.hash_key_range.0,
                end: child.hash_key_range.1,
            },
        };
        let key = LeaseKey::new(
            &ctx.lease.key.application,
            &ctx.stream,
            &child.shard_id.to_string(),
        );
        ctx.retry(|| ctx.table.create_if_absent(&key, new.clone()))?;
    }
    let ids: Vec<String> = children.iter().map(|c| c.shard_id.to_string()).collect();
    ctx.write_fenced(|counter| {
        let op = LeaseOp::set_child_shards(ids.clone());
        ctx.table.change(&ctx.lease.key, counter, op)
    })?;
    cp.set_shard_ended();
    processor.shard_ended(&mut cp);
    if *cp.last_checkpoint() != Checkpoint::ShardEnd {
        return Err(Error::InvalidArgument(format!(
            "the processor of shard {} did not checkpoint at the shard's end; its children wait until it does",
            ctx.lease.shard
        )));
    }
    release(ctx)
}

/// Gives the lease up (owner cleared) so another worker can take it without waiting it out.
fn release(ctx: &ShardContext) -> Result<()> {
    ctx.write_fenced(|counter| ctx.table.change(&ctx.lease.key, counter, LeaseOp::Evict))
}

fn position(checkpoint: &Checkpoint) -> Result<StartingPosition> {
    Ok(match checkpoint {
        Checkpoint::TrimHorizon => StartingPosition::TrimHorizon,
        Checkpoint::Latest | Checkpoint::ShardEnd => StartingPosition::Latest,
        Checkpoint::AtTimestamp(t) => StartingPosition::AtTimestamp(*t),
        Checkpoint::SequenceNumber {
            sequence_number, ..
        } => {
            let seq = sequence_number.parse().map_err(|_| {
                Error::InvalidArgument(format!(
                    "checkpoint {sequence_number} is not a sequence number"
                ))
            })?;
            StartingPosition::AfterSequenceNumber(seq)
        }
    })
}
