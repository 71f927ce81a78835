//! `verify::verify_shard` finds each kind of damage the corruption and crash tests make, with the
//! right file, byte offset and kind, reports nothing on a sound log (also while it is written), and
//! changes no file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::flip;
use shardlog_segment::codec::{decode_frame, encode_frame, segment_seed};
use shardlog_segment::verify::{verify_shard, DamageKind, ShardCheck};
use shardlog_segment::{LogOptions, ShardLog, MIN_SEGMENT_BYTES};
use shardlog_storage::FsStorage;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const LOG_ID: u64 = 77;

fn opts() -> LogOptions {
    LogOptions {
        log_id: LOG_ID,
        segment_bytes: MIN_SEGMENT_BYTES,
        ..LogOptions::default()
    }
}

/// A closed log of several segments (the last one the newest) in a new directory.
fn build() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(Arc::new(FsStorage::open(dir.path()).unwrap()), opts()).unwrap();
    for i in 0..120u32 {
        let data = vec![(i % 251) as u8; 300];
        log.append_batch(&[(format!("k{i}").into_bytes(), data)])
            .unwrap();
    }
    log.close().unwrap();
    dir
}

fn seg(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

fn check(dir: &Path) -> ShardCheck {
    verify_shard(dir, &|_| {}).unwrap()
}

fn only(c: &ShardCheck) -> (PathBuf, u64, DamageKind) {
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    first_of(c)
}

/// The first finding (damage can have consequences later in the chain, reported after it).
fn first_of(c: &ShardCheck) -> (PathBuf, u64, DamageKind) {
    let f = c.findings.first().expect("a finding");
    assert!(!f.meaning.is_empty() && !f.advice.is_empty());
    (f.file.clone(), f.offset, f.kind)
}

/// Every file's bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let m = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p.clone(), std::fs::read(&p).unwrap(), m)
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn a_sound_log_has_no_findings_and_verify_changes_nothing() {
    let dir = build();
    assert!(segments(dir.path()).len() >= 3);
    let before = snapshot(dir.path());
    let c = check(dir.path());
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!(c.segments.iter().map(|s| s.records).sum::<u64>(), 120);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_bit_flip_in_a_sealed_segment_frame_is_found_at_its_offset() {
    let dir = build();
    let first = seg(dir.path(), 1);
    // The second frame (each frame here is one 300-byte record: 32 + 6 + 2..3 + 300, padded).
    let second = 4096 + decode_len(&first, 4096);
    flip(&first, second + 40);
    assert_eq!(only(&check(dir.path())), (first, second, DamageKind::Frame));
}

#[test]
fn damage_before_the_newest_segments_durable_mark_is_found() {
    let dir = build();
    let newest = segments(dir.path()).pop().unwrap();
    flip(&newest, 4096 + 50);
    assert_eq!(only(&check(dir.path())), (newest, 4096, DamageKind::Frame));
}

#[test]
fn a_torn_tail_after_the_durable_mark_is_not_damage() {
    let dir = build();
    let newest = segments(dir.path()).pop().unwrap();
    let end = check(dir.path()).segments.last().unwrap().data_end;
    // What a power cut mid-write leaves after the mark: a frame header and part of its body.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap();
    let mut torn = Vec::new();
    encode_frame(&mut torn, 0, 0, 0, &[(b"k", vec![9u8; 200])]);
    f.write_all_at(&torn[..100], end).unwrap();
    let c = check(dir.path());
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!(c.segments.last().unwrap().data_end, end);
}

#[test]
fn a_zeroed_sector_before_the_durable_mark_is_found() {
    let dir = build();
    let newest = segments(dir.path()).pop().unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap();
    f.write_all_at(&[0u8; 512], 4096).unwrap();
    let c = check(dir.path());
    assert_eq!(first_of(&c), (newest, 4096, DamageKind::Frame));
    // The clean close's index file no longer matches the frames either.
    assert!(c
        .findings
        .iter()
        .skip(1)
        .all(|f| f.kind == DamageKind::Index));
}

#[test]
fn a_frame_out_of_sequence_is_found() {
    let dir = build();
    let first = seg(dir.path(), 1);
    // A valid, correctly checksummed frame with the wrong first number.
    reencode(&first, 4096, |seq, ts| (seq + 5, ts));
    assert_eq!(
        only(&check(dir.path())),
        (first, 4096, DamageKind::SequenceOrder)
    );
}

/// Re-encodes the frame at `offset` of `path`, checksum included, with the first sequence number
/// and timestamp that `change` makes of its own: damage that only the order rules can find.
fn reencode(path: &Path, offset: u64, change: impl FnOnce(u64, u64) -> (u64, u64)) {
    let len = decode_len(path, offset) as usize;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset).unwrap();
    let seed = segment_seed(LOG_ID, 1);
    let frame = decode_frame(&buf, seed).unwrap();
    let recs: Vec<(Vec<u8>, Vec<u8>)> = frame
        .records()
        .map(|r| (r.key.to_vec(), r.data.to_vec()))
        .collect();
    let (seq, ts) = change(frame.first_seq(), frame.timestamp_ms());
    let mut out = Vec::new();
    encode_frame(&mut out, seed, seq, ts, &recs);
    assert_eq!(out.len(), len);
    file.write_all_at(&out, offset).unwrap();
}

/// A correctly checksummed frame whose arrival time is before its predecessor's: AT_TIMESTAMP
/// seeks rely on the order.
#[test]
fn a_frame_older_than_the_one_before_it_is_found() {
    let dir = build();
    let first = seg(dir.path(), 1);
    let second_frame = 4096 + decode_len(&first, 4096);
    reencode(&first, second_frame, |seq, ts| (seq, ts - 60_000));
    assert_eq!(
        first_of(&check(dir.path())),
        (first, second_frame, DamageKind::TimeOrder)
    );
}

/// A file that exists but cannot be read is named as unreadable, and verify goes on with the
/// rest: here the index file is a directory (reads fail with `EISDIR`, even for root).
#[test]
fn an_unreadable_file_is_found_and_the_rest_is_checked() {
    let dir = build();
    let idx = dir.path().join(format!("{:020}.idx", 1));
    std::fs::remove_file(&idx).unwrap();
    std::fs::create_dir(&idx).unwrap();
    let second = seg(dir.path(), 2);
    flip(&second, 4096 + 40);
    let c = check(dir.path());
    let kinds: Vec<(PathBuf, u64, DamageKind)> = c
        .findings
        .iter()
        .map(|f| (f.file.clone(), f.offset, f.kind))
        .collect();
    assert!(
        kinds.contains(&(idx, 0, DamageKind::Unreadable)),
        "{kinds:#?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(f, _, k)| f == &second && *k == DamageKind::Frame),
        "{kinds:#?}"
    );
}

#[test]
fn a_damaged_or_missing_index_file_is_found() {
    let dir = build();
    let idx = dir.path().join(format!("{:020}.idx", 1));
    flip(&idx, 50);
    assert_eq!(
        only(&check(dir.path())),
        (idx.clone(), 0, DamageKind::Index)
    );
    std::fs::remove_file(&idx).unwrap();
    assert_eq!(only(&check(dir.path())), (idx, 0, DamageKind::MissingIndex));
}

#[test]
fn an_index_entry_pointing_at_the_wrong_frame_is_found() {
    let dir = build();
    let idx_path = dir.path().join(format!("{:020}.idx", 1));
    let mut bytes = std::fs::read(&idx_path).unwrap();
    let mut idx = shardlog_segment::fuzzing::IndexFile::decode(&bytes).unwrap();
    assert!(!idx.index.entries.is_empty());
    idx.index.entries[0].seq += 1; // still ordered, checksummed again below
    bytes = idx.encode();
    std::fs::write(&idx_path, bytes).unwrap();
    assert_eq!(only(&check(dir.path())), (idx_path, 88, DamageKind::Index));
}

#[test]
fn a_damaged_mark_slot_and_header_are_found() {
    let dir = build();
    let first = seg(dir.path(), 1);
    flip(&first, 512 + 20);
    assert_eq!(
        only(&check(dir.path())),
        (first.clone(), 512, DamageKind::Mark)
    );
    flip(&first, 512 + 20);
    flip(&first, 30);
    assert_eq!(
        first_of(&check(dir.path())),
        (first, 0, DamageKind::SegmentHeader)
    );
}

#[test]
fn a_missing_segment_and_damaged_log_meta_are_found() {
    let dir = build();
    std::fs::remove_file(seg(dir.path(), 2)).unwrap();
    let c = check(dir.path());
    assert!(
        c.findings
            .iter()
            .any(|f| f.kind == DamageKind::Chain && f.file == seg(dir.path(), 3)),
        "{:#?}",
        c.findings
    );
    let dir = build();
    flip(&dir.path().join("log.meta"), 20);
    assert_eq!(
        only(&check(dir.path())),
        (dir.path().join("log.meta"), 0, DamageKind::LogMeta)
    );
}

#[test]
fn a_log_being_written_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let log =
        Arc::new(ShardLog::open(Arc::new(FsStorage::open(dir.path()).unwrap()), opts()).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let (log, stop, count) = (log.clone(), stop.clone(), count.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let batch: Vec<(Vec<u8>, Vec<u8>)> = (0..5)
                    .map(|i| (b"k".to_vec(), vec![(n + i) as u8; 500]))
                    .collect();
                log.append_batch(&batch).unwrap();
                n += 5;
                count.store(n, std::sync::atomic::Ordering::Relaxed);
            }
            n
        })
    };
    let mut checks = 0;
    // Check while several segments roll under the checks.
    while checks < 30 || count.load(std::sync::atomic::Ordering::Relaxed) < 500 {
        let c = check(dir.path());
        assert!(c.findings.is_empty(), "check {checks}: {:#?}", c.findings);
        checks += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(written > 0);
    log.close().unwrap();
    let c = check(dir.path());
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
    assert_eq!(c.segments.iter().map(|s| s.records).sum::<u64>(), written);
}

fn decode_len(path: &Path, offset: u64) -> u64 {
    let f = std::fs::File::open(path).unwrap();
    let mut b = [0u8; 4];
    f.read_exact_at(&mut b, offset).unwrap();
    (u64::from(u32::from_le_bytes(b)) + 7) & !7
}
