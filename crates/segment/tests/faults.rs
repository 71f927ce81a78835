//! I/O errors injected at every operation of a workload, and single-bit corruption of a sealed segment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Durability, Error, LogOptions, ShardLog};
use shardlog_storage::{Fault, SimDisk, Storage};
use std::sync::Arc;

fn opts() -> LogOptions {
    LogOptions {
        log_id: 5,
        segment_bytes: 16 * 1024,
        durability: Durability::Sync,
        ..LogOptions::default()
    }
}

fn rec(i: u64) -> (Vec<u8>, Vec<u8>) {
    (
        format!("key{i}").into_bytes(),
        vec![(i % 256) as u8; (i * 37 % 1500) as usize],
    )
}

/// Opens, appends in batches across several segment rolls, drops a segment, reads back, closes.
/// Returns the acknowledged records; stops at the first error.
type Acked = Vec<(u64, (Vec<u8>, Vec<u8>))>;
type Image = Vec<(u64, Vec<u8>, Vec<u8>)>;

fn workload(disk: &SimDisk) -> (Acked, Option<Error>) {
    let mut acked = Vec::new();
    let log = match ShardLog::open(Arc::new(disk.clone()), opts()) {
        Ok(log) => log,
        Err(e) => return (acked, Some(e)),
    };
    for b in 0..12u64 {
        let batch: Vec<_> = (0..4).map(|i| rec(b * 4 + i)).collect();
        match log.append_batch(&batch) {
            Ok(range) => acked.extend(range.zip(batch)),
            Err(e) => return (acked, Some(e)),
        }
        // Every read either fails or returns exactly what was acknowledged.
        match log.read(0, usize::MAX, usize::MAX) {
            Ok(batch) => {
                let got: Vec<_> = batch
                    .records
                    .iter()
                    .map(|r| (r.seq, (r.key.to_vec(), r.data.to_vec())))
                    .collect();
                let start = log.start_seq();
                let expect: Vec<_> = acked.iter().filter(|(s, _)| *s >= start).cloned().collect();
                assert_eq!(got, expect, "a read returned wrong data");
            }
            Err(e) => return (acked, Some(e)),
        }
    }
    if let Err(e) = log.drop_segments_before(10) {
        return (acked, Some(e));
    }
    let err = log.close().err();
    (acked, err)
}

#[test]
fn an_error_at_every_operation_is_reported_and_loses_nothing() {
    let total = {
        let disk = SimDisk::new(1);
        let (_, err) = workload(&disk);
        assert!(err.is_none(), "{err:?}");
        disk.ops()
    };
    assert!(total > 60, "workload too small: {total} ops");
    let mut injected = 0;
    for at_op in 0..total {
        for forever in [false, true] {
            let disk = SimDisk::new(1);
            disk.set_fault(Fault::Error { at_op, forever });
            let (acked, err) = workload(&disk);
            injected += 1;
            let reached = disk.ops() > at_op;
            assert!(
                !reached || err.is_some() || !forever,
                "op {at_op}: error swallowed"
            );
            disk.clear_fault();
            // The process restarts on the same page cache, or the power fails first: what a
            // failed sync dropped is then gone (`SimDisk` models Linux), so only a log that
            // stopped at the failure keeps its promises.
            let restarts = [disk.clone(), disk.crash(at_op), disk.crash(at_op + total)];
            let mut after_restart = acked.clone();
            for (n, disk) in restarts.iter().enumerate() {
                let case = format!("op {at_op} forever={forever} restart {n}");
                let appended = check_acked(disk, &acked, &case);
                if n == 0 {
                    after_restart.push(appended);
                }
            }
            // Restart 0 reopened and wrote on the same page cache, then the power fails: what
            // the failed sync dropped (bytes, or a name) must have been written again before
            // anything claimed it, and the record restart 0 appended is kept too.
            let case = format!("op {at_op} forever={forever} restart, then power cut");
            check_acked(&disk.crash(at_op + 1), &after_restart, &case);
        }
    }
    println!("injected {injected} I/O errors over {total} operations, 4 restarts each");
}

/// Reopens `disk` and checks that every acknowledged record is there and no number is reused;
/// returns the record it appended (durably) to check that.
fn check_acked(disk: &SimDisk, acked: &Acked, case: &str) -> (u64, (Vec<u8>, Vec<u8>)) {
    let log = ShardLog::open(Arc::new(disk.clone()), opts())
        .unwrap_or_else(|e| panic!("{case}: reopen failed: {e}"));
    let got = log.read(0, usize::MAX, usize::MAX).unwrap();
    let start = log.start_seq();
    for (seq, (key, data)) in acked.iter().filter(|(s, _)| *s >= start) {
        let r = got.records.iter().find(|r| r.seq == *seq);
        assert!(
            r.is_some_and(|r| r.key == key && r.data == data),
            "{case}: acknowledged record {seq} lost"
        );
    }
    let seq = log.append(b"k", b"v").unwrap();
    assert!(
        seq >= acked.last().map_or(0, |a| a.0 + 1),
        "{case}: {seq} reused"
    );
    (seq, (b"k".to_vec(), b"v".to_vec()))
}

#[test]
fn a_failed_sync_poisons_the_log() {
    let disk = SimDisk::new(2);
    let log = ShardLog::open(Arc::new(disk.clone()), opts()).unwrap();
    log.append(b"k", b"ok").unwrap();
    disk.set_fault(Fault::Error {
        at_op: disk.ops() + 2,
        forever: false,
    });
    assert!(log.append(b"k", b"fails").is_err());
    assert!(log.is_poisoned());
    // The fault is gone, but the log never retries.
    assert!(matches!(log.append(b"k", b"later"), Err(Error::Poisoned)));
    assert!(matches!(log.sync(), Err(Error::Poisoned)));
    // Reads of what was durable still work.
    assert_eq!(log.read(0, 1, 0).unwrap().records[0].data, b"ok"[..]);
}

/// Builds a log whose first segment is sealed and returns the disk and the records.
fn sealed_log() -> (SimDisk, Image, u64) {
    let disk = SimDisk::new(3);
    let log = ShardLog::open(Arc::new(disk.clone()), opts()).unwrap();
    let mut i = 0;
    while log.segment_count() < 2 {
        let (k, d) = rec(i);
        log.append(k, &d[..d.len().min(300)]).unwrap();
        i += 1;
    }
    log.close().unwrap();
    let log = ShardLog::open(Arc::new(disk.clone()), opts()).unwrap();
    let records = log.read(0, usize::MAX, usize::MAX).unwrap().records;
    let image = records
        .into_iter()
        .map(|r| (r.seq, r.key.to_vec(), r.data.to_vec()))
        .collect();
    log.close().unwrap();
    let data_end = last_nonzero(&disk.file_bytes("00000000000000000001.seg").unwrap());
    (disk, image, data_end)
}

fn last_nonzero(b: &[u8]) -> u64 {
    b.iter().rposition(|&x| x != 0).map_or(0, |i| i as u64 + 1)
}

#[test]
fn every_bit_flip_of_a_sealed_segment_is_detected() {
    let (disk, image, data_end) = sealed_log();
    let name = "00000000000000000001.seg";
    let pristine = disk.file_bytes(name).unwrap();
    let mut detected = 0u64;
    let mut harmless = 0u64;
    for bit in 0..data_end * 8 {
        let mut bytes = pristine.clone();
        bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
        let disk = disk.crash(0);
        disk.put_file(name, &bytes);
        let outcome = ShardLog::open(Arc::new(disk), opts())
            .and_then(|log| log.read(0, usize::MAX, usize::MAX));
        match outcome {
            Err(_) => detected += 1,
            Ok(batch) => {
                let got: Vec<_> = batch
                    .records
                    .into_iter()
                    .map(|r| (r.seq, r.key.to_vec(), r.data.to_vec()))
                    .collect();
                assert_eq!(
                    got, image,
                    "bit {bit}: a flipped bit changed what readers get"
                );
                harmless += 1;
            }
        }
    }
    // Harmless flips are in bytes no check needs: zero padding of the header page and the unused
    // mark slots of a sealed segment.
    println!(
        "{} bit flips: {detected} detected, {harmless} provably harmless",
        data_end * 8
    );
    assert!(detected > data_end * 8 / 2);
}

#[test]
fn a_missing_middle_segment_is_corruption() {
    let disk = SimDisk::new(4);
    let log = ShardLog::open(Arc::new(disk.clone()), opts()).unwrap();
    let mut i = 0;
    while log.segment_count() < 3 {
        log.append(b"k", vec![1u8; 1000]).unwrap();
        i += 1;
    }
    log.close().unwrap();
    assert!(i > 10);
    disk.remove("00000000000000000002.seg").unwrap();
    let err = ShardLog::open(Arc::new(disk), opts()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[test]
fn a_bad_index_file_is_rebuilt() {
    let (disk, image, _) = sealed_log();
    let idx = "00000000000000000001.idx";
    let mut bytes = disk.file_bytes(idx).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xFF;
    disk.put_file(idx, &bytes);
    let log = ShardLog::open(Arc::new(disk.clone()), opts()).unwrap();
    let got: Vec<_> = log
        .read(0, usize::MAX, usize::MAX)
        .unwrap()
        .records
        .into_iter()
        .map(|r| (r.seq, r.key.to_vec(), r.data.to_vec()))
        .collect();
    assert_eq!(got, image);
    log.close().unwrap();
    assert_ne!(
        disk.file_bytes(idx).unwrap(),
        bytes,
        "the index was rewritten"
    );
}
