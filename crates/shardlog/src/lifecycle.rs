//! The store's life: running, stopped by a failed catalog write (fail-stop), or closed; and the gate
//! through which writes pass, so that `close` can wait for the ones in flight.

use crate::error::{Error, Result};
use shardlog_storage::{MutexExt as _, RwLockExt as _};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

/// Whether the store accepts changes.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    state: Mutex<State>,
    /// Writes hold it shared while they run; `close` takes it exclusively to wait for them.
    gate: RwLock<()>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum State {
    #[default]
    Running,
    /// A catalog write failed: memory and disk may disagree, so nothing more may change.
    Stopped(String),
    Closed,
}

/// Held by a write while it runs.
pub(crate) type Admission<'a> = RwLockReadGuard<'a, ()>;

impl Lifecycle {
    /// Admits a change (a put, a control-plane change, a retention pass): refused once the store
    /// stopped or closed. `close` waits until the returned guard is dropped.
    pub fn admit(&self) -> Result<Admission<'_>> {
        let admission = self.gate.reading();
        self.check()?;
        Ok(admission)
    }

    /// `Ok` while the store accepts changes.
    pub fn check(&self) -> Result<()> {
        match &*self.state.locked() {
            State::Running => Ok(()),
            State::Stopped(reason) => Err(Error::Stopped(reason.clone())),
            State::Closed => Err(Error::Closed),
        }
    }

    /// Stops the store for good (until it is opened again). The first reason is kept.
    pub fn stop(&self, reason: String) {
        let mut state = self.state.locked();
        if *state == State::Running {
            *state = State::Stopped(reason);
        }
    }

    /// Closes the store and waits for the writes in flight. False if it was closed already.
    pub fn close(&self) -> bool {
        {
            let mut state = self.state.locked();
            if *state == State::Closed {
                return false;
            }
            *state = State::Closed;
        }
        drop(self.gate.writing());
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stop_keeps_the_first_reason_and_close_waits_for_admitted_writes() {
        let life = std::sync::Arc::new(Lifecycle::default());
        life.stop("first".into());
        life.stop("second".into());
        assert!(matches!(life.check(), Err(Error::Stopped(r)) if r == "first"));

        let life = std::sync::Arc::new(Lifecycle::default());
        let admitted = life.admit().unwrap();
        let closer = {
            let life = life.clone();
            std::thread::spawn(move || life.close())
        };
        // The close cannot finish while a write is admitted; a new write is refused at once.
        while life.check().is_ok() {
            std::thread::yield_now();
        }
        assert!(!closer.is_finished());
        drop(admitted);
        assert!(closer.join().unwrap());
        assert!(matches!(life.admit(), Err(Error::Closed)));
        assert!(!life.close());
    }
}
