//! Named crash points for the kill-and-restart harness.
//!
//! `SHARDLOG_CRASH_AT=<name>:<n>` makes the process abort (as abruptly as `kill -9`, no destructors,
//! no flushing) the `n`-th time execution passes the crash point `name`. Unset, a crash point costs
//! one load of a cached value.
//!
//! ```
//! shardlog_segment::crashpoint::hit("example"); // no-op unless SHARDLOG_CRASH_AT names it
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The crash points this crate and the engine pass, for harnesses to iterate over.
/// Each is named for where it sits; `docs/durability.md` lists what a crash there tests.
pub const POINTS: &[&str] = &[
    // A new segment file exists but its directory entry is not yet synced.
    "segment-created",
    "atomic-write-before-rename",
    "atomic-write-before-dir-fsync",
    // Retention: the new start is durable, files not yet gone; between unlinks; before the
    // directory sync that makes the unlinks durable; between the merges of a pass.
    "drop-after-meta",
    "drop-between-unlinks",
    "drop-before-dir-fsync",
    "retention-between-merges",
    "compaction-after-swap",
    "reshard-before-catalog",
    "retention-between-shards",
    // Checkpoint B-tree commit (one sync): pages written, slot not yet; slot written, not synced.
    "checkpoint-pages-written",
    "checkpoint-slot-written",
    // Checkpoint log commit: the record is written, not synced.
    "checkpoint-log-written",
];

static TARGET: OnceLock<Option<(String, u64)>> = OnceLock::new();
static HITS: AtomicU64 = AtomicU64::new(0);

fn target() -> &'static Option<(String, u64)> {
    TARGET.get_or_init(|| {
        let spec = std::env::var("SHARDLOG_CRASH_AT").ok()?;
        let (name, n) = spec.rsplit_once(':')?;
        Some((name.to_string(), n.parse().ok()?))
    })
}

/// Passes the crash point `name`: aborts the process if `SHARDLOG_CRASH_AT` asks for this hit.
pub fn hit(name: &str) {
    if let Some((wanted, n)) = target() {
        if wanted == name && HITS.fetch_add(1, Ordering::Relaxed) + 1 == *n {
            std::process::abort();
        }
    }
}
