//! Buffers for large answers, kept for the next one.
//!
//! A GetRecords answer is up to 14 MB (10 MB of data, base64 in JSON), written into one buffer
//! sized in advance. A fresh buffer of that size is a fresh mapping from the allocator, and every
//! 4 KiB page of it costs a page fault as the answer is written: a quarter of the time spent
//! encoding GetRecords in a profile. A buffer kept from an earlier answer is mapped already.
//!
//! Buffers come back when the last handle on the answer's bytes is dropped, that is once hyper has
//! written them to the socket. At most [`KEEP_BYTES`] of idle buffers are kept: this is memory the
//! server holds while idle, bounded like every other resource.

use bytes::Bytes;
use shardlog_storage::MutexExt as _;
use std::sync::Mutex;

/// Answers smaller than this come from the allocator, which keeps such sizes mapped itself.
const SMALL: usize = 256 << 10;
/// Large buffers are made in multiples of this.
const ROUND: usize = 1 << 20;
/// Most bytes of idle buffers kept: two of the largest JSON answers. Readers beyond those take new
/// buffers, as before.
const KEEP_BYTES: usize = 32 << 20;

/// Idle buffers, largest last.
#[derive(Debug)]
pub(crate) struct AnswerBuffers {
    idle: Mutex<Vec<Vec<u8>>>,
}

/// The server's answer buffers.
pub(crate) static ANSWERS: AnswerBuffers = AnswerBuffers::new();

impl AnswerBuffers {
    const fn new() -> Self {
        AnswerBuffers {
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An empty buffer for an answer of about `size` bytes: a kept one if one is large enough.
    pub(crate) fn take(&self, size: usize) -> Vec<u8> {
        if size < SMALL {
            return Vec::with_capacity(size);
        }
        let mut idle = self.idle.locked();
        if let Some(k) = idle.iter().position(|b| b.capacity() >= size) {
            let mut buf = idle.remove(k);
            buf.clear();
            return buf;
        }
        // Rounded up, so that the next answer, a little larger, fits too.
        Vec::with_capacity(size.next_multiple_of(ROUND))
    }

    /// The answer's bytes; a large buffer comes back here once they are dropped.
    pub(crate) fn answer_bytes(&'static self, buf: Vec<u8>) -> Bytes {
        if buf.capacity() < SMALL {
            return Bytes::from(buf);
        }
        Bytes::from_owner(Kept { buf, home: self })
    }

    /// Keeps `buf` if the idle buffers have room for it, else frees it. For a buffer from
    /// [`AnswerBuffers::take`] that does not become an answer's bytes.
    pub(crate) fn give_back(&self, buf: Vec<u8>) {
        let mut idle = self.idle.locked();
        let held: usize = idle.iter().map(Vec::capacity).sum();
        if buf.capacity() >= SMALL && held + buf.capacity() <= KEEP_BYTES {
            let at = idle.partition_point(|b| b.capacity() <= buf.capacity());
            idle.insert(at, buf);
        }
    }

    #[cfg(test)]
    fn idle_bytes(&self) -> usize {
        self.idle.locked().iter().map(Vec::capacity).sum()
    }
}

/// A large answer's buffer, given back when the last handle on its bytes is dropped.
struct Kept {
    buf: Vec<u8>,
    home: &'static AnswerBuffers,
}

impl AsRef<[u8]> for Kept {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.home.give_back(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_buffer_is_kept_reused_and_the_idle_memory_bounded() {
        static POOL: AnswerBuffers = AnswerBuffers::new();
        // Small answers never enter the pool.
        drop(POOL.answer_bytes(POOL.take(100)));
        assert_eq!(POOL.idle_bytes(), 0);

        // A large one comes back when its last handle goes, and is handed out again, emptied.
        let mut buf = POOL.take(1_000_000);
        buf.extend_from_slice(&[7u8; 1_000_000]);
        let ptr = buf.as_ptr();
        let bytes = POOL.answer_bytes(buf);
        let part = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(POOL.idle_bytes(), 0, "a slice still holds it");
        assert_eq!(&part[..], &[7u8; 10]);
        drop(part);
        assert!(POOL.idle_bytes() >= 1_000_000);
        let again = POOL.take(1_040_000);
        assert_eq!(
            again.as_ptr(),
            ptr,
            "the kept buffer is reused, a little larger answer too"
        );
        assert!(again.is_empty());
        drop(again);

        // Idle buffers never hold more than KEEP_BYTES.
        let many: Vec<Bytes> = (0..8)
            .map(|_| {
                let mut b = POOL.take(8 << 20);
                b.resize(8 << 20, 1);
                POOL.answer_bytes(b)
            })
            .collect();
        drop(many);
        let held = POOL.idle_bytes();
        assert!(held <= KEEP_BYTES, "{held} bytes idle");
        assert!(
            held >= 3 * (8 << 20),
            "{held} bytes idle: the pool kept what fits"
        );
    }
}
