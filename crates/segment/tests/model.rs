//! Model-based test: random appends, reads, seeks, drops and reopens against a `Vec` model, on the
//! simulated disk and on real files (which read through the memory map).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use shardlog_segment::{Clock, Durability, LogOptions, Position, ShardLog};
use shardlog_storage::{FsStorage, SimDisk, Storage};
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<(u8, u16)>),
    Read {
        from: u16,
        max_records: u8,
        max_bytes: u16,
    },
    SeekTime(u16),
    Drop(u16),
    Tick(u16),
    Reopen,
    CrashReopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec((any::<u8>(), 0u16..3000), 1..40).prop_map(Op::Append),
        3 => (any::<u16>(), 1u8..50, any::<u16>()).prop_map(|(from, max_records, max_bytes)| Op::Read { from, max_records, max_bytes }),
        1 => any::<u16>().prop_map(Op::SeekTime),
        1 => any::<u16>().prop_map(Op::Drop),
        2 => (0u16..500).prop_map(Op::Tick),
        1 => Just(Op::Reopen),
        1 => Just(Op::CrashReopen),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct Rec {
    seq: u64,
    ts: u64,
    key: Vec<u8>,
    data: Vec<u8>,
}

fn body(seq: u64, len: u16) -> Vec<u8> {
    (0..len)
        .map(|i| (seq as u16).wrapping_mul(7).wrapping_add(i) as u8)
        .collect()
}

fn run(
    storage: Arc<dyn Storage>,
    sim: Option<SimDisk>,
    ops: Vec<Op>,
    durability: Durability,
) -> Result<(), TestCaseError> {
    let clock = Clock::manual(1_000_000);
    let opts = LogOptions {
        segment_bytes: 32 * 1024,
        durability,
        clock: clock.clone(),
        ..LogOptions::default()
    };
    let mut log = ShardLog::open(storage.clone(), opts.clone()).unwrap();
    let mut model: Vec<Rec> = Vec::new();
    let mut start = 0u64; // model trim horizon
    let mut max_seq_used = 0u64;
    for op in ops {
        match op {
            Op::Append(items) => {
                let batch: Vec<(Vec<u8>, Vec<u8>)> = items
                    .iter()
                    .enumerate()
                    .map(|(i, (k, len))| {
                        (
                            vec![*k; (*k % 5) as usize],
                            body(max_seq_used + i as u64, *len),
                        )
                    })
                    .collect();
                let range = log.append_batch(&batch).unwrap();
                prop_assert_eq!(range.end - range.start, batch.len() as u64);
                prop_assert!(
                    model.last().is_none_or(|r| range.start > r.seq),
                    "numbers increase"
                );
                prop_assert!(range.start >= max_seq_used, "numbers are never reused");
                let ts = clock.now_ms().max(model.last().map_or(0, |r| r.ts));
                for (seq, (key, data)) in range.clone().zip(batch) {
                    model.push(Rec { seq, ts, key, data });
                }
                max_seq_used = range.end;
            }
            Op::Read {
                from,
                max_records,
                max_bytes,
            } => {
                let from = u64::from(from) % (max_seq_used + 2);
                let got = log
                    .read(from, usize::from(max_records), usize::from(max_bytes))
                    .unwrap();
                let eff = from.max(start);
                let mut expect = Vec::new();
                let mut bytes = 0;
                for r in model.iter().filter(|r| r.seq >= eff) {
                    if expect.len() >= usize::from(max_records)
                        || (!expect.is_empty() && bytes + r.data.len() > usize::from(max_bytes))
                    {
                        break;
                    }
                    bytes += r.data.len();
                    expect.push(r.clone());
                }
                let got_recs: Vec<Rec> = got
                    .records
                    .iter()
                    .map(|r| Rec {
                        seq: r.seq,
                        ts: r.timestamp_ms,
                        key: r.key.to_vec(),
                        data: r.data.to_vec(),
                    })
                    .collect();
                prop_assert_eq!(&got_recs, &expect);
                if let Some(last) = expect.last() {
                    prop_assert_eq!(got.next, last.seq + 1);
                }
            }
            Op::SeekTime(dt) => {
                let t = 1_000_000 + u64::from(dt);
                let got = log.seek(Position::AtTimestamp(t)).unwrap();
                let expect = model
                    .iter()
                    .find(|r| r.seq >= start && r.ts >= t)
                    .map(|r| r.seq);
                match expect {
                    Some(seq) => prop_assert_eq!(got, seq),
                    None => prop_assert!(got >= model.last().map_or(0, |r| r.seq + 1)),
                }
            }
            Op::Drop(s) => {
                let seq = u64::from(s) % (max_seq_used + 2);
                log.drop_segments_before(seq).unwrap();
                let new_start = log.start_seq();
                prop_assert!(
                    new_start <= seq.max(start) || model.iter().all(|r| r.seq < new_start)
                );
                prop_assert!(new_start >= start);
                let old_start = start;
                start = new_start;
                // Nothing at or above `seq` may go.
                let lost = model
                    .iter()
                    .find(|r| r.seq >= seq.max(old_start) && r.seq < start)
                    .map(|r| r.seq);
                prop_assert!(
                    lost.is_none(),
                    "drop before {} lost {:?}; start {}, segments {}, next {}",
                    seq,
                    lost,
                    start,
                    log.segment_count(),
                    log.next_seq()
                );
            }
            Op::Tick(ms) => clock.set(clock.now_ms() + u64::from(ms)),
            Op::Reopen => {
                log.close().unwrap();
                log = ShardLog::open(storage.clone(), opts.clone()).unwrap();
                prop_assert_eq!(log.start_seq().max(start), log.start_seq());
            }
            Op::CrashReopen => {
                let Some(disk) = &sim else { continue };
                if durability != Durability::Sync {
                    log.sync().unwrap();
                }
                disk.cut_power();
                drop(log);
                let crashed = disk.crash(max_seq_used);
                return run_after_crash(crashed, opts, model, start, max_seq_used);
            }
        }
        prop_assert!(log.next_seq() >= max_seq_used);
    }
    let all = log.read(0, usize::MAX, usize::MAX).unwrap();
    let expect: Vec<u64> = model
        .iter()
        .filter(|r| r.seq >= start)
        .map(|r| r.seq)
        .collect();
    prop_assert_eq!(
        all.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        expect
    );
    Ok(())
}

fn run_after_crash(
    disk: SimDisk,
    opts: LogOptions,
    model: Vec<Rec>,
    start: u64,
    max_seq_used: u64,
) -> Result<(), TestCaseError> {
    let log = ShardLog::open(Arc::new(disk), opts).unwrap();
    let all = log.read(0, usize::MAX, usize::MAX).unwrap();
    let expect: Vec<u64> = model
        .iter()
        .filter(|r| r.seq >= start)
        .map(|r| r.seq)
        .collect();
    prop_assert_eq!(
        all.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        expect
    );
    prop_assert!(log.append(b"k", b"v").unwrap() >= max_seq_used);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn model_on_simulated_disk(ops in prop::collection::vec(op(), 1..60), seed in any::<u64>(), mode in 0u8..3) {
        let disk = SimDisk::new(seed);
        let durability = [Durability::Sync, Durability::None, Durability::Interval(std::time::Duration::from_millis(2))][usize::from(mode)];
        run(Arc::new(disk.clone()), Some(disk), ops, durability)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    #[test]
    fn model_on_real_files(ops in prop::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(FsStorage::open(dir.path()).unwrap());
        run(storage, None, ops, Durability::None)?;
    }
}
