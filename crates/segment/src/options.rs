//! Options of a [`ShardLog`](crate::ShardLog): durability, recovery policy, sizes, clock.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When an append is durable, and so what a crash can take away.
///
/// ```
/// use shardlog_segment::Durability;
/// use std::time::Duration;
/// let d = Durability::Interval(Duration::from_millis(100));
/// assert_ne!(d, Durability::Sync);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `append` returns only after the record is on disk (`fdatasync`). Concurrent appenders share
    /// one sync (group commit). Readers see a record only once it is durable.
    ///
    /// Process crash: nothing acknowledged is lost. Power loss: nothing acknowledged is lost.
    #[default]
    Sync,
    /// `append` returns once the record is in the page cache; a background thread syncs every interval.
    /// Readers see a record at once.
    ///
    /// Process crash: nothing acknowledged is lost (the kernel still holds the pages).
    /// Power loss: records acknowledged within the last interval (plus one sync's duration) may be lost;
    /// what survives is always a prefix of what was written, and lost sequence numbers are never handed
    /// out again.
    Interval(Duration),
    /// `append` returns once the record is in the page cache; the log syncs only when asked
    /// ([`ShardLog::sync`](crate::ShardLog::sync)), when a full segment is sealed (in the background)
    /// and on close. Readers see a record at once.
    ///
    /// Process crash: nothing acknowledged is lost. Power loss: anything not yet synced may be lost;
    /// what survives is a prefix of what was written, and lost sequence numbers are never handed out
    /// again.
    None,
}

/// What recovery may do with damaged bytes.
///
/// A torn tail (damage after the last durable mark of the newest segment) is always cut. The mark
/// lags one sync behind, so that region can hold the last acknowledged group commit: a crash cannot
/// damage it (it was synced), but media damage there is indistinguishable from a torn write and is
/// cut. Everything before the mark is protected by the choice below.
///
/// ```
/// use shardlog_segment::RecoveryMode;
/// assert_eq!(RecoveryMode::default(), RecoveryMode::Strict);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecoveryMode {
    /// Damage anywhere before the durable mark, or in any sealed segment, is an error naming the file
    /// and byte offset; nothing is discarded.
    #[default]
    Strict,
    /// Also cut the newest segment at its first damaged frame even when that lies before the durable
    /// mark, discarding the records from there on. Damage in sealed segments is still an error.
    TruncateNewestSegment,
}

/// Source of arrival timestamps, in milliseconds since the Unix epoch, and of the monotonic time that
/// tells how much time really passed (which a wall clock that is stepped does not).
///
/// ```
/// use shardlog_segment::Clock;
/// let clock = Clock::manual(1_000);
/// clock.set(2_000); // time passes: both readings move
/// assert_eq!((clock.now_ms(), clock.monotonic_ms()), (2_000, 2_000));
/// clock.jump(3_600_000); // the wall clock is stepped forward: no time passed
/// assert_eq!((clock.now_ms(), clock.monotonic_ms()), (3_602_000, 2_000));
/// ```
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's wall clock, and `Instant` for the monotonic time.
    #[default]
    System,
    /// A clock that only moves when told to (for tests and simulations).
    Manual(Arc<ManualTime>),
}

/// The readings of a [`Clock::Manual`].
#[derive(Debug, Default)]
pub struct ManualTime {
    wall_ms: AtomicU64,
    /// Total of the steps [`Clock::jump`] made: the wall time that did not really pass.
    jumped_ms: AtomicU64,
}

impl Clock {
    /// A manual clock starting at `ms`.
    pub fn manual(ms: u64) -> Self {
        Clock::Manual(Arc::new(ManualTime {
            wall_ms: AtomicU64::new(ms),
            jumped_ms: AtomicU64::new(0),
        }))
    }

    /// Current time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            Clock::Manual(t) => t.wall_ms.load(Ordering::Relaxed),
        }
    }

    /// Milliseconds of monotonic time: only differences between two readings mean anything. For the
    /// system clock, time since the first reading in this process; for a manual clock, its wall time
    /// less the steps of [`Clock::jump`].
    pub fn monotonic_ms(&self) -> u64 {
        match self {
            Clock::System => {
                static ANCHOR: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
                ANCHOR
                    .get_or_init(std::time::Instant::now)
                    .elapsed()
                    .as_millis() as u64
            }
            Clock::Manual(t) => t
                .wall_ms
                .load(Ordering::Relaxed)
                .saturating_sub(t.jumped_ms.load(Ordering::Relaxed)),
        }
    }

    /// Sets a manual clock: the time between the old and the new reading passed (no effect on the
    /// system clock).
    pub fn set(&self, ms: u64) {
        if let Clock::Manual(t) = self {
            t.wall_ms.store(ms, Ordering::Relaxed);
        }
    }

    /// Steps a manual clock's wall time forward by `ms` without any time passing, as an NTP step or
    /// a wrong hardware clock does to the system clock (no effect on the system clock).
    pub fn jump(&self, ms: u64) {
        if let Clock::Manual(t) = self {
            t.wall_ms.fetch_add(ms, Ordering::Relaxed);
            t.jumped_ms.fetch_add(ms, Ordering::Relaxed);
        }
    }
}

/// Smallest allowed segment size.
pub const MIN_SEGMENT_BYTES: u64 = 16 * 1024;
/// Largest allowed segment size (frame lengths are 32-bit).
pub const MAX_SEGMENT_BYTES: u64 = 1 << 31;
/// Capacity of a log's first segment, unless `segment_bytes` is smaller. Each next segment doubles
/// what the one before it held, up to `segment_bytes`: an idle shard costs 256 KiB of disk rather
/// than a whole 64 MiB segment, and a busy one reaches full size after eight rolls.
pub const FIRST_SEGMENT_BYTES: u64 = 256 * 1024;

/// The smallest segment file (whole 4 KiB pages, header page included) with `data` bytes of frames.
pub(crate) fn whole_pages(data: u64) -> u64 {
    (crate::header::DATA_START + data).next_multiple_of(4096)
}

/// Options of one [`ShardLog`](crate::ShardLog).
///
/// ```
/// use shardlog_segment::{Durability, LogOptions};
/// let opts = LogOptions { segment_bytes: 1 << 20, durability: Durability::None, ..LogOptions::default() };
/// assert!(opts.validate().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// Identity of the log, bound into every checksum so that files of another log never validate.
    /// Must be the same on every open. Default: 0.
    pub log_id: u64,
    /// Largest size of a segment file, preallocated at creation. A log's segments start at
    /// [`FIRST_SEGMENT_BYTES`] and double as they fill up to this size. Default: 64 MiB (see
    /// `docs/performance.md`).
    pub segment_bytes: u64,
    /// When appends are durable. Default: [`Durability::Sync`].
    pub durability: Durability,
    /// What recovery may discard. Default: [`RecoveryMode::Strict`].
    pub recovery: RecoveryMode,
    /// The sequence number of the first record of a new log (ignored when the log exists). Default: 0.
    pub first_seq: u64,
    /// Where arrival timestamps come from. Default: [`Clock::System`].
    pub clock: Clock,
    /// The sealed segments kept open (a descriptor and a mapping each); the others are opened when
    /// read. Give every log of a process a clone of one set to bound them all together. Default: a
    /// set of [`DEFAULT_OPEN_SEGMENTS`](crate::DEFAULT_OPEN_SEGMENTS) for this log alone.
    pub open_segments: crate::OpenSegments,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            log_id: 0,
            segment_bytes: 64 << 20,
            durability: Durability::Sync,
            recovery: RecoveryMode::Strict,
            first_seq: 0,
            clock: Clock::System,
            open_segments: crate::OpenSegments::default(),
        }
    }
}

impl LogOptions {
    /// Rejects out-of-range values.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(&self.segment_bytes)
            || self.segment_bytes % 4096 != 0
        {
            return Err(Error::InvalidOptions(format!(
                "segment_bytes must be a multiple of 4096 in {MIN_SEGMENT_BYTES}..={MAX_SEGMENT_BYTES}, got {}",
                self.segment_bytes
            )));
        }
        if self.first_seq >= crate::header::MAX_SEQ {
            return Err(Error::InvalidOptions(format!(
                "first_seq must be below 2^62, got {}",
                self.first_seq
            )));
        }
        if let Durability::Interval(d) = self.durability {
            if d.is_zero() {
                return Err(Error::InvalidOptions(
                    "Durability::Interval needs a non-zero interval".into(),
                ));
            }
        }
        Ok(())
    }

    /// The capacity of a new segment, for a frame of `need` bytes, after a segment written up to
    /// `prev_end` (`None`: the log has no segment). Twice what the previous segment held, rounded up
    /// to a power of two: a full segment doubles, and one rolled early (by a restart) does not.
    ///
    /// ```
    /// use shardlog_segment::{LogOptions, FIRST_SEGMENT_BYTES};
    /// let opts = LogOptions::default();
    /// assert_eq!(opts.next_capacity(None, 100), FIRST_SEGMENT_BYTES);
    /// assert_eq!(opts.next_capacity(Some(FIRST_SEGMENT_BYTES), 100), 2 * FIRST_SEGMENT_BYTES);
    /// assert_eq!(opts.next_capacity(Some(1 << 30), 100), opts.segment_bytes);
    /// ```
    pub fn next_capacity(&self, prev_end: Option<u64>, need: u64) -> u64 {
        let grown = prev_end.map_or(0, |end| end.saturating_mul(2).next_power_of_two());
        let fits = whole_pages(need);
        let capacity = FIRST_SEGMENT_BYTES
            .max(grown)
            .max(fits)
            .min(self.segment_bytes);
        // `check_sizes` refuses records larger than `max_record_bytes`, so every frame fits.
        assert!(capacity >= fits, "a frame of {need} bytes fits no segment");
        capacity
    }

    /// Largest record (key + data) that fits in one segment with these options.
    pub fn max_record_bytes(&self) -> u64 {
        self.segment_bytes
            - crate::header::DATA_START
            - (crate::codec::FRAME_HEADER_LEN
                + crate::codec::RECORD_HEADER_LEN
                + crate::codec::FRAME_ALIGN) as u64
    }
}
