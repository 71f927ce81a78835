//! Named crash points for the kill-and-restart harness (feature `crash-points`).
//!
//! With the feature, `SHARDLOG_CRASH_AT=<name>:<n>` makes the process abort (as abruptly as
//! `kill -9`: no destructors, no flushing) the `n`-th time execution passes the crash point `name`;
//! unset, a crash point costs one load of a cached value. Without the feature (every normal build)
//! [`hit`] is empty and compiles to nothing.
//!
//! ```
//! use shardlog_storage::crashpoint::{self, CrashPoint};
//! crashpoint::hit(CrashPoint::SegmentCreated); // no-op unless SHARDLOG_CRASH_AT names it
//! assert_eq!(CrashPoint::from_name("segment-created"), Some(CrashPoint::SegmentCreated));
//! ```

/// A place in the code where the harness may crash the process. Each is named for where it sits;
/// `docs/durability.md` says what a crash there tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrashPoint {
    /// A new segment file exists but its directory entry is not yet synced.
    SegmentCreated,
    /// An atomic small-file write: the temp file is synced, not yet renamed.
    AtomicWriteBeforeRename,
    /// An atomic small-file write: renamed, the directory not yet synced.
    AtomicWriteBeforeDirFsync,
    /// Retention: the log's new start is durable, the files not yet gone.
    DropAfterMeta,
    /// Retention: between the unlinks of dropped segments.
    DropBetweenUnlinks,
    /// Retention: before the directory sync that makes the unlinks durable.
    DropBeforeDirFsync,
    /// Between the merges of one retention pass.
    RetentionBetweenMerges,
    /// A merge was renamed over its last segment; the merged ones are not yet gone.
    CompactionAfterSwap,
    /// A reshard created its children's files; the catalog does not yet name them.
    ReshardBeforeCatalog,
    /// Between the streams of one retention pass.
    RetentionBetweenShards,
    /// Checkpoint tree commit (one sync): pages written, slot not yet.
    CheckpointPagesWritten,
    /// Checkpoint tree commit: slot written, not synced.
    CheckpointSlotWritten,
    /// Checkpoint log commit: the record is written, not synced.
    CheckpointLogWritten,
}

impl CrashPoint {
    /// Every crash point, for harnesses to iterate over.
    pub const ALL: [CrashPoint; 13] = [
        CrashPoint::SegmentCreated,
        CrashPoint::AtomicWriteBeforeRename,
        CrashPoint::AtomicWriteBeforeDirFsync,
        CrashPoint::DropAfterMeta,
        CrashPoint::DropBetweenUnlinks,
        CrashPoint::DropBeforeDirFsync,
        CrashPoint::RetentionBetweenMerges,
        CrashPoint::CompactionAfterSwap,
        CrashPoint::ReshardBeforeCatalog,
        CrashPoint::RetentionBetweenShards,
        CrashPoint::CheckpointPagesWritten,
        CrashPoint::CheckpointSlotWritten,
        CrashPoint::CheckpointLogWritten,
    ];

    /// The name `SHARDLOG_CRASH_AT` and the harness's `--crash-point` use.
    pub fn name(self) -> &'static str {
        match self {
            CrashPoint::SegmentCreated => "segment-created",
            CrashPoint::AtomicWriteBeforeRename => "atomic-write-before-rename",
            CrashPoint::AtomicWriteBeforeDirFsync => "atomic-write-before-dir-fsync",
            CrashPoint::DropAfterMeta => "drop-after-meta",
            CrashPoint::DropBetweenUnlinks => "drop-between-unlinks",
            CrashPoint::DropBeforeDirFsync => "drop-before-dir-fsync",
            CrashPoint::RetentionBetweenMerges => "retention-between-merges",
            CrashPoint::CompactionAfterSwap => "compaction-after-swap",
            CrashPoint::ReshardBeforeCatalog => "reshard-before-catalog",
            CrashPoint::RetentionBetweenShards => "retention-between-shards",
            CrashPoint::CheckpointPagesWritten => "checkpoint-pages-written",
            CrashPoint::CheckpointSlotWritten => "checkpoint-slot-written",
            CrashPoint::CheckpointLogWritten => "checkpoint-log-written",
        }
    }

    /// The crash point called `name`.
    pub fn from_name(name: &str) -> Option<CrashPoint> {
        CrashPoint::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Passes `point`: aborts the process if `SHARDLOG_CRASH_AT` asks for this hit.
#[cfg(feature = "crash-points")]
pub fn hit(point: CrashPoint) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static TARGET: OnceLock<Option<(CrashPoint, u64)>> = OnceLock::new();
    static HITS: AtomicU64 = AtomicU64::new(0);
    let target = TARGET.get_or_init(|| {
        let spec = std::env::var("SHARDLOG_CRASH_AT").ok()?;
        let (name, n) = spec.rsplit_once(':')?;
        Some((CrashPoint::from_name(name)?, n.parse().ok()?))
    });
    if let Some((wanted, n)) = target {
        if *wanted == point && HITS.fetch_add(1, Ordering::Relaxed) + 1 == *n {
            std::process::abort();
        }
    }
}

/// Passes `point` (crash points are compiled out: feature `crash-points` is off).
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn hit(point: CrashPoint) {
    let _ = point;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_has_its_own_name() {
        for p in CrashPoint::ALL {
            assert_eq!(CrashPoint::from_name(p.name()), Some(p));
        }
        let mut names: Vec<_> = CrashPoint::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CrashPoint::ALL.len());
        assert_eq!(CrashPoint::from_name("no-such-point"), None);
    }
}
