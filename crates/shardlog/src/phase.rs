//! Stream status as AWS reports it: `CREATING`, `UPDATING` and `DELETING` last a while there, and
//! code written for AWS waits them out. With [`StoreOptions::state_delay`](crate::StoreOptions) a
//! stream passes through them for that long, so such code can be tested; the default is no delay:
//! every change is done, and the stream `ACTIVE`, when the call returns.
//!
//! The phases are not durable: every change has been committed before its phase begins, so a store
//! reopened during one has nothing left to wait for.

use crate::error::{Error, Result};
use crate::store::{Store, Stream};
use crate::streams::StreamDescription;
use shardlog_storage::MutexExt as _;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A phase a live stream is in before it is `ACTIVE` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Creating,
    Updating,
}

impl Phase {
    fn status(self) -> &'static str {
        match self {
            Phase::Creating => "CREATING",
            Phase::Updating => "UPDATING",
        }
    }
}

/// A live stream's phase and when it ends (store clock, ms).
#[derive(Debug, Default)]
pub(crate) struct Transition(Mutex<Option<(Phase, u64)>>);

impl Transition {
    /// The phase at `now_ms`, if one is still running.
    pub fn at(&self, now_ms: u64) -> Option<Phase> {
        let mut slot = self.0.locked();
        match *slot {
            Some((phase, until)) if now_ms < until => Some(phase),
            Some(_) => {
                *slot = None;
                None
            }
            None => None,
        }
    }

    fn begin(&self, phase: Phase, until_ms: u64) {
        *self.0.locked() = Some((phase, until_ms));
    }
}

/// Deleted resources (streams by name, queues and channels by id) still reported as `DELETING`,
/// each with its description and when it vanishes.
#[derive(Debug)]
pub(crate) struct Deleting<D>(Mutex<BTreeMap<String, (D, u64)>>);

impl<D> Default for Deleting<D> {
    fn default() -> Self {
        Deleting(Mutex::new(BTreeMap::new()))
    }
}

impl<D: Clone> Deleting<D> {
    /// Reports `description` under `key` as deleting until `until_ms`.
    pub fn insert(&self, key: String, description: D, until_ms: u64) {
        self.0.locked().insert(key, (description, until_ms));
    }

    /// The descriptions still deleting at `now_ms` (and forgets the others).
    pub fn at(&self, now_ms: u64) -> Vec<D> {
        let mut map = self.0.locked();
        map.retain(|_, (_, until)| now_ms < *until);
        map.values().map(|(d, _)| d.clone()).collect()
    }

    /// The description under `key` if it is still deleting at `now_ms`.
    pub fn get(&self, key: &str, now_ms: u64) -> Option<D> {
        let map = self.0.locked();
        map.get(key)
            .filter(|(_, until)| now_ms < *until)
            .map(|(d, _)| d.clone())
    }
}

impl Store {
    pub(crate) fn delay_ms(&self) -> u64 {
        u64::try_from(self.inner.opts.state_delay.as_millis()).unwrap_or(u64::MAX)
    }

    /// The status DescribeStream reports for a live stream.
    pub(crate) fn status_of(&self, stream: &Stream) -> &'static str {
        let now = self.inner.now_ms();
        stream.transition.at(now).map_or("ACTIVE", Phase::status)
    }

    /// Refuses records and reads while the stream is `CREATING`: as on AWS, it is not found yet.
    pub(crate) fn check_created(&self, stream: &Stream) -> Result<()> {
        match stream.transition.at(self.inner.now_ms()) {
            Some(Phase::Creating) => Err(crate::names::stream_not_found(
                &stream.name,
                self.account_id(),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a change of the stream unless it is `ACTIVE`, with AWS's message.
    pub(crate) fn check_active(&self, name: &str) -> Result<()> {
        let stream = self.inner.stream(name)?;
        match stream.transition.at(self.inner.now_ms()) {
            None => Ok(()),
            Some(phase) => Err(Error::ResourceInUse(format!(
                "Stream {name} under account {} not ACTIVE, instead in state {}",
                self.account_id(),
                phase.status()
            ))),
        }
    }

    /// Starts a phase on a live stream (nothing without a delay).
    pub(crate) fn begin_phase(&self, stream: &Stream, phase: Phase) {
        let delay = self.delay_ms();
        if delay > 0 {
            let until = self.inner.now_ms().saturating_add(delay);
            stream.transition.begin(phase, until);
        }
    }

    /// Runs a change of a stream's configuration: only on an `ACTIVE` stream, which is `UPDATING`
    /// afterwards for the delay.
    pub(crate) fn updating<T>(&self, name: &str, change: impl FnOnce() -> Result<T>) -> Result<T> {
        self.check_active(name)?;
        let out = change()?;
        if let Ok(stream) = self.inner.stream(name) {
            self.begin_phase(&stream, Phase::Updating);
        }
        Ok(out)
    }

    /// Keeps a deleted stream visible as `DELETING` for the delay.
    pub(crate) fn report_deleting(&self, mut description: StreamDescription) {
        let delay = self.delay_ms();
        if delay > 0 {
            description.status = "DELETING";
            let until = self.inner.now_ms().saturating_add(delay);
            let name = description.name.clone();
            self.inner.deleting.insert(name, description, until);
        }
    }
}
