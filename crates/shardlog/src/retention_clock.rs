//! The `now` of retention passes: the wall clock, held back when it runs ahead of the time that
//! really passed.
//!
//! Records expire by their arrival time (wall clock) plus the retention period. A wall clock stepped
//! forward (a wrong hardware clock at boot, an NTP step, an operator's mistake) would expire every
//! record at once. So each pass may move `now` forward by at most the monotonic time since the
//! previous pass plus a step (`StoreOptions::retention_clock_step`, one hour by default). At open
//! the "previous pass" is the newest time the store has recorded (its newest record, shard or
//! stream; the wall clock for an empty store), so a clock that jumped while the store was down is
//! caught too. A jump is thus caught up one step per pass, and each pass reports how far it held the
//! clock back. The price: a store reopened after a long legitimate pause also expires its backlog
//! one step per pass (with the defaults, a day of downtime in a day's worth of minute passes).

use shardlog_segment::Clock;
use shardlog_storage::MutexExt as _;
use std::sync::Mutex;
use std::time::Duration;

/// Remembers what the previous pass used.
#[derive(Debug)]
pub(crate) struct RetentionClock {
    step_ms: u64,
    last: Mutex<Reading>,
}

#[derive(Debug, Clone, Copy)]
struct Reading {
    /// The `now` the pass used.
    used_ms: u64,
    /// The monotonic reading at that pass.
    monotonic_ms: u64,
}

/// A pass's `now`, and how far behind the wall clock it is (0 unless the wall clock jumped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PassTime {
    pub now_ms: u64,
    pub held_back_ms: u64,
}

impl RetentionClock {
    /// At open: `newest_known_ms` is the newest time the store has recorded, 0 if none.
    pub fn new(step: Duration, clock: &Clock, newest_known_ms: u64) -> Self {
        let start = Reading {
            used_ms: match newest_known_ms {
                0 => clock.now_ms(),
                newest => newest,
            },
            monotonic_ms: clock.monotonic_ms(),
        };
        RetentionClock {
            step_ms: u64::try_from(step.as_millis()).unwrap_or(u64::MAX),
            last: Mutex::new(start),
        }
    }

    /// The `now` for a pass.
    pub fn pass_time(&self, clock: &Clock) -> PassTime {
        let wall = clock.now_ms();
        let monotonic = clock.monotonic_ms();
        let mut last = self.last.locked();
        let base = *last;
        let passed = monotonic.saturating_sub(base.monotonic_ms);
        let limit = base
            .used_ms
            .saturating_add(passed)
            .saturating_add(self.step_ms);
        let now_ms = wall.min(limit);
        *last = Reading {
            used_ms: now_ms,
            monotonic_ms: monotonic,
        };
        PassTime {
            now_ms,
            held_back_ms: wall - now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;
    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn time_that_passes_counts_in_full_a_jump_one_step_per_pass() {
        let clock = Clock::manual(T0);
        let rc = RetentionClock::new(Duration::from_secs(3600), &clock, 0);
        assert_eq!(rc.pass_time(&clock).now_ms, T0);
        clock.set(T0 + 30 * HOUR); // 30 hours really pass
        assert_eq!(rc.pass_time(&clock).now_ms, T0 + 30 * HOUR);
        clock.jump(100 * HOUR); // the wall clock is stepped by 100 hours
        let t = rc.pass_time(&clock);
        assert_eq!(t.now_ms, T0 + 31 * HOUR);
        assert_eq!(t.held_back_ms, 99 * HOUR);
        clock.set(clock.now_ms() + HOUR / 2); // half an hour passes
        assert_eq!(rc.pass_time(&clock).now_ms, T0 + 32 * HOUR + HOUR / 2);
    }

    #[test]
    fn at_open_the_newest_known_time_stands_for_the_previous_pass() {
        // The wall clock says 1,000 hours after the newest record: one step is allowed.
        let clock = Clock::manual(T0 + 1000 * HOUR);
        let rc = RetentionClock::new(Duration::from_secs(3600), &clock, T0);
        assert_eq!(rc.pass_time(&clock).now_ms, T0 + HOUR);
        // A wall clock behind what the store saw is used as it is: it only expires less.
        let clock = Clock::manual(T0);
        let rc = RetentionClock::new(Duration::from_secs(3600), &clock, T0 + HOUR);
        assert_eq!(rc.pass_time(&clock).now_ms, T0);
    }
}
