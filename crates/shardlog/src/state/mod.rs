//! Durable consumer state: the store's one checkpoint file, shared by every kind of durable
//! consumer, each in a key namespace of its own.
//!
//! KCL leases live here today (`consumer::lease`); queues and channels (issues 20, 21) will keep
//! their delivery state here too. The rules every kind follows (`docs/architecture.md` §6):
//!
//! 1. One file per store, opened by [`Store::state_file`] and shared; no kind opens its own.
//! 2. One [`Namespace`] per kind: keys `kind ‖ 00 ‖ tag ‖ tuple`, with the kind's schema version
//!    under `kind ‖ 00 ‖ "M"`, checked on open so that an unknown layout is refused, not misread.
//! 3. State is committed before the call that changed it returns (one `WriteTxn` per call or per
//!    batch), and names only records already durable in their shard.
//! 4. Keys are tuples ([`keys`]) so that one entity's state is one key range, in name order.

pub(crate) mod keys;
mod namespace;

pub(crate) use namespace::Namespace;

use crate::error::Result;
use crate::store::Store;
use shardlog_checkpoint::Db;
use shardlog_storage::MutexExt as _;
use std::sync::Arc;

/// The name of the store's checkpoint file in its data directory. It predates queues and
/// channels, hence the name; the format does not depend on it.
pub(crate) const STATE_FILE: &str = "leases.db";

impl Store {
    /// The store's checkpoint file, opened on first use and shared by every caller in this
    /// process until [`Store::close`].
    pub(crate) fn state_file(&self) -> Result<Arc<Db>> {
        let mut slot = self.inner.leases.locked();
        if let Some(db) = &*slot {
            return Ok(Arc::clone(db));
        }
        let db = Arc::new(Db::open(Arc::clone(&self.inner.root), STATE_FILE)?);
        *slot = Some(Arc::clone(&db));
        Ok(db)
    }
}
