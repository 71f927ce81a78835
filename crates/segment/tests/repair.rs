//! `repair::repair_shard`: each action, applied to the damage the verify tests make, leaves a log
//! that verifies clean, opens, keeps every record before the damage, reports exactly the numbers
//! it lost, and saved the original bytes of every file it changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::flip;
use shardlog_segment::repair::{repair_shard, Actions};
use shardlog_segment::verify::{verify_shard, DamageKind};
use shardlog_segment::{LogOptions, ShardLog, MIN_SEGMENT_BYTES};
use shardlog_storage::FsStorage;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn opts() -> LogOptions {
    LogOptions {
        log_id: 77,
        segment_bytes: MIN_SEGMENT_BYTES,
        ..LogOptions::default()
    }
}

const RECORDS: u64 = 120;

fn data(i: u64) -> Vec<u8> {
    vec![(i % 251) as u8; 300]
}

/// A closed log of several segments: record `i` has number `i`, key `k{i}` and data `data(i)`.
fn build() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(Arc::new(FsStorage::open(dir.path()).unwrap()), opts()).unwrap();
    for i in 0..RECORDS {
        let seq = log
            .append_batch(&[(format!("k{i}").into_bytes(), data(i))])
            .unwrap();
        assert_eq!(seq, i..i + 1);
    }
    log.close().unwrap();
    dir
}

fn seg(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

fn frame_len(path: &Path, offset: u64) -> u64 {
    let f = std::fs::File::open(path).unwrap();
    let mut b = [0u8; 4];
    f.read_exact_at(&mut b, offset).unwrap();
    (u64::from(u32::from_le_bytes(b)) + 7) & !7
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_str().unwrap().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// Every record the reopened log returns from its start: number → (key, data).
fn records(dir: &Path) -> BTreeMap<u64, (Vec<u8>, Vec<u8>)> {
    let log = ShardLog::open(Arc::new(FsStorage::open(dir).unwrap()), opts()).unwrap();
    let mut out = BTreeMap::new();
    log.scan(0, |r| {
        out.insert(r.seq, (r.key.to_vec(), r.data.to_vec()));
        ControlFlow::Continue(())
    })
    .unwrap();
    log.close().unwrap();
    out
}

/// The records are exactly the built ones outside `lost`.
fn assert_kept(dir: &Path, lost: (u64, u64), keep_after: bool) {
    let got = records(dir);
    for i in 0..RECORDS {
        let inside = i >= lost.0 && (i < lost.1 || !keep_after);
        if inside {
            assert!(
                !got.contains_key(&i),
                "record {i} is in the lost range {lost:?}"
            );
        } else {
            assert_eq!(
                got.get(&i),
                Some(&(format!("k{i}").into_bytes(), data(i))),
                "record {i}"
            );
        }
    }
}

/// Every file of `before` that differs in `dir` now (or is gone) is in `backup` with its old bytes.
fn assert_backed_up(before: &BTreeMap<String, Vec<u8>>, dir: &Path, backup: &Path) -> usize {
    let now = files(dir);
    let mut changed = 0;
    for (name, bytes) in before {
        if now.get(name) != Some(bytes) {
            changed += 1;
            assert_eq!(
                std::fs::read(backup.join(name)).ok().as_ref(),
                Some(bytes),
                "{name}"
            );
        }
    }
    changed
}

fn clean(dir: &Path) {
    let c = verify_shard(dir, &|_| {}).unwrap();
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
}

#[test]
fn no_action_changes_nothing() {
    let dir = build();
    flip(&seg(dir.path(), 1), 4096 + 40);
    let before = files(dir.path());
    let backup = tempfile::tempdir().unwrap();
    let done = repair_shard(dir.path(), backup.path(), Actions::default()).unwrap();
    assert!(done.is_empty());
    assert_eq!(files(dir.path()), before);
    assert!(files(backup.path()).is_empty());
}

#[test]
fn rebuild_index_restores_a_missing_and_a_damaged_index() {
    let dir = build();
    let idx1 = dir.path().join(format!("{:020}.idx", 1));
    let idx2 = dir.path().join(format!("{:020}.idx", 2));
    let good2 = std::fs::read(&idx2).unwrap();
    std::fs::remove_file(&idx1).unwrap();
    flip(&idx2, 100);
    let kinds: Vec<_> = verify_shard(dir.path(), &|_| {})
        .unwrap()
        .findings
        .iter()
        .map(|f| f.kind)
        .collect();
    assert!(
        kinds.contains(&DamageKind::MissingIndex) && kinds.contains(&DamageKind::Index),
        "{kinds:?}"
    );
    let before = files(dir.path());
    let backup = tempfile::tempdir().unwrap();
    let actions = Actions {
        rebuild_index: true,
        ..Actions::default()
    };
    let done = repair_shard(dir.path(), backup.path(), actions).unwrap();
    assert_eq!(done.len(), 2, "{done:#?}");
    assert!(done
        .iter()
        .all(|d| d.lost.is_none() && d.action == "rebuild-index"));
    assert_eq!(
        std::fs::read(&idx2).unwrap(),
        good2,
        "the rebuilt index is the one the seal wrote"
    );
    assert_eq!(assert_backed_up(&before, dir.path(), backup.path()), 1);
    clean(dir.path());
    assert_kept(dir.path(), (RECORDS, RECORDS), true);
}

#[test]
fn cut_after_damage_in_the_newest_segment() {
    let dir = build();
    let c = verify_shard(dir.path(), &|_| {}).unwrap();
    let newest = c.segments.last().unwrap().clone();
    let second = 4096 + frame_len(&newest.file, 4096);
    flip(&newest.file, second + 40);
    let before = files(dir.path());
    let backup = tempfile::tempdir().unwrap();
    // The wrong action does nothing: the newest segment is not sealed.
    let drop = Actions {
        drop_damaged: true,
        ..Actions::default()
    };
    assert!(repair_shard(dir.path(), backup.path(), drop)
        .unwrap()
        .is_empty());
    let cut = Actions {
        cut_tail: true,
        ..Actions::default()
    };
    let done = repair_shard(dir.path(), backup.path(), cut).unwrap();
    assert_eq!(done.len(), 1);
    let lost = (newest.base_seq + 1, RECORDS);
    assert_eq!(done[0].lost, Some(lost));
    assert!(assert_backed_up(&before, dir.path(), backup.path()) >= 2);
    assert_eq!(
        std::fs::read(backup.path().join(newest.file.file_name().unwrap())).unwrap(),
        before[newest.file.file_name().unwrap().to_str().unwrap()]
    );
    clean(dir.path());
    assert_kept(dir.path(), lost, false);
    // The lost numbers are never handed out again.
    let log = ShardLog::open(Arc::new(FsStorage::open(dir.path()).unwrap()), opts()).unwrap();
    assert!(log.append("k", "new").unwrap() >= RECORDS);
    log.close().unwrap();
    clean(dir.path());
}

#[test]
fn cut_in_a_sealed_segment_deletes_the_later_segments() {
    let dir = build();
    let first = seg(dir.path(), 1);
    let second = 4096 + frame_len(&first, 4096);
    flip(&first, second + 40);
    let before = files(dir.path());
    let backup = tempfile::tempdir().unwrap();
    let cut = Actions {
        cut_tail: true,
        ..Actions::default()
    };
    let done = repair_shard(dir.path(), backup.path(), cut).unwrap();
    assert_eq!(done[0].lost, Some((1, RECORDS)));
    assert!(!seg(dir.path(), 2).exists());
    assert!(assert_backed_up(&before, dir.path(), backup.path()) >= 3);
    clean(dir.path());
    assert_kept(dir.path(), (1, RECORDS), false);
    let log = ShardLog::open(Arc::new(FsStorage::open(dir.path()).unwrap()), opts()).unwrap();
    assert!(log.append("k", "new").unwrap() >= RECORDS);
    log.close().unwrap();
    clean(dir.path());
}

#[test]
fn drop_a_damaged_sealed_segments_records_and_keep_the_rest() {
    let dir = build();
    let c = verify_shard(dir.path(), &|_| {}).unwrap();
    let next_base = c.segments[1].base_seq;
    let first = seg(dir.path(), 1);
    let second = 4096 + frame_len(&first, 4096);
    flip(&first, second + 40);
    let before = files(dir.path());
    let backup = tempfile::tempdir().unwrap();
    let drop = Actions {
        drop_damaged: true,
        ..Actions::default()
    };
    let done = repair_shard(dir.path(), backup.path(), drop).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].lost, Some((1, next_base)));
    assert_eq!(assert_backed_up(&before, dir.path(), backup.path()), 2);
    clean(dir.path());
    assert_kept(dir.path(), (1, next_base), true);
}
