//! Group commit of queue state: concurrent calls share one checkpoint-file commit.
//!
//! A call changes the queue's state in memory under the queue's lock and, still under it, hands
//! its changes to the committer ([`Committer::push`]), which numbers them with the batch they join.
//! The call then waits ([`Committer::wait`]) until a commit that contains its batch is durable.
//! The first waiter that finds no commit under way leads: it takes every change pushed so far, in
//! push order, writes them in one `WriteTxn` and commits (one sync), then wakes the others. Changes
//! to one key are pushed in the order they were made in memory (the queue lock), so the last one
//! wins on disk as it does in memory.
//!
//! A failed commit is final: the checkpoint file is poisoned, memory is ahead of the disk, and
//! every later queue call fails until the store is reopened (the state on disk is the last commit).

use super::state::Op;
use crate::error::{Error, Result};
use shardlog_checkpoint::Db;
use shardlog_storage::MutexExt as _;
use std::sync::{Condvar, Mutex};

#[derive(Debug, Default)]
pub(crate) struct Committer {
    state: Mutex<CommitState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct CommitState {
    /// The batch new changes join.
    open: u64,
    /// Every batch up to this one is durable.
    durable: u64,
    /// Changes of the open batch (and, while a commit runs, of nothing older).
    pending: Vec<Op>,
    /// A commit is being written.
    leading: bool,
    /// Why a commit failed; set for good.
    failed: Option<String>,
    /// Commits written (for tests and statistics).
    commits: u64,
}

impl Committer {
    /// Queues `ops` for the next commit; the ticket to wait for.
    pub fn push(&self, ops: Vec<Op>) -> Result<u64> {
        let mut s = self.state.locked();
        if let Some(why) = &s.failed {
            return Err(stopped(why));
        }
        s.pending.extend(ops);
        Ok(s.open + 1)
    }

    /// Refuses calls once a commit failed.
    pub fn check(&self) -> Result<()> {
        match &self.state.locked().failed {
            Some(why) => Err(stopped(why)),
            None => Ok(()),
        }
    }

    /// Commits written so far.
    pub fn commits(&self) -> u64 {
        self.state.locked().commits
    }

    /// Returns once the batch `ticket` is durable, leading a commit if none is under way.
    pub fn wait(&self, ticket: u64, db: impl Fn() -> Result<std::sync::Arc<Db>>) -> Result<()> {
        let mut s = self.state.locked();
        loop {
            if s.durable >= ticket {
                return Ok(());
            }
            if let Some(why) = &s.failed {
                return Err(stopped(why));
            }
            if s.leading {
                s = self.done.wait(s).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            s.leading = true;
            s.open += 1;
            let batch = s.open;
            let ops = std::mem::take(&mut s.pending);
            drop(s);
            let result = db().and_then(|db| write(&db, &ops));
            s = self.state.locked();
            s.leading = false;
            match result {
                Ok(()) => {
                    s.durable = batch;
                    s.commits += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "queue state commit failed; queues stop until the store is reopened");
                    s.failed = Some(e.to_string());
                }
            }
            self.done.notify_all();
        }
    }
}

fn write(db: &Db, ops: &[Op]) -> Result<()> {
    if ops.is_empty() {
        return Ok(());
    }
    let mut tx = db.write()?;
    for op in ops {
        match op {
            Op::Put(k, v) => {
                tx.insert(k, v)?;
            }
            Op::Delete(k) => {
                tx.remove(k)?;
            }
            Op::DeletePrefix(p) => {
                let end = super::state::range_end(p);
                let keys: Vec<Vec<u8>> = tx
                    .range(p.clone()..end)
                    .map(|r| r.map(|(k, _)| k))
                    .collect::<std::result::Result<_, _>>()?;
                for k in keys {
                    tx.remove(&k)?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

fn stopped(why: &str) -> Error {
    Error::Stopped(format!("a queue state commit failed ({why})"))
}
