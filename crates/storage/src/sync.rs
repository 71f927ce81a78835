//! Locks that outlive a panicking holder.
//!
//! A panic while a lock is held poisons it. The state behind every lock of this project is kept
//! consistent by the code that changes it (a change is prepared, then swapped in), and a panic is a
//! bug reported on its own, so the next holder takes the lock as it is rather than panicking too.

use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// [`Mutex::lock`] without the poison check.
///
/// ```
/// use shardlog_storage::MutexExt as _;
/// let m = std::sync::Mutex::new(1);
/// *m.locked() += 1;
/// assert_eq!(*m.locked(), 2);
/// ```
pub trait MutexExt<T> {
    /// Takes the lock, also after a holder panicked.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> MutexExt<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// [`RwLock::read`] and [`RwLock::write`] without the poison check.
///
/// ```
/// use shardlog_storage::RwLockExt as _;
/// let l = std::sync::RwLock::new(1);
/// *l.writing() += 1;
/// assert_eq!(*l.reading(), 2);
/// ```
pub trait RwLockExt<T> {
    /// Shared access, also after a holder panicked.
    fn reading(&self) -> RwLockReadGuard<'_, T>;
    /// Exclusive access, also after a holder panicked.
    fn writing(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T> RwLockExt<T> for RwLock<T> {
    fn reading(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(|e| e.into_inner())
    }
    fn writing(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// [`Condvar::wait`] without the poison check.
///
/// ```
/// use shardlog_storage::{CondvarExt as _, MutexExt as _};
/// use std::sync::{Arc, Condvar, Mutex};
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let other = pair.clone();
/// std::thread::spawn(move || {
///     *other.0.locked() = true;
///     other.1.notify_all();
/// });
/// let mut ready = pair.0.locked();
/// while !*ready {
///     ready = pair.1.wait_on(ready);
/// }
/// ```
pub trait CondvarExt {
    /// Releases `guard`, waits for a notification, and takes the lock again (also after a holder
    /// panicked).
    fn wait_on<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T>;
}

impl CondvarExt for Condvar {
    fn wait_on<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait(guard).unwrap_or_else(|e| e.into_inner())
    }
}
