//! The KCL-style consumer: workers sharing shards, failover after a kill, resharding under load,
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! checkpoint rules, graceful handoff, and checkpoints surviving a power cut.

use shardlog::consumer::{
    Checkpoint, Checkpointer, InitialPosition, LeaseKey, LeaseOptions, LeaseTable,
    ProcessRecordsInput, RecordProcessor, Worker, WorkerConfig,
};
use shardlog::{
    Durability, PutEntry, SequenceNumber, ShardId, StartingPosition, Store, StoreOptions,
};
use shardlog_storage::SimDisk;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FAILOVER_MS: u64 = 600;

fn lease_options() -> LeaseOptions {
    LeaseOptions {
        lease_duration_ms: FAILOVER_MS,
        takeover_margin_ms: 100,
        ..LeaseOptions::default()
    }
}

fn config(worker: &str) -> WorkerConfig {
    WorkerConfig {
        initial_position: InitialPosition::TrimHorizon,
        idle_time_between_reads: Duration::from_millis(10),
        parent_poll_interval: Duration::from_millis(20),
        shard_sync_interval: Duration::from_millis(200),
        ..WorkerConfig::new("app", "s", worker)
    }
}

/// One delivery, in the order deliveries happened across all workers.
#[derive(Debug, Clone)]
struct Delivery {
    worker: String,
    shard: ShardId,
    seq: SequenceNumber,
    data: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Delivery>>>;

/// Records every delivery and checkpoints after every `every` records.
struct Recorder {
    worker: String,
    log: Log,
    every: usize,
    since: usize,
    end_checkpoint: bool,
}

impl RecordProcessor for Recorder {
    fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
        let mut log = self.log.lock().unwrap();
        for r in input.records {
            log.push(Delivery {
                worker: self.worker.clone(),
                shard: input.shard_id,
                seq: r.sequence_number,
                data: r.data.to_vec(),
            });
            self.since += 1;
            if self.since >= self.every {
                // A lost lease is fine: the next owner redelivers from the last checkpoint.
                let _ = cp.checkpoint_at(r.sequence_number);
                self.since = 0;
            }
        }
    }

    fn shard_ended(&mut self, cp: &mut Checkpointer) {
        if self.end_checkpoint {
            let _ = cp.checkpoint();
        }
    }

    fn shutdown_requested(&mut self, cp: &mut Checkpointer) {
        let _ = cp.checkpoint();
    }
}

fn start(store: &Store, table: &LeaseTable, worker: &str, log: &Log, every: usize) -> Worker {
    start_with(store, table, config(worker), log, every)
}

fn start_with(
    store: &Store,
    table: &LeaseTable,
    config: WorkerConfig,
    log: &Log,
    every: usize,
) -> Worker {
    let (log, name) = (log.clone(), config.worker_id.clone());
    Worker::start(store.clone(), table.clone(), config, move || Recorder {
        worker: name.clone(),
        log: log.clone(),
        every,
        since: 0,
        end_checkpoint: true,
    })
    .unwrap()
}

fn put(store: &Store, keys: usize, per_key: usize, from: usize) -> BTreeSet<Vec<u8>> {
    let mut sent = BTreeSet::new();
    for i in from..from + per_key {
        let rows: Vec<(String, Vec<u8>)> = (0..keys)
            .map(|k| (format!("key-{k}"), format!("key-{k}/{i:08}").into_bytes()))
            .collect();
        let batch: Vec<PutEntry> = rows.iter().map(|(k, d)| PutEntry::new(k, d)).collect();
        let out = store.put_records("s", &batch).unwrap();
        assert_eq!(out.failed_record_count, 0);
        sent.extend(rows.into_iter().map(|(_, d)| d));
    }
    sent
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !done() {
        assert!(
            t0.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    t0.elapsed()
}

fn delivered(log: &Log) -> BTreeSet<Vec<u8>> {
    log.lock().unwrap().iter().map(|d| d.data.clone()).collect()
}

fn open_store(dir: &std::path::Path) -> Store {
    let opts = StoreOptions {
        retention_interval: None,
        ..StoreOptions::default()
    };
    Store::open(dir, opts).unwrap()
}

#[test]
fn two_and_three_workers_share_the_shards_and_see_every_record() {
    for workers in [2usize, 3] {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(dir.path());
        store.create_stream("s", 6).unwrap();
        let table = store.lease_table(lease_options()).unwrap();
        let sent = put(&store, 24, 20, 0);
        let log: Log = Arc::default();
        let ws: Vec<Worker> = (0..workers)
            .map(|i| start(&store, &table, &format!("w{i}"), &log, 7))
            .collect();
        wait_until("every record delivered", Duration::from_secs(30), || {
            delivered(&log) == sent
        });
        wait_until(
            "an even split of the shards",
            Duration::from_secs(30),
            || {
                let held: Vec<usize> = ws.iter().map(|w| w.held_shards().len()).collect();
                held.iter().sum::<usize>() == 6 && held.iter().all(|&h| h == 6 / workers)
            },
        );
        // No shard is held by two workers at once.
        let mut all: Vec<ShardId> = ws.iter().flat_map(|w| w.held_shards()).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 6);
        // Lag is observable for every held shard, and small once caught up.
        wait_until("lag reported", Duration::from_secs(10), || {
            ws.iter().map(|w| w.lag().len()).sum::<usize>() == 6
        });
        for w in ws {
            w.shutdown().unwrap();
        }
    }
}

#[test]
fn a_killed_workers_shards_move_to_the_others_and_nothing_after_a_checkpoint_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 6).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    let log: Log = Arc::default();
    let mut ws: Vec<Worker> = (0..3)
        .map(|i| start(&store, &table, &format!("w{i}"), &log, 5))
        .collect();
    let mut sent = put(&store, 12, 10, 0);
    wait_until("first records delivered", Duration::from_secs(30), || {
        delivered(&log) == sent
    });
    wait_until(
        "three workers holding two shards each",
        Duration::from_secs(30),
        || ws.iter().all(|w| w.held_shards().len() == 2),
    );
    let victim = ws.remove(1);
    let orphaned = victim.held_shards();
    victim.abandon();
    let killed_at = Instant::now();
    // Keep writing while the survivors take over.
    sent.extend(put(&store, 12, 10, 10));
    let moved = wait_until(
        "the orphaned shards to move",
        Duration::from_secs(30),
        || {
            let held: BTreeSet<ShardId> = ws.iter().flat_map(|w| w.held_shards()).collect();
            orphaned.iter().all(|s| held.contains(s))
        },
    );
    let moved = moved.max(killed_at.elapsed());
    eprintln!(
        "failover {FAILOVER_MS} ms: shards moved after {} ms",
        moved.as_millis()
    );
    // Expiry takes the failover time plus the take-over margin; allow a few coordinator passes.
    assert!(
        moved < Duration::from_millis(FAILOVER_MS * 2 + 100 + 1_000),
        "{moved:?}"
    );
    wait_until("every record delivered", Duration::from_secs(30), || {
        delivered(&log) == sent
    });
    // Every lease's checkpoint is a record the log contains, and the survivors resumed at or
    // before the record after it: nothing was skipped.
    let log = log.lock().unwrap().clone();
    for shard in &orphaned {
        let by_victim: Vec<SequenceNumber> = log
            .iter()
            .filter(|d| d.shard == *shard && d.worker == "w1")
            .map(|d| d.seq)
            .collect();
        let first_after: Option<SequenceNumber> = log
            .iter()
            .find(|d| d.shard == *shard && d.worker != "w1")
            .map(|d| d.seq);
        let hist = table
            .history(&LeaseKey::new("app", "s", &shard.to_string()))
            .unwrap();
        let victim_checkpoint = hist
            .iter()
            .filter(|h| h.owner.as_deref() == Some("w1"))
            .filter_map(|h| match &h.checkpoint {
                Checkpoint::SequenceNumber {
                    sequence_number, ..
                } => sequence_number.parse::<SequenceNumber>().ok(),
                _ => None,
            })
            .max();
        if let (Some(cp), Some(first)) = (victim_checkpoint, first_after) {
            let next_after_cp = by_victim.iter().find(|s| **s > cp);
            if let Some(next) = next_after_cp {
                assert!(
                    first <= *next,
                    "shard {shard}: resumed at {first}, but {next} came after the checkpoint {cp}"
                );
            }
        }
    }
    for w in ws {
        w.shutdown().unwrap();
    }
}

/// Splits and merges while workers consume: every partition key's records are first delivered
/// in the order they were written, because a parent is finished before its children start.
#[test]
fn a_reshard_during_the_run_keeps_each_partition_keys_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 2).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    let log: Log = Arc::default();
    let ws: Vec<Worker> = (0..2)
        .map(|i| start(&store, &table, &format!("w{i}"), &log, 3))
        .collect();
    let mut sent = BTreeSet::new();
    for round in 0..6 {
        sent.extend(put(&store, 16, 5, round * 5));
        match round {
            1 => assert!(store.update_shard_count("s", 4).unwrap() > 0),
            3 => assert!(store.update_shard_count("s", 2).unwrap() > 0),
            4 => assert!(store.update_shard_count("s", 3).unwrap() > 0),
            _ => {}
        }
    }
    wait_until("every record delivered", Duration::from_secs(60), || {
        delivered(&log) == sent
    });
    let mut next: BTreeMap<String, u32> = BTreeMap::new();
    for d in log.lock().unwrap().iter() {
        let text = String::from_utf8(d.data.clone()).unwrap();
        let (key, n) = text.split_once('/').unwrap();
        let n: u32 = n.parse().unwrap();
        let expected = next.entry(key.to_string()).or_insert(0);
        // Redelivery after a checkpoint repeats old records; a new one must be the next in order.
        assert!(
            n <= *expected,
            "{key}: record {n} delivered before {expected}"
        );
        if n == *expected {
            *expected += 1;
        }
    }
    assert!(next.values().all(|&n| n == 30), "{next:?}");
    // Parents finished: their leases are at SHARD_END and name their children.
    let leases = table.list("app").unwrap();
    let ended: Vec<_> = leases
        .iter()
        .filter(|l| l.checkpoint == Checkpoint::ShardEnd)
        .collect();
    assert!(
        ended.len() >= 2 + 4 + 2,
        "{} leases at SHARD_END",
        ended.len()
    );
    assert!(ended.iter().all(|l| !l.child_shard_ids.is_empty()));
    for w in ws {
        w.shutdown().unwrap();
    }
}

#[test]
fn a_restarted_worker_resumes_after_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let log: Log = Arc::default();
    {
        let store = open_store(dir.path());
        store.create_stream("s", 1).unwrap();
        let table = store.lease_table(lease_options()).unwrap();
        let sent = put(&store, 1, 10, 0);
        let w = start(&store, &table, "w0", &log, 4);
        wait_until("ten records", Duration::from_secs(30), || {
            delivered(&log) == sent
        });
        // Stop the way a killed process does: no shutdown checkpoint, no release.
        w.abandon();
        store.close().unwrap();
    }
    let lease = {
        let store = open_store(dir.path());
        store
            .lease_table(lease_options())
            .unwrap()
            .list("app")
            .unwrap()
            .remove(0)
    };
    // Checkpoints came after records 4 and 8 (every fourth); the lease still names w0.
    assert_eq!(lease.owner.as_deref(), Some("w0"));
    let cp_seq = match &lease.checkpoint {
        Checkpoint::SequenceNumber {
            sequence_number, ..
        } => sequence_number.parse::<SequenceNumber>().unwrap(),
        other => panic!("{other:?}"),
    };
    let first_run: Vec<SequenceNumber> = log.lock().unwrap().iter().map(|d| d.seq).collect();
    assert_eq!(cp_seq, first_run[7]);
    log.lock().unwrap().clear();
    let store = open_store(dir.path());
    let table = store.lease_table(lease_options()).unwrap();
    let w = start(&store, &table, "w1", &log, 100);
    // w1 takes the lease once w0's lapses, and redelivers what came after the checkpoint.
    wait_until("records 9 and 10 again", Duration::from_secs(30), || {
        log.lock().unwrap().len() >= 2
    });
    std::thread::sleep(Duration::from_millis(50));
    let again: Vec<SequenceNumber> = log.lock().unwrap().iter().map(|d| d.seq).collect();
    assert_eq!(
        again,
        first_run[8..],
        "resumes strictly after the checkpoint"
    );
    w.shutdown().unwrap();
}

#[test]
fn graceful_shutdown_hands_leases_over_without_waiting_for_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 2).unwrap();
    let slow = LeaseOptions {
        lease_duration_ms: 60_000,
        ..lease_options()
    };
    let table = store.lease_table(slow).unwrap();
    let log: Log = Arc::default();
    let a = start(&store, &table, "a", &log, 1);
    wait_until("a holds both", Duration::from_secs(30), || {
        a.held_shards().len() == 2
    });
    let b = start(&store, &table, "b", &log, 1);
    a.shutdown().unwrap();
    // With a 60 s failover, only the release lets b in quickly.
    wait_until("b holds both", Duration::from_secs(20), || {
        b.held_shards().len() == 2
    });
    b.shutdown().unwrap();
}

struct Strict {
    result: Arc<Mutex<Vec<String>>>,
}

impl RecordProcessor for Strict {
    fn process_records(&mut self, input: ProcessRecordsInput<'_>, cp: &mut Checkpointer) {
        let first = input.records[0].sequence_number;
        let last = input.records[input.records.len() - 1].sequence_number;
        let mut out = self.result.lock().unwrap();
        out.push(format!(
            "ahead:{}",
            cp.checkpoint_at(SequenceNumber::new(
                first.incarnation(),
                first.shard_index(),
                last.counter() + 1
            ))
            .is_err()
        ));
        out.push(format!("last:{}", cp.checkpoint_at(last).is_ok()));
        out.push(format!(
            "back:{}",
            cp.checkpoint_at(first).is_err() || first == last
        ));
        out.push(format!("again:{}", cp.checkpoint().is_ok()));
    }
    fn shard_ended(&mut self, _: &mut Checkpointer) {}
}

#[test]
fn checkpoints_must_name_delivered_records_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 1).unwrap();
    put(&store, 1, 3, 0);
    let table = store.lease_table(lease_options()).unwrap();
    let result = Arc::new(Mutex::new(Vec::new()));
    let r = result.clone();
    let w = Worker::start(store.clone(), table.clone(), config("w"), move || Strict {
        result: r.clone(),
    })
    .unwrap();
    wait_until("one batch", Duration::from_secs(30), || {
        result.lock().unwrap().len() >= 4
    });
    w.shutdown().unwrap();
    assert_eq!(
        result.lock().unwrap()[..4],
        ["ahead:true", "last:true", "back:true", "again:true"]
    );
}

#[test]
fn children_wait_until_the_parent_checkpoints_shard_end() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 1).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    put(&store, 4, 2, 0);
    store.update_shard_count("s", 2).unwrap();
    put(&store, 4, 2, 2);
    let log: Log = Arc::default();
    let l2 = log.clone();
    // This processor never checkpoints SHARD_END.
    let w = Worker::start(store.clone(), table.clone(), config("w"), move || {
        Recorder {
            worker: "w".into(),
            log: l2.clone(),
            every: 1000,
            since: 0,
            end_checkpoint: false,
        }
    })
    .unwrap();
    wait_until("the parent's records", Duration::from_secs(30), || {
        log.lock().unwrap().len() >= 8
    });
    std::thread::sleep(Duration::from_millis(300));
    let shards: BTreeSet<ShardId> = log.lock().unwrap().iter().map(|d| d.shard).collect();
    assert_eq!(shards.len(), 1, "children must not start: {shards:?}");
    assert!(
        w.last_error()
            .is_some_and(|e| e.contains("did not checkpoint")),
        "{:?}",
        w.last_error()
    );
    w.shutdown().unwrap();
}

/// Under `Durability::None` records are visible before they are durable. A checkpoint must still
/// name only durable records, so after a power cut the checkpointed record is always there.
#[test]
fn a_checkpoint_survives_a_power_cut_with_the_record_it_names() {
    let opts = StoreOptions {
        durability: Durability::None,
        retention_interval: None,
        ..StoreOptions::default()
    };
    let mut checked = 0;
    for seed in 0..12u64 {
        let disk = SimDisk::new(seed);
        let store = Store::open_with_storage(Arc::new(disk.clone()), opts.clone()).unwrap();
        store.create_stream("s", 1).unwrap();
        let table = store.lease_table(lease_options()).unwrap();
        let sent = put(&store, 1, 10, 0);
        let log: Log = Arc::default();
        let w = start(&store, &table, "w", &log, 3);
        let key = LeaseKey::new("app", "s", "shardId-000000000000");
        wait_until("ten records", Duration::from_secs(30), || {
            delivered(&log) == sent
        });
        wait_until(
            "the checkpoint at the ninth",
            Duration::from_secs(30),
            || table.history(&key).unwrap().len() == 3,
        );
        w.abandon();
        // More records that nobody made durable.
        put(&store, 1, 5, 10);
        disk.cut_power();
        let crashed = disk.crash(seed.wrapping_mul(7919));
        drop(store);
        let store = Store::open_with_storage(Arc::new(crashed), opts.clone()).unwrap();
        let lease = store
            .lease_table(lease_options())
            .unwrap()
            .get(&key)
            .unwrap()
            .unwrap();
        let Checkpoint::SequenceNumber {
            sequence_number, ..
        } = lease.checkpoint
        else {
            panic!("seed {seed}: checkpoint lost: {:?}", lease.checkpoint);
        };
        let seq: SequenceNumber = sequence_number.parse().unwrap();
        let it = store
            .get_shard_iterator("s", ShardId(0), StartingPosition::AtSequenceNumber(seq))
            .unwrap();
        let out = store.get_records(&it, 100).unwrap();
        assert_eq!(
            out.records.first().map(|r| r.sequence_number),
            Some(seq),
            "seed {seed}"
        );
        assert_eq!(out.records[0].data, b"key-0/00000008"[..]);
        checked += 1;
    }
    assert_eq!(checked, 12);
}

/// A worker whose leases go through the lease protocol (here over a direct transport) behaves
/// like one on the local table: same shards, same checkpoints.
#[test]
fn workers_share_shards_through_the_lease_protocol() {
    use shardlog::consumer::{LeaseService, RemoteLeases};
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 4).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    let sent = put(&store, 8, 10, 0);
    let log: Log = Arc::default();
    let workers: Vec<Worker> = ["r0", "r1"]
        .iter()
        .map(|id| {
            let remote =
                RemoteLeases::connect(LeaseService::new(store.clone(), table.clone())).unwrap();
            let (log, name) = (log.clone(), id.to_string());
            Worker::start(store.clone(), remote, config(id), move || Recorder {
                worker: name.clone(),
                log: log.clone(),
                every: 4,
                since: 0,
                end_checkpoint: true,
            })
            .unwrap()
        })
        .collect();
    wait_until("every record delivered", Duration::from_secs(30), || {
        delivered(&log) == sent
    });
    wait_until("two shards each", Duration::from_secs(30), || {
        workers.iter().all(|w| w.held_shards().len() == 2)
    });
    for w in workers {
        w.shutdown().unwrap();
    }
    let leases = table.list("app").unwrap();
    assert_eq!(leases.len(), 4);
    // The shutdown checkpointed each shard's last delivered record, then released the lease.
    let mut last: BTreeMap<String, SequenceNumber> = BTreeMap::new();
    for d in log.lock().unwrap().iter() {
        let e = last.entry(d.shard.to_string()).or_insert(d.seq);
        *e = (*e).max(d.seq);
    }
    for l in &leases {
        assert_eq!(l.owner, None, "{l:?}");
        let expected = last
            .get(&l.key.shard_id)
            .map_or(Checkpoint::TrimHorizon, |s| {
                Checkpoint::sequence(&s.to_string(), 0)
            });
        assert_eq!(l.checkpoint, expected);
    }
}

/// Passes every third call through as a failure, as a flaky network would.
struct Flaky {
    inner: shardlog::consumer::LeaseService,
    calls: std::sync::atomic::AtomicU64,
}

impl shardlog::consumer::LeaseTransport for Flaky {
    fn call(&self, operation: &str, body: Vec<u8>) -> shardlog::Result<(u16, Vec<u8>)> {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 3 == 2 {
            return Err(shardlog::Error::Unavailable(format!("dropped {operation}")));
        }
        self.inner.call(operation, body)
    }
}

/// Transient failures of the lease store are retried: every checkpoint still lands.
#[test]
fn transient_checkpoint_failures_are_retried() {
    use shardlog::consumer::{LeaseService, RemoteLeases};
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 1).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    let sent = put(&store, 1, 30, 0);
    let flaky = Flaky {
        inner: LeaseService::new(store.clone(), table.clone()),
        calls: Default::default(),
    };
    let remote = RemoteLeases::connect(flaky).unwrap();
    let log: Log = Arc::default();
    let (l2, name) = (log.clone(), "f".to_string());
    let w = Worker::start(store.clone(), remote, config("f"), move || Recorder {
        worker: name.clone(),
        log: l2.clone(),
        every: 1,
        since: 0,
        end_checkpoint: true,
    })
    .unwrap();
    wait_until("every record", Duration::from_secs(30), || {
        delivered(&log) == sent
    });
    let key = LeaseKey::new("app", "s", "shardId-000000000000");
    let last = log.lock().unwrap().last().unwrap().seq;
    wait_until("the last checkpoint", Duration::from_secs(30), || {
        table.get(&key).unwrap().unwrap().checkpoint == Checkpoint::sequence(&last.to_string(), 0)
    });
    w.shutdown().unwrap();
    // One checkpoint per record, none lost to the dropped calls.
    assert_eq!(table.get(&key).unwrap().unwrap().checkpoints_recorded, 30);
}

/// A worker that joins late steals from the busy one, one lease per pass, until both hold half.
#[test]
fn a_new_worker_steals_its_share_from_a_busy_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 4).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    let log: Log = Arc::default();
    let a = start(&store, &table, "a", &log, 1);
    wait_until("a holds all four", Duration::from_secs(30), || {
        a.held_shards().len() == 4
    });
    let b = start(&store, &table, "b", &log, 1);
    // a keeps renewing, so nothing expires: only stealing moves leases.
    wait_until("two each", Duration::from_secs(30), || {
        a.held_shards().len() == 2 && b.held_shards().len() == 2
    });
    let switches: u64 = table
        .list("app")
        .unwrap()
        .iter()
        .map(|l| l.owner_switches_since_checkpoint)
        .sum();
    assert!(switches >= 2, "{switches}");
    b.shutdown().unwrap();
    a.shutdown().unwrap();
}

/// A remote worker's checkpoint must name a record of its shard: a number past the shard's tip,
/// from another shard or another stream, or no number at all is refused, and the lease keeps its
/// checkpoint (issue 13, point 8).
#[test]
fn the_lease_service_refuses_a_checkpoint_of_a_record_that_does_not_exist() {
    use shardlog::consumer::{LeaseOp, LeaseService, LeaseStore, NewLease, RemoteLeases};
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    store.create_stream("s", 2).unwrap();
    store.create_stream("other", 1).unwrap();
    let table = store.lease_table(lease_options()).unwrap();
    let remote = RemoteLeases::connect(LeaseService::new(store.clone(), table)).unwrap();
    let shard0 = ShardId(0);
    let mut last = None;
    for i in 0..3 {
        let data = format!("r{i}");
        let e = PutEntry::new("k", data.as_bytes()).with_explicit_hash_key("0");
        last = Some(store.put_record("s", e).unwrap());
    }
    let last = last.unwrap();
    assert_eq!(last.shard_id, shard0);
    let other = store.put_record("other", PutEntry::new("k", b"x")).unwrap();
    let top = u128::MAX.to_string();
    let in_shard1 = store
        .put_record("s", PutEntry::new("k", b"y").with_explicit_hash_key(&top))
        .unwrap();
    let key = LeaseKey::new("app", "s", &shard0.to_string());
    remote.create_if_absent(&key, NewLease::default()).unwrap();
    let lease = remote.change(&key, 0, LeaseOp::take("w", 1_000)).unwrap();
    let past_tip = SequenceNumber::new(
        last.sequence_number.incarnation(),
        shard0.0,
        last.sequence_number.counter() + 1,
    );
    let refused = [
        past_tip.to_string(),
        other.sequence_number.to_string(),
        in_shard1.sequence_number.to_string(),
        "1".to_string(),
    ];
    for seq in &refused {
        let err = remote
            .change(
                &key,
                lease.counter,
                LeaseOp::checkpoint(Checkpoint::sequence(seq, 0)),
            )
            .expect_err(seq);
        assert!(
            matches!(err, shardlog::Error::InvalidArgument(_)),
            "{seq}: {err:?}"
        );
    }
    let kept = remote.get(&key).unwrap().unwrap();
    assert_eq!(kept.checkpoint, lease.checkpoint);
    assert_eq!(kept.counter, lease.counter);
    // The shard's real last record is accepted.
    let seq = last.sequence_number.to_string();
    let done = remote
        .change(
            &key,
            lease.counter,
            LeaseOp::checkpoint(Checkpoint::sequence(&seq, 0)),
        )
        .unwrap();
    assert_eq!(done.checkpoint, Checkpoint::sequence(&seq, 0));
}

/// A lease request over the lease table's limits is the caller's mistake: 400
/// `ValidationException`, not a 500 (fuzz bugs B13 and B14).
#[test]
fn lease_requests_over_the_tables_limits_are_validation_errors() {
    use shardlog::consumer::LeaseService;
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let table = store.lease_table(lease_options()).unwrap();
    let service = LeaseService::new(store.clone(), table);
    let create = |application: &str, parents: usize| {
        let parents: Vec<String> = (0..parents).map(|i| format!("shardId-{i:012}")).collect();
        let body = serde_json::json!({
            "Key": {"Application": application, "Stream": "s", "ShardId": "shardId-000000000000"},
            "Checkpoint": {"Value": "TRIM_HORIZON"},
            "ParentShardIds": parents,
        });
        let (status, answer) =
            service.handle("CreateLeaseIfAbsent", &serde_json::to_vec(&body).unwrap());
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        (status, answer["__type"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(create("app", 2), (200, String::new()));
    let long = "a".repeat(161);
    assert_eq!(create(&long, 0), (400, "ValidationException".to_string()));
    assert_eq!(create("", 0), (400, "ValidationException".to_string()));
    assert_eq!(create("app2", 60), (400, "ValidationException".to_string()));
}
