//! Per-shard statistics: what came in, what went out, how far readers are behind.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one shard.
#[derive(Debug, Default)]
pub(crate) struct ShardStats {
    incoming_records: AtomicU64,
    incoming_bytes: AtomicU64,
    outgoing_records: AtomicU64,
    outgoing_bytes: AtomicU64,
    iterator_age_ms: AtomicU64,
    write_throttled: AtomicU64,
    read_throttled: AtomicU64,
}

/// A snapshot of a shard's statistics since the store was opened.
///
/// ```
/// use shardlog::ShardStatistics;
/// let s = ShardStatistics::default();
/// assert_eq!(s.incoming_records, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShardStatistics {
    /// Records written.
    pub incoming_records: u64,
    /// Bytes written (data plus partition keys).
    pub incoming_bytes: u64,
    /// Records returned by `get_records` and subscriptions.
    pub outgoing_records: u64,
    /// Bytes returned.
    pub outgoing_bytes: u64,
    /// `MillisBehindLatest` of the most recent read.
    pub iterator_age_ms: u64,
    /// Records refused by the write limit.
    pub write_throttled: u64,
    /// Reads refused by the read limit.
    pub read_throttled: u64,
}

impl ShardStats {
    pub fn record_in(&self, records: u64, bytes: u64) {
        self.incoming_records.fetch_add(records, Ordering::Relaxed);
        self.incoming_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn record_out(&self, records: u64, bytes: u64, age_ms: u64) {
        self.outgoing_records.fetch_add(records, Ordering::Relaxed);
        self.outgoing_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.iterator_age_ms.store(age_ms, Ordering::Relaxed);
    }

    pub fn write_throttled(&self, n: u64) {
        self.write_throttled.fetch_add(n, Ordering::Relaxed);
    }

    pub fn read_throttled(&self) {
        self.read_throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ShardStatistics {
        ShardStatistics {
            incoming_records: self.incoming_records.load(Ordering::Relaxed),
            incoming_bytes: self.incoming_bytes.load(Ordering::Relaxed),
            outgoing_records: self.outgoing_records.load(Ordering::Relaxed),
            outgoing_bytes: self.outgoing_bytes.load(Ordering::Relaxed),
            iterator_age_ms: self.iterator_age_ms.load(Ordering::Relaxed),
            write_throttled: self.write_throttled.load(Ordering::Relaxed),
            read_throttled: self.read_throttled.load(Ordering::Relaxed),
        }
    }
}
