//! Which sealed segments keep their file open: a least-recently-used set of bounded size.
//!
//! Every open segment holds a file descriptor and a memory mapping. A store with many shards and a
//! long retention has far more segments than the process may hold (`ulimit -n`, often 1024, and
//! `vm.max_map_count`, 65,530 by default), so only the active segment of each log stays open for
//! good; a sealed one is opened when read and closed again when it falls out of this set. Readers
//! hold the file by `Arc` for the length of one read, so closing never pulls a mapping from under
//! them: the descriptor goes when the last reader lets go.
//!
//! Only sealed segments are ever closed. Their bytes were made durable before the sealed mark was
//! written, so no write is pending that a fresh descriptor would fail to report an error for.

use shardlog_storage::{MutexExt as _, StorageFile};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, Weak};

/// A segment's open file, or `None` while it is closed.
pub(crate) type Slot = Mutex<Option<Arc<dyn StorageFile>>>;

/// The sealed segments kept open, shared by every log that is given a clone (a store shares one
/// across all its shards, so the bound holds for the whole process).
///
/// ```
/// use shardlog_segment::{LogOptions, OpenSegments};
/// let shared = OpenSegments::new(256);
/// let opts = LogOptions { open_segments: shared.clone(), ..LogOptions::default() };
/// assert_eq!(opts.open_segments.capacity(), 256);
/// ```
#[derive(Clone)]
pub struct OpenSegments {
    inner: Arc<Mutex<Lru>>,
    capacity: NonZeroUsize,
}

struct Lru {
    next_key: u64,
    open: lru::LruCache<u64, Weak<Slot>>,
}

/// Sealed segments kept open when nothing else is said: few enough that several stores and a
/// thousand client connections fit the common limit of 1024 descriptors with room to spare.
pub const DEFAULT_OPEN_SEGMENTS: usize = 256;

impl OpenSegments {
    /// A set that keeps at most `capacity` sealed segments open (at least one).
    pub fn new(capacity: usize) -> OpenSegments {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        OpenSegments {
            inner: Arc::new(Mutex::new(Lru {
                next_key: 0,
                open: lru::LruCache::unbounded(),
            })),
            capacity,
        }
    }

    /// The most sealed segments kept open at once.
    pub fn capacity(&self) -> usize {
        self.capacity.get()
    }

    /// Sealed segments open now (readers may briefly hold a few more that were just closed).
    pub fn len(&self) -> usize {
        self.inner.locked().open.len()
    }

    /// True when no sealed segment is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A key for a segment that will be admitted.
    pub(crate) fn new_key(&self) -> u64 {
        let mut lru = self.inner.locked();
        lru.next_key += 1;
        lru.next_key
    }

    /// Records that `slot` was just opened (or is already open) and closes the least recently used
    /// segments beyond the capacity.
    pub(crate) fn admit(&self, key: u64, slot: Weak<Slot>) {
        let evicted: Vec<Weak<Slot>> = {
            let mut lru = self.inner.locked();
            lru.open.push(key, slot);
            let mut out = Vec::new();
            while lru.open.len() > self.capacity.get() {
                match lru.open.pop_lru() {
                    Some((_, slot)) => out.push(slot),
                    None => break,
                }
            }
            out
        };
        // Closed outside our lock: a segment takes its slot's lock before ours, never after.
        for slot in evicted {
            if let Some(slot) = slot.upgrade() {
                slot.locked().take();
            }
        }
    }

    /// Marks a segment as just used, if it is in the set.
    pub(crate) fn touch(&self, key: u64) {
        self.inner.locked().open.promote(&key);
    }

    /// Forgets a segment that is going away.
    pub(crate) fn forget(&self, key: u64) {
        self.inner.locked().open.pop(&key);
    }
}

impl Default for OpenSegments {
    fn default() -> Self {
        OpenSegments::new(DEFAULT_OPEN_SEGMENTS)
    }
}

impl std::fmt::Debug for OpenSegments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenSegments")
            .field("capacity", &self.capacity)
            .field("open", &self.len())
            .finish()
    }
}
