//! Retention policies: pure functions from a stream snapshot and `now` to one decision per shard.
//!
//! - **Time**: a segment goes once its newest record is older than the retention period, so every
//!   record stays readable at least until its arrival time plus the period.
//! - **Size cap** (optional, per stream): while the stream holds more than the cap, the segments with
//!   the oldest newest-record go first, across shards; the active segment of an open shard never goes
//!   for size alone.
//! - **Expired shards**: a closed shard whose every record has expired (or that never held one and
//!   was closed longer ago than the period) is removed.

use crate::{Decision, RetentionPeriod, ShardView};
use shardlog_segment::SegmentInfo;

/// True if every record of `seg` has expired at `now`.
fn expired(seg: &SegmentInfo, period: RetentionPeriod, now_ms: u64) -> bool {
    seg.last_ts_ms.saturating_add(period.as_millis()) <= now_ms
}

/// The sequence number below which a shard's segments have all expired (a prefix of its segments).
fn time_cut(shard: &ShardView, period: RetentionPeriod, now_ms: u64) -> Option<u64> {
    shard
        .segments
        .iter()
        .take_while(|s| expired(s, period, now_ms) && (s.next_seq > s.base_seq || !s.active))
        .last()
        .map(|s| s.next_seq)
}

/// Decides, for each shard of one stream, what retention does now.
///
/// ```
/// use shardlog_retention::{policy, Decision, RetentionPeriod, ShardView};
/// let empty_closed = ShardView { segments: vec![], closed_ms: Some(0) };
/// let day = 24 * 3_600_000;
/// let d = policy::choose(&[empty_closed], RetentionPeriod::DEFAULT, None, day);
/// assert_eq!(d, vec![Decision::RemoveShard]);
/// ```
pub fn choose(
    shards: &[ShardView],
    period: RetentionPeriod,
    size_cap: Option<u64>,
    now_ms: u64,
) -> Vec<Decision> {
    let mut cuts: Vec<Option<u64>> = shards.iter().map(|s| time_cut(s, period, now_ms)).collect();
    if let Some(cap) = size_cap {
        apply_size_cap(shards, cap, &mut cuts);
    }
    shards
        .iter()
        .zip(cuts)
        .map(|(shard, cut)| {
            if shard_expired(shard, period, now_ms, cut) {
                Decision::RemoveShard
            } else {
                cut.map_or(Decision::Keep, Decision::DropBefore)
            }
        })
        .collect()
}

/// A closed shard goes once nothing readable is left in it.
fn shard_expired(
    shard: &ShardView,
    period: RetentionPeriod,
    now_ms: u64,
    cut: Option<u64>,
) -> bool {
    let Some(closed) = shard.closed_ms else {
        return false;
    };
    let closed_long_ago = closed.saturating_add(period.as_millis()) <= now_ms;
    let holds_records = shard.segments.iter().any(|s| s.next_seq > s.base_seq);
    let all_cut = shard
        .segments
        .last()
        .is_none_or(|last| cut.is_some_and(|c| c >= last.next_seq));
    (holds_records && all_cut && shard.segments.iter().all(|s| expired(s, period, now_ms)))
        || (!holds_records && closed_long_ago)
}

/// The segments of `shard` that survive `cut`.
fn kept(shard: &ShardView, cut: Option<u64>) -> impl Iterator<Item = &SegmentInfo> {
    shard
        .segments
        .iter()
        .filter(move |s| cut.is_none_or(|c| s.next_seq > c))
}

/// Extends the cuts so the stream's kept bytes fit `cap`, dropping the oldest segments first.
fn apply_size_cap(shards: &[ShardView], cap: u64, cuts: &mut [Option<u64>]) {
    let mut total: u64 = shards
        .iter()
        .zip(cuts.iter())
        .flat_map(|(s, c)| kept(s, *c))
        .map(|s| s.file_bytes)
        .sum();
    // Candidates: each shard's oldest kept segment; the globally oldest goes first.
    loop {
        if total <= cap {
            return;
        }
        let oldest = shards
            .iter()
            .zip(cuts.iter())
            .enumerate()
            .filter_map(|(i, (shard, cut))| {
                kept(shard, *cut)
                    .next()
                    .filter(|s| !s.active)
                    .map(|s| (s.last_ts_ms, i, *s))
            })
            .min_by_key(|(ts, i, _)| (*ts, *i));
        let Some((_, i, seg)) = oldest else { return };
        cuts[i] = Some(seg.next_seq);
        total = total.saturating_sub(seg.file_bytes);
    }
}

/// Runs of small sealed segments to merge, oldest first: consecutive segments (never the active one)
/// each at most half full of a `segment_bytes` segment, grouped while their data fits in one.
///
/// ```
/// use shardlog_retention::{policy, ShardView};
/// use shardlog_segment::SegmentInfo;
/// let seg = |id, bytes, active| SegmentInfo {
///     id, base_seq: id * 10, next_seq: id * 10 + 10, first_ts_ms: 0, last_ts_ms: 0,
///     data_bytes: bytes, file_bytes: 65536, active,
/// };
/// let shard = ShardView { segments: vec![seg(1, 1000, false), seg(2, 1000, false), seg(3, 60000, false), seg(4, 10, true)], closed_ms: None };
/// assert_eq!(policy::merges(&shard, 65536), vec![vec![1, 2]]);
/// ```
pub fn merges(shard: &ShardView, segment_bytes: u64) -> Vec<Vec<u64>> {
    let room = segment_bytes.saturating_sub(4096);
    let mut runs = Vec::new();
    let mut run: Vec<u64> = Vec::new();
    let mut bytes = 0u64;
    for seg in &shard.segments {
        let small = !seg.active && seg.data_bytes.saturating_mul(2) <= segment_bytes;
        if !small || bytes + seg.data_bytes > room {
            if run.len() >= 2 {
                runs.push(std::mem::take(&mut run));
            }
            run.clear();
            bytes = 0;
        }
        if small {
            run.push(seg.id);
            bytes += seg.data_bytes;
        }
    }
    if run.len() >= 2 {
        runs.push(run);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 3_600_000;

    fn seg(base: u64, next: u64, first: u64, last: u64, active: bool) -> SegmentInfo {
        SegmentInfo {
            id: base + 1,
            base_seq: base,
            next_seq: next,
            first_ts_ms: first,
            last_ts_ms: last,
            data_bytes: 1000,
            file_bytes: 4096,
            active,
        }
    }

    #[test]
    fn drops_only_segments_whose_newest_record_expired() {
        let shard = ShardView {
            segments: vec![
                seg(0, 10, 0, HOUR, false),
                seg(10, 20, HOUR, 5 * HOUR, false),
                seg(20, 30, 5 * HOUR, 9 * HOUR, true),
            ],
            closed_ms: None,
        };
        let p = RetentionPeriod::hours(24).unwrap();
        assert_eq!(
            choose(std::slice::from_ref(&shard), p, None, 25 * HOUR - 1),
            vec![Decision::Keep]
        );
        assert_eq!(
            choose(std::slice::from_ref(&shard), p, None, 25 * HOUR),
            vec![Decision::DropBefore(10)]
        );
        assert_eq!(
            choose(std::slice::from_ref(&shard), p, None, 29 * HOUR),
            vec![Decision::DropBefore(20)]
        );
        // The active segment goes too once all of it expired (numbering continues in the log).
        assert_eq!(
            choose(&[shard], p, None, 33 * HOUR),
            vec![Decision::DropBefore(30)]
        );
    }

    #[test]
    fn closed_shards_leave_once_everything_expired() {
        let p = RetentionPeriod::DEFAULT;
        let closed = ShardView {
            segments: vec![seg(0, 5, 0, HOUR, false)],
            closed_ms: Some(2 * HOUR),
        };
        assert_eq!(
            choose(std::slice::from_ref(&closed), p, None, 24 * HOUR),
            vec![Decision::Keep]
        );
        assert_eq!(
            choose(&[closed], p, None, 25 * HOUR),
            vec![Decision::RemoveShard]
        );
        let open = ShardView {
            segments: vec![seg(0, 5, 0, HOUR, true)],
            closed_ms: None,
        };
        assert_eq!(
            choose(&[open], p, None, 100 * HOUR),
            vec![Decision::DropBefore(5)]
        );
    }

    #[test]
    fn size_cap_drops_globally_oldest_first_and_never_the_active_segment() {
        let a = ShardView {
            segments: vec![
                seg(0, 1, 0, 10, false),
                seg(1, 2, 10, 40, false),
                seg(2, 3, 40, 50, true),
            ],
            closed_ms: None,
        };
        let b = ShardView {
            segments: vec![seg(0, 1, 0, 20, false), seg(1, 2, 20, 30, true)],
            closed_ms: None,
        };
        let p = RetentionPeriod::MAX_HOURS;
        let p = RetentionPeriod::hours(p).unwrap();
        // 5 segments of 4096 bytes; a cap of 3 segments drops a's first (ts 10) and b's first (ts 20).
        let d = choose(&[a.clone(), b.clone()], p, Some(3 * 4096), 100);
        assert_eq!(d, vec![Decision::DropBefore(1), Decision::DropBefore(1)]);
        // A cap below the active segments keeps them.
        let d = choose(&[a, b], p, Some(0), 100);
        assert_eq!(d, vec![Decision::DropBefore(2), Decision::DropBefore(1)]);
    }

    proptest! {
        /// Whatever the segments and `now`, no segment with an unexpired record is dropped, and the
        /// cut is a prefix of the segments.
        #[test]
        fn never_drops_a_live_record(lasts in prop::collection::vec(0u64..100 * HOUR, 1..20), now in 0u64..200 * HOUR, hours in 24u32..100) {
            let mut lasts = lasts;
            lasts.sort_unstable();
            let n = lasts.len();
            let segments: Vec<_> = lasts.iter().enumerate().map(|(i, &t)| seg(i as u64 * 10, i as u64 * 10 + 10, t, t, i + 1 == n)).collect();
            let p = RetentionPeriod::hours(hours).unwrap();
            let shard = ShardView { segments: segments.clone(), closed_ms: None };
            match choose(&[shard], p, None, now)[0] {
                Decision::Keep => prop_assert!(segments[0].last_ts_ms + p.as_millis() > now),
                Decision::DropBefore(cut) => {
                    for s in &segments {
                        if s.next_seq <= cut {
                            prop_assert!(s.last_ts_ms + p.as_millis() <= now);
                        }
                    }
                    let next = segments.iter().find(|s| s.next_seq > cut);
                    prop_assert!(next.is_none_or(|s| s.last_ts_ms + p.as_millis() > now));
                }
                Decision::RemoveShard => prop_assert!(false, "open shards are never removed"),
            }
        }
    }
}
