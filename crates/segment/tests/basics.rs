//! Behaviour of one log on real files and on the simulated disk.
#![allow(clippy::unwrap_used)]

use shardlog_segment::{Clock, Durability, Error, LogOptions, Position, RecoveryMode, ShardLog};
use shardlog_storage::{FsStorage, SimDisk, Storage};
use std::sync::Arc;

fn small(durability: Durability) -> LogOptions {
    LogOptions {
        segment_bytes: 16 * 1024,
        durability,
        log_id: 7,
        ..LogOptions::default()
    }
}

fn payload(seq: u64) -> Vec<u8> {
    format!("record-{seq}-")
        .repeat((seq % 13) as usize + 1)
        .into_bytes()
}

#[test]
fn append_read_reopen_on_real_files() {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(dir.path()).unwrap());
    let log = ShardLog::open(storage.clone(), small(Durability::Sync)).unwrap();
    for seq in 0..500u64 {
        assert_eq!(log.append(format!("k{seq}"), payload(seq)).unwrap(), seq);
    }
    assert!(log.segment_count() > 3, "segments roll when full");
    log.close().unwrap();
    let log = ShardLog::open(storage, small(Durability::Sync)).unwrap();
    let batch = log.read(0, 10_000, usize::MAX).unwrap();
    assert_eq!(batch.records.len(), 500);
    for (i, r) in batch.records.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.data, payload(i as u64));
        assert_eq!(r.key, format!("k{i}").into_bytes());
    }
    assert_eq!(log.append(b"k", b"after").unwrap(), 500);
}

#[test]
fn point_lookups_hit_every_record() {
    let log = ShardLog::open(Arc::new(SimDisk::new(3)), small(Durability::None)).unwrap();
    let batch: Vec<(Vec<u8>, Vec<u8>)> = (0..700u64).map(|s| (b"k".to_vec(), payload(s))).collect();
    log.append_batch(&batch).unwrap();
    for seq in (0..700).step_by(7) {
        let got = log.read(seq, 1, 0).unwrap();
        assert_eq!(got.records[0].seq, seq);
        assert_eq!(got.records[0].data, payload(seq));
        assert_eq!(got.next, seq + 1);
        let after = log.seek(Position::AfterSeq(seq)).unwrap();
        assert_eq!(log.read(after, 1, 0).unwrap().records[0].seq, seq + 1);
    }
    assert!(log.read(700, 10, 1000).unwrap().records.is_empty());
}

#[test]
fn time_positions() {
    let clock = Clock::manual(1_000);
    let opts = LogOptions {
        clock: clock.clone(),
        ..small(Durability::None)
    };
    let log = ShardLog::open(Arc::new(SimDisk::new(3)), opts).unwrap();
    for i in 0..300u64 {
        clock.set(1_000 + i * 10);
        log.append(b"k", payload(i)).unwrap();
    }
    assert_eq!(log.seek(Position::AtTimestamp(0)).unwrap(), 0);
    assert_eq!(log.seek(Position::AtTimestamp(1_005)).unwrap(), 1);
    assert_eq!(log.seek(Position::AtTimestamp(1_000 + 2_000)).unwrap(), 200);
    assert_eq!(log.seek(Position::AtTimestamp(u64::MAX)).unwrap(), 300);
    // A clock going backwards never makes timestamps go backwards.
    clock.set(5);
    let seq = log.append(b"k", b"late").unwrap();
    assert_eq!(
        log.read(seq, 1, 0).unwrap().records[0].timestamp_ms,
        1_000 + 299 * 10
    );
}

#[test]
fn sequence_numbers_survive_dropping_everything_and_reopen() {
    let disk = SimDisk::new(5);
    let log = ShardLog::open(Arc::new(disk.clone()), small(Durability::Sync)).unwrap();
    for i in 0..200u64 {
        log.append(b"k", payload(i)).unwrap();
    }
    let n = log.segment_count();
    assert_eq!(log.drop_segments_before(200).unwrap(), n);
    assert_eq!(log.segment_count(), 0);
    assert_eq!(log.start_seq(), 200);
    log.close().unwrap();
    let log = ShardLog::open(Arc::new(disk.clone()), small(Durability::Sync)).unwrap();
    assert_eq!(log.seek(Position::Oldest).unwrap(), 200);
    assert_eq!(log.append(b"k", b"x").unwrap(), 200);
    assert!(log.read(0, 10, 100).unwrap().records[0].seq == 200);
}

#[test]
fn drop_keeps_the_segment_holding_seq() {
    let log = ShardLog::open(Arc::new(SimDisk::new(5)), small(Durability::None)).unwrap();
    for i in 0..400u64 {
        log.append(b"k", payload(i)).unwrap();
    }
    let before = log.segment_count();
    let dropped = log.drop_segments_before(150).unwrap();
    assert!(dropped > 0 && dropped < before);
    let start = log.start_seq();
    assert!(
        start <= 150,
        "record 150 must stay readable, start is {start}"
    );
    let batch = log.read(0, 1, 0).unwrap();
    assert_eq!(batch.records[0].seq, start);
    assert_eq!(log.read(150, 1, 0).unwrap().records[0].data, payload(150));
}

#[test]
fn oversized_record_is_refused_and_nothing_written() {
    let log = ShardLog::open(Arc::new(SimDisk::new(1)), small(Durability::Sync)).unwrap();
    let big = vec![0u8; 16 * 1024];
    let err = log.append(b"k", &big).unwrap_err();
    assert!(matches!(err, Error::RecordTooLarge { .. }), "{err}");
    assert_eq!(log.next_seq(), 0);
    let max = small(Durability::Sync).max_record_bytes() as usize;
    assert_eq!(log.append(b"", vec![1u8; max]).unwrap(), 0);
}

#[test]
fn foreign_log_id_is_refused() {
    let disk = SimDisk::new(1);
    ShardLog::open(Arc::new(disk.clone()), small(Durability::Sync))
        .unwrap()
        .close()
        .unwrap();
    let other = LogOptions {
        log_id: 8,
        ..small(Durability::Sync)
    };
    let err = ShardLog::open(Arc::new(disk), other).unwrap_err();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");
}

#[test]
fn foreign_file_in_place_of_a_segment() {
    let disk = SimDisk::new(1);
    let log = ShardLog::open(Arc::new(disk.clone()), small(Durability::Sync)).unwrap();
    log.append(b"k", b"v").unwrap();
    log.close().unwrap();
    let mut junk = vec![0xABu8; 16 * 1024];
    junk[..8].copy_from_slice(b"NOTASEG!");
    disk.put_file("00000000000000000001.seg", &junk);
    let err = ShardLog::open(Arc::new(disk), small(Durability::Sync)).unwrap_err();
    assert!(matches!(err, Error::Foreign { .. }), "{err}");
}

#[test]
fn corruption_before_the_durable_mark_is_reported_with_offset() {
    let disk = SimDisk::new(1);
    let log = ShardLog::open(Arc::new(disk.clone()), small(Durability::Sync)).unwrap();
    for i in 0..20u64 {
        log.append(b"k", payload(i)).unwrap();
    }
    log.close().unwrap();
    let name = "00000000000000000001.seg";
    disk.flip_bit(name, 4096 * 8 + 100).unwrap();
    let err = ShardLog::open(Arc::new(disk.clone()), small(Durability::Sync)).unwrap_err();
    match err {
        Error::Corrupt { file, offset, .. } => {
            assert!(file.to_string_lossy().ends_with(name));
            assert_eq!(offset, 4096);
        }
        other => panic!("expected corruption, got {other}"),
    }
    let tolerant = LogOptions {
        recovery: RecoveryMode::TruncateNewestSegment,
        ..small(Durability::Sync)
    };
    let log = ShardLog::open(Arc::new(disk), tolerant).unwrap();
    assert!(log.read(0, 100, usize::MAX).unwrap().records.is_empty());
    assert!(
        log.append(b"k", b"v").unwrap() >= 20,
        "numbers are never reused"
    );
}

#[test]
fn second_open_after_close_is_clean_and_does_not_skip() {
    let disk = SimDisk::new(1);
    let log = ShardLog::open(Arc::new(disk.clone()), small(Durability::None)).unwrap();
    log.append(b"k", b"v").unwrap();
    log.close().unwrap();
    let log = ShardLog::open(Arc::new(disk.clone()), small(Durability::None)).unwrap();
    assert_eq!(log.append(b"k", b"v").unwrap(), 1);
    drop(log);
    // Without close, in a mode where readers saw unsynced records, reopening skips numbers.
    let log = ShardLog::open(Arc::new(disk.crash(1)), small(Durability::None)).unwrap();
    let next = log.append(b"k", b"v").unwrap();
    assert!(next >= 2);
}

#[test]
fn concurrent_appenders_share_syncs_and_readers_see_only_published() {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(dir.path()).unwrap());
    let opts = LogOptions {
        segment_bytes: 1 << 20,
        ..LogOptions::default()
    };
    let log = Arc::new(ShardLog::open(storage, opts).unwrap());
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut last = None;
                for i in 0..200u64 {
                    let seq = log.append(format!("t{t}"), format!("{t}:{i}")).unwrap();
                    assert!(last.is_none_or(|l| seq > l));
                    last = Some(seq);
                }
            })
        })
        .collect();
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || {
            let mut cursor = 0;
            while cursor < 800 {
                let batch = log.read(cursor, 1000, usize::MAX).unwrap();
                for r in &batch.records {
                    assert_eq!(r.seq, cursor);
                    cursor += 1;
                }
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    let all = log.read(0, 10_000, usize::MAX).unwrap();
    assert_eq!(all.records.len(), 800);
    for t in 0..4 {
        let mine: Vec<_> = all
            .records
            .iter()
            .filter(|r| r.key == format!("t{t}").as_bytes())
            .collect();
        let expect: Vec<Vec<u8>> = (0..200).map(|i| format!("{t}:{i}").into_bytes()).collect();
        assert_eq!(
            mine.iter().map(|r| r.data.clone()).collect::<Vec<_>>(),
            expect
        );
    }
}

#[test]
fn interval_mode_syncs_in_the_background() {
    let disk = SimDisk::new(9);
    let opts = small(Durability::Interval(std::time::Duration::from_millis(5)));
    let log = ShardLog::open(Arc::new(disk.clone()), opts.clone()).unwrap();
    log.append(b"k", b"v").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    disk.cut_power();
    let crashed = disk.crash(2);
    drop(log);
    let log = ShardLog::open(Arc::new(crashed), opts).unwrap();
    assert_eq!(log.read(0, 10, 100).unwrap().records[0].data, b"v"[..]);
}

/// Segment files in `storage`.
fn segment_files(storage: &dyn Storage) -> usize {
    let names = storage.list().unwrap();
    names.iter().filter(|n| n.ends_with(".seg")).count()
}

/// An idle log keeps one segment file; the next one (the spare) is made once the active segment is
/// half full, in time for the roll, which then takes it.
#[test]
fn the_spare_segment_is_made_once_the_active_one_is_half_full() {
    let storage: Arc<dyn Storage> = Arc::new(SimDisk::new(5));
    let log = ShardLog::open(storage.clone(), small(Durability::None)).unwrap();
    // Frames of about 1 KiB in a 16 KiB segment whose data starts at 4 KiB: the 4th record passes
    // the half (8 KiB), the 12th does not fit.
    let data = vec![1u8; 1000];
    let mut spare_seen_at = None;
    for written in 0..20u64 {
        // The spare is made by a background task: give it time before each look.
        std::thread::sleep(std::time::Duration::from_millis(20));
        if log.segment_count() > 1 {
            break;
        }
        match segment_files(&*storage) {
            2 => {
                spare_seen_at.get_or_insert(written);
            }
            n => assert!(
                n <= 1 && written < 5,
                "{n} segment files after {written} records"
            ),
        }
        log.append(b"k", &data).unwrap();
    }
    let at = spare_seen_at.expect("no spare before the roll");
    assert!(at >= 4, "a spare after {at} records, before the half mark");
    assert!(log.segment_count() > 1, "no roll");
    log.close().unwrap();
    // Reopened and idle: no file beyond the segments in use.
    let log = ShardLog::open(storage.clone(), small(Durability::None)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(segment_files(&*storage), log.segment_count());
}

/// The inode of the log's one index file: `write_file_atomic` gives a rewritten file a new one.
fn index_inode(dir: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let idx: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    assert_eq!(idx.len(), 1, "one segment, one index file: {idx:?}");
    std::fs::metadata(&idx[0]).unwrap().ino()
}

#[test]
fn a_close_with_nothing_new_keeps_the_index_file_and_still_closes_clean() {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(FsStorage::open(dir.path()).unwrap());
    let opts = LogOptions {
        segment_bytes: 1 << 20,
        ..small(Durability::None)
    };
    let log = ShardLog::open(storage.clone(), opts.clone()).unwrap();
    for seq in 0..100u64 {
        log.append(format!("k{seq}"), payload(seq)).unwrap();
    }
    log.close().unwrap();
    drop(log);
    let written = index_inode(dir.path());

    // Open and close with nothing new: the index file is the one the first close wrote.
    let log = ShardLog::open(storage.clone(), opts.clone()).unwrap();
    log.close().unwrap();
    drop(log);
    assert_eq!(index_inode(dir.path()), written);

    // That close was clean all the same: an unclean open would skip numbers (`Durability::None`).
    let log = ShardLog::open(storage.clone(), opts.clone()).unwrap();
    assert_eq!(log.append(b"k", b"after").unwrap(), 100);
    log.close().unwrap();
    drop(log);
    // Something new: the index file is written again, and the next open is clean too.
    assert_ne!(index_inode(dir.path()), written);
    let log = ShardLog::open(storage, opts).unwrap();
    assert_eq!(log.append(b"k", b"again").unwrap(), 101);
    let batch = log.read(0, 1000, usize::MAX).unwrap();
    assert_eq!(batch.records.len(), 102);
    for (seq, r) in batch.records.iter().take(100).enumerate() {
        assert_eq!(r.data, payload(seq as u64)[..]);
    }
}
