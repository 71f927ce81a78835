//! Compaction: merged segments keep every record and number; a power cut at any operation of a merge
//! leaves either the old run or the merged segment, never a mix, never a loss.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shardlog_segment::{Durability, LogOptions, ShardLog};
use shardlog_storage::{Fault, SimDisk};
use std::sync::Arc;

fn small() -> LogOptions {
    LogOptions {
        segment_bytes: 16 * 1024,
        durability: Durability::Sync,
        log_id: 4,
        ..LogOptions::default()
    }
}

fn big() -> LogOptions {
    LogOptions {
        segment_bytes: 128 * 1024,
        ..small()
    }
}

type Image = Vec<(u64, u64, Vec<u8>, Vec<u8>)>;

fn image(log: &ShardLog) -> Image {
    let batch = log.read(0, usize::MAX, usize::MAX).unwrap();
    batch
        .records
        .into_iter()
        .map(|r| (r.seq, r.timestamp_ms, r.key.to_vec(), r.data.to_vec()))
        .collect()
}

/// A log of several small sealed segments (16 KiB), reopened with 128 KiB segments.
fn fragmented(seed: u64) -> (SimDisk, Image) {
    let disk = SimDisk::new(seed);
    let log = ShardLog::open(Arc::new(disk.clone()), small()).unwrap();
    for i in 0..60u64 {
        log.append(
            format!("k{i}"),
            vec![(i % 200) as u8; 700 + (i as usize % 5) * 100],
        )
        .unwrap();
    }
    assert!(log.segment_count() >= 4);
    let img = image(&log);
    log.close().unwrap();
    (disk, img)
}

fn sealed_ids(log: &ShardLog) -> Vec<u64> {
    log.segments()
        .iter()
        .filter(|s| !s.active)
        .map(|s| s.id)
        .collect()
}

#[test]
fn a_merge_keeps_every_record_and_number_and_survives_reopen() {
    let (disk, img) = fragmented(1);
    let log = ShardLog::open(Arc::new(disk.clone()), big()).unwrap();
    let ids = sealed_ids(&log);
    let before = log.segment_count();
    let merged = log.compact(&ids).unwrap();
    assert_eq!(merged, *ids.last().unwrap());
    assert_eq!(log.segment_count(), before - ids.len() + 1);
    // Sealed, the merged file holds its frames and no preallocated tail: header page, data, and
    // at most the rest of the last page.
    let info = log.segments().into_iter().find(|s| s.id == merged).unwrap();
    assert_eq!(
        info.file_bytes,
        (4096 + info.data_bytes)
            .next_multiple_of(4096)
            .max(16 * 1024)
    );
    assert_eq!(image(&log), img);
    for (seq, _, _, data) in img.iter().step_by(7) {
        assert_eq!(
            &log.read(*seq, 1, 0).unwrap().records[0].data,
            data,
            "point read of {seq}"
        );
    }
    let next = log.append(b"k", b"after").unwrap();
    log.close().unwrap();
    let log = ShardLog::open(Arc::new(disk), big()).unwrap();
    let mut again = image(&log);
    assert_eq!(again.pop().unwrap().0, next);
    assert_eq!(again, img);
    // Refused: the active segment, a single segment, or a run that does not fit.
    assert!(log.compact(&[merged]).is_err());
    let active = log.segments().last().unwrap().id;
    assert!(log.compact(&[merged, active]).is_err());
}

#[test]
fn a_merge_that_does_not_fit_is_refused() {
    let (disk, _) = fragmented(2);
    let log = ShardLog::open(Arc::new(disk), small()).unwrap();
    let ids = sealed_ids(&log);
    assert!(
        log.compact(&ids).is_err(),
        "16 KiB segments of ~12 KiB each cannot merge into 16 KiB"
    );
}

#[test]
fn power_cuts_during_a_merge() {
    let total = {
        let (disk, _) = fragmented(3);
        let log = ShardLog::open(Arc::new(disk.clone()), big()).unwrap();
        let start = disk.ops();
        log.compact(&sealed_ids(&log)).unwrap();
        disk.ops() - start
    };
    let mut cuts = 0;
    for at in 0..total {
        for pattern in 0..6u64 {
            let (disk, img) = fragmented(3);
            let log = ShardLog::open(Arc::new(disk.clone()), big()).unwrap();
            let ids = sealed_ids(&log);
            disk.set_fault(Fault::PowerCut {
                at_op: disk.ops() + at,
            });
            let _ = log.compact(&ids);
            disk.cut_power();
            drop(log);
            let crashed = disk.crash(at * 16 + pattern);
            let log = ShardLog::open(Arc::new(crashed.clone()), big())
                .unwrap_or_else(|e| panic!("op {at} pattern {pattern}: reopen failed: {e}"));
            assert_eq!(
                image(&log),
                img,
                "op {at} pattern {pattern}: records changed"
            );
            // Recovering twice gives the same log, and the merge can be retried.
            log.close().unwrap();
            let log = ShardLog::open(Arc::new(crashed), big()).unwrap();
            assert_eq!(image(&log), img);
            let ids = sealed_ids(&log);
            if ids.len() >= 2 {
                log.compact(&ids).unwrap();
                assert_eq!(image(&log), img);
            }
            cuts += 1;
        }
    }
    println!("{cuts} power cuts over {total} operations of a merge");
}

/// A `Storage` over a `SimDisk` that lets a test hold two merges of one run at chosen points: the
/// first merge copies its data only once a second merge has created its temporary file, and commits
/// (renames) only while the second is half-way through writing it. Each wait gives up after a second,
/// for when the other merge never gets that far (as when merges are serialised).
#[derive(Debug)]
struct Interleave {
    disk: SimDisk,
    gate: Arc<Gate>,
}

#[derive(Debug, Default)]
struct Gate {
    state: std::sync::Mutex<GateState>,
    cv: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    temps_created: usize,
    second_writing: bool,
    /// The test has cut the power after the first merge returned.
    power_cut: bool,
}

impl Gate {
    fn wait_for(&self, cond: impl Fn(&GateState) -> bool) {
        let s = self.state.lock().unwrap();
        let _ = self
            .cv
            .wait_timeout_while(s, std::time::Duration::from_secs(1), |s| !cond(s))
            .unwrap();
    }

    fn update(&self, f: impl FnOnce(&mut GateState)) {
        f(&mut self.state.lock().unwrap());
        self.cv.notify_all();
    }
}

#[derive(Debug)]
struct GatedFile {
    inner: Arc<dyn shardlog_storage::StorageFile>,
    gate: Arc<Gate>,
    /// Which merge created it: 1 or 2.
    merge: usize,
    /// Set once the first data write waited.
    waited: std::sync::atomic::AtomicBool,
}

impl shardlog_storage::StorageFile for GatedFile {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> shardlog_storage::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> shardlog_storage::Result<()> {
        if self.merge == 1
            && offset > 0
            && !self.waited.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            // The first merge copies its data once the second one has made its temporary file.
            self.gate.wait_for(|s| s.temps_created >= 2);
        }
        self.inner.write_at(offset, data)?;
        if self.merge == 2 && offset > 0 {
            // The second merge has written its header and some data: let the first one commit
            // now, and go on only after the power cut that looks at what the first committed.
            self.gate.update(|s| s.second_writing = true);
            self.gate.wait_for(|s| s.power_cut);
        }
        Ok(())
    }
    fn sync(&self) -> shardlog_storage::Result<()> {
        self.inner.sync()
    }
    fn seal_below(&self, start: u64, end: u64) {
        self.inner.seal_below(start, end)
    }
    fn view(&self, offset: u64, len: usize) -> Option<&[u8]> {
        self.inner.view(offset, len)
    }
    fn path(&self) -> std::path::PathBuf {
        self.inner.path()
    }
}

impl shardlog_storage::Storage for Interleave {
    fn create(
        &self,
        name: &str,
        len: u64,
    ) -> shardlog_storage::Result<Arc<dyn shardlog_storage::StorageFile>> {
        let inner = self.disk.create(name, len)?;
        if !name.ends_with(".cmp") {
            return Ok(inner);
        }
        let mut n = 0;
        self.gate.update(|s| {
            s.temps_created += 1;
            n = s.temps_created;
        });
        Ok(Arc::new(GatedFile {
            inner,
            gate: self.gate.clone(),
            merge: n,
            waited: Default::default(),
        }))
    }
    fn open(&self, name: &str) -> shardlog_storage::Result<Arc<dyn shardlog_storage::StorageFile>> {
        self.disk.open(name)
    }
    fn remove(&self, name: &str) -> shardlog_storage::Result<()> {
        self.disk.remove(name)
    }
    fn rename(&self, from: &str, to: &str) -> shardlog_storage::Result<()> {
        if from.ends_with(".cmp") {
            self.gate.wait_for(|s| s.second_writing);
        }
        self.disk.rename(from, to)
    }
    fn sync_dir(&self) -> shardlog_storage::Result<()> {
        self.disk.sync_dir()
    }
    fn list(&self) -> shardlog_storage::Result<Vec<String>> {
        self.disk.list()
    }
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.disk.path(name)
    }
    fn subdir(&self, name: &str) -> shardlog_storage::Result<Arc<dyn shardlog_storage::Storage>> {
        self.disk.subdir(name)
    }
    fn remove_dir(&self, name: &str) -> shardlog_storage::Result<()> {
        self.disk.remove_dir(name)
    }
    fn lock(&self, name: &str) -> shardlog_storage::Result<shardlog_storage::Lock> {
        self.disk.lock(name)
    }
}

/// Issue 13.1: two passes merging the same run at once (the background retention pass and a caller
/// of `enforce_retention`) must not touch each other's temporary file. Before the fix the second
/// merge unlinked the first one's `.cmp` file and created its own under the same name, so the first
/// merge renamed the second's half-written file over a live segment and deleted the run: a power
/// cut right after the first merge returned lost acknowledged records.
#[test]
fn two_merges_of_one_run_never_commit_each_others_temp_file() {
    let (disk, img) = fragmented(13);
    let gate = Arc::new(Gate::default());
    let storage = Arc::new(Interleave {
        disk: disk.clone(),
        gate: gate.clone(),
    });
    let log = Arc::new(ShardLog::open(storage, big()).unwrap());
    let run = sealed_ids(&log);
    let second = {
        let (log, run, gate) = (log.clone(), run.clone(), gate.clone());
        std::thread::spawn(move || {
            // Start once the first merge has created its temporary file.
            gate.wait_for(|s| s.temps_created >= 1);
            log.compact(&run)
        })
    };
    let first = log.compact(&run);
    // The first merge has returned: what it committed must hold every record, whatever the second
    // merge does next. Cut the power now and look.
    disk.cut_power();
    gate.update(|s| s.power_cut = true);
    let _ = second.join().unwrap();
    assert!(first.is_ok(), "{first:?}");
    drop(log);
    let after = disk.crash(5);
    let log = ShardLog::open(Arc::new(after), big()).unwrap();
    assert_eq!(
        image(&log),
        img,
        "records lost or changed by two concurrent merges"
    );
}
