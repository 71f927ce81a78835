//! Open bugs of `shardlog-segment` that fuzzing found and that are not fixed yet.
//!
//! Outside strict mode ([`crate::strict`]) the `segment_recovery` target skips every input that
//! [`hit_by`] matches, so a long run finds new bugs instead of these again. Each bug has a minimal
//! input in `regressions/segment_recovery/`, listed in `known-failures.txt`; `tests/replay.rs` runs
//! those strictly. When a bug is fixed: delete its entry here and its line in `known-failures.txt`.

use crate::recovery::Scenario;
use shardlog_segment::codec::segment_seed;

/// Numbers at or above this count as "near `u64::MAX`".
pub const NEAR_MAX: u64 = u64::MAX - (1 << 32);

/// One open bug.
#[derive(Debug)]
pub struct OpenBug {
    /// Short id, used in `known-failures.txt` and the regression file names.
    pub id: &'static str,
    /// What goes wrong.
    pub summary: &'static str,
    /// True if a scenario may hit the bug (`None`: checked where the assertion is, see the summary).
    pub hit: Option<fn(&Scenario) -> bool>,
}

/// The open bugs.
pub const OPEN_BUGS: &[OpenBug] = &[
    OpenBug {
        id: "B1",
        summary: "a log.meta whose start_seq is above every sequence number in use is accepted; \
                  appends then get numbers below start_seq that no read returns \
                  (checked after the append: skipped when the number is below start_seq())",
        hit: None,
    },
    OpenBug {
        id: "B2",
        summary: "recovery adds to sequence numbers near u64::MAX unchecked: \
                  `w.next_seq + room / RECORD_HEADER_LEN + 1` in finish_open panics",
        hit: Some(near_max_seq),
    },
    OpenBug {
        id: "B3",
        summary: "in a segment file whose length is not a multiple of 8, a frame ending in the last \
                  7 bytes puts the scan end (its padding) past the file; finish_open's \
                  `capacity - tip.end` (and ensure_room's `capacity - write_end`) then underflow",
        hit: Some(unaligned_segment_file),
    },
    OpenBug {
        id: "B4",
        summary: "segment ids near u64::MAX (log.meta first_live_segment, or a file's name) overflow \
                  `last_id + 1` in assemble and `next_segment_id += 1` in start_segment",
        hit: Some(near_max_segment_id),
    },
    OpenBug {
        id: "B5",
        summary: "a valid mark with a counter near u64::MAX overflows `durable.1 + 1` in finish_open \
                  (and `counter + 1` in sync_active)",
        hit: Some(near_max_mark_counter),
    },
    OpenBug {
        id: "B6",
        summary: "a checksum-valid .idx whose entries other than the last point at the wrong frame \
                  is trusted (open spot-checks only the last entry): a point read then starts at the \
                  wrong frame and silently returns a later record (or fails mid-frame)",
        hit: Some(wrong_index_entry),
    },
];

/// The first open bug a scenario may hit.
pub fn hit_by(s: &Scenario) -> Option<&'static str> {
    OPEN_BUGS
        .iter()
        .find(|b| b.hit.is_some_and(|hit| hit(s)))
        .map(|b| b.id)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |x| u64::from_le_bytes(x.try_into().unwrap_or([0; 8])))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |x| u32::from_le_bytes(x.try_into().unwrap_or([0; 4])))
}

/// `log.meta`'s bytes.
fn meta(s: &Scenario) -> Option<&[u8]> {
    s.files
        .iter()
        .find(|(n, _)| n == "log.meta")
        .map(|(_, b)| b.as_slice())
}

/// Segment files with a valid header checksum: `(bytes, log_id, segment_id, base_seq)`.
fn segments(s: &Scenario) -> impl Iterator<Item = (&[u8], u64, u64, u64)> {
    s.files
        .iter()
        .filter(|(n, b)| {
            n.ends_with(".seg") && b.len() >= 128 && crc32c::crc32c(&b[..124]) == u32_at(b, 124)
        })
        .map(|(_, b)| (b.as_slice(), u64_at(b, 16), u64_at(b, 24), u64_at(b, 40)))
}

/// Valid marks of a segment: `(counter, next_seq)`.
fn marks(b: &[u8], seed: u32) -> impl Iterator<Item = (u64, u64)> + '_ {
    crate::format::MARK_OFFSETS
        .into_iter()
        .filter_map(move |at| {
            let slot = b.get(at..at + 64)?;
            let valid =
                &slot[..4] == b"MARK" && crc32c::crc32c_append(seed, &slot[8..]) == u32_at(slot, 4);
            valid.then(|| (u64_at(slot, 8), u64_at(slot, 24)))
        })
}

/// B2: a sequence number near `u64::MAX` in `log.meta`, a segment header, a valid mark, or at the
/// end of a segment's valid frames.
pub fn near_max_seq(s: &Scenario) -> bool {
    if meta(s).is_some_and(|m| u64_at(m, 24) >= NEAR_MAX || u64_at(m, 32) >= NEAR_MAX) {
        return true;
    }
    segments(s).any(|(b, log_id, id, base)| {
        let seed = segment_seed(log_id, id);
        base >= NEAR_MAX
            || crate::recovery::scan_area(b, seed, base).next_seq >= NEAR_MAX
            || marks(b, seed).any(|(_, next)| next >= NEAR_MAX)
    })
}

/// B3: a segment file whose length is not a multiple of 8.
pub fn unaligned_segment_file(s: &Scenario) -> bool {
    s.files
        .iter()
        .any(|(n, b)| n.ends_with(".seg") && b.len() % 8 != 0)
}

/// B4: `log.meta`'s first live segment or a segment file's id near `u64::MAX`.
pub fn near_max_segment_id(s: &Scenario) -> bool {
    meta(s).is_some_and(|m| u64_at(m, 40) >= NEAR_MAX)
        || s.files.iter().any(|(name, _)| {
            name.strip_suffix(".seg")
                .and_then(|d| d.parse::<u64>().ok())
                .is_some_and(|id| id >= NEAR_MAX)
        })
}

/// B5: a valid mark whose counter is near `u64::MAX`.
pub fn near_max_mark_counter(s: &Scenario) -> bool {
    segments(s).any(|(b, log_id, id, _)| {
        marks(b, segment_seed(log_id, id)).any(|(counter, _)| counter >= NEAR_MAX)
    })
}

/// B6: an `.idx` file with an entry that does not name the frame at its offset.
pub fn wrong_index_entry(s: &Scenario) -> bool {
    s.files.iter().any(|(name, idx)| {
        let Some(digits) = name.strip_suffix(".idx") else {
            return false;
        };
        let seg_name = format!("{digits}.seg");
        let Some((_, seg)) = s.files.iter().find(|(n, _)| *n == seg_name) else {
            return false;
        };
        let seed = segment_seed(u64_at(seg, 16), u64_at(seg, 24));
        let count = u32_at(idx, 12) as usize;
        (0..count.min(idx.len() / 24)).any(|i| {
            let at = 88 + i * 24;
            let (seq, offset) = (u64_at(idx, at), u64_at(idx, at + 8));
            let frame = usize::try_from(offset)
                .ok()
                .and_then(|o| seg.get(o..))
                .map(|b| shardlog_segment::codec::decode_frame(b, seed));
            !matches!(frame, Some(Ok(f)) if f.first_seq() == seq)
        })
    })
}
