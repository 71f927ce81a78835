//! Damage inside the last group commit: the bytes between the durable mark (which lags one sync)
//! and the end the last sync made durable.
//!
//! A power cut during that sync can leave those bytes torn: each 512-byte sector holds its old
//! content (zeros) or what was written. Recovery cuts such a tail. Damage that no torn write can
//! leave (a flipped bit in a frame with no zeroed sector) hit acknowledged data and is reported;
//! either way, no sequence number the last sync covered is handed out again.
#![allow(clippy::unwrap_used)]

use shardlog_segment::{Durability, Error, LogOptions, RecoveryMode, ShardLog};
use shardlog_storage::SimDisk;
use std::sync::Arc;

const SEGMENT: &str = "00000000000000000001.seg";
const RECORDS: u64 = 20;

fn opts(recovery: RecoveryMode) -> LogOptions {
    LogOptions {
        segment_bytes: 64 * 1024,
        durability: Durability::Sync,
        recovery,
        log_id: 7,
        ..LogOptions::default()
    }
}

/// Nonzero bytes, long enough that each frame spans several sectors.
fn payload(seq: u64) -> Vec<u8> {
    format!("record-{seq:04}-").repeat(100).into_bytes()
}

/// Appends `RECORDS` records, each acknowledged by its own sync, and returns the disk as a power
/// cut right after the last acknowledgement leaves it, with the offsets of the last frame.
fn acknowledged_then_cut() -> (SimDisk, std::ops::Range<usize>) {
    let disk = SimDisk::new(3);
    let log = ShardLog::open(Arc::new(disk.clone()), opts(RecoveryMode::Strict)).unwrap();
    for i in 0..RECORDS {
        assert_eq!(log.append(b"k", payload(i)).unwrap(), i);
    }
    let cut = disk.crash(0);
    drop(log);
    let frame = last_frame(&cut.file_bytes(SEGMENT).unwrap());
    (cut, frame)
}

/// Walks the frames from the data start by their length fields.
fn last_frame(bytes: &[u8]) -> std::ops::Range<usize> {
    let mut at = 4096;
    let mut last = at..at;
    loop {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if len == 0 {
            return last;
        }
        last = at..at + len;
        at += len.next_multiple_of(8);
    }
}

fn zero(disk: &SimDisk, range: std::ops::Range<usize>) {
    let mut bytes = disk.file_bytes(SEGMENT).unwrap();
    bytes[range].fill(0);
    disk.put_file(SEGMENT, &bytes);
}

#[test]
fn a_flipped_bit_in_the_last_group_commit_is_reported_as_corruption() {
    let (disk, frame) = acknowledged_then_cut();
    disk.flip_bit(SEGMENT, (frame.start as u64 + 700) * 8 + 3)
        .unwrap();
    let err = ShardLog::open(Arc::new(disk), opts(RecoveryMode::Strict)).unwrap_err();
    match err {
        Error::Corrupt { file, offset, .. } => {
            assert!(file.to_string_lossy().ends_with(SEGMENT), "{file:?}");
            assert_eq!(offset, frame.start as u64, "the damaged frame");
        }
        other => panic!("expected corruption of acknowledged data, got {other}"),
    }
}

#[test]
fn truncating_a_damaged_last_group_commit_never_reissues_its_numbers() {
    let (disk, frame) = acknowledged_then_cut();
    disk.flip_bit(SEGMENT, (frame.start as u64 + 700) * 8 + 3)
        .unwrap();
    let log = ShardLog::open(Arc::new(disk), opts(RecoveryMode::TruncateNewestSegment)).unwrap();
    let kept = log.read(0, 100, usize::MAX).unwrap().records;
    assert_eq!(
        kept.len() as u64,
        RECORDS - 1,
        "only the damaged frame is cut"
    );
    let next = log.append(b"k", b"v").unwrap();
    assert!(next >= RECORDS, "number {next} was acknowledged before");
}

#[test]
fn a_zeroed_sector_in_the_last_group_commit_is_a_torn_tail_and_its_numbers_are_skipped() {
    let (disk, frame) = acknowledged_then_cut();
    // A torn write: one sector inside the frame kept its old, zero content.
    let sector = frame.start.next_multiple_of(512);
    assert!(sector + 512 <= frame.end, "the frame spans a whole sector");
    zero(&disk, sector..sector + 512);
    let log = ShardLog::open(Arc::new(disk), opts(RecoveryMode::Strict)).unwrap();
    let kept = log.read(0, 100, usize::MAX).unwrap().records;
    assert_eq!(kept.len() as u64, RECORDS - 1);
    let next = log.append(b"k", b"v").unwrap();
    assert!(next >= RECORDS, "number {next} may have been read before");
}

#[test]
fn a_last_group_commit_that_never_reached_the_disk_is_cut_and_its_numbers_skipped() {
    let (disk, frame) = acknowledged_then_cut();
    // The mark naming the last sync's end reached the disk; its data did not.
    zero(&disk, frame.clone());
    let log = ShardLog::open(Arc::new(disk), opts(RecoveryMode::Strict)).unwrap();
    assert_eq!(
        log.read(0, 100, usize::MAX).unwrap().records.len() as u64,
        RECORDS - 1
    );
    assert!(log.append(b"k", b"v").unwrap() >= RECORDS);
}
