//! On-demand capacity: a shard that stays above the provisioned write rate is split automatically.

use crate::limits::ShardLimits;

/// Consecutive hot seconds after which a shard is split.
pub(crate) const HOT_SECONDS: u32 = 3;

/// Write rate of one shard, measured in whole-second windows.
#[derive(Debug, Default)]
pub(crate) struct HotWindow {
    start_ms: u64,
    bytes: u64,
    records: u64,
    hot_streak: u32,
}

impl HotWindow {
    /// Adds a write; true when the shard has been hot for [`HOT_SECONDS`] windows in a row (the streak
    /// then starts over, so one split is triggered per streak).
    pub fn observe(&mut self, now_ms: u64, records: u64, bytes: u64) -> bool {
        if now_ms >= self.start_ms + 1000 {
            let limit = ShardLimits::KINESIS;
            let hot = self.bytes >= limit.write_bytes_per_sec
                || self.records >= limit.write_records_per_sec;
            let consecutive = now_ms < self.start_ms + 2000;
            self.hot_streak = if hot && consecutive {
                self.hot_streak + 1
            } else {
                u32::from(hot && self.start_ms == 0)
            };
            self.start_ms = now_ms - now_ms % 1000;
            self.bytes = 0;
            self.records = 0;
        }
        self.bytes += bytes;
        self.records += records;
        if self.hot_streak >= HOT_SECONDS {
            self.hot_streak = 0;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_hot_seconds_trigger_one_split() {
        let mut w = HotWindow::default();
        let mut triggered = 0;
        for second in 1..=7u64 {
            for ms in (0..1000).step_by(100) {
                if w.observe(second * 1000 + ms, 200, 1000) {
                    triggered += 1;
                }
            }
        }
        assert_eq!(triggered, 2, "seconds 1-3 and 4-6 are two streaks");
    }

    #[test]
    fn a_cool_or_idle_second_breaks_the_streak() {
        let mut w = HotWindow::default();
        for second in [1u64, 2, 4, 5] {
            assert!(!w.observe(second * 1000, 2000, 10));
        }
        let mut w = HotWindow::default();
        assert!(!w.observe(1000, 10, 10));
        assert!(!w.observe(2000, 10, 10));
        assert!(!w.observe(3000, 10, 10));
    }
}
