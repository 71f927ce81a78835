//! Resharding: split, merge, and uniform scaling built from them.
//!
//! Each change is one catalog commit: the parent's records are synced, the children's directories and
//! logs are created, and only then does the catalog (closing the parent, adding the children) replace
//! the old one. Writes to the stream wait while the change is applied, so a parent never takes a
//! record after the counter recorded as its end.

use crate::catalog::{Closed, ShardMeta, StreamMeta, StreamMode};
use crate::error::{Error, Result};
use crate::hashkey::even_ranges;
use crate::names::ShardId;
use crate::open::new_shard;
use crate::store::{Store, StreamState};
use shardlog_storage::crashpoint::{self, CrashPoint};

impl Store {
    /// Splits an open shard in two at `new_starting_hash_key`, which must lie strictly inside it: the
    /// children cover `[start, key - 1]` and `[key, end]`.
    pub fn split_shard(
        &self,
        stream: &str,
        shard: ShardId,
        new_starting_hash_key: u128,
    ) -> Result<(ShardId, ShardId)> {
        self.updating(stream, || {
            self.split(stream, shard, new_starting_hash_key, true, false)
        })
    }

    /// Splits; `kinesis_rule` applies Kinesis' stricter bound on the key (more than one above the
    /// start), which uniform scaling does not need.
    fn split(
        &self,
        stream: &str,
        shard: ShardId,
        new_starting_hash_key: u128,
        kinesis_rule: bool,
        managed: bool,
    ) -> Result<(ShardId, ShardId)> {
        let mut children = (ShardId(0), ShardId(0));
        let account = self.account_id();
        self.reshard(stream, |meta| {
            let parent = open_shard_meta(meta, shard, stream, account, managed)?;
            let key = new_starting_hash_key;
            let low = if kinesis_rule { parent.start_hash.saturating_add(1) } else { parent.start_hash };
            if key <= low || key > parent.end_hash || (kinesis_rule && key == parent.end_hash) {
                return Err(Error::InvalidArgument(format!(
                    "NewStartingHashKey {key} used in SplitShard() on shard {shard} in stream {stream} under account {account} is not both greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
                    parent.start_hash, parent.end_hash
                )));
            }
            let (start, end) = (parent.start_hash, parent.end_hash);
            let a = add_child(meta, start, key - 1, shard.0, None);
            let b = add_child(meta, key, end, shard.0, None);
            children = (a, b);
            Ok(vec![shard.0])
        })?;
        tracing::info!(
            stream,
            parent = %shard,
            children = %format_args!("{},{}", children.0, children.1),
            hash_key = new_starting_hash_key,
            on_demand = managed,
            "split shard"
        );
        Ok(children)
    }

    /// Merges two open shards with adjacent hash-key ranges into one child covering both.
    pub fn merge_shards(&self, stream: &str, shard: ShardId, adjacent: ShardId) -> Result<ShardId> {
        self.updating(stream, || self.merge(stream, shard, adjacent))
    }

    fn merge(&self, stream: &str, shard: ShardId, adjacent: ShardId) -> Result<ShardId> {
        let mut child = ShardId(0);
        let account = self.account_id();
        self.reshard(stream, |meta| {
            let a = open_shard_meta(meta, shard, stream, account, false)?;
            let b = open_shard_meta(meta, adjacent, stream, account, false)?;
            let adjacent_pair = a.end_hash.checked_add(1) == Some(b.start_hash) || b.end_hash.checked_add(1) == Some(a.start_hash);
            if !adjacent_pair || shard == adjacent {
                return Err(Error::InvalidArgument(format!(
                    "Shards {shard} and {adjacent} in stream {stream} under account {account} are not an adjacent pair of shards eligible for merging"
                )));
            }
            let (start, end) = (a.start_hash.min(b.start_hash), a.end_hash.max(b.end_hash));
            child = add_child(meta, start, end, shard.0, Some(adjacent.0));
            Ok(vec![shard.0, adjacent.0])
        })?;
        tracing::info!(stream, parent = %shard, adjacent = %adjacent, child = %child, "merged shards");
        Ok(child)
    }

    /// Scales the stream to `target` open shards of equal width by splitting each open shard at the
    /// target boundaries inside it and merging the pieces of each target range (uniform scaling, as
    /// Kinesis does it). The target must be within half and double the current open shard count.
    pub fn update_shard_count(&self, stream: &str, target: u32) -> Result<u32> {
        self.updating(stream, || self.scale(stream, target))
    }

    fn scale(&self, stream: &str, target: u32) -> Result<u32> {
        let (current, mode) = {
            let s = self.inner.stream(stream)?;
            let state = s.read();
            (state.meta.open_shards().count() as u32, state.meta.mode)
        };
        let account = self.account_id();
        if mode == StreamMode::OnDemand {
            return Err(Error::Validation(format!(
                "Stream {stream} under account {account} is in ON_DEMAND mode; UpdateShardCount applies to PROVISIONED streams only."
            )));
        }
        if target == 0 || target > 10_000 || target > current * 2 || target * 2 < current {
            return Err(Error::InvalidArgument(format!(
                "UpdateShardCount to {target} shards on stream {stream} under account {account} is not allowed: the target must be between half and double the current {current} open shards, and at most 10000."
            )));
        }
        let goal = even_ranges(target);
        // Split every open shard at each goal boundary strictly inside it.
        for &(boundary, _) in goal.iter().skip(1) {
            let holder = self.open_covering(stream, boundary)?;
            if let Some((id, _, _)) = holder.filter(|&(_, start, _)| start != boundary) {
                self.split(stream, id, boundary, false, false)?;
            }
        }
        // Merge the pieces inside each goal range, left to right.
        for &(start, end) in &goal {
            loop {
                let pieces = self.open_within(stream, start, end)?;
                match pieces.as_slice() {
                    [a, b, ..] => {
                        self.merge(stream, a.0, b.0)?;
                    }
                    _ => break,
                }
            }
        }
        tracing::info!(stream, from = current, to = target, "scaled stream");
        Ok(current)
    }

    /// Splits a hot shard of an on-demand stream at the middle of its range.
    pub(crate) fn split_hot(&self, stream: &str, shard: ShardId) -> Result<(ShardId, ShardId)> {
        let (lo, hi) = {
            let s = self.inner.stream(stream)?;
            let state = s.read();
            let m = state.meta.shard(shard.0).filter(|m| m.closed.is_none());
            m.map(|m| (m.start_hash, m.end_hash))
                .ok_or_else(|| crate::names::shard_not_found(shard, stream, self.account_id()))?
        };
        if hi - lo < 2 {
            return Err(Error::LimitExceeded(format!(
                "shard {shard} is too narrow to split"
            )));
        }
        self.split(stream, shard, lo + (hi - lo) / 2 + 1, false, true)
    }

    fn open_covering(&self, stream: &str, key: u128) -> Result<Option<(ShardId, u128, u128)>> {
        let s = self.inner.stream(stream)?;
        let state = s.read();
        let found = state
            .meta
            .open_shards()
            .find(|m| m.start_hash <= key && key <= m.end_hash)
            .map(|m| (ShardId(m.index), m.start_hash, m.end_hash));
        Ok(found)
    }

    fn open_within(&self, stream: &str, start: u128, end: u128) -> Result<Vec<(ShardId, u128)>> {
        let s = self.inner.stream(stream)?;
        let state = s.read();
        let mut v: Vec<(ShardId, u128)> = state
            .meta
            .open_shards()
            .filter(|m| m.start_hash >= start && m.end_hash <= end)
            .map(|m| (ShardId(m.index), m.start_hash))
            .collect();
        drop(state);
        v.sort_by_key(|x| x.1);
        Ok(v)
    }

    /// Applies a reshard: `change` edits a copy of the catalog entry (adding children) and returns
    /// the parents to close.
    fn reshard(
        &self,
        stream: &str,
        change: impl FnOnce(&mut StreamMeta) -> Result<Vec<u32>>,
    ) -> Result<()> {
        let inner = &self.inner;
        let mut catalog = inner.lock_catalog()?;
        let s = inner.stream(stream)?;
        let mut state = s.write();
        let mut meta = state.meta.clone();
        let before = meta.shards.len();
        let parents = change(&mut meta)?;
        let now = inner.now_ms();
        meta.shards
            .iter_mut()
            .skip(before)
            .for_each(|m| m.created_ms = now);
        let new: Vec<ShardMeta> = meta.shards[before..].to_vec();
        inner.check_shard_quota(&catalog, new.len())?;
        for p in &parents {
            let log = &state.shards[p].log;
            log.sync()?;
            let end_counter = log.next_seq();
            if let Some(m) = meta.shards.iter_mut().find(|m| m.index == *p) {
                m.closed = Some(Closed {
                    at_ms: now,
                    end_counter,
                });
            }
        }
        let mut opened = Vec::new();
        for child in &new {
            opened.push(new_shard(
                &*s.dir,
                &inner.opts,
                meta.incarnation,
                child.index,
            )?);
        }
        s.dir.sync_dir()?;
        crashpoint::hit(CrashPoint::ReshardBeforeCatalog);
        let mut next = (*catalog).clone();
        next.streams.insert(stream.to_string(), meta.clone());
        catalog.commit(next)?;
        let mut shards = std::mem::take(&mut state.shards);
        shards.extend(opened.into_iter().map(|sh| (sh.index, sh)));
        *state = StreamState::new(meta, shards);
        // Wake push subscribers of the parents: their shard has an end now.
        for p in &parents {
            if let Some(shard) = state.shards.get(p) {
                shard.notify();
            }
        }
        drop(state);
        Ok(())
    }
}

fn open_shard_meta<'a>(
    meta: &'a StreamMeta,
    id: ShardId,
    stream: &str,
    account: &str,
    managed: bool,
) -> Result<&'a ShardMeta> {
    if meta.mode == StreamMode::OnDemand && !managed {
        return Err(Error::Validation(format!(
            "Stream {stream} under account {account} is in ON_DEMAND mode; resharding is managed automatically."
        )));
    }
    let shard = meta.shard(id.0).ok_or_else(|| {
        Error::ResourceNotFound(format!(
            "Could not find shard {id} in stream {stream} under account {account}."
        ))
    })?;
    if shard.closed.is_some() {
        return Err(Error::ResourceInUse(format!(
            "Shard {id} in stream {stream} under account {account} has already been merged or split, and thus is not eligible for merging or splitting."
        )));
    }
    Ok(shard)
}

fn add_child(
    meta: &mut StreamMeta,
    start: u128,
    end: u128,
    parent: u32,
    adjacent: Option<u32>,
) -> ShardId {
    let index = meta.next_shard_index;
    meta.next_shard_index += 1;
    meta.shards.push(ShardMeta {
        index,
        start_hash: start,
        end_hash: end,
        parent: Some(parent),
        adjacent_parent: adjacent,
        created_ms: 0,
        closed: None,
    });
    ShardId(index)
}
