//! The background threads every log of the process shares.
//!
//! A log's background work (sealing full segments, making the next segment file) comes in bursts at
//! a roll and is idle in between, so a thread per log and kind would cost two parked threads (and
//! their stacks and mappings) per idle shard: at 8,184 shards the mappings of `vm.max_map_count`
//! ran out. Instead each log hands its work here as a *task* that drains that log's queue, at most
//! one task per log and kind at a time (see `seal.rs` and `spare.rs`), so a log's work stays in
//! order. The pool starts a thread when a task finds none idle, up to [`MAX_THREADS`], and a thread
//! with nothing to do for [`IDLE_EXIT`] ends: an idle store has no background thread at all.

use shardlog_storage::MutexExt as _;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// One unit of background work.
pub(crate) type Task = Box<dyn FnOnce() + Send + 'static>;

/// Most threads at once. Tasks beyond them wait their turn: a seal or a spare is a few syncs, so
/// the wait is short, and a writer that needs a spare not made yet creates its segment in line.
const MAX_THREADS: usize = 64;
/// How long a thread waits for a task before it ends.
const IDLE_EXIT: Duration = Duration::from_secs(10);

struct Pool {
    state: Mutex<State>,
    cv: Condvar,
}

struct State {
    queue: VecDeque<Task>,
    threads: usize,
    idle: usize,
}

static POOL: Pool = Pool {
    state: Mutex::new(State {
        queue: VecDeque::new(),
        threads: 0,
        idle: 0,
    }),
    cv: Condvar::new(),
};

/// Runs `task` on a pool thread. Gives it back if there is no thread to run it (none runs and none
/// could be started): the caller then runs it itself, which is slower and just as safe.
pub(crate) fn spawn(task: Task) -> Result<(), Task> {
    let mut s = POOL.state.locked();
    if s.idle <= s.queue.len() && s.threads < MAX_THREADS {
        let started = std::thread::Builder::new()
            .name("shardlog-bg".into())
            .spawn(work);
        if started.is_ok() {
            s.threads += 1;
        }
    }
    if s.threads == 0 {
        return Err(task);
    }
    s.queue.push_back(task);
    POOL.cv.notify_one();
    Ok(())
}

/// Threads of the pool running now (for tests and the scale bench's accounting).
pub fn background_threads() -> usize {
    POOL.state.locked().threads
}

/// A pool thread: runs tasks until none came for [`IDLE_EXIT`].
fn work() {
    let mut s = POOL.state.locked();
    loop {
        if let Some(task) = s.queue.pop_front() {
            drop(s);
            // A task that panics must not take the thread count with it; the log it served sees
            // the failure through its own state.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(task));
            s = POOL.state.locked();
            continue;
        }
        s.idle += 1;
        let (guard, waited) = POOL
            .cv
            .wait_timeout(s, IDLE_EXIT)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s = guard;
        s.idle -= 1;
        if waited.timed_out() && s.queue.is_empty() {
            s.threads -= 1;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};

    #[test]
    fn runs_every_task_on_a_bounded_number_of_threads() {
        let done = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        for _ in 0..500 {
            let (done, tx) = (done.clone(), tx.clone());
            let task: Task = Box::new(move || {
                std::thread::sleep(Duration::from_micros(200));
                done.fetch_add(1, Ordering::AcqRel);
                let _ = tx.send(());
            });
            if let Err(task) = spawn(task) {
                task();
            }
            assert!(background_threads() <= MAX_THREADS);
        }
        for _ in 0..500 {
            rx.recv_timeout(Duration::from_secs(30)).unwrap();
        }
        assert_eq!(done.load(Ordering::Acquire), 500);
    }

    #[test]
    fn a_panicking_task_leaves_the_pool_working() {
        let _ = spawn(Box::new(|| panic!("a task failed")));
        let (tx, rx) = mpsc::channel();
        let task: Task = Box::new(move || tx.send(7).unwrap());
        if let Err(task) = spawn(task) {
            task();
        }
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 7);
    }
}
