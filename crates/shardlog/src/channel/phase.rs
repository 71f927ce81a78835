//! Channel status as AWS reports it. `CreateChannel`, `UpdateChannel` and `DeleteChannel` are
//! asynchronous there: a channel is `CREATING`, `UPDATING` or `DELETING` for a while, and records
//! put before it is `ACTIVE` are not delivered. With
//! [`StoreOptions::state_delay`](crate::StoreOptions) a channel passes through those states for
//! that long, as streams and queues do; without it (the default) every change is done, and the
//! channel `ACTIVE`, when the call returns.
//!
//! `CREATING` lasts until the definition's `active_ms`, which is durable, so it holds across a
//! reopen; `UPDATING` and `DELETING` are kept in memory only: each change is committed before
//! its phase begins.

use super::deliver::Live;
use super::{ChannelDef, ChannelDescription, ChannelStatus};
use crate::error::{Error, Result};
use crate::store::Store;
use shardlog_storage::MutexExt as _;
use std::collections::HashMap;
use std::sync::Mutex;

/// The phases that are not in the definition.
#[derive(Debug, Default)]
pub(crate) struct Phases {
    /// Channels `UPDATING` until a time (store clock, ms), by id.
    updating: Mutex<HashMap<String, u64>>,
    /// Deleted channels still reported as `DELETING`, by id.
    deleting: crate::phase::Deleting<ChannelDescription>,
}

impl Store {
    /// The status of a live channel now: a phase of a change, else `FAILED` while delivery
    /// fails, else `ACTIVE`.
    pub(super) fn channel_status(&self, def: &ChannelDef, live: &Live) -> ChannelStatus {
        let now = self.inner.now_ms();
        if now < def.active_ms {
            return ChannelStatus::Creating;
        }
        let mut updating = self.inner.channels.phases.updating.locked();
        match updating.get(&def.id) {
            Some(until) if now < *until => return ChannelStatus::Updating,
            Some(_) => {
                updating.remove(&def.id);
            }
            None => {}
        }
        match live.progress.locked().failure {
            Some(_) => ChannelStatus::Failed,
            None => ChannelStatus::Active,
        }
    }

    /// Refuses a change of a channel that is `CREATING` or `UPDATING` (`ResourceInUseException`).
    pub(super) fn check_channel_settled(&self, def: &ChannelDef, live: &Live) -> Result<()> {
        match self.channel_status(def, live) {
            status @ (ChannelStatus::Creating | ChannelStatus::Updating) => {
                Err(Error::ResourceInUse(format!(
                    "Channel {} under account {} not ACTIVE, instead in state {}",
                    def.name,
                    self.account_id(),
                    status.as_str()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Marks a channel `UPDATING` for the delay (nothing without one).
    pub(super) fn begin_channel_update(&self, id: &str) {
        let delay = self.delay_ms();
        if delay > 0 {
            let until = self.inner.now_ms().saturating_add(delay);
            let mut updating = self.inner.channels.phases.updating.locked();
            updating.insert(id.to_string(), until);
        }
    }

    /// Keeps a deleted channel visible as `DELETING` for the delay (nothing without one).
    pub(super) fn report_channel_deleting(&self, mut description: ChannelDescription) {
        let delay = self.delay_ms();
        if delay > 0 {
            description.status = ChannelStatus::Deleting;
            description.status_reason = None;
            let until = self.inner.now_ms().saturating_add(delay);
            let id = description.channel_id.clone();
            self.inner
                .channels
                .phases
                .deleting
                .insert(id, description, until);
        }
    }

    /// The deleted channels still `DELETING` now (and forgets the others).
    pub(super) fn deleting_channels(&self) -> Vec<ChannelDescription> {
        let now = self.inner.now_ms();
        self.inner.channels.phases.deleting.at(now)
    }

    /// The deleted channel `id` if it is still `DELETING`.
    pub(super) fn deleting_channel(&self, id: &str) -> Option<ChannelDescription> {
        let now = self.inner.now_ms();
        self.inner.channels.phases.deleting.get(id, now)
    }
}
