//! Optional per-shard throughput limits, enforced with token buckets as Kinesis does.

/// Per-shard rates. [`ShardLimits::KINESIS`] are the Kinesis provisioned-mode quotas.
///
/// ```
/// use shardlog::ShardLimits;
/// assert_eq!(ShardLimits::KINESIS.write_records_per_sec, 1_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardLimits {
    /// Bytes of data plus partition keys written per second.
    pub write_bytes_per_sec: u64,
    /// Records written per second.
    pub write_records_per_sec: u64,
    /// Bytes returned by `get_records` per second.
    pub read_bytes_per_sec: u64,
    /// `get_records` calls per second.
    pub read_calls_per_sec: u64,
}

impl ShardLimits {
    /// 1 MiB/s and 1,000 records/s written; 2 MiB/s and 5 calls/s read.
    pub const KINESIS: ShardLimits = ShardLimits {
        write_bytes_per_sec: 1 << 20,
        write_records_per_sec: 1_000,
        read_bytes_per_sec: 2 << 20,
        read_calls_per_sec: 5,
    };
}

/// A token bucket holding at most one second of its rate.
#[derive(Debug, Clone)]
struct Bucket {
    rate: u64,
    tokens: f64,
}

impl Bucket {
    fn new(rate: u64) -> Self {
        Bucket {
            rate,
            tokens: rate as f64,
        }
    }

    fn refill(&mut self, elapsed_ms: u64) {
        let add = self.rate as f64 * elapsed_ms as f64 / 1000.0;
        self.tokens = (self.tokens + add).min(self.rate as f64);
    }
}

/// The buckets of one shard.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    last_ms: u64,
    write_bytes: Bucket,
    write_records: Bucket,
    read_bytes: Bucket,
    read_calls: Bucket,
}

impl Limiter {
    pub fn new(limits: ShardLimits, now_ms: u64) -> Self {
        Limiter {
            last_ms: now_ms,
            write_bytes: Bucket::new(limits.write_bytes_per_sec),
            write_records: Bucket::new(limits.write_records_per_sec),
            read_bytes: Bucket::new(limits.read_bytes_per_sec),
            read_calls: Bucket::new(limits.read_calls_per_sec),
        }
    }

    fn refill(&mut self, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        for b in [
            &mut self.write_bytes,
            &mut self.write_records,
            &mut self.read_bytes,
            &mut self.read_calls,
        ] {
            b.refill(elapsed);
        }
    }

    /// Takes the tokens for one record of `bytes` if both write buckets have them.
    pub fn try_write(&mut self, bytes: u64, now_ms: u64) -> bool {
        self.refill(now_ms);
        if self.write_bytes.tokens >= bytes as f64 && self.write_records.tokens >= 1.0 {
            self.write_bytes.tokens -= bytes as f64;
            self.write_records.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes a call token if there is one and the read-bytes bucket is not in debt.
    pub fn try_read_call(&mut self, now_ms: u64) -> bool {
        self.refill(now_ms);
        if self.read_calls.tokens >= 1.0 && self.read_bytes.tokens > 0.0 {
            self.read_calls.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Charges the bytes a read returned (may go into debt, throttling the next calls).
    pub fn charge_read(&mut self, bytes: u64) {
        self.read_bytes.tokens -= bytes as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_records_per_second() {
        let mut l = Limiter::new(ShardLimits::KINESIS, 0);
        let ok = (0..1500).filter(|_| l.try_write(10, 0)).count();
        assert_eq!(ok, 1000);
        assert!(!l.try_write(10, 0));
        assert!(l.try_write(10, 10), "10 ms refill 10 records");
    }

    #[test]
    fn write_bytes_per_second() {
        let mut l = Limiter::new(ShardLimits::KINESIS, 0);
        assert!(l.try_write(1 << 20, 0));
        assert!(!l.try_write(1, 0));
        assert!(l.try_write(1024, 1));
    }

    #[test]
    fn reads_five_calls_and_byte_debt() {
        let mut l = Limiter::new(ShardLimits::KINESIS, 0);
        assert_eq!((0..10).filter(|_| l.try_read_call(0)).count(), 5);
        let mut l = Limiter::new(ShardLimits::KINESIS, 0);
        assert!(l.try_read_call(0));
        l.charge_read(10 << 20);
        assert!(
            !l.try_read_call(1000),
            "a 10 MiB read throttles the next seconds"
        );
        assert!(l.try_read_call(5000));
    }
}
